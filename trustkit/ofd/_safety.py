"""A hardened view of an OFD package: the ZIP container and its XML parts are untrusted input.

The container is read from the ZIP central directory (Python's :mod:`zipfile` does so; some
vendors' local headers are broken).  Entry names are checked once, when the package is opened:
absolute paths, ``..`` segments, backslashes, NUL and control characters, duplicates, symbolic
links and encrypted entries are refused.  Limits bound the work an attacker can cause: the
number of entries, the total declared size, and, while a part is being decompressed, the bytes
actually produced (never more than the central directory declared, and never more than
``max_ratio`` times the compressed size once past ``ratio_floor``).

XML parts go through lxml with entity resolution, DTD loading and network access switched off,
``huge_tree`` off, and any document type declaration refused outright, so external entities and
entity-expansion bombs never reach the parser's expansion code.

Every failure is a :class:`trustkit.errors.DecodeError` whose message names the part.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import posixpath
import re
import stat
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, Protocol

from lxml import etree

from trustkit.errors import DecodeError, UnsupportedAlgorithmError
from trustkit.primitives import sm3

__all__ = ["Container", "Hasher", "Limits", "parse_xml", "resolve_loc"]

_CHUNK = 64 * 1024
# Parts up to this size are kept once read (and checked), so that a verifier that digests a part
# and then parses it (Signature.xml, Document.xml, a page, a licence tag file) inflates it once.
_CACHE_PART = 1 << 20
_CACHE_TOTAL = 8 << 20


@dataclass(frozen=True)
class Limits:
    """Resource limits for reading an untrusted OFD package.

    :param max_entries: most ZIP entries (files and folders) accepted.
    :param max_total_size: most uncompressed bytes, summed over every entry (default 1 GiB).
    :param max_part_size: most uncompressed bytes of one entry.
    :param max_ratio: largest uncompressed/compressed ratio for an entry past ``ratio_floor``.
    :param ratio_floor: entries producing fewer bytes than this are exempt from the ratio check
        (tiny XML files compress very well).
    :param max_xml_size: most bytes of one XML part handed to the parser.
    :param max_depth: deepest nesting of PageBlocks the content reader follows.
    :param max_page_items: most graphic objects plus glyphs on one page (with its templates);
        each becomes a Python object, so this bounds the memory a page can cost.
    """

    max_entries: int = 10_000
    max_total_size: int = 1 << 30
    max_part_size: int = 1 << 30
    max_ratio: int = 200
    ratio_floor: int = 1 << 20
    max_xml_size: int = 32 << 20
    max_depth: int = 64
    max_page_items: int = 500_000

    def __post_init__(self) -> None:
        for name in ("max_entries", "max_total_size", "max_part_size", "max_ratio", "max_xml_size", "max_depth",
                     "max_page_items"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Limits.{name} must be positive")
        if self.ratio_floor < 0:
            raise ValueError("Limits.ratio_floor must not be negative")


class Hasher(Protocol):
    """What :meth:`Container.digest` needs from a hash object (hashlib and trustkit SM3 fit)."""

    def update(self, data: bytes, /) -> None: ...

    def digest(self) -> bytes: ...


def _hasher(algorithm: str) -> Hasher:
    name = algorithm.strip().lower()
    # OFD CheckMethod values seen in practice: "SM3" (ofdrw), the SM3 OID (commercial
    # samples), and the XSD's MD5 / SHA1.  1.401.2 (SM3 over Z plus the file) needs a key
    # and is left to the verifier.
    if name in ("sm3", "1.2.156.10197.1.401", "1.2.156.10197.1.401.1"):
        return sm3.SM3()
    if name in ("sha1", "sha-1", "1.3.14.3.2.26"):
        return hashlib.sha1()
    if name in ("md5", "1.2.840.113549.2.5"):
        return hashlib.md5()
    if name in ("sha256", "sha-256", "2.16.840.1.101.3.4.2.1"):
        return hashlib.sha256()
    raise UnsupportedAlgorithmError(
        f"unsupported digest method {algorithm!r} (expected SM3, its OID, SHA1, MD5 or SHA256)"
    )


_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _check_name(name: str) -> None:
    if not name:
        raise DecodeError("OFD package: an entry has an empty name")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise DecodeError(f"OFD package: entry {name!r} has an absolute path")
    if "\\" in name:
        raise DecodeError(f"OFD package: entry {name!r} contains a backslash")
    if _CONTROL.search(name):
        raise DecodeError(f"OFD package: entry {name!r} contains a control character")
    segments = name.rstrip("/").split("/")
    if any(segment in ("..", ".", "") for segment in segments):
        raise DecodeError(f"OFD package: entry {name!r} has an empty, '.' or '..' path segment")


class Container:
    """The parts of an OFD ZIP package, checked and size-limited.

    Part names are package paths without a leading slash (``Doc_0/Document.xml``).
    Use :meth:`from_bytes` or :meth:`open`; close it (or use ``with``) when the source is a file.
    """

    def __init__(self, source: IO[bytes], *, limits: Limits | None = None, owns: bool = False) -> None:
        self.limits = limits or Limits()
        self._source = source
        self._owns = owns
        self._size = 0
        self._cache: dict[str, bytes] = {}
        self._cached = 0
        try:
            self._size = source.seek(0, io.SEEK_END)
            source.seek(0)
            self._zip = zipfile.ZipFile(source, "r")
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError,
                struct.error, KeyError, IndexError, OverflowError, UnicodeDecodeError) as exc:
            self.close()
            raise DecodeError(f"OFD package: not a readable ZIP file ({exc})") from None
        try:
            self._infos = self._check(infos)
        except BaseException:
            self.close()
            raise
        folded: dict[str, list[str]] = {}
        for name in self._infos:
            folded.setdefault(name.lower(), []).append(name)
        self._folded = folded

    @classmethod
    def from_bytes(cls, data: bytes, *, limits: Limits | None = None) -> Container:
        """Open a package held in memory."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("data must be bytes")
        return cls(io.BytesIO(bytes(data)), limits=limits, owns=True)

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, limits: Limits | None = None) -> Container:
        """Open a package file; parts are decompressed on demand (the file is not loaded whole)."""
        handle = open(path, "rb")  # noqa: SIM115 - closed by close()
        return cls(handle, limits=limits, owns=True)

    def close(self) -> None:
        zf = getattr(self, "_zip", None)
        if zf is not None:
            zf.close()
        if self._owns:
            self._source.close()
        self._cache.clear()

    def __enter__(self) -> Container:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check(self, infos: list[zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
        limits = self.limits
        if len(infos) > limits.max_entries:
            raise DecodeError(f"OFD package: {len(infos)} entries, more than the limit of {limits.max_entries}")
        parts: dict[str, zipfile.ZipInfo] = {}
        seen: set[str] = set()
        total = 0
        for info in infos:
            name = info.filename
            _check_name(name)
            if name in seen:
                raise DecodeError(f"OFD package: entry {name!r} appears twice")
            seen.add(name)
            mode = (info.external_attr >> 16) & 0xFFFF
            if info.create_system == 3 and stat.S_ISLNK(mode):
                raise DecodeError(f"OFD package: entry {name!r} is a symbolic link")
            if info.flag_bits & 0x1:
                raise DecodeError(f"OFD package: entry {name!r} is encrypted")
            if info.is_dir():
                continue
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise DecodeError(
                    f"OFD package: entry {name!r} uses unsupported compression method {info.compress_type}"
                )
            if info.file_size > limits.max_part_size:
                raise DecodeError(f"OFD package: entry {name!r} declares {info.file_size} bytes, over the part limit")
            if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
                raise DecodeError(f"OFD package: entry {name!r} declares a compression ratio over {limits.max_ratio}:1")
            total += info.file_size
            if total > limits.max_total_size:
                raise DecodeError(f"OFD package: more than {limits.max_total_size} uncompressed bytes in total")
            parts[name] = info
        # A folder entry and a file of the same name (or a file used as a folder) is ambiguous.
        for name in parts:
            if name + "/" in seen:
                raise DecodeError(f"OFD package: {name!r} is both a file and a folder")
        return parts

    # ---- names -----------------------------------------------------------------------------

    def names(self) -> tuple[str, ...]:
        """Every file part, in central-directory order (folders are not listed)."""
        return tuple(self._infos)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._infos

    def size(self, name: str) -> int:
        """The uncompressed size the central directory declares for a part."""
        return self._info(self.lookup(name) or name).file_size

    def info(self, name: str) -> zipfile.ZipInfo:
        """The (already checked) ZIP entry of a part."""
        return self._info(name)

    def lookup(self, name: str) -> str | None:
        """The stored name of a part: exact match first, else the unique case-insensitive match.

        A real file references ``TPLS/Tpl_0`` while the ZIP holds ``Tpls/Tpl_0``; two entries
        differing only in case make the fallback ambiguous, and then nothing is returned.
        """
        if name in self._infos:
            return name
        candidates = self._folded.get(name.lower(), [])
        return candidates[0] if len(candidates) == 1 else None

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = self._infos.get(name)
        if info is None:
            raise DecodeError(f"OFD package: part {name!r} is missing")
        return info

    # ---- content ---------------------------------------------------------------------------

    def iter_part(self, name: str, chunk_size: int = _CHUNK) -> Iterator[bytes]:
        """Yield the exact bytes of a part in chunks, enforcing the limits as they are produced.

        The entry is located through the central directory; of its local header only the two
        length fields are used (to find where the data starts), so a local header with a wrong
        name or sizes, as some vendors write, does not matter.  Output is bounded while
        inflating: never more than the declared size, never more than the ratio limit allows,
        and the CRC-32 must match.  Several generators may be interleaved (each seeks to its
        own position), but a Container is not thread-safe.
        """
        info = self._info(name)
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        limits = self.limits
        allowed = min(info.file_size, limits.max_part_size)
        if info.file_size > limits.ratio_floor:
            allowed = min(allowed, max(limits.ratio_floor, limits.max_ratio * max(info.compress_size, 1)))
        try:
            position, remaining = self._data_span(info)
            inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
            produced = 0
            crc = 0
            pending = b""
            while True:
                if not pending:
                    if remaining <= 0:
                        break
                    self._source.seek(position)
                    raw = self._source.read(min(chunk_size, remaining))
                    if not raw:
                        raise DecodeError(f"OFD package: part {name!r} is truncated")
                    position += len(raw)
                    remaining -= len(raw)
                    pending = raw
                if inflater is None:
                    chunk, pending = pending, b""
                else:
                    # max_length bounds what one call may produce, so a bomb never
                    # materialises more than one chunk past the limit check.
                    chunk = inflater.decompress(pending, chunk_size)
                    pending = inflater.unconsumed_tail
                    if inflater.eof:
                        pending = b""
                        remaining = 0
                produced += len(chunk)
                if produced > allowed:
                    raise DecodeError(f"OFD package: part {name!r} expands past its declared size or the ratio limit")
                if chunk:
                    crc = zlib.crc32(chunk, crc)
                    yield chunk
            if inflater is not None and not inflater.eof:
                raise DecodeError(f"OFD package: part {name!r} has a truncated DEFLATE stream")
        except DecodeError:
            raise
        except (zlib.error, OSError, ValueError, struct.error) as exc:
            raise DecodeError(f"OFD package: part {name!r} cannot be decompressed ({exc})") from None
        if produced != info.file_size:
            raise DecodeError(f"OFD package: part {name!r} has {produced} bytes, not the {info.file_size} declared")
        if crc != info.CRC:
            raise DecodeError(f"OFD package: part {name!r} fails its CRC-32 check")

    def iter_raw(self, name: str, chunk_size: int = _CHUNK) -> Iterator[bytes]:
        """Yield a part's stored (compressed) bytes unchanged, for copying it into a new package.

        Nothing is inflated or checked here beyond the entry's bounds; the CRC-32 and sizes
        travel with the entry (:meth:`info`), so any reader of the copy still checks them.
        """
        info = self._info(name)
        try:
            position, remaining = self._data_span(info)
            while remaining > 0:
                self._source.seek(position)
                raw = self._source.read(min(chunk_size, remaining))
                if not raw:
                    raise DecodeError(f"OFD package: part {name!r} is truncated")
                position += len(raw)
                remaining -= len(raw)
                yield raw
        except (OSError, ValueError, struct.error) as exc:
            raise DecodeError(f"OFD package: part {name!r} cannot be read ({exc})") from None

    def _data_span(self, info: zipfile.ZipInfo) -> tuple[int, int]:
        """Where an entry's (compressed) data starts, and its length, from the local header."""
        self._source.seek(info.header_offset)
        header = self._source.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise DecodeError(f"OFD package: entry {info.filename!r} has no local file header")
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        start = info.header_offset + 30 + name_length + extra_length
        if start + info.compress_size > self._size:
            raise DecodeError(f"OFD package: entry {info.filename!r} runs past the end of the file")
        return start, info.compress_size

    def read(self, name: str, *, max_size: int | None = None) -> bytes:
        """The exact bytes of a part (whole; use :meth:`iter_part` for big parts).

        Parts of up to 1 MiB (8 MiB in all) are kept after their first complete, checked read,
        so reading or digesting them again does not inflate them again.
        """
        info = self._info(name)
        if max_size is not None and info.file_size > max_size:
            raise DecodeError(f"OFD package: part {name!r} has {info.file_size} bytes, over the limit of {max_size}")
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        data = b"".join(self.iter_part(name))
        if len(data) <= _CACHE_PART and self._cached + len(data) <= _CACHE_TOTAL:
            self._cache[name] = data
            self._cached += len(data)
        return data

    def digest(self, name: str, algorithm: str | Callable[[], Hasher] = "sm3") -> bytes:
        """Hash a part while streaming it.

        :param algorithm: ``"SM3"`` (default), the SM3 OID, ``"SHA1"``, ``"MD5"``, ``"SHA256"``,
            or a factory returning an object with ``update``/``digest``.
        :raises UnsupportedAlgorithmError: any other name (e.g. ``1.2.156.10197.1.401.2``, SM3
            over Z, which needs the signer's key and is the verifier's business).
        """
        hasher = algorithm() if callable(algorithm) else _hasher(algorithm)
        if name in self._cache or self._info(name).file_size <= _CACHE_PART:
            hasher.update(self.read(name))  # small part: read (and keep) it whole
        else:
            for chunk in self.iter_part(name):
                hasher.update(chunk)
        return hasher.digest()

    def read_xml(self, name: str) -> Any:
        """Parse an XML part with the hardened parser; returns the root element."""
        return parse_xml(self.read(name, max_size=self.limits.max_xml_size), name=name)


# ---- XML ------------------------------------------------------------------------------------

_PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_pis": True,
}


_parsers = threading.local()


def parse_xml(data: bytes, *, name: str = "XML part", max_size: int = 64 << 20) -> Any:
    """Parse untrusted XML: no DOCTYPE, no entities, no network, bounded size.

    :returns: the root element (an lxml element).
    :raises DecodeError: oversized, malformed, or carrying a document type declaration.
    """
    if len(data) > max_size:
        raise DecodeError(f"{name}: {len(data)} bytes of XML, over the limit of {max_size}")
    # Refuse a DOCTYPE before parsing (the UTF-8 case), and again from the parsed document info
    # (UTF-16 and other encodings), so entity bombs and external entities are never expanded.
    if b"<!DOCTYPE" in data:
        raise DecodeError(f"{name}: XML document type declarations are not allowed")
    parser = getattr(_parsers, "parser", None)
    if parser is None:  # one parser per thread (lxml parsers may be reused, not shared between threads)
        parser = _parsers.parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise DecodeError(f"{name}: malformed XML ({exc})") from None
    except (ValueError, LookupError, etree.LxmlError) as exc:
        raise DecodeError(f"{name}: unreadable XML ({exc})") from None
    if root is None:
        raise DecodeError(f"{name}: empty XML document")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise DecodeError(f"{name}: XML document type declarations are not allowed")
    return root


# ---- ST_Loc ---------------------------------------------------------------------------------


def resolve_loc(loc: str, base_dir: str = "") -> str:
    """Turn an OFD ST_Loc into a package part name (no leading slash).

    ``/x`` (and the vendor form ``//x``) is absolute; anything else is relative to ``base_dir``,
    the folder of the XML file that contains the reference.  ``..`` may climb inside the package
    but never above its root.

    :raises DecodeError: empty, with a backslash or NUL, or escaping the package root.
    """
    return _resolve_loc(loc, base_dir)


@functools.lru_cache(maxsize=4096)
def _resolve_loc(loc: str, base_dir: str) -> str:
    # A pure function of its two strings, called dozens of times per verification with the same
    # paths; errors are not cached (lru_cache re-runs a call that raised).
    text = loc.strip()
    if not text:
        raise DecodeError("OFD: an empty ST_Loc path")
    if "\\" in text or "\x00" in text:
        raise DecodeError(f"OFD: ST_Loc {loc!r} contains a backslash or NUL")
    if text.startswith("/"):
        joined = text.lstrip("/")
    else:
        joined = posixpath.join(base_dir, text) if base_dir else text
    parts: list[str] = []
    for segment in joined.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if not parts:
                raise DecodeError(f"OFD: ST_Loc {loc!r} climbs above the package root")
            parts.pop()
            continue
        parts.append(segment)
    if not parts:
        raise DecodeError(f"OFD: ST_Loc {loc!r} names no file")
    return "/".join(parts)
