"""The public data model of SES seals and seal signatures (frozen dataclasses).

Built by :mod:`trustkit.seal._ses_parse`; consumed by the verifier and by OFD code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Protocol

from trustkit.pki.certificate import Certificate

__all__ = [
    "MAX_SEAL_BYTES",
    "CertDigest",
    "ExtData",
    "Seal",
    "SealPictureInfo",
    "SealSignature",
]

#: Largest seal or SES_Signature accepted (a seal picture can be an OFD package; real ones are < 1 MiB).
MAX_SEAL_BYTES: Final = 8 << 20


class _HasKindAndData(Protocol):
    """What :meth:`SealPictureInfo.from_picture` needs: e.g. ``trustkit.seal.image.SealPicture``."""

    @property
    def kind(self) -> str: ...

    @property
    def data(self) -> bytes: ...


class _RendersPNG(Protocol):
    """What :meth:`SealPictureInfo.from_image` needs: e.g. ``trustkit.seal.image.SealImage``."""

    @property
    def width_mm(self) -> float: ...

    @property
    def height_mm(self) -> float: ...

    def png(self, dpi: float = ...) -> bytes: ...


@dataclass(frozen=True)
class SealPictureInfo:
    """``SES_ESPictrueInfo``: the seal image and its display size.

    :param type: the image type as written ("PNG", "JPG", "GIF", "BMP", "SVG", "ofd", ...).
    :param data: the image file bytes.
    :param width_mm: display width in millimetres (an INTEGER in the standard).
    :param height_mm: display height in millimetres.
    """

    type: str
    data: bytes = field(repr=False)
    width_mm: int
    height_mm: int

    @classmethod
    def from_picture(
        cls, picture: _HasKindAndData, *, width_mm: float | None = None, height_mm: float | None = None
    ) -> SealPictureInfo:
        """Wrap a checked picture (:func:`trustkit.seal.image.load_seal_picture`).

        The size defaults to the picture's own ``width_mm``/``height_mm`` when it states one.
        ``kind`` is written upper case ("png" -> "PNG"), except "ofd", which real seals write in
        lower case.

        :raises ValueError: no size given and the picture states none.
        """
        width = width_mm if width_mm is not None else getattr(picture, "width_mm", None)
        height = height_mm if height_mm is not None else getattr(picture, "height_mm", None)
        if width is None or height is None:
            raise ValueError("the picture states no physical size: pass width_mm and height_mm")
        kind = str(picture.kind)
        return cls(
            type=kind if kind.lower() == "ofd" else kind.upper(),
            data=bytes(picture.data),
            width_mm=round(float(width)),
            height_mm=round(float(height)),
        )

    @classmethod
    def from_image(cls, image: _RendersPNG, *, dpi: float = 300) -> SealPictureInfo:
        """A PNG of a generated seal image (:mod:`trustkit.seal.image`) at its true size."""
        return cls(type="PNG", data=image.png(dpi), width_mm=round(image.width_mm), height_mm=round(image.height_mm))


@dataclass(frozen=True)
class ExtData:
    """``ExtData``: an extension of the seal (SES_SealInfo) or of the signature (TBS_Sign, v4)."""

    oid: str
    critical: bool
    value: bytes


@dataclass(frozen=True)
class CertDigest:
    """``CertDigestObj`` (certListType 2): digest ``type`` as written (e.g. "SM3") and ``value``."""

    type: str
    value: bytes


@dataclass(frozen=True, eq=False)
class Seal:
    """A parsed electronic seal (``SESeal``).

    :param version: the layout found: 1 (GM/T 0031-2014), 4 (GB/T 38540-2020) or 5
        (GM/T 0031-2025: header version 5 or a seal timestamp).
    :param header_version: ``SES_Header.version`` as written (v1 seals carry 1, 2 or others).
    :param vendor_id: ``SES_Header.Vid``.
    :param esid: the seal identifier (``esID``).
    :param seal_type: ``SES_ESPropertyInfo.type`` (meaning defined per business; e.g. 1 unit, 2 person).
    :param cert_list_type: 1 = certificates (always for v1), 2 = certificate digests.
    :param signer_certificates: the signer certificates listed (certListType 1).
    :param signer_certificate_digests: the digests listed (certListType 2).
    :param created, valid_start, valid_end: aware UTC datetimes.
    :param maker_certificate: the seal maker's (制章者) certificate.
    :param signature_algorithm: dotted OID of the maker signature.
    :param signature: the maker signature value as carried (DER SM2Signature, or raw r||s).
    :param signed_bytes: the exact bytes the maker signed (v4/v5: DER(SES_SealInfo); v1: DER of
        SEQUENCE{SES_SealInfo, cert, signatureAlgorithm} built from the received elements).
    :param seal_info_der: the received DER of SES_SealInfo.
    :param timestamp: the v5 seal timestamp (DER TimeStampToken) if present.
    :param der: the whole seal as received.
    :param warnings: vendor variations met while parsing (the seal still parsed).
    """

    version: int
    header_version: int
    vendor_id: str
    esid: str
    seal_type: int
    name: str
    cert_list_type: int
    signer_certificates: tuple[Certificate, ...] = field(repr=False)
    signer_certificate_digests: tuple[CertDigest, ...] = field(repr=False)
    created: datetime
    valid_start: datetime
    valid_end: datetime
    picture: SealPictureInfo = field(repr=False)
    ext_datas: tuple[ExtData, ...] = field(repr=False)
    maker_certificate: Certificate = field(repr=False)
    signature_algorithm: str = field(repr=False)
    signature: bytes = field(repr=False)
    signed_bytes: bytes = field(repr=False)
    seal_info_der: bytes = field(repr=False)
    timestamp: bytes | None = field(repr=False)
    der: bytes = field(repr=False)
    warnings: tuple[str, ...] = field(repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Seal) and self.der == other.der

    def __hash__(self) -> int:
        return hash(self.der)


@dataclass(frozen=True, eq=False)
class SealSignature:
    """A parsed electronic signature (``SES_Signature``, 电子签章数据).

    :param version: the layout found: 1 (GM/T 0031-2014) or 4/5 (GB/T 38540 / GM/T 0031-2025).
    :param tbs_version: ``TBS_Sign.version`` as written.
    :param seal: the embedded seal.
    :param time_info: the signing time, when it could be read (v4: GeneralizedTime; v1: the
        producer's text, read as China Standard Time when it has no zone).
    :param time_info_raw: v1: the BIT STRING content as written; v4: the DER of the time.
    :param data_hash: the hash of the protected data (OFD: SM3 of Signature.xml).
    :param property_info: ``propertyInfo`` (OFD: the path of Signature.xml).
    :param ext_datas: v4 ``TBS_Sign.extDatas``.
    :param signer_certificate: the signer's (签章者) certificate.
    :param signature_algorithm: dotted OID of the signer signature.
    :param signature: the signature value as carried (DER SM2Signature, or raw r||s).
    :param timestamp_token: v4 ``timeStamp`` (DER TimeStampToken over the signature value).
    :param tbs_der: the exact received DER of TBS_Sign (what the signer signed).
    :param der: the whole SES_Signature as received.
    :param warnings: vendor variations met while parsing (this level and the seal's).
    """

    version: int
    tbs_version: int
    seal: Seal = field(repr=False)
    time_info: datetime | None
    time_info_raw: bytes = field(repr=False)
    data_hash: bytes = field(repr=False)
    property_info: str
    ext_datas: tuple[ExtData, ...] = field(repr=False)
    signer_certificate: Certificate = field(repr=False)
    signature_algorithm: str = field(repr=False)
    signature: bytes = field(repr=False)
    timestamp_token: bytes | None = field(repr=False)
    tbs_der: bytes = field(repr=False)
    der: bytes = field(repr=False)
    warnings: tuple[str, ...] = field(repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SealSignature) and self.der == other.der

    def __hash__(self) -> int:
        return hash(self.der)
