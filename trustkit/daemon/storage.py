"""Durable state of the signing daemon: keys (encrypted), tokens, policies, seal metadata, audit.

Two backends share one schema and one interface:

* :class:`SQLiteStorage` (default): one file in WAL mode with ``synchronous=FULL``, so a
  commit is on disk when it returns; several worker processes on one host may share it.
* :class:`PostgresStorage`: for several daemon instances behind a load balancer sharing keys,
  policies and the audit chain (psycopg 3).

Private keys reach this layer only as SM4-GCM ciphertext (see :mod:`trustkit.daemon.keystore`).
"""

from __future__ import annotations

import abc
import contextlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from trustkit.errors import ConfigurationError

__all__ = [
    "AuditRow",
    "KeyRecord",
    "KeyVersionRecord",
    "PostgresStorage",
    "SQLiteStorage",
    "Storage",
    "TokenRecord",
    "open_storage",
]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value {blob} NOT NULL)",
    ("CREATE TABLE IF NOT EXISTS keys (name TEXT PRIMARY KEY, type TEXT NOT NULL, config TEXT NOT NULL,"
     " created TEXT NOT NULL)"),
    ("CREATE TABLE IF NOT EXISTS key_versions (name TEXT NOT NULL, version INTEGER NOT NULL,"
     " public_key {blob} NOT NULL, private_key {blob} NOT NULL, created TEXT NOT NULL,"
     " PRIMARY KEY (name, version))"),
    ("CREATE TABLE IF NOT EXISTS tokens (id TEXT PRIMARY KEY, accessor TEXT NOT NULL UNIQUE,"
     " policies TEXT NOT NULL, created DOUBLE PRECISION NOT NULL, expires DOUBLE PRECISION,"
     " num_uses INTEGER NOT NULL, rate_limit DOUBLE PRECISION NOT NULL, display_name TEXT NOT NULL)"),
    "CREATE TABLE IF NOT EXISTS policies (name TEXT PRIMARY KEY, rules TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS audit (seq BIGINT PRIMARY KEY, hash TEXT NOT NULL, record TEXT NOT NULL)",
)


@dataclass(frozen=True)
class KeyVersionRecord:
    """One version of a named key: public key (DER SPKI) and the sealed private key."""

    version: int
    public_key: bytes
    private_key: bytes
    created: str


@dataclass(frozen=True)
class KeyRecord:
    """A named key: its type, its mutable configuration and its versions (ascending)."""

    name: str
    type: str
    config: dict[str, Any]
    created: str
    versions: tuple[KeyVersionRecord, ...]


@dataclass(frozen=True)
class TokenRecord:
    """An API token as stored: ``id`` is HMAC-SM3(pepper, token), never the token itself."""

    id: str
    accessor: str
    policies: tuple[str, ...]
    created: float
    expires: float | None
    num_uses: int
    rate_limit: float
    display_name: str


@dataclass(frozen=True)
class AuditRow:
    """One audit record: its sequence number, its SM3 chain hash and its canonical JSON text."""

    seq: int
    hash: str
    record: str


class Storage(Protocol):
    """What the keystore, token store and audit log need from a backend."""

    kind: str

    def meta_get(self, name: str) -> bytes | None: ...
    def meta_put(self, name: str, value: bytes, *, only_if_absent: bool = False) -> bool: ...
    def key_get(self, name: str) -> KeyRecord | None: ...
    def key_names(self) -> list[str]: ...
    def key_create(self, name: str, key_type: str, config: dict[str, Any], created: str,
                   first: KeyVersionRecord) -> bool: ...
    def key_add_version(self, name: str, version: KeyVersionRecord) -> bool: ...
    def key_set_config(self, name: str, config: dict[str, Any]) -> None: ...
    def key_delete(self, name: str) -> None: ...
    def token_put(self, token: TokenRecord) -> None: ...
    def token_get(self, token_id: str) -> TokenRecord | None: ...
    def token_use(self, token_id: str) -> bool: ...
    def token_delete(self, token_id: str) -> None: ...
    def policy_put(self, name: str, rules: str) -> None: ...
    def policy_get(self, name: str) -> str | None: ...
    def policy_delete(self, name: str) -> None: ...
    def audit_append(self, make: Callable[[int, str], Sequence[AuditRow]]) -> Sequence[AuditRow]: ...
    def audit_rows(self) -> Iterator[AuditRow]: ...
    def close(self) -> None: ...


