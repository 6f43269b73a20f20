"""Seal geometry in millimetres, written out as SVG paths or rasterised with Pillow.

A seal is a list of filled outlines (glyphs, the star, rings) in millimetres with
y pointing down, filled with the nonzero winding rule.  The SVG writes those
outlines verbatim; the rasteriser flattens the same curves, so PNG and SVG never
disagree.  Pillow's polygon fill knows no winding rule, so each outline is
accumulated contour by contour (+1 for one orientation, -1 for the other) in an
8-bit image offset at 128: a pixel is inked where the sum is not zero.  Edges are
antialiased by supersampling and box-filtering down.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw

from trustkit.seal._image_font import Point, Segment

__all__ = ["Shape", "ellipse_ring", "parse_color", "polygon", "rasterize", "rect_ring", "svg_document"]

# Cubic Bezier handle length for a quarter ellipse (error below 0.03 % of the radius).
_KAPPA = 0.5522847498307936
# Largest supersampled canvas side; beyond it the supersampling factor drops.
_MAX_SUPERSAMPLED_SIDE = 6000


@dataclass(frozen=True)
class Shape:
    """One filled outline: closed contours of segments in mm (y down), nonzero winding."""

    segments: tuple[Segment, ...]


def parse_color(color: str) -> tuple[int, int, int]:
    """``"#RRGGBB"`` to an RGB triple; anything else is a ValueError."""
    if not isinstance(color, str) or len(color) != 7 or color[0] != "#":
        raise ValueError(f"color must be '#RRGGBB', got {color!r}")
    try:
        return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)
    except ValueError:
        raise ValueError(f"color must be '#RRGGBB', got {color!r}") from None


def polygon(points: Sequence[Point]) -> list[Segment]:
    segs: list[Segment] = [("M", points[0])]
    segs.extend(("L", p) for p in points[1:])
    segs.append(("Z",))
    return segs


def _ellipse_contour(cx: float, cy: float, rx: float, ry: float, reverse: bool) -> list[Segment]:
    kx, ky = rx * _KAPPA, ry * _KAPPA
    # Four quarter arcs starting at the right-most point, clockwise on screen (y down).
    segs: list[Segment] = [
        ("M", (cx + rx, cy)),
        ("C", (cx + rx, cy + ky), (cx + kx, cy + ry), (cx, cy + ry)),
        ("C", (cx - kx, cy + ry), (cx - rx, cy + ky), (cx - rx, cy)),
        ("C", (cx - rx, cy - ky), (cx - kx, cy - ry), (cx, cy - ry)),
        ("C", (cx + kx, cy - ry), (cx + rx, cy - ky), (cx + rx, cy)),
        ("Z",),
    ]
    if not reverse:
        return segs
    return [
        ("M", (cx + rx, cy)),
        ("C", (cx + rx, cy - ky), (cx + kx, cy - ry), (cx, cy - ry)),
        ("C", (cx - kx, cy - ry), (cx - rx, cy - ky), (cx - rx, cy)),
        ("C", (cx - rx, cy + ky), (cx - kx, cy + ry), (cx, cy + ry)),
        ("C", (cx + kx, cy + ry), (cx + rx, cy + ky), (cx + rx, cy)),
        ("Z",),
    ]


def ellipse_ring(cx: float, cy: float, rx: float, ry: float, width: float) -> Shape:
    """A ring whose outer edge is the ellipse (rx, ry) and which is ``width`` thick."""
    outer = _ellipse_contour(cx, cy, rx, ry, reverse=False)
    inner = _ellipse_contour(cx, cy, rx - width, ry - width, reverse=True)
    return Shape(tuple(outer + inner))


def rect_ring(x0: float, y0: float, x1: float, y1: float, width: float) -> Shape:
    """A rectangular frame with its outer edge on (x0, y0)-(x1, y1)."""
    outer = polygon([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    w = width
    inner = polygon([(x0 + w, y0 + w), (x0 + w, y1 - w), (x1 - w, y1 - w), (x1 - w, y0 + w)])
    return Shape(tuple(outer + inner))


# -- SVG -------------------------------------------------------------------------------------------


def _num(v: float) -> str:
    text = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _path_data(segments: Iterable[Segment]) -> str:
    parts: list[str] = []
    for seg in segments:
        op = str(seg[0])
        points = seg[1:]
        coords = " ".join(f"{_num(p[0])} {_num(p[1])}" for p in points)  # type: ignore[index]
        parts.append(op + coords)
    return "".join(parts)


def svg_document(width_mm: float, height_mm: float, color: str, shapes: Sequence[Shape], title: str) -> str:
    """A standalone SVG of the physical size, glyphs as paths (no fonts needed to display it)."""
    esc = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    w, h = _num(width_mm), _num(height_mm)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{w}mm" height="{h}mm" viewBox="0 0 {w} {h}">',
        f"<title>{esc}</title>",
        f'<g fill="{color}" fill-rule="nonzero" stroke="none">',
    ]
    lines.extend(f'<path d="{_path_data(shape.segments)}"/>' for shape in shapes)
    lines += ["</g>", "</svg>", ""]
    return "\n".join(lines)


# -- raster ----------------------------------------------------------------------------------------


def _flatten(segments: Iterable[Segment], scale: float) -> list[list[Point]]:
    """Closed polygons (in pixels) approximating the contours to about a third of a pixel."""
    contours: list[list[Point]] = []
    current: list[Point] = []
    for seg in segments:
        op = seg[0]
        pts = [(float(p[0]) * scale, float(p[1]) * scale) for p in seg[1:]]  # type: ignore[index]
        if op == "M":
            if len(current) > 2:
                contours.append(current)
            current = [pts[0]]
        elif op == "L":
            current.append(pts[0])
        elif op in ("Q", "C"):
            p0 = current[-1]
            ctrl = [p0, *pts]
            length = sum(math.dist(a, b) for a, b in itertools.pairwise(ctrl))
            steps = max(2, min(64, math.ceil(math.sqrt(length) * 1.5)))
            for i in range(1, steps + 1):
                t = i / steps
                u = 1 - t
                if op == "Q":
                    (x1, y1), (x2, y2) = pts
                    x = u * u * p0[0] + 2 * u * t * x1 + t * t * x2
                    y = u * u * p0[1] + 2 * u * t * y1 + t * t * y2
                else:
                    (x1, y1), (x2, y2), (x3, y3) = pts
                    x = u**3 * p0[0] + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t**3 * x3
                    y = u**3 * p0[1] + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t**3 * y3
                current.append((x, y))
        else:  # "Z"
            if len(current) > 2:
                contours.append(current)
            current = []
    if len(current) > 2:
        contours.append(current)
    return contours


def _signed_area(points: Sequence[Point]) -> float:
    return 0.5 * sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(points, [*points[1:], points[0]]))


def _fill_nonzero(mask: Image.Image, contours: list[list[Point]]) -> None:
    """OR the nonzero-rule fill of ``contours`` into ``mask`` (mode "L", 255 = ink)."""
    xs = [p[0] for c in contours for p in c]
    ys = [p[1] for c in contours for p in c]
    x0, y0 = max(0, math.floor(min(xs)) - 1), max(0, math.floor(min(ys)) - 1)
    x1, y1 = min(mask.width, math.ceil(max(xs)) + 2), min(mask.height, math.ceil(max(ys)) + 2)
    if x1 <= x0 or y1 <= y0:
        return
    size = (x1 - x0, y1 - y0)
    if len(contours) == 1:
        layer = Image.new("L", size, 0)
        ImageDraw.Draw(layer).polygon([(x - x0, y - y0) for x, y in contours[0]], fill=255)
    else:
        winding = Image.new("L", size, 128)
        for contour in contours:
            one = Image.new("L", size, 0)
            ImageDraw.Draw(one).polygon([(x - x0, y - y0) for x, y in contour], fill=1)
            if _signed_area(contour) > 0:
                winding = ImageChops.add(winding, one)
            else:
                winding = ImageChops.subtract(winding, one)
        layer = winding.point([0 if v == 128 else 255 for v in range(256)])
    box = (x0, y0, x1, y1)
    mask.paste(ImageChops.lighter(mask.crop(box), layer), box)


def rasterize(width_mm: float, height_mm: float, color: str, shapes: Sequence[Shape], dpi: float) -> Image.Image:
    """RGBA image of ``round(mm / 25.4 * dpi)`` pixels a side; alpha carries the ink coverage."""
    rgb = parse_color(color)
    width_px = round(width_mm / 25.4 * dpi)
    height_px = round(height_mm / 25.4 * dpi)
    factor = max(1, min(4, _MAX_SUPERSAMPLED_SIDE // max(width_px, height_px)))
    scale = dpi / 25.4 * factor
    mask = Image.new("L", (width_px * factor, height_px * factor), 0)
    for shape in shapes:
        contours = _flatten(shape.segments, scale)
        if contours:
            _fill_nonzero(mask, contours)
    if factor > 1:
        mask = mask.resize((width_px, height_px), Image.Resampling.BOX)
    image = Image.new("RGBA", (width_px, height_px), (*rgb, 0))
    image.putalpha(mask)
    return image
