"""SM2 key serialisation: PEM/DER PKCS#8 (plain and PBES2-encrypted), SEC1, SPKI, raw, hex.

This module converts bytes to and from the raw values only: a 32-byte private
scalar ``d`` and a SEC1 point (65-byte ``04||X||Y`` or 33-byte ``02/03||X``).
It does no curve arithmetic: :mod:`trustkit.primitives.sm2` checks that points
are on the curve and derives public keys.

Output is byte-identical to OpenSSL 3 (``openssl genpkey -algorithm SM2`` and
``openssl pkey -pubout``): PKCS#8 ``PrivateKeyInfo`` v0 (RFC 5208/5958) with
algorithm id-ecPublicKey and parameters namedCurve 1.2.156.10197.1.301, whose
``privateKey`` is an RFC 5915 ``ECPrivateKey`` v1 holding the 32-byte scalar and
the ``[1] publicKey`` but *no* ``[0] parameters``; SubjectPublicKeyInfo with the
same AlgorithmIdentifier (RFC 5480).  Encrypted keys are PBES2 (RFC 8018):
PBKDF2-HMAC-SHA256 + AES-256-CBC laid out as ``openssl pkcs8 -topk8 -v2
aes-256-cbc`` writes it, or PBKDF2-HMAC-SM3 + SM4-CBC laid out as GmSSL 3 writes it.

Input is lenient where vendors differ (reference: GM/T 0015-2023 and
standards.md 1.3), strict everywhere else:

- the SM2 OID as the *algorithm* OID, with absent, NULL or SM2 parameters;
- explicit (specified) curve parameters are accepted only when every value
  equals sm2p256v1 (``openssl ecparam -param_enc explicit`` writes them);
  other explicit curves raise :class:`~trustkit.errors.UnsupportedAlgorithmError`;
- a SEC1 ``ECPrivateKey`` that names no curve at all is read as an SM2 key;
- private-key octets shorter than 32 bytes are left-padded (and a 33-byte value
  with a leading zero byte is accepted);
- PEM labels ``PRIVATE KEY``, ``ENCRYPTED PRIVATE KEY``, ``EC PRIVATE KEY`` and
  ``SM2 PRIVATE KEY``; ``EC/SM2 PARAMETERS`` blocks are checked and skipped; text
  outside the ``BEGIN``/``END`` lines is ignored, as OpenSSL does.

DER is read with asn1crypto in strict mode: trailing bytes after a structure (or
inside a PEM body), truncation and extra SEQUENCE fields are all rejected.  Input is
capped at 1 MiB and PBKDF2 iteration counts at 10,000,000, so a hostile file cannot
stall the reader.  The
scalar is range-checked against ``[1, n-1]`` here; :mod:`~trustkit.primitives.sm2`
narrows that to GB/T 32918's ``[1, n-2]``.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Callable
from typing import Any, Final

from asn1crypto import core, parser
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from trustkit import oids
from trustkit.asn1.pkcs8 import (
    AlgorithmIdentifier,
    ECDomainParameters,
    ECPrivateKey,
    EncryptedPrivateKeyInfo,
    PBES2Params,
    PBKDF2Params,
    PrivateKeyInfo,
    SubjectPublicKeyInfo,
)
from trustkit.errors import DecodeError, DecryptionError, InvalidKeyError, UnsupportedAlgorithmError

__all__ = ["decode_private_key", "decode_public_key", "encode_private_key", "encode_public_key"]

# ---- sm2p256v1 domain parameters (GB/T 32918.5), for range and explicit-parameter checks ----
_P: Final = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
_A: Final = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
_B: Final = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
_N: Final = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
_GX: Final = 0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7
_GY: Final = 0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0

# ANSI X9.62 / RFC 3279 2.3.5: the prime-field field type of explicit curve parameters.
_X962_PRIME_FIELD: Final = "1.2.840.10045.1.1"

# Names used only to make error messages readable (RFC 5480, RFC 8410, RFC 8018, PKCS#12).
_OID_NAMES: Final = {
    "1.2.840.10045.3.1.7": "NIST P-256 (prime256v1)",
    "1.3.132.0.34": "NIST P-384 (secp384r1)",
    "1.3.132.0.35": "NIST P-521 (secp521r1)",
    "1.3.132.0.10": "secp256k1",
    "1.2.840.113549.1.1.1": "RSA (rsaEncryption)",
    "1.2.840.10040.4.1": "DSA",
    "1.3.101.110": "X25519",
    "1.3.101.112": "Ed25519",
    "1.2.840.113549.1.5.3": "PBES1 pbeWithMD5AndDES-CBC",
    "1.2.840.113549.1.5.10": "PBES1 pbeWithSHA1AndDES-CBC",
    "1.2.840.113549.1.12.1.3": "PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC",
    "1.2.840.113549.3.7": "des-ede3-cbc",
}

_MAX_INPUT: Final = 1 << 20
_MIN_WRITE_ITERATIONS: Final = 1_000
_MAX_PBKDF2_ITERATIONS: Final = 10_000_000

_PEM_MARKER: Final = re.compile(rb"-----(BEGIN|END) ([A-Z0-9 ]{1,64})-----")
_PRIVATE_LABELS: Final = frozenset({b"PRIVATE KEY", b"ENCRYPTED PRIVATE KEY", b"EC PRIVATE KEY", b"SM2 PRIVATE KEY"})
_PARAMETER_LABELS: Final = frozenset({b"EC PARAMETERS", b"SM2 PARAMETERS"})
_PUBLIC_LABELS: Final = frozenset({b"PUBLIC KEY"})
_CERTIFICATE_LABELS: Final = frozenset(
    {b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE", b"CERTIFICATE REQUEST", b"NEW CERTIFICATE REQUEST"}
)
_HEX: Final = re.compile(rb"[0-9a-fA-F]+")

# DER identifier octets used to tell containers apart.
_INTEGER, _BIT_STRING, _OCTET_STRING, _SEQUENCE = 0x02, 0x03, 0x04, 0x30

# PBES2 building blocks we read (RFC 8018 B.1/B.2, NIST CSOR, and GmSSL 3's SM3/SM4 variants).
_PRFS: Final[dict[str, Callable[[], hashes.HashAlgorithm]]] = {
    oids.HMAC_WITH_SHA1: hashes.SHA1,
    oids.HMAC_WITH_SHA224: hashes.SHA224,
    oids.HMAC_WITH_SHA256: hashes.SHA256,
    oids.HMAC_WITH_SHA384: hashes.SHA384,
    oids.HMAC_WITH_SHA512: hashes.SHA512,
    oids.HMAC_SM3: hashes.SM3,
}
_CIPHERS: Final[dict[str, tuple[int, Callable[[bytes], Any]]]] = {  # OID -> (key length, block cipher)
    oids.AES128_CBC: (16, algorithms.AES),
    oids.AES192_CBC: (24, algorithms.AES),
    oids.AES256_CBC: (32, algorithms.AES),
    oids.SM4_CBC: (16, algorithms.SM4),
}
# cipher name -> (cipher OID, PRF OID, write PBKDF2 keyLength and omit the PRF's NULL (GmSSL 3 layout))
_WRITE_CHOICES: Final = {
    "aes-256-cbc": (oids.AES256_CBC, oids.HMAC_WITH_SHA256, False),
    "sm4-cbc": (oids.SM4_CBC, oids.HMAC_SM3, True),
}
_WRONG_PASSWORD: Final = "wrong password or corrupted key"
_PASSWORD_NEEDED: Final = "this private key is encrypted: a password is needed"


# ---- argument and input checks ----------------------------------------------------------


def _bytes_arg(value: object, name: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{name} must be bytes, not {type(value).__name__}")


def _str_arg(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    return value


def _check_input(data: object) -> bytes:
    raw = _bytes_arg(data, "key data")
    if len(raw) > _MAX_INPUT:
        raise DecodeError("the key data is larger than 1 MiB, so it is not a key file")
    if not raw:
        raise DecodeError("the key data is empty")
    return raw


def _password_bytes(password: object) -> bytes | None:
    if password is None:
        return None
    if isinstance(password, str):
        return password.encode("utf-8")
    return _bytes_arg(password, "password")


def _describe(oid: str) -> str:
    name = _OID_NAMES.get(oid)
    return f"{name} [{oid}]" if name else oid


# ---- PEM, hex and DER plumbing -------------------------------------------------------------


def _pem_body(label: bytes, body: bytes) -> bytes:
    name = label.decode("ascii")
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    if any(b":" in line for line in lines):
        # RFC 1421 headers: OpenSSL's legacy "traditional" encryption.
        if any(line.startswith((b"Proc-Type", b"DEK-Info")) for line in lines):
            raise UnsupportedAlgorithmError(
                "legacy OpenSSL PEM encryption (Proc-Type/DEK-Info) is not supported; convert the key "
                "with: openssl pkcs8 -topk8 -v2 aes-256-cbc -in old.pem -out new.pem"
            )
        raise DecodeError(f"the PEM block '{name}' has unexpected header lines")
    try:
        der = base64.b64decode(b"".join(lines), validate=True)
    except (binascii.Error, ValueError):
        raise DecodeError(f"the PEM block '{name}' is not valid base64") from None
    if not der:
        raise DecodeError(f"the PEM block '{name}' is empty")
    return der


def _pem_blocks(data: bytes) -> list[tuple[bytes, bytes]]:
    """Every PEM block (RFC 7468) as ``(label, DER)``; text between blocks is ignored.

    Pairs the BEGIN/END lines in one linear pass (a lazy ``BEGIN.*?END`` regex is
    quadratic on hostile input).
    """
    blocks = []
    open_label: bytes | None = None
    body_start = 0
    for marker in _PEM_MARKER.finditer(data):
        kind, label = marker.group(1), marker.group(2)
        if kind == b"BEGIN":
            if open_label is not None:
                raise DecodeError(f"the PEM block '{open_label.decode()}' has no matching END line")
            open_label, body_start = label, marker.end()
        elif open_label is None or label != open_label:
            raise DecodeError(f"the PEM line '-----END {label.decode()}-----' has no matching BEGIN line")
        else:
            blocks.append((label, _pem_body(label, data[body_start : marker.start()])))
            open_label = None
    if open_label is not None:
        raise DecodeError(f"the PEM block '{open_label.decode()}' has no matching END line")
    return blocks


def _pem(label: str, der: bytes) -> bytes:
    """RFC 7468 text: 64-column base64 and a final newline, as OpenSSL writes it."""
    body = base64.b64encode(der)
    lines = b"\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    tag = label.encode("ascii")
    return b"-----BEGIN " + tag + b"-----\n" + lines + b"\n-----END " + tag + b"-----\n"


def _from_hex(data: bytes) -> bytes | None:
    """Hex text (whitespace anywhere, an optional 0x prefix) as bytes; None when it is not hex."""
    if not data.isascii():
        return None
    text = b"".join(data.split())
    if text[:2].lower() == b"0x":
        text = text[2:]
    if not text or len(text) % 2 or not _HEX.fullmatch(text):
        return None
    return bytes.fromhex(text.decode("ascii"))


def _asn1_reason(exc: Exception) -> str:
    """A safe one-line reason for an asn1crypto error (never echoes the data)."""
    text = str(exc)
    if "trailing data" in text or "Extra data" in text:
        return "trailing bytes after the DER structure"
    if "Insufficient data" in text:
        return "the DER data is truncated"
    return "unexpected ASN.1 structure"


def _shape(der: bytes, what: str) -> tuple[int, ...]:
    """Identifier octets of the first children of the one outer SEQUENCE ``der`` must be."""
    try:
        _, _, _, header, contents, _ = parser.parse(der, strict=True)
    except ValueError as exc:
        raise DecodeError(f"malformed {what}: {_asn1_reason(exc)}") from None
    if header[0] != _SEQUENCE:
        raise DecodeError(f"malformed {what}: expected a DER SEQUENCE")
    tags: list[int] = []
    pos = 0
    while pos < len(contents) and len(tags) < 4:
        try:
            _, _, _, child_header, child_contents, child_trailer = parser.parse(contents[pos:])
        except ValueError as exc:
            raise DecodeError(f"malformed {what}: {_asn1_reason(exc)}") from None
        tags.append(child_header[0])
        pos += len(child_header) + len(child_contents) + len(child_trailer)
    return tuple(tags)


def _no_extra_fields(value: Any, what: str) -> None:
    """asn1crypto keeps SEQUENCE elements beyond the declared fields; DER for these types has none."""
    if isinstance(value, core.Sequence):
        children = value.children or []
        if len(children) > len(value._fields):
            raise DecodeError(f"malformed {what}: unexpected extra fields in a SEQUENCE")
        for child in children:
            _no_extra_fields(child, what)
    elif isinstance(value, core.SequenceOf):
        for child in value.children or []:
            _no_extra_fields(child, what)
    elif isinstance(value, core.Choice):
        _no_extra_fields(value.chosen, what)


def _load(spec: Any, der: bytes, what: str) -> Any:
    """Strictly parse ``der`` as ``spec`` (whole value, no trailing bytes, no extra fields)."""
    try:
        value = spec.load(der, strict=True)
        value.native  # parse every nested value now, so errors surface here
    except (ValueError, TypeError) as exc:
        raise DecodeError(f"malformed {what}: {_asn1_reason(exc)}") from None
    except RecursionError:
        raise DecodeError(f"malformed {what}: ASN.1 values nested too deeply") from None
    _no_extra_fields(value, what)
    return value


def _parse_any(value: Any, spec: Any, what: str) -> Any:
    """Parse an ``Any`` (unparsed parameters) as ``spec``; absent parameters are malformed."""
    if isinstance(value, core.Void):
        raise DecodeError(f"malformed {what}: the parameters are missing")
    return _load(spec, value.dump(), what)


# ---- values: scalar, points, curve ---------------------------------------------------------


def _scalar(octets: bytes) -> bytes:
    """The private scalar as 32 bytes; GB/T 32918.1 needs 1 <= d < n."""
    if len(octets) == 33 and octets[0] == 0:
        octets = octets[1:]  # a sign byte added by INTEGER-minded encoders
    if len(octets) > 32:
        raise DecodeError(f"the private key is {len(octets)} bytes long; an SM2 private key has 32")
    value = int.from_bytes(octets, "big")
    if not 1 <= value < _N:
        raise InvalidKeyError("the private key is out of range: d must be in [1, n-1] (GB/T 32918.1)")
    return value.to_bytes(32, "big")


def _point(raw: bytes, where: str) -> bytes:
    """Structural checks of a SEC1 2.3.3 point (length, prefix, coordinates below p)."""
    if len(raw) == 65:
        if raw[0] != 0x04:
            raise InvalidKeyError(f"{where}: a 65-byte point must start with 04 (uncompressed form)")
        coordinates: tuple[bytes, ...] = (raw[1:33], raw[33:])
    elif len(raw) == 33:
        if raw[0] not in (0x02, 0x03):
            raise InvalidKeyError(f"{where}: a 33-byte point must start with 02 or 03 (compressed form)")
        coordinates = (raw[1:],)
    else:
        raise DecodeError(
            f"{where}: expected a 65-byte (04||X||Y) or 33-byte (02/03||X) point, got {len(raw)} bytes"
        )
    if any(int.from_bytes(c, "big") >= _P for c in coordinates):
        raise InvalidKeyError(f"{where}: a coordinate is not below the field prime p of sm2p256v1")
    return raw


def _bit_string_point(value: Any, where: str) -> bytes:
    contents = bytes(value.contents or b"")
    if not contents or contents[0] != 0:
        raise DecodeError(f"{where}: the public key BIT STRING must have no unused bits")
    return _point(contents[1:], where)


def _is_sm2p256v1(domain: Any) -> bool:
    """Explicit SEC1 C.2 SpecifiedECDomain equal to sm2p256v1 (G uncompressed or compressed)."""
    field = domain["field_id"]
    if field["field_type"].dotted != _X962_PRIME_FIELD or field["parameters"].native != _P:
        return False
    curve = domain["curve"]
    if int.from_bytes(curve["a"].native, "big") != _A or int.from_bytes(curve["b"].native, "big") != _B:
        return False
    gx = _GX.to_bytes(32, "big")
    base = bytes(domain["base"].native)
    if base not in (b"\x04" + gx + _GY.to_bytes(32, "big"), bytes((0x02 | (_GY & 1),)) + gx):
        return False
    cofactor = domain["cofactor"]
    return bool(domain["order"].native == _N and (isinstance(cofactor, core.Void) or cofactor.native == 1))


def _require_sm2_domain(params: Any) -> None:
    """SEC1 ECParameters: namedCurve SM2, or explicit parameters equal to it."""
    if params.name == "named":
        curve = params.chosen.dotted
        if curve != oids.SM2:
            raise UnsupportedAlgorithmError(
                f"the key is on curve {_describe(curve)}, not SM2 ({oids.SM2}); trustkit reads SM2 keys only"
            )
    elif params.name == "specified":
        if not _is_sm2p256v1(params.chosen):
            raise UnsupportedAlgorithmError(
                "the key carries explicit curve parameters that are not sm2p256v1; trustkit reads SM2 keys only"
            )
    else:
        raise UnsupportedAlgorithmError("the key does not name its curve (implicitCA); only SM2 keys are supported")


def _require_sm2_algorithm(alg: Any) -> None:
    """id-ecPublicKey + SM2 curve (RFC 5480), or the SM2 OID as the algorithm (GM/T 0015-2023)."""
    algorithm = alg["algorithm"].dotted
    params = alg["parameters"]
    if algorithm == oids.SM2:
        if isinstance(params, core.Void) or params.dump() == b"\x05\x00":
            return
        _require_sm2_domain(_parse_any(params, ECDomainParameters, "SM2 curve parameters"))
    elif algorithm == oids.EC_PUBLIC_KEY:
        if isinstance(params, core.Void):
            raise UnsupportedAlgorithmError("the EC key does not name its curve; only SM2 keys are supported")
        _require_sm2_domain(_parse_any(params, ECDomainParameters, "EC curve parameters"))
    else:
        raise UnsupportedAlgorithmError(f"not an SM2 key: the key algorithm is {_describe(algorithm)}")


# ---- private keys ------------------------------------------------------------------------------


def _sec1(der: bytes, what: str) -> tuple[bytes, bytes | None]:
    """RFC 5915 ECPrivateKey -> (d, embedded public point or None)."""
    key = _load(ECPrivateKey, der, what)
    if key["version"].native != 1:
        raise DecodeError(f"{what}: the version must be 1 (RFC 5915)")
    if not isinstance(key["parameters"], core.Void):
        _require_sm2_domain(key["parameters"])
    d = _scalar(bytes(key["private_key"].native))
    public = key["public_key"]
    return d, None if isinstance(public, core.Void) else _bit_string_point(public, what)


def _pkcs8(der: bytes) -> tuple[bytes, bytes | None]:
    """RFC 5958 OneAsymmetricKey holding an RFC 5915 ECPrivateKey."""
    info = _load(PrivateKeyInfo, der, "PKCS#8 PrivateKeyInfo")
    version = info["version"].native
    if version not in (0, 1):
        raise DecodeError(f"PKCS#8: version {version} is unknown (RFC 5958 defines 0 and 1)")
    _require_sm2_algorithm(info["private_key_algorithm"])
    d, public = _sec1(bytes(info["private_key"].native), "ECPrivateKey inside PKCS#8")
    outer = info["public_key"]
    if not isinstance(outer, core.Void):
        outer_point = _bit_string_point(outer, "PKCS#8 publicKey")
        if public is not None and public != outer_point:
            raise InvalidKeyError("the PKCS#8 and ECPrivateKey public keys disagree")
        public = outer_point
    return d, public


def _decrypt_pkcs8(der: bytes, password: bytes | None) -> bytes:
    """RFC 8018 PBES2 (PBKDF2 + a CBC cipher) -> the PrivateKeyInfo DER."""
    enc = _load(EncryptedPrivateKeyInfo, der, "encrypted PKCS#8 (EncryptedPrivateKeyInfo)")
    scheme_oid = enc["encryption_algorithm"]["algorithm"].dotted
    if scheme_oid != oids.PBES2:
        raise UnsupportedAlgorithmError(
            f"the key is encrypted with {_describe(scheme_oid)}; only PBES2 is supported: re-encrypt it with "
            "openssl pkcs8 -topk8 -v2 aes-256-cbc"
        )
    pbes2 = _parse_any(enc["encryption_algorithm"]["parameters"], PBES2Params, "PBES2 parameters")
    kdf = pbes2["key_derivation_func"]
    if kdf["algorithm"].dotted != oids.PBKDF2:
        raise UnsupportedAlgorithmError(
            f"PBES2 key derivation {_describe(kdf['algorithm'].dotted)} is not supported (only PBKDF2)"
        )
    kdf_params = _parse_any(kdf["parameters"], PBKDF2Params, "PBKDF2 parameters")
    prf = kdf_params["prf"]
    prf_oid = oids.HMAC_WITH_SHA1 if isinstance(prf, core.Void) else prf["algorithm"].dotted
    if not isinstance(prf, core.Void) and not (
        isinstance(prf["parameters"], core.Void) or prf["parameters"].dump() == b"\x05\x00"
    ):
        raise DecodeError("malformed PBKDF2 parameters: the PRF parameters must be NULL or absent")
    if prf_oid not in _PRFS:
        raise UnsupportedAlgorithmError(f"PBKDF2 pseudo-random function {_describe(prf_oid)} is not supported")
    cipher_oid = pbes2["encryption_scheme"]["algorithm"].dotted
    if cipher_oid not in _CIPHERS:
        raise UnsupportedAlgorithmError(
            f"PBES2 cipher {_describe(cipher_oid)} is not supported (aes-128/192/256-cbc and sm4-cbc are)"
        )
    key_length, cipher = _CIPHERS[cipher_oid]
    iv = _parse_any(pbes2["encryption_scheme"]["parameters"], core.OctetString, "PBES2 cipher IV").native
    if len(iv) != 16:
        raise DecodeError("malformed PBES2 parameters: the CBC IV must be 16 bytes")
    iterations = kdf_params["iteration_count"].native
    if not 1 <= iterations <= _MAX_PBKDF2_ITERATIONS:
        raise DecodeError(f"PBKDF2 iteration count {iterations} is outside the accepted range 1..10,000,000")
    stated_length = kdf_params["key_length"]
    if not isinstance(stated_length, core.Void) and stated_length.native != key_length:
        raise DecodeError("malformed PBKDF2 parameters: keyLength does not match the cipher")
    if password is None:
        raise DecodeError(_PASSWORD_NEEDED, code="password_required")
    key = PBKDF2HMAC(_PRFS[prf_oid](), key_length, kdf_params["salt"].native, iterations).derive(password)
    ciphertext = enc["encrypted_data"].native
    if not ciphertext or len(ciphertext) % 16:
        raise DecryptionError(_WRONG_PASSWORD)
    decryptor = Cipher(cipher(key), modes.CBC(iv)).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(decryptor.update(ciphertext) + decryptor.finalize()) + unpadder.finalize()
    except ValueError:
        raise DecryptionError(_WRONG_PASSWORD) from None


def _private_from_der(der: bytes, password: bytes | None) -> tuple[bytes, bytes | None]:
    """Tell PKCS#8, EncryptedPrivateKeyInfo and SEC1 apart by their first fields, then read."""
    shape = _shape(der, "private key DER")
    if shape[:2] == (_INTEGER, _SEQUENCE):
        if len(shape) >= 3 and shape[2] == _SEQUENCE:
            raise DecodeError(
                "this looks like a PKCS#12 (.p12/.pfx) file; extract the key first "
                "(openssl pkcs12 -nocerts -nodes) or use a PKCS#12 loader"
            )
        return _pkcs8(der)
    if shape[:2] == (_INTEGER, _OCTET_STRING):
        return _sec1(der, "SEC1 ECPrivateKey")
    if shape == (_SEQUENCE, _OCTET_STRING):
        plain = _decrypt_pkcs8(der, password)
        try:
            return _pkcs8(plain)
        except DecodeError:
            raise DecryptionError(_WRONG_PASSWORD) from None
    if shape == (_SEQUENCE, _BIT_STRING):
        raise DecodeError("this is a public key (SubjectPublicKeyInfo), not a private key; load it as a public key")
    if shape == (_SEQUENCE, _SEQUENCE, _BIT_STRING):
        raise DecodeError("this is a certificate (or CSR): it holds no private key")
    raise DecodeError("not a private key: expected PKCS#8, encrypted PKCS#8 or SEC1 ECPrivateKey DER")


