"""Scan-to-show QR payloads: sign, render (zxing-cpp encodes), decode from the IMAGE with zbar (pyzbar, an
independent decoder) and zxing-cpp, verify; negative cases."""

from __future__ import annotations

import base64
import io
import json
import re
import zlib
from datetime import date, timedelta
from typing import Any

import cbor2
import pytest
import zxingcpp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from pki_helpers import NOW, make_chain, p256_chain, sm2_chain
from pyzbar import pyzbar
from test_licence_model import business_record, sample_record

from trustkit.errors import (
    DecodeError,
    InvalidSignature,
    TrustkitError,
    UnsupportedAlgorithmError,
)
from trustkit.licence.codes import LicenceIdentifier
from trustkit.licence.qr import (
    COSE_ALG_ES256,
    COSE_ALG_SM2,
    PREFIX,
    ExpiredQRError,
    TrustList,
    TrustListEntry,
    UntrustedIssuerError,
    b45decode,
    b45encode,
    kid_of,
    load_trust_list,
    make_qr_payload,
    make_trust_list,
    mask_code,
    mask_name,
    qr_png,
    qr_svg,
    verify_qr_payload,
)
from trustkit.licence.status import (
    StatusEntry,
    load_status_list,
    make_status_list,
    sign_json,
)
from trustkit.pki.signer import LocalSigner

ISSUER = "11220000013544541J"


def sm2_signer() -> LocalSigner:
    c = sm2_chain()
    return LocalSigner(c.leaf_key, c.leaf, (c.intermediate,))


def p256_signer() -> LocalSigner:
    c = p256_chain()
    return LocalSigner(c.leaf_key, c.leaf)


def anchor_signer() -> LocalSigner:
    c = sm2_chain()
    return LocalSigner(c.intermediate_key, c.intermediate)


def trust_list(*signers: LocalSigner, issuer_code: str = ISSUER, not_after: Any = None) -> TrustList:
    entries = [TrustListEntry.from_certificate(s.certificate, issuer_name="吉林省住房和城乡建设厅",
                                               issuer_code=issuer_code, not_after=not_after)
               for s in (signers or (sm2_signer(),))]
    data = make_trust_list(entries, anchor_signer(), sequence=1, issued_at=NOW)
    return load_trust_list(data, trust_anchor_certificate=sm2_chain().intermediate)


def unwrap(text: str) -> Any:
    """The COSE structure with a mutable contents list (cbor2 decodes tag contents as a tuple)."""
    tag = cbor2.loads(zlib.decompress(b45decode(text[len(PREFIX):])))
    return cbor2.CBORTag(tag.tag, list(tag.value))


def wrap(cose: Any) -> str:
    return PREFIX + b45encode(zlib.compress(cbor2.dumps(cose)))


# ---------------------------------------------------------------- Base45 (RFC 9285 §4.3 examples)


@pytest.mark.parametrize("raw, text", [(b"AB", "BB8"), (b"Hello!!", "%69 VD92EX0"), (b"base-45", "UJCLQE7W581"),
                                       (b"ietf!", "QED8WEX0"), (b"", "")])
def test_base45_rfc9285_examples(raw: bytes, text: str) -> None:
    assert b45encode(raw) == text
    assert b45decode(text) == raw


@pytest.mark.parametrize("text", ["GGW", "A", "ABCD", "abc", "ZZ"])  # GGW = 65536+, dangling, lower, >255
def test_base45_rejects(text: str) -> None:
    with pytest.raises(DecodeError):
        b45decode(text)


def test_base45_round_trip_all_lengths() -> None:
    data = bytes(range(256)) * 2
    for n in range(40):
        assert b45decode(b45encode(data[n:n + n])) == data[n:n + n]


# ---------------------------------------------------------------- round trips


def test_masking() -> None:
    assert mask_name("张三") == "张*" and mask_name("张小三") == "张*三" and mask_name("欧阳小明") == "欧**明"
    assert mask_code("11010519491231002X") == "110***********002X"


