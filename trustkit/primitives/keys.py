"""SM2 key serialisation: PEM/DER PKCS#8 (plain and PBES2-encrypted), SEC1, SPKI, raw, hex.

This module converts bytes to and from the raw values only: a 32-byte private
scalar d and a SEC1 point (65-byte ``04||X||Y`` or 33-byte compressed).  It does
no curve arithmetic; :mod:`trustkit.primitives.sm2` validates points and
derives public keys.

Output matches OpenSSL 3 (``openssl genpkey -algorithm SM2``): PKCS#8 with
id-ecPublicKey and the named curve 1.2.156.10197.1.301, an inner RFC 5915
ECPrivateKey carrying the public key.  Input is lenient where vendors differ
(reference/standards.md 1.3): SEC1 ``EC PRIVATE KEY`` and ``SM2 PRIVATE KEY``
labels, the curve OID used as the algorithm OID, 64-byte points without 04.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Callable
from typing import Any

from asn1crypto.core import BitString as BitStringSpec
from asn1crypto.core import Null as NullSpec
from asn1crypto.core import ObjectIdentifier as ObjectIdentifierSpec
from asn1crypto.core import OctetString as OctetStringSpec
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from trustkit import oids
from trustkit.asn1.pkcs8 import (
    AlgorithmIdentifier,
    ECPrivateKey,
    EncryptedPrivateKeyInfo,
    PBES2Params,
    PBKDF2Params,
    PrivateKeyInfo,
    SubjectPublicKeyInfo,
)
from trustkit.errors import DecodeError, DecryptionError, InvalidKeyError, UnsupportedAlgorithmError

__all__ = ["decode_private_key", "decode_public_key", "encode_private_key", "encode_public_key"]

_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
_P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
_MAX_INPUT = 1 << 20
_MAX_PBKDF2_ITERATIONS = 10_000_000

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\s*(.*?)\s*-----END \1-----", re.S)
_PRIVATE_LABELS = {b"PRIVATE KEY", b"ENCRYPTED PRIVATE KEY", b"EC PRIVATE KEY", b"SM2 PRIVATE KEY"}
_PUBLIC_LABELS = {b"PUBLIC KEY"}

# PBES2 building blocks we read (RFC 8018 and the GmSSL 3 SM variants).
_PRFS: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    oids.HMAC_WITH_SHA1: hashes.SHA1,
    oids.HMAC_WITH_SHA224: hashes.SHA224,
    oids.HMAC_WITH_SHA256: hashes.SHA256,
    oids.HMAC_WITH_SHA384: hashes.SHA384,
    oids.HMAC_WITH_SHA512: hashes.SHA512,
    oids.HMAC_SM3: hashes.SM3,
}
_CIPHERS = {  # OID -> (key length, algorithm class)
    oids.AES128_CBC: (16, algorithms.AES),
    oids.AES192_CBC: (24, algorithms.AES),
    oids.AES256_CBC: (32, algorithms.AES),
    oids.SM4_CBC: (16, algorithms.SM4),
}
_WRITE_CHOICES = {
    "aes-256-cbc": (oids.AES256_CBC, oids.HMAC_WITH_SHA256),
    "sm4-cbc": (oids.SM4_CBC, oids.HMAC_SM3),
}


# ---- helpers -------------------------------------------------------------------


def _check_input(data: object) -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"key data must be bytes, not {type(data).__name__}")
    raw = bytes(data)
    if len(raw) > _MAX_INPUT:
        raise DecodeError("key data is larger than 1 MiB; this is not a key file")
    if not raw:
        raise DecodeError("key data is empty")
    return raw


def _password_bytes(password: bytes | str | None) -> bytes | None:
    if password is None or isinstance(password, bytes):
        return password
    if isinstance(password, str):
        return password.encode("utf-8")
    raise TypeError("password must be bytes, str or None")


def _pem_blocks(data: bytes) -> list[tuple[bytes, bytes]]:
    """All PEM blocks as (label, DER); DecodeError on broken base64."""
    blocks = []
    for match in _PEM_BLOCK.finditer(data):
        label, body = match.group(1), match.group(2)
        lines = [line.strip() for line in body.splitlines()]
        # RFC 1421 headers (Proc-Type, DEK-Info) mark legacy OpenSSL encryption.
        if any(b":" in line for line in lines):
            raise UnsupportedAlgorithmError(
                "legacy OpenSSL PEM encryption (Proc-Type/DEK-Info) is not supported; "
                "convert with: openssl pkcs8 -topk8 -v2 aes-256-cbc"
            )
        try:
            der = base64.b64decode(b"".join(lines), validate=True)
        except (binascii.Error, ValueError):
            raise DecodeError(f"the PEM block '{label.decode()}' is not valid base64") from None
        blocks.append((label, der))
    return blocks


def _hex_bytes(data: bytes) -> bytes | None:
    """Hex text (whitespace and a 0x prefix allowed) -> bytes, or None if not hex."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return None
    compact = "".join(text.split())
    if compact[:2].lower() == "0x":
        compact = compact[2:]
    if not compact or len(compact) % 2 or not re.fullmatch(r"[0-9a-fA-F]+", compact):
        return None
    return bytes.fromhex(compact)


