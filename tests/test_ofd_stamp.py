"""Stamping OFD documents (trustkit.ofd.stamp): procedure of reference/standards.md 5.2, placements,
signatures in sequence, refusals, and an independent render (easyofd) of a stamped page.

The helpers at the top (``PKI``, ``licence``, ``seal_v4`` ...) are reused by test_ofd_verify.py.
"""

from __future__ import annotations

import base64
import itertools
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
from asn1crypto import algos
from PIL import Image
from pki_helpers import NOW, TestChain, make_chain, sm2_chain

from trustkit.ofd import Box, DocumentBuilder, OFDReader, PackageWriter
from trustkit.ofd.stamp import (
    KeywordPlacement,
    PagePlacement,
    RidingPlacement,
    StampRefusedError,
    stamp_ofd,
    stamp_ofd_file,
)
from trustkit.ofd.verify import verify_ofd
from trustkit.pki import algorithms
from trustkit.pki.builder import CertificateProfile, issue_certificate
from trustkit.pki.certificate import Certificate
from trustkit.pki.names import make_name
from trustkit.pki.signer import LocalSigner
from trustkit.pki.timestamp import TimestampAuthority
from trustkit.pki.validation import ValidationContext
from trustkit.primitives import sm2, sm3
from trustkit.seal.image import round_seal
from trustkit.seal.ses import SealPictureInfo, make_seal, parse_seal_signature

OFD_VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "ofd"
CJK_FONT_FILES = [
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
]


# ---- shared fixtures (also imported by test_ofd_verify.py) -----------------------------------------


@dataclass(frozen=True)
class PKI:
    signer: TestChain
    maker: TestChain

    @property
    def local(self) -> LocalSigner:
        return LocalSigner(self.signer.leaf_key, self.signer.leaf)

    def context(self, **kwargs: object) -> ValidationContext:
        return ValidationContext([self.signer.root, self.maker.root], [self.signer.intermediate, self.maker.intermediate],
                                 [self.signer.crl, self.maker.crl], **kwargs)  # type: ignore[arg-type]


@cache
def pki() -> PKI:
    return PKI(sm2_chain(), make_chain())


@cache
def picture() -> SealPictureInfo:
    return SealPictureInfo.from_image(round_seal("福州示例科技有限公司", seal_name="合同专用章"), dpi=150)


def make_test_seal(version: int = 4, *, signer: Certificate | None = None, valid_from: datetime = NOW - timedelta(days=30),
                   valid_to: datetime = NOW + timedelta(days=365)) -> bytes:
    p = pki()
    return make_seal(version, esid="3501000000001", name="福州示例科技有限公司合同专用章", seal_type=1,
                     signer_certificates=[signer or p.signer.leaf], valid_from=valid_from, valid_to=valid_to,
                     picture=picture(), maker_certificate=p.maker.leaf, maker_key=p.maker.leaf_key,
                     created=valid_from)


@cache
def seal_v4() -> bytes:
    return make_test_seal(4)


@cache
def seal_v1() -> bytes:
    return make_test_seal(1)


@cache
def licence(pages: int = 1) -> bytes:
    """A licence-like document: a title, a credit code, a name line; extra pages with a line each."""
    builder = DocumentBuilder()
    page = builder.add_page()
    page.add_text("营业执照", 85, 30, size=10)
    page.add_text("统一社会信用代码 91350100M000100Y43", 30, 60)
    page.add_text("名称 福州示例科技有限公司", 30, 75)
    page.add_rect(15, 15, 180, 267)
    for index in range(1, pages):
        builder.add_page().add_text(f"第{index + 1}页 附件", 30, 30)
    return builder.build()


def replace_part(data: bytes, name: str, content: bytes | None) -> bytes:
    """The package with one part replaced (or removed when ``content`` is None); others byte-identical."""
    with OFDReader.from_bytes(data) as reader:
        writer = PackageWriter.from_reader(reader)
        if content is None:
            writer.remove(name)
        else:
            writer.set(name, content)
        return writer.to_bytes()


