"""Licence templates and issuance: both example templates issue, carry their metadata where the
module says, render with an independent OFD renderer (easyofd), and their QR codes decode from the
rendered page and from the embedded image, and verify.  The QR images are encoded by zxing-cpp, so
the decoder that must read them is zbar (pyzbar), an independent implementation; zxing-cpp's own
reader is kept as a second opinion.

The helpers at the top (``template``, ``record``, ``issued`` ...) are reused by the verify,
batch and CLI tests.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image, ImageDraw
from pki_helpers import NOW
from pyzbar import pyzbar
from test_ofd_stamp import make_test_seal, pki
from test_ofd_writer import CJK_FONT_FILES, RENDER

from trustkit.errors import DecodeError
from trustkit.licence.issue import (
    LICENCE_TAG_TYPE,
    build_licence,
    docinfo_fields,
    issue_licence,
    layout_text,
)
from trustkit.licence.model import LICENCE_XML_NAMESPACE, LicenceRecord
from trustkit.licence.qr import (
    TrustList,
    TrustListEntry,
    load_trust_list,
    make_trust_list,
    verify_qr_payload,
)
from trustkit.licence.template import FieldBox, Template, field_value, load_template
from trustkit.licence.verify import verify_licence
from trustkit.ofd import Box, DocumentBuilder, OFDReader
from trustkit.pki.signer import LocalSigner

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "licence_templates"
TEMPLATES = ("business_licence", "qualification_certificate")


# ---- shared helpers (also imported by the verify, batch and CLI tests) -----------------------------


@cache
def template(name: str) -> Template:
    return load_template(EXAMPLES / f"{name}.json")


@cache
def record(name: str) -> LicenceRecord:
    return LicenceRecord.from_json((EXAMPLES / f"{name}.record.json").read_bytes())


def signer() -> LocalSigner:
    return pki().local


@cache
def seal() -> bytes:
    return make_test_seal()


@cache
def photo() -> bytes:
    image = Image.new("RGB", (300, 400), (200, 215, 235))
    draw = ImageDraw.Draw(image)
    draw.ellipse((100, 70, 200, 190), fill=(90, 90, 110))
    draw.ellipse((50, 200, 250, 460), fill=(90, 90, 110))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@cache
def issued(name: str) -> bytes:
    t = template(name)
    return issue_licence(record(name), t, signer(), seal(), time=NOW, photo=photo() if t.photo else None)


def context() -> Any:
    return pki().context()


def trust_list_for(rec: LicenceRecord) -> TrustList:
    """A QR trust list naming the test signer for ``rec``'s issuer, signed by the signer's CA."""
    chain = pki().signer
    entry = TrustListEntry.from_certificate(chain.leaf, issuer_name=rec.issuer_name, issuer_code=rec.issuer_code)
    data = make_trust_list([entry], LocalSigner(chain.intermediate_key, chain.intermediate), sequence=1, issued_at=NOW)
    return load_trust_list(data, trust_anchor_certificate=chain.intermediate)


def qr_texts(image: Image.Image) -> list[str]:
    """The licence QR payloads in ``image``, read by zbar (independent of the zxing-cpp encoder);
    zxing-cpp's reader must find the same."""
    grey = image.convert("L")
    found = [r.data.decode("ascii") for r in pyzbar.decode(grey, symbols=[pyzbar.ZBarSymbol.QRCODE])]
    found = [t for t in found if t.startswith("TKL1:")]
    second = [str(r.text) for r in zxingcpp.read_barcodes(grey) if str(r.text).startswith("TKL1:")]
    assert sorted(second) == sorted(found)
    return found


# ---- templates -----------------------------------------------------------------------------------


