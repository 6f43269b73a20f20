"""What an OFD package says, as frozen dataclasses (GB/T 33190-2016).

Coordinates are millimetres in the page coordinate system (origin top left, y down).  Boxes of
graphic objects are *absolute*: the reader has already applied the Boundary origin, the CTM,
TextCode X/Y and DeltaX/DeltaY, nested PageBlocks and template pages.  Part names are package
paths without a leading slash (``Doc_0/Pages/Page_0/Content.xml``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Union

from trustkit.errors import DecodeError

__all__ = [
    "IDENTITY",
    "Attachment",
    "Box",
    "CustomTag",
    "DocBody",
    "DocInfo",
    "Document",
    "Font",
    "Glyph",
    "GraphicObject",
    "ImageObject",
    "Layer",
    "Matrix",
    "MultiMedia",
    "Page",
    "PageRef",
    "PathObject",
    "Provider",
    "Reference",
    "SignatureDescription",
    "SignatureEntry",
    "SignatureList",
    "StampAnnot",
    "TemplatePage",
    "TextMatch",
    "TextObject",
]

# (a, b, c, d, e, f): x' = a*x + c*y + e, y' = b*x + d*y + f (GB/T 33190 §8.3.5, ST_Array of 6).
Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _num(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class Box:
    """An ST_Box: ``x y width height`` in millimetres."""

    x: float
    y: float
    width: float
    height: float

    @classmethod
    def parse(cls, text: str) -> Box:
        """Parse ``"x y w h"``; :class:`DecodeError` unless four finite numbers."""
        fields = text.split()
        if len(fields) != 4:
            raise DecodeError(f"OFD: ST_Box {text[:80]!r} does not have four numbers")
        try:
            values = [float(f) for f in fields]
        except ValueError:
            raise DecodeError(f"OFD: ST_Box {text[:80]!r} is not numeric") from None
        if not all(math.isfinite(v) for v in values):
            raise DecodeError(f"OFD: ST_Box {text[:80]!r} is not finite")
        return cls(*values)

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.width / 2, self.y + self.height / 2)

    def union(self, other: Box) -> Box:
        """The smallest box holding both."""
        x, y = min(self.x, other.x), min(self.y, other.y)
        return Box(x, y, max(self.right, other.right) - x, max(self.bottom, other.bottom) - y)

    def contains(self, other: Box, tolerance: float = 1e-6) -> bool:
        """Whether ``other`` lies inside this box."""
        return (
            other.x >= self.x - tolerance
            and other.y >= self.y - tolerance
            and other.right <= self.right + tolerance
            and other.bottom <= self.bottom + tolerance
        )

    def to_text(self) -> str:
        """The ST_Box text (at most four decimals, no trailing zeros)."""
        return " ".join(_num(v) for v in (self.x, self.y, self.width, self.height))


@dataclass(frozen=True)
class Font:
    """Res/Fonts/Font.  ``file`` is the part name of the embedded font, if any."""

    id: int
    name: str
    family: str | None = None
    charset: str = "unicode"
    bold: bool = False
    italic: bool = False
    serif: bool = False
    fixed_width: bool = False
    file: str | None = None


@dataclass(frozen=True)
class MultiMedia:
    """Res/MultiMedias/MultiMedia (Type Image, Audio or Video); ``file`` is a part name."""

    id: int
    type: str
    format: str | None
    file: str | None


@dataclass(frozen=True)
class Glyph:
    """One character placed on the page: baseline origin (x, y) and its approximate ink box."""

    char: str
    x: float
    y: float
    box: Box


@dataclass(frozen=True)
class TextObject:
    """A TextObject with every TextCode run resolved to absolute glyph positions."""

    id: int | None
    font_id: int | None
    size: float
    boundary: Box
    ctm: Matrix | None
    glyphs: tuple[Glyph, ...]
    fill_color: tuple[int, ...] | None = None

    @property
    def text(self) -> str:
        return "".join(g.char for g in self.glyphs)

    @property
    def box(self) -> Box:
        """Union of the glyph boxes (the Boundary when there are no glyphs)."""
        if not self.glyphs:
            return self.boundary
        box = self.glyphs[0].box
        for glyph in self.glyphs[1:]:
            box = box.union(glyph.box)
        return box


@dataclass(frozen=True)
class ImageObject:
    """An ImageObject: ``box`` is where the image lands (unit square through CTM and Boundary)."""

    id: int | None
    resource_id: int
    boundary: Box
    ctm: Matrix | None
    box: Box


@dataclass(frozen=True)
class PathObject:
    """A PathObject; ``abbreviated_data`` is in the object's own coordinates (relative to Boundary)."""

    id: int | None
    boundary: Box
    ctm: Matrix | None
    abbreviated_data: str
    stroke: bool = True
    fill: bool = False
    line_width: float = 0.353
    stroke_color: tuple[int, ...] | None = None
    fill_color: tuple[int, ...] | None = None


