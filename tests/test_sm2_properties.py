"""Property tests (hypothesis): round trips and tamper detection over arbitrary inputs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import sm2_reference as ref

from trustkit import sm2, sm3
from trustkit.errors import InvalidSignature

KEY = sm2.generate_private_key()
PUB = KEY.public_key()

data = st.binary(max_size=512)
uids = st.binary(max_size=64)


@given(message=data, uid=uids, encoding=st.sampled_from(["der", "raw"]))
def test_sign_verify_round_trip(message: bytes, uid: bytes, encoding: str) -> None:
    signature = KEY.sign(message, uid=uid, encoding=encoding)  # type: ignore[arg-type]
    PUB.verify(signature, message, uid=uid, encoding=encoding)  # type: ignore[arg-type]


@given(message=data, flip=st.integers(min_value=0, max_value=10**6))
def test_any_bit_flip_in_message_fails(message: bytes, flip: int) -> None:
    signature = KEY.sign(message, encoding="raw")
    tampered = bytearray(message + b"\x00") if not message else bytearray(message)
    bit = flip % (8 * len(tampered))
    tampered[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(InvalidSignature):
        PUB.verify(signature, bytes(tampered), encoding="raw")


@given(message=data, flip=st.integers(min_value=0, max_value=511))
def test_any_bit_flip_in_signature_fails(message: bytes, flip: int) -> None:
    signature = bytearray(KEY.sign(message, encoding="raw"))
    signature[flip // 8] ^= 1 << (flip % 8)
    with pytest.raises(InvalidSignature):
        PUB.verify(bytes(signature), message, encoding="raw")


@given(r=st.integers(min_value=1, max_value=ref.SM2P256V1.n - 1), s=st.integers(min_value=1, max_value=2**256 - 1))
def test_der_raw_round_trip(r: int, s: int) -> None:
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    der = sm2.encode_signature_der(raw)
    assert sm2.decode_signature_der(der) == raw
    from trustkit.asn1.gmt0009 import SM2Signature

    parsed = SM2Signature.load(der, strict=True)
    assert (parsed["r"].native, parsed["s"].native) == (r, s)
    assert parsed.dump(force=True) == der


@given(
    plaintext=st.binary(max_size=300),
    order=st.sampled_from(["C1C3C2", "C1C2C3"]),
    encoding=st.sampled_from(["raw", "der"]),
)
def test_encrypt_decrypt_round_trip(plaintext: bytes, order: str, encoding: str) -> None:
    ciphertext = PUB.encrypt(plaintext, order=order, encoding=encoding)  # type: ignore[arg-type]
    assert KEY.decrypt(ciphertext, order=order, encoding=encoding) == plaintext  # type: ignore[arg-type]


@settings(max_examples=25)
@given(
    messages=st.lists(data, min_size=0, max_size=40),
    corrupt=st.sets(st.integers(min_value=0, max_value=39)),
    threads=st.sampled_from([None, 1, 2, 3]),
)
def test_batches_agree_with_single_calls(messages: list[bytes], corrupt: set[int], threads: int | None) -> None:
    signatures = sm2.sign_many(KEY, messages, threads=threads)
    assert len(signatures) == len(messages)
    items = []
    for index, (message, signature) in enumerate(zip(messages, signatures)):
        if index in corrupt:
            signature = signature[:-1] + bytes((signature[-1] ^ 0x55,))  # may also break the DER
        items.append((PUB, signature, message))
    results = sm2.verify_many(items, threads=threads)
    for (pub, signature, message), ok in zip(items, results):
        try:
            pub.verify(signature, message)
            single = True
        except InvalidSignature:
            single = False
        assert ok is single
    assert [ok for ok in results] == [i not in corrupt for i in range(len(messages))]


@settings(max_examples=10)
@given(password=st.binary(min_size=1, max_size=40), cipher=st.sampled_from(["aes-256-cbc", "sm4-cbc"]))
def test_key_serialisation_round_trip(password: bytes, cipher: str) -> None:
    key = sm2.generate_private_key()
    for encoding in ("PEM", "DER", "raw"):
        assert sm2.load_private_key(key.private_bytes(encoding)).public_key() == key.public_key()  # type: ignore[arg-type]
    encrypted = key.private_bytes("PEM", password=password, cipher=cipher)  # type: ignore[arg-type]
    assert sm2.load_private_key(encrypted, password=password).public_key() == key.public_key()
    for encoding in ("PEM", "DER", "raw", "compressed"):
        assert sm2.load_public_key(key.public_key().public_bytes(encoding)) == key.public_key()  # type: ignore[arg-type]


@given(data=st.binary(max_size=2000), split=st.integers(min_value=0, max_value=2000))
def test_sm3_streaming_equals_one_shot(data: bytes, split: int) -> None:
    h = sm3.SM3()
    h.update(data[:split])
    copy = h.copy()
    h.update(data[split:])
    copy.update(data[split:])
    assert h.digest() == copy.digest() == sm3.hash(data)