def _curve_oid(params: object) -> str | None:
    """The named-curve OID held in an ``Any`` (None when absent, NULL or explicit parameters)."""
    if getattr(params, "contents", None) is None:
        return None
    der = params.dump()  # type: ignore[attr-defined]
    if not der or der[0] != 0x06:
        return None
    try:
        return str(ObjectIdentifierSpec.load(der, strict=True).dotted)
    except ValueError:
        raise DecodeError("malformed curve OID in the key's algorithm parameters") from None


def _is_sm2_algorithm(alg: AlgorithmIdentifier) -> bool:
    """id-ecPublicKey with namedCurve SM2, or SM2 itself as the algorithm OID."""
    algorithm = alg["algorithm"].dotted
    curve = _curve_oid(alg["parameters"])
    if algorithm == oids.SM2:
        return curve in (None, oids.SM2)
    if algorithm == oids.EC_PUBLIC_KEY:
        if curve is None:
            raise UnsupportedAlgorithmError(
                "EC key with explicit or missing curve parameters; only the named curve SM2 is supported"
            )
        return curve == oids.SM2
    return False


def _require_sm2(alg: AlgorithmIdentifier) -> None:
    if not _is_sm2_algorithm(alg):
        raise UnsupportedAlgorithmError(
            f"not an SM2 key (algorithm {alg['algorithm'].dotted}); trustkit.sm2 reads keys on curve "
            f"{oids.SM2} only"
        )


def _scalar(octets: bytes) -> bytes:
    if len(octets) > 32:
        # Some encoders add a sign byte; accept only a leading zero.
        if len(octets) == 33 and octets[0] == 0:
            octets = octets[1:]
        else:
            raise InvalidKeyError("the private key is longer than 32 bytes")
    value = int.from_bytes(octets, "big")
    if not 1 <= value < _N:
        raise InvalidKeyError("the private key is out of range: it must be in [1, n-1]")
    return octets.rjust(32, b"\x00")


def _point(raw: bytes) -> bytes:
    """Structural checks of a SEC1 point; curve membership is the caller's job."""
    if len(raw) == 64:
        raw = b"\x04" + raw
    if len(raw) == 65 and raw[0] == 0x04:
        x, y = int.from_bytes(raw[1:33], "big"), int.from_bytes(raw[33:], "big")
        if x >= _P or y >= _P:
            raise InvalidKeyError("a public key coordinate is not below p")
        return raw
    if len(raw) == 33 and raw[0] in (0x02, 0x03):
        if int.from_bytes(raw[1:], "big") >= _P:
            raise InvalidKeyError("a public key coordinate is not below p")
        return raw
    raise InvalidKeyError(
        f"not an SM2 public point: expected 65 bytes (04||X||Y), 64 bytes (X||Y) or 33 bytes "
        f"(02/03||X), got {len(raw)} bytes"
    )


def _load(spec: Any, der: bytes, what: str) -> Any:
    try:
        value = spec.load(der, strict=True)
        value.native  # force a full parse so errors surface here
    except (ValueError, TypeError) as exc:
        raise DecodeError(f"malformed {what}: {exc}") from None
    return value


# ---- private keys --------------------------------------------------------------


def _ec_private_key(der: bytes) -> tuple[bytes, bytes | None]:
    key = _load(ECPrivateKey, der, "EC private key (RFC 5915)")
    assert isinstance(key, ECPrivateKey)
    if key["version"].native != 1:
        raise DecodeError("EC private key: version must be 1 (RFC 5915)")
    curve = key["parameters"]
    if isinstance(curve, ObjectIdentifierSpec) and curve.dotted != oids.SM2:
        raise UnsupportedAlgorithmError(f"the EC private key is on curve {curve.dotted}, not SM2")
    d = _scalar(key["private_key"].native)
    public = key["public_key"]
    if not isinstance(public, BitStringSpec):
        return d, None
    if not public.contents or public.contents[0] != 0:
        raise DecodeError("EC private key: the public key BIT STRING has unused bits")
    return d, _point(bytes(public.contents[1:]))


