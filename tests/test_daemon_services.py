"""trustkit endpoints: OFD and PDF stamping with a daemon-held key and a stored seal, and the
RFC 3161 service signed by a daemon key (in-process app)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from trustkit.daemon.app import create_app
from trustkit.daemon.config import load_config
from trustkit.daemon.state import Daemon
from trustkit.pki.builder import CertificateProfile, issue_certificate
from trustkit.pki.certificate import Certificate
from trustkit.pki.names import make_name
from trustkit.pki.timestamp import make_request, token_from_response, verify_timestamp
from trustkit.primitives import sm2

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "licence_templates"


@pytest.fixture()
def client(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    config = load_config(flags={"data_dir": str(tmp_path), "scrypt_n": 1024}, env={})
    daemon = Daemon.from_config(config, create=True)
    daemon.keystore.initialize("passphrase!", scrypt_n=1024)
    daemon.keystore.unseal("passphrase!")
    token, _ = daemon.auth.create_token(["root"])
    with TestClient(create_app(daemon)) as c:
        yield c, {"X-Vault-Token": token}


def _key_certificate(c: TestClient, headers: dict[str, str], name: str, profile: CertificateProfile,
                     now: dt.datetime) -> Certificate:
    from test_ofd_stamp import pki

    pem = c.post(f"/v1/transit/keys/{name}", json={"type": "sm2"}, headers=headers).json()["data"]["keys"]["1"]
    chain = pki().signer
    certificate = issue_certificate(subject=make_name(common_name=f"{name} (daemon)", organization="福州示例科技有限公司"),
                                    public_key=sm2.load_public_key(pem["public_key"].encode()),
                                    issuer=chain.intermediate, issuer_key=chain.intermediate_key, profile=profile,
                                    not_before=now - dt.timedelta(days=31), validity=dt.timedelta(days=400))
    r = c.put(f"/v1/trustkit/keys/{name}/certificate", headers=headers,
              json={"certificate": certificate.to_pem().decode(), "chain": [chain.intermediate.to_pem().decode()]})
    assert r.status_code == 204, r.text
    return certificate


def test_ofd_stamp_endpoint_with_a_stored_seal(client: tuple[TestClient, dict[str, str]]) -> None:
    from test_ofd_stamp import NOW, licence, make_test_seal, pki

    from trustkit.ofd.verify import verify_ofd

    c, headers = client
    certificate = _key_certificate(c, headers, "stamper", CertificateProfile.SEAL_SIGNER, NOW)
    seal = make_test_seal(4, signer=certificate)
    assert c.put("/v1/trustkit/seals/contract", json={"seal": base64.b64encode(seal).decode()},
                 headers=headers).status_code == 204
    assert c.put("/v1/trustkit/seals/bad", json={"seal": "AAAA"}, headers=headers).status_code == 400
    r = c.post("/v1/trustkit/ofd/stamp/stamper", headers=headers,
               json={"document": base64.b64encode(licence()).decode(), "seal": "contract", "page": 0, "x": 120, "y": 200})
    assert r.status_code == 200, r.text
    stamped = base64.b64decode(r.json()["data"]["document"])
    report = verify_ofd(stamped, context=pki().context(), at=NOW)
    assert report.valid, report.summary()
    r = c.post("/v1/trustkit/ofd/stamp/stamper", headers=headers,
               json={"document": base64.b64encode(licence()).decode(), "seal": "missing"})
    assert r.status_code == 400
    other = c.post("/v1/transit/keys/uncertified", json={"type": "sm2"}, headers=headers)
    assert other.status_code == 200
    r = c.post("/v1/trustkit/ofd/stamp/uncertified", headers=headers, json={"document": "UEs="})
    assert r.status_code == 400 and "certificate" in r.json()["errors"][0]


def test_pdf_stamp_endpoint(client: tuple[TestClient, dict[str, str]]) -> None:
    from test_ofd_stamp import NOW, pki
    from test_pdf_support import make_pdf, seal_image

    from trustkit.pdf import verify_pdf

    c, headers = client
    _key_certificate(c, headers, "pdf-signer", CertificateProfile.SEAL_SIGNER, NOW)
    image = seal_image()
    png = image.png(dpi=300)
    r = c.post("/v1/trustkit/pdf/stamp/pdf-signer", headers=headers,
               json={"document": base64.b64encode(make_pdf()).decode(), "image": base64.b64encode(png).decode(),
                     "page": 1, "x": 150, "y": 60})
    assert r.status_code == 200, r.text
    report = verify_pdf(base64.b64decode(r.json()["data"]["document"]), context=pki().context(), at=NOW)
    assert report.valid, report.summary()


def test_rfc3161_service_signed_by_a_daemon_key(client: tuple[TestClient, dict[str, str]]) -> None:
    c, headers = client
    now = dt.datetime.now(dt.UTC)
    certificate = _key_certificate(c, headers, "tsa", CertificateProfile.TIMESTAMPING, now)
    assert c.put("/v1/trustkit/tsa", json={"key": "tsa"}, headers=headers).status_code == 204
    data = b"document to timestamp"
    request = make_request(data)
    r = c.post("/v1/trustkit/timestamp", content=request,
               headers={**headers, "Content-Type": "application/timestamp-query"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/timestamp-reply"
    info = verify_timestamp(token_from_response(r.content), data=data, tsa_certificate=certificate)
    assert abs((info.gen_time - now).total_seconds()) < 120
    assert c.post("/v1/trustkit/timestamp", content=request, headers=headers).status_code == 400  # content type


def test_licence_issue_endpoint_seals_a_licence_that_verifies(client: tuple[TestClient, dict[str, str]]) -> None:
    from test_ofd_stamp import NOW, make_test_seal, pki

    from trustkit.licence import verify_licence

    c, headers = client
    certificate = _key_certificate(c, headers, "authority", CertificateProfile.SEAL_SIGNER, NOW)
    seal = make_test_seal(4, signer=certificate)
    assert c.put("/v1/trustkit/seals/hr-seal", json={"seal": base64.b64encode(seal).decode()},
                 headers=headers).status_code == 204
    template_text = (EXAMPLES / "qualification_certificate.json").read_text(encoding="utf-8")
    r = c.put("/v1/trustkit/licence/templates/qualification", json={"template": template_text}, headers=headers)
    assert r.status_code == 204, r.text
    record = json.loads((EXAMPLES / "qualification_certificate.record.json").read_text(encoding="utf-8"))
    body = {"record": record, "template": "qualification", "seal": "hr-seal", "time": NOW.isoformat()}
    r = c.post("/v1/trustkit/licence/issue/authority", json=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["identifier"] == record["identifier"]
    document = base64.b64decode(r.json()["data"]["document"])
    result = verify_licence(document, context=pki().context(), at=NOW + dt.timedelta(days=1))
    assert result.valid, [(f.name, f.code) for f in result.failures]
    assert result.record is not None and result.record.holder_name == record["holder_name"]


def test_licence_issue_endpoint_refusals(client: tuple[TestClient, dict[str, str]]) -> None:
    from test_ofd_stamp import NOW, make_test_seal

    c, headers = client
    certificate = _key_certificate(c, headers, "authority", CertificateProfile.SEAL_SIGNER, NOW)
    c.put("/v1/trustkit/seals/hr-seal", json={"seal": base64.b64encode(make_test_seal(4, signer=certificate)).decode()},
          headers=headers)
    template = json.loads((EXAMPLES / "qualification_certificate.json").read_text(encoding="utf-8"))
    assert c.put("/v1/trustkit/licence/templates/t", json={"template": template}, headers=headers).status_code == 204
    with_image = {**template, "background": {"image": "/etc/hostname.png"}}
    r = c.put("/v1/trustkit/licence/templates/img", json={"template": with_image}, headers=headers)
    assert r.status_code == 400 and "background image" in r.json()["errors"][0]
    r = c.put("/v1/trustkit/licence/templates/bad", json={"template": {"name": "x"}}, headers=headers)
    assert r.status_code == 400 and "template" in r.json()["errors"][0]
    record = json.loads((EXAMPLES / "qualification_certificate.record.json").read_text(encoding="utf-8"))
    good = {"record": record, "template": "t", "seal": "hr-seal", "time": NOW.isoformat()}
    cases = [
        ({**good, "record": {**record, "holder_code": "350102199003071235"}}, "record"),  # wrong check character
        ({**good, "template": "missing"}, "no licence template"),
        ({**good, "seal": "missing"}, "no seal"),
        ({k: v for k, v in good.items() if k != "seal"}, "seal"),
        ({**good, "time": "2026-06-01T12:00:00"}, "UTC offset"),
        ({**good, "photo": "not base64!"}, "photo"),
    ]
    for body, message in cases:
        r = c.post("/v1/trustkit/licence/issue/authority", json=body, headers=headers)
        assert r.status_code == 400 and message in r.json()["errors"][0], (message, r.text)
    # A token allowed to stamp with another key only is refused (403), and no key -> no certificate (400).
    c.put("/v1/sys/policy/other", json={"policy": {"rules": [{"keys": "other*", "operations": ["stamp"]}]}},
          headers=headers)
    limited = c.post("/v1/auth/token/create", json={"policies": ["other"]}, headers=headers).json()
    r = c.post("/v1/trustkit/licence/issue/authority", json=good,
               headers={"X-Vault-Token": limited["auth"]["client_token"]})
    assert r.status_code == 403
