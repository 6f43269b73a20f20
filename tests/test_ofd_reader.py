"""Reading real OFD packages made by other software (vectors/ofd, see its SOURCES.md)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from vectors import VECTORS, vector_path

from trustkit import sm3
from trustkit.errors import DecodeError, UnsupportedAlgorithmError
from trustkit.ofd import Box, OFDReader, PackageWriter, TextObject

SAMPLES = sorted((VECTORS / "ofd").glob("*.ofd"))
# file -> (number of pages, a text on page 0 or None, number of signatures)
EXPECTED = {
    "DigitalSign.ofd": (1, "你好呀，OFD Reader&Writer！", 1),
    "SESV4SignDoc.ofd": (1, "你好呀，OFD Reader&Writer！", 1),
    "V4RideRight.ofd": (5, None, 1),
    "VPage7.ofd": (5, None, 0),
    "allprotected.ofd": (1, "你好呀，OFD Reader&Writer！", 1),
    "doc1File.ofd": (11, "一日不见兮，思之如狂。", 0),
    "hello.ofd": (2, "拿来主义", 0),
    "helloworld.ofd": (1, "你好呀，OFD Reader&Writer！", 0),
    "keyword.ofd": (1, "鲁（2020）泰安市不动产证明第0014777号", 2),
    "namespace_no_std.ofd": (1, "你好呀，OFD Reader&Writer！", 0),
}
# Signatures the shared ledger lists as VALID: every Reference digest must match the part.
VALID_SIGNED = ["DigitalSign.ofd", "SESV4SignDoc.ofd", "allprotected.ofd", "V4RideRight.ofd"]


def open_sample(name: str) -> OFDReader:
    return OFDReader.from_bytes(vector_path("ofd", name).read_bytes())


def test_every_sample_is_covered() -> None:
    assert {p.name for p in SAMPLES} == set(EXPECTED)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_read_every_sample(path: Path) -> None:
    pages, text, signatures = EXPECTED[path.name]
    with OFDReader.open(path) as reader:
        assert reader.info.doc_id and len(reader.info.doc_id) == 32
        document = reader.document()
        assert len(document.pages) == pages == reader.page_count()
        parsed = list(reader.pages())
        assert [p.index for p in parsed] == list(range(pages))
        for page in parsed:
            width, height = page.size
            assert width > 0 and height > 0
            for obj in page.objects():
                assert obj.boundary.width >= 0
        if text is not None:
            assert text in parsed[0].text
            assert reader.find(text)[0].page_index == 0
        listed = reader.signatures()
        assert (len(listed.entries) if listed else 0) == signatures
        # Every part can be read in full and streamed in small chunks to the same bytes.
        for name in reader.part_names():
            data = reader.read_part(name)
            assert b"".join(reader.iter_part(name, 1000)) == data
            assert reader.digest(name) == sm3.hash(data)


def test_helloworld_text_positions() -> None:
    reader = open_sample("helloworld.ofd")
    (obj,) = reader.page(0).text_objects
    assert obj.boundary == Box(31.7, 25.4, 40.5, 5.0)
    assert obj.size == 3.0 and obj.font_id == 3
    first, second = obj.glyphs[:2]
    # TextCode X=0 Y=3 relative to the Boundary; the baseline is absolute y = 25.4 + 3.
    assert (first.char, first.x, first.y) == ("你", pytest.approx(31.7), pytest.approx(28.4))
    assert second.x == pytest.approx(31.7 + 3)
    # "O" follows four full-width glyphs (DeltaX 3 3 3 3), then half-width steps of 1.5.
    (match,) = reader.find("OFD")
    assert match.box.x == pytest.approx(31.7 + 12)
    assert match.box.y == pytest.approx(28.4 - 0.88 * 3)
    font = reader.document().font(3)
    assert font is not None and font.name == "宋体"


def test_namespace_no_std() -> None:
    reader = open_sample("namespace_no_std.ofd")
    document = reader.document()
    assert document.max_unit_id == 4
    assert document.page_area == Box(0, 0, 210, 297)
    assert [f.name for f in document.fonts] == ["宋体"]
    assert reader.page(0).text == "你好呀，OFD Reader&Writer！"
    assert reader.info.creator == "OFD R&W"


def test_keyword_vendor_file() -> None:
    reader = open_sample("keyword.ofd")
    info = reader.info
    assert info.custom("native-producer") == "SuwellFormSDK"
    assert info.custom_data == (("native-producer", "SuwellFormSDK"), ("producer-version", "1.0.20.0617"))
    document = reader.document()
    assert document.max_unit_id == 23
    assert document.annotations == "Doc_0/Annotations.xml"
    font, media = document.font(7), document.multimedia(5)
    assert font is not None and font.file == "Doc_0/Res/Font7.ttf"
    assert media is not None and media.file == "Doc_0/Res/image_1_5.png"
    page = reader.page(0)
    assert page.size == (283.0, 196.0)
    # The template page (ZOrder Background) paints first: its full-page image.
    assert page.layers[0].template_id == 2
    (image,) = page.images
    assert image.resource_id == 5 and image.box == Box(0, 0, 283, 196)
    # Text split over two TextObjects ("2020", "05") is still found, as one box.
    (match,) = reader.find("202005")
    assert match.box.x == pytest.approx(77.4944)
    assert match.box.right == pytest.approx(94.157 + 2.1167 + 4.2333 * 0.5)
    # The "g" shorthand: "g 4 2.1167 g 6 2.1166" spaces the 11 digits of "37000015590".
    digits = next(o for o in page.text_objects if o.text == "37000015590")
    assert digits.glyphs[4].x - digits.glyphs[0].x == pytest.approx(4 * 2.1167)
    assert digits.glyphs[10].x - digits.glyphs[4].x == pytest.approx(6 * 2.1166)
    # DeltaY moves glyphs to the next line inside one TextCode.
    (wrapped,) = reader.find("抵押方式")
    (first_line,) = reader.find("不动产权证书号")
    assert wrapped.box.y == pytest.approx(first_line.box.y + 2 * 4.2333)
    # The rotated watermark (CTM 45°) is found, inside the page.
    (watermark,) = reader.find("户籍办理")
    assert Box(0, 0, 283, 196).contains(watermark.box)
    assert watermark.box.height > 5  # diagonal text: its box is tall as well as wide


def test_keyword_signatures_and_digests() -> None:
    reader = open_sample("keyword.ofd")
    listed = reader.signatures()
    assert listed is not None and listed.part == "Doc_0/Signs/Signatures.xml" and listed.max_sign_id == "s4"
    seal, sign = listed.entries
    assert (seal.id, seal.type, seal.part) == ("2", "Seal", "Doc_0/Signs/Sign_1/Signature.xml")
    assert (sign.id, sign.type) == ("4", "Sign")
    described = reader.signature(seal)
    assert described.provider is not None and described.provider.name == "oesplugin"
    assert described.check_method == "SM3" and described.signature_method == "1.2.156.10197.1.501"
    assert described.signature_date_time == "20200620091849Z"
    assert described.seal == "Doc_0/Signs/Sign_1/Seal.esl"
    assert described.signed_value == "Doc_0/Signs/Sign_1/SignedValue.dat"
    (annot,) = described.stamp_annots
    assert (annot.page_ref, annot.boundary) == ("1", Box(90, 110, 42, 42))
    # The shared ledger: OFD.xml, Document.xml and the page were changed after signing; the
    # other references still match, digested while streaming.
    changed = {"OFD.xml", "Doc_0/Document.xml", "Doc_0/Pages/Page_0/Content.xml"}
    for reference in described.references:
        matches = reader.digest(reference.part, described.check_method) == reference.check_value
        assert matches == (reference.part not in changed), reference.part
    sign_description = reader.signature(sign)
    assert sign_description.seal is None and not sign_description.stamp_annots
    assert "Doc_0/Signs/Signatures.xml" in {r.part for r in sign_description.references}


@pytest.mark.parametrize("name", VALID_SIGNED)
def test_valid_samples_reference_digests_match(name: str) -> None:
    reader = open_sample(name)
    listed = reader.signatures()
    assert listed is not None
    for entry in listed.entries:
        described = reader.signature(entry)
        assert described.references
        for reference in described.references:
            assert reader.digest(reference.part, described.check_method or "SM3") == reference.check_value
        # The exact Signature.xml bytes are available for the dataHash check.
        assert reader.read_part(entry.part).startswith(b"<?xml")
        assert described.signed_value in reader.container


def test_riding_seal_annotations_and_missing_res() -> None:
    reader = open_sample("V4RideRight.ofd")
    assert reader.document().missing_parts == ("Doc_0/PublicRes.xml",)
    listed = reader.signatures()
    assert listed is not None and listed.max_sign_id == "s006"
    described = reader.signature(listed.entries[0])
    assert [a.page_ref for a in described.stamp_annots] == ["1", "21", "43", "63", "83"]
    assert described.stamp_annots[1].clip == Box(8, 0, 8, 40)
    assert [p.id for p in reader.document().pages] == [1, 21, 43, 63, 83]
    assert "Doc_0/Signs/Signatures.xml" in {r.part for r in described.references}
    assert len(reader.page(0).paths) == 18


def test_allprotected_and_digital_sign() -> None:
    listed = open_sample("allprotected.ofd").signatures()
    assert listed is not None and listed.max_sign_id == "002" and listed.entries[0].id == "001"
    reader = open_sample("DigitalSign.ofd")
    listed = reader.signatures()
    assert listed is not None
    (entry,) = listed.entries
    assert (entry.id, entry.type) == ("s001", "Sign")
    described = reader.signature(entry)
    assert described.seal is None and len(described.references) == 4
    assert len(reader.read_part(described.signed_value)) == 70


def test_digest_methods() -> None:
    reader = open_sample("helloworld.ofd")
    data = reader.read_part("OFD.xml")
    assert reader.digest("OFD.xml", "1.2.156.10197.1.401") == reader.digest("OFD.xml", "SM3") == sm3.hash(data)
    assert reader.digest("OFD.xml", "SHA1") == hashlib.sha1(data).digest()
    assert reader.digest("OFD.xml", "MD5") == hashlib.md5(data).digest()
    assert reader.digest("OFD.xml", hashlib.sha512) == hashlib.sha512(data).digest()
    with pytest.raises(UnsupportedAlgorithmError):
        reader.digest("OFD.xml", "1.2.156.10197.1.401.2")


def test_doc1file_embedded_font_and_page_area() -> None:
    reader = open_sample("doc1File.ofd")
    document = reader.document()
    assert document.part == "Doc_1/Document.xml"
    assert [f.file for f in document.fonts] == ["Doc_1/Res/font_1.otf"]
    page = reader.page(0)
    assert page.size == (pytest.approx(209.90291), pytest.approx(296.68628))
    assert page.layers[0].id == 0
    # The font (495,664 bytes) is hashed while streaming: same digest as hashlib over the whole.
    data = reader.read_part("Doc_1/Res/font_1.otf")
    assert reader.digest("/Doc_1/Res/font_1.otf", "sha256") == hashlib.sha256(data).digest()


# ---- vendor variations, made by editing a real package ------------------------------------------


def edited(name: str, changes: dict[str, bytes], remove: tuple[str, ...] = ()) -> OFDReader:
    source = open_sample(name)
    writer = PackageWriter.from_reader(source)
    for part, data in changes.items():
        writer.set(part, data)
    for part in remove:
        writer.remove(part)
    return OFDReader.from_bytes(writer.to_bytes())


def test_signature_entry_variations() -> None:
    """Type missing means Seal; BaseLoc relative to the Signs folder; OFD.xml without a leading slash."""
    reader = open_sample("SESV4SignDoc.ofd")
    ofd_xml = reader.read_part("OFD.xml").replace(b"/Doc_0/Signs/Signatures.xml", b"Doc_0/Signs/Signatures.xml")
    signatures = (
        b'<?xml version="1.0" encoding="UTF-8"?><ofd:Signatures xmlns:ofd="http://www.ofdspec.org/2016">'
        b"<ofd:MaxSignId>s001</ofd:MaxSignId><ofd:Signature ID=\"s001\" BaseLoc=\"Sign_0/Signature.xml\"/>"
        b"</ofd:Signatures>"
    )
    signature = reader.read_part("Doc_0/Signs/Sign_0/Signature.xml").replace(b'FileRef="/', b'FileRef="//')
    signature = signature.replace(b'ProviderName="ofdrw-sign" Company="ofdrw" Version="2.4.0"/>',
                                  b"><ofd:ProviderName>vendor</ofd:ProviderName></ofd:Provider>")
    changed = edited("SESV4SignDoc.ofd", {
        "OFD.xml": ofd_xml,
        "Doc_0/Signs/Signatures.xml": signatures,
        "Doc_0/Signs/Sign_0/Signature.xml": signature,
    })
    listed = changed.signatures()
    assert listed is not None and listed.part == "Doc_0/Signs/Signatures.xml"
    (entry,) = listed.entries
    assert (entry.type, entry.base_loc) == ("Seal", "Sign_0/Signature.xml")
    assert entry.part == "Doc_0/Signs/Sign_0/Signature.xml"
    described = changed.signature(entry)
    assert described.provider is not None and described.provider.name == "vendor"
    assert {r.part for r in described.references} >= {"OFD.xml", "Doc_0/Document.xml"}


def test_case_insensitive_fallback() -> None:
    """A reference to TPLS/Tpl_0 finds the stored Tpls/Tpl_0 (seen in a real file)."""
    reader = open_sample("keyword.ofd")
    document = reader.read_part("Doc_0/Document.xml").replace(b"Tpls/Tpl_0", b"TPLS/Tpl_0")
    changed = edited("keyword.ofd", {"Doc_0/Document.xml": document})
    assert changed.document().templates[0].part == "Doc_0/Tpls/Tpl_0/Content.xml"
    assert changed.page(0).images[0].resource_id == 5


def test_ambiguous_case_fallback_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("OFD.xml", b'<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody>'
                               b"<ofd:DocRoot>DOC/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
        zf.writestr("doc/Document.xml", b"<a/>")
        zf.writestr("Doc/Document.xml", b"<a/>")
    with pytest.raises(DecodeError, match="DocRoot"):
        OFDReader.from_bytes(buffer.getvalue())


def test_content_geometry() -> None:
    """CTM, nested PageBlocks, TextCode continuation, DeltaY and the 'g' shorthand on one page."""
    page_xml = """<?xml version="1.0" encoding="UTF-8"?>
