"""Edge cases of GB/T 32918 and the traps in reference/sm2-performance.md section 7."""

from __future__ import annotations

import random

import pytest
from reference import sm2_reference as ref

from trustkit import sm2, sm3
from trustkit.errors import DecodeError, DecryptionError, InvalidKeyError, InvalidSignature

C = ref.SM2P256V1
N, P = C.n, C.p


def b32(v: int) -> bytes:
    return (v % 2**256).to_bytes(32, "big")


def raw(r: int, s: int) -> bytes:
    return b32(r) + b32(s)


def x_of(k: int) -> int:
    pt = C.mul(k, C.g)
    assert pt is not None
    return pt[0]


@pytest.fixture(scope="module")
def key() -> sm2.PrivateKey:
    return sm2.load_private_key(b32(0x1234567890ABCDEF1234567890ABCDEF1234567890ABCDEF1234567890ABCDEF))


# ---- signing: the retry cases of A4-A6 -------------------------------------------------


def test_nonce_giving_r_plus_k_equal_n_is_rejected(key: sm2.PrivateKey) -> None:
    k = 0x1111111111111111111111111111111111111111111111111111111111111111
    e = (N - k - x_of(k)) % N  # r = (e + x1) mod n = n - k
    with pytest.raises(ValueError):
        sm2._sign_digest_with_nonce(key, b32(e), b32(k))
    signature = key.sign_digest(b32(e), encoding="raw")  # the hedged path picks another k
    key.public_key().verify_digest(signature, b32(e), encoding="raw")


def test_nonce_giving_r_zero_is_rejected(key: sm2.PrivateKey) -> None:
    k = 0x2222222222222222222222222222222222222222222222222222222222222222
    e = (-x_of(k)) % N
    with pytest.raises(ValueError):
        sm2._sign_digest_with_nonce(key, b32(e), b32(k))


def test_nonce_giving_s_zero_is_rejected(key: sm2.PrivateKey) -> None:
    d = int.from_bytes(key.private_bytes("raw"), "big")
    k = 0x3333333333333333333333333333333333333333333333333333333333333333
    r = k * pow(d, -1, N) % N  # s = (1+d)^-1 (k - r d) = 0
    e = (r - x_of(k)) % N
    with pytest.raises(ValueError):
        sm2._sign_digest_with_nonce(key, b32(e), b32(k))


@pytest.mark.parametrize("k", [0, N, N + 1, 2**256 - 1])
def test_nonce_out_of_range_is_rejected(key: sm2.PrivateKey, k: int) -> None:
    with pytest.raises(ValueError):
        sm2._sign_digest_with_nonce(key, b32(5), b32(k))


def test_digest_at_least_n(key: sm2.PrivateKey) -> None:
    """e >= n happens with probability 2^-32; it must be reduced, not rejected."""
    d = int.from_bytes(key.private_bytes("raw"), "big")
    for e in (N, N + 1, 2**256 - 1):
        k = 0x4444
        expected = ref.sign_digest(d, e, k)
        assert expected is not None
        assert sm2._sign_digest_with_nonce(key, b32(e), b32(k)) == raw(*expected)
        key.public_key().verify_digest(raw(*expected), b32(e), encoding="raw")
        key.public_key().verify_digest(key.sign_digest(b32(e)), b32(e))


# ---- verification range checks ------------------------------------------------------------


@pytest.mark.parametrize(
    "r,s",
    [(0, 1), (1, 0), (N, 1), (1, N), (N + 1, 5), (5, 2**256 - 1), (0, 0), (7, N - 7)],
    ids=["r=0", "s=0", "r=n", "s=n", "r>n", "s>n", "both0", "t=0"],
)
def test_verify_rejects_out_of_range(key: sm2.PrivateKey, r: int, s: int) -> None:
    with pytest.raises(InvalidSignature):
        key.public_key().verify_digest(raw(r, s), b32(1), encoding="raw")


# ---- special public keys -----------------------------------------------------------------


def test_generator_as_public_key() -> None:
    key = sm2.load_private_key(b32(1))
    assert key.public_key().public_bytes("raw") == ref.point_bytes(C.g)
    key.public_key().verify(key.sign(b"d=1"), b"d=1")