def _pkcs8(der: bytes) -> tuple[bytes, bytes | None]:
    info = _load(PrivateKeyInfo, der, "PKCS#8 PrivateKeyInfo")
    assert isinstance(info, PrivateKeyInfo)
    if info["version"].native not in (0, 1):
        raise DecodeError("PKCS#8: unknown version")
    _require_sm2(info["private_key_algorithm"])
    inner = info["private_key"].native
    if len(inner) in (32, 33) and inner[0] != 0x30:
        # GM/T 0010 style: the OCTET STRING holds the bare scalar.
        return _scalar(inner), None
    return _ec_private_key(inner)


def _decrypt_pkcs8(der: bytes, password: bytes | None) -> bytes:
    enc = _load(EncryptedPrivateKeyInfo, der, "encrypted PKCS#8")
    assert isinstance(enc, EncryptedPrivateKeyInfo)
    if password is None:
        raise DecodeError("this private key is encrypted: a password is needed")
    alg = enc["encryption_algorithm"]
    if alg["algorithm"].dotted != oids.PBES2:
        raise UnsupportedAlgorithmError(
            f"encrypted key uses {alg['algorithm'].dotted}; only PBES2 is supported "
            "(convert with: openssl pkcs8 -topk8 -v2 aes-256-cbc)"
        )
    try:
        params = alg["parameters"].parse(PBES2Params)
        kdf = params["key_derivation_func"]
        scheme = params["encryption_scheme"]
        if kdf["algorithm"].dotted != oids.PBKDF2:
            raise UnsupportedAlgorithmError(f"PBES2 key derivation {kdf['algorithm'].dotted} is not supported")
        kdf_params = kdf["parameters"].parse(PBKDF2Params)
        salt = kdf_params["salt"].native
        iterations = kdf_params["iteration_count"].native
        prf_oid = kdf_params["prf"]["algorithm"].dotted if kdf_params["prf"].contents is not None else oids.HMAC_WITH_SHA1
        cipher_oid = scheme["algorithm"].dotted
        iv = scheme["parameters"].parse(OctetStringSpec).native
    except (ValueError, TypeError, KeyError):
        raise DecodeError("malformed PBES2 parameters in the encrypted private key") from None
    if prf_oid not in _PRFS:
        raise UnsupportedAlgorithmError(f"PBKDF2 pseudo-random function {prf_oid} is not supported")
    if cipher_oid not in _CIPHERS:
        raise UnsupportedAlgorithmError(f"PBES2 cipher {cipher_oid} is not supported")
    if not 1 <= iterations <= _MAX_PBKDF2_ITERATIONS:
        raise DecodeError(f"PBKDF2 iteration count {iterations} is out of the accepted range")
    key_len, cipher_cls = _CIPHERS[cipher_oid]
    if len(iv) != 16:
        raise DecodeError("PBES2: the CBC IV must be 16 bytes")
    key = PBKDF2HMAC(_PRFS[prf_oid](), key_len, salt, iterations).derive(password)
    data = enc["encrypted_data"].native
    if not data or len(data) % 16:
        raise DecryptionError("wrong password or corrupted key")
    dec = Cipher(cipher_cls(key), modes.CBC(iv)).decryptor()
    padded = dec.update(data) + dec.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise DecryptionError("wrong password or corrupted key") from None


def _private_from_der(der: bytes, password: bytes | None) -> tuple[bytes, bytes | None]:
    """Try the DER containers in turn: PKCS#8, encrypted PKCS#8, SEC1."""
    errors: list[str] = []
    for parser in (_pkcs8, _ec_private_key):
        try:
            return parser(der)
        except DecodeError as exc:
            errors.append(str(exc))
    try:
        plain = _decrypt_pkcs8(der, password)
    except DecodeError as exc:
        if "password is needed" in str(exc):
            raise
        raise DecodeError(
            "not a private key: expected PKCS#8, encrypted PKCS#8 or SEC1 ECPrivateKey DER"
        ) from None
    try:
        return _pkcs8(plain)
    except DecodeError:
        raise DecryptionError("wrong password or corrupted key") from None


