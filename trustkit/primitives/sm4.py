"""SM4 block cipher (GB/T 32907-2016) in the modes practice needs.

Thin, typed helpers over ``cryptography`` (OpenSSL's SM4): GCM for new designs,
CBC with PKCS#7 padding and CTR for interoperability with existing systems.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from trustkit._util import Buffer, as_bytes
from trustkit.errors import DecryptionError

__all__ = [
    "BLOCK_SIZE",
    "KEY_SIZE",
    "TAG_SIZE",
    "decrypt_cbc",
    "decrypt_ctr",
    "decrypt_gcm",
    "encrypt_cbc",
    "encrypt_ctr",
    "encrypt_gcm",
]

KEY_SIZE = 16
BLOCK_SIZE = 16
TAG_SIZE = 16


def _key(key: Buffer) -> algorithms.SM4:
    raw = as_bytes(key, "key")
    if len(raw) != KEY_SIZE:
        raise ValueError(f"an SM4 key is {KEY_SIZE} bytes, got {len(raw)}")
    return algorithms.SM4(raw)


def encrypt_gcm(key: Buffer, nonce: Buffer, data: Buffer, aad: Buffer = b"") -> bytes:
    """SM4-GCM encryption (RFC 8998 usage).  Returns ciphertext || 16-byte tag.

    :param nonce: 12 bytes recommended; never reuse a nonce with the same key.
    """
    iv = as_bytes(nonce, "nonce")
    if not 8 <= len(iv) <= 128:
        raise ValueError("a GCM nonce should be 12 bytes")
    enc = Cipher(_key(key), modes.GCM(iv)).encryptor()
    enc.authenticate_additional_data(as_bytes(aad, "aad"))
    out = enc.update(as_bytes(data, "data")) + enc.finalize()
    return out + enc.tag


def decrypt_gcm(key: Buffer, nonce: Buffer, data: Buffer, aad: Buffer = b"") -> bytes:
    """Inverse of :func:`encrypt_gcm`.

    :raises DecryptionError: the tag does not match (wrong key, nonce, aad, or tampered data).
    """
    raw = as_bytes(data, "data")
    if len(raw) < TAG_SIZE:
        raise DecryptionError("SM4-GCM ciphertext is shorter than its 16-byte tag")
    dec = Cipher(_key(key), modes.GCM(as_bytes(nonce, "nonce"), raw[-TAG_SIZE:])).decryptor()
    dec.authenticate_additional_data(as_bytes(aad, "aad"))
    try:
        return dec.update(raw[:-TAG_SIZE]) + dec.finalize()
    except InvalidTag:
        raise DecryptionError("SM4-GCM authentication failed: wrong key or tampered data") from None


def encrypt_cbc(key: Buffer, iv: Buffer, data: Buffer) -> bytes:
    """SM4-CBC with PKCS#7 padding.  Unauthenticated: prefer :func:`encrypt_gcm`."""
    iv_b = as_bytes(iv, "iv")
    if len(iv_b) != BLOCK_SIZE:
        raise ValueError("the CBC IV is 16 bytes")
    padder = padding.PKCS7(128).padder()
    padded = padder.update(as_bytes(data, "data")) + padder.finalize()
    enc = Cipher(_key(key), modes.CBC(iv_b)).encryptor()
    return enc.update(padded) + enc.finalize()


def decrypt_cbc(key: Buffer, iv: Buffer, data: Buffer) -> bytes:
    """Inverse of :func:`encrypt_cbc`.

    :raises DecryptionError: the length is not a whole number of blocks or the padding is wrong.
    """
    iv_b = as_bytes(iv, "iv")
    raw = as_bytes(data, "data")
    if len(iv_b) != BLOCK_SIZE:
        raise ValueError("the CBC IV is 16 bytes")
    if not raw or len(raw) % BLOCK_SIZE:
        raise DecryptionError("SM4-CBC ciphertext must be a non-empty multiple of 16 bytes")
    dec = Cipher(_key(key), modes.CBC(iv_b)).decryptor()
    padded = dec.update(raw) + dec.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise DecryptionError("SM4-CBC padding is invalid: wrong key or corrupted data") from None


def encrypt_ctr(key: Buffer, nonce: Buffer, data: Buffer) -> bytes:
    """SM4-CTR with a 16-byte initial counter block.  Unauthenticated."""
    ctr = as_bytes(nonce, "nonce")
    if len(ctr) != BLOCK_SIZE:
        raise ValueError("the CTR initial counter block is 16 bytes")
    enc = Cipher(_key(key), modes.CTR(ctr)).encryptor()
    return enc.update(as_bytes(data, "data")) + enc.finalize()


def decrypt_ctr(key: Buffer, nonce: Buffer, data: Buffer) -> bytes:
    """Inverse of :func:`encrypt_ctr` (the same operation)."""
    return encrypt_ctr(key, nonce, data)
