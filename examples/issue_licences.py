"""Issue the two example licences (营业执照 and 职业资格证书), verify them, render them to PNG.

Run:  python examples/issue_licences.py [OUTPUT_DIR]        (default: ./licences)

What an issuing authority's portal does:

1. a CA for the authorities and a seal-making system (制章系统), each an SM2 certificate chain;
2. the authorities' electronic seals (GB/T 38540), made and signed by the seal maker;
3. each licence laid out on its template from its data record, the record embedded (DocInfo and
   a custom tag with the record's canonical XML), a scan-to-show QR code drawn, and the seal
   stamped over the issuing authority's name;
4. every licence verified as a relying party would (seal, chain, record, codes, validity), its QR
   code verified offline against a trust list, and, if easyofd is installed, the page rendered
   to PNG next to the OFD file.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from trustkit import sm2
from trustkit.licence.issue import issue_licence
from trustkit.licence.model import LicenceRecord
from trustkit.licence.qr import (
    TrustListEntry,
    load_trust_list,
    make_qr_payload,
    make_trust_list,
    verify_qr_payload,
)
from trustkit.licence.template import load_template
from trustkit.licence.verify import verify_licence
from trustkit.pki.builder import CertificateProfile, create_root_ca, issue_certificate
from trustkit.pki.names import make_name
from trustkit.pki.signer import LocalSigner
from trustkit.pki.validation import ValidationContext
from trustkit.seal.image import round_seal
from trustkit.seal.ses import SealPictureInfo, make_seal

TEMPLATES = Path(__file__).resolve().parent / "licence_templates"
LICENCES = ("business_licence", "qualification_certificate")
CJK_FONTS = [Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
             Path("/usr/share/fonts/truetype/arphic/uming.ttc")]
RENDER = r"""
import sys
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from easyofd import OFD
pdfmetrics.registerFont(TTFont("宋体", sys.argv[1], subfontIndex=0))  # easyofd draws text in a font named 宋体
ofd = OFD()
ofd.read(open(sys.argv[2], "rb").read(), fmt="binary")
ofd.to_jpg()[0].save(sys.argv[3])
"""


def render(ofd: Path, png: Path) -> str:
    font = next((f for f in CJK_FONTS if f.exists()), None)
    try:
        import easyofd  # noqa: F401
    except ImportError:
        return "not rendered (pip install easyofd)"
    if font is None:
        return "not rendered (no CJK TrueType font; apt-get install fonts-wqy-zenhei)"
    result = subprocess.run([sys.executable, "-c", RENDER, str(font), str(ofd), str(png)], check=False,
                            capture_output=True, text=True, timeout=120)
    return f"rendered {png}" if result.returncode == 0 else f"render failed: {result.stderr.strip()[-300:]}"


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("licences")
    out.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc).replace(microsecond=0)

    # 1. The PKI: one root, an issuing CA for the authorities' seal certificates, a seal maker.
    root_key, ca_key, maker_key = sm2.generate_private_key(), sm2.generate_private_key(), sm2.generate_private_key()
    start = now - timedelta(hours=1)  # certificates valid from before the first signature
    root = create_root_ca(make_name(common_name="示例政务根CA", organization="示例政务服务中心"), root_key,
                          not_before=start)
    ca = issue_certificate(subject=make_name(common_name="示例电子证照签发CA", organization="示例政务服务中心"),
                           public_key=ca_key.public_key(), issuer=root, issuer_key=root_key,
                           profile=CertificateProfile.INTERMEDIATE_CA, path_length=0, not_before=start)
    maker = issue_certificate(subject=make_name(common_name="示例印章制作系统", organization="示例市公安局"),
                              public_key=maker_key.public_key(), issuer=ca, issuer_key=ca_key,
                              profile=CertificateProfile.SEAL_MAKER, not_before=start)
    context = ValidationContext([root], [ca])

    for name in LICENCES:
        template = load_template(TEMPLATES / f"{name}.json")
        record = LicenceRecord.from_json((TEMPLATES / f"{name}.record.json").read_bytes())

        # 2. The issuing authority's seal certificate and its electronic seal.
        key = sm2.generate_private_key()
        cert = issue_certificate(subject=make_name(common_name=record.issuer_name, organization=record.issuer_name,
                                                   serial_number=record.issuer_code),
                                 public_key=key.public_key(), issuer=ca, issuer_key=ca_key,
                                 profile=CertificateProfile.SEAL_SIGNER, not_before=start)
        picture = SealPictureInfo.from_image(round_seal(record.issuer_name, seal_name="电子证照专用章"), dpi=200)
        seal = make_seal(esid=record.issuer_code[2:16], name=f"{record.issuer_name}电子证照专用章", seal_type=1,
                         signer_certificates=[cert], valid_from=now - timedelta(days=1),
                         valid_to=now + timedelta(days=365), picture=picture, maker_certificate=maker,
                         maker_key=maker_key)
        signer = LocalSigner(key, cert)

        # 3. Issue.
        data = issue_licence(record, template, signer, seal, time=now)
        target = out / f"{name}.ofd"
        target.write_bytes(data)
        print(f"issued {target} ({len(data)} bytes): {record.licence_type_name} {record.licence_number}, "
              f"{record.holder_name}, {record.identifier}")

        # 4. Verify as a relying party, then the QR code offline.
        result = verify_licence(target, context=context, at=now)
        print(result.summary())
        if not result.valid:
            return 1
        trust = load_trust_list(make_trust_list(
            [TrustListEntry.from_certificate(cert, issuer_name=record.issuer_name, issuer_code=record.issuer_code)],
            LocalSigner(ca_key, ca), sequence=1, issued_at=now), trust_anchor_certificate=ca)
        shown = verify_qr_payload(make_qr_payload(record, signer, show_minutes=5, now=now), trust, now=now)
        print(f"  scan-to-show QR (5-minute show mode): {'valid' if shown.valid else 'INVALID'}, "
              f"holder {shown.claims.holder_name} {shown.claims.holder_code}")
        print(f"  {render(target, out / f'{name}.png')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
