"""Making seals (SESeal v4 / v1) and seal signatures (SES_Signature v4 / v1).

What each version signs (reference/standards.md 4.2, 4.3, 9.1):

- v4 seal maker: DER(SES_SealInfo) only;
- v1 seal maker: DER(SEQUENCE { SES_SealInfo, cert OCTET STRING, signatureAlgorithm OID });
- signer (both): DER(TBS_Sign).

Encoding choices follow the real samples and ofdrw: ``critical`` written explicitly in ExtData,
untagged ``SES_SealInfo.extDatas``, EXPLICIT ``[0]`` for ``TBS_Sign.extDatas`` and
``SES_Signature.timeStamp``, signature values as DER SM2Signature in a BIT STRING, dataHash as a
BIT STRING with 0 unused bits, v1 ``timeInfo`` as the ASCII text ``yyyy-MM-dd HH:mm:ss`` in China
Standard Time (what ofdrw writes), v4 times as GeneralizedTime in UTC.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from asn1crypto import core

from trustkit.asn1 import ses as asn1_ses
from trustkit.files import write_atomic
from trustkit.pki.algorithms import (
    SigningKey,
    digest,
    public_key_of,
    public_keys_equal,
    sign,
    signature_algorithm,
)
from trustkit.pki.certificate import Certificate
from trustkit.pki.signer import LocalSigner, Signer
from trustkit.seal._ses_model import ExtData, Seal, SealPictureInfo
from trustkit.seal._ses_parse import CST, parse_seal
from trustkit.seal._ses_verify import signer_in_seal

__all__ = ["PictureTuple", "make_seal", "save_seal", "sign_seal_signature"]

#: A plain picture: (image bytes, type such as "PNG", width in mm, height in mm).
PictureTuple = tuple[bytes, str, int, int]
Timestamper = Callable[[bytes], bytes]


def _utc_seconds(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime")
    if value.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware (e.g. datetime(..., tzinfo=timezone.utc))")
    return value.astimezone(timezone.utc).replace(microsecond=0)


def _ascii(value: str, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string")
    if not value.isascii():
        raise ValueError(f"{what} is an IA5String: ASCII only, got {value!r}")
    return value


def _picture(picture: SealPictureInfo | PictureTuple) -> SealPictureInfo:
    if isinstance(picture, tuple):
        if len(picture) != 4 or not isinstance(picture[0], (bytes, bytearray)) or not isinstance(picture[1], str):
            raise TypeError("picture tuple must be (data: bytes, type: str, width_mm: int, height_mm: int)")
        picture = SealPictureInfo(type=picture[1], data=bytes(picture[0]), width_mm=int(picture[2]), height_mm=int(picture[3]))
    if not isinstance(picture, SealPictureInfo):
        raise TypeError("picture must be a SealPictureInfo or a (data, type, width_mm, height_mm) tuple")
    _ascii(picture.type, "picture type")
    if not picture.data:
        raise ValueError("the seal picture is empty")
    if picture.width_mm <= 0 or picture.height_mm <= 0:
        raise ValueError("the seal picture needs a positive width and height in mm")
    return picture


def _ext_datas(items: Iterable[ExtData]) -> Any:
    values = []
    for item in items:
        if not isinstance(item, ExtData):
            raise TypeError("ext_datas must hold ExtData objects")
        values.append(asn1_ses.ExtData({"extn_id": item.oid, "critical": bool(item.critical), "extn_value": item.value}))
    return asn1_ses.ExtensionDatas(values)


def _check_key(key: SigningKey, certificate: Certificate, who: str) -> None:
    if not isinstance(certificate, Certificate):
        raise TypeError(f"the {who} certificate must be a trustkit.pki.certificate.Certificate")
    if not public_keys_equal(public_key_of(key), certificate.public_key):
        raise ValueError(f"the {who} key does not belong to the {who} certificate")


def _algorithm_oid(key: SigningKey) -> str:
    return str(signature_algorithm(key)["algorithm"].dotted)


def _time(value: datetime, layout: int) -> Any:
    if layout == 1:
        if not 1950 <= value.year <= 2049:
            raise ValueError("a v1 seal date must lie in 1950..2049 (UTCTime)")
        return asn1_ses.SESTime(name="utc_time", value=value)
    return asn1_ses.SESTime(name="generalized_time", value=value)


def make_seal(
    version: int = 4,
    *,
    esid: str,
    name: str,
    seal_type: int,
    signer_certificates: Sequence[Certificate],
    valid_from: datetime,
    valid_to: datetime,
    picture: SealPictureInfo | PictureTuple,
    maker_certificate: Certificate,
    maker_key: SigningKey,
    ext_datas: Iterable[ExtData] = (),
    vendor_id: str = "trustkit",
    created: datetime | None = None,
    cert_list_type: int = asn1_ses.CERT_LIST_TYPE_CERTS,
    cert_digest_type: str = "SM3",
) -> bytes:
    """Make and sign an electronic seal; returns the DER ``SESeal`` (the ``.esl`` file content).

    :param version: 4 (GB/T 38540-2020, default) or 1 (GM/T 0031-2014).
    :param esid: the seal identifier (ASCII; e.g. the 14-digit police registration code).
    :param name: the seal name (e.g. "某某市某某局合同专用章").
    :param seal_type: ``SES_ESPropertyInfo.type`` (business-defined; ofdrw: 1 unit seal, 2 personal seal).
    :param signer_certificates: the certificates allowed to stamp with this seal (at least one).
    :param valid_from, valid_to: the validity period (aware datetimes, whole seconds kept).
    :param picture: a :class:`SealPictureInfo` (see its ``from_picture``/``from_image``) or a
        plain ``(data, type, width_mm, height_mm)`` tuple.
    :param maker_certificate, maker_key: the seal maker (制章者) certificate and its key.
    :param ext_datas: extensions of SES_SealInfo (``critical`` is written explicitly).
    :param vendor_id: ``SES_Header.Vid``.
    :param created: ``createDate`` (default: now).
    :param cert_list_type: v4 only: 1 lists the certificates, 2 their digests (``cert_digest_type``).
    :raises ValueError: inconsistent arguments (key not matching its certificate, empty list,
        validity ending before it starts, non-ASCII IA5String fields, v1 dates outside UTCTime).
    :raises TypeError: arguments of the wrong type.
    """
    if version not in (1, 4):
        raise ValueError("version must be 4 (GB/T 38540-2020) or 1 (GM/T 0031-2014)")
    esid = _ascii(esid, "esid")
    vendor_id = _ascii(vendor_id, "vendor_id")
    if not isinstance(name, str) or not name:
        raise ValueError("name must be a non-empty string")
    if not isinstance(seal_type, int) or seal_type < 0:
        raise ValueError("seal_type must be a non-negative integer")
    signers = list(signer_certificates)
    if not signers or not all(isinstance(c, Certificate) for c in signers):
        raise ValueError("signer_certificates must hold at least one Certificate")
    start, end = _utc_seconds(valid_from, "valid_from"), _utc_seconds(valid_to, "valid_to")
    if end <= start:
        raise ValueError("valid_to must be after valid_from")
    made = _utc_seconds(created if created is not None else datetime.now(timezone.utc), "created")
    pic = _picture(picture)
    _check_key(maker_key, maker_certificate, "seal maker")
    algorithm = _algorithm_oid(maker_key)
    dates = {"create_date": _time(made, version), "valid_start": _time(start, version), "valid_end": _time(end, version)}
    common = {"type": seal_type, "name": name}
    if version == 1:
        if cert_list_type != asn1_ses.CERT_LIST_TYPE_CERTS:
            raise ValueError("a v1 seal lists certificates only (cert_list_type 1)")
        prop: Any = asn1_ses.SESESPropertyInfoV1({**common, "cert_list": [c.der for c in signers], **dates})
    else:
        if cert_list_type == asn1_ses.CERT_LIST_TYPE_CERTS:
            listed: Any = asn1_ses.CertInfoList([c.der for c in signers])
        elif cert_list_type == asn1_ses.CERT_LIST_TYPE_DIGESTS:
            _ascii(cert_digest_type, "cert_digest_type")
            listed = asn1_ses.CertDigestList(
                [{"type": cert_digest_type, "value": digest(cert_digest_type.lower(), c.der)} for c in signers]
            )
        else:
            raise ValueError("cert_list_type must be 1 (certificates) or 2 (certificate digests)")
        prop = asn1_ses.SESESPropertyInfoV4(
            {**common, "cert_list_type": cert_list_type, "cert_list": core.Any(listed), **dates}
        )
    info_value: dict[str, Any] = {
        "header": {"id": "ES", "version": version, "vid": vendor_id},
        "es_id": esid,
        "property": prop,
        "picture": {"type": pic.type, "data": pic.data, "width": pic.width_mm, "height": pic.height_mm},
    }
    exts = list(ext_datas)
    if exts:
        info_value["ext_datas"] = _ext_datas(exts)
    if version == 1:
        info: Any = asn1_ses.SESSealInfoV1(info_value)
        sign_range = asn1_ses.SESSealSignRangeV1(
            {"seal_info": info, "cert": maker_certificate.der, "signature_algorithm": algorithm}
        )
        value = sign(maker_key, bytes(sign_range.dump()))
        seal: Any = asn1_ses.SESealV1(
            {
                "eseal_info": info,
                "sign_info": {"cert": maker_certificate.der, "signature_algorithm": algorithm, "sign_data": value},
            }
        )
    else:
        info = asn1_ses.SESSealInfoV4(info_value)
        value = sign(maker_key, bytes(info.dump()))
        seal = asn1_ses.SESealV4(
            {"eseal_info": info, "cert": maker_certificate.der, "sign_alg_id": algorithm, "signed_value": value}
        )
    der = bytes(seal.dump())
    parse_seal(der)  # self-check: what we write, we read
    return der


def _time_info(moment: datetime, layout: int) -> Any:
    if layout == 1:
        return moment.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S").encode("ascii")
    return asn1_ses.SESTime(name="generalized_time", value=moment)


@functools.lru_cache(maxsize=32)
def _loaded_seal(der: bytes, layout: int) -> Any:
    """The seal as an asn1crypto value, loaded once per seal (embedding it then costs no re-parse)."""
    return (asn1_ses.SESealV1 if layout == 1 else asn1_ses.SESealV4).load(der)


def sign_seal_signature(
    seal: bytes | Seal,
    *,
    data_hash: bytes,
    property_info: str,
    signer: Signer | None = None,
    signer_key: SigningKey | None = None,
    signer_certificate: Certificate | None = None,
    version: int | None = None,
    time: datetime | None = None,
    timestamp_token: bytes | Timestamper | None = None,
    ext_datas: Iterable[ExtData] = (),
) -> bytes:
    """Stamp: sign DER(TBS_Sign) over ``data_hash`` with a seal; returns the DER ``SES_Signature``.

    :param seal: the seal (``.esl`` bytes, or a parsed :class:`Seal`), embedded byte for byte.
    :param data_hash: the hash of the protected data (OFD: SM3 of the Signature.xml bytes).
    :param property_info: ASCII; for OFD the path of Signature.xml (``/Doc_0/Signs/Sign_0/Signature.xml``).
    :param signer: the signer (签章者) as a :class:`~trustkit.pki.signer.Signer` (a local key or a
        remote signing service); or give ``signer_key`` and ``signer_certificate``.  The
        certificate must be in the seal's certificate list.
    :param version: 4 or 1; default: the seal's layout (a v4 signature embeds a v4/v5 seal, a v1
        signature a v1 seal).
    :param time: the signing time (default now).  v4 writes GeneralizedTime (UTC); v1 writes the
        text ``yyyy-MM-dd HH:mm:ss`` in China Standard Time, as ofdrw does.
    :param timestamp_token: v4 only: a DER RFC 3161 TimeStampToken, or a function that receives
        the signature value and returns one (the token covers the signature value).
    :param ext_datas: v4 only: ``TBS_Sign.extDatas``.
    :raises ValueError: inconsistent arguments (signer not in the seal's list, key not matching
        the certificate, layout mismatch, non-ASCII property_info, bad hash length).
    :raises DecodeError: ``seal`` is not a readable seal.
    """
    parsed = seal if isinstance(seal, Seal) else parse_seal(seal)
    layout = parsed.version if version is None else version
    if layout not in (1, 4, 5) or (layout == 1) != (parsed.version == 1):
        raise ValueError(f"a v{layout} signature cannot embed a v{parsed.version} seal")
    if signer is None:
        if signer_key is None or signer_certificate is None:
            raise TypeError("give signer=, or both signer_key= and signer_certificate=")
        _check_key(signer_key, signer_certificate, "signer")
        signer = LocalSigner(signer_key, signer_certificate)
    elif signer_key is not None or signer_certificate is not None:
        raise TypeError("give signer= or signer_key=/signer_certificate=, not both")
    certificate = signer.certificate
    if not signer_in_seal(parsed, certificate)[0]:
        raise ValueError(f"the signer certificate ({certificate.subject_text}) is not in the seal's certificate list")
    if not isinstance(data_hash, (bytes, bytearray)) or not 1 <= len(data_hash) <= 64:
        raise ValueError("data_hash must be 1..64 bytes (SM3: 32)")
    _ascii(property_info, "property_info")
    moment = _utc_seconds(time if time is not None else datetime.now(timezone.utc), "time")
    algorithm = str(signer.signature_algorithm()["algorithm"].dotted)
    exts = list(ext_datas)
    if layout == 1:
        if exts or timestamp_token is not None:
            raise ValueError("a v1 signature has no extDatas and no timestamp")
        tbs: Any = asn1_ses.TBSSignV1(
            {
                "version": parsed.header_version,
                "eseal": _loaded_seal(parsed.der, 1),
                "time_info": _time_info(moment, 1),
                "data_hash": bytes(data_hash),
                "property_info": property_info,
                "cert": certificate.der,
                "signature_algorithm": algorithm,
            }
        )
    else:
        tbs_value: dict[str, Any] = {
            "version": parsed.header_version,
            "eseal": _loaded_seal(parsed.der, 4),
            "time_info": _time_info(moment, 4),
            "data_hash": bytes(data_hash),
            "property_info": property_info,
        }
        if exts:
            tbs_value["ext_datas"] = _ext_datas(exts)
        tbs = asn1_ses.TBSSignV4(tbs_value)
    tbs_der = bytes(tbs.dump())
    if parsed.der not in tbs_der:  # the seal must be embedded exactly as received
        raise AssertionError("internal error: the seal was re-encoded")
    value = signer.sign(tbs_der)
    if layout == 1:
        out: Any = asn1_ses.SESSignatureV1({"to_sign": tbs, "signature": value})
    else:
        sig_value: dict[str, Any] = {
            "to_sign": tbs,
            "cert": certificate.der,
            "signature_alg_id": algorithm,
            "signature": value,
        }
        if timestamp_token is not None:
            token = timestamp_token(value) if callable(timestamp_token) else timestamp_token
            if not isinstance(token, (bytes, bytearray)) or not token:
                raise ValueError("the timestamp token must be non-empty DER bytes")
            sig_value["time_stamp"] = bytes(token)
        out = asn1_ses.SESSignatureV4(sig_value)
    return bytes(out.dump())


def save_seal(path: str | os.PathLike[str], seal_der: bytes, *, overwrite: bool = False) -> None:
    """Write a seal to an ``.esl`` file atomically (mode 0644) after checking that it parses.

    :raises DecodeError: ``seal_der`` is not a readable seal.
    :raises FileExistsError: ``path`` exists and ``overwrite`` is False.
    """
    parse_seal(seal_der)
    write_atomic(path, bytes(seal_der), mode=0o644, overwrite=overwrite)
