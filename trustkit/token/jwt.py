"""JSON Web Tokens (RFC 7519): :func:`issue` and :func:`verify` with claims validation.

Time is a parameter: ``clock`` returns the current time (POSIX seconds or an aware datetime),
``leeway`` widens every time check.  Example::

    from trustkit.token import KeySet, SigningJWK, issue, verify
    keys = KeySet()
    keys.rotate(SigningJWK.generate("SM2"))
    token = issue({"iss": "https://id.example.cn", "sub": "u1", "aud": "portal", "exp": now + 300},
                  keys.signing_key("SM2"))
    verified = verify(token, keys, algorithms=["SM2"], issuer="https://id.example.cn", audience="portal")
    verified.claims["sub"]
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from trustkit.errors import DecodeError
from trustkit.token._codec import json_dumps, json_loads
from trustkit.errors import TokenValidationError
from trustkit.token.jwk import SecretJWK, SigningJWK
from trustkit.token.jws import DEFAULT_MAX_TOKEN_BYTES, sign_compact, verify_compact
from trustkit.token.keyset import KeySet, VerificationKey

__all__ = ["NUMERIC_DATE_CLAIMS", "Clock", "VerifiedToken", "issue", "verify"]

#: Returns the current time: POSIX seconds (``time.time``) or an aware datetime.
Clock = Callable[[], float | int | datetime]
#: Claims that hold a NumericDate (RFC 7519 2); :func:`issue` converts datetimes in them.
NUMERIC_DATE_CLAIMS: Final = frozenset({"exp", "nbf", "iat"})
_STRING_CLAIMS: Final = ("iss", "sub", "jti")


@dataclass(frozen=True)
class VerifiedToken:
    """A token whose signature and claims checked out.

    :ivar header: protected header (read-only).
    :ivar claims: the claims (a fresh dict per verification).
    :ivar alg: canonical algorithm (``"SM2"`` also for an allowed alias).
    :ivar kid: ``kid`` of the key that verified it.
    :ivar key: that key.
    """

    header: Mapping[str, Any]
    claims: dict[str, Any]
    alg: str
    kid: str
    key: VerificationKey

    @property
    def subject(self) -> str | None:
        value = self.claims.get("sub")
        return value if isinstance(value, str) else None

    @property
    def jti(self) -> str | None:
        value = self.claims.get("jti")
        return value if isinstance(value, str) else None


def _numeric(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("datetime claims must be timezone-aware")
        return int(value.timestamp())
    return value


def issue(claims: Mapping[str, Any], key: SigningJWK | SecretJWK, *, alg: str | None = None, typ: str | None = "JWT",
          headers: Mapping[str, Any] | None = None) -> str:
    """Sign ``claims`` as a JWT (JWS compact).  Header: ``alg``, ``kid`` (the key's), ``typ``.

    ``exp``/``nbf``/``iat`` may be aware datetimes (converted to NumericDate); nothing else is
    added or checked: put ``iss``, ``aud``, ``exp``, ``jti`` in ``claims`` yourself.

    :param alg: default the key's algorithm (:attr:`SigningJWK.alg`).
    :param typ: header ``typ`` (``"JWT"``; RFC 9068 access tokens use ``"at+jwt"``); None omits it.
    :param headers: extra header members (not ``alg``/``kid``/``crit``).
    :raises ValueError: claims are not JSON-serialisable, or a naive datetime.
    """
    if not isinstance(claims, Mapping):
        raise TypeError("claims must be a mapping")
    body = dict(claims)
    for name in NUMERIC_DATE_CLAIMS & body.keys():
        body[name] = _numeric(body[name])
    try:
        payload = json_dumps(body)
    except TypeError as exc:
        raise ValueError(f"claims are not JSON-serialisable: {exc}") from None
    return sign_compact(payload, key, alg=alg, typ=typ, headers=headers)


def _now(clock: Clock | None) -> float:
    if clock is None:
        return time.time()
    value = clock()
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("the clock must return an aware datetime (or POSIX seconds)")
        return value.timestamp()
    return float(value)


def _number(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TokenValidationError(f"the claim {name!r} must be a NumericDate (a number)", code="invalid_claim")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        # JSON 1e400 parses as infinity; an unbounded exp/nbf/iat is not a date.
        raise TokenValidationError(f"the claim {name!r} is not a finite NumericDate", code="invalid_claim")
    return number


def _as_set(value: str | Collection[str], what: str) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value})
    result = frozenset(value)
    if not result or not all(isinstance(item, str) for item in result):
        raise ValueError(f"{what} must be a string or a non-empty collection of strings")
    return result


def _check_claims(claims: Mapping[str, Any], *, now: float, leeway: float, issuer: str | Collection[str] | None,
                  audience: str | Collection[str] | None, required_claims: Collection[str],
                  is_revoked: Callable[[str], bool] | None) -> None:
    for name in required_claims:
        if name not in claims:
            raise TokenValidationError(f"the token has no {name!r} claim", code="missing_claim")
    for name in _STRING_CLAIMS:
        if name in claims and not isinstance(claims[name], str):
            raise TokenValidationError(f"the claim {name!r} must be a string", code="invalid_claim")
    exp = _number(claims, "exp")
    if exp is not None and now >= exp + leeway:
        raise TokenValidationError("the token has expired", code="expired")
    nbf = _number(claims, "nbf")
    if nbf is not None and now + leeway < nbf:
        raise TokenValidationError("the token is not valid yet (nbf)", code="not_yet_valid")
    iat = _number(claims, "iat")
    if iat is not None and iat > now + leeway:
        raise TokenValidationError("the token was issued in the future (iat)", code="issued_in_future")
    if issuer is not None:
        iss = claims.get("iss")
        if iss is None:
            raise TokenValidationError("the token has no 'iss' claim", code="missing_claim")
        if iss not in _as_set(issuer, "issuer"):
            raise TokenValidationError(f"the token's issuer {iss!r} is not accepted", code="wrong_issuer")
    aud = claims.get("aud")
    if aud is not None:
        if isinstance(aud, str):
            token_aud = {aud}
        elif isinstance(aud, list) and all(isinstance(item, str) for item in aud):
            token_aud = set(aud)
        else:
            raise TokenValidationError("the claim 'aud' must be a string or an array of strings",
                                       code="invalid_claim")
        if audience is None:
            # RFC 7519 4.1.3: a recipient that does not identify itself with a value in aud MUST reject.
            raise TokenValidationError("the token is restricted to an audience; pass audience= to accept it",
                                       code="wrong_audience")
        if token_aud.isdisjoint(_as_set(audience, "audience")):
            raise TokenValidationError("the token is for another audience", code="wrong_audience")
    elif audience is not None:
        raise TokenValidationError("the token has no 'aud' claim", code="missing_claim")
    if is_revoked is not None:
        jti = claims.get("jti")
        if jti is None:
            raise TokenValidationError("the token has no 'jti' claim to check for revocation", code="missing_claim")
        if is_revoked(jti):
            raise TokenValidationError("the token has been revoked", code="revoked")


def verify(
    token: str | bytes,
    keys: KeySet,
    *,
    algorithms: Collection[str],
    issuer: str | Collection[str] | None = None,
    audience: str | Collection[str] | None = None,
    leeway: float | timedelta = 0,
    clock: Clock | None = None,
    required_claims: Collection[str] = (),
    is_revoked: Callable[[str], bool] | None = None,
    typ: str | None = None,
    alg_aliases: Collection[str] = (),
    max_token_bytes: int = DEFAULT_MAX_TOKEN_BYTES,
    single_key_fallback: bool = False,
) -> VerifiedToken:
    """Verify a JWT's signature against ``keys`` and validate its claims (RFC 7519 7.2).

    Checks, in order: size, structure, ``alg`` in ``algorithms`` (never ``none``), no ``crit``,
    no token-supplied keys (``jwk``/``jku``/``x5u``), ``typ`` if asked, the key by ``kid``, the
    signature, the claims object, then ``exp``/``nbf``/``iat`` (with ``leeway``), ``iss``,
    ``aud`` (a token with ``aud`` needs ``audience=``), ``required_claims`` and ``jti`` revocation.

    :param algorithms: allowlist, required (e.g. ``["SM2"]``, ``["ES256", "RS256"]``).
    :param issuer: accepted issuer(s); None skips the check.
    :param audience: this recipient's identifier(s).
    :param leeway: seconds (or a timedelta) of clock skew tolerated.
    :param clock: current time; default ``time.time``.
    :param required_claims: claim names that must be present (e.g. ``("exp", "sub")``).
    :param is_revoked: ``is_revoked(jti) -> bool``; when given, ``jti`` is required.
    :param typ: expected header ``typ`` (e.g. ``"at+jwt"``).
    :param alg_aliases: accepted other names for SM2 (see :data:`trustkit.token.jwk.SM2_ALIASES`).
    :param single_key_fallback: see :func:`trustkit.token.jws.verify_compact`.
    :raises DecodeError: malformed token or claims not a JSON object.
    :raises UnsupportedAlgorithmError: ``alg`` not allowed.
    :raises InvalidSignature: bad signature.
    :raises TokenValidationError: a header or claim check failed (``.code`` says which).
    """
    seconds = leeway.total_seconds() if isinstance(leeway, timedelta) else float(leeway)
    if seconds < 0:
        raise ValueError("leeway must not be negative")
    jws = verify_compact(token, keys, algorithms=algorithms, alg_aliases=alg_aliases, typ=typ,
                         max_token_bytes=max_token_bytes, single_key_fallback=single_key_fallback)
    claims = json_loads(jws.payload, "JWT claims")
    if not isinstance(claims, dict):
        raise DecodeError("the JWT claims are not a JSON object (RFC 7519 7.2 step 10)")
    _check_claims(claims, now=_now(clock), leeway=seconds, issuer=issuer, audience=audience,
                  required_claims=required_claims, is_revoked=is_revoked)
    return VerifiedToken(header=jws.header, claims=claims, alg=jws.alg, kid=jws.kid, key=jws.key)