def test_static_round_trip() -> None:
    record = sample_record()
    text = make_qr_payload(record, sm2_signer(), now=NOW)
    assert text.startswith("TKL1:") and len(text) < 1000
    result = verify_qr_payload(text, trust_list(), now=NOW + timedelta(days=30))
    c = result.claims
    assert result.valid and c.mode == "static" and c.nonce is None
    assert c.identifier == record.identifier and c.issuer_code == ISSUER
    assert c.holder_name == "张*三" and c.holder_code == "110***********002X"
    assert c.holder_code_matches("11010519491231002X") and not c.holder_code_matches("110105194912310021")
    assert c.valid_to == date(2029, 5, 19) and c.status == "valid"
    assert c.issued_at == NOW and c.expires_at == NOW + timedelta(days=365)
    assert result.signer_certificates == (sm2_chain().leaf,)
    # the claims carry neither the full name nor the full ID number
    raw = zlib.decompress(b45decode(text[5:]))
    assert "张小三".encode() not in raw and b"11010519491231002X" not in raw


def test_organisation_holder_is_not_masked() -> None:
    record = business_record()
    c = verify_qr_payload(make_qr_payload(record, sm2_signer(), now=NOW), trust_list(), now=NOW).claims
    assert c.holder_name == record.holder_name and c.holder_code == record.holder_code and c.valid_to is None


def test_static_exp_is_capped_at_certificate_expiry() -> None:
    text = make_qr_payload(sample_record(), sm2_signer(), now=NOW, lifetime=timedelta(days=5000))
    assert verify_qr_payload(text, trust_list(), now=NOW).claims.expires_at == sm2_chain().leaf.not_after


def test_image_round_trip_with_independent_decoder(tmp_path: Any) -> None:
    """zxing-cpp-encoded PNG -> zbar reads the PIXELS -> text -> verify (zxing-cpp's reader agrees)."""
    text = make_qr_payload(sample_record(), sm2_signer(), now=NOW, show_minutes=5)
    png = qr_png(text, scale=4)
    (tmp_path / "licence-qr.png").write_bytes(png)
    image = Image.open(io.BytesIO(png))
    (zbar,) = pyzbar.decode(image.convert("L"), symbols=[pyzbar.ZBarSymbol.QRCODE])
    assert zbar.type == "QRCODE" and zbar.data.decode("ascii") == text
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1 and found[0].format == zxingcpp.BarcodeFormat.QRCode
    assert found[0].text == text and found[0].ec_level == "M"
    assert image.getpixel((0, 0)) == image.getpixel((15, 15)) == 255  # 4-module quiet zone at 4 px/module
    assert image.getpixel((16, 16)) == 0  # the top-left finder pattern starts right after it
    result = verify_qr_payload(zbar.data.decode("ascii"), trust_list(), now=NOW + timedelta(minutes=2))
    assert result.valid and result.claims.mode == "show"
    svg = qr_svg(text)
    assert svg.startswith(b"<svg") and b"</svg>" in svg
    # the SVG draws the same modules: rasterise its runs and compare with the PNG at 1 px/module
    small = Image.open(io.BytesIO(qr_png(text, scale=1))).convert("L")
    drawn = Image.new("L", small.size, 255)
    for run in re.finditer(rb"M(\d+) (\d+)h(\d+)", svg):
        x, y, n = (int(v) for v in run.groups())
        drawn.paste(0, (x, y, x + n, y + 1))
    assert drawn.tobytes() == small.tobytes()


@pytest.mark.parametrize("scale", [1, 3, 4, 9])
@pytest.mark.parametrize("mask", [None, 2, 7])
def test_png_pixels_equal_the_encoders_own_rendering(scale: int, mask: int | None) -> None:
    """qr_png writes its PNG itself (1-bit, filter Up for repeated rows): decoded by Pillow, every
    pixel equals zxing-cpp's own rendering of the same symbol with its 4-module quiet zone."""
    text = "TKL1:" + "0123456789ABCDEF $%*+-./:" * 12
    png = qr_png(text, scale=scale, mask=mask)
    image = Image.open(io.BytesIO(png))
    assert image.mode == "1"
    options: dict[str, Any] = {"ec_level": "M"} if mask is None else {"ec_level": "M", "data_mask": mask}
    reference = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, **options).to_image(
        scale=scale, add_quiet_zones=True)
    assert image.size == (reference.shape[1], reference.shape[0])
    assert image.convert("L").tobytes() == bytes(memoryview(reference))


