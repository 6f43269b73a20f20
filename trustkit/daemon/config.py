"""The daemon's configuration: one schema; values from defaults < TOML file < environment < flags.

Each option has a default, a type and help text (Radicale's schema idea); the CLI derives its
flags from :data:`SCHEMA`, and :class:`DaemonConfig` records where each value came from.
Environment variables are ``TRUSTKIT_DAEMON_<NAME>`` (upper case).  The TOML file uses the
same names at top level or under a ``[daemon]`` table.  The library parses TOML with the
standard ``tomllib`` (Python 3.11+); the file is read by the CLI and passed as text or a path.

The same file may also hold the identity provider's settings (``[identity]``, ``[[keys]]``,
``[[clients]]``, see :func:`trustkit.identity.load_settings`); those tables are not daemon
options.  When the file given by ``path`` has an ``[identity]`` table and ``identity_config`` is
not set, ``identity_config`` becomes that file, and the daemon mounts the identity app at
``/identity``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trustkit.errors import ConfigurationError, SecurityWarning

__all__ = ["IDENTITY_TABLES", "SCHEMA", "DaemonConfig", "Option", "load_config"]


@dataclass(frozen=True)
class Option:
    name: str
    default: Any
    type: type
    help: str


SCHEMA: tuple[Option, ...] = (
    Option("host", "127.0.0.1", str, "address to bind (loopback by default)"),
    Option("port", 8200, int, "TCP port (Vault's default 8200)"),
    Option("data_dir", "./trustkit-daemon", str, "directory for the database, audit log and pepper"),
    Option("storage", "sqlite", str, "sqlite or postgresql"),
    Option("sqlite_path", "", str, "SQLite file (default DATA_DIR/trustkit.db)"),
    Option("database_url", "", str, "PostgreSQL connection string (storage = postgresql)"),
    Option("audit", "file", str, "audit sink: file (JSON lines) or storage (the database's audit table)"),
    Option("audit_path", "", str, "audit JSON-lines file (default DATA_DIR/audit.jsonl)"),
    Option("pepper_file", "", str, "secret for token hashes and audit HMACs (default DATA_DIR/pepper, created 0600)"),
    Option("unseal_passphrase_file", "", str, "unseal at start with the passphrase in this file (needed with workers > 1)"),
    Option("identity_config", "", str, "identity provider settings (TOML with [identity]) to mount at /identity "
           "(default: the configuration file itself when it has an [identity] table)"),
    Option("http", "auto", str, "uvicorn HTTP parser: auto (httptools when installed, fastest) or h11 (also "
           "accepts Vault's LIST method; with httptools use ?list=true, as hvac's strict_http does)"),
    Option("workers", 1, int, "uvicorn worker processes; > 1 requires unseal_passphrase_file (unseal state is per "
           "process: PUT /v1/sys/unseal reaches one worker only)"),
    Option("max_body_bytes", 1 << 20, int, "largest JSON request body"),
    Option("max_document_bytes", 32 << 20, int, "largest document for the stamping endpoints"),
    Option("max_batch_items", 1000, int, "largest batch_input"),
    Option("default_rate_limit", 0.0, float, "requests per second for new tokens (0 = unlimited)"),
    Option("signature_prefix", "vault", str, "prefix of signature strings: vault (hvac compatible) or tk"),
    Option("scrypt_n", 1 << 15, int, "scrypt cost for the passphrase KDF (at init)"),
    Option("key_cache_ttl", 1.0, float, "seconds before key metadata is re-read (multi-instance rotation)"),
    Option("tls_cert", "", str, "PEM server certificate (enables HTTPS)"),
    Option("tls_key", "", str, "PEM server key"),
    Option("tls_client_ca", "", str, "PEM CA bundle: require client certificates (mTLS)"),
    Option("graceful_timeout", 10.0, float, "seconds to drain in-flight requests on shutdown"),
    Option("log_level", "warning", str, "uvicorn log level"),
)
_BY_NAME = {option.name: option for option in SCHEMA}
#: Top-level tables of a shared configuration file that belong to the identity provider.
IDENTITY_TABLES = frozenset({"identity", "keys", "clients"})


def _convert(option: Option, value: Any, source: str) -> Any:
    try:
        if option.type is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(text)
        if option.type is int and isinstance(value, bool):
            raise ValueError(value)
        return option.type(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{source}: {option.name} must be {option.type.__name__}, got {value!r}") from None


@dataclass(frozen=True)
class DaemonConfig:
    """Resolved configuration; ``sources[name]`` is "default", a file path, "environment" or "flag"."""

    values: Mapping[str, Any]
    sources: Mapping[str, str]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def path(self, name: str, default_file: str) -> str:
        """A path option, defaulting to ``data_dir/default_file``."""
        value = str(self.values[name])
        return value or str(Path(self.values["data_dir"]) / default_file)

    def replace(self, **changes: Any) -> DaemonConfig:
        values = dict(self.values)
        sources = dict(self.sources)
        for name, value in changes.items():
            values[name] = _convert(_BY_NAME[name], value, "override")
            sources[name] = "override"
        return DaemonConfig(values, sources)


def load_config(toml_text: str | None = None, *, path: str | None = None, env: Mapping[str, str] | None = None,
                flags: Mapping[str, Any] | None = None) -> DaemonConfig:
    """Resolve the configuration.

    :param toml_text: TOML content (or give ``path``).
    :param env: the environment (default ``os.environ``); ``TRUSTKIT_DAEMON_PORT=8300`` etc.
    :param flags: values from the command line; ``None`` values are ignored.
    :raises ConfigurationError: unknown option, wrong type, or an invalid combination.
    """
    import tomllib

    values = {option.name: option.default for option in SCHEMA}
    sources = {option.name: "default" for option in SCHEMA}
    if path is not None:
        toml_text = Path(path).read_text(encoding="utf-8")
    if toml_text:
        try:
            data = tomllib.loads(toml_text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"{path or 'config'}: {exc}") from None
        if path is not None and isinstance(data.get("identity"), dict):
            values["identity_config"] = str(Path(path).resolve())
            sources["identity_config"] = path
        table = data.get("daemon", data)
        for name, value in table.items():
            if table is data and name in IDENTITY_TABLES:
                continue
            option = _BY_NAME.get(name)
            if option is None:
                raise ConfigurationError(f"{path or 'config'}: unknown option {name!r}")
            values[name] = _convert(option, value, path or "config")
            sources[name] = path or "config"
    environment = os.environ if env is None else env
    for option in SCHEMA:
        key = "TRUSTKIT_DAEMON_" + option.name.upper()
        if key in environment:
            values[option.name] = _convert(option, environment[key], key)
            sources[option.name] = "environment"
    for name, value in (flags or {}).items():
        if value is None:
            continue
        option = _BY_NAME.get(name)
        if option is None:
            raise ConfigurationError(f"unknown option {name!r}")
        values[name] = _convert(option, value, f"--{name.replace('_', '-')}")
        sources[name] = "flag"
    config = DaemonConfig(values, sources)
    _check(config)
    return config


def _check(config: DaemonConfig) -> None:
    if config.storage not in ("sqlite", "postgresql"):
        raise ConfigurationError("storage must be sqlite or postgresql")
    if config.audit not in ("file", "storage"):
        raise ConfigurationError("audit must be file or storage")
    if config.http not in ("auto", "h11", "httptools"):
        raise ConfigurationError("http must be auto, h11 or httptools")
    if config.signature_prefix not in ("vault", "tk"):
        raise ConfigurationError("signature_prefix must be vault or tk")
    if bool(config.tls_cert) != bool(config.tls_key):
        raise ConfigurationError("tls_cert and tls_key go together")
    if config.tls_client_ca and not config.tls_cert:
        raise ConfigurationError("tls_client_ca (mTLS) needs tls_cert and tls_key")
    if config.workers < 1 or config.max_body_bytes < 1024:
        raise ConfigurationError("workers must be >= 1 and max_body_bytes >= 1024")
    if config.host not in ("127.0.0.1", "::1", "localhost") and not config.tls_cert:
        warnings.warn(f"binding {config.host} without TLS: tokens travel in clear", SecurityWarning, stacklevel=3)
