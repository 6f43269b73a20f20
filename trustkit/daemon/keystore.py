"""The sealed key store: named, versioned signing keys encrypted at rest with SM4-GCM.

At rest (GM/T 0018's "key encryption key" idea, Vault's barrier):

* The operator passphrase goes through scrypt (RFC 7914; salt and cost stored) to a 128-bit
  key-encryption key, which SM4-GCM-unwraps a random 128-bit data key (the "barrier" record;
  a wrong passphrase fails the GCM tag).
* Every private key version is SM4-GCM(data key, random 96-bit nonce, key bytes) with the
  associated data ``trustkit-key-v1:<name>:<version>``, so ciphertexts cannot be swapped
  between keys or versions.

Keys are generated inside the daemon and never leave it in clear: the only export is
:meth:`KeyStore.export_wrapped` (SM2-encrypted transport key + SM4-GCM), and only for keys
created ``exportable``.  Sealing drops the data key and every decrypted key from memory (Python
cannot promise that no copy survives in freed memory; the data key is held in a bytearray and
zeroed).

Signing semantics (what ``/v1/transit/sign`` does):

* ``sm2``: SM2 with SM3 over Z(default ID 1234567812345678) || input, DER SM2Signature
  (GB/T 32918.2, GM/T 0009).  ``prehashed`` means the input is already e = SM3(Z || M)
  (32 bytes), as ``SDF_InternalSign_ECC`` takes it.
* ``ecdsa-p256``/``ecdsa-p384``: ECDSA with ``hash_algorithm`` (default sha2-256), DER
  (``marshaling_algorithm=asn1``) or r||s (``jws``).
* ``rsa-2048/3072/4096``: PSS (default, salt length = hash length) or PKCS#1 v1.5.
* ``ed25519``: pure Ed25519 over the input.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Union

from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric import utils as asym_utils
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from trustkit.daemon.storage import KeyRecord, KeyVersionRecord, Storage
from trustkit.errors import (
    DecryptionError,
    InvalidRequestError,
    InvalidSignature,
    KeyNotFoundError,
    NotInitializedError,
    SealedError,
)
from trustkit.primitives import sm2, sm4

__all__ = [
    "KEY_TYPES",
    "KeyInfo",
    "KeyStore",
    "PrivateKeyObject",
    "PublicKeyObject",
]

KEY_TYPES = ("sm2", "ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072", "rsa-4096", "ed25519")
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha2-224": hashes.SHA224, "sha2-256": hashes.SHA256, "sha2-384": hashes.SHA384, "sha2-512": hashes.SHA512,
}
_BARRIER = "barrier"
_BARRIER_AAD = b"trustkit-barrier-v1"
_CONFIG_FIELDS = {"min_decryption_version": int, "min_encryption_version": int, "deletion_allowed": bool,
                  "exportable": bool, "allow_plaintext_backup": bool, "auto_rotate_period": int}

PrivateKeyObject = Union[sm2.PrivateKey, ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey]  # noqa: UP007
PublicKeyObject = Union[sm2.PublicKey, ec.EllipticCurvePublicKey, rsa.RSAPublicKey, ed25519.Ed25519PublicKey]  # noqa: UP007


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _generate(key_type: str) -> PrivateKeyObject:
    if key_type == "sm2":
        return sm2.generate_private_key()
    if key_type == "ecdsa-p256":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "ecdsa-p384":
        return ec.generate_private_key(ec.SECP384R1())
    if key_type.startswith("rsa-"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(key_type[4:]))
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise InvalidRequestError(f"unsupported key type {key_type!r}; supported: {', '.join(KEY_TYPES)}")


def _private_bytes(key: PrivateKeyObject) -> bytes:
    if isinstance(key, sm2.PrivateKey):
        return key.private_bytes("raw")
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _load_private(key_type: str, raw: bytes) -> PrivateKeyObject:
    if key_type == "sm2":
        return sm2.load_private_key(raw)
    loaded = serialization.load_der_private_key(raw, password=None)
    if not isinstance(loaded, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)):
        raise DecryptionError("stored key has an unexpected type")
    return loaded


def _public_der(key: PrivateKeyObject) -> bytes:
    if isinstance(key, sm2.PrivateKey):
        return key.public_key().public_bytes("DER")
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _load_public(key_type: str, der: bytes) -> PublicKeyObject:
    if key_type == "sm2":
        return sm2.load_public_key(der)
    loaded = serialization.load_der_public_key(der)
    if not isinstance(loaded, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey, ed25519.Ed25519PublicKey)):
        raise DecryptionError("stored public key has an unexpected type")
    return loaded


def public_key_text(key_type: str, public: PublicKeyObject) -> str:
    """The public key as Vault shows it: PEM SPKI, except Ed25519 (base64 of the raw 32 bytes)."""
    if isinstance(public, sm2.PublicKey):
        return public.public_bytes("PEM").decode("ascii")
    if isinstance(public, ed25519.Ed25519PublicKey):
        return _b64(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@dataclass
class _Version:
    public: PublicKeyObject
    sealed: bytes
    created: str
    private: PrivateKeyObject | None = None


@dataclass
class _Key:
    name: str
    type: str
    config: dict[str, Any]
    created: str
    versions: dict[int, _Version]
    loaded_at: float = field(default_factory=time.monotonic)

    @property
    def latest(self) -> int:
        return max(self.versions)


@dataclass(frozen=True)
class KeyInfo:
    """What ``GET /v1/transit/keys/{name}`` shows: configuration and public keys per version."""

    name: str
    type: str
    config: dict[str, Any]
    latest_version: int
    public_keys: dict[int, tuple[str, str]]  # version -> (creation time, public key text)

    def to_vault(self) -> dict[str, Any]:
        """The ``data`` object of Vault's read-key response."""
        curve = {"sm2": "SM2", "ecdsa-p256": "P-256", "ecdsa-p384": "P-384", "ed25519": ""}.get(self.type, "")
        keys = {str(v): {"creation_time": created, "name": curve or self.type, "public_key": pem}
                for v, (created, pem) in sorted(self.public_keys.items())}
        return {
            "name": self.name, "type": self.type, "keys": keys, "latest_version": self.latest_version,
            "min_available_version": 0,
            "min_decryption_version": self.config.get("min_decryption_version", 1),
            "min_encryption_version": self.config.get("min_encryption_version", 0),
            "deletion_allowed": self.config.get("deletion_allowed", False),
            "exportable": self.config.get("exportable", False),
            "allow_plaintext_backup": False, "auto_rotate_period": self.config.get("auto_rotate_period", 0),
            "derived": False, "imported_key": False, "supports_signing": True, "supports_derivation": False,
            "supports_encryption": False, "supports_decryption": False,
        }


