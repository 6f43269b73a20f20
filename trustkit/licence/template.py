"""Declarative licence templates: where each part of a licence goes on its page.

A template is a small JSON object (the CLI also reads the same shape from TOML; the library
itself parses no TOML, see style anchors 2.1), validated strictly: unknown keys, wrong types,
boxes off the page and unknown record fields are refused with a message naming the key.
Coordinates are millimetres from the page's top-left corner (OFD's convention), sizes are font
sizes in millimetres (GB/T 33190 sizes are mm, not points)::

    {
      "format": "trustkit-licence-template/1",
      "name": "营业执照",
      "page": {"width": 297, "height": 210},
      "background": {"color": [255, 253, 245], "image": "bg.png",        # both optional
                     "border": {"inset": 8, "width": 1.2, "color": [180, 30, 30]}},
      "texts":  [{"text": "营业执照", "x": 148.5, "y": 22, "size": 14, "align": "center",
                  "bold": true, "color": [180, 30, 30]}],
      "lines":  [{"x1": 20, "y1": 40, "x2": 277, "y2": 40, "width": 0.4}],
      "fields": [{"field": "holder_name", "label": "名称", "label_width": 28, "x": 30, "y": 60,
                  "width": 150, "size": 4.5, "min_size": 3, "max_lines": 2, "align": "left",
                  "date_format": "cn"}],
      "photo":  {"x": 230, "y": 50, "width": 35, "height": 45},      # optional
      "qr":     {"x": 235, "y": 130, "size": 35},                      # optional
      "seal":   {"x": 200, "y": 140, "width": 42, "height": 42}       # required
    }

``field`` names a :class:`~trustkit.licence.model.LicenceRecord` field (:data:`FIELD_NAMES`), a
derived one (``holder_id_type_name``, ``validity``: "2026年05月20日至2029年05月19日" or "长期")
or an extra field as ``extra.<name>``.  A field box shrinks its font from ``size`` down to
``min_size`` until the value fits ``width``, then wraps onto up to ``max_lines`` lines; a value
that still does not fit is an error at issue time (never silently clipped).  ``align`` is
``left``, ``center`` or ``right`` within the box (a text's ``x`` is its left edge, centre or
right edge accordingly).  Image files named by the template (``background.image``) are read
relative to the template's directory, PNG or JPEG, at most 8 MiB.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from trustkit.errors import DecodeError
from trustkit.licence.model import LicenceRecord

__all__ = [
    "FIELD_NAMES",
    "TEMPLATE_FORMAT",
    "Align",
    "Border",
    "FieldBox",
    "ImageBox",
    "LineItem",
    "QrBox",
    "SealBox",
    "StaticText",
    "Template",
    "field_value",
    "load_template",
]

TEMPLATE_FORMAT = "trustkit-licence-template/1"
#: Record fields a field box may name (besides ``extra.<name>``).
FIELD_NAMES: frozenset[str] = frozenset({
    "identifier", "licence_type_code", "licence_type_name", "licence_number", "holder_name",
    "holder_id_type", "holder_id_type_name", "holder_code", "issuer_name", "issuer_code", "issue_date",
    "valid_from", "valid_to", "validity", "status",
})
Align = Literal["left", "center", "right"]
RGB = tuple[int, int, int]

_MAX_TEMPLATE = 1 << 20
_MAX_IMAGE = 8 << 20
_MAX_ITEMS = 200
_MAX_PAGE_MM = 2000.0
_DATE_FORMATS = ("cn", "iso")
_STATUS_NAMES = {"valid": "有效", "revoked": "已撤销", "suspended": "已暂停"}


def _fail(where: str, message: str) -> DecodeError:
    return DecodeError(f"licence template: {where}: {message}", code="invalid_template")


def _keys(obj: object, where: str, required: Sequence[str], optional: Sequence[str] = ()) -> Mapping[str, Any]:
    if not isinstance(obj, Mapping):
        raise _fail(where, "must be an object")
    missing = [k for k in required if k not in obj]
    if missing:
        raise _fail(where, f"missing key(s): {', '.join(missing)}")
    unknown = sorted(str(k) for k in obj if k not in required and k not in optional)
    if unknown:
        raise _fail(where, f"unknown key(s): {', '.join(unknown)} (allowed: {', '.join([*required, *optional])})")
    return obj


def _number(obj: Mapping[str, Any], key: str, where: str, *, default: float | None = None,
            low: float = 0.0, high: float = _MAX_PAGE_MM, positive: bool = False) -> float:
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail(f"{where}.{key}", f"must be a number, got {value!r}")
    if value < low or value > high or (positive and value <= 0):
        raise _fail(f"{where}.{key}", f"{value} is out of range ({'>' if positive else '>='} {low}, <= {high})")
    return float(value)


def _string(obj: Mapping[str, Any], key: str, where: str, *, default: str | None = None, limit: int = 200) -> str:
    value = obj.get(key, default)
    if not isinstance(value, str) or not value or len(value) > limit or "\n" in value:
        raise _fail(f"{where}.{key}", f"must be one line of 1-{limit} characters, got {value!r}")
    return value


def _bool(obj: Mapping[str, Any], key: str, where: str, default: bool = False) -> bool:
    value = obj.get(key, default)
    if not isinstance(value, bool):
        raise _fail(f"{where}.{key}", "must be true or false")
    return value


def _color(obj: Mapping[str, Any], key: str, where: str, default: RGB | None = (0, 0, 0)) -> RGB | None:
    value = obj.get(key, default)
    if value is None:
        return None
    if (not isinstance(value, (list, tuple)) or len(value) != 3
            or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in value)):
        raise _fail(f"{where}.{key}", f"must be [r, g, b] with integers 0-255, got {value!r}")
    return (int(value[0]), int(value[1]), int(value[2]))


def _align(obj: Mapping[str, Any], where: str) -> Align:
    value = obj.get("align", "left")
    if value not in ("left", "center", "right"):
        raise _fail(f"{where}.align", f"must be left, center or right, got {value!r}")
    return value  # type: ignore[no-any-return]


def _list(obj: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = obj.get(key, [])
    if not isinstance(value, list) or len(value) > _MAX_ITEMS:
        raise _fail(f"{where}.{key}", f"must be a list of at most {_MAX_ITEMS} items")
    return value


def _image_bytes(name: object, where: str, base_dir: Path | None) -> bytes:
    if not isinstance(name, str) or not name:
        raise _fail(where, "must name a PNG or JPEG file")
    path = Path(name)
    if not path.is_absolute():
        if base_dir is None:
            raise _fail(where, f"{name!r} is relative but the template has no directory to resolve it in")
        path = base_dir / path
    try:
        size = path.stat().st_size
        if size > _MAX_IMAGE:
            raise _fail(where, f"{path} is larger than {_MAX_IMAGE} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise _fail(where, f"cannot read {path}: {exc.strerror or exc}") from None
    if not (data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"))):
        raise _fail(where, f"{path} is not a PNG or JPEG image")
    return data


@dataclass(frozen=True)
class Border:
    """A frame ``inset`` mm inside the page edge."""

    inset: float
    width: float
    color: RGB


@dataclass(frozen=True)
class StaticText:
    """Fixed text (titles, labels, notes); ``x`` is the left edge, centre or right edge per ``align``."""

    text: str
    x: float
    y: float
    size: float
    align: Align = "left"
    bold: bool = False
    color: RGB = (0, 0, 0)


@dataclass(frozen=True)
class LineItem:
    """A straight decorative line."""

    x1: float
    y1: float
    x2: float
    y2: float
    width: float = 0.353
    color: RGB = (0, 0, 0)


@dataclass(frozen=True)
class FieldBox:
    """A record field printed in a box ``width`` mm wide, with an optional label to its left.

    :ivar field: a name of :data:`FIELD_NAMES` or ``extra.<name>``.
    :ivar label: printed at ``x``; the value starts at ``x + label_width``.
    :ivar date_format: ``cn`` (2026年05月20日) or ``iso`` (2026-05-20) for date values.
    """

    field: str
    x: float
    y: float
    width: float
    size: float
    min_size: float
    max_lines: int = 1
    line_spacing: float = 1.35
    align: Align = "left"
    label: str | None = None
    label_width: float = 0.0
    bold: bool = False
    color: RGB = (0, 0, 0)
    date_format: str = "cn"


@dataclass(frozen=True)
class ImageBox:
    """A box for the holder's photo."""

    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class QrBox:
    """A square box for the scan-to-show QR code (with an optional caption under it)."""

    x: float
    y: float
    size: float
    caption: str | None = None