def test_largest_private_key() -> None:
    key = sm2.load_private_key(b32(N - 2))
    key.public_key().verify(key.sign(b"d=n-2"), b"d=n-2")


@pytest.mark.parametrize("d", [0, N - 1, N, 2**256 - 1])
def test_private_key_out_of_range(d: int) -> None:
    with pytest.raises(InvalidKeyError):
        sm2.load_private_key(b32(d))


def test_minus_generator_public_key() -> None:
    """P = -G is a valid public key (d = n-1 is not a valid private key); build signatures by hand."""
    neg_g = (C.gx, (-C.gy) % P)
    pub = sm2.load_public_key(ref.point_bytes(neg_g))
    rng = random.Random(7)
    for _ in range(5):
        k = rng.randrange(1, N)
        r = k  # sG + tP = (s - t)G = -rG = -kG, whose x equals x(kG)
        e = (r - x_of(k)) % N
        s = rng.randrange(1, N)
        if (r + s) % N == 0:
            continue
        assert ref.verify_digest(neg_g, e, r, s)
        pub.verify_digest(raw(r, s), b32(e), encoding="raw")


def test_sum_at_infinity_is_rejected() -> None:
    """P = G and s = -r/2: sG + tG = (2s + r)G = infinity."""
    pub = sm2.load_private_key(b32(1)).public_key()
    r = 0x5555
    s = (-r) * pow(2, -1, N) % N
    assert not ref.verify_digest(C.g, 1, r, s)
    with pytest.raises(InvalidSignature):
        pub.verify_digest(raw(r, s), b32(1), encoding="raw")


def test_doubling_inside_verification() -> None:
    """P = 2G and s = -2r makes sG equal tP, so the final addition is a doubling."""
    pub_point = C.mul(2, C.g)
    assert pub_point is not None
    pub = sm2.load_public_key(ref.point_bytes(pub_point))
    r = 0x6789
    s = (-2 * r) % N
    t = (r + s) % N
    total = C.add(C.mul(s, C.g), C.mul(t, pub_point))
    assert total is not None
    e = (r - total[0]) % N
    assert ref.verify_digest(pub_point, e, r, s)
    pub.verify_digest(raw(r, s), b32(e), encoding="raw")
    pub.precompute()
    pub.verify_digest(raw(r, s), b32(e), encoding="raw")


@pytest.mark.parametrize(
    "point",
    [
        b"\x04" + b32(C.gx) + b32(C.gy + 1),  # off the curve
        b"\x04" + b32(P) + b32(C.gy),  # x = p (non-canonical)
        b"\x04" + b32(C.gx) + b32(C.gy + P),  # y >= p
        b"\x04" + bytes(64),  # (0, 0), no point at infinity encoding
        b"\x06" + b32(C.gx) + b32(C.gy),  # hybrid prefix
        b"\x07" + b32(C.gx) + b32(C.gy),
        b"\x05" + b32(C.gx),
        b"\x02" + b32(P + 1),
        b"\x04" + b32(C.gx) + b32(C.gy)[:-1],  # truncated
        b"\x00",
    ],
    ids=["off-curve", "x=p", "y>=p", "zero", "hybrid06", "hybrid07", "prefix05", "compressed-x>=p", "short", "infinity"],
)
def test_invalid_public_keys(point: bytes) -> None:
    with pytest.raises((InvalidKeyError, DecodeError)):
        sm2.load_public_key(point)


def test_compressed_points_round_trip() -> None:
    for d in (1, 2, 3, 12345, N - 2):
        pub = sm2.load_private_key(b32(d)).public_key()
        compressed = pub.public_bytes("compressed")
        assert len(compressed) == 33
        assert sm2.load_public_key(compressed) == pub


# ---- signer IDs ----------------------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 1, 16, 8190, 8191])
def test_uid_lengths(key: sm2.PrivateKey, length: int) -> None:
    uid = bytes((i * 7) & 0xFF for i in range(length))
    pub = key.public_key()
    point = ref.point_from_bytes(pub.public_bytes("raw"))
    assert pub.compute_z(uid) == ref.z_a(uid, point)
    pub.verify(key.sign(b"m", uid=uid), b"m", uid=uid)


