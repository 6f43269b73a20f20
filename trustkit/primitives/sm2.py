"""SM2 public-key cryptography (GB/T 32918) on the recommended curve sm2p256v1.

Signatures always include Z, the hash of the signer ID and public key (GB/T
32918.2 clause 5.5).  The ID defaults to ``DEFAULT_UID`` = ``b"1234567812345678"``
(GM/T 0009 clause 10); an empty ID is used only when passed explicitly.

Example::

    from trustkit import sm2
    key = sm2.generate_private_key()
    sig = key.sign(b"message")                 # DER, default ID
    key.public_key().verify(sig, b"message")   # raises InvalidSignature if bad
"""

from __future__ import annotations

import hmac as _hmac
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Final, Literal

from trustkit._util import Buffer, as_bytes
from trustkit.asn1.gmt0009 import SM2Cipher
from trustkit.errors import DecodeError, DecryptionError, InvalidKeyError, InvalidSignature
from trustkit.primitives.keys import (
    decode_private_key,
    decode_public_key,
    encode_private_key,
    encode_public_key,
)
from trustkit.primitives._backend import core

__all__ = [
    "DEFAULT_UID",
    "MAX_UID_BYTES",
    "PrivateKey",
    "PublicKey",
    "decode_signature_der",
    "encode_signature_der",
    "generate_private_key",
    "load_private_key",
    "load_public_key",
    "set_verify_cache_size",
    "verify_cache_size",
    "sign_many",
    "verify_many",
]

#: The default signer ID of GM/T 0009-2012 clause 10 / GB/T 35276.
DEFAULT_UID: Final = b"1234567812345678"
#: ENTL is a 16-bit bit length, so an ID may have at most 8191 bytes.
MAX_UID_BYTES: Final = 8191

SignatureEncoding = Literal["der", "raw"]
CiphertextOrder = Literal["C1C3C2", "C1C2C3"]
CiphertextEncoding = Literal["raw", "der"]

_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
_MAX_DER_SIGNATURE = 72


# ---- signature encodings -----------------------------------------------------


def encode_signature_der(raw: Buffer) -> bytes:
    """Encode a 64-byte ``r || s`` as the DER ``SM2Signature`` of GB/T 35276 clause 7.3."""
    sig = as_bytes(raw, "raw signature")
    if len(sig) != 64:
        raise ValueError(f"a raw SM2 signature is 64 bytes (r || s), got {len(sig)}")
    return core.signature_to_der(sig)


def _parse_der_integer(der: bytes, pos: int) -> tuple[bytes, int]:
    if pos + 2 > len(der) or der[pos] != 0x02:
        raise DecodeError("SM2 signature: expected an INTEGER")
    length = der[pos + 1]
    start, end = pos + 2, pos + 2 + length
    if length == 0 or length > 33 or end > len(der):
        raise DecodeError("SM2 signature: INTEGER has an invalid length")
    content = der[start:end]
    if content[0] & 0x80:
        raise DecodeError("SM2 signature: negative INTEGER")
    if length > 1 and content[0] == 0 and not content[1] & 0x80:
        raise DecodeError("SM2 signature: INTEGER is not minimally encoded")
    if length == 33:
        if content[0] != 0:
            raise DecodeError("SM2 signature: INTEGER is larger than 256 bits")
        content = content[1:]  # the sign byte; the value has its top bit set
    return content.rjust(32, b"\x00"), end


def decode_signature_der(der: Buffer) -> bytes:
    """Parse a DER ``SM2Signature`` strictly and return the 64-byte ``r || s``.

    Rejects BER leniencies that make signatures malleable: long-form lengths,
    non-minimal or negative integers, and trailing bytes.

    :raises DecodeError: the input is not canonical DER of two integers below 2^256.
    """
    data = as_bytes(der, "signature")
    if len(data) < 8 or len(data) > _MAX_DER_SIGNATURE:
        raise DecodeError(f"SM2 signature: a DER signature is 8 to 72 bytes, got {len(data)}")
    if data[0] != 0x30 or data[1] != len(data) - 2:
        raise DecodeError("SM2 signature: expected a SEQUENCE spanning the whole input")
    r, pos = _parse_der_integer(data, 2)
    s, pos = _parse_der_integer(data, pos)
    if pos != len(data):
        raise DecodeError("SM2 signature: trailing bytes after the two INTEGERs")
    return r + s


