"""Page content (Content.xml): layers and graphic objects with absolute positions.

Coordinates follow GB/T 33190-2016 §8.3 and §11: a graphic unit's own coordinates go through
its CTM, are then offset by its Boundary origin, and then by whatever contains it.  PageBlocks
group objects without a coordinate change; CompositeObjects (reusable units) are skipped.
TextCode X/Y give the first glyph's baseline origin, DeltaX/DeltaY the distance from each glyph
to the next (with the ``g count value`` shorthand; missing trailing values repeat the last one,
and so does the advance after a run's last glyph); a TextCode without X/Y continues where the
previous one stopped.  Glyph ink boxes are an estimate from the font size (em-box ascent 0.88,
descent 0.12; wide CJK glyphs one em, others half an em), which is what keyword placement needs.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from trustkit.errors import DecodeError

from . import _xml as x
from .model import (
    IDENTITY,
    Box,
    Glyph,
    GraphicObject,
    ImageObject,
    Layer,
    Matrix,
    PathObject,
    TextObject,
)

__all__ = ["ASCENT", "DESCENT", "Budget", "advance_estimate", "compose", "parse_layers", "transform_box"]

ASCENT = 0.88
DESCENT = 0.12


def advance_estimate(char: str, size: float) -> float:
    """A glyph's advance when the file gives none: one em for wide (CJK) glyphs, else half."""
    return size if unicodedata.east_asian_width(char) in ("W", "F") else size * 0.5


def compose(inner: Matrix, outer: Matrix) -> Matrix:
    """The matrix applying ``inner`` first, then ``outer``."""
    a1, b1, c1, d1, e1, f1 = inner
    a2, b2, c2, d2, e2, f2 = outer
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


