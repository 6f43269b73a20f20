"""Namespace-tolerant access to parsed OFD XML.

Elements are matched by local name: real files use ``http://www.ofdspec.org/2016``,
``http://www.ofdspec.org`` and other prefixes for the same elements (namespace_no_std.ofd).
lxml ships no type information, so elements are ``Any`` here and nowhere else in the API.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from trustkit.errors import DecodeError

from .model import Matrix

__all__ = [
    "attr",
    "child",
    "children",
    "child_text",
    "local",
    "parse_array",
    "parse_bool",
    "parse_color",
    "parse_float",
    "parse_id",
    "parse_matrix",
    "parse_optional_id",
]

# Most values an ST_Array "g count value" shorthand may expand to in one call.
MAX_ARRAY = 1 << 20


def local(element: Any) -> str:
    """The local name of an element ('' for comments and processing instructions)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def children(element: Any, name: str) -> Iterator[Any]:
    for item in element:
        if local(item) == name:
            yield item


def child(element: Any, name: str) -> Any | None:
    return next(children(element, name), None)


def child_text(element: Any, name: str) -> str | None:
    found = child(element, name)
    if found is None:
        return None
    text = found.text
    return text.strip() if isinstance(text, str) else ""


def attr(element: Any, name: str) -> str | None:
    value = element.get(name)
    return value if isinstance(value, str) else None


def parse_float(text: str | None, what: str, default: float | None = None) -> float:
    if text is None or not text.strip():
        if default is None:
            raise DecodeError(f"OFD: {what} is missing")
        return default
    try:
        value = float(text)
    except ValueError:
        raise DecodeError(f"OFD: {what} {text[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise DecodeError(f"OFD: {what} {text[:40]!r} is not finite")
    return value


def parse_id(text: str | None, what: str) -> int:
    if text is None:
        raise DecodeError(f"OFD: {what} is missing")
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 12:
        raise DecodeError(f"OFD: {what} {text[:40]!r} is not an ST_ID (unsigned integer)")
    return int(value)


def parse_optional_id(text: str | None, what: str) -> int | None:
    return None if text is None else parse_id(text, what)


def parse_bool(text: str | None, default: bool) -> bool:
    if text is None:
        return default
    value = text.strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise DecodeError(f"OFD: {text[:40]!r} is not a boolean")


def parse_matrix(text: str | None, what: str) -> Matrix | None:
    if text is None or not text.strip():
        return None
    fields = text.split()
    if len(fields) != 6:
        raise DecodeError(f"OFD: {what} {text[:80]!r} does not have six numbers")
    a, b, c, d, e, f = (parse_float(x, what) for x in fields)
    return (a, b, c, d, e, f)


def parse_array(text: str | None, what: str, limit: int = MAX_ARRAY) -> list[float]:
    """An ST_Array of numbers, expanding the ``g count value`` shorthand (GB/T 33190 §11.3).

    At most ``limit`` values are produced; the rest is dropped (a caller needing n gaps asks
    for n), so ``g 999999999 1`` cannot exhaust memory.
    """
    if text is None:
        return []
    tokens = text.split()
    values: list[float] = []
    i = 0
    while i < len(tokens) and len(values) < limit:
        token = tokens[i]
        if token == "g":
            if i + 2 >= len(tokens):
                raise DecodeError(f"OFD: {what}: 'g' needs a count and a value")
            count = tokens[i + 1]
            if not (count.isascii() and count.isdigit()) or len(count) > 9:
                raise DecodeError(f"OFD: {what}: 'g' count {count[:20]!r} is not a small integer")
            value = parse_float(tokens[i + 2], what)
            values.extend([value] * min(int(count), limit - len(values)))
            i += 3
        else:
            values.append(parse_float(token, what))
            i += 1
    return values


def parse_color(element: Any | None) -> tuple[int, ...] | None:
    """A CT_Color Value (``"r g b"``), or None when absent or not plain numbers."""
    if element is None:
        return None
    value = attr(element, "Value")
    if value is None:
        return None
    try:
        components = tuple(int(float(v)) for v in value.split()[:4])
    except (ValueError, OverflowError):
        return None
    return components or None