def _raw_signature(signature: Buffer, encoding: str) -> bytes | None:
    """Signature bytes -> raw r||s, or None when malformed (a verification failure)."""
    sig = as_bytes(signature, "signature")
    if encoding == "der":
        try:
            return decode_signature_der(sig)
        except DecodeError:
            return None
    if encoding == "raw":
        return sig if len(sig) == 64 else None
    raise ValueError("signature encoding must be 'der' or 'raw'")


def _wants_der(encoding: str) -> bool:
    if encoding not in ("der", "raw"):
        raise ValueError("signature encoding must be 'der' or 'raw'")
    return encoding == "der"


def _check_uid(uid: Buffer) -> bytes:
    value = as_bytes(uid, "uid")
    if len(value) > MAX_UID_BYTES:
        raise ValueError(f"an SM2 signer ID is at most {MAX_UID_BYTES} bytes (ENTL is 16 bits)")
    return value


def _check_digest(e: Buffer) -> bytes:
    value = as_bytes(e, "digest")
    if len(value) != 32:
        raise ValueError(f"the digest e = SM3(Z || M) is 32 bytes, got {len(value)}")
    return value


# ---- per-key verification tables ---------------------------------------------


class _VerifyTableCache:
    """Bounded LRU of per-key comb tables (about 148 KiB each).

    A key gets a table when :meth:`PublicKey.precompute` is called, or
    automatically once it has been used for ``AUTO_AFTER`` verifications.
    """

    AUTO_AFTER = 8

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._tables: OrderedDict[bytes, bytes] = OrderedDict()
        self._uses: OrderedDict[bytes, int] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, point: bytes, *, count_use: bool = True) -> bytes | None:
        with self._lock:
            table = self._tables.get(point)
            if table is not None:
                self._tables.move_to_end(point)
                return table
            if not count_use or self.max_entries == 0:
                return None
            uses = self._uses.pop(point, 0) + 1
            self._uses[point] = uses
            if len(self._uses) > 4 * self.max_entries:
                self._uses.popitem(last=False)
            if uses < self.AUTO_AFTER:
                return None
        return self.build(point)

    def build(self, point: bytes) -> bytes | None:
        if self.max_entries == 0:
            return None
        table = core.verify_table_build(point)
        with self._lock:
            self._uses.pop(point, None)
            self._tables[point] = table
            self._tables.move_to_end(point)
            while len(self._tables) > self.max_entries:
                self._tables.popitem(last=False)
        return table

    def resize(self, max_entries: int) -> None:
        with self._lock:
            self.max_entries = max_entries
            while len(self._tables) > max_entries:
                self._tables.popitem(last=False)


_TABLES = _VerifyTableCache(max_entries=32)


def verify_cache_size() -> int:
    """How many per-key verification tables are kept (see :func:`set_verify_cache_size`)."""
    return _TABLES.max_entries


def set_verify_cache_size(max_entries: int) -> None:
    """Set how many per-key verification tables are kept (about 148 KiB each; 0 disables them)."""
    if not isinstance(max_entries, int) or max_entries < 0:
        raise ValueError("max_entries must be a non-negative int")
    _TABLES.resize(max_entries)


# ---- keys ------------------------------------------------------------------------


