"""Unified identity: an OpenID Connect provider subset with SSO sessions, TOTP and QR login.

Build the ASGI app with :func:`create_identity_app` (Starlette; serve it with uvicorn, or mount
it in another Starlette app), storage with :class:`SQLiteStore` (default) or
:class:`PostgresStore`, and signing keys with :class:`trustkit.token.KeySet`.
"""

from __future__ import annotations

from trustkit.identity.config import (
    IdentityConfig,
    check_client_secret,
    client_secret_digest,
    load_settings,
    new_client_secret,
)
from trustkit.identity.oidc import create_identity_app
from trustkit.identity.passwords import PasswordHashing
from trustkit.identity.store import Client, PostgresStore, SQLiteStore, SQLStore, User
from trustkit.identity.totp import (
    enrolment_qr_png,
    enrolment_uri,
    new_recovery_codes,
    new_secret,
    verify_recovery_code,
    verify_totp,
)

__all__ = [
    "Client",
    "IdentityConfig",
    "PasswordHashing",
    "PostgresStore",
    "SQLStore",
    "SQLiteStore",
    "User",
    "check_client_secret",
    "client_secret_digest",
    "create_identity_app",
    "enrolment_qr_png",
    "enrolment_uri",
    "load_settings",
    "new_client_secret",
    "new_recovery_codes",
    "new_secret",
    "verify_recovery_code",
    "verify_totp",
]
