"""Finding signature fields and reading signature dictionaries straight from the file bytes.

A signature dictionary cannot live in an object stream: its ``/Contents`` must be the literal
gap in the ByteRange (ISO 32000-1 12.8.1), so it is an uncompressed indirect object at the
offset the cross-reference table gives.  Reading its few keys here, instead of letting
pyHanko parse the object, skips pyHanko's per-character hex-string reader (most of the time
a verification took) and yields the exact file offsets of ``/Contents``.  Anything unusual
falls back to pyHanko's object (``None`` from :func:`read_sig_dict`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["SigDict", "read_sig_dict", "signature_fields"]

_MAX_FIELD_DEPTH: Final = 32
_MAX_FIELDS: Final = 10_000
_MAX_DICT: Final = 1 << 20  # bytes of the signature dictionary outside /Contents
_HEADER = re.compile(rb"\s*(\d+)\s+(\d+)\s+obj\s*<<")
_DELIMITERS: Final = b"()<>[]{}/%"
_WHITESPACE: Final = b"\x00\t\n\x0c\r "


@dataclass(frozen=True)
class SigDict:
    """The keys of a signature dictionary a verifier needs; ``contents_span`` is ``<...>`` in the file."""

    filter: str | None
    subfilter: str | None
    byte_range: tuple[int, ...] | None
    contents_span: tuple[int, int] | None


def signature_fields(reader: Any) -> Iterator[tuple[str, Any, Any]]:
    """``(fully qualified name, field dict, raw /V)`` of every signature field with a value.

    Walks ``/AcroForm /Fields`` and ``/Kids`` (ISO 32000-1 12.7.3.1), inheriting ``/FT``;
    bounded in depth and count, and cycle-safe.
    """
    from pyhanko.pdf_utils import generic

    try:
        fields = reader.root["/AcroForm"]["/Fields"]
    except (KeyError, TypeError):
        return
    seen: set[Any] = set()
    count = 0

    def walk(items: Any, prefix: str, inherited_ft: Any, depth: int) -> Iterator[tuple[str, Any, Any]]:
        nonlocal count
        if depth > _MAX_FIELD_DEPTH or not isinstance(items, generic.ArrayObject):
            return
        for ref in items:
            count += 1
            if count > _MAX_FIELDS:
                return
            if isinstance(ref, generic.IndirectObject):
                if ref.reference in seen:
                    continue
                seen.add(ref.reference)
            field = ref.get_object()
            if not isinstance(field, generic.DictionaryObject):
                continue
            partial = field.get("/T")
            name = prefix if partial is None else (f"{prefix}.{partial}" if prefix else str(partial))
            ft = field.get("/FT", inherited_ft)
            if "/Kids" in field:
                yield from walk(field["/Kids"], name, ft, depth + 1)
            if ft == "/Sig" and "/V" in field and partial is not None:
                value = field.raw_get("/V")
                if not isinstance(value, generic.NullObject):
                    yield name, field, value

    yield from walk(fields, "", None, 0)


def _skip_ws(data: bytes, i: int) -> int:
    n = len(data)
    while i < n:
        c = data[i]
        if c in _WHITESPACE:
            i += 1
        elif c == 0x25:  # % comment to end of line
            while i < n and data[i] not in b"\r\n":
                i += 1
        else:
            break
    return i


def _name(data: bytes, i: int) -> tuple[str, int]:
    j = i + 1
    while j < len(data) and data[j] not in _WHITESPACE and data[j] not in _DELIMITERS:
        j += 1
    return data[i:j].decode("latin-1"), j


def _skip_value(data: bytes, i: int, depth: int = 0) -> int:
    """The index after the object starting at ``i`` (numbers, refs, names, strings, arrays, dicts)."""
    if depth > 64:
        raise ValueError("nested too deeply")
    c = data[i]
    if c == 0x2F:  # /Name
        return _name(data, i)[1]
    if c == 0x28:  # (literal string) with nesting and escapes
        level, j = 0, i
        while j < len(data):
            ch = data[j]
            if ch == 0x5C:
                j += 2
                continue
            if ch == 0x28:
                level += 1
            elif ch == 0x29:
                level -= 1
                if level == 0:
                    return j + 1
            j += 1
        raise ValueError("unterminated string")
    if data.startswith(b"<<", i):
        j = _skip_ws(data, i + 2)
        while not data.startswith(b">>", j):
            j = _skip_ws(data, _skip_value(data, j, depth + 1))
        return j + 2
    if c == 0x3C:  # <hex>
        j = data.index(b">", i)
        return j + 1
    if c == 0x5B:  # [array]
        j = _skip_ws(data, i + 1)
        while data[j] != 0x5D:
            j = _skip_ws(data, _skip_value(data, j, depth + 1))
        return j + 1
    j = i
    while j < len(data) and data[j] not in _WHITESPACE and data[j] not in _DELIMITERS:
        j += 1
    if j == i:
        raise ValueError("unexpected delimiter")
    return j


def read_sig_dict(pdf: bytes, reader: Any, ref: Any) -> SigDict | None:
    """Read the signature dictionary ``ref`` at its xref offset; ``None`` when that is not possible."""
    offset = reader.xrefs[ref]
    if not isinstance(offset, int) or not 0 <= offset < len(pdf):
        return None
    header = _HEADER.match(pdf, offset)
    if header is None or (int(header.group(1)), int(header.group(2))) != (ref.idnum, ref.generation):
        return None
    values: dict[str, Any] = {}
    i = _skip_ws(pdf, header.end())
    limit = min(len(pdf), offset + _MAX_DICT)
    try:
        while not pdf.startswith(b">>", i):
            if i >= limit or pdf[i] != 0x2F:
                return None
            key, i = _name(pdf, i)
            i = _skip_ws(pdf, i)
            end = _skip_value(pdf, i)
            if key == "/Contents":
                if pdf[i] != 0x3C or pdf.startswith(b"<<", i):
                    return None
                values[key] = (i, end)
            elif key in ("/Filter", "/SubFilter") and pdf[i] == 0x2F:
                values[key] = pdf[i:end].decode("latin-1")
            elif key == "/ByteRange" and pdf[i] == 0x5B:
                values[key] = tuple(int(v) for v in pdf[i + 1:end - 1].split())
            i = _skip_ws(pdf, end)
    except (ValueError, IndexError):
        return None
    return SigDict(values.get("/Filter"), values.get("/SubFilter"), values.get("/ByteRange"),
                   values.get("/Contents"))