class PublicKey:
    """An SM2 public key: a validated point on sm2p256v1."""

    __slots__ = ("_point", "_z_cache", "__weakref__")

    def __init__(self, point: bytes) -> None:
        """Use :func:`load_public_key` or :meth:`PrivateKey.public_key` instead."""
        if len(point) != 65 or not core.point_check(point):
            raise InvalidKeyError("not a valid SM2 public key: the point is not on sm2p256v1")
        self._point = point
        self._z_cache: dict[bytes, bytes] = {}

    def compute_z(self, uid: Buffer = DEFAULT_UID) -> bytes:
        """Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA) (GB/T 32918.2 5.5)."""
        return self._z(_check_uid(uid))

    def _z(self, uid: bytes) -> bytes:
        z = self._z_cache.get(uid)
        if z is None:
            z = core.compute_z(uid, self._point)
            if len(self._z_cache) >= 8:
                self._z_cache.clear()
            self._z_cache[uid] = z
        return z

    def verify(
        self,
        signature: Buffer,
        data: Buffer,
        *,
        uid: Buffer = DEFAULT_UID,
        encoding: SignatureEncoding = "der",
    ) -> None:
        """Verify an SM2 signature over ``data`` (GB/T 32918.2 7.1, B1-B7).

        :param encoding: ``"der"`` (GM/T 0009 SM2Signature) or ``"raw"`` (64-byte r||s).
        :raises InvalidSignature: the signature is malformed or does not verify.
        """
        raw = _raw_signature(signature, encoding)
        z = self._z(_check_uid(uid))
        table = _TABLES.get(self._point)
        if raw is None or not core.verify(self._point, table, z, data, raw):
            raise InvalidSignature("SM2 signature verification failed")

    def verify_digest(self, signature: Buffer, e: Buffer, *, encoding: SignatureEncoding = "der") -> None:
        """Verify against a caller-computed ``e = SM3(Z || M)`` (32 bytes).

        :raises InvalidSignature: the signature is malformed or does not verify.
        """
        digest = _check_digest(e)
        raw = _raw_signature(signature, encoding)
        table = _TABLES.get(self._point)
        if raw is None or not core.verify_digest(self._point, table, digest, raw):
            raise InvalidSignature("SM2 signature verification failed")

    def precompute(self) -> None:
        """Build this key's verification table now (about 148 KiB, ~1 ms).

        Later verifications with an equal key are several times faster.  Tables
        live in a bounded process-wide cache (:func:`set_verify_cache_size`).
        """
        if _TABLES.get(self._point, count_use=False) is None:
            _TABLES.build(self._point)

    def encrypt(
        self,
        plaintext: Buffer,
        *,
        order: CiphertextOrder = "C1C3C2",
        encoding: CiphertextEncoding = "raw",
    ) -> bytes:
        """SM2 public-key encryption (GB/T 32918.4 6.1).

        :param order: ``"C1C3C2"`` (the current standard) or ``"C1C2C3"`` (2010 draft, still seen).
        :param encoding: ``"raw"`` (``04||x1||y1`` then the parts in ``order``) or ``"der"``
            (GM/T 0009 SM2Cipher; ``order`` does not apply).
        """
        message = as_bytes(plaintext, "plaintext")
        while True:
            k = core.generate_private()
            result = _encrypt_with_k(self, message, k, order, encoding)
            if result is not None:
                return result

    def public_bytes(self, encoding: Literal["PEM", "DER", "raw", "compressed"] = "PEM") -> bytes:
        """Serialise: PEM/DER SubjectPublicKeyInfo (as ``openssl pkey -pubout``), 65-byte raw
        ``04||X||Y`` or the 33-byte compressed form."""
        return encode_public_key(self._point, encoding)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and self._point == other._point

    def __hash__(self) -> int:
        return hash(self._point)

    def __repr__(self) -> str:
        return f"<sm2.PublicKey {self._point[1:9].hex()}...>"