@dataclass(frozen=True)
class SealBox:
    """Where the issuing authority's seal is stamped (top-left corner; size default: the seal picture's)."""

    x: float
    y: float
    width: float | None = None
    height: float | None = None


@dataclass(frozen=True)
class Template:
    """A validated licence template (see the module docstring for the file format)."""

    name: str
    page_width: float
    page_height: float
    seal: SealBox
    background_color: RGB | None = None
    background_image: bytes | None = None
    border: Border | None = None
    texts: tuple[StaticText, ...] = ()
    lines: tuple[LineItem, ...] = ()
    fields: tuple[FieldBox, ...] = ()
    photo: ImageBox | None = None
    qr: QrBox | None = None

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any], *, base_dir: str | os.PathLike[str] | None = None) -> Template:
        """Validate a template object (as parsed from JSON or TOML).

        :param base_dir: the directory relative image paths are read from.
        :raises DecodeError: (code ``invalid_template``) naming the bad key.
        """
        base = Path(base_dir) if base_dir is not None else None
        top = _keys(obj, "template", ("format", "name", "page", "seal"),
                    ("background", "texts", "lines", "fields", "photo", "qr"))
        if top["format"] != TEMPLATE_FORMAT:
            raise _fail("format", f"must be {TEMPLATE_FORMAT!r}, got {top['format']!r}")
        name = _string(top, "name", "template")
        page = _keys(top["page"], "page", ("width", "height"))
        width = _number(page, "width", "page", positive=True)
        height = _number(page, "height", "page", positive=True)

        def inside(where: str, x: float, y: float, w: float = 0.0, h: float = 0.0) -> None:
            if x + w > width + 1e-9 or y + h > height + 1e-9:
                raise _fail(where, f"the box ({x:g}, {y:g}, {w:g} x {h:g}) runs off the {width:g} x {height:g} mm page")

        background_color = background_image = border = None
        if "background" in top:
            bg = _keys(top["background"], "background", (), ("color", "image", "border"))
            background_color = _color(bg, "color", "background", None)
            if "image" in bg:
                background_image = _image_bytes(bg["image"], "background.image", base)
            if "border" in bg:
                b = _keys(bg["border"], "background.border", ("inset",), ("width", "color"))
                inset = _number(b, "inset", "background.border", high=min(width, height) / 2)
                border = Border(inset, _number(b, "width", "background.border", default=0.8, positive=True, high=20),
                                _color(b, "color", "background.border") or (0, 0, 0))

        texts: list[StaticText] = []
        for i, raw in enumerate(_list(top, "texts", "template")):
            where = f"texts[{i}]"
            t = _keys(raw, where, ("text", "x", "y", "size"), ("align", "bold", "color"))
            item = StaticText(_string(t, "text", where), _number(t, "x", where), _number(t, "y", where),
                              _number(t, "size", where, positive=True, high=200), _align(t, where),
                              _bool(t, "bold", where), _color(t, "color", where) or (0, 0, 0))
            inside(where, item.x, item.y, 0, item.size)
            texts.append(item)

        lines: list[LineItem] = []
        for i, raw in enumerate(_list(top, "lines", "template")):
            where = f"lines[{i}]"
            ln = _keys(raw, where, ("x1", "y1", "x2", "y2"), ("width", "color"))
            line = LineItem(_number(ln, "x1", where), _number(ln, "y1", where), _number(ln, "x2", where),
                            _number(ln, "y2", where), _number(ln, "width", where, default=0.353, positive=True, high=20),
                            _color(ln, "color", where) or (0, 0, 0))
            inside(where, max(line.x1, line.x2), max(line.y1, line.y2))
            lines.append(line)

        fields: list[FieldBox] = []
        for i, raw in enumerate(_list(top, "fields", "template")):
            where = f"fields[{i}]"
            f = _keys(raw, where, ("field", "x", "y", "width", "size"),
                      ("min_size", "max_lines", "line_spacing", "align", "label", "label_width", "bold", "color",
                       "date_format"))
            field_name = _string(f, "field", where, limit=80)
            if field_name not in FIELD_NAMES and not (field_name.startswith("extra.") and len(field_name) > 6):
                raise _fail(f"{where}.field", f"unknown record field {field_name!r} "
                                              f"(one of {', '.join(sorted(FIELD_NAMES))}, or extra.<name>)")
            size = _number(f, "size", where, positive=True, high=200)
            min_size = _number(f, "min_size", where, default=size, positive=True, high=size)
            max_lines = f.get("max_lines", 1)
            if isinstance(max_lines, bool) or not isinstance(max_lines, int) or not 1 <= max_lines <= 10:
                raise _fail(f"{where}.max_lines", "must be an integer from 1 to 10")
            date_format = f.get("date_format", "cn")
            if date_format not in _DATE_FORMATS:
                raise _fail(f"{where}.date_format", f"must be one of {', '.join(_DATE_FORMATS)}")
            label = _string(f, "label", where) if "label" in f else None
            box = FieldBox(field_name, _number(f, "x", where), _number(f, "y", where),
                           _number(f, "width", where, positive=True), size, min_size, max_lines,
                           _number(f, "line_spacing", where, default=1.35, low=1.0, high=3.0), _align(f, where), label,
                           _number(f, "label_width", where, default=0.0), _bool(f, "bold", where),
                           _color(f, "color", where) or (0, 0, 0), str(date_format))
            inside(where, box.x, box.y, box.label_width + box.width,
                   box.size * (1 + (box.max_lines - 1) * box.line_spacing))
            fields.append(box)

        photo = qr = None
        if "photo" in top:
            p = _keys(top["photo"], "photo", ("x", "y", "width", "height"))
            photo = ImageBox(_number(p, "x", "photo"), _number(p, "y", "photo"),
                             _number(p, "width", "photo", positive=True), _number(p, "height", "photo", positive=True))
            inside("photo", photo.x, photo.y, photo.width, photo.height)
        if "qr" in top:
            q = _keys(top["qr"], "qr", ("x", "y", "size"), ("caption",))
            qr = QrBox(_number(q, "x", "qr"), _number(q, "y", "qr"), _number(q, "size", "qr", positive=True),
                       _string(q, "caption", "qr") if "caption" in q else None)
            if qr.size < 20:
                raise _fail("qr.size", "a QR code for a licence payload needs at least 20 mm to scan from paper")
            inside("qr", qr.x, qr.y, qr.size, qr.size)
        s = _keys(top["seal"], "seal", ("x", "y"), ("width", "height"))
        seal = SealBox(_number(s, "x", "seal"), _number(s, "y", "seal"),
                       _number(s, "width", "seal", positive=True) if "width" in s else None,
                       _number(s, "height", "seal", positive=True) if "height" in s else None)
        inside("seal", seal.x, seal.y, seal.width or 0.0, seal.height or 0.0)
        return cls(name, width, height, seal, background_color, background_image, border, tuple(texts),
                   tuple(lines), tuple(fields), photo, qr)

    @classmethod
    def from_json(cls, data: bytes | str, *, base_dir: str | os.PathLike[str] | None = None) -> Template:
        """Parse a JSON template (at most 1 MiB)."""
        if len(data) > _MAX_TEMPLATE:
            raise _fail("template", f"larger than {_MAX_TEMPLATE} bytes")
        try:
            obj = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise _fail("template", f"not valid JSON: {exc}") from None
        return cls.from_dict(obj, base_dir=base_dir)


