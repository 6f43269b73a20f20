"""Hostile OFD packages: every one is refused with a DecodeError, quickly, and nothing else escapes."""

from __future__ import annotations

import hashlib
import io
import stat
import struct
import warnings
import zipfile
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustkit.errors import DecodeError, TrustkitError
from trustkit.ofd import (
    Container,
    Limits,
    OFDReader,
    PackageWriter,
    parse_xml,
    resolve_loc,
)
from vectors import vector_path

NS = b'xmlns:ofd="http://www.ofdspec.org/2016"'
OFD_XML = (b'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD ' + NS
           + b"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>")


def make_zip(entries: list[tuple[str | zipfile.ZipInfo, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names we write on purpose
        with zipfile.ZipFile(buffer, "w", compression=compression) as zf:
            for name, data in entries:
                zf.writestr(name, data)
    return buffer.getvalue()


def sample(name: str = "helloworld.ofd") -> bytes:
    return vector_path("ofd", name).read_bytes()


def exercise(data: bytes, limits: Limits | None = None) -> None:
    """Everything a caller can ask of a package."""
    with OFDReader.from_bytes(data, limits=limits) as reader:
        for name in reader.part_names():
            reader.digest(name)
        for doc in range(len(reader.bodies)):
            reader.document(doc)
            for page in reader.pages(doc=doc):
                page.text  # noqa: B018 - parsing is the point
            reader.find("OFD", doc=doc)
            reader.custom_tags(doc)
            reader.attachments(doc)
            listed = reader.signatures(doc)
            for entry in listed.entries if listed else ():
                reader.signature(entry)


# ---- the ZIP container -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["../evil.xml", "Doc_0/../../evil.xml", "/etc/passwd", "Doc_0\\evil.xml", "C:/evil.xml", "a/./b.xml", "a//b.xml",
     "bad\x01name"],
)
def test_zip_slip_names_refused(name: str) -> None:
    data = make_zip([("OFD.xml", OFD_XML), (name, b"x")])
    with pytest.raises(DecodeError, match="OFD package"):
        OFDReader.from_bytes(data)


def test_duplicate_names_refused() -> None:
    data = make_zip([("OFD.xml", OFD_XML), ("OFD.xml", OFD_XML)])
    with pytest.raises(DecodeError, match="twice"):
        Container.from_bytes(data)


def test_symlink_refused() -> None:
    link = zipfile.ZipInfo("Doc_0/Document.xml")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    data = make_zip([("OFD.xml", OFD_XML), (link, b"/etc/passwd")])
    with pytest.raises(DecodeError, match="symbolic link"):
        Container.from_bytes(data)


def test_file_and_folder_of_the_same_name_refused() -> None:
    data = make_zip([("OFD.xml", OFD_XML), ("Doc_0", b"x"), ("Doc_0/", b"")])
    with pytest.raises(DecodeError, match="both a file and a folder"):
        Container.from_bytes(data)


def test_not_a_zip() -> None:
    for data in (b"", b"not a zip at all", b"PK\x05\x06" + b"\x00" * 18, sample()[:200]):
        with pytest.raises(DecodeError):
            OFDReader.from_bytes(data)


def test_entry_count_limit() -> None:
    with pytest.raises(DecodeError, match="entries"):
        OFDReader.from_bytes(sample(), limits=Limits(max_entries=3))


def test_zip_bomb_declared_ratio() -> None:
    """20 MiB of zeros in a 20 KiB entry: refused from the central directory, nothing inflated."""
    data = make_zip([("OFD.xml", OFD_XML), ("Doc_0/bomb.bin", bytes(20 << 20))])
    assert len(data) < 100_000
    with pytest.raises(DecodeError, match="ratio"):
        OFDReader.from_bytes(data)


def test_total_size_limit() -> None:
    data = make_zip([("OFD.xml", OFD_XML), ("a.bin", bytes(600_000)), ("b.bin", bytes(600_000))], zipfile.ZIP_STORED)
    with pytest.raises(DecodeError, match="in total"):
        Container.from_bytes(data, limits=Limits(max_total_size=1_000_000))
    with pytest.raises(DecodeError, match="part limit"):
        Container.from_bytes(data, limits=Limits(max_part_size=500_000))


def _patch_sizes(data: bytes, name: bytes, new_size: int) -> bytes:
    """Rewrite the uncompressed size of ``name`` in its local header and central directory entry."""
    out = bytearray(data)
    local = out.index(b"PK\x03\x04")  # first local header
    while True:
        (name_len,) = struct.unpack_from("<H", out, local + 26)
        if out[local + 30 : local + 30 + name_len] == name:
            struct.pack_into("<I", out, local + 22, new_size)
            break
        local = out.index(b"PK\x03\x04", local + 4)
    central = out.index(b"PK\x01\x02")
    while True:
        (name_len,) = struct.unpack_from("<H", out, central + 28)
        if out[central + 46 : central + 46 + name_len] == name:
            struct.pack_into("<I", out, central + 24, new_size)
            return bytes(out)
        central = out.index(b"PK\x01\x02", central + 4)


def test_zip_bomb_lying_header() -> None:
    """The central directory claims 4,000 bytes for 20 MiB of zeros: inflation stops at the claim."""
    data = _patch_sizes(make_zip([("OFD.xml", OFD_XML), ("Doc_0/bomb.bin", bytes(20 << 20))]), b"Doc_0/bomb.bin", 4000)
    container = Container.from_bytes(data)
    assert container.size("Doc_0/bomb.bin") == 4000
    produced = 0
    with pytest.raises(DecodeError, match="declared size"):
        for chunk in container.iter_part("Doc_0/bomb.bin", 1024):
            produced += len(chunk)
    assert produced <= 4000


def test_understated_and_corrupt_parts() -> None:
    data = make_zip([("OFD.xml", OFD_XML), ("x.bin", b"hello world" * 100)])
    # Claims more than the stream holds.
    with pytest.raises(DecodeError):
        Container.from_bytes(_patch_sizes(data, b"x.bin", 5000)).read("x.bin")
    # A flipped byte in the DEFLATE data: a zlib error or a CRC mismatch, either way DecodeError.
    container = Container.from_bytes(data)
    start, length = container._data_span(container.info("x.bin"))
    broken = bytearray(data)
    broken[start + length // 2] ^= 0xFF
    with pytest.raises(DecodeError):
        Container.from_bytes(bytes(broken)).read("x.bin")


def test_broken_local_header_name_is_tolerated() -> None:
    """Vendors' local headers can be wrong; only the central directory is trusted for names."""
    data = bytearray(make_zip([("OFD.xml", OFD_XML), ("x.bin", b"payload")]))
    local = data.index(b"x.bin")  # first occurrence: the local header's copy of the name
    data[local : local + 5] = b"y.bin"
    assert Container.from_bytes(bytes(data)).read("x.bin") == b"payload"


def test_encrypted_entry_refused() -> None:
    data = bytearray(make_zip([("OFD.xml", OFD_XML)]))
    central = data.index(b"PK\x01\x02")
    data[central + 8] |= 0x01  # general purpose flag: encrypted
    with pytest.raises(DecodeError, match="encrypted"):
        Container.from_bytes(bytes(data))


# ---- XML ---------------------------------------------------------------------------------------

XXE = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"""
LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">""" + b"".join(
    b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
) + b"""]><lolz>&lol9;</lolz>"""


XXE_UTF16 = XXE.decode().replace('"1.0"?>', '"1.0" encoding="UTF-16"?>').encode("utf-16")


@pytest.mark.parametrize("payload", [XXE, LAUGHS, XXE_UTF16], ids=["xxe", "billion-laughs", "utf16-doctype"])
def test_doctype_refused(payload: bytes) -> None:
    with pytest.raises(DecodeError, match="document type"):
        parse_xml(payload)
    with pytest.raises(DecodeError, match="document type"):
        OFDReader.from_bytes(make_zip([("OFD.xml", payload)]))


def test_malformed_and_huge_xml() -> None:
    with pytest.raises(DecodeError, match="malformed"):
        OFDReader.from_bytes(make_zip([("OFD.xml", OFD_XML[:-10])]))
    with pytest.raises(DecodeError, match="over the limit"):
        OFDReader.from_bytes(sample(), limits=Limits(max_xml_size=100))
    deep = b"<a>" * 100_000 + b"</a>" * 100_000  # past libxml2's depth limit without huge_tree
    with pytest.raises(DecodeError):
        parse_xml(deep)
    with pytest.raises(DecodeError, match="root element"):
        OFDReader.from_bytes(make_zip([("OFD.xml", b"<html/>")]))


def test_page_item_limit() -> None:
    """Each glyph becomes an object, so a page's glyph and object count is bounded."""
    reader = OFDReader.from_bytes(sample("hello.ofd"), limits=Limits(max_page_items=500))
    with pytest.raises(DecodeError, match="page limit"):
        reader.page(0)
    assert reader.page(1).text  # the shorter page fits


def test_deep_pageblocks_refused() -> None:
    blocks = b"<ofd:PageBlock>" * 80 + b"</ofd:PageBlock>" * 80
    page = b"<ofd:Page " + NS + b'><ofd:Content><ofd:Layer ID="1">' + blocks + b"</ofd:Layer></ofd:Content></ofd:Page>"
    writer = PackageWriter.from_reader(OFDReader.from_bytes(sample()))
    writer.set("Doc_0/Pages/Page_0/Content.xml", page)
    reader = OFDReader.from_bytes(writer.to_bytes())
    with pytest.raises(DecodeError, match="nested deeper"):
        reader.page(0)


# ---- missing parts -----------------------------------------------------------------------------


def without(part: str, name: str = "SESV4SignDoc.ofd") -> OFDReader:
    writer = PackageWriter.from_reader(OFDReader.from_bytes(sample(name)))
    writer.remove(part)
    return OFDReader.from_bytes(writer.to_bytes())


def test_missing_parts() -> None:
    with pytest.raises(DecodeError, match="OFD.xml is missing"):
        without("OFD.xml")
    with pytest.raises(DecodeError, match="DocRoot"):
        without("Doc_0/Document.xml")
    with pytest.raises(DecodeError, match="not in the package"):
        without("Doc_0/Pages/Page_0/Content.xml").page(0)
    with pytest.raises(DecodeError, match="missing"):
        without("Doc_0/Signs/Signatures.xml").signatures()
    reader = without("Doc_0/Signs/Sign_0/Signature.xml")
    listed = reader.signatures()
    assert listed is not None
    with pytest.raises(DecodeError, match="missing"):
        reader.signature(listed.entries[0])
    with pytest.raises(DecodeError, match="missing"):
        reader.read_part("Doc_0/Signs/Sign_0/Signature.xml")


@pytest.mark.parametrize(
    ("loc", "base", "expected"),
    [("/Doc_0/a.xml", "x", "Doc_0/a.xml"), ("//Doc_0/a.xml", "", "Doc_0/a.xml"),
     ("a.xml", "Doc_0/Signs", "Doc_0/Signs/a.xml"),
     ("../Res/a.png", "Doc_0/Pages", "Doc_0/Res/a.png"), ("./a.xml", "Doc_0", "Doc_0/a.xml")],
)
def test_resolve_loc(loc: str, base: str, expected: str) -> None:
    assert resolve_loc(loc, base) == expected


@pytest.mark.parametrize("loc", ["", "../a.xml", "/..", "a\\b", "Doc_0/../../a"])
def test_resolve_loc_refuses(loc: str) -> None:
    with pytest.raises(DecodeError):
        resolve_loc(loc)


# ---- fuzzing -----------------------------------------------------------------------------------

SEEDS = [sample("helloworld.ofd"), sample("SESV4SignDoc.ofd")]
FUZZ_LIMITS = Limits(max_total_size=8 << 20, max_part_size=4 << 20)


def _only_trustkit_errors(data: bytes) -> None:
    try:
        exercise(data, FUZZ_LIMITS)
    except TrustkitError:
        pass


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(SEEDS), edits=st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=8),
       cut=st.none() | st.integers(0, 40_000))
