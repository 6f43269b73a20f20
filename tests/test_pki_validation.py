"""Certification path validation (trustkit.pki.validation): RFC 5280 6.1 checks, CRLs, path building.

Every negative case asserts its specific failure code.  Chains come from tests/pki_helpers.py
(A's shared test PKI) or are issued here with the builder; certificates the builder refuses
to make (a non-CA issuer, an unknown critical extension, a leaf without AKI) are re-signed
with ``pki_helpers.resign`` (``forge()`` below also renames the issuer).
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import core, x509
from asn1crypto import crl as asn1_crl
from pki_helpers import NOW, add_extension, drop_extension, make_crl, p256_chain, resign, rsa_chain, sm2_chain

from trustkit import sm2
from trustkit.errors import CertificateValidationError, DecodeError
from trustkit.pki import algorithms
from trustkit.pki.builder import CertificateProfile, issue_certificate
from trustkit.pki.certificate import Certificate, load_certificates
from trustkit.pki.crl import CertificateRevocationList, RevocationReason, RevokedCertificate, issue_crl
from trustkit.pki.names import make_name
from trustkit.pki.validation import (
    FAILURE_CODES,
    Purpose,
    ValidationContext,
    ValidationReport,
    validate_chain,
    verify_chain,
)

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
AT = NOW  # 2026-06-01 12:00 UTC: every chain below is valid at this time
REAL = Path(__file__).resolve().parents[1] / "vectors" / "pki"  # provenance in vectors/pki/SOURCES.md


def _real(name: str) -> bytes:
    """A real certificate from vectors/pki/tongsuo, gmssl or ofdrw."""
    for base in (REAL / "tongsuo", REAL / "gmssl", REAL / "ofdrw"):
        if (base / name).exists():
            return (base / name).read_bytes()
    raise FileNotFoundError(f"vectors/pki has no {name}")


# ---- building blocks --------------------------------------------------------------------------


@dataclass
class Node:
    cert: Certificate
    key: Any


def sm2_key() -> sm2.PrivateKey:
    return sm2.generate_private_key()


def root(name: str = "Test Root", key: Any = None, **kwargs: Any) -> Node:
    key = key or sm2_key()
    kwargs.setdefault("not_before", T0)
    kwargs.setdefault("validity", timedelta(days=3650))
    cert = issue_certificate(subject=make_name(common_name=name, organization="trustkit tests"),
                             public_key=algorithms.public_key_of(key), issuer=None, issuer_key=key,
                             profile=CertificateProfile.ROOT_CA, **kwargs)
    return Node(cert, key)


def issue(parent: Node, name: str, profile: CertificateProfile, key: Any = None, **kwargs: Any) -> Node:
    key = key or sm2_key()
    kwargs.setdefault("not_before", T0)
    kwargs.setdefault("validity", timedelta(days=1000))
    if profile is CertificateProfile.TLS_SERVER:
        kwargs.setdefault("dns_names", ["tk.example.cn"])
    cert = issue_certificate(subject=make_name(common_name=name, organization="trustkit tests"),
                             public_key=algorithms.public_key_of(key), issuer=parent.cert, issuer_key=parent.key,
                             profile=profile, **kwargs)
    return Node(cert, key)


def forge(template: Certificate, signer_key: Any, *, issuer: Certificate | None = None,
          edit: Callable[[list[Any]], list[Any]] | None = None) -> Certificate:
    """Re-sign ``template`` with ``signer_key``, optionally renaming the issuer and editing extensions."""

    def mutate(tbs: Any) -> None:
        exts = [x509.Extension.load(e.dump()) for e in tbs["extensions"]]
        if issuer is not None:
            tbs["issuer"] = x509.Name.load(issuer.subject.dump())
            exts = [e for e in exts if e["extn_id"].native != "authority_key_identifier"]
            if issuer.subject_key_identifier:
                exts.append(x509.Extension({"extn_id": "authority_key_identifier", "critical": False,
                                            "extn_value": {"key_identifier": issuer.subject_key_identifier}}))
        if edit is not None:
            exts = edit(exts)
        tbs["extensions"] = exts
        tbs["signature"] = algorithms.signature_algorithm(signer_key)

    return resign(template, signer_key, mutate)


def replacing(extn_id: str, value: Any, *, critical: bool = True) -> Callable[[list[Any]], list[Any]]:
    """An ``edit`` for :func:`forge` that replaces one extension (asn1crypto name) by a new value."""
    new = x509.Extension({"extn_id": extn_id, "critical": critical, "extn_value": value})
    return lambda exts: [new if e["extn_id"].native == extn_id else e for e in exts]


@pytest.fixture(scope="module")
def chain() -> tuple[Node, Node, Node]:
    """pki_helpers' SM2 root -> intermediate (pathLen 0) -> seal-signer leaf."""
    c = sm2_chain()
    return Node(c.root, c.root_key), Node(c.intermediate, c.intermediate_key), Node(c.leaf, c.leaf_key)


def crl_of(ca: Node, revoked: Sequence[RevokedCertificate] = (), **kwargs: Any) -> CertificateRevocationList:
    kwargs.setdefault("this_update", AT - timedelta(days=1))
    kwargs.setdefault("next_update", AT + timedelta(days=6))
    kwargs.setdefault("crl_number", 1)
    return issue_crl(ca.cert, ca.key, revoked, **kwargs)


