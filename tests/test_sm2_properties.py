"""Property tests (hypothesis): round trips, tamper detection and batch consistency.

Example counts come from the hypothesis profile (tests/conftest.py); the slow properties
(reference implementation, PBKDF2 key encryption) set their own smaller counts.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import sm2_reference as ref

from trustkit import sm2
from trustkit.errors import DecryptionError, InvalidSignature, TrustkitError

N = ref.SM2P256V1.n

KEY = sm2.generate_private_key()
PUB = KEY.public_key()
OTHER = sm2.generate_private_key()

data = st.binary(max_size=512)
uids = st.one_of(st.just(sm2.DEFAULT_UID), st.binary(max_size=64), st.binary(min_size=100, max_size=8191))
encodings = st.sampled_from(["der", "raw"])
orders = st.sampled_from(["C1C3C2", "C1C2C3"])
ciphertext_encodings = st.sampled_from(["raw", "der"])


def flip_bit(blob: bytes, index: int) -> bytes:
    index %= 8 * len(blob)
    out = bytearray(blob)
    out[index // 8] ^= 1 << (index % 8)
    return bytes(out)


# ---- signatures ----------------------------------------------------------------------------------------


@given(message=data, uid=uids, encoding=encodings)
def test_sign_verify_round_trip(message: bytes, uid: bytes, encoding: str) -> None:
    signature = KEY.sign(message, uid=uid, encoding=encoding)  # type: ignore[arg-type]
    PUB.verify(signature, message, uid=uid, encoding=encoding)  # type: ignore[arg-type]
    e = ref.sm3(PUB.compute_z(uid) + message)
    PUB.verify_digest(signature, e, encoding=encoding)  # type: ignore[arg-type]
    with pytest.raises(InvalidSignature):
        OTHER.public_key().verify(signature, message, uid=uid, encoding=encoding)  # type: ignore[arg-type]


@settings(max_examples=25)
@given(message=st.binary(max_size=200), uid=st.binary(max_size=40))
def test_signatures_agree_with_reference(message: bytes, uid: bytes) -> None:
    signature = KEY.sign(message, uid=uid, encoding="raw")
    point = ref.point_from_bytes(PUB.public_bytes("raw"))
    assert point is not None
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    assert ref.verify(point, message, r, s, uid)
    assert sm2.encode_signature_der(signature) == ref.der_signature(r, s)


@given(message=data, flip=st.integers(min_value=0))
def test_any_bit_flip_in_message_fails(message: bytes, flip: int) -> None:
    signature = KEY.sign(message)
    tampered = flip_bit(message or b"\x00", flip)
    with pytest.raises(InvalidSignature):
        PUB.verify(signature, tampered)


@given(message=data, extra=st.binary(min_size=1, max_size=8))
def test_appending_or_truncating_the_message_fails(message: bytes, extra: bytes) -> None:
    signature = KEY.sign(message + extra)
    with pytest.raises(InvalidSignature):
        PUB.verify(signature, message)
    with pytest.raises(InvalidSignature):
        PUB.verify(signature, message + extra + extra)


@given(message=data, uid=st.binary(max_size=32), flip=st.integers(min_value=0))
def test_any_bit_flip_in_uid_fails(message: bytes, uid: bytes, flip: int) -> None:
    signature = KEY.sign(message, uid=uid)
    with pytest.raises(InvalidSignature):
        PUB.verify(signature, message, uid=flip_bit(uid or b"\x00", flip))


@given(message=data, flip=st.integers(min_value=0, max_value=511), encoding=encodings)
def test_any_bit_flip_in_signature_fails(message: bytes, flip: int, encoding: str) -> None:
    signature = KEY.sign(message, encoding=encoding)  # type: ignore[arg-type]
    with pytest.raises(InvalidSignature):
        PUB.verify(flip_bit(signature, flip), message, encoding=encoding)  # type: ignore[arg-type]


@given(r=st.integers(min_value=0, max_value=2**256 - 1), s=st.integers(min_value=0, max_value=2**256 - 1))
def test_der_raw_round_trip(r: int, s: int) -> None:
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    der = sm2.encode_signature_der(raw)
    assert der == ref.der_signature(r, s)  # minimal INTEGERs, independent encoder
    assert sm2.decode_signature_der(der) == raw


@given(message=data)
def test_der_and_raw_signatures_are_the_same_signature(message: bytes) -> None:
    der = KEY.sign(message)
    raw = sm2.decode_signature_der(der)
    PUB.verify(raw, message, encoding="raw")
    assert sm2.encode_signature_der(raw) == der
    with pytest.raises(InvalidSignature):
        PUB.verify(raw, message, encoding="der")  # raw bytes are not DER
    with pytest.raises(InvalidSignature):
        PUB.verify(der, message, encoding="raw")


# ---- encryption ------------------------------------------------------------------------------------------


@given(plaintext=st.binary(max_size=300), order=orders, encoding=ciphertext_encodings)
def test_encrypt_decrypt_round_trip(plaintext: bytes, order: str, encoding: str) -> None:
    ciphertext = PUB.encrypt(plaintext, order=order, encoding=encoding)  # type: ignore[arg-type]
    assert KEY.decrypt(ciphertext, order=order, encoding=encoding) == plaintext  # type: ignore[arg-type]
    with pytest.raises(DecryptionError):
        OTHER.decrypt(ciphertext, order=order, encoding=encoding)  # type: ignore[arg-type]


@given(plaintext=st.binary(min_size=1, max_size=100))
def test_ciphertext_layouts_are_rearrangements(plaintext: bytes) -> None:
    """C1C3C2 and C1C2C3 hold the same parts; DER holds x1, y1, C3, C2 (GM/T 0009 7.2)."""
    c132 = PUB.encrypt(plaintext)
    c1, c3, c2 = c132[:65], c132[65:97], c132[97:]
    assert len(c2) == len(plaintext)
    assert KEY.decrypt(c1 + c2 + c3, order="C1C2C3") == plaintext
    assert KEY.decrypt(ref.der_sm2cipher(c132), encoding="der") == plaintext
    with pytest.raises(DecryptionError):
        KEY.decrypt(c1 + c2 + c3, order="C1C3C2")


@given(plaintext=st.binary(min_size=1, max_size=100), flip=st.integers(min_value=0), order=orders)
def test_any_bit_flip_in_ciphertext_fails(plaintext: bytes, flip: int, order: str) -> None:
    ciphertext = PUB.encrypt(plaintext, order=order)  # type: ignore[arg-type]
    with pytest.raises(DecryptionError):
        KEY.decrypt(flip_bit(ciphertext, flip), order=order)  # type: ignore[arg-type]


# ---- batches ----------------------------------------------------------------------------------------------

KEYS = [sm2.generate_private_key() for _ in range(3)]

# How an item is spoiled, and whether the result must still be valid.
damage = st.sampled_from(["none", "none", "flip", "wrong-message", "wrong-key", "empty", "garbage", "truncated"])


def _spoil(how: str, pub: sm2.PublicKey, signature: bytes, message: bytes) -> tuple[sm2.PublicKey, bytes, bytes]:
    if how == "flip":
        return pub, signature[:-1] + bytes((signature[-1] ^ 0x55,)), message
    if how == "wrong-message":
        return pub, signature, message + b"\x00"
    if how == "wrong-key":
        return OTHER.public_key(), signature, message
    if how == "empty":
        return pub, b"", message
    if how == "garbage":
        return pub, b"\x30\x06\x02\x01\x01\x02\x01", message
    if how == "truncated":
        return pub, signature[:-3], message
    return pub, signature, message


@settings(max_examples=40)
@given(
    items=st.lists(st.tuples(st.integers(min_value=0, max_value=2), data, damage), max_size=40),
    threads=st.sampled_from([None, 1, 2, 4]),
    encoding=encodings,
    uid=st.sampled_from([sm2.DEFAULT_UID, b"", b"ALICE123@YAHOO.COM"]),
)
def test_batches_agree_with_single_calls(
    items: list[tuple[int, bytes, str]], threads: int | None, encoding: str, uid: bytes
) -> None:
    """sm2-performance.md 7.15: one bad item never changes another item's result."""
    batch, expected = [], []
    for key_index, message, how in items:
        key = KEYS[key_index]
        signature = sm2.sign_many(key, [message], uid=uid, encoding=encoding, threads=threads)[0]  # type: ignore[arg-type]
        key.public_key().verify(signature, message, uid=uid, encoding=encoding)  # type: ignore[arg-type]
        batch.append(_spoil(how, key.public_key(), signature, message))
        expected.append(how == "none")
    results = sm2.verify_many(batch, uid=uid, encoding=encoding, threads=threads)  # type: ignore[arg-type]
    assert results == expected
    for (pub, signature, message), ok in zip(batch, results):
        try:
            pub.verify(signature, message, uid=uid, encoding=encoding)  # type: ignore[arg-type]
            single = True
        except InvalidSignature:
            single = False
        assert ok is single