def decode_private_key(data: bytes, password: bytes | str | None = None) -> tuple[bytes, bytes | None]:
    """Read an SM2 private key in any supported form.

    :returns: ``(d, embedded_public_point_or_None)``; d is 32 bytes big endian.
    :raises DecodeError: unreadable input, or an encrypted key without a password.
    :raises DecryptionError: wrong password.
    :raises InvalidKeyError: d is 0 or not below n.
    :raises UnsupportedAlgorithmError: a key for another curve or algorithm.
    """
    raw = _check_input(data)
    pw = _password_bytes(password)
    if b"-----BEGIN" in raw:
        blocks = [b for b in _pem_blocks(raw) if not b[0].endswith(b"PARAMETERS")]
        keys = [b for b in blocks if b[0] in _PRIVATE_LABELS]
        if not keys:
            labels = ", ".join(sorted({b[0].decode() for b in blocks})) or "none"
            raise DecodeError(f"no private key PEM block found (labels present: {labels})")
        label, der = keys[0]
        if label == b"ENCRYPTED PRIVATE KEY":
            if pw is None:
                raise DecodeError("this private key is encrypted: a password is needed")
            plain = _decrypt_pkcs8(der, pw)
            try:
                return _pkcs8(plain)
            except DecodeError:
                raise DecryptionError("wrong password or corrupted key") from None
        if label == b"PRIVATE KEY":
            return _pkcs8(der)
        return _ec_private_key(der)
    hex_raw = _hex_bytes(raw) if len(raw) > 32 else None
    if hex_raw is not None and len(hex_raw) == 32:
        return _scalar(hex_raw), None
    if raw[0] == 0x30 and len(raw) != 32:
        return _private_from_der(raw, pw)
    if len(raw) == 32:
        return _scalar(raw), None
    raise DecodeError("not a private key: expected PEM, DER, 32 raw bytes or 64 hex characters")


def _ec_private_key_der(d: bytes, public_point: bytes | None) -> bytes:
    key = ECPrivateKey({"version": 1, "private_key": d})
    if public_point is not None:
        key["public_key"] = BitStringSpec.load(b"\x03" + bytes((len(public_point) + 1,)) + b"\x00" + public_point)
    return bytes(key.dump())


def _sm2_algorithm() -> AlgorithmIdentifier:
    return AlgorithmIdentifier(
        {"algorithm": oids.EC_PUBLIC_KEY, "parameters": ObjectIdentifierSpec(oids.SM2)}
    )


def encode_private_key(
    d: bytes,
    public_point: bytes | None,
    encoding: str,
    *,
    password: bytes | str | None = None,
    cipher: str = "aes-256-cbc",
    iterations: int = 200_000,
) -> bytes:
    """Serialise an SM2 private key.

    :param encoding: ``"PEM"`` or ``"DER"`` (PKCS#8, byte-compatible with OpenSSL 3) or ``"raw"``
        (the 32-byte scalar).
    :param password: encrypt as PBES2 ``EncryptedPrivateKeyInfo`` (RFC 8018).
    :param cipher: ``"aes-256-cbc"`` (PBKDF2-HMAC-SHA256; OpenSSL reads it) or ``"sm4-cbc"``
        (PBKDF2-HMAC-SM3; GmSSL 3 style, OpenSSL 3.0 cannot read it).
    """
    if len(d) != 32:
        raise ValueError("d must be 32 bytes")
    pw = _password_bytes(password)
    if encoding == "raw":
        if pw is not None:
            raise ValueError("a raw private key cannot be encrypted; use PEM or DER with a password")
        return bytes(d)
    if encoding not in ("PEM", "DER"):
        raise ValueError("encoding must be 'PEM', 'DER' or 'raw'")
    info = PrivateKeyInfo(
        {
            "version": 0,
            "private_key_algorithm": _sm2_algorithm(),
            "private_key": _ec_private_key_der(d, public_point),
        }
    )
    der = bytes(info.dump())
    label = "PRIVATE KEY"
    if pw is not None:
        if cipher not in _WRITE_CHOICES:
            raise ValueError("cipher must be 'aes-256-cbc' or 'sm4-cbc'")
        if not 1_000 <= iterations <= _MAX_PBKDF2_ITERATIONS:
            raise ValueError("iterations must be between 1,000 and 10,000,000")
        der = _encrypt_pkcs8(der, pw, cipher, iterations)
        label = "ENCRYPTED PRIVATE KEY"
    return _pem(label, der) if encoding == "PEM" else der


