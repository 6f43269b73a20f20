"""Key containers: PKCS#8 (RFC 5208/5958), SEC1 ECPrivateKey (RFC 5915),
SubjectPublicKeyInfo (RFC 5280/5480) and PBES2 (RFC 8018).

Declared here rather than taken from ``asn1crypto.keys`` because SM2 keys and
GmSSL's PBES2 variants use OIDs that asn1crypto's maps do not know
(1.2.156.10197.1.301 as an algorithm, HMAC-SM3, SM4-CBC): these classes keep
every algorithm identifier as a plain OID plus raw parameters.  Only the curve
parameters inside ECPrivateKey reuse asn1crypto's ``ECDomainParameters`` CHOICE
(SEC1 C.2), which keeps unknown curve OIDs in dotted form.
"""

from __future__ import annotations

from asn1crypto.core import Any, BitString, Integer, ObjectIdentifier, OctetString, Sequence, SetOf
from asn1crypto.keys import ECDomainParameters

__all__ = [
    "AlgorithmIdentifier",
    "ECDomainParameters",
    "ECPrivateKey",
    "EncryptedPrivateKeyInfo",
    "PBES2Params",
    "PBKDF2Params",
    "PrivateKeyInfo",
    "SubjectPublicKeyInfo",
]


class AlgorithmIdentifier(Sequence):
    """RFC 5280 4.1.1.2, with the parameters left unparsed."""

    _fields = [("algorithm", ObjectIdentifier), ("parameters", Any, {"optional": True})]


class _Attributes(SetOf):
    _child_spec = Any


class PrivateKeyInfo(Sequence):
    """RFC 5958 OneAsymmetricKey (PKCS#8 PrivateKeyInfo when version is 0)."""

    _fields = [
        ("version", Integer),
        ("private_key_algorithm", AlgorithmIdentifier),
        ("private_key", OctetString),
        ("attributes", _Attributes, {"implicit": 0, "optional": True}),
        ("public_key", BitString, {"implicit": 1, "optional": True}),
    ]


class ECPrivateKey(Sequence):
    """RFC 5915 section 3 (SEC1 C.4).

    ``parameters`` is the SEC1 ``ECParameters`` CHOICE: a named-curve OID, explicit
    (specified) domain parameters, or implicitCA NULL.  (A plain optional ``Any``
    would swallow the ``[1]`` public key when ``[0]`` is absent.)
    """

    _fields = [
        ("version", Integer),
        ("private_key", OctetString),
        ("parameters", ECDomainParameters, {"explicit": 0, "optional": True}),
        ("public_key", BitString, {"explicit": 1, "optional": True}),
    ]


class SubjectPublicKeyInfo(Sequence):
    """RFC 5280 4.1.2.7."""

    _fields = [("algorithm", AlgorithmIdentifier), ("public_key", BitString)]


class EncryptedPrivateKeyInfo(Sequence):
    """RFC 5958 section 3."""

    _fields = [("encryption_algorithm", AlgorithmIdentifier), ("encrypted_data", OctetString)]


class PBES2Params(Sequence):
    """RFC 8018 A.4."""

    _fields = [("key_derivation_func", AlgorithmIdentifier), ("encryption_scheme", AlgorithmIdentifier)]


class PBKDF2Params(Sequence):
    """RFC 8018 A.2 (only the 'specified' salt choice is used in practice)."""

    _fields = [
        ("salt", OctetString),
        ("iteration_count", Integer),
        ("key_length", Integer, {"optional": True}),
        ("prf", AlgorithmIdentifier, {"optional": True}),
    ]