def context(chain: tuple[Node, Node, Node], crls: tuple[CertificateRevocationList, ...] = (),
            **kwargs: Any) -> ValidationContext:
    r, i, _ = chain
    return ValidationContext([r.cert], [i.cert], crls, **kwargs)


def codes(report: ValidationReport) -> set[str]:
    assert set(report.codes) <= FAILURE_CODES
    return set(report.codes)


# ---- valid paths ------------------------------------------------------------------------------


def test_sm2_three_certificate_chain_with_crls(chain: tuple[Node, Node, Node]) -> None:
    r, i, leaf = chain
    ctx = context(chain, (crl_of(r), crl_of(i)), revocation="require")
    report = validate_chain(leaf.cert, ctx, at=AT, purpose=Purpose.SEAL_SIGNING)
    assert report.valid, report.summary()
    assert report.path == (leaf.cert, i.cert, r.cert)
    assert report.failures == ()
    assert report.revocation_checked
    assert report.validation_time == AT and report.purpose is Purpose.SEAL_SIGNING
    assert verify_chain(leaf.cert, ctx, at=AT, purpose=Purpose.SEAL_SIGNING).valid
    data = json.loads(json.dumps(report.to_dict()))
    assert data["valid"] is True and data["validation_time"] == "2026-06-01T12:00:00Z"
    assert [entry["subject"] for entry in data["path"]] == [c.subject_text for c in report.path]
    assert data["purpose"] == "seal_signing" and data["failures"] == []


@pytest.mark.parametrize("purpose", [Purpose.ANY, Purpose.DIGITAL_SIGNATURE, Purpose.SEAL_MAKING])
def test_signing_purposes_accept_seal_signer(chain: tuple[Node, Node, Node], purpose: Purpose) -> None:
    assert validate_chain(chain[2].cert, context(chain), at=AT, purpose=purpose).valid


def test_revocation_off_and_absent_crl(chain: tuple[Node, Node, Node]) -> None:
    report = validate_chain(chain[2].cert, context(chain, revocation="off"), at=AT)
    assert report.valid and not report.revocation_checked
    report = validate_chain(chain[2].cert, context(chain), at=AT)  # if_present, no CRL at all
    assert report.valid and not report.revocation_checked


@pytest.mark.parametrize("make", [rsa_chain, p256_chain], ids=["rsa", "p256"])
def test_international_chains(make: Callable[[CertificateProfile], Any]) -> None:
    c = make(CertificateProfile.TLS_SERVER)
    ctx = ValidationContext([c.root], [c.intermediate], [c.crl, make_crl(c.root, c.root_key)], revocation="require")
    report = validate_chain(c.leaf, ctx, at=AT, purpose=Purpose.TLS_SERVER)
    assert report.valid, report.summary()
    assert report.path == (c.leaf, c.intermediate, c.root) and report.revocation_checked


def test_leaf_that_is_a_trust_anchor() -> None:
    r = root()
    report = validate_chain(r.cert, ValidationContext([r.cert]), at=AT, purpose=Purpose.CA)
    assert report.valid and report.path == (r.cert,)


def test_path_through_several_intermediates() -> None:
    r = root()
    i1 = issue(r, "Level 1", CertificateProfile.INTERMEDIATE_CA, path_length=3)
    i2 = issue(i1, "Level 2", CertificateProfile.INTERMEDIATE_CA, path_length=2)
    i3 = issue(i2, "Level 3", CertificateProfile.INTERMEDIATE_CA, path_length=0)
    leaf = issue(i3, "Deep Leaf", CertificateProfile.PERSON)
    ctx = ValidationContext([r.cert], [i3.cert, i1.cert, i2.cert])  # pool order does not matter
    report = validate_chain(leaf.cert, ctx, at=AT)
    assert report.valid, report.summary()
    assert report.path == (leaf.cert, i3.cert, i2.cert, i1.cert, r.cert)
    # The same intermediates passed per call instead of in the context.
    report = validate_chain(leaf.cert, ValidationContext([r.cert]), at=AT, intermediates=[i2.cert, i3.cert, i1.cert])
    assert report.valid


def test_two_issuers_with_the_same_name_only_one_verifies(chain: tuple[Node, Node, Node]) -> None:
    r, i, leaf = chain
    other = sm2_key()
    impostor = Node(issue_certificate(subject=i.cert.subject, public_key=other.public_key(), issuer=r.cert,
                                      issuer_key=r.key, profile=CertificateProfile.INTERMEDIATE_CA, not_before=T0),
                    other)  # same name, another key
    # Without an AKI in the leaf both candidates rank the same, so the impostor (first in the pool) is tried first.
    leaf_no_aki = resign(leaf.cert, i.key, drop_extension("2.5.29.35"))
    assert leaf_no_aki.authority_key_identifier is None
    ctx = ValidationContext([r.cert], [impostor.cert, i.cert])
    report = validate_chain(leaf_no_aki, ctx, at=AT)
    assert report.valid, report.summary()
    assert report.path[1] == i.cert
    assert ctx._signatures.get((impostor.cert.der, leaf_no_aki.der)) == "bad"  # the impostor was tried first
    assert validate_chain(leaf_no_aki, ValidationContext([r.cert], [i.cert, impostor.cert]), at=AT).valid
    # Only the impostor available: the specific reason is the signature.
    report = validate_chain(leaf_no_aki, ValidationContext([r.cert], [impostor.cert]), at=AT)
    assert codes(report) == {"bad_signature"} and report.path[1] == impostor.cert


