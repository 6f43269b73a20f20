"""trustkit.pdf.stamp_pdf: each signature mode round-trips through verify_pdf; placement lands where asked."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from io import BytesIO
from typing import Any

import pytest
from asn1crypto import cms
from pyhanko.pdf_utils.reader import PdfFileReader
from test_pdf_support import (
    KEYWORD,
    LINE_Y,
    NOW,
    PAGE_H,
    PAGE_W,
    keyword_box,
    make_pdf,
    pki,
    seal_image,
)

from trustkit import oids
from trustkit.errors import DecodeError
from trustkit.pdf import (
    KeywordPosition,
    PagePosition,
    RidingSeal,
    stamp_pdf,
    verify_pdf,
)
from trustkit.pdf._appearance import MM

SEAL_MM = 42.0  # round_seal default diameter
SEAL_PT = SEAL_MM * MM


def _widgets(pdf: bytes) -> list[tuple[int, tuple[float, ...], Any]]:
    """(page index, /Rect, widget dict) of every annotation, in page order."""
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    out = []
    for index in range(int(reader.root["/Pages"]["/Count"])):
        page = reader.find_page_for_modification(index)[0].get_object()
        for ref in page.get("/Annots", []):
            annot = ref.get_object()
            out.append((index, tuple(float(v) for v in annot["/Rect"]), annot))
    return out


def _contents(pdf: bytes) -> bytes:
    start = pdf.rindex(b"/Contents <") + len(b"/Contents <")
    return bytes.fromhex(pdf[start:pdf.index(b">", start)].decode())


@pytest.mark.parametrize("mode", ["cms-sm2", "cms-gm", "ses"])
def test_sm2_modes_round_trip(mode: str) -> None:
    p = pki()
    out = stamp_pdf(make_pdf(), p.signer(), seal_image=seal_image(), placement=PagePosition(1, 150, 60), mode=mode,
                    seal_der=p.seal_der if mode == "ses" else None, reason="同意", location="北京")
    report = verify_pdf(out, context=p.context(), at=NOW)
    assert report.valid, report.summary()
    (sig,) = report.signatures
    assert sig.details["mode"] == mode
    assert sig.kind == ("seal" if mode == "ses" else "cms")
    assert [c.name for c in sig.checks if c.ok] == (
        ["byte_range", "message_digest", "signature", "seal", "signer_chain", "modifications"] if mode == "ses"
        else ["byte_range", "message_digest", "signature", "signer_chain", "modifications"])
    assert out.startswith(make_pdf())  # an incremental update: the original bytes are untouched
    outer = _contents(out)
    if mode == "ses":
        assert sig.seal_name == "合同专用章" and sig.seal_id == "37030000001721"
        assert b"/Filter /Adobe.PPKMS" in out
    else:
        content_type = cms.ContentInfo.load(outer.rstrip(b"\x00"))["content_type"].dotted
        assert content_type == (oids.GM_CMS_SIGNED_DATA if mode == "cms-gm" else oids.CMS_SIGNED_DATA)
        assert b"/SubFilter /adbe.pkcs7.detached" in out


@pytest.mark.parametrize("kind", ["sm2", "p256"])
def test_timestamp_gives_the_signing_time(kind: str) -> None:
    p = pki()
    out = stamp_pdf(make_pdf(), p.signer(kind), seal_image=seal_image(), placement=PagePosition(1, 100, 100),
                    timestamp=p.tsa, mode="pades" if kind == "p256" else "cms-sm2")
    (sig,) = verify_pdf(out, context=p.context(), at=NOW).signatures
    assert sig.valid and sig.time_source == "timestamp" and sig.signing_time == NOW
    assert next(c for c in sig.checks if c.name == "timestamp").ok


def test_ses_timestamp() -> None:
    p = pki()
    out = stamp_pdf(make_pdf(), p.signer(), seal_image=seal_image(), placement=PagePosition(1, 100, 100),
                    mode="ses", seal_der=p.seal_der, timestamp=p.tsa)
    (sig,) = verify_pdf(out, context=p.context()).signatures
    assert sig.valid, sig.checks
    assert sig.time_source == "timestamp" and sig.signing_time == NOW


@pytest.mark.parametrize("kind", ["p256", "rsa"])
def test_pades_round_trip_and_pyhanko_validates(kind: str) -> None:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext as PyHankoContext

    p = pki()
    chain = p.p256 if kind == "p256" else p.rsa
    out = stamp_pdf(make_pdf(), p.signer(kind), seal_image=seal_image(), placement=PagePosition(1, 60, 60),
                    mode="pades")
    report = verify_pdf(out, context=p.context(), at=NOW)
    assert report.valid and report.signatures[0].details["mode"] == "pades", report.summary()
    assert b"/SubFilter /ETSI.CAdES.detached" in out
    # pyHanko's own validator, trusting only the test root (the intermediate is embedded in the CMS).
    from asn1crypto import x509

    context = PyHankoContext(trust_roots=[x509.Certificate.load(chain.root.der)], moment=NOW)
    status = validate_pdf_signature(PdfFileReader(BytesIO(out)).embedded_signatures[0], context)
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert status.coverage.name == "ENTIRE_FILE"


def test_two_signatures_in_sequence_stay_valid() -> None:
    """SM2 position stamp, then an SES riding seal, then a P-256 PAdES keyword stamp: all valid."""
    p = pki()
    first = stamp_pdf(make_pdf(3), p.signer(), seal_image=seal_image(), placement=PagePosition(1, 150, 60))
    second = stamp_pdf(first, p.signer(), seal_image=seal_image(), placement=RidingSeal(), mode="ses",
                       seal_der=p.seal_der)
    third = stamp_pdf(second, p.signer("p256"), seal_image=seal_image(), mode="pades",
                      placement=KeywordPosition(KEYWORD, occurrence=2))
    assert second.startswith(first) and third.startswith(second)
    report = verify_pdf(third, context=p.context(), at=NOW)
    assert report.valid, report.summary()
    assert [s.signature_id for s in report.signatures] == ["Seal1", "Seal2", "Seal3"]
    assert [s.details["later_revisions"] for s in report.signatures] == [2, 1, 0]
    modifications = next(c for c in report.signatures[0].checks if c.name == "modifications")
    assert modifications.ok and "Seal2" in modifications.detail and "Seal3" in modifications.detail


def test_position_origins() -> None:
    p = pki()
    top = stamp_pdf(make_pdf(), p.signer(), seal_image=seal_image(), placement=PagePosition(1, 50, 40))
    ((page, rect, widget),) = _widgets(top)
    assert page == 0
    assert rect == pytest.approx((50 * MM - SEAL_PT / 2, PAGE_H - 40 * MM - SEAL_PT / 2,
                                  50 * MM + SEAL_PT / 2, PAGE_H - 40 * MM + SEAL_PT / 2), abs=0.01)
    assert widget["/F"] == 132 and "/AP" in widget
    bottom = stamp_pdf(make_pdf(2), p.signer(), seal_image=seal_image(),
                       placement=PagePosition(-1, 50, 40, origin="bottom-left"))
    ((page, rect, _),) = _widgets(bottom)
    assert page == 1
    assert (rect[1] + rect[3]) / 2 == pytest.approx(40 * MM, abs=0.01)


def test_keyword_lands_on_the_text() -> None:
    p = pki()
    out = stamp_pdf(make_pdf(3), p.signer(), seal_image=seal_image(), placement=KeywordPosition(KEYWORD, occurrence=2))
    ((page, rect, _),) = _widgets(out)
    x0, x1 = keyword_box(2)
    assert page == 1
    assert (rect[0] + rect[2]) / 2 == pytest.approx((x0 + x1) / 2, abs=1.0)
    # The glyph boxes span the font's ascent/descent around the baseline.
    assert LINE_Y - 4 < (rect[1] + rect[3]) / 2 < LINE_Y + 12
    assert rect[2] - rect[0] == pytest.approx(SEAL_PT, abs=0.01)


def test_keyword_every_occurrence_is_one_signature() -> None:
    p = pki()
    out = stamp_pdf(make_pdf(3), p.signer(), seal_image=seal_image(), placement=KeywordPosition(KEYWORD, None))
    widgets = _widgets(out)
    assert [w[0] for w in widgets] == [0, 1, 2]
    assert widgets[0][2]["/T"] == "Seal1" and widgets[0][2]["/Subtype"] == "/Widget"
    assert [w[2]["/Subtype"] for w in widgets[1:]] == ["/Stamp", "/Stamp"]
    assert [str(w[2]["/NM"]) for w in widgets[1:]] == ["Seal1#2", "Seal1#3"]
    report = verify_pdf(out, context=p.context(), at=NOW)
    assert report.valid and len(report.signatures) == 1


def test_riding_seal_on_three_pages() -> None:
    p = pki()
    out = stamp_pdf(make_pdf(3), p.signer(), seal_image=seal_image(), placement=RidingSeal(y_mm=100))
    widgets = _widgets(out)
    assert [w[0] for w in widgets] == [0, 1, 2]
    for part, (_page, rect, widget) in enumerate(widgets):
        assert rect[2] == pytest.approx(PAGE_W, abs=0.01)
        assert rect[2] - rect[0] == pytest.approx(SEAL_PT / 3, abs=0.01)
        assert (rect[1] + rect[3]) / 2 == pytest.approx(PAGE_H - 100 * MM, abs=0.01)
        form = widget["/AP"]["/N"]
        assert float(form["/BBox"][2]) == pytest.approx(SEAL_PT / 3, abs=0.01)
        # Each slice shifts the whole picture left by the slices before it.
        assert form.data.split()[5] == (b"0" if part == 0 else f"{-part * SEAL_PT / 3:.4f}".rstrip("0").encode())
    assert verify_pdf(out, context=p.context(), at=NOW).valid


def test_png_bytes_with_dpi_give_true_size() -> None:
    p = pki()
    png = seal_image().png(dpi=200)
    out = stamp_pdf(make_pdf(), p.signer(), seal_image=png, placement=PagePosition(1, 100, 100))
    ((_, rect, _),) = _widgets(out)
    assert rect[2] - rect[0] == pytest.approx(SEAL_PT, abs=0.2)
    sized = stamp_pdf(make_pdf(), p.signer(), seal_image=png, placement=PagePosition(1, 100, 100),
                      seal_size_mm=(30, 30))
    ((_, rect, _),) = _widgets(sized)
    assert rect[2] - rect[0] == pytest.approx(30 * MM, abs=0.01)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "pades"}, "ECDSA/RSA"),
        ({"mode": "ses"}, "seal_der"),
        ({"mode": "bogus"}, "mode must be"),
        ({"placement": PagePosition(4, 10, 10)}, "page 4 does not exist"),
        ({"placement": PagePosition(0, 10, 10)}, "page 0 does not exist"),
        ({"placement": KeywordPosition("不存在的词")}, "was not found"),
        ({"placement": KeywordPosition(KEYWORD, occurrence=2)}, "occurs 1 time"),
        ({"placement": RidingSeal(pages=(1,))}, "at least two"),
        ({"field_name": "bad name!"}, "field_name"),
        ({"timestamp": "ftp://tsa"}, "timestamp must be"),
    ],
)
def test_argument_errors(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"seal_image": seal_image(), "placement": PagePosition(1, 100, 100)}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        stamp_pdf(make_pdf(), pki().signer(), **args)


def test_sm2_mode_needs_sm2_and_field_must_be_new() -> None:
    p = pki()
    with pytest.raises(ValueError, match="SM2 signer"):
        stamp_pdf(make_pdf(), p.signer("p256"), seal_image=seal_image(), placement=PagePosition(1, 10, 10))
    once = stamp_pdf(make_pdf(), p.signer(), seal_image=seal_image(), placement=PagePosition(1, 50, 50),
                     field_name="Approval")
    with pytest.raises(ValueError, match="exists already"):
        stamp_pdf(once, p.signer(), seal_image=seal_image(), placement=PagePosition(1, 50, 50), field_name="Approval")


def test_not_a_pdf() -> None:
    with pytest.raises(DecodeError):
        stamp_pdf(b"hello", pki().signer(), seal_image=seal_image(), placement=PagePosition(1, 10, 10))
    with pytest.raises(TypeError):
        stamp_pdf("x", pki().signer(), seal_image=seal_image(), placement=PagePosition(1, 10, 10))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="placement"):
        stamp_pdf(make_pdf(), pki().signer(), seal_image=seal_image(), placement=(1, 10, 10))  # type: ignore[arg-type]


# ---- a TSA over HTTP (RFC 3161 3.4) on the loopback interface -----------------------------------------


@pytest.fixture
def tsa_url() -> Iterator[str]:
    """A real http.server on 127.0.0.1 whose POST handler calls the test TimestampAuthority."""
    tsa = pki().tsa

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            reply = tsa.respond(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.parametrize("mode", ["cms-sm2", "ses", "pades"])
def test_timestamp_from_a_tsa_url(tsa_url: str, mode: str) -> None:
    p = pki()
    out = stamp_pdf(make_pdf(), p.signer("p256" if mode == "pades" else "sm2"), seal_image=seal_image(),
                    placement=PagePosition(1, 100, 100), mode=mode, seal_der=p.seal_der if mode == "ses" else None,
                    timestamp=tsa_url)
    (sig,) = verify_pdf(out, context=p.context()).signatures
    assert sig.valid and sig.time_source == "timestamp" and sig.signing_time == NOW


def test_unreachable_tsa() -> None:
    from trustkit.errors import TimestampError

    with pytest.raises(TimestampError):
        stamp_pdf(make_pdf(), pki().signer(), seal_image=seal_image(), placement=PagePosition(1, 100, 100),
                  timestamp="http://127.0.0.1:9/tsa")


def _cjk_pdf(*, crop: tuple[float, float, float, float] | None = None, rotate: int = 0) -> bytes:
    """One A4 page with a CJK line in reportlab's built-in Adobe-GB1 font (STSong-Light, not embedded)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=True)
    c.setFont("STSong-Light", 14)
    c.drawString(72, 500, "甲方（盖章）：某某市人民政府")
    if crop is not None:
        c.setCropBox(crop)
    if rotate:
        c.setPageRotation(rotate)
    c.showPage()
    c.save()
    return buf.getvalue()


