"""Stamp an SM2 electronic seal on a PDF, add a riding seal, and verify both signatures.

Run:  python examples/stamp_pdf.py [INPUT.pdf] [OUTPUT.pdf]

Without arguments a 3-page contract is generated with reportlab and the result is written to
``stamped.pdf`` in the current directory.  The example makes a throw-away test CA; a portal
uses its real seal certificate and key (behind a Signer, e.g. the signing daemon).
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path

from trustkit import sm2
from trustkit.files import write_atomic
from trustkit.pdf import KeywordPosition, RidingSeal, stamp_pdf, verify_pdf
from trustkit.pki.algorithms import public_key_of
from trustkit.pki.builder import CertificateProfile, create_root_ca, issue_certificate
from trustkit.pki.names import make_name
from trustkit.pki.signer import LocalSigner
from trustkit.pki.validation import ValidationContext
from trustkit.seal.image import round_seal


def contract(pages: int = 3) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for page in range(1, pages + 1):
        c.setFont("Helvetica", 12)
        c.drawString(72, 760, f"Service contract, page {page} of {pages}")
        if page == pages:
            c.drawString(72, 200, "Party A (seal): ____________        Party B (seal): ____________")
        c.showPage()
    c.save()
    return buf.getvalue()


def main() -> int:
    source = Path(sys.argv[1]).read_bytes() if len(sys.argv) > 1 else contract()
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else Path("stamped.pdf")

    # A throw-away CA and seal-signer certificate (SM2 with SM3).
    now = datetime.now(timezone.utc)
    root_key, signer_key = sm2.generate_private_key(), sm2.generate_private_key()
    root = create_root_ca(make_name(common_name="Example Root CA", organization="示例"), root_key)
    certificate = issue_certificate(
        subject=make_name(common_name="某某市人民政府", organization="某某市人民政府"),
        public_key=public_key_of(signer_key), issuer=root, issuer_key=root_key,
        profile=CertificateProfile.SEAL_SIGNER, not_before=now - timedelta(minutes=5), validity=timedelta(days=365),
    )
    signer = LocalSigner(signer_key, certificate, (root,))
    seal = round_seal("某某市人民政府", seal_name="合同专用章")

    # 1. The seal on the first "Party A" on the last page (keyword search in the page text).
    stamped = stamp_pdf(source, signer, seal_image=seal, placement=KeywordPosition("Party A"), reason="合同签署")
    # 2. A riding seal (骑缝章) across the right edges of all pages: a second signature.
    stamped = stamp_pdf(stamped, signer, seal_image=seal, placement=RidingSeal())

    write_atomic(target, stamped, mode=0o644, overwrite=True)
    report = verify_pdf(stamped, context=ValidationContext([root]), name=target.name)
    print(report.summary())
    return 0 if report.valid else 1


if __name__ == "__main__":
    sys.exit(main())
