"""A signed licence status list: a small CRL for licences, keyed by licence identifier.

File format (UTF-8 JSON, one object)::

    {
      "format": "trustkit-licence-status/1",
      "issuer_code": "<USCC of the issuing authority>",
      "list_number": 7,                           # increases with every list, like a CRL number
      "this_update": "2026-06-01T12:00:00Z",      # UTC, seconds
      "next_update": "2026-06-08T12:00:00Z",
      "entries": [                                # sorted by identifier, unique
        {"identifier": "1.2.156.3005.2....", "status": "revoked" | "suspended",
         "date": "2026-05-20", "reason": "free text (may be empty)"}
      ],
      "signature": {"algorithm": "1.2.156.10197.1.501", "value": "<base64>"}
    }

The signature covers the *canonical JSON* of the object without its ``signature`` member:
keys sorted, no insignificant whitespace, UTF-8 unescaped (``json.dumps(..., sort_keys=True,
separators=(",", ":"), ensure_ascii=False)``).  Only strings, integers, null, lists and objects
occur and every key is ASCII, so this equals RFC 8785 (JCS) for these documents.  The parser is
strict (duplicate keys, floats and unknown members refused), so the canonical form of what it
accepted is exactly what was signed.  Algorithms: SM2-with-SM3 (default ID, DER signature) or
ECDSA-with-SHA256; the same signed-JSON envelope carries the QR trust list (:mod:`.qr`).
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any, Literal, cast

from trustkit.errors import DecodeError
from trustkit.licence.codes import LicenceIdentifier, validate_uscc
from trustkit.pki import algorithms
from trustkit.pki.certificate import Certificate
from trustkit.pki.signer import Signer

__all__ = [
    "STATUS_FORMAT",
    "EntryStatus",
    "StatusEntry",
    "StatusList",
    "canonical_json",
    "format_time",
    "load_signed_json",
    "load_status_list",
    "make_status_list",
    "parse_time",
    "sign_json",
]

STATUS_FORMAT = "trustkit-licence-status/1"
EntryStatus = Literal["revoked", "suspended"]

_ALLOWED_ALGORITHMS = frozenset({"1.2.156.10197.1.501", algorithms.ECDSA_WITH_SHA256})
_MAX_STATUS_BYTES = 64 * 1024 * 1024
_MAX_ENTRIES = 1_000_000
_MAX_REASON = 200


# ------------------------------------------------------------------------------------------
# Signed canonical JSON (shared with the QR trust list)


def canonical_json(obj: Any) -> bytes:
    """Canonical JSON bytes (sorted keys, no whitespace, UTF-8): what :func:`sign_json` signs."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def sign_json(body: Mapping[str, Any], signer: Signer) -> bytes:
    """Sign ``body`` (which must not have a ``signature`` member) and return the file bytes.

    :raises ValueError: ``body`` has a ``signature`` member or the signer's algorithm is not allowed.
    """
    if "signature" in body:
        raise ValueError("body already has a signature member")
    oid = signer.signature_algorithm()["algorithm"].dotted
    if oid not in _ALLOWED_ALGORITHMS:
        raise ValueError(f"signed JSON needs an SM2 or P-256 signer, not {oid}")
    value = signer.sign(canonical_json(body))
    doc = dict(body)
    doc["signature"] = {"algorithm": oid, "value": base64.b64encode(value).decode("ascii")}
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise DecodeError(f"duplicate JSON member {k!r}")
        out[k] = v
    return out


def _no_float(value: str) -> Any:
    raise DecodeError(f"numbers must be integers, got {value}")


