"""Electronic seal structures: GB/T 38540-2020 ("v4"), GM/T 0031-2014 ("v1"), GM/T 0031-2025 ("v5").

Structure only (asn1crypto spec classes), no crypto.  Field names follow the standards in
snake_case; the original ASN.1 names are given in each docstring (reference/standards.md 4).
These classes are what trustkit *writes*; the reader in :mod:`trustkit.seal.ses` walks the
received bytes itself so that it can accept the vendor variations listed there.

Tagging facts (reference/standards.md 9.9), as ofdrw and the real GOMAIN / Tongzhi samples encode:

- ``TBS_Sign.extDatas`` and ``SES_Signature.timeStamp`` (v4) and ``SESeal.timeStamp`` (v5) are
  EXPLICIT ``[0]``;
- ``SES_SealInfo.extDatas`` is untagged (the standard's "EXPLICIT ExtensionDatas OPTIONAL"
  has no tag number);
- ``ExtData.critical`` is ``BOOLEAN DEFAULT FALSE`` in the text, but real seals and ofdrw's
  positional reader carry it explicitly, so it is declared OPTIONAL here and always written;
- ``SES_CertList`` is an untagged CHOICE between two ``SEQUENCE OF`` types, selected by
  ``certListType``; it is declared as ``Any`` and holds a :class:`CertInfoList` or a
  :class:`CertDigestList`.
"""

from __future__ import annotations

from asn1crypto.core import (
    Any,
    Boolean,
    Choice,
    GeneralizedTime,
    IA5String,
    Integer,
    ObjectIdentifier,
    OctetBitString,
    OctetString,
    PrintableString,
    Sequence,
    SequenceOf,
    UTCTime,
    UTF8String,
)

__all__ = [
    "CERT_LIST_TYPE_CERTS",
    "CERT_LIST_TYPE_DIGESTS",
    "CertDigestList",
    "CertDigestObj",
    "CertInfoList",
    "ExtData",
    "ExtensionDatas",
    "SESESPictrueInfo",
    "SESESPropertyInfoV1",
    "SESESPropertyInfoV4",
    "SESHeader",
    "SESSealInfoV1",
    "SESSealInfoV4",
    "SESSealSignRangeV1",
    "SESSignInfo",
    "SESSignatureV1",
    "SESSignatureV4",
    "SESealV1",
    "SESealV4",
    "SESTime",
    "TBSSignV1",
    "TBSSignV4",
]

#: ``certListType`` values (GB/T 38540-2020 SES_ESPropertyInfo).
CERT_LIST_TYPE_CERTS = 1
CERT_LIST_TYPE_DIGESTS = 2


class SESTime(Choice):
    """UTCTime (v1 property dates) or GeneralizedTime (v4 dates, v4 ``timeInfo``).

    Not a type of the standards: each version names one of the two, but producers mix them
    (ofdrw's v1 reader accepts both), so the writer picks the version's type by name.
    """

    _alternatives = [("utc_time", UTCTime), ("generalized_time", GeneralizedTime)]


class SESHeader(Sequence):
    """``SES_Header ::= SEQUENCE { ID IA5String ("ES"), version INTEGER, Vid IA5String }``."""

    _fields = [("id", IA5String), ("version", Integer), ("vid", IA5String)]


class SESESPictrueInfo(Sequence):
    """``SES_ESPictrueInfo`` (the standard's spelling): type, data, width and height in mm."""

    _fields = [("type", IA5String), ("data", OctetString), ("width", Integer), ("height", Integer)]


class ExtData(Sequence):
    """``ExtData ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }``.

    ``critical`` is OPTIONAL here so that it is written explicitly (see the module docstring).
    """

    _fields = [
        ("extn_id", ObjectIdentifier),
        ("critical", Boolean, {"optional": True}),
        ("extn_value", OctetString),
    ]


class ExtensionDatas(SequenceOf):
    """``ExtensionDatas ::= SEQUENCE SIZE (0..MAX) OF ExtData``."""

    _child_spec = ExtData


class CertInfoList(SequenceOf):
    """``CertInfoList ::= SEQUENCE OF OCTET STRING`` (DER certificates; v1 ``certList`` too)."""

    _child_spec = OctetString


class CertDigestObj(Sequence):
    """``CertDigestObj ::= SEQUENCE { type PrintableString, value OCTET STRING }``."""

    _fields = [("type", PrintableString), ("value", OctetString)]


class CertDigestList(SequenceOf):
    """``CertDigestList ::= SEQUENCE OF CertDigestObj``."""

    _child_spec = CertDigestObj


class SESESPropertyInfoV4(Sequence):
    """``SES_ESPropertyInfo`` of GB/T 38540-2020: type, name, certListType, certList, dates.

    ``cert_list`` is the untagged ``SES_CertList`` CHOICE: a :class:`CertInfoList` when
    ``cert_list_type`` is 1, a :class:`CertDigestList` when it is 2.
    """

    _fields = [
        ("type", Integer),
        ("name", UTF8String),
        ("cert_list_type", Integer),
        ("cert_list", Any),
        ("create_date", SESTime),
        ("valid_start", SESTime),
        ("valid_end", SESTime),
    ]


