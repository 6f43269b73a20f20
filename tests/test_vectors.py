"""Known answers from the standards (vectors/SOURCES.md) and signatures from real vendor software."""

from __future__ import annotations

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from reference import sm2_reference as ref
from vectors import load_vectors, vector_path

from trustkit import sm2, sm3


def _h(value: str) -> bytes:
    return bytes.fromhex(value)


def test_sm3_examples() -> None:
    cases = load_vectors(vector_path("sm3", "gbt-32905-2016", "examples.txt"))
    assert len(cases) == 3
    for case in cases:
        message, digest = _h(case["Message"]), _h(case["Digest"])
        assert sm3.hash(message) == digest
        streaming = sm3.SM3()
        for i in range(0, len(message), 7):
            streaming.update(message[i : i + 7])
        assert streaming.digest() == digest
        assert ref.sm3(message) == digest


def test_sm4_examples() -> None:
    (case,) = load_vectors(vector_path("sm4", "gbt-32907-2016", "ecb.txt"))
    enc = Cipher(algorithms.SM4(_h(case["Key"])), modes.ECB()).encryptor()
    assert enc.update(_h(case["Plaintext"])) == _h(case["Ciphertext"])
    (case,) = load_vectors(vector_path("sm4", "gbt-32907-2016", "ecb-iterated.txt"))
    enc = Cipher(algorithms.SM4(_h(case["Key"])), modes.ECB()).encryptor()
    block = _h(case["Plaintext"])
    for _ in range(int(case["Iterations"])):
        block = enc.update(block)
    assert block == _h(case["Ciphertext"])


def test_sm2_sign_recommended_curve() -> None:
    (case,) = load_vectors(vector_path("sm2", "gbt-32918-2016", "sign-recommended-curve.txt"))
    key = sm2.load_private_key(_h(case["PrivateKey"]))
    pub = key.public_key()
    assert pub.public_bytes("raw") == _h(case["PublicKey"])
    uid = _h(case["Id"])
    assert uid == sm2.DEFAULT_UID
    assert pub.compute_z(uid) == _h(case["Za"])
    assert sm3.hash(_h(case["Za"]) + _h(case["Message"])) == _h(case["E"])
    raw = sm2._sign_digest_with_nonce(key, _h(case["E"]), _h(case["K"]))
    assert raw == _h(case["R"]) + _h(case["S"])
    assert sm2.encode_signature_der(raw) == _h(case["SignatureDer"])
    pub.verify(_h(case["SignatureDer"]), _h(case["Message"]))
    pub.verify(raw, _h(case["Message"]), encoding="raw")
    pub.verify_digest(raw, _h(case["E"]), encoding="raw")


def test_sm2_sign_example_curve_with_reference() -> None:
    """The old Fp-256 example curve is not supported by trustkit; the oracle must still match it."""
    (case,) = load_vectors(vector_path("sm2", "gbt-32918-2016", "sign-example-curve.txt"))
    curve = ref.Curve(*(int(case["Curve" + k], 16) for k in ("P", "A", "B", "GX", "GY", "N")))
    d = int(case["PrivateKey"], 16)
    pub = ref.public_key(d, curve)
    assert ref.point_bytes(pub) == _h(case["PublicKey"])
    assert ref.z_a(_h(case["Id"]), pub, curve) == _h(case["Za"])
    r, s = int(case["R"], 16), int(case["S"], 16)
    assert ref.sign(d, _h(case["Message"]), int(case["K"], 16), _h(case["Id"]), curve) == (r, s)
    assert ref.verify(pub, _h(case["Message"]), r, s, _h(case["Id"]), curve)


def test_sm2_encrypt_recommended_curve() -> None:
    (case,) = load_vectors(vector_path("sm2", "gbt-32918-2016", "encrypt-recommended-curve.txt"))
    key = sm2.load_private_key(_h(case["PrivateKey"]))
    pub = key.public_key()
    message, k = _h(case["Message"]), _h(case["K"])
    expected = {
        ("C1C3C2", "raw"): _h(case["C1C3C2"]),
        ("C1C2C3", "raw"): _h(case["C1C2C3"]),
        ("C1C3C2", "der"): _h(case["Sm2CipherDer"]),
    }
    for (order, encoding), ciphertext in expected.items():
        assert sm2._encrypt_with_nonce(pub, message, k, order=order, encoding=encoding) == ciphertext  # type: ignore[arg-type]
        assert key.decrypt(ciphertext, order=order, encoding=encoding) == message  # type: ignore[arg-type]
    assert ref.encrypt(ref.point_from_bytes(_h(case["PublicKey"])), message, int(case["K"], 16)) == _h(case["C1C3C2"])
    # Decoders accept raw C1 without its 04 prefix (sm-crypto style).
    assert key.decrypt(_h(case["C1C3C2"])[1:]) == message


def test_sm2_encrypt_example_curve_with_reference() -> None:
    (case,) = load_vectors(vector_path("sm2", "gbt-32918-2016", "encrypt-example-curve.txt"))
    curve = ref.Curve(*(int(case["Curve" + k], 16) for k in ("P", "A", "B", "GX", "GY", "N")))
    d = int(case["PrivateKey"], 16)
    pub = ref.public_key(d, curve)
    ciphertext = ref.encrypt(pub, _h(case["Message"]), int(case["K"], 16), curve)
    assert ciphertext == _h(case["C1C3C2"])
    assert ref.decrypt(d, ciphertext, curve) == _h(case["Message"])


def test_real_world_signatures_verify() -> None:
    cases = load_vectors(vector_path("sm2", "real-world", "verify.txt"))
    assert len(cases) == 3
    for case in cases:
        pub = sm2.load_public_key(_h(case["PublicKey"]))
        assert case["Expected"] == "valid"
        pub.verify(_h(case["SignatureDer"]), _h(case["Message"]), uid=_h(case["Id"]))
