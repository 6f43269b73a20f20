"""Electronic seals and seal signatures: GB/T 38540-2020 (v4), GM/T 0031-2014 (v1), GM/T 0031-2025 (v5, read).

One public facade over private modules split by operation (model, parse, make, verify)::

    seal_der = make_seal(4, esid="37030000001721", name="合同专用章", seal_type=1,
                         signer_certificates=[signer_cert], valid_from=start, valid_to=end,
                         picture=SealPictureInfo.from_image(round_seal("某某局"), dpi=300),
                         maker_certificate=maker_cert, maker_key=maker_key)
    sig_der = sign_seal_signature(seal_der, data_hash=sm3.hash(signature_xml),
                                  property_info="/Doc_0/Signs/Sign_0/Signature.xml",
                                  signer_key=signer_key, signer_certificate=signer_cert)
    report = verify_seal_signature(sig_der, data_hash=sm3.hash(signature_xml), context=trust)
    assert report.valid

The ASN.1 structures are in :mod:`trustkit.asn1.ses`; what each version signs is in
reference/standards.md 4 and 9.1.
"""

from __future__ import annotations

from trustkit.seal._ses_make import PictureTuple, make_seal, save_seal, sign_seal_signature
from trustkit.seal._ses_model import (
    MAX_SEAL_BYTES,
    CertDigest,
    ExtData,
    Seal,
    SealPictureInfo,
    SealSignature,
)
from trustkit.seal._ses_parse import parse_seal, parse_seal_signature
from trustkit.seal._ses_verify import (
    SealFailure,
    SealSignatureVerification,
    SealVerification,
    signer_in_seal,
    validate_seal,
    validate_seal_signature,
    verify_seal,
    verify_seal_signature,
)

__all__ = [
    "MAX_SEAL_BYTES",
    "CertDigest",
    "ExtData",
    "PictureTuple",
    "Seal",
    "SealFailure",
    "SealPictureInfo",
    "SealSignature",
    "SealSignatureVerification",
    "SealVerification",
    "make_seal",
    "parse_seal",
    "parse_seal_signature",
    "save_seal",
    "sign_seal_signature",
    "signer_in_seal",
    "validate_seal",
    "validate_seal_signature",
    "verify_seal",
    "verify_seal_signature",
]
