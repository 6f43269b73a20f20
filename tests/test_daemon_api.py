"""The daemon's HTTP API driven in-process (Starlette TestClient): seal state, keys, signing and
verification for every key type, policies, rate limits, hostile requests, wrapped export."""

from __future__ import annotations

import base64
import hashlib
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

from trustkit.daemon.app import create_app
from trustkit.daemon.audit import verify_audit
from trustkit.daemon.config import load_config
from trustkit.daemon.state import Daemon
from trustkit.errors import DecryptionError
from trustkit.primitives import sm2, sm3, sm4

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PASS = "correct horse battery"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Api:
    def __init__(self, client: TestClient, daemon: Daemon, token: str, data_dir: Path) -> None:
        self.client = client
        self.daemon = daemon
        self.token = token
        self.data_dir = data_dir

    def call(self, method: str, path: str, body: Any = None, token: str | None = "root", **kw: Any) -> Any:
        headers = dict(kw.pop("headers", {}))
        if token is not None:
            headers["X-Vault-Token"] = self.token if token == "root" else token
        return self.client.request(method, path, json=body, headers=headers, **kw)

    def new_token(self, rules: list[dict[str, Any]] | None = None, **extra: Any) -> str:
        policies = ["root"]
        if rules is not None:
            name = f"p{len(rules)}{abs(hash(json.dumps(rules))) % 10000}"
            r = self.call("PUT", f"/v1/sys/policy/{name}", {"policy": json.dumps({"rules": rules})})
            assert r.status_code == 204, r.text
            policies = [name]
        r = self.call("POST", "/v1/auth/token/create", {"policies": policies, **extra})
        assert r.status_code == 200, r.text
        return str(r.json()["auth"]["client_token"])


@pytest.fixture()
def api(tmp_path: Path) -> Iterator[Api]:
    config = load_config(flags={"data_dir": str(tmp_path), "scrypt_n": 1024, "max_body_bytes": 64 * 1024}, env={})
    daemon = Daemon.from_config(config, create=True)
    daemon.keystore.initialize(PASS, scrypt_n=1024)
    token, _ = daemon.auth.create_token(["root"])
    with TestClient(create_app(daemon)) as client:
        a = Api(client, daemon, token, tmp_path)
        assert a.call("PUT", "/v1/sys/unseal", {"key": PASS}, token=None).json()["sealed"] is False
        yield a


def test_starts_sealed_and_refuses_to_sign_until_unsealed(api: Api) -> None:
    assert api.call("POST", "/v1/transit/keys/k", {"type": "sm2"}).status_code == 200
    assert api.call("PUT", "/v1/sys/seal").status_code == 204
    status = api.call("GET", "/v1/sys/seal-status", token=None).json()
    assert status["sealed"] is True and status["initialized"] is True
    assert api.call("GET", "/v1/sys/health", token=None).status_code == 503
    r = api.call("POST", "/v1/transit/sign/k", {"input": b64(b"x")})
    assert r.status_code == 503 and r.json() == {"errors": ["Vault is sealed"]}
    assert api.daemon.keystore._keys == {}  # decrypted keys were dropped
    wrong = api.call("PUT", "/v1/sys/unseal", {"key": "wrong passphrase"}, token=None)
    assert wrong.status_code == 400 and "passphrase" in wrong.json()["errors"][0]
    assert api.call("PUT", "/v1/sys/unseal", {"key": PASS}, token=None).json()["sealed"] is False
    assert api.call("POST", "/v1/transit/sign/k", {"input": b64(b"x")}).status_code == 200
    assert api.call("GET", "/v1/sys/health", token=None).status_code == 200


def test_keys_are_encrypted_at_rest_with_sm4_gcm(api: Api) -> None:
    api.call("POST", "/v1/transit/keys/k", {"type": "sm2"})
    record = api.daemon.storage.key_get("k")
    assert record is not None
    sealed = record.versions[0].private_key
    raw_key = api.daemon.keystore._private(api.daemon.keystore._get("k"), 1)
    assert isinstance(raw_key, sm2.PrivateKey)
    assert raw_key.private_bytes("raw") not in sealed
    data_key = bytes(api.daemon.keystore._data_key or b"")
    assert sm4.decrypt_gcm(data_key, sealed[:12], sealed[12:], b"trustkit-key-v1:k:1") == raw_key.private_bytes("raw")
    with pytest.raises(DecryptionError):  # bound to name and version
        sm4.decrypt_gcm(data_key, sealed[:12], sealed[12:], b"trustkit-key-v1:other:1")
    db = (api.data_dir / "trustkit.db").read_bytes()
    assert raw_key.private_bytes("raw") not in db


