"""PKCS#10 requests and CRLs: create, parse, verify, issue from a request, real GmSSL CRLs."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta, timezone

import pytest
from asn1crypto import crl as asn1_crl
from asn1crypto import csr as asn1_csr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pki_helpers import NOW, make_crl, new_key, sm2_chain

from trustkit import sm2
from trustkit.errors import DecodeError, InvalidSignature, TrustkitError
from trustkit.pki.algorithms import public_key_of, public_keys_equal, sign
from trustkit.pki.builder import CertificateProfile, issue_from_request
from trustkit.pki.certificate import Certificate
from trustkit.pki.crl import (
    CertificateRevocationList,
    RevocationReason,
    RevokedCertificate,
    issue_crl,
)
from trustkit.pki.csr import CertificateRequest
from trustkit.pki.names import make_name
from vectors import VECTORS

PKI = VECTORS / "pki"


# ---- CSRs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sm2", "rsa", "p256"])
def test_csr_round_trip(kind: str) -> None:
    key = new_key(kind)  # type: ignore[arg-type]
    request = CertificateRequest.create(
        key, make_name(common_name="www.example.cn", organization="某单位"),
        dns_names=("www.example.cn", "example.cn"), email="ops@example.cn",
    )
    request.verify_self_signature_vartime()
    loaded = CertificateRequest.load(request.to_pem())
    assert loaded == request and CertificateRequest.load(request.der) == request
    assert loaded.subject_text == "CN=www.example.cn,O=某单位,C=CN"
    assert loaded.dns_names == ("www.example.cn", "example.cn") and loaded.email == "ops@example.cn"
    assert loaded.requested_extensions == {"2.5.29.17"}
    assert public_keys_equal(loaded.public_key, public_key_of(key))


def test_csr_without_extensions_has_empty_attributes() -> None:
    request = CertificateRequest.create(sm2.generate_private_key(), make_name(common_name="x"))
    info = asn1_csr.CertificationRequest.load(request.der)["certification_request_info"]
    assert info["attributes"].dump() == b"\xa0\x00"  # RFC 2986: [0] present, empty
    assert request.dns_names == () and request.email is None


def test_csr_tampered_signature_and_issue_from_request() -> None:
    chain = sm2_chain()
    key = sm2.generate_private_key()
    request = CertificateRequest.create(key, make_name(common_name="seal signer"))
    cert = issue_from_request(request, issuer=chain.intermediate, issuer_key=chain.intermediate_key,
                              profile=CertificateProfile.SEAL_SIGNER, not_before=NOW)
    assert cert.public_key == key.public_key() and cert.subject.dump() == request.subject.dump()
    cert.verify_signed_by_vartime(chain.intermediate)

    # A request whose signature was made by another key (proof of possession fails).
    other = sm2.generate_private_key()
    forged = asn1_csr.CertificationRequest.load(request.der).copy()
    forged["signature"] = sign(other, request.info_der)
    bad = CertificateRequest.from_der(forged.dump(force=True))
    with pytest.raises(InvalidSignature):
        bad.verify_self_signature_vartime()
    with pytest.raises(InvalidSignature):
        issue_from_request(bad, issuer=chain.intermediate, issuer_key=chain.intermediate_key,
                           profile=CertificateProfile.SEAL_SIGNER)


def test_tls_from_request_takes_dns_names() -> None:
    chain = sm2_chain()
    request = CertificateRequest.create(sm2.generate_private_key(), make_name(common_name="a.example.cn"),
                                        dns_names=("a.example.cn",))
    cert = issue_from_request(request, issuer=chain.intermediate, issuer_key=chain.intermediate_key,
                              profile=CertificateProfile.TLS_SERVER)
    assert cert.dns_names == ("a.example.cn",)


@pytest.mark.parametrize(
    "data",
    [b"", b"\x30\x03\x02\x01\x00", b"-----BEGIN CERTIFICATE REQUEST-----\n@@\n-----END CERTIFICATE REQUEST-----"],
)
def test_malformed_csr(data: bytes) -> None:
    with pytest.raises(DecodeError, match="^certificate request"):
        CertificateRequest.load(data)


def test_csr_trailing_bytes_and_certificate_refused() -> None:
    request = CertificateRequest.create(sm2.generate_private_key(), make_name(common_name="x"))
    with pytest.raises(DecodeError):
        CertificateRequest.from_der(request.der + b"\x00")
    with pytest.raises(DecodeError):
        CertificateRequest.from_der(request.der[:-1])
    with pytest.raises(DecodeError, match="no CERTIFICATE REQUEST"):
        CertificateRequest.load(sm2_chain().leaf.to_pem())


# ---- CRLs ---------------------------------------------------------------------------------------


def test_issue_and_parse_crl() -> None:
    chain = sm2_chain()
    entries = [
        RevokedCertificate(chain.leaf.serial_number, NOW - timedelta(days=1), RevocationReason.KEY_COMPROMISE),
        RevokedCertificate(12345, NOW - timedelta(days=3), None),
        RevokedCertificate(777, NOW - timedelta(days=3), RevocationReason.CERTIFICATE_HOLD),
    ]
    issued = issue_crl(chain.intermediate, chain.intermediate_key, entries, this_update=NOW,
                       next_update=timedelta(days=1), crl_number=42)
    crl = CertificateRevocationList.load(issued.to_pem())
    assert crl == issued and CertificateRevocationList.load(crl.der) == crl
    assert crl.this_update == NOW and crl.next_update == NOW + timedelta(days=1)
    assert crl.crl_number == 42
    assert crl.authority_key_identifier == chain.intermediate.subject_key_identifier
    assert crl.issuer == chain.intermediate.subject and crl.issuer_text == chain.intermediate.subject_text
    assert crl.revoked == tuple(entries)
    assert crl.find(chain.leaf.serial_number) == entries[0]
    assert crl.find(12345) == entries[1] and crl.find(1) is None
    assert crl.unknown_critical_extensions == frozenset()
    crl.verify_signed_by_vartime(chain.intermediate)
    with pytest.raises(InvalidSignature):
        crl.verify_signed_by_vartime(chain.root)


def test_empty_crl_omits_revoked_certificates_and_defaults() -> None:
    chain = sm2_chain()
    crl = issue_crl(chain.intermediate, chain.intermediate_key, [], this_update=NOW, crl_number=0)
    assert crl.revoked == () and crl.next_update == NOW + timedelta(days=7)
    tbs = asn1_crl.CertificateList.load(crl.der)["tbs_cert_list"]
    assert tbs["revoked_certificates"].native is None  # absent (RFC 5280 5.1.2.6)


def test_revocation_reason_codes() -> None:
    assert RevocationReason.KEY_COMPROMISE.code == 1
    assert RevocationReason.REMOVE_FROM_CRL.code == 8
    assert RevocationReason.AA_COMPROMISE.code == 10
    chain = sm2_chain()
    everything = [RevokedCertificate(i + 1, NOW, reason) for i, reason in enumerate(RevocationReason)]
    crl = issue_crl(chain.intermediate, chain.intermediate_key, everything, this_update=NOW, crl_number=1)
    assert [entry.reason for entry in crl.revoked] == list(RevocationReason)


def test_issue_crl_refusals() -> None:
    chain = sm2_chain()
    with pytest.raises(ValueError, match="does not match"):
        issue_crl(chain.intermediate, chain.root_key, [], crl_number=1)
    with pytest.raises(ValueError, match="cRLSign"):
        issue_crl(chain.leaf, chain.leaf_key, [], crl_number=1)
    with pytest.raises(ValueError, match="later"):
        issue_crl(chain.intermediate, chain.intermediate_key, [], this_update=NOW, next_update=NOW, crl_number=1)
    with pytest.raises(ValueError):
        issue_crl(chain.intermediate, chain.intermediate_key, [], crl_number=-1)
    with pytest.raises(ValueError):
        issue_crl(chain.intermediate, chain.intermediate_key, [RevokedCertificate(0, NOW)], crl_number=1)
    with pytest.raises(ValueError):
        issue_crl(chain.intermediate, chain.intermediate_key, [], this_update=datetime(2026, 1, 1), crl_number=1)


def test_crl_unknown_critical_extension_and_tampering() -> None:
    chain = sm2_chain()
    crl = make_crl(chain.intermediate, chain.intermediate_key, (5,))
    tbs = asn1_crl.CertificateList.load(crl.der)["tbs_cert_list"].copy()
    exts = [asn1_crl.TBSCertListExtension.load(e.dump()) for e in tbs["crl_extensions"]]
    # issuingDistributionPoint, critical, onlyContainsUserCerts: not processed here.
    exts.append(asn1_crl.TBSCertListExtension(
        {"extn_id": "issuing_distribution_point", "critical": True, "extn_value": {"only_contains_user_certs": True}}
    ))
    tbs["crl_extensions"] = exts
    tbs_der = tbs.dump(force=True)
    rebuilt = asn1_crl.CertificateList({
        "tbs_cert_list": asn1_crl.TbsCertList.load(tbs_der),
        "signature_algorithm": asn1_crl.CertificateList.load(crl.der)["signature_algorithm"],
        "signature": sign(chain.intermediate_key, tbs_der),
    })
    with_idp = CertificateRevocationList.from_der(rebuilt.dump())
    assert with_idp.unknown_critical_extensions == {"2.5.29.28"}
    with_idp.verify_signed_by_vartime(chain.intermediate)

    damaged = bytearray(crl.der)
    damaged[-3] ^= 0x40
    with pytest.raises(InvalidSignature):
        CertificateRevocationList.from_der(bytes(damaged)).verify_signed_by_vartime(chain.intermediate)


@pytest.mark.parametrize("cut", ["truncated", "trailing", "tag", "pem"])
def test_malformed_crl(cut: str) -> None:
    der = sm2_chain().crl.der
    data = {
        "truncated": der[:-1],
        "trailing": der + b"\x00\x00",
        "tag": b"\x04" + der[1:],
        "pem": b"-----BEGIN X509 CRL-----\nAAAA====\n-----END X509 CRL-----\n",
    }[cut]
    with pytest.raises(DecodeError, match="^CRL"):
        CertificateRevocationList.load(data)


# ---- real CRLs (GmSSL: the national root CAs' CRLs) ------------------------------------------------

_REAL_CRLS = [
    ("gmssl/nrcac-ROOTCA.crl", "gmssl/nrcac-ROOTCA.pem", 18),
    ("gmssl/nrcac-civil-servant-root.crl", "gmssl/nrcac-civil-servant-root.pem", 1),
    ("gmssl/nrcac-device-root.crl", "gmssl/nrcac-device-root.pem", 1),
]


@pytest.mark.parametrize(("crl_path", "issuer_path", "count"), _REAL_CRLS)
def test_real_crls_verify_against_their_roots(crl_path: str, issuer_path: str, count: int) -> None:
    crl = CertificateRevocationList.load((PKI / crl_path).read_bytes())
    issuer = Certificate.load((PKI / issuer_path).read_bytes())
    assert crl.issuer == issuer.subject
    assert crl.authority_key_identifier == issuer.subject_key_identifier
    assert len(crl.revoked) == count and crl.crl_number == 0
    assert crl.this_update.year == 2022 and crl.next_update is not None
    crl.verify_signed_by_vartime(issuer)
    for entry in crl.revoked:
        assert crl.find(entry.serial_number) is not None
    other = Certificate.load((PKI / "gmssl/CFCA_EV_SM2_ROOT.cer").read_bytes())
    with pytest.raises(InvalidSignature):
        crl.verify_signed_by_vartime(other)


def test_real_crl_reasons() -> None:
    crl = CertificateRevocationList.load((PKI / "gmssl/nrcac-ROOTCA.crl").read_bytes())
    reasons = {entry.reason for entry in crl.revoked}
    assert reasons == {None, RevocationReason.CESSATION_OF_OPERATION, RevocationReason.SUPERSEDED}
    entry = crl.find(0x17591F6E224B3EB60A35DC48278C3774)
    assert entry is not None and entry.reason is RevocationReason.CESSATION_OF_OPERATION
    assert entry.revocation_date.tzinfo is not None and entry.revocation_date < datetime(2023, 1, 1, tzinfo=timezone.utc)


# ---- fuzzing: damaged requests and CRLs give TrustkitError subclasses, never a crash ------------------


def _mutate(data: st.DataObject, der: bytes) -> bytes:
    buf = bytearray(der)
    for _ in range(data.draw(st.integers(1, 3))):
        pos = data.draw(st.integers(0, len(buf) - 1))
        action = data.draw(st.sampled_from(["flip", "delete", "insert"]))
        if action == "flip":
            buf[pos] ^= 1 << data.draw(st.integers(0, 7))
        elif action == "delete" and len(buf) > 1:
            del buf[pos]
        else:
            buf.insert(pos, data.draw(st.integers(0, 255)))
    return bytes(buf)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_fuzzed_crls_and_csrs_raise_only_trustkit_errors(data: st.DataObject) -> None:
    chain = sm2_chain()
    crl_der = make_crl_cached()
    try:
        crl = CertificateRevocationList.from_der(_mutate(data, crl_der))
        _ = crl.issuer_text, crl.find(5)
        crl.verify_signed_by_vartime(chain.intermediate)
    except TrustkitError:
        pass
    try:
        request = CertificateRequest.from_der(_mutate(data, _csr_der()))
        _ = request.subject_text
        request.verify_self_signature_vartime()
    except TrustkitError:
        pass


@functools.lru_cache(maxsize=1)
def make_crl_cached() -> bytes:
    chain = sm2_chain()
    return make_crl(chain.intermediate, chain.intermediate_key, (5, 6, 7)).der


@functools.lru_cache(maxsize=1)
def _csr_der() -> bytes:
    return CertificateRequest.create(sm2.generate_private_key(), make_name(common_name="fuzz"),
                                     dns_names=("f.example.cn",)).der