def test_cross_certificates_terminate() -> None:
    x_key, y_key = sm2_key(), sm2_key()
    x = root("CA X", x_key)
    y = root("CA Y", y_key)
    # Cross-certificates with the subjects of the roots: X certified by Y, Y certified by X (a loop).
    x_by_y = Node(issue_certificate(subject=x.cert.subject, public_key=x_key.public_key(), issuer=y.cert,
                                    issuer_key=y_key, profile=CertificateProfile.INTERMEDIATE_CA,
                                    path_length=5, not_before=T0), x_key)
    y_by_x = Node(issue_certificate(subject=y.cert.subject, public_key=y_key.public_key(), issuer=x.cert,
                                    issuer_key=x_key, profile=CertificateProfile.INTERMEDIATE_CA,
                                    path_length=5, not_before=T0), y_key)
    leaf = issue(x, "Cross Leaf", CertificateProfile.PERSON)
    unrelated = root("Unrelated Root")
    report = validate_chain(leaf.cert, ValidationContext([unrelated.cert], [x_by_y.cert, y_by_x.cert]), at=AT)
    assert codes(report) == {"no_path"}
    assert "loop" in report.failures[0].message
    # With Y as the anchor, the cross-certificate X-by-Y completes the path.
    report = validate_chain(leaf.cert, ValidationContext([y.cert], [y_by_x.cert, x_by_y.cert]), at=AT)
    assert report.valid, report.summary()
    assert report.path == (leaf.cert, x_by_y.cert, y.cert)


# ---- one failure each -------------------------------------------------------------------------


def test_expired_and_not_yet_valid(chain: tuple[Node, Node, Node]) -> None:
    leaf = chain[2]
    report = validate_chain(leaf.cert, context(chain), at=leaf.cert.not_after + timedelta(seconds=1))
    assert codes(report) == {"expired"}
    assert report.failures[0].subject == leaf.cert.subject_text
    report = validate_chain(leaf.cert, context(chain), at=T0 - timedelta(seconds=1))
    assert "not_yet_valid" in codes(report)
    # Both boundaries are inclusive (RFC 5280 4.1.2.5).
    assert validate_chain(leaf.cert, context(chain), at=leaf.cert.not_after).valid
    assert validate_chain(leaf.cert, context(chain), at=leaf.cert.not_before).valid


def test_expired_trust_anchor_is_reported() -> None:
    r = root(validity=timedelta(days=30))
    leaf = issue(r, "Short", CertificateProfile.PERSON, validity=timedelta(days=10))
    report = validate_chain(leaf.cert, ValidationContext([r.cert]), at=T0 + timedelta(days=31))
    assert [(f.code, f.subject) for f in report.failures] == [
        ("expired", leaf.cert.subject_text), ("expired", r.cert.subject_text)]


def test_wrong_issuer_key(chain: tuple[Node, Node, Node]) -> None:
    r, i, leaf = chain
    forged = forge(leaf.cert, sm2_key(), issuer=i.cert)  # names the intermediate, signed by someone else
    report = validate_chain(forged, context(chain), at=AT)
    assert codes(report) == {"bad_signature"}


def test_broken_signature(chain: tuple[Node, Node, Node]) -> None:
    leaf = chain[2]
    der = bytearray(leaf.cert.der)
    der[-1] ^= 0x01  # last byte of s in the DER SM2Signature
    report = validate_chain(Certificate.from_der(bytes(der)), context(chain), at=AT)
    assert codes(report) == {"bad_signature"}
    with pytest.raises(CertificateValidationError) as caught:
        verify_chain(Certificate.from_der(bytes(der)), context(chain), at=AT)
    assert isinstance(caught.value.report, ValidationReport)
    assert caught.value.report.codes == ("bad_signature",)
    assert "bad_signature" in str(caught.value)


def test_unknown_issuer_gives_no_path(chain: tuple[Node, Node, Node]) -> None:
    r, i, leaf = chain
    report = validate_chain(leaf.cert, ValidationContext([r.cert]), at=AT)
    assert codes(report) == {"no_path"}
    assert i.cert.subject_text in report.failures[0].message
    assert report.path == (leaf.cert,)
    other = root("Other Root")
    report = validate_chain(other.cert, ValidationContext([r.cert]), at=AT)
    assert codes(report) == {"no_path"} and "self-signed" in report.failures[0].message


def test_issuer_name_mismatch_found_by_key_identifier(chain: tuple[Node, Node, Node]) -> None:
    r, i, leaf = chain
    renamed = issue_certificate(subject=make_name(common_name="Renamed Intermediate"), public_key=i.key.public_key(),
                                issuer=r.cert, issuer_key=r.key, profile=CertificateProfile.INTERMEDIATE_CA,
                                not_before=T0)
    report = validate_chain(leaf.cert, ValidationContext([r.cert], [renamed]), at=AT)
    assert codes(report) == {"issuer_mismatch"}


def test_ca_flag_missing(chain: tuple[Node, Node, Node]) -> None:
    r, _, leaf = chain
    i = issue(r, "Roomy Intermediate", CertificateProfile.INTERMEDIATE_CA, path_length=1)  # pathLen is not the issue
    person = issue(i, "Not A CA", CertificateProfile.PERSON)
    forged = forge(leaf.cert, person.key, issuer=person.cert)
    report = validate_chain(forged, ValidationContext([r.cert], [i.cert, person.cert]), at=AT)
    assert codes(report) == {"not_a_ca", "ca_key_usage"}
    assert all(f.subject == person.cert.subject_text for f in report.failures)