@pytest.mark.parametrize("key_type", ["sm2", "ecdsa-p256", "rsa-2048", "ed25519"])
def test_sign_verify_each_key_type_and_check_independently(api: Api, key_type: str) -> None:
    r = api.call("POST", f"/v1/transit/keys/k-{key_type}", {"type": key_type})
    assert r.status_code == 200, r.text
    pem = r.json()["data"]["keys"]["1"]["public_key"]
    message = b"contract 2026-12-02"
    r = api.call("POST", f"/v1/transit/sign/k-{key_type}", {"input": b64(message)})
    assert r.status_code == 200, r.text
    signature = r.json()["data"]["signature"]
    assert signature.startswith("vault:v1:")
    raw = base64.b64decode(signature.split(":", 2)[2])
    if key_type == "sm2":
        sm2.load_public_key(pem.encode()).verify(raw, message)
    elif key_type == "ed25519":
        ed25519.Ed25519PublicKey.from_public_bytes(base64.b64decode(pem)).verify(raw, message)
    else:
        public = serialization.load_pem_public_key(pem.encode())
        if isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(raw, message, ec.ECDSA(hashes.SHA256()))
        else:
            assert isinstance(public, rsa.RSAPublicKey)
            public.verify(raw, message, padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.AUTO), hashes.SHA256())
    ok = api.call("POST", f"/v1/transit/verify/k-{key_type}", {"input": b64(message), "signature": signature})
    assert ok.json()["data"] == {"valid": True}
    bad = api.call("POST", f"/v1/transit/verify/k-{key_type}", {"input": b64(message + b"!"), "signature": signature})
    assert bad.status_code == 200 and bad.json()["data"] == {"valid": False}


def test_sm2_prehashed_is_e_of_z_and_message(api: Api) -> None:
    info = api.call("POST", "/v1/transit/keys/s", {"type": "sm2"}).json()["data"]
    public = sm2.load_public_key(info["keys"]["1"]["public_key"].encode())
    message = b"hello"
    e = sm3.hash(public.compute_z() + message)
    r = api.call("POST", "/v1/transit/sign/s", {"input": b64(e), "prehashed": True})
    raw = base64.b64decode(r.json()["data"]["signature"].split(":", 2)[2])
    public.verify(raw, message)
    assert api.call("POST", "/v1/transit/sign/s", {"input": b64(b"short"), "prehashed": True}).status_code == 400
    assert api.call("POST", "/v1/transit/sign/s/sha2-256", {"input": b64(message)}).status_code == 400


def test_ecdsa_options_hash_path_prehashed_and_jws(api: Api) -> None:
    api.call("POST", "/v1/transit/keys/e", {"type": "ecdsa-p256"})
    message = b"abc"
    r = api.call("POST", "/v1/transit/sign/e/sha2-384", {"input": b64(message), "marshaling_algorithm": "jws"})
    sig = r.json()["data"]["signature"]
    assert len(base64.b64decode(sig.split(":", 2)[2])) == 64
    assert api.call("POST", "/v1/transit/verify/e/sha2-384", {"input": b64(message), "signature": sig,
                                                               "marshaling_algorithm": "jws"}).json()["data"]["valid"]
    digest = hashlib.sha256(message).digest()
    r = api.call("POST", "/v1/transit/sign/e", {"input": b64(digest), "prehashed": True})
    sig = r.json()["data"]["signature"]
    assert api.call("POST", "/v1/transit/verify/e", {"input": b64(message), "signature": sig}).json()["data"]["valid"]
    public = api.daemon.keystore._get("e").versions[1].public
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(base64.b64decode(sig.split(":", 2)[2]), digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))


