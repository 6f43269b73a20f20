"""Licence verification: every check fails with its own code on the document that breaks it."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from pki_helpers import NOW, make_chain
from test_licence_issue import issued, record, seal, signer, template
from test_ofd_stamp import pki

from trustkit.errors import DecodeError
from trustkit.licence.issue import build_licence, issue_licence
from trustkit.licence.status import (
    StatusEntry,
    StatusList,
    load_status_list,
    make_status_list,
)
from trustkit.licence.verify import (
    LicenceVerification,
    verify_directory,
    verify_licence,
)
from trustkit.ofd import OFDReader, PackageWriter
from trustkit.ofd.stamp import PagePlacement, stamp_ofd
from trustkit.pki.signer import LocalSigner
from trustkit.pki.validation import ValidationContext

PERSON = "qualification_certificate"
BUSINESS = "business_licence"
LATER = NOW + timedelta(days=1)


def context() -> ValidationContext:
    return pki().context()


def verify(data: bytes, **kwargs: object) -> LicenceVerification:
    kwargs.setdefault("at", LATER)
    return verify_licence(data, context=context(), **kwargs)  # type: ignore[arg-type]


def failed(result: LicenceVerification) -> dict[str, str]:
    return {c.name: c.code or "" for c in result.failures}


def edit(data: bytes, part: str, change: Callable[[bytes], bytes]) -> bytes:
    """A copy of the package with ``part`` replaced by ``change(old bytes)``."""
    with OFDReader.from_bytes(data) as reader:
        writer = PackageWriter.from_reader(reader)
        writer.set(part, change(reader.read_part(part)))
        return writer.to_bytes()


def seal_it(unsigned: bytes) -> bytes:
    """Seal a (doctored) unsigned licence with the authority's genuine seal."""
    return stamp_ofd(unsigned, signer(), seal=seal(), placements=[PagePlacement(0, 90, 150)], time=NOW)


def test_valid_licence_report_shape() -> None:
    result = verify(issued(PERSON))
    assert result.valid and not result.failures and result.reasons == ()
    payload = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert payload["valid"] and payload["identifier"] == str(record(PERSON).identifier)
    assert payload["record"]["holder_name"] == "林小梅" and payload["signatures"][0]["valid"]
    assert "VALID" in result.summary() and "林小梅" in result.summary()


# ---- tampering ---------------------------------------------------------------------------------------


def test_changed_text_is_detected() -> None:
    doctored = edit(issued(PERSON), "Doc_0/Pages/Page_0/Content.xml",
                    lambda b: b.replace("林小梅".encode(), "林大梅".encode()))
    result = verify(doctored)
    assert not result.valid
    assert failed(result)["seal"] == "referenced_file_changed"
    assert "Content.xml" in next(c.detail for c in result.failures if c.name == "seal")


def test_changed_docinfo_is_detected() -> None:
    doctored = edit(issued(PERSON), "OFD.xml", lambda b: b.replace("林小梅".encode(), "林大梅".encode()))
    result = verify(doctored)
    assert failed(result)["seal"] == "referenced_file_changed"
    assert failed(result)["docinfo"] == "docinfo_mismatch"


def test_changed_tag_file_is_detected() -> None:
    doctored = edit(issued(PERSON), "Doc_0/Tags/Licence.xml",
                    lambda b: b.replace(b"2031-05-19", b"2041-05-19"))
    result = verify(doctored)
    assert failed(result)["seal"] == "referenced_file_changed"
    assert failed(result)["protected"] == "metadata_unprotected"  # the tag file no longer matches its digest
    assert failed(result)["docinfo"] == "docinfo_mismatch"


def test_added_file_after_sealing_is_detected() -> None:
    with OFDReader.from_bytes(issued(PERSON)) as reader:
        writer = PackageWriter.from_reader(reader)
        writer.set("Doc_0/Attachs/extra.xml", b"<x/>")
        doctored = writer.to_bytes()
    assert failed(verify(doctored))["seal"] == "unprotected_changes"


def test_docinfo_inconsistent_with_tag_although_sealed() -> None:
    """A producer bug (or a forger with the key): sealed, but DocInfo says something else."""
    unsigned = build_licence(record(PERSON), template(PERSON))
    doctored = seal_it(edit(unsigned, "OFD.xml", lambda b: b.replace("林小梅".encode(), "林大梅".encode())))
    result = verify(doctored)
    assert failed(result) == {"docinfo": "docinfo_mismatch"}
    assert "持证主体" in next(c.detail for c in result.failures)