def test_path_length_exceeded() -> None:
    r = root()
    i1 = issue(r, "pathLen 0", CertificateProfile.INTERMEDIATE_CA, path_length=0)
    i2_node = issue(i1, "Below pathLen 0", CertificateProfile.INTERMEDIATE_CA)
    leaf = issue(i2_node, "Too Deep", CertificateProfile.PERSON)
    report = validate_chain(leaf.cert, ValidationContext([r.cert], [i1.cert, i2_node.cert]), at=AT)
    assert codes(report) == {"path_length_exceeded"}
    assert report.failures[0].subject == i1.cert.subject_text
    # A root with pathLen 0 directly above a leaf is fine.
    r0 = root("Root pathLen 0", path_length=0)
    assert validate_chain(issue(r0, "Direct", CertificateProfile.PERSON).cert, ValidationContext([r0.cert]),
                          at=AT).valid


def test_revoked_with_reason_and_hold(chain: tuple[Node, Node, Node]) -> None:
    r, i, leaf = chain
    when = AT - timedelta(days=3)
    for reason, text in ((RevocationReason.KEY_COMPROMISE, "key_compromise"),
                         (RevocationReason.CERTIFICATE_HOLD, "certificate_hold")):
        crl = crl_of(i, [RevokedCertificate(leaf.cert.serial_number, when, reason)])
        report = validate_chain(leaf.cert, context(chain, (crl, crl_of(r))), at=AT)
        assert codes(report) == {"revoked"}
        assert text in report.failures[0].message and "2026-05-29" in report.failures[0].message
        assert report.revocation_checked


def test_revoked_intermediate(chain: tuple[Node, Node, Node]) -> None:
    r, i, leaf = chain
    crl = crl_of(r, [RevokedCertificate(i.cert.serial_number, AT - timedelta(days=1), None)])
    report = validate_chain(leaf.cert, context(chain, (crl,)), at=AT)
    assert [(f.code, f.subject) for f in report.failures] == [("revoked", i.cert.subject_text)]


def test_wrong_key_usage(chain: tuple[Node, Node, Node]) -> None:
    r, i, leaf = chain
    encipher_only = forge(leaf.cert, i.key, edit=replacing("key_usage", {"key_encipherment"}))
    assert encipher_only.key_usage == frozenset({"key_encipherment"})
    report = validate_chain(encipher_only, context(chain), at=AT, purpose=Purpose.SEAL_SIGNING)
    assert codes(report) == {"wrong_key_usage"}
    assert validate_chain(encipher_only, context(chain), at=AT, purpose=Purpose.ANY).valid
    report = validate_chain(leaf.cert, context(chain), at=AT, purpose=Purpose.CA)
    assert codes(report) == {"not_a_ca", "wrong_key_usage"}


def test_extended_key_usage_purposes(chain: tuple[Node, Node, Node]) -> None:
    r, i, _ = chain
    ctx = context(chain)
    tls = issue(i, "tk.example.cn", CertificateProfile.TLS_SERVER)
    tsa = issue(i, "Test TSA", CertificateProfile.TIMESTAMPING)
    assert validate_chain(tls.cert, ctx, at=AT, purpose=Purpose.TLS_SERVER).valid
    assert validate_chain(tsa.cert, ctx, at=AT, purpose=Purpose.TIMESTAMPING).valid
    assert codes(validate_chain(tls.cert, ctx, at=AT, purpose=Purpose.TIMESTAMPING)) == {"wrong_extended_key_usage"}
    assert codes(validate_chain(tsa.cert, ctx, at=AT, purpose=Purpose.TLS_SERVER)) == {"wrong_extended_key_usage"}
    assert codes(validate_chain(tls.cert, ctx, at=AT, purpose=Purpose.CODE_SIGNING)) == {"wrong_extended_key_usage"}
    # No EKU means no restriction for TLS (RFC 5280 4.2.1.12) but not for a TSA (RFC 3161 2.3).
    assert validate_chain(chain[2].cert, ctx, at=AT, purpose=Purpose.TLS_SERVER).valid
    assert codes(validate_chain(chain[2].cert, ctx, at=AT, purpose=Purpose.TIMESTAMPING)) == {
        "wrong_extended_key_usage"}
    # A timeStamping EKU that is not critical is refused too.
    lax_tsa = forge(tsa.cert, i.key, edit=replacing("extended_key_usage", ["time_stamping"], critical=False))
    assert codes(validate_chain(lax_tsa, ctx, at=AT, purpose=Purpose.TIMESTAMPING)) == {"wrong_extended_key_usage"}


def test_unknown_critical_extensions(chain: tuple[Node, Node, Node]) -> None:
    r, i, leaf = chain
    odd = resign(leaf.cert, i.key, add_extension("1.2.3.4.5", b"\x05\x00", critical=True))
    report = validate_chain(odd, context(chain), at=AT)
    assert codes(report) == {"unknown_critical_extension"} and "1.2.3.4.5" in report.failures[0].message
    # The same extension, not critical, is ignored.
    assert validate_chain(resign(leaf.cert, i.key, add_extension("1.2.3.4.5", b"\x05\x00", critical=False)),
                          context(chain), at=AT).valid
    # nameConstraints is not processed, so a critical one on a CA fails the path.
    name_constraints = x509.NameConstraints({
        "permitted_subtrees": [{"base": x509.GeneralName(name="dns_name", value="example.cn")}]}).dump()
    constrained = resign(i.cert, r.key, add_extension("2.5.29.30", name_constraints, critical=True))
    report = validate_chain(leaf.cert, ValidationContext([r.cert], [constrained]), at=AT)
    assert codes(report) == {"unknown_critical_extension"} and "nameConstraints" in report.failures[0].message


