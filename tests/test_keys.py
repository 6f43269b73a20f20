"""SM2 key serialisation (trustkit.primitives.keys): real files, OpenSSL/tongsuopy interop, malformed input.

Expected key values are never hard-coded: they come from `openssl pkey -noout -text` (or
tongsuopy) for the same bytes.  Unusual-but-legal structures are built with the small DER
builder below, independent of the code under test.  The last section checks the same
files through the high-level ``trustkit.sm2`` API.
"""

from __future__ import annotations

import base64
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from vectors import vector_path

from trustkit.errors import DecodeError, DecryptionError, InvalidKeyError, UnsupportedAlgorithmError
from trustkit.primitives import keys

N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
P = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF

PRIVATE_FILES = [
    "sm2_begin_ec.key",
    "sm2_begin_sm2.key",
    "server_sign.key",
    "gmssl_demo_sm2key.pem",
    "pkcs8-private-key.pem",
    "pkcs8-private-key.der",
    "sign_key.pem",
]
PUBLIC_FILES = ["pkcs8-public-key.pem", "pkcs8-public-key.der"]


# ---- independent helpers: a DER builder and OpenSSL's own view of a key -------------------------


def tlv(tag: int, body: bytes) -> bytes:
    """One DER TLV (definite length)."""
    if len(body) < 0x80:
        return bytes((tag, len(body))) + body
    size = len(body).to_bytes((len(body).bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(size))) + size + body


OID_EC = tlv(0x06, bytes.fromhex("2A8648CE3D0201"))  # 1.2.840.10045.2.1 id-ecPublicKey
OID_SM2 = tlv(0x06, bytes.fromhex("2A811CCF5501822D"))  # 1.2.156.10197.1.301
OID_P256 = tlv(0x06, bytes.fromhex("2A8648CE3D030107"))  # 1.2.840.10045.3.1.7
NULL = b"\x05\x00"


def sec1(d: bytes, pub: bytes | None = None, params: bytes | None = None, extra: bytes = b"") -> bytes:
    body = tlv(0x02, b"\x01") + tlv(0x04, d)
    if params is not None:
        body += tlv(0xA0, params)
    if pub is not None:
        body += tlv(0xA1, tlv(0x03, b"\x00" + pub))
    return tlv(0x30, body + extra)


def pkcs8(inner: bytes, alg: bytes = OID_EC + OID_SM2) -> bytes:
    return tlv(0x30, tlv(0x02, b"\x00") + tlv(0x30, alg) + tlv(0x04, inner))


def spki(point: bytes, alg: bytes = OID_EC + OID_SM2) -> bytes:
    return tlv(0x30, tlv(0x30, alg) + tlv(0x03, b"\x00" + point))


def pem(label: str, der: bytes) -> bytes:
    body = base64.b64encode(der)
    lines = b"\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return b"-----BEGIN " + label.encode() + b"-----\n" + lines + b"\n-----END " + label.encode() + b"-----\n"