<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:PageRes>PageRes.xml</ofd:PageRes>
<ofd:Area><ofd:PhysicalBox>0 0 100 50</ofd:PhysicalBox></ofd:Area>
<ofd:Content><ofd:Layer ID="2">
 <ofd:PageBlock ID="5"><ofd:PageBlock ID="6">
  <ofd:TextObject ID="7" Boundary="10 20 50 10" Font="3" Size="4" CTM="2 0 0 2 1 1">
   <ofd:TextCode X="0" Y="3" DeltaX="g 2 1">ABC</ofd:TextCode>
   <ofd:TextCode DeltaX="1">DE</ofd:TextCode>
   <ofd:TextCode X="0" Y="6" DeltaY="2">FG</ofd:TextCode>
  </ofd:TextObject>
 </ofd:PageBlock></ofd:PageBlock>
 <ofd:ImageObject ID="8" Boundary="50 10 20 30" CTM="20 0 0 30 0 0" ResourceID="4"/>
 <ofd:PathObject ID="9" Boundary="1 2 3 4" Fill="true">
  <ofd:AbbreviatedData>M 0 0 L 3 4</ofd:AbbreviatedData></ofd:PathObject>
</ofd:Layer></ofd:Content></ofd:Page>""".encode()
    page_res = (b'<ofd:Res xmlns:ofd="http://www.ofdspec.org/2016" BaseLoc="Res"><ofd:MultiMedias>'
                b'<ofd:MultiMedia ID="4" Type="Image" Format="PNG"><ofd:MediaFile>img.png</ofd:MediaFile>'
                b"</ofd:MultiMedia></ofd:MultiMedias></ofd:Res>")
    reader = edited("helloworld.ofd", {"Doc_0/Pages/Page_0/Content.xml": page_xml,
                                       "Doc_0/Pages/Page_0/PageRes.xml": page_res,
                                       "Doc_0/Pages/Page_0/Res/img.png": b"\x89PNG"})
    page = reader.page(0)
    assert page.size == (100.0, 50.0)
    # Page-level resources (PageRes) resolve against the page's folder and the Res BaseLoc.
    assert [(m.id, m.file) for m in page.media] == [(4, "Doc_0/Pages/Page_0/Res/img.png")]
    assert reader.document().page_by_id(1) == reader.document().pages[0]
    text, image, path = page.objects()
    assert isinstance(text, TextObject) and text.text == "ABCDEFG"
    xs = [(g.char, round(g.x, 6), round(g.y, 6)) for g in text.glyphs]
    # Object space (x, y) -> CTM (2x + 1, 2y + 1) -> + Boundary origin (10, 20).
    assert xs == [
        ("A", 11.0, 27.0), ("B", 13.0, 27.0), ("C", 15.0, 27.0),
        # Second run: no X/Y, so it continues after C; the advance after a run's last glyph
        # repeats the run's last DeltaX (pen at 2 + 1 = 3 in object space).
        ("D", 17.0, 27.0), ("E", 19.0, 27.0),
        # Third run: DeltaY moves G down by 2 (object space) = 4 on the page.
        ("F", 11.0, 33.0), ("G", 15.0, 37.0),
    ]
    assert image.box == Box(50, 10, 20, 30)
    assert path.boundary == Box(1, 2, 3, 4) and path.fill and path.stroke  # type: ignore[union-attr]


def test_streaming_does_not_load_the_whole_part() -> None:
    """iter_part yields bounded chunks even for a part much larger than the chunk size."""
    big = bytes(range(256)) * 4096  # 1 MiB, compresses well but under the ratio limit
    reader = edited("helloworld.ofd", {"Doc_0/Res/big.bin": big})
    chunks = list(reader.iter_part("Doc_0/Res/big.bin", 4096))
    assert max(len(c) for c in chunks) <= 4096 and b"".join(chunks) == big
    assert reader.digest("Doc_0/Res/big.bin") == sm3.hash(big)


def test_structured_parts_are_parsed_once_per_reader() -> None:
    """A verifier asks for the same listings repeatedly; the reader answers from its cache
    (frozen objects), equal to what a fresh reader parses."""
    with open_sample("keyword.ofd") as reader, open_sample("keyword.ofd") as fresh:
        listing = reader.signatures()
        assert listing is not None and reader.signatures() is listing
        first = reader.signature(listing.entries[0])
        assert reader.signature(listing.entries[0].part) is first
        assert reader.custom_tags() is reader.custom_tags() and reader.attachments() is reader.attachments()
        assert fresh.signature(listing.entries[0]) == first and fresh.signatures() == listing
        assert fresh.custom_tags() == reader.custom_tags() and fresh.attachments() == reader.attachments()
