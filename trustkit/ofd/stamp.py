"""Stamp OFD documents: electronic seals (Type="Seal", SES) and plain digital signatures (Type="Sign").

The procedure is GB/T 33190-2016 clause 18 as practice applies it (reference/standards.md 5.2,
verified on ofdrw's and a commercial producer's files):

1. OFD.xml gets its ``<ofd:Signatures>`` entry first (so the updated OFD.xml is what is digested);
2. the signature is registered in Signatures.xml (new ID, MaxSignId bumped; IDs share one counter
   with the StampAnnot IDs, as ofdrw does);
3. the seal is written to ``Sign_N/Seal.esl`` (Type="Seal");
4. every package file is digested into ``<ofd:Reference>`` (CheckValue = base64 of the raw
   digest) except this signature's Signature.xml and SignedValue.dat and Signatures.xml, which
   stays unprotected so that later signatures do not break this one;
5. Signature.xml is serialised once, and never again;
6. SignedValue.dat is computed over its exact bytes: an SES_Signature whose dataHash is
   SM3(Signature.xml) and propertyInfo the Signature.xml path (``"ses"``), a bare DER SM2
   signature over the bytes (``"sign-raw"``, ofdrw DigitalSign), or a GB/T 35275 SignedData whose
   content is SM3(Signature.xml) (``"sign-cms"``, GM/T 0099-2020 7.2.2 b).

Untouched parts are copied byte for byte and hashed while streaming, so big documents never sit
in memory whole.  A document whose existing signature protects Signatures.xml (ofdrw's "whole
protected" mode) refuses further signatures: adding one would break that signature.
"""

from __future__ import annotations

import base64
import functools
import os
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, BinaryIO, Literal

from lxml import etree

from trustkit import oids
from trustkit.errors import TrustkitError
from trustkit.files import write_atomic_stream
from trustkit.pki.cms import sign_cms
from trustkit.pki.signer import Signer
from trustkit.pki.timestamp import TimestampAuthority
from trustkit.primitives import sm3
from trustkit.seal.ses import Seal, parse_seal, sign_seal_signature

from . import _xml as x
from ._safety import _hasher, parse_xml
from .model import Box, Page
from .reader import OFDReader
from .writer import OFD_NAMESPACE, PackageWriter, serialize_xml

__all__ = [
    "KeywordPlacement",
    "PagePlacement",
    "Placement",
    "RidingPlacement",
    "SignFormat",
    "StampRefusedError",
    "stamp_ofd",
    "stamp_ofd_file",
]

SignFormat = Literal["ses", "sign-raw", "sign-cms"]
SM3_OID = oids.SM3  # "1.2.156.10197.1.401", what the commercial sample writes


class StampRefusedError(TrustkitError):
    """The document cannot take another signature without breaking an existing one.

    ``code`` is ``"signatures_protected"``: an existing signature lists Signatures.xml among
    its References (ofdrw's "whole protected" mode), so registering a new signature there
    would invalidate it.
    """

    code = "signatures_protected"


@dataclass(frozen=True)
class PagePlacement:
    """A seal at fixed coordinates.

    :param page_index: 0-based page number.
    :param x_mm, y_mm: the top-left corner of the seal in page coordinates (origin top left,
        millimetres, y down, as OFD uses).
    :param width_mm, height_mm: the displayed size; default the seal picture's size.
    """

    page_index: int
    x_mm: float
    y_mm: float
    width_mm: float | None = None
    height_mm: float | None = None


@dataclass(frozen=True)
class KeywordPlacement:
    """A seal centred on a text found in the document (:meth:`OFDReader.find`).

    :param keyword: the text (whitespace ignored; may span text objects).
    :param occurrence: which hit to stamp, 0-based in reading order (page by page); ``None``
        stamps every occurrence (one StampAnnot each, all under the same signature).
    :param width_mm, height_mm: the displayed size; default the seal picture's size.
    """

    keyword: str
    occurrence: int | None = None
    width_mm: float | None = None
    height_mm: float | None = None


