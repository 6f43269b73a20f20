"""Storage for the identity provider: one small interface, SQLite and PostgreSQL back ends.

Everything that must be shared between nodes lives here: users, clients, authorization codes,
login transactions, SSO sessions, refresh-token families, revoked ``jti`` values, the last TOTP
time step each user spent, and rate-limit counters.  Secrets (codes, session ids, refresh
tokens) are stored only as SHA-256 digests, so a copy of the database does not log anyone in.

Every state change that must happen once (a code redeemed, a refresh token rotated, a TOTP step
spent) is a single conditional ``UPDATE`` whose row count decides, so two nodes racing on the
same value cannot both win.
"""

from __future__ import annotations

import abc
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from trustkit.identity.records import (
    AuthCode,
    Client,
    LoginTransaction,
    RefreshRecord,
    Session,
    User,
    digest,
)

__all__ = [
    "AuthCode",
    "Client",
    "LoginTransaction",
    "PostgresStore",
    "RefreshRecord",
    "SQLStore",
    "SQLiteStore",
    "Session",
    "Store",
    "User",
    "digest",
]


_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS users (sub TEXT PRIMARY KEY, username TEXT UNIQUE NOT NULL,
        password_hash TEXT NOT NULL, totp_secret TEXT, totp_last_step BIGINT, email TEXT, name TEXT)""",
    "CREATE TABLE IF NOT EXISTS clients (client_id TEXT PRIMARY KEY, data TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS auth_codes (code_hash TEXT PRIMARY KEY, client_id TEXT NOT NULL,
        sub TEXT NOT NULL, redirect_uri TEXT NOT NULL, scope TEXT NOT NULL, nonce TEXT, code_challenge TEXT,
        session_hash TEXT, auth_time BIGINT NOT NULL, expires BIGINT NOT NULL, used INTEGER NOT NULL DEFAULT 0,
        family_id TEXT, access_jti TEXT)""",
    """CREATE TABLE IF NOT EXISTS logins (tid_hash TEXT PRIMARY KEY, params TEXT, expires BIGINT NOT NULL,
        sub TEXT, stage TEXT NOT NULL, extra TEXT NOT NULL DEFAULT '{}')""",
    """CREATE TABLE IF NOT EXISTS sessions (session_hash TEXT PRIMARY KEY, sub TEXT NOT NULL,
        auth_time BIGINT NOT NULL, expires BIGINT NOT NULL, amr TEXT NOT NULL, ended INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS session_clients (session_hash TEXT NOT NULL, client_id TEXT NOT NULL,
        PRIMARY KEY (session_hash, client_id))""",
    """CREATE TABLE IF NOT EXISTS families (family_id TEXT PRIMARY KEY, client_id TEXT NOT NULL, sub TEXT NOT NULL,
        scope TEXT NOT NULL, session_hash TEXT, auth_time BIGINT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS refresh_tokens (token_hash TEXT PRIMARY KEY, family_id TEXT NOT NULL,
        expires BIGINT NOT NULL, used INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS family_jtis (jti TEXT PRIMARY KEY, family_id TEXT NOT NULL,
        expires BIGINT NOT NULL)""",
    "CREATE TABLE IF NOT EXISTS revoked_jtis (jti TEXT PRIMARY KEY, expires BIGINT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS rate_limits (key TEXT PRIMARY KEY, window_start BIGINT NOT NULL,
        count INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS qr_logins (qr_id TEXT PRIMARY KEY, poll_hash TEXT NOT NULL,
        params TEXT NOT NULL, status TEXT NOT NULL, sub TEXT, code TEXT, expires BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS recovery_codes (sub TEXT NOT NULL, code_hash TEXT NOT NULL,
        used INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (sub, code_hash))""",
    """CREATE TABLE IF NOT EXISTS consents (sub TEXT NOT NULL, client_id TEXT NOT NULL, scope TEXT NOT NULL,
        PRIMARY KEY (sub, client_id))""",
    "CREATE INDEX IF NOT EXISTS refresh_family ON refresh_tokens (family_id)",
    "CREATE INDEX IF NOT EXISTS jti_family ON family_jtis (family_id)",
    "CREATE INDEX IF NOT EXISTS family_session ON families (session_hash)",
]


class SQLStore(abc.ABC):
    """The storage interface, written once in portable SQL; subclasses supply the connection.

    Placeholders are written ``?`` and translated for drivers that use ``%s``.
    """

    _placeholder = "?"

    # -- plumbing -------------------------------------------------------------------------
    @abc.abstractmethod
    def _tx(self) -> AbstractContextManager[Any]:
        """A transaction: a cursor-like object, committed on exit (rolled back on an exception)."""

    def _sql(self, sql: str) -> str:
        return sql if self._placeholder == "?" else sql.replace("?", self._placeholder)

    def _exec(self, sql: str, args: Sequence[Any] = ()) -> int:
        with self._tx() as cur:
            cur.execute(self._sql(sql), tuple(args))
            return int(cur.rowcount)

    def _one(self, sql: str, args: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        with self._tx() as cur:
            cur.execute(self._sql(sql), tuple(args))
            row = cur.fetchone()
            return None if row is None else tuple(row)

    def _all(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._tx() as cur:
            cur.execute(self._sql(sql), tuple(args))
            return [tuple(r) for r in cur.fetchall()]

    def create_schema(self) -> None:
        """Create the tables if they do not exist (idempotent)."""
        for statement in _SCHEMA:
            self._exec(statement)

    # -- users ----------------------------------------------------------------------------
    def put_user(self, user: User) -> None:
        """Insert or replace a user (the TOTP replay state is reset when the secret changes)."""
        self._exec("DELETE FROM users WHERE sub = ?", (user.sub,))
        self._exec(
            "INSERT INTO users (sub, username, password_hash, totp_secret, email, name) VALUES (?, ?, ?, ?, ?, ?)",
            (user.sub, user.username, user.password_hash, user.totp_secret, user.email, user.name),
        )

    def _user(self, row: tuple[Any, ...] | None) -> User | None:
        if row is None:
            return None
        return User(sub=row[0], username=row[1], password_hash=row[2], totp_secret=row[3], email=row[4], name=row[5])

    def get_user(self, sub: str) -> User | None:
        """The user with subject ``sub``."""
        return self._user(
            self._one("SELECT sub, username, password_hash, totp_secret, email, name FROM users WHERE sub = ?", (sub,))
        )

    def find_user(self, username: str) -> User | None:
        """The user with login name ``username``."""
        return self._user(
            self._one(
                "SELECT sub, username, password_hash, totp_secret, email, name FROM users WHERE username = ?",
                (username,),
            )
        )

    def update_password_hash(self, sub: str, password_hash: str) -> None:
        """Store a rehashed password (argon2 parameters upgraded)."""
        self._exec("UPDATE users SET password_hash = ? WHERE sub = ?", (password_hash, sub))

    def use_totp_step(self, sub: str, step: int) -> bool:
        """Spend TOTP time step ``step`` for ``sub``; False if it (or a later step) was already used."""
        return (
            self._exec(
                "UPDATE users SET totp_last_step = ? WHERE sub = ? AND (totp_last_step IS NULL OR totp_last_step < ?)",
                (step, sub, step),
            )
            == 1
        )

    def set_recovery_codes(self, sub: str, code_hashes: Sequence[str]) -> None:
        """Replace a user's recovery codes (stored as keyed digests)."""
        self._exec("DELETE FROM recovery_codes WHERE sub = ?", (sub,))
        for code_hash in code_hashes:
            self._exec("INSERT INTO recovery_codes (sub, code_hash, used) VALUES (?, ?, 0)", (sub, code_hash))

    def use_recovery_code(self, sub: str, code_hash: str) -> bool:
        """Spend a recovery code; False if unknown or already used."""
        return (
            self._exec(
                "UPDATE recovery_codes SET used = 1 WHERE sub = ? AND code_hash = ? AND used = 0", (sub, code_hash)
            )
            == 1
        )

    # -- consent --------------------------------------------------------------------------
    def get_consent(self, sub: str, client_id: str) -> frozenset[str]:
        """The scopes ``sub`` has granted ``client_id`` (empty if none)."""
        row = self._one("SELECT scope FROM consents WHERE sub = ? AND client_id = ?", (sub, client_id))
        return frozenset(row[0].split()) if row is not None else frozenset()

    def put_consent(self, sub: str, client_id: str, scopes: frozenset[str]) -> None:
        """Record the scopes ``sub`` granted ``client_id``."""
        self._exec("DELETE FROM consents WHERE sub = ? AND client_id = ?", (sub, client_id))
        self._exec(
            "INSERT INTO consents (sub, client_id, scope) VALUES (?, ?, ?)", (sub, client_id, " ".join(sorted(scopes)))
        )

    # -- clients --------------------------------------------------------------------------
    def put_client(self, client: Client) -> None:
        """Insert or replace a client registration."""
        self._exec("DELETE FROM clients WHERE client_id = ?", (client.client_id,))
        self._exec("INSERT INTO clients (client_id, data) VALUES (?, ?)", (client.client_id, client.to_json()))

    def get_client(self, client_id: str) -> Client | None:
        """The registered client ``client_id``."""
        row = self._one("SELECT data FROM clients WHERE client_id = ?", (client_id,))
        return None if row is None else Client.from_json(client_id, row[0])

    # -- login transactions ---------------------------------------------------------------
    def put_login(self, tx: LoginTransaction) -> None:
        """Insert or replace a login transaction."""
        self._exec("DELETE FROM logins WHERE tid_hash = ?", (tx.tid_hash,))
        self._exec(
            "INSERT INTO logins (tid_hash, params, expires, sub, stage, extra) VALUES (?, ?, ?, ?, ?, ?)",
            (
                tx.tid_hash,
                None if tx.params is None else json.dumps(tx.params),
                tx.expires,
                tx.sub,
                tx.stage,
                json.dumps(tx.extra),
            ),
        )

    def get_login(self, tid_hash: str, now: int) -> LoginTransaction | None:
        """A live login transaction."""
        row = self._one(
            "SELECT tid_hash, params, expires, sub, stage, extra FROM logins WHERE tid_hash = ? AND expires > ?",
            (tid_hash, now),
        )
        if row is None:
            return None
        return LoginTransaction(
            tid_hash=row[0],
            params=None if row[1] is None else json.loads(row[1]),
            expires=int(row[2]),
            sub=row[3],
            stage=row[4],
            extra=json.loads(row[5]),
        )

    def delete_login(self, tid_hash: str) -> None:
        """Forget a finished login transaction."""
        self._exec("DELETE FROM logins WHERE tid_hash = ?", (tid_hash,))

    # -- sessions -------------------------------------------------------------------------
    def create_session(self, session: Session) -> None:
        """Store a new SSO session."""
        self._exec(
            "INSERT INTO sessions (session_hash, sub, auth_time, expires, amr, ended) VALUES (?, ?, ?, ?, ?, 0)",
            (session.session_hash, session.sub, session.auth_time, session.expires, " ".join(session.amr)),
        )

    def get_session(self, session_hash: str, now: int) -> Session | None:
        """A live (not ended, not expired) session."""
        row = self._one(
            "SELECT session_hash, sub, auth_time, expires, amr FROM sessions "
            "WHERE session_hash = ? AND ended = 0 AND expires > ?",
            (session_hash, now),
        )
        if row is None:
            return None
        return Session(
            session_hash=row[0], sub=row[1], auth_time=int(row[2]), expires=int(row[3]), amr=tuple(row[4].split())
        )

    def add_session_client(self, session_hash: str, client_id: str) -> None:
        """Record that ``client_id`` received a code from this session."""
        self._exec(
            "INSERT INTO session_clients (session_hash, client_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (session_hash, client_id),
        )

    def session_clients(self, session_hash: str) -> list[str]:
        """The clients this session has been used for."""
        rows = self._all("SELECT client_id FROM session_clients WHERE session_hash = ? ORDER BY client_id", (session_hash,))
        return [r[0] for r in rows]

    def end_session(self, session_hash: str) -> None:
        """End a session and revoke every refresh-token family issued under it."""
        self._exec("UPDATE sessions SET ended = 1 WHERE session_hash = ?", (session_hash,))
        self._exec("UPDATE families SET revoked = 1 WHERE session_hash = ?", (session_hash,))

    def replace_session(self, old_hash: str, new_hash: str) -> None:
        """Hand an old session's clients and refresh families to a new session of the same user
        (re-authentication issues a new id), then end the old one without revoking anything."""
        self._exec("UPDATE families SET session_hash = ? WHERE session_hash = ?", (new_hash, old_hash))
        self._exec(
            "INSERT INTO session_clients (session_hash, client_id) SELECT ?, client_id FROM session_clients "
            "WHERE session_hash = ? ON CONFLICT DO NOTHING",
            (new_hash, old_hash),
        )
        self._exec("UPDATE sessions SET ended = 1 WHERE session_hash = ?", (old_hash,))

    # -- authorization codes --------------------------------------------------------------
    def put_code(self, code: AuthCode) -> None:
        """Store a new authorization code."""
        self._exec(
            "INSERT INTO auth_codes (code_hash, client_id, sub, redirect_uri, scope, nonce, code_challenge, "
            "session_hash, auth_time, expires, used) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            (
                code.code_hash,
                code.client_id,
                code.sub,
                code.redirect_uri,
                code.scope,
                code.nonce,
                code.code_challenge,
                code.session_hash,
                code.auth_time,
                code.expires,
            ),
        )

    def get_code(self, code_hash: str) -> AuthCode | None:
        """The stored code, used or not."""
        row = self._one(
            "SELECT code_hash, client_id, sub, redirect_uri, scope, nonce, code_challenge, session_hash, auth_time, "
            "expires, used, family_id, access_jti FROM auth_codes WHERE code_hash = ?",
            (code_hash,),
        )
        if row is None:
            return None
        return AuthCode(
            code_hash=row[0],
            client_id=row[1],
            sub=row[2],
            redirect_uri=row[3],
            scope=row[4],
            nonce=row[5],
            code_challenge=row[6],
            session_hash=row[7],
            auth_time=int(row[8]),
            expires=int(row[9]),
            used=bool(row[10]),
            family_id=row[11],
            access_jti=row[12],
        )

    def consume_code(self, code_hash: str) -> bool:
        """Mark a code used; False if it was already used (a replay)."""
        return self._exec("UPDATE auth_codes SET used = 1 WHERE code_hash = ? AND used = 0", (code_hash,)) == 1

    def link_code_tokens(self, code_hash: str, family_id: str | None, access_jti: str) -> None:
        """Remember what a code produced, so a replay of the code can revoke it (RFC 6749 4.1.2)."""
        self._exec(
            "UPDATE auth_codes SET family_id = ?, access_jti = ? WHERE code_hash = ?", (family_id, access_jti, code_hash)
        )

    # -- refresh-token families and revocation --------------------------------------------
    def create_family(
        self, family_id: str, *, client_id: str, sub: str, scope: str, session_hash: str | None, auth_time: int
    ) -> None:
        """Start a refresh-token family (one per code exchange)."""
        self._exec(
            "INSERT INTO families (family_id, client_id, sub, scope, session_hash, auth_time, revoked) "
            "VALUES (?, ?, ?, ?, ?, ?, 0)",
            (family_id, client_id, sub, scope, session_hash, auth_time),
        )

    def add_refresh_token(self, token_hash: str, family_id: str, expires: int) -> None:
        """Add the family's new current refresh token."""
        self._exec(
            "INSERT INTO refresh_tokens (token_hash, family_id, expires, used) VALUES (?, ?, ?, 0)",
            (token_hash, family_id, expires),
        )

    def get_refresh(self, token_hash: str) -> RefreshRecord | None:
        """A refresh token and its family."""
        row = self._one(
            "SELECT r.token_hash, r.family_id, f.client_id, f.sub, f.scope, f.session_hash, f.auth_time, r.expires, "
            "r.used, f.revoked FROM refresh_tokens r JOIN families f ON f.family_id = r.family_id "
            "WHERE r.token_hash = ?",
            (token_hash,),
        )
        if row is None:
            return None
        return RefreshRecord(
            token_hash=row[0],
            family_id=row[1],
            client_id=row[2],
            sub=row[3],
            scope=row[4],
            session_hash=row[5],
            auth_time=int(row[6]),
            expires=int(row[7]),
            used=bool(row[8]),
            family_revoked=bool(row[9]),
        )

    def rotate_refresh(self, token_hash: str) -> bool:
        """Mark a refresh token used; False if it had been used before (reuse)."""
        return self._exec("UPDATE refresh_tokens SET used = 1 WHERE token_hash = ? AND used = 0", (token_hash,)) == 1

    def revoke_family(self, family_id: str) -> None:
        """Revoke a family: its refresh tokens and the access tokens issued from it."""
        self._exec("UPDATE families SET revoked = 1 WHERE family_id = ?", (family_id,))

    def add_family_jti(self, jti: str, family_id: str, expires: int) -> None:
        """Record an access token issued within a family."""
        self._exec("INSERT INTO family_jtis (jti, family_id, expires) VALUES (?, ?, ?)", (jti, family_id, expires))

    def revoke_jti(self, jti: str, expires: int) -> None:
        """Revoke one token by ``jti`` until its own expiry."""
        self._exec("INSERT INTO revoked_jtis (jti, expires) VALUES (?, ?) ON CONFLICT DO NOTHING", (jti, expires))

    def is_jti_revoked(self, jti: str) -> bool:
        """True if ``jti`` was revoked directly or belongs to a revoked family."""
        if self._one("SELECT 1 FROM revoked_jtis WHERE jti = ?", (jti,)) is not None:
            return True
        row = self._one(
            "SELECT f.revoked FROM family_jtis j JOIN families f ON f.family_id = j.family_id WHERE j.jti = ?", (jti,)
        )
        return row is not None and bool(row[0])

    # -- rate limits and QR logins --------------------------------------------------------
    def hit(self, key: str, now: int, window: int) -> int:
        """Count one attempt under ``key`` in a fixed window of ``window`` seconds; return the count."""
        row = self._one(
            "INSERT INTO rate_limits (key, window_start, count) VALUES (?, ?, 1) ON CONFLICT (key) DO UPDATE SET "
            "count = CASE WHEN rate_limits.window_start <= ? THEN 1 ELSE rate_limits.count + 1 END, "
            "window_start = CASE WHEN rate_limits.window_start <= ? THEN ? ELSE rate_limits.window_start END "
            "RETURNING count",
            (key, now, now - window, now - window, now),
        )
        return 1 if row is None else int(row[0])

    def put_qr(self, qr_id: str, poll_hash: str, params: dict[str, str], expires: int) -> None:
        """Start a QR login."""
        self._exec(
            "INSERT INTO qr_logins (qr_id, poll_hash, params, status, expires) VALUES (?, ?, ?, 'pending', ?)",
            (qr_id, poll_hash, json.dumps(params), expires),
        )

    def get_qr(self, qr_id: str, now: int) -> tuple[str, dict[str, str], str, str | None, str | None] | None:
        """(poll_hash, params, status, sub, code) of a live QR login."""
        row = self._one(
            "SELECT poll_hash, params, status, sub, code FROM qr_logins WHERE qr_id = ? AND expires > ?", (qr_id, now)
        )
        if row is None:
            return None
        return row[0], json.loads(row[1]), row[2], row[3], row[4]

    def approve_qr(self, qr_id: str, sub: str, code: str) -> bool:
        """Approve a pending QR login once; the code is handed to the first poll."""
        return (
            self._exec(
                "UPDATE qr_logins SET status = 'approved', sub = ?, code = ? WHERE qr_id = ? AND status = 'pending'",
                (sub, code, qr_id),
            )
            == 1
        )

    def collect_qr(self, qr_id: str) -> bool:
        """Mark an approved QR login collected (its code is handed out once)."""
        return self._exec(
            "UPDATE qr_logins SET status = 'collected', code = NULL WHERE qr_id = ? AND status = 'approved'", (qr_id,)
        ) == 1

    def purge(self, now: int) -> None:
        """Delete expired rows (run occasionally)."""
        for table in ("auth_codes", "logins", "sessions", "refresh_tokens", "family_jtis", "revoked_jtis", "qr_logins"):
            self._exec(f"DELETE FROM {table} WHERE expires <= ?", (now,))
        self._exec("DELETE FROM rate_limits WHERE window_start <= ?", (now - 86400,))

    def close(self) -> None:
        """Release connections."""