def _apply(m: Matrix, px: float, py: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return (a * px + c * py + e, b * px + d * py + f)


def transform_box(m: Matrix, x0: float, y0: float, x1: float, y1: float) -> Box:
    """The axis-aligned box holding the rectangle (x0, y0)-(x1, y1) mapped through ``m``."""
    points = [_apply(m, px, py) for px, py in ((x0, y0), (x1, y0), (x0, y1), (x1, y1))]
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return Box(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def _translate(dx: float, dy: float) -> Matrix:
    return (1.0, 0.0, 0.0, 1.0, dx, dy)


class Budget:
    """How many more graphic objects and glyphs a page may still produce."""

    def __init__(self, items: int) -> None:
        self.items = items

    def spend(self, count: int, what: str) -> None:
        self.items -= count
        if self.items < 0:
            raise DecodeError(f"{what}: more graphic objects and glyphs than the page limit")


class _Context:
    def __init__(self, max_depth: int, what: str, budget: Budget) -> None:
        self.max_depth = max_depth
        self.what = what
        self.budget = budget


def parse_layers(
    root: Any, *, what: str, max_depth: int, budget: Budget, template_id: int | None = None
) -> tuple[Layer, ...]:
    """The layers of a Page (or template page) element."""
    context = _Context(max_depth, what, budget)
    content = x.child(root, "Content")
    if content is None:
        return ()
    layers: list[Layer] = []
    for layer in x.children(content, "Layer"):
        objects: list[GraphicObject] = []
        _collect(layer, IDENTITY, objects, context, depth=0)
        layers.append(
            Layer(
                id=x.parse_optional_id(x.attr(layer, "ID"), f"{what}: Layer ID"),
                type=x.attr(layer, "Type") or "Body",
                objects=tuple(objects),
                template_id=template_id,
            )
        )
    return tuple(layers)


def _collect(block: Any, parent: Matrix, out: list[GraphicObject], context: _Context, depth: int) -> None:
    if depth > context.max_depth:
        raise DecodeError(f"{context.what}: PageBlocks nested deeper than {context.max_depth}")
    for element in block:
        name = x.local(element)
        if name in ("TextObject", "ImageObject", "PathObject"):
            context.budget.spend(1, context.what)
        if name == "TextObject":
            out.append(_text_object(element, parent, context))
        elif name == "ImageObject":
            out.append(_image_object(element, parent, context))
        elif name == "PathObject":
            out.append(_path_object(element, parent, context))
        elif name == "PageBlock":
            _collect(element, parent, out, context, depth + 1)


def _unit(
    element: Any, parent: Matrix, context: _Context, kind: str
) -> tuple[int | None, Box, Box, Matrix | None, Matrix]:
    """ID, Boundary (as written), Boundary on the page, CTM, and the object-to-page matrix."""
    what = f"{context.what}: {kind}"
    boundary_text = x.attr(element, "Boundary")
    if boundary_text is None:
        raise DecodeError(f"{what} has no Boundary")
    boundary = Box.parse(boundary_text)
    ctm = x.parse_matrix(x.attr(element, "CTM"), f"{what} CTM")
    to_page = compose(compose(ctm or IDENTITY, _translate(boundary.x, boundary.y)), parent)
    absolute = transform_box(parent, boundary.x, boundary.y, boundary.right, boundary.bottom)
    object_id = x.parse_optional_id(x.attr(element, "ID"), f"{what} ID")
    return object_id, boundary, absolute, ctm, to_page


def _text_object(element: Any, parent: Matrix, context: _Context) -> TextObject:
    object_id, _, absolute, ctm, to_page = _unit(element, parent, context, "TextObject")
    what = f"{context.what}: TextObject {object_id}"
    size = x.parse_float(x.attr(element, "Size"), f"{what} Size")
    font_text = x.attr(element, "Font")
    font_id = x.parse_optional_id(font_text, f"{what} Font")
    glyphs: list[Glyph] = []
    pen_x, pen_y = 0.0, 0.0
    for code in x.children(element, "TextCode"):
        text = code.text if isinstance(code.text, str) else ""
        pen_x = x.parse_float(x.attr(code, "X"), f"{what} TextCode X", default=pen_x)
        pen_y = x.parse_float(x.attr(code, "Y"), f"{what} TextCode Y", default=pen_y)
        if not text:
            continue
        context.budget.spend(len(text), what)
        gaps = len(text) - 1
        dxs = x.parse_array(x.attr(code, "DeltaX"), f"{what} DeltaX", limit=gaps)
        dys = x.parse_array(x.attr(code, "DeltaY"), f"{what} DeltaY", limit=gaps)
        for i, char in enumerate(text):
            estimate = advance_estimate(char, size)
            step_x = _delta(dxs, i, estimate)
            width = step_x if 0 < step_x < estimate and i < gaps else estimate
            box = transform_box(to_page, pen_x, pen_y - ASCENT * size, pen_x + width, pen_y + DESCENT * size)
            gx, gy = _apply(to_page, pen_x, pen_y)
            glyphs.append(Glyph(char, gx, gy, box))
            pen_x += step_x
            pen_y += _delta(dys, i, 0.0) if i < gaps else 0.0
    fill = x.parse_color(x.child(element, "FillColor"))
    return TextObject(object_id, font_id, size, absolute, ctm, tuple(glyphs), fill)


def _delta(values: list[float], i: int, fallback: float) -> float:
    """DeltaX/DeltaY for the gap after glyph i: missing trailing values repeat the last one."""
    if i < len(values):
        return values[i]
    return values[-1] if values else fallback


def _image_object(element: Any, parent: Matrix, context: _Context) -> ImageObject:
    object_id, boundary, absolute, ctm, to_page = _unit(element, parent, context, "ImageObject")
    resource = x.parse_id(x.attr(element, "ResourceID"), f"{context.what}: ImageObject {object_id} ResourceID")
    if ctm is None:
        # Without a CTM the unit square would be 1 mm wide; readers stretch it over the Boundary.
        box = absolute
    else:
        box = transform_box(to_page, 0.0, 0.0, 1.0, 1.0)
    return ImageObject(object_id, resource, absolute, ctm, box)


def _path_object(element: Any, parent: Matrix, context: _Context) -> PathObject:
    object_id, _, absolute, ctm, _ = _unit(element, parent, context, "PathObject")
    what = f"{context.what}: PathObject {object_id}"
    data = x.child_text(element, "AbbreviatedData") or ""
    return PathObject(
        id=object_id,
        boundary=absolute,
        ctm=ctm,
        abbreviated_data=data,
        stroke=x.parse_bool(x.attr(element, "Stroke"), True),
        fill=x.parse_bool(x.attr(element, "Fill"), False),
        line_width=x.parse_float(x.attr(element, "LineWidth"), f"{what} LineWidth", default=0.353),
        stroke_color=x.parse_color(x.child(element, "StrokeColor")),
        fill_color=x.parse_color(x.child(element, "FillColor")),
    )
