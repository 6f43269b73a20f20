"""Key files: real files from other software, OpenSSL interop both ways, and malformed input.

Expected key values are never hard-coded: they come from `openssl pkey -text -noout`.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from vectors import vector_path

from trustkit import sm2
from trustkit.errors import DecodeError, DecryptionError, InvalidKeyError, UnsupportedAlgorithmError

N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123

PRIVATE_FILES = [
    "sm2_begin_ec.key",
    "sm2_begin_sm2.key",
    "server_sign.key",
    "gmssl_demo_sm2key.pem",
    "pkcs8-private-key.pem",
    "pkcs8-private-key.der",
    "sign_key.pem",
]


def openssl_text(openssl: str, path: Path, *extra: str) -> tuple[bytes | None, bytes]:
    """(d or None, public point) as OpenSSL prints them."""
    label_fix = path.read_bytes().replace(b"SM2 PRIVATE KEY", b"EC PRIVATE KEY")
    result = subprocess.run([openssl, "pkey", "-noout", "-text", *extra], input=label_fix, capture_output=True, check=True)
    text = result.stdout.decode()

    def block(name: str) -> bytes:
        match = re.search(name + r":\s*\n((?:\s+[0-9a-f:]+\n)+)", text)
        assert match, text
        return bytes.fromhex(re.sub(r"[\s:]", "", match.group(1)))

    d = block("priv") if "priv:" in text else None
    return d, block("pub")


@pytest.mark.parametrize("name", PRIVATE_FILES)
def test_real_private_key_files(openssl: str, name: str) -> None:
    path = vector_path("keys", name)
    extra = ["-inform", "DER"] if name.endswith(".der") else []
    d, pub = openssl_text(openssl, path, *extra)
    key = sm2.load_private_key(path.read_bytes())
    assert d is not None
    assert key.private_bytes("raw") == d.rjust(32, b"\x00")[-32:]
    assert key.public_key().public_bytes("raw") == pub


@pytest.mark.parametrize("name", ["pkcs8-public-key.pem", "pkcs8-public-key.der"])
def test_real_public_key_files(openssl: str, name: str) -> None:
    path = vector_path("keys", name)
    extra = ["-pubin"] + (["-inform", "DER"] if name.endswith(".der") else [])
    _, pub = openssl_text(openssl, path, *extra)
    assert sm2.load_public_key(path.read_bytes()).public_bytes("raw") == pub


def test_gmssl_pbes2_sm4_file() -> None:
    data = vector_path("keys", "gmssl_pbes2_sm4_pw1234.pem").read_bytes()
    key = sm2.load_private_key(data, password="1234")
    again = sm2.load_private_key(key.private_bytes("PEM", password=b"1234", cipher="sm4-cbc"), password=b"1234")
    assert again.public_key() == key.public_key()
    with pytest.raises(DecryptionError):
        sm2.load_private_key(data, password="12345")
    with pytest.raises(DecodeError):
        sm2.load_private_key(data)


def test_openssl_reads_our_encrypted_pkcs8(openssl: str, tmp_path: Path) -> None:
    key = sm2.generate_private_key()
    (tmp_path / "enc.pem").write_bytes(key.private_bytes("PEM", password=b"s3cret"))
    result = subprocess.run(
        [openssl, "pkey", "-in", str(tmp_path / "enc.pem"), "-passin", "pass:s3cret"], capture_output=True, check=True
    )
    assert result.stdout == key.private_bytes("PEM")


def test_we_read_openssl_encrypted_pkcs8(openssl: str, tmp_path: Path) -> None:
    subprocess.run([openssl, "genpkey", "-algorithm", "SM2", "-out", str(tmp_path / "k.pem")], check=True)
    subprocess.run(
        [openssl, "pkcs8", "-topk8", "-in", str(tmp_path / "k.pem"), "-v2", "aes-256-cbc", "-passout", "pass:pw",
         "-out", str(tmp_path / "e.pem")],
        check=True,
    )
    plain = sm2.load_private_key((tmp_path / "k.pem").read_bytes())
    assert sm2.load_private_key((tmp_path / "e.pem").read_bytes(), password="pw").public_key() == plain.public_key()


def test_openssl_parameters_block_is_skipped(openssl: str, tmp_path: Path) -> None:
    result = subprocess.run([openssl, "ecparam", "-name", "SM2", "-genkey"], capture_output=True, check=True)
    assert b"PARAMETERS-----" in result.stdout  # OpenSSL 3 writes "SM2 PARAMETERS"
    key = sm2.load_private_key(result.stdout)
    key.public_key().verify(key.sign(b"x"), b"x")


def test_hex_and_raw_forms() -> None:
    key = sm2.generate_private_key()
    raw = key.private_bytes("raw")
    assert sm2.load_private_key(raw.hex().encode()).public_key() == key.public_key()
    assert sm2.load_private_key(b"0x" + raw.hex().upper().encode() + b"\n").public_key() == key.public_key()
    point = key.public_key().public_bytes("raw")
    assert sm2.load_public_key(point[1:]) == key.public_key()  # 64 bytes without 04
    assert sm2.load_public_key(point.hex().encode()) == key.public_key()


def test_wrong_curve_is_refused(openssl: str) -> None:
    p256 = subprocess.run([openssl, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
                          capture_output=True, check=True).stdout
    with pytest.raises(UnsupportedAlgorithmError):
        sm2.load_private_key(p256)
    pub = subprocess.run([openssl, "pkey", "-pubout"], input=p256, capture_output=True, check=True).stdout
    with pytest.raises(UnsupportedAlgorithmError):
        sm2.load_public_key(pub)


def test_malformed_inputs() -> None:
    key = sm2.generate_private_key()
    der = key.private_bytes("DER")
    for bad in (der[:-3], der + b"\x00", b"\x30\x03\x02\x01", b"\xff" * 40):
        with pytest.raises(DecodeError):
            sm2.load_private_key(bad)
    pem = key.private_bytes("PEM")
    with pytest.raises(DecodeError):
        sm2.load_private_key(pem.replace(b"M", b"!", 1))
    with pytest.raises(DecodeError):
        sm2.load_private_key(b"A" * (2 << 20))
    with pytest.raises(DecodeError):
        sm2.load_private_key(b"")
    with pytest.raises(DecodeError):
        sm2.load_public_key(pem)  # a private key is not a public key
    for d in (0, N):
        with pytest.raises(InvalidKeyError):
            sm2.load_private_key(d.to_bytes(32, "big"))
    with pytest.raises(TypeError):
        sm2.load_private_key("not bytes")  # type: ignore[arg-type]


def test_mismatched_embedded_public_key() -> None:
    a, b = sm2.generate_private_key(), sm2.generate_private_key()
    der = a.private_bytes("DER")
    forged = der.replace(a.public_key().public_bytes("raw"), b.public_key().public_bytes("raw"))
    with pytest.raises(InvalidKeyError):
        sm2.load_private_key(forged)


def test_private_keys_are_not_picklable() -> None:
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(sm2.generate_private_key())
    assert "PrivateKey" in repr(sm2.generate_private_key())
