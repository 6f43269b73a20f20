"""The records the identity store keeps (frozen dataclasses) and the digest of stored secrets."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["AuthCode", "Client", "LoginTransaction", "RefreshRecord", "Session", "User", "digest"]


def digest(secret: str) -> str:
    """The stored form of a random secret (code, session id, refresh token): hex SHA-256."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class User:
    """A person who can log in.  ``totp_secret`` is base32 (pyotp) or None if not enrolled."""

    sub: str
    username: str
    password_hash: str
    totp_secret: str | None = None
    email: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Client:
    """A registered relying party (a portal).

    ``secret_digest`` is HMAC-SM3(pepper, secret) in hex, or None for a public client (which
    must use PKCE S256).  ``alg`` is the JWS algorithm of the tokens issued to it.  ``consent``
    asks the user to approve the requested scopes once (third-party portals); first-party portals
    of the same administration leave it off.
    """

    client_id: str
    redirect_uris: tuple[str, ...]
    secret_digest: str | None = None
    alg: str = "ES256"
    post_logout_redirect_uris: tuple[str, ...] = ()
    grant_types: tuple[str, ...] = ("authorization_code", "refresh_token")
    scopes: tuple[str, ...] = ("openid", "profile", "email", "offline_access")
    name: str = ""
    consent: bool = False

    @property
    def is_public(self) -> bool:
        """True when the client has no secret."""
        return self.secret_digest is None

    def to_json(self) -> str:
        """Serialise for the ``clients`` table."""
        return json.dumps(
            {
                "redirect_uris": list(self.redirect_uris),
                "secret_digest": self.secret_digest,
                "alg": self.alg,
                "post_logout_redirect_uris": list(self.post_logout_redirect_uris),
                "grant_types": list(self.grant_types),
                "scopes": list(self.scopes),
                "name": self.name,
                "consent": self.consent,
            }
        )

    @classmethod
    def from_json(cls, client_id: str, text: str) -> Client:
        """Inverse of :meth:`to_json`."""
        data = json.loads(text)
        return cls(
            client_id=client_id,
            redirect_uris=tuple(data["redirect_uris"]),
            secret_digest=data["secret_digest"],
            alg=data["alg"],
            post_logout_redirect_uris=tuple(data["post_logout_redirect_uris"]),
            grant_types=tuple(data["grant_types"]),
            scopes=tuple(data["scopes"]),
            name=data.get("name", ""),
            consent=bool(data.get("consent", False)),
        )


@dataclass(frozen=True)
class AuthCode:
    """An authorization code as stored (RFC 6749 4.1.2), bound to client, redirect URI and PKCE."""

    code_hash: str
    client_id: str
    sub: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    session_hash: str | None
    auth_time: int
    expires: int
    used: bool = False
    family_id: str | None = None
    access_jti: str | None = None


@dataclass(frozen=True)
class Session:
    """A server-side SSO session; the cookie holds the random id, the row holds its digest."""

    session_hash: str
    sub: str
    auth_time: int
    expires: int
    amr: tuple[str, ...] = ("pwd",)
    ended: bool = False


@dataclass(frozen=True)
class LoginTransaction:
    """A login in progress: the authorization request it serves, and the user once the password passed."""

    tid_hash: str
    params: dict[str, str] | None
    expires: int
    sub: str | None = None
    stage: str = "password"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RefreshRecord:
    """A refresh token (as stored) and the family it belongs to."""

    token_hash: str
    family_id: str
    client_id: str
    sub: str
    scope: str
    session_hash: str | None
    auth_time: int
    expires: int
    used: bool
    family_revoked: bool