def read(data: bytes, name: str) -> bytes:
    with OFDReader.from_bytes(data) as reader:
        return reader.read_part(name)


class RemoteLikeSigner:
    """A Signer that is not a LocalSigner (no ``key`` attribute), as the daemon's client will be."""

    def __init__(self, key: sm2.PrivateKey, certificate: Certificate) -> None:
        self._key, self._certificate = key, certificate

    @property
    def certificate(self) -> Certificate:
        return self._certificate

    @property
    def chain(self) -> tuple[Certificate, ...]:
        return ()

    def signature_algorithm(self) -> algos.SignedDigestAlgorithm:
        return algorithms.signature_algorithm(self._key)

    def sign(self, data: bytes) -> bytes:
        return algorithms.sign(self._key, data)


# ---- the procedure (standards 5.2) ----------------------------------------------------------------------


def test_ses_v4_stamp_follows_the_procedure() -> None:
    p = pki()
    out = stamp_ofd(licence(), p.local, seal=seal_v4(), placements=[PagePlacement(0, 120, 200)], time=NOW)
    reader = OFDReader.from_bytes(out)
    assert reader.bodies[0].signatures == "Doc_0/Signs/Signatures.xml"
    assert b"<ofd:Signatures>/Doc_0/Signs/Signatures.xml</ofd:Signatures>" in reader.read_part("OFD.xml")
    listing = reader.signatures()
    assert listing is not None and listing.max_sign_id == "2"  # signature 1, StampAnnot 2
    (entry,) = listing.entries
    assert (entry.id, entry.type, entry.part) == ("1", "Seal", "Doc_0/Signs/Sign_0/Signature.xml")
    description = reader.signature(entry)
    assert description.check_method == "1.2.156.10197.1.401"
    assert description.signature_method == "1.2.156.10197.1.501"
    assert description.signature_date_time == "20260601120000Z"
    protected = {ref.part for ref in description.references}
    assert protected == set(reader.part_names()) - {
        "Doc_0/Signs/Signatures.xml", "Doc_0/Signs/Sign_0/Signature.xml", "Doc_0/Signs/Sign_0/SignedValue.dat"}
    assert "Doc_0/Signs/Sign_0/Seal.esl" in protected and "OFD.xml" in protected
    for ref in description.references:  # CheckValue = base64(SM3(exact bytes)), OFD.xml as updated
        assert ref.check_value == sm3.hash(reader.read_part(ref.part))
    assert reader.read_part("Doc_0/Signs/Sign_0/Seal.esl") == seal_v4()
    (annot,) = description.stamp_annots
    assert (annot.id, annot.page_ref, annot.boundary) == ("2", "1", Box(120, 200, 42, 42))
    signed = parse_seal_signature(reader.read_part(description.signed_value))
    assert signed.version == 4 and signed.time_info == NOW
    assert signed.data_hash == sm3.hash(reader.read_part(description.part))
    assert signed.property_info == "/Doc_0/Signs/Sign_0/Signature.xml"
    assert signed.seal.der == seal_v4()
    report = verify_ofd(out, context=p.context())
    assert report.valid, report.summary()
    (sig,) = report.signatures
    assert sig.time_source == "signer" and sig.signing_time == NOW and sig.seal_id == "3501000000001"
    assert {c.name: c.ok for c in sig.checks}["maker_chain"] is True


def test_ses_v1_seal_gives_a_v1_signature() -> None:
    p = pki()
    out = stamp_ofd(licence(), p.local, seal=seal_v1(), placements=[PagePlacement(0, 20, 20)], time=NOW)
    with OFDReader.from_bytes(out) as reader:
        (entry,) = reader.signatures().entries  # type: ignore[union-attr]
        signed = parse_seal_signature(reader.read_part(reader.signature(entry).signed_value))
    assert signed.version == 1 and signed.time_info == NOW
    report = verify_ofd(out, context=p.context())
    assert report.valid, report.summary()


