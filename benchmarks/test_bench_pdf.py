"""PDF seals: stamp + sign and verify a 1-page PDF, next to pyHanko's own ES256 signing in the same run.

Groups:

- ``pdf-stamp``: ``stamp_pdf`` of a visible 42 mm seal (PNG picture, cached raster) on a 1-page
  A4 document: SM2 ``cms-sm2`` (the issue's ">= 200/s per core"), SM2 ``cms-gm``, SM2 ``ses``,
  P-256 ``pades`` (pyHanko's CAdES attribute path with our Signer); and pyHanko's own
  ``PdfSigner`` + ``SimpleSigner`` ES256 (invisible field, PAdES) as the reference rate.
- ``pdf-verify``: ``verify_pdf`` of the SM2 ``cms-sm2`` output with and without a trust context
  (the issue's ">= 300/s per core"), of the P-256 PAdES output; and pyHanko's
  ``validate_pdf_signature`` of its own ES256 output as the reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from io import BytesIO
from typing import Any

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pytest_benchmark.fixture import BenchmarkFixture
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from trustkit import sm2
from trustkit.pdf import PagePosition, stamp_pdf, verify_pdf
from trustkit.pki import algorithms
from trustkit.pki.builder import CertificateProfile, issue_certificate
from trustkit.pki.certificate import Certificate
from trustkit.pki.names import make_name
from trustkit.pki.signer import LocalSigner
from trustkit.pki.validation import ValidationContext
from trustkit.seal.image import round_seal
from trustkit.seal.ses import make_seal

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
AT = datetime(2026, 6, 1, tzinfo=timezone.utc)
PLACE = PagePosition(1, 150, 60)


@dataclass(frozen=True)
class Material:
    pdf: bytes
    png: bytes
    sm2: LocalSigner
    p256: LocalSigner
    context: ValidationContext


def _chain(make_key: Any) -> tuple[LocalSigner, Certificate]:
    root_key, leaf_key = make_key(), make_key()
    root = issue_certificate(subject=make_name(common_name="Bench Root"), public_key=algorithms.public_key_of(root_key),
                             issuer=None, issuer_key=root_key, profile=CertificateProfile.ROOT_CA, not_before=T0,
                             validity=timedelta(days=3000))
    leaf = issue_certificate(subject=make_name(common_name="Bench Seal Signer"),
                             public_key=algorithms.public_key_of(leaf_key), issuer=root, issuer_key=root_key,
                             profile=CertificateProfile.SEAL_SIGNER, not_before=T0, validity=timedelta(days=2000))
    return LocalSigner(leaf_key, leaf, (root,)), root


def _one_page() -> bytes:
    buf = BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=True)
    c.setFont("Helvetica", 14)
    c.drawString(72, 700, "Benchmark contract. Signed by ACME.")
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.fixture(scope="module")
def material() -> Material:
    sm2_signer, sm2_root = _chain(sm2.generate_private_key)
    p256_signer, p256_root = _chain(lambda: ec.generate_private_key(ec.SECP256R1()))
    image = round_seal("某某市人民政府", seal_name="合同专用章")
    return Material(_one_page(), image.png(dpi=300), sm2_signer, p256_signer,
                    ValidationContext([sm2_root, p256_root]))


# ---- stamp + sign -------------------------------------------------------------------------------------


@pytest.mark.benchmark(group="pdf-stamp")
@pytest.mark.parametrize("mode", ["cms-sm2", "cms-gm"])
def test_stamp_sm2(benchmark: BenchmarkFixture, material: Material, mode: str) -> None:
    out = benchmark(stamp_pdf, material.pdf, material.sm2, seal_image=material.png, placement=PLACE, mode=mode)
    assert verify_pdf(out).valid


@pytest.mark.benchmark(group="pdf-stamp")
def test_stamp_ses(benchmark: BenchmarkFixture, material: Material) -> None:
    signer = material.sm2
    seal_der = make_seal(4, esid="BENCH-1", name="合同专用章", seal_type=1, signer_certificates=[signer.certificate],
                         valid_from=T0, valid_to=T0 + timedelta(days=3000),
                         picture=(material.png, "PNG", 42, 42), maker_certificate=signer.certificate,
                         maker_key=signer.key)
    out = benchmark(stamp_pdf, material.pdf, signer, seal_image=material.png, placement=PLACE, mode="ses",
                    seal_der=seal_der)
    assert verify_pdf(out).signatures[0].kind == "seal"


@pytest.mark.benchmark(group="pdf-stamp")
def test_stamp_p256_pades(benchmark: BenchmarkFixture, material: Material) -> None:
    out = benchmark(stamp_pdf, material.pdf, material.p256, seal_image=material.png, placement=PLACE, mode="pades")
    assert verify_pdf(out).valid


def _pyhanko_signer(signer: LocalSigner) -> Any:
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key_der = signer.key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,  # type: ignore[union-attr]
                                       serialization.NoEncryption())
    return signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(signer.certificate.der),
        signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs([asn1_x509.Certificate.load(c.der) for c in signer.chain]),
    )


def _pyhanko_sign(pdf: bytes, pyhanko_signer: Any) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    meta = signers.PdfSignatureMetadata(field_name="Sig", md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES)
    out = signers.PdfSigner(meta, signer=pyhanko_signer).sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf)))
    return bytes(out.getvalue())


@pytest.mark.benchmark(group="pdf-stamp")
def test_stamp_pyhanko_es256_reference(benchmark: BenchmarkFixture, material: Material) -> None:
    """pyHanko as is: ES256 PAdES into a new invisible field (no seal picture)."""
    pyhanko_signer = _pyhanko_signer(material.p256)
    out = benchmark(_pyhanko_sign, material.pdf, pyhanko_signer)
    assert verify_pdf(out).valid


# ---- verify -------------------------------------------------------------------------------------------


@pytest.mark.benchmark(group="pdf-verify")
def test_verify_sm2(benchmark: BenchmarkFixture, material: Material) -> None:
    signed = stamp_pdf(material.pdf, material.sm2, seal_image=material.png, placement=PLACE)
    assert benchmark(verify_pdf, signed).valid


@pytest.mark.benchmark(group="pdf-verify")
def test_verify_sm2_with_chain(benchmark: BenchmarkFixture, material: Material) -> None:
    signed = stamp_pdf(material.pdf, material.sm2, seal_image=material.png, placement=PLACE)
    assert benchmark(verify_pdf, signed, context=material.context, at=AT).valid


@pytest.mark.benchmark(group="pdf-verify")
def test_verify_p256_pades(benchmark: BenchmarkFixture, material: Material) -> None:
    signed = stamp_pdf(material.pdf, material.p256, seal_image=material.png, placement=PLACE, mode="pades")
    assert benchmark(verify_pdf, signed, context=material.context, at=AT).valid


@pytest.mark.benchmark(group="pdf-verify")
def test_verify_pyhanko_es256_reference(benchmark: BenchmarkFixture, material: Material) -> None:
    """pyHanko's validator on its own ES256 output, trusting the bench root."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext as PyHankoContext

    signed = _pyhanko_sign(material.pdf, _pyhanko_signer(material.p256))
    roots = [asn1_x509.Certificate.load(c.der) for c in material.p256.chain]

    def validate() -> Any:
        context = PyHankoContext(trust_roots=roots, moment=AT)
        return validate_pdf_signature(PdfFileReader(BytesIO(signed)).embedded_signatures[0], context)

    assert benchmark(validate).valid