def test_visible_text_must_match_the_record() -> None:
    """Sealed, metadata consistent, but the page shows another name: the data index catches it."""
    unsigned = build_licence(record(PERSON), template(PERSON))
    doctored = seal_it(edit(unsigned, "Doc_0/Pages/Page_0/Content.xml",
                            lambda b: b.replace("林小梅".encode(), "林大梅".encode())))
    result = verify(doctored)
    assert failed(result) == {"visible_text": "visible_text_mismatch"}
    assert "holder_name" in result.reasons[0]
    # An index pointing at objects that do not exist, or a broken index file.
    dangling = seal_it(edit(unsigned, "Doc_0/Tags/LicenceIndex.xml", lambda b: b.replace(b'PageRef="1">', b'PageRef="1">9', 1)))
    assert failed(verify(dangling)) == {"visible_text": "visible_text_mismatch"}
    broken = seal_it(edit(unsigned, "Doc_0/Tags/LicenceIndex.xml", lambda b: b"<x/>"))
    assert "not a licence data index" in verify(broken).reasons[0]


def test_without_data_index_the_text_check_is_skipped() -> None:
    unsigned = build_licence(record(PERSON), template(PERSON))
    no_index = seal_it(edit(unsigned, "Doc_0/Tags/CustomTags.xml",
                            lambda b: b[:b.index(b"<ofd:CustomTag TypeID=\"licence-index\"")] + b"</ofd:CustomTags>"))
    result = verify(no_index)
    assert result.valid and any(c.name == "visible_text" and c.ok is None for c in result.checks)


def test_attachment_must_equal_the_tag_file() -> None:
    unsigned = build_licence(record(PERSON), template(PERSON), attach_xml=True)
    doctored = seal_it(edit(unsigned, "Doc_0/Attachs/licence.xml", lambda b: b.replace(b"2031", b"2041")))
    assert failed(verify(doctored)) == {"attachment": "attachment_mismatch"}


def test_missing_or_malformed_metadata() -> None:
    unsigned = build_licence(record(PERSON), template(PERSON))
    no_ns = seal_it(edit(unsigned, "Doc_0/Tags/CustomTags.xml",
                         lambda b: b.replace(b"urn:trustkit:licence:1", b"urn:other").replace(b'"licence"', b'"x"')))
    assert failed(verify(no_ns))["metadata"] == "metadata_missing"
    broken = seal_it(edit(unsigned, "Doc_0/Tags/Licence.xml", lambda b: b[:-20]))
    assert failed(verify(broken))["metadata"] == "metadata_malformed"
    spaced = seal_it(edit(unsigned, "Doc_0/Tags/Licence.xml", lambda b: b.replace(b"\n  <tkl:Number", b"\n<tkl:Number")))
    assert failed(verify(spaced))["metadata"] == "metadata_not_canonical"


def test_unsigned_and_untrusted() -> None:
    assert failed(verify(build_licence(record(PERSON), template(PERSON))))["seal"] == "unsigned"
    other = make_chain()
    result = verify_licence(issued(PERSON), context=ValidationContext([other.root], [other.intermediate]), at=LATER)
    assert failed(result)["chain"] == "chain_invalid" and not result.valid


def test_garbage_is_a_decode_error() -> None:
    with pytest.raises(DecodeError):
        verify(b"not a zip")


# ---- check characters --------------------------------------------------------------------------------


def test_wrong_identifier_check_character() -> None:
    ident = str(record(PERSON).identifier)
    wrong = ident[:-1] + ("A" if ident[-1] != "A" else "B")
    unsigned = build_licence(record(PERSON), template(PERSON))
    doctored = seal_it(edit(edit(unsigned, "Doc_0/Tags/Licence.xml", lambda b: b.replace(ident.encode(), wrong.encode())),
                            "OFD.xml", lambda b: b.replace(ident.encode(), wrong.encode())))
    result = verify(doctored)
    assert failed(result)["identifier"] == "identifier_invalid"
    assert "check character" in next(c.detail for c in result.failures if c.name == "identifier")
    assert not result.valid and result.record is None


def test_wrong_holder_id_check_character() -> None:
    code = record(PERSON).holder_code
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    unsigned = build_licence(record(PERSON), template(PERSON))
    doctored = seal_it(edit(unsigned, "Doc_0/Tags/Licence.xml", lambda b: b.replace(code.encode(), wrong.encode())))
    result = verify(doctored)
    assert failed(result)["holder_code"] == "holder_code_invalid"
    assert "identifier" not in failed(result)


