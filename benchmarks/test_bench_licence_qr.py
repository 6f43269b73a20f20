"""Scan-to-show QR payloads: verify with a loaded trust list, next to the bare SM2 verify it contains.

Groups (``--benchmark-group-by=group``):

- ``licence-qr-verify``: :func:`trustkit.licence.qr.verify_qr_payload` of a static SM2 payload
  (the issue's target: >= 5,000/s per core, i.e. <= 200 us per call), of a show-mode payload, of a
  dual SM2 + ES256 payload; the decoding alone (prefix, Base45, zlib, CBOR, COSE headers) and
  ``PublicKey.verify`` of the same Sig_structure with the prepared key, for reference;
- ``licence-qr-make``: :func:`trustkit.licence.qr.make_qr_payload` (SM2) and ``qr_png``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from pytest_benchmark.fixture import BenchmarkFixture

from trustkit import sm2
from trustkit.licence.codes import LicenceIdentifier
from trustkit.licence.model import LicenceRecord
from trustkit.licence.qr import (
    TrustList,
    TrustListEntry,
    _decode_cose,
    _signatures,
    load_trust_list,
    make_qr_payload,
    make_trust_list,
    qr_png,
    verify_qr_payload,
)
from trustkit.pki.algorithms import SigningKey, public_key_of
from trustkit.pki.builder import CertificateProfile, create_root_ca, issue_certificate
from trustkit.pki.names import make_name
from trustkit.pki.signer import LocalSigner

NOW = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
ISSUER = "11220000013544541J"


@dataclass(frozen=True)
class Setup:
    signer: LocalSigner
    p256_signer: LocalSigner
    trust_list: TrustList
    record: LicenceRecord
    static: str
    show: str
    dual: str


def _leaf(root_key: SigningKey, root: object, key: SigningKey, name: str) -> LocalSigner:
    cert = issue_certificate(subject=make_name(common_name=name, organization="trustkit bench"),
                             public_key=public_key_of(key), issuer=root, issuer_key=root_key,  # type: ignore[arg-type]
                             profile=CertificateProfile.SEAL_SIGNER, not_before=NOW - timedelta(days=30),
                             validity=timedelta(days=730))
    return LocalSigner(key, cert)


@pytest.fixture(scope="module")
def setup() -> Setup:
    root_key = sm2.generate_private_key()
    root = create_root_ca(make_name(common_name="bench root"), root_key, not_before=NOW - timedelta(days=60))
    signer = _leaf(root_key, root, sm2.generate_private_key(), "QR signer SM2")
    p256 = _leaf(root_key, root, ec.generate_private_key(ec.SECP256R1()), "QR signer P-256")
    anchor = LocalSigner(root_key, root)
    entries = [TrustListEntry.from_certificate(s.certificate, issuer_name="某厅", issuer_code=ISSUER)
               for s in (signer, p256)]
    trust_list = load_trust_list(make_trust_list(entries, anchor, sequence=1, issued_at=NOW),
                                 trust_anchor_certificate=root)
    type_code = "11100000000013338W032"
    record = LicenceRecord(
        licence_type_code=type_code, licence_type_name="建筑施工特种作业操作资格证", licence_number="吉A042012000939",
        identifier=LicenceIdentifier.build(type_code, ISSUER, "2430599"), holder_name="张小三",
        holder_id_type="111", holder_code="11010519491231002X", issuer_name="吉林省住房和城乡建设厅",
        issuer_code=ISSUER, issue_date=date(2026, 5, 20), valid_from=date(2026, 5, 20),
        valid_to=date(2029, 5, 19),
    )
    return Setup(
        signer, p256, trust_list, record,
        make_qr_payload(record, signer, now=NOW),
        make_qr_payload(record, signer, now=NOW, show_minutes=5),
        make_qr_payload(record, signer, second_signer=p256, now=NOW),
    )


@pytest.mark.benchmark(group="licence-qr-verify")
def test_qr_verify_sm2(benchmark: BenchmarkFixture, setup: Setup) -> None:
    result = benchmark(verify_qr_payload, setup.static, setup.trust_list, now=NOW)
    assert result.valid


@pytest.mark.benchmark(group="licence-qr-verify")
def test_qr_verify_sm2_show_mode(benchmark: BenchmarkFixture, setup: Setup) -> None:
    assert benchmark(verify_qr_payload, setup.show, setup.trust_list, now=NOW).claims.mode == "show"


@pytest.mark.benchmark(group="licence-qr-verify")
def test_qr_verify_dual_sm2_es256(benchmark: BenchmarkFixture, setup: Setup) -> None:
    assert len(benchmark(verify_qr_payload, setup.dual, setup.trust_list, now=NOW).signer_certificates) == 2


@pytest.mark.benchmark(group="licence-qr-verify")
def test_qr_decode_only(benchmark: BenchmarkFixture, setup: Setup) -> None:
    payload, sigs = benchmark(lambda: _signatures(_decode_cose(setup.static)))
    assert len(sigs) == 1 and cbor2.loads(payload)[1] == ISSUER


@pytest.mark.benchmark(group="licence-qr-verify")
def test_qr_sm2_verify_reference(benchmark: BenchmarkFixture, setup: Setup) -> None:
    _, [(_, _, signature, tbs)] = _signatures(_decode_cose(setup.static))
    key = setup.signer.certificate.public_key
    assert isinstance(key, sm2.PublicKey)
    key.precompute()
    benchmark(key.verify, signature, tbs, encoding="raw")


@pytest.mark.benchmark(group="licence-qr-make")
def test_qr_make_sm2(benchmark: BenchmarkFixture, setup: Setup) -> None:
    assert benchmark(make_qr_payload, setup.record, setup.signer, now=NOW).startswith("TKL1:")


@pytest.mark.benchmark(group="licence-qr-make")
def test_qr_png(benchmark: BenchmarkFixture, setup: Setup) -> None:
    assert benchmark(qr_png, setup.static).startswith(b"\x89PNG")