@pytest.mark.parametrize("fmt, kind, form", [("sign-raw", "sign", "sm2"), ("sign-cms", "cms", "attached-hash")])
def test_sign_type_signatures(fmt: str, kind: str, form: str) -> None:
    p = pki()
    out = stamp_ofd(licence(), p.local, sign_format=fmt, time=NOW)  # type: ignore[arg-type]
    with OFDReader.from_bytes(out) as reader:
        (entry,) = reader.signatures().entries  # type: ignore[union-attr]
        description = reader.signature(entry)
        xml = reader.read_part(description.part)
        value = reader.read_part(description.signed_value)
    assert entry.type == "Sign" and description.seal is None and not description.stamp_annots
    if fmt == "sign-raw":  # a bare DER SM2 signature over the Signature.xml bytes, as ofdrw's DigitalSign
        p.signer.leaf.public_key.verify(value, xml)  # type: ignore[union-attr]
    report = verify_ofd(out, context=p.context(), certificates=[p.signer.leaf])
    assert report.valid, report.summary()
    (sig,) = report.signatures
    assert sig.kind == kind and sig.details["form"] == form and sig.signer == p.signer.leaf.subject_text


def test_sign_raw_interop_gmssl() -> None:
    """gmssl (independent SM2) accepts the bare SignedValue.dat over the exact Signature.xml bytes."""
    gmssl_sm2 = pytest.importorskip("gmssl.sm2")
    p = pki()
    out = stamp_ofd(licence(), p.local, sign_format="sign-raw", time=NOW)
    xml = read(out, "Doc_0/Signs/Sign_0/Signature.xml")
    raw = sm2.decode_signature_der(read(out, "Doc_0/Signs/Sign_0/SignedValue.dat"))
    peer = gmssl_sm2.CryptSM2(private_key=None, public_key="00" * 64)
    peer.public_key = p.signer.leaf.public_key.public_bytes("raw")[1:].hex()  # type: ignore[union-attr]
    assert peer.verify_with_sm3(raw.hex(), xml)
    assert not peer.verify_with_sm3(raw.hex(), xml + b" ")


def test_remote_like_signer() -> None:
    p = pki()
    remote = RemoteLikeSigner(p.signer.leaf_key, p.signer.leaf)  # type: ignore[arg-type]
    out = stamp_ofd(licence(), remote, seal=seal_v4(), time=NOW)
    out = stamp_ofd(out, remote, sign_format="sign-raw", time=NOW)
    out = stamp_ofd(out, remote, sign_format="sign-cms", time=NOW)
    report = verify_ofd(out, certificates=[p.signer.leaf])
    assert report.valid and len(report.signatures) == 3, report.summary()


def test_timestamp_inside_the_ses_signature() -> None:
    p = pki()
    tsa_key = sm2.generate_private_key()
    tsa_cert = issue_certificate(subject=make_name(common_name="trustkit test TSA"), public_key=tsa_key.public_key(),
                                 issuer=p.signer.intermediate, issuer_key=p.signer.intermediate_key,
                                 profile=CertificateProfile.TIMESTAMPING, not_before=NOW - timedelta(days=30))
    tsa = TimestampAuthority(tsa_key, tsa_cert, policy_oid="1.2.3.4.1", clock=lambda: NOW + timedelta(seconds=5))
    out = stamp_ofd(licence(), p.local, seal=seal_v4(), time=NOW, timestamp=tsa)
    report = verify_ofd(out, context=p.context())
    assert report.valid, report.summary()
    (sig,) = report.signatures
    assert sig.time_source == "timestamp" and sig.signing_time == NOW + timedelta(seconds=5)
    assert {c.name: c.ok for c in sig.checks}["timestamp"] is True
    with pytest.raises(ValueError, match="v1"):
        stamp_ofd(licence(), p.local, seal=seal_v1(), time=NOW, timestamp=tsa)


# ---- placement ------------------------------------------------------------------------------------------