def test_cjk_keyword() -> None:
    out = stamp_pdf(_cjk_pdf(), pki().signer(), seal_image=seal_image(),
                    placement=KeywordPosition("甲方（盖章）", offset_mm=(10, 0)))
    ((_, rect, _),) = _widgets(out)
    # 6 glyphs of 14 pt from x = 72; the seal is moved 10 mm to the right of their centre.
    assert (rect[0] + rect[2]) / 2 == pytest.approx(72 + 42 + 10 * MM, abs=0.5)
    assert verify_pdf(out, context=pki().context(), at=NOW).valid


def test_position_is_relative_to_the_crop_box() -> None:
    out = stamp_pdf(_cjk_pdf(crop=(20, 30, 500, 800)), pki().signer(), seal_image=seal_image(),
                    placement=PagePosition(1, 30, 30))
    ((_, rect, _),) = _widgets(out)
    assert (rect[0] + rect[2]) / 2 == pytest.approx(20 + 30 * MM, abs=0.01)
    assert (rect[1] + rect[3]) / 2 == pytest.approx(800 - 30 * MM, abs=0.01)


def test_rotated_pages_are_refused() -> None:
    with pytest.raises(ValueError, match="rotated"):
        stamp_pdf(_cjk_pdf(rotate=90), pki().signer(), seal_image=seal_image(), placement=PagePosition(1, 30, 30))


def test_oid_registration_leaves_asn1crypto_usable() -> None:
    """After trustkit.pdf names the SM OIDs, asn1crypto still builds identifiers from dotted and named forms."""
    from asn1crypto import algos

    from trustkit.pdf._pyhanko_sm2 import register_sm_oids

    register_sm_oids()
    register_sm_oids()  # idempotent
    assert algos.SignedDigestAlgorithm({"algorithm": "1.2.156.10197.1.501"}).dump() == \
        algos.SignedDigestAlgorithm({"algorithm": "sm2sign_with_sm3"}).dump()
    assert algos.DigestAlgorithm({"algorithm": "sm3"})["algorithm"].dotted == "1.2.156.10197.1.401"
    assert algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"})["algorithm"].dotted == "1.2.840.113549.1.1.11"