class PrivateKey:
    """An SM2 private key.  Holds d and the cached (1+d)^-1 used by every signature."""

    __slots__ = ("_d", "_dprime", "_public")

    def __init__(self, scalar: bytes) -> None:
        """Use :func:`generate_private_key` or :func:`load_private_key` instead."""
        if len(scalar) != 32 or not core.check_private(scalar):
            raise InvalidKeyError("an SM2 private key must be an integer in [1, n-2]")
        self._d = scalar
        self._dprime = core.sign_prepare(scalar)
        self._public = PublicKey(core.public_from_private(scalar))

    def public_key(self) -> PublicKey:
        """The matching public key."""
        return self._public

    def sign(
        self,
        data: Buffer,
        *,
        uid: Buffer = DEFAULT_UID,
        encoding: SignatureEncoding = "der",
    ) -> bytes:
        """Sign ``data`` (GB/T 32918.2 6.1): e = SM3(Z || M) with Z from ``uid`` and this key.

        The nonce is fresh from the OS CSPRNG, hedged with the key and digest.

        :param encoding: ``"der"`` (GM/T 0009 SM2Signature, what X.509, CMS and seals carry) or
            ``"raw"`` (64-byte r||s, as in JWS and many HTTP APIs).
        """
        z = self._public._z(_check_uid(uid))
        return core.sign(self._d, self._dprime, z, data, _wants_der(encoding))

    def sign_digest(self, e: Buffer, *, encoding: SignatureEncoding = "der") -> bytes:
        """Sign a caller-computed ``e = SM3(Z || M)`` (32 bytes)."""
        return core.sign_digest(self._d, self._dprime, _check_digest(e), _wants_der(encoding))

    def decrypt(
        self,
        ciphertext: Buffer,
        *,
        order: CiphertextOrder = "C1C3C2",
        encoding: CiphertextEncoding = "raw",
    ) -> bytes:
        """SM2 decryption (GB/T 32918.4 7.1).  Raw C1 may carry the 04 prefix or not.

        :raises DecryptionError: malformed ciphertext, C1 not on the curve, or C3 mismatch
            (one message for all, so it is no oracle).
        """
        c1, c3, c2 = _split_ciphertext(as_bytes(ciphertext, "ciphertext"), order, encoding)
        try:
            shared = core.point_mul(self._d, c1)
        except ValueError:
            raise DecryptionError("SM2 decryption failed") from None
        t = core.sm3_kdf(shared[1:], len(c2))
        if c2 and _hmac.compare_digest(t, bytes(len(t))):
            raise DecryptionError("SM2 decryption failed")
        message = _xor(c2, t)
        check = core.sm3_hash(shared[1:33] + message + shared[33:])
        if not _hmac.compare_digest(check, c3):
            raise DecryptionError("SM2 decryption failed")
        return message

    def private_bytes(
        self,
        encoding: Literal["PEM", "DER", "raw"] = "PEM",
        *,
        password: bytes | str | None = None,
        cipher: Literal["aes-256-cbc", "sm4-cbc"] = "aes-256-cbc",
    ) -> bytes:
        """Serialise: PEM/DER PKCS#8 as ``openssl genpkey -algorithm SM2`` writes it
        (encrypted with PBES2 when ``password`` is given), or the raw 32-byte scalar.

        :param cipher: ``"aes-256-cbc"`` (PBKDF2-HMAC-SHA256, OpenSSL reads it) or ``"sm4-cbc"``
            (PBKDF2-HMAC-SM3, GmSSL 3 style).
        """
        return encode_private_key(
            self._d, self._public._point, encoding, password=password, cipher=cipher
        )

    def __repr__(self) -> str:
        return f"<sm2.PrivateKey public={self._public._point[1:9].hex()}...>"

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("SM2 private keys cannot be pickled; use private_bytes() with a password")


def generate_private_key() -> PrivateKey:
    """A new key with d drawn uniformly from [1, n-2] by the OS CSPRNG."""
    return PrivateKey(core.generate_private())


