"""Writing OFD packages: round trips, determinism, editing copies, and an independent render."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from vectors import vector_path

from trustkit.ofd import Box, DocumentBuilder, OFDReader, PackageWriter, parse_xml

CJK_FONT_FILES = [
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
]


def png(color: tuple[int, int, int], size: tuple[int, int] = (30, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), color).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def licence(doc_id: str | None = None, name: str = "福州示例科技有限公司") -> DocumentBuilder:
    """A one-page licence-like document: CJK text, an image, a frame and a rule."""
    builder = DocumentBuilder(doc_id=doc_id)
    builder.set_info(title="营业执照", author="福州市市场监督管理局", creation_date="2024-05-01",
                     keywords=["营业执照", "电子证照"],
                     custom_data={"统一社会信用代码": "91350100M000100Y43", "名称": name})
    page = builder.add_page()
    page.add_rect(15, 15, 180, 267, line_width=0.8, stroke=(200, 0, 0))
    page.add_text("营业执照", 81, 30, size=12, bold=True)
    page.add_text(f"名称：{name}", 30, 60, size=5)
    page.add_text("统一社会信用代码：91350100M000100Y43", 30, 75, size=5)
    page.add_line(30, 90, 180, 90, line_width=0.5)
    page.add_image(png((30, 90, 200)), 150, 110, 30, 40)
    builder.add_custom_tag("licence", f"<licence><name>{name}</name></licence>".encode())
    builder.add_attachment("licence.json", b'{"uscc": "91350100M000100Y43"}', format="json", usage="data")
    return builder


def all_ids(reader: OFDReader) -> list[int]:
    ids: list[int] = []
    for name in reader.part_names():
        if name.endswith(".xml") and not name.startswith("Doc_0/Tags/Tag_"):
            for element in parse_xml(reader.read_part(name)).iter():
                if isinstance(element.tag, str) and element.get("ID") is not None:
                    ids.append(int(element.get("ID")))
    return ids


def test_round_trip() -> None:
    builder = DocumentBuilder(page_size=(210, 297))
    font = builder.add_font("SimSun", family="宋体")
    builder.set_info(title="标题", creation_date="2024-01-02", custom_data=[("k", "v1"), ("k", "v2")])
    first = builder.add_page()
    first.add_text("营业执照 No.1", 20, 30, size=6, font=font, color=(200, 0, 0))
    first.add_text("ABC", 20, 50, size=4, delta_x=[3, 5])
    first.add_image(png((10, 200, 10)), 100, 100, 20, 30)
    first.add_image(jpeg((10, 10, 200)), 130, 100, 20, 20)
    first.add_image(png((10, 200, 10)), 160, 100, 10, 10)  # same bytes: one resource
    second = builder.add_page((297, 210))
    second.add_rect(10, 10, 50, 20, stroke=None, fill=(0, 0, 255))
    second.add_line(0, 0, 100, 50, line_width=1)
    tag = builder.add_custom_tag("fp", b"<fp><a>1</a></fp>", name_space="urn:fp")
    attached = builder.add_attachment("data.xml", b"<data/>", format="xml", file_name="数据.xml")
    reader = OFDReader.from_bytes(builder.build())

    assert reader.info.title == "标题" and reader.info.creation_date == "2024-01-02"
    assert reader.info.custom_data == (("k", "v1"), ("k", "v2")) and reader.info.creator == "trustkit"
    document = reader.document()
    assert [p.size for p in reader.pages()] == [(210, 297), (297, 210)]
    ids = all_ids(reader)
    assert len(ids) == len(set(ids)) and document.max_unit_id == max(ids)
    declared, default = document.fonts  # the second is the default 宋体, declared on first use
    assert (declared.id, declared.name, declared.family, declared.file) == (font, "SimSun", "宋体", None)
    assert (default.name, default.file) == ("宋体", None)
    assert sorted(m.format or "" for m in document.media) == ["JPEG", "PNG"]

    page = reader.page(0)
    title, abc = page.text_objects
    assert title.text == "营业执照 No.1" and title.fill_color == (200, 0, 0) and title.font_id == font
    # The em box of the line starts at (x, y); CJK advances one em, Latin half an em.
    assert title.box.x == pytest.approx(20) and title.box.y == pytest.approx(30)
    assert title.box.height == pytest.approx(6)
    assert [round(g.x - 20, 6) for g in title.glyphs] == [0, 6, 12, 18, 24, 27, 30, 33, 36]
    assert [round(g.x - 20, 6) for g in abc.glyphs] == [0, 3, 8]
    (hit,) = reader.find("No.1")
    assert (hit.box.x, hit.box.y, hit.box.width, hit.box.height) == pytest.approx((47, 30, 12, 6))
    images = page.images
    assert [i.box for i in images] == [Box(100, 100, 20, 30), Box(130, 100, 20, 20), Box(160, 100, 10, 10)]
    assert images[0].resource_id == images[2].resource_id != images[1].resource_id
    media = document.multimedia(images[1].resource_id)
    assert media is not None and media.file is not None and reader.read_part(media.file)[:3] == b"\xff\xd8\xff"

    rect, line = reader.page(1).paths
    assert rect.fill and not rect.stroke and rect.fill_color == (0, 0, 255) and rect.boundary == Box(10, 10, 50, 20)
    # The line's Boundary holds the whole stroke (half the width on each side).
    assert line.boundary == Box(-0.5, -0.5, 101, 51) and line.stroke_color == (0, 0, 0)

    (custom,) = reader.custom_tags()
    assert (custom.type_id, custom.name_space, custom.file) == ("fp", "urn:fp", tag)
    assert reader.read_part(tag) == b"<fp><a>1</a></fp>"
    (attachment,) = reader.attachments()
    assert (attachment.name, attachment.format, attachment.file) == ("data.xml", "xml", attached)
    assert attached == "Doc_0/Attachs/数据.xml"  # a UTF-8 name (ZIP flag bit 11)
    assert reader.read_part(attached) == b"<data/>"


def test_embedded_font() -> None:
    """An embedded font is stored as FontFile, and its metrics set the default advances."""
    path = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not path.exists():
        pytest.skip("DejaVu Sans is not installed (apt-get install fonts-dejavu-core)")
    data = path.read_bytes()
    builder = DocumentBuilder()
    font = builder.add_font("DejaVu Sans", file=data, file_name="dejavu.ttf")
    builder.add_page().add_text("MiM", 10, 10, size=10, font=font)
    reader = OFDReader.from_bytes(builder.build())
    (declared,) = reader.document().fonts
    assert declared.file == "Doc_0/Res/dejavu.ttf" and reader.read_part(declared.file) == data
    m, i, _ = reader.page(0).text_objects[0].glyphs
    assert i.x - m.x == pytest.approx(10 * 1767 / 2048, abs=1e-4)  # hmtx advance of "M" / unitsPerEm
    with pytest.raises(ValueError, match="font"):
        builder.add_font("broken", file=b"not a font")


def test_deterministic_output() -> None:
    first, second = licence().build(), licence().build()
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert zf.testzip() is None  # Python's own reader accepts every entry and CRC
        assert zf.namelist()[0] == "OFD.xml"
        assert {info.date_time for info in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    doc_id = OFDReader.from_bytes(first).info.doc_id
    assert doc_id is not None and len(doc_id) == 32 and int(doc_id, 16) >= 0
    # The default DocID follows the content; an explicit one is kept.
    assert OFDReader.from_bytes(licence(name="另一家公司").build()).info.doc_id != doc_id
    assert OFDReader.from_bytes(licence(doc_id="0" * 32).build()).info.doc_id == "0" * 32


def test_edit_copy_keeps_untouched_parts_identical() -> None:
    source = OFDReader.from_bytes(vector_path("ofd", "keyword.ofd").read_bytes())
    writer = PackageWriter.from_reader(source)
    signatures = source.read_part("Doc_0/Signs/Signatures.xml").replace(b"s4", b"s5")
    writer.set("Doc_0/Signs/Signatures.xml", signatures)
    writer.set("/Doc_0/Signs/Sign_5/Signature.xml", b"<x/>")
    output = writer.to_bytes()
    assert output == writer.to_bytes()
    copy = OFDReader.from_bytes(output)
    assert copy.part_names() == (*source.part_names(), "Doc_0/Signs/Sign_5/Signature.xml")
    for name in source.part_names():
        expected = signatures if name == "Doc_0/Signs/Signatures.xml" else source.read_part(name)
        assert copy.read_part(name) == expected, name
        if name != "Doc_0/Signs/Signatures.xml":
            # Copied without inflating: even the compressed bytes are the source's.
            assert b"".join(copy.container.iter_raw(name)) == b"".join(source.container.iter_raw(name))
    # The earlier signature's protected parts still hash to their CheckValues.
    listed = copy.signatures()
    assert listed is not None
    described = copy.signature(listed.entries[1])
    unchanged = [r for r in described.references if r.part.startswith("Doc_0/Signs/Sign_1/")]
    assert unchanged and all(copy.digest(r.part) == r.check_value for r in unchanged)


def test_write_is_atomic_file(tmp_path: Path) -> None:
    target = tmp_path / "licence.ofd"
    licence().write(target)
    assert target.read_bytes() == licence().build()
    with pytest.raises(FileExistsError):
        licence().write(target, overwrite=False)
    with OFDReader.open(target) as reader:
        assert reader.find("营业执照")


def test_builder_misuse() -> None:
    builder = DocumentBuilder()
    with pytest.raises(ValueError):
        builder.build()
    page = builder.add_page()
    for call in (
        lambda: page.add_text("", 0, 0),
        lambda: page.add_text("two\nlines", 0, 0),
        lambda: page.add_text("AB", 0, 0, delta_x=[1, 2]),
        lambda: page.add_text("A", float("nan"), 0),
        lambda: page.add_image(b"GIF89a...", 0, 0, 1, 1),
        lambda: page.add_rect(0, 0, 1, 1, stroke=None, fill=None),
        lambda: page.add_line(0, 0, 1, 1, color=(256, 0, 0)),
        lambda: builder.add_page((0, 10)),
    ):
        with pytest.raises(ValueError):
            call()
    with pytest.raises(ValueError):
        PackageWriter().set("../evil", b"")  # DecodeError is a ValueError


# ---- the independent render (easyofd -> PDF -> PNG via PyMuPDF) ----------------------------------

RENDER = r"""
import sys
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from easyofd import OFD
# easyofd draws every glyph with a reportlab font named 宋体 and falls back to Helvetica (no
# CJK) when it is missing; map the name to a TrueType CJK font that ships with the OS.
pdfmetrics.registerFont(TTFont("宋体", sys.argv[1], subfontIndex=0))
ofd = OFD()
ofd.read(open(sys.argv[2], "rb").read(), fmt="binary")
ofd.to_jpg()[0].save(sys.argv[3])
"""


def test_render_with_easyofd(tmp_path: Path) -> None:
    pytest.importorskip("easyofd")
    font = next((f for f in CJK_FONT_FILES if f.exists()), None)
    if font is None:
        pytest.skip("no TrueType CJK font for easyofd (apt-get install fonts-wqy-zenhei)")
    source = tmp_path / "licence.ofd"
    licence().write(source)
    out = tmp_path / "licence.png"
    result = subprocess.run([sys.executable, "-c", RENDER, str(font), str(source), str(out)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    image = Image.open(out).convert("RGB")
    scale = image.width / 210  # pixels per millimetre
    assert image.height == pytest.approx(297 * scale, rel=0.01)

    def crop(box: Box) -> Image.Image:
        return image.crop(tuple(round(v * scale) for v in (box.x, box.y, box.right, box.bottom)))

    def ink(box: Box) -> float:
        """Share of dark pixels in a box."""
        region = crop(box).convert("L")
        return sum(region.histogram()[:128]) / (region.width * region.height)

    reader = OFDReader.from_bytes(source.read_bytes())
    for text in ("营业执照", "福州示例科技有限公司", "91350100M000100Y43"):
        (match,) = reader.find(text)
        assert ink(match.box) > 0.05, text  # glyphs drawn where our reader says the text is
    assert ink(Box(40, 180, 100, 60)) == 0  # an empty part of the page stays blank
    # The image: its centre has the PNG's colour.
    centre = crop(Box(160, 125, 10, 10)).resize((1, 1)).getpixel((0, 0))
    assert all(abs(a - b) < 12 for a, b in zip(centre, (30, 90, 200))), centre  # type: ignore[arg-type]
    # The frame and the rule are stroked (easyofd ignores StrokeColor, so only ink is checked).
    assert ink(Box(14.6, 100, 0.8, 50)) > 0.5
    assert ink(Box(60, 89.8, 60, 0.4)) > 0.5
