"""Edge cases of GB/T 32918 and the traps of reference/sm2-performance.md section 7.

The fixed cases live in vectors/sm2/custom/ (tests/test_vectors.py); the tests here build
the same situations on the fly for fresh keys, so a bug that happens to miss the fixed
keys is still caught.  Special inputs are constructed with tests/reference/.
"""

from __future__ import annotations

import base64
import random

import pytest
from reference import sm2_reference as ref

from trustkit import sm2
from trustkit.errors import DecodeError, DecryptionError, InvalidKeyError, InvalidSignature

C = ref.SM2P256V1
N, P = C.n, C.p


def b32(v: int) -> bytes:
    return v.to_bytes(32, "big")


def raw(r: int, s: int) -> bytes:
    return b32(r) + b32(s)


def x_of(k: int) -> int:
    return ref.public_key(k)[0]


def d_of(key: sm2.PrivateKey) -> int:
    return int.from_bytes(key.private_bytes("raw"), "big")


def point_of(pub: sm2.PublicKey) -> tuple[int, int]:
    point = ref.point_from_bytes(pub.public_bytes("raw"))
    assert point is not None
    return point


@pytest.fixture(scope="module")
def key() -> sm2.PrivateKey:
    return sm2.generate_private_key()


# ---- signing: the "return to A3" cases of GB/T 32918.2 6.1 --------------------------------------------


def test_nonce_giving_r_plus_k_equal_n(key: sm2.PrivateKey) -> None:
    """r + k = n would give s = n - r and t = 0: the signature could never verify."""
    for k in (random.randrange(1, N) for _ in range(5)):
        e = (N - k - x_of(k)) % N
        assert ref.sign_digest(d_of(key), e, k) is None
        with pytest.raises(ValueError):
            sm2._sign_digest_with_nonce(key, b32(e), b32(k))
        key.public_key().verify_digest(key.sign_digest(b32(e)), b32(e))  # the hedged signer retries


def test_nonce_giving_r_zero(key: sm2.PrivateKey) -> None:
    k = random.randrange(1, N)
    e = (-x_of(k)) % N
    with pytest.raises(ValueError):
        sm2._sign_digest_with_nonce(key, b32(e), b32(k))
    key.public_key().verify_digest(key.sign_digest(b32(e)), b32(e))


def test_nonce_giving_s_zero(key: sm2.PrivateKey) -> None:
    k = random.randrange(1, N)
    r = k * pow(d_of(key), -1, N) % N  # s = (1 + d)^-1 (k - r d) = 0
    e = (r - x_of(k)) % N
    with pytest.raises(ValueError):
        sm2._sign_digest_with_nonce(key, b32(e), b32(k))
    key.public_key().verify_digest(key.sign_digest(b32(e)), b32(e))


@pytest.mark.parametrize("k", [0, N, N + 1, 2**256 - 1])
def test_nonce_out_of_range(key: sm2.PrivateKey, k: int) -> None:
    with pytest.raises(ValueError):
        sm2._sign_digest_with_nonce(key, b32(5), b32(k))


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64])
def test_wrong_length_nonce_and_digest(key: sm2.PrivateKey, length: int) -> None:
    with pytest.raises(ValueError):
        sm2._sign_digest_with_nonce(key, b"\x01" * length, b32(7))
    with pytest.raises(ValueError):
        sm2._sign_digest_with_nonce(key, b32(5), b"\x01" * length)
    with pytest.raises(ValueError):
        key.sign_digest(b"\x01" * length)
    with pytest.raises((ValueError, InvalidSignature)):
        key.public_key().verify_digest(key.sign_digest(b32(1)), b"\x01" * length)


# ---- e >= n (probability about 2^-32 per signature, so it must be tested on purpose) -------------------


