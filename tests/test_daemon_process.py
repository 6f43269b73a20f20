"""A real daemon process on 127.0.0.1: hvac (unmodified) drives it, RemoteSigner stamps an OFD,
signatures are checked by gmssl and tongsuopy, many threads sign at once, TLS and mTLS, and a
SIGTERM drains in-flight requests."""

from __future__ import annotations

import base64
import datetime as dt
import signal
import ssl
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import hvac
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from gmssl import sm2 as gmssl_sm2
from tongsuopy.crypto import hashes as t_hashes
from tongsuopy.crypto import serialization as t_ser
from tongsuopy.crypto.asymciphers import ec as t_ec

from trustkit.daemon._testing import (
    PASSPHRASE,
    RunningDaemon,
    init_data_dir,
    start_daemon,
)
from trustkit.daemon.audit import verify_audit
from trustkit.primitives import sm2


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    directory = tmp_path_factory.mktemp("daemon")
    config_path, token = init_data_dir(directory)
    running = start_daemon(config_path, token)
    yield running
    running.stop()


def test_hvac_drives_create_read_rotate_sign_verify_batch(daemon: RunningDaemon) -> None:
    client = hvac.Client(url=daemon.url, token=daemon.token)
    assert client.sys.read_seal_status()["sealed"] is False
    assert client.sys.read_health_status(method="GET")["initialized"] is True
    transit = client.secrets.transit
    transit.create_key(name="hv-p256", key_type="ecdsa-p256")
    # hvac's create_key only allows Vault's key types, so the sm2 key goes through hvac's adapter.
    client.adapter.post("/v1/transit/keys/hv-sm2", json={"type": "sm2"})
    for name in ("hv-sm2", "hv-p256"):
        data = transit.read_key(name=name)["data"]
        assert data["latest_version"] == 1 and "BEGIN PUBLIC KEY" in data["keys"]["1"]["public_key"]
        transit.rotate_key(name=name)
        assert transit.read_key(name=name)["data"]["latest_version"] == 2
        message = base64.b64encode(b"hvac message").decode()
        signed = transit.sign_data(name=name, hash_input=message)["data"]
        assert signed["key_version"] == 2 and signed["signature"].startswith("vault:v2:")
        assert transit.verify_signed_data(name=name, hash_input=message, signature=signed["signature"])["data"]["valid"]
        assert not transit.verify_signed_data(name=name, hash_input=base64.b64encode(b"other").decode(),
                                              signature=signed["signature"])["data"]["valid"]
        batch = [{"input": base64.b64encode(f"item {i}".encode()).decode()} for i in range(20)]
        results = transit.sign_data(name=name, batch_input=batch)["data"]["batch_results"]
        assert len(results) == 20
        for item, result in zip(batch, results):
            assert transit.verify_signed_data(name=name, hash_input=item["input"],
                                              signature=result["signature"])["data"]["valid"]
    transit.update_key_configuration(name="hv-sm2", deletion_allowed=True)
    keys = hvac.Client(url=daemon.url, token=daemon.token, strict_http=True).secrets.transit.list_keys()
    assert {"hv-sm2", "hv-p256"} <= set(keys["data"]["keys"])
    transit.delete_key(name="hv-sm2")
    with pytest.raises(hvac.exceptions.InvalidPath):
        transit.read_key(name="hv-sm2")
    with pytest.raises(hvac.exceptions.InvalidRequest, match="encryption key not found"):
        transit.sign_data(name="hv-sm2", hash_input="eA==")
    with pytest.raises(hvac.exceptions.Forbidden):
        hvac.Client(url=daemon.url, token="tk.nope").secrets.transit.sign_data(name="hv-p256", hash_input="eA==")


def _sign(daemon: RunningDaemon, client: httpx.Client, name: str, message: bytes) -> bytes:
    r = client.post(f"/v1/transit/sign/{name}", json={"input": base64.b64encode(message).decode()})
    assert r.status_code == 200, r.text
    return base64.b64decode(r.json()["data"]["signature"].split(":", 2)[2])


