"""``trustkit serve``: run the signing daemon (issue 8), or ``--identity`` for the OpenID Connect
provider alone.

``trustkit serve --config daemon.toml`` is ``trustkit daemon serve`` (kept as an alias); when the
file also has an ``[identity]`` table the identity provider is mounted at ``/identity`` in the same
server.  ``trustkit serve --identity --config identity.toml`` serves only the identity provider.
Loopback by default: for production use TLS (the daemon's ``tls_cert``/``tls_key``) or a
TLS-terminating proxy, and set the identity issuer to its https URL so cookies are marked Secure.
"""

from __future__ import annotations

import argparse
from typing import Any

from ._output import EXIT_OK, CommandError, command

EXAMPLES = """\
  trustkit serve --config daemon.toml                       # the signing daemon (+ /identity if configured)
  trustkit serve --config daemon.toml --workers 2 --unseal-passphrase-file /run/secrets/unseal
  trustkit serve --identity --config identity.toml          # only the OpenID Connect provider
  trustkit serve --identity --config identity.toml --host 127.0.0.1 --port 8443 --workers 2

Workers > 1 (daemon): the unseal state is held per worker process, and PUT /v1/sys/unseal
(`trustkit daemon unseal`) reaches only the worker that took the connection; the others stay
sealed.  Multi-worker mode therefore requires unseal_passphrase_file (each worker unseals itself
at start); the daemon refuses to start with workers > 1 without it.
"""


def build_identity_app(config_path: str) -> Any:
    """The identity provider app described by a settings file (also used by uvicorn workers)."""
    from trustkit.daemon.identity import build_identity_app as build

    return build(config_path)


def identity_app_factory() -> Any:
    """uvicorn ``--factory`` entry point; reads the settings path from TRUSTKIT_IDENTITY_CONFIG."""
    import os

    return build_identity_app(os.environ["TRUSTKIT_IDENTITY_CONFIG"])


def _serve_identity(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    if not args.config:
        raise CommandError("--identity needs --config FILE (the identity settings)")
    host = args.cfg_host or "127.0.0.1"
    if host not in ("127.0.0.1", "::1", "localhost"):
        print(f"warning: listening on {host}, not loopback; terminate TLS in front of this server")
    build_identity_app(args.config)  # fail early, in this process, on a bad settings file
    os.environ["TRUSTKIT_IDENTITY_CONFIG"] = os.path.abspath(args.config)
    uvicorn.run(
        "trustkit_cli.serve:identity_app_factory",
        factory=True,
        host=host,
        port=args.cfg_port or 8443,
        workers=args.cfg_workers or 1,
        log_level=args.cfg_log_level or "info",
        access_log=args.access_log,
    )
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    if args.identity:
        return _serve_identity(args)
    from .daemon import _serve as serve_daemon

    return serve_daemon(args)


def register(sub: Any) -> None:
    """Add ``trustkit serve``."""
    from .daemon import _config_flags

    parser = command(
        sub,
        "serve",
        help="run the signing daemon (alias of 'daemon serve'), or --identity: the OpenID Connect provider",
        description="Run the trustkit signing daemon (Vault transit-compatible API; starts sealed unless\n"
                    "unseal_passphrase_file is set), with the identity provider mounted at /identity when the\n"
                    "configuration file has an [identity] table.  With --identity, run only the OpenID Connect\n"
                    "provider (SSO login, TOTP, QR login, tokens).",
        examples=EXAMPLES,
    )
    parser.add_argument("--identity", action="store_true",
                        help="serve only the identity provider (--config is its settings file; defaults: "
                             "port 8443, log level info)")
    parser.add_argument("--access-log", action="store_true", help="log every request (--identity; off by default)")
    _config_flags(parser)
    parser.set_defaults(handler=_serve)
