"""The listener: run the daemon's app under uvicorn (``serve(config)``).

* Binds 127.0.0.1 by default; TLS when ``tls_cert``/``tls_key`` are set, and client certificates
  are required (mTLS) when ``tls_client_ca`` is set.
* SIGTERM/SIGINT: uvicorn stops accepting, lets in-flight requests finish (up to
  ``graceful_timeout`` seconds), then the app's shutdown flushes the audit log and seals.
* The identity provider (OpenID Connect) is mounted at ``/identity`` when ``identity_config``
  is set, which it is automatically when the configuration file has an ``[identity]`` table.
* ``workers > 1`` starts that many processes (uvicorn's supervisor); each builds its own state
  from the configuration passed in the environment.  **The unseal state is per process**: a
  ``PUT /v1/sys/unseal`` reaches the one worker the connection landed on, and the others stay
  sealed (answering 503).  So multi-worker mode requires ``unseal_passphrase_file``, from
  which every worker unseals itself at start; :func:`serve` refuses ``workers > 1`` without it.
  All workers share the SQLite/PostgreSQL store and the audit chain (``flock`` on the file, an
  advisory lock in PostgreSQL).
"""

from __future__ import annotations

import json
import os
import ssl
from typing import Any

from starlette.applications import Starlette

from trustkit.daemon.app import create_app
from trustkit.daemon.config import DaemonConfig, load_config
from trustkit.daemon.state import Daemon
from trustkit.errors import ConfigurationError

__all__ = ["app_factory", "build_app", "serve", "uvicorn_options"]

_ENV = "TRUSTKIT_DAEMON_RESOLVED_CONFIG"


def app_factory() -> Starlette:
    """Build the app in a worker process from the configuration :func:`serve` put in the environment."""
    values = json.loads(os.environ[_ENV])
    config = load_config(flags=values, env={})
    return build_app(config)


def build_app(config: DaemonConfig) -> Starlette:
    """The daemon's app for ``config``, with the identity app at ``/identity`` when configured.

    The identity settings are read before the daemon opens its storage, so a bad file fails
    without leaving anything open.
    """
    identity_app = None
    if config.identity_config:
        from trustkit.daemon.identity import build_identity_app

        identity_app = build_identity_app(str(config.identity_config))
    daemon = Daemon.from_config(config)
    return create_app(daemon, identity_app=identity_app)


def uvicorn_options(config: DaemonConfig) -> dict[str, Any]:
    """The uvicorn keyword arguments for ``config`` (listener, TLS, graceful shutdown)."""
    options: dict[str, Any] = {
        "host": config.host, "port": int(config.port), "log_level": config.log_level, "access_log": False,
        "timeout_graceful_shutdown": float(config.graceful_timeout), "server_header": False,
        "lifespan": "on", "loop": "auto", "http": config.http, "backlog": 2048,
    }
    if config.tls_cert:
        options.update(ssl_certfile=config.tls_cert, ssl_keyfile=config.tls_key)
        if config.tls_client_ca:
            options.update(ssl_ca_certs=config.tls_client_ca, ssl_cert_reqs=ssl.CERT_REQUIRED)
    return options


def serve(config: DaemonConfig) -> None:
    """Run the daemon until SIGTERM/SIGINT (blocking)."""
    import uvicorn

    options = uvicorn_options(config)
    if int(config.workers) > 1:
        if not config.unseal_passphrase_file:
            raise ConfigurationError("workers > 1 needs unseal_passphrase_file: the unseal state is per worker "
                                     "process (PUT /v1/sys/unseal reaches one worker only), so each worker "
                                     "unseals itself at start from that file")
        os.environ[_ENV] = json.dumps(dict(config.values))
        uvicorn.run("trustkit.daemon.server:app_factory", factory=True, workers=int(config.workers), **options)
        return
    uvicorn.run(build_app(config), **options)


if __name__ == "__main__":  # python -m trustkit.daemon.server CONFIG.toml (used by tests and process managers)
    import sys

    serve(load_config(path=sys.argv[1] if len(sys.argv) > 1 else None))
