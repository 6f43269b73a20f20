"""Write OFD packages (GB/T 33190-2016): new documents, and edited copies of existing ones.

:class:`PackageWriter` writes a ZIP deterministically (same parts in the same order give the same
bytes: fixed timestamps and attributes, DEFLATE at zlib's default level) and can start from an
existing package, replacing or adding parts while untouched parts keep their exact bytes (they
are streamed across, so signatures over them stay valid).

:class:`DocumentBuilder` lays out a new document: pages of a given size in millimetres, text in a
CJK font with an explicit DeltaX for every glyph gap, PNG/JPEG images, lines and rectangles, and
structured data (DocInfo CustomDatas, custom tags, attachments).  Every ST_ID comes from one
counter and MaxUnitID is the last one issued.
"""

from __future__ import annotations

import io
import os
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fontTools.ttLib import TTFont
from lxml import etree

from trustkit.files import write_atomic_stream
from trustkit.primitives import sm3

from ._content import ASCENT
from ._safety import Container, _check_name
from .model import Box, _num
from .reader import OFDReader

__all__ = ["OFD_NAMESPACE", "DocumentBuilder", "PackageWriter", "PageBuilder", "serialize_xml"]

OFD_NAMESPACE = "http://www.ofdspec.org/2016"
_NSMAP = {"ofd": OFD_NAMESPACE}
# Every entry is dated 1980-01-01 00:00:00 (the DOS epoch), so output depends on content only.
_DOS_TIME = 0
_DOS_DATE = (0 << 9) | (1 << 5) | 1
_CHUNK = 64 * 1024
RGB = tuple[int, int, int]


@dataclass(frozen=True)
class _SourcePart:
    container: Container
    name: str


class PackageWriter:
    """An ordered set of parts written as one deterministic ZIP (no ZIP64, no extra fields).

    Parts are bytes, or references to parts of an open :class:`~trustkit.ofd._safety.Container`
    (copied by streaming, their bytes unchanged).
    """

    def __init__(self) -> None:
        self._parts: dict[str, bytes | _SourcePart] = {}
        self._stored: set[str] = set()  # new parts written without compression

    @classmethod
    def from_container(cls, container: Container) -> PackageWriter:
        """Start from every part of an existing package, in its order."""
        writer = cls()
        for name in container.names():
            writer._parts[name] = _SourcePart(container, name)
        return writer

    @classmethod
    def from_reader(cls, reader: OFDReader) -> PackageWriter:
        """Start from every part of an open package (the reader must stay open until written)."""
        return cls.from_container(reader.container)

    def names(self) -> tuple[str, ...]:
        return tuple(self._parts)

    def __contains__(self, name: object) -> bool:
        return name in self._parts

    def set(self, name: str, data: bytes, *, compress: bool = True) -> None:
        """Add a part, or replace one in place (its position in the ZIP is kept).

        :param compress: False stores the part uncompressed (ZIP method 0), for data that is
            already compressed (a seal holding a PNG, a signature value) and would only cost time.
        """
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("part data must be bytes")
        name = name.lstrip("/")
        _check_name(name)
        if name.endswith("/"):
            raise ValueError(f"{name!r} is a folder name, not a part name")
        self._parts[name] = bytes(data)
        if compress:
            self._stored.discard(name)
        else:
            self._stored.add(name)

    def get(self, name: str) -> bytes:
        """The bytes a part will be written with."""
        part = self._parts[name.lstrip("/")]
        return part if isinstance(part, bytes) else part.container.read(part.name)

    def remove(self, name: str) -> None:
        del self._parts[name.lstrip("/")]
        self._stored.discard(name.lstrip("/"))

    def write_to(self, stream: Any) -> None:
        """Write the ZIP to a binary stream (need not be seekable).

        New parts are DEFLATEd at zlib's default level; parts copied from a source package keep
        their stored (compressed) bytes, CRC-32 and sizes, so they are copied without being
        inflated and come out byte-identical.
        """
        if len(self._parts) > 0xFFFF:
            raise ValueError("more than 65,535 parts needs ZIP64, which OFD packages do not use")
        offset = 0
        central: list[bytes] = []
        raw: Iterable[bytes]
        for name, part in self._parts.items():
            encoded = name.encode("utf-8")
            flags = 0 if encoded.isascii() else 0x0800  # bit 11: the name is UTF-8
            if isinstance(part, bytes) and name in self._stored:
                method, crc, size, compressed = zipfile.ZIP_STORED, zlib.crc32(part), len(part), len(part)
                raw = [part]
            elif isinstance(part, bytes):
                compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
                data = compressor.compress(part) + compressor.flush()
                method, crc, size, chunks = zipfile.ZIP_DEFLATED, zlib.crc32(part), len(part), [data]
                compressed = len(data)
                raw = chunks
            else:
                info = part.container.info(part.name)
                method, crc, size, compressed = info.compress_type, info.CRC, info.file_size, info.compress_size
                raw = part.container.iter_raw(part.name, _CHUNK)
            if offset > 0xFFFFFFFF or compressed > 0xFFFFFFFF or size > 0xFFFFFFFF:
                raise ValueError("the package is too large for a ZIP without ZIP64")
            header = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, flags, method, _DOS_TIME, _DOS_DATE, crc,
                                 compressed, size, len(encoded), 0)
            stream.write(header + encoded)
            written = 0
            for chunk in raw:
                stream.write(chunk)
                written += len(chunk)
            if written != compressed:
                raise ValueError(f"part {name!r} changed size while being copied")
            central.append(
                struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", (3 << 8) | 20, 20, flags, method, _DOS_TIME,
                            _DOS_DATE, crc, compressed, size, len(encoded), 0, 0, 0, 0, 0o100644 << 16, offset)
                + encoded
            )
            offset += len(header) + len(encoded) + compressed
        directory = b"".join(central)
        if offset > 0xFFFFFFFF:
            raise ValueError("the package is too large for a ZIP without ZIP64")
        stream.write(directory)
        stream.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(central), len(central), len(directory),
                                 offset, 0))

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.write_to(buffer)
        return buffer.getvalue()

    def write(self, path: str | os.PathLike[str], *, overwrite: bool = True) -> None:
        """Write atomically to ``path``, streaming (see :func:`trustkit.files.write_atomic_stream`)."""
        write_atomic_stream(path, self.write_to, mode=0o644, overwrite=overwrite)