@dataclass(frozen=True)
class RidingPlacement:
    """A riding seal (骑缝章): the picture cut into one vertical slice per page along the right edge.

    Page ``k`` of the ``n`` chosen pages gets a StampAnnot whose Boundary holds the whole seal,
    shifted so that its slice ``k`` (``Clip``, in the annotation's own coordinates) ends at the
    page's right edge; put side by side, the slices show the seal once (ofdrw V4RideRight.ofd).

    :param pages: 0-based page numbers (at least two); ``None`` = every page.
    :param edge: only ``"right"`` is supported.
    :param y_mm: the top of the seal; default vertically centred on each page.
    :param width_mm, height_mm: the whole seal's size; default the seal picture's size.
    """

    pages: tuple[int, ...] | None = None
    edge: Literal["right"] = "right"
    y_mm: float | None = None
    width_mm: float | None = None
    height_mm: float | None = None


Placement = PagePlacement | KeywordPlacement | RidingPlacement


@dataclass(frozen=True)
class _Annot:
    page_id: int
    boundary: Box
    clip: Box | None = None


# ---- placement ---------------------------------------------------------------------------------


def _size(placement: Placement, default: tuple[float, float] | None) -> tuple[float, float]:
    width, height = placement.width_mm, placement.height_mm
    if width is None or height is None:
        if default is None:
            raise ValueError("a Type=Sign signature has no seal picture: give the placement's width_mm and height_mm")
        width = default[0] if width is None else width
        height = default[1] if height is None else height
    if not (width > 0 and height > 0):
        raise ValueError("a placement's width and height must be positive")
    return float(width), float(height)


@functools.lru_cache(maxsize=32)
def _parse_seal_cached(der: bytes) -> Seal:
    """Seals are stamped many times and parsing one costs its certificates' parsing (milliseconds)."""
    return parse_seal(der)


def _page_id(reader: OFDReader, index: int) -> int:
    pages = reader.document().pages
    if not 0 <= index < len(pages):
        raise ValueError(f"page index {index} does not exist (the document has {len(pages)} pages, indexed from 0)")
    return pages[index].id


def _page(reader: OFDReader, index: int, cache: dict[int, Page]) -> Page:
    if index not in cache:
        _page_id(reader, index)  # ValueError for a page that does not exist
        cache[index] = reader.page(index)
    return cache[index]


def _annotations(reader: OFDReader, placements: Sequence[Placement], picture: tuple[float, float] | None) -> list[_Annot]:
    pages: dict[int, Page] = {}
    annots: list[_Annot] = []
    for placement in placements:
        width, height = _size(placement, picture)
        if isinstance(placement, PagePlacement):
            annots.append(_Annot(_page_id(reader, placement.page_index), Box(placement.x_mm, placement.y_mm, width, height)))
        elif isinstance(placement, KeywordPlacement):
            matches = reader.find(placement.keyword)
            if not matches:
                raise ValueError(f"the keyword {placement.keyword!r} does not occur in the document")
            if placement.occurrence is not None:
                if not 0 <= placement.occurrence < len(matches):
                    raise ValueError(f"the keyword {placement.keyword!r} occurs {len(matches)} time(s); "
                                     f"occurrence {placement.occurrence} (0-based) does not exist")
                matches = [matches[placement.occurrence]]
            for match in matches:
                cx, cy = match.box.center
                annots.append(_Annot(match.page_id, Box(cx - width / 2, cy - height / 2, width, height)))
        elif isinstance(placement, RidingPlacement):
            if placement.edge != "right":
                raise ValueError("riding seals are placed on the right edge only")
            indexes = list(placement.pages) if placement.pages is not None else list(range(reader.page_count()))
            if len(indexes) < 2:
                raise ValueError("a riding seal needs at least two pages")
            if len(set(indexes)) != len(indexes):
                raise ValueError("a riding seal's pages must be distinct")
            slice_width = width / len(indexes)
            for k, index in enumerate(indexes):
                page = _page(reader, index, pages)
                page_width, page_height = page.size
                top = placement.y_mm if placement.y_mm is not None else (page_height - height) / 2
                left = page_width - (k + 1) * slice_width
                annots.append(_Annot(page.id, Box(left, top, width, height), Box(k * slice_width, 0, slice_width, height)))
        else:
            raise TypeError(f"unknown placement {placement!r}")
    return annots


# ---- ids and names ---------------------------------------------------------------------------------

_ID = re.compile(r"^([A-Za-z_]*)(\d+)$")


def _next_id(texts: Sequence[str | None]) -> tuple[str, int, int]:
    """(prefix, next number, zero-pad width) following the style of the existing IDs ("s006", "002", "2")."""
    prefix, width, highest = "", 0, 0
    for text in texts:
        match = _ID.match((text or "").strip())
        if match is None:
            continue
        number = int(match.group(2))
        if number >= highest:
            highest = number
            prefix = match.group(1)
            width = len(match.group(2)) if match.group(2).startswith("0") else 0
    return prefix, highest + 1, width


