"""Seal images: physical size, transparency, real glyphs, layout, bad input, user-supplied pictures."""

from __future__ import annotations

import io
import itertools
import math
import re
import shutil
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest
from lxml import etree  # type: ignore[import-untyped]
from PIL import Image

from trustkit.errors import ConfigurationError, DecodeError
from trustkit.seal import _image_font
from trustkit.seal.image import (
    OFFICIAL_RED,
    SealImage,
    load_seal_picture,
    oval_seal,
    round_seal,
    square_seal,
)

SVG_NS = "{http://www.w3.org/2000/svg}"
ORG = "北京某某科技发展有限公司"
CODE = "1101080012345"
RED = (0xE6, 0x00, 0x12)


def _image(seal: SealImage, dpi: float = 300) -> Image.Image:
    image = Image.open(io.BytesIO(seal.png(dpi=dpi)))
    image.load()
    return image


def _rgba(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    pixel = image.getpixel(xy)
    assert isinstance(pixel, tuple)
    return pixel


def _ink(image: Image.Image) -> int:
    """Sum of alpha over the image: the amount of ink."""
    return sum(v * n for v, n in enumerate(image.getchannel("A").histogram()))


def _paths(seal: SealImage) -> list[list[tuple[float, float]]]:
    """The points (end and control points) of every <path>, in document order."""
    root = etree.fromstring(seal.svg().encode())
    out = []
    for path in root.iter(f"{SVG_NS}path"):
        numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", path.get("d"))]
        out.append(list(zip(numbers[::2], numbers[1::2])))
    return out


def _centre(points: list[tuple[float, float]]) -> tuple[float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


@pytest.fixture(scope="module")
def contract_seal() -> SealImage:
    return round_seal(ORG, seal_name="合同专用章", code=CODE)


# -- physical size and pixels ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "mm"),
    [
        (lambda: round_seal(ORG), (42, 42)),
        (lambda: round_seal(ORG, diameter_mm=38), (38, 38)),
        (lambda: oval_seal(ORG), (45, 30)),
        (lambda: square_seal("张三之印"), (20, 20)),
    ],
    ids=["round42", "round38", "oval", "square"],
)
@pytest.mark.parametrize("dpi", [300, 600])
def test_png_has_physical_size_and_dpi(make: object, mm: tuple[int, int], dpi: int) -> None:
    seal = make()  # type: ignore[operator]
    assert (seal.width_mm, seal.height_mm) == mm
    data = seal.png(dpi=dpi)
    image = Image.open(io.BytesIO(data))
    assert image.size == (round(mm[0] / 25.4 * dpi), round(mm[1] / 25.4 * dpi))
    assert image.mode == "RGBA"
    # pHYs: pixels per metre, unit 1 (metre), right after IHDR.
    offset = data.index(b"pHYs")
    ppm_x, ppm_y, unit = struct.unpack(">IIB", data[offset + 4 : offset + 13])
    assert (ppm_x, ppm_y, unit) == (round(dpi / 0.0254), round(dpi / 0.0254), 1)
    # The picture reader recovers the physical size from it.
    picture = load_seal_picture(data)
    assert picture.width_mm == pytest.approx(mm[0], abs=0.05)
    assert picture.height_mm == pytest.approx(mm[1], abs=0.05)


def test_png_is_red_on_transparent(contract_seal: SealImage) -> None:
    image = _image(contract_seal)
    w, h = image.size
    for corner in [(0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)]:
        assert _rgba(image, corner)[3] == 0
    alpha = image.getchannel("A").histogram()
    assert alpha[255] > 5000  # solid ink
    assert sum(alpha[1:255]) > 1000  # antialiased edges
    assert _rgba(image, (w // 2, h // 2)) == (*RED, 255)  # the star's centre
    # The ring: solid at 0.7 mm inside the edge, on the left and right.
    px = round(0.7 / 25.4 * 300)
    assert _rgba(image, (px, h // 2))[3] == 255
    assert _rgba(image, (w - 1 - px, h // 2))[3] == 255
    # Every opaque pixel has the seal colour.
    assert {_rgba(image, (x, h // 2))[:3] for x in range(w) if _rgba(image, (x, h // 2))[3] == 255} == {RED}


def test_colour_and_star_options() -> None:
    seal = round_seal("某某公司", star=False, color="#C00000")
    image = _image(seal)
    c = image.size[0] // 2
    assert _rgba(image, (c, c))[3] == 0  # empty centre without the star
    assert _rgba(image, (2, c))[:3] == (0xC0, 0, 0)


def test_rendering_is_deterministic(contract_seal: SealImage) -> None:
    again = round_seal(ORG, seal_name="合同专用章", code=CODE)
    assert again.png() == contract_seal.png()
    assert again.svg() == contract_seal.svg()


# -- real glyphs -----------------------------------------------------------------------------------


def test_lettering_is_font_glyphs() -> None:
    px_per_mm = 300 / 25.4
    ring = math.pi * (20.9**2 - (20.9 - 1.2) ** 2) * px_per_mm**2 * 255  # the 1.2 mm ring of a 42 mm seal
    plain = _ink(_image(round_seal("一一一一一一一一", star=False))) - ring
    dense = _ink(_image(round_seal("醴醴醴醴醴醴醴醴", star=False))) - ring
    # Each letter is the font's glyph: a one-stroke character leaves a little ink, a complex one a lot.
    assert 0 < plain and dense > 5 * plain
    with_name = _ink(_image(round_seal(ORG, seal_name="合同专用章")))
    without_name = _ink(_image(round_seal(ORG)))
    assert with_name > without_name


def test_svg_is_outlines_in_mm(contract_seal: SealImage) -> None:
    root = etree.fromstring(contract_seal.svg().encode())
    assert root.tag == f"{SVG_NS}svg"
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == ("42mm", "42mm", "0 0 42 42")
    assert not list(root.iter(f"{SVG_NS}text"))
    paths = list(root.iter(f"{SVG_NS}path"))
    # ring + 12 name letters + 13 code digits + star + 5 seal-name letters
    assert len(paths) == 1 + len(ORG) + 13 + 1 + 5
    assert all(p.get("d") for p in paths)
    assert root.find(f"{SVG_NS}g").get("fill") == OFFICIAL_RED


@pytest.mark.interop
@pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="rsvg-convert (librsvg2-bin) not installed")
def test_svg_renders_like_png(contract_seal: SealImage, tmp_path: Path) -> None:
    """An independent SVG renderer (librsvg) draws the same seal as our rasteriser.

    Command: rsvg-convert -d 300 -p 300 -o seal.png seal.svg (sizes the mm document at 300 dpi).
    """
    svg = tmp_path / "seal.svg"
    svg.write_text(contract_seal.svg(), encoding="utf-8")
    out = tmp_path / "seal.png"
    subprocess.run(["rsvg-convert", "-d", "300", "-p", "300", "-o", str(out), str(svg)], check=True, timeout=60)
    ours = _image(contract_seal).getchannel("A")
    theirs = Image.open(out).convert("RGBA").getchannel("A")
    # librsvg rounds the size up (42 mm at 300 dpi is 496.06 px: 497), we round to nearest (496).
    assert theirs.size[0] - ours.size[0] in (0, 1)
    theirs = theirs.crop((0, 0, *ours.size))
    a, b = ours.tobytes(), theirs.tobytes()
    both = sum(x > 127 and y > 127 for x, y in zip(a, b))
    either = sum(x > 127 or y > 127 for x, y in zip(a, b))
    assert both / either > 0.95  # the same shapes in the same places (edges differ by antialiasing)
    ink = sum(b)
    assert abs(sum(a) - ink) / ink < 0.05
    assert sum(abs(x - y) for x, y in zip(a, b)) / ink < 0.06


# -- layout ----------------------------------------------------------------------------------------


def test_round_layout_keeps_clear_of_ring_and_star(contract_seal: SealImage) -> None:
    paths = _paths(contract_seal)
    ring, name, code, star, seal_name = paths[0], paths[1:13], paths[13:26], paths[26], paths[27:]
    c = 21.0
    ring_inner = min(math.dist(p, (c, c)) for p in ring)
    assert 19.5 < ring_inner < 20.0  # 1.2 mm ring
    star_radius = max(math.dist(p, (c, c)) for p in star)
    assert star_radius == pytest.approx(7.0, abs=0.01)  # star tips on a third of the diameter
    for glyph in name + code + seal_name:
        assert max(math.dist(p, (c, c)) for p in glyph) < ring_inner - 0.3
    for glyph in name:
        assert min(math.dist(p, (c, c)) for p in glyph) > star_radius + 2
    # Seal name: horizontal line below the star.
    assert all(min(y for _, y in g) > c + 0.81 * star_radius for g in seal_name)
    # Name along the upper arc, left to right, evenly spaced; code along the lower arc, left to right.
    angles = [math.degrees(math.atan2(x - c, c - y)) for x, y in map(_centre, name)]
    steps = [b - a for a, b in itertools.pairwise(angles)]
    assert all(s > 0 for s in steps) and max(steps) - min(steps) < 1.5
    assert 200 < angles[-1] - angles[0] < 250
    code_x = [_centre(g)[0] for g in code]
    assert code_x == sorted(code_x) and all(_centre(g)[1] > c + 14 for g in code)


def test_oval_layout() -> None:
    seal = oval_seal("上海某某贸易有限公司", code="3101150098765")
    paths = _paths(seal)
    name, code = paths[1:11], paths[11:24]
    cx, cy = 22.5, 15.0

    def inside(p: tuple[float, float], shrink: float) -> bool:
        return ((p[0] - cx) / (cx - shrink)) ** 2 + ((p[1] - cy) / (cy - shrink)) ** 2 < 1

    assert all(inside(p, 1.1 + 0.2) for g in name + code for p in g)  # clear of the 1 mm ring
    assert [_centre(g)[0] for g in name] == sorted(_centre(g)[0] for g in name)
    assert all(_centre(g)[1] > cy for g in code)
    assert len(paths) == 1 + 10 + 13 + 5


def test_square_reads_in_columns_from_the_right() -> None:
    seal = square_seal("张三之印")
    glyphs = _paths(seal)[1:]  # after the frame
    assert len(glyphs) == 4
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = map(_centre, glyphs)
    assert x0 > 10 and y0 < 10  # 张 top right
    assert x1 > 10 and y1 > 10  # 三 bottom right
    assert x2 < 10 and y2 < 10  # 之 top left
    assert x3 < 10 and y3 > 10  # 印 bottom left
    assert len(_paths(square_seal("王小明"))) == 4
    assert len(_paths(square_seal("李四"))) == 3


# -- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: round_seal(""),
        lambda: round_seal("   "),
        lambda: round_seal("某" * 41),
        lambda: round_seal("某某\n公司"),
        lambda: round_seal(ORG, diameter_mm=-42),
        lambda: round_seal(ORG, diameter_mm=float("nan")),
        lambda: round_seal(ORG, diameter_mm=200),
        lambda: round_seal(ORG, code="123"),
        lambda: round_seal(ORG, code="110108001234X"),
        lambda: round_seal(ORG, code="\uff11" * 13),  # full-width digits
        lambda: round_seal(ORG, color="red"),
        lambda: round_seal(ORG, seal_name="很长很长很长很长的专用章名称"),
        lambda: round_seal(ORG, border_mm=0),
        lambda: round_seal("某某\U0001f600公司"),  # no glyph in the font
        lambda: oval_seal(ORG, width_mm=30, height_mm=45),
        lambda: oval_seal(ORG, width_mm=80, height_mm=20),
        lambda: square_seal("张"),
        lambda: square_seal("张三之印章"),
        lambda: round_seal(ORG).png(dpi=0),
        lambda: round_seal(ORG).png(dpi=100000),
    ],
)
def test_bad_input_is_value_error(call: object) -> None:
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]


def test_wrong_types_are_type_errors() -> None:
    with pytest.raises(TypeError):
        round_seal(b"org")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        round_seal(ORG, diameter_mm="42")  # type: ignore[arg-type]


def test_missing_font_tells_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="fonts-noto-cjk"):
        round_seal(ORG, font_path="/nonexistent/font.ttf")
    monkeypatch.setattr(_image_font, "_KNOWN_PATHS", ())
    monkeypatch.setattr(_image_font, "_fc_match", lambda pattern: None)
    with pytest.raises(ConfigurationError, match="apt-get install fonts-noto-cjk"):
        round_seal(ORG)


def test_font_without_cjk_is_refused() -> None:
    latin = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    if not Path(latin).exists():
        pytest.skip("DejaVu Sans not installed")
    with pytest.raises(ValueError, match="no glyph"):
        round_seal(ORG, font_path=latin)


# -- user-supplied pictures ------------------------------------------------------------------------


def _raster(fmt: str, size: tuple[int, int] = (120, 80), **save: object) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, RED).save(buf, format=fmt, **save)
    return buf.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _zip(names: list[str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name in names:
            archive.writestr(name, b"<ofd:OFD/>")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (_raster("PNG", dpi=(254, 254)), "png"),
        (_raster("JPEG"), "jpg"),
        (_raster("GIF"), "gif"),
        (_raster("BMP"), "bmp"),
    ],
    ids=["png", "jpg", "gif", "bmp"],
)
def test_raster_pictures_accepted(data: bytes, kind: str) -> None:
    picture = load_seal_picture(data)
    assert (picture.kind, picture.width_px, picture.height_px) == (kind, 120, 80)
    assert picture.data == data
    if kind == "png":
        assert picture.width_mm == pytest.approx(12.0) and picture.height_mm == pytest.approx(8.0)


def test_svg_pictures(contract_seal: SealImage) -> None:
    picture = load_seal_picture(contract_seal.svg().encode())
    assert picture.kind == "svg"
    assert picture.width_mm == pytest.approx(42) and picture.width_px == round(42 / 25.4 * 96)
    bare = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100"><circle r="5"/></svg>'
    assert (load_seal_picture(bare).width_px, load_seal_picture(bare).height_px) == (200, 100)


def test_ofd_picture_checked_by_directory_only() -> None:
    picture = load_seal_picture(_zip(["OFD.xml", "Doc_0/Document.xml"]))
    assert (picture.kind, picture.width_px) == ("ofd", None)
    with pytest.raises(DecodeError, match=r"OFD\.xml"):
        load_seal_picture(_zip(["Doc_0/OFD.xml"]))
    with pytest.raises(DecodeError, match="zip"):
        load_seal_picture(b"PK\x03\x04" + b"\x00" * 40)


def test_decompression_bomb_header_refused_before_decoding() -> None:
    header = struct.pack(">IIBBBBB", 100000, 100000, 8, 6, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    bomb = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")
    with pytest.raises(DecodeError, match=r"too many pixels.*the limit is 16000000 pixels"):
        load_seal_picture(bomb)
    # Below Pillow's own limit, ours applies (checked from the header, before decoding).
    header = struct.pack(">IIBBBBB", 8000, 8000, 8, 6, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")
    with pytest.raises(DecodeError, match="8000 x 8000 pixels"):
        load_seal_picture(bomb)
    with pytest.raises(DecodeError, match="pixels"):
        load_seal_picture(_raster("PNG", (200, 200)), max_pixels=200 * 199)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\x00" * 64, "unsupported"),
        (b"<html><body/></html>", "unsupported"),
        (_raster("PNG")[:60], "malformed"),
        (_raster("JPEG")[:200], "malformed"),
        (b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'><g></svg>", "malformed"),
        (b"<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'/>", "root element"),
        (b"<svg><rect/></svg>", "root element"),  # no SVG namespace
        (
            (
                b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>'
            ),
            "DOCTYPE",
        ),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "script"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "event handler"),
        (
            (
                b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
                b'<image xlink:href="http://example.com/x.png"/></svg>'
            ),
            "external",
        ),
    ],
)
def test_bad_pictures_refused(data: bytes, reason: str) -> None:
    with pytest.raises(DecodeError, match=reason):
        load_seal_picture(data)


def test_picture_limits_and_types() -> None:
    with pytest.raises(DecodeError, match="limit"):
        load_seal_picture(_raster("BMP"), max_bytes=1000)
    with pytest.raises(TypeError):
        load_seal_picture("<svg/>")  # type: ignore[arg-type]
