"""Seal appearances: the seal picture as a PDF image XObject with a soft mask, and form XObjects.

The picture is drawn at its true physical size (1 mm = 72/25.4 pt, ISO 32000-1 8.3.2.3 default
user space).  Transparency is an ``/SMask`` (ISO 32000-1 11.6.5.3): the alpha channel as a
DeviceGray image, so the page shows through everywhere the seal has no ink.  A riding seal
(骑缝章) shows one vertical slice of the picture per page: the form XObject's ``/BBox`` clips
the full picture, shifted left by the slices before it.
"""
# mypy: disable-error-code="no-untyped-call"
# (pyHanko ships type hints, but many of its constructors and helpers are unannotated.)

from __future__ import annotations

import hashlib
import threading
import weakref
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from io import BytesIO
from typing import Any, Final

from PIL import Image
from pyhanko.pdf_utils import generic

from trustkit.errors import DecodeError
from trustkit.seal.image import SealImage, load_seal_picture

__all__ = ["MM", "SealRaster", "add_appearance", "add_image", "seal_raster"]

#: Points per millimetre.
MM: Final = 72 / 25.4
#: Resolution a generated :class:`SealImage` is rasterised at.
RENDER_DPI: Final = 300.0
_CACHE_SIZE: Final = 16


@dataclass(frozen=True)
class SealRaster:
    """A seal picture ready for PDF: Flate-compressed RGB samples and alpha (or None when opaque)."""

    width_mm: float
    height_mm: float
    width_px: int
    height_px: int
    rgb: bytes
    alpha: bytes | None

    @property
    def width_pt(self) -> float:
        return self.width_mm * MM

    @property
    def height_pt(self) -> float:
        return self.height_mm * MM


def _from_pillow(image: Image.Image, width_mm: float, height_mm: float) -> SealRaster:
    rgba = image.convert("RGBA")
    rgb = rgba.convert("RGB").tobytes()
    alpha_band = rgba.getchannel("A")
    extrema = alpha_band.getextrema()
    opaque = isinstance(extrema, tuple) and extrema[0] == 255
    alpha = None if opaque else zlib.compress(alpha_band.tobytes(), 6)
    return SealRaster(width_mm, height_mm, rgba.width, rgba.height, zlib.compress(rgb, 6), alpha)


_lock = threading.Lock()
_by_digest: OrderedDict[bytes, SealRaster] = OrderedDict()
# Generated SealImages are cached by identity (their dataclass hash walks every shape); the
# weak reference drops the entry when the image goes away.
_by_id: dict[int, tuple[weakref.ref[SealImage], SealRaster]] = {}


def _picture_raster(data: bytes, size_mm: tuple[float, float] | None) -> SealRaster:
    picture = load_seal_picture(data)
    if picture.kind not in ("png", "jpg", "gif", "bmp"):
        raise ValueError(f"the seal picture must be a raster image (PNG preferred), not {picture.kind}")
    if size_mm is not None:
        width_mm, height_mm = size_mm
    elif picture.width_mm is not None and picture.height_mm is not None:
        width_mm, height_mm = picture.width_mm, picture.height_mm
    else:
        raise ValueError("the seal picture states no physical size (no DPI): pass seal_size_mm=(width, height)")
    try:
        with Image.open(BytesIO(data)) as image:
            image.load()
            return _from_pillow(image, width_mm, height_mm)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise DecodeError(f"cannot decode the seal picture: {exc}") from None