# ---- CRL problems ---------------------------------------------------------------------------


def test_stale_crl(chain: tuple[Node, Node, Node]) -> None:
    r, i, leaf = chain
    stale = crl_of(i, this_update=AT - timedelta(days=10), next_update=AT - timedelta(days=3))
    for mode in ("if_present", "require"):
        report = validate_chain(leaf.cert, context(chain, (stale, crl_of(r)), revocation=mode), at=AT)
        assert codes(report) == {"crl_stale"} and not report.revocation_checked
    # A current CRL next to the stale one wins.
    report = validate_chain(leaf.cert, context(chain, (stale, crl_of(i, crl_number=2))), at=AT)
    assert report.valid
    # A serial on a stale CRL is still reported as revoked.
    stale_revoked = crl_of(i, [RevokedCertificate(leaf.cert.serial_number, AT - timedelta(days=20), None)],
                           this_update=AT - timedelta(days=10), next_update=AT - timedelta(days=3))
    assert codes(validate_chain(leaf.cert, context(chain, (stale_revoked,)), at=AT)) == {"crl_stale", "revoked"}


def test_crl_signed_by_someone_else(chain: tuple[Node, Node, Node]) -> None:
    r, i, leaf = chain
    other_key = sm2_key()
    # A CA certificate with the intermediate's name but another key, so issue_crl accepts it.
    pretender = Node(issue_certificate(subject=i.cert.subject, public_key=other_key.public_key(), issuer=r.cert,
                                       issuer_key=r.key, profile=CertificateProfile.INTERMEDIATE_CA,
                                       not_before=T0), other_key)
    bogus = forge_crl_without_aki(crl_of(pretender, [RevokedCertificate(leaf.cert.serial_number, AT, None)]),
                                  pretender.key)
    report = validate_chain(leaf.cert, context(chain, (bogus,)), at=AT)
    assert codes(report) == {"crl_invalid"}
    assert "not signed" in report.failures[0].message
    report = validate_chain(leaf.cert, context(chain, (bogus,), revocation="require"), at=AT)
    assert codes(report) == {"crl_invalid", "revocation_unknown"}


def forge_crl_without_aki(crl: CertificateRevocationList, key: Any) -> CertificateRevocationList:
    """The same CRL without its AKI (so it cannot be told apart by key identifier), signed again."""
    parsed = asn1_crl.CertificateList.load(crl.der)
    tbs = parsed["tbs_cert_list"]
    tbs["crl_extensions"] = [e for e in tbs["crl_extensions"].native if e["extn_id"] != "authority_key_identifier"]
    tbs_der = tbs.dump(force=True)
    forged = asn1_crl.CertificateList({
        "tbs_cert_list": asn1_crl.TbsCertList.load(tbs_der),
        "signature_algorithm": algorithms.signature_algorithm(key),
        "signature": core.OctetBitString(algorithms.sign(key, tbs_der)),
    })
    return CertificateRevocationList.from_der(forged.dump())


def test_revocation_required_but_absent(chain: tuple[Node, Node, Node]) -> None:
    r, i, leaf = chain
    report = validate_chain(leaf.cert, context(chain, (crl_of(r),), revocation="require"), at=AT)
    assert [(f.code, f.subject) for f in report.failures] == [("revocation_unknown", leaf.cert.subject_text)]
    assert not report.revocation_checked


def test_crl_from_the_future_is_not_usable(chain: tuple[Node, Node, Node]) -> None:
    r, i, leaf = chain
    future = crl_of(i, this_update=AT + timedelta(days=1), next_update=AT + timedelta(days=8))
    assert codes(validate_chain(leaf.cert, context(chain, (future,)), at=AT)) == {"crl_invalid"}


# ---- real chains ----------------------------------------------------------------------------


def test_tongsuo_sm2_root_and_leaf() -> None:
    anchor = Certificate.load(_real("sm2-root-cert.pem"))
    leaf = Certificate.load(_real("sm2-cert.pem"))
    report = validate_chain(leaf, ValidationContext([anchor]), at=AT, purpose=Purpose.SEAL_SIGNING)
    assert report.valid, report.summary()
    assert report.path == (leaf, anchor)


def test_cfca_ev_root_and_oca() -> None:
    anchor = Certificate.load(_real("CFCA_EV_SM2_ROOT.cer"))
    oca = Certificate.load(_real("CFCA_EV_SM2_OCA.cer"))
    report = validate_chain(oca, ValidationContext([anchor]), at=datetime(2020, 1, 1, tzinfo=timezone.utc),
                            purpose=Purpose.CA)
    assert report.valid, report.summary()
    assert codes(validate_chain(oca, ValidationContext([anchor]), at=datetime(2030, 1, 1, tzinfo=timezone.utc))) == {
        "expired"}