class _SQLBase(abc.ABC):
    """The SQL shared by both backends; subclasses provide ``_execute`` and a transaction."""

    kind = "sql"
    _param = "?"

    def _q(self, sql: str) -> str:
        return sql if self._param == "?" else sql.replace("?", self._param)

    @abc.abstractmethod
    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a query and return its rows."""

    @abc.abstractmethod
    def _write(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """Run the statements in one transaction."""

    # -- meta --------------------------------------------------------------------------------

    def meta_get(self, name: str) -> bytes | None:
        rows = self._rows("SELECT value FROM meta WHERE name = ?", (name,))
        return bytes(rows[0][0]) if rows else None

    def meta_put(self, name: str, value: bytes, *, only_if_absent: bool = False) -> bool:
        if only_if_absent:
            try:
                self._write([("INSERT INTO meta (name, value) VALUES (?, ?)", (name, value))])
            except _integrity_errors():
                return False
            return True
        self._write([("DELETE FROM meta WHERE name = ?", (name,)),
                     ("INSERT INTO meta (name, value) VALUES (?, ?)", (name, value))])
        return True

    # -- keys --------------------------------------------------------------------------------

    def key_get(self, name: str) -> KeyRecord | None:
        rows = self._rows("SELECT type, config, created FROM keys WHERE name = ?", (name,))
        if not rows:
            return None
        versions = self._rows("SELECT version, public_key, private_key, created FROM key_versions"
                              " WHERE name = ? ORDER BY version", (name,))
        return KeyRecord(name=name, type=str(rows[0][0]), config=json.loads(rows[0][1]), created=str(rows[0][2]),
                         versions=tuple(KeyVersionRecord(int(v), bytes(p), bytes(s), str(c))
                                        for v, p, s, c in versions))

    def key_names(self) -> list[str]:
        return [str(row[0]) for row in self._rows("SELECT name FROM keys ORDER BY name")]

    def key_create(self, name: str, key_type: str, config: dict[str, Any], created: str,
                   first: KeyVersionRecord) -> bool:
        try:
            self._write([
                ("INSERT INTO keys (name, type, config, created) VALUES (?, ?, ?, ?)",
                 (name, key_type, json.dumps(config, sort_keys=True), created)),
                ("INSERT INTO key_versions (name, version, public_key, private_key, created) VALUES (?, ?, ?, ?, ?)",
                 (name, first.version, first.public_key, first.private_key, first.created)),
            ])
        except _integrity_errors():
            return False
        return True

    def key_add_version(self, name: str, version: KeyVersionRecord) -> bool:
        try:
            self._write([(("INSERT INTO key_versions (name, version, public_key, private_key, created)"
                           " VALUES (?, ?, ?, ?, ?)"),
                          (name, version.version, version.public_key, version.private_key, version.created))])
        except _integrity_errors():
            return False
        return True

    def key_set_config(self, name: str, config: dict[str, Any]) -> None:
        self._write([("UPDATE keys SET config = ? WHERE name = ?", (json.dumps(config, sort_keys=True), name))])

    def key_delete(self, name: str) -> None:
        self._write([("DELETE FROM key_versions WHERE name = ?", (name,)), ("DELETE FROM keys WHERE name = ?", (name,))])

    # -- tokens and policies -----------------------------------------------------------------------

    def token_put(self, token: TokenRecord) -> None:
        self._write([(("INSERT INTO tokens (id, accessor, policies, created, expires, num_uses, rate_limit,"
                       " display_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
                      (token.id, token.accessor, json.dumps(list(token.policies)), token.created, token.expires,
                       token.num_uses, token.rate_limit, token.display_name))])

    def token_get(self, token_id: str) -> TokenRecord | None:
        rows = self._rows("SELECT id, accessor, policies, created, expires, num_uses, rate_limit, display_name"
                          " FROM tokens WHERE id = ?", (token_id,))
        if not rows:
            return None
        r = rows[0]
        return TokenRecord(id=str(r[0]), accessor=str(r[1]), policies=tuple(json.loads(r[2])), created=float(r[3]),
                           expires=None if r[4] is None else float(r[4]), num_uses=int(r[5]),
                           rate_limit=float(r[6]), display_name=str(r[7]))

    def token_use(self, token_id: str) -> bool:
        """Consume one use of a limited-use token; False when none is left (a replay).

        The last use sets ``num_uses`` to -1 (exhausted), never to 0 (which means unlimited).
        """
        return self._consume(token_id)

    @abc.abstractmethod
    def _consume(self, token_id: str) -> bool:
        """Use up one use of a limited token atomically; False when none is left."""

    def token_delete(self, token_id: str) -> None:
        self._write([("DELETE FROM tokens WHERE id = ?", (token_id,))])

    def policy_put(self, name: str, rules: str) -> None:
        self._write([("DELETE FROM policies WHERE name = ?", (name,)),
                     ("INSERT INTO policies (name, rules) VALUES (?, ?)", (name, rules))])

    def policy_get(self, name: str) -> str | None:
        rows = self._rows("SELECT rules FROM policies WHERE name = ?", (name,))
        return str(rows[0][0]) if rows else None

    def policy_delete(self, name: str) -> None:
        self._write([("DELETE FROM policies WHERE name = ?", (name,))])

    def audit_rows(self) -> Iterator[AuditRow]:
        last = -1
        while True:
            rows = self._rows("SELECT seq, hash, record FROM audit WHERE seq > ? ORDER BY seq LIMIT 1000", (last,))
            if not rows:
                return
            for seq, digest, record in rows:
                yield AuditRow(int(seq), str(digest), str(record))
            last = int(rows[-1][0])


def _integrity_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [sqlite3.IntegrityError]
    try:
        import psycopg

        errors.append(psycopg.errors.IntegrityError)
    except ImportError:  # pragma: no cover - psycopg is optional
        pass
    return tuple(errors)


class SQLiteStorage(_SQLBase):
    """SQLite in WAL mode, ``synchronous=FULL``: a committed transaction survives power loss.

    One connection per thread; several processes may open the same file (SQLite locks it).
    """

    kind = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        conn = self._conn()
        with self._lock:
            conn.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                conn.execute(statement.format(blob="BLOB"))
            conn.execute("COMMIT")

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self._conn().execute(sql, tuple(args)).fetchall())

    def _write(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            for sql, args in statements:
                conn.execute(sql, tuple(args))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _consume(self, token_id: str) -> bool:
        conn = self._conn()
        cursor = conn.execute("UPDATE tokens SET num_uses = CASE WHEN num_uses = 1 THEN -1 ELSE num_uses - 1 END WHERE id = ? AND num_uses > 0", (token_id,))
        return cursor.rowcount == 1

    def audit_append(self, make: Callable[[int, str], Sequence[AuditRow]]) -> Sequence[AuditRow]:
        """Append rows built by ``make(last_seq, last_hash)`` in one durable transaction."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            rows = make(int(row[0]), str(row[1])) if row else make(-1, "")
            conn.executemany("INSERT INTO audit (seq, hash, record) VALUES (?, ?, ?)",
                             [(r.seq, r.hash, r.record) for r in rows])
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return rows

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                try:
                    conn.close()
                except sqlite3.Error:  # pragma: no cover
                    pass
            self._all.clear()
        self._local = threading.local()