# ---- building XML ---------------------------------------------------------------------------


def _el(parent: Any, name: str, text: str | None = None, **attrs: str) -> Any:
    element = etree.SubElement(parent, f"{{{OFD_NAMESPACE}}}{name}")
    for key, value in attrs.items():
        element.set(key, value)
    if text is not None:
        element.text = text
    return element


def _root(name: str, **attrs: str) -> Any:
    element = etree.Element(f"{{{OFD_NAMESPACE}}}{name}", nsmap=_NSMAP)
    for key, value in attrs.items():
        element.set(key, value)
    return element


def serialize_xml(root: Any) -> bytes:
    """XML bytes as written into packages (UTF-8, a double-quoted declaration, no pretty-printing).

    Serialise once: a signed Signature.xml must never be re-serialised (standards §9 trap 3).
    """
    body: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def _color(value: Sequence[int]) -> str:
    if len(value) != 3 or not all(isinstance(c, int) and 0 <= c <= 255 for c in value):
        raise ValueError("colours are (r, g, b) with integers 0..255")
    return " ".join(str(c) for c in value)


def _finite(*values: float) -> None:
    for value in values:
        if not isinstance(value, (int, float)) or value != value or value in (float("inf"), float("-inf")):
            raise ValueError("coordinates and sizes must be finite numbers")


def default_advance(char: str, size: float) -> float:
    """The advance the builder uses when none is given: one em for wide (CJK) glyphs, else half."""
    return size if unicodedata.east_asian_width(char) in ("W", "F") else size * 0.5


def _font_advances(data: bytes) -> dict[int, float]:
    """Advance widths in ems by code point, from a TrueType/OpenType font's cmap and hmtx."""
    try:
        font = TTFont(io.BytesIO(data), lazy=True, fontNumber=0)
        units = float(font["head"].unitsPerEm)
        metrics = font["hmtx"]
        return {code: metrics[glyph][0] / units for code, glyph in font.getBestCmap().items()}
    except Exception as exc:  # fontTools raises many types on bad input; this is the API edge
        raise ValueError(f"the font file is not a TrueType/OpenType font fontTools can read ({exc})") from None