def run(openssl: str, *args: str, data: bytes | None = None) -> bytes:
    result = subprocess.run([openssl, *args], input=data, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout


def openssl_key(openssl: str, data: bytes, *extra: str) -> tuple[bytes | None, bytes]:
    """(d or None, public point) exactly as `openssl pkey -noout -text` prints them."""
    text = run(openssl, "pkey", "-noout", "-text", *extra, data=data).decode()

    def block(name: str) -> bytes:
        match = re.search(name + r":\s*\n((?:\s+[0-9a-f:]+\n)+)", text)
        assert match, text
        return bytes.fromhex(re.sub(r"[\s:]", "", match.group(1)))

    d = int.from_bytes(block("priv"), "big").to_bytes(32, "big") if "priv:" in text else None
    return d, block("pub")


def openssl_public_from_scalar(openssl: str, d: bytes) -> bytes:
    """OpenSSL derives the public point from a bare SEC1 key holding only d."""
    return openssl_key(openssl, pem("EC PRIVATE KEY", sec1(d, params=OID_SM2)))[1]


@pytest.fixture()
def openssl_sm2(openssl: str, tmp_path: Path) -> dict[str, bytes]:
    """A fresh key from `openssl genpkey -algorithm SM2` in every form OpenSSL writes."""
    key = run(openssl, "genpkey", "-algorithm", "SM2")
    d, pub = openssl_key(openssl, key)
    assert d is not None
    (tmp_path / "k.pem").write_bytes(key)
    return {
        "pem": key,
        # `openssl pkey -outform DER` writes SEC1 for EC keys; PKCS#8 DER needs `pkcs8 -topk8 -nocrypt`.
        "der": run(openssl, "pkcs8", "-topk8", "-nocrypt", "-outform", "DER", data=key),
        "sec1_der": run(openssl, "pkey", "-outform", "DER", data=key),
        "pub_pem": run(openssl, "pkey", "-pubout", data=key),
        "pub_der": run(openssl, "pkey", "-pubout", "-outform", "DER", data=key),
        "d": d,
        "pub": pub,
    }


def no_secret(exc: pytest.ExceptionInfo[BaseException], d: bytes) -> None:
    text = str(exc.value)
    assert d.hex() not in text.lower() and base64.b64encode(d).decode() not in text


# ---- real files -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PRIVATE_FILES)
def test_real_private_key_files(openssl: str, name: str) -> None:
    data = vector_path("keys", name).read_bytes()
    extra = ["-inform", "DER"] if name.endswith(".der") else []
    d_expected, pub_expected = openssl_key(openssl, data, *extra)
    d, pub = keys.decode_private_key(data)
    assert d == d_expected
    assert pub == pub_expected


@pytest.mark.parametrize("name", PRIVATE_FILES)
def test_real_private_keys_reencode_like_openssl(openssl: str, name: str) -> None:
    """Our PKCS#8 for each key equals what `openssl pkey` writes for the same file."""
    data = vector_path("keys", name).read_bytes()
    extra = ["-inform", "DER"] if name.endswith(".der") else []
    d, pub = keys.decode_private_key(data)
    assert keys.encode_private_key(d, pub, "PEM") == run(openssl, "pkey", *extra, data=data)
    assert keys.encode_private_key(d, pub, "DER") == run(openssl, "pkcs8", "-topk8", "-nocrypt", *extra,
                                                         "-outform", "DER", data=data)
    assert pub is not None
    assert keys.encode_public_key(pub, "PEM") == run(openssl, "pkey", *extra, "-pubout", data=data)


@pytest.mark.parametrize("name", ["gmssl_demo_sm2key.pem", "server_sign.key", "pkcs8-private-key.pem",
                                  "pkcs8-private-key.der"])
def test_pkcs8_files_from_other_software_round_trip_byte_for_byte(name: str) -> None:
    data = vector_path("keys", name).read_bytes()
    d, pub = keys.decode_private_key(data)
    assert keys.encode_private_key(d, pub, "DER" if name.endswith(".der") else "PEM") == data


@pytest.mark.parametrize("name", PUBLIC_FILES)
def test_real_public_key_files(openssl: str, name: str) -> None:
    data = vector_path("keys", name).read_bytes()
    der = name.endswith(".der")
    _, expected = openssl_key(openssl, data, "-pubin", *(["-inform", "DER"] if der else []))
    point = keys.decode_public_key(data)
    assert point == expected
    assert keys.encode_public_key(point, "DER" if der else "PEM") == data


def test_gmssl_pbes2_sm4_file(openssl: str) -> None:
    data = vector_path("keys", "gmssl_pbes2_sm4_pw1234.pem").read_bytes()
    d, pub = keys.decode_private_key(data, password="1234")
    # OpenSSL 3.0 cannot read PBKDF2-HMAC-SM3, so check that the decrypted scalar is the
    # one the embedded public key belongs to, with OpenSSL deriving the point.
    assert pub is not None and openssl_public_from_scalar(openssl, d) == pub
    assert keys.decode_private_key(data, password=b"1234") == (d, pub)
    with pytest.raises(DecryptionError, match="^wrong password or corrupted key$") as exc:
        keys.decode_private_key(data, password="12345")
    no_secret(exc, d)
    with pytest.raises(DecodeError, match="password is needed"):
        keys.decode_private_key(data)
    again = keys.encode_private_key(d, pub, "PEM", password="1234", cipher="sm4-cbc", iterations=1_000)
    assert keys.decode_private_key(again, password="1234") == (d, pub)


# ---- OpenSSL interop ----------------------------------------------------------------------------


@pytest.mark.parametrize("_round", range(3))
def test_encoding_is_byte_identical_to_openssl(openssl_sm2: dict[str, bytes], _round: int) -> None:
    k = openssl_sm2
    assert keys.decode_private_key(k["pem"]) == (k["d"], k["pub"])
    assert keys.decode_private_key(k["der"]) == (k["d"], k["pub"])
    assert keys.decode_private_key(k["sec1_der"]) == (k["d"], k["pub"])
    assert keys.encode_private_key(k["d"], k["pub"], "PEM") == k["pem"]
    assert keys.encode_private_key(k["d"], k["pub"], "DER") == k["der"]
    assert keys.encode_private_key(k["d"], k["pub"], "raw") == k["d"]
    assert keys.decode_public_key(k["pub_pem"]) == k["pub"]
    assert keys.decode_public_key(k["pub_der"]) == k["pub"]
    assert keys.encode_public_key(k["pub"], "PEM") == k["pub_pem"]
    assert keys.encode_public_key(k["pub"], "DER") == k["pub_der"]
    assert keys.encode_public_key(k["pub"], "raw") == k["pub"]


def test_openssl_asn1_layout_matched(openssl: str, openssl_sm2: dict[str, bytes]) -> None:
    """The structure we match: PKCS#8 v0, id-ecPublicKey + sm2, ECPrivateKey v1 without [0]."""
    outer = run(openssl, "asn1parse", "-inform", "DER", data=openssl_sm2["der"]).decode()
    assert re.findall(r"(INTEGER|OBJECT|OCTET STRING)\s+(?:\[HEX DUMP\])?:(\S+)", outer)[:3] == [
        ("INTEGER", "00"), ("OBJECT", "id-ecPublicKey"), ("OBJECT", "sm2")]
    inner = run(openssl, "asn1parse", "-inform", "DER", "-strparse", "27", data=openssl_sm2["der"]).decode()
    assert "cont [ 0 ]" not in inner and "cont [ 1 ]" in inner
    ours = keys.encode_private_key(openssl_sm2["d"], openssl_sm2["pub"], "DER")
    assert run(openssl, "asn1parse", "-inform", "DER", "-strparse", "27", data=ours).decode() == inner


def test_key_without_public_point(openssl: str, openssl_sm2: dict[str, bytes]) -> None:
    der = keys.encode_private_key(openssl_sm2["d"], None, "DER")
    assert keys.decode_private_key(der) == (openssl_sm2["d"], None)
    # OpenSSL reads it and derives the same public key.
    assert openssl_key(openssl, der, "-inform", "DER") == (openssl_sm2["d"], openssl_sm2["pub"])


@pytest.mark.parametrize("encoding", ["PEM", "DER"])
def test_openssl_reads_our_encrypted_pkcs8(openssl: str, openssl_sm2: dict[str, bytes], encoding: str) -> None:
    k = openssl_sm2
    encrypted = keys.encode_private_key(k["d"], k["pub"], encoding, password="s3cret pw", iterations=2_048)
    if encoding == "PEM":
        assert encrypted.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    inform = ["-inform", encoding]
    assert run(openssl, "pkey", *inform, "-passin", "pass:s3cret pw", data=encrypted) == k["pem"]
    # Same layout as `openssl pkcs8 -topk8 -v2 aes-256-cbc` (2048 is its default iteration count).
    theirs = run(openssl, "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", "pass:x", data=k["pem"])
    assert der_skeleton(pem_der(encrypted) if encoding == "PEM" else encrypted) == der_skeleton(pem_der(theirs))
    layout = run(openssl, "asn1parse", data=theirs).decode()
    assert re.search(r"OBJECT +:hmacWithSHA256\n", layout) and re.search(r"OBJECT +:aes-256-cbc\n", layout)
    assert keys.decode_private_key(encrypted, password=b"s3cret pw") == (k["d"], k["pub"])


def test_default_iteration_count_is_written(openssl: str, openssl_sm2: dict[str, bytes]) -> None:
    encrypted = keys.encode_private_key(openssl_sm2["d"], openssl_sm2["pub"], "PEM", password="pw")
    assert "INTEGER           :030D40" in run(openssl, "asn1parse", data=encrypted).decode()  # 200,000
    assert run(openssl, "pkey", "-passin", "pass:pw", data=encrypted) == openssl_sm2["pem"]


@pytest.mark.parametrize(
    ("cipher", "prf"),
    [
        ("aes-128-cbc", "hmacWithSHA1"),
        ("aes-192-cbc", "hmacWithSHA224"),
        ("aes-256-cbc", "hmacWithSHA256"),
        ("aes-256-cbc", "hmacWithSHA384"),
        ("aes-128-cbc", "hmacWithSHA512"),
        ("sm4-cbc", "hmacWithSHA256"),
    ],
)
def test_we_read_openssl_encrypted_pkcs8(openssl: str, openssl_sm2: dict[str, bytes], cipher: str, prf: str) -> None:
    encrypted = run(openssl, "pkcs8", "-topk8", "-v2", cipher, "-v2prf", prf, "-iter", "1000",
                    "-passout", "pass:pw", data=openssl_sm2["pem"])
    assert keys.decode_private_key(encrypted, password="pw") == (openssl_sm2["d"], openssl_sm2["pub"])
    der = run(openssl, "pkcs8", "-topk8", "-v2", cipher, "-v2prf", prf, "-iter", "1000", "-outform", "DER",
              "-passout", "pass:pw", data=openssl_sm2["pem"])
    assert keys.decode_private_key(der, password=b"pw") == (openssl_sm2["d"], openssl_sm2["pub"])
    with pytest.raises(DecryptionError, match="^wrong password or corrupted key$"):
        keys.decode_private_key(encrypted, password="wrong")
    with pytest.raises(DecodeError, match="password is needed"):
        keys.decode_private_key(der)


def der_skeleton(der: bytes, depth: int = 0) -> list[str]:
    """DER as depth + tag (+ value for INTEGER/OID/NULL); OCTET STRING contents (salts, IVs,
    ciphertext) are left out.  A minimal walker, independent of asn1crypto."""
    rows, pos = [], 0
    while pos < len(der):
        tag, size = der[pos], der[pos + 1]
        pos += 2
        if size & 0x80:
            count = size & 0x7F
            size = int.from_bytes(der[pos : pos + count], "big")
            pos += count
        body = der[pos : pos + size]
        pos += size
        if tag & 0x20:
            rows.append(f"{depth} {tag:02x}")
            rows += der_skeleton(body, depth + 1)
        else:
            rows.append(f"{depth} {tag:02x} " + (body.hex() if tag in (0x02, 0x05, 0x06) else ""))
    return rows


def pem_der(data: bytes) -> bytes:
    return base64.b64decode(b"".join(line for line in data.splitlines() if not line.startswith(b"-----")))


def test_sm4_cbc_writer_uses_gmssl_layout(openssl: str, openssl_sm2: dict[str, bytes]) -> None:
    k = openssl_sm2
    # 65536 iterations: GmSSL 3's default, so even the iteration count matches the sample.
    encrypted = keys.encode_private_key(k["d"], k["pub"], "DER", password="pw", cipher="sm4-cbc", iterations=65_536)
    layout = run(openssl, "asn1parse", "-inform", "DER", data=encrypted).decode()
    assert re.search(r"OBJECT +:1\.2\.156\.10197\.1\.401\.2\n", layout)  # PRF HMAC-SM3, no parameters
    assert re.search(r"OBJECT +:sm4-cbc\n", layout)  # 1.2.156.10197.1.104.2
    assert re.search(r"INTEGER +:10\n", layout)  # keyLength 16
    gmssl = pem_der(vector_path("keys", "gmssl_pbes2_sm4_pw1234.pem").read_bytes())
    assert der_skeleton(encrypted) == der_skeleton(gmssl)
    assert keys.decode_private_key(encrypted, password="pw") == (k["d"], k["pub"])
    with pytest.raises(DecryptionError):
        keys.decode_private_key(encrypted, password="pW")


def test_corrupted_ciphertext(openssl_sm2: dict[str, bytes]) -> None:
    encrypted = bytearray(keys.encode_private_key(openssl_sm2["d"], None, "DER", password="pw", iterations=1_000))
    encrypted[-40] ^= 0x01  # first ciphertext block: garbles the PrivateKeyInfo header
    with pytest.raises(DecryptionError, match="^wrong password or corrupted key$"):
        keys.decode_private_key(bytes(encrypted), password="pw")


def test_openssl_ecparam_genkey_output(openssl: str) -> None:
    """`openssl ecparam -genkey` writes an `SM2 PARAMETERS` block before the key."""
    out = run(openssl, "ecparam", "-name", "SM2", "-genkey")
    assert b"-----BEGIN SM2 PARAMETERS-----" in out
    assert keys.decode_private_key(out) == openssl_key(openssl, out)
    sec1_out = run(openssl, "ecparam", "-name", "SM2", "-genkey", "-noout")
    assert keys.decode_private_key(b"-----BEGIN EC PARAMETERS-----\nBggqgRzPVQGCLQ==\n-----END EC PARAMETERS-----\n"
                                   + sec1_out) == openssl_key(openssl, sec1_out)


def test_openssl_sec1_and_compressed_forms(openssl: str, openssl_sm2: dict[str, bytes]) -> None:
    sec1_pem = run(openssl, "ec", data=openssl_sm2["pem"])
    assert sec1_pem.startswith(b"-----BEGIN SM2 PRIVATE KEY-----")  # OpenSSL 3's label for SM2 SEC1 keys
    assert keys.decode_private_key(sec1_pem) == (openssl_sm2["d"], openssl_sm2["pub"])
    sec1_der = run(openssl, "ec", "-outform", "DER", data=openssl_sm2["pem"])
    assert keys.decode_private_key(sec1_der) == (openssl_sm2["d"], openssl_sm2["pub"])
    compressed_key = run(openssl, "ec", "-conv_form", "compressed", data=openssl_sm2["pem"])
    d, pub = keys.decode_private_key(compressed_key)
    assert (d, pub) == openssl_key(openssl, compressed_key)
    assert pub is not None and len(pub) == 33
    compressed_spki = run(openssl, "ec", "-conv_form", "compressed", "-pubout", data=openssl_sm2["pem"])
    assert keys.decode_public_key(compressed_spki) == pub
    assert keys.encode_public_key(openssl_sm2["pub"], "compressed") == pub


def test_explicit_sm2_parameters_are_accepted(openssl: str, openssl_sm2: dict[str, bytes]) -> None:
    pkcs8_explicit = run(openssl, "ecparam", "-name", "SM2", "-param_enc", "explicit", "-genkey", "-noout")
    assert b"prime-field" in run(openssl, "asn1parse", data=pkcs8_explicit)
    assert keys.decode_private_key(pkcs8_explicit) == openssl_key(openssl, pkcs8_explicit)
    sec1_explicit = run(openssl, "ec", "-param_enc", "explicit", data=openssl_sm2["pem"])
    assert keys.decode_private_key(sec1_explicit) == (openssl_sm2["d"], openssl_sm2["pub"])
    spki_explicit = run(openssl, "ec", "-param_enc", "explicit", "-pubout", data=openssl_sm2["pem"])
    assert keys.decode_public_key(spki_explicit) == openssl_sm2["pub"]
    # Any change to the parameters makes them another curve.
    b_coefficient = bytes.fromhex("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93")
    der = bytearray(run(openssl, "ec", "-param_enc", "explicit", "-outform", "DER", data=openssl_sm2["pem"]))
    der[der.index(b_coefficient) + 31] ^= 0x01
    with pytest.raises(UnsupportedAlgorithmError, match="explicit curve parameters"):
        keys.decode_private_key(bytes(der))


# ---- tongsuopy interop --------------------------------------------------------------------------


def test_tongsuopy_reads_our_pkcs8(openssl_sm2: dict[str, bytes]) -> None:
    serialization = pytest.importorskip("tongsuopy.crypto.serialization")
    k = openssl_sm2
    for password in (None, b"pw"):
        data = keys.encode_private_key(k["d"], k["pub"], "PEM", password=password, iterations=1_000)
        loaded = serialization.load_pem_private_key(data, password)
        assert loaded.private_numbers().private_value == int.from_bytes(k["d"], "big")
        point = loaded.public_key().public_bytes(serialization.Encoding.X962,
                                                 serialization.PublicFormat.UncompressedPoint)
        assert point == k["pub"]
    public = serialization.load_pem_public_key(keys.encode_public_key(k["pub"], "PEM"))
    assert public.public_numbers().x == int.from_bytes(k["pub"][1:33], "big")


def test_we_read_tongsuopy_keys() -> None:
    pytest.importorskip("tongsuopy")
    from tongsuopy.crypto import serialization
    from tongsuopy.crypto.asymciphers import ec

    key = ec.generate_private_key(ec.SM2())
    d = key.private_numbers().private_value.to_bytes(32, "big")
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    forms = [
        (serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        (serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        (serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()),
        (serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")),
    ]
    for encoding, fmt, protection in forms:
        assert keys.decode_private_key(key.private_bytes(encoding, fmt, protection), password=b"pw") == (d, point)
    spki_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
    assert keys.decode_public_key(spki_pem) == point
    compressed = key.public_key().public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.CompressedPoint)
    assert keys.encode_public_key(point, "compressed") == compressed


# ---- vendor variants (lenient reading) -----------------------------------------------------------


@pytest.mark.parametrize(
    "alg",
    [OID_SM2, OID_SM2 + NULL, OID_SM2 + OID_SM2, OID_EC + OID_SM2],
    ids=["sm2-no-params", "sm2-null", "sm2-sm2", "ecPublicKey-sm2"],
)
def test_algorithm_oid_forms(openssl_sm2: dict[str, bytes], alg: bytes) -> None:
    d, pub = openssl_sm2["d"], openssl_sm2["pub"]
    assert keys.decode_private_key(pkcs8(sec1(d, pub), alg)) == (d, pub)
    assert keys.decode_private_key(pem("PRIVATE KEY", pkcs8(sec1(d, pub), alg))) == (d, pub)
    assert keys.decode_public_key(spki(pub, alg)) == pub
    assert keys.decode_public_key(pem("PUBLIC KEY", spki(pub, alg))) == pub


def test_short_private_key_octets_are_left_padded(openssl: str) -> None:
    d = bytes(2) + bytes(range(1, 31))  # two leading zero bytes
    for octets in (d[1:], d[2:], b"\x00" + d):
        key = pem("EC PRIVATE KEY", sec1(octets, params=OID_SM2))
        assert keys.decode_private_key(key) == (d, None)
        assert openssl_key(openssl, key)[0] == d
    # OpenSSL re-writes the short form as PKCS#8 with the scalar padded to 32 bytes (and, as the
    # input had none, without a public key): exactly what we write.
    openssl_pkcs8 = run(openssl, "pkey", data=pem("EC PRIVATE KEY", sec1(d[2:], params=OID_SM2)))
    assert keys.encode_private_key(d, None, "PEM") == openssl_pkcs8
    assert keys.decode_private_key(openssl_pkcs8) == (d, None)


def test_sec1_without_curve_is_read_as_sm2(openssl_sm2: dict[str, bytes]) -> None:
    assert keys.decode_private_key(sec1(openssl_sm2["d"], openssl_sm2["pub"])) == (openssl_sm2["d"], openssl_sm2["pub"])


def test_pem_with_surrounding_text(openssl_sm2: dict[str, bytes]) -> None:
    wrapped = b"Bag Attributes\n    localKeyID: 01\nKey Attributes: <No Attributes>\n" + openssl_sm2["pem"] + b"trailer\n"
    assert keys.decode_private_key(wrapped) == (openssl_sm2["d"], openssl_sm2["pub"])
    crlf = openssl_sm2["pub_pem"].replace(b"\n", b"\r\n")
    assert keys.decode_public_key(crlf) == openssl_sm2["pub"]


def test_raw_and_hex_forms(openssl_sm2: dict[str, bytes]) -> None:
    d, pub = openssl_sm2["d"], openssl_sm2["pub"]
    compressed = keys.encode_public_key(pub, "compressed")
    assert keys.decode_private_key(d) == (d, None)
    assert keys.decode_private_key(bytearray(d)) == (d, None)  # type: ignore[arg-type]  # bytes-like works
    for text in (d.hex(), d.hex().upper(), "0x" + d.hex(), "0X" + d.hex().upper() + "\n",
                 " ".join(d.hex()[i : i + 8] for i in range(0, 64, 8)), d.hex()[:32] + "\r\n" + d.hex()[32:]):
        assert keys.decode_private_key(text.encode()) == (d, None)
    assert keys.decode_public_key(pub) == pub
    assert keys.decode_public_key(pub[1:]) == pub  # 64 bytes X||Y
    assert keys.decode_public_key(compressed) == compressed
    for point, expected in ((pub, pub), (pub[1:], pub), (compressed, compressed)):
        assert keys.decode_public_key(point.hex().encode()) == expected
        assert keys.decode_public_key(b"0x" + point.hex().upper().encode() + b"\n") == expected
    assert compressed[0] == 2 + (pub[-1] & 1) and compressed[1:] == pub[1:33]


def test_d_equal_to_n_minus_1_is_left_to_the_sm2_layer() -> None:
    top = (N - 1).to_bytes(32, "big")
    assert keys.decode_private_key(top) == (top, None)


@given(
    d=st.integers(1, N - 1),
    x=st.integers(0, P - 1),
    y=st.integers(0, P - 1),
    compressed=st.booleans(),
    with_point=st.booleans(),
    encoding=st.sampled_from(["PEM", "DER"]),
)
def test_round_trip_property(d: int, x: int, y: int, compressed: bool, with_point: bool, encoding: str) -> None:
    """Structural round trip: this module does no curve arithmetic, so any in-range values survive."""
    scalar = d.to_bytes(32, "big")
    full = b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")
    point = keys.encode_public_key(full, "compressed") if compressed else full
    embedded = point if with_point else None
    assert keys.decode_private_key(keys.encode_private_key(scalar, embedded, encoding)) == (scalar, embedded)
    assert keys.decode_public_key(keys.encode_public_key(full, encoding)) == full
    assert keys.decode_private_key(keys.encode_private_key(scalar, None, "raw")) == (scalar, None)


# ---- refused input ------------------------------------------------------------------------------


def test_truncated_and_trailing_der(openssl_sm2: dict[str, bytes]) -> None:
    der, d = openssl_sm2["der"], openssl_sm2["d"]
    for bad in (der[:-1], der[:-40], der[:60], der[:2], b"\x30\x03\x02\x01"):
        with pytest.raises(DecodeError) as exc:
            keys.decode_private_key(bad)
        no_secret(exc, d)
    with pytest.raises(DecodeError, match="trailing"):
        keys.decode_private_key(der + b"\x00")
    with pytest.raises(DecodeError, match="trailing"):
        keys.decode_private_key(pem("PRIVATE KEY", der + b"\x05\x00"))
    with pytest.raises(DecodeError):
        keys.decode_public_key(openssl_sm2["pub_der"] + b"\x00")
    with pytest.raises(DecodeError):
        keys.decode_public_key(openssl_sm2["pub_der"][:-1])
    # Inner structures are strict too: trailing data or an extra field inside the ECPrivateKey.
    with pytest.raises(DecodeError):
        keys.decode_private_key(pkcs8(sec1(d, openssl_sm2["pub"]) + b"\x00"))
    with pytest.raises(DecodeError, match="extra fields"):
        keys.decode_private_key(sec1(d, openssl_sm2["pub"], params=OID_SM2, extra=tlv(0x02, b"\x07")))


def test_wrong_curve(openssl: str) -> None:
    p256 = run(openssl, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
    for data in (
        p256,
        run(openssl, "pkey", "-outform", "DER", data=p256),
        run(openssl, "ec", data=p256),  # SEC1 with [0] prime256v1
        run(openssl, "ecparam", "-name", "prime256v1", "-genkey"),  # EC PARAMETERS block + SEC1
        run(openssl, "ecparam", "-name", "prime256v1", "-genkey", "-param_enc", "explicit", "-noout"),
        run(openssl, "genpkey", "-algorithm", "ED25519"),
    ):
        with pytest.raises(UnsupportedAlgorithmError):
            keys.decode_private_key(data)
    with pytest.raises(UnsupportedAlgorithmError, match="P-256"):
        keys.decode_private_key(p256)
    with pytest.raises(UnsupportedAlgorithmError, match="P-256"):
        keys.decode_public_key(run(openssl, "pkey", "-pubout", data=p256))
    with pytest.raises(UnsupportedAlgorithmError):
        keys.decode_public_key(run(openssl, "pkey", "-pubout", "-outform", "DER", data=p256))


def test_wrong_curve_in_mixed_containers(openssl_sm2: dict[str, bytes]) -> None:
    d, pub = openssl_sm2["d"], openssl_sm2["pub"]
    with pytest.raises(UnsupportedAlgorithmError):  # SM2 outside, P-256 inside
        keys.decode_private_key(pkcs8(sec1(d, pub, params=OID_P256)))
    with pytest.raises(UnsupportedAlgorithmError):  # the SM2 algorithm OID with P-256 parameters
        keys.decode_private_key(pkcs8(sec1(d, pub), OID_SM2 + OID_P256))
    with pytest.raises(UnsupportedAlgorithmError):  # id-ecPublicKey with no curve
        keys.decode_public_key(spki(pub, OID_EC))
    with pytest.raises(UnsupportedAlgorithmError):  # implicitCA
        keys.decode_public_key(spki(pub, OID_EC + NULL))
    params = pem("EC PARAMETERS", OID_P256)
    with pytest.raises(UnsupportedAlgorithmError):
        keys.decode_private_key(params + openssl_sm2["pem"])


def test_wrong_and_missing_password(openssl_sm2: dict[str, bytes]) -> None:
    d = openssl_sm2["d"]
    encrypted = keys.encode_private_key(d, openssl_sm2["pub"], "PEM", password=b"right", iterations=1_000)
    with pytest.raises(DecryptionError, match="^wrong password or corrupted key$") as exc:
        keys.decode_private_key(encrypted, password=b"wrong")
    no_secret(exc, d)
    with pytest.raises(DecodeError, match="password is needed"):
        keys.decode_private_key(encrypted)
    der = keys.encode_private_key(d, None, "DER", password="right", iterations=1_000)
    with pytest.raises(DecodeError, match="password is needed"):
        keys.decode_private_key(der)
    # A password given for an unencrypted key is ignored, as OpenSSL does.
    assert keys.decode_private_key(openssl_sm2["pem"], password="unused") == (d, openssl_sm2["pub"])


def test_unsupported_encryption(openssl: str, openssl_sm2: dict[str, bytes]) -> None:
    legacy = run(openssl, "ec", "-aes256", "-passout", "pass:pw", data=openssl_sm2["pem"])
    assert b"Proc-Type: 4,ENCRYPTED" in legacy
    with pytest.raises(UnsupportedAlgorithmError, match="openssl pkcs8 -topk8"):
        keys.decode_private_key(legacy, password="pw")
    pbes1 = run(openssl, "pkcs8", "-topk8", "-v1", "PBE-SHA1-3DES", "-passout", "pass:pw", data=openssl_sm2["pem"])
    with pytest.raises(UnsupportedAlgorithmError, match="only PBES2"):
        keys.decode_private_key(pbes1, password="pw")


def test_bad_pem(openssl_sm2: dict[str, bytes]) -> None:
    text = openssl_sm2["pem"]
    body_start = text.index(b"\n") + 1
    with pytest.raises(DecodeError, match="base64"):
        keys.decode_private_key(text[:body_start] + b"!" + text[body_start + 1 :])
    with pytest.raises(DecodeError, match="base64"):
        keys.decode_private_key(text.replace(b"=\n-----END", b"\n-----END").replace(b"\n-----END", b"A\n-----END"))
    with pytest.raises(DecodeError, match="END"):
        keys.decode_private_key(text.split(b"-----END")[0])
    with pytest.raises(DecodeError, match="END"):
        keys.decode_private_key(text.replace(b"END PRIVATE KEY", b"END PUBLIC KEY"))
    with pytest.raises(DecodeError, match="no matching BEGIN"):
        keys.decode_private_key(b"-----END PRIVATE KEY-----\n" + text)
    with pytest.raises(DecodeError, match="no matching END"):
        keys.decode_private_key(text.replace(b"-----END PRIVATE KEY-----", b"") + text)
    with pytest.raises(DecodeError, match="2 private keys"):
        keys.decode_private_key(text + text)
    with pytest.raises(DecodeError, match="no private key"):
        keys.decode_private_key(b"-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n")
    with pytest.raises(DecodeError, match="public key"):
        keys.decode_private_key(openssl_sm2["pub_pem"])
    with pytest.raises(DecodeError, match="private key"):
        keys.decode_public_key(openssl_sm2["pem"])
    with pytest.raises(DecodeError, match="private key"):
        keys.decode_public_key(openssl_sm2["der"])


def test_certificates_are_refused(openssl: str, openssl_sm2: dict[str, bytes], tmp_path: Path) -> None:
    cert = run(openssl, "req", "-x509", "-new", "-key", str(tmp_path / "k.pem"), "-sm3", "-sigopt",
               "distid:1234567812345678", "-subj", "/CN=trustkit test", "-days", "1")
    cert_der = run(openssl, "x509", "-outform", "DER", data=cert)
    for data in (cert, cert_der):
        with pytest.raises(DecodeError, match="certificate"):
            keys.decode_public_key(data)
        with pytest.raises(DecodeError, match="certificate"):
            keys.decode_private_key(data)
    (tmp_path / "c.pem").write_bytes(cert)
    p12 = run(openssl, "pkcs12", "-export", "-inkey", str(tmp_path / "k.pem"), "-in", str(tmp_path / "c.pem"),
              "-passout", "pass:pw")
    with pytest.raises(DecodeError, match="PKCS#12"):
        keys.decode_private_key(p12, password="pw")


def test_hostile_input_is_rejected_quickly() -> None:
    import time

    unpaired = (b"-----END A-----\n" * 30_000 + b"-----BEGIN A-----\n" * 30_000)[: 1 << 20]
    nested = b"\x05\x00"
    for _ in range(5_000):
        nested = tlv(0x30, nested)
    deep_private = pkcs8(sec1(b"\x01" * 32), OID_SM2 + nested)
    deep_public = spki(b"\x04" + b"\x01" * 64, OID_SM2 + nested)
    started = time.monotonic()
    for function, data in ((keys.decode_private_key, unpaired), (keys.decode_public_key, unpaired),
                           (keys.decode_private_key, deep_private), (keys.decode_public_key, deep_public)):
        with pytest.raises(DecodeError):
            function(data)
    assert time.monotonic() - started < 5  # a lazy BEGIN.*?END regex took over a minute here


def test_oversize_and_empty_input() -> None:
    for function in (keys.decode_private_key, keys.decode_public_key):
        with pytest.raises(DecodeError, match="1 MiB"):
            function(b"A" * ((1 << 20) + 1))
        with pytest.raises(DecodeError, match="1 MiB"):
            function(b"-----BEGIN PRIVATE KEY-----\n" + b"A" * (1 << 20))
        with pytest.raises(DecodeError, match="empty"):
            function(b"")


@pytest.mark.parametrize("d", [0, N, N + 1, (1 << 256) - 1])
def test_private_scalar_out_of_range(openssl_sm2: dict[str, bytes], d: int) -> None:
    scalar = d.to_bytes(32, "big")
    for data in (scalar, scalar.hex().encode(), sec1(scalar, params=OID_SM2), pkcs8(sec1(scalar, openssl_sm2["pub"])),
                 pem("PRIVATE KEY", pkcs8(sec1(scalar)))):
        with pytest.raises(InvalidKeyError, match="out of range") as exc:
            keys.decode_private_key(data)
        no_secret(exc, scalar)
    with pytest.raises(InvalidKeyError):
        keys.encode_private_key(scalar, None, "DER")


def test_private_scalar_wrong_length() -> None:
    with pytest.raises(DecodeError, match="33 bytes"):
        keys.decode_private_key(sec1(b"\x01" * 33, params=OID_SM2))
    for text in (b"ab" * 31, b"ab" * 33, b"0x" + b"ab" * 16):
        with pytest.raises(DecodeError, match="64 hex digits"):
            keys.decode_private_key(text)
    for junk in (b"\x01" * 31, b"\x01" * 40, b"not a key at all"):
        with pytest.raises(DecodeError):
            keys.decode_private_key(junk)


def test_bad_public_points(openssl_sm2: dict[str, bytes]) -> None:
    pub = openssl_sm2["pub"]
    x, y = pub[1:33], pub[33:]
    p_bytes = P.to_bytes(32, "big")
    for point in (pub[:40], b"\x00"):  # no point length at all: malformed input
        with pytest.raises(DecodeError):
            keys.decode_public_key(point)
    for point in (b"\x05" + x, b"\x04" + x, b"\x02" + x + y, b"\x06" + x + y, b"\x07" + x + y):
        with pytest.raises(InvalidKeyError, match="must start with"):  # a point's length, but no valid prefix
            keys.decode_public_key(point)
    for point in (b"\x04" + p_bytes + y, b"\x04" + x + p_bytes, b"\x04" + x + (b"\xff" * 32), b"\x02" + p_bytes,
                  b"\x03" + b"\xff" * 32, p_bytes + y):
        with pytest.raises(InvalidKeyError, match="below the field prime"):
            keys.decode_public_key(point)
    with pytest.raises(InvalidKeyError):
        keys.decode_public_key(spki(b"\x04" + x + p_bytes))
    with pytest.raises(InvalidKeyError):
        keys.decode_public_key(spki(b"\x05" + x))
    with pytest.raises(DecodeError):
        keys.decode_public_key(tlv(0x30, tlv(0x30, OID_EC + OID_SM2) + tlv(0x03, b"\x01" + pub)))  # unused bits
    with pytest.raises(InvalidKeyError):  # also inside a private key
        keys.decode_private_key(sec1(openssl_sm2["d"], b"\x04" + p_bytes + y, params=OID_SM2))
    with pytest.raises(InvalidKeyError):
        keys.decode_private_key(sec1(openssl_sm2["d"], b"\x05" + x, params=OID_SM2))
    with pytest.raises(DecodeError, match="hex digits"):
        keys.decode_public_key(pub.hex().encode()[:-4])


def test_wrong_types() -> None:
    d = (12345).to_bytes(32, "big")
    with pytest.raises(TypeError):
        keys.decode_private_key("00" * 32)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        keys.decode_private_key(d, password=1234)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        keys.decode_public_key(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        keys.encode_private_key(int.from_bytes(d, "big"), None, "DER")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        keys.encode_private_key(d, "04", "DER")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        keys.encode_private_key(d, None, b"DER")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        keys.encode_private_key(d, None, "DER", password="pw", iterations="1000")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        keys.encode_private_key(d, None, "DER", password="pw", iterations=True)
    with pytest.raises(TypeError):
        keys.encode_public_key("04", "PEM")  # type: ignore[arg-type]


def test_bad_encode_arguments(openssl_sm2: dict[str, bytes]) -> None:
    d, pub = openssl_sm2["d"], openssl_sm2["pub"]
    with pytest.raises(ValueError, match="raw private key cannot be encrypted"):
        keys.encode_private_key(d, pub, "raw", password="pw")
    for encoding in ("pem", "PKCS8", "compressed"):
        with pytest.raises(ValueError, match="encoding"):
            keys.encode_private_key(d, pub, encoding)
    with pytest.raises(ValueError, match="cipher"):
        keys.encode_private_key(d, pub, "PEM", password="pw", cipher="des-ede3-cbc")
    for iterations in (999, 10_000_001):
        with pytest.raises(ValueError, match="iterations"):
            keys.encode_private_key(d, pub, "PEM", password="pw", iterations=iterations)
    with pytest.raises(ValueError, match="empty"):
        keys.encode_private_key(d, pub, "PEM", password="")
    with pytest.raises(ValueError, match="32 bytes"):
        keys.encode_private_key(d[1:], pub, "PEM")
    with pytest.raises(DecodeError):
        keys.encode_private_key(d, pub[:-1], "PEM")
    compressed = keys.encode_public_key(pub, "compressed")
    with pytest.raises(ValueError, match="65-byte"):
        keys.encode_public_key(compressed, "compressed")
    with pytest.raises(ValueError, match="encoding"):
        keys.encode_public_key(pub, "hex")
    with pytest.raises(InvalidKeyError):
        keys.encode_public_key(b"\x04" + P.to_bytes(32, "big") + pub[33:], "DER")
    # A compressed point may be embedded in a private key, as `openssl ec -conv_form compressed` does.
    assert keys.decode_private_key(keys.encode_private_key(d, compressed, "DER")) == (d, compressed)


# ---- the same files through the sm2 API ------------------------------------------------------------


def test_sm2_api_loads_real_files(openssl: str) -> None:
    from trustkit import sm2

    for name in PRIVATE_FILES:
        data = vector_path("keys", name).read_bytes()
        d, pub = openssl_key(openssl, data, *(["-inform", "DER"] if name.endswith(".der") else []))
        key = sm2.load_private_key(data)
        assert key.private_bytes("raw") == d
        assert key.public_key().public_bytes("raw") == pub
    for name in PUBLIC_FILES:
        data = vector_path("keys", name).read_bytes()
        assert sm2.load_public_key(data).public_bytes("DER" if name.endswith(".der") else "PEM") == data
    gmssl = sm2.load_private_key(vector_path("keys", "gmssl_pbes2_sm4_pw1234.pem").read_bytes(), password="1234")
    again = gmssl.private_bytes("PEM", password=b"1234", cipher="sm4-cbc")
    assert sm2.load_private_key(again, password=b"1234").public_key() == gmssl.public_key()


def test_sm2_api_openssl_round_trip(openssl: str, openssl_sm2: dict[str, bytes]) -> None:
    from trustkit import sm2

    key = sm2.load_private_key(openssl_sm2["pem"])
    assert key.private_bytes("PEM") == openssl_sm2["pem"]
    assert key.public_key().public_bytes("PEM") == openssl_sm2["pub_pem"]
    assert run(openssl, "pkey", "-passin", "pass:s3cret", data=key.private_bytes("PEM", password=b"s3cret")) \
        == openssl_sm2["pem"]


def test_sm2_api_refuses_mismatched_embedded_public_key() -> None:
    from trustkit import sm2

    a, b = sm2.generate_private_key(), sm2.generate_private_key()
    forged = a.private_bytes("DER").replace(a.public_key().public_bytes("raw"), b.public_key().public_bytes("raw"))
    with pytest.raises(InvalidKeyError):
        sm2.load_private_key(forged)


def test_sm2_api_private_keys_are_not_picklable() -> None:
    import pickle

    from trustkit import sm2

    with pytest.raises(TypeError):
        pickle.dumps(sm2.generate_private_key())
    assert "PrivateKey" in repr(sm2.generate_private_key())
