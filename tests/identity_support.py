"""Shared helpers of the tests/test_identity_*.py files: keys, a configured provider, a scripted browser."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 for its TestClient; plain httpx is what is installed and works.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from trustkit.identity import (
    Client,
    IdentityConfig,
    PasswordHashing,
    SQLStore,
    User,
    client_secret_digest,
    create_identity_app,
)
from trustkit.token import KeySet, SigningJWK

PEPPER = b"p" * 32 + b"epper-for-tests"
FAST_ARGON2 = PasswordHashing(time_cost=1, memory_cost=1024, parallelism=1)
ALICE_PASSWORD = "correct horse battery staple"
BOB_PASSWORD = "Tr0ub4dor&3-bob"
BOB_TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SECRET_B = "secret-of-portal-b-" + "x" * 24
SECRET_SVC = "secret-of-service-" + "y" * 24
A_CB = "https://a.example/cb"
B_CB = "https://b.example/callback"


@lru_cache(maxsize=1)
def signing_keys() -> tuple[SigningJWK, ...]:
    """One key per algorithm the tests use (generated once: RSA generation is slow)."""
    return (
        SigningJWK.generate("ES256", kid="es256-1"),
        SigningJWK.generate("SM2", kid="sm2-1"),
        SigningJWK.generate("RS256", kid="rs256-1", rsa_bits=2048),
        SigningJWK.generate("EdDSA", kid="ed-1"),
    )


def key_set() -> KeySet:
    """A fresh key set with every test key current."""
    keys = KeySet()
    for key in signing_keys():
        keys.rotate(key)
    return keys


class Clock:
    """A settable clock (seconds)."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def populate(store: SQLStore, *, redirect_uri_a: str = A_CB, redirect_uri_b: str = B_CB) -> None:
    """Users alice (password) and bob (password + TOTP); clients portal-a (public, SM2),
    portal-b (confidential, ES256), service (client_credentials, ES256)."""
    store.put_user(User(sub="u-alice", username="alice", password_hash=FAST_ARGON2.hash(ALICE_PASSWORD),
                        email="alice@example.gov.cn", name="Alice"))
    store.put_user(User(sub="u-bob", username="bob", password_hash=FAST_ARGON2.hash(BOB_PASSWORD),
                        totp_secret=BOB_TOTP, name="Bob"))
    store.put_client(Client(client_id="portal-a", redirect_uris=(redirect_uri_a,), alg="SM2", name="Portal A",
                            post_logout_redirect_uris=("https://a.example/bye",)))
    store.put_client(Client(client_id="portal-b", redirect_uris=(redirect_uri_b,), alg="ES256", name="Portal B",
                            secret_digest=client_secret_digest(PEPPER, SECRET_B),
                            post_logout_redirect_uris=("https://b.example/bye",)))
    store.put_client(Client(client_id="service", redirect_uris=(), alg="ES256",
                            secret_digest=client_secret_digest(PEPPER, SECRET_SVC),
                            grant_types=("client_credentials",), scopes=("licences.read", "seals.verify")))


def make_app(store: SQLStore, clock: Clock, issuer: str = "http://testserver", keys: KeySet | None = None) -> Any:
    """A provider over ``store`` with the test keys, fast argon2 and ``clock``."""
    config = IdentityConfig(issuer=issuer, pepper=PEPPER, clock=clock)
    return create_identity_app(config, store, keys or key_set(), passwords=FAST_ARGON2)


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def form_fields(html: str) -> dict[str, str]:
    """The hidden inputs of a page."""
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))


def query(location: str) -> dict[str, str]:
    """The query parameters of a redirect target (single values)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@dataclass
class Flow:
    """A scripted browser for the code flow against a TestClient (redirects followed by hand)."""

    client: TestClient
    clock: Clock
    last: Any = None
    pages: list[str] = field(default_factory=list)

    def authorize(self, client_id: str, redirect_uri: str, challenge: str | None, *, state: str = "st-1",
                  scope: str = "openid profile email", **extra: str) -> Any:
        params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "state": state,
                  "scope": scope, "nonce": "n-1", **extra}
        if challenge is not None:
            params.update(code_challenge=challenge, code_challenge_method="S256")
        self.last = self.client.get("/authorize", params=params, follow_redirects=False)
        return self.last

    def follow_local(self) -> Any:
        location = self.last.headers["location"]
        assert location.startswith("/"), location
        self.last = self.client.get(location, follow_redirects=False)
        self.pages.append(self.last.text)
        return self.last

    def password(self, username: str, password: str, *, csrf: str | None = None) -> Any:
        fields = form_fields(self.last.text)
        if csrf is not None:
            fields["csrf"] = csrf
        fields.update(username=username, password=password)
        self.last = self.client.post("/login", data=fields, follow_redirects=False)
        self.pages.append(self.last.text)
        return self.last

    def totp(self, code: str | None = None) -> Any:
        fields = form_fields(self.last.text)
        fields["code"] = code if code is not None else pyotp.TOTP(BOB_TOTP).at(int(self.clock.now))
        self.last = self.client.post("/login/totp", data=fields, follow_redirects=False)
        self.pages.append(self.last.text)
        return self.last

    def login(self, client_id: str, redirect_uri: str, challenge: str | None, user: str = "alice",
              **extra: str) -> dict[str, str]:
        """Authorize, log in (password, and TOTP for bob) and return the callback's query."""
        self.authorize(client_id, redirect_uri, challenge, **extra)
        assert self.last.status_code == 303, self.last.text
        self.follow_local()
        assert self.last.status_code == 200, self.last.text
        self.password(user, ALICE_PASSWORD if user == "alice" else BOB_PASSWORD)
        if user == "bob":
            assert "one-time" in self.last.text or "6-digit" in self.last.text
            self.totp()
        assert self.last.status_code == 303, self.last.text
        location = self.last.headers["location"]
        assert location.startswith(redirect_uri), location
        return query(location)


