"""Verifying OFD signatures (trustkit.ofd.verify): the real samples' expected verdicts
(vectors/ofd/SOURCES.md, shared ledger), tampering of every kind, time sources, chains,
and the report shape the CLI prints.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pki_helpers import NOW, make_chain
from test_ofd_stamp import (
    licence,
    make_test_seal,
    pki,
    read,
    replace_part,
    seal_v4,
)

from trustkit.errors import DecodeError
from trustkit.ofd import OFDReader, PackageWriter
from trustkit.ofd.stamp import PagePlacement, stamp_ofd
from trustkit.ofd.verify import parse_signature_time, verify_ofd
from trustkit.pki.certificate import Certificate
from trustkit.pki.signer import LocalSigner
from trustkit.pki.validation import ValidationContext
from trustkit.verification import DocumentReport, SignatureReport

ROOT = Path(__file__).resolve().parent.parent
OFD = ROOT / "vectors" / "ofd"
DIGITAL_SIGN_CERT = ROOT / "vectors" / "pki" / "ofdrw" / "DigitalSign_signer_cert.pem"


def checks(signature: SignatureReport) -> dict[str, tuple[bool | None, str | None, str]]:
    return {c.name: (c.ok, c.code, c.severity) for c in signature.checks}


def failure_codes(report: DocumentReport) -> list[list[str | None]]:
    return [[c.code for c in s.failures] for s in report.signatures]


# ---- real samples -----------------------------------------------------------------------------------------


def test_sesv4signdoc_valid_with_expired_seal_as_warning() -> None:
    report = verify_ofd(OFD / "SESV4SignDoc.ofd")
    assert report.valid, report.summary()
    (sig,) = report.signatures
    assert sig.kind == "seal" and sig.time_source == "signer" and sig.seal_name == "OFD R&W 测试用印章"
    assert checks(sig)["seal_validity"] == (False, "seal_expired", "warning")  # by design (self-asserted time)
    assert [c.code for c in sig.warnings] == ["seal_expired"]
    assert checks(sig)["signer_chain"][0] is None


@pytest.mark.parametrize("name, annots", [("allprotected.ofd", 1), ("V4RideRight.ofd", 5)])
def test_ofdrw_samples_valid(name: str, annots: int) -> None:
    report = verify_ofd(OFD / name)
    assert report.valid, report.summary()
    (sig,) = report.signatures
    assert not sig.warnings and checks(sig)["stamp_annots"][0] is True
    assert sig.details["type"] == "Seal"


def test_digital_sign_needs_its_certificate() -> None:
    without = verify_ofd(OFD / "DigitalSign.ofd")
    assert not without.valid and failure_codes(without) == [["signer_certificate_missing"]]
    assert "pass the signer's certificate" in without.signatures[0].failures[0].detail
    cert = Certificate.load(DIGITAL_SIGN_CERT.read_bytes())
    report = verify_ofd(OFD / "DigitalSign.ofd", certificates=[cert])
    assert report.valid, report.summary()
    (sig,) = report.signatures
    assert sig.kind == "sign" and sig.signer == cert.subject_text and sig.details["form"] == "sm2"
    other = make_chain().leaf
    assert failure_codes(verify_ofd(OFD / "DigitalSign.ofd", certificates=[other])) == [["signer_signature_invalid"]]


def test_keyword_both_signatures_invalid_for_changed_files() -> None:
    report = verify_ofd(OFD / "keyword.ofd")
    assert not report.valid
    assert failure_codes(report) == [["referenced_file_changed"], ["referenced_file_changed"]]
    seal, sign = report.signatures
    assert seal.kind == "seal" and sign.kind == "cms" and sign.details["form"] == "attached-hash"
    # everything but the digests verifies: the raw r||s signatures and the SignedData itself
    for sig in report.signatures:
        assert checks(sig)["signer_signature"][0] is True and checks(sig)["data_hash"][0] is True
    assert "/Doc_0/Pages/Page_0/Content.xml" in seal.failures[0].detail


@pytest.mark.parametrize("name", ["helloworld.ofd", "hello.ofd", "VPage7.ofd"])
def test_unsigned_documents(name: str) -> None:
    report = verify_ofd((OFD / name).read_bytes())
    assert report.signatures == () and not report.valid and report.document_checks == ()
    assert "no signatures" in report.summary()


def test_inputs_path_bytes_reader_and_malformed() -> None:
    path = OFD / "SESV4SignDoc.ofd"
    assert verify_ofd(path).document == str(path)
    assert verify_ofd(path.read_bytes(), document_name="x.ofd").document == "x.ofd"
    with OFDReader.open(path) as reader:
        assert verify_ofd(reader).valid
    with pytest.raises(DecodeError):
        verify_ofd(b"PK\x03\x04 not a zip")
    with pytest.raises(ValueError, match="timezone"):
        verify_ofd(path, at=datetime(2026, 1, 1))


# ---- tampering ------------------------------------------------------------------------------------------


@cache
def _two_signatures() -> bytes:
    p = pki()
    first = stamp_ofd(licence(), p.local, seal=seal_v4(), placements=[PagePlacement(0, 100, 200)], time=NOW)
    return stamp_ofd(first, p.local, seal=seal_v4(), placements=[PagePlacement(0, 20, 200)],
                     time=NOW + timedelta(minutes=1))


@pytest.fixture
def two_signatures() -> bytes:
    return _two_signatures()


def test_changed_page_byte(two_signatures: bytes) -> None:
    page = read(two_signatures, "Doc_0/Pages/Page_0/Content.xml")
    tampered = replace_part(two_signatures, "Doc_0/Pages/Page_0/Content.xml", page.replace(b"91350100", b"91350101"))
    report = verify_ofd(tampered)
    assert failure_codes(report) == [["referenced_file_changed"], ["referenced_file_changed"]]


def test_missing_referenced_file(two_signatures: bytes) -> None:
    report = verify_ofd(replace_part(two_signatures, "Doc_0/PublicRes.xml", None))
    assert failure_codes(report) == [["referenced_file_missing"], ["referenced_file_missing"]]


def test_changed_signature_xml_breaks_data_hash(two_signatures: bytes) -> None:
    name = "Doc_0/Signs/Sign_1/Signature.xml"
    xml = read(two_signatures, name)
    report = verify_ofd(replace_part(two_signatures, name, xml.replace(b'Boundary="20 200', b'Boundary="21 200')))
    assert failure_codes(report) == [[], ["data_hash_mismatch"]]


def test_flipped_signature_value(two_signatures: bytes) -> None:
    name = "Doc_0/Signs/Sign_1/SignedValue.dat"
    value = bytearray(read(two_signatures, name))
    value[-5] ^= 0x01  # inside the signer's SM2 signature (the last field of SES_Signature)
    report = verify_ofd(replace_part(two_signatures, name, bytes(value)))
    assert failure_codes(report) == [[], ["signer_signature_invalid"]]


def test_swapped_signed_values(two_signatures: bytes) -> None:
    a, b = "Doc_0/Signs/Sign_0/SignedValue.dat", "Doc_0/Signs/Sign_1/SignedValue.dat"
    value_a, value_b = read(two_signatures, a), read(two_signatures, b)
    swapped = replace_part(replace_part(two_signatures, a, value_b), b, value_a)
    report = verify_ofd(swapped)
    # each value is valid but over the other Signature.xml; the first is also protected by the second
    assert failure_codes(report) == [["data_hash_mismatch"], ["referenced_file_changed", "data_hash_mismatch"]]


def test_sign_raw_tampered_signature_xml() -> None:
    p = pki()
    out = stamp_ofd(licence(), p.local, sign_format="sign-raw", time=NOW)
    name = "Doc_0/Signs/Sign_0/Signature.xml"
    tampered = replace_part(out, name, read(out, name).replace(b"trustkit", b"trustkiT", 1))
    assert failure_codes(verify_ofd(tampered, certificates=[p.signer.leaf])) == [["signer_signature_invalid"]]
    cms = stamp_ofd(licence(), p.local, sign_format="sign-cms", time=NOW)
    tampered = replace_part(cms, name, read(cms, name).replace(b"trustkit", b"trustkiT", 1))
    assert failure_codes(verify_ofd(tampered)) == [["data_hash_mismatch"]]


def test_files_added_after_signing(two_signatures: bytes) -> None:
    with OFDReader.from_bytes(two_signatures) as reader:
        writer = PackageWriter.from_reader(reader)
        writer.set("Doc_0/Res/extra.png", b"\x89PNG\r\n\x1a\nnot really")
        added = writer.to_bytes()
    report = verify_ofd(added)
    assert all(s.valid for s in report.signatures) and not report.valid
    (check,) = report.document_checks
    assert (check.ok, check.code, check.severity) == (False, "unprotected_changes", "error")
    assert "Doc_0/Res/extra.png" in check.detail
    # an extra signature file is a warning only
    stray = replace_part(two_signatures, "Doc_0/Signs/Sign_9/notes.dat", b"x")
    report = verify_ofd(stray)
    assert report.valid and [(c.ok, c.severity) for c in report.document_checks] == [(False, "warning")]


def test_protected_signature_list_with_later_signature() -> None:
    """allprotected.ofd with a second entry added by hand: the first signature breaks, and says why."""
    data = (OFD / "allprotected.ofd").read_bytes()
    listing = read(data, "Doc_0/Signs/Signatures.xml")
    entry = b'<ofd:Signature ID="003" Type="Seal" BaseLoc="/Doc_0/Signs/Sign_1/Signature.xml"/>'
    tampered = replace_part(data, "Doc_0/Signs/Signatures.xml", listing.replace(b"<ofd:MaxSignId>", entry + b"<ofd:MaxSignId>"))
    report = verify_ofd(tampered)
    first, second = report.signatures
    assert [c.code for c in first.failures] == ["referenced_file_changed", "signatures_list_protected"]
    assert [c.code for c in second.failures] == ["malformed_signature"]


# ---- time, chains -------------------------------------------------------------------------------------------


def test_expired_signer_certificate_with_context() -> None:
    p = pki()
    short = make_chain(leaf_not_before=NOW - timedelta(days=60), leaf_validity=timedelta(days=30))
    seal = make_test_seal(signer=short.leaf)
    signer = LocalSigner(short.leaf_key, short.leaf)
    out = stamp_ofd(licence(), signer, seal=seal, time=NOW)  # after the signer certificate expired
    context = ValidationContext([short.root, p.maker.root], [short.intermediate, p.maker.intermediate],
                                [short.crl, p.maker.crl])
    report = verify_ofd(out, context=context)
    assert failure_codes(report) == [["signer_chain_invalid"]]
    assert "expired" in report.signatures[0].failures[0].detail
    assert verify_ofd(out).valid  # without a context the chain is not judged


def test_untrusted_roots() -> None:
    p = pki()
    out = stamp_ofd(licence(), p.local, seal=seal_v4(), time=NOW)
    stranger = make_chain()
    report = verify_ofd(out, context=ValidationContext([stranger.root]))
    assert failure_codes(report) == [["signer_chain_invalid", "maker_chain_invalid"]]


def test_seal_expired_is_an_error_at_a_given_time() -> None:
    p = pki()
    seal = make_test_seal(valid_from=NOW - timedelta(days=30), valid_to=NOW - timedelta(days=1))
    out = stamp_ofd(licence(), p.local, seal=seal, time=NOW)
    report = verify_ofd(out, context=p.context())
    assert report.valid and [c.code for c in report.signatures[0].warnings] == ["seal_expired"]
    strict = verify_ofd(out, context=p.context(), at=NOW)
    assert failure_codes(strict) == [["seal_expired"]]


@pytest.mark.parametrize("text, expected", [
    ("20201010151120", datetime(2020, 10, 10, 7, 11, 20, tzinfo=timezone.utc)),
    ("2020-04-22 16:22:44", datetime(2020, 4, 22, 8, 22, 44, tzinfo=timezone.utc)),
    ("20200620091849Z", datetime(2020, 6, 20, 9, 18, 49, tzinfo=timezone.utc)),
    ("2020-06-20T09:18:49.123Z", datetime(2020, 6, 20, 9, 18, 49, tzinfo=timezone.utc)),
    ("2020-06-20T17:18:49+08:00", datetime(2020, 6, 20, 9, 18, 49, tzinfo=timezone.utc)),
    ("yesterday", None),
    ("20201340151120", None),
    (None, None),
])
def test_signature_time_formats(text: str | None, expected: datetime | None) -> None:
    assert parse_signature_time(text) == expected


def test_report_is_json_and_readable() -> None:
    report = verify_ofd(OFD / "keyword.ofd")
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert data["valid"] is False and [s["failures"] for s in data["signatures"]] == [
        ["referenced_file_changed"], ["referenced_file_changed"]]
    text = report.summary()
    assert "INVALID" in text and "淄博市周村区自然资源局" in text


# ---- hostile input: reported, never a crash ----------------------------------------------------------------


@pytest.mark.parametrize("value, code", [
    (b"", "malformed_signed_value"),
    (b"\x30\x03\x02\x01\x01", "malformed_signed_value"),
    (bytes(range(256)) * 3, "malformed_signed_value"),
])
def test_garbage_signed_value(two_signatures: bytes, value: bytes, code: str) -> None:
    report = verify_ofd(replace_part(two_signatures, "Doc_0/Signs/Sign_1/SignedValue.dat", value))
    assert failure_codes(report)[1] == [code]


def test_garbage_sign_values() -> None:
    p = pki()
    out = stamp_ofd(licence(), p.local, sign_format="sign-cms", time=NOW)
    name = "Doc_0/Signs/Sign_0/SignedValue.dat"
    for value in (b"\x30\x80\x00\x00", b"\x30\x05\x06\x03\x2a\x03\x04", read(out, name)[:-3]):
        codes = failure_codes(verify_ofd(replace_part(out, name, value), certificates=[p.signer.leaf]))
        assert codes in ([["malformed_signed_value"]], [["signer_signature_invalid"]]), (value, codes)


def test_malformed_signature_files(two_signatures: bytes) -> None:
    broken = replace_part(two_signatures, "Doc_0/Signs/Sign_1/Signature.xml", b"<ofd:Signature")
    assert [c.code for c in verify_ofd(broken).signatures[1].failures] == ["malformed_signature"]
    missing_value = replace_part(two_signatures, "Doc_0/Signs/Sign_1/SignedValue.dat", None)
    assert "signed_value_missing" in failure_codes(verify_ofd(missing_value))[1]
    bad_list = replace_part(two_signatures, "Doc_0/Signs/Signatures.xml", b'<!DOCTYPE x [<!ENTITY a "b">]><x/>')
    report = verify_ofd(bad_list)
    assert report.signatures == () and not report.valid
    assert [c.code for c in report.document_checks] == ["signature_list_unreadable"]


@given(position=st.integers(min_value=0), xor=st.integers(min_value=1, max_value=255),
       part=st.sampled_from(["Doc_0/Signs/Sign_0/SignedValue.dat", "Doc_0/Signs/Sign_0/Signature.xml",
                             "Doc_0/Signs/Sign_1/SignedValue.dat", "Doc_0/Signs/Signatures.xml"]))
@settings(max_examples=60, deadline=None)
def test_flipped_bytes_never_crash(position: int, xor: int, part: str) -> None:
    """Any single flipped byte in a signature file gives a report, never an exception; in the
    protected files it invalidates the document (Signatures.xml is unprotected by design: a flip
    there may leave a readable, valid list)."""
    document = _two_signatures()
    data = bytearray(read(document, part))
    data[position % len(data)] ^= xor
    report = verify_ofd(replace_part(document, part, bytes(data)))
    if part != "Doc_0/Signs/Signatures.xml":
        assert not report.valid


def test_check_method_sm3_with_z() -> None:
    """CheckMethod 1.2.156.10197.1.401.2 (SM3 over Z of the signer's key, then the file), a vendor
    variation: a Signature.xml rewritten to use it, re-signed as a bare SM2 signature."""
    import base64
    import re

    from trustkit.primitives import sm2, sm3

    p = pki()
    out = stamp_ofd(licence(), p.local, sign_format="sign-raw", time=NOW)
    name = "Doc_0/Signs/Sign_0/Signature.xml"
    xml = read(out, name).decode()
    public = p.signer.leaf.public_key
    assert isinstance(public, sm2.PublicKey)
    z = public.compute_z(sm2.DEFAULT_UID)

    def z_digest(match: re.Match[str]) -> str:
        part = match.group(1).lstrip("/")
        value = base64.b64encode(sm3.hash(z + read(out, part))).decode()
        return f'FileRef="{match.group(1)}"><ofd:CheckValue>{value}</ofd:CheckValue>'

    xml = re.sub(r'FileRef="([^"]+)"><ofd:CheckValue>[^<]*</ofd:CheckValue>', z_digest, xml)
    xml = xml.replace('CheckMethod="1.2.156.10197.1.401"', 'CheckMethod="1.2.156.10197.1.401.2"').encode()
    resigned = replace_part(replace_part(out, name, xml), "Doc_0/Signs/Sign_0/SignedValue.dat", p.local.sign(xml))
    report = verify_ofd(resigned, certificates=[p.signer.leaf])
    assert report.valid, report.summary()
    assert failure_codes(verify_ofd(resigned)) == [["unsupported_check_method", "signer_certificate_missing"]]