def test_batch_sign_and_verify(api: Api) -> None:
    api.call("POST", "/v1/transit/keys/b", {"type": "sm2"})
    items = [{"input": b64(f"m{i}".encode()), "reference": str(i)} for i in range(50)]
    items.insert(3, {"input": "***not base64***"})
    r = api.call("POST", "/v1/transit/sign/b", {"batch_input": items})
    results = r.json()["data"]["batch_results"]
    assert len(results) == 51 and "error" in results[3]
    good = [(item, res) for item, res in zip(items, results) if "signature" in res]
    assert len(good) == 50 and all(res["reference"] == item["reference"] for item, res in good)
    check = [{"input": item["input"], "signature": res["signature"]} for item, res in good]
    check[7]["input"] = b64(b"tampered")
    verified = api.call("POST", "/v1/transit/verify/b", {"batch_input": check}).json()["data"]["batch_results"]
    assert [v["valid"] for v in verified] == [i != 7 for i in range(50)]


def test_rotation_versions_and_minimums(api: Api) -> None:
    api.call("POST", "/v1/transit/keys/r", {"type": "sm2"})
    old = api.call("POST", "/v1/transit/sign/r", {"input": b64(b"a")}).json()["data"]["signature"]
    info = api.call("POST", "/v1/transit/keys/r/rotate").json()["data"]
    assert info["latest_version"] == 2 and set(info["keys"]) == {"1", "2"}
    new = api.call("POST", "/v1/transit/sign/r", {"input": b64(b"a")}).json()["data"]
    assert new["key_version"] == 2 and new["signature"].startswith("vault:v2:")
    v1 = api.call("POST", "/v1/transit/sign/r", {"input": b64(b"a"), "key_version": 1}).json()["data"]
    assert v1["key_version"] == 1
    assert api.call("POST", "/v1/transit/verify/r", {"input": b64(b"a"), "signature": old}).json()["data"]["valid"]
    assert api.call("POST", "/v1/transit/keys/r/config", {"min_decryption_version": 2}).status_code == 200
    r = api.call("POST", "/v1/transit/verify/r", {"input": b64(b"a"), "signature": old})
    assert r.status_code == 400 and "minimum" in r.json()["errors"][0]
    assert api.call("POST", "/v1/transit/keys/r/config", {"min_encryption_version": 2}).status_code == 200
    assert api.call("POST", "/v1/transit/sign/r", {"input": b64(b"a"), "key_version": 1}).status_code == 400
    assert api.call("POST", "/v1/transit/keys/r/config", {"min_decryption_version": 9}).status_code == 400
    assert api.call("POST", "/v1/transit/keys/r/config", {"bogus": 1}).status_code == 400


def test_deletion_protection_and_exportability(api: Api) -> None:
    api.call("POST", "/v1/transit/keys/d", {"type": "sm2"})
    r = api.call("DELETE", "/v1/transit/keys/d")
    assert r.status_code == 400 and "deletion is not allowed" in r.json()["errors"][0]
    api.call("POST", "/v1/transit/keys/d/config", {"deletion_allowed": True})
    assert api.call("DELETE", "/v1/transit/keys/d").status_code == 204
    assert api.call("GET", "/v1/transit/keys/d").status_code == 404
    # non-exportable by default; exportable keys leave only wrapped for an SM2 recipient
    api.call("POST", "/v1/transit/keys/x", {"type": "sm2"})
    recipient = sm2.generate_private_key()
    body = {"wrapping_public_key": recipient.public_key().public_bytes("PEM").decode()}
    assert api.call("POST", "/v1/trustkit/keys/x/export-wrapped", body).status_code == 400
    api.call("POST", "/v1/transit/keys/y", {"type": "sm2", "exportable": True})
    assert api.call("POST", "/v1/transit/keys/y/config", {"exportable": False}).status_code == 400
    envelope = api.call("POST", "/v1/trustkit/keys/y/export-wrapped", body).json()["data"]
    transport = recipient.decrypt(base64.b64decode(envelope["encrypted_key"]))
    raw = sm4.decrypt_gcm(transport, base64.b64decode(envelope["nonce"]), base64.b64decode(envelope["ciphertext"]),
                          b"trustkit-export-v1:y:1")
    exported = sm2.load_private_key(raw)
    pem = api.call("GET", "/v1/transit/keys/y").json()["data"]["keys"]["1"]["public_key"]
    assert exported.public_key() == sm2.load_public_key(pem.encode())
    assert api.call("POST", "/v1/transit/keys/z", {"type": "sm2", "allow_plaintext_backup": True}).status_code == 400