def test_uid_too_long(key: sm2.PrivateKey) -> None:
    with pytest.raises(ValueError):
        key.sign(b"m", uid=bytes(8192))
    with pytest.raises(ValueError):
        key.public_key().compute_z(bytes(8192))


def test_uid_is_part_of_the_signature(key: sm2.PrivateKey) -> None:
    signature = key.sign(b"m")
    with pytest.raises(InvalidSignature):
        key.public_key().verify(signature, b"m", uid=b"")
    with pytest.raises(InvalidSignature):
        key.public_key().verify(key.sign(b"m", uid=b""), b"m")
    with pytest.raises(TypeError):
        key.sign(b"m", uid="1234567812345678")  # type: ignore[arg-type]


def test_empty_message(key: sm2.PrivateKey) -> None:
    key.public_key().verify(key.sign(b""), b"")
    assert key.public_key().encrypt(b"") and key.decrypt(key.public_key().encrypt(b"")) == b""


# ---- DER strictness ---------------------------------------------------------------------------


def _der(*parts: bytes) -> bytes:
    body = b"".join(parts)
    return b"\x30" + bytes((len(body),)) + body


def test_der_strictness(key: sm2.PrivateKey) -> None:
    good = key.sign(b"m")
    r, s = sm2.decode_signature_der(good)[:32], sm2.decode_signature_der(good)[32:]
    r_int = int.from_bytes(r, "big")

    def integer(content: bytes) -> bytes:
        return b"\x02" + bytes((len(content),)) + content

    minimal_r = r.lstrip(b"\x00")
    if minimal_r[0] & 0x80:
        minimal_r = b"\x00" + minimal_r
    s_part = good[2 + 2 + good[3] :]
    bad = {
        "non-minimal": _der(integer(b"\x00\x00" + r.lstrip(b"\x00")), s_part),
        "negative": _der(integer(b"\x80" + r[1:]), s_part),
        "long-form length": b"\x30\x81" + bytes((len(good) - 2,)) + good[2:],
        "trailing byte": good + b"\x00",
        "wrong tag": b"\x31" + good[1:],
        "indefinite length": b"\x30\x80" + good[2:] + b"\x00\x00",
        "missing s": _der(integer(minimal_r)),
        "truncated": good[:-1],
        "empty": b"",
    }
    assert r_int > 0
    for name, blob in bad.items():
        with pytest.raises(DecodeError):
            sm2.decode_signature_der(blob)
        with pytest.raises(InvalidSignature):
            key.public_key().verify(blob, b"m")
        assert name
    for length in (0, 63, 65, 128):
        with pytest.raises(InvalidSignature):
            key.public_key().verify(bytes(length), b"m", encoding="raw")


def test_der_short_integers() -> None:
    """r and s with leading zero bytes encode shorter; they round-trip exactly."""
    for r, s in ((1, 2), (0x80, 0x7F), (2**255, 2**248 - 1), (N - 1, N - 1)):
        encoded = sm2.encode_signature_der(raw(r, s))
        assert sm2.decode_signature_der(encoded) == raw(r, s)


# ---- decryption failures ------------------------------------------------------------------------


def test_decryption_failures(key: sm2.PrivateKey) -> None:
    ciphertext = key.public_key().encrypt(b"secret message")
    off_curve = b"\x04" + b32(C.gx) + b32(C.gy + 1) + ciphertext[65:]
    flipped_c3 = ciphertext[:70] + bytes((ciphertext[70] ^ 1,)) + ciphertext[71:]
    flipped_c2 = ciphertext[:-1] + bytes((ciphertext[-1] ^ 1,))
    for bad in (off_curve, flipped_c3, flipped_c2, ciphertext[:96], b"", b"\x04" + bytes(200)):
        with pytest.raises(DecryptionError):
            key.decrypt(bad)
    other = sm2.generate_private_key()
    with pytest.raises(DecryptionError):
        other.decrypt(ciphertext)
    with pytest.raises(DecryptionError):
        key.decrypt(b"\x30\x03\x02\x01\x01", encoding="der")


def test_sm3_matches_reference() -> None:
    rng = random.Random(9)
    for length in (0, 1, 55, 56, 63, 64, 65, 119, 120, 1000):
        data = rng.randbytes(length)
        assert sm3.hash(data) == ref.sm3(data)