def test_png_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="mask"):
        qr_png("TKL1:A", mask=8)
    with pytest.raises(ValueError, match="level"):
        qr_png("TKL1:A", error="x")
    with pytest.raises(ValueError, match="scale"):
        qr_png("TKL1:A", scale=0)
    with pytest.raises(ValueError, match="cannot encode"):
        qr_png("TKL1:" + "A" * 5000)


def test_show_mode_expires_and_screenshot_replay_fails() -> None:
    text = make_qr_payload(sample_record(), sm2_signer(), now=NOW, show_minutes=3)
    other = make_qr_payload(sample_record(), sm2_signer(), now=NOW, show_minutes=3)
    tl = trust_list()
    a = verify_qr_payload(text, tl, now=NOW + timedelta(minutes=2, seconds=59)).claims
    b = verify_qr_payload(other, tl, now=NOW).claims
    assert a.expires_at == NOW + timedelta(minutes=3)
    assert a.nonce is not None and b.nonce is not None and a.nonce != b.nonce and len(a.nonce) == 12
    # a screenshot decoded from the image after exp
    screenshot = pyzbar.decode(Image.open(io.BytesIO(qr_png(text))))[0].data.decode("ascii")
    with pytest.raises(ExpiredQRError, match="expired") as info:
        verify_qr_payload(screenshot, tl, now=NOW + timedelta(minutes=3))
    assert info.value.code == "qr_expired"


def test_not_yet_valid() -> None:
    text = make_qr_payload(sample_record(), sm2_signer(), now=NOW)
    verify_qr_payload(text, trust_list(), now=NOW - timedelta(minutes=4))  # clock skew tolerated
    with pytest.raises(ExpiredQRError) as info:
        verify_qr_payload(text, trust_list(), now=NOW - timedelta(minutes=6))
    assert info.value.code == "qr_not_yet_valid"


def test_show_minutes_bounds() -> None:
    for bad in (0, 1441, True):
        with pytest.raises(ValueError):
            make_qr_payload(sample_record(), sm2_signer(), now=NOW, show_minutes=bad)


# ---------------------------------------------------------------- dual signature (SM2 + ES256)


def test_dual_signature_and_independent_es256_check() -> None:
    sm2s, p256s = sm2_signer(), p256_signer()
    text = make_qr_payload(sample_record(), sm2s, second_signer=p256s, now=NOW)
    result = verify_qr_payload(text, trust_list(sm2s, p256s), now=NOW)
    assert result.signer_certificates == (sm2s.certificate, p256s.certificate)
    # A non-SM2 verifier: COSE_Sign (tag 98), second COSE_Signature, plain pyca ECDSA P-256/SHA-256.
    cose = unwrap(text)
    assert cose.tag == 98
    body_protected, _, payload, signatures = cose.value
    protected, _, sig = signatures[1]
    assert cbor2.loads(protected) == {1: COSE_ALG_ES256, 4: kid_of(p256s.certificate)}
    sig_structure = cbor2.dumps(["Signature", body_protected, protected, b"", payload])
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    public_key = p256s.certificate.public_key
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(der, sig_structure, ec.ECDSA(hashes.SHA256()))
    assert cbor2.loads(signatures[0][0])[1] == COSE_ALG_SM2


def test_dual_signature_needs_both_keys_trusted() -> None:
    text = make_qr_payload(sample_record(), sm2_signer(), second_signer=p256_signer(), now=NOW)
    with pytest.raises(UntrustedIssuerError):
        verify_qr_payload(text, trust_list(sm2_signer()), now=NOW)


def test_single_es256_signature() -> None:
    text = make_qr_payload(sample_record(), p256_signer(), now=NOW)
    assert unwrap(text).tag == 18
    assert verify_qr_payload(text, trust_list(p256_signer()), now=NOW).valid


def test_sm2_signature_is_over_sig_structure_with_default_id() -> None:
    """Re-verify the SM2 signature with the low-level primitive (raw r||s, default ID)."""
    s = sm2_signer()
    cose = unwrap(make_qr_payload(sample_record(), s, now=NOW))
    protected, _, payload, sig = cose.value
    assert cose.tag == 18 and cbor2.loads(protected) == {1: -70001, 4: kid_of(s.certificate)}
    s.certificate.public_key.verify(sig, cbor2.dumps(["Signature1", protected, b"", payload]), encoding="raw")