def exchange(client: TestClient, code: str, verifier: str | None, *, client_id: str = "portal-a",
             redirect_uri: str = A_CB, secret: str | None = None) -> Any:
    """POST /token for an authorization code."""
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier is not None:
        data["code_verifier"] = verifier
    auth = None
    if secret is None:
        data["client_id"] = client_id
    else:
        auth = (client_id, secret)
    return client.post("/token", data=data, auth=auth)


# ---- a throwaway PostgreSQL server -----------------------------------------------------------

PG_BIN = "/usr/lib/postgresql/15/bin"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_postgres() -> tuple[str, Any]:
    """Start a PostgreSQL 15 cluster in a temporary directory on 127.0.0.1 and a free port.

    Returns (dsn, stop). initdb refuses to run as root, so as root the cluster runs as the
    ``postgres`` system user (``runuser -u postgres``).  Raises RuntimeError with the reason when
    PostgreSQL is not installed or does not start (the callers skip).
    """
    import os
    import shutil
    import subprocess
    import tempfile
    import time

    if not os.path.exists(f"{PG_BIN}/initdb"):
        raise RuntimeError(f"PostgreSQL binaries not found in {PG_BIN} (apt-get install postgresql)")
    prefix: list[str] = []
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            raise RuntimeError("running as root and runuser is missing: initdb refuses root")
        prefix = [runuser, "-u", "postgres", "--"]
    tmp = tempfile.mkdtemp(prefix="tk-pg-")
    os.chmod(tmp, 0o777)
    data = os.path.join(tmp, "data")
    port = free_port()

    def run(*cmd: str) -> None:
        result = subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed: {result.stderr.strip()[-500:]}")

    run(f"{PG_BIN}/initdb", "-D", data, "-U", "tk", "--auth=trust", "-E", "UTF8", "--no-sync")
    run(f"{PG_BIN}/pg_ctl", "-D", data, "-l", os.path.join(tmp, "log"), "-w", "-t", "60", "start",
        "-o", f"-h 127.0.0.1 -p {port} -k {tmp} -c fsync=off")
    dsn = f"host=127.0.0.1 port={port} user=tk dbname=postgres"
    deadline = time.time() + 30
    import psycopg

    while True:
        try:
            psycopg.connect(dsn).close()
            break
        except psycopg.OperationalError:
            if time.time() > deadline:
                raise RuntimeError("PostgreSQL did not accept connections") from None
            time.sleep(0.2)

    def stop() -> None:
        subprocess.run([*prefix, f"{PG_BIN}/pg_ctl", "-D", data, "-m", "immediate", "stop"],
                       capture_output=True, timeout=60, check=False)
        shutil.rmtree(tmp, ignore_errors=True)

    return dsn, stop


def fresh_postgres_db(dsn: str) -> str:
    """Create a new empty database on the server and return its DSN."""
    import psycopg

    name = "tk_" + secrets.token_hex(6)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return dsn.replace("dbname=postgres", f"dbname={name}")


_PG: dict[str, Any] = {}


def shared_postgres() -> str:
    """One throwaway PostgreSQL server per test process (stopped at exit), and one database on it.

    Raises RuntimeError (callers skip) when PostgreSQL cannot be started; the failure is remembered.
    """
    import atexit

    if "error" in _PG:
        raise RuntimeError(_PG["error"])
    if "dsn" not in _PG:
        try:
            dsn, stop = start_postgres()
        except RuntimeError as exc:
            _PG["error"] = str(exc)
            raise
        atexit.register(stop)
        _PG["dsn"] = fresh_postgres_db(dsn)
    return str(_PG["dsn"])


def empty_postgres_store() -> Any:
    """A PostgresStore on the shared server with every table emptied (faster than a new database)."""
    from trustkit.identity import PostgresStore

    store = PostgresStore(shared_postgres())
    with store._tx() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [row[0] for row in cur.fetchall()]
        cur.execute("TRUNCATE " + ", ".join(tables))
    return store