GraphicObject = Union[TextObject, ImageObject, PathObject]


@dataclass(frozen=True)
class Layer:
    """A content Layer (PageBlocks flattened); ``template_id`` is set for layers of a template page."""

    id: int | None
    type: str
    objects: tuple[GraphicObject, ...]
    template_id: int | None = None


@dataclass(frozen=True)
class PageRef:
    """Document.xml Pages/Page: ``index`` is the 0-based page number, ``id`` the ST_ID."""

    index: int
    id: int
    part: str


@dataclass(frozen=True)
class TemplatePage:
    """CommonData/TemplatePage."""

    id: int
    part: str
    z_order: str = "Background"
    name: str | None = None


@dataclass(frozen=True)
class Page:
    """A parsed page: its size and its layers (template layers included, in paint order).

    ``fonts`` and ``media`` are the page's own resources (Page/PageRes); the document-wide ones
    are on :class:`Document`.
    """

    index: int
    id: int
    part: str
    physical_box: Box
    layers: tuple[Layer, ...]
    fonts: tuple[Font, ...] = ()
    media: tuple[MultiMedia, ...] = ()

    @property
    def size(self) -> tuple[float, float]:
        """(width, height) in millimetres."""
        return (self.physical_box.width, self.physical_box.height)

    def objects(self) -> tuple[GraphicObject, ...]:
        return tuple(obj for layer in self.layers for obj in layer.objects)

    @property
    def text_objects(self) -> tuple[TextObject, ...]:
        return tuple(obj for obj in self.objects() if isinstance(obj, TextObject))

    @property
    def images(self) -> tuple[ImageObject, ...]:
        return tuple(obj for obj in self.objects() if isinstance(obj, ImageObject))

    @property
    def paths(self) -> tuple[PathObject, ...]:
        return tuple(obj for obj in self.objects() if isinstance(obj, PathObject))

    @property
    def text(self) -> str:
        """All text of the page in content order, one line per TextObject."""
        return "\n".join(obj.text for obj in self.text_objects)

    def find(self, text: str) -> list[Box]:
        """Boxes of every occurrence of ``text`` on the page.

        Whitespace is ignored on both sides, and a match may span TextCode runs and
        TextObjects (vendors split words and numbers across them).  A box is the union of the
        matched glyph boxes.
        """
        needle = "".join(text.split())
        if not needle:
            raise ValueError("find() needs non-blank text")
        glyphs = [g for obj in self.text_objects for g in obj.glyphs if not g.char.isspace()]
        haystack = "".join(g.char for g in glyphs)
        boxes: list[Box] = []
        start = haystack.find(needle)
        while start >= 0:
            box = glyphs[start].box
            for glyph in glyphs[start + 1 : start + len(needle)]:
                box = box.union(glyph.box)
            boxes.append(box)
            start = haystack.find(needle, start + 1)
        return boxes


@dataclass(frozen=True)
class TextMatch:
    """One hit of :meth:`trustkit.ofd.OFDReader.find`."""

    page_index: int
    page_id: int
    box: Box