# ---------------------------------------------------------------- tampering and trust


def test_tampered_payload() -> None:
    cose = unwrap(make_qr_payload(sample_record(), sm2_signer(), now=NOW))
    claims = cbor2.loads(cose.value[2])
    claims["tkl"]["st"] = "valid"
    claims["tkl"]["vt"] = "2099-12-31"
    cose.value[2] = cbor2.dumps(claims)
    with pytest.raises(InvalidSignature):
        verify_qr_payload(wrap(cose), trust_list(), now=NOW)


def test_tampered_signature_byte() -> None:
    cose = unwrap(make_qr_payload(sample_record(), sm2_signer(), now=NOW))
    sig = bytearray(cose.value[3])
    sig[10] ^= 1
    cose.value[3] = bytes(sig)
    with pytest.raises(InvalidSignature):
        verify_qr_payload(wrap(cose), trust_list(), now=NOW)


def test_wrong_kid() -> None:
    s, other = sm2_signer(), make_chain("sm2")
    other_signer = LocalSigner(other.leaf_key, other.leaf)
    cose = unwrap(make_qr_payload(sample_record(), s, now=NOW))
    # kid of another trusted key: the signature does not verify under that key
    cose.value[0] = cbor2.dumps({1: COSE_ALG_SM2, 4: kid_of(other.leaf)}, canonical=True)
    with pytest.raises(InvalidSignature):
        verify_qr_payload(wrap(cose), trust_list(s, other_signer), now=NOW)
    # an unknown kid
    cose.value[0] = cbor2.dumps({1: COSE_ALG_SM2, 4: b"\x00" * 8}, canonical=True)
    with pytest.raises(UntrustedIssuerError, match="not in the trust list"):
        verify_qr_payload(wrap(cose), trust_list(s), now=NOW)


def test_unknown_issuer_and_issuer_binding() -> None:
    text = make_qr_payload(sample_record(), sm2_signer(), now=NOW)
    other = make_chain("sm2")
    with pytest.raises(UntrustedIssuerError):
        verify_qr_payload(text, trust_list(LocalSigner(other.leaf_key, other.leaf)), now=NOW)
    # the key is trusted, but for a different authority than the token's iss
    with pytest.raises(UntrustedIssuerError, match="listed for issuer"):
        verify_qr_payload(text, trust_list(issuer_code="11430000006122244L"), now=NOW)


def test_trust_list_entry_expiry() -> None:
    text = make_qr_payload(sample_record(), sm2_signer(), now=NOW)
    tl = trust_list(not_after=NOW + timedelta(hours=1))
    verify_qr_payload(text, tl, now=NOW + timedelta(minutes=59))
    with pytest.raises(UntrustedIssuerError, match="left the trust list"):
        verify_qr_payload(text, tl, now=NOW + timedelta(hours=2))


def test_token_issued_outside_certificate_validity() -> None:
    before = sm2_chain().leaf.not_before - timedelta(days=1)
    text = make_qr_payload(sample_record(), sm2_signer(), now=before, lifetime=timedelta(days=30))
    with pytest.raises(UntrustedIssuerError, match="validity"):
        verify_qr_payload(text, trust_list(), now=before + timedelta(days=2))


def test_unsupported_algorithm() -> None:
    cose = unwrap(make_qr_payload(sample_record(), sm2_signer(), now=NOW))
    cose.value[0] = cbor2.dumps({1: -8, 4: kid_of(sm2_chain().leaf)}, canonical=True)  # EdDSA
    with pytest.raises(UnsupportedAlgorithmError):
        verify_qr_payload(wrap(cose), trust_list(), now=NOW)


def test_algorithm_key_mismatch() -> None:
    """A P-256 key must not verify under the SM2 algorithm value (and the reverse)."""
    p = p256_signer()
    cose = unwrap(make_qr_payload(sample_record(), p, now=NOW))
    cose.value[0] = cbor2.dumps({1: COSE_ALG_SM2, 4: kid_of(p.certificate)}, canonical=True)
    with pytest.raises(InvalidSignature):
        verify_qr_payload(wrap(cose), trust_list(p), now=NOW)