def load_private_key(data: Buffer, password: bytes | str | None = None) -> PrivateKey:
    """Load a private key from PEM, DER (PKCS#8, encrypted PKCS#8, SEC1), raw 32 bytes or hex.

    :raises DecodeError: unreadable input, or a password is needed.
    :raises DecryptionError: wrong password.
    :raises InvalidKeyError: the scalar is out of range, or the embedded public key does not match.
    """
    d, embedded = decode_private_key(as_bytes(data, "data"), password)
    key = PrivateKey(d)
    if embedded is not None:
        point = embedded if len(embedded) == 65 else _decompress(embedded)
        if point != key._public._point:
            raise InvalidKeyError("the public key stored with this private key does not match it")
    return key


def _decompress(point: bytes) -> bytes:
    try:
        return core.point_decompress(point)
    except ValueError:
        raise InvalidKeyError("not a valid SM2 public key: the point is not on sm2p256v1") from None


def load_public_key(data: Buffer) -> PublicKey:
    """Load a public key from PEM/DER SubjectPublicKeyInfo, a 65/64/33-byte point, or hex.

    :raises DecodeError: unreadable input.
    :raises InvalidKeyError: the point is not on the curve (or a coordinate is not below p).
    """
    point = decode_public_key(as_bytes(data, "data"))
    if len(point) == 33:
        point = _decompress(point)
    return PublicKey(point)


# ---- encryption internals ----------------------------------------------------------


def _xor(data: bytes, pad: bytes) -> bytes:
    return (int.from_bytes(data, "big") ^ int.from_bytes(pad, "big")).to_bytes(len(data), "big")


def _encrypt_with_k(
    key: PublicKey, message: bytes, k: bytes, order: str, encoding: str
) -> bytes | None:
    """GB/T 32918.4 6.1 A2-A8 with a given k; None when t is all zero (pick another k)."""
    if order not in ("C1C3C2", "C1C2C3"):
        raise ValueError("order must be 'C1C3C2' or 'C1C2C3'")
    if encoding not in ("raw", "der"):
        raise ValueError("ciphertext encoding must be 'raw' or 'der'")
    c1 = core.base_mul(k)
    shared = core.point_mul(k, key._point)
    t = core.sm3_kdf(shared[1:], len(message))
    if message and _hmac.compare_digest(t, bytes(len(t))):
        return None
    c2 = _xor(message, t)
    c3 = core.sm3_hash(shared[1:33] + message + shared[33:])
    if encoding == "der":
        return bytes(SM2Cipher(
            {
                "x": int.from_bytes(c1[1:33], "big"),
                "y": int.from_bytes(c1[33:], "big"),
                "hash": c3,
                "ciphertext": c2,
            }
        ).dump())
    return c1 + (c3 + c2 if order == "C1C3C2" else c2 + c3)


def _split_ciphertext(data: bytes, order: str, encoding: str) -> tuple[bytes, bytes, bytes]:
    """-> (C1 as 65 bytes, C3, C2); DecryptionError when malformed."""
    if order not in ("C1C3C2", "C1C2C3"):
        raise ValueError("order must be 'C1C3C2' or 'C1C2C3'")
    if encoding == "der":
        try:
            parsed = SM2Cipher.load(data, strict=True)
            x, y = parsed["x"].native, parsed["y"].native
            c3, c2 = parsed["hash"].native, parsed["ciphertext"].native
            if parsed.dump(force=True) != data:
                raise ValueError("not DER")
        except (ValueError, TypeError):
            raise DecryptionError("SM2 decryption failed: malformed SM2Cipher DER") from None
        if not (0 <= x < 2**256 and 0 <= y < 2**256) or len(c3) != 32:
            raise DecryptionError("SM2 decryption failed: malformed SM2Cipher DER")
        return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big"), c3, c2
    if encoding != "raw":
        raise ValueError("ciphertext encoding must be 'raw' or 'der'")
    if len(data) >= 97 and data[0] == 0x04 and core.point_check(data[:65]):
        c1, rest = data[:65], data[65:]
    elif len(data) >= 96 and core.point_check(b"\x04" + data[:64]):
        c1, rest = b"\x04" + data[:64], data[64:]
    else:
        raise DecryptionError("SM2 decryption failed: C1 is not a point on sm2p256v1")
    if order == "C1C3C2":
        return c1, rest[:32], rest[32:]
    return c1, rest[-32:], rest[:-32]


