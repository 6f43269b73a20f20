"""The listener: run the daemon's app under uvicorn (``serve(config)``).

* Binds 127.0.0.1 by default; TLS when ``tls_cert``/``tls_key`` are set, and client certificates
  are required (mTLS) when ``tls_client_ca`` is set.
* SIGTERM/SIGINT: uvicorn stops accepting, lets in-flight requests finish (up to
  ``graceful_timeout`` seconds), then the app's shutdown flushes the audit log and seals.
* ``workers > 1`` starts that many processes (uvicorn's supervisor); each builds its own state
  from the configuration passed in the environment and must unseal, so multi-worker mode needs
  ``unseal_passphrase_file``.  All workers share the SQLite/PostgreSQL store and the audit chain
  (``flock`` on the file, an advisory lock in PostgreSQL).
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

__all__ = ["app_factory", "serve", "uvicorn_options"]

_ENV = "TRUSTKIT_DAEMON_RESOLVED_CONFIG"


def app_factory() -> Starlette:
    """Build the app in a worker process from the configuration :func:`serve` put in the environment."""
    values = json.loads(os.environ[_ENV])
    config = load_config(flags=values, env={})
    daemon = Daemon.from_config(config)
    return create_app(daemon)


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
            raise ConfigurationError("workers > 1 needs unseal_passphrase_file: each worker process unseals itself")
        os.environ[_ENV] = json.dumps(dict(config.values))
        uvicorn.run("trustkit.daemon.server:app_factory", factory=True, workers=int(config.workers), **options)
        return
    daemon = Daemon.from_config(config)
    app = create_app(daemon)
    uvicorn.run(app, **options)


if __name__ == "__main__":  # python -m trustkit.daemon.server CONFIG.toml (used by tests and process managers)
    import sys

    serve(load_config(path=sys.argv[1] if len(sys.argv) > 1 else None))