def _annots(data: bytes, index: int = 0) -> list[tuple[str, Box, Box | None]]:
    with OFDReader.from_bytes(data) as reader:
        entry = reader.signatures().entries[index]  # type: ignore[union-attr]
        return [(a.page_ref, a.boundary, a.clip) for a in reader.signature(entry).stamp_annots]


def test_keyword_placement_is_centred_on_the_text() -> None:
    p = pki()
    with OFDReader.from_bytes(licence()) as reader:
        (match,) = reader.find("营业执照")
        page_id = reader.document().pages[0].id
    out = stamp_ofd(licence(), p.local, seal=seal_v4(), placements=[KeywordPlacement("营业执照")], time=NOW)
    ((page_ref, box, clip),) = _annots(out)
    assert page_ref == str(page_id) and clip is None
    assert (box.width, box.height) == (42, 42)
    assert box.center == pytest.approx(match.box.center, abs=1e-3)
    assert verify_ofd(out).valid


def test_keyword_every_and_nth_occurrence() -> None:
    builder = DocumentBuilder()
    builder.add_page().add_text("甲方签章", 20, 40)
    page = builder.add_page()
    page.add_text("甲方签章", 20, 40)
    page.add_text("乙方 甲方签章", 20, 120)
    document = builder.build()
    p = pki()
    every = _annots(stamp_ofd(document, p.local, seal=seal_v4(), placements=[KeywordPlacement("甲方签章")], time=NOW))
    assert len(every) == 3 and len({a[0] for a in every}) == 2
    third = _annots(stamp_ofd(document, p.local, seal=seal_v4(), placements=[KeywordPlacement("甲方签章", 2)], time=NOW))
    assert third == [every[2]]
    with pytest.raises(ValueError, match="occurs 3 time"):
        stamp_ofd(document, p.local, seal=seal_v4(), placements=[KeywordPlacement("甲方签章", 3)], time=NOW)
    with pytest.raises(ValueError, match="does not occur"):
        stamp_ofd(document, p.local, seal=seal_v4(), placements=[KeywordPlacement("丙方")], time=NOW)


def test_page_placement_size_and_errors() -> None:
    p = pki()
    out = stamp_ofd(licence(), p.local, seal=seal_v4(), placements=[PagePlacement(0, 10, 11, 30, 30)], time=NOW)
    assert _annots(out)[0][1] == Box(10, 11, 30, 30)
    with pytest.raises(ValueError, match="does not exist"):
        stamp_ofd(licence(), p.local, seal=seal_v4(), placements=[PagePlacement(3, 10, 10)], time=NOW)
    with pytest.raises(ValueError, match="width_mm"):  # a Sign has no picture to take the size from
        stamp_ofd(licence(), p.local, placements=[PagePlacement(0, 10, 10)], time=NOW)
    signed = stamp_ofd(licence(), p.local, placements=[PagePlacement(0, 10, 10, 40, 15)], time=NOW)
    assert _annots(signed)[0][1] == Box(10, 10, 40, 15)


def test_riding_seal_slices_cover_the_seal_once() -> None:
    p = pki()
    document = licence(3)
    out = stamp_ofd(document, p.local, seal=seal_v4(), placements=[RidingPlacement()], time=NOW)
    annots = _annots(out)
    with OFDReader.from_bytes(document) as reader:
        page_ids = [str(ref.id) for ref in reader.document().pages]
    assert [a[0] for a in annots] == page_ids  # one StampAnnot per page, in page order
    slices = []
    for k, (_, box, clip) in enumerate(annots):
        assert clip is not None and (box.width, box.height) == (42, 42)
        assert clip.height == 42 and clip.y == 0
        assert box.x + clip.right == pytest.approx(210)  # each slice ends at the page's right edge
        assert box.y == pytest.approx((297 - 42) / 2)
        slices.append((clip.x, clip.right))
    slices.sort()
    assert slices[0][0] == 0 and slices[-1][1] == pytest.approx(42)
    assert all(a[1] == pytest.approx(b[0]) for a, b in itertools.pairwise(slices))  # no gap, no overlap
    assert verify_ofd(out).valid
    chosen = _annots(stamp_ofd(document, p.local, seal=seal_v4(), placements=[RidingPlacement(pages=(0, 2), y_mm=50)],
                               time=NOW))
    assert [a[0] for a in chosen] == [page_ids[0], page_ids[2]] and chosen[1][2] == Box(21, 0, 21, 42)
    with pytest.raises(ValueError, match="two pages"):
        stamp_ofd(licence(), p.local, seal=seal_v4(), placements=[RidingPlacement()], time=NOW)


