"""``trustkit pdf stamp|verify``: visible electronic seals with SM2 (or ECDSA/RSA PAdES) signatures on PDF.

``stamp`` adds one signature to a PDF as an incremental update (earlier signatures stay valid):
a seal picture at true size, placed by page and coordinates, centred on a keyword, or as a
riding seal (骑缝章) across the right edges of several pages; the signature is a CMS SignedData
with SM2/SM3 (``--mode cms-sm2``, the default for SM2 keys, or ``cms-gm`` with the GM/T 0010
OIDs), a GB/T 38540 SES_Signature (``--mode ses``, with ``--seal``), or PAdES for ECDSA/RSA keys
(``--mode pades``, the default for them).  See :mod:`trustkit.pdf.stamp` for the formats.

``verify`` checks every signature of every PDF given (ByteRange, digest, signature, chain with
--trust, timestamp, changes made after signing): exit 0 when every document is valid, 1 when
one is not, 2 when one cannot be read.  Several documents show a progress bar on a terminal.
"""
# mypy: disable-error-code="no-untyped-call"
# (pyHanko ships type hints, but some of its helpers are unannotated.)

from __future__ import annotations

import argparse
import logging
import math
import re
from collections.abc import Iterable
from io import BytesIO
from pathlib import Path
from typing import Any, cast

from trustkit.errors import DecodeError, TrustkitError
from trustkit.pdf import (
    MAX_PDF_SIZE,
    KeywordPosition,
    Mode,
    PagePosition,
    Placement,
    RidingSeal,
    stamp_pdf,
    verify_pdf,
)
from trustkit.pki.signer import LocalSigner
from trustkit.pki.timestamp import TimestampAuthority
from trustkit.primitives import sm2
from trustkit.seal.image import MAX_PICTURE_BYTES, SealImage
from trustkit.seal.ses import MAX_SEAL_BYTES, Seal, parse_seal
from trustkit.verification import DocumentReport

from ._output import (
    EXIT_ERROR,
    EXIT_INVALID,
    EXIT_OK,
    CommandError,
    add_password_options,
    check_writable,
    command,
    emit,
    password_from,
    read_input,
    refuse_binary_to_terminal,
    wants_json,
    write_output,
)
from .ofd import Progress, error_of, finite_float, parse_pages
from .ofd import documents_in as ofd_documents_in
from .pki import (
    add_trust_options,
    load_signing_key,
    read_certificates,
    read_limited,
    read_one_certificate,
    validation_context,
    validation_time,
)
from .seal import draw_seal
from .ts import DEFAULT_POLICY

MODES: tuple[Mode, ...] = ("cms-sm2", "cms-gm", "ses", "pades")
ORIGINS = ("top-left", "bottom-left")
RASTER_TYPES = ("PNG", "JPG", "JPEG", "GIF", "BMP")
DEFAULT_SEAL_MM = 42.0
FIELD_NAME = re.compile(r"[A-Za-z0-9_\-]{1,64}")  # what stamp_pdf accepts as field_name


