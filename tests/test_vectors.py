"""Known answers: the standards' worked examples and our custom SM2 vectors (vectors/SOURCES.md).

Every expected value comes from a file under vectors/ through tests/vectors.py; nothing
is hard-coded here.  The old example curve of GB/T 32918 parts 2 and 4 is checked with
the reference implementation only, because trustkit supports sm2p256v1 only.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from reference import sm2_reference as ref
from vectors import VECTORS, load_vectors, vector_path

from trustkit import sm2, sm3, sm4
from trustkit.errors import DecodeError, DecryptionError, InvalidKeyError, InvalidSignature

SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")


def h(value: str) -> bytes:
    return bytes.fromhex(value)


def expect_raises(exc: type[BaseException] | tuple[type[BaseException], ...], reason: str, fn: Any, *args: Any,
                  **kwargs: Any) -> None:
    """pytest.raises that names the vector case when nothing (or something else) is raised."""
    try:
        result = fn(*args, **kwargs)
    except exc:
        return
    except Exception as other:  # noqa: BLE001 - reported with the case name
        pytest.fail(f"{reason}: raised {other!r}, expected {exc}")
    pytest.fail(f"{reason}: returned {result!r}, expected {exc}")


def curve_of(case: dict[str, str]) -> ref.Curve:
    if "CurveP" not in case:
        return ref.SM2P256V1
    return ref.Curve(*(int(case["Curve" + k], 16) for k in ("P", "A", "B", "GX", "GY", "N")))


# ---- the ledger and the loader ------------------------------------------------------------------


def _ledger_names(ledger: Path) -> set[str]:
    """File names in a ledger's tables: the first column, in backquotes."""
    cells = re.findall(r"^\| (`[^|]+`) \|", ledger.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return {name for cell in cells for name in re.findall(r"`([^`]+)`", cell)}


def test_ledger_lists_every_vector_file() -> None:
    """vectors/SOURCES.md has one entry per file; a folder with its own SOURCES.md (keys/, pki/) keeps its own ledger."""
    own_ledgers = {p.parent for p in VECTORS.rglob("SOURCES.md") if p.parent != VECTORS}
    on_disk = {
        path.relative_to(VECTORS).as_posix()
        for path in VECTORS.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.name != "SOURCES.md"
        and not any(folder in path.parents for folder in own_ledgers)
    }
    listed = _ledger_names(VECTORS / "SOURCES.md")
    assert on_disk == listed, f"not in the ledger: {on_disk - listed}; listed but missing: {listed - on_disk}"


def test_folder_ledgers_list_their_files() -> None:
    """Each folder ledger names every file below it (by path relative to the folder, or by file name)."""
    for ledger in VECTORS.rglob("SOURCES.md"):
        folder = ledger.parent
        if folder == VECTORS:
            continue
        listed = _ledger_names(ledger)
        for path in folder.rglob("*"):
            if path.is_file() and path.name != "SOURCES.md" and "__pycache__" not in path.parts:
                relative = path.relative_to(folder).as_posix()
                assert relative in listed or path.name in listed, f"{relative} is not in {ledger.relative_to(VECTORS)}"


def test_loader_is_strict(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("# comment\n[section]\nCOUNT = 0\nA = 01\nB = \n\nCOUNT = 1\nA = 02\n", encoding="utf-8")
    assert load_vectors(good) == [{"A": "01", "B": ""}, {"A": "02"}]
    for bad in ("A = 01\n", "COUNT = 0\nno equals sign\n", "COUNT = 0\nA = 1\nA = 2\n", "COUNT = 1\n"):
        path = tmp_path / "bad.txt"
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(ValueError):
            load_vectors(path)
    with pytest.raises(FileNotFoundError):
        vector_path("sm2", "no-such-file.txt")


# ---- SM3 and SM4 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["examples.txt", "za-preimage-gbt-32918.2.txt"])
def test_sm3_examples(name: str) -> None:
    cases = load_vectors(vector_path("sm3", "gbt-32905-2016", name))
    assert cases
    for case in cases:
        message, digest = h(case["Message"]), h(case["Digest"])
        assert sm3.hash(message) == digest
        streaming = sm3.SM3()
        for i in range(0, len(message), 7):
            streaming.update(message[i : i + 7])
        assert streaming.digest() == digest
        assert streaming.hexdigest() == digest.hex()
        assert ref.sm3(message) == digest
        independent = hashes.Hash(hashes.SM3())
        independent.update(message)
        assert independent.finalize() == digest


def test_sm4_single_block() -> None:
    """GB/T 32907 example 1 through trustkit's modes: one CTR keystream block with the plaintext
    as counter block is E(P); one CBC block under a zero IV is E(P xor 0) = E(P)."""
    (case,) = load_vectors(vector_path("sm4", "gbt-32907-2016", "ecb.txt"))
    key, plaintext, ciphertext = h(case["Key"]), h(case["Plaintext"]), h(case["Ciphertext"])
    ecb = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    assert ecb.update(plaintext) + ecb.finalize() == ciphertext
    assert sm4.encrypt_ctr(key, plaintext, bytes(16)) == ciphertext
    assert sm4.decrypt_ctr(key, plaintext, ciphertext) == bytes(16)
    cbc = sm4.encrypt_cbc(key, bytes(16), plaintext)
    assert len(cbc) == 32 and cbc[:16] == ciphertext  # the second block is the PKCS#7 padding block
    assert sm4.decrypt_cbc(key, bytes(16), cbc) == plaintext
    sealed = sm4.encrypt_gcm(key, bytes(12), plaintext, aad=ciphertext)
    assert sm4.decrypt_gcm(key, bytes(12), sealed, aad=ciphertext) == plaintext


def test_sm4_iterated() -> None:
    """GB/T 32907 example 2: the block encrypted 1,000,000 times (via cryptography's ECB, and via
    trustkit's CTR for the first 10,000 rounds compared against the ECB chain)."""
    (case,) = load_vectors(vector_path("sm4", "gbt-32907-2016", "ecb-iterated.txt"))
    key = h(case["Key"])
    ecb = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    block = ours = h(case["Plaintext"])
    for i in range(int(case["Iterations"])):
        block = ecb.update(block)
        if i < 10_000:
            ours = sm4.encrypt_ctr(key, ours, bytes(16))
            assert ours == block
    assert block == h(case["Ciphertext"])


# ---- SM2 signatures ------------------------------------------------------------------------------------


def test_sm2_sign_recommended_curve() -> None:
    (case,) = load_vectors(vector_path("sm2", "gbt-32918-2016", "sign-recommended-curve.txt"))
    key = sm2.load_private_key(h(case["PrivateKey"]))
    pub = key.public_key()
    assert pub.public_bytes("raw") == h(case["PublicKey"])
    uid, message, e = h(case["Id"]), h(case["Message"]), h(case["E"])
    assert uid == sm2.DEFAULT_UID and int(case["Entl"], 16) == 8 * len(uid)
    assert pub.compute_z(uid) == pub.compute_z() == h(case["Za"])
    assert sm3.hash(h(case["Za"]) + message) == e
    raw = sm2._sign_digest_with_nonce(key, e, h(case["K"]))
    assert raw == h(case["R"]) + h(case["S"]) == h(case["SignatureRaw"])
    assert sm2.encode_signature_der(raw) == h(case["SignatureDer"])
    assert sm2.decode_signature_der(h(case["SignatureDer"])) == raw
    pub.verify(h(case["SignatureDer"]), message)
    pub.verify(h(case["SignatureDer"]), message, uid=uid, encoding="der")
    pub.verify(raw, message, encoding="raw")
    pub.verify_digest(h(case["SignatureDer"]), e)
    pub.verify_digest(raw, e, encoding="raw")
    with pytest.raises(InvalidSignature):
        pub.verify(h(case["SignatureDer"]), message, uid=b"")
    # The reference agrees on every intermediate value.
    d = int(case["PrivateKey"], 16)
    point = ref.public_key(d)
    assert ref.z_a(uid, point) == h(case["Za"])
    assert ref.sign(d, message, int(case["K"], 16), uid) == (int(case["R"], 16), int(case["S"], 16))
    assert ref.der_signature(int(case["R"], 16), int(case["S"], 16)) == h(case["SignatureDer"])


def test_sm2_sign_example_curve_with_reference() -> None:
    """GB/T 32918.2 Annex A on the old Fp-256 example curve: reference implementation only."""
    (case,) = load_vectors(vector_path("sm2", "gbt-32918-2016", "sign-example-curve.txt"))
    curve = curve_of(case)
    assert curve.on_curve(curve.g) and curve.mul(curve.n, curve.g) is None
    d, k = int(case["PrivateKey"], 16), int(case["K"], 16)
    uid, message = h(case["Id"]), h(case["Message"])
    pub = ref.public_key(d, curve)
    assert ref.point_bytes(pub, curve) == h(case["PublicKey"])
    assert int(case["Entl"], 16) == 8 * len(uid)
    assert ref.z_a(uid, pub, curve) == h(case["Za"])
    assert ref.digest(uid, pub, message, curve) == int(case["E"], 16)
    r, s = int(case["R"], 16), int(case["S"], 16)
    assert ref.sign(d, message, k, uid, curve) == (r, s)
    assert h(case["SignatureRaw"]) == h(case["R"]) + h(case["S"])
    assert ref.der_signature(r, s) == h(case["SignatureDer"])
    assert ref.verify(pub, message, r, s, uid, curve)
    assert not ref.verify(pub, message, r, s, ref.DEFAULT_UID, curve)
    assert not ref.verify(pub, message + b"!", r, s, uid, curve)


def test_real_world_signatures_verify() -> None:
    cases = load_vectors(vector_path("sm2", "real-world", "verify.txt"))
    assert len(cases) == 3
    for case in cases:
        assert case["Expected"] == "valid"
        pub = sm2.load_public_key(h(case["PublicKey"]))
        message, uid, der = h(case["Message"]), h(case["Id"]), h(case["SignatureDer"])
        assert sm2.decode_signature_der(der) == h(case["R"]) + h(case["S"])
        pub.verify(der, message, uid=uid)
        with pytest.raises(InvalidSignature):
            pub.verify(der, message[:-1], uid=uid)
        point = ref.point_from_bytes(h(case["PublicKey"]))
        assert point is not None
        assert ref.verify(point, message, int(case["R"], 16), int(case["S"], 16), uid)


# ---- SM2 encryption -------------------------------------------------------------------------------------


def test_sm2_encrypt_recommended_curve() -> None:
    (case,) = load_vectors(vector_path("sm2", "gbt-32918-2016", "encrypt-recommended-curve.txt"))
    key = sm2.load_private_key(h(case["PrivateKey"]))
    pub = key.public_key()
    assert pub.public_bytes("raw") == h(case["PublicKey"])
    message, k = h(case["Message"]), h(case["K"])
    c1 = b"\x04" + h(case["C1X"]) + h(case["C1Y"])
    assert h(case["C1C3C2"]) == c1 + h(case["C3"]) + h(case["C2"])
    assert h(case["C1C2C3"]) == c1 + h(case["C2"]) + h(case["C3"])
    expected = {
        ("C1C3C2", "raw"): h(case["C1C3C2"]),
        ("C1C2C3", "raw"): h(case["C1C2C3"]),
        ("C1C3C2", "der"): h(case["Sm2CipherDer"]),
        ("C1C2C3", "der"): h(case["Sm2CipherDer"]),  # SM2Cipher fields are always x, y, C3, C2
    }
    for (order, encoding), ciphertext in expected.items():
        assert sm2._encrypt_with_nonce(pub, message, k, order=order, encoding=encoding) == ciphertext  # type: ignore[arg-type]
        assert key.decrypt(ciphertext, order=order, encoding=encoding) == message  # type: ignore[arg-type]
    assert key.decrypt(h(case["C1C3C2"])) == message  # defaults: C1C3C2, raw
    assert key.decrypt(h(case["C1C3C2"])[1:]) == message  # C1 without its 04 prefix (sm-crypto style)
    assert key.decrypt(h(case["C1C2C3"])[1:], order="C1C2C3") == message
    # The reference and the standard's KDF agree: t = KDF(x2 || y2, klen) = C2 xor M.
    point = ref.point_from_bytes(h(case["PublicKey"]))
    assert point is not None
    assert ref.encrypt(point, message, int(case["K"], 16)) == h(case["C1C3C2"])
    assert ref.encrypt(point, message, int(case["K"], 16), order="C1C2C3") == h(case["C1C2C3"])
    assert ref.der_sm2cipher(h(case["C1C3C2"])) == h(case["Sm2CipherDer"])
    shared = ref.SM2P256V1.mul(int(case["K"], 16), point)
    assert shared is not None
    z = shared[0].to_bytes(32, "big") + shared[1].to_bytes(32, "big")
    assert sm3.kdf(z, len(message)) == bytes(a ^ b for a, b in zip(h(case["C2"]), message))


def test_sm2_encrypt_example_curve_with_reference() -> None:
    """GB/T 32918.4 Annex A on the old example curve: reference implementation only."""
    (case,) = load_vectors(vector_path("sm2", "gbt-32918-2016", "encrypt-example-curve.txt"))
    curve = curve_of(case)
    d, k, message = int(case["PrivateKey"], 16), int(case["K"], 16), h(case["Message"])
    pub = ref.public_key(d, curve)
    assert ref.point_bytes(pub, curve) == h(case["PublicKey"])
    c1 = b"\x04" + h(case["C1X"]) + h(case["C1Y"])
    assert ref.point_bytes(ref.public_key(k, curve), curve) == c1
    for order, key in (("C1C3C2", "C1C3C2"), ("C1C2C3", "C1C2C3")):
        ciphertext = ref.encrypt(pub, message, k, curve, order)
        assert ciphertext == h(case[key])
        assert ref.decrypt(d, ciphertext, curve, order) == message
    assert h(case["C1C3C2"]) == c1 + h(case["C3"]) + h(case["C2"])
    assert ref.der_sm2cipher(h(case["C1C3C2"]), curve) == h(case["Sm2CipherDer"])
    assert ref.decrypt(d + 1, h(case["C1C3C2"]), curve) is None


# ---- custom SM2 vectors (vectors/sm2/custom/) -------------------------------------------------------------


def custom(name: str) -> list[dict[str, str]]:
    cases = load_vectors(vector_path("sm2", "custom", name))
    assert cases, name
    return cases


def test_custom_sign_fixed_nonce() -> None:
    for case in custom("sign-fixed-nonce.txt"):
        reason = case["Reason"]
        key = sm2.load_private_key(h(case["PrivateKey"]))
        assert key.public_key().public_bytes("raw") == h(case["PublicKey"]), reason
        raw = sm2._sign_digest_with_nonce(key, h(case["E"]), h(case["K"]))
        assert raw == h(case["R"]) + h(case["S"]), reason
        assert sm2.encode_signature_der(raw) == h(case["SignatureDer"]), reason
        assert sm2.decode_signature_der(h(case["SignatureDer"])) == raw, reason
        key.public_key().verify_digest(h(case["SignatureDer"]), h(case["E"]))
        key.public_key().verify_digest(raw, h(case["E"]), encoding="raw")
        assert ref.sign_digest(int(case["PrivateKey"], 16), int(case["E"], 16), int(case["K"], 16)) == (
            int(case["R"], 16), int(case["S"], 16)), reason


def test_custom_sign_nonce_rejected() -> None:
    for case in custom("sign-nonce-rejected.txt"):
        key = sm2.load_private_key(h(case["PrivateKey"]))
        expect_raises(ValueError, case["Reason"], sm2._sign_digest_with_nonce, key, h(case["E"]), h(case["K"]))
        assert ref.sign_digest(int(case["PrivateKey"], 16), int(case["E"], 16), int(case["K"], 16)) is None
        # The hedged signer simply picks another k for the same digest.
        signature = key.sign_digest(h(case["E"]))
        key.public_key().verify_digest(signature, h(case["E"]))


def test_custom_encrypt_nonce_rejected() -> None:
    for case in custom("encrypt-nonce-rejected.txt"):
        reason, message, k = case["Reason"], h(case["Message"]), h(case["K"])
        pub = sm2.load_public_key(h(case["PublicKey"]))
        point = ref.point_from_bytes(h(case["PublicKey"]))
        assert point is not None
        assert ref.encrypt(point, message, int(case["K"], 16)) is None, reason
        for order in ("C1C3C2", "C1C2C3"):
            expect_raises(ValueError, reason, sm2._encrypt_with_nonce, pub, message, k, order=order)
        ciphertext = pub.encrypt(message)  # the randomised path picks another k
        assert ciphertext[-1:] != message, "C2 = M means the keystream was all zero"
        if 1 <= int(case["K"], 16) < ref.SM2P256V1.n:
            # The same k with a 2-byte message has a keystream that is not all zero.
            expected = ref.encrypt(point, message * 2, int(case["K"], 16))
            assert expected is not None
            assert sm2._encrypt_with_nonce(pub, message * 2, k) == expected


def test_custom_verify_digest() -> None:
    for case in custom("verify-digest.txt"):
        reason, valid = case["Reason"], case["Result"] == "valid"
        r, s = int(case["R"], 16), int(case["S"], 16)
        raw, e = h(case["R"]) + h(case["S"]), h(case["E"])
        point = ref.point_from_bytes(h(case["PublicKey"]))
        assert point is not None
        assert ref.verify_digest(point, int(case["E"], 16), r, s) is valid, reason
        pub = sm2.load_public_key(h(case["PublicKey"]))
        for attempt in ("plain", "precomputed"):
            if attempt == "precomputed":
                pub.precompute()
            for signature, encoding in ((raw, "raw"), (ref.der_signature(r, s), "der")):
                label = f"{reason} ({encoding}, {attempt})"
                if valid:
                    pub.verify_digest(signature, e, encoding=encoding)  # type: ignore[arg-type]
                else:
                    expect_raises(InvalidSignature, label, pub.verify_digest, signature, e, encoding=encoding)


def _spki(point: bytes) -> bytes:
    return ref.der_tlv(0x30, SPKI_PREFIX[2:-3] + ref.der_tlv(0x03, b"\x00" + point))


def test_custom_public_keys_invalid() -> None:
    for case in custom("public-key-invalid.txt"):
        point = h(case["Point"])
        assert ref.point_from_bytes(point) is None
        for form, label in ((point, "point"), (_spki(point), "SPKI DER"), (point.hex().encode(), "hex")):
            expect_raises((InvalidKeyError, DecodeError), f"{case['Reason']} ({label})", sm2.load_public_key, form)


def test_custom_public_keys_invalid_error_class() -> None:
    """Right length, bad content: the API contract names InvalidKeyError for points off the curve,
    coordinates >= p, the point at infinity and bad prefixes (DecodeError is for unreadable input)."""
    for case in custom("public-key-invalid.txt"):
        point = h(case["Point"])
        if len(point) in (33, 65):
            expect_raises(InvalidKeyError, case["Reason"], sm2.load_public_key, point)


def test_custom_signature_der() -> None:
    for case in custom("signature-der-invalid.txt"):
        reason, blob = case["Reason"], h(case["Signature"])
        pub = sm2.load_public_key(h(case["PublicKey"]))
        message, uid = h(case["Message"]), h(case["Id"])
        if case["Strict"] == "yes":
            assert sm2.decode_signature_der(blob) == h(case["Raw"]), reason
        else:
            expect_raises(DecodeError, reason, sm2.decode_signature_der, blob)
        if case["Result"] == "valid":
            pub.verify(blob, message, uid=uid)
        else:
            expect_raises(InvalidSignature, reason, pub.verify, blob, message, uid=uid)
        assert sm2.verify_many([(pub, blob, message)], uid=uid) == [case["Result"] == "valid"], reason


def test_custom_decrypt() -> None:
    for case in custom("decrypt-invalid.txt"):
        reason, blob = case["Reason"], h(case["Ciphertext"])
        key = sm2.load_private_key(h(case["PrivateKey"]))
        order, encoding = case["Order"], case["Encoding"]
        if case["Result"] == "valid":
            assert key.decrypt(blob, order=order, encoding=encoding) == h(case["Plaintext"]), reason  # type: ignore[arg-type]
        else:
            expect_raises(DecryptionError, reason, key.decrypt, blob, order=order, encoding=encoding)
        if encoding == "raw" and blob[:1] == b"\x04":
            expected = h(case["Plaintext"]) if case["Result"] == "valid" else None
            assert ref.decrypt(int(case["PrivateKey"], 16), blob, order=order) == expected, reason


def test_custom_vectors_match_their_generator(tmp_path: Path) -> None:
    """The committed files are exactly what vectors/_tools/generate_sm2_custom.py writes."""
    script = VECTORS / "_tools" / "generate_sm2_custom.py"
    done = subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    generated = sorted(p.name for p in tmp_path.iterdir())
    committed = sorted(p.name for p in (VECTORS / "sm2" / "custom").iterdir())
    assert generated == committed
    for name in generated:
        assert (tmp_path / name).read_bytes() == (VECTORS / "sm2" / "custom" / name).read_bytes(), name


@pytest.mark.interop
def test_custom_vectors_independent_check(openssl: str) -> None:
    """vectors/_tools/verify_sm2_custom.py re-checks every custom case with OpenSSL 3 and gmssl."""
    script = VECTORS / "_tools" / "verify_sm2_custom.py"
    done = subprocess.run([sys.executable, str(script)], capture_output=True, timeout=300, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all custom SM2 vectors agree" in done.stdout