def _private_from_pem(data: bytes, password: bytes | None) -> tuple[bytes, bytes | None]:
    blocks = _pem_blocks(data)
    found = []
    for label, der in blocks:
        if label in _PARAMETER_LABELS:
            _require_sm2_domain(_load(ECDomainParameters, der, f"{label.decode()} block"))
        elif label in _PRIVATE_LABELS:
            found.append(der)
    if len(found) > 1:
        raise DecodeError(f"the PEM data holds {len(found)} private keys; pass one key at a time")
    if found:
        return _private_from_der(found[0], password)
    labels = {label for label, _ in blocks}
    if labels & _PUBLIC_LABELS:
        raise DecodeError("this is a public key, not a private key; load it as a public key")
    if labels & _CERTIFICATE_LABELS:
        raise DecodeError("this is a certificate: it holds no private key")
    names = ", ".join(sorted(label.decode() for label in labels)) or "none"
    raise DecodeError(f"no private key PEM block found (labels present: {names})")


def decode_private_key(data: bytes, password: bytes | str | None = None) -> tuple[bytes, bytes | None]:
    """Read an SM2 private key in any supported form.

    Accepted: PEM (``PRIVATE KEY``, ``ENCRYPTED PRIVATE KEY``, ``EC PRIVATE KEY``,
    ``SM2 PRIVATE KEY``; ``EC/SM2 PARAMETERS`` blocks are checked and skipped); DER
    PKCS#8 (RFC 5208/5958), EncryptedPrivateKeyInfo with PBES2 (RFC 8018) or SEC1
    ECPrivateKey (RFC 5915); the raw 32-byte scalar; 64 hex digits.

    :param data: the key bytes (at most 1 MiB).
    :param password: for encrypted keys; ``str`` is encoded as UTF-8.  Ignored for
        unencrypted keys.
    :returns: ``(d, public_point)``: d as 32 bytes big endian, and the embedded SEC1
        point (65 or 33 bytes) or ``None``.  The point is checked structurally only.
    :raises TypeError: ``data`` is not bytes, or ``password`` is not bytes/str/None.
    :raises DecodeError: unreadable input, or an encrypted key without a password.
    :raises DecryptionError: wrong password or corrupted ciphertext.
    :raises InvalidKeyError: d is 0 or not below n, or a public coordinate is not below p.
    :raises UnsupportedAlgorithmError: another curve or algorithm, an encryption scheme
        other than PBES2/PBKDF2 with AES-CBC or SM4-CBC, or legacy PEM encryption.
    """
    raw = _check_input(data)
    pw = _password_bytes(password)
    if b"-----BEGIN " in raw:
        return _private_from_pem(raw, pw)
    if len(raw) == 32:
        return _scalar(raw), None
    hexed = _from_hex(raw)
    if hexed is not None:
        if len(hexed) != 32:
            raise DecodeError(
                f"a hex private key must be 64 hex digits (32 bytes); this one has {2 * len(hexed)}"
            )
        return _scalar(hexed), None
    if raw[0] == _SEQUENCE:
        return _private_from_der(raw, pw)
    raise DecodeError("not a private key: expected PEM, DER, the raw 32-byte scalar or 64 hex digits")