@dataclass(frozen=True)
class DocInfo:
    """OFD.xml DocBody/DocInfo.  ``custom_data`` keeps the CustomData order and duplicates."""

    doc_id: str | None = None
    title: str | None = None
    author: str | None = None
    subject: str | None = None
    abstract: str | None = None
    creation_date: str | None = None
    mod_date: str | None = None
    doc_usage: str | None = None
    cover: str | None = None
    keywords: tuple[str, ...] = ()
    creator: str | None = None
    creator_version: str | None = None
    custom_data: tuple[tuple[str, str], ...] = ()

    def custom(self, name: str) -> str | None:
        """The first CustomData value with this Name."""
        for key, value in self.custom_data:
            if key == name:
                return value
        return None


@dataclass(frozen=True)
class DocBody:
    """One OFD.xml DocBody: metadata, the Document.xml part and the Signatures.xml part."""

    index: int
    info: DocInfo
    doc_root: str
    signatures: str | None


@dataclass(frozen=True)
class Document:
    """Document.xml with its resources resolved.

    ``missing_parts`` lists referenced resource files the package does not contain (real
    files do this); reading a page or resource that is missing raises :class:`DecodeError`.
    """

    index: int
    part: str
    max_unit_id: int | None
    page_area: Box
    pages: tuple[PageRef, ...]
    templates: tuple[TemplatePage, ...]
    fonts: tuple[Font, ...]
    media: tuple[MultiMedia, ...]
    res_parts: tuple[str, ...]
    custom_tags: str | None = None
    attachments: str | None = None
    annotations: str | None = None
    missing_parts: tuple[str, ...] = ()

    def font(self, font_id: int) -> Font | None:
        return next((f for f in self.fonts if f.id == font_id), None)

    def page_by_id(self, page_id: int) -> PageRef | None:
        """The page with this ST_ID (StampAnnot@PageRef names pages by ID, not index)."""
        return next((p for p in self.pages if p.id == page_id), None)

    def multimedia(self, resource_id: int) -> MultiMedia | None:
        return next((m for m in self.media if m.id == resource_id), None)


@dataclass(frozen=True)
class CustomTag:
    """CustomTags.xml CustomTag (the standard's text says TypeID, its XSD NameSpace: both kept)."""

    type_id: str | None
    name_space: str | None
    file: str | None
    schema: str | None = None


@dataclass(frozen=True)
class Attachment:
    """Attachments.xml Attachment; ``file`` is the part name of the attached data."""

    id: str | None
    name: str
    file: str | None
    format: str | None = None
    creation_date: str | None = None
    mod_date: str | None = None
    size: str | None = None
    visible: bool = True
    usage: str | None = None


@dataclass(frozen=True)
class SignatureEntry:
    """Signatures.xml Signature: ``part`` is the resolved Signature.xml part name."""

    id: str
    type: str
    base_loc: str
    part: str


@dataclass(frozen=True)
class SignatureList:
    """Signatures.xml: its part name, MaxSignId (kept as text: "1", "s001", "005") and entries."""

    part: str
    max_sign_id: str | None
    entries: tuple[SignatureEntry, ...]


@dataclass(frozen=True)
class Provider:
    """SignedInfo/Provider (attributes, or child elements in some vendors' files)."""

    name: str | None
    version: str | None = None
    company: str | None = None
    protocol_ver: str | None = None


@dataclass(frozen=True)
class Reference:
    """References/Reference: the protected part and the expected raw digest."""

    file_ref: str
    part: str
    check_value: bytes


@dataclass(frozen=True)
class StampAnnot:
    """SignedInfo/StampAnnot; ``page_ref`` is a page ID (not an index)."""

    id: str | None
    page_ref: str
    boundary: Box
    clip: Box | None = None


@dataclass(frozen=True)
class SignatureDescription:
    """A parsed Signature.xml.  Hash :attr:`part`'s exact bytes, never a re-serialisation."""

    part: str
    provider: Provider | None
    signature_method: str | None
    signature_date_time: str | None
    check_method: str | None
    references: tuple[Reference, ...]
    stamp_annots: tuple[StampAnnot, ...]
    seal: str | None
    signed_value: str