def _quiet_pdf_libraries() -> None:
    """pyHanko and pdfminer log parser warnings; without a handler they would reach stderr."""
    for name in ("pyhanko", "pdfminer"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(logging.NullHandler())
        logger.propagate = False


def read_pdf(path: str) -> bytes:
    """A PDF file (or ``-``), refused before reading when larger than :data:`MAX_PDF_SIZE`."""
    if path != "-":
        size = Path(path).stat().st_size
        if size > MAX_PDF_SIZE:
            raise DecodeError(f"{path}: the PDF is {size} bytes; the limit is {MAX_PDF_SIZE}")
    data = read_input(path, "PDF")
    if len(data) > MAX_PDF_SIZE:
        raise DecodeError(f"{path}: the PDF is {len(data)} bytes; the limit is {MAX_PDF_SIZE}")
    return data


# ---- stamp: options to library arguments --------------------------------------------------------


def placement_from(args: argparse.Namespace) -> Placement:
    """The one placement the options describe (a PDF seal is always visible)."""
    coords = [args.page is not None, args.x is not None, args.y is not None]
    chosen = sum([any(coords), args.keyword is not None, args.riding])
    if chosen > 1:
        raise CommandError("choose one placement: --page/--x/--y, --keyword or --riding")
    if chosen == 0:
        raise CommandError("say where the seal goes: --page N --x MM --y MM, --keyword TEXT or --riding")
    if args.origin is not None and not any(coords):
        raise CommandError("--origin applies to --page/--x/--y")
    if args.occurrence is not None and args.keyword is None:
        raise CommandError("--occurrence applies to --keyword")
    if args.riding_y is not None and not args.riding:
        raise CommandError("--riding-y applies to --riding")
    if args.pages is not None and any(coords):
        raise CommandError("--pages applies to --keyword (pages to search) or --riding (pages to cover)")
    pages = tuple(p + 1 for p in parse_pages(args.pages)) if args.pages is not None else None
    if any(coords):
        if not all(coords):
            raise CommandError("placing by coordinates needs --page N --x MM --y MM (page 1 is the first)")
        if args.page == 0:
            raise CommandError("--page: the first page is 1 (-1 is the last)")
        return PagePosition(args.page, args.x, args.y, args.origin or "top-left")
    if args.keyword is not None:
        if not args.keyword.strip():
            raise CommandError("--keyword needs some text")
        occurrence = 1 if args.occurrence is None else args.occurrence
        return KeywordPosition(args.keyword, None if occurrence == 0 else occurrence, pages)
    return RidingSeal(pages, args.riding_y)


def _occurrence(text: str) -> int:
    """``N`` (1-based) or ``all`` (returned as 0)."""
    if text == "all":
        return 0
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("give a number (1 = first occurrence) or 'all'") from None
    if value < 1:
        raise argparse.ArgumentTypeError("occurrences count from 1")
    return value


def size_mm(text: str, option: str) -> tuple[float, float]:
    """``42`` or ``45x30`` (millimetres) as (width, height)."""
    parts = text.lower().replace("mm", "").split("x")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) not in (1, 2) or not all(math.isfinite(v) and 1 <= v <= 500 for v in values):
        raise CommandError(f"{option} {text!r}: give the size in mm as 42 or 45x30 (1 to 500 mm)")
    return (values[0], values[-1])


def _read_seal(path: str) -> Seal:
    data = read_input(path, "seal")
    if len(data) > MAX_SEAL_BYTES:
        raise CommandError(f"{path} is too large for a seal ({len(data)} bytes)", code="decode_error")
    try:
        return parse_seal(data)
    except DecodeError as exc:
        raise DecodeError(f"{path}: {exc.message}", code=exc.code) from None


def seal_picture(args: argparse.Namespace, seal: Seal | None) -> tuple[SealImage | bytes, tuple[float, float] | None, str]:
    """The picture to stamp, its size (None: the picture's own) and a description for the output."""
    if args.seal_name is not None and args.seal_org is None:
        raise CommandError("--seal-name is drawn with --seal-org: add --seal-org ORGANISATION")
    size = size_mm(args.seal_size_mm, "--seal-size-mm") if args.seal_size_mm else None
    if args.seal_org is not None:
        if not args.seal_org.strip():
            raise CommandError("--seal-org needs the organisation's name")
        if size is not None and size[0] != size[1]:
            raise CommandError("--seal-size-mm: a drawn round seal has one diameter (e.g. 42)")
        image = draw_seal("round", org=args.seal_org, name=args.seal_name, code=None,
                          size_mm=size[0] if size else DEFAULT_SEAL_MM)
        return image, None, f"round seal {image.title}"
    if args.seal_image is not None:
        data = read_input(args.seal_image, "seal picture")
        if len(data) > MAX_PICTURE_BYTES:
            raise CommandError(f"{args.seal_image}: the picture is {len(data)} bytes; the limit is "
                               f"{MAX_PICTURE_BYTES}", code="decode_error")
        return data, size, f"picture {args.seal_image}"
    if seal is None:
        raise CommandError("give the seal picture: --seal-image SEAL.png or --seal-org ORGANISATION")
    picture = seal.picture
    if picture.type.upper() not in RASTER_TYPES:
        raise CommandError(f"the seal's picture is {picture.type}, not a raster image: give --seal-image SEAL.png "
                           "or --seal-org ORGANISATION")
    own_size = (float(picture.width_mm), float(picture.height_mm))
    return picture.data, size or own_size, f"the seal's picture ({picture.width_mm} x {picture.height_mm} mm)"