def _format_id(prefix: str, number: int, width: int) -> str:
    return f"{prefix}{number:0{width}d}"


def _ns(element: Any) -> str:
    tag = element.tag
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def _sub(parent: Any, name: str, text: str | None = None, **attrs: str) -> Any:
    ns = _ns(parent)
    element = etree.SubElement(parent, f"{{{ns}}}{name}" if ns else name)
    for key, value in attrs.items():
        element.set(key, value)
    if text is not None:
        element.text = text
    return element


def _new_root(name: str) -> Any:
    return etree.Element(f"{{{OFD_NAMESPACE}}}{name}", nsmap={"ofd": OFD_NAMESPACE})


def _insert_signatures_entry(ofd_xml: bytes, loc: str) -> bytes:
    """OFD.xml with ``<Signatures>loc</Signatures>`` in the first DocBody (XSD order: after DocRoot/Versions)."""
    root = parse_xml(ofd_xml, name="OFD.xml")
    body = x.child(root, "DocBody")
    if body is None:
        raise ValueError("OFD.xml has no DocBody")
    ns = _ns(body)
    element = etree.Element(f"{{{ns}}}Signatures" if ns else "Signatures")
    element.text = loc
    anchor = x.child(body, "Versions")
    if anchor is None:
        anchor = x.child(body, "DocRoot")
    if anchor is None:
        body.append(element)
    else:
        anchor.addnext(element)
    return serialize_xml(root)


def _signature_time_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%d%H%M%SZ")


# ---- stamping ----------------------------------------------------------------------------------------


def _references_signatures_list(reader: OFDReader, part: str) -> bool:
    listing = reader.signatures()
    if listing is None:
        return False
    for entry in listing.entries:
        description = reader.signature(entry)
        if any(ref.part == part for ref in description.references):
            return True
    return False


def _sign_value(
    sign_format: SignFormat,
    signer: Signer,
    signature_xml: bytes,
    *,
    seal: Seal | None,
    property_info: str,
    moment: datetime,
    timestamp: TimestampAuthority | None,
) -> bytes:
    if sign_format == "ses":
        assert seal is not None
        stamper = (lambda value: timestamp.stamp(value)) if timestamp is not None else None
        return sign_seal_signature(seal, signer=signer, data_hash=sm3.hash(signature_xml),
                                   property_info=property_info, time=moment, timestamp_token=stamper)
    if sign_format == "sign-raw":
        return signer.sign(signature_xml)
    # sign-cms: GB/T 35275 SignedData whose content is SM3(Signature.xml), no signed attributes.
    return sign_cms(sm3.hash(signature_xml), signer, signing_time=moment, signed_attributes=False)


