"""The daemon's live state: storage, key store, authenticator, audit log, built from a config."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from trustkit.daemon.audit import AuditLog, AuditSink, FileAuditSink, StorageAuditSink
from trustkit.daemon.auth import Authenticator
from trustkit.daemon.config import DaemonConfig
from trustkit.daemon.keystore import KeyStore
from trustkit.daemon.storage import Storage, open_storage
from trustkit.errors import ConfigurationError
from trustkit.files import write_atomic
from trustkit.primitives import sm3

__all__ = ["Daemon", "load_pepper"]

log = logging.getLogger("trustkit.daemon")


def load_pepper(config: DaemonConfig, *, create: bool = False) -> bytes:
    """The server secret behind token hashes and audit HMACs.

    From ``TRUSTKIT_DAEMON_PEPPER`` (hex) if set, else the pepper file (created 0600 with 32
    random bytes when ``create``).

    :raises ConfigurationError: no pepper and not allowed to create one.
    """
    env = os.environ.get("TRUSTKIT_DAEMON_PEPPER")
    if env:
        try:
            return bytes.fromhex(env)
        except ValueError:
            raise ConfigurationError("TRUSTKIT_DAEMON_PEPPER must be hex") from None
    path = Path(config.path("pepper_file", "pepper"))
    if path.exists():
        data = path.read_bytes()
        if len(data) < 16:
            raise ConfigurationError(f"{path}: the pepper is too short")
        return data
    if not create:
        raise ConfigurationError(f"{path} does not exist; run 'trustkit daemon init' first")
    path.parent.mkdir(parents=True, exist_ok=True)
    data = secrets.token_bytes(32)
    write_atomic(path, data, mode=0o600, overwrite=False)
    return data


class Daemon:
    """Everything a request handler needs.  Build with :meth:`from_config` or pass parts (tests)."""

    def __init__(self, config: DaemonConfig, storage: Storage, pepper: bytes, *,
                 audit_sink: AuditSink | None = None) -> None:
        self.config = config
        self.storage = storage
        self.keystore = KeyStore(storage, cache_ttl=float(config.key_cache_ttl))
        self.auth = Authenticator(storage, pepper)
        if audit_sink is None:
            audit_sink = StorageAuditSink(storage) if config.audit == "storage" else \
                FileAuditSink(config.path("audit_path", "audit.jsonl"))
        self.audit = AuditLog(audit_sink, sm3.hmac(pepper, b"trustkit-audit-hmac-v1"))
        self.tsa_cache: object | None = None  # the TimestampAuthority, built on first use

    @classmethod
    def from_config(cls, config: DaemonConfig, *, create: bool = False) -> Daemon:
        """Open storage and the pepper; unseal from ``unseal_passphrase_file`` when configured."""
        Path(config.data_dir).mkdir(parents=True, exist_ok=True)
        pepper = load_pepper(config, create=create)
        storage = open_storage(config.storage, sqlite_path=config.path("sqlite_path", "trustkit.db"),
                               dsn=config.database_url or None)
        daemon = cls(config, storage, pepper)
        if config.unseal_passphrase_file and daemon.keystore.initialized:
            passphrase = Path(config.unseal_passphrase_file).read_text(encoding="utf-8").strip("\r\n")
            daemon.keystore.unseal(passphrase)
            log.warning("unsealed at start from %s", config.unseal_passphrase_file)
        return daemon

    def close(self) -> None:
        """Flush the audit log, seal, and close storage."""
        self.audit.close()
        self.keystore.seal()
        self.storage.close()
