"""Reading SESeal and SES_Signature (v1, v4, v5): lenient where vendors differ, strict elsewhere.

The reader walks the received DER element by element instead of loading one asn1crypto spec,
so each known vendor variation is accepted at exactly one place and recorded as a warning:

- the layout (v1 / v4 / v5) is detected from the structure (element counts), never from the
  version numbers (reference/standards.md 4: ofdrw's VersionParser; v1 seals carry 1, 2, ...);
- BIT STRING or OCTET STRING for signature values, ``dataHash`` and v1 ``timeInfo`` (ofdrw's
  v1 reader accepts both);
- UTCTime or GeneralizedTime for every date;
- ``TBS_Sign.extDatas`` / ``SES_Signature.timeStamp`` as EXPLICIT ``[0]`` (ofdrw, the Tongzhi
  sample), IMPLICIT ``[0]`` or untagged;
- extra elements after ``SES_Header``'s three fields, and IA5String fields holding UTF-8/GB18030;
- signature values as DER SM2Signature, raw 64-byte ``r || s``, or DER whose INTEGERs carry a
  superfluous leading zero (reported; the signature is still checked cryptographically).

Strict: DER definite minimal lengths on every structural element, no trailing bytes, element
types and counts as the standards give them, a size limit, certificates parsed strictly.
Every failure is a :class:`~trustkit.errors.DecodeError` naming the element that is wrong.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TypeVar

from asn1crypto import cms, core, parser

from trustkit.asn1 import ses as asn1_ses
from trustkit.asn1.gmt0009 import SM2Signature
from trustkit.errors import DecodeError, TrustkitError
from trustkit.pki.algorithms import SM2_SIGNATURE_OIDS
from trustkit.pki.certificate import Certificate
from trustkit.primitives import sm2
from trustkit.seal._ses_model import (
    MAX_SEAL_BYTES,
    CertDigest,
    ExtData,
    Seal,
    SealPictureInfo,
    SealSignature,
)

__all__ = ["parse_seal", "parse_seal_signature", "verifiable_signature"]

#: China Standard Time: v1 ``timeInfo`` text without a zone is read in it (Chinese producers).
CST = timezone(timedelta(hours=8), "CST")

_MAX_CERT_LIST = 256
_MAX_EXT_DATAS = 256

_T = TypeVar("_T")

# Universal tags.
_INTEGER, _BIT_STRING, _OCTET_STRING, _OID = 2, 3, 4, 6
_UTF8, _SEQUENCE, _PRINTABLE, _IA5, _UTC_TIME, _GEN_TIME = 12, 16, 19, 22, 23, 24
_STRING_TAGS = {_UTF8: "UTF8String", _PRINTABLE: "PrintableString", _IA5: "IA5String"}


@dataclass(frozen=True)
class _Node:
    """One received TLV: class, constructed flag, tag number, full bytes and contents."""

    cls: int
    constructed: bool
    tag: int
    der: bytes
    contents: bytes

    def is_universal(self, tag: int) -> bool:
        return self.cls == 0 and self.tag == tag

    def describe(self) -> str:
        kinds = {0: "universal", 1: "application", 2: "context", 3: "private"}
        return f"{kinds.get(self.cls, '?')} tag {self.tag}"


class _Reader:
    """Walks one structure, collecting warnings; every error names the element being read."""

    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)

    # -- TLV level ----------------------------------------------------------------------------

    @staticmethod
    def _check_length(header: bytes, contents_len: int, what: str) -> None:
        # DER (X.690 10.1): definite form, minimal number of length octets.
        tag_len = 1
        if header[0] & 0x1F == 0x1F:
            tag_len = 2
            while tag_len <= len(header) and header[tag_len - 1] & 0x80:
                tag_len += 1
        length_octets = header[tag_len:]
        if not length_octets:
            raise DecodeError(f"{what}: missing length")
        if length_octets[0] & 0x80:
            if length_octets[0] == 0x80:
                raise DecodeError(f"{what}: indefinite length is BER, not DER")
            if contents_len < 0x80 or length_octets[1] == 0:
                raise DecodeError(f"{what}: non-minimal length encoding (not DER)")

    # asn1crypto's parser._parse is used (rather than parser.parse) because it takes a start
    # offset: walking the children of a large element then costs no copies of the rest.

    def node(self, data: bytes, what: str) -> _Node:
        """The single TLV that ``data`` must be (no trailing bytes)."""
        if not data:
            raise DecodeError(f"{what}: empty input")
        try:
            (cls, method, tag, header, contents, trailer), end = parser._parse(data, len(data))
        except (ValueError, TypeError, OverflowError) as exc:
            raise DecodeError(f"{what}: malformed DER ({_reason(exc)})") from None
        if trailer:
            raise DecodeError(f"{what}: indefinite length is BER, not DER")
        self._check_length(header, len(contents), what)
        if end != len(data):
            raise DecodeError(f"{what}: {len(data) - end} trailing bytes after the DER structure")
        return _Node(cls, bool(method), tag, data, contents)

    def children(self, node: _Node, what: str, counts: tuple[int, ...] | range) -> list[_Node]:
        """The elements inside a constructed node; their number must be in ``counts``."""
        if not node.constructed:
            raise DecodeError(f"{what}: expected a constructed element, found a primitive {node.describe()}")
        out: list[_Node] = []
        data, pos, limit = node.contents, 0, max(counts)
        while pos < len(data):
            if len(out) >= limit:
                raise DecodeError(f"{what}: more than {limit} elements")
            try:
                (cls, method, tag, header, contents, trailer), end = parser._parse(data, len(data), pos)
            except (ValueError, TypeError, OverflowError) as exc:
                raise DecodeError(f"{what}: malformed DER in element {len(out) + 1} ({_reason(exc)})") from None
            if trailer:
                raise DecodeError(f"{what}: element {len(out) + 1} has an indefinite length (BER, not DER)")
            self._check_length(header, len(contents), f"{what} element {len(out) + 1}")
            out.append(_Node(cls, bool(method), tag, data[pos:end], contents))
            pos = end
        if len(out) not in counts:
            wanted = " or ".join(str(c) for c in counts) if len(counts) < 5 else f"{min(counts)}..{max(counts)}"
            raise DecodeError(f"{what}: expected {wanted} elements, found {len(out)}")
        return out

    def sequence(self, node: _Node, what: str, counts: tuple[int, ...] | range) -> list[_Node]:
        if not node.is_universal(_SEQUENCE):
            raise DecodeError(f"{what}: expected a SEQUENCE, found {node.describe()}")
        return self.children(node, what, counts)

    # -- primitive values ---------------------------------------------------------------------

    @staticmethod
    def _load(spec: Callable[..., _T], node: _Node, what: str) -> _T:
        try:
            value: _T = spec(node.der)
            return value
        except TrustkitError:
            raise
        except (ValueError, TypeError, KeyError, IndexError, OverflowError, UnicodeDecodeError) as exc:
            raise DecodeError(f"{what}: malformed value ({_reason(exc)})") from None

    def integer(self, node: _Node, what: str) -> int:
        if not node.is_universal(_INTEGER):
            raise DecodeError(f"{what}: expected an INTEGER, found {node.describe()}")
        if len(node.contents) > 8:
            raise DecodeError(f"{what}: INTEGER too large ({len(node.contents)} bytes)")
        return self._load(lambda der: int(core.Integer.load(der, strict=True).native), node, what)

    def oid(self, node: _Node, what: str) -> str:
        if not node.is_universal(_OID):
            raise DecodeError(f"{what}: expected an OBJECT IDENTIFIER, found {node.describe()}")
        return self._load(lambda der: str(core.ObjectIdentifier.load(der, strict=True).dotted), node, what)

    def string(self, node: _Node, what: str, expected: int) -> str:
        if node.cls != 0 or node.tag not in _STRING_TAGS or node.constructed:
            raise DecodeError(f"{what}: expected {_STRING_TAGS[expected]}, found {node.describe()}")
        if node.tag != expected:
            self.warn(f"{what} is a {_STRING_TAGS[node.tag]}, not {_STRING_TAGS[expected]}")
        raw = node.contents
        if node.tag == _UTF8:
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                raise DecodeError(f"{what}: UTF8String is not valid UTF-8") from None
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError:
            pass
        for codec in ("utf-8", "gb18030"):
            try:
                text = raw.decode(codec)
            except UnicodeDecodeError:
                continue
            self.warn(f"{what} holds non-ASCII text (read as {codec.upper()})")
            return text
        raise DecodeError(f"{what}: string is neither ASCII, UTF-8 nor GB18030")

    def octets(self, node: _Node, what: str) -> bytes:
        if not node.is_universal(_OCTET_STRING) or node.constructed:
            raise DecodeError(f"{what}: expected an OCTET STRING, found {node.describe()}")
        return node.contents

    def bits(self, node: _Node, what: str, *, octet_ok: bool = True) -> bytes:
        """A BIT STRING's bytes (0 unused bits), or an OCTET STRING's in its place (vendor variation)."""
        if node.is_universal(_BIT_STRING) and not node.constructed:
            if not node.contents:
                raise DecodeError(f"{what}: empty BIT STRING")
            if node.contents[0] != 0:
                raise DecodeError(f"{what}: BIT STRING with {node.contents[0]} unused bits (whole bytes expected)")
            return node.contents[1:]
        if octet_ok and node.is_universal(_OCTET_STRING) and not node.constructed:
            self.warn(f"{what} is an OCTET STRING, not a BIT STRING")
            return node.contents
        raise DecodeError(f"{what}: expected a BIT STRING, found {node.describe()}")

    def time(self, node: _Node, what: str, expected: int) -> datetime:
        if node.cls != 0 or node.tag not in (_UTC_TIME, _GEN_TIME) or node.constructed:
            raise DecodeError(f"{what}: expected a time, found {node.describe()}")
        if node.tag != expected:
            names = {_UTC_TIME: "UTCTime", _GEN_TIME: "GeneralizedTime"}
            self.warn(f"{what} is a {names[node.tag]}, not {names[expected]}")
        spec = core.UTCTime if node.tag == _UTC_TIME else core.GeneralizedTime
        value = self._load(lambda der: spec.load(der, strict=True).native, node, what)
        if not isinstance(value, datetime):
            raise DecodeError(f"{what}: not a date and time")
        if value.tzinfo is None:
            self.warn(f"{what} has no time zone (read as UTC)")
            value = value.replace(tzinfo=timezone.utc)
        try:
            return value.astimezone(timezone.utc)
        except (OverflowError, ValueError):
            raise DecodeError(f"{what}: time out of range") from None

    def certificate(self, der: bytes, what: str) -> Certificate:
        try:
            return Certificate.from_der(der)
        except DecodeError as exc:
            raise DecodeError(f"{what}: {exc.message}") from None

    def ext_datas(self, der: bytes, what: str, **tagging: int) -> tuple[ExtData, ...]:
        def load(data: bytes) -> tuple[ExtData, ...]:
            items = asn1_ses.ExtensionDatas.load(data, strict=True, **tagging)
            if len(items) > _MAX_EXT_DATAS:
                raise DecodeError(f"{what}: more than {_MAX_EXT_DATAS} ExtData")
            out = []
            for item in items:
                critical = item["critical"]
                out.append(
                    ExtData(
                        oid=str(item["extn_id"].dotted),
                        critical=bool(critical.native) if not isinstance(critical, core.Void) else False,
                        value=bytes(item["extn_value"].native),
                    )
                )
            return tuple(out)

        return self._load(load, _Node(0, True, 0, der, b""), what)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _as_bytes(data: object, what: str) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
    else:
        raise TypeError(f"{what} must be bytes, not {type(data).__name__}")
    if len(raw) > MAX_SEAL_BYTES:
        raise DecodeError(f"{what}: {len(raw)} bytes is over the {MAX_SEAL_BYTES}-byte limit")
    return raw


# ---- signature values --------------------------------------------------------------------------


def verifiable_signature(algorithm_oid: str, value: bytes) -> tuple[bytes, str | None]:
    """The form of a signature value to verify, and a warning about its encoding (or None).

    SM2: canonical DER is returned as is; a 64-byte value that is not DER is a raw ``r || s``;
    DER whose INTEGERs are non-minimal (a superfluous leading zero) is converted to raw
    ``r || s`` so it is still checked cryptographically.  Other algorithms: unchanged.
    """
    if algorithm_oid not in SM2_SIGNATURE_OIDS:
        return value, None
    try:
        sm2.decode_signature_der(value)
        return value, None
    except DecodeError:
        pass
    if len(value) == 64:
        return value, "signature value is a raw 64-byte r||s, not a DER SM2Signature"
    try:
        parsed = SM2Signature.load(value, strict=True)
        r, s = int(parsed["r"].native), int(parsed["s"].native)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        return value, "signature value is neither DER SM2Signature nor raw r||s"
    if not (0 < r < 1 << 256 and 0 < s < 1 << 256):
        return value, "signature value has out-of-range INTEGERs"
    return (
        r.to_bytes(32, "big") + s.to_bytes(32, "big"),
        "signature DER is not canonical (an INTEGER with a superfluous leading zero or long-form length)",
    )


# ---- the seal ----------------------------------------------------------------------------------


def _header(reader: _Reader, node: _Node) -> tuple[int, str]:
    parts = reader.sequence(node, "SES_Header", range(3, 17))
    if len(parts) > 3:
        reader.warn(f"SES_Header has {len(parts) - 3} extra element(s) after ID, version, Vid (ignored)")
    ident = reader.string(parts[0], "SES_Header.ID", _IA5)
    if ident != "ES":
        reader.warn(f"SES_Header.ID is {ident!r}, not 'ES'")
    return reader.integer(parts[1], "SES_Header.version"), reader.string(parts[2], "SES_Header.Vid", _IA5)


def _picture(reader: _Reader, node: _Node) -> SealPictureInfo:
    parts = reader.sequence(node, "SES_ESPictrueInfo", (4,))
    width = reader.integer(parts[2], "SES_ESPictrueInfo.width")
    height = reader.integer(parts[3], "SES_ESPictrueInfo.height")
    if width < 0 or height < 0:
        raise DecodeError("SES_ESPictrueInfo: negative width or height")
    return SealPictureInfo(
        type=reader.string(parts[0], "SES_ESPictrueInfo.type", _IA5),
        data=reader.octets(parts[1], "SES_ESPictrueInfo.data"),
        width_mm=width,
        height_mm=height,
    )


@dataclass
class _Property:
    seal_type: int
    name: str
    cert_list_type: int
    certificates: tuple[Certificate, ...]
    digests: tuple[CertDigest, ...]
    dates: tuple[datetime, datetime, datetime]


def _cert_list(reader: _Reader, node: _Node, list_type: int) -> tuple[tuple[Certificate, ...], tuple[CertDigest, ...]]:
    items = reader.sequence(node, "SES_ESPropertyInfo.certList", range(0, _MAX_CERT_LIST + 1))
    if not items:
        reader.warn("the seal's certificate list is empty")
        return (), ()
    if all(item.is_universal(_OCTET_STRING) for item in items):
        if list_type != asn1_ses.CERT_LIST_TYPE_CERTS:
            reader.warn(f"certListType is {list_type} but the list holds certificates")
        certs = tuple(
            reader.certificate(reader.octets(item, "certList entry"), f"certList entry {i + 1}")
            for i, item in enumerate(items)
        )
        return certs, ()
    digests = []
    for i, item in enumerate(items):
        pair = reader.sequence(item, f"certList CertDigestObj {i + 1}", (2,))
        digests.append(
            CertDigest(
                type=reader.string(pair[0], "CertDigestObj.type", _PRINTABLE),
                value=reader.octets(pair[1], "CertDigestObj.value"),
            )
        )
    if list_type != asn1_ses.CERT_LIST_TYPE_DIGESTS:
        reader.warn(f"certListType is {list_type} but the list holds certificate digests")
    return (), tuple(digests)


def _property(reader: _Reader, node: _Node) -> tuple[_Property, int]:
    """Read SES_ESPropertyInfo; the layout (1 or 4) is told by its shape."""
    parts = reader.sequence(node, "SES_ESPropertyInfo", (6, 7))
    seal_type = reader.integer(parts[0], "SES_ESPropertyInfo.type")
    name = reader.string(parts[1], "SES_ESPropertyInfo.name", _UTF8)
    if len(parts) == 7:
        layout, expected_time = 4, _GEN_TIME
        list_type = reader.integer(parts[2], "SES_ESPropertyInfo.certListType")
        list_node, date_nodes = parts[3], parts[4:]
    else:
        layout, expected_time = 1, _UTC_TIME
        list_type, list_node, date_nodes = asn1_ses.CERT_LIST_TYPE_CERTS, parts[2], parts[3:]
    certs, digests = _cert_list(reader, list_node, list_type)
    created, start, end = (
        reader.time(n, f"SES_ESPropertyInfo.{label}", expected_time)
        for n, label in zip(date_nodes, ("createDate", "validStart", "validEnd"))
    )
    return _Property(seal_type, name, list_type, certs, digests, (created, start, end)), layout


def _seal_info(reader: _Reader, node: _Node) -> tuple[int, str, str, _Property, int, SealPictureInfo, tuple[ExtData, ...]]:
    parts = reader.sequence(node, "SES_SealInfo", (4, 5))
    header_version, vendor = _header(reader, parts[0])
    esid = reader.string(parts[1], "SES_SealInfo.esID", _IA5)
    prop, layout = _property(reader, parts[2])
    picture = _picture(reader, parts[3])
    exts: tuple[ExtData, ...] = ()
    if len(parts) == 5:
        ext = parts[4]
        if ext.is_universal(_SEQUENCE):
            exts = reader.ext_datas(ext.der, "SES_SealInfo.extDatas")
        elif ext.cls == 2 and ext.tag == 0:
            reader.warn("SES_SealInfo.extDatas is tagged [0] (written untagged by the standard's users)")
            exts = _tagged_ext_datas(reader, ext, "SES_SealInfo.extDatas")
        else:
            raise DecodeError(f"SES_SealInfo.extDatas: expected a SEQUENCE, found {ext.describe()}")
    return header_version, vendor, esid, prop, layout, picture, exts


def _tagged_ext_datas(reader: _Reader, node: _Node, what: str) -> tuple[ExtData, ...]:
    """``[0] ExtensionDatas``: EXPLICIT (ofdrw, real samples) or IMPLICIT."""
    if node.constructed:
        try:
            return reader.ext_datas(node.der, what, explicit=0)
        except DecodeError:
            pass
    result = reader.ext_datas(node.der, what, implicit=0)
    reader.warn(f"{what} is IMPLICIT [0] (ofdrw and the real samples write EXPLICIT [0])")
    return result


def _parse_seal_node(reader: _Reader, node: _Node) -> Seal:
    top = reader.sequence(node, "SESeal", (2, 4, 5))
    info_node = top[0]
    header_version, vendor, esid, prop, layout, picture, exts = _seal_info(reader, info_node)
    timestamp: bytes | None = None
    if len(top) == 2:
        version = 1
        sign_info = reader.sequence(top[1], "SES_SignInfo", (3,))
        cert_node, alg_node, sig_node = sign_info
    else:
        version = 5 if header_version == 5 or len(top) == 5 else 4
        cert_node, alg_node, sig_node = top[1:4]
        if len(top) == 5:
            timestamp = _tagged_bits(reader, top[4], "SESeal.timeStamp")
    if (layout == 1) != (version == 1):
        reader.warn(f"the seal's property info has the v{layout} layout inside a v{version} seal")
    maker_der = reader.octets(cert_node, "the seal maker certificate (cert)")
    algorithm = reader.oid(alg_node, "the seal signature algorithm")
    signed_bytes = _sign_range_v1(info_node, cert_node, alg_node) if version == 1 else info_node.der
    signature = reader.bits(sig_node, "the seal signature value")
    _, note = verifiable_signature(algorithm, signature)
    if note:
        reader.warn(f"seal maker {note}")
    created, start, end = prop.dates
    return Seal(
        version=version,
        header_version=header_version,
        vendor_id=vendor,
        esid=esid,
        seal_type=prop.seal_type,
        name=prop.name,
        cert_list_type=prop.cert_list_type,
        signer_certificates=prop.certificates,
        signer_certificate_digests=prop.digests,
        created=created,
        valid_start=start,
        valid_end=end,
        picture=picture,
        ext_datas=exts,
        maker_certificate=reader.certificate(maker_der, "the seal maker certificate"),
        signature_algorithm=algorithm,
        signature=signature,
        signed_bytes=signed_bytes,
        seal_info_der=info_node.der,
        timestamp=timestamp,
        der=node.der,
        warnings=tuple(reader.warnings),
    )


class _AnySequence(core.SequenceOf):  # type: ignore[misc]
    _child_spec = core.Any


def _sign_range_v1(info: _Node, cert: _Node, alg: _Node) -> bytes:
    """DER SEQUENCE{SES_SealInfo, cert, signatureAlgorithm} from the received element bytes."""
    try:
        return bytes(_AnySequence([core.Any.load(part.der, strict=True) for part in (info, cert, alg)]).dump())
    except ValueError as exc:  # the parts were type-checked before; this is a safety net
        raise DecodeError(f"SESeal (v1): cannot rebuild the signed range ({_reason(exc)})") from None


def _tagged_bits(reader: _Reader, node: _Node, what: str) -> bytes:
    """``[0] BIT STRING``: EXPLICIT (ofdrw) or IMPLICIT."""
    if node.cls != 2 or node.tag != 0:
        raise DecodeError(f"{what}: expected a [0] element, found {node.describe()}")
    if node.constructed:
        inner = reader.node(node.contents, what)
        return reader.bits(inner, what)
    reader.warn(f"{what} is IMPLICIT [0] (ofdrw writes EXPLICIT [0])")
    if not node.contents or node.contents[0] != 0:
        raise DecodeError(f"{what}: BIT STRING without whole bytes")
    return node.contents[1:]


def parse_seal(data: bytes) -> Seal:
    """Parse an electronic seal (``.esl``, DER ``SESeal``) of any known layout.

    :param data: the DER bytes (at most :data:`MAX_SEAL_BYTES`).
    :returns: the :class:`Seal`; vendor variations met are listed in ``warnings``.
    :raises DecodeError: malformed or unknown structure, with the element that is wrong.
    :raises TypeError: ``data`` is not bytes.
    """
    return _parse_seal_der(_as_bytes(data, "seal"))


@functools.lru_cache(maxsize=256)
def _parse_seal_der(der: bytes) -> Seal:
    """A seal parsed once per distinct DER: seals are immutable, and the same seal arrives inside
    every signature it makes (parse failures are not cached)."""
    reader = _Reader()
    return _parse_seal_node(reader, reader.node(der, "SESeal"))


# ---- the signature -----------------------------------------------------------------------------


def _v1_time_info(reader: _Reader, node: _Node) -> tuple[datetime | None, bytes]:
    if node.cls == 0 and node.tag in (_UTC_TIME, _GEN_TIME):
        reader.warn("v1 TBS_Sign.timeInfo is an ASN.1 time, not a BIT STRING")
        return reader.time(node, "TBS_Sign.timeInfo", node.tag), node.der
    raw = reader.bits(node, "TBS_Sign.timeInfo")
    return _read_time_text(reader, raw), raw


def _read_time_text(reader: _Reader, raw: bytes) -> datetime | None:
    """v1 timeInfo content: text (ofdrw: 'yyyy-MM-dd HH:mm:ss'), a DER time, or a TimeStampToken."""
    if raw[:1] in (b"\x17", b"\x18"):
        try:
            return reader.time(reader.node(raw, "timeInfo"), "TBS_Sign.timeInfo", raw[0])
        except DecodeError:
            pass
    if raw[:1] == b"\x30":
        try:
            info = cms.ContentInfo.load(raw, strict=True)
            gen_time = info["content"]["encap_content_info"]["content"].parsed["gen_time"].native
            if isinstance(gen_time, datetime):
                return gen_time.astimezone(timezone.utc)
        except (ValueError, TypeError, KeyError, AttributeError):
            pass
    try:
        text = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        text = ""
    for fmt, zone in (
        ("%Y-%m-%d %H:%M:%S", None),
        ("%Y%m%d%H%M%SZ", timezone.utc),
        ("%Y%m%d%H%M%S", None),
        ("%Y-%m-%dT%H:%M:%SZ", timezone.utc),
        ("%Y-%m-%dT%H:%M:%S", None),
    ):
        try:
            moment = datetime.strptime(text, fmt)
        except ValueError:
            continue
        if zone is None and fmt != "%Y-%m-%d %H:%M:%S":  # ofdrw's form: CST by convention, no warning
            reader.warn("v1 TBS_Sign.timeInfo has no time zone (read as China Standard Time, UTC+8)")
        try:
            return moment.replace(tzinfo=zone or CST).astimezone(timezone.utc)
        except (OverflowError, ValueError):
            break
    reader.warn("v1 TBS_Sign.timeInfo could not be read as a time")
    return None


def parse_seal_signature(data: bytes) -> SealSignature:
    """Parse an electronic signature (``SignedValue.dat``, DER ``SES_Signature``) of any known layout.

    :raises DecodeError: malformed or unknown structure, with the element that is wrong.
    :raises TypeError: ``data`` is not bytes.
    """
    raw = _as_bytes(data, "SES_Signature")
    reader = _Reader()
    top = reader.sequence(reader.node(raw, "SES_Signature"), "SES_Signature", (2, 4, 5))
    tbs = top[0]
    if tbs.is_universal(_OID):
        raise DecodeError(
            "SES_Signature: this is a CMS ContentInfo (GM/T 0010 / RFC 5652 SignedData), not an SES_Signature"
        )
    version = 1 if len(top) == 2 else 4
    if version == 1:
        parts = reader.sequence(tbs, "TBS_Sign (v1)", (7,))
        time_info, time_raw = _v1_time_info(reader, parts[2])
        cert_node, alg_node, sig_node = parts[5], parts[6], top[1]
        exts: tuple[ExtData, ...] = ()
        timestamp: bytes | None = None
    else:
        parts = reader.sequence(tbs, "TBS_Sign", (5, 6))
        time_info = reader.time(parts[2], "TBS_Sign.timeInfo", _GEN_TIME)
        time_raw = parts[2].der
        exts = ()
        if len(parts) == 6:
            ext = parts[5]
            if ext.is_universal(_SEQUENCE):
                reader.warn("TBS_Sign.extDatas is untagged (ofdrw and the real samples write EXPLICIT [0])")
                exts = reader.ext_datas(ext.der, "TBS_Sign.extDatas")
            elif ext.cls == 2 and ext.tag == 0:
                exts = _tagged_ext_datas(reader, ext, "TBS_Sign.extDatas")
            else:
                raise DecodeError(f"TBS_Sign.extDatas: expected [0] ExtensionDatas, found {ext.describe()}")
        cert_node, alg_node, sig_node = top[1:4]
        timestamp = _tagged_bits(reader, top[4], "SES_Signature.timeStamp") if len(top) == 5 else None
    tbs_version = reader.integer(parts[0], "TBS_Sign.version")
    seal = _parse_seal_der(parts[1].der)
    if (seal.version == 1) != (version == 1):
        raise DecodeError(f"SES_Signature: a v{version} signature layout embeds a v{seal.version} seal")
    if version != 1:
        version = seal.version
        if tbs_version != seal.header_version:
            reader.warn(f"TBS_Sign.version {tbs_version} differs from the seal's header version {seal.header_version}")
    data_hash = reader.bits(parts[3], "TBS_Sign.dataHash")
    property_info = reader.string(parts[4], "TBS_Sign.propertyInfo", _IA5)
    algorithm = reader.oid(alg_node, "the signature algorithm")
    signature = reader.bits(sig_node, "the signature value")
    _, note = verifiable_signature(algorithm, signature)
    if note:
        reader.warn(f"signer {note}")
    signer = reader.certificate(reader.octets(cert_node, "the signer certificate (cert)"), "the signer certificate")
    return SealSignature(
        version=version,
        tbs_version=tbs_version,
        seal=seal,
        time_info=time_info,
        time_info_raw=time_raw,
        data_hash=data_hash,
        property_info=property_info,
        ext_datas=exts,
        signer_certificate=signer,
        signature_algorithm=algorithm,
        signature=signature,
        timestamp_token=timestamp,
        tbs_der=tbs.der,
        der=raw,
        warnings=tuple(reader.warnings) + tuple(f"seal: {w}" for w in seal.warnings),
    )