def test_policies_allow_only_listed_keys_and_operations(api: Api) -> None:
    for name in ("seal-a", "other"):
        api.call("POST", f"/v1/transit/keys/{name}", {"type": "sm2"})
    token = api.new_token([{"keys": "seal-*", "operations": ["sign", "read"]}])
    assert api.call("POST", "/v1/transit/sign/seal-a", {"input": b64(b"x")}, token=token).status_code == 200
    for method, path, body in (("POST", "/v1/transit/sign/other", {"input": b64(b"x")}),
                               ("POST", "/v1/transit/keys/seal-a/rotate", None),
                               ("POST", "/v1/transit/verify/seal-a", {"input": "eA==", "signature": "vault:v1:AA=="}),
                               ("PUT", "/v1/sys/seal", None),
                               ("POST", "/v1/auth/token/create", {})):
        r = api.call(method, path, body, token=token)
        assert r.status_code == 403 and r.json() == {"errors": ["permission denied"]}, path
    assert api.call("POST", "/v1/transit/sign/seal-a", {"input": "eA=="}, token=None).status_code == 403
    assert api.call("POST", "/v1/transit/sign/seal-a", {"input": "eA=="}, token="tk.forged").status_code == 403
    assert api.call("PUT", "/v1/sys/policy/bad", {"policy": '{"rules": [{"keys": "*", "operations": ["fly"]}]}'}
                    ).status_code == 400


def test_tokens_are_stored_hashed_expire_and_single_use_tokens_cannot_be_replayed(api: Api) -> None:
    api.call("POST", "/v1/transit/keys/k", {"type": "sm2"})
    token = api.new_token(num_uses=2)
    db = (api.data_dir / "trustkit.db").read_bytes()
    assert token.encode() not in db and api.token.encode() not in db
    assert api.daemon.storage.token_get(api.daemon.auth.token_id(token)) is not None
    assert len(base64.urlsafe_b64decode(token[3:] + "=")) == 32
    for expected in (200, 200, 403):
        assert api.call("POST", "/v1/transit/sign/k", {"input": "eA=="}, token=token).status_code == expected
    clock = [1000.0]
    api.daemon.auth._clock = lambda: clock[0]
    short = api.new_token(ttl="10s")
    assert api.call("POST", "/v1/transit/sign/k", {"input": "eA=="}, token=short).status_code == 200
    clock[0] += 11
    r = api.call("POST", "/v1/transit/sign/k", {"input": "eA=="}, token=short)
    assert r.status_code == 403 and "expired" in r.json()["errors"][0]


def test_rate_limit_answers_429_with_retry_after(api: Api) -> None:
    api.call("POST", "/v1/transit/keys/k", {"type": "sm2"})
    token = api.new_token(rate_limit=2)
    codes = [api.call("POST", "/v1/transit/sign/k", {"input": "eA=="}, token=token) for _ in range(6)]
    limited = [r for r in codes if r.status_code == 429]
    assert limited and codes[0].status_code == 200
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert limited[0].json() == {"errors": ["rate limit exceeded"]}
    assert api.call("POST", "/v1/transit/sign/k", {"input": "eA=="}).status_code == 200  # others unaffected


