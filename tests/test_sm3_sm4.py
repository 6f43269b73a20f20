"""SM3, HMAC-SM3, the SM2 KDF and the SM4 helpers against independent implementations."""

from __future__ import annotations

import hashlib
import hmac
import os

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from reference import sm2_reference as ref

from trustkit import sm3, sm4
from trustkit.errors import DecryptionError


def openssl_sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


@pytest.mark.parametrize("length", [0, 1, 3, 55, 56, 64, 65, 127, 128, 4095, 4096, 4097, 100_000])
def test_sm3_against_openssl(length: int) -> None:
    data = os.urandom(length)
    assert sm3.hash(data) == openssl_sm3(data)
    assert sm3.hash(bytearray(data)) == sm3.hash(memoryview(data)) == openssl_sm3(data)
    assert sm3.SM3(data).hexdigest() == openssl_sm3(data).hex()


def test_hmac_sm3_against_stdlib() -> None:
    if "sm3" not in hashlib.algorithms_available:
        pytest.skip("this Python's OpenSSL has no SM3 for the stdlib hmac cross-check")
    for key_len in (0, 16, 64, 65, 200):
        key, data = os.urandom(key_len), os.urandom(100)
        assert sm3.hmac(key, data) == hmac.new(key, data, "sm3").digest()


def test_kdf_against_reference() -> None:
    for length in (0, 1, 31, 32, 33, 64, 100):
        z = os.urandom(64)
        assert sm3.kdf(z, length) == ref.kdf(z, length)
    with pytest.raises(ValueError):
        sm3.kdf(b"z", -1)


def test_sm4_modes_against_cryptography() -> None:
    key, iv, nonce = os.urandom(16), os.urandom(16), os.urandom(12)
    for length in (0, 1, 15, 16, 17, 1000):
        data = os.urandom(length)
        ct = sm4.encrypt_cbc(key, iv, data)
        assert sm4.decrypt_cbc(key, iv, ct) == data
        dec = Cipher(algorithms.SM4(key), modes.CBC(iv)).decryptor()
        padded = dec.update(ct) + dec.finalize()
        assert padded[: len(data)] == data and len(padded) % 16 == 0
        sealed = sm4.encrypt_gcm(key, nonce, data, aad=b"hdr")
        assert sm4.decrypt_gcm(key, nonce, sealed, aad=b"hdr") == data
        ctr = sm4.encrypt_ctr(key, iv, data)
        assert sm4.decrypt_ctr(key, iv, ctr) == data
        enc = Cipher(algorithms.SM4(key), modes.CTR(iv)).encryptor()
        assert ctr == enc.update(data) + enc.finalize()


def test_sm4_failures() -> None:
    key, nonce = os.urandom(16), os.urandom(12)
    sealed = sm4.encrypt_gcm(key, nonce, b"data")
    with pytest.raises(DecryptionError):
        sm4.decrypt_gcm(key, nonce, sealed[:-1] + bytes((sealed[-1] ^ 1,)))
    with pytest.raises(DecryptionError):
        sm4.decrypt_gcm(key, nonce, sealed, aad=b"other")
    with pytest.raises(DecryptionError):
        sm4.decrypt_cbc(key, bytes(16), b"short")
    with pytest.raises(ValueError):
        sm4.encrypt_gcm(b"short key", nonce, b"")