def test_wrong_holder_uscc_check_character() -> None:
    code = record(BUSINESS).holder_code  # an organisation: the holder code is a USCC
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    unsigned = build_licence(record(BUSINESS), template(BUSINESS))
    doctored = seal_it(edit(unsigned, "Doc_0/Tags/Licence.xml", lambda b: b.replace(code.encode(), wrong.encode())))
    assert failed(verify(doctored))["holder_code"] == "holder_code_invalid"


# ---- validity and status ---------------------------------------------------------------------------


def test_expired_and_not_yet_valid() -> None:
    data = issued(PERSON)  # valid 2026-05-20 .. 2031-05-19 (Beijing dates)
    expired = verify(data, at=NOW.replace(year=2031, month=5, day=19, hour=16))  # 2031-05-20 00:00 Beijing
    assert failed(expired) == {"validity": "licence_expired"}
    assert verify(data, at=NOW.replace(year=2031, month=5, day=19, hour=15, minute=59)).valid
    early = verify(data, at=NOW.replace(month=5, day=19))
    assert failed(early) == {"validity": "licence_not_yet_valid"}
    assert verify(issued(BUSINESS), at=NOW.replace(year=2099)).valid  # long-term


def test_status_written_in_record() -> None:
    revoked = record(PERSON).__class__.from_dict({**record(PERSON).to_dict(), "status": "revoked"})
    data = issue_licence(revoked, template(PERSON), signer(), seal(), time=NOW)
    assert failed(verify(data)) == {"status": "licence_revoked"}


def status_list(*entries: StatusEntry, issuer_code: str | None = None, this_update: datetime = NOW) -> StatusList:
    chain = pki().signer
    data = make_status_list(LocalSigner(chain.intermediate_key, chain.intermediate),
                            issuer_code=issuer_code or record(PERSON).issuer_code, list_number=3, entries=entries,
                            this_update=this_update)
    return load_status_list(data, chain.intermediate)


def test_revoked_and_suspended_via_status_list() -> None:
    ident = str(record(PERSON).identifier)
    revoked = verify(issued(PERSON), status_list=status_list(StatusEntry(ident, "revoked", date(2026, 6, 1), "证书注销")))
    assert failed(revoked) == {"status_list": "licence_revoked"}
    assert "证书注销" in revoked.reasons[0]
    suspended = verify(issued(PERSON), status_list=status_list(StatusEntry(ident, "suspended", date(2026, 6, 1))))
    assert failed(suspended) == {"status_list": "licence_suspended"}
    # Revoked from a later date: still valid on the day asked about.
    later = verify(issued(PERSON), status_list=status_list(StatusEntry(ident, "revoked", date(2026, 7, 1))))
    assert later.valid
    clean = verify(issued(PERSON), status_list=status_list())
    assert clean.valid and any(c.name == "status_list" and c.ok for c in clean.checks)


def test_status_list_of_another_issuer_or_stale_warns() -> None:
    other = verify(issued(PERSON), status_list=status_list(issuer_code=record(BUSINESS).issuer_code))
    assert other.valid and {c.code for c in other.warnings} >= {"status_list_wrong_issuer"}
    stale = verify(issued(PERSON), status_list=status_list(this_update=NOW - timedelta(days=30)))
    assert stale.valid and {c.code for c in stale.warnings} >= {"status_list_stale"}


# ---- directories --------------------------------------------------------------------------------------


def test_verify_directory(tmp_path: Path) -> None:
    (tmp_path / "a.ofd").write_bytes(issued(PERSON))
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "b.ofd").write_bytes(issued(BUSINESS))
    (sub / "c.ofd").write_bytes(edit(issued(BUSINESS), "OFD.xml", lambda b: b.replace(b"trustkit", b"trustkiT")))
    (tmp_path / "d.ofd").write_bytes(b"garbage")
    with zipfile.ZipFile(tmp_path / "e.ofd", "w") as z:
        z.writestr("hello.txt", "not an OFD")
    (tmp_path / "notes.txt").write_text("ignored")
    seen: list[str] = []
    result = verify_directory(tmp_path, context=context(), at=LATER, progress=lambda r: seen.append(r.document))
    assert [Path(p).name for p in seen] == ["a.ofd", "d.ofd", "e.ofd", "b.ofd", "c.ofd"]
    assert dict(result.counts) == {"valid": 2, "invalid": 1, "error": 2}
    assert not result.valid and result.summary() == "2 of 5 licence(s) valid, 1 invalid, 2 unreadable"
    by_name = {Path(r.document).name: r for r in result.results}
    assert failed(by_name["c.ofd"])["seal"] == "referenced_file_changed"
    assert failed(by_name["d.ofd"]) == {"document": "unreadable"}
    json.dumps(result.to_dict(), ensure_ascii=False)