@pytest.mark.parametrize("e", [N, N + 1, 2**256 - 1, N + 2**200])
def test_digest_at_least_n(key: sm2.PrivateKey, e: int) -> None:
    k = random.randrange(1, N)
    expected = ref.sign_digest(d_of(key), e, k)
    assert expected is not None
    assert sm2._sign_digest_with_nonce(key, b32(e), b32(k)) == raw(*expected)
    pub = key.public_key()
    pub.verify_digest(raw(*expected), b32(e), encoding="raw")
    pub.verify_digest(raw(*expected), b32(e - N), encoding="raw")  # e is used mod n
    signature = key.sign_digest(b32(e))
    pub.verify_digest(signature, b32(e))
    r, s = sm2.decode_signature_der(signature)[:32], sm2.decode_signature_der(signature)[32:]
    assert ref.verify_digest(point_of(pub), e, int.from_bytes(r, "big"), int.from_bytes(s, "big"))
    with pytest.raises(InvalidSignature):
        pub.verify_digest(signature, b32(e - 1))


def test_small_digest_and_its_alias_above_n(key: sm2.PrivateKey) -> None:
    e = random.getrandbits(200)
    signature = key.sign_digest(b32(e))
    key.public_key().verify_digest(signature, b32(e + N))


# ---- verification range checks on the message path ------------------------------------------------------


@pytest.mark.parametrize(
    "r,s",
    [(0, 1), (1, 0), (N, 1), (1, N), (N + 1, 5), (5, 2**256 - 1), (0, 0), (7, N - 7), (2**256 - 1, 2**256 - 1)],
    ids=["r=0", "s=0", "r=n", "s=n", "r>n", "s=max", "both0", "t=0", "both-max"],
)
def test_verify_rejects_out_of_range(key: sm2.PrivateKey, r: int, s: int) -> None:
    pub = key.public_key()
    for signature, encoding in ((raw(r, s), "raw"), (ref.der_signature(r, s), "der")):
        with pytest.raises(InvalidSignature):
            pub.verify(signature, b"m", encoding=encoding)  # type: ignore[arg-type]
        with pytest.raises(InvalidSignature):
            pub.verify_digest(signature, b32(1), encoding=encoding)  # type: ignore[arg-type]
        assert sm2.verify_many([(pub, signature, b"m")], encoding=encoding) == [False]  # type: ignore[arg-type]


def test_unreduced_r_and_s_are_rejected(key: sm2.PrivateKey) -> None:
    """A valid (r, s) with r + n or s + n (when that fits in 32 bytes) must not verify."""
    d = d_of(key)
    r, s = random.getrandbits(200), random.getrandbits(200)
    k = (s * (1 + d) + r * d) % N  # choose k and e so that the signature is exactly (r, s)
    e = (r - x_of(k)) % N
    assert sm2._sign_digest_with_nonce(key, b32(e), b32(k)) == raw(r, s)
    pub = key.public_key()
    pub.verify_digest(raw(r, s), b32(e), encoding="raw")
    for bad in (raw(r + N, s), raw(r, s + N), raw(r + N, s + N)):
        with pytest.raises(InvalidSignature):
            pub.verify_digest(bad, b32(e), encoding="raw")


def test_sum_at_infinity_for_an_ordinary_key(key: sm2.PrivateKey) -> None:
    """s(1 + d) = -r d makes sG + tP the point at infinity, which must fail, not crash."""
    d = d_of(key)
    r = random.randrange(1, N)
    s = (-r * d) * pow(1 + d, -1, N) % N
    pub = key.public_key()
    for precomputed in (False, True):
        if precomputed:
            pub.precompute()
        with pytest.raises(InvalidSignature):
            pub.verify_digest(raw(r, s), b32(random.getrandbits(256)), encoding="raw")


# ---- special keys ---------------------------------------------------------------------------------------


