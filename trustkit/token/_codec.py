"""Strict base64url (RFC 7515 2, no padding, canonical) and strict JSON for tokens and JWKs."""

from __future__ import annotations

import base64
import json
import re
from typing import Any, NoReturn

from trustkit.errors import DecodeError

__all__ = ["b64url_decode", "b64url_encode", "json_dumps", "json_loads"]

_B64URL = re.compile(r"[A-Za-z0-9_-]*\Z")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_VALUE = {c: i for i, c in enumerate(_ALPHABET)}


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 7515 appendix C)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, what: str) -> bytes:
    """Decode unpadded base64url, refusing other characters, padding and non-canonical forms.

    Non-canonical forms (non-zero unused bits in the last character) are refused so that two
    different strings never decode to the same bytes: a mutated token can then never verify.

    :raises DecodeError: ``text`` is not canonical unpadded base64url.
    """
    if not isinstance(text, str) or not _B64URL.match(text) or len(text) % 4 == 1:
        raise DecodeError(f"the {what} is not valid base64url (RFC 7515 section 2: A-Z a-z 0-9 - _, no padding)")
    rem = len(text) % 4
    if rem and _VALUE[text[-1]] & (0x0F if rem == 2 else 0x03):
        raise DecodeError(f"the {what} is not canonical base64url (non-zero trailing bits)")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate member {key!r}")
            seen.add(key)
    return result


def json_loads(data: bytes, what: str) -> Any:
    """Parse UTF-8 JSON, refusing duplicate member names (RFC 7515 5.2 step 4), NaN/Infinity and
    nesting deep enough to exhaust the parser.

    :raises DecodeError: not UTF-8 JSON, or one of the above.
    """
    try:
        text = data.decode("utf-8")
        return json.loads(text, object_pairs_hook=_unique_pairs, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise DecodeError(f"the {what} is not UTF-8") from None
    except RecursionError:
        raise DecodeError(f"the {what} is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, duplicates, constants, over-long integers
        raise DecodeError(f"the {what} is not valid JSON: {exc}") from None


def json_dumps(obj: object) -> bytes:
    """Compact UTF-8 JSON as tokens carry it (no spaces, non-ASCII kept as UTF-8)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