def test_fuzz_package_bytes(seed: bytes, edits: list[tuple[int, int]], cut: int | None) -> None:
    data = bytearray(seed)
    for position, value in edits:
        data[position % len(data)] = value
    _only_trustkit_errors(bytes(data[:cut] if cut is not None else data))


def _xml_parts(seed: bytes) -> list[tuple[str, bytes]]:
    container = Container.from_bytes(seed)
    return [(name, container.read(name)) for name in container.names()]


SEED_PARTS = [_xml_parts(seed) for seed in SEEDS]
TOKENS = [b"<", b">", b"/", b'"', b" ", b"g", b"-1", b"1e999", b"NaN", b"..", b"/../", b"ID=\"x\"", b"&amp;", b"\xff",
          b"0", b"99999999999999", b"<ofd:PageBlock>", b"</ofd:Layer>", b"Type=\"Sign\""]


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(which=st.integers(0, len(SEEDS) - 1), part=st.integers(0, 50),
       edits=st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 8), st.sampled_from(TOKENS)),
                      min_size=1, max_size=6))
def test_fuzz_xml_parts(which: int, part: int, edits: list[tuple[int, int, bytes]]) -> None:
    """Valid ZIPs whose XML is mutated: reaches the XML and content parsers, not just the ZIP layer."""
    parts: list[Any] = [list(p) for p in SEED_PARTS[which]]
    xml_parts = [p for p in parts if p[0].endswith(".xml")]
    target = xml_parts[part % len(xml_parts)]
    data = bytearray(target[1])
    for position, delete, token in edits:
        at = position % (len(data) + 1)
        data[at : at + delete] = token
    target[1] = bytes(data)
    _only_trustkit_errors(make_zip([(name, content) for name, content in parts]))


