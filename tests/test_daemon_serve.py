"""``trustkit serve --config daemon.toml`` as a real process (daemon + identity app at /identity),
``trustkit bench --target URL`` against it (a tiny sweep), and tokens signed through
``RemoteSigner`` (SM2 JWT verified by trustkit.token, ES256 JWT verified by PyJWT)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from trustkit_cli.main import main

from trustkit.daemon._testing import RunningDaemon, init_data_dir, start_daemon
from trustkit.daemon.config import load_config
from trustkit.daemon.remote_signer import RemoteSigner
from trustkit.pki.builder import CertificateProfile, issue_certificate
from trustkit.pki.certificate import Certificate
from trustkit.pki.names import make_name
from trustkit.primitives import sm2
from trustkit.token import KeySet, SigningJWK, issue, verify

IDENTITY_TABLES = """
[identity]
issuer = "{issuer}"
pepper_file = "identity-pepper.bin"
database = "sqlite:identity.db"

[[keys]]
path = "identity-sm2.pem"
alg = "SM2"
kid = "id-sm2"

[[clients]]
client_id = "portal-a"
redirect_uris = ["https://a.example/cb"]
alg = "SM2"
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    """``trustkit serve --config daemon.toml``, the file holding daemon options and [identity]."""
    directory = tmp_path_factory.mktemp("serve")
    config_path, token = init_data_dir(directory)
    port = load_config(path=str(config_path), env={}).port
    (directory / "identity-pepper.bin").write_bytes(b"p" * 32)
    (directory / "identity-sm2.pem").write_bytes(SigningJWK.generate("SM2", kid="id-sm2").private_pem())
    with open(config_path, "a", encoding="utf-8") as fh:
        fh.write(IDENTITY_TABLES.format(issuer=f"http://127.0.0.1:{port}/identity"))
    running = start_daemon(config_path, token,
                           argv=[sys.executable, "-m", "trustkit_cli", "serve", "--config", str(config_path)])
    yield running
    running.stop()


def test_shared_config_file_resolves_identity_and_daemon_options(tmp_path: Path) -> None:
    path = tmp_path / "daemon.toml"
    path.write_text('port = 8301\n' + IDENTITY_TABLES.format(issuer="http://x/identity"))
    config = load_config(path=str(path), env={})
    assert config.port == 8301 and config.identity_config == str(path.resolve())
    path.write_text('[daemon]\nport = 8302\n')
    assert load_config(path=str(path), env={}).identity_config == ""


def test_serve_runs_the_daemon_with_the_identity_app_mounted(served: RunningDaemon) -> None:
    with served.client() as client:
        health = client.get("/v1/sys/health")
        assert health.status_code == 200 and health.json()["sealed"] is False
        discovery = client.get("/identity/.well-known/openid-configuration")
        assert discovery.status_code == 200, discovery.text
        document = discovery.json()
        assert document["issuer"] == f"{served.url}/identity"
        assert document["id_token_signing_alg_values_supported"] == ["SM2"]
        assert [k["kid"] for k in client.get("/identity/jwks-sm2.json").json()["keys"]] == ["id-sm2"]
        # The transit API is there too.
        assert client.post("/v1/transit/keys/serve-k", json={"type": "sm2"}).status_code == 200


def test_serve_refuses_workers_without_unseal_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config_path, _ = init_data_dir(tmp_path)
    assert main(["serve", "--config", str(config_path), "--workers", "2"]) == 2
    assert "unseal_passphrase_file" in capsys.readouterr().err
    assert main(["daemon", "serve", "--config", str(config_path), "--workers", "2"]) == 2  # the alias
    assert main(["serve", "--help"]) == 0
    help_text = capsys.readouterr().out
    assert "unseal_passphrase_file" in help_text and "reaches only the worker" in help_text
    assert main(["serve", "--identity"]) == 2  # --identity needs its settings file


