"""Where a seal goes: at a position on a page, on a keyword, or as a riding seal across page edges.

Coordinates are millimetres on the page as a person sees it: measured from the visible page
area's (``/CropBox``, else ``/MediaBox``) **top-left** corner, x to the right and y downwards,
unless ``origin="bottom-left"`` is asked for (then y grows upwards, as in PDF user space).
The point given is the **centre** of the seal.  Pages are numbered from 1.  Rotated pages
(``/Rotate``) are not supported for placement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from trustkit.pdf._appearance import MM

__all__ = ["KeywordPosition", "PagePosition", "Placement", "RidingSeal", "Spot"]

Origin = Literal["top-left", "bottom-left"]


@dataclass(frozen=True)
class PagePosition:
    """The seal's centre at (``x_mm``, ``y_mm``) on ``page`` (1-based; -1 = last page)."""

    page: int
    x_mm: float
    y_mm: float
    origin: Origin = "top-left"


@dataclass(frozen=True)
class KeywordPosition:
    """The seal centred on a keyword found in the page text.

    :param keyword: the text to find (white space ignored; CJK fine).
    :param occurrence: which occurrence (1-based, counted in page order, then layout order);
        ``None`` puts a seal on every occurrence (one signature, several appearances).
    :param pages: restrict the search to these pages (1-based).
    :param offset_mm: move the seal by (dx, dy) from the keyword's centre (dy downwards).
    """

    keyword: str
    occurrence: int | None = 1
    pages: tuple[int, ...] | None = None
    offset_mm: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class RidingSeal:
    """A riding seal (骑缝章): the picture cut into one vertical slice per page, on the right edges.

    Page 1 of the selection gets the leftmost slice, so the pieces line up when the pages are
    fanned out.  One signature covers all of them.

    :param pages: the pages (1-based), default all; at least 2.
    :param y_mm: the seal's centre from the top edge (default: the middle of each page).
    """

    pages: tuple[int, ...] | None = None
    y_mm: float | None = None


Placement = PagePosition | KeywordPosition | RidingSeal


@dataclass(frozen=True)
class Spot:
    """A resolved appearance: 0-based page, rectangle in PDF user space (pt), and the slice shown."""

    page: int
    rect: tuple[float, float, float, float]
    part: int = 0
    parts: int = 1


def page_box(page: Any) -> tuple[float, float, float, float]:
    """The visible area of a page dictionary (CropBox clipped to MediaBox, inherited keys honoured)."""
    boxes: dict[str, Any] = {}
    node = page
    for _ in range(64):  # inherited attributes (ISO 32000-1 7.7.3.4); bounded against cycles
        for key in ("/MediaBox", "/CropBox", "/Rotate"):
            if key not in boxes and key in node:
                boxes[key] = node[key]
        if "/Parent" not in node:
            break
        node = node["/Parent"]
    if "/MediaBox" not in boxes:
        raise ValueError("a page has no /MediaBox")
    if int(boxes.get("/Rotate", 0)) % 360:
        raise ValueError("rotated pages (/Rotate) are not supported for seal placement")

    def norm(box: Any) -> tuple[float, float, float, float]:
        x0, y0, x1, y1 = (float(v) for v in box)
        return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))

    media = norm(boxes["/MediaBox"])
    if "/CropBox" not in boxes:
        return media
    crop = norm(boxes["/CropBox"])
    return (max(media[0], crop[0]), max(media[1], crop[1]), min(media[2], crop[2]), min(media[3], crop[3]))


def centred(page: int, cx: float, cy: float, width: float, height: float) -> Spot:
    return Spot(page, (cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2))


def position_spot(position: PagePosition, box: tuple[float, float, float, float], page_index: int,
                  width: float, height: float) -> Spot:
    cx = box[0] + position.x_mm * MM
    cy = box[1] + position.y_mm * MM if position.origin == "bottom-left" else box[3] - position.y_mm * MM
    return centred(page_index, cx, cy, width, height)


def riding_spots(boxes: list[tuple[int, tuple[float, float, float, float]]], y_mm: float | None,
                 width: float, height: float) -> list[Spot]:
    parts = len(boxes)
    slice_width = width / parts
    spots = []
    for part, (page_index, box) in enumerate(boxes):
        cy = (box[1] + box[3]) / 2 if y_mm is None else box[3] - y_mm * MM
        x1 = box[2]
        spots.append(Spot(page_index, (x1 - slice_width, cy - height / 2, x1, cy + height / 2), part, parts))
    return spots