# ---- several signatures -----------------------------------------------------------------------------------


def test_three_signatures_in_sequence_all_verify() -> None:
    p = pki()
    first = stamp_ofd(licence(), p.local, seal=seal_v4(), placements=[PagePlacement(0, 20, 200)], time=NOW)
    second = stamp_ofd(first, p.local, seal=seal_v1(), placements=[KeywordPlacement("营业执照")],
                       time=NOW + timedelta(minutes=1))
    third = stamp_ofd(second, p.local, sign_format="sign-cms", time=NOW + timedelta(minutes=2))
    with OFDReader.from_bytes(third) as reader:
        listing = reader.signatures()
        assert listing is not None
        assert [(e.id, e.type) for e in listing.entries] == [("1", "Seal"), ("3", "Seal"), ("5", "Sign")]
        assert listing.max_sign_id == "5"
        assert [e.part for e in listing.entries] == [f"Doc_0/Signs/Sign_{i}/Signature.xml" for i in range(3)]
        last = reader.signature(listing.entries[2])
        protected = {ref.part for ref in last.references}
        # earlier signatures' files become protected by later ones; Signatures.xml never is
        assert {"Doc_0/Signs/Sign_0/Signature.xml", "Doc_0/Signs/Sign_1/SignedValue.dat"} <= protected
        assert "Doc_0/Signs/Signatures.xml" not in protected
    for name in ("Doc_0/Signs/Sign_0/Signature.xml", "Doc_0/Signs/Sign_0/SignedValue.dat"):
        assert read(third, name) == read(first, name)  # never re-serialised
    report = verify_ofd(third, context=p.context())
    assert report.valid and len(report.signatures) == 3, report.summary()
    assert [c.ok for c in report.document_checks] == [True]


def test_stamping_real_documents() -> None:
    """Unsigned ofdrw documents (one with a non-standard namespace), and a second signature on an
    ofdrw-signed one: ofdrw's signature still verifies, and ofdrw's ID style is continued."""
    p = pki()
    for name in ("helloworld.ofd", "namespace_no_std.ofd", "VPage7.ofd"):
        out = stamp_ofd((OFD_VECTORS / name).read_bytes(), p.local, seal=seal_v4(),
                        placements=[PagePlacement(0, 50, 50)], time=NOW)
        assert verify_ofd(out).valid, name
    out = stamp_ofd((OFD_VECTORS / "SESV4SignDoc.ofd").read_bytes(), p.local, seal=seal_v4(),
                    placements=[PagePlacement(0, 100, 100)], time=NOW)
    report = verify_ofd(out)
    assert report.valid, report.summary()
    assert [s.signature_id for s in report.signatures] == ["1", "3"]
    digital = stamp_ofd((OFD_VECTORS / "DigitalSign.ofd").read_bytes(), p.local, seal=seal_v4(), time=NOW)
    assert [s.signature_id for s in verify_ofd(digital).signatures] == ["s001", "s002"]


def test_whole_protected_document_refuses_another_signature() -> None:
    with pytest.raises(StampRefusedError, match="Signatures.xml") as info:
        stamp_ofd((OFD_VECTORS / "allprotected.ofd").read_bytes(), pki().local, seal=seal_v4(), time=NOW)
    assert info.value.code == "signatures_protected"