def minimal(**changes: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {"format": "trustkit-licence-template/1", "name": "t", "page": {"width": 100, "height": 80},
                           "seal": {"x": 50, "y": 40}}
    obj.update(changes)
    return obj


def test_example_templates_load() -> None:
    business, person = template("business_licence"), template("qualification_certificate")
    assert (business.page_width, business.page_height) == (297, 210) and business.photo is None
    assert (person.page_width, person.page_height) == (148, 210) and person.photo is not None
    assert business.qr is not None and person.qr is not None and person.qr.caption == "扫码亮证"
    assert any(f.field == "extra.经营范围" and f.max_lines == 8 for f in business.fields)


@pytest.mark.parametrize("changes, message", [
    ({"format": "v2"}, "format"),
    ({"colour": 1}, "unknown key"),
    ({"page": {"width": 100}}, "missing key"),
    ({"page": {"width": -1, "height": 80}}, "page.width"),
    ({"fields": [{"field": "nickname", "x": 1, "y": 1, "width": 10, "size": 3}]}, "unknown record field"),
    ({"fields": [{"field": "holder_name", "x": 90, "y": 1, "width": 20, "size": 3}]}, "runs off"),
    ({"fields": [{"field": "holder_name", "x": 1, "y": 1, "width": 20, "size": 3, "min_size": 4}]}, "min_size"),
    ({"fields": [{"field": "holder_name", "x": 1, "y": 1, "width": 20, "size": 3, "max_lines": 0}]}, "max_lines"),
    ({"texts": [{"text": "a", "x": 1, "y": 1, "size": 3, "color": [300, 0, 0]}]}, "color"),
    ({"texts": [{"text": "a", "x": 1, "y": 1, "size": 3, "align": "justify"}]}, "align"),
    ({"qr": {"x": 1, "y": 1, "size": 10}}, "20 mm"),
    ({"background": {"image": "missing.png"}}, "cannot read"),
    ({"seal": {"x": 150, "y": 1}}, "runs off"),
])
def test_template_validation(changes: dict[str, Any], message: str, tmp_path: Path) -> None:
    with pytest.raises(DecodeError, match=message) as info:
        Template.from_dict(minimal(**changes), base_dir=tmp_path)
    assert info.value.code == "invalid_template"


def test_template_json_and_background_image(tmp_path: Path) -> None:
    (tmp_path / "bg.png").write_bytes(photo())
    path = tmp_path / "t.json"
    path.write_text(json.dumps(minimal(background={"image": "bg.png", "color": [250, 250, 250]})))
    assert load_template(path).background_image == photo()
    (tmp_path / "bad.png").write_bytes(b"GIF89a")
    with pytest.raises(DecodeError, match="not a PNG or JPEG"):
        Template.from_dict(minimal(background={"image": "bad.png"}), base_dir=tmp_path)
    with pytest.raises(DecodeError, match="not valid JSON"):
        Template.from_json(b"{")


def test_field_values() -> None:
    business, person = record("business_licence"), record("qualification_certificate")
    assert field_value(business, "validity") == "2024年05月01日至长期"
    assert field_value(person, "validity", "iso") == "2026-05-20至2031-05-19"
    assert field_value(person, "extra.性别") == "女" and field_value(person, "extra.absent") == ""
    assert field_value(business, "extra.成立日期") == "2024年05月01日"
    assert field_value(person, "holder_id_type_name") == "公民身份号码" and field_value(person, "status") == "有效"
    with pytest.raises(ValueError):
        field_value(person, "nickname")


def test_layout_shrinks_then_wraps_then_refuses() -> None:
    builder = DocumentBuilder()
    box = FieldBox("holder_name", 0, 0, width=40, size=5, min_size=3)
    assert layout_text(builder, box, "八个汉字八个汉字") == (5, ["八个汉字八个汉字"])  # 8 x 5 mm = 40 mm: fits
    size, lines = layout_text(builder, box, "十个汉字十个汉字十个")  # 50 mm at 5 -> shrunk to 4 mm
    assert size == 4 and lines == ["十个汉字十个汉字十个"]
    with pytest.raises(ValueError, match="does not fit"):
        layout_text(builder, box, "汉" * 20)  # 20 x 3 mm = 60 mm > 40 mm on one line
    wrapped = FieldBox("holder_name", 0, 0, width=40, size=5, min_size=3, max_lines=2)
    size, lines = layout_text(builder, wrapped, "汉" * 14)
    assert size == 5 and lines == ["汉" * 8, "汉" * 6]
    # Closing punctuation never starts a line (避头).
    no_shrink = FieldBox("holder_name", 0, 0, width=40, size=5, min_size=5, max_lines=2)
    size, lines = layout_text(builder, no_shrink, "汉" * 8 + "。汉")
    assert lines[0].endswith("。") and not lines[1].startswith("。")


# ---- issuance --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TEMPLATES)
def test_issue_and_verify(name: str) -> None:
    data = issued(name)
    result = verify_licence(data, context=context(), at=NOW + timedelta(days=1))
    assert result.valid, result.summary()
    assert result.record == record(name)
    names = {c.name for c in result.checks if c.ok}
    assert {"seal", "chain", "metadata", "identifier", "issuer_code", "holder_code", "protected", "docinfo",
            "visible_text", "validity", "status"} <= names


@pytest.mark.parametrize("name", TEMPLATES)
def test_metadata_placement(name: str) -> None:
    rec = record(name)
    with OFDReader.from_bytes(issued(name)) as reader:
        tag, index = reader.custom_tags()
        assert (tag.type_id, tag.name_space, tag.file) == (LICENCE_TAG_TYPE, LICENCE_XML_NAMESPACE,
                                                           "Doc_0/Tags/Licence.xml")
        assert (index.type_id, index.file) == ("licence-index", "Doc_0/Tags/LicenceIndex.xml")
        assert index.file is not None and b"<ofd:ObjectRef PageRef=" in reader.read_part(index.file)
        assert reader.read_part(tag.file) == rec.to_xml()  # canonical bytes, exactly
        assert list(reader.info.custom_data) == docinfo_fields(rec)
        assert reader.info.custom("电子证照标识") == str(rec.identifier)
        assert reader.attachments() == ()  # no attachment by default (see trustkit.licence.issue)
        listing = reader.signatures()
        assert listing is not None
        (entry,) = listing.entries
        refs = {r.part for r in reader.signature(entry).references}
        media = {m.id: m.file for m in reader.document().media}
        images = {media[i.resource_id] for i in reader.page(0).images}
        assert len(images) == (2 if name == "qualification_certificate" else 1)  # QR (+ photo)
        assert {"OFD.xml", "Doc_0/Document.xml", "Doc_0/Tags/CustomTags.xml", "Doc_0/Tags/Licence.xml",
                "Doc_0/Tags/LicenceIndex.xml", "Doc_0/Pages/Page_0/Content.xml"} <= refs
        assert all(name in refs for name in reader.part_names() if name.startswith("Doc_0/Res/")), refs
        assert images <= refs
        assert reader.find(rec.holder_name) and reader.find(rec.licence_number)


def test_attach_xml_option() -> None:
    name = "qualification_certificate"
    data = issue_licence(record(name), template(name), signer(), seal(), time=NOW, attach_xml=True)
    with OFDReader.from_bytes(data) as reader:
        (attachment,) = reader.attachments()
        assert attachment.name == "licence.xml" and attachment.file is not None
        assert reader.read_part(attachment.file) == record(name).to_xml()
    result = verify_licence(data, context=context(), at=NOW)
    assert result.valid and any(c.name == "attachment" and c.ok for c in result.checks)


def test_build_is_deterministic_and_photo_frame() -> None:
    name = "qualification_certificate"
    a = build_licence(record(name), template(name), qr_text="TKL1:ABC")
    assert a == build_licence(record(name), template(name), qr_text="TKL1:ABC")
    with OFDReader.from_bytes(a) as reader:
        assert reader.find("照片")  # the empty photo frame is labelled
    with pytest.raises(ValueError, match="PNG or JPEG"):
        build_licence(record(name), template(name), photo=b"GIF89a")


def test_too_long_field_is_refused() -> None:
    name = "qualification_certificate"
    long_name = record(name).__class__.from_dict({**record(name).to_dict(), "holder_name": "长" * 60})
    with pytest.raises(ValueError, match="holder_name"):
        build_licence(long_name, template(name))


# ---- QR codes ----------------------------------------------------------------------------------------


def _embedded_qr(data: bytes, name: str) -> bytes:
    """The PNG drawn in the template's QR box (found by position, then by resource)."""
    box = template(name).qr
    assert box is not None
    with OFDReader.from_bytes(data) as reader:
        page = reader.page(0)
        document = reader.document()
        (qr,) = [i for i in page.images if abs(i.boundary.x - box.x) < 0.01 and abs(i.boundary.y - box.y) < 0.01]
        (media,) = [m for m in document.media if m.id == qr.resource_id]
        assert media.file is not None
        return reader.read_part(media.file)


@pytest.mark.parametrize("name", TEMPLATES)
def test_embedded_qr_decodes_and_verifies(name: str) -> None:
    png = _embedded_qr(issued(name), name)
    (text,) = qr_texts(Image.open(io.BytesIO(png)))
    result = verify_qr_payload(text, trust_list_for(record(name)), now=NOW + timedelta(days=1))
    assert result.valid and result.claims.identifier == record(name).identifier
    assert result.claims.mode == "static" and result.claims.holder_code_matches(record(name).holder_code)
    # printable for phones: EC level M, a 4-module white quiet zone, modules >= 0.33 mm in the box
    (symbol,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))
    assert symbol.ec_level == "M"
    image = Image.open(io.BytesIO(png)).convert("L")
    left = min(p.x for p in (symbol.position.top_left, symbol.position.bottom_left))
    top = min(p.y for p in (symbol.position.top_left, symbol.position.top_right))
    modules = (image.width - 2 * left) // 4  # qr_image: 4 pixels per module
    assert left == top == 4 * 4 and modules in range(21, 178, 4)
    assert image.crop((0, 0, image.width, left)).getextrema() == (255, 255)
    assert image.crop((0, 0, left, image.height)).getextrema() == (255, 255)
    box = template(name).qr
    assert box is not None and box.size / (modules + 8) >= 0.33