def _stamp(
    reader: OFDReader,
    signer: Signer,
    *,
    seal: bytes | None,
    placements: Sequence[Placement],
    sign_format: SignFormat | None,
    check_method: str,
    time: datetime | None,
    timestamp: TimestampAuthority | None,
    provider: str,
    provider_version: str,
) -> PackageWriter:
    if not isinstance(signer, Signer):
        raise TypeError("signer must be a trustkit.pki.signer.Signer (e.g. LocalSigner(key, certificate))")
    fmt: SignFormat = sign_format or ("ses" if seal is not None else "sign-raw")
    if fmt not in ("ses", "sign-raw", "sign-cms"):
        raise ValueError('sign_format must be "ses", "sign-raw" or "sign-cms"')
    if (fmt == "ses") != (seal is not None):
        raise ValueError('sign_format="ses" needs a seal; a seal is only used with sign_format="ses"')
    if timestamp is not None and fmt != "ses":
        raise ValueError("a timestamp is carried inside an SES signature only (sign_format='ses')")
    _hasher(check_method)  # UnsupportedAlgorithmError for an unknown method, before any work
    parsed_seal = _parse_seal_cached(bytes(seal)) if seal is not None else None
    if parsed_seal is not None and parsed_seal.version == 1 and timestamp is not None:
        raise ValueError("a GM/T 0031-2014 (v1) seal signature cannot carry a timestamp")
    moment = (time if time is not None else datetime.now(timezone.utc))
    if moment.tzinfo is None:
        raise ValueError("time must be timezone-aware")
    moment = moment.astimezone(timezone.utc).replace(microsecond=0)

    body = reader.bodies[0]
    doc_dir = posixpath.dirname(body.doc_root)
    listing = reader.signatures()
    writer = PackageWriter.from_reader(reader)
    names = set(reader.part_names())

    # 1. OFD.xml <Signatures>; 2. Signatures.xml.
    if listing is not None:
        if _references_signatures_list(reader, listing.part):
            raise StampRefusedError(
                f"an existing signature protects {listing.part} (\"whole protected\" mode): adding a signature "
                "would invalidate it"
            )
        list_part = listing.part
        list_root = parse_xml(reader.read_part(list_part), name=list_part)
        used_ids: list[str | None] = [listing.max_sign_id]
        for entry in listing.entries:
            used_ids.append(entry.id)
            if entry.part in names:
                used_ids.extend(a.id for a in reader.signature(entry).stamp_annots)
    else:
        list_part = body.signatures or posixpath.join(doc_dir, "Signs", "Signatures.xml")
        list_root = _new_root("Signatures")
        used_ids = []
        writer.set("OFD.xml", _insert_signatures_entry(reader.read_part("OFD.xml"), "/" + list_part))
    signs_dir = posixpath.dirname(list_part)
    index = 0
    while any(n.startswith(f"{signs_dir}/Sign_{index}/") for n in names):
        index += 1
    sign_dir = f"{signs_dir}/Sign_{index}"
    signature_part = f"{sign_dir}/Signature.xml"
    value_part = f"{sign_dir}/SignedValue.dat"
    seal_part = f"{sign_dir}/Seal.esl" if seal is not None else None

    annots = _annotations(reader, placements,
                          (parsed_seal.picture.width_mm, parsed_seal.picture.height_mm) if parsed_seal else None)
    prefix, number, width = _next_id(used_ids)
    signature_id = _format_id(prefix, number, width)
    annot_ids = [_format_id(prefix, number + 1 + i, width) for i in range(len(annots))]
    max_id = annot_ids[-1] if annot_ids else signature_id

    existing = list(x.children(list_root, "Signature"))
    new_entry = _sub(list_root, "Signature", ID=signature_id, Type="Seal" if fmt == "ses" else "Sign",
                     BaseLoc="/" + signature_part)
    if existing:
        existing[-1].addnext(new_entry)  # keep the producer's order (ofdrw writes MaxSignId last)
    max_element = x.child(list_root, "MaxSignId")
    if max_element is None:
        max_element = _sub(list_root, "MaxSignId")
        list_root.remove(max_element)
        list_root.insert(0, max_element)  # XSD order: MaxSignId first
    max_element.text = max_id
    writer.set(list_part, serialize_xml(list_root))
    # 3. Seal.esl.
    if seal_part is not None:
        assert seal is not None
        writer.set(seal_part, bytes(seal), compress=False)  # holds a compressed picture already

    # 4. References: every file except Signatures.xml and this signature's own two files.
    modified = {"OFD.xml", list_part} | ({seal_part} if seal_part else set())
    references: list[tuple[str, bytes]] = []
    for name in writer.names():
        if name in (list_part, signature_part, value_part):
            continue
        if name in modified or name not in names:
            hasher = _hasher(check_method)
            hasher.update(writer.get(name))
            digest = hasher.digest()
        else:
            digest = reader.digest(name, check_method)
        references.append((name, digest))

    # 5. Signature.xml, serialised once.
    root = _new_root("Signature")
    info = _sub(root, "SignedInfo")
    _sub(info, "Provider", ProviderName=provider, Version=provider_version, Company="trustkit")
    _sub(info, "SignatureMethod", str(signer.signature_algorithm()["algorithm"].dotted))
    _sub(info, "SignatureDateTime", _signature_time_text(moment))
    refs = _sub(info, "References", CheckMethod=check_method)
    for name, digest in references:
        ref = _sub(refs, "Reference", FileRef="/" + name)
        _sub(ref, "CheckValue", base64.b64encode(digest).decode("ascii"))
    for annot_id, annot in zip(annot_ids, annots):
        attrs = {"ID": annot_id, "PageRef": str(annot.page_id), "Boundary": annot.boundary.to_text()}
        if annot.clip is not None:
            attrs["Clip"] = annot.clip.to_text()
        _sub(info, "StampAnnot", **attrs)
    if seal_part is not None:
        seal_element = _sub(info, "Seal")
        _sub(seal_element, "BaseLoc", "/" + seal_part)
    _sub(root, "SignedValue", "/" + value_part)
    signature_xml = serialize_xml(root)
    writer.set(signature_part, signature_xml)

    # 6. SignedValue.dat over the exact Signature.xml bytes.
    value = _sign_value(fmt, signer, signature_xml, seal=parsed_seal, property_info="/" + signature_part,
                        moment=moment, timestamp=timestamp)
    writer.set(value_part, value, compress=False)  # an SES signature embeds the seal and its picture
    return writer