#: The storage interface the app codes against.
Store = SQLStore


class SQLiteStore(SQLStore):
    """SQLite in WAL mode (the default, embedded store); one connection per thread."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._local = threading.local()
        self._memory: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        if path == ":memory:":
            # One shared connection: every thread must see the same in-memory database.
            self._memory = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self.create_schema()

    def _connect(self) -> sqlite3.Connection:
        if self._memory is not None:
            return self._memory
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._path, timeout=10, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=10000")
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        conn = self._connect()
        if self._memory is not None:
            with self._lock:
                cur = conn.cursor()
                try:
                    yield cur
                finally:
                    cur.close()
            return
        cur = conn.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def close(self) -> None:
        """Close this thread's connection (and the shared in-memory one)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        if self._memory is not None:
            self._memory.close()


class PostgresStore(SQLStore):
    """PostgreSQL through psycopg 3 (several nodes sharing sessions, refresh tokens and revocations).

    :param dsn: a libpq connection string, e.g. ``"host=127.0.0.1 port=5432 dbname=trustkit user=tk"``.
    """

    _placeholder = "%s"

    def __init__(self, dsn: str) -> None:
        import psycopg

        self._psycopg = psycopg
        self._dsn = dsn
        self._local = threading.local()
        self.create_schema()

    def _connect(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._psycopg.connect(self._dsn, autocommit=True)
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        with self._connect().cursor() as cur:
            yield cur

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
