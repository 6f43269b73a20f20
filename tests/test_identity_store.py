"""The identity store on SQLite (WAL) and on a real PostgreSQL server (same tests), plus the
password, TOTP and client-secret helpers and the settings loader."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from identity_support import empty_postgres_store

from trustkit.errors import ConfigurationError
from trustkit.identity import (
    Client,
    PasswordHashing,
    SQLiteStore,
    SQLStore,
    User,
    check_client_secret,
    client_secret_digest,
    enrolment_qr_png,
    enrolment_uri,
    load_settings,
    new_client_secret,
    new_secret,
    verify_totp,
)
from trustkit.identity.store import AuthCode, Session


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[SQLStore]:
    result: SQLStore
    if request.param == "sqlite":
        result = SQLiteStore(str(tmp_path / "identity.db"))
    else:
        try:
            result = empty_postgres_store()
        except RuntimeError as exc:
            pytest.skip(f"PostgreSQL unavailable: {exc}")
    yield result
    result.close()


def _code(code_hash: str = "c1", expires: int = 1000) -> AuthCode:
    return AuthCode(code_hash=code_hash, client_id="cl", sub="u1", redirect_uri="https://x/cb", scope="openid",
                    nonce=None, code_challenge="ch", session_hash="s1", auth_time=10, expires=expires)


def test_sqlite_uses_wal(tmp_path: Any) -> None:
    store = SQLiteStore(str(tmp_path / "w.db"))
    assert store._one("PRAGMA journal_mode")[0] == "wal"  # type: ignore[index]


def test_users_and_clients_round_trip(store: SQLStore) -> None:
    user = User(sub="u1", username="alice", password_hash="h", totp_secret="S", email="a@x", name="A")
    store.put_user(user)
    assert store.get_user("u1") == user and store.find_user("alice") == user and store.find_user("bob") is None
    client = Client(client_id="cl", redirect_uris=("https://x/cb",), secret_digest="d", alg="SM2",
                    post_logout_redirect_uris=("https://x/bye",), grant_types=("client_credentials",),
                    scopes=("a",), name="X")
    store.put_client(client)
    assert store.get_client("cl") == client and store.get_client("nope") is None
    store.put_client(Client(client_id="cl", redirect_uris=()))
    assert store.get_client("cl") == Client(client_id="cl", redirect_uris=())


def test_code_single_use_and_links(store: SQLStore) -> None:
    store.put_code(_code())
    assert store.get_code("c1") == _code()
    assert store.consume_code("c1") is True
    assert store.consume_code("c1") is False
    store.link_code_tokens("c1", "fam", "jti-1")
    again = store.get_code("c1")
    assert again is not None and again.used and again.family_id == "fam" and again.access_jti == "jti-1"


def test_code_consumed_once_under_concurrency(store: SQLStore) -> None:
    store.put_code(_code("race"))
    wins: list[bool] = []
    barrier = threading.Barrier(8)

    def attempt() -> None:
        barrier.wait()
        wins.append(store.consume_code("race"))

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 7 + [True]


def test_refresh_family_rotation_and_revocation(store: SQLStore) -> None:
    store.create_family("f1", client_id="cl", sub="u1", scope="openid", session_hash="s1", auth_time=5)
    store.add_refresh_token("r1", "f1", 100)
    store.add_family_jti("j1", "f1", 100)
    record = store.get_refresh("r1")
    assert record is not None and record.family_id == "f1" and not record.used and not record.family_revoked
    assert store.rotate_refresh("r1") is True and store.rotate_refresh("r1") is False
    assert store.is_jti_revoked("j1") is False
    store.revoke_family("f1")
    record = store.get_refresh("r1")
    assert record is not None and record.family_revoked
    assert store.is_jti_revoked("j1") is True
    store.revoke_jti("j2", 100)
    store.revoke_jti("j2", 100)  # idempotent
    assert store.is_jti_revoked("j2") and not store.is_jti_revoked("j3")


def test_sessions_end_and_revoke_families(store: SQLStore) -> None:
    store.create_session(Session(session_hash="s1", sub="u1", auth_time=1, expires=100, amr=("pwd", "otp")))
    assert store.get_session("s1", 50) == Session(session_hash="s1", sub="u1", auth_time=1, expires=100,
                                                  amr=("pwd", "otp"))
    assert store.get_session("s1", 100) is None  # expired
    store.add_session_client("s1", "b")
    store.add_session_client("s1", "a")
    store.add_session_client("s1", "a")
    assert store.session_clients("s1") == ["a", "b"]
    store.create_family("f1", client_id="a", sub="u1", scope="", session_hash="s1", auth_time=1)
    store.add_refresh_token("r1", "f1", 100)
    store.end_session("s1")
    assert store.get_session("s1", 50) is None
    record = store.get_refresh("r1")
    assert record is not None and record.family_revoked


def test_totp_steps_and_rate_limits(store: SQLStore) -> None:
    store.put_user(User(sub="u1", username="a", password_hash="h", totp_secret="S"))
    assert store.use_totp_step("u1", 10) is True
    assert store.use_totp_step("u1", 10) is False
    assert store.use_totp_step("u1", 9) is False
    assert store.use_totp_step("u1", 11) is True
    assert [store.hit("k", 100 + i, 60) for i in range(3)] == [1, 2, 3]
    assert store.hit("k", 161, 60) == 1  # a new window
    assert store.hit("other", 161, 60) == 1


def test_login_transactions_qr_and_purge(store: SQLStore) -> None:
    from trustkit.identity.store import LoginTransaction

    tx = LoginTransaction(tid_hash="t1", params={"client_id": "cl"}, expires=100, extra={"browser": "b"})
    store.put_login(tx)
    assert store.get_login("t1", 50) == tx and store.get_login("t1", 100) is None
    store.delete_login("t1")
    assert store.get_login("t1", 50) is None
    store.put_qr("q1", "ph", {"client_id": "cl"}, 100)
    assert store.get_qr("q1", 50) == ("ph", {"client_id": "cl"}, "pending", None, None)
    assert store.collect_qr("q1") is False
    assert store.approve_qr("q1", "u1", "code") is True and store.approve_qr("q1", "u2", "code2") is False
    assert store.collect_qr("q1") is True and store.collect_qr("q1") is False
    store.put_code(_code("old", expires=10))
    store.put_code(_code("live", expires=1000))
    store.purge(150)
    assert store.get_code("old") is None and store.get_qr("q1", 0) is None and store.get_code("live") is not None


# ---- passwords, TOTP, client secrets --------------------------------------------------------


def test_passwords_argon2id() -> None:
    hashing = PasswordHashing(time_cost=1, memory_cost=1024, parallelism=1)
    hashed = hashing.hash("s3cret")
    assert hashed.startswith("$argon2id$")
    assert hashing.verify(hashed, "s3cret") and not hashing.verify(hashed, "S3cret")
    assert not hashing.verify("not a hash", "s3cret")
    assert not hashing.needs_rehash(hashed)
    assert PasswordHashing(time_cost=2, memory_cost=1024, parallelism=1).needs_rehash(hashed)


def test_totp_enrolment_and_verification(tmp_path: Any) -> None:
    secret = new_secret()
    uri = enrolment_uri(secret, account="alice", issuer="Gov ID")
    assert uri.startswith("otpauth://totp/Gov%20ID:alice?secret=" + secret)
    png = enrolment_qr_png(secret, account="alice", issuer="Gov ID")
    zxingcpp = pytest.importorskip("zxingcpp")
    import io

    from PIL import Image

    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert [d.text for d in decoded] == [uri]
    store = SQLiteStore(str(tmp_path / "t.db"))
    store.put_user(User(sub="u1", username="a", password_hash="h", totp_secret=secret))
    now = 1_800_000_015.0
    code = pyotp.TOTP(secret).at(int(now))
    assert not verify_totp(store, "u1", secret, "12345", now=now)
    assert not verify_totp(store, "u1", secret, "abcdef", now=now)
    assert verify_totp(store, "u1", secret, code[:3] + " " + code[3:], now=now)
    assert not verify_totp(store, "u1", secret, code, now=now)  # replay


def test_client_secrets() -> None:
    pepper = b"k" * 32
    secret = new_client_secret()
    assert len(secret) == 43  # 256 bits, base64url
    stored = client_secret_digest(pepper, secret)
    assert len(stored) == 64 and secret not in stored
    assert check_client_secret(pepper, secret, stored)
    assert not check_client_secret(pepper, secret + "x", stored)
    assert not check_client_secret(b"j" * 32, secret, stored)


def test_settings_file(tmp_path: Any) -> None:
    (tmp_path / "pepper.bin").write_bytes(b"z" * 32)
    (tmp_path / "identity.toml").write_text(
        '[identity]\nissuer = "https://id.example"\npepper_file = "pepper.bin"\naccess_ttl = 300\n'
        '[[keys]]\npath = "k.pem"\nalg = "SM2"\n'
        '[[clients]]\nclient_id = "a"\nredirect_uris = ["https://a/cb"]\n')
    settings = load_settings(str(tmp_path / "identity.toml"))
    assert settings.config.issuer == "https://id.example" and settings.config.access_ttl == 300
    assert settings.config.secure_cookies
    assert settings.database == "sqlite:" + str(tmp_path / "identity.db")
    assert settings.keys[0].path == str(tmp_path / "k.pem") and settings.clients[0]["client_id"] == "a"
    (tmp_path / "bad.toml").write_text('[identity]\nissuer = "https://id.example"\n')
    with pytest.raises(ConfigurationError):
        load_settings(str(tmp_path / "bad.toml"))
    (tmp_path / "nokeys.toml").write_text('[identity]\nissuer = "https://id.example"\npepper_file = "pepper.bin"\n')
    with pytest.raises(ConfigurationError):
        load_settings(str(tmp_path / "nokeys.toml"))


def test_serve_command_builds_app_from_settings(tmp_path: Any) -> None:
    from starlette.testclient import TestClient
    from trustkit_cli import serve

    from trustkit.token import SigningJWK

    (tmp_path / "pepper.bin").write_bytes(b"z" * 32)
    (tmp_path / "sm2.pem").write_bytes(SigningJWK.generate("SM2", kid="s1").private_pem())
    (tmp_path / "identity.toml").write_text(
        '[identity]\nissuer = "http://testserver"\npepper_file = "pepper.bin"\n'
        '[[keys]]\npath = "sm2.pem"\nalg = "SM2"\nkid = "s1"\n'
        '[[clients]]\nclient_id = "a"\nredirect_uris = ["https://a/cb"]\nalg = "SM2"\n')
    app = serve.build_identity_app(str(tmp_path / "identity.toml"))
    client = TestClient(app)
    assert client.get("/.well-known/openid-configuration").json()["id_token_signing_alg_values_supported"] == ["SM2"]
    assert [k["kid"] for k in client.get("/jwks-sm2.json").json()["keys"]] == ["s1"]
    assert client.get("/jwks.json").json() == {"keys": []}
    assert (tmp_path / "identity.db").exists()
