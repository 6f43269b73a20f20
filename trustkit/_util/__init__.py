"""Small stdlib-only helpers shared by every layer."""

from __future__ import annotations

from typing import Union

__all__ = ["Buffer", "as_bytes"]

#: Any bytes-like input the API accepts.
Buffer = Union[bytes, bytearray, memoryview]


def as_bytes(value: object, name: str) -> bytes:
    """Return ``value`` as ``bytes``, or raise ``TypeError`` naming the argument."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{name} must be bytes, bytearray or memoryview, not {type(value).__name__}")
