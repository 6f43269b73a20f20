"""Input limits for PDFs and the mapping of parser failures to :class:`~trustkit.errors.DecodeError`."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from trustkit.errors import DecodeError, TrustkitError

__all__ = ["MAX_PDF_SIZE", "check_pdf_bytes", "pdf_errors"]

#: Largest PDF :func:`~trustkit.pdf.stamp_pdf` and :func:`~trustkit.pdf.verify_pdf` accept.
MAX_PDF_SIZE: Final = 64 * 1024 * 1024


def check_pdf_bytes(pdf: object) -> bytes:
    """Type and size checks before any parsing.

    :raises TypeError: not bytes.
    :raises DecodeError: larger than :data:`MAX_PDF_SIZE`, or no ``%PDF-`` header near the start.
    """
    if not isinstance(pdf, (bytes, bytearray, memoryview)):
        raise TypeError(f"pdf must be bytes, got {type(pdf).__name__}")
    data = bytes(pdf)
    if len(data) > MAX_PDF_SIZE:
        raise DecodeError(f"the PDF is {len(data)} bytes; the limit is {MAX_PDF_SIZE}")
    if b"%PDF-" not in data[:1024]:
        raise DecodeError("not a PDF: no %PDF- header in the first 1024 bytes")
    return data


def _from_parser(exc: BaseException) -> bool:
    """Whether the exception was raised inside a PDF/ASN.1 parsing library (not by trustkit itself)."""
    tb = exc.__traceback__
    module = ""
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        tb = tb.tb_next
    return module.startswith(("pyhanko", "asn1crypto", "pdfminer"))


@contextmanager
def pdf_errors(what: str) -> Iterator[None]:
    """Turn pyHanko/asn1crypto parse failures (and recursion) into DecodeError ``what: reason``."""
    from pyhanko.pdf_utils.misc import PdfError

    try:
        yield
    except TrustkitError:
        raise
    except PdfError as exc:
        raise DecodeError(f"{what}: {exc}") from None
    except RecursionError:
        raise DecodeError(f"{what}: objects nested too deeply") from None
    except (KeyError, IndexError, AttributeError, TypeError, AssertionError, struct.error, zlib.error,
            UnicodeError, OverflowError) as exc:
        raise DecodeError(f"{what}: malformed structure ({type(exc).__name__}: {exc})") from None
    except ValueError as exc:
        if _from_parser(exc):
            raise DecodeError(f"{what}: {exc}") from None
        raise
