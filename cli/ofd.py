"""``trustkit ofd stamp|verify|show``: seals and signatures on OFD documents (GB/T 33190).

``stamp`` adds one signature per document: an electronic seal (Type="Seal", SES v4 or v1 as the
seal is) or a plain signature (Type="Sign": a bare SM2 signature or a GB/T 35275 SignedData),
placed by page and coordinates, on a keyword, or as a riding seal over the right edge.
``verify`` checks every signature of every document given (exit 0 all valid, 1 one is invalid,
2 input error) and ``show`` lists pages, text and signatures.

Several documents (or a directory for ``verify``) show a progress bar on a terminal's stderr.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from trustkit import oids
from trustkit.errors import DecodeError, TrustkitError
from trustkit.ofd import OFDReader
from trustkit.ofd.stamp import (
    KeywordPlacement,
    PagePlacement,
    Placement,
    RidingPlacement,
    SignFormat,
    stamp_ofd_file,
)
from trustkit.ofd.verify import verify_ofd
from trustkit.pki.certificate import Certificate
from trustkit.pki.signer import LocalSigner
from trustkit.pki.timestamp import TimestampAuthority
from trustkit.seal.ses import MAX_SEAL_BYTES, parse_seal, parse_seal_signature
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
    wants_json,
)
from .pki import (
    add_trust_options,
    iso,
    load_signing_key,
    parse_time,
    read_certificates,
    read_limited,
    read_one_certificate,
    validation_context,
    validation_time,
)
from .ts import DEFAULT_POLICY

FORMATS: tuple[SignFormat, ...] = ("ses", "sign-raw", "sign-cms")
CHECK_METHODS = {"sm3-oid": oids.SM3, "sm3": "SM3"}
TEXT_PREVIEW = 120


# ---- progress ----------------------------------------------------------------------------------


class Progress:
    """A one-line progress bar on stderr, drawn only on a terminal (and never with --json)."""

    WIDTH = 28

    def __init__(self, total: int, *, enabled: bool, stream: TextIO | None = None) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and total > 1
        self.done = 0
        self._start = time.monotonic()

    @classmethod
    def for_args(cls, args: argparse.Namespace, total: int) -> Progress:
        tty = bool(getattr(sys.stderr, "isatty", lambda: False)())
        return cls(total, enabled=tty and not wants_json(args))

    def line(self, current: str = "") -> str:
        filled = self.WIDTH * self.done // max(self.total, 1)
        elapsed = time.monotonic() - self._start
        rate = f" {self.done / elapsed:.1f}/s" if elapsed > 0 and self.done else ""
        name = current if len(current) <= 40 else "…" + current[-39:]
        return f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {self.done}/{self.total}{rate} {name}"

    def step(self, current: str = "") -> None:
        self.done += 1
        if self.enabled:
            self.stream.write(self.line(current).ljust(80)[:120])
            self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 120 + "\r")
            self.stream.flush()


# ---- stamp -------------------------------------------------------------------------------------


def parse_pages(text: str) -> tuple[int, ...]:
    """``1-3,5`` (1-based, as people count pages) -> ``(0, 1, 2, 4)``."""
    pages: list[int] = []
    for part in text.replace(" ", "").split(","):
        try:
            if "-" in part:
                first, last = (int(v) for v in part.split("-", 1))
                if first > last:
                    raise ValueError
                pages.extend(range(first, last + 1))
            else:
                pages.append(int(part))
        except ValueError:
            raise CommandError(f"--pages {text!r}: give page numbers such as 1-3 or 1,3,5 (first page is 1)") from None
    if any(p < 1 for p in pages):
        raise CommandError("--pages: the first page is 1")
    if len(set(pages)) != len(pages):
        raise CommandError(f"--pages {text!r} names a page twice")
    return tuple(p - 1 for p in pages)


_ALL = "all"


def _occurrence(text: str) -> int | str:
    if text == _ALL:
        return _ALL
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("give a number (1 = first occurrence) or 'all'") from None
    if value < 1:
        raise argparse.ArgumentTypeError("occurrences count from 1")
    return value - 1


def placements_from(args: argparse.Namespace) -> list[Placement]:
    """The placement the options describe (none: an invisible signature)."""
    size = {"width_mm": args.width_mm, "height_mm": args.height_mm}
    coords = [args.page is not None, args.x is not None, args.y is not None]
    chosen = sum([any(coords), args.keyword is not None, args.riding])
    if chosen > 1:
        raise CommandError("choose one placement: --page/--x/--y, --keyword or --riding")
    if args.occurrence is not None and args.keyword is None:
        raise CommandError("--occurrence applies to --keyword")
    if args.pages is not None and not args.riding:
        raise CommandError("--pages applies to --riding")
    if any(coords):
        if not all(coords):
            raise CommandError("placing by coordinates needs --page N --x MM --y MM (page 1 is the first)")
        if args.page < 1:
            raise CommandError("--page: the first page is 1")
        return [PagePlacement(args.page - 1, args.x, args.y, **size)]
    if args.keyword is not None:
        if not args.keyword.strip():
            raise CommandError("--keyword needs some text")
        # Default: the first occurrence (as `trustkit pdf stamp`); "all" stamps every one.
        occurrence = None if args.occurrence == _ALL else (args.occurrence or 0)
        return [KeywordPlacement(args.keyword, occurrence, **size)]
    if args.riding:
        pages = parse_pages(args.pages) if args.pages is not None else None
        return [RidingPlacement(pages, y_mm=args.y_riding, **size)]
    if args.width_mm is not None or args.height_mm is not None:
        raise CommandError("--width-mm/--height-mm size a placement: add --page/--x/--y, --keyword or --riding")
    return []


def _check_pages(reader: OFDReader, placements: Sequence[Placement], path: str) -> None:
    count = reader.page_count()
    wanted: list[int] = []
    for placement in placements:
        if isinstance(placement, PagePlacement):
            wanted.append(placement.page_index)
        elif isinstance(placement, RidingPlacement) and placement.pages is not None:
            wanted.extend(placement.pages)
    for index in wanted:
        if index >= count:
            raise CommandError(f"{path} has {count} page(s); there is no page {index + 1}")


def _timestamp_authority(args: argparse.Namespace) -> TimestampAuthority | None:
    if not (args.tsa_key or args.tsa_cert):
        return None
    if not (args.tsa_key and args.tsa_cert):
        raise CommandError("a timestamp needs both --tsa-key and --tsa-cert")
    key = load_signing_key(read_limited(args.tsa_key, "TSA key"), password_from(args, "tsa-password"),
                           option="--tsa-password", what="the TSA key")
    return TimestampAuthority(key, read_one_certificate(args.tsa_cert, "TSA certificate"), policy_oid=args.tsa_policy)


def _outputs(args: argparse.Namespace) -> list[tuple[str, str]]:
    if (args.out is None) == (args.out_dir is None):
        raise CommandError("give --out FILE (one document) or --out-dir DIR (several)")
    if args.out is not None:
        if len(args.inputs) != 1:
            raise CommandError(f"{len(args.inputs)} documents given: write them with --out-dir DIR")
        if args.out == "-":
            raise CommandError("ofd stamp writes files: give --out FILE.ofd")
        return [(args.inputs[0], args.out)]
    target = Path(args.out_dir)
    if not target.is_dir():
        raise CommandError(f"--out-dir {args.out_dir} is not a directory", code="file_not_found")
    pairs = [(path, str(target / Path(path).name)) for path in args.inputs]
    names = [out for _, out in pairs]
    if len(set(names)) != len(names):
        raise CommandError("two inputs have the same file name: they would overwrite each other in --out-dir")
    return pairs


def _stamp_one(source: str, target: str, args: argparse.Namespace, signer: LocalSigner, seal: bytes | None,
               placements: Sequence[Placement], timestamp: TimestampAuthority | None) -> dict[str, Any]:
    with OFDReader.open(source) as reader:
        _check_pages(reader, placements, source)
    stamp_ofd_file(source, target, signer, seal=seal, placements=placements, sign_format=args.format,
                   check_method=CHECK_METHODS[args.check_method],
                   time=parse_time(args.time, "--time") if args.time else None, timestamp=timestamp,
                   overwrite=args.force)
    with OFDReader.open(target) as reader:
        listing = reader.signatures()
        entry = listing.entries[-1] if listing and listing.entries else None
        annots = reader.signature(entry).stamp_annots if entry else ()
        pages = {ref.id: ref.index + 1 for ref in reader.document().pages}
    return {"input": source, "output": target, "signature_id": entry.id if entry else None,
            "type": entry.type if entry else None, "signature_xml": entry.part if entry else None,
            "stamp_annots": [{"page": pages.get(int(a.page_ref)) if a.page_ref.isdigit() else None,
                              "boundary": a.boundary.to_text()} for a in annots]}


def _stamp_line(result: dict[str, Any]) -> str:
    pages = sorted({a["page"] for a in result["stamp_annots"] if a["page"]})
    where = (f"{len(result['stamp_annots'])} stamp(s) on page {', '.join(map(str, pages))}" if pages
             else "invisible (no stamp annotation)")
    return (f"wrote {result['output']}: signature {result['signature_id']} (Type={result['type']}), {where}")


def _stamp(args: argparse.Namespace) -> int:
    pairs = _outputs(args)
    for source, target in pairs:
        if Path(source).resolve() == Path(target).resolve() and not args.force:
            raise CommandError(f"{target} is the input: add --force to stamp it in place")
        check_writable(target, args.force or Path(source).resolve() == Path(target).resolve())
    placements = placements_from(args)
    fmt: SignFormat = args.format or ("ses" if args.seal else "sign-raw")
    if fmt == "ses" and not args.seal:
        raise CommandError("--format ses stamps a seal: give --seal SEAL.esl (or --format sign-raw/sign-cms)")
    if fmt != "ses" and args.seal:
        raise CommandError(f"--format {fmt} is a plain signature: drop --seal (or use --format ses)")
    args.format = fmt
    seal = None
    if args.seal:
        seal = read_input(args.seal, "seal")
        if len(seal) > MAX_SEAL_BYTES:
            raise CommandError(f"{args.seal} is too large for a seal ({len(seal)} bytes)", code="decode_error")
        try:
            parse_seal(seal)  # a readable error before any document is opened
        except DecodeError as exc:
            raise DecodeError(f"{args.seal}: {exc.message}", code=exc.code) from None
    key = load_signing_key(read_limited(args.key, "key"), password_from(args))
    certificate = read_one_certificate(args.cert, "signer certificate")
    chain = tuple(read_certificates(args.chain, "chain certificate")) if args.chain else ()
    signer = LocalSigner(key, certificate, chain)
    timestamp = _timestamp_authority(args)
    if timestamp is not None and fmt != "ses":
        raise CommandError("timestamps are embedded in SES seal signatures: use --format ses with --seal")

    if len(pairs) == 1:
        result = _stamp_one(*pairs[0], args, signer, seal, placements, timestamp)
        emit(args, result, _stamp_line(result))
        return EXIT_OK
    progress = Progress.for_args(args, len(pairs))
    results: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for source, target in pairs:
        try:
            results.append(_stamp_one(source, target, args, signer, seal, placements, timestamp))
        except (TrustkitError, CommandError, OSError, ValueError) as exc:
            failures.append({"input": source, "error": error_of(exc)})
        progress.step(source)
    progress.finish()
    lines = [_stamp_line(r) for r in results]
    lines += [f"FAILED {f['input']}: {f['error']['message']}" for f in failures]
    lines.append(f"stamped {len(results)} of {len(pairs)} document(s)")
    emit(args, {"documents": results, "failed": failures, "stamped": len(results)}, "\n".join(lines),
         ok=not failures)
    return EXIT_ERROR if failures else EXIT_OK


def error_of(exc: BaseException, path: str | None = None) -> dict[str, str]:
    """A per-file error for batch output: stable code and a message (prefixed with ``path`` if given)."""
    prefix = f"{path}: " if path else ""
    if isinstance(exc, TrustkitError):
        return {"code": exc.code, "message": prefix + (exc.message or type(exc).__name__)}
    if isinstance(exc, CommandError):
        return {"code": exc.code, "message": str(exc)}
    if isinstance(exc, FileNotFoundError):
        return {"code": "file_not_found", "message": f"no such file: {exc.filename or path}"}
    if isinstance(exc, OSError):
        where = exc.filename or path
        return {"code": "os_error", "message": f"{where}: {exc.strerror or exc}" if where else str(exc)}
    return {"code": "invalid_input", "message": prefix + (str(exc) or "invalid input")}


# ---- verify ------------------------------------------------------------------------------------


def documents_in(paths: Iterable[str], suffix: str = ".ofd") -> list[str]:
    """The files named, with a directory standing for every ``*<suffix>`` below it (sorted)."""
    found: list[str] = []
    for path in paths:
        if path != "-" and Path(path).is_dir():
            inside = sorted(str(p) for p in Path(path).rglob("*") if p.suffix.lower() == suffix and p.is_file())
            if not inside:
                raise CommandError(f"{path}: no {suffix} files in this directory", code="file_not_found")
            found.extend(inside)
        else:
            found.append(path)
    return found


def _report_payload(report: DocumentReport) -> dict[str, Any]:
    payload = report.to_dict()
    if not report.valid:
        payload["error"] = _invalid_reason(report)
    return payload


def _invalid_reason(report: DocumentReport) -> dict[str, str]:
    if not report.signatures:
        return {"code": "no_signatures", "message": f"{report.document} has no signatures"}
    reasons = [f"[{sig.signature_id}] {check.code or check.name}: {check.detail}".rstrip(": ")
               for sig in report.signatures for check in sig.failures]
    reasons += [f"document {check.code or check.name}: {check.detail}" for check in report.document_checks
                if check.ok is False and check.severity == "error"]
    first = next((check for sig in report.signatures for check in sig.failures), None)
    if first is None:
        first = next((c for c in report.document_checks if c.ok is False and c.severity == "error"), None)
    code = (first.code or first.name) if first is not None else "invalid"
    return {"code": code, "message": "; ".join(reasons) or "the document is not valid"}


def _verify(args: argparse.Namespace) -> int:
    if not args.trust and (args.untrusted or args.crl or args.require_revocation):
        raise CommandError("--untrusted, --crl and --require-revocation need --trust ROOT.pem")
    files = documents_in(args.inputs)
    context = validation_context(args) if args.trust else None
    certificates: list[Certificate] = read_certificates(args.cert, "signer certificate") if args.cert else []
    at = validation_time(args)

    if len(files) == 1 and not Path(args.inputs[0]).is_dir():
        report = verify_ofd(files[0], context=context, certificates=certificates, at=at)
        emit(args, _report_payload(report), report.summary(), ok=report.valid)
        return EXIT_OK if report.valid else EXIT_INVALID

    progress = Progress.for_args(args, len(files))
    documents: list[dict[str, Any]] = []
    blocks: list[str] = []
    counts = {"valid": 0, "invalid": 0, "error": 0}
    for path in files:
        try:
            report = verify_ofd(path, context=context, certificates=certificates, at=at)
        except (TrustkitError, OSError, ValueError) as exc:
            error = error_of(exc)
            counts["error"] += 1
            documents.append({"document": path, "valid": False, "error": error})
            blocks.append(f"{path}: ERROR {error['message']}")
        else:
            counts["valid" if report.valid else "invalid"] += 1
            documents.append(_report_payload(report))
            blocks.append(report.summary())
        progress.step(path)
    progress.finish()
    total = len(files)
    blocks.append(f"{counts['valid']} of {total} document(s) valid, {counts['invalid']} invalid, "
                  f"{counts['error']} unreadable")
    exit_code = EXIT_ERROR if counts["error"] else EXIT_INVALID if counts["invalid"] else EXIT_OK
    emit(args, {"valid": exit_code == EXIT_OK, "documents": documents, **{f"{k}_count": v for k, v in counts.items()}},
         "\n".join(blocks), ok=exit_code == EXIT_OK)
    return exit_code


# ---- show --------------------------------------------------------------------------------------


def _signature_rows(reader: OFDReader) -> list[dict[str, Any]]:
    listing = reader.signatures()
    if listing is None:
        return []
    pages = {ref.id: ref.index + 1 for ref in reader.document().pages}
    rows: list[dict[str, Any]] = []
    for entry in listing.entries:
        row: dict[str, Any] = {"id": entry.id, "type": entry.type, "signature_xml": entry.part}
        try:
            description = reader.signature(entry)
        except TrustkitError as exc:
            row["problem"] = exc.message
            rows.append(row)
            continue
        row.update({
            "provider": description.provider.name if description.provider else None,
            "signature_method": description.signature_method,
            "signature_date_time": description.signature_date_time,
            "check_method": description.check_method,
            "references": len(description.references),
            "stamp_pages": sorted({pages[int(a.page_ref)] for a in description.stamp_annots
                                   if a.page_ref.isdigit() and int(a.page_ref) in pages}),
            "stamp_annots": len(description.stamp_annots),
        })
        try:
            value = reader.read_part(description.signed_value)
            if entry.type.lower() == "seal" and len(value) <= MAX_SEAL_BYTES:
                signature = parse_seal_signature(value)
                row["signer"] = signature.signer_certificate.subject_text
                row["seal_name"] = signature.seal.name
                row["seal_id"] = signature.seal.esid
                row["time"] = iso(signature.time_info) if signature.time_info else None
        except TrustkitError as exc:
            row["problem"] = exc.message
        rows.append(row)
    return rows


def _show(args: argparse.Namespace) -> int:
    with OFDReader.open(args.input) as reader:
        info = reader.info
        document = reader.document()
        pages: list[dict[str, Any]] = []
        for parsed in reader.pages():
            text = parsed.text
            pages.append({"number": parsed.index + 1, "id": parsed.id, "width_mm": round(parsed.size[0], 3),
                          "height_mm": round(parsed.size[1], 3), "text_objects": len(parsed.text_objects),
                          "images": len(parsed.images), "paths": len(parsed.paths),
                          "text": text if args.text else text.replace("\n", " ")[:TEXT_PREVIEW]})
        signatures = _signature_rows(reader)
        attachments = [a.name for a in reader.attachments()]
        tags = len(reader.custom_tags())
    payload: dict[str, Any] = {
        "document": args.input,
        "info": {"title": info.title, "author": info.author, "creator": info.creator,
                 "creation_date": info.creation_date, "doc_id": info.doc_id},
        "page_count": len(pages), "pages": pages, "signatures": signatures,
        "attachments": attachments, "custom_tags": tags, "missing_parts": list(document.missing_parts),
    }
    lines = [f"{args.input}: {len(pages)} page(s), {len(signatures)} signature(s)"]
    for label, value in (("title", info.title), ("author", info.author), ("creator", info.creator),
                         ("created", info.creation_date)):
        if value:
            lines.append(f"  {label:<9}{value}")
    for page in pages:
        lines.append(f"  page {page['number']}  {page['width_mm']:g} x {page['height_mm']:g} mm, "
                     f"{page['text_objects']} text, {page['images']} image(s), {page['paths']} path(s)")
        if page["text"]:
            if args.text:
                lines += ["    " + line for line in page["text"].splitlines()]
            else:
                more = "…" if len(page["text"]) >= TEXT_PREVIEW else ""
                lines.append(f"    {page['text']}{more}")
    for sig in signatures:
        who = sig.get("signer") or ""
        seal = f" seal {sig['seal_name']!r}" if sig.get("seal_name") else ""
        where = f" on page {', '.join(map(str, sig['stamp_pages']))}" if sig.get("stamp_pages") else ""
        when = sig.get("time") or sig.get("signature_date_time") or ""
        lines.append(f"  signature {sig['id']} Type={sig['type']}{seal}{where} {who} {when}".rstrip())
        if sig.get("problem"):
            lines.append(f"    problem: {sig['problem']}")
    if attachments:
        lines.append(f"  attachments: {', '.join(attachments)}")
    if document.missing_parts:
        lines.append(f"  missing parts: {', '.join(document.missing_parts)}")
    emit(args, payload, "\n".join(lines))
    return EXIT_OK


# ---- registration ------------------------------------------------------------------------------


def finite_float(text: str) -> float:
    """argparse type: a finite number (millimetres and the like)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError("must be a finite number")
    return value