def test_sm2_signatures_verify_with_gmssl_and_tongsuopy(daemon: RunningDaemon) -> None:
    with daemon.client() as client:
        info = client.post("/v1/transit/keys/indep", json={"type": "sm2"}).json()["data"]
        pem = info["keys"]["1"]["public_key"].encode()
        public = sm2.load_public_key(pem)
        peer = gmssl_sm2.CryptSM2(private_key="00", public_key="00")
        peer.public_key = public.public_bytes("raw")[1:].hex()  # see test_sm2_differential: gmssl's lstrip trap
        t_public = t_ser.load_pem_public_key(pem)
        for i in range(10):
            message = f"document {i}".encode() * (i + 1)
            der = _sign(daemon, client, "indep", message)
            assert peer.verify_with_sm3(sm2.decode_signature_der(der).hex(), message)  # default ID inside gmssl
            t_public.verify(der, message, t_ec.ECDSA(t_hashes.SM3()))  # tongsuopy: DER, default ID
        assert not peer.verify_with_sm3(sm2.decode_signature_der(der).hex(), message + b"x")


def test_concurrent_clients_same_and_different_keys(daemon: RunningDaemon) -> None:
    names = [f"conc-{i}" for i in range(4)]
    publics = {}
    with daemon.client() as client:
        for name in names:
            pem = client.post(f"/v1/transit/keys/{name}", json={"type": "sm2"}).json()["data"]["keys"]["1"]["public_key"]
            publics[name] = sm2.load_public_key(pem.encode())

    def work(worker: int) -> list[tuple[str, bytes, bytes]]:
        out = []
        with daemon.client() as client:
            for i in range(40):
                name = names[0] if i % 2 else names[(worker + i) % len(names)]
                message = f"w{worker} i{i}".encode()
                out.append((name, message, _sign(daemon, client, name, message)))
        return out

    with ThreadPoolExecutor(16) as pool:
        results = [item for chunk in pool.map(work, range(16)) for item in chunk]
    assert len(results) == 640
    checks = sm2.verify_many([(publics[name], sig, message) for name, message, sig in results])
    assert all(checks)
    assert verify_audit(daemon.data_dir / "audit.jsonl").valid


def test_remote_signer_stamps_an_ofd_that_verify_ofd_accepts(daemon: RunningDaemon) -> None:
    from test_ofd_stamp import NOW, licence, make_test_seal, pki

    from trustkit.daemon.remote_signer import RemoteSigner
    from trustkit.ofd.stamp import PagePlacement, stamp_ofd
    from trustkit.ofd.verify import verify_ofd
    from trustkit.pki.builder import CertificateProfile, issue_certificate
    from trustkit.pki.names import make_name

    with daemon.client() as client:
        pem = client.post("/v1/transit/keys/seal-signer", json={"type": "sm2"}).json()["data"]["keys"]["1"]["public_key"]
    chain = pki().signer
    certificate = issue_certificate(subject=make_name(common_name="福州示例科技有限公司 (daemon key)",
                                                      organization="福州示例科技有限公司"),
                                    public_key=sm2.load_public_key(pem.encode()), issuer=chain.intermediate,
                                    issuer_key=chain.intermediate_key, profile=CertificateProfile.SEAL_SIGNER,
                                    not_before=NOW - dt.timedelta(days=31), validity=dt.timedelta(days=400))
    seal = make_test_seal(4, signer=certificate)
    with RemoteSigner(daemon.url, daemon.token, "seal-signer", certificate) as signer:
        out = stamp_ofd(licence(), signer, seal=seal, placements=[PagePlacement(0, 120, 200)], time=NOW)
    report = verify_ofd(out, context=pki().context(), at=NOW)
    assert report.valid, report.summary()
    with daemon.client() as client:
        client.post("/v1/transit/keys/not-the-seal-key", json={"type": "sm2"})
    wrong = RemoteSigner(daemon.url, daemon.token, "not-the-seal-key", certificate)
    from trustkit.errors import InvalidSignature

    with pytest.raises(InvalidSignature, match="wrong key"):
        wrong.sign(b"x")
    wrong.close()