def test_argument_errors() -> None:
    p = pki()
    other = make_chain()
    with pytest.raises(ValueError, match="not in the seal"):
        stamp_ofd(licence(), LocalSigner(other.leaf_key, other.leaf), seal=seal_v4(), time=NOW)
    with pytest.raises(ValueError, match="needs a seal"):
        stamp_ofd(licence(), p.local, sign_format="ses", time=NOW)
    with pytest.raises(TypeError):
        stamp_ofd(licence(), p.signer.leaf_key, seal=seal_v4(), time=NOW)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timezone"):
        stamp_ofd(licence(), p.local, seal=seal_v4(), time=datetime(2026, 1, 1))


def test_check_method_name_and_file_api(tmp_path: Path) -> None:
    p = pki()
    source = tmp_path / "licence.ofd"
    source.write_bytes(licence(2))
    target = tmp_path / "stamped.ofd"
    stamp_ofd_file(source, target, p.local, seal=seal_v4(), placements=[PagePlacement(1, 10, 10)], check_method="SM3",
                   time=NOW)
    assert target.stat().st_mode & 0o777 == 0o644
    with OFDReader.open(target) as reader:
        description = reader.signature(reader.signatures().entries[0])  # type: ignore[union-attr]
        assert description.check_method == "SM3"
    assert verify_ofd(target).valid
    stamp_ofd_file(target, target, p.local, sign_format="sign-raw", time=NOW)  # in place
    assert verify_ofd(target, certificates=[p.signer.leaf]).valid
    assert not list(tmp_path.glob(".*.tmp"))


# ---- an independent render of a stamped page --------------------------------------------------------------

RENDER = r"""
import sys
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from easyofd import OFD
pdfmetrics.registerFont(TTFont("宋体", sys.argv[1], subfontIndex=0))
ofd = OFD()
ofd.read(open(sys.argv[2], "rb").read(), fmt="binary")
ofd.to_jpg()[0].save(sys.argv[3])
"""