def register(sub: Any) -> None:
    ofd = sub.add_parser(
        "ofd", help="stamp, verify and inspect OFD documents (GB/T 33190)",
        description="Electronic seals and digital signatures on OFD documents (GB/T 33190-2016 clause 18,\n"
                    "GB/T 38540-2020 seals).",
        epilog="Run 'trustkit ofd COMMAND --help' for the options of each command.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ofd_sub = ofd.add_subparsers(dest="ofd_command", metavar="{stamp,verify,show}", title="commands")
    ofd_sub.required = True

    stamp = command(
        ofd_sub, "stamp", help="add a seal or a signature to OFD documents",
        description="Add one signature to each document: with --seal an electronic seal (Type=Seal, an SES\n"
                    "signature in the seal's version), else a plain signature (Type=Sign, --format\n"
                    "sign-raw: a DER SM2 signature over Signature.xml; sign-cms: GB/T 35275 SignedData).\n"
                    "Every file of the package is protected by its SM3 digest except Signatures.xml,\n"
                    "so later signatures keep earlier ones valid. Place the seal by page and coordinates\n"
                    "(mm from the top-left corner), centred on a keyword, or as a riding seal (骑缝章)\n"
                    "across the right edge of several pages; without a placement it is invisible.",
        examples="  trustkit ofd stamp licence.ofd --key signer.key.pem --cert signer.pem --seal seal.esl \\\n"
                 "      --keyword 某某市市场监督管理局 --out licence-stamped.ofd\n"
                 "  trustkit ofd stamp contract.ofd --key k.pem --cert c.pem --seal seal.esl --riding --pages 1-3 "
                 "--out c2.ofd\n"
                 "  trustkit ofd stamp a.ofd --key k.pem --cert c.pem --seal s.esl --page 1 --x 140 --y 230 --out b.ofd\n"
                 "  trustkit ofd stamp *.ofd --key k.pem --cert c.pem --format sign-cms --out-dir signed/",
    )
    stamp.add_argument("inputs", nargs="+", metavar="IN.ofd", help="document(s) to stamp")
    stamp.add_argument("--key", required=True, metavar="KEY", help="the signer's private key")
    stamp.add_argument("--cert", required=True, metavar="CERT", help="the signer's certificate (must be in the seal)")
    stamp.add_argument("--chain", action="append", metavar="CERTS", help="issuer certificates to embed (sign-cms)")
    stamp.add_argument("--seal", metavar="SEAL.esl", help="the electronic seal (Type=Seal signature)")
    stamp.add_argument("--format", choices=FORMATS,
                       help="ses (default with --seal), sign-raw (default without) or sign-cms")
    where = stamp.add_argument_group("placement (one of)")
    where.add_argument("--page", type=int, metavar="N", help="page number (1 = first) for --x/--y")
    where.add_argument("--x", type=finite_float, metavar="MM", help="left edge of the seal, mm from the page's left")
    where.add_argument("--y", type=finite_float, metavar="MM", help="top edge of the seal, mm from the page's top")
    where.add_argument("--keyword", metavar="TEXT", help="centre the seal on this text")
    where.add_argument("--occurrence", type=_occurrence, metavar="N|all",
                       help="which occurrence of --keyword (1 = first, the default; 'all' for every one)")
    where.add_argument("--riding", action="store_true", help="riding seal across the right edge of the pages")
    where.add_argument("--pages", metavar="LIST", help="pages of the riding seal, e.g. 1-3 or 1,3,5 (default all)")
    where.add_argument("--riding-y", dest="y_riding", type=finite_float, metavar="MM",
                       help="top of the riding seal (default: centred)")
    where.add_argument("--width-mm", type=finite_float, metavar="MM", help="displayed width (default: the seal picture's)")
    where.add_argument("--height-mm", type=finite_float, metavar="MM", help="displayed height (default: the picture's)")
    stamp.add_argument("--tsa-key", metavar="KEY", help="in-process TSA key: embed an RFC 3161 timestamp (ses)")
    stamp.add_argument("--tsa-cert", metavar="CERT", help="the TSA certificate (timeStamping EKU)")
    stamp.add_argument("--tsa-policy", default=DEFAULT_POLICY, metavar="OID",
                       help=f"TSA policy OID (default {DEFAULT_POLICY}, an example OID)")
    stamp.add_argument("--check-method", choices=list(CHECK_METHODS), default="sm3-oid",
                       help="References CheckMethod: the SM3 OID (sm3-oid, default) or the name SM3 (ofdrw)")
    stamp.add_argument("--time", metavar="TIME", help="signing time, ISO 8601 (default now)")
    outs = stamp.add_mutually_exclusive_group()
    outs.add_argument("--out", metavar="OUT.ofd", help="stamped document to write (one input)")
    outs.add_argument("--out-dir", metavar="DIR", help="write each stamped document into DIR (same name)")
    stamp.add_argument("--force", action="store_true", help="overwrite existing outputs (or stamp in place)")
    add_password_options(stamp, "password", "the signer key")
    add_password_options(stamp, "tsa-password", "the TSA key")
    stamp.set_defaults(handler=_stamp)

    verify = command(
        ofd_sub, "verify", help="verify every signature of OFD documents (exit 0 valid, 1 invalid, 2 error)",
        description="Check every signature: the digests of all protected files, the Signature.xml hash,\n"
                    "the signer's signature, the seal (maker signature, validity at the signing time,\n"
                    "signer listed in the seal), the signer and maker chains with --trust (and CRLs),\n"
                    "a timestamp if present, and changes made after signing. A directory stands for\n"
                    "every .ofd file below it. Exit 0 when every document is valid, 1 when one is not,\n"
                    "2 when one cannot be read.",
        examples="  trustkit ofd verify licence-stamped.ofd --trust root.pem --untrusted chain.pem\n"
                 "  trustkit ofd verify DigitalSign.ofd --cert DigitalSign_signer_cert.pem --json\n"
                 "  trustkit ofd verify ./incoming/ --trust root.pem --crl issuing.crl",
    )
    verify.add_argument("inputs", nargs="+", metavar="IN.ofd", help="documents or directories to verify")
    add_trust_options(verify, trust_required=False)
    verify.add_argument("--cert", action="append", metavar="SIGNER.pem",
                        help="signer certificate(s) for signatures that carry none (repeatable)")
    verify.set_defaults(handler=_verify)

    show = command(
        ofd_sub, "show", help="show an OFD document's pages, text and signatures",
        description="List the pages (size, objects, the start of their text), document information,\n"
                    "attachments and signatures (type, seal, signer, stamped pages) of an OFD document.",
        examples="  trustkit ofd show licence.ofd\n  trustkit ofd show licence.ofd --text --json",
    )
    show.add_argument("input", metavar="IN.ofd", help="the document")
    show.add_argument("--text", action="store_true", help="print all text of every page")
    show.set_defaults(handler=_show)


__all__ = ["Progress", "documents_in", "error_of", "finite_float", "parse_pages", "placements_from", "register"]
