"""Identity provider settings and client-secret handling."""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from trustkit.primitives import sm3

__all__ = [
    "IdentityConfig",
    "KeySpec",
    "Settings",
    "check_client_secret",
    "client_secret_digest",
    "load_settings",
    "new_client_secret",
]


@dataclass(frozen=True)
class IdentityConfig:
    """Settings of :func:`trustkit.identity.oidc.create_identity_app`.

    :param issuer: the provider's issuer URL (``iss``), no trailing slash; ``https://`` makes cookies Secure.
    :param pepper: a server secret (≥ 32 bytes) keying client-secret digests and CSRF tokens.
    :param clock: seconds since the epoch; injected so tests control time.
    """

    issuer: str
    pepper: bytes
    resource_audience: str | None = None
    code_ttl: int = 60
    access_ttl: int = 600
    id_token_ttl: int = 600
    refresh_ttl: int = 30 * 86400
    session_ttl: int = 8 * 3600
    login_ttl: int = 600
    qr_ttl: int = 120
    login_attempts: int = 5
    login_window: int = 300
    max_body: int = 64 * 1024
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    argon2_parallelism: int = 4
    qr_alg: str = "ES256"
    purge_interval: float = 300.0
    clock: Callable[[], float] = field(default=time.time, compare=False)

    def __post_init__(self) -> None:
        if self.issuer.endswith("/"):
            raise ValueError("issuer must not end with '/'")
        if not (self.issuer.startswith("https://") or self.issuer.startswith("http://")):
            raise ValueError("issuer must be an http(s) URL")
        if len(self.pepper) < 32:
            raise ValueError("pepper must be at least 32 bytes")

    @property
    def secure_cookies(self) -> bool:
        """True when the issuer is served over https."""
        return self.issuer.startswith("https://")

    @property
    def audience(self) -> str:
        """The ``aud`` of access tokens (RFC 9068): the resource audience, default the issuer."""
        return self.resource_audience or self.issuer


def new_client_secret() -> str:
    """A random 256-bit client secret, base64url."""
    return secrets.token_urlsafe(32)


def client_secret_digest(pepper: bytes, secret: str) -> str:
    """HMAC-SM3(pepper, secret) in hex: the stored form of a client secret.

    Client secrets are random 256-bit values, not passwords, so a keyed hash is enough and keeps
    the token endpoint fast; the pepper stays out of the database.
    """
    return sm3.hmac(pepper, secret.encode("utf-8")).hex()


def check_client_secret(pepper: bytes, secret: str, stored_digest: str) -> bool:
    """Constant-time comparison of a presented secret with its stored digest."""
    return hmac.compare_digest(client_secret_digest(pepper, secret), stored_digest)


@dataclass(frozen=True)
class KeySpec:
    """A signing key file named in the settings file."""

    path: str
    alg: str | None = None
    kid: str | None = None


@dataclass(frozen=True)
class Settings:
    """Everything ``trustkit serve --identity`` reads from its TOML file.

    ``database`` is ``sqlite:PATH`` (default ``sqlite:identity.db``) or a ``postgresql://`` URL.
    """

    config: IdentityConfig
    database: str
    keys: tuple[KeySpec, ...]
    clients: tuple[dict[str, object], ...]


def load_settings(path: str) -> Settings:
    """Read an identity TOML file::

        [identity]
        issuer = "https://id.example.gov.cn"
        pepper_file = "pepper.bin"          # 32+ random bytes, mode 0600
        database = "sqlite:identity.db"     # or "postgresql://user@host/db"

        [[keys]]
        path = "es256.pem"                  # PEM/DER private key or private JWK
        alg = "ES256"

        [[clients]]
        client_id = "portal-a"
        secret_digest = "..."               # HMAC-SM3 hex (trustkit.identity.client_secret_digest)
        redirect_uris = ["https://a.example/cb"]
        alg = "SM2"

    Relative paths are relative to the file.

    :raises ConfigurationError: missing or malformed settings.
    """
    import os

    import tomllib

    from trustkit.errors import ConfigurationError

    base = os.path.dirname(os.path.abspath(path))
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        section = data["identity"]
        pepper_path = os.path.join(base, section["pepper_file"])
        with open(pepper_path, "rb") as fh:
            pepper = fh.read()
        known = {f for f in IdentityConfig.__dataclass_fields__ if f not in ("issuer", "pepper", "clock")}
        extra = {k: v for k, v in section.items() if k in known}
        config = IdentityConfig(issuer=section["issuer"], pepper=pepper, **extra)
        database = str(section.get("database", "sqlite:identity.db"))
        if database.startswith("sqlite:"):
            database = "sqlite:" + os.path.join(base, database[len("sqlite:") :])
        keys = tuple(
            KeySpec(path=os.path.join(base, k["path"]), alg=k.get("alg"), kid=k.get("kid")) for k in data.get("keys", [])
        )
        clients = tuple(dict(c) for c in data.get("clients", []))
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"cannot load identity settings from {path}: {exc!r}") from None
    if not keys:
        raise ConfigurationError(f"{path}: at least one [[keys]] entry is required")
    return Settings(config=config, database=database, keys=keys, clients=clients)