class KeyStore:
    """Named signing keys over a :class:`~trustkit.daemon.storage.Storage`; thread-safe.

    :param cache_ttl: seconds a key's metadata is trusted before it is re-read from storage, so
        rotations made by another instance (PostgreSQL) or worker are seen.
    """

    def __init__(self, storage: Storage, *, cache_ttl: float = 1.0) -> None:
        self._storage = storage
        self._cache_ttl = cache_ttl
        self._lock = threading.RLock()
        self._data_key: bytearray | None = None
        self._unseal_lock = threading.Lock()
        self._keys: dict[str, _Key] = {}

    # -- seal state -------------------------------------------------------------------------------

    @property
    def initialized(self) -> bool:
        return self._storage.meta_get(_BARRIER) is not None

    @property
    def sealed(self) -> bool:
        return self._data_key is None

    def initialize(self, passphrase: str, *, scrypt_n: int = 1 << 15) -> None:
        """Create the barrier: a random data key wrapped under scrypt(passphrase).

        :raises InvalidRequestError: already initialised, or a passphrase under 8 characters.
        """
        if len(passphrase) < 8:
            raise InvalidRequestError("the passphrase must have at least 8 characters")
        salt, nonce, data_key = os.urandom(16), os.urandom(12), os.urandom(16)
        kek = self._kdf(passphrase, salt, scrypt_n)
        record = {"v": 1, "kdf": "scrypt", "n": scrypt_n, "r": 8, "p": 1, "salt": _b64(salt), "nonce": _b64(nonce),
                  "wrapped": _b64(sm4.encrypt_gcm(kek, nonce, data_key, _BARRIER_AAD)), "created": _now()}
        if not self._storage.meta_put(_BARRIER, json.dumps(record).encode(), only_if_absent=True):
            raise InvalidRequestError("the key store is already initialised")

    @staticmethod
    def _kdf(passphrase: str, salt: bytes, n: int) -> bytes:
        return Scrypt(salt=salt, length=16, n=n, r=8, p=1).derive(passphrase.encode("utf-8"))

    def unseal(self, passphrase: str) -> None:
        """Derive the key-encryption key and unwrap the data key.

        :raises NotInitializedError: no barrier yet.
        :raises InvalidRequestError: wrong passphrase.
        """
        raw = self._storage.meta_get(_BARRIER)
        if raw is None:
            raise NotInitializedError("the key store is not initialised; run 'trustkit daemon init'")
        record = json.loads(raw)
        with self._unseal_lock:  # one scrypt at a time: guessing cannot take every core
            self._unseal_with(passphrase, record)

    def _unseal_with(self, passphrase: str, record: dict[str, Any]) -> None:
        kek = self._kdf(passphrase, base64.b64decode(record["salt"]), int(record["n"]))
        try:
            data_key = sm4.decrypt_gcm(kek, base64.b64decode(record["nonce"]), base64.b64decode(record["wrapped"]),
                                       _BARRIER_AAD)
        except DecryptionError:
            raise InvalidRequestError("wrong unseal passphrase") from None
        with self._lock:
            self._data_key = bytearray(data_key)

    def seal(self) -> None:
        """Forget the data key and every decrypted private key."""
        with self._lock:
            if self._data_key is not None:
                for i in range(len(self._data_key)):
                    self._data_key[i] = 0
            self._data_key = None
            self._keys.clear()

    def _dk(self) -> bytes:
        data_key = self._data_key
        if data_key is None:
            raise SealedError("Vault is sealed")
        return bytes(data_key)

    # -- key records ------------------------------------------------------------------------------

    @staticmethod
    def _aad(name: str, version: int) -> bytes:
        return f"trustkit-key-v1:{name}:{version}".encode()

    def _seal_private(self, name: str, version: int, key: PrivateKeyObject) -> bytes:
        nonce = os.urandom(12)
        return nonce + sm4.encrypt_gcm(self._dk(), nonce, _private_bytes(key), self._aad(name, version))

    def _from_record(self, record: KeyRecord, previous: _Key | None) -> _Key:
        versions: dict[int, _Version] = {}
        for v in record.versions:
            old = previous.versions.get(v.version) if previous is not None else None
            if old is not None and old.sealed == v.private_key:
                versions[v.version] = old
            else:
                versions[v.version] = _Version(_load_public(record.type, v.public_key), v.private_key, v.created)
        return _Key(record.name, record.type, dict(record.config), record.created, versions)

    def _get(self, name: str) -> _Key:
        self._dk()
        key = self._keys.get(name)
        if key is not None and time.monotonic() - key.loaded_at < self._cache_ttl:
            return key
        record = self._storage.key_get(name)
        with self._lock:
            if record is None:
                self._keys.pop(name, None)
                raise KeyNotFoundError("encryption key not found")
            fresh = self._from_record(record, key)
            self._dk()  # sealed meanwhile?
            self._keys[name] = fresh
            return fresh

    def _private(self, key: _Key, version: int) -> PrivateKeyObject:
        entry = key.versions[version]
        if entry.private is None:
            try:
                raw = sm4.decrypt_gcm(self._dk(), entry.sealed[:12], entry.sealed[12:], self._aad(key.name, version))
            except DecryptionError:
                raise DecryptionError(f"key {key.name!r} version {version} does not decrypt: storage corrupted") \
                    from None
            entry.private = _load_private(key.type, raw)
        return entry.private

    def info(self, name: str) -> KeyInfo:
        key = self._get(name)
        return KeyInfo(key.name, key.type, dict(key.config), key.latest,
                       {v: (e.created, public_key_text(key.type, e.public)) for v, e in key.versions.items()})

    def names(self) -> list[str]:
        self._dk()
        return self._storage.key_names()

    def exists(self, name: str) -> bool:
        try:
            self._get(name)
        except KeyNotFoundError:
            return False
        return True

    def create(self, name: str, key_type: str = "sm2", *, exportable: bool = False) -> tuple[KeyInfo, bool]:
        """Generate version 1 of a new key inside the daemon.

        :returns: the key and whether it was created (an existing key is left alone, as Vault does).
        :raises InvalidRequestError: unknown type, or a name Vault would refuse.
        """
        if not name or len(name) > 128 or any(c in name for c in "/\\ \t\r\n") or name.startswith("."):
            raise InvalidRequestError("invalid key name")
        if key_type not in KEY_TYPES:
            raise InvalidRequestError(f"unknown key type {key_type}")
        if self.exists(name):
            return self.info(name), False
        private = _generate(key_type)
        created = _now()
        config = {"min_decryption_version": 1, "min_encryption_version": 0, "deletion_allowed": False,
                  "exportable": bool(exportable), "allow_plaintext_backup": False, "auto_rotate_period": 0}
        first = KeyVersionRecord(1, _public_der(private), self._seal_private(name, 1, private), created)
        made = self._storage.key_create(name, key_type, config, created, first)
        with self._lock:
            self._keys.pop(name, None)
        return self.info(name), made

    def rotate(self, name: str) -> KeyInfo:
        """Add a new version; new signatures use it unless a version is asked for."""
        for _ in range(5):
            key = self._get(name)
            version = key.latest + 1
            private = _generate(key.type)
            record = KeyVersionRecord(version, _public_der(private), self._seal_private(name, version, private), _now())
            with self._lock:
                self._keys.pop(name, None)
            if self._storage.key_add_version(name, record):
                return self.info(name)
        raise InvalidRequestError("concurrent rotations; try again")  # pragma: no cover

    def configure(self, name: str, changes: dict[str, Any]) -> KeyInfo:
        """Change min_decryption_version, min_encryption_version, deletion_allowed, exportable.

        :raises InvalidRequestError: unknown field, bad value, or un-setting ``exportable``.
        """
        key = self._get(name)
        config = dict(key.config)
        for field_name, value in changes.items():
            kind = _CONFIG_FIELDS.get(field_name)
            if kind is None:
                raise InvalidRequestError(f"unknown configuration field {field_name!r}")
            if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
                if isinstance(value, str) and value.isdigit():
                    value = int(value)
                else:
                    raise InvalidRequestError(f"{field_name} must be an integer")
            if kind is bool and not isinstance(value, bool):
                raise InvalidRequestError(f"{field_name} must be true or false")
            config[field_name] = value
        if key.config.get("exportable") and not config.get("exportable"):
            raise InvalidRequestError("exportable cannot be disabled once enabled")
        if config.get("allow_plaintext_backup"):
            raise InvalidRequestError("plaintext backup is not offered; use the wrapped export")
        if config["min_decryption_version"] < 1 or config["min_decryption_version"] > key.latest:
            raise InvalidRequestError("min_decryption_version must be between 1 and the latest version")
        if config["min_encryption_version"] != 0 and not (
                config["min_decryption_version"] <= config["min_encryption_version"] <= key.latest):
            raise InvalidRequestError("min_encryption_version must be 0 or between min_decryption_version and "
                                      "the latest version")
        self._storage.key_set_config(name, config)
        with self._lock:
            self._keys.pop(name, None)
        return self.info(name)

    def delete(self, name: str) -> None:
        """Delete a key; refused unless its configuration says ``deletion_allowed``."""
        key = self._get(name)
        if not key.config.get("deletion_allowed"):
            raise InvalidRequestError("deletion is not allowed for this policy")
        self._storage.key_delete(name)
        with self._lock:
            self._keys.pop(name, None)

    # -- signing ------------------------------------------------------------------------------------

    def _sign_version(self, key: _Key, version: int | None) -> int:
        if version is None or version == 0:
            return key.latest
        if version not in key.versions:
            raise InvalidRequestError("requested version for signing does not exist")
        minimum = int(key.config.get("min_encryption_version", 0))
        if minimum and version < minimum:
            raise InvalidRequestError("requested version for signing is less than the minimum encryption version")
        return version

    def signer_for(self, name: str, version: int | None = None) -> tuple[str, int, PrivateKeyObject]:
        """The key type, version and private key object (for in-daemon formats such as OFD stamping)."""
        key = self._get(name)
        v = self._sign_version(key, version)
        return key.type, v, self._private(key, v)

    def key_type(self, name: str) -> str:
        return self._get(name).type

    def sign(self, name: str, inputs: Sequence[bytes], *, version: int | None = None, prehashed: bool = False,
             hash_algorithm: str | None = None, signature_algorithm: str | None = None,
             marshaling_algorithm: str | None = None) -> tuple[int, list[bytes]]:
        """Sign each input with one key version; SM2 batches run in C without the GIL.

        :returns: the version used and one signature per input.
        :raises InvalidRequestError: an option the key type does not support.
        """
        key = self._get(name)
        v = self._sign_version(key, version)
        private = self._private(key, v)
        if isinstance(private, sm2.PrivateKey):
            if hash_algorithm not in (None, "", "sm3"):
                raise InvalidRequestError("sm2 keys sign with sm3 only")
            if prehashed:
                if any(len(e) != 32 for e in inputs):
                    raise InvalidRequestError("a prehashed sm2 input is e = SM3(Z || M), 32 bytes")
                return v, [private.sign_digest(e) for e in inputs]
            if len(inputs) > 8:
                return v, sm2.sign_many(private, inputs)
            return v, [private.sign(m) for m in inputs]
        if isinstance(private, ed25519.Ed25519PrivateKey):
            if prehashed:
                raise InvalidRequestError("ed25519 does not support prehashed input")
            return v, [private.sign(m) for m in inputs]
        algorithm = self._hash(hash_algorithm)
        if isinstance(private, ec.EllipticCurvePrivateKey):
            scheme = ec.ECDSA(asym_utils.Prehashed(algorithm) if prehashed else algorithm)
            size = (private.curve.key_size + 7) // 8
            out = []
            for m in inputs:
                der = private.sign(m, scheme)
                if marshaling_algorithm == "jws":
                    r, s = asym_utils.decode_dss_signature(der)
                    der = r.to_bytes(size, "big") + s.to_bytes(size, "big")
                elif marshaling_algorithm not in (None, "", "asn1"):
                    raise InvalidRequestError("marshaling_algorithm must be asn1 or jws")
                out.append(der)
            return v, out
        pad = self._rsa_padding(signature_algorithm, algorithm)
        chosen: hashes.HashAlgorithm | asym_utils.Prehashed = asym_utils.Prehashed(algorithm) if prehashed else algorithm
        return v, [private.sign(m, pad, chosen) for m in inputs]

    @staticmethod
    def _hash(name: str | None) -> hashes.HashAlgorithm:
        cls = _HASHES.get(name or "sha2-256")
        if cls is None:
            raise InvalidRequestError(f"unsupported hash algorithm {name}")
        return cls()

    @staticmethod
    def _rsa_padding(name: str | None, algorithm: hashes.HashAlgorithm) -> padding.AsymmetricPadding:
        if name in (None, "", "pss"):
            return padding.PSS(mgf=padding.MGF1(algorithm), salt_length=padding.PSS.DIGEST_LENGTH)
        if name == "pkcs1v15":
            return padding.PKCS1v15()
        raise InvalidRequestError("signature_algorithm must be pss or pkcs1v15")

    def verify(self, name: str, version: int, data: bytes, signature: bytes, *, prehashed: bool = False,
               hash_algorithm: str | None = None, signature_algorithm: str | None = None,
               marshaling_algorithm: str | None = None) -> bool:
        """Check one signature made by ``version``; False for a bad signature.

        :raises InvalidRequestError: the version is unknown or below ``min_decryption_version``.
        """
        key = self._get(name)
        if version not in key.versions:
            raise InvalidRequestError("signature version does not exist")
        if version < int(key.config.get("min_decryption_version", 1)):
            raise InvalidRequestError("signature version is less than the minimum decryption version")
        public = key.versions[version].public
        try:
            if isinstance(public, sm2.PublicKey):
                if prehashed:
                    public.verify_digest(signature, data)
                else:
                    public.verify(signature, data)
            elif isinstance(public, ed25519.Ed25519PublicKey):
                public.verify(signature, data)
            elif isinstance(public, ec.EllipticCurvePublicKey):
                algorithm = self._hash(hash_algorithm)
                if marshaling_algorithm == "jws":
                    size = (public.curve.key_size + 7) // 8
                    if len(signature) != 2 * size:
                        return False
                    signature = asym_utils.encode_dss_signature(int.from_bytes(signature[:size], "big"),
                                                                int.from_bytes(signature[size:], "big"))
                public.verify(signature, data, ec.ECDSA(asym_utils.Prehashed(algorithm) if prehashed else algorithm))
            else:
                algorithm = self._hash(hash_algorithm)
                pad: padding.AsymmetricPadding
                if signature_algorithm in (None, "", "pss"):
                    pad = padding.PSS(mgf=padding.MGF1(algorithm), salt_length=padding.PSS.AUTO)
                else:
                    pad = self._rsa_padding(signature_algorithm, algorithm)
                public.verify(signature, data, pad, asym_utils.Prehashed(algorithm) if prehashed else algorithm)
        except (InvalidSignature, _CryptoInvalidSignature, ValueError):
            return False
        return True

    def export_wrapped(self, name: str, version: int | None, wrapping_key: sm2.PublicKey) -> dict[str, Any]:
        """Export one private key version wrapped for ``wrapping_key`` (never in clear).

        A fresh SM4 transport key is SM2-encrypted (GB/T 32918.4, C1C3C2) to the recipient and
        encrypts the key bytes with SM4-GCM (AAD = ``trustkit-export-v1:<name>:<version>``).

        :raises InvalidRequestError: the key is not exportable.
        """
        key = self._get(name)
        if not key.config.get("exportable"):
            raise InvalidRequestError("key is not exportable")
        v = key.latest if not version else version
        if v not in key.versions:
            raise InvalidRequestError("version does not exist")
        transport, nonce = os.urandom(16), os.urandom(12)
        aad = f"trustkit-export-v1:{name}:{v}".encode()
        body = _private_bytes(self._private(key, v))
        return {"name": name, "type": key.type, "version": v, "format": "trustkit-wrapped-v1",
                "encrypted_key": _b64(wrapping_key.encrypt(transport)), "nonce": _b64(nonce),
                "ciphertext": _b64(sm4.encrypt_gcm(transport, nonce, body, aad)),
                "key_encoding": "raw" if key.type == "sm2" else "pkcs8-der"}