def test_tongsuo_certificates_signed_without_z() -> None:
    anchor = Certificate.load(_real("sm2-noza-root-cert.pem"))
    leaf = Certificate.load(_real("sm2-noza-cert.pem"))
    report = validate_chain(leaf, ValidationContext([anchor]), at=AT)
    assert codes(report) == {"signature_without_z"}
    assert validate_chain(leaf, ValidationContext([anchor], allow_sm2_without_z=True), at=AT).valid
    # Tongsuo's standard root holds the same key (its SKI matches the no-Z leaf's AKI) under another
    # name: found through the key identifier, the path fails on the name alone.
    other = Certificate.load(_real("sm2-root-cert.pem"))
    assert other.subject_key_identifier == leaf.authority_key_identifier
    report = validate_chain(leaf, ValidationContext([other], allow_sm2_without_z=True), at=AT)
    assert codes(report) == {"issuer_mismatch"}


def test_tongsuo_expired_client_certificate() -> None:
    root_ca, sub_ca = load_certificates(_real("chain-ca.crt"))
    expired = Certificate.load(_real("client_sign_expire.crt"))
    report = validate_chain(expired, ValidationContext([root_ca], [sub_ca]), at=AT)
    assert codes(report) == {"expired"}
    assert report.path == (expired, sub_ca, root_ca)
    assert report.failures[0].subject == expired.subject_text
    assert validate_chain(expired, ValidationContext([root_ca], [sub_ca]),
                          at=datetime(2000, 6, 1, tzinfo=timezone.utc)).codes == ("not_yet_valid", "not_yet_valid")
    # The same CA's current server certificate is valid.
    server = Certificate.load(_real("server_sign.crt"))
    report = validate_chain(server, ValidationContext([root_ca], [sub_ca]), at=AT, purpose=Purpose.DIGITAL_SIGNATURE)
    assert report.valid, report.summary()
    assert report.path == (server, sub_ca, root_ca)


def test_ofdrw_test_root_is_not_a_usable_ca() -> None:
    """ofdrw's test root says CA:TRUE but its keyUsage lacks keyCertSign (vectors/pki/SOURCES.md)."""
    anchor = Certificate.load(_real("ROOT-p12-cert.pem"))
    signer = Certificate.load(_real("sign_cert.pem"))
    in_validity = datetime(2022, 1, 1, tzinfo=timezone.utc)
    report = validate_chain(signer, ValidationContext([anchor]), at=in_validity, purpose=Purpose.SEAL_SIGNING)
    assert [(f.code, f.subject) for f in report.failures] == [("ca_key_usage", anchor.subject_text)]
    assert codes(validate_chain(signer, ValidationContext([anchor]), at=AT)) == {"expired", "ca_key_usage"}


# ---- context behaviour ----------------------------------------------------------------------


def test_signature_results_are_cached(chain: tuple[Node, Node, Node], monkeypatch: pytest.MonkeyPatch) -> None:
    r, i, leaf = chain
    ctx = context(chain, (crl_of(i), crl_of(r)))
    assert validate_chain(leaf.cert, ctx, at=AT).valid
    calls: list[str] = []
    original_cert = Certificate.verify_signed_by_vartime
    original_crl = CertificateRevocationList.verify_signed_by_vartime

    def counting_cert(self: Certificate, *args: Any, **kwargs: Any) -> None:
        calls.append("cert")
        original_cert(self, *args, **kwargs)

    def counting_crl(self: CertificateRevocationList, *args: Any, **kwargs: Any) -> None:
        calls.append("crl")
        original_crl(self, *args, **kwargs)

    monkeypatch.setattr(Certificate, "verify_signed_by_vartime", counting_cert)
    monkeypatch.setattr(CertificateRevocationList, "verify_signed_by_vartime", counting_crl)
    assert validate_chain(leaf.cert, ctx, at=AT).valid
    assert calls == []  # nothing verified twice
    other_leaf = issue(i, "Another Leaf", CertificateProfile.PERSON)
    assert validate_chain(other_leaf.cert, ctx, at=AT).valid
    assert calls == ["cert"]  # only the new leaf's signature; CA and CRL signatures come from the cache


