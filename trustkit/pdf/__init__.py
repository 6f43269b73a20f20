"""Electronic seals on PDF: visible SM2 seal stamps, riding seals, and verification.

::

    from trustkit.pdf import PagePosition, stamp_pdf, verify_pdf
    signed = stamp_pdf(pdf, signer, seal_image=round_seal("某某局"), placement=PagePosition(1, 150, 230))
    report = verify_pdf(signed, context=trust)
    assert report.valid

:func:`stamp_pdf` writes CMS SignedData with SM2/SM3 (default), the GM/T 0010 OID variant, a
GB/T 38540 SES_Signature, or a PAdES signature for ECDSA/RSA; :func:`verify_pdf` checks every
signature and answers with the :class:`~trustkit.verification.DocumentReport` the OFD verifier
also uses.  Importing this package registers SM3 and sm2sign-with-sm3 with asn1crypto, for
pyHanko (see :mod:`trustkit.pdf._pyhanko_sm2`).
"""

from __future__ import annotations

from trustkit.pdf import (
    _pyhanko_sm2 as _pyhanko_sm2,  # registers the OIDs before pyHanko loads
)
from trustkit.pdf._reader import MAX_PDF_SIZE
from trustkit.pdf.placement import KeywordPosition, PagePosition, Placement, RidingSeal
from trustkit.pdf.stamp import Mode, stamp_pdf
from trustkit.pdf.verify import verify_pdf

__all__ = [
    "MAX_PDF_SIZE",
    "KeywordPosition",
    "Mode",
    "PagePosition",
    "Placement",
    "RidingSeal",
    "stamp_pdf",
    "verify_pdf",
]