def stamp_ofd(
    ofd: bytes | OFDReader,
    signer: Signer,
    *,
    seal: bytes | None = None,
    placements: Sequence[Placement] = (),
    sign_format: SignFormat | None = None,
    check_method: str = SM3_OID,
    time: datetime | None = None,
    timestamp: TimestampAuthority | None = None,
    provider: str = "trustkit",
    provider_version: str = "1.0",
) -> bytes:
    """Add one signature to an OFD document; returns the new package.

    :param ofd: the package bytes, or an open :class:`OFDReader` (left open).
    :param signer: who signs (:class:`~trustkit.pki.signer.LocalSigner` for a local key, or any
        :class:`~trustkit.pki.signer.Signer`).  Its certificate must be in the seal's list.
    :param seal: the DER seal (``.esl``) for a Type="Seal" signature; ``None`` makes a
        Type="Sign" signature.
    :param placements: where the seal shows (:class:`PagePlacement`, :class:`KeywordPlacement`,
        :class:`RidingPlacement`); none = an invisible signature.  Type="Sign" placements need
        an explicit size.
    :param sign_format: ``"ses"`` (default with a seal: SES_Signature in the seal's version, v4 or
        v1), ``"sign-raw"`` (default without: a DER SM2 signature over Signature.xml, as ofdrw's
        DigitalSign) or ``"sign-cms"`` (GB/T 35275 SignedData, content = SM3(Signature.xml),
        no signed attributes, as GM/T 0099-2020 7.2.2 b; needs a LocalSigner).
    :param check_method: ``References@CheckMethod``: the SM3 OID (default, as the commercial
        sample) or ``"SM3"`` (ofdrw); MD5/SHA1/SHA256 exist for old readers.
    :param time: the signing time (aware; default now): TBS_Sign timeInfo, SignatureDateTime.
    :param timestamp: an RFC 3161 authority; its token over the signature value is embedded in
        the SES v4 signature.
    :raises StampRefusedError: an existing signature protects Signatures.xml.
    :raises ValueError: inconsistent arguments (signer not in the seal, keyword absent, page out
        of range, ...).
    :raises DecodeError: the package or the seal is malformed.
    """
    if isinstance(ofd, OFDReader):
        return _stamp(ofd, signer, seal=seal, placements=placements, sign_format=sign_format,
                      check_method=check_method, time=time, timestamp=timestamp, provider=provider,
                      provider_version=provider_version).to_bytes()
    with OFDReader.from_bytes(bytes(ofd)) as reader:
        return _stamp(reader, signer, seal=seal, placements=placements, sign_format=sign_format,
                      check_method=check_method, time=time, timestamp=timestamp, provider=provider,
                      provider_version=provider_version).to_bytes()


def stamp_ofd_file(
    in_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    signer: Signer,
    *,
    seal: bytes | None = None,
    placements: Sequence[Placement] = (),
    sign_format: SignFormat | None = None,
    check_method: str = SM3_OID,
    time: datetime | None = None,
    timestamp: TimestampAuthority | None = None,
    provider: str = "trustkit",
    provider_version: str = "1.0",
    overwrite: bool = True,
) -> None:
    """As :func:`stamp_ofd`, file to file: parts are streamed (hashed while read, copied unchanged)
    and the output is written atomically (``in_path`` may equal ``out_path``)."""
    with OFDReader.open(in_path) as reader:
        writer = _stamp(reader, signer, seal=seal, placements=placements, sign_format=sign_format,
                        check_method=check_method, time=time, timestamp=timestamp, provider=provider,
                        provider_version=provider_version)

        def produce(handle: BinaryIO) -> None:
            writer.write_to(handle)

        write_atomic_stream(out_path, produce, mode=0o644, overwrite=overwrite)
