"""SES_Signature (GB/T 38540-2020 v4, GM/T 0031-2014 v1) signed through a :class:`~trustkit.pki.signer.Signer`.

:func:`trustkit.seal.ses.sign_seal_signature` takes a private key; OFD stamping receives a
``Signer`` (a local key or, later, the signing daemon), so the TBS_Sign is built here with the
same structures and encoding choices (EXPLICIT ``[0]`` tags, dataHash as a BIT STRING with 0
unused bits, v4 timeInfo GeneralizedTime UTC, v1 timeInfo the ASCII text ``yyyy-MM-dd HH:mm:ss``
in China Standard Time as ofdrw writes it) and the DER(TBS_Sign) is handed to ``signer.sign``.
tests/test_ofd_stamp.py parses every output back and compares the TBS_Sign with
:func:`trustkit.seal.ses.sign_seal_signature`'s.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from trustkit.asn1 import ses as asn1_ses
from trustkit.pki.signer import Signer
from trustkit.seal.ses import Seal, signer_in_seal

__all__ = ["sign_ses"]

_CST = timezone(timedelta(hours=8), "CST")


@functools.lru_cache(maxsize=32)
def _loaded_seal(der: bytes, layout: int) -> Any:
    """The seal as an asn1crypto value, loaded once per seal (embedding it then costs no re-parse)."""
    return (asn1_ses.SESealV1 if layout == 1 else asn1_ses.SESealV4).load(der)


def sign_ses(
    seal: Seal,
    signer: Signer,
    *,
    data_hash: bytes,
    property_info: str,
    time: datetime,
    timestamp: Callable[[bytes], bytes] | None = None,
) -> bytes:
    """DER(SES_Signature) over ``data_hash`` in the layout of ``seal`` (v1 seal -> v1, else v4/v5).

    :param time: the signing time (aware, whole seconds are written).
    :param timestamp: v4 only: receives the signature value, returns a DER TimeStampToken.
    :raises ValueError: the signer's certificate is not in the seal's list, a timestamp with a
        v1 seal, a non-ASCII ``property_info``.
    """
    certificate = signer.certificate
    if not signer_in_seal(seal, certificate)[0]:
        raise ValueError(
            f"the signer certificate ({certificate.subject_text}) is not in the seal's certificate list"
        )
    if not property_info.isascii():
        raise ValueError("propertyInfo is an IA5String: ASCII only")
    moment = time.astimezone(timezone.utc).replace(microsecond=0)
    algorithm = str(signer.signature_algorithm()["algorithm"].dotted)
    tbs: Any
    if seal.version == 1:
        if timestamp is not None:
            raise ValueError("a GM/T 0031-2014 (v1) seal signature cannot carry a timestamp")
        tbs = asn1_ses.TBSSignV1(
            {
                "version": seal.header_version,
                "eseal": _loaded_seal(seal.der, 1),
                "time_info": moment.astimezone(_CST).strftime("%Y-%m-%d %H:%M:%S").encode("ascii"),
                "data_hash": bytes(data_hash),
                "property_info": property_info,
                "cert": certificate.der,
                "signature_algorithm": algorithm,
            }
        )
    else:
        tbs = asn1_ses.TBSSignV4(
            {
                "version": seal.header_version,
                "eseal": _loaded_seal(seal.der, 4),
                "time_info": asn1_ses.SESTime(name="generalized_time", value=moment),
                "data_hash": bytes(data_hash),
                "property_info": property_info,
            }
        )
    tbs_der = bytes(tbs.dump())
    if seal.der not in tbs_der:  # the seal must be embedded exactly as received
        raise AssertionError("internal error: the seal was re-encoded")
    value = signer.sign(tbs_der)
    out: Any
    if seal.version == 1:
        out = asn1_ses.SESSignatureV1({"to_sign": tbs, "signature": value})
    else:
        fields: dict[str, Any] = {
            "to_sign": tbs,
            "cert": certificate.der,
            "signature_alg_id": algorithm,
            "signature": value,
        }
        if timestamp is not None:
            token = timestamp(value)
            if not isinstance(token, (bytes, bytearray)) or not token:
                raise ValueError("the timestamp token must be non-empty DER bytes")
            fields["time_stamp"] = bytes(token)
        out = asn1_ses.SESSignatureV4(fields)
    return bytes(out.dump())
