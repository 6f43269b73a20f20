"""Seal images: generated round, oval and square seals, and user-supplied seal pictures.

The generated images follow common practice for Chinese official seals (GA 241-2000
and the local rules derived from it): a 42 mm or 38 mm round seal with a ring about
1-1.2 mm wide, the organisation's name running left to right along the upper arc in a
Song-style face with each character upright towards the rim, a five-pointed star whose
points span a third of the diameter, the seal's purpose (e.g. 合同专用章) written
horizontally below the star, and the optional 13-digit seal code along the lower arc.

Letters are real font glyphs (a CJK font from the OS, see :func:`round_seal`), placed as
outlines; the SVG carries them as ``<path>`` elements and the PNG is rasterised from the
very same geometry, so both look alike and neither needs fonts to be displayed.

A SES seal (GB/T 38540 ``SES_ESPictrueInfo``) stores the picture bytes, their type and
the physical size in mm: use :meth:`SealImage.png` (or :meth:`SealImage.svg`) with
:attr:`SealImage.width_mm`, or check a picture someone supplies with
:func:`load_seal_picture`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from io import BytesIO

from PIL import Image

from trustkit.seal._image_font import SealFont, find_font
from trustkit.seal._image_picture import (
    MAX_PICTURE_BYTES,
    MAX_PICTURE_PIXELS,
    PictureKind,
    SealPicture,
    load_seal_picture,
)
from trustkit.seal._image_render import (
    Shape,
    ellipse_ring,
    parse_color,
    polygon,
    rasterize,
    rect_ring,
    svg_document,
)

__all__ = [
    "MAX_PICTURE_BYTES",
    "MAX_PICTURE_PIXELS",
    "OFFICIAL_RED",
    "PictureKind",
    "SealImage",
    "SealPicture",
    "load_seal_picture",
    "oval_seal",
    "round_seal",
    "square_seal",
]

#: Default ink colour: a bright seal red, as e-seal systems commonly draw official seals.
OFFICIAL_RED = "#E60012"

_MIN_DPI, _MAX_DPI = 50.0, 2400.0
# The outermost edge stays this far inside the canvas so antialiasing is never clipped.
_EDGE = 0.1
_FontPath = str | os.PathLike[str] | None


@dataclass(frozen=True)
class SealImage:
    """A generated seal: vector geometry of a given physical size, rendered on request.

    :ivar width_mm: physical width of the image (the seal's outer edge touches it).
    :ivar height_mm: physical height of the image.
    :ivar color: ink colour, ``"#RRGGBB"``.
    :ivar title: text for the SVG ``<title>`` (organisation and seal name).
    """

    width_mm: float
    height_mm: float
    color: str
    title: str
    _shapes: tuple[Shape, ...] = field(repr=False)

    def to_pillow(self, dpi: float = 300) -> Image.Image:
        """The seal as a Pillow RGBA image, ``round(mm / 25.4 * dpi)`` pixels a side, transparent outside the ink.

        :raises ValueError: ``dpi`` outside 50..2400.
        """
        if not _MIN_DPI <= dpi <= _MAX_DPI:
            raise ValueError(f"dpi must be between {_MIN_DPI:g} and {_MAX_DPI:g}, got {dpi!r}")
        return rasterize(self.width_mm, self.height_mm, self.color, self._shapes, dpi)

    def png(self, dpi: float = 300) -> bytes:
        """PNG bytes (RGBA, antialiased) whose pHYs chunk records ``dpi``, so it prints at true size.

        :raises ValueError: ``dpi`` outside 50..2400.
        """
        buf = BytesIO()
        self.to_pillow(dpi).save(buf, format="PNG", dpi=(dpi, dpi))
        return buf.getvalue()

    def svg(self) -> str:
        """A standalone SVG, ``width``/``height`` in mm with a viewBox in mm, all lettering as paths."""
        return svg_document(self.width_mm, self.height_mm, self.color, self._shapes, self.title)


# -- checks ----------------------------------------------------------------------------------------


def _check_text(value: str, what: str, *, max_len: int, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, got {type(value).__name__}")
    text = value.strip()
    if not text and not allow_empty:
        raise ValueError(f"{what} must not be empty")
    if len(text) > max_len:
        raise ValueError(f"{what} is too long for a seal: {len(text)} characters, at most {max_len}")
    if any(not ch.isprintable() for ch in text):
        raise ValueError(f"{what} contains control or other non-printing characters")
    return text


def _check_code(code: str | None) -> str:
    if code is None:
        return ""
    if not isinstance(code, str) or len(code) != 13 or not (code.isascii() and code.isdigit()):
        raise ValueError(f"code must be the 13-digit seal code (digits only), got {code!r}")
    return code


def _check_size(value: float, what: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number, got {type(value).__name__}")
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{what} must be between {low:g} and {high:g} mm, got {value!r}")
    return float(value)


def _font_for(font_path: _FontPath, *texts: str) -> SealFont:
    font = find_font(font_path)
    missing = font.missing("".join(texts).replace(" ", ""))
    if missing:
        raise ValueError(f"font {font.path!r} has no glyph for {missing!r}; pass font_path= to a font that has them")
    return font


# -- placing glyphs --------------------------------------------------------------------------------


def _glyph(font: SealFont, ch: str, x: float, y: float, width: float, height: float, rotation: float) -> Shape | None:
    """``ch``'s em cell (advance x em box) scaled to ``width`` x ``height`` mm, centred on (x, y), turned
    clockwise by ``rotation`` radians (0 = upright)."""
    glyph = font.glyph(ch)
    if not glyph.segments or glyph.advance <= 0:
        return None
    sx = width / glyph.advance
    sy = height / font.units_per_em
    uc, vc = glyph.advance / 2, (font.em_bottom + font.em_top) / 2
    cos, sin = math.cos(rotation), math.sin(rotation)
    # Font units (y up) -> mm on screen (y down): scale, flip, rotate, translate.
    a, b, c, d = cos * sx, sin * sx, sin * sy, -cos * sy
    return Shape(tuple(font.outline(ch, (a, b, c, d, x - a * uc - c * vc, y - b * uc - d * vc))))


def _natural_width(font: SealFont, ch: str, height: float, aspect: float) -> float:
    return font.advance(ch) / font.units_per_em * height * aspect


def _horizontal(
    font: SealFont, text: str, cx: float, cy: float, height: float, max_width: float, aspect: float = 0.9
) -> list[Shape]:
    """``text`` in one line centred on (cx, cy), squeezed horizontally to fit ``max_width``."""
    widths = [_natural_width(font, ch, height, aspect) for ch in text]
    tracking = 0.08 * height
    total = sum(widths) + tracking * (len(text) - 1)
    squeeze = min(1.0, max_width / total) if total > 0 else 1.0
    x = cx - total * squeeze / 2
    shapes: list[Shape] = []
    for ch, w in zip(text, widths):
        shape = _glyph(font, ch, x + w * squeeze / 2, cy, w * squeeze, height, 0.0)
        if shape is not None:
            shapes.append(shape)
        x += (w + tracking) * squeeze
    return shapes


class _Curve:
    """The curve ``inset`` mm inside the ellipse (rx, ry) along its normals, parametrised by arc length.

    For a circle this is just a smaller circle; for an ellipse it is the true offset curve,
    so letters keep the same distance from an oval ring everywhere.
    """

    def __init__(self, cx: float, cy: float, rx: float, ry: float, inset: float = 0.0) -> None:
        self.cx, self.cy, self.rx, self.ry, self.inset = cx, cy, rx, ry, inset
        steps = 2048
        self._t = [math.pi * (2 * i / steps - 1) for i in range(steps + 1)]  # -pi..pi, 0 = top
        self._s = [0.0]
        for t0, t1 in zip(self._t, self._t[1:]):
            self._s.append(self._s[-1] + math.dist(self._point(t0), self._point(t1)))
        self._top = self._s[steps // 2]
        self.half_length = self._s[-1] / 2

    def _normal(self, t: float) -> float:
        """Outward normal at parameter ``t`` as an angle clockwise from up."""
        return math.atan2(math.sin(t) / self.rx, math.cos(t) / self.ry)

    def _point(self, t: float) -> tuple[float, float]:
        n = self._normal(t)
        x = self.cx + self.rx * math.sin(t) - self.inset * math.sin(n)
        y = self.cy - self.ry * math.cos(t) + self.inset * math.cos(n)
        return x, y

    def length_between(self, t0: float, t1: float) -> float:
        return abs(self._arc(t1) - self._arc(t0))

    def _arc(self, t: float) -> float:
        i = min(len(self._t) - 2, max(0, int((t + math.pi) / (2 * math.pi) * (len(self._t) - 1))))
        frac = (t - self._t[i]) / (self._t[i + 1] - self._t[i])
        return self._s[i] + frac * (self._s[i + 1] - self._s[i])

    def at(self, s: float) -> tuple[float, float, float]:
        """Point and outward-normal angle (clockwise from up) at arc length ``s`` from the top (+ clockwise)."""
        target = (self._top + s) % self._s[-1]
        lo, hi = 0, len(self._s) - 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._s[mid] <= target:
                lo = mid
            else:
                hi = mid
        seg = self._s[hi] - self._s[lo]
        t = self._t[lo] + (self._t[hi] - self._t[lo]) * ((target - self._s[lo]) / seg if seg else 0.0)
        x, y = self._point(t)
        return x, y, self._normal(t)


def _arc_text(
    font: SealFont,
    text: str,
    curve: _Curve,
    height: float,
    *,
    max_angle: float,
    min_angle: float,
    bottom: bool,
    aspect: float,
    tracking: float,
) -> list[Shape]:
    """``text`` along ``curve`` (the line through the middle of the letters), left to right.

    Upper arc (``bottom=False``): tops point outwards.  Lower arc: tops point to the centre.
    Letters are spread over at least ``min_angle`` and at most ``max_angle`` radians of the
    curve (measured at the centre), and squeezed when they do not fit.
    """
    widths = [_natural_width(font, ch, height, aspect) for ch in text]
    natural = sum(w * (1 + tracking) for w in widths)
    half_max = curve.length_between(0.0, max_angle / 2)
    half_min = curve.length_between(0.0, min_angle / 2)
    span = min(max(natural, 2 * half_min), 2 * half_max)
    # Each letter gets a slot proportional to its natural width.
    slots = [span * w / sum(widths) for w in widths]
    squeeze = min(1.0, min(slot / (w * (1 + tracking)) for slot, w in zip(slots, widths)))
    if squeeze < 0.35:
        raise ValueError(f"{text!r} is too long for this seal size; use a larger seal or a shorter text")
    shapes: list[Shape] = []
    s = -span / 2
    for ch, w, slot in zip(text, widths, slots):
        mid = s + slot / 2
        s += slot
        if bottom:
            # Arc length runs clockwise from the top, so left-to-right on the bottom runs backwards.
            x, y, normal = curve.at(curve.half_length - mid)
            rotation = normal - math.pi
        else:
            x, y, normal = curve.at(mid)
            rotation = normal
        shape = _glyph(font, ch, x, y, w * squeeze, height, rotation)
        if shape is not None:
            shapes.append(shape)
    return shapes


def _star(cx: float, cy: float, radius: float) -> Shape:
    """A regular five-pointed star, one point straight up, ``radius`` to the tips."""
    inner = radius * math.sin(math.radians(18)) / math.sin(math.radians(54))
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else inner
        angle = math.pi * i / 5
        points.append((cx + r * math.sin(angle), cy - r * math.cos(angle)))
    return Shape(tuple(polygon(points)))


# -- the three seal kinds --------------------------------------------------------------------------


def round_seal(
    organization: str,
    *,
    seal_name: str = "",
    code: str | None = None,
    diameter_mm: float = 42,
    star: bool = True,
    border_mm: float | None = None,
    color: str = OFFICIAL_RED,
    font_path: _FontPath = None,
) -> SealImage:
    """A round official seal (公章 and 专用章 layout).

    The organisation's name runs along the upper arc (up to 270 degrees, 240 with a code),
    the star sits in the centre with its points on a circle of a third of the diameter,
    ``seal_name`` is written horizontally below it and ``code`` along the lower arc.

    Lettering uses a CJK font from the system: Noto Serif CJK SC Bold (Debian
    ``fonts-noto-cjk``) or another Song/serif face found by fontconfig, else WenQuanYi.

    :param organization: the organisation's registered name (1-40 characters).
    :param seal_name: the seal's purpose, e.g. ``"合同专用章"`` (at most 12 characters); empty for a 公章.
    :param code: the 13-digit seal code (印章编码) printed along the lower arc, or ``None``.
    :param diameter_mm: outer diameter, 20-80 mm (42 and 38 mm are the usual sizes).
    :param star: draw the five-pointed star (专用章 of some regions leave the centre empty).
    :param border_mm: ring width; default ``diameter_mm / 35`` (1.2 mm at 42 mm).
    :param color: ink colour ``"#RRGGBB"``.
    :param font_path: a TTF/OTF/TTC file to use instead of the system's CJK font.
    :raises ValueError: empty or over-long text, a code that is not 13 digits, a size out of range,
        or text the font cannot draw.
    :raises ConfigurationError: no CJK font is installed and ``font_path`` was not given.
    """
    organization = _check_text(organization, "organization", max_len=40)
    seal_name = _check_text(seal_name, "seal_name", max_len=12, allow_empty=True)
    code = _check_code(code)
    d = _check_size(diameter_mm, "diameter_mm", 20, 80)
    ring = d / 35 if border_mm is None else _check_size(border_mm, "border_mm", 0.2, d / 10)
    parse_color(color)
    font = _font_for(font_path, organization, seal_name, code)

    r = d / 2
    gap = d * 0.02
    text_edge = r - _EDGE - ring - gap  # outer edge of the lettering along the arcs
    name_h = d * 0.15
    shapes: list[Shape] = [ellipse_ring(r, r, r - _EDGE, r - _EDGE, ring)]
    name_r = text_edge - name_h / 2
    shapes += _arc_text(
        font,
        organization,
        _Curve(r, r, name_r, name_r),
        name_h,
        max_angle=math.radians(240 if code else 270),
        min_angle=math.radians(min(210, 40 * len(organization))),
        bottom=False,
        aspect=0.85,
        tracking=0.2,
    )
    lower_edge = text_edge  # inner limit for the horizontal seal name
    if code:
        code_h = d * 0.062
        code_r = text_edge - code_h / 2
        shapes += _arc_text(
            font,
            code,
            _Curve(r, r, code_r, code_r),
            code_h,
            max_angle=math.radians(90),
            min_angle=math.radians(60),
            bottom=True,
            aspect=1.0,
            tracking=0.15,
        )
        lower_edge = text_edge - code_h - gap
    if star:
        shapes.append(_star(r, r, d / 6))
    if seal_name:
        sn_h = d * 0.1
        sn_y = r + d * 0.25
        # Keep the line's lower corners inside the lower lettering (or the ring).
        y_low = sn_y + sn_h / 2 - r
        half = math.sqrt(max(lower_edge**2 - y_low**2, 1.0)) - gap
        shapes += _horizontal(font, seal_name, r, sn_y, sn_h, 2 * half)
    title = organization + (" " + seal_name if seal_name else "")
    return SealImage(d, d, color, title, tuple(shapes))


def oval_seal(
    organization: str,
    *,
    seal_name: str = "财务专用章",
    code: str | None = None,
    width_mm: float = 45,
    height_mm: float = 30,
    star: bool = False,
    border_mm: float | None = None,
    color: str = OFFICIAL_RED,
    font_path: _FontPath = None,
) -> SealImage:
    """An oval seal (finance, invoice or contract seals; the usual size is 45 x 30 mm).

    The organisation's name follows the upper arc of the ellipse, ``seal_name`` is written
    horizontally in the middle and ``code`` along the lower arc.

    :param organization: the organisation's registered name (1-40 characters).
    :param seal_name: the seal's purpose written across the middle (at most 12 characters, may be empty).
    :param code: the 13-digit seal code along the lower arc, or ``None``.
    :param width_mm: horizontal axis, 20-80 mm, from ``height_mm`` to twice ``height_mm``.
    :param height_mm: vertical axis, 15-60 mm.
    :param star: draw a small star above the seal name.
    :param border_mm: ring width; default ``height_mm / 30`` (1 mm at 30 mm).
    :param color: ink colour ``"#RRGGBB"``.
    :param font_path: a TTF/OTF/TTC file to use instead of the system's CJK font.
    :raises ValueError: bad text, code or size, as for :func:`round_seal`.
    :raises ConfigurationError: no CJK font is installed and ``font_path`` was not given.
    """
    organization = _check_text(organization, "organization", max_len=40)
    seal_name = _check_text(seal_name, "seal_name", max_len=12, allow_empty=True)
    code = _check_code(code)
    w = _check_size(width_mm, "width_mm", 20, 80)
    h = _check_size(height_mm, "height_mm", 15, 60)
    if not h <= w <= 2 * h:
        raise ValueError(f"an oval seal needs height_mm <= width_mm <= 2 * height_mm, got {w:g} x {h:g} mm")
    ring = h / 30 if border_mm is None else _check_size(border_mm, "border_mm", 0.2, h / 10)
    parse_color(color)
    font = _font_for(font_path, organization, seal_name, code)

    cx, cy = w / 2, h / 2
    gap = h * 0.03
    name_h = h * 0.17
    shapes: list[Shape] = [ellipse_ring(cx, cy, cx - _EDGE, cy - _EDGE, ring)]
    shapes += _arc_text(
        font,
        organization,
        _Curve(cx, cy, cx - _EDGE - ring, cy - _EDGE - ring, gap + name_h / 2),
        name_h,
        max_angle=math.radians(200 if code else 220),
        min_angle=math.radians(min(180, 40 * len(organization))),
        bottom=False,
        aspect=0.8,
        tracking=0.15,
    )
    if code:
        code_h = h * 0.09
        shapes += _arc_text(
            font,
            code,
            _Curve(cx, cy, cx - _EDGE - ring, cy - _EDGE - ring, gap + code_h / 2),
            code_h,
            max_angle=math.radians(110),
            min_angle=math.radians(50),
            bottom=True,
            aspect=1.0,
            tracking=0.15,
        )
    sn_h = h * 0.15
    sn_y = cy + h * 0.06
    if star:
        shapes.append(_star(cx, sn_y - sn_h / 2 - h * 0.12, h * 0.1))
    if seal_name:
        shapes += _horizontal(font, seal_name, cx, sn_y, sn_h, w * 0.55)
    title = organization + (" " + seal_name if seal_name else "")
    return SealImage(w, h, color, title, tuple(shapes))


def _square_cells(n: int, x0: float, y0: float, size: float, pad: float) -> list[tuple[float, float, float, float]]:
    """Cells (centre x, centre y, width, height), read top to bottom in columns from the right (印文 order)."""
    half = (size - pad) / 2
    right, left = x0 + size - half / 2, x0 + half / 2
    top, bottom = y0 + half / 2, y0 + size - half / 2
    mid_y = y0 + size / 2
    if n == 2:  # two tall characters side by side
        return [(right, mid_y, half, size), (left, mid_y, half, size)]
    if n == 3:  # the surname fills the right column, the given name is stacked on the left
        return [(right, mid_y, half, size), (left, top, half, half), (left, bottom, half, half)]
    return [(right, top, half, half), (right, bottom, half, half), (left, top, half, half), (left, bottom, half, half)]


def square_seal(
    name: str,
    *,
    size_mm: float = 20,
    border_mm: float | None = None,
    color: str = OFFICIAL_RED,
    font_path: _FontPath = None,
) -> SealImage:
    """A square personal name seal (个人名章), characters filling the frame in columns read from the right.

    Four characters (``"张三之印"``) sit 2 x 2: 张 and 三 in the right column, 之 and 印 in the left.
    Three characters put the first in a tall right column; two characters stand side by side.

    :param name: two to four characters, e.g. ``"张三之印"``, ``"王小明"`` or ``"李四"``.
    :param size_mm: side of the square, 10-60 mm.
    :param border_mm: frame width; default ``size_mm * 0.06``.
    :param color: ink colour ``"#RRGGBB"``.
    :param font_path: a TTF/OTF/TTC file to use instead of the system's CJK font.
    :raises ValueError: a name that is not 2-4 characters (spaces ignored), or a size out of range.
    :raises ConfigurationError: no CJK font is installed and ``font_path`` was not given.
    """
    text = _check_text(name, "name", max_len=4).replace(" ", "")
    if len(text) < 2:
        raise ValueError(f"name must have 2 to 4 characters for a square seal, got {name!r}")
    s = _check_size(size_mm, "size_mm", 10, 60)
    frame = s * 0.06 if border_mm is None else _check_size(border_mm, "border_mm", 0.2, s / 8)
    parse_color(color)
    font = _font_for(font_path, text)

    inner = _EDGE + frame + s * 0.035
    shapes: list[Shape] = [rect_ring(_EDGE, _EDGE, s - _EDGE, s - _EDGE, frame)]
    for ch, (x, y, cw, chh) in zip(text, _square_cells(len(text), inner, inner, s - 2 * inner, s * 0.03)):
        shape = _glyph(font, ch, x, y, cw * font.advance(ch) / font.units_per_em, chh, 0.0)
        if shape is not None:
            shapes.append(shape)
    return SealImage(s, s, color, text, tuple(shapes))


