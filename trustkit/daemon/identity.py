"""Build the identity provider app (OpenID Connect, :mod:`trustkit.identity`) from its settings file.

The daemon mounts it at ``/identity`` when its configuration file has an ``[identity]`` section
(or ``identity_config`` names another file); ``trustkit serve --identity`` serves it alone.
The settings format is :func:`trustkit.identity.load_settings`'s (``[identity]``, ``[[keys]]``,
``[[clients]]``; relative paths are relative to the file).
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp

from trustkit.errors import ConfigurationError

__all__ = ["build_identity_app"]


def build_identity_app(config_path: str) -> ASGIApp:
    """The identity provider app described by the settings file at ``config_path``.

    :raises ConfigurationError: malformed settings or an unsupported database URL.
    """
    from trustkit.identity import (
        Client,
        PostgresStore,
        SQLiteStore,
        create_identity_app,
        load_settings,
    )
    from trustkit.token import KeySet, load_signing_jwk

    settings = load_settings(config_path)
    keys = KeySet()
    for spec in settings.keys:
        with open(spec.path, "rb") as fh:
            keys.rotate(load_signing_jwk(fh.read(), alg=spec.alg, kid=spec.kid))
    if settings.database.startswith(("postgresql://", "postgres://")):
        store: SQLiteStore | PostgresStore = PostgresStore(settings.database)
    elif settings.database.startswith("sqlite:"):
        store = SQLiteStore(settings.database[len("sqlite:"):])
    else:
        raise ConfigurationError(f"unsupported database {settings.database!r} (use sqlite:PATH or postgresql://...)")
    for entry in settings.clients:
        data: dict[str, Any] = dict(entry)
        store.put_client(Client(
            client_id=str(data["client_id"]),
            redirect_uris=tuple(data.get("redirect_uris", ())),
            secret_digest=data.get("secret_digest"),
            alg=str(data.get("alg", "ES256")),
            post_logout_redirect_uris=tuple(data.get("post_logout_redirect_uris", ())),
            grant_types=tuple(data.get("grant_types", ("authorization_code", "refresh_token"))),
            scopes=tuple(data.get("scopes", ("openid", "profile", "email", "offline_access"))),
            name=str(data.get("name", "")),
        ))
    app: ASGIApp = create_identity_app(settings.config, store, keys)
    return app