def test_render_stamped_page_with_easyofd(tmp_path: Path) -> None:
    """easyofd draws the seal picture it extracts from SignedValue.dat at the StampAnnot Boundary.

    It draws one StampAnnot per signature and ignores Clip, so the page carries two signatures:
    one placed by coordinates, one by keyword (centred on the title).  Every red pixel must lie in
    one of the two boxes, and each box must hold a whole seal.
    """
    pytest.importorskip("easyofd")
    font = next((f for f in CJK_FONT_FILES if f.exists()), None)
    if font is None:
        pytest.skip("no TrueType CJK font for easyofd (apt-get install fonts-wqy-zenhei)")
    fixed = Box(130, 210, 42, 42)
    first = stamp_ofd(licence(), pki().local, seal=seal_v4(), placements=[PagePlacement(0, fixed.x, fixed.y)], time=NOW)
    both = stamp_ofd(first, pki().local, seal=seal_v4(), placements=[KeywordPlacement("营业执照")], time=NOW)
    keyword_box = _annots(both, 1)[0][1]
    source = tmp_path / "stamped.ofd"
    source.write_bytes(both)
    out = tmp_path / "stamped.png"
    result = subprocess.run([sys.executable, "-c", RENDER, str(font), str(source), str(out)], check=False,
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    image = Image.open(out).convert("RGB")
    scale = image.width / 210
    pixels = image.load()
    assert pixels is not None
    red = [(x / scale, y / scale) for x in range(0, image.width, 4) for y in range(0, image.height, 4)
           if (c := pixels[x, y])[0] > 180 and c[1] < 100 and c[2] < 100]  # type: ignore[index]

    def within(box: Box, point: tuple[float, float]) -> bool:
        return box.x - 0.5 <= point[0] <= box.right + 0.5 and box.y - 0.5 <= point[1] <= box.bottom + 0.5

    assert len(red) > 1000
    assert all(within(fixed, pt) or within(keyword_box, pt) for pt in red)  # no red outside the boxes
    for box in (fixed, keyword_box):
        xs, ys = [pt[0] for pt in red if within(box, pt)], [pt[1] for pt in red if within(box, pt)]
        assert max(xs) - min(xs) > 0.9 * box.width and max(ys) - min(ys) > 0.9 * box.height  # a whole seal


def test_signature_xml_digest_is_base64_of_raw_sm3() -> None:
    out = stamp_ofd(licence(), pki().local, seal=seal_v4(), check_method="1.2.156.10197.1.401", time=NOW)
    xml = read(out, "Doc_0/Signs/Sign_0/Signature.xml").decode()
    expected = base64.b64encode(sm3.hash(read(out, "Doc_0/Document.xml"))).decode()
    assert f'FileRef="/Doc_0/Document.xml"><ofd:CheckValue>{expected}</ofd:CheckValue>' in xml


@pytest.mark.parametrize("version", [4, 1])
def test_signer_based_ses_matches_the_seal_module(version: int) -> None:
    """A Signer and a key+certificate build the same TBS_Sign in trustkit.seal.ses.sign_seal_signature."""
    from trustkit.seal.ses import parse_seal, sign_seal_signature

    p = pki()
    seal = seal_v4() if version == 4 else seal_v1()
    digest = sm3.hash(b"<ofd:Signature/>")
    ours = parse_seal_signature(sign_seal_signature(parse_seal(seal), signer=p.local, data_hash=digest,
                                                    property_info="/a.xml", time=NOW))
    theirs = parse_seal_signature(sign_seal_signature(seal, data_hash=digest, property_info="/a.xml",
                                                      signer_key=p.signer.leaf_key, signer_certificate=p.signer.leaf,
                                                      time=NOW))
    assert ours.tbs_der == theirs.tbs_der and ours.version == theirs.version == version
    assert ours.signer_certificate == theirs.signer_certificate


def test_sign_raw_with_an_rsa_signer() -> None:
    """Non-SM2 keys work through the same Signer: SignatureMethod names the algorithm used."""
    from pki_helpers import rsa_chain

    chain = rsa_chain()
    out = stamp_ofd(licence(), LocalSigner(chain.leaf_key, chain.leaf), sign_format="sign-raw", time=NOW)
    with OFDReader.from_bytes(out) as reader:
        description = reader.signature(reader.signatures().entries[0])  # type: ignore[union-attr]
    assert description.signature_method == "1.2.840.113549.1.1.11"
    report = verify_ofd(out, certificates=[chain.leaf])
    assert report.valid, report.summary()
    assert report.signatures[0].details["form"] == "raw"
    assert not verify_ofd(out, certificates=[pki().signer.leaf]).valid


def test_sign_cms_interop_gmssl() -> None:
    """The SignedData's SignerInfo signature (no signed attributes) is an SM2 signature over its
    content, SM3(Signature.xml): gmssl re-verifies it, reading the structure with asn1crypto."""
    from asn1crypto import cms, core

    gmssl_sm2 = pytest.importorskip("gmssl.sm2")
    p = pki()
    out = stamp_ofd(licence(), p.local, sign_format="sign-cms", time=NOW)
    xml = read(out, "Doc_0/Signs/Sign_0/Signature.xml")
    info = cms.ContentInfo.load(read(out, "Doc_0/Signs/Sign_0/SignedValue.dat"))
    assert info["content_type"].dotted == "1.2.156.10197.6.1.4.2.2"
    signed = info["content"].parse(cms.SignedData)  # asn1crypto does not map the GM/T 0010 OID
    assert signed["encap_content_info"]["content_type"].dotted == "1.2.156.10197.6.1.4.2.1"
    content = signed["encap_content_info"]["content"].parse(core.OctetString).native
    assert content == sm3.hash(xml)
    (signer_info,) = signed["signer_infos"]
    assert not signer_info["signed_attrs"]
    raw = sm2.decode_signature_der(signer_info["signature"].native)
    peer = gmssl_sm2.CryptSM2(private_key=None, public_key="00" * 64)
    peer.public_key = p.signer.leaf.public_key.public_bytes("raw")[1:].hex()  # type: ignore[union-attr]
    assert peer.verify_with_sm3(raw.hex(), content)
