"""Shared material for the PDF tests (no tests here): documents with known text, signers, a TSA, a seal.

Documents are made with reportlab; the text positions are known, so keyword placement can be
checked against them.  Everything is built once per process.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO

from pki_helpers import NOW, TestChain, make_chain, p256_chain, rsa_chain, sm2_chain
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from trustkit.pki.builder import CertificateProfile
from trustkit.pki.signer import LocalSigner
from trustkit.pki.timestamp import TimestampAuthority
from trustkit.pki.validation import ValidationContext
from trustkit.seal.image import SealImage, round_seal
from trustkit.seal.ses import SealPictureInfo, make_seal

__all__ = [
    "FONT",
    "FONT_SIZE",
    "KEYWORD",
    "LINE_Y",
    "NOW",
    "PAGE_H",
    "PAGE_W",
    "TEXT_X",
    "Pki",
    "keyword_box",
    "make_pdf",
    "pki",
    "seal_image",
]

FONT, FONT_SIZE = "Helvetica", 14
TEXT_X, LINE_Y = 72.0, 700.0
KEYWORD = "ACME"
PAGE_W, PAGE_H = A4


def _line(page: int) -> str:
    return f"Contract page {page}. Signed by {KEYWORD} Party B here."


def make_pdf(pages: int = 1) -> bytes:
    """A4 pages, each with one line of text at (TEXT_X, LINE_Y) containing KEYWORD once."""
    buf = BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=True)
    for page in range(1, pages + 1):
        c.setFont(FONT, FONT_SIZE)
        c.drawString(TEXT_X, LINE_Y, _line(page))
        c.showPage()
    c.save()
    return buf.getvalue()


def keyword_box(page: int = 1) -> tuple[float, float]:
    """The x-range (pt) of KEYWORD on a page of :func:`make_pdf`, from reportlab's font metrics."""
    line = _line(page)
    before = line.index(KEYWORD)
    x0 = TEXT_X + stringWidth(line[:before], FONT, FONT_SIZE)
    return x0, x0 + stringWidth(KEYWORD, FONT, FONT_SIZE)


@dataclass(frozen=True)
class Pki:
    sm2: TestChain
    p256: TestChain
    rsa: TestChain
    maker: TestChain
    tsa_chain: TestChain
    tsa: TimestampAuthority
    seal_der: bytes

    def signer(self, kind: str = "sm2") -> LocalSigner:
        chain = {"sm2": self.sm2, "p256": self.p256, "rsa": self.rsa}[kind]
        return LocalSigner(chain.leaf_key, chain.leaf, (chain.intermediate,))

    def context(self) -> ValidationContext:
        chains = (self.sm2, self.p256, self.rsa, self.maker, self.tsa_chain)
        return ValidationContext([c.root for c in chains], [c.intermediate for c in chains], [self.sm2.crl])


@functools.cache
def seal_image() -> SealImage:
    return round_seal("某某市人民政府", seal_name="合同专用章")


@functools.cache
def pki() -> Pki:
    maker = make_chain(leaf_profile=CertificateProfile.SEAL_MAKER)
    tsa_chain = make_chain(leaf_profile=CertificateProfile.TIMESTAMPING)
    tsa = TimestampAuthority(tsa_chain.leaf_key, tsa_chain.leaf, policy_oid="1.2.156.1.9999.1",
                             chain=[tsa_chain.intermediate], clock=lambda: NOW)
    sm2 = sm2_chain()
    seal_der = make_seal(
        4, esid="37030000001721", name="合同专用章", seal_type=1, signer_certificates=[sm2.leaf],
        valid_from=NOW - timedelta(days=1), valid_to=NOW + timedelta(days=3650),
        picture=SealPictureInfo.from_image(seal_image(), dpi=100), maker_certificate=maker.leaf,
        maker_key=maker.leaf_key, created=NOW - timedelta(days=1),
    )
    return Pki(sm2, p256_chain(), rsa_chain(), maker, tsa_chain, tsa, seal_der)