def load_signed_json(data: bytes, certificate: Certificate, *, fmt: str, max_bytes: int) -> dict[str, Any]:
    """Parse a signed JSON file, check ``format`` and verify its signature with ``certificate``.

    :returns: the object without its ``signature`` member.
    :raises DecodeError: malformed, too large, wrong format.
    :raises InvalidSignature: the signature does not verify with ``certificate``.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError("signed JSON must be bytes")
    if len(data) > max_bytes:
        raise DecodeError(f"{fmt}: file is larger than {max_bytes} bytes")
    try:
        obj = json.loads(bytes(data).decode("utf-8"), object_pairs_hook=_no_duplicates, parse_float=_no_float,
                         parse_constant=_no_float)
    except UnicodeDecodeError:
        raise DecodeError(f"{fmt}: not UTF-8") from None
    except DecodeError:
        raise
    except (ValueError, RecursionError) as exc:
        raise DecodeError(f"{fmt}: not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise DecodeError(f"{fmt}: expected a JSON object")
    if obj.get("format") != fmt:
        raise DecodeError(f"format is {obj.get('format')!r}, expected {fmt!r}")
    sig = obj.pop("signature", None)
    if not isinstance(sig, dict) or set(sig) != {"algorithm", "value"}:
        raise DecodeError(f"{fmt}: missing or malformed signature member")
    oid, value = sig["algorithm"], sig["value"]
    if oid not in _ALLOWED_ALGORITHMS or not isinstance(value, str):
        raise DecodeError(f"{fmt}: signature algorithm {oid!r} is not allowed (SM2-with-SM3 or ECDSA-with-SHA256)")
    try:
        raw = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise DecodeError(f"{fmt}: signature value is not base64") from None
    algorithms.verify_vartime(certificate.public_key, cast(str, oid), raw, canonical_json(obj))
    return obj


def format_time(value: datetime) -> str:
    """UTC ``YYYY-MM-DDTHH:MM:SSZ`` (seconds)."""
    if value.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: object, what: str) -> datetime:
    """Parse :func:`format_time` output exactly."""
    if not isinstance(value, str) or len(value) != 20:
        raise DecodeError(f"{what} must be a UTC time YYYY-MM-DDTHH:MM:SSZ, got {value!r}")
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        raise DecodeError(f"{what} {value!r} is not a valid UTC time") from None


def _members(obj: Mapping[str, Any], required: Iterable[str], what: str) -> None:
    req = set(required)
    missing, unknown = sorted(req - set(obj)), sorted(set(obj) - req)
    if missing or unknown:
        raise DecodeError(f"{what}: missing {missing or 'nothing'}, unknown {unknown or 'nothing'}")


# ------------------------------------------------------------------------------------------
# The status list


@dataclass(frozen=True)
class StatusEntry:
    """One listed licence: its identifier (string form), status, effective date and reason."""

    identifier: str
    status: EntryStatus
    date: date
    reason: str = ""

    def __post_init__(self) -> None:
        LicenceIdentifier.parse(self.identifier)
        if self.status not in ("revoked", "suspended"):
            raise DecodeError(f"status entry: status must be revoked or suspended, got {self.status!r}")
        if not isinstance(self.date, date) or isinstance(self.date, datetime):
            raise DecodeError("status entry: date must be a date")
        if not isinstance(self.reason, str) or len(self.reason) > _MAX_REASON:
            raise DecodeError(f"status entry: reason must be a string of at most {_MAX_REASON} characters")


@dataclass(frozen=True)
class StatusList:
    """A verified status list.  Look entries up with :meth:`lookup` (O(1))."""

    issuer_code: str
    list_number: int
    this_update: datetime
    next_update: datetime
    entries: Mapping[str, StatusEntry]
    signer_certificate: Certificate

    def lookup(self, identifier: str | LicenceIdentifier) -> StatusEntry | None:
        """The entry for ``identifier``, or None when the licence is not listed (not revoked or suspended)."""
        return self.entries.get(str(identifier))

    def is_current(self, now: datetime) -> bool:
        """True when ``this_update <= now <= next_update``."""
        return self.this_update <= now <= self.next_update


def make_status_list(
    signer: Signer,
    *,
    issuer_code: str,
    list_number: int,
    entries: Iterable[StatusEntry],
    this_update: datetime | None = None,
    next_update: datetime | timedelta = timedelta(days=7),
) -> bytes:
    """Build and sign a status list; returns the file bytes.

    :param next_update: a time, or a period after ``this_update`` (default 7 days).
    :raises DecodeError: bad issuer code, duplicate identifiers.
    """
    validate_uscc(issuer_code)
    if not isinstance(list_number, int) or isinstance(list_number, bool) or not 0 <= list_number < 2**63:
        raise ValueError("list_number must be a non-negative 64-bit int")
    this = (this_update or datetime.now(timezone.utc)).replace(microsecond=0)
    nxt = this + next_update if isinstance(next_update, timedelta) else next_update
    if nxt < this:
        raise ValueError("next_update is before this_update")
    items = sorted(entries, key=lambda e: e.identifier)
    for a, b in itertools.pairwise(items):
        if a.identifier == b.identifier:
            raise DecodeError(f"status list: identifier {a.identifier} listed twice")
    body = {
        "format": STATUS_FORMAT,
        "issuer_code": issuer_code,
        "list_number": list_number,
        "this_update": format_time(this),
        "next_update": format_time(nxt),
        "entries": [
            {"identifier": e.identifier, "status": e.status, "date": e.date.isoformat(), "reason": e.reason}
            for e in items
        ],
    }
    return sign_json(body, signer)


def _entry(obj: object) -> StatusEntry:
    if not isinstance(obj, dict):
        raise DecodeError("status list: each entry is an object")
    _members(obj, ("identifier", "status", "date", "reason"), "status list entry")
    ident, day = obj["identifier"], obj["date"]
    if not isinstance(ident, str) or not isinstance(day, str):
        raise DecodeError("status list entry: identifier and date are strings")
    try:
        parsed_day = date.fromisoformat(day)
    except ValueError:
        raise DecodeError(f"status list entry: date {day!r} is not YYYY-MM-DD") from None
    return StatusEntry(ident, obj["status"], parsed_day, obj["reason"])


def load_status_list(data: bytes, issuer_certificate: Certificate) -> StatusList:
    """Verify and parse a status list signed with ``issuer_certificate``'s key.

    :raises DecodeError: malformed or oversized file, unsorted or duplicate entries.
    :raises InvalidSignature: the signature does not verify.
    """
    obj = load_signed_json(data, issuer_certificate, fmt=STATUS_FORMAT, max_bytes=_MAX_STATUS_BYTES)
    _members(obj, ("format", "issuer_code", "list_number", "this_update", "next_update", "entries"), "status list")
    issuer_code, number, raw_entries = obj["issuer_code"], obj["list_number"], obj["entries"]
    if not isinstance(issuer_code, str):
        raise DecodeError("status list: issuer_code must be a string")
    validate_uscc(issuer_code)
    if not isinstance(number, int) or isinstance(number, bool) or not 0 <= number < 2**63:
        raise DecodeError("status list: list_number must be a non-negative integer")
    if not isinstance(raw_entries, list) or len(raw_entries) > _MAX_ENTRIES:
        raise DecodeError(f"status list: entries must be a list of at most {_MAX_ENTRIES}")
    entries: dict[str, StatusEntry] = {}
    previous = ""
    for raw in raw_entries:
        entry = _entry(raw)
        if entry.identifier <= previous:
            raise DecodeError("status list: entries must be sorted by identifier and unique")
        previous = entry.identifier
        entries[entry.identifier] = entry
    this, nxt = parse_time(obj["this_update"], "this_update"), parse_time(obj["next_update"], "next_update")
    if nxt < this:
        raise DecodeError("status list: next_update is before this_update")
    return StatusList(issuer_code, number, this, nxt, MappingProxyType(entries), issuer_certificate)