class SESESPropertyInfoV1(Sequence):
    """``SES_ESPropertyInfo`` of GM/T 0031-2014: type, name, certList (DER certs), UTCTime dates."""

    _fields = [
        ("type", Integer),
        ("name", UTF8String),
        ("cert_list", CertInfoList),
        ("create_date", SESTime),
        ("valid_start", SESTime),
        ("valid_end", SESTime),
    ]


class SESSealInfoV4(Sequence):
    """``SES_SealInfo`` (v4/v5): header, esID, property, picture, untagged extDatas OPTIONAL.

    The seal maker signs DER(SES_SealInfo) (GB/T 38540-2020; reference/standards.md 4.3).
    """

    _fields = [
        ("header", SESHeader),
        ("es_id", IA5String),
        ("property", SESESPropertyInfoV4),
        ("picture", SESESPictrueInfo),
        ("ext_datas", ExtensionDatas, {"optional": True}),
    ]


class SESSealInfoV1(Sequence):
    """``SES_SealInfo`` (v1, original name ``esealInfo``'s type): as v4 with the v1 property."""

    _fields = [
        ("header", SESHeader),
        ("es_id", IA5String),
        ("property", SESESPropertyInfoV1),
        ("picture", SESESPictrueInfo),
        ("ext_datas", ExtensionDatas, {"optional": True}),
    ]


class SESealV4(Sequence):
    """``SESeal`` of GB/T 38540-2020 (v4), with GM/T 0031-2025's optional ``[0]`` timestamp (v5).

    Original names: eSealInfo, cert, signAlgID, signedValue, timeStamp.
    """

    _fields = [
        ("eseal_info", SESSealInfoV4),
        ("cert", OctetString),
        ("sign_alg_id", ObjectIdentifier),
        ("signed_value", OctetBitString),
        ("time_stamp", OctetBitString, {"explicit": 0, "optional": True}),
    ]


class SESSignInfo(Sequence):
    """``SES_SignInfo`` (v1): the seal maker's cert, signatureAlgorithm and signData."""

    _fields = [
        ("cert", OctetString),
        ("signature_algorithm", ObjectIdentifier),
        ("sign_data", OctetBitString),
    ]


class SESealV1(Sequence):
    """``SESeal`` of GM/T 0031-2014 (v1): ``{ esealInfo SES_SealInfo, signInfo SES_SignInfo }``."""

    _fields = [("eseal_info", SESSealInfoV1), ("sign_info", SESSignInfo)]


class SESSealSignRangeV1(Sequence):
    """What a v1 seal maker signs: ``SEQUENCE { SES_SealInfo, cert OCTET STRING, signatureAlgorithm OID }``.

    Not named by the standard (ofdrw builds it in its v1 tests; Chingliu's verifier calls it
    ``SESv2_SealSignRange``); reference/standards.md 4.2 and 9.1.
    """

    _fields = [
        ("seal_info", SESSealInfoV1),
        ("cert", OctetString),
        ("signature_algorithm", ObjectIdentifier),
    ]


class TBSSignV4(Sequence):
    """``TBS_Sign`` (v4/v5): version, eseal, timeInfo, dataHash, propertyInfo, ``[0]`` extDatas.

    The signer signs DER(TBS_Sign).  ``version`` equals the seal's header version.
    """

    _fields = [
        ("version", Integer),
        ("eseal", SESealV4),
        ("time_info", SESTime),
        ("data_hash", OctetBitString),
        ("property_info", IA5String),
        ("ext_datas", ExtensionDatas, {"explicit": 0, "optional": True}),
    ]


class SESSignatureV4(Sequence):
    """``SES_Signature`` (v4/v5): toSign, cert, signatureAlgID, signature, ``[0]`` timeStamp.

    ``time_stamp`` holds a DER RFC 3161 TimeStampToken over the signature value.
    """

    _fields = [
        ("to_sign", TBSSignV4),
        ("cert", OctetString),
        ("signature_alg_id", ObjectIdentifier),
        ("signature", OctetBitString),
        ("time_stamp", OctetBitString, {"explicit": 0, "optional": True}),
    ]


class TBSSignV1(Sequence):
    """``TBS_Sign`` (v1): version, eseal, timeInfo, dataHash, propertyInfo, cert, signatureAlgorithm.

    ``time_info`` is a BIT STRING whose content the standard leaves to the producer
    (ofdrw: ASCII ``yyyy-MM-dd HH:mm:ss``).
    """

    _fields = [
        ("version", Integer),
        ("eseal", SESealV1),
        ("time_info", OctetBitString),
        ("data_hash", OctetBitString),
        ("property_info", IA5String),
        ("cert", OctetString),
        ("signature_algorithm", ObjectIdentifier),
    ]


class SESSignatureV1(Sequence):
    """``SES_Signature`` (v1): ``{ toSign TBS_Sign, signature BIT STRING }``."""

    _fields = [("to_sign", TBSSignV1), ("signature", OctetBitString)]
