"""SES seals and seal signatures: real vendor files, making, tampering, vendor variations, hostile input.

Real files are in vectors/seal/ (ledger: vectors/seal/SOURCES.md).  Interop:
- ``openssl asn1parse -inform DER -i`` (OpenSSL 3) parses every structure we write, with the
  expected nesting depth; its offsets locate the signed byte ranges for the independent checks;
- gmssl 3.2.2 ``CryptSM2.verify_with_sm3`` (default ID 1234567812345678, raw r||s hex) and
  tongsuopy ``ECDSA(SM3)`` on an SM2 key (Z with the default ID) re-verify the maker signature
  over DER(SES_SealInfo) (v4) / DER SEQUENCE{SealInfo, cert, alg} (v1) and the signer signature
  over DER(TBS_Sign), using byte ranges cut by OpenSSL's offsets, never by trustkit's parser.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import core
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pki_helpers import NOW, make_chain, sm2_chain

from trustkit.asn1 import ses as asn1_ses
from trustkit.errors import DecodeError, InvalidSignature, TrustkitError
from trustkit.pki.algorithms import sign
from trustkit.pki.validation import ValidationContext
from trustkit.primitives import sm2, sm3
from trustkit.seal.ses import (
    MAX_SEAL_BYTES,
    ExtData,
    SealPictureInfo,
    make_seal,
    parse_seal,
    parse_seal_signature,
    save_seal,
    sign_seal_signature,
    validate_seal,
    validate_seal_signature,
    verify_seal,
    verify_seal_signature,
)

SEALS = Path(__file__).resolve().parent.parent / "vectors" / "seal"
OFDRW = SEALS / "ofdrw"
KEYWORD = SEALS / "tongzhi" / "keyword"
PICTURE = (b"\x89PNG\r\n\x1a\n" + bytes(range(64)), "PNG", 40, 40)
PROPERTY = "/Doc_0/Signs/Sign_0/Signature.xml"
DATA_HASH = sm3.hash(b"<ofd:Signature/>")


def _read(path: Path) -> bytes:
    return path.read_bytes()


@pytest.fixture(scope="module")
def pki() -> Any:
    """Signer chain (sm2_chain) and a separate maker chain under another root."""
    return sm2_chain(), make_chain(), make_chain()


def _make(pki: Any, version: int = 4, **overrides: Any) -> bytes:
    signer, maker, _ = pki
    args: dict[str, Any] = dict(
        esid="ES-0001",
        name="trustkit Seal A 合同专用章",
        seal_type=1,
        signer_certificates=[signer.leaf],
        valid_from=NOW - timedelta(days=1),
        valid_to=NOW + timedelta(days=365),
        picture=PICTURE,
        maker_certificate=maker.leaf,
        maker_key=maker.leaf_key,
        created=NOW - timedelta(days=1),
    )
    args.update(overrides)
    return make_seal(version, **args)


def _stamp(pki: Any, seal: bytes, **overrides: Any) -> bytes:
    signer = pki[0]
    args: dict[str, Any] = dict(
        data_hash=DATA_HASH, property_info=PROPERTY, signer_key=signer.leaf_key,
        signer_certificate=signer.leaf, time=NOW,
    )
    args.update(overrides)
    return sign_seal_signature(seal, **args)


# ---- real files --------------------------------------------------------------------------------

REAL_SEALS = [
    ("UserV1.esl", 1, 1, "OFDRW测试用印章"),
    ("UserV4.esl", 4, 4, "OFD R&W 测试用印章"),
    ("UserV5.esl", 5, 5, "OFD R&W V5测试用印章"),
]


@pytest.mark.parametrize(("name", "version", "header_version", "seal_name"), REAL_SEALS)
def test_real_seal_parses_and_maker_signature_verifies(name: str, version: int, header_version: int, seal_name: str) -> None:
    seal = parse_seal(_read(OFDRW / name))
    assert (seal.version, seal.header_version, seal.name) == (version, header_version, seal_name)
    assert seal.cert_list_type == 1 and len(seal.signer_certificates) == 1
    assert seal.picture.type == "PNG" and seal.picture.data.startswith(b"\x89PNG")
    assert (seal.picture.width_mm, seal.picture.height_mm) == (40, 40)
    assert seal.warnings == ()
    inside = seal.valid_start + timedelta(days=1)
    assert verify_seal(seal, at=inside).valid
    expired = validate_seal(seal, at=seal.valid_end + timedelta(seconds=1))
    assert expired.maker_signature_valid and expired.codes == ("seal_expired",)
    assert validate_seal(seal, at=seal.valid_start - timedelta(seconds=1)).codes == ("seal_not_yet_valid",)


def test_v1_maker_signed_the_v1_range_not_seal_info() -> None:
    """GM/T 0031-2014: the maker signature covers SEQUENCE{SealInfo, cert, alg}, not SealInfo alone."""
    seal = parse_seal(_read(OFDRW / "UserV1.esl"))
    assert seal.signed_bytes != seal.seal_info_der and seal.signed_bytes[4:].startswith(seal.seal_info_der)
    assert not validate_seal(replace(seal, signed_bytes=seal.seal_info_der), at=seal.valid_start).maker_signature_valid


REAL_SIGNATURES = [
    # (folder, data hash matches its Signature.xml, expected failure codes at the signing time)
    ("SESV4SignDoc", True, ("seal_expired",)),  # stamped 2026-08-04 with a seal that ended 2022-04-22
    ("V4RideRight", True, ()),
    ("allprotected", True, ()),
]


@pytest.mark.parametrize(("folder", "hash_ok", "codes"), REAL_SIGNATURES)
def test_real_ofd_seal_signatures_verify(folder: str, hash_ok: bool, codes: tuple[str, ...]) -> None:
    base = OFDRW / folder
    sig = parse_seal_signature(_read(base / "SignedValue.dat"))
    assert sig.version == 4 and sig.tbs_version == 4 and sig.property_info == PROPERTY
    assert sig.seal.der == _read(base / "Seal.esl") == _read(OFDRW / "UserV4.esl")
    assert sig.signer_certificate in sig.seal.signer_certificates
    report = verify_seal_signature(sig, data_hash=sm3.hash(_read(base / "Signature.xml")))
    assert report.signer_signature_valid and report.seal.maker_signature_valid and report.signer_in_seal
    assert report.checked_at == sig.time_info
    assert report.codes == codes and report.valid is (not codes)


def test_standalone_signed_value_v4() -> None:
    """Both signatures verify; the dataHash is known not to match the Signature.xml beside it."""
    data = _read(OFDRW / "SignedValueV4.dat")
    sig = parse_seal_signature(data)
    assert sig.time_info == datetime(2020, 10, 12, 11, 14, 3, tzinfo=timezone.utc)
    mismatch = validate_seal_signature(data, data_hash=sm3.hash(_read(OFDRW / "SignedValueV4.Signature.xml")))
    assert mismatch.codes == ("data_hash_mismatch",) and mismatch.signer_signature_valid
    with pytest.raises(InvalidSignature):
        verify_seal_signature(data, data_hash=sm3.hash(_read(OFDRW / "SignedValueV4.Signature.xml")))
    assert verify_seal_signature(data, data_hash=sig.data_hash).valid


def test_tongzhi_keyword_raw_rs_signature_verifies() -> None:
    """Another vendor: raw r||s signer signature, EXPLICIT [0] extDatas, certificates whose issuer
    holds x500UniqueIdentifier as a UTF8String."""
    sig = parse_seal_signature(_read(KEYWORD / "SignedValue.dat"))
    assert sig.seal.der == _read(KEYWORD / "Seal.esl") and sig.seal.vendor_id == "SHANDONG.TONGZHIWEIYE"
    assert len(sig.signature) == 64 and any("raw 64-byte" in w for w in sig.warnings)
    assert [(e.oid, e.critical) for e in sig.ext_datas] == [("1.3.6.1.5.5.7.1.4", True)]  # EXPLICIT [0]
    report = verify_seal_signature(sig, data_hash=sm3.hash(_read(KEYWORD / "Signature.xml")))
    assert report.valid and report.codes == ()


def test_cms_in_place_of_ses_signature_is_named() -> None:
    content_info = _seq(core.ObjectIdentifier("1.2.156.10197.6.1.4.2.2").dump(), b"\xa0\x00")
    with pytest.raises(DecodeError, match="CMS ContentInfo"):
        parse_seal_signature(content_info)


# ---- making ------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [4, 1])
def test_make_round_trip(pki: Any, version: int) -> None:
    signer, maker, _ = pki
    ext = ExtData("1.2.156.10197.6.7.2.2.1", False, b"2.1")
    der = _make(pki, version, ext_datas=[ext])
    seal = parse_seal(der)
    assert (seal.version, seal.header_version, seal.esid, seal.seal_type) == (version, version, "ES-0001", 1)
    assert seal.name == "trustkit Seal A 合同专用章" and seal.vendor_id == "trustkit"
    assert seal.signer_certificates == (signer.leaf,) and seal.maker_certificate == maker.leaf
    assert (seal.valid_start, seal.valid_end) == (NOW - timedelta(days=1), NOW + timedelta(days=365))
    assert seal.picture == SealPictureInfo("PNG", PICTURE[0], 40, 40)
    assert seal.ext_datas == (ext,) and seal.warnings == ()
    assert verify_seal(der, at=NOW).valid
    sig_der = _stamp(pki, der)
    sig = parse_seal_signature(sig_der)
    assert sig.seal == seal and sig.time_info == NOW and sig.data_hash == DATA_HASH
    report = verify_seal_signature(sig_der, data_hash=DATA_HASH)
    assert report.valid and report.checked_at == NOW, report.codes


def test_make_with_certificate_digests_and_timestamp(pki: Any) -> None:
    der = _make(pki, cert_list_type=2)
    seal = parse_seal(der)
    assert seal.cert_list_type == 2 and seal.signer_certificates == ()
    assert seal.signer_certificate_digests[0].type == "SM3"
    assert seal.signer_certificate_digests[0].value == pki[0].leaf.fingerprint("sm3")
    seen: list[bytes] = []

    def tsa(value: bytes) -> bytes:
        seen.append(value)
        return b"\x30\x03\x02\x01\x01"

    sig = parse_seal_signature(_stamp(pki, der, timestamp_token=tsa, ext_datas=[ExtData("1.2.3.4", True, b"x")]))
    assert sig.timestamp_token == b"\x30\x03\x02\x01\x01" and seen == [sig.signature]
    assert sig.ext_datas == (ExtData("1.2.3.4", True, b"x"),) and sig.warnings == ()
    assert verify_seal_signature(sig, data_hash=DATA_HASH).signer_in_seal


def test_make_rejects_bad_arguments(pki: Any) -> None:
    signer, maker, other = pki
    with pytest.raises(ValueError, match="does not belong"):
        _make(pki, maker_key=other.leaf_key)
    with pytest.raises(ValueError, match="after valid_from"):
        _make(pki, valid_to=NOW - timedelta(days=2))
    with pytest.raises(ValueError, match="ASCII"):
        _make(pki, esid="印章")
    with pytest.raises(ValueError, match="at least one"):
        _make(pki, signer_certificates=[])
    with pytest.raises(ValueError, match="timezone-aware"):
        _make(pki, valid_from=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="1950..2049"):
        _make(pki, 1, valid_to=datetime(2050, 1, 1, tzinfo=timezone.utc))
    with pytest.raises(ValueError, match="version"):
        _make(pki, 3)
    with pytest.raises(TypeError):
        _make(pki, picture=("PNG", b"x", 1, 1))
    seal = _make(pki)
    with pytest.raises(ValueError, match="not in the seal"):
        sign_seal_signature(seal, data_hash=DATA_HASH, property_info=PROPERTY,
                            signer_key=other.leaf_key, signer_certificate=other.leaf)
    with pytest.raises(ValueError, match="cannot embed"):
        _stamp(pki, seal, version=1)


def test_picture_from_checked_picture() -> None:
    class Picture:
        kind = "png"
        data = b"\x89PNG"
        width_mm = 41.6
        height_mm = None

    info = SealPictureInfo.from_picture(Picture(), height_mm=40)
    assert info == SealPictureInfo("PNG", b"\x89PNG", 42, 40)
    with pytest.raises(ValueError, match="physical size"):
        SealPictureInfo.from_picture(Picture())


def test_seal_with_generated_image(pki: Any) -> None:
    """A seal made with a picture from trustkit.seal.image keeps its physical size in mm."""
    image = pytest.importorskip("trustkit.seal.image")
    picture = SealPictureInfo.from_image(image.round_seal("某某市某某局", seal_name="合同专用章"), dpi=100)
    assert (picture.type, picture.width_mm, picture.height_mm) == ("PNG", 42, 42)
    assert SealPictureInfo.from_picture(image.load_seal_picture(picture.data)) == picture
    seal = parse_seal(_make(pki, picture=picture))
    assert seal.picture == picture and verify_seal(seal, at=NOW).valid


def test_save_seal(tmp_path: Path, pki: Any) -> None:
    der = _make(pki)
    target = tmp_path / "seal.esl"
    save_seal(target, der)
    assert target.read_bytes() == der
    with pytest.raises(FileExistsError):
        save_seal(target, der)
    with pytest.raises(DecodeError):
        save_seal(tmp_path / "bad.esl", der[:-1])


# ---- tampering and policy ----------------------------------------------------------------------


def _flip(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) == 1 and len(old) == len(new)
    return data.replace(old, new)


@pytest.mark.parametrize("version", [4, 1])
@pytest.mark.parametrize("what", ["picture", "name", "validity", "signature"])
def test_tampered_seal_fails(pki: Any, version: int, what: str) -> None:
    der = _make(pki, version)
    seal = parse_seal(der)
    if what == "picture":
        bad = _flip(der, PICTURE[0][-8:], bytes(8))
    elif what == "name":
        bad = _flip(der, b"Seal A", b"Seal B")
    elif what == "validity":
        end = seal.valid_end.strftime("%Y%m%d%H%M%S" if version == 4 else "%y%m%d%H%M%S").encode()
        bad = _flip(der, end, end[:-1] + b"1")
    else:
        bad = der[:-1] + bytes([der[-1] ^ 1])
    assert validate_seal(bad, at=NOW).codes == ("maker_signature_invalid",)
    with pytest.raises(InvalidSignature):
        verify_seal(bad, at=NOW)
    sig = _stamp(pki, der)
    with pytest.raises(InvalidSignature):  # the signer signature covers the embedded seal
        verify_seal_signature(sig.replace(der, bad), data_hash=DATA_HASH)


def test_tampered_signature_and_hash(pki: Any) -> None:
    sig = _stamp(pki, _make(pki))
    flipped = sig[:-1] + bytes([sig[-1] ^ 1])
    assert validate_seal_signature(flipped, data_hash=DATA_HASH).codes == ("signer_signature_invalid",)
    with pytest.raises(InvalidSignature):
        verify_seal_signature(flipped, data_hash=DATA_HASH)
    other_hash = sm3.hash(b"other")
    assert validate_seal_signature(sig, data_hash=other_hash).codes == ("data_hash_mismatch",)
    with pytest.raises(InvalidSignature):
        verify_seal_signature(sig, data_hash=other_hash)


def test_expired_seal_at_signing_time(pki: Any) -> None:
    der = _make(pki, valid_from=NOW - timedelta(days=30), valid_to=NOW - timedelta(days=1))
    assert validate_seal(der, at=NOW).codes == ("seal_expired",)
    report = verify_seal_signature(_stamp(pki, der), data_hash=DATA_HASH)
    assert not report.valid and report.codes == ("seal_expired",)
    assert verify_seal_signature(_stamp(pki, der), data_hash=DATA_HASH, at=NOW - timedelta(days=2)).valid


def _forge_v4(pki: Any, seal_der: bytes, signer: Any) -> bytes:
    """A v4 SES_Signature by a signer the seal does not list (bypassing sign_seal_signature's check)."""
    tbs = asn1_ses.TBSSignV4({
        "version": 4, "eseal": asn1_ses.SESealV4.load(seal_der),
        "time_info": asn1_ses.SESTime(name="generalized_time", value=NOW),
        "data_hash": DATA_HASH, "property_info": PROPERTY,
    })
    value = sign(signer.leaf_key, tbs.dump())
    return bytes(asn1_ses.SESSignatureV4({
        "to_sign": tbs, "cert": signer.leaf.der, "signature_alg_id": "1.2.156.10197.1.501", "signature": value,
    }).dump())


def test_signer_not_in_seal_list(pki: Any) -> None:
    for cert_list_type in (1, 2):
        forged = _forge_v4(pki, _make(pki, cert_list_type=cert_list_type), pki[2])
        report = verify_seal_signature(forged, data_hash=DATA_HASH)  # signatures fine, policy not
        assert report.codes == ("signer_not_in_seal",) and not report.signer_in_seal


def test_chain_reports(pki: Any) -> None:
    signer, maker, _ = pki
    sig = _stamp(pki, _make(pki))
    both = ValidationContext([signer.root, maker.root], intermediates=[signer.intermediate, maker.intermediate])
    report = verify_seal_signature(sig, data_hash=DATA_HASH, context=both)
    assert report.valid and report.chain is not None and report.chain.valid
    assert report.seal.chain is not None and report.seal.chain.path[-1] == maker.root
    only_signer = ValidationContext([signer.root], intermediates=[signer.intermediate])
    codes = verify_seal_signature(sig, data_hash=DATA_HASH, context=only_signer).codes
    assert codes == ("maker_chain_invalid",)
    assert verify_seal_signature(sig, data_hash=DATA_HASH).to_dict()["valid"] is True


# ---- vendor variations (built by hand from our own seals) --------------------------------------


class _AnyInfoSeal(core.Sequence):  # type: ignore[misc]
    """SESeal v4 whose SES_SealInfo may be any (variant) structure."""

    _fields = [("eseal_info", core.Any), *asn1_ses.SESealV4._fields[1:4]]


def _resign_seal(pki: Any, info: Any, signature_value: bytes) -> bytes:
    maker = pki[1]
    return bytes(_AnyInfoSeal({
        "eseal_info": core.Any.load(info.dump()), "cert": maker.leaf.der, "sign_alg_id": "1.2.156.10197.1.501",
        "signed_value": signature_value,
    }).dump())


class _OctetSeal(core.Sequence):  # type: ignore[misc]
    """SESeal v4 with the signature in an OCTET STRING (a vendor variation)."""

    _fields = [("eseal_info", core.Any), ("cert", core.OctetString), ("sign_alg_id", core.ObjectIdentifier),
               ("signed_value", core.OctetString)]


def test_raw_rs_octet_string_and_leading_zero(pki: Any) -> None:
    maker = pki[1]
    info = asn1_ses.SESealV4.load(_make(pki))["eseal_info"]
    info_der = info.dump()
    raw = maker.leaf_key.sign(info_der, encoding="raw")
    seal = parse_seal(_resign_seal(pki, info, raw))
    assert any("raw 64-byte" in w for w in seal.warnings) and verify_seal(seal, at=NOW).valid
    octet = _OctetSeal({"eseal_info": core.Any.load(info_der), "cert": maker.leaf.der,
                        "sign_alg_id": "1.2.156.10197.1.501", "signed_value": sign(maker.leaf_key, info_der)}).dump()
    parsed = parse_seal(octet)
    assert any("OCTET STRING" in w for w in parsed.warnings) and verify_seal(parsed, at=NOW).valid
    # DER INTEGERs with a superfluous leading zero: still verified, with a warning
    while raw[0] >= 0x80 or raw[32] >= 0x80:
        raw = maker.leaf_key.sign(info_der, encoding="raw")
    padded = b"\x02\x21\x00" + raw[:32] + b"\x02\x21\x00" + raw[32:]
    lenient = parse_seal(_resign_seal(pki, info, b"\x30" + bytes([len(padded)]) + padded))
    assert any("not canonical" in w for w in lenient.warnings) and verify_seal(lenient, at=NOW).valid
    broken = parse_seal(_resign_seal(pki, info, b"\x30" + bytes([len(padded)]) + padded[:-1] + b"\x00"))
    with pytest.raises(InvalidSignature):
        verify_seal(broken, at=NOW)


def _signature_variant(tagging: dict[str, int]) -> tuple[type, type]:
    class TBS(core.Sequence):  # type: ignore[misc]
        _fields = [*asn1_ses.TBSSignV4._fields[:-1], ("ext_datas", asn1_ses.ExtensionDatas, {"optional": True, **tagging})]

    class Signature(core.Sequence):  # type: ignore[misc]
        _fields = [("to_sign", TBS), *asn1_ses.SESSignatureV4._fields[1:]]

    return TBS, Signature


@pytest.mark.parametrize(("tagging", "note"), [({"implicit": 0}, "IMPLICIT [0]"), ({}, "untagged")])
def test_tbs_ext_datas_tagging_variants(pki: Any, tagging: dict[str, int], note: str) -> None:
    signer = pki[0]
    tbs_cls, sig_cls = _signature_variant(tagging)
    tbs = tbs_cls({
        "version": 4, "eseal": asn1_ses.SESealV4.load(_make(pki)),
        "time_info": asn1_ses.SESTime(name="generalized_time", value=NOW), "data_hash": DATA_HASH,
        "property_info": PROPERTY,
        "ext_datas": [{"extn_id": "1.2.3.4", "extn_value": b"v"}],  # critical omitted (DER DEFAULT FALSE)
    })
    der = sig_cls({"to_sign": tbs, "cert": signer.leaf.der, "signature_alg_id": "1.2.156.10197.1.501",
                   "signature": sign(signer.leaf_key, tbs.dump())}).dump()
    parsed = parse_seal_signature(der)
    assert parsed.ext_datas == (ExtData("1.2.3.4", False, b"v"),)
    assert any(note in w for w in parsed.warnings), parsed.warnings
    assert verify_seal_signature(parsed, data_hash=DATA_HASH).valid


class _LongHeader(core.Sequence):  # type: ignore[misc]
    _fields = [*asn1_ses.SESHeader._fields, ("extra", core.IA5String)]


class _LongHeaderInfo(core.Sequence):  # type: ignore[misc]
    _fields = [("header", _LongHeader), *asn1_ses.SESSealInfoV4._fields[1:]]


def test_extra_header_elements(pki: Any) -> None:
    info = asn1_ses.SESealV4.load(_make(pki))["eseal_info"]
    long_info = _LongHeaderInfo.load(info.dump())
    long_info = _LongHeaderInfo({
        "header": {"id": "ES", "version": 4, "vid": "x", "extra": "vendor"},
        **{name: long_info[name] for name, *_ in asn1_ses.SESSealInfoV4._fields[1:4]},
    })
    seal = parse_seal(_resign_seal(pki, long_info, sign(pki[1].leaf_key, long_info.dump())))
    assert any("extra element" in w for w in seal.warnings) and verify_seal(seal, at=NOW).valid


def test_v1_header_version_2_detected_by_structure(pki: Any) -> None:
    der = _make(pki, 1)
    seal = asn1_ses.SESealV1.load(der)
    info = asn1_ses.SESSealInfoV1.load(seal["eseal_info"].dump())
    info["header"] = {"id": "ES", "version": 2, "vid": "other"}
    maker = pki[1]
    rng = asn1_ses.SESSealSignRangeV1({"seal_info": info, "cert": maker.leaf.der,
                                       "signature_algorithm": "1.2.156.10197.1.501"})
    v2 = asn1_ses.SESealV1({"eseal_info": info, "sign_info": {
        "cert": maker.leaf.der, "signature_algorithm": "1.2.156.10197.1.501",
        "sign_data": sign(maker.leaf_key, rng.dump())}}).dump()
    parsed = parse_seal(v2)
    assert parsed.version == 1 and parsed.header_version == 2 and verify_seal(parsed, at=NOW).valid
    sig = _stamp(pki, v2)
    assert parse_seal_signature(sig).tbs_version == 2 and verify_seal_signature(sig, data_hash=DATA_HASH).valid


# ---- interop -----------------------------------------------------------------------------------


def _asn1parse(der: bytes, tmp_path: Path) -> list[tuple[int, int, int, int]]:
    """(offset, depth, header length, content length) per line of ``openssl asn1parse -inform DER -i``."""
    path = tmp_path / "x.der"
    path.write_bytes(der)
    out = subprocess.run(["openssl", "asn1parse", "-inform", "DER", "-i", "-in", str(path)],
                         capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        head = line.split(":", 1)[0].strip(), line.split("d=", 1)[1]
        depth = int(head[1].split()[0])
        hl = int(line.split("hl=", 1)[1].split()[0])
        length = int(line.split(" l=", 1)[1].split()[0])
        rows.append((int(head[0]), depth, hl, length))
    return rows


def _element(der: bytes, rows: list[tuple[int, int, int, int]], depth: int, index: int) -> bytes:
    offset, _, hl, length = [row for row in rows if row[1] == depth][index]
    return der[offset : offset + hl + length]


def _gmssl_verify(public_key: sm2.PublicKey, signature: bytes, data: bytes) -> bool:
    from gmssl import sm2 as gmssl_sm2

    verifier = gmssl_sm2.CryptSM2(private_key=None, public_key="00" * 64)
    verifier.public_key = public_key.public_bytes("raw")[1:].hex()
    raw = signature if len(signature) == 64 else sm2.decode_signature_der(signature)
    return bool(verifier.verify_with_sm3(raw.hex(), data))


def _tongsuo_verify(public_key: sm2.PublicKey, signature: bytes, data: bytes) -> bool:
    from tongsuopy.crypto import hashes
    from tongsuopy.crypto.asymciphers import ec
    from tongsuopy.crypto.exceptions import InvalidSignature as TongsuoInvalidSignature

    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SM2(), public_key.public_bytes("raw"))
    der = signature if len(signature) != 64 else sm2.encode_signature_der(signature)
    try:
        key.verify(der, data, ec.ECDSA(hashes.SM3()))
    except TongsuoInvalidSignature:
        return False
    return True


def _seq(*parts: bytes) -> bytes:
    """A DER SEQUENCE around ``parts`` (asn1crypto only computes the header here)."""
    return bytes(core.Sequence(contents=b"".join(parts)).dump())


@pytest.mark.interop
@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")
@pytest.mark.parametrize("version", [4, 1])
def test_independent_verification_of_our_seal(pki: Any, version: int, tmp_path: Path) -> None:
    """OpenSSL parses what we write (no error, expected depth); gmssl and tongsuopy verify both
    signatures over byte ranges cut at OpenSSL's offsets."""
    signer, maker, _ = pki
    der = _make(pki, version, ext_datas=[ExtData("1.2.3.4", False, b"x")])
    rows = _asn1parse(der, tmp_path)
    assert max(depth for _, depth, _, _ in rows) == 4  # SESeal > SealInfo > property > certList > cert
    top = [row for row in rows if row[1] == 1]
    assert len(top) == (4 if version == 4 else 2)
    info = _element(der, rows, 1, 0)
    if version == 4:
        signed, sig_el = info, _element(der, rows, 1, 3)
    else:
        sign_info = _element(der, rows, 1, 1)
        inner = _asn1parse(sign_info, tmp_path)
        signed = _seq(info, _element(sign_info, inner, 1, 0), _element(sign_info, inner, 1, 1))
        sig_el = _element(sign_info, inner, 1, 2)
    assert sig_el[0] == 0x03 and sig_el[2] == 0  # BIT STRING, short length, 0 unused bits
    value = sig_el[3:]
    key = maker.leaf.public_key
    assert isinstance(key, sm2.PublicKey)
    assert _gmssl_verify(key, value, signed) and _tongsuo_verify(key, value, signed)
    assert not _gmssl_verify(key, value, signed + b"\x00")
    # the signer signature over DER(TBS_Sign)
    sig_der = _stamp(pki, der)
    srows = _asn1parse(sig_der, tmp_path)
    tbs = _element(sig_der, srows, 1, 0)
    last = _element(sig_der, srows, 1, -1)
    signer_key = signer.leaf.public_key
    assert isinstance(signer_key, sm2.PublicKey)
    assert last[0] == 0x03 and last[2] == 0
    assert _tongsuo_verify(signer_key, last[3:], tbs) and _gmssl_verify(signer_key, last[3:], tbs)


@pytest.mark.interop
@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")
@pytest.mark.parametrize("name", ["UserV4.esl", "UserV5.esl"])
def test_gmssl_verifies_real_v4_maker_signature(name: str, tmp_path: Path) -> None:
    der = _read(OFDRW / name)
    rows = _asn1parse(der, tmp_path)
    info, sig_el = _element(der, rows, 1, 0), _element(der, rows, 1, 3)
    key = parse_seal(der).maker_certificate.public_key
    assert isinstance(key, sm2.PublicKey)
    assert _gmssl_verify(key, sig_el[3:], info)


# ---- hostile input -----------------------------------------------------------------------------


def test_hostile_inputs() -> None:
    good = _read(OFDRW / "UserV4.esl")
    cases = [
        b"", b"\x30", good[:-1], good + b"\x00", good[:100],
        b"\x30\x84\xff\xff\xff\xff" + good[6:],  # absurd length
        b"\x30\x80" + good[4:] + b"\x00\x00",  # indefinite length (BER)
        b"\x30\x83\x00\x42\x6f" + good[4:],  # non-minimal length
        b"\x30\x82\x00\x05" + b"\x30\x03" * 1,
        b"\x30\x7f" + b"\x30\x7d" * 63,  # deep nesting
        b"\x04\x02ab",
    ]
    nested = b"\x05\x00"
    for _ in range(2000):  # 2000 levels of SEQUENCE, each with a minimal DER length
        nested = bytes(core.Sequence(contents=nested).dump())
    cases.append(nested)
    cases.append(_seq(nested, *(bytes(core.OctetString(b"x").dump()) for _ in range(3))))
    for case in cases:
        with pytest.raises(DecodeError):
            parse_seal(case)
        with pytest.raises(DecodeError):
            parse_seal_signature(case)
    with pytest.raises(DecodeError, match="limit"):
        parse_seal(b"\x30" * (MAX_SEAL_BYTES + 1))
    with pytest.raises(TypeError):
        parse_seal("not bytes")  # type: ignore[arg-type]


_REAL_BLOBS = [_read(OFDRW / "UserV1.esl"), _read(OFDRW / "UserV4.esl"), _read(OFDRW / "SignedValueV4.dat")]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    blob=st.sampled_from(range(len(_REAL_BLOBS))),
    edits=st.lists(st.tuples(st.integers(min_value=0, max_value=17720), st.integers(0, 255)), min_size=1, max_size=4),
    cut=st.one_of(st.none(), st.integers(min_value=0, max_value=17720)),
)
def test_mutated_real_files_raise_only_trustkit_errors(blob: int, edits: list[tuple[int, int]], cut: int | None) -> None:
    data = bytearray(_REAL_BLOBS[blob])
    for position, value in edits:
        data[position % len(data)] = value
    mutated = bytes(data[:cut] if cut is not None else data)
    for func in (parse_seal, parse_seal_signature):
        try:
            parsed: Any = func(mutated)
        except TrustkitError:
            continue
        try:
            if func is parse_seal:
                validate_seal(parsed, at=NOW)
            else:
                validate_seal_signature(parsed, data_hash=DATA_HASH)
        except TrustkitError:
            pass
