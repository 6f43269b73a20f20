"""trustkit.pdf.verify_pdf: tampering is detected with a reason; hostile PDFs give DecodeError quickly."""

from __future__ import annotations

import functools
import time
import zlib
from io import BytesIO

import pytest
from asn1crypto import cms
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from test_pdf_support import NOW, make_pdf, pki, seal_image

from trustkit.errors import DecodeError
from trustkit.pdf import MAX_PDF_SIZE, PagePosition, stamp_pdf, verify_pdf
from trustkit.pdf._sigdict import read_sig_dict


@functools.cache
def signed(mode: str = "cms-sm2") -> bytes:
    p = pki()
    return stamp_pdf(make_pdf(), p.signer(), seal_image=seal_image(), placement=PagePosition(1, 150, 60), mode=mode,
                     seal_der=p.seal_der if mode == "ses" else None)


def _codes(pdf: bytes) -> dict[str, str | None]:
    (sig,) = verify_pdf(pdf, context=pki().context(), at=NOW).signatures
    return {c.name: c.code for c in sig.checks if c.ok is False}


def _later_update(pdf: bytes, change: str) -> bytes:
    """An incremental update made with pyHanko after signing."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    page_ref = writer.find_page_for_modification(0)[0]
    page = page_ref.get_object()
    if change == "content":
        stream = generic.StreamObject(stream_data=b"BT /F1 48 Tf 100 400 Td (PAID) Tj ET")
        page["/Contents"] = writer.add_object(stream)
        writer.update_container(page)
    elif change == "comment":
        note = generic.DictionaryObject({
            "/Type": generic.NameObject("/Annot"), "/Subtype": generic.NameObject("/Text"),
            "/Rect": generic.ArrayObject([generic.FloatObject(v) for v in (100, 100, 120, 120)]),
            "/Contents": generic.TextStringObject("reviewed"), "/P": page_ref})
        writer.register_annotation(page_ref, writer.add_object(note))
    elif change == "drop-annotations":
        page["/Annots"] = generic.ArrayObject()
        writer.update_container(page)
    elif change == "info":
        writer.set_info(generic.DictionaryObject({"/Title": generic.TextStringObject("changed")}))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def test_empty_document_has_no_signatures() -> None:
    report = verify_pdf(make_pdf())
    assert not report.valid and report.signatures == () and report.format == "pdf"
    assert "no signatures found" in report.summary()


def test_without_context_the_chain_is_skipped() -> None:
    (sig,) = verify_pdf(signed()).signatures
    chain = next(c for c in sig.checks if c.name == "signer_chain")
    assert chain.ok is None and sig.valid


@pytest.mark.parametrize("mode", ["cms-sm2", "ses"])
def test_byte_flip_in_signed_range(mode: str) -> None:
    pdf = bytearray(signed(mode))
    stream = pdf.index(b"stream\n") + 10  # inside the original page content
    pdf[stream] ^= 0x01
    assert _codes(bytes(pdf))["message_digest"] == "digest_mismatch"


def test_flipped_signature_value() -> None:
    pdf = signed()
    start = pdf.rindex(b"/Contents <") + len(b"/Contents <")
    der = bytes.fromhex(pdf[start:pdf.index(b">", start)].decode())
    info = cms.ContentInfo.load(der.rstrip(b"\x00"))
    value = bytes(info["content"]["signer_infos"][0]["signature"].native)
    bad = bytearray(value)
    bad[-1] ^= 0x01
    tampered = pdf.replace(value.hex().upper().encode(), bytes(bad).hex().upper().encode())
    assert tampered != pdf
    assert _codes(tampered) == {"signature": "bad_signature"}


def test_content_changed_in_a_later_update() -> None:
    tampered = _later_update(signed(), "content")
    report = verify_pdf(tampered, context=pki().context(), at=NOW)
    (sig,) = report.signatures
    assert not report.valid
    assert _codes(tampered) == {"modifications": "disallowed_modification"}
    assert sig.details["later_revisions"] == 1
    assert next(c for c in sig.checks if c.name == "message_digest").ok  # the signed revision itself is intact


def test_comment_added_later_is_allowed() -> None:
    updated = _later_update(signed(), "comment")
    (sig,) = verify_pdf(updated, context=pki().context(), at=NOW).signatures
    assert sig.valid
    assert "annotations" in next(c for c in sig.checks if c.name == "modifications").detail


def test_removing_the_seal_widget_later_is_not() -> None:
    assert _codes(_later_update(signed(), "drop-annotations")) == {"modifications": "disallowed_modification"}


def test_metadata_update_is_allowed() -> None:
    updated = _later_update(signed(), "info")
    assert _codes(updated) == {}


def test_appended_junk_is_not_covered() -> None:
    report = verify_pdf(signed() + b"\n% trailing comment\n", context=pki().context(), at=NOW)
    # Junk after %%EOF is not a revision; the signature still covers its revision.
    assert report.valid


def test_byte_range_must_be_the_contents_gap() -> None:
    pdf = signed()
    start = pdf.rindex(b"/ByteRange [")
    end = pdf.index(b"]", start)
    numbers = pdf[start + len(b"/ByteRange ["):end].split()
    moved = b" ".join([numbers[0], str(int(numbers[1]) - 1).encode(), numbers[2], numbers[3]])
    width = end - start - len(b"/ByteRange [")
    tampered = pdf[:start] + b"/ByteRange [" + moved.ljust(width) + pdf[end:]
    assert len(tampered) == len(pdf)
    assert _codes(tampered)["byte_range"] == "byte_range_gap"


def test_sig_dict_reader_refuses_odd_objects() -> None:
    class Xrefs:
        def __getitem__(self, ref: object) -> int:
            return 0

    class Reader:
        xrefs = Xrefs()

    ref = generic.Reference(1, 0)
    assert read_sig_dict(b"1 0 obj << /ByteRange [0 1 2 3] /Contents <00> >>", Reader(), ref) is not None
    assert read_sig_dict(b"2 0 obj << /Contents <00> >>", Reader(), ref) is None  # wrong object number
    assert read_sig_dict(b"1 0 obj << /Contents (00) >>", Reader(), ref) is None  # not a hex string
    assert read_sig_dict(b"1 0 obj << /Contents <00", Reader(), ref) is None  # truncated


# ---- hostile and malformed input --------------------------------------------------------------------


def _pdf(objects: dict[int, bytes], *, xref_stream: dict[int, tuple[int, int]] | None = None) -> bytes:
    """A PDF with a correct cross-reference section: a table, or an xref stream when some objects
    live in object streams (``xref_stream`` maps object number -> (object stream, index))."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    size = max([*objects, *(xref_stream or {})]) + 2
    if xref_stream is None:
        start = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (size - 1)
        for number in range(1, size - 1):
            out += b"%010d 00000 n \n" % offsets[number]
        out += b"trailer\n<< /Root 1 0 R /Size %d >>\nstartxref\n%d\n%%%%EOF\n" % (size - 1, start)
        return bytes(out)
    xref_number = size - 1
    start = len(out)
    offsets[xref_number] = start
    rows = b""
    for number in range(size):
        if number in xref_stream:
            rows += bytes([2]) + xref_stream[number][0].to_bytes(4, "big") + xref_stream[number][1].to_bytes(2, "big")
        elif number in offsets:
            rows += bytes([1]) + offsets[number].to_bytes(4, "big") + bytes(2)
        else:
            rows += bytes(7)
    out += (b"%d 0 obj\n<< /Type /XRef /W [1 4 2] /Size %d /Root 1 0 R /Length %d >>\nstream\n"
            % (xref_number, size, len(rows)) + rows + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % start)
    return bytes(out)


