"""JWS compact serialization (RFC 7515 3.1, 5.1, 5.2) with an algorithm allowlist and a key set.

The signing input is ``ASCII(BASE64URL(header) "." BASE64URL(payload))``; for ``alg`` "SM2" the
signature is SM2 with SM3 over that input with the default signer ID 1234567812345678 (GM/T 0009
clause 10), as the raw 64-byte r||s.

:func:`verify_compact` never takes a key from the token itself: ``jwk``, ``jku`` and ``x5u``
headers are refused, ``x5c``/``x5t`` are ignored (never a trust source); the key comes from the
caller's :class:`~trustkit.token.keyset.KeySet` by ``kid``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from threading import Lock
from types import MappingProxyType
from typing import Any, Final

from trustkit.errors import DecodeError, UnsupportedAlgorithmError
from trustkit.token._codec import b64url_decode, b64url_encode, json_dumps, json_loads
from trustkit.errors import TokenValidationError
from trustkit.token.jwk import ALGORITHMS, SM2_ALIASES, SecretJWK, SigningJWK
from trustkit.token.keyset import KeySet, VerificationKey

__all__ = [
    "DEFAULT_MAX_TOKEN_BYTES",
    "UNTRUSTED_KEY_HEADERS",
    "VerifiedJWS",
    "peek_header",
    "sign_compact",
    "verify_compact",
]

#: Tokens longer than this are refused before any parsing (``max_token_bytes=``).
DEFAULT_MAX_TOKEN_BYTES: Final = 16 * 1024
#: Header members that would name a key the token chooses for itself (RFC 7515 4.1.2, 4.1.3, 4.1.5).
UNTRUSTED_KEY_HEADERS: Final = frozenset({"jwk", "jku", "x5u"})
_RESERVED_HEADERS: Final = frozenset({"alg", "kid", "crit"})


@dataclass(frozen=True)
class VerifiedJWS:
    """A JWS whose signature verified.

    :ivar header: the protected header (read-only).
    :ivar payload: the payload bytes.
    :ivar alg: the canonical algorithm (``"SM2"`` also when the token used an allowed alias).
    :ivar kid: the ``kid`` of the key that verified it.
    :ivar key: that key.
    """

    header: Mapping[str, Any]
    payload: bytes
    alg: str
    kid: str
    key: VerificationKey


def _header_segment(key: SigningJWK | SecretJWK, alg: str, typ: str | None,
                    headers: Mapping[str, Any] | None) -> str:
    if headers is None and isinstance(key, SigningJWK):
        cached = key._headers.get((alg, typ))
        if cached is not None:
            return cached
    header: dict[str, Any] = {"alg": alg, "kid": key.kid}
    if typ is not None:
        header["typ"] = typ
    if headers:
        for name, value in headers.items():
            if name in _RESERVED_HEADERS:
                raise ValueError(f"header {name!r} is set by the library, not by headers=")
            header[name] = value
    segment = b64url_encode(json_dumps(header))
    if headers is None and isinstance(key, SigningJWK):
        key._headers[(alg, typ)] = segment
    return segment


def sign_compact(payload: bytes, key: SigningJWK | SecretJWK, *, alg: str | None = None, typ: str | None = None,
                 headers: Mapping[str, Any] | None = None) -> str:
    """Sign ``payload`` and return the JWS compact serialization.

    The protected header is ``{"alg", "kid", "typ"?}`` plus ``headers``.

    :param alg: must match the key's algorithm (default: the key's).
    :param headers: extra header members (not ``alg``, ``kid``, ``crit``).
    :raises UnsupportedAlgorithmError: ``alg`` is not the key's algorithm.
    """
    chosen = key.alg if alg is None else alg
    if chosen != key.alg:
        raise UnsupportedAlgorithmError(f"key {key.kid!r} signs {key.alg!r}, not {chosen!r}")
    signing_input = _header_segment(key, chosen, typ, headers) + "." + b64url_encode(payload)
    signature = key.sign(signing_input.encode("ascii"))
    return signing_input + "." + b64url_encode(signature)


# Headers repeat across tokens of one issuer: cache the parsed (immutable) header per segment.
_HEADER_CACHE: OrderedDict[str, Mapping[str, Any]] = OrderedDict()
_HEADER_CACHE_LOCK = Lock()
_HEADER_CACHE_SIZE = 256
_HEADER_CACHE_MAX_SEGMENT = 1024


def _parse_header(segment: str) -> Mapping[str, Any]:
    cached = _HEADER_CACHE.get(segment)
    if cached is not None:
        return cached
    header = json_loads(b64url_decode(segment, "JWS header"), "JWS header")
    if not isinstance(header, dict):
        raise DecodeError("the JWS header is not a JSON object")
    frozen = MappingProxyType(header)
    if len(segment) <= _HEADER_CACHE_MAX_SEGMENT:
        with _HEADER_CACHE_LOCK:
            _HEADER_CACHE[segment] = frozen
            if len(_HEADER_CACHE) > _HEADER_CACHE_SIZE:
                _HEADER_CACHE.popitem(last=False)
    return frozen


def _split(token: str | bytes, max_token_bytes: int) -> tuple[str, str, str]:
    if isinstance(token, bytes):
        if len(token) > max_token_bytes:
            raise DecodeError(f"the token is longer than {max_token_bytes} bytes")
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            raise DecodeError("the token is not ASCII (JWS compact serialization)") from None
    elif not isinstance(token, str):
        raise TypeError(f"token must be str or bytes, not {type(token).__name__}")
    if len(token) > max_token_bytes:
        raise DecodeError(f"the token is longer than {max_token_bytes} bytes")
    parts = token.split(".")
    if len(parts) != 3:
        raise DecodeError(f"a JWS compact token has 3 dot-separated parts, this one has {len(parts)}")
    return parts[0], parts[1], parts[2]


def peek_header(token: str | bytes, *, max_token_bytes: int = DEFAULT_MAX_TOKEN_BYTES) -> Mapping[str, Any]:
    """The protected header, UNVERIFIED (for routing and diagnostics only, never for trust).

    :raises DecodeError: malformed token.
    """
    header_segment, _payload, _signature = _split(token, max_token_bytes)
    return _parse_header(header_segment)


def _canonical_alg(alg: object, algorithms: Collection[str], alg_aliases: Collection[str]) -> str:
    if not isinstance(alg, str):
        raise DecodeError("the JWS header has no string 'alg'")
    if alg in alg_aliases:
        return "SM2"
    if alg not in algorithms:
        if alg.lower() == "none":
            raise UnsupportedAlgorithmError("unsigned tokens (alg 'none') are never accepted")
        raise UnsupportedAlgorithmError(f"alg {alg!r} is not in the allowed algorithms ({', '.join(sorted(algorithms))})")
    return alg


def _check_allowlist(algorithms: Collection[str], alg_aliases: Collection[str]) -> None:
    if isinstance(algorithms, str) or not algorithms:
        raise ValueError("algorithms must be a non-empty collection of alg names, e.g. ['SM2']")
    unknown = set(algorithms) - ALGORITHMS
    if unknown:
        raise ValueError(f"unsupported algorithms in the allowlist: {', '.join(sorted(unknown))}")
    if isinstance(alg_aliases, str):
        raise TypeError("alg_aliases must be a collection of alias names, not a string")
    if alg_aliases:
        bad = set(alg_aliases) - SM2_ALIASES
        if bad:
            raise ValueError(f"not known SM2 aliases: {', '.join(sorted(bad))} (known: {', '.join(sorted(SM2_ALIASES))})")
        if "SM2" not in algorithms:
            raise ValueError("alg_aliases need 'SM2' in algorithms")


def _select_key(keys: KeySet, kid: object, alg: str, single_key_fallback: bool) -> VerificationKey:
    key = keys.get(kid) if isinstance(kid, str) else None
    if kid is not None and not isinstance(kid, str):
        raise DecodeError("the JWS header 'kid' is not a string")
    if key is None:
        if single_key_fallback:
            candidates = keys.keys_for(alg)
            if len(candidates) == 1:
                return candidates[0]
        if kid is None:
            raise TokenValidationError("the token has no 'kid' and the key set cannot pick a key", code="unknown_key")
        raise TokenValidationError(f"no key with kid {kid!r} in the key set", code="unknown_key")
    if not key.supports(alg):
        # Algorithm confusion: e.g. HS256 with a public key's kid, or RS256 against an EC key.
        raise TokenValidationError(f"key {key.kid!r} cannot verify {alg!r} tokens", code="key_mismatch")
    return key


def verify_compact(
    token: str | bytes,
    keys: KeySet,
    *,
    algorithms: Collection[str],
    alg_aliases: Collection[str] = (),
    typ: str | None = None,
    max_token_bytes: int = DEFAULT_MAX_TOKEN_BYTES,
    single_key_fallback: bool = False,
) -> VerifiedJWS:
    """Verify a JWS compact token against ``keys`` (RFC 7515 5.2).

    :param algorithms: the allowlist (required; e.g. ``["SM2"]`` or ``["ES256", "RS256"]``).
        ``none`` is never accepted; ``HS256`` only verifies with a :class:`SecretJWK`.
    :param alg_aliases: other names for "SM2" accepted on input (from :data:`SM2_ALIASES`).
    :param typ: when given, the header ``typ`` must match (case-insensitive, ``application/``
        prefix optional, RFC 7515 4.1.9).
    :param single_key_fallback: when the token has no ``kid`` (or an unknown one) and exactly one
        key in the set fits the ``alg``, use it.
    :raises DecodeError: malformed token (size, base64url, JSON, duplicate members).
    :raises UnsupportedAlgorithmError: ``alg`` not allowed (or ``none``).
    :raises TokenValidationError: ``crit``, header keys, ``typ``, unknown ``kid``, key mismatch.
    :raises InvalidSignature: the signature does not verify.
    """
    _check_allowlist(algorithms, alg_aliases)
    header_segment, payload_segment, signature_segment = _split(token, max_token_bytes)
    header = _parse_header(header_segment)
    alg = _canonical_alg(header.get("alg"), algorithms, alg_aliases)
    if "crit" in header:
        # RFC 7515 4.1.11: we understand no extension, so any crit makes the token invalid.
        raise TokenValidationError("the token marks header extensions as critical ('crit'), none is supported",
                                   code="unsupported_crit")
    if not UNTRUSTED_KEY_HEADERS.isdisjoint(header):
        names = ", ".join(sorted(UNTRUSTED_KEY_HEADERS & header.keys()))
        raise TokenValidationError(f"the token names its own key ({names}); keys come only from the key set",
                                   code="untrusted_header_key")
    if typ is not None and not _typ_matches(header.get("typ"), typ):
        raise TokenValidationError(f"the token type is {header.get('typ')!r}, expected {typ!r}", code="wrong_type")
    key = _select_key(keys, header.get("kid"), alg, single_key_fallback)
    payload = b64url_decode(payload_segment, "JWS payload")
    signature = b64url_decode(signature_segment, "JWS signature")
    signing_input = (header_segment + "." + payload_segment).encode("ascii")
    key.verify(alg, signing_input, signature)
    return VerifiedJWS(header=header, payload=payload, alg=alg, kid=key.kid, key=key)


def _typ_matches(actual: object, expected: str) -> bool:
    if not isinstance(actual, str):
        return False

    def norm(value: str) -> str:
        value = value.lower()
        return value.removeprefix("application/")

    return norm(actual) == norm(expected)