def mode_from(args: argparse.Namespace, has_seal: bool, is_sm2: bool) -> Mode:
    """``--mode``, else ses with --seal, cms-sm2 for SM2 keys and pades for ECDSA/RSA keys."""
    mode = cast("Mode | None", args.mode)
    if has_seal and mode not in (None, "ses"):
        raise CommandError(f"--seal is embedded by --mode ses, not {mode}: drop --seal or use --mode ses")
    if mode == "ses" and not has_seal:
        raise CommandError("--mode ses signs with an electronic seal: give --seal SEAL.esl")
    if mode == "pades" and is_sm2:
        raise CommandError("--mode pades is for ECDSA/RSA keys: an SM2 key signs with cms-sm2, cms-gm or ses")
    if mode is not None and mode != "pades" and not is_sm2:
        raise CommandError(f"--mode {mode} needs an SM2 key: an ECDSA/RSA key signs with --mode pades")
    if mode is not None:
        return mode
    if has_seal:
        return "ses"
    return "cms-sm2" if is_sm2 else "pades"


def timestamp_from(args: argparse.Namespace) -> TimestampAuthority | str | None:
    """An in-process TSA (--tsa-key/--tsa-cert), a TSA URL (--tsa-url) or none."""
    if args.tsa_url and (args.tsa_key or args.tsa_cert):
        raise CommandError("give either --tsa-url URL or --tsa-key KEY with --tsa-cert CERT, not both")
    if args.tsa_url:
        if not args.tsa_url.lower().startswith(("http://", "https://")):
            raise CommandError(f"--tsa-url {args.tsa_url!r}: give an http:// or https:// URL")
        return str(args.tsa_url)
    if not (args.tsa_key or args.tsa_cert):
        return None
    if not (args.tsa_key and args.tsa_cert):
        raise CommandError("an in-process timestamp needs both --tsa-key and --tsa-cert")
    key = load_signing_key(read_limited(args.tsa_key, "TSA key"), password_from(args, "tsa-password"),
                           option="--tsa-password", what="the TSA key")
    return TimestampAuthority(key, read_one_certificate(args.tsa_cert, "TSA certificate"), policy_oid=args.tsa_policy)


