"""SM3, HMAC-SM3, the SM2 KDF and the SM4 helpers against independent implementations.

Peers: OpenSSL's SM3/SM4 through pyca ``cryptography``, the stdlib ``hmac`` over
cryptography's SM3, gmssl's pure-Python SM4, and the spec-literal SM3/KDF in
tests/reference/.  Known answers from the standards are in tests/test_vectors.py.
"""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives import hmac as c_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from gmssl.sm4 import SM4_DECRYPT, SM4_ENCRYPT, CryptSM4
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import sm2_reference as ref

from trustkit import sm3, sm4
from trustkit.errors import DecryptionError

LENGTHS = [0, 1, 3, 55, 56, 63, 64, 65, 119, 120, 127, 128, 4095, 4096, 4097, 100_000]


def openssl_sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


# ---- SM3 --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("length", LENGTHS)
def test_sm3_against_openssl(length: int) -> None:
    data = os.urandom(length)
    assert sm3.hash(data) == openssl_sm3(data)
    assert sm3.hash(bytearray(data)) == sm3.hash(memoryview(data)) == openssl_sm3(data)
    assert sm3.SM3(data).hexdigest() == openssl_sm3(data).hex()
    assert len(sm3.hash(data)) == 32


@pytest.mark.parametrize("length", [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000])
def test_sm3_against_reference(length: int) -> None:
    data = os.urandom(length)
    assert sm3.hash(data) == ref.sm3(data)


@given(data=st.binary(max_size=2000), cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=5))
def test_sm3_streaming_equals_one_shot(data: bytes, cuts: list[int]) -> None:
    h = sm3.SM3()
    previous = 0
    for cut in sorted(cuts):
        h.update(data[previous:cut])
        previous = max(previous, cut)
    snapshot = h.copy()
    h.update(data[previous:])
    snapshot.update(data[previous:])
    assert h.digest() == snapshot.digest() == sm3.hash(data) == openssl_sm3(data)


def test_sm3_copy_is_independent() -> None:
    h = sm3.SM3(b"abc")
    copy = h.copy()
    copy.update(b"def")
    assert h.digest() == sm3.hash(b"abc")
    assert copy.digest() == sm3.hash(b"abcdef")
    assert h.digest() == h.digest()  # digest() does not finalise the object


# ---- HMAC-SM3 and the KDF ------------------------------------------------------------------------------------


@pytest.mark.parametrize("key_len", [0, 1, 16, 32, 63, 64, 65, 200])
def test_hmac_sm3_against_cryptography(key_len: int) -> None:
    for data_len in (0, 1, 64, 1000):
        key, data = os.urandom(key_len), os.urandom(data_len)
        mac = c_hmac.HMAC(key, hashes.SM3())
        mac.update(data)
        assert sm3.hmac(key, data) == mac.finalize()


@pytest.mark.parametrize("length", [0, 1, 31, 32, 33, 64, 100, 1000])
def test_kdf_against_reference(length: int) -> None:
    z = os.urandom(64)
    assert sm3.kdf(z, length) == ref.kdf(z, length)
    assert sm3.kdf(z, length + 7)[:length] == sm3.kdf(z, length)  # a prefix-stable stream


def test_kdf_counter_starts_at_one() -> None:
    """GB/T 32918.4 5.4.3: Ha_i = SM3(Z || ct) with ct = 00000001, 00000002, ..."""
    z = os.urandom(64)
    assert sm3.kdf(z, 64) == openssl_sm3(z + b"\x00\x00\x00\x01") + openssl_sm3(z + b"\x00\x00\x00\x02")


def test_kdf_rejects_negative_length() -> None:
    with pytest.raises(ValueError):
        sm3.kdf(b"z", -1)


# ---- SM4 ----------------------------------------------------------------------------------------------------


def gmssl_cbc(key: bytes, iv: bytes, data: bytes, encrypt: bool) -> bytes:
    cipher = CryptSM4()
    cipher.set_key(key, SM4_ENCRYPT if encrypt else SM4_DECRYPT)
    return bytes(cipher.crypt_cbc(iv, data))  # gmssl pads/unpads with PKCS#7