def _image_format(data: bytes) -> str:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    raise ValueError("images must be PNG or JPEG")


# ---- the document builder ---------------------------------------------------------------------


class PageBuilder:
    """One page being laid out; coordinates in millimetres from the top-left corner."""

    def __init__(self, builder: DocumentBuilder, page_id: int, layer_id: int, width: float, height: float) -> None:
        self._builder = builder
        self.id = page_id
        self.width = width
        self.height = height
        self._page = _root("Page")
        area = _el(self._page, "Area")
        _el(area, "PhysicalBox", Box(0, 0, width, height).to_text())
        content = _el(self._page, "Content")
        self._layer = _el(content, "Layer", ID=str(layer_id), Type="Body")

    def add_text(
        self,
        text: str,
        x: float,
        y: float,
        *,
        size: float = 5.0,
        font: int | None = None,
        color: RGB = (0, 0, 0),
        delta_x: Sequence[float] | None = None,
        bold: bool = False,
    ) -> int:
        """Place one line of text; returns the TextObject ID.

        :param x: left edge of the line (mm).
        :param y: top of the line's em box (mm); the baseline is at ``y + 0.88 * size``.
        :param size: font size in mm (GB/T 33190 sizes are millimetres, not points).
        :param font: a font ID from :meth:`DocumentBuilder.add_font` (default: 宋体).
        :param delta_x: advance after each glyph but the last (mm); default: the embedded
            font's widths, else one em for CJK glyphs and half an em for others.
        """
        if not text or "\n" in text:
            raise ValueError("add_text() takes one non-empty line")
        _finite(x, y, size)
        if size <= 0:
            raise ValueError("size must be positive")
        font_id = font if font is not None else self._builder.default_font()
        if delta_x is None:
            advances = [self._builder.advance(c, size, font_id) for c in text[:-1]]
        else:
            advances = [float(v) for v in delta_x]
            if len(advances) != len(text) - 1:
                raise ValueError(f"delta_x needs {len(text) - 1} values (one per glyph gap)")
            _finite(*advances)
        width = sum(advances) + self._builder.advance(text[-1], size, font_id)
        object_id = self._builder._next_id()
        attrs = {"ID": str(object_id), "Boundary": Box(x, y, width, size * 1.2).to_text(),
                 "Font": str(font_id), "Size": _num(size)}
        if bold:
            attrs["Weight"] = "700"
        element = _el(self._layer, "TextObject", **attrs)
        if color != (0, 0, 0):
            _el(element, "FillColor", Value=_color(color))
        code = _el(element, "TextCode", text, X="0", Y=_num(ASCENT * size))
        if advances:
            code.set("DeltaX", " ".join(_num(v) for v in advances))
        return object_id

    def add_image(self, data: bytes, x: float, y: float, width: float, height: float) -> int:
        """Place a PNG or JPEG image stretched over the box; returns the ImageObject ID."""
        _finite(x, y, width, height)
        resource = self._builder._media_id(data)
        object_id = self._builder._next_id()
        _el(self._layer, "ImageObject", ID=str(object_id), Boundary=Box(x, y, width, height).to_text(),
            CTM=f"{_num(width)} 0 0 {_num(height)} 0 0", ResourceID=str(resource))
        return object_id

    def add_line(self, x1: float, y1: float, x2: float, y2: float, *, line_width: float = 0.353,
                 color: RGB = (0, 0, 0)) -> int:
        """Draw a straight line; returns the PathObject ID."""
        _finite(x1, y1, x2, y2, line_width)
        # The Boundary holds the whole stroke (renderers may clip to it), as ofdrw does.
        pad = line_width / 2
        left, top = min(x1, x2) - pad, min(y1, y2) - pad
        box = Box(left, top, abs(x2 - x1) + line_width, abs(y2 - y1) + line_width)
        data = f"M {_num(x1 - left)} {_num(y1 - top)} L {_num(x2 - left)} {_num(y2 - top)}"
        return self._path(box, data, line_width, stroke=color, fill=None)

    def add_rect(self, x: float, y: float, width: float, height: float, *, line_width: float = 0.353,
                 stroke: RGB | None = (0, 0, 0), fill: RGB | None = None) -> int:
        """Draw a rectangle (stroked, filled or both); returns the PathObject ID."""
        _finite(x, y, width, height, line_width)
        if stroke is None and fill is None:
            raise ValueError("a rectangle needs a stroke or a fill colour")
        pad = line_width / 2 if stroke is not None else 0.0
        p, r, b = _num(pad), _num(pad + width), _num(pad + height)
        data = f"M {p} {p} L {r} {p} L {r} {b} L {p} {b} C"
        box = Box(x - pad, y - pad, width + 2 * pad, height + 2 * pad)
        return self._path(box, data, line_width, stroke=stroke, fill=fill)

    def _path(self, box: Box, data: str, line_width: float, *, stroke: RGB | None, fill: RGB | None) -> int:
        object_id = self._builder._next_id()
        element = _el(self._layer, "PathObject", ID=str(object_id), Boundary=box.to_text(),
                      LineWidth=_num(line_width), Stroke="true" if stroke else "false",
                      Fill="true" if fill else "false")
        if fill is not None:
            _el(element, "FillColor", Value=_color(fill))
        if stroke is not None:
            _el(element, "StrokeColor", Value=_color(stroke))
        _el(element, "AbbreviatedData", data)
        return object_id