# ---- an independent render ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", TEMPLATES)
def test_render_with_easyofd(name: str, tmp_path: Path) -> None:
    """easyofd draws the sealed licence; the texts are where our reader says and the QR code
    decodes from the rendered page (PNGs looked at by hand: see the closing report)."""
    pytest.importorskip("easyofd")
    font = next((f for f in CJK_FONT_FILES if f.exists()), None)
    if font is None:
        pytest.skip("no TrueType CJK font for easyofd (apt-get install fonts-wqy-zenhei)")
    source, out = tmp_path / f"{name}.ofd", tmp_path / f"{name}.png"
    source.write_bytes(issued(name))
    result = subprocess.run([sys.executable, "-c", RENDER, str(font), str(source), str(out)], check=False, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    image = Image.open(out).convert("RGB")
    t = template(name)
    scale = image.width / t.page_width
    assert image.height == pytest.approx(t.page_height * scale, rel=0.01)

    def ink(box: Box) -> float:
        region = image.crop(tuple(round(v * scale) for v in (box.x, box.y, box.right, box.bottom))).convert("L")
        return sum(region.histogram()[:128]) / (region.width * region.height)

    rec = record(name)
    with OFDReader.from_bytes(issued(name)) as reader:
        for text in (rec.holder_name, rec.licence_number, t.name):
            (match, *_) = reader.find(text)
            assert ink(match.box) > 0.05, text
    texts = qr_texts(image)
    assert len(texts) == 1
    assert verify_qr_payload(texts[0], trust_list_for(rec), now=NOW).valid