class PostgresStorage(_SQLBase):
    """PostgreSQL through psycopg 3: one connection per thread, each write its own transaction.

    The audit chain is extended under a transaction-scoped advisory lock, so instances behind a
    load balancer interleave whole batches and the chain stays linear.
    """

    kind = "postgresql"
    _param = "%s"
    _AUDIT_LOCK = 0x746B_6175  # "tkau"

    def __init__(self, dsn: str) -> None:
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:  # pragma: no cover
            raise ConfigurationError("storage = postgresql needs psycopg (pip install 'psycopg[binary]')") from exc
        self.dsn = dsn
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()
        conn = self._conn()
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._AUDIT_LOCK + 1,))
            for statement in _SCHEMA:
                conn.execute(statement.format(blob="BYTEA"))

    def _conn(self) -> Any:
        import psycopg

        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = psycopg.connect(self.dsn, autocommit=True)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self._conn().execute(self._q(sql), tuple(args)).fetchall())

    def _write(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
        conn = self._conn()
        with conn.transaction():
            for sql, args in statements:
                conn.execute(self._q(sql), tuple(args))

    def _consume(self, token_id: str) -> bool:
        cursor = self._conn().execute(self._q("UPDATE tokens SET num_uses = CASE WHEN num_uses = 1 THEN -1 ELSE num_uses - 1 END WHERE id = ? AND num_uses > 0"),
                                      (token_id,))
        return bool(cursor.rowcount == 1)

    def audit_append(self, make: Callable[[int, str], Sequence[AuditRow]]) -> Sequence[AuditRow]:
        conn = self._conn()
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._AUDIT_LOCK,))
            row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            rows = make(int(row[0]), str(row[1])) if row else make(-1, "")
            with conn.cursor() as cursor:
                cursor.executemany("INSERT INTO audit (seq, hash, record) VALUES (%s, %s, %s)",
                                   [(r.seq, r.hash, r.record) for r in rows])
        return rows

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                with contextlib.suppress(Exception):
                    conn.close()
            self._all.clear()
        self._local = threading.local()


def open_storage(kind: str, *, sqlite_path: str | None = None, dsn: str | None = None) -> Storage:
    """Open the backend named in the configuration (``"sqlite"`` or ``"postgresql"``).

    :raises ConfigurationError: unknown kind or missing location.
    """
    if kind == "sqlite":
        if not sqlite_path:
            raise ConfigurationError("storage = sqlite needs sqlite_path")
        return SQLiteStorage(sqlite_path)
    if kind == "postgresql":
        if not dsn:
            raise ConfigurationError("storage = postgresql needs database_url (a libpq connection string)")
        return PostgresStorage(dsn)
    raise ConfigurationError(f"unknown storage {kind!r}; choose sqlite or postgresql")
