"""Electronic seals: SES seal structures (GB/T 38540-2020 v4, GM/T 0031-2014 v1) and seal images.

:mod:`trustkit.seal.ses` makes, parses and verifies seals (``.esl``) and seal signatures
(``SES_Signature``); :mod:`trustkit.seal.image` draws round, oval and square seal images.
"""

from __future__ import annotations

from trustkit.seal.image import SealImage, SealPicture, load_seal_picture, oval_seal, round_seal, square_seal
from trustkit.seal.ses import (
    Seal,
    SealSignature,
    make_seal,
    parse_seal,
    parse_seal_signature,
    sign_seal_signature,
    validate_seal,
    validate_seal_signature,
    verify_seal,
    verify_seal_signature,
)

__all__ = [
    "Seal",
    "SealImage",
    "SealPicture",
    "SealSignature",
    "load_seal_picture",
    "make_seal",
    "oval_seal",
    "parse_seal",
    "parse_seal_signature",
    "round_seal",
    "sign_seal_signature",
    "square_seal",
    "validate_seal",
    "validate_seal_signature",
    "verify_seal",
    "verify_seal_signature",
]