@pytest.mark.parametrize("text, message", [
    ("HC1:ABC", "TKL1"),
    ("TKL1:" + "A" * 5000, "longer"),
    ("TKL1:abc", "Base45"),
    ("TKL1:" + b45encode(b"not zlib"), "zlib"),
    ("TKL1:" + b45encode(zlib.compress(b"\x00" * 100_000)), "more than"),
    ("TKL1:" + b45encode(zlib.compress(b"\xff\xff")), "CBOR"),
    ("TKL1:" + b45encode(zlib.compress(cbor2.dumps([1, 2, 3]))), "COSE"),
    ("TKL1:" + b45encode(zlib.compress(cbor2.dumps(cbor2.CBORTag(18, [b"", {}, b"", b""])))), "header"),
    ("TKL1:" + b45encode(zlib.compress(b"x")[:-2]), "zlib"),
])
def test_malformed_payloads(text: str, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        verify_qr_payload(text, trust_list(), now=NOW)


def test_malformed_claims_under_a_valid_signature() -> None:
    """Signed garbage must still give DecodeError, never a crash."""
    s = sm2_signer()
    for claims in ({1: ISSUER}, {1: ISSUER, 4: 1, 6: 0, "tkl": {"v": 2}}, [1, 2]):
        payload = cbor2.dumps(claims)
        protected = cbor2.dumps({1: COSE_ALG_SM2, 4: kid_of(s.certificate)}, canonical=True)
        from trustkit import sm2

        sig = sm2.decode_signature_der(s.sign(cbor2.dumps(["Signature1", protected, b"", payload])))
        with pytest.raises(DecodeError, match="QR claims"):
            verify_qr_payload(wrap(cbor2.CBORTag(18, [protected, {}, payload, sig])), trust_list(s), now=NOW)


# ---------------------------------------------------------------- licence-level checks


def test_licence_checks_status_validity_and_status_list() -> None:
    record = sample_record()
    text = make_qr_payload(record, sm2_signer(), now=NOW)
    short = make_qr_payload(sample_record(valid_to=date(2026, 12, 31)), sm2_signer(), now=NOW)
    assert verify_qr_payload(short, trust_list(), now=NOW.replace(year=2026, month=12, day=31)).valid
    after = verify_qr_payload(short, trust_list(), now=NOW.replace(year=2027, month=1, day=5))
    assert not after.valid and [c.name for c in after.checks if not c.ok] == ["validity"]
    revoked = verify_qr_payload(make_qr_payload(sample_record(status="suspended"), sm2_signer(), now=NOW),
                                trust_list(), now=NOW)
    assert [c.name for c in revoked.checks if not c.ok] == ["status"]
    issuer = LocalSigner(sm2_chain().leaf_key, sm2_chain().leaf)
    status_bytes = make_status_list(issuer, issuer_code=ISSUER, list_number=2, this_update=NOW,
                                    entries=[StatusEntry(str(record.identifier), "revoked", date(2026, 5, 30), "吊销")])
    status = load_status_list(status_bytes, sm2_chain().leaf)
    listed = verify_qr_payload(text, trust_list(), now=NOW, status_list=status)
    assert [c.name for c in listed.checks if not c.ok] == ["status_list"]
    stale = verify_qr_payload(text, trust_list(), now=NOW + timedelta(days=8), status_list=status)
    assert "status_list_current" in [c.name for c in stale.checks if not c.ok]
    other = make_qr_payload(sample_record(identifier=LicenceIdentifier.build(record.licence_type_code, ISSUER, "9")),
                            sm2_signer(), now=NOW)
    assert verify_qr_payload(other, trust_list(), now=NOW, status_list=status).valid


# ---------------------------------------------------------------- trust-list file


def test_trust_list_file_round_trip_and_format() -> None:
    s = sm2_signer()
    entry = TrustListEntry.from_certificate(s.certificate, issuer_name="某厅", issuer_code=ISSUER)
    data = make_trust_list([entry], anchor_signer(), sequence=7, issued_at=NOW)
    doc = json.loads(data)
    assert doc["format"] == "trustkit-qr-trust-list/1" and doc["sequence"] == 7
    assert base64.b64decode(doc["entries"][0]["kid"]) == kid_of(s.certificate)
    assert doc["entries"][0]["certificate"].startswith("-----BEGIN CERTIFICATE-----")
    assert doc["signature"]["algorithm"] == "1.2.156.10197.1.501"
    tl = load_trust_list(data, trust_anchor_certificate=sm2_chain().intermediate)
    assert tl.sequence == 7 and tl.issued_at == NOW and tl.get(entry.kid) == entry


def test_trust_list_tampering_and_wrong_anchor() -> None:
    entry = TrustListEntry.from_certificate(sm2_signer().certificate, issuer_name="某厅", issuer_code=ISSUER)
    data = make_trust_list([entry], anchor_signer(), sequence=1, issued_at=NOW)
    anchor = sm2_chain().intermediate
    with pytest.raises(InvalidSignature):
        load_trust_list(data.replace("某厅".encode(), "他厅".encode()), trust_anchor_certificate=anchor)
    with pytest.raises(InvalidSignature):
        load_trust_list(data, trust_anchor_certificate=sm2_chain().root)
    with pytest.raises(DecodeError, match="duplicate"):
        load_trust_list(data.replace(b'"sequence": 1', b'"sequence": 1, "sequence": 2'), trust_anchor_certificate=anchor)
    with pytest.raises(DecodeError, match="format"):
        load_trust_list(data.replace(b"trust-list/1", b"trust-list/2"), trust_anchor_certificate=anchor)
    with pytest.raises(DecodeError, match="larger"):
        load_trust_list(b" " * (9 * 1024 * 1024), trust_anchor_certificate=anchor)


def test_trust_list_kid_must_match_certificate() -> None:
    """A correctly signed list whose kid names a different certificate is refused."""
    cert = sm2_signer().certificate
    body = {"format": "trustkit-qr-trust-list/1", "sequence": 1, "issued_at": "2026-06-01T12:00:00Z",
            "entries": [{"kid": base64.b64encode(b"\x01" * 8).decode(), "certificate": cert.to_pem().decode(),
                         "issuer_name": "x", "issuer_code": ISSUER, "not_after": "2027-01-01T00:00:00Z"}]}
    data = sign_json(body, anchor_signer())
    with pytest.raises(DecodeError, match="does not match"):
        load_trust_list(data, trust_anchor_certificate=sm2_chain().intermediate)


def _resign_claims(signer: LocalSigner, claims: Any) -> str:
    from trustkit import sm2

    payload = cbor2.dumps(claims)
    protected = cbor2.dumps({1: COSE_ALG_SM2, 4: kid_of(signer.certificate)}, canonical=True)
    sig = sm2.decode_signature_der(signer.sign(cbor2.dumps(["Signature1", protected, b"", payload])))
    return wrap(cbor2.CBORTag(18, [protected, {}, payload, sig]))


def test_show_mode_lifetime_is_bounded() -> None:
    s = sm2_signer()
    claims = dict(cbor2.loads(unwrap(make_qr_payload(sample_record(), s, now=NOW, show_minutes=5)).value[2]))
    claims[4] = claims[6] + 25 * 3600
    with pytest.raises(DecodeError, match="24 hours"):
        verify_qr_payload(_resign_claims(s, claims), trust_list(s), now=NOW)


def test_naive_now_is_refused() -> None:
    text = make_qr_payload(sample_record(), sm2_signer(), now=NOW)
    with pytest.raises(ValueError):
        verify_qr_payload(text, trust_list(), now=NOW.replace(tzinfo=None))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutations_never_crash(data: st.DataObject) -> None:
    """Random edits of the compressed bytes, the CBOR and the text give a trustkit error, never a crash."""
    text = _FUZZ_TEXT
    where = data.draw(st.sampled_from(["text", "cbor"]))
    if where == "text":
        i = data.draw(st.integers(5, len(text) - 1))
        text = text[:i] + data.draw(st.sampled_from("0AZ $%*+-./:")) + text[i + 1:]
    else:
        raw = bytearray(zlib.decompress(b45decode(text[5:])))
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] ^= data.draw(st.integers(1, 255))
        text = PREFIX + b45encode(zlib.compress(bytes(raw)))
    try:
        verify_qr_payload(text, _FUZZ_TRUST, now=NOW)
    except TrustkitError:
        pass


_FUZZ_TEXT = make_qr_payload(sample_record(), sm2_signer(), second_signer=p256_signer(), now=NOW)
_FUZZ_TRUST = trust_list(sm2_signer(), p256_signer())