class DocumentBuilder:
    """Build a new single-document OFD package.

    :param page_size: default (width, height) of pages in mm (A4 portrait by default).
    :param doc_id: DocInfo/DocID (32 hex characters); by default derived from the content, so
        the same input always gives the same bytes.
    """

    def __init__(self, *, page_size: tuple[float, float] = (210.0, 297.0), doc_id: str | None = None) -> None:
        _finite(*page_size)
        self.page_size = page_size
        self.doc_id = doc_id
        self._counter = 0
        self._pages: list[PageBuilder] = []
        self._fonts: list[tuple[int, str, str | None, str | None]] = []
        self._files: dict[str, bytes] = {}
        self._media: dict[bytes, tuple[int, str, str]] = {}
        self._default_font: int | None = None
        self._metrics: dict[int, dict[int, float]] = {}
        self._info: dict[str, str] = {}
        self._keywords: tuple[str, ...] = ()
        self._custom_data: list[tuple[str, str]] = []
        self._tags: list[tuple[str, str | None, str]] = []
        self._attachments: list[tuple[int, str, str, dict[str, str]]] = []

    def _next_id(self) -> int:
        self._counter += 1
        return self._counter

    # ---- resources -------------------------------------------------------------------------

    def add_font(self, name: str = "宋体", *, family: str | None = None, file: bytes | None = None,
                 file_name: str | None = None) -> int:
        """Declare a font; returns its ID.

        :param file: TrueType/OpenType bytes to embed (readers then draw exactly this font, and
            :meth:`PageBuilder.add_text` takes its default advances from the font's metrics).
            Without it readers substitute a font by name.
        :raises ValueError: ``file`` is not a font fontTools can read.
        """
        if not name:
            raise ValueError("a font needs a name")
        metrics = _font_advances(file) if file is not None else None
        font_id = self._next_id()
        loc = None
        if file is not None:
            loc = file_name or f"font_{font_id}.ttf"
            self._add_res_file(loc, file)
        self._fonts.append((font_id, name, family or name, loc))
        if metrics is not None:
            self._metrics[font_id] = metrics
        return font_id

    def advance(self, char: str, size: float, font: int | None = None) -> float:
        """The default advance of ``char``: the embedded font's width, else one em for wide
        (CJK) glyphs and half an em for others."""
        widths = self._metrics.get(font) if font is not None else None
        if widths is not None and ord(char) in widths:
            return widths[ord(char)] * size
        return default_advance(char, size)

    def default_font(self) -> int:
        """The font used when none is given (宋体, declared on first use)."""
        if self._default_font is None:
            self._default_font = self.add_font("宋体")
        return self._default_font

    def _add_res_file(self, loc: str, data: bytes) -> None:
        name = f"Doc_0/Res/{loc}"
        _check_name(name)
        if name in self._files:
            raise ValueError(f"resource file {loc!r} already exists")
        self._files[name] = bytes(data)

    def _media_id(self, data: bytes) -> int:
        known = self._media.get(data)
        if known is not None:
            return known[0]
        fmt = _image_format(data)
        media_id = self._next_id()
        loc = f"image_{media_id}.{'png' if fmt == 'PNG' else 'jpg'}"
        self._add_res_file(loc, data)
        self._media[data] = (media_id, fmt, loc)
        return media_id

    # ---- pages -----------------------------------------------------------------------------

    def add_page(self, size: tuple[float, float] | None = None) -> PageBuilder:
        """Append a page ((width, height) in mm; default: the builder's page size)."""
        width, height = size or self.page_size
        _finite(width, height)
        if width <= 0 or height <= 0:
            raise ValueError("page sizes must be positive")
        page_id = self._next_id()
        page = PageBuilder(self, page_id, self._next_id(), width, height)
        self._pages.append(page)
        return page

    # ---- structured data -------------------------------------------------------------------

    def set_info(self, *, title: str | None = None, author: str | None = None, subject: str | None = None,
                 abstract: str | None = None, creation_date: str | None = None, mod_date: str | None = None,
                 creator: str | None = "trustkit", creator_version: str | None = None,
                 keywords: Iterable[str] = (), custom_data: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        """DocInfo fields (dates as ``YYYY-MM-DD``) and CustomDatas (name/value pairs, in order)."""
        fields = {"Title": title, "Author": author, "Subject": subject, "Abstract": abstract,
                  "CreationDate": creation_date, "ModDate": mod_date, "Creator": creator,
                  "CreatorVersion": creator_version}
        self._info = {k: v for k, v in fields.items() if v is not None}
        self._keywords = tuple(keywords)
        pairs = custom_data.items() if isinstance(custom_data, Mapping) else custom_data
        self._custom_data = [(str(k), str(v)) for k, v in pairs]

    def add_custom_tag(self, type_id: str, data: bytes, *, file_name: str | None = None,
                       name_space: str | None = None) -> str:
        """Attach a custom tag file (XML indexing page objects by ID, GB/T 33190 §16).

        Both ``TypeID`` (the standard's text) and ``NameSpace`` (its XSD) are written.
        :returns: the part name of the tag file.
        """
        loc = file_name or f"Tag_{len(self._tags)}.xml"
        name = f"Doc_0/Tags/{loc}"
        _check_name(name)
        if name in self._files:
            raise ValueError(f"tag file {loc!r} already exists")
        self._files[name] = bytes(data)
        self._tags.append((type_id, name_space or type_id, loc))
        return name

    def add_attachment(self, name: str, data: bytes, *, format: str | None = None, usage: str | None = None,
                       creation_date: str | None = None, visible: bool = True, file_name: str | None = None) -> str:
        """Attach a file (GB/T 33190 §17); returns its part name."""
        if not name:
            raise ValueError("an attachment needs a name")
        attachment_id = self._next_id()
        loc = file_name or f"attach_{attachment_id}.dat"
        part = f"Doc_0/Attachs/{loc}"
        _check_name(part)
        if part in self._files:
            raise ValueError(f"attachment file {loc!r} already exists")
        self._files[part] = bytes(data)
        attrs = {"Name": name, "Size": _num(len(data) / 1024), "Visible": "true" if visible else "false"}
        if format:
            attrs["Format"] = format
        if usage:
            attrs["Usage"] = usage
        if creation_date:
            attrs["CreationDate"] = creation_date
        self._attachments.append((attachment_id, name, loc, attrs))
        return part

    # ---- output ----------------------------------------------------------------------------

    def build(self) -> bytes:
        """The package bytes (deterministic)."""
        return self.package().to_bytes()

    def write(self, path: str | os.PathLike[str], *, overwrite: bool = True) -> None:
        """Write the package atomically."""
        self.package().write(path, overwrite=overwrite)

    def package(self) -> PackageWriter:
        """The parts as a :class:`PackageWriter` (OFD.xml first)."""
        if not self._pages:
            raise ValueError("a document needs at least one page")
        parts: dict[str, bytes] = {}
        parts["Doc_0/Document.xml"] = self._document_xml()
        if self._fonts:
            res = _root("Res", BaseLoc="Res")
            fonts = _el(res, "Fonts")
            for font_id, name, family, loc in self._fonts:
                font = _el(fonts, "Font", ID=str(font_id), FontName=name, FamilyName=family or name)
                if loc:
                    _el(font, "FontFile", loc)
            parts["Doc_0/PublicRes.xml"] = serialize_xml(res)
        if self._media:
            res = _root("Res", BaseLoc="Res")
            media = _el(res, "MultiMedias")
            for media_id, fmt, loc in sorted(self._media.values()):
                item = _el(media, "MultiMedia", ID=str(media_id), Type="Image", Format=fmt)
                _el(item, "MediaFile", loc)
            parts["Doc_0/DocumentRes.xml"] = serialize_xml(res)
        for index, page in enumerate(self._pages):
            parts[f"Doc_0/Pages/Page_{index}/Content.xml"] = serialize_xml(page._page)
        if self._tags:
            root = _root("CustomTags")
            for type_id, name_space, loc in self._tags:
                tag = _el(root, "CustomTag", TypeID=type_id)
                if name_space:
                    tag.set("NameSpace", name_space)
                _el(tag, "FileLoc", loc)
            parts["Doc_0/Tags/CustomTags.xml"] = serialize_xml(root)
        if self._attachments:
            root = _root("Attachments")
            for attachment_id, _name, loc, attrs in self._attachments:
                item = _el(root, "Attachment", ID=str(attachment_id), **attrs)
                _el(item, "FileLoc", loc)
            parts["Doc_0/Attachs/Attachments.xml"] = serialize_xml(root)
        parts.update(self._files)
        writer = PackageWriter()
        writer.set("OFD.xml", self._ofd_xml(parts))
        for name, data in parts.items():
            writer.set(name, data)
        return writer

    def _document_xml(self) -> bytes:
        root = _root("Document")
        common = _el(root, "CommonData")
        _el(common, "MaxUnitID", str(self._counter))
        area = _el(common, "PageArea")
        _el(area, "PhysicalBox", Box(0, 0, *self.page_size).to_text())
        if self._fonts:
            _el(common, "PublicRes", "PublicRes.xml")
        if self._media:
            _el(common, "DocumentRes", "DocumentRes.xml")
        pages = _el(root, "Pages")
        for index, page in enumerate(self._pages):
            _el(pages, "Page", ID=str(page.id), BaseLoc=f"Pages/Page_{index}/Content.xml")
        if self._tags:
            _el(root, "CustomTags", "Tags/CustomTags.xml")
        if self._attachments:
            _el(root, "Attachments", "Attachs/Attachments.xml")
        return serialize_xml(root)

    def _ofd_xml(self, parts: Mapping[str, bytes]) -> bytes:
        doc_id = self.doc_id
        if doc_id is None:
            digest = sm3.SM3()
            for name, data in parts.items():
                digest.update(name.encode() + b"\x00" + sm3.hash(data))
            for key, value in (*self._info.items(), *self._custom_data, *((k, "") for k in self._keywords)):
                digest.update(key.encode() + b"\x00" + value.encode() + b"\x00")
            doc_id = digest.hexdigest()[:32]
        root = _root("OFD", Version="1.0", DocType="OFD")
        body = _el(root, "DocBody")
        info = _el(body, "DocInfo")
        _el(info, "DocID", doc_id)
        for key in ("Title", "Author", "Subject", "Abstract", "CreationDate", "ModDate"):
            if key in self._info:
                _el(info, key, self._info[key])
        if self._keywords:
            keywords = _el(info, "Keywords")
            for keyword in self._keywords:
                _el(keywords, "Keyword", keyword)
        for key in ("Creator", "CreatorVersion"):
            if key in self._info:
                _el(info, key, self._info[key])
        if self._custom_data:
            customs = _el(info, "CustomDatas")
            for name, value in self._custom_data:
                _el(customs, "CustomData", value, Name=name)
        _el(body, "DocRoot", "Doc_0/Document.xml")
        return serialize_xml(root)