def test_validate_from_four_threads(chain: tuple[Node, Node, Node]) -> None:
    r, i, leaf = chain
    revoked = issue(i, "Revoked Leaf", CertificateProfile.PERSON)
    crl = crl_of(i, [RevokedCertificate(revoked.cert.serial_number, AT - timedelta(days=1),
                                        RevocationReason.SUPERSEDED)])
    ctx = context(chain, (crl, crl_of(r)), revocation="require")
    results: list[tuple[bool, tuple[str, ...]]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def work() -> None:
        try:
            start.wait()
            for n in range(40):
                report = validate_chain(leaf.cert if n % 2 else revoked.cert, ctx, at=AT)
                with lock:
                    results.append((report.valid, report.codes))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 160
    assert results.count((True, ())) == 80 and results.count((False, ("revoked",))) == 80


def test_argument_errors(chain: tuple[Node, Node, Node]) -> None:
    r, i, leaf = chain
    with pytest.raises(ValueError, match="timezone-aware"):
        validate_chain(leaf.cert, context(chain), at=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="revocation"):
        ValidationContext([r.cert], revocation="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="trust anchor"):
        ValidationContext([])
    with pytest.raises(TypeError):
        ValidationContext([r.cert.der])  # type: ignore[list-item]


def test_report_to_dict_of_a_failure(chain: tuple[Node, Node, Node]) -> None:
    r, i, leaf = chain
    report = validate_chain(leaf.cert, ValidationContext([r.cert]), at=AT, purpose=Purpose.TLS_SERVER)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["valid"] is False and data["purpose"] == "tls_server"
    assert data["failures"][0]["code"] == "no_path"
    assert data["failures"][0]["subject"] == leaf.cert.subject_text
    assert data["path"][0]["serial_number"] == format(leaf.cert.serial_number, "x")
    with pytest.raises(CertificateValidationError) as caught:
        report.raise_for_failure()
    assert caught.value.report is report and caught.value.code == "certificate_invalid"


# ---- trust anchor rules, malformed input, CRL details ----------------------------------------


def test_trust_anchor_rules(chain: tuple[Node, Node, Node]) -> None:
    r, i, leaf = chain
    # An anchor without basicConstraints (a v1-style root) may issue: anchors are trusted as given.
    bare = resign(r.cert, r.key, drop_extension("2.5.29.19"))
    assert not bare.has_basic_constraints
    assert validate_chain(leaf.cert, ValidationContext([bare], [i.cert]), at=AT).valid
    # An anchor that says cA FALSE may not.
    not_ca = forge(r.cert, r.key, edit=replacing("basic_constraints", {"ca": False}))
    report = validate_chain(leaf.cert, ValidationContext([not_ca], [i.cert]), at=AT)
    assert codes(report) == {"not_a_ca"} and report.failures[0].subject == r.cert.subject_text
    # The anchor's own signature is never checked.
    broken = bytearray(r.cert.der)
    broken[-1] ^= 0x01
    assert validate_chain(leaf.cert, ValidationContext([Certificate.from_der(bytes(broken))], [i.cert]), at=AT).valid


@pytest.mark.parametrize("mangle", [lambda d: d[:-10], lambda d: d + b"\x00"], ids=["truncated", "trailing"])
def test_malformed_der_is_a_decode_error(chain: tuple[Node, Node, Node], mangle: Callable[[bytes], bytes]) -> None:
    with pytest.raises(DecodeError):
        validate_chain(Certificate.from_der(mangle(chain[2].cert.der)), context(chain), at=AT)


def test_remove_from_crl_entry_is_not_revoked(chain: tuple[Node, Node, Node]) -> None:
    r, i, leaf = chain
    crl = crl_of(i, [RevokedCertificate(leaf.cert.serial_number, AT - timedelta(days=1),
                                        RevocationReason.REMOVE_FROM_CRL)])
    assert validate_chain(leaf.cert, context(chain, (crl, crl_of(r))), at=AT).valid


def test_newest_crl_decides(chain: tuple[Node, Node, Node]) -> None:
    r, i, leaf = chain
    held = crl_of(i, [RevokedCertificate(leaf.cert.serial_number, AT - timedelta(days=5),
                                         RevocationReason.CERTIFICATE_HOLD)],
                  this_update=AT - timedelta(days=5), crl_number=1)
    released = crl_of(i, crl_number=2)  # the hold was lifted in the next CRL
    assert validate_chain(leaf.cert, context(chain, (held, released, crl_of(r))), at=AT).valid
    assert codes(validate_chain(leaf.cert, context(chain, (held, crl_of(r))), at=AT)) == {"revoked"}


def test_issuer_without_crl_sign_cannot_vouch_for_crls(chain: tuple[Node, Node, Node]) -> None:
    r, i, leaf = chain
    crl = crl_of(i)
    no_crl_sign = forge(i.cert, r.key, edit=replacing("key_usage", {"key_cert_sign"}))
    report = validate_chain(leaf.cert, ValidationContext([r.cert], [no_crl_sign], [crl]), at=AT)
    assert codes(report) == {"crl_invalid"} and "cRLSign" in report.failures[0].message


# ---- OpenSSL-made chain and CRL -------------------------------------------------------------

# OpenSSL 3.0.x commands used below (SM2 needs the default ID passed explicitly; 3.0 uses an empty ID):
#   openssl genpkey -algorithm SM2 -out K.key
#   openssl req -x509 -new -key root.key -sm3 -sigopt distid:1234567812345678 -subj "/CN=OSSL Root/O=trustkit interop"
#       -days 3650 -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
#   openssl req -new -key K.key -sm3 -sigopt distid:1234567812345678 -subj ... -out K.csr
#   openssl x509 -req -in K.csr -CA P.pem -CAkey P.key -set_serial N -sm3 -sigopt distid:1234567812345678
#       -vfyopt distid:1234567812345678 -days D -extfile EXT -out K.pem
#   openssl ca -gencrl -config ca.cnf -keyfile int.key -cert int.pem -sigopt distid:1234567812345678 -out int.crl
#   openssl verify -partial_chain -CAfile ISSUER.pem -vfyopt distid:1234567812345678 [-attime T] CERT.pem
# Observed OpenSSL 3.0 limits (why the differential checks use -partial_chain, one link at a time):
#   - `openssl verify -CAfile root.pem -untrusted int.pem -vfyopt distid:... leaf.pem` fails with
#     "error 7 at 1 depth lookup: certificate signature failure": the distid reaches only the target certificate.
#   - `openssl verify -crl_check -CRLfile int.crl ...` fails with "CRL signature failure" and
#     `openssl crl -CAfile int.pem` with "verify failure": no way to pass distid for CRLs.  We verify that CRL.

_CA_EXT = ("basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n"
           "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
_EE_EXT = ("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n"
           "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
_CA_CNF = """[ca]
default_ca = CA_default
[CA_default]
database = index.txt
crlnumber = crlnumber
default_md = sm3
default_crl_days = 30
crl_extensions = crl_ext
[crl_ext]
authorityKeyIdentifier=keyid
"""
_DISTID = ["-sm3", "-sigopt", "distid:1234567812345678"]


def _openssl(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["/usr/bin/openssl", *args], cwd=tmp, capture_output=True, text=True, timeout=60)


def _openssl_ok(tmp: Path, *args: str) -> None:
    result = _openssl(tmp, *args)
    assert result.returncode == 0, result.stderr


def _openssl_issue(tmp: Path, name: str, subject: str, ca: str, serial: str, days: str, ext: str) -> None:
    _openssl_ok(tmp, "genpkey", "-algorithm", "SM2", "-out", f"{name}.key")
    _openssl_ok(tmp, "req", "-new", "-key", f"{name}.key", *_DISTID, "-subj", subject, "-out", f"{name}.csr")
    _openssl_ok(tmp, "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
                "-set_serial", serial, *_DISTID, "-vfyopt", "distid:1234567812345678", "-days", days,
                "-extfile", ext, "-out", f"{name}.pem")


@pytest.mark.interop
def test_openssl_made_chain_and_crl(tmp_path: Path) -> None:
    if not Path("/usr/bin/openssl").exists():
        pytest.skip("/usr/bin/openssl is not installed")
    (tmp_path / "ca.ext").write_text(_CA_EXT)
    (tmp_path / "ee.ext").write_text(_EE_EXT)
    _openssl_ok(tmp_path, "genpkey", "-algorithm", "SM2", "-out", "root.key")
    _openssl_ok(tmp_path, "req", "-x509", "-new", "-key", "root.key", *_DISTID, "-subj",
                "/CN=OSSL Root/O=trustkit interop", "-days", "3650", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", "root.pem")
    _openssl_issue(tmp_path, "int", "/CN=OSSL Int/O=trustkit interop", "root", "0x1001", "365", "ca.ext")
    _openssl_issue(tmp_path, "leaf", "/CN=OSSL Leaf/O=trustkit interop", "int", "0x2002", "90", "ee.ext")
    _openssl_issue(tmp_path, "sub", "/CN=Under A Leaf", "leaf", "0x3003", "30", "ee.ext")  # issued by a non-CA
    root_c, int_c, leaf_c, sub_c = (Certificate.load((tmp_path / f"{name}.pem").read_bytes())
                                    for name in ("root", "int", "leaf", "sub"))
    now = datetime.now(timezone.utc)

    # Valid: ours, and OpenSSL link by link.
    assert validate_chain(leaf_c, ValidationContext([root_c], [int_c]), at=now,
                          purpose=Purpose.SEAL_SIGNING).valid
    for issuer, cert in (("root", "int"), ("int", "leaf")):
        assert _openssl(tmp_path, "verify", "-partial_chain", "-CAfile", f"{issuer}.pem", "-vfyopt",
                        "distid:1234567812345678", f"{cert}.pem").returncode == 0
    # Issued by a certificate that is not a CA: OpenSSL says "invalid CA certificate", we say not_a_ca.
    result = _openssl(tmp_path, "verify", "-partial_chain", "-CAfile", "leaf.pem", "-vfyopt",
                      "distid:1234567812345678", "sub.pem")
    assert result.returncode != 0 and "invalid CA certificate" in result.stdout + result.stderr
    report = validate_chain(sub_c, ValidationContext([root_c], [int_c, leaf_c]), at=now)
    assert "not_a_ca" in codes(report)
    # Expired in 200 days: both agree.
    later = now + timedelta(days=200)
    result = _openssl(tmp_path, "verify", "-partial_chain", "-CAfile", "int.pem", "-vfyopt",
                      "distid:1234567812345678", "-attime", str(int(later.timestamp())), "leaf.pem")
    assert result.returncode != 0 and "certificate has expired" in result.stdout + result.stderr
    assert codes(validate_chain(leaf_c, ValidationContext([root_c], [int_c]), at=later)) == {"expired"}

    # An OpenSSL-made SM2 CRL revoking the leaf (keyCompromise): we verify its signature and find the entry.
    revoked_at = (now - timedelta(days=1)).strftime("%y%m%d%H%M%SZ")
    expires = (now + timedelta(days=90)).strftime("%y%m%d%H%M%SZ")
    (tmp_path / "index.txt").write_text(
        f"R\t{expires}\t{revoked_at},keyCompromise\t2002\tunknown\t/CN=OSSL Leaf/O=trustkit interop\n")
    (tmp_path / "crlnumber").write_text("01\n")
    (tmp_path / "ca.cnf").write_text(_CA_CNF)
    _openssl_ok(tmp_path, "ca", "-gencrl", "-config", "ca.cnf", "-keyfile", "int.key", "-cert", "int.pem",
                "-sigopt", "distid:1234567812345678", "-out", "int.crl")
    crl = CertificateRevocationList.load((tmp_path / "int.crl").read_bytes())
    after_crl = datetime.now(timezone.utc) + timedelta(seconds=5)  # OpenSSL set thisUpdate to its "now"
    report = validate_chain(leaf_c, ValidationContext([root_c], [int_c], [crl]), at=after_crl)
    assert codes(report) == {"revoked"} and "key_compromise" in report.failures[0].message