def load_template(path: str | os.PathLike[str]) -> Template:
    """Read a JSON template file; relative image paths resolve against its directory."""
    target = Path(path)
    if target.stat().st_size > _MAX_TEMPLATE:
        raise _fail(str(target), f"larger than {_MAX_TEMPLATE} bytes")
    return Template.from_json(target.read_bytes(), base_dir=target.parent)


def _format_date(value: date, fmt: str) -> str:
    return value.isoformat() if fmt == "iso" else f"{value.year}年{value.month:02d}月{value.day:02d}日"


def field_value(record: LicenceRecord, field: str, date_format: str = "cn") -> str:
    """The text a field box shows for ``record`` (empty for an absent extra field).

    :raises ValueError: ``field`` is not a known field name.
    """
    if field.startswith("extra."):
        extra = record.extra.get(field[6:])
        if extra is None:
            return ""
        return _format_date(extra, date_format) if isinstance(extra, date) else str(extra)
    getters: dict[str, Callable[[], object]] = {
        "identifier": lambda: str(record.identifier),
        "holder_id_type_name": lambda: record.holder_id_type_name,
        "validity": lambda: _validity(record, date_format),
        "valid_to": lambda: "长期" if record.valid_to is None else record.valid_to,
        "status": lambda: _STATUS_NAMES[record.status],
    }
    if field in getters:
        value = getters[field]()
    elif field in FIELD_NAMES:
        value = getattr(record, field)
    else:
        raise ValueError(f"unknown licence field {field!r}")
    return _format_date(value, date_format) if isinstance(value, date) else str(value)


def _validity(record: LicenceRecord, fmt: str) -> str:
    start = _format_date(record.valid_from, fmt)
    if record.valid_to is None:
        return f"{start}至长期"
    return f"{start}至{_format_date(record.valid_to, fmt)}"
