"""SM2 data structures of GM/T 0009-2012 / GB/T 35276-2017.

Source: GB/T 35276-2017 clause 7 (summarised in reference/standards.md 1.5-1.6).
"""

from __future__ import annotations

from asn1crypto.core import Integer, OctetString, Sequence

__all__ = ["SM2Cipher", "SM2Signature"]


class SM2Signature(Sequence):
    """``SM2Signature ::= SEQUENCE { R INTEGER, S INTEGER }`` (GB/T 35276 7.3)."""

    _fields = [("r", Integer), ("s", Integer)]


class SM2Cipher(Sequence):
    """``SM2Cipher`` (GB/T 35276 7.2): C1 coordinates, C3 = hash, C2 = ciphertext.

    Original names: XCoordinate, YCoordinate, HASH, CipherText.  The field order
    is C1, C3, C2 regardless of the raw order a peer uses.
    """

    _fields = [
        ("x", Integer),
        ("y", Integer),
        ("hash", OctetString),
        ("ciphertext", OctetString),
    ]