def _self_signed(directory: Path, name: str, *, ca: bool = False, issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None = None,
                 san: bool = True) -> tuple[Path, Path, x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(issuer[0].subject if issuer else subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
               .not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(__import__("ipaddress")
                                                                                     .ip_address("127.0.0.1"))]),
                                        critical=False)
    cert = builder.sign(issuer[1] if issuer else key, hashes.SHA256())
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path, cert, key


def test_tls_and_mutual_tls(tmp_path: Path) -> None:
    """A generated P-256 server certificate; with tls_client_ca, clients without a certificate fail."""
    server_cert, server_key, _, _ = _self_signed(tmp_path, "server")
    ca_path, _, ca_cert, ca_key = _self_signed(tmp_path, "client-ca", ca=True, san=False)
    client_cert, client_key, _, _ = _self_signed(tmp_path, "client", issuer=(ca_cert, ca_key), san=False)
    config_path, token = init_data_dir(tmp_path / "d", tls_cert=str(server_cert), tls_key=str(server_key),
                                       tls_client_ca=str(ca_path))
    running = start_daemon(config_path, token)
    try:
        context = ssl.create_default_context(cafile=str(server_cert))
        context.load_cert_chain(str(client_cert), str(client_key))
        with httpx.Client(base_url=running.url, verify=context, headers={"X-Vault-Token": token}) as client:
            assert client.put("/v1/sys/unseal", json={"key": PASSPHRASE}).json()["sealed"] is False
            assert client.post("/v1/transit/keys/t", json={"type": "sm2"}).status_code == 200
        no_cert = ssl.create_default_context(cafile=str(server_cert))
        with pytest.raises((httpx.HTTPError, ssl.SSLError, OSError)), \
                httpx.Client(base_url=running.url, verify=no_cert) as client:
            client.get("/v1/sys/health").raise_for_status()
        # the server certificate is checked by the client too
        with pytest.raises(httpx.ConnectError), httpx.Client(base_url=running.url) as client:
            client.get("/v1/sys/health")
    finally:
        running.stop()


def test_sigterm_drains_in_flight_requests(tmp_path: Path) -> None:
    config_path, token = init_data_dir(tmp_path)
    running = start_daemon(config_path, token)
    with running.client() as client:
        client.post("/v1/transit/keys/g", json={"type": "rsa-4096"})
    outcomes: list[int] = []
    stop = threading.Event()

    def hammer() -> None:
        with running.client() as client:
            while not stop.is_set():
                try:
                    outcomes.append(client.post("/v1/transit/sign/g", json={"input": "eA=="}).status_code)
                except httpx.HTTPError:
                    return

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    code = running.stop(signal.SIGTERM)
    stop.set()
    for t in threads:
        t.join()
    # uvicorn re-raises the captured SIGTERM after its graceful shutdown, hence -15 rather than 0.
    assert code in (0, -signal.SIGTERM) and outcomes and set(outcomes) == {200}
    report = verify_audit(tmp_path / "audit.jsonl")
    assert report.valid and report.records >= len(outcomes)


def test_http_h11_accepts_vaults_list_method_for_plain_hvac(tmp_path: Path) -> None:
    """httptools (the fast default) rejects the non-standard LIST method; ``http = "h11"`` accepts it,
    so hvac's default ``list_keys`` works without ``strict_http``."""
    config_path, token = init_data_dir(tmp_path, http="h11")
    running = start_daemon(config_path, token)
    try:
        client = hvac.Client(url=running.url, token=token)
        client.secrets.transit.create_key(name="listed", key_type="ed25519")
        assert client.secrets.transit.list_keys()["data"]["keys"] == ["listed"]
    finally:
        running.stop()