def _sm2_algorithm() -> AlgorithmIdentifier:
    """id-ecPublicKey with namedCurve SM2, as OpenSSL 3 writes it (RFC 5480 2.1.1)."""
    return AlgorithmIdentifier({"algorithm": oids.EC_PUBLIC_KEY, "parameters": core.ObjectIdentifier(oids.SM2)})


def _bit_string(content: bytes) -> core.BitString:
    return core.BitString.load(b"\x03" + bytes((len(content) + 1,)) + b"\x00" + content)


def _pkcs8_der(d: bytes, public_point: bytes | None) -> bytes:
    inner = ECPrivateKey({"version": 1, "private_key": d})
    if public_point is not None:
        inner["public_key"] = _bit_string(public_point)
    info = PrivateKeyInfo(
        {"version": 0, "private_key_algorithm": _sm2_algorithm(), "private_key": inner.dump()}
    )
    return bytes(info.dump())


def _encrypt_pkcs8(der: bytes, password: bytes, cipher_name: str, iterations: int) -> bytes:
    """PBES2 EncryptedPrivateKeyInfo (RFC 8018 6.2, RFC 5958 3) with a fresh 16-byte salt and IV."""
    cipher_oid, prf_oid, gmssl_layout = _WRITE_CHOICES[cipher_name]
    key_length, cipher = _CIPHERS[cipher_oid]
    salt, iv = os.urandom(16), os.urandom(16)
    key = PBKDF2HMAC(_PRFS[prf_oid](), key_length, salt, iterations).derive(password)
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(cipher(key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padder.update(der) + padder.finalize()) + encryptor.finalize()
    if gmssl_layout:  # GmSSL 3: keyLength present, PRF without parameters
        kdf_params = PBKDF2Params(
            {
                "salt": salt,
                "iteration_count": iterations,
                "key_length": key_length,
                "prf": AlgorithmIdentifier({"algorithm": prf_oid}),
            }
        )
    else:  # OpenSSL 3: no keyLength, PRF with NULL parameters
        kdf_params = PBKDF2Params(
            {
                "salt": salt,
                "iteration_count": iterations,
                "prf": AlgorithmIdentifier({"algorithm": prf_oid, "parameters": core.Null()}),
            }
        )
    pbes2 = PBES2Params(
        {
            "key_derivation_func": AlgorithmIdentifier({"algorithm": oids.PBKDF2, "parameters": kdf_params}),
            "encryption_scheme": AlgorithmIdentifier({"algorithm": cipher_oid, "parameters": core.OctetString(iv)}),
        }
    )
    encrypted = EncryptedPrivateKeyInfo(
        {
            "encryption_algorithm": AlgorithmIdentifier({"algorithm": oids.PBES2, "parameters": pbes2}),
            "encrypted_data": ciphertext,
        }
    )
    return bytes(encrypted.dump())


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

    PEM/DER are PKCS#8 exactly as ``openssl genpkey -algorithm SM2`` writes them
    (RFC 5208 PrivateKeyInfo, id-ecPublicKey + namedCurve 1.2.156.10197.1.301, RFC 5915
    ECPrivateKey v1 without ``[0] parameters``, with ``[1] publicKey`` when given).

    :param d: the 32-byte big-endian scalar, 1 <= d < n.
    :param public_point: the SEC1 point to embed (65 or 33 bytes), or ``None``.
    :param encoding: ``"PEM"``, ``"DER"`` or ``"raw"`` (the 32-byte scalar).
    :param password: encrypt as a PBES2 ``EncryptedPrivateKeyInfo`` (RFC 8018); ``str`` is
        encoded as UTF-8.  Not allowed with ``"raw"``.
    :param cipher: ``"aes-256-cbc"`` (PBKDF2-HMAC-SHA256; OpenSSL reads it) or ``"sm4-cbc"``
        (PBKDF2-HMAC-SM3 1.2.156.10197.1.401.2 + SM4-CBC 1.2.156.10197.1.104.2, GmSSL 3
        layout; OpenSSL 3.0 cannot read it).
    :param iterations: the PBKDF2 iteration count, 1,000 to 10,000,000.
    :raises TypeError: an argument of the wrong type.
    :raises ValueError: a bad encoding, cipher, iteration count, length, or a password with ``"raw"``.
    :raises InvalidKeyError: d is 0 or not below n, or a public coordinate is not below p.
    """
    scalar = _bytes_arg(d, "d")
    if len(scalar) != 32:
        raise ValueError(f"d must be 32 bytes, got {len(scalar)}")
    scalar = _scalar(scalar)
    point = None if public_point is None else _point(_bytes_arg(public_point, "public_point"), "public_point")
    encoding = _str_arg(encoding, "encoding")
    cipher = _str_arg(cipher, "cipher")
    if not isinstance(iterations, int) or isinstance(iterations, bool):
        raise TypeError(f"iterations must be an int, not {type(iterations).__name__}")
    pw = _password_bytes(password)
    if cipher not in _WRITE_CHOICES:
        raise ValueError("cipher must be 'aes-256-cbc' or 'sm4-cbc'")
    if encoding == "raw":
        if pw is not None:
            raise ValueError("a raw private key cannot be encrypted; use PEM or DER with a password")
        return scalar
    if encoding not in ("PEM", "DER"):
        raise ValueError("encoding must be 'PEM', 'DER' or 'raw'")
    der = _pkcs8_der(scalar, point)
    label = "PRIVATE KEY"
    if pw is not None:
        if not pw:
            raise ValueError("the password is empty; pass None to write an unencrypted key")
        if not _MIN_WRITE_ITERATIONS <= iterations <= _MAX_PBKDF2_ITERATIONS:
            raise ValueError("iterations must be between 1,000 and 10,000,000")
        der = _encrypt_pkcs8(der, pw, cipher, iterations)
        label = "ENCRYPTED PRIVATE KEY"
    return _pem(label, der) if encoding == "PEM" else der


# ---- public keys -------------------------------------------------------------------------------


def encode_public_key(public_point: bytes, encoding: str) -> bytes:
    """Serialise an SM2 public point.

    :param public_point: the 65-byte uncompressed point ``04||X||Y`` (SEC1 2.3.3).
    :param encoding: ``"PEM"``/``"DER"`` SubjectPublicKeyInfo (RFC 5480, as ``openssl pkey
        -pubout`` writes it, label ``PUBLIC KEY``), ``"raw"`` (65 bytes) or ``"compressed"``
        (33 bytes ``02/03||X``, the prefix carrying the parity of Y).
    :raises TypeError: an argument of the wrong type.
    :raises ValueError: not a 65-byte ``04`` point, or an unknown encoding.
    :raises InvalidKeyError: a coordinate is not below p.
    """
    point = _bytes_arg(public_point, "public_point")
    encoding = _str_arg(encoding, "encoding")
    if len(point) != 65 or point[0] != 0x04:
        raise ValueError("public_point must be the 65-byte uncompressed point 04||X||Y")
    point = _point(point, "public_point")
    if encoding == "raw":
        return point
    if encoding == "compressed":
        return bytes((0x02 | (point[64] & 1),)) + point[1:33]
    if encoding not in ("PEM", "DER"):
        raise ValueError("encoding must be 'PEM', 'DER', 'raw' or 'compressed'")
    der = bytes(SubjectPublicKeyInfo({"algorithm": _sm2_algorithm(), "public_key": _bit_string(point)}).dump())
    return _pem("PUBLIC KEY", der) if encoding == "PEM" else der


def _spki_point(der: bytes) -> bytes:
    spki = _load(SubjectPublicKeyInfo, der, "SubjectPublicKeyInfo")
    _require_sm2_algorithm(spki["algorithm"])
    return _bit_string_point(spki["public_key"], "SubjectPublicKeyInfo")


def _public_from_der(der: bytes) -> bytes:
    shape = _shape(der, "public key DER")
    if shape == (_SEQUENCE, _BIT_STRING):
        return _spki_point(der)
    if shape == (_SEQUENCE, _SEQUENCE, _BIT_STRING):
        raise DecodeError(
            "this is a certificate (or CSR), not a bare public key; read it with the certificate API"
        )
    if shape[:2] in ((_INTEGER, _SEQUENCE), (_INTEGER, _OCTET_STRING), (_SEQUENCE, _OCTET_STRING)):
        raise DecodeError("this is a private key, not a public key; load it as a private key")
    raise DecodeError("not a public key: expected DER SubjectPublicKeyInfo")


def _public_from_pem(data: bytes) -> bytes:
    blocks = _pem_blocks(data)
    found = [der for label, der in blocks if label in _PUBLIC_LABELS]
    if len(found) > 1:
        raise DecodeError(f"the PEM data holds {len(found)} public keys; pass one key at a time")
    if found:
        return _public_from_der(found[0])
    labels = {label for label, _ in blocks}
    if labels & _CERTIFICATE_LABELS:
        raise DecodeError("this is a certificate, not a bare public key; read it with the certificate API")
    if labels & _PRIVATE_LABELS:
        raise DecodeError("this is a private key, not a public key; load it as a private key")
    names = ", ".join(sorted(label.decode() for label in labels)) or "none"
    raise DecodeError(f"no PUBLIC KEY PEM block found (labels present: {names})")


def decode_public_key(data: bytes) -> bytes:
    """Read an SM2 public key.

    Accepted: PEM ``PUBLIC KEY`` or DER SubjectPublicKeyInfo (id-ecPublicKey + namedCurve
    SM2, or the SM2 OID as the algorithm); a raw SEC1 point of 65 bytes (``04||X||Y``) or
    33 bytes (``02/03||X``); 64 bytes ``X||Y``; hex text of any of those.  Certificates
    are refused.  Checks are structural only (lengths, prefix, coordinates below p):
    the caller checks that the point is on the curve.

    :returns: the SEC1 point as carried (65 or 33 bytes; a bare 64-byte ``X||Y`` gains ``04``).
    :raises TypeError: ``data`` is not bytes.
    :raises DecodeError: unreadable input, a wrong length or prefix, or a certificate.
    :raises InvalidKeyError: a coordinate is not below p.
    :raises UnsupportedAlgorithmError: a key for another curve or algorithm.
    """
    raw = _check_input(data)
    if b"-----BEGIN " in raw:
        return _public_from_pem(raw)
    if len(raw) in (33, 65):
        return _point(raw, "public key")
    if len(raw) == 64:
        return _point(b"\x04" + raw, "public key")
    hexed = _from_hex(raw)
    if hexed is not None:
        if len(hexed) not in (33, 64, 65):
            raise DecodeError(
                f"a hex public key must be 66, 128 or 130 hex digits (33, 64 or 65 bytes); "
                f"this one has {2 * len(hexed)}"
            )
        return _point(b"\x04" + hexed if len(hexed) == 64 else hexed, "public key")
    if raw[0] == _SEQUENCE:
        return _public_from_der(raw)
    raise DecodeError(
        "not a public key: expected PEM, DER SubjectPublicKeyInfo, a 65/64/33-byte point or its hex"
    )