def test_hostile_requests_get_the_right_4xx_and_the_daemon_stays_up(api: Api) -> None:
    api.call("POST", "/v1/transit/keys/k", {"type": "sm2"})
    headers = {"Content-Type": "application/json"}
    big = api.call("POST", "/v1/transit/sign/k", None, content=b'{"input": "' + b"A" * 70000 + b'"}', headers=headers)
    assert big.status_code == 413 and big.json()["errors"]
    cases = [
        (b"{not json", 400), (b"[1, 2]", 400), (b'{"input": "%%%"}', 400), (b'{"input": 5}', 400),
        (b'{"batch_input": "x"}', 400), (b'{"batch_input": []}', 400), (b"{}", 400),
        (b'{"input": "eA==", "key_version": "one"}', 400), (b'{"input": "eA==", "key_version": 7}', 400),
        (b'{"input": "eA==", "prehashed": "maybe"}', 400), (b"\xff\xfe", 400),
    ]
    for body, status in cases:
        r = api.call("POST", "/v1/transit/sign/k", None, content=body, headers=headers)
        assert r.status_code == status and isinstance(r.json()["errors"], list), body
    assert api.call("POST", "/v1/transit/sign/missing", {"input": "eA=="}).json() == \
        {"errors": ["encryption key not found"]}
    assert api.call("GET", "/v1/transit/keys/missing").status_code == 404
    assert api.call("GET", "/v1/nowhere").status_code == 404
    for sig in ("vault:v1", "vault:vX:AA==", "v1:AA==", "vault:v1:***", 7):
        r = api.call("POST", "/v1/transit/verify/k", {"input": "eA==", "signature": sig})
        assert r.status_code == 400, sig
    assert api.call("POST", "/v1/transit/keys/bad%2Fname", {"type": "sm2"}).status_code in (400, 404)
    assert api.call("POST", "/v1/transit/keys/t", {"type": "aes256-gcm96"}).status_code == 400
    assert api.call("POST", "/v1/transit/sign/k", {"batch_input": [{"input": "eA=="}] * 1001}).status_code == 400
    assert api.call("POST", "/v1/transit/sign/k", {"input": "eA=="}).status_code == 200


def test_audit_records_every_request_without_secrets(api: Api) -> None:
    api.call("POST", "/v1/transit/keys/k", {"type": "sm2"})
    secret_input = b"top secret payload"
    api.call("POST", "/v1/transit/sign/k", {"input": b64(secret_input)})
    api.call("POST", "/v1/transit/sign/k", {"input": b64(b"x")}, token="tk.wrong")
    api.daemon.audit.close()
    text = (api.data_dir / "audit.jsonl").read_text()
    assert api.token not in text and PASS not in text and b64(secret_input) not in text
    records = [json.loads(line)["rec"] for line in text.splitlines()]
    sign = next(r for r in records if r["path"] == "/v1/transit/sign/k" and r["status"] == 200)
    assert sign["input"] == api.daemon.audit.hmac(secret_input) and sign["token"].startswith("hmac-sm3:")
    assert sign["key"] == "k" and sign["key_version"] == 1
    denied = records[-1]
    assert denied["status"] == 403 and denied["token"] == "hmac-sm3:" + api.daemon.auth.token_id("tk.wrong")
    assert verify_audit(api.data_dir / "audit.jsonl").valid


def test_list_keys_openapi_and_token_lookup(api: Api) -> None:
    assert api.call("GET", "/v1/transit/keys?list=true").status_code == 404
    api.call("POST", "/v1/transit/keys/a", {"type": "sm2"})
    api.call("POST", "/v1/transit/keys/b", {"type": "ed25519"})
    assert api.call("LIST", "/v1/transit/keys").json()["data"]["keys"] == ["a", "b"]
    assert api.call("GET", "/v1/transit/keys?list=true").json()["data"]["keys"] == ["a", "b"]
    doc = api.call("GET", "/v1/openapi.json", token=None).json()
    assert doc["openapi"].startswith("3.") and "/v1/transit/sign/{name}" in doc["paths"]
    me = api.call("GET", "/v1/auth/token/lookup-self").json()["data"]
    assert me["policies"] == ["root"]
    again = api.call("POST", "/v1/transit/keys/a", {"type": "ed25519"}).json()["data"]
    assert again["type"] == "sm2"  # an existing key is left alone, as Vault does


def test_a_sys_token_cannot_mint_policies_it_does_not_hold(api: Api) -> None:
    admin = api.new_token([{"keys": "*", "operations": ["sys"]}])
    r = api.call("POST", "/v1/auth/token/create", {"policies": ["root"]}, token=admin)
    assert r.status_code == 403
    own = api.call("GET", "/v1/auth/token/lookup-self", token=admin)
    assert own.status_code == 200 and own.json()["data"]["policies"] != ["root"]
    r = api.call("POST", "/v1/auth/token/create", {}, token=admin)
    assert r.status_code == 200 and r.json()["auth"]["policies"] != ["root"]
