"""Checking a seal picture supplied by a user (GB/T 38540 ``SES_ESPictrueInfo`` types).

The picture is untrusted: its byte size and pixel count are capped before anything is
decoded (a PNG header may claim 100000 x 100000 pixels), SVG is parsed with entities,
DTDs and network access off and must not script, and an OFD picture is only checked
for its zip directory with ``OFD.xml`` at the root (nothing is decompressed).
"""

from __future__ import annotations

import re
import warnings
import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from typing import Literal

from lxml import etree
from PIL import Image

from trustkit.errors import DecodeError

__all__ = ["MAX_PICTURE_BYTES", "MAX_PICTURE_PIXELS", "PictureKind", "SealPicture", "load_seal_picture"]

PictureKind = Literal["png", "jpg", "gif", "bmp", "svg", "ofd"]

#: Largest picture accepted by default (seal pictures are a few tens of kilobytes).
MAX_PICTURE_BYTES = 4 * 1024 * 1024
#: Largest pixel count accepted by default (4000 x 4000, a 42 mm seal at 2400 dpi).
MAX_PICTURE_PIXELS = 16_000_000

_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_UNIT_MM = {"mm": 1.0, "cm": 10.0, "in": 25.4, "pt": 25.4 / 72, "pc": 25.4 / 6}
_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(mm|cm|in|pt|pc|px)?\s*$")


@dataclass(frozen=True)
class SealPicture:
    """A checked seal picture.

    :ivar kind: the ``SES_ESPictrueInfo.type`` string, lower case (``"png"``, ``"jpg"``, ``"gif"``,
        ``"bmp"``, ``"svg"`` or ``"ofd"``; write it upper case if a relying party expects that).
    :ivar data: the bytes exactly as supplied.
    :ivar width_px: pixel width (SVG: CSS pixels at 96 per inch), ``None`` when not stated (OFD).
    :ivar height_px: pixel height, likewise.
    :ivar width_mm: physical width when the picture states one (raster DPI, SVG absolute units), else ``None``.
    :ivar height_mm: physical height, likewise.
    """

    kind: PictureKind
    data: bytes = field(repr=False)
    width_px: int | None
    height_px: int | None
    width_mm: float | None = None
    height_mm: float | None = None


_RASTER_MAGIC: tuple[tuple[bytes, PictureKind, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "png", "PNG"),
    (b"\xff\xd8\xff", "jpg", "JPEG"),
    (b"GIF87a", "gif", "GIF"),
    (b"GIF89a", "gif", "GIF"),
    (b"BM", "bmp", "BMP"),
)


def load_seal_picture(
    data: bytes, *, max_bytes: int = MAX_PICTURE_BYTES, max_pixels: int = MAX_PICTURE_PIXELS
) -> SealPicture:
    """Identify and check a user-supplied seal picture (PNG, JPEG, GIF, BMP, SVG or OFD).

    :param data: the picture file's bytes.
    :param max_bytes: refuse larger inputs.
    :param max_pixels: refuse rasters whose header claims more pixels (checked before decoding).
    :returns: the picture's kind and size; ``data`` is kept unchanged.
    :raises DecodeError: empty, too large, of another format, malformed, an SVG with a DOCTYPE,
        script or external reference, or a zip without ``OFD.xml`` at its root.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise DecodeError("the seal picture is empty")
    if len(data) > max_bytes:
        raise DecodeError(f"the seal picture is {len(data)} bytes; the limit is {max_bytes}")
    for magic, kind, pil_format in _RASTER_MAGIC:
        if data.startswith(magic):
            return _raster(data, kind, pil_format, max_pixels)
    if data.startswith(b"PK\x03\x04"):
        return _ofd(data)
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"<?xml", b"<svg", b"<!--")):
        return _svg(data)
    raise DecodeError("unsupported seal picture format; expected PNG, JPEG, GIF, BMP, SVG or OFD")


def _raster(data: bytes, kind: PictureKind, pil_format: str, max_pixels: int) -> SealPicture:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data), formats=[pil_format]) as image:
                width, height = image.size
                if width <= 0 or height <= 0 or width * height > max_pixels:
                    raise DecodeError(
                        f"the {kind.upper()} picture claims {width} x {height} pixels; the limit is {max_pixels} pixels"
                    )
                image.load()
                dpi = image.info.get("dpi")
    except DecodeError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own, larger, limit tripped while reading the header.
        raise DecodeError(
            f"the {kind.upper()} picture claims too many pixels ({exc}); the limit is {max_pixels} pixels"
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise DecodeError(f"malformed {kind.upper()} seal picture: {exc}") from exc
    width_mm = height_mm = None
    if isinstance(dpi, tuple) and len(dpi) == 2 and all(isinstance(v, (int, float)) and v > 1 for v in dpi):
        width_mm, height_mm = width / float(dpi[0]) * 25.4, height / float(dpi[1]) * 25.4
    return SealPicture(kind, data, width, height, width_mm, height_mm)


def _svg_length(value: str | None) -> tuple[float, float | None] | None:
    """(CSS pixels, mm or None) for an SVG length; ``None`` for absent or relative (%, em) lengths."""
    if value is None:
        return None
    match = _LENGTH.match(value)
    if match is None:
        return None
    number, unit = float(match.group(1)), match.group(2) or "px"
    if unit == "px":
        return number, None
    mm = number * _UNIT_MM[unit]
    return mm / 25.4 * 96, mm


def _svg(data: bytes) -> SealPicture:
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        raise DecodeError("SVG seal pictures must not contain a DOCTYPE or entity declarations")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise DecodeError(f"malformed SVG seal picture: {exc}") from exc
    if root.getroottree().docinfo.doctype:
        raise DecodeError("SVG seal pictures must not contain a DOCTYPE or entity declarations")
    if root.tag != f"{{{_SVG_NS}}}svg":
        raise DecodeError(f"not an SVG document: the root element is {root.tag!r}, not svg in the SVG namespace")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions
        local = etree.QName(element).localname
        if local in ("script", "foreignObject"):
            raise DecodeError(f"SVG seal pictures must not contain <{local}>")
        for name, value in element.attrib.items():
            if etree.QName(name).localname.lower().startswith("on"):
                raise DecodeError(f"SVG seal pictures must not contain event handlers ({etree.QName(name).localname})")
            if (name == "href" or name == _XLINK_HREF) and not value.startswith(("#", "data:")):
                raise DecodeError("SVG seal pictures must not reference external resources")
    width, height = _svg_length(root.get("width")), _svg_length(root.get("height"))
    if width is None or height is None:
        box = (root.get("viewBox") or "").replace(",", " ").split()
        try:
            vb_w, vb_h = float(box[2]), float(box[3])
        except (IndexError, ValueError):
            return SealPicture("svg", data, None, None)
        width, height = width or (vb_w, None), height or (vb_h, None)
    return SealPicture("svg", data, round(width[0]), round(height[0]), width[1], height[1])


def _ofd(data: bytes) -> SealPicture:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DecodeError(f"malformed OFD seal picture (not a zip archive): {exc}") from exc
    if "OFD.xml" not in names:
        raise DecodeError("a zip seal picture must be an OFD package with OFD.xml at its root")
    return SealPicture("ofd", data, None, None)