# ---- batches -------------------------------------------------------------------------


def _default_threads(count: int) -> int:
    return max(1, min(os.cpu_count() or 1, count // 64))


def sign_many(
    key: PrivateKey,
    messages: Sequence[Buffer],
    *,
    uid: Buffer = DEFAULT_UID,
    encoding: SignatureEncoding = "der",
    threads: int | None = None,
) -> list[bytes]:
    """Sign many messages with one key; the work runs in C without the GIL.

    :param threads: worker threads (default: one per CPU for large batches).
    :returns: one signature per message, in order.
    """
    if not isinstance(key, PrivateKey):
        raise TypeError("key must be an sm2.PrivateKey")
    der = _wants_der(encoding)
    items = list(messages)
    z = key._public._z(_check_uid(uid))
    n_threads = _default_threads(len(items)) if threads is None else int(threads)
    return core.sign_many(key._d, key._dprime, z, items, n_threads, der)


def verify_many(
    items: Iterable[tuple[PublicKey, Buffer, Buffer]],
    *,
    uid: Buffer = DEFAULT_UID,
    encoding: SignatureEncoding = "der",
    threads: int | None = None,
) -> list[bool]:
    """Verify many ``(public_key, signature, data)`` items; one bad item never affects another.

    :returns: ``True``/``False`` per item, in order.
    """
    uid_b = _check_uid(uid)
    batch: list[tuple[bytes, bytes | None, bytes, Buffer, bytes]] = []
    positions: list[int] = []
    results: list[bool] = []
    for index, (public_key, signature, data) in enumerate(items):
        if not isinstance(public_key, PublicKey):
            raise TypeError("each item must start with an sm2.PublicKey")
        results.append(False)
        raw = _raw_signature(signature, encoding)
        if raw is None:
            continue
        point = public_key._point
        batch.append((point, _TABLES.get(point), public_key._z(uid_b), data, raw))
        positions.append(index)
    n_threads = _default_threads(len(batch)) if threads is None else int(threads)
    for index, ok in zip(positions, core.verify_many(batch, n_threads)):
        results[index] = ok
    return results


# ---- test hooks (not part of the public API) ---------------------------------------------


def _sign_digest_with_nonce(key: PrivateKey, e: bytes, k: bytes) -> bytes:
    """Sign with a caller-chosen nonce, for known-answer tests only.  Returns raw r||s.

    :raises ValueError: the standard rejects this k (k not in [1, n-1], r = 0, r + k = n, s = 0).
    """
    raw: bytes | None = core.sign_digest_with_nonce(key._d, key._dprime, _check_digest(e), as_bytes(k, "k"))
    if raw is None:
        raise ValueError("GB/T 32918.2 6.1 rejects this nonce (k out of range, r = 0, r + k = n or s = 0)")
    return raw


def _encrypt_with_nonce(
    key: PublicKey,
    plaintext: Buffer,
    k: bytes,
    *,
    order: CiphertextOrder = "C1C3C2",
    encoding: CiphertextEncoding = "raw",
) -> bytes:
    """Encrypt with a caller-chosen k, for known-answer tests only."""
    kb = as_bytes(k, "k")
    if len(kb) != 32 or not 1 <= int.from_bytes(kb, "big") < _N:
        raise ValueError("k must be 32 bytes in [1, n-1]")
    result = _encrypt_with_k(key, as_bytes(plaintext, "plaintext"), kb, order, encoding)
    if result is None:
        raise ValueError("this k gives an all-zero key stream; the standard picks another k")
    return result