def _encrypt_pkcs8(der: bytes, password: bytes, cipher: str, iterations: int) -> bytes:
    cipher_oid, prf_oid = _WRITE_CHOICES[cipher]
    key_len, cipher_cls = _CIPHERS[cipher_oid]
    salt, iv = os.urandom(16), os.urandom(16)
    key = PBKDF2HMAC(_PRFS[prf_oid](), key_len, salt, iterations).derive(password)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(der) + padder.finalize()
    enc = Cipher(cipher_cls(key), modes.CBC(iv)).encryptor()
    ciphertext = enc.update(padded) + enc.finalize()
    kdf_params = PBKDF2Params(
        {
            "salt": salt,
            "iteration_count": iterations,
            "prf": AlgorithmIdentifier({"algorithm": prf_oid, "parameters": NullSpec()}),
        }
    )
    pbes2 = PBES2Params(
        {
            "key_derivation_func": AlgorithmIdentifier({"algorithm": oids.PBKDF2, "parameters": kdf_params}),
            "encryption_scheme": AlgorithmIdentifier({"algorithm": cipher_oid, "parameters": OctetStringSpec(iv)}),
        }
    )
    return bytes(
        EncryptedPrivateKeyInfo(
            {
                "encryption_algorithm": AlgorithmIdentifier({"algorithm": oids.PBES2, "parameters": pbes2}),
                "encrypted_data": ciphertext,
            }
        ).dump()
    )


def _pem(label: str, der: bytes) -> bytes:
    body = base64.encodebytes(der).replace(b"\n", b"")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return b"-----BEGIN " + label.encode() + b"-----\n" + b"\n".join(lines) + b"\n-----END " + label.encode() + b"-----\n"


# ---- public keys ---------------------------------------------------------------


def encode_public_key(public_point: bytes, encoding: str) -> bytes:
    """Serialise an SM2 public point.

    :param encoding: ``"PEM"``/``"DER"`` SubjectPublicKeyInfo (as ``openssl pkey -pubout``), ``"raw"``
        (65 bytes ``04||X||Y``) or ``"compressed"`` (33 bytes ``02/03||X``).
    """
    if len(public_point) != 65 or public_point[0] != 0x04:
        raise ValueError("public_point must be the 65-byte uncompressed point")
    if encoding == "raw":
        return bytes(public_point)
    if encoding == "compressed":
        return bytes((2 | (public_point[64] & 1),)) + public_point[1:33]
    if encoding not in ("PEM", "DER"):
        raise ValueError("encoding must be 'PEM', 'DER', 'raw' or 'compressed'")
    spki = SubjectPublicKeyInfo(
        {
            "algorithm": _sm2_algorithm(),
            "public_key": BitStringSpec.load(b"\x03\x42\x00" + public_point),
        }
    )
    der = bytes(spki.dump())
    return _pem("PUBLIC KEY", der) if encoding == "PEM" else der


def _spki_point(der: bytes) -> bytes:
    spki = _load(SubjectPublicKeyInfo, der, "SubjectPublicKeyInfo")
    assert isinstance(spki, SubjectPublicKeyInfo)
    _require_sm2(spki["algorithm"])
    contents = spki["public_key"].contents
    if not contents or contents[0] != 0:
        raise DecodeError("SubjectPublicKeyInfo: the key BIT STRING has unused bits")
    return _point(bytes(contents[1:]))


def decode_public_key(data: bytes) -> bytes:
    """Read an SM2 public key: PEM/DER SubjectPublicKeyInfo, raw 65/64/33 bytes, or hex of those.

    :returns: the SEC1 point as carried (65 or 33 bytes; a 64-byte X||Y gains its 04).
    :raises DecodeError: unreadable input (a certificate is refused: use the certificate API).
    :raises InvalidKeyError: wrong length, bad prefix, or a coordinate not below p.
    """
    raw = _check_input(data)
    if b"-----BEGIN" in raw:
        blocks = _pem_blocks(raw)
        for label, der in blocks:
            if label in _PUBLIC_LABELS:
                return _spki_point(der)
        labels = {b[0] for b in blocks}
        if b"CERTIFICATE" in labels:
            raise DecodeError("this is a certificate, not a public key; load it with the certificate API")
        if labels & _PRIVATE_LABELS:
            raise DecodeError("this is a private key; load it with load_private_key()")
        raise DecodeError("no PUBLIC KEY PEM block found")
    hex_raw = _hex_bytes(raw) if len(raw) > 65 else None
    if hex_raw is not None and len(hex_raw) in (33, 64, 65):
        return _point(hex_raw)
    if raw[0] == 0x30 and len(raw) not in (64, 65, 33):
        return _spki_point(raw)
    if len(raw) in (33, 64, 65):
        return _point(raw)
    raise DecodeError("not a public key: expected PEM, DER SubjectPublicKeyInfo, or a 65/64/33-byte point")