def seal_raster(seal: SealImage | bytes, size_mm: tuple[float, float] | None = None) -> SealRaster:
    """Rasterise (and cache) a seal for embedding.

    :param seal: a generated :class:`SealImage` (rendered at 300 dpi) or picture bytes (PNG with
        an alpha channel is best; JPEG/GIF/BMP are accepted and drawn opaque unless they carry alpha).
    :param size_mm: the physical size; default the SealImage's size or the picture's DPI.
    :raises ValueError: no physical size known, sizes out of 1..500 mm, or not a raster picture.
    :raises DecodeError: a malformed picture.
    """
    if size_mm is not None:
        if len(size_mm) != 2 or not all(1 <= float(v) <= 500 for v in size_mm):
            raise ValueError("seal_size_mm must be (width, height), each 1..500 mm")
        size_mm = (float(size_mm[0]), float(size_mm[1]))
    if isinstance(seal, SealImage):
        with _lock:
            entry = _by_id.get(id(seal))
        if entry is not None and entry[0]() is seal and size_mm in (None, (entry[1].width_mm, entry[1].height_mm)):
            return entry[1]
        width_mm, height_mm = size_mm if size_mm is not None else (seal.width_mm, seal.height_mm)
        raster = _from_pillow(seal.to_pillow(RENDER_DPI), width_mm, height_mm)
        if size_mm is None:
            key = id(seal)
            with _lock:
                _by_id[key] = (weakref.ref(seal, lambda _ref: _by_id.pop(key, None)), raster)
        return raster
    if not isinstance(seal, (bytes, bytearray, memoryview)):
        raise TypeError("seal_image must be a SealImage or picture bytes")
    data = bytes(seal)
    digest = hashlib.sha256(data + repr(size_mm).encode()).digest()
    with _lock:
        hit = _by_digest.get(digest)
        if hit is not None:
            _by_digest.move_to_end(digest)
            return hit
    raster = _picture_raster(data, size_mm)
    with _lock:
        _by_digest[digest] = raster
        while len(_by_digest) > _CACHE_SIZE:
            _by_digest.popitem(last=False)
    return raster


def add_image(writer: Any, raster: SealRaster) -> Any:
    """Add the image XObject (and its soft mask) to a pyHanko writer; returns the reference."""
    common = {
        "/Type": generic.NameObject("/XObject"),
        "/Subtype": generic.NameObject("/Image"),
        "/Width": generic.NumberObject(raster.width_px),
        "/Height": generic.NumberObject(raster.height_px),
        "/BitsPerComponent": generic.NumberObject(8),
        "/Filter": generic.NameObject("/FlateDecode"),
    }
    image = generic.DictionaryObject(dict(common, **{"/ColorSpace": generic.NameObject("/DeviceRGB")}))
    if raster.alpha is not None:
        mask = generic.StreamObject(
            dict(common, **{"/ColorSpace": generic.NameObject("/DeviceGray")}), encoded_data=raster.alpha
        )
        image["/SMask"] = writer.add_object(mask)
    return writer.add_object(generic.StreamObject(image, encoded_data=raster.rgb))


def _num(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def add_appearance(writer: Any, image_ref: Any, raster: SealRaster, *, part: int = 0, parts: int = 1) -> Any:
    """A form XObject showing the picture at true size, or its ``part``-th of ``parts`` vertical slices.

    Its ``/BBox`` is ``[0 0 w h]`` with ``w`` the slice width in points, so an annotation whose
    ``/Rect`` has that size draws it 1:1 (ISO 32000-1 12.5.5, appearance streams).
    """
    if not 0 <= part < parts:
        raise ValueError("part must be in 0..parts-1")
    width, height = raster.width_pt, raster.height_pt
    slice_width = width / parts
    ops = f"q {_num(width)} 0 0 {_num(height)} {_num(-part * slice_width)} 0 cm /Seal Do Q".encode("ascii")
    form = generic.StreamObject(
        {
            "/Type": generic.NameObject("/XObject"),
            "/Subtype": generic.NameObject("/Form"),
            "/BBox": generic.ArrayObject(
                [generic.FloatObject(0), generic.FloatObject(0), generic.FloatObject(round(slice_width, 4)),
                 generic.FloatObject(round(height, 4))]
            ),
            "/Resources": generic.DictionaryObject(
                {"/XObject": generic.DictionaryObject({"/Seal": image_ref})}
            ),
        },
        stream_data=ops,
    )
    return writer.add_object(form)