_PAGES = b"<< /Type /Pages /Kids [] /Count 0 >>"


def _deep_array(depth: int) -> bytes:
    """/AcroForm /Fields nested ``depth`` arrays deep: a recursive parser runs out of stack."""
    fields = b"[" * depth + b"]" * depth
    return _pdf({1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields 3 0 R >> >>", 2: _PAGES, 3: fields})


def _object_stream_bomb() -> bytes:
    """/AcroForm /Fields inside an object stream that inflates to 64 MiB (a zip bomb in /ObjStm)."""
    bomb = zlib.compress(b"4 0 [] " + bytes(64 * 1024 * 1024), 9)
    objstm = b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n" % len(bomb)
    return _pdf({1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields 4 0 R >> >>", 2: _PAGES,
                 3: objstm + bomb + b"\nendstream"}, xref_stream={4: (3, 0)})


def _field_cycle() -> bytes:
    """A signature field whose /Kids contains itself."""
    return _pdf({1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] >> >>", 2: _PAGES,
                 3: b"<< /FT /Sig /T (a) /Kids [3 0 R] >>"})


def _bad_signature_dictionary() -> bytes:
    """A filled signature field whose /V has a nonsense ByteRange and no /Contents."""
    return _pdf({1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [3 0 R] >> >>", 2: _PAGES,
                 3: b"<< /FT /Sig /T (a) /V 4 0 R >>", 4: b"<< /Type /Sig /ByteRange [0 -5 99999999 3] >>"})


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"GIF89a", id="not-a-pdf"),
        pytest.param(b"%PDF-1.7\n" + b"x" * 100, id="no-xref"),
        pytest.param(make_pdf()[:400], id="truncated"),
        pytest.param(_deep_array(5000), id="deep-recursion"),
        pytest.param(_field_cycle(), id="field-cycle"),
        pytest.param(make_pdf().replace(b"xref", b"xrfe"), id="broken-xref"),
    ],
)
def test_malformed_input_is_a_decode_error_or_unsigned(data: bytes) -> None:
    start = time.monotonic()
    try:
        report = verify_pdf(data)
    except DecodeError:
        pass
    else:
        assert not report.valid  # readable enough, but nothing signed
    assert time.monotonic() - start < 5