def appearances(pdf: bytes, field: str) -> list[dict[str, Any]]:
    """Page (1-based) and rectangle (pt) of every appearance of signature ``field``: its widget and stamps."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(BytesIO(pdf), strict=False)
    found: list[dict[str, Any]] = []
    for index in range(int(reader.root["/Pages"]["/Count"])):
        page = reader.find_page_for_modification(index)[0].get_object()
        for ref in page.get("/Annots", ()):
            annot = ref.get_object()
            title, name = annot.get("/T"), annot.get("/NM")
            if (title is not None and str(title) == field) or (name is not None and str(name).startswith(f"{field}#")):
                found.append({"page": index + 1, "rect": [round(float(v), 2) for v in annot["/Rect"]]})
    return found


def _stamp(args: argparse.Namespace) -> int:
    _quiet_pdf_libraries()
    if args.out != "-":
        same = args.input != "-" and Path(args.input).resolve() == Path(args.out).resolve()
        if same and not args.force:
            raise CommandError(f"{args.out} is the input: add --force to stamp it in place")
        check_writable(args.out, args.force or same)
    refuse_binary_to_terminal(args, args.out, True, "use --out FILE.pdf")
    if args.out == "-" and wants_json(args):
        raise CommandError("--out - writes the PDF to standard output: drop --json or give --out FILE.pdf")
    if args.field is not None and not FIELD_NAME.fullmatch(args.field):
        raise CommandError(f"--field {args.field!r}: use 1 to 64 ASCII letters, digits, '_' or '-'")
    placement = placement_from(args)
    seal = _read_seal(args.seal) if args.seal else None
    key = load_signing_key(read_limited(args.key, "key"), password_from(args))
    certificate = read_one_certificate(args.cert, "signer certificate")
    chain = tuple(read_certificates(args.chain, "chain certificate")) if args.chain else ()
    signer = LocalSigner(key, certificate, chain)
    mode = mode_from(args, seal is not None, isinstance(certificate.public_key, sm2.PublicKey))
    picture, picture_size, picture_text = seal_picture(args, seal)
    timestamp = timestamp_from(args)
    pdf = read_pdf(args.input)

    signed = stamp_pdf(pdf, signer, seal_image=picture, placement=placement, field_name=args.field, mode=mode,
                       seal_der=seal.der if seal is not None else None, timestamp=timestamp, reason=args.reason,
                       location=args.location, contact=args.contact, seal_size_mm=picture_size)
    # Self-check before writing: the new signature must verify (the chain is the recipient's business).
    report = verify_pdf(signed, name=args.out)
    if args.field is not None:
        new = next((s for s in report.signatures if s.signature_id == args.field), None)
    else:
        new = report.signatures[-1] if report.signatures else None
    if new is None or not new.valid:
        reasons = "; ".join(f"{c.name}: {c.detail}" for c in new.failures) if new else "no signature found"
        raise CommandError(f"the new signature does not verify ({reasons}); nothing was written",
                           code="self_check_failed")
    spots = appearances(signed, new.signature_id)
    write_output(args.out, signed, force=True)
    timestamped = any(c.name == "timestamp" for c in new.checks)
    payload: dict[str, Any] = {
        "input": args.input, "output": args.out, "field": new.signature_id, "mode": mode,
        "subfilter": new.details.get("subfilter"), "signer": new.signer, "seal_name": new.seal_name,
        "seal_id": new.seal_id, "picture": picture_text, "appearances": spots, "timestamp": timestamped,
        "signing_time": new.signing_time.isoformat() if new.signing_time else None, "bytes": len(signed),
    }
    pages = sorted({s["page"] for s in spots})
    where = f"{len(spots)} appearance(s) on page {', '.join(map(str, pages))}"
    text = (f"wrote {args.out}: signature {new.signature_id} ({mode}) by {new.signer}, {where}"
            + (", timestamped" if timestamped else ""))
    if args.out == "-":
        text = ""  # the document went to stdout
    emit(args, payload, text)
    return EXIT_OK


# ---- verify ------------------------------------------------------------------------------------


def documents_in(paths: Iterable[str]) -> list[str]:
    """The files named, with a directory standing for every ``*.pdf`` below it (sorted)."""
    return ofd_documents_in(paths, ".pdf")


def invalid_reason(report: DocumentReport) -> dict[str, str]:
    """The first failure's code and every failure's reason, for ``error`` in the JSON output."""
    if not report.signatures:
        return {"code": "no_signatures", "message": f"{report.document} has no signatures"}
    failures = [(sig.signature_id, check) for sig in report.signatures for check in sig.failures]
    failures += [("document", c) for c in report.document_checks if c.ok is False and c.severity == "error"]
    if not failures:
        return {"code": "invalid", "message": f"{report.document} is not valid"}
    message = "; ".join(f"[{where}] {check.code or check.name}: {check.detail}" for where, check in failures)
    return {"code": failures[0][1].code or failures[0][1].name, "message": message}


def _payload(report: DocumentReport) -> dict[str, Any]:
    payload = report.to_dict()
    if not report.valid:
        payload["error"] = invalid_reason(report)
    return payload


NO_TRUST_NOTE = "note: no --trust given, so certificate chains were not checked"


def _verify(args: argparse.Namespace) -> int:
    _quiet_pdf_libraries()
    if not args.trust and (args.untrusted or args.crl or args.require_revocation):
        raise CommandError("--untrusted, --crl and --require-revocation need --trust ROOT.pem")
    if args.inputs.count("-") > 1:
        raise CommandError("standard input ('-') can be read only once")
    files = documents_in(args.inputs)
    context = validation_context(args) if args.trust else None
    at = validation_time(args)
    note = [] if context is not None else [NO_TRUST_NOTE]

    if len(files) == 1 and not (args.inputs[0] != "-" and Path(args.inputs[0]).is_dir()):
        report = verify_pdf(read_pdf(files[0]), context=context, at=at, name=files[0])
        emit(args, {**_payload(report), "chains_checked": context is not None},
             "\n".join([report.summary(), *note]), ok=report.valid)
        return EXIT_OK if report.valid else EXIT_INVALID

    progress = Progress.for_args(args, len(files))
    documents: list[dict[str, Any]] = []
    blocks: list[str] = []
    counts = {"valid": 0, "invalid": 0, "error": 0}
    for path in files:
        try:
            report = verify_pdf(read_pdf(path), context=context, at=at, name=path)
        except (TrustkitError, CommandError, OSError, ValueError) as exc:
            error = error_of(exc, path)
            counts["error"] += 1
            documents.append({"document": path, "valid": False, "error": error})
            blocks.append(f"{path}: ERROR {error['message']}")
        else:
            counts["valid" if report.valid else "invalid"] += 1
            documents.append(_payload(report))
            blocks.append(report.summary())
        progress.step(path)
    progress.finish()
    blocks.append(f"{counts['valid']} of {len(files)} document(s) valid, {counts['invalid']} invalid, "
                  f"{counts['error']} unreadable")
    exit_code = EXIT_ERROR if counts["error"] else EXIT_INVALID if counts["invalid"] else EXIT_OK
    emit(args, {"valid": exit_code == EXIT_OK, "chains_checked": context is not None, "documents": documents,
                **{f"{k}_count": v for k, v in counts.items()}},
         "\n".join([*blocks, *note]), ok=exit_code == EXIT_OK)
    return exit_code


# ---- registration ------------------------------------------------------------------------------


def register(sub: Any) -> None:
    pdf = sub.add_parser(
        "pdf", help="stamp and verify electronic seals on PDF documents",
        description="Visible electronic seals on PDF: SM2/SM3 CMS signatures (or GB/T 38540 SES, or PAdES\n"
                    "for ECDSA/RSA keys) added as incremental updates, and their verification.",
        epilog="Run 'trustkit pdf COMMAND --help' for the options of each command.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    pdf_sub = pdf.add_subparsers(dest="pdf_command", metavar="{stamp,verify}", title="commands")
    pdf_sub.required = True

    stamp = command(
        pdf_sub, "stamp", help="stamp a visible seal on a PDF and sign it",
        description="Stamp the seal picture at its true size and sign the document as an incremental update,\n"
                    "so earlier signatures stay valid. Place the seal's centre by page and coordinates (mm\n"
                    "from the page's top-left corner, or bottom-left with --origin), on a keyword found in\n"
                    "the page text, or as a riding seal (骑缝章) cut across the right edges of several pages.\n\n"
                    "Modes: cms-sm2 (default for SM2 keys; SubFilter adbe.pkcs7.detached, SM3 + SM2),\n"
                    "cms-gm (the same with GM/T 0010 OIDs), ses (a GB/T 38540 SES_Signature; needs --seal;\n"
                    "the default when --seal is given), pades (ETSI.CAdES.detached; default for ECDSA/RSA).\n"
                    "The picture is --seal-image, a round seal drawn with --seal-org, or with --seal the\n"
                    "seal's own picture. The new signature is verified before the file is written.",
        examples="  trustkit pdf stamp contract.pdf --key k.pem --cert c.pem --seal-org 某某市人民政府 \\\n"
                 "      --seal-name 合同专用章 --page 1 --x 150 --y 230 --out contract-sealed.pdf\n"
                 "  trustkit pdf stamp a.pdf --key k.pem --cert c.pem --seal seal.esl --keyword 盖章处 --out b.pdf\n"
                 "  trustkit pdf stamp a.pdf --key k.pem --cert c.pem --seal-image seal.png --riding --pages 1-3 \\\n"
                 "      --tsa-url http://tsa.example.cn/tsa --out b.pdf\n"
                 "  trustkit pdf stamp a.pdf --key p256.pem --cert p256.crt --seal-image seal.png --page -1 \\\n"
                 "      --x 150 --y 250 --mode pades --out b.pdf",
    )
    stamp.add_argument("input", metavar="IN.pdf", help="the document ('-' for stdin)")
    stamp.add_argument("--key", required=True, metavar="KEY", help="the signer's private key (SM2, ECDSA P-256/384, RSA)")
    stamp.add_argument("--cert", required=True, metavar="CERT", help="the signer's certificate")
    stamp.add_argument("--chain", action="append", metavar="CERTS", help="issuer certificates to embed (repeatable)")
    stamp.add_argument("--mode", choices=MODES,
                       help="signature format (default: ses with --seal, else cms-sm2 for SM2, pades otherwise)")
    stamp.add_argument("--seal", metavar="SEAL.esl", help="the electronic seal (GB/T 38540) for --mode ses")
    stamp.add_argument("--field", metavar="NAME", help="signature field name (default Seal<n>)")
    pictures = stamp.add_argument_group("seal picture (one of; with --seal the seal's picture is the default)")
    picture = pictures.add_mutually_exclusive_group()
    picture.add_argument("--seal-image", metavar="SEAL.png",
                         help="picture file (PNG with transparency; its DPI gives the size unless --seal-size-mm)")
    picture.add_argument("--seal-org", metavar="TEXT", help="draw a round seal for this organisation")
    pictures.add_argument("--seal-name", metavar="TEXT", help="seal name drawn in the centre (e.g. 合同专用章)")
    pictures.add_argument("--seal-size-mm", metavar="MM",
                          help=f"printed size: 42 or 45x30 (default: the picture's, {DEFAULT_SEAL_MM:g} for --seal-org)")
    where = stamp.add_argument_group("placement (one of)")
    where.add_argument("--page", type=int, metavar="N", help="page number (1 = first, -1 = last) for --x/--y")
    where.add_argument("--x", type=finite_float, metavar="MM", help="the seal's centre, mm from the page's left edge")
    where.add_argument("--y", type=finite_float, metavar="MM", help="the seal's centre, mm from the top (see --origin)")
    where.add_argument("--origin", choices=ORIGINS, help="where --y is measured from (default top-left)")
    where.add_argument("--keyword", metavar="TEXT", help="centre the seal on this text of the page")
    where.add_argument("--occurrence", type=_occurrence, metavar="N|all",
                       help="which occurrence of --keyword (default 1; all = a seal on every one)")
    where.add_argument("--riding", action="store_true", help="riding seal across the right edges of the pages")
    where.add_argument("--pages", metavar="LIST",
                       help="pages for --riding (default all) or to search for --keyword, e.g. 1-3 or 1,3,5")
    where.add_argument("--riding-y", type=finite_float, metavar="MM",
                       help="the riding seal's centre, mm from the top (default: the middle of each page)")
    tsa = stamp.add_argument_group("timestamp (optional; RFC 3161 over the signature value)")
    tsa.add_argument("--tsa-url", metavar="URL", help="a TSA to ask over HTTP")
    tsa.add_argument("--tsa-key", metavar="KEY", help="in-process TSA: its private key")
    tsa.add_argument("--tsa-cert", metavar="CERT", help="in-process TSA: its certificate (timeStamping EKU)")
    tsa.add_argument("--tsa-policy", default=DEFAULT_POLICY, metavar="OID",
                     help=f"in-process TSA policy OID (default {DEFAULT_POLICY}, an example OID)")
    stamp.add_argument("--reason", metavar="TEXT", help="/Reason of the signature")
    stamp.add_argument("--location", metavar="TEXT", help="/Location of the signature")
    stamp.add_argument("--contact", metavar="TEXT", help="/ContactInfo of the signature")
    stamp.add_argument("--out", required=True, metavar="OUT.pdf", help="the stamped document to write ('-' for stdout)")
    stamp.add_argument("--force", action="store_true", help="overwrite --out (or stamp the input in place)")
    add_password_options(stamp, "password", "the signer key")
    add_password_options(stamp, "tsa-password", "the TSA key")
    stamp.set_defaults(handler=_stamp)

    verify = command(
        pdf_sub, "verify", help="verify every signature of PDF documents (exit 0 valid, 1 invalid, 2 error)",
        description="Check every signature: the ByteRange covers its revision, the message digest, the SM2\n"
                    "(or ECDSA/RSA) signature or the SES seal, the signer's chain with --trust (and CRLs),\n"
                    "a timestamp if present, and changes made after signing (form filling and annotations\n"
                    "are allowed; content changes are not). Without --trust the chains are not checked.\n"
                    "A directory stands for every .pdf file below it. Exit 0 when every document is valid,\n"
                    "1 when one is not, 2 when one cannot be read.",
        examples="  trustkit pdf verify contract-sealed.pdf --trust root.pem --untrusted chain.pem\n"
                 "  trustkit pdf verify a.pdf b.pdf --trust root.pem --crl issuing.crl --json\n"
                 "  trustkit pdf verify ./incoming/ --trust root.pem --at 2026-06-01T00:00:00Z",
    )
    verify.add_argument("inputs", nargs="+", metavar="IN.pdf", help="documents or directories to verify")
    add_trust_options(verify, trust_required=False)
    verify.set_defaults(handler=_verify)


__all__ = [
    "appearances",
    "documents_in",
    "invalid_reason",
    "mode_from",
    "placement_from",
    "read_pdf",
    "register",
    "seal_picture",
    "size_mm",
    "timestamp_from",
]
