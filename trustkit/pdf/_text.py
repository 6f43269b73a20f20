"""Keyword search on PDF pages, for placing a seal on a word (e.g. the organisation's name).

Text extraction uses pdfminer.six: it interprets the content streams with the fonts' encodings
and ToUnicode CMaps (CJK included) and gives each glyph's box in user space, which is what a
placement needs; pyHanko and pikepdf do not extract text.  Matching is per text line, ignoring
white space (pdfminer inserts spaces between CJK glyphs that are set apart).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from trustkit.errors import DecodeError

__all__ = ["TextMatch", "find_text"]


@dataclass(frozen=True)
class TextMatch:
    """One occurrence: 0-based page index and the union of its glyph boxes (pt, PDF user space)."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def center(self) -> tuple[float, float]:
        return ((self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2)


def _lines(item: Any) -> Iterator[Any]:
    from pdfminer.layout import LTTextLine

    if isinstance(item, LTTextLine):
        yield item
        return
    if hasattr(item, "__iter__"):
        for child in item:
            yield from _lines(child)


def _line_matches(line: Any, needle: str) -> Iterator[tuple[float, float, float, float]]:
    from pdfminer.layout import LTChar

    chars: list[tuple[str, tuple[float, float, float, float]]] = []
    for item in line:
        if isinstance(item, LTChar):
            text = "".join(item.get_text().split())
            if text:
                chars.append((text, (item.x0, item.y0, item.x1, item.y1)))
    # Map positions in the joined string back to glyphs (a glyph may carry several characters).
    joined = ""
    owner: list[int] = []
    for index, (text, _box) in enumerate(chars):
        joined += text
        owner.extend([index] * len(text))
    start = joined.find(needle)
    while start >= 0:
        glyphs = [chars[i][1] for i in sorted(set(owner[start:start + len(needle)]))]
        yield (min(b[0] for b in glyphs), min(b[1] for b in glyphs), max(b[2] for b in glyphs),
               max(b[3] for b in glyphs))
        start = joined.find(needle, start + len(needle))


def find_text(pdf: bytes, keyword: str, pages: Iterable[int] | None = None) -> list[TextMatch]:
    """Every occurrence of ``keyword`` (white space ignored), in page order, then layout order.

    :param pages: 0-based page indexes to search (default all).
    :raises ValueError: an empty keyword, or a rotated page (``/Rotate`` other than 0).
    :raises DecodeError: pdfminer cannot read the document.
    """
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.layout import LAParams
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.psexceptions import PSException

    needle = "".join(keyword.split())
    if not needle:
        raise ValueError("the keyword is empty")
    wanted = None if pages is None else set(pages)
    manager = PDFResourceManager(caching=True)
    out: list[TextMatch] = []
    try:
        for index, page in enumerate(PDFPage.get_pages(BytesIO(pdf))):
            if wanted is not None and index not in wanted:
                continue
            if int(page.rotate or 0) % 360:
                raise ValueError(f"page {index + 1} is rotated; keyword placement needs unrotated pages")
            device = PDFPageAggregator(manager, laparams=LAParams())
            PDFPageInterpreter(manager, device).process_page(page)
            layout = device.get_result()
            # pdfminer shifts coordinates so the MediaBox starts at (0, 0); shift them back.
            dx, dy = float(page.mediabox[0]), float(page.mediabox[1])
            for line in _lines(layout):
                for x0, y0, x1, y1 in _line_matches(line, needle):
                    out.append(TextMatch(index, x0 + dx, y0 + dy, x1 + dx, y1 + dy))
    except (PSException, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise DecodeError(f"cannot extract text from the PDF: {type(exc).__name__}: {exc}") from None
    return out
