"""Signature and key algorithms for X.509, CRLs, CSRs and CMS: SM2-with-SM3, RSA, ECDSA.

One place maps keys to AlgorithmIdentifiers and back, so the certificate, CRL, CSR and
CMS code never branches on key types itself.

- SM2: ``sm2sign-with-sm3`` (1.2.156.10197.1.501), parameters absent on output
  (absent or NULL accepted, reference/standards.md 1.7); signatures are DER SM2Signature over
  SM3(Z || data) with Z from the default ID ``1234567812345678`` (GM/T 0009 clause 10),
  as OpenSSL with ``distid:1234567812345678`` and Tongsuo produce them.
- RSA: sha256WithRSAEncryption, PKCS#1 v1.5 (RFC 4055; NULL parameters).
- ECDSA: P-256 with SHA-256, P-384 with SHA-384 (RFC 5758 3.2; absent parameters).
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar, TypeAlias

from asn1crypto import algos, core, keys
from cryptography.exceptions import InvalidSignature as _CryptographyInvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm as _CryptographyUnsupported
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from trustkit import oids
from trustkit.errors import (
    DecodeError,
    InvalidKeyError,
    InvalidSignature,
    UnsupportedAlgorithmError,
)
from trustkit.primitives import sm2, sm3

__all__ = [
    "ECDSA_WITH_SHA256",
    "ECDSA_WITH_SHA384",
    "ECDSA_WITH_SHA512",
    "SHA256_WITH_RSA",
    "SHA384_WITH_RSA",
    "SHA512_WITH_RSA",
    "SM2_SIGNATURE_OIDS",
    "PublicKey",
    "SigningKey",
    "check_algorithm_parameters",
    "digest",
    "key_identifier",
    "public_key_from_info",
    "public_key_info",
    "public_key_of",
    "public_keys_equal",
    "sign",
    "signature_algorithm",
    "verify_vartime",
]

#: A private key that can sign certificates, CRLs, CSRs and CMS.
SigningKey: TypeAlias = sm2.PrivateKey | rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
#: A public key that can verify them.
PublicKey: TypeAlias = sm2.PublicKey | rsa.RSAPublicKey | ec.EllipticCurvePublicKey

SHA256_WITH_RSA = "1.2.840.113549.1.1.11"
SHA384_WITH_RSA = "1.2.840.113549.1.1.12"
SHA512_WITH_RSA = "1.2.840.113549.1.1.13"
ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2"
ECDSA_WITH_SHA384 = "1.2.840.10045.4.3.3"
ECDSA_WITH_SHA512 = "1.2.840.10045.4.3.4"

#: The OIDs accepted for an SM2 signature: sm2sign-with-sm3 and, as some vendors write in
#: CMS digestEncryptionAlgorithm, SM2-1 (1.301.1) and plain SM2 (1.301) (standards.md 9.7).
SM2_SIGNATURE_OIDS = frozenset({oids.SM2_SIGN_WITH_SM3, oids.SM2_SIGN, oids.SM2})

_RSA_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    SHA256_WITH_RSA: hashes.SHA256,
    SHA384_WITH_RSA: hashes.SHA384,
    SHA512_WITH_RSA: hashes.SHA512,
}
_ECDSA_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    ECDSA_WITH_SHA256: hashes.SHA256,
    ECDSA_WITH_SHA384: hashes.SHA384,
    ECDSA_WITH_SHA512: hashes.SHA512,
}
_RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
_CURVES: dict[str, str] = {"secp256r1": "1.2.840.10045.3.1.7", "secp384r1": "1.3.132.0.34"}
_MIN_RSA_BITS = 2048

_DIGESTS: dict[str, str] = {
    "sm3": "sm3",
    oids.SM3: "sm3",
    oids.SM3_WITHOUT_KEY: "sm3",
    "sha1": "sha1",
    "1.3.14.3.2.26": "sha1",
    "sha256": "sha256",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "sha384": "sha384",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "sha512": "sha512",
    "2.16.840.1.101.3.4.2.3": "sha512",
}


def _ec_signature_oid(curve: ec.EllipticCurve) -> str:
    if isinstance(curve, ec.SECP256R1):
        return ECDSA_WITH_SHA256
    if isinstance(curve, ec.SECP384R1):
        return ECDSA_WITH_SHA384
    raise UnsupportedAlgorithmError(f"ECDSA on {curve.name} is not supported; use P-256 or P-384")


def signature_algorithm(key: SigningKey) -> algos.SignedDigestAlgorithm:
    """The AlgorithmIdentifier a signature by ``key`` carries.

    :returns: SM2 -> 1.2.156.10197.1.501 (parameters absent); RSA -> sha256WithRSAEncryption
        (NULL); P-256 -> ecdsa-with-SHA256, P-384 -> ecdsa-with-SHA384 (parameters absent).
    :raises TypeError: not a supported key object.
    :raises UnsupportedAlgorithmError: an EC curve other than P-256/P-384.
    """
    if isinstance(key, sm2.PrivateKey):
        return algos.SignedDigestAlgorithm({"algorithm": oids.SM2_SIGN_WITH_SM3})
    if isinstance(key, rsa.RSAPrivateKey):
        return algos.SignedDigestAlgorithm({"algorithm": SHA256_WITH_RSA, "parameters": core.Null()})
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return algos.SignedDigestAlgorithm({"algorithm": _ec_signature_oid(key.curve)})
    raise TypeError(f"unsupported signing key type {type(key).__name__}")


def sign(key: SigningKey, data: bytes) -> bytes:
    """Sign ``data`` with the algorithm :func:`signature_algorithm` names for ``key``.

    SM2 signs SM3(Z || data) with Z over the default ID and returns a DER SM2Signature.
    """
    if isinstance(key, sm2.PrivateKey):
        return key.sign(data, uid=sm2.DEFAULT_UID, encoding="der")
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if isinstance(key, ec.EllipticCurvePrivateKey):
        hash_cls = _ECDSA_HASHES[_ec_signature_oid(key.curve)]
        return key.sign(data, ec.ECDSA(hash_cls()))
    raise TypeError(f"unsupported signing key type {type(key).__name__}")


def check_algorithm_parameters(algorithm: Any, what: str) -> str:
    """Check an AlgorithmIdentifier's parameters and return its dotted OID.

    SM2 and ECDSA: absent or NULL; RSA PKCS#1 v1.5: NULL or absent (RFC 4055 5 says NULL;
    absent is tolerated on input).  Anything else: :class:`DecodeError`.

    :param algorithm: an asn1crypto AlgorithmIdentifier (signature algorithm).
    :param what: names the structure in the error message.
    """
    try:
        oid = str(algorithm["algorithm"].dotted)
        params = algorithm["parameters"]
    except (ValueError, KeyError, TypeError) as exc:
        raise DecodeError(f"{what}: malformed signature AlgorithmIdentifier ({exc})") from None
    if isinstance(params, (core.Void, core.Null)):
        return oid
    if isinstance(params, core.Any):
        try:
            parsed = params.parsed
        except (ValueError, TypeError):
            parsed = None
        if isinstance(parsed, core.Null) or params.contents == b"" and params.tag == 5:
            return oid
    if oid in SM2_SIGNATURE_OIDS or oid in _RSA_HASHES or oid in _ECDSA_HASHES:
        raise DecodeError(f"{what}: signature algorithm {oid} must have absent or NULL parameters")
    return oid


def _verify_sm2(
    public_key: sm2.PublicKey, signature: bytes, data: bytes, uid: bytes, allow_no_z: bool
) -> None:
    # DER first; a 64-byte value may also be a raw r || s (vendor variation, standards.md 9.6).
    encodings: tuple[sm2.SignatureEncoding, ...] = ("der", "raw") if len(signature) == 64 else ("der",)
    for encoding in encodings:
        try:
            public_key.verify(signature, data, uid=uid, encoding=encoding)
            return
        except InvalidSignature:
            pass
    if allow_no_z:
        # Tongsuo's "sm2-noza" certificates are signed over SM3(data) without Z: a
        # non-standard variant, accepted only when the caller opts in.
        digest_e = sm3.hash(data)
        for encoding in encodings:
            try:
                public_key.verify_digest(signature, digest_e, encoding=encoding)
                return
            except InvalidSignature:
                pass
    raise InvalidSignature("SM2 signature verification failed")


def verify_vartime(
    public_key: PublicKey,
    algorithm_oid: str,
    signature: bytes,
    data: bytes,
    *,
    uid: bytes = sm2.DEFAULT_UID,
    allow_no_z: bool = False,
) -> None:
    """Verify ``signature`` over ``data`` (variable time: public inputs only).

    SM2 accepts the OIDs in :data:`SM2_SIGNATURE_OIDS`; the signature may be DER or, a
    documented vendor variation, a raw 64-byte ``r || s``.

    :param uid: the SM2 signer ID used for Z (certificates always use the default).
    :param allow_no_z: also accept an SM2 signature over SM3(data) WITHOUT Z (Tongsuo's
        ``sm2-noza`` test certificates).  Off by default; a signature that verifies only this
        way fails without it.
    :raises InvalidSignature: the signature does not verify, or key and algorithm disagree.
    :raises UnsupportedAlgorithmError: an algorithm OID we do not verify.
    """
    signature = bytes(signature)
    data = bytes(data)
    if algorithm_oid in SM2_SIGNATURE_OIDS:
        if not isinstance(public_key, sm2.PublicKey):
            raise InvalidSignature("an SM2 signature needs an SM2 public key")
        _verify_sm2(public_key, signature, data, uid, allow_no_z)
        return
    try:
        if algorithm_oid in _RSA_HASHES:
            if not isinstance(public_key, rsa.RSAPublicKey):
                raise InvalidSignature("an RSA signature needs an RSA public key")
            public_key.verify(signature, data, padding.PKCS1v15(), _RSA_HASHES[algorithm_oid]())
            return
        if algorithm_oid in _ECDSA_HASHES:
            if not isinstance(public_key, ec.EllipticCurvePublicKey):
                raise InvalidSignature("an ECDSA signature needs an EC public key")
            public_key.verify(signature, data, ec.ECDSA(_ECDSA_HASHES[algorithm_oid]()))
            return
    except _CryptographyInvalidSignature:
        raise InvalidSignature("signature verification failed") from None
    raise UnsupportedAlgorithmError(
        f"signature algorithm {algorithm_oid} is not supported "
        "(supported: SM2-with-SM3, sha256/384/512WithRSAEncryption, ecdsa-with-SHA256/384/512)"
    )


def public_key_of(key: SigningKey) -> PublicKey:
    """The public half of ``key``."""
    if isinstance(key, (sm2.PrivateKey, rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        return key.public_key()
    raise TypeError(f"unsupported signing key type {type(key).__name__}")


def _spki_der(public_key: PublicKey) -> bytes:
    if isinstance(public_key, sm2.PublicKey):
        return public_key.public_bytes("DER")
    if isinstance(public_key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        return public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    raise TypeError(f"unsupported public key type {type(public_key).__name__}")


def public_keys_equal(a: PublicKey, b: PublicKey) -> bool:
    """True when both keys are the same key (compared by their SubjectPublicKeyInfo)."""
    return _spki_der(a) == _spki_der(b)


def public_key_info(public_key: PublicKey) -> keys.PublicKeyInfo:
    """The SubjectPublicKeyInfo of ``public_key`` (SM2: id-ecPublicKey + curve 1.2.156.10197.1.301)."""
    return keys.PublicKeyInfo.load(_spki_der(public_key))


class _SubjectPublicKeyInfo(core.Sequence):  # type: ignore[misc]
    """SubjectPublicKeyInfo with an opaque BIT STRING (RFC 5280 4.1).

    asn1crypto's ``keys.PublicKeyInfo`` raises KeyError on algorithm 1.2.156.10197.1.301 when
    it picks the key's spec, so we read the generic shape and interpret it ourselves.
    """

    _fields: ClassVar[list[Any]] = [("algorithm", keys.PublicKeyAlgorithm), ("public_key", core.BitString)]


def _sm2_point(info: Any) -> sm2.PublicKey:
    point = bytes(info["public_key"].contents)
    if not point or point[0] != 0:
        raise DecodeError("SubjectPublicKeyInfo: the SM2 public key BIT STRING has unused bits")
    return sm2.load_public_key(point[1:]) if len(point) in (34, 66) else _bad_point()


def _bad_point() -> sm2.PublicKey:
    raise DecodeError("SubjectPublicKeyInfo: an SM2 public key is a 65-byte or 33-byte point")


def public_key_from_info(info: bytes | keys.PublicKeyInfo) -> PublicKey:
    """Read a SubjectPublicKeyInfo (RFC 5280 4.1.2.7) into a key object.

    SM2: id-ecPublicKey with namedCurve 1.2.156.10197.1.301, or algorithm 1.2.156.10197.1.301.

    :raises DecodeError: malformed structure.
    :raises InvalidKeyError: the key is structurally fine but unusable (point off the curve).
    :raises UnsupportedAlgorithmError: another algorithm or curve, or RSA below 2048 bits.
    """
    try:
        der_in = bytes(info) if isinstance(info, (bytes, bytearray)) else bytes(info.dump())
        spki = _SubjectPublicKeyInfo.load(der_in, strict=True)
        algorithm = spki["algorithm"]
        alg_oid = str(algorithm["algorithm"].dotted)
        params = algorithm["parameters"]
        if alg_oid == oids.SM2:
            return _sm2_point(spki)
        if alg_oid == oids.EC_PUBLIC_KEY:
            if params.name != "named":
                raise UnsupportedAlgorithmError("EC keys with explicit curve parameters are not supported")
            curve = str(params.chosen.dotted)
            if curve == oids.SM2:
                return _sm2_point(spki)
            if curve not in _CURVES.values():
                raise UnsupportedAlgorithmError(f"EC curve {curve} is not supported (SM2, P-256, P-384)")
        elif alg_oid != _RSA_ENCRYPTION:
            raise UnsupportedAlgorithmError(f"public key algorithm {alg_oid} is not supported")
        der = spki.dump()
    except (UnsupportedAlgorithmError, DecodeError, InvalidKeyError):
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DecodeError(f"SubjectPublicKeyInfo: malformed ({exc})") from None
    try:
        key = serialization.load_der_public_key(der)
    except _CryptographyUnsupported as exc:
        raise UnsupportedAlgorithmError(f"public key: {exc}") from None
    except ValueError as exc:
        raise InvalidKeyError(f"SubjectPublicKeyInfo: unusable key ({exc})") from None
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < _MIN_RSA_BITS:
            raise UnsupportedAlgorithmError(f"RSA keys below {_MIN_RSA_BITS} bits are refused ({key.key_size})")
        return key
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key
    raise UnsupportedAlgorithmError(f"public key type {type(key).__name__} is not supported")


def key_identifier(public_key: PublicKey) -> bytes:
    """RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value (as OpenSSL)."""
    info = _SubjectPublicKeyInfo.load(_spki_der(public_key))
    return hashlib.sha1(bytes(info["public_key"].contents)[1:]).digest()


def digest(algorithm_oid_or_name: str, data: bytes) -> bytes:
    """Hash ``data``: ``"sm3"`` or its OIDs (1.401, 1.401.1), ``sha256``/``384``/``512``, ``sha1``
    (the last for legacy fingerprints and message imprints only) by name or OID.

    :raises UnsupportedAlgorithmError: another algorithm.
    """
    name = _DIGESTS.get(algorithm_oid_or_name.lower())
    if name is None:
        raise UnsupportedAlgorithmError(f"digest algorithm {algorithm_oid_or_name!r} is not supported")
    if name == "sm3":
        return sm3.hash(bytes(data))
    return hashlib.new(name, bytes(data)).digest()