def test_private_key_one_has_public_key_g() -> None:
    key = sm2.load_private_key(b32(1))
    assert key.public_key().public_bytes("raw") == ref.point_bytes(C.g)
    signature = key.sign(b"d=1", encoding="raw")
    assert ref.verify(C.g, b"d=1", int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    ciphertext = key.public_key().encrypt(b"to G")
    assert key.decrypt(ciphertext) == b"to G" == ref.decrypt(1, ciphertext)


def test_largest_private_key() -> None:
    key = sm2.load_private_key(b32(N - 2))
    pub = key.public_key()
    assert pub.public_bytes("raw") == ref.point_bytes(ref.public_key(N - 2))
    pub.verify(key.sign(b"d=n-2"), b"d=n-2")
    k = random.randrange(1, N)
    e = random.getrandbits(256)
    assert sm2._sign_digest_with_nonce(key, b32(e), b32(k)) == raw(*ref.sign_digest(N - 2, e, k))  # type: ignore[misc]
    assert key.decrypt(pub.encrypt(b"n-2")) == b"n-2"


@pytest.mark.parametrize("d", [0, N - 1, N, N + 1, 2**256 - 1])
def test_private_key_out_of_range(d: int) -> None:
    for form in (b32(d), b32(d).hex().encode()):
        with pytest.raises(InvalidKeyError):
            sm2.load_private_key(form)


def test_minus_generator_is_a_valid_public_key() -> None:
    """P = -G has no valid private key (d = n-1), but verification and encryption work."""
    neg_g = (C.gx, P - C.gy)
    pub = sm2.load_public_key(ref.point_bytes(neg_g))
    assert sm2.load_public_key(ref.point_bytes(neg_g, compressed=True)) == pub
    for _ in range(3):
        r, s = random.randrange(1, N), random.randrange(1, N)  # sG + (r+s)(-G) = -rG
        e = (r - x_of(r)) % N
        assert ref.verify_digest(neg_g, e, r, s)
        pub.verify_digest(raw(r, s), b32(e), encoding="raw")
        with pytest.raises(InvalidSignature):
            pub.verify_digest(raw(r, s), b32(e ^ 1), encoding="raw")
    k = random.randrange(1, N)
    assert sm2._encrypt_with_nonce(pub, b"to -G", b32(k)) == ref.encrypt(neg_g, b"to -G", k)


def test_doubling_inside_verification() -> None:
    """P = 2G and s = -2r: sG = tP, so the final addition is a doubling (incomplete formulas fail here)."""
    two_g = ref.public_key(2)
    pub = sm2.load_public_key(ref.point_bytes(two_g))
    r = random.randrange(1, N)
    s = (-2 * r) % N
    total = C.add(C.mul(s, C.g), C.mul((r + s) % N, two_g))
    assert total is not None
    e = (r - total[0]) % N
    assert ref.verify_digest(two_g, e, r, s)
    pub.verify_digest(raw(r, s), b32(e), encoding="raw")
    pub.precompute()
    pub.verify_digest(raw(r, s), b32(e), encoding="raw")
    assert sm2.verify_many([(pub, raw(r, s), b"unused")], encoding="raw") == [False]  # message path: other e


def test_invalid_public_key_in_spki_pem() -> None:
    off_curve = b"\x04" + b32(C.gx) + b32(C.gy ^ 1)
    spki = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200") + off_curve
    pem = b"-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(spki) + b"-----END PUBLIC KEY-----\n"
    for form in (spki, pem):
        with pytest.raises(InvalidKeyError):
            sm2.load_public_key(form)


def test_compressed_points_round_trip() -> None:
    for d in (1, 2, 3, random.randrange(1, N - 1), N - 2):
        pub = sm2.load_private_key(b32(d)).public_key()
        compressed = pub.public_bytes("compressed")
        assert compressed == ref.point_bytes(ref.public_key(d), compressed=True)
        assert sm2.load_public_key(compressed) == pub


# ---- signer IDs -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 1, 16, 8190, 8191])
def test_uid_lengths_against_reference(key: sm2.PrivateKey, length: int) -> None:
    uid = bytes((i * 7 + 3) & 0xFF for i in range(length))
    pub = key.public_key()
    point = point_of(pub)
    assert pub.compute_z(uid) == ref.z_a(uid, point)
    signature = key.sign(b"m", uid=uid, encoding="raw")
    assert ref.verify(point, b"m", int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"), uid)
    theirs = ref.sign(d_of(key), b"m", random.randrange(1, N), uid)
    assert theirs is not None
    pub.verify(raw(*theirs), b"m", uid=uid, encoding="raw")
    assert sm2.verify_many([(pub, raw(*theirs), b"m")], uid=uid, encoding="raw") == [True]
    assert len(sm2.sign_many(key, [b"m"], uid=uid)) == 1


@pytest.mark.parametrize("length", [8192, 8193, 65535])
def test_uid_too_long(key: sm2.PrivateKey, length: int) -> None:
    uid = bytes(length)
    pub = key.public_key()
    with pytest.raises(ValueError):
        ref.z_a(uid, point_of(pub))
    with pytest.raises(ValueError):
        key.sign(b"m", uid=uid)
    with pytest.raises(ValueError):
        pub.verify(key.sign(b"m"), b"m", uid=uid)
    with pytest.raises(ValueError):
        pub.compute_z(uid)
    with pytest.raises(ValueError):
        sm2.sign_many(key, [b"m"], uid=uid)
    with pytest.raises(ValueError):
        sm2.verify_many([(pub, key.sign(b"m"), b"m")], uid=uid)


def test_default_uid_is_not_the_empty_uid(key: sm2.PrivateKey) -> None:
    pub = key.public_key()
    assert sm2.DEFAULT_UID == b"1234567812345678"
    assert pub.compute_z() == pub.compute_z(sm2.DEFAULT_UID) != pub.compute_z(b"")
    signature = key.sign(b"m")
    pub.verify(signature, b"m", uid=sm2.DEFAULT_UID)
    with pytest.raises(InvalidSignature):
        pub.verify(signature, b"m", uid=b"")
    empty = key.sign(b"m", uid=b"")
    pub.verify(empty, b"m", uid=b"")
    with pytest.raises(InvalidSignature):
        pub.verify(empty, b"m")
    with pytest.raises(TypeError):
        key.sign(b"m", uid="1234567812345678")  # type: ignore[arg-type]


# ---- empty messages -----------------------------------------------------------------------------------


def test_empty_message_signature(key: sm2.PrivateKey) -> None:
    pub = key.public_key()
    signature = key.sign(b"", encoding="raw")
    pub.verify(signature, b"", encoding="raw")
    assert ref.verify(point_of(pub), b"", int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    with pytest.raises(InvalidSignature):
        pub.verify(signature, b"\x00", encoding="raw")


@pytest.mark.parametrize("order", ["C1C3C2", "C1C2C3"])
def test_empty_plaintext(key: sm2.PrivateKey, order: str) -> None:
    pub = key.public_key()
    k = random.randrange(1, N)
    expected = ref.encrypt(point_of(pub), b"", k, order=order)
    assert expected is not None and len(expected) == 97
    assert sm2._encrypt_with_nonce(pub, b"", b32(k), order=order) == expected  # type: ignore[arg-type]
    for encoding in ("raw", "der"):
        ciphertext = pub.encrypt(b"", order=order, encoding=encoding)  # type: ignore[arg-type]
        assert key.decrypt(ciphertext, order=order, encoding=encoding) == b""  # type: ignore[arg-type]


def test_one_byte_plaintexts_never_use_an_all_zero_keystream(key: sm2.PrivateKey) -> None:
    """For a 1-byte message t = KDF(x2 || y2, 8) is 00 once in 256 encryptions; the standard then
    picks another k (GB/T 32918.4 6.1 A5).  With t = 00 the ciphertext byte would equal the plaintext."""
    pub = key.public_key()
    for i in range(3000):
        message = bytes((i & 0xFF,))
        ciphertext = pub.encrypt(message)
        assert ciphertext[-1:] != message, "the keystream byte was 00: A5 did not pick another k"
        assert key.decrypt(ciphertext) == message


# ---- signature encodings --------------------------------------------------------------------------------


def _der_mutations(good: bytes) -> dict[str, bytes]:
    raw_sig = sm2.decode_signature_der(good)
    r, s = int.from_bytes(raw_sig[:32], "big"), int.from_bytes(raw_sig[32:], "big")
    assert ref.der_signature(r, s) == good
    ri, si = ref.der_integer(r), ref.der_integer(s)
    return {
        "r zero-padded": ref.der_tlv(0x30, b"\x02" + bytes((len(ri) - 1,)) + b"\x00" + ri[2:] + si),
        "long-form length": b"\x30\x81" + good[1:2] + good[2:],
        "trailing byte": good + b"\x00",
        "wrong tag": b"\x31" + good[1:],
        "indefinite length": b"\x30\x80" + good[2:] + b"\x00\x00",
        "s missing": ref.der_tlv(0x30, ri),
        "extra INTEGER": ref.der_tlv(0x30, ri + si + b"\x02\x01\x01"),
        "r + 2^256": ref.der_tlv(0x30, ref.der_integer(r + 2**256) + si),
        "s + 2^256": ref.der_tlv(0x30, ri + ref.der_integer(s + 2**256)),
        "truncated": good[:-1],
        "empty": b"",
    }


@pytest.mark.parametrize("mutation", sorted(_der_mutations(ref.der_signature(2**255 + 1, 12345))))
def test_der_mutations_of_fresh_signatures(key: sm2.PrivateKey, mutation: str) -> None:
    """Strict DER (sm2-performance.md 7.7): every non-canonical variant of a valid signature fails."""
    pub = key.public_key()
    for _ in range(20):
        good = key.sign(b"m")
        pub.verify(good, b"m")
        blob = _der_mutations(good)[mutation]
        with pytest.raises(DecodeError):
            sm2.decode_signature_der(blob)
        with pytest.raises(InvalidSignature):
            pub.verify(blob, b"m")
        assert sm2.verify_many([(pub, blob, b"m")]) == [False]


@pytest.mark.parametrize("length", [0, 1, 32, 63, 65, 72, 128])
def test_raw_signatures_must_be_64_bytes(key: sm2.PrivateKey, length: int) -> None:
    signature = (key.sign(b"m", encoding="raw") * 3)[:length]
    pub = key.public_key()
    with pytest.raises(InvalidSignature):
        pub.verify(signature, b"m", encoding="raw")
    with pytest.raises(InvalidSignature):
        pub.verify_digest(signature, b32(1), encoding="raw")
    with pytest.raises(ValueError):
        sm2.encode_signature_der(signature)
    assert sm2.verify_many([(pub, signature, b"m")], encoding="raw") == [False]


def test_unknown_encodings_are_refused(key: sm2.PrivateKey) -> None:
    with pytest.raises(ValueError):
        key.sign(b"m", encoding="pem")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        key.public_key().encrypt(b"m", order="C2C1C3")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        key.public_key().encrypt(b"m", encoding="base64")  # type: ignore[arg-type]


# ---- decryption failures ---------------------------------------------------------------------------------


@pytest.mark.parametrize("order,encoding", [("C1C3C2", "raw"), ("C1C2C3", "raw"), ("C1C3C2", "der")])
def test_every_truncation_fails(key: sm2.PrivateKey, order: str, encoding: str) -> None:
    ciphertext = key.public_key().encrypt(b"attack at dawn", order=order, encoding=encoding)  # type: ignore[arg-type]
    for cut in range(len(ciphertext)):
        with pytest.raises(DecryptionError):
            key.decrypt(ciphertext[:cut], order=order, encoding=encoding)  # type: ignore[arg-type]


def test_c1_replaced_or_negated(key: sm2.PrivateKey) -> None:
    ciphertext = key.public_key().encrypt(b"secret message")
    c1 = ref.point_from_bytes(ciphertext[:65])
    assert c1 is not None
    negated = ref.point_bytes((c1[0], P - c1[1]))
    other = ref.point_bytes(ref.public_key(random.randrange(1, N)))
    off_curve = b"\x04" + ciphertext[1:33] + b32(c1[1] ^ 1)
    for bad_c1 in (negated, other, off_curve, b"\x04" + bytes(64)):
        with pytest.raises(DecryptionError):
            key.decrypt(bad_c1 + ciphertext[65:])
    with pytest.raises(DecryptionError):
        sm2.generate_private_key().decrypt(ciphertext)
    with pytest.raises(DecryptionError):
        key.decrypt(b"\x30\x03\x02\x01\x01", encoding="der")


def test_der_integer_above_256_bits_is_refused(key: sm2.PrivateKey) -> None:
    """A 33-byte INTEGER whose first byte is not the 00 sign byte is 2^256 or more; it must not alias r."""
    good = key.sign(b"m", encoding="raw")
    r, s = good[:32], good[32:]
    for first in (b"\x01", b"\x7f"):
        body = ref.der_tlv(0x02, first + r) + ref.der_tlv(0x02, b"\x00" + s if s[0] & 0x80 else s.lstrip(b"\x00"))
        blob = ref.der_tlv(0x30, body)
        with pytest.raises(DecodeError, match="larger than 256 bits"):
            sm2.decode_signature_der(blob)
        with pytest.raises(InvalidSignature):
            key.public_key().verify(blob, b"m")