def test_signed_then_truncated() -> None:
    pdf = signed()
    with pytest.raises(DecodeError):
        verify_pdf(pdf[: len(pdf) // 2])


def test_wellformed_hostile_files_are_decode_errors() -> None:
    """Files with correct xref sections, so the parser really reaches the hostile part."""
    for data, reason in [(_deep_array(5000), "nested too deeply"), (_object_stream_bomb(), "exceeds the limit")]:
        start = time.monotonic()
        with pytest.raises(DecodeError, match=reason):
            verify_pdf(data)
        assert time.monotonic() - start < 5


def test_bad_signature_dictionary_is_reported() -> None:
    report = verify_pdf(_bad_signature_dictionary())
    (sig,) = report.signatures
    assert not report.valid and sig.failures[0].code == "byte_range_malformed"


def test_size_limit() -> None:
    with pytest.raises(DecodeError, match="limit"):
        verify_pdf(b"%PDF-1.7\n" + bytes(MAX_PDF_SIZE))


def test_slow_path_reads_the_signature_dictionary_through_pyhanko(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the direct reader declines (odd layouts), pyHanko's parsed dictionary gives the same verdict."""
    from trustkit.pdf import verify as verify_module

    monkeypatch.setattr(verify_module, "read_sig_dict", lambda *args: None)
    report = verify_pdf(signed(), context=pki().context(), at=NOW)
    assert report.valid, report.summary()


def test_garbage_in_the_contents_padding_is_a_failed_signature() -> None:
    pdf = signed()
    start = pdf.rindex(b"/Contents <") + len(b"/Contents <")
    end = pdf.index(b">", start)
    tampered = pdf[:end - 2] + b"AB" + pdf[end:]  # the last padding byte (outside the signed ranges)
    report = verify_pdf(tampered, context=pki().context(), at=NOW)
    (sig,) = report.signatures
    assert not report.valid and sig.failures[0].code == "malformed_signature"


def test_stamping_hostile_files_fails_cleanly() -> None:
    from trustkit.pdf import stamp_pdf as stamp

    for data in (_deep_array(5000), _object_stream_bomb(), make_pdf()[:400], _field_cycle()):
        start = time.monotonic()
        with pytest.raises((DecodeError, ValueError)):
            stamp(data, pki().signer(), seal_image=seal_image(), placement=PagePosition(1, 10, 10))
        assert time.monotonic() - start < 5
