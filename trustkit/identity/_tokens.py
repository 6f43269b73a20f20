"""The provider's use of :mod:`trustkit.token`: ID tokens, access tokens (RFC 9068 profile),
signed QR-login payloads, and their verification.

Each client is registered with one JWS algorithm; its tokens are signed with the key set's
current key for that algorithm.  Verification accepts exactly the algorithms the key set can
sign with (an allowlist, never "whatever the header says") and checks ``typ`` so that an ID
token is never accepted as an access token.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from trustkit.errors import TrustkitError
from trustkit.identity.config import IdentityConfig
from trustkit.identity.store import Client
from trustkit.token import KeySet, issue, verify, verify_compact

__all__ = ["TokenInvalid", "TokenService"]

ACCESS_TYP = "at+jwt"
ID_TYP = "JWT"
QR_TYP = "tk-qr+jwt"


class TokenInvalid(Exception):
    """A presented token is not acceptable (the reason is logged by the caller, not returned)."""


class TokenService:
    """Sign and verify the provider's tokens with a :class:`trustkit.token.KeySet`."""

    def __init__(self, keys: KeySet, config: IdentityConfig) -> None:
        self.keys = keys
        self.config = config

    def algorithms(self) -> list[str]:
        """The algorithms with a current signing key, sorted (for discovery and allowlists)."""
        return sorted(self.keys.current_algorithms())

    def jwks(self, kind: str) -> dict[str, Any]:
        """The public JWKS: ``"standard"`` or ``"sm2"`` (a separate document, see trustkit.token)."""
        return dict(self.keys.jwks("sm2" if kind == "sm2" else "standard"))

    def _sign(self, claims: dict[str, Any], alg: str, typ: str) -> str:
        return issue(claims, self.keys.signing_key(alg), typ=typ)

    def access_token(
        self, client: Client, *, sub: str, scope: str, now: int, auth_time: int | None, sid: str | None
    ) -> tuple[str, str]:
        """An RFC 9068 JWT access token for ``client``; returns (token, jti)."""
        jti = secrets.token_urlsafe(16)
        claims: dict[str, Any] = {
            "iss": self.config.issuer,
            "sub": sub,
            "aud": self.config.audience,
            "client_id": client.client_id,
            "iat": now,
            "exp": now + self.config.access_ttl,
            "jti": jti,
        }
        if scope:
            claims["scope"] = scope
        if auth_time is not None:
            claims["auth_time"] = auth_time
        if sid is not None:
            claims["sid"] = sid
        return self._sign(claims, client.alg, ACCESS_TYP), jti

    def id_token(
        self, client: Client, *, sub: str, now: int, auth_time: int, nonce: str | None, sid: str | None
    ) -> str:
        """An OIDC ID token (Core 2) for ``client``."""
        claims: dict[str, Any] = {
            "iss": self.config.issuer,
            "sub": sub,
            "aud": client.client_id,
            "iat": now,
            "exp": now + self.config.id_token_ttl,
            "auth_time": auth_time,
            "jti": secrets.token_urlsafe(12),
        }
        if nonce:
            claims["nonce"] = nonce
        if sid is not None:
            claims["sid"] = sid
        return self._sign(claims, client.alg, ID_TYP)

    def sign_qr(self, claims: dict[str, Any], *, now: int, exp: int) -> str:
        """A signed QR-login payload."""
        body = {"iss": self.config.issuer, "iat": now, "exp": exp, **claims}
        return self._sign(body, self.config.qr_alg, QR_TYP)

    def _verify(self, token: str, typ: str, audience: str | None, is_revoked: Any = None) -> dict[str, Any]:
        try:
            verified = verify(
                token,
                self.keys,
                algorithms=self.algorithms(),
                issuer=self.config.issuer,
                audience=audience,
                clock=self.config.clock,
                typ=typ,
                required_claims=("exp", "iat", "jti") if typ == ACCESS_TYP else ("exp",),
                is_revoked=is_revoked,
                max_token_bytes=16 * 1024,
            )
        except TrustkitError as exc:
            raise TokenInvalid(exc.code) from None
        return dict(verified.claims)

    def verify_access_token(self, token: str, is_revoked: Any = None) -> dict[str, Any]:
        """Claims of a valid access token of ours (signature, iss, aud, exp, ``typ`` at+jwt, and
        ``is_revoked(jti)`` when given).

        :raises TokenInvalid: anything else.
        """
        return self._verify(token, ACCESS_TYP, self.config.audience, is_revoked)

    def verify_qr(self, token: str) -> dict[str, Any]:
        """Claims of a valid QR-login payload of ours."""
        return self._verify(token, QR_TYP, None)

    def audience_of_id_token(self, token: str) -> str | None:
        """The client an ID token (``id_token_hint``) was issued to; expired hints are fine
        (OIDC RP-Initiated Logout 1.0, 2), a bad signature is not."""
        try:
            jws = verify_compact(token, self.keys, algorithms=self.algorithms(), typ=ID_TYP, max_token_bytes=16 * 1024)
            claims = json.loads(jws.payload)
        except (TrustkitError, ValueError):
            return None
        if not isinstance(claims, dict) or claims.get("iss") != self.config.issuer:
            return None
        aud = claims.get("aud")
        return aud if isinstance(aud, str) else None