def test_small_parts_are_kept_after_a_checked_read_and_failures_are_not() -> None:
    """The read cache (for verifiers that digest a part and then parse it) changes no answer:
    the same bytes and digests as streaming, and a corrupt part fails on every read."""
    payload = b"hello world" * 100
    data = make_zip([("OFD.xml", OFD_XML), ("x.bin", payload)])
    container = Container.from_bytes(data)
    assert container.digest("x.bin", "sha256") == hashlib.sha256(payload).digest()
    assert container.read("x.bin") == payload and container.read("x.bin") is container.read("x.bin")
    assert b"".join(container.iter_part("x.bin")) == payload
    with pytest.raises(DecodeError, match="over the limit"):
        container.read("x.bin", max_size=10)  # the size limit still applies to a kept part
    start, length = container._data_span(container.info("x.bin"))
    broken = bytearray(data)
    broken[start + length // 2] ^= 0xFF
    damaged = Container.from_bytes(bytes(broken))
    for _ in range(2):
        with pytest.raises(DecodeError):
            damaged.read("x.bin")
        with pytest.raises(DecodeError):
            damaged.digest("x.bin")


def test_resolve_loc_cache_still_refuses_bad_paths() -> None:
    for _ in range(2):
        assert resolve_loc("../Res/a.xml", "Doc_0/Pages") == "Doc_0/Res/a.xml"
        with pytest.raises(DecodeError, match="climbs above"):
            resolve_loc("../../../x", "Doc_0")