@settings(max_examples=20)
@given(messages=st.lists(data, max_size=150), threads=st.sampled_from([None, 1, 3]))
def test_sign_many_signatures_each_verify(messages: list[bytes], threads: int | None) -> None:
    signatures = sm2.sign_many(KEY, messages, threads=threads)
    assert len(signatures) == len(messages)
    for message, signature in zip(messages, signatures):
        PUB.verify(signature, message)
    assert all(sm2.verify_many([(PUB, s, m) for s, m in zip(signatures, messages)], threads=threads))


# ---- key serialisation -------------------------------------------------------------------------------------


@given(st.data())
def test_key_serialisation_round_trip(draw: st.DataObject) -> None:
    key = sm2.generate_private_key() if draw.draw(st.booleans()) else sm2.load_private_key(
        draw.draw(st.integers(min_value=1, max_value=N - 2)).to_bytes(32, "big"))
    for encoding in ("PEM", "DER", "raw"):
        blob = key.private_bytes(encoding)
        again = sm2.load_private_key(blob)
        assert again.private_bytes("raw") == key.private_bytes("raw")
        assert again.public_key() == key.public_key()
    assert sm2.load_private_key(key.private_bytes("raw").hex().encode()).public_key() == key.public_key()
    for encoding in ("PEM", "DER", "raw", "compressed"):
        assert sm2.load_public_key(key.public_key().public_bytes(encoding)) == key.public_key()  # type: ignore[arg-type]
    assert sm2.load_public_key(key.public_key().public_bytes("raw").hex().encode()) == key.public_key()


@settings(max_examples=6)  # PBKDF2 makes each example slow
@given(
    password=st.one_of(st.binary(min_size=1, max_size=40), st.text(min_size=1, max_size=20)),
    cipher=st.sampled_from(["aes-256-cbc", "sm4-cbc"]),
    encoding=st.sampled_from(["PEM", "DER"]),
)
def test_encrypted_key_round_trip(password: bytes | str, cipher: str, encoding: str) -> None:
    key = sm2.generate_private_key()
    blob = key.private_bytes(encoding, password=password, cipher=cipher)  # type: ignore[arg-type]
    assert key.private_bytes("raw") not in blob
    assert sm2.load_private_key(blob, password=password).private_bytes("raw") == key.private_bytes("raw")
    wrong = (password + "x") if isinstance(password, str) else (password + b"x")
    with pytest.raises(TrustkitError):
        sm2.load_private_key(blob, password=wrong)
    with pytest.raises(TrustkitError):
        sm2.load_private_key(blob)  # a password is required