def test_bench_target_sweeps_a_real_daemon(served: RunningDaemon, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    chart = tmp_path / "bench.png"
    assert main(["bench", "--target", served.url, "--token", served.token, "--concurrency", "1,2",
                 "--duration", "0.25", "--batch-size", "5", "--json", "--plot", str(chart)]) == 0
    out = capsys.readouterr().out
    result = json.loads(out)
    rows = [(r["mode"], r["concurrency"]) for r in result["levels"]]
    assert rows == [("single", 1), ("single", 2), ("batch", 1), ("batch", 2)]
    for row in result["levels"]:
        assert row["requests"] > 0 and row["errors"] == 0
        assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"] <= row["max_ms"]
        per_request = 5 if row["mode"] == "batch" else 1
        assert row["signatures_per_s"] == pytest.approx(row["requests_per_s"] * per_request, rel=1e-6)
    assert result["in_process_signs_per_s"] > 0 and result["batch_ratio"] > 0
    assert chart.read_bytes().startswith(b"\x89PNG")
    # Human output: the progress bar on stderr, the table on stdout.
    assert main(["bench", "--target", served.url, "--token", served.token, "--concurrency", "1",
                 "--duration", "0.2", "--batch-size", "2"]) == 0
    captured = capsys.readouterr()
    assert "[" + "#" * 30 + "]" in captured.err and "p99 ms" in captured.out and "x the in-process rate" in captured.out


def test_bench_option_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--token", "t"]) == 2  # daemon options need --target
    assert main(["bench", "--target", "http://127.0.0.1:1", "--quick"]) == 2
    assert main(["bench", "--target", "http://127.0.0.1:1", "--token", "t", "--concurrency", "1,x"]) == 2
    assert main(["bench", "--target", "http://127.0.0.1:1", "--token", "t", "--concurrency", "0"]) == 2
    assert "--concurrency" in capsys.readouterr().err


def _certify(public_key: Any) -> Certificate:
    from test_ofd_stamp import pki

    chain = pki().signer
    now = dt.datetime.now(dt.UTC)
    return issue_certificate(subject=make_name(common_name="token signer (daemon key)", organization="trustkit"),
                             public_key=public_key, issuer=chain.intermediate, issuer_key=chain.intermediate_key,
                             profile=CertificateProfile.PERSON, not_before=now - dt.timedelta(days=1),
                             validity=dt.timedelta(days=30))


def _public_pem(daemon: RunningDaemon, name: str, key_type: str) -> bytes:
    with daemon.client() as client:
        r = client.post(f"/v1/transit/keys/{name}", json={"type": key_type})
        assert r.status_code == 200, r.text
        pem: str = r.json()["data"]["keys"]["1"]["public_key"]
    return pem.encode()


def test_remote_signer_issues_an_sm2_jwt(served: RunningDaemon) -> None:
    certificate = _certify(sm2.load_public_key(_public_pem(served, "jwt-sm2", "sm2")))
    with RemoteSigner(served.url, served.token, "jwt-sm2", certificate) as signer:
        key = SigningJWK.from_signer(signer, kid="daemon-sm2")
        assert key.alg == "SM2"
        token = issue({"iss": "https://id.example", "sub": "alice", "exp": 4_000_000_000}, key)
    keys = KeySet([key.public])
    verified = verify(token, keys, algorithms=["SM2"], issuer="https://id.example")
    assert verified.claims["sub"] == "alice"
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}"
    from trustkit.errors import TrustkitError

    with pytest.raises(TrustkitError):
        verify(tampered, keys, algorithms=["SM2"])


def test_remote_signer_issues_an_es256_jwt_that_pyjwt_verifies(served: RunningDaemon) -> None:
    public = serialization.load_pem_public_key(_public_pem(served, "jwt-p256", "ecdsa-p256"))
    assert isinstance(public, ec.EllipticCurvePublicKey)
    with RemoteSigner(served.url, served.token, "jwt-p256", _certify(public)) as signer:
        key = SigningJWK.from_signer(signer, kid="daemon-p256")
        assert key.alg == "ES256"
        token = issue({"sub": "bob", "aud": "portal-a", "exp": 4_000_000_000}, key)
    assert jwt.get_unverified_header(token) == {"alg": "ES256", "kid": "daemon-p256", "typ": "JWT"}
    claims = jwt.decode(token, public, algorithms=["ES256"], audience="portal-a")
    assert claims["sub"] == "bob"
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, other, algorithms=["ES256"], audience="portal-a")
