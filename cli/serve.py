"""``trustkit serve --identity``: run the OpenID Connect provider (Starlette on uvicorn).

The signing daemon (issue 8) will add its own app to the same command; ``--identity`` selects the
identity provider.  Loopback by default: put a TLS-terminating proxy in front for production, and
set the issuer to its https URL so cookies are marked Secure.
"""

from __future__ import annotations

import argparse
from typing import Any

from ._output import EXIT_OK, CommandError, command

EXAMPLES = """\
  trustkit serve --identity --config identity.toml
  trustkit serve --identity --config identity.toml --host 127.0.0.1 --port 8443 --workers 2
"""


def build_identity_app(config_path: str) -> Any:
    """The identity provider app described by a settings file (also used by uvicorn workers)."""
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
    if settings.database.startswith("postgresql://") or settings.database.startswith("postgres://"):
        store: SQLiteStore | PostgresStore = PostgresStore(settings.database)
    elif settings.database.startswith("sqlite:"):
        store = SQLiteStore(settings.database[len("sqlite:") :])
    else:
        raise CommandError(f"unsupported database {settings.database!r} (use sqlite:PATH or postgresql://...)")
    for entry in settings.clients:
        data: dict[str, Any] = dict(entry)
        store.put_client(
            Client(
                client_id=str(data["client_id"]),
                redirect_uris=tuple(data.get("redirect_uris", ())),
                secret_digest=data.get("secret_digest"),
                alg=str(data.get("alg", "ES256")),
                post_logout_redirect_uris=tuple(data.get("post_logout_redirect_uris", ())),
                grant_types=tuple(data.get("grant_types", ("authorization_code", "refresh_token"))),
                scopes=tuple(data.get("scopes", ("openid", "profile", "email", "offline_access"))),
                name=str(data.get("name", "")),
            )
        )
    return create_identity_app(settings.config, store, keys)


def identity_app_factory() -> Any:
    """uvicorn ``--factory`` entry point; reads the settings path from TRUSTKIT_IDENTITY_CONFIG."""
    import os

    return build_identity_app(os.environ["TRUSTKIT_IDENTITY_CONFIG"])


def _serve(args: argparse.Namespace) -> int:
    if not args.identity:
        raise CommandError("choose what to serve: --identity (the signing daemon will be added here)")
    import os

    import uvicorn

    if args.host not in ("127.0.0.1", "::1", "localhost"):
        print(f"warning: listening on {args.host}, not loopback; terminate TLS in front of this server")
    build_identity_app(args.config)  # fail early, in this process, on a bad settings file
    os.environ["TRUSTKIT_IDENTITY_CONFIG"] = os.path.abspath(args.config)
    uvicorn.run(
        "trustkit_cli.serve:identity_app_factory",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=args.access_log,
    )
    return EXIT_OK


def register(sub: Any) -> None:
    """Add ``trustkit serve``."""
    parser = command(
        sub,
        "serve",
        help="run a trustkit service (--identity: the OpenID Connect provider)",
        description="Run the OpenID Connect provider (SSO login, TOTP, QR login, tokens) over HTTP with uvicorn.",
        examples=EXAMPLES,
    )
    parser.add_argument("--identity", action="store_true", help="serve the identity provider")
    parser.add_argument("--config", required=True, metavar="FILE", help="identity settings (TOML)")
    parser.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8443, help="listen port (default 8443)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    parser.add_argument("--access-log", action="store_true", help="log every request (off by default)")
    parser.set_defaults(handler=_serve)
