"""CMS SignedData with SM2: GM/T 0010-2012 (GB/T 35275) and RFC 5652.

Two OID families are written (``oids=``):

``"gm"``  contentType signedData 1.2.156.10197.6.1.4.2.2, eContentType data 1.2.156.10197.6.1.4.2.1
          (GM/T 0010 clause 6), digest SM3 1.2.156.10197.1.401, signature 1.2.156.10197.1.501.
``"rfc"`` contentType 1.2.840.113549.1.7.2, eContentType id-data 1.2.840.113549.1.7.1, same algorithms.

The SM2 ``signatureAlgorithm`` (``digestEncryptionAlgorithm``) is sm2sign-with-sm3 1.2.156.10197.1.501
in both families: that is what GmSSL (``src/cms.c``, ``OID_sm2sign_with_sm3``), Bouncy Castle
(``DefaultCMSSignatureEncryptionAlgorithmFinder`` passes the SM3withSM2 identifier through) and a real
vendor file (Tongzhi oesplugin, ``keyword.ofd``) write; ofdrw writes sm2sign 1.2.156.10197.1.301.1.
Both, and 1.2.156.10197.1.301, are accepted on input with absent or NULL parameters.

SM2 signatures use Z with the default signer ID (GM/T 0009 clause 10).  With signed attributes the
signature covers the DER of the SET OF attributes (RFC 5652 clause 5.4: the ``[0] IMPLICIT`` tag is
replaced by the SET tag); without them it covers the content octets.  RSA and ECDSA signers get the
RFC OIDs (SHA-256, rsaEncryption / ecdsa-with-SHA256) so international peers can read the result.

Parsing is strict: at most :data:`MAX_CMS_SIZE` bytes, DER lengths only, no trailing bytes; any
malformed input raises :class:`~trustkit.errors.DecodeError`.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Final, Literal

from asn1crypto import algos, cms, core, parser, x509

from trustkit import oids as _oids
from trustkit.errors import (
    CertificateValidationError,
    DecodeError,
    InvalidSignature,
    UnsupportedAlgorithmError,
)
from trustkit.pki import algorithms
from trustkit.pki.algorithms import PublicKey, SigningKey
from trustkit.pki.certificate import Certificate
from trustkit.pki.signer import LocalSigner, Signer
from trustkit.pki.validation import (
    Purpose,
    ValidationContext,
    ValidationReport,
    validate_chain,
)
from trustkit.primitives import sm2

__all__ = [
    "MAX_CMS_SIZE",
    "CmsVerification",
    "SignerVerification",
    "sign_cms",
    "verify_cms",
]

#: Largest CMS message :func:`verify_cms` accepts (attached content included).
MAX_CMS_SIZE: Final = 16 * 1024 * 1024

OidFamily = Literal["gm", "rfc"]

_SHA256: Final = "2.16.840.1.101.3.4.2.1"
_SHA384: Final = "2.16.840.1.101.3.4.2.2"
_SHA512: Final = "2.16.840.1.101.3.4.2.3"
_DIGEST_NAMES: Final = {
    _oids.SM3: "sm3",
    _oids.SM3_WITHOUT_KEY: "sm3",
    _SHA256: "sha256",
    _SHA384: "sha384",
    _SHA512: "sha512",
}
_DIGEST_OIDS: Final = {"sm3": _oids.SM3, "sha256": _SHA256, "sha384": _SHA384, "sha512": _SHA512}
_SM2_SIGNATURE_OIDS: Final = frozenset({_oids.SM2_SIGN_WITH_SM3, _oids.SM2_SIGN, _oids.SM2})
_RSA_ENCRYPTION: Final = "1.2.840.113549.1.1.1"
_RSA_WITH: Final = {
    "sha256": "1.2.840.113549.1.1.11",
    "sha384": "1.2.840.113549.1.1.12",
    "sha512": "1.2.840.113549.1.1.13",
}
_ECDSA_WITH: Final = {"sha256": "1.2.840.10045.4.3.2", "sha384": "1.2.840.10045.4.3.3", "sha512": "1.2.840.10045.4.3.4"}
_DATA_TYPES: Final = frozenset({_oids.CMS_DATA, _oids.GM_CMS_DATA})
_SIGNED_DATA_TYPES: Final = frozenset({_oids.CMS_SIGNED_DATA, _oids.GM_CMS_SIGNED_DATA})


# ---- output structures (asn1crypto spec classes; no global OID map is touched) --------------------


class _EncapsulatedContentInfo(core.Sequence):  # type: ignore[misc]
    """RFC 5652 clause 5.2 EncapsulatedContentInfo (GM/T 0010: ContentInfo with an OCTET STRING)."""

    _fields = [
        ("content_type", core.ObjectIdentifier),
        ("content", core.OctetString, {"explicit": 0, "optional": True}),
    ]


class _SignedData(core.Sequence):  # type: ignore[misc]
    """RFC 5652 clause 5.1 SignedData, GM/T 0010 clause 8.1 (crls are never written)."""

    _fields = [
        ("version", core.Integer),
        ("digest_algorithms", cms.DigestAlgorithms),
        ("encap_content_info", _EncapsulatedContentInfo),
        ("certificates", cms.CertificateSet, {"implicit": 0, "optional": True}),
        ("signer_infos", cms.SignerInfos),
    ]


class _ContentInfo(core.Sequence):  # type: ignore[misc]
    """RFC 5652 clause 3 ContentInfo whose content is a SignedData (either OID family)."""

    _fields = [
        ("content_type", core.ObjectIdentifier),
        ("content", _SignedData, {"explicit": 0}),
    ]


# ---- results ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignerVerification:
    """One SignerInfo that verified.

    :ivar signer: the certificate whose key made the signature.
    :ivar signing_time: the signingTime attribute (aware UTC), if present; it is the signer's claim.
    :ivar digest_algorithm: dotted OID of the SignerInfo digestAlgorithm.
    :ivar signature_algorithm: dotted OID of the signatureAlgorithm as written.
    :ivar signed_attributes_der: the exact bytes the signature covers (the DER SET OF attributes),
        or ``None`` when there are no signed attributes and the signature covers the content.
    :ivar signature: the signature value as written (DER or raw ``r || s`` for SM2).
    :ivar chain: the path validation report, when a validation context was given.
    """

    signer: Certificate
    signing_time: datetime | None
    digest_algorithm: str
    signature_algorithm: str
    signed_attributes_der: bytes | None
    signature: bytes
    chain: ValidationReport | None


@dataclass(frozen=True)
class CmsVerification:
    """The result of :func:`verify_cms`: every SignerInfo verified.

    The single-signer properties (``signer``, ``signing_time`` ...) describe the first SignerInfo.
    """

    content: bytes
    content_type: str
    signers: tuple[SignerVerification, ...]

    @property
    def signer(self) -> Certificate:
        return self.signers[0].signer

    @property
    def signing_time(self) -> datetime | None:
        return self.signers[0].signing_time

    @property
    def digest_algorithm(self) -> str:
        return self.signers[0].digest_algorithm

    @property
    def signature_algorithm(self) -> str:
        return self.signers[0].signature_algorithm

    @property
    def signed_attributes_der(self) -> bytes | None:
        return self.signers[0].signed_attributes_der

    @property
    def chain(self) -> ValidationReport | None:
        return self.signers[0].chain


# ---- signing ---------------------------------------------------------------------------------------


def _is_sm2(key: SigningKey | PublicKey) -> bool:
    return isinstance(key, (sm2.PrivateKey, sm2.PublicKey))


def _algorithms_for(signer: Signer) -> tuple[str, str, str]:
    """Return (digest name, digest OID, signatureAlgorithm OID) for a signer."""
    oid = str(signer.signature_algorithm()["algorithm"].dotted)
    if oid == _oids.SM2_SIGN_WITH_SM3:
        return "sm3", _oids.SM3, _oids.SM2_SIGN_WITH_SM3
    for name, rsa_oid in _RSA_WITH.items():
        if oid == rsa_oid:
            # RFC 3370 3.2 / RFC 5754: rsaEncryption with the digest named separately.
            return name, _DIGEST_OIDS[name], _RSA_ENCRYPTION
    for name, ecdsa_oid in _ECDSA_WITH.items():
        if oid == ecdsa_oid:
            return name, _DIGEST_OIDS[name], oid
    raise UnsupportedAlgorithmError(f"CMS signing with signature algorithm {oid} is not supported")


def as_signer(key_or_signer: Signer | SigningKey, certificate: Certificate | None,
              chain: Sequence[Certificate] = ()) -> Signer:
    """A :class:`Signer` from either a Signer (``certificate`` must then be None or the same) or a key + certificate.

    :raises ValueError: a key without a certificate, or a key that does not match it.
    """
    if isinstance(key_or_signer, Signer):
        if certificate is not None and certificate.der != key_or_signer.certificate.der:
            raise ValueError("the certificate does not match the signer's certificate")
        return key_or_signer
    if certificate is None:
        raise ValueError("a private key needs its certificate")
    try:
        return LocalSigner(key_or_signer, certificate, tuple(chain))
    except ValueError:
        raise ValueError("the signing key does not match the certificate's public key") from None


def _signing_time_value(when: datetime) -> Any:
    """RFC 5652 clause 11.3: UTCTime for 1950-2049, GeneralizedTime otherwise."""
    when = when.astimezone(timezone.utc).replace(microsecond=0)
    if 1950 <= when.year < 2050:
        return cms.Time({"utc_time": when})
    return cms.Time({"generalized_time": when})


def _attribute(oid: str, value: Any) -> Any:
    return cms.CMSAttribute({"type": oid, "values": [value]})


def _build_signed_data(
    content: bytes,
    signer: Signer,
    *,
    content_type: str,
    signed_data_type: str,
    detached: bool,
    extra_certificates: Sequence[Certificate],
    signing_time: datetime | None,
    signed_attributes: bool,
    extra_attributes: Sequence[Any] = (),
    include_certificates: bool = True,
) -> bytes:
    """Build and sign a ContentInfo(SignedData); shared with :mod:`trustkit.pki.timestamp`."""
    certificate = signer.certificate
    digest_name, digest_oid, signature_oid = _algorithms_for(signer)
    digest_algorithm = algos.DigestAlgorithm({"algorithm": digest_oid})
    signed_attrs = None
    if signed_attributes:
        when = signing_time if signing_time is not None else datetime.now(timezone.utc)
        if when.tzinfo is None:
            raise ValueError("signing_time must be timezone-aware")
        attrs = [
            _attribute(_oids.ATTR_CONTENT_TYPE, content_type),
            _attribute(_oids.ATTR_SIGNING_TIME, _signing_time_value(when)),
            _attribute(_oids.ATTR_MESSAGE_DIGEST, algorithms.digest(digest_name, content)),
            *extra_attributes,
        ]
        # RFC 5652 clause 5.4: the signature covers the DER SET OF (tag 0x31), not the [0] field.
        # asn1crypto sorts SET OF members by encoding, as DER requires.
        to_sign = bytes(cms.CMSAttributes(attrs).dump())
        # A lazily parsed copy is re-tagged [0] and written without walking the attribute tree.
        signed_attrs = cms.CMSAttributes.load(to_sign)
    elif extra_attributes:
        raise ValueError("extra signed attributes need signed_attributes=True")
    else:
        to_sign = content
    signature = signer.sign(to_sign)
    # Fresh, lazily parsed copies: asn1crypto then writes their bytes without walking them.
    issuer = x509.Name.load(bytes(certificate.asn1["tbs_certificate"]["issuer"].dump()))
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                        {"issuer": issuer, "serial_number": certificate.serial_number}
                    )
                }
            ),
            "digest_algorithm": digest_algorithm,
            "signed_attrs": signed_attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": signature_oid}),
            "signature": signature,
        }
    )
    if signed_attrs is not None and signer_info["signed_attrs"].dump()[1:] != to_sign[1:]:
        raise AssertionError("signed attributes re-encoded differently")  # pragma: no cover
    certs = list({c.der: c for c in (certificate, *extra_certificates)}.values())  # in order, no duplicates
    # RFC 5652 clause 5.1: version 3 when eContentType is not id-data, else 1 (GM/T 0010: always 1).
    version = 1 if content_type in _DATA_TYPES else 3
    signed_data = _SignedData(
        {
            "version": version,
            "digest_algorithms": [digest_algorithm],
            "encap_content_info": {
                "content_type": content_type,
                "content": None if detached else content,
            },
            "certificates": [cms.CertificateChoices({"certificate": x509.Certificate.load(c.der)}) for c in certs]
            if include_certificates
            else None,
            "signer_infos": [signer_info],
        }
    )
    return bytes(_ContentInfo({"content_type": signed_data_type, "content": signed_data}).dump())


def sign_cms(
    data: bytes,
    signer: Signer | SigningKey,
    certificate: Certificate | None = None,
    *,
    detached: bool = False,
    extra_certificates: Sequence[Certificate] = (),
    signing_time: datetime | None = None,
    oids: OidFamily | None = None,
    signed_attributes: bool = True,
) -> bytes:
    """Sign ``data`` into a DER ContentInfo(SignedData) (RFC 5652 clause 5, GM/T 0010 clause 8).

    :param data: the content.
    :param signer: a :class:`~trustkit.pki.signer.Signer` (its certificate and chain are
        included), or the signer's private key (SM2, RSA or ECDSA P-256/P-384) with ``certificate``.
    :param certificate: the signer's certificate when ``signer`` is a key.
    :param detached: leave the content out (the verifier passes it as ``data=``).
    :param extra_certificates: more certificates to include (after the signer's chain).
    :param signing_time: the signingTime attribute (aware datetime; default: now).
    :param oids: ``"gm"`` (GM/T 0010 content types) or ``"rfc"`` (RFC 5652); default ``"gm"``
        for SM2 signers and ``"rfc"`` otherwise.  ``"gm"`` needs an SM2 signer.
    :param signed_attributes: include contentType, signingTime and messageDigest and sign them
        (RFC 5652 clause 5.4); without them the signature covers the content itself.
    :returns: DER bytes.
    :raises ValueError: the key does not match the certificate, or ``"gm"`` with a non-SM2 signer.
    :raises UnsupportedAlgorithmError: an unsupported key type.
    """
    resolved = as_signer(signer, certificate)
    is_sm2 = str(resolved.signature_algorithm()["algorithm"].dotted) == _oids.SM2_SIGN_WITH_SM3
    family = oids if oids is not None else ("gm" if is_sm2 else "rfc")
    if family not in ("gm", "rfc"):
        raise ValueError('oids must be "gm" or "rfc"')
    if family == "gm" and not is_sm2:
        raise ValueError('the GM/T 0010 OIDs (oids="gm") are for SM2 keys; use oids="rfc"')
    gm = family == "gm"
    return _build_signed_data(
        bytes(data),
        resolved,
        content_type=_oids.GM_CMS_DATA if gm else _oids.CMS_DATA,
        signed_data_type=_oids.GM_CMS_SIGNED_DATA if gm else _oids.CMS_SIGNED_DATA,
        detached=detached,
        extra_certificates=[*resolved.chain, *extra_certificates],
        signing_time=signing_time,
        signed_attributes=signed_attributes,
    )


# ---- strict envelope parsing ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tlv:
    class_: int
    constructed: bool
    tag: int
    contents: bytes
    encoded: bytes


def _tlv(data: bytes, what: str) -> _Tlv:
    """Parse exactly one DER element (asn1crypto's parser), refusing BER-only forms."""
    class_, method, tag, header, contents, trailer = parser.parse(data, strict=True)
    if trailer:
        raise DecodeError(f"{what}: indefinite-length (BER) encoding; DER is required")
    if tag < 31:
        length = len(contents)
        minimal = 2 if length < 0x80 else 2 + (length.bit_length() + 7) // 8
        if len(header) != minimal:
            raise DecodeError(f"{what}: non-minimal DER length encoding")
    return _Tlv(class_, method == 1, tag, contents, bytes(data))


def _children(contents: bytes, what: str) -> list[_Tlv]:
    out = []
    pos = 0
    while pos < len(contents):
        size = parser.peek(contents[pos:])
        out.append(_tlv(contents[pos : pos + size], what))
        pos += size
    return out


def _expect(node: _Tlv, class_: int, tag: int, constructed: bool, what: str) -> None:
    if node.class_ != class_ or node.tag != tag or node.constructed != constructed:
        raise DecodeError(f"{what}: unexpected ASN.1 element (class {node.class_}, tag {node.tag})")


def _oid(node: _Tlv, what: str) -> str:
    _expect(node, 0, 6, False, what)
    return str(core.ObjectIdentifier.load(node.encoded, strict=True).dotted)


@dataclass(frozen=True)
class _ParsedSignerInfo:
    issuer_der: bytes | None  # sid issuerAndSerialNumber: the issuer Name DER, as written
    serial_number: int | None
    subject_key_identifier: bytes | None  # sid [0] subjectKeyIdentifier
    digest_oid: str
    signature_oid: str
    signature: bytes
    signed_attrs_der: bytes | None
    message_digest: bytes | None
    content_type_attr: str | None
    signing_time: datetime | None


@dataclass(frozen=True)
class _ParsedSignedData:
    content_type: str
    econtent_type: str
    content: bytes | None  # the eContent: OCTET STRING octets, or the DER of another type
    digested: bytes | None  # what the messageDigest covers
    certificates: tuple[Any, ...]  # asn1crypto x509.Certificate
    signer_infos: tuple[_ParsedSignerInfo, ...]


def _parse_attributes(signed_attrs: Any) -> tuple[bytes, str | None, datetime | None]:
    message_digest: bytes | None = None
    content_type: str | None = None
    signing_time: datetime | None = None
    seen: set[str] = set()
    for attr in signed_attrs:
        oid = attr["type"].dotted
        if oid in seen:
            raise DecodeError(f"signed attribute {oid} appears twice (RFC 5652 clause 5.3)")
        values = attr["values"]
        seen.add(oid)
        if oid in (_oids.ATTR_MESSAGE_DIGEST, _oids.ATTR_CONTENT_TYPE, _oids.ATTR_SIGNING_TIME) and len(values) != 1:
            raise DecodeError(f"signed attribute {oid} must have exactly one value (RFC 5652 clause 11)")
        if oid == _oids.ATTR_MESSAGE_DIGEST:
            message_digest = bytes(values[0].native)
        elif oid == _oids.ATTR_CONTENT_TYPE:
            content_type = str(values[0].dotted)
        elif oid == _oids.ATTR_SIGNING_TIME:
            value = values[0].chosen.native
            if not isinstance(value, datetime):
                raise DecodeError("signingTime is not a time")
            signing_time = value.astimezone(timezone.utc)
    if message_digest is None:
        raise DecodeError("signed attributes without a messageDigest (RFC 5652 clause 5.3)")
    return message_digest, content_type, signing_time


def _parse_signer_info(si: Any) -> _ParsedSignerInfo:
    version = si["version"].native
    if version not in ("v1", "v3"):
        raise DecodeError(f"SignerInfo version {version} is not supported (expected 1 or 3)")
    signed_attrs = si["signed_attrs"]
    signed_der: bytes | None = None
    message_digest: bytes | None = None
    content_type: str | None = None
    signing_time: datetime | None = None
    if not isinstance(signed_attrs, core.Void):
        raw = bytes(signed_attrs.dump())
        # RFC 5652 clause 5.4: the signature covers the SET OF with its universal tag.
        signed_der = b"\x31" + raw[1:]
        message_digest, content_type, signing_time = _parse_attributes(signed_attrs)
    algorithm = si["signature_algorithm"]
    sid = si["sid"]
    issuer_der = serial = ski = None
    if sid.name == "issuer_and_serial_number":
        # The issuer Name is kept as bytes: vendor names hold values asn1crypto cannot decode
        # (x500UniqueIdentifier as UTF8String), and matching needs no decoding.
        issuer_der = bytes(sid.chosen["issuer"].dump())
        serial = int(sid.chosen["serial_number"].native)
    else:
        ski = bytes(sid.chosen.native)
    si["digest_algorithm"].native  # noqa: B018 - parse now, inside the caller's error conversion
    return _ParsedSignerInfo(
        issuer_der=issuer_der,
        serial_number=serial,
        subject_key_identifier=ski,
        digest_oid=str(si["digest_algorithm"]["algorithm"].dotted),
        # Absent or NULL parameters for SM2 (1.501, 1.301.1, 1.301), RSA and ECDSA.
        signature_oid=algorithms.check_algorithm_parameters(algorithm, "SignerInfo.signatureAlgorithm"),
        signature=bytes(si["signature"].native),
        signed_attrs_der=signed_der,
        message_digest=message_digest,
        content_type_attr=content_type,
        signing_time=signing_time,
    )


def _parse(data: bytes) -> _ParsedSignedData:
    outer = _tlv(data, "ContentInfo")
    _expect(outer, 0, 16, True, "ContentInfo")
    fields = _children(outer.contents, "ContentInfo")
    if len(fields) != 2:
        raise DecodeError("ContentInfo must hold a contentType and a [0] content")
    content_type = _oid(fields[0], "ContentInfo.contentType")
    if content_type not in _SIGNED_DATA_TYPES:
        raise DecodeError(
            f"contentType {content_type} is not signedData (1.2.840.113549.1.7.2 or 1.2.156.10197.6.1.4.2.2)"
        )
    _expect(fields[1], 2, 0, True, "ContentInfo.content")
    sd = _tlv(fields[1].contents, "SignedData")
    _expect(sd, 0, 16, True, "SignedData")
    parts = _children(sd.contents, "SignedData")
    if len(parts) < 4:
        raise DecodeError("SignedData is truncated")
    _expect(parts[0], 0, 2, False, "SignedData.version")
    version = core.Integer.load(parts[0].encoded, strict=True).native
    if version not in (1, 3, 4, 5):
        raise DecodeError(f"SignedData version {version} is not supported")
    _expect(parts[1], 0, 17, True, "SignedData.digestAlgorithms")
    cms.DigestAlgorithms.load(parts[1].encoded, strict=True).native  # noqa: B018 - validates
    # EncapsulatedContentInfo (RFC 5652) / ContentInfo (GM/T 0010, PKCS #7): OID, [0] EXPLICIT content.
    _expect(parts[2], 0, 16, True, "encapContentInfo")
    eci = _children(parts[2].contents, "encapContentInfo")
    if not 1 <= len(eci) <= 2:
        raise DecodeError("encapContentInfo must hold a contentType and an optional [0] content")
    econtent_type = _oid(eci[0], "eContentType")
    content = digested = None
    if len(eci) == 2:
        _expect(eci[1], 2, 0, True, "eContent")
        inner = _tlv(eci[1].contents, "eContent")
        if inner.class_ == 0 and inner.tag == 4:
            if inner.constructed:
                raise DecodeError("eContent: constructed OCTET STRING (BER); DER is required")
            content = digested = inner.contents
        else:
            # PKCS #7 v1.5 clause 9.3: other content types are digested over their contents octets.
            content, digested = inner.encoded, inner.contents
    rest = parts[3:]
    certificates: tuple[Any, ...] = ()
    if rest and rest[0].class_ == 2 and rest[0].tag == 0:
        choices = cms.CertificateSet.load(rest[0].encoded, strict=True, implicit=0)
        certificates = tuple(c.chosen for c in choices if c.name == "certificate")
        rest = rest[1:]
    if rest and rest[0].class_ == 2 and rest[0].tag == 1:
        rest = rest[1:]  # crls: not used for verification (the validation context carries CRLs)
    if len(rest) != 1:
        raise DecodeError("SignedData: unexpected fields before or after signerInfos")
    _expect(rest[0], 0, 17, True, "SignedData.signerInfos")
    infos = cms.SignerInfos.load(rest[0].encoded, strict=True)
    if len(infos) == 0:
        raise DecodeError("SignedData has no SignerInfo")
    return _ParsedSignedData(
        content_type=content_type,
        econtent_type=econtent_type,
        content=content,
        digested=digested,
        certificates=certificates,
        signer_infos=tuple(_parse_signer_info(si) for si in infos),
    )


def _parse_strict(data: bytes) -> _ParsedSignedData:
    if len(data) > MAX_CMS_SIZE:
        raise DecodeError(f"CMS message of {len(data)} bytes exceeds the {MAX_CMS_SIZE}-byte limit")
    try:
        return _parse(data)
    except DecodeError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError) as exc:
        raise DecodeError(f"malformed CMS SignedData: {exc}") from None


# ---- verification ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _certificate(der: bytes) -> Certificate:
    """Parse an embedded certificate; a bounded cache, since signers and TSAs repeat (Certificate is immutable)."""
    return Certificate.from_der(der)


def _find_signer(info: _ParsedSignerInfo, pool: Sequence[Certificate], refused: Sequence[str]) -> Certificate:
    try:
        return _match_signer(info, pool, refused)
    except DecodeError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise DecodeError(f"malformed SignerInfo.sid: {exc}") from None


def _same_name(a: bytes, b: bytes) -> bool:
    """Exact DER match, else RFC 5280 7.1 comparison (asn1crypto's normalisation) when decodable."""
    if a == b:
        return True
    try:
        return bool(x509.Name.load(a, strict=True) == x509.Name.load(b, strict=True))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return False


def _match_signer(info: _ParsedSignerInfo, pool: Sequence[Certificate], refused: Sequence[str]) -> Certificate:
    if info.issuer_der is not None:
        for cert in pool:
            if cert.serial_number == info.serial_number and _same_name(
                bytes(cert.asn1["tbs_certificate"]["issuer"].dump()), info.issuer_der
            ):
                return cert
    else:
        ski = info.subject_key_identifier
        assert ski is not None
        for cert in pool:
            own = cert.subject_key_identifier
            if own is None:
                own = algorithms.key_identifier(cert.public_key)
            if hmac.compare_digest(own, ski):
                return cert
    if refused:
        raise DecodeError(
            f"the signer's certificate was not found; a certificate in the message is malformed: {refused[0]}"
        )
    raise DecodeError("the signer's certificate is neither in the message nor in the certificates passed")


def _verify_signature(info: _ParsedSignerInfo, public_key: PublicKey, signed: bytes, digest_name: str) -> None:
    oid = info.signature_oid
    if oid in _SM2_SIGNATURE_OIDS:
        if not _is_sm2(public_key):
            raise InvalidSignature()
        algorithms.verify_vartime(public_key, _oids.SM2_SIGN_WITH_SM3, info.signature, signed)
        return
    if oid == _RSA_ENCRYPTION:
        effective = _RSA_WITH.get(digest_name)
    elif oid == _oids.EC_PUBLIC_KEY:
        effective = _ECDSA_WITH.get(digest_name)
    else:
        effective = oid
    if effective is None:
        raise UnsupportedAlgorithmError(f"signature algorithm {oid} with digest {digest_name} is not supported")
    algorithms.verify_vartime(public_key, effective, info.signature, signed)


def verify_cms(
    cms_der: bytes,
    *,
    data: bytes | None = None,
    certificates: Sequence[Certificate] = (),
    context: ValidationContext | None = None,
    at: datetime | None = None,
    purpose: Purpose = Purpose.DIGITAL_SIGNATURE,
) -> CmsVerification:
    """Verify a CMS / GM/T 0010 SignedData; every SignerInfo must verify.

    Checks per SignerInfo: the messageDigest attribute against the content (constant-time), the
    contentType attribute against eContentType, then the signature over the signed attributes
    (or over the content when there are none); then, with ``context``, the signer's certificate
    path (certificates in the message are offered to the path builder as intermediates).

    :param cms_der: DER ContentInfo (either OID family).
    :param data: the content, required when the message is detached.
    :param certificates: extra certificates to find the signer by (when the message omits them).
    :param context: a validation context; without it only the signatures are checked.
    :param at: the validation time for the certificate path (default: now).
    :param purpose: the key purpose the signer's certificate must allow.
    :raises DecodeError: malformed input, or no certificate for a signer.
    :raises InvalidSignature: a digest or signature mismatch, or detached data that differs from
        the attached content.
    :raises UnsupportedAlgorithmError: a digest or signature algorithm outside the allowlist.
    :raises CertificateValidationError: ``context`` was given and a signer's path does not validate.
    """
    if not isinstance(cms_der, (bytes, bytearray, memoryview)):
        raise TypeError("cms_der must be bytes")
    parsed = _parse_strict(bytes(cms_der))
    content: bytes
    digested: bytes
    if parsed.content is None or parsed.digested is None:
        if data is None:
            raise ValueError("the SignedData is detached: pass the content as data=")
        content = digested = bytes(data)
    else:
        content, digested = parsed.content, parsed.digested
        if data is not None and not hmac.compare_digest(bytes(data), content):
            raise InvalidSignature()
    # Certificates we cannot parse are left out of the pool; they matter only if one is the signer's.
    parsed_certificates: list[Certificate] = []
    refused: list[str] = []
    for raw in parsed.certificates:
        try:
            parsed_certificates.append(_certificate(bytes(raw.dump())))
        except DecodeError as exc:
            refused.append(exc.message)
    embedded = tuple(parsed_certificates)
    pool = (*embedded, *certificates)
    results = []
    for info in parsed.signer_infos:
        digest_name = _DIGEST_NAMES.get(info.digest_oid)
        if digest_name is None:
            raise UnsupportedAlgorithmError(f"digest algorithm {info.digest_oid} is not supported")
        signer = _find_signer(info, pool, refused)
        if info.signed_attrs_der is not None:
            assert info.message_digest is not None
            if info.content_type_attr is not None and info.content_type_attr != parsed.econtent_type:
                both_data = {info.content_type_attr, parsed.econtent_type} <= _DATA_TYPES
                if not both_data:
                    raise InvalidSignature()
            expected = algorithms.digest(digest_name, digested)
            if not hmac.compare_digest(expected, info.message_digest):
                raise InvalidSignature()
            signed = info.signed_attrs_der
        else:
            signed = digested
        _verify_signature(info, signer.public_key, signed, digest_name)
        results.append((info, signer))
    out = []
    for info, signer in results:
        report = None
        if context is not None:
            report = validate_chain(signer, context, at=at, purpose=purpose, intermediates=embedded)
            if not report.valid:
                raise CertificateValidationError(
                    f"the signer certificate {signer.subject_text!r} does not validate: {report.summary()}",
                    report=report,
                )
        out.append(
            SignerVerification(
                signer=signer,
                signing_time=info.signing_time,
                digest_algorithm=info.digest_oid,
                signature_algorithm=info.signature_oid,
                signed_attributes_der=info.signed_attrs_der,
                signature=info.signature,
                chain=report,
            )
        )
    return CmsVerification(content=content, content_type=parsed.econtent_type, signers=tuple(out))


def _signed_attribute(verification: SignerVerification, oid: str) -> bytes | None:
    """The DER of the first value of a signed attribute, for callers above this module."""
    if verification.signed_attributes_der is None:
        return None
    for attr in cms.CMSAttributes.load(verification.signed_attributes_der, strict=True):
        if attr["type"].dotted == oid:
            return bytes(attr["values"][0].dump())
    return None

