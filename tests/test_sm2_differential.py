"""Differential tests, both directions, against independent SM2 implementations.

Peers and what each direction checks:
- gmssl 3.2.2 (pure Python): ``sign_with_sm3``/``verify_with_sm3`` (raw hex r||s, default ID
  hard-coded), ``sign(e, k)`` (digest and nonce given), ``encrypt``/``decrypt`` (C1C3C2 with
  mode=1, C1C2C3 with mode=0, both without the 04 prefix).  gmssl's ``decrypt`` does not
  check C3, so our ciphertexts are also decrypted by OpenSSL below.
- tongsuopy 1.0.1 (Tongsuo): DER signatures with the default ID, PKCS#8/SPKI keys both ways.
- the OpenSSL 3.0 command line (flags in each test's docstring; keys written by our
  ``private_bytes``/``public_bytes`` and by ``openssl genpkey``).
- tests/reference/sm2_reference.py: fixed-k signatures and ciphertexts must be equal
  byte for byte; each side verifies/decrypts the other's random-k output.

The per-peer case counts are the module constants below ("N differential cases per peer").
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest
from gmssl import sm2 as gmssl_sm2
from reference import sm2_reference as ref
from tongsuopy.crypto import hashes as t_hashes
from tongsuopy.crypto import serialization as t_ser
from tongsuopy.crypto.asymciphers import ec as t_ec
from tongsuopy.crypto.exceptions import InvalidSignature as TongsuoInvalidSignature

from trustkit import sm2
from trustkit.errors import InvalidSignature

pytestmark = pytest.mark.interop

GMSSL_CASES = 300  # random keys and messages, each signed and verified in both directions
GMSSL_NONCE_CASES = 300  # fixed (d, e, k): gmssl sign(e, k) == our nonce hook
GMSSL_ENCRYPT_CASES = 150  # per order (C1C3C2 and C1C2C3), both directions
TONGSUOPY_CASES = 500  # random keys and messages, both directions, plus key files both ways
OPENSSL_CASES = 100  # per OpenSSL test (each case runs 2-3 subprocesses, about 5 ms each here)
REFERENCE_CASES = 200  # random keys, IDs and messages: signatures; the same count for encryption

N = ref.SM2P256V1.n
UIDS_FOR_OPENSSL = [sm2.DEFAULT_UID, b"ALICE123@YAHOO.COM", None, b""]  # None: random bytes


def _message(rng: random.Random, minimum: int = 0) -> bytes:
    return rng.randbytes(max(minimum, rng.choice([0, 1, 15, 32, 55, 56, 64, 65, 200, 1000])))


def _gmssl_peer(key: sm2.PrivateKey, mode: int = 1) -> gmssl_sm2.CryptSM2:
    peer = gmssl_sm2.CryptSM2(private_key=key.private_bytes("raw").hex(), public_key="00", mode=mode)
    # Set the public key afterwards: when the hex starts with "04", gmssl's constructor does
    # public_key.lstrip("04"), which also strips leading '0'/'4' digits of x (with the prefix:
    # about 1 key in 8 corrupted; without it, every key whose x starts with 04).
    peer.public_key = key.public_key().public_bytes("raw")[1:].hex()
    return peer


# ---- gmssl -------------------------------------------------------------------------------------------


def test_gmssl_signatures_both_directions() -> None:
    rng = random.Random(1)
    for case in range(GMSSL_CASES):
        key = sm2.generate_private_key()
        peer = _gmssl_peer(key)
        message = _message(rng)
        ours = key.sign(message, encoding="raw")
        assert peer.verify_with_sm3(ours.hex(), message), f"case {case}: gmssl rejects our signature"
        theirs = bytes.fromhex(peer.sign_with_sm3(message))
        key.public_key().verify(theirs, message, encoding="raw")
        key.public_key().verify(sm2.encode_signature_der(theirs), message)
        if case % 10 == 0:  # the peers are not vacuous
            assert not peer.verify_with_sm3(ours.hex(), message + b"\x00")
            with pytest.raises(InvalidSignature):
                key.public_key().verify(theirs, message + b"\x00", encoding="raw")


def test_gmssl_fixed_nonce_digest_signatures() -> None:
    """gmssl ``sign(e, k)`` takes the digest and the nonce: equal r||s, or both refuse the k."""
    rng = random.Random(2)
    key = sm2.generate_private_key()
    peer = _gmssl_peer(key)
    for _ in range(GMSSL_NONCE_CASES):
        e = rng.randbytes(32) if rng.random() < 0.9 else rng.randrange(N, 2**256).to_bytes(32, "big")
        k = rng.randrange(1, N)
        theirs = peer.sign(e, f"{k:064x}")
        assert theirs is not None
        assert sm2._sign_digest_with_nonce(key, e, k.to_bytes(32, "big")).hex() == theirs
    # A nonce the standard refuses (r + k = n) is refused by both.
    k = rng.randrange(1, N)
    x1 = ref.public_key(k)[0]
    e = ((N - k - x1) % N).to_bytes(32, "big")
    assert peer.sign(e, f"{k:064x}") is None
    with pytest.raises(ValueError):
        sm2._sign_digest_with_nonce(key, e, k.to_bytes(32, "big"))


@pytest.mark.parametrize("order,mode", [("C1C3C2", 1), ("C1C2C3", 0)])
def test_gmssl_encryption_both_directions(order: str, mode: int) -> None:
    rng = random.Random(3)
    for _ in range(GMSSL_ENCRYPT_CASES):
        key = sm2.generate_private_key()
        peer = _gmssl_peer(key, mode)
        message = _message(rng, minimum=1)  # gmssl cannot encrypt an empty message
        ours = key.public_key().encrypt(message, order=order)  # type: ignore[arg-type]
        assert ours[0] == 4 and len(ours) == 97 + len(message)
        assert peer.decrypt(ours[1:]) == message  # gmssl expects no 04 prefix
        theirs = peer.encrypt(message)
        while theirs is None:  # gmssl returns None instead of retrying when t is all zero (1/256 for 1 byte)
            theirs = peer.encrypt(message)
        assert key.decrypt(theirs, order=order) == message  # type: ignore[arg-type]  # bare C1
        assert key.decrypt(b"\x04" + theirs, order=order) == message  # type: ignore[arg-type]


# ---- tongsuopy ---------------------------------------------------------------------------------------


def test_tongsuopy_signatures_both_directions() -> None:
    """DER signatures with the default ID 1234567812345678 (tongsuopy's only choice)."""
    rng = random.Random(4)
    algorithm = t_ec.ECDSA(t_hashes.SM3())
    for case in range(TONGSUOPY_CASES):
        if case % 2:
            key = sm2.generate_private_key()
            t_key = t_ser.load_pem_private_key(key.private_bytes("PEM"), password=None)
        else:
            t_key = t_ec.generate_private_key(t_ec.SM2())
            key = sm2.load_private_key(
                t_key.private_bytes(t_ser.Encoding.DER, t_ser.PrivateFormat.PKCS8, t_ser.NoEncryption())
            )
        t_pub = t_key.public_key()
        assert t_pub.public_bytes(t_ser.Encoding.X962, t_ser.PublicFormat.UncompressedPoint) == \
            key.public_key().public_bytes("raw")
        message = _message(rng)
        t_pub.verify(key.sign(message), message, algorithm)
        key.public_key().verify(t_key.sign(message, algorithm), message)
        if case % 10 == 0:
            with pytest.raises(TongsuoInvalidSignature):
                t_pub.verify(key.sign(message), message + b"\x00", algorithm)
            with pytest.raises(InvalidSignature):
                key.public_key().verify(t_key.sign(message, algorithm), message + b"\x00")


def test_tongsuopy_key_files_both_directions() -> None:
    for case in range(40):
        t_key = t_ec.generate_private_key(t_ec.SM2())
        pem = t_key.private_bytes(t_ser.Encoding.PEM, t_ser.PrivateFormat.PKCS8, t_ser.NoEncryption())
        key = sm2.load_private_key(pem)
        assert key.private_bytes("raw") == t_key.private_numbers().private_value.to_bytes(32, "big")
        spki = t_key.public_key().public_bytes(t_ser.Encoding.PEM, t_ser.PublicFormat.SubjectPublicKeyInfo)
        assert sm2.load_public_key(spki) == key.public_key()
        assert key.public_key().public_bytes("PEM") == spki
        ours = sm2.generate_private_key() if case % 2 else key
        t_ours = t_ser.load_der_private_key(ours.private_bytes("DER"), password=None)
        assert t_ours.private_numbers().private_value.to_bytes(32, "big") == ours.private_bytes("raw")
        t_pub = t_ser.load_der_public_key(ours.public_key().public_bytes("DER"))
        assert t_pub.public_bytes(t_ser.Encoding.X962, t_ser.PublicFormat.CompressedPoint) == \
            ours.public_key().public_bytes("compressed")


# ---- OpenSSL 3 command line -------------------------------------------------------------------------------


def _run(openssl: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([openssl, *args], cwd=cwd, capture_output=True, timeout=60)


def _write_keys(tmp: Path, key: sm2.PrivateKey, der: bool) -> list[str]:
    """Key files written by trustkit; returns the -keyform flags for pkeyutl."""
    (tmp / "k").write_bytes(key.private_bytes("DER" if der else "PEM"))
    (tmp / "p").write_bytes(key.public_key().public_bytes("DER" if der else "PEM"))
    return ["-keyform", "DER" if der else "PEM"]


def _distid(uid: bytes) -> list[str]:
    """OpenSSL 3.0 uses an EMPTY ID unless told; printable IDs go as distid:, others as hexdistid:."""
    if not uid:
        return []
    if uid.isascii() and uid.decode().isprintable():
        return ["-pkeyopt", f"distid:{uid.decode()}"]
    return ["-pkeyopt", f"hexdistid:{uid.hex()}"]


def test_openssl_signatures_both_directions(openssl: str, tmp_path: Path) -> None:
    """openssl pkeyutl -verify -pubin [-keyform DER] -inkey p -rawin -in m -sigfile ours -digest sm3
        [-pkeyopt distid:<ID> | -pkeyopt hexdistid:<hex ID>]
    openssl pkeyutl -sign [-keyform DER] -inkey k -rawin -in m -digest sm3 [same ID flag] -out theirs
    IDs cycle: the GM/T 0009 default, ALICE123@YAHOO.COM, random bytes, and the empty ID (no flag:
    OpenSSL 3.0's default).  Key files alternate PEM and DER, both written by trustkit."""
    rng = random.Random(5)
    for case in range(OPENSSL_CASES):
        key = sm2.generate_private_key()
        form = _write_keys(tmp_path, key, der=bool(case % 2))
        message = _message(rng)
        (tmp_path / "m").write_bytes(message)
        uid = UIDS_FOR_OPENSSL[case % 4]
        if uid is None:
            uid = rng.randbytes(rng.randint(1, 64))
        ident = _distid(uid)

        (tmp_path / "ours").write_bytes(key.sign(message, uid=uid))
        verify = _run(openssl, tmp_path, "pkeyutl", "-verify", "-pubin", *form, "-inkey", "p", "-rawin", "-in", "m",
                      "-sigfile", "ours", "-digest", "sm3", *ident)
        assert verify.returncode == 0, (case, uid, verify.stderr)
        sign = _run(openssl, tmp_path, "pkeyutl", "-sign", *form, "-inkey", "k", "-rawin", "-in", "m",
                    "-digest", "sm3", *ident, "-out", "theirs")
        assert sign.returncode == 0, (case, sign.stderr)
        theirs = (tmp_path / "theirs").read_bytes()
        key.public_key().verify(theirs, message, uid=uid)
        with pytest.raises(InvalidSignature):
            key.public_key().verify(theirs, message, uid=uid + b"x")
        if case % 5 == 0:  # OpenSSL is not vacuous: a changed message fails
            (tmp_path / "m2").write_bytes(message + b"\x00")
            bad = _run(openssl, tmp_path, "pkeyutl", "-verify", "-pubin", *form, "-inkey", "p", "-rawin", "-in", "m2",
                       "-sigfile", "ours", "-digest", "sm3", *ident)
            assert bad.returncode != 0


def test_openssl_default_id_trap(openssl: str, tmp_path: Path) -> None:
    """Our default ID is 1234567812345678 (GM/T 0009); OpenSSL 3.0 without -pkeyopt distid uses the
    empty ID, so it needs the flag for our default and none for an explicit uid=b""."""
    key = sm2.generate_private_key()
    form = _write_keys(tmp_path, key, der=False)
    (tmp_path / "m").write_bytes(b"default id")
    (tmp_path / "default").write_bytes(key.sign(b"default id"))
    (tmp_path / "empty").write_bytes(key.sign(b"default id", uid=b""))
    base = ["pkeyutl", "-verify", "-pubin", *form, "-inkey", "p", "-rawin", "-in", "m", "-digest", "sm3"]
    assert _run(openssl, tmp_path, *base, "-sigfile", "default", "-pkeyopt", "distid:1234567812345678").returncode == 0
    assert _run(openssl, tmp_path, *base, "-sigfile", "default").returncode != 0
    assert _run(openssl, tmp_path, *base, "-sigfile", "empty").returncode == 0


@pytest.mark.parametrize("length", [0, 1, 16, 8190])
def test_openssl_id_lengths(openssl: str, tmp_path: Path, length: int) -> None:
    """IDs up to 8190 bytes both ways (OpenSSL's own maximum; 8191 is valid per the standard but
    OpenSSL 3.0 refuses it: sm2-performance.md 7.8).  Flags: -pkeyopt hexdistid:<hex>."""
    key = sm2.generate_private_key()
    form = _write_keys(tmp_path, key, der=True)
    uid = bytes((i * 37 + 11) & 0xFF for i in range(length))
    ident = ["-pkeyopt", f"hexdistid:{uid.hex()}"] if uid else []
    (tmp_path / "m").write_bytes(b"id length")
    (tmp_path / "ours").write_bytes(key.sign(b"id length", uid=uid))
    verify = _run(openssl, tmp_path, "pkeyutl", "-verify", "-pubin", *form, "-inkey", "p", "-rawin", "-in", "m",
                  "-sigfile", "ours", "-digest", "sm3", *ident)
    assert verify.returncode == 0, verify.stderr
    sign = _run(openssl, tmp_path, "pkeyutl", "-sign", *form, "-inkey", "k", "-rawin", "-in", "m", "-digest", "sm3",
                *ident, "-out", "theirs")
    assert sign.returncode == 0, sign.stderr
    key.public_key().verify((tmp_path / "theirs").read_bytes(), b"id length", uid=uid)


def test_openssl_digest_signatures(openssl: str, tmp_path: Path) -> None:
    """Digest level (no -rawin: OpenSSL signs/verifies the 32 input bytes as e), including e >= n:
    openssl pkeyutl -sign -inkey k -in e -out theirs;  openssl pkeyutl -verify -pubin -inkey p -in e -sigfile ours"""
    rng = random.Random(6)
    for case in range(OPENSSL_CASES):
        key = sm2.generate_private_key()
        form = _write_keys(tmp_path, key, der=bool(case % 2))
        e = rng.randbytes(32) if case % 3 else rng.randrange(N, 2**256).to_bytes(32, "big")
        (tmp_path / "e").write_bytes(e)
        (tmp_path / "ours").write_bytes(key.sign_digest(e))
        verify = _run(openssl, tmp_path, "pkeyutl", "-verify", "-pubin", *form, "-inkey", "p", "-in", "e",
                      "-sigfile", "ours")
        assert verify.returncode == 0, (e.hex(), verify.stderr)
        sign = _run(openssl, tmp_path, "pkeyutl", "-sign", *form, "-inkey", "k", "-in", "e", "-out", "theirs")
        assert sign.returncode == 0, sign.stderr
        key.public_key().verify_digest((tmp_path / "theirs").read_bytes(), e)


def test_openssl_encryption_both_directions(openssl: str, tmp_path: Path) -> None:
    """SM2Cipher DER both ways (OpenSSL 3.0 writes and reads only DER, C1C3C2 field order):
    openssl pkeyutl -encrypt -pubin -inkey p -in m -out theirs;  openssl pkeyutl -decrypt -inkey k -in ours"""
    rng = random.Random(7)
    for case in range(OPENSSL_CASES):
        key = sm2.generate_private_key()
        form = _write_keys(tmp_path, key, der=bool(case % 2))
        message = _message(rng, minimum=1)
        (tmp_path / "m").write_bytes(message)
        (tmp_path / "ours").write_bytes(key.public_key().encrypt(message, encoding="der"))
        dec = _run(openssl, tmp_path, "pkeyutl", "-decrypt", *form, "-inkey", "k", "-in", "ours")
        assert dec.returncode == 0 and dec.stdout == message, dec.stderr
        enc = _run(openssl, tmp_path, "pkeyutl", "-encrypt", "-pubin", *form, "-inkey", "p", "-in", "m",
                   "-out", "theirs")
        assert enc.returncode == 0, enc.stderr
        assert key.decrypt((tmp_path / "theirs").read_bytes(), encoding="der") == message


def test_openssl_generated_keys(openssl: str, tmp_path: Path) -> None:
    """openssl genpkey -algorithm SM2 -out g.pem; openssl pkey -in g.pem -pubout -out g.pub;
    openssl dgst -sm3 -sign g.pem -sigopt distid:1234567812345678 -out s m;
    openssl dgst -sm3 -verify g.pub -sigopt distid:1234567812345678 -signature ours m"""
    for case in range(OPENSSL_CASES // 3):
        assert _run(openssl, tmp_path, "genpkey", "-algorithm", "SM2", "-out", "g.pem").returncode == 0
        assert _run(openssl, tmp_path, "pkey", "-in", "g.pem", "-pubout", "-out", "g.pub").returncode == 0
        key = sm2.load_private_key((tmp_path / "g.pem").read_bytes())
        assert sm2.load_public_key((tmp_path / "g.pub").read_bytes()) == key.public_key()
        message = f"dgst interop {case}".encode()
        (tmp_path / "m").write_bytes(message)
        dgst = _run(openssl, tmp_path, "dgst", "-sm3", "-sign", "g.pem", "-sigopt", "distid:1234567812345678",
                    "-out", "s", "m")
        assert dgst.returncode == 0, dgst.stderr
        key.public_key().verify((tmp_path / "s").read_bytes(), message)
        (tmp_path / "ours").write_bytes(key.sign(message))
        check = _run(openssl, tmp_path, "dgst", "-sm3", "-verify", "g.pub", "-sigopt", "distid:1234567812345678",
                     "-signature", "ours", "m")
        assert check.returncode == 0, check.stderr


# ---- the spec-literal reference ---------------------------------------------------------------------------


def _random_uid(rng: random.Random) -> bytes:
    return rng.choice([sm2.DEFAULT_UID, b"", rng.randbytes(rng.randint(1, 100)), rng.randbytes(rng.randint(100, 600))])


def test_reference_signatures() -> None:
    rng = random.Random(8)
    for case in range(REFERENCE_CASES):
        d = rng.randrange(1, N - 1)
        key = sm2.load_private_key(d.to_bytes(32, "big"))
        point = ref.public_key(d)
        assert key.public_key().public_bytes("raw") == ref.point_bytes(point)
        uid, message = _random_uid(rng), _message(rng)
        z = ref.z_a(uid, point)
        assert key.public_key().compute_z(uid) == z, case
        e = ref.sm3(z + message)
        k = rng.randrange(1, N)
        expected = ref.sign_digest(d, int.from_bytes(e, "big"), k)
        assert expected is not None
        ours = sm2._sign_digest_with_nonce(key, e, k.to_bytes(32, "big"))
        assert ours == expected[0].to_bytes(32, "big") + expected[1].to_bytes(32, "big"), case
        # Each verifies the other's randomised signatures.
        key.public_key().verify(ours, message, uid=uid, encoding="raw")
        hedged = key.sign(message, uid=uid, encoding="raw")
        r, s = int.from_bytes(hedged[:32], "big"), int.from_bytes(hedged[32:], "big")
        assert ref.verify(point, message, r, s, uid), case
        assert not ref.verify(point, message + b"\x00", r, s, uid)


def test_reference_encryption() -> None:
    rng = random.Random(9)
    for case in range(REFERENCE_CASES):
        d = rng.randrange(1, N - 1)
        key = sm2.load_private_key(d.to_bytes(32, "big"))
        point = ref.public_key(d)
        message = _message(rng)
        k = rng.randrange(1, N)
        order = "C1C3C2" if case % 2 else "C1C2C3"
        expected = ref.encrypt(point, message, k, order=order)
        assert expected is not None
        ours = sm2._encrypt_with_nonce(key.public_key(), message, k.to_bytes(32, "big"), order=order)  # type: ignore[arg-type]
        assert ours == expected, case
        if order == "C1C3C2":
            der = sm2._encrypt_with_nonce(key.public_key(), message, k.to_bytes(32, "big"), encoding="der")
            assert der == ref.der_sm2cipher(expected), case
        assert key.decrypt(expected, order=order) == message  # type: ignore[arg-type]
        randomised = key.public_key().encrypt(message, order=order)  # type: ignore[arg-type]
        assert ref.decrypt(d, randomised, order=order) == message, case