@pytest.mark.parametrize("length", [0, 1, 15, 16, 17, 31, 32, 1000])
def test_sm4_cbc_against_gmssl_and_openssl(length: int) -> None:
    key, iv, data = os.urandom(16), os.urandom(16), os.urandom(length)
    ours = sm4.encrypt_cbc(key, iv, data)
    assert len(ours) == (length // 16 + 1) * 16  # PKCS#7 always adds a padding block
    assert ours == gmssl_cbc(key, iv, data, encrypt=True)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(data) + padder.finalize()
    enc = Cipher(algorithms.SM4(key), modes.CBC(iv)).encryptor()
    assert ours == enc.update(padded) + enc.finalize()
    assert sm4.decrypt_cbc(key, iv, ours) == data
    assert gmssl_cbc(key, iv, ours, encrypt=False) == data


@pytest.mark.parametrize("length", [0, 1, 15, 16, 17, 1000])
def test_sm4_ctr_against_openssl(length: int) -> None:
    key, nonce, data = os.urandom(16), os.urandom(16), os.urandom(length)
    ours = sm4.encrypt_ctr(key, nonce, data)
    enc = Cipher(algorithms.SM4(key), modes.CTR(nonce)).encryptor()
    assert ours == enc.update(data) + enc.finalize()
    assert sm4.decrypt_ctr(key, nonce, ours) == data


def test_sm4_ctr_counter_wraps_like_openssl() -> None:
    key, nonce = os.urandom(16), b"\xff" * 16
    data = os.urandom(64)
    enc = Cipher(algorithms.SM4(key), modes.CTR(nonce)).encryptor()
    assert sm4.encrypt_ctr(key, nonce, data) == enc.update(data) + enc.finalize()


@pytest.mark.parametrize("length", [0, 1, 15, 16, 17, 1000])
def test_sm4_gcm_against_openssl(length: int) -> None:
    key, nonce, data, aad = os.urandom(16), os.urandom(12), os.urandom(length), os.urandom(length % 40)
    sealed = sm4.encrypt_gcm(key, nonce, data, aad=aad)
    assert len(sealed) == length + 16
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(aad)
    assert sealed == enc.update(data) + enc.finalize() + enc.tag
    assert sm4.decrypt_gcm(key, nonce, sealed, aad=aad) == data


@settings(max_examples=30)
@given(data=st.binary(max_size=200), aad=st.binary(max_size=50), flip=st.integers(min_value=0))
def test_sm4_gcm_any_bit_flip_fails(data: bytes, aad: bytes, flip: int) -> None:
    key, nonce = bytes(range(16)), bytes(12)
    sealed = bytearray(sm4.encrypt_gcm(key, nonce, data, aad=aad))
    bit = flip % (8 * len(sealed))
    sealed[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(DecryptionError):
        sm4.decrypt_gcm(key, nonce, bytes(sealed), aad=aad)


def test_sm4_failures() -> None:
    key, nonce, iv = os.urandom(16), os.urandom(12), os.urandom(16)
    sealed = sm4.encrypt_gcm(key, nonce, b"data")
    with pytest.raises(DecryptionError):
        sm4.decrypt_gcm(key, nonce, sealed, aad=b"other")
    with pytest.raises(DecryptionError):
        sm4.decrypt_gcm(key, nonce, sealed[:15])  # shorter than the tag
    with pytest.raises(DecryptionError):
        sm4.decrypt_gcm(os.urandom(16), nonce, sealed)
    with pytest.raises(DecryptionError):
        sm4.decrypt_cbc(key, iv, b"short")
    with pytest.raises(DecryptionError):
        sm4.decrypt_cbc(key, iv, b"")
    # A final block whose padding is not PKCS#7.
    enc = Cipher(algorithms.SM4(key), modes.CBC(iv)).encryptor()
    bad_padding = enc.update(b"\x00" * 15 + b"\x11") + enc.finalize()
    with pytest.raises(DecryptionError):
        sm4.decrypt_cbc(key, iv, bad_padding)
    for bad_key in (b"", b"short key", os.urandom(32)):
        with pytest.raises(ValueError):
            sm4.encrypt_gcm(bad_key, nonce, b"")
        with pytest.raises(ValueError):
            sm4.encrypt_cbc(bad_key, iv, b"")
        with pytest.raises(ValueError):
            sm4.encrypt_ctr(bad_key, iv, b"")
    for bad_iv in (b"", os.urandom(8), os.urandom(17)):
        with pytest.raises(ValueError):
            sm4.encrypt_cbc(key, bad_iv, b"")
        with pytest.raises(ValueError):
            sm4.encrypt_ctr(key, bad_iv, b"")
