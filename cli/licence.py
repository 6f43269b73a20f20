"""``trustkit licence``: issue, verify and show electronic licences (GB/T 36901–36905), their QR codes and codes.

``issue`` lays a record (JSON) or a CSV of records out on a template and seals each licence;
``verify`` checks a licence or a directory of them (seal, chain, embedded record, check
characters, validity at --at, status list); ``qr make|verify`` sign and check scan-to-show
payloads; ``id``, ``uscc`` and ``idno`` check (and ``id make`` builds) identifiers and codes.
Exit codes: 0 valid/success, 1 invalid, 2 usage or input error.
"""

from __future__ import annotations

import argparse
import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trustkit.errors import (
    DecodeError,
    ExpiredQRError,
    InvalidSignature,
    TrustkitError,
    UntrustedIssuerError,
)
from trustkit.licence.batch import BatchEvent, issue_batch, licence_file_name
from trustkit.licence.codes import LicenceIdentifier, validate_id_number, validate_uscc
from trustkit.licence.issue import issue_licence
from trustkit.licence.model import LicenceRecord
from trustkit.licence.qr import (
    load_trust_list,
    make_qr_payload,
    qr_png,
    qr_svg,
    verify_qr_payload,
)
from trustkit.licence.status import StatusList, load_status_list
from trustkit.licence.template import Template
from trustkit.licence.verify import (
    LicenceVerification,
    licence_files,
    read_licence_record,
    verify_licence,
)
from trustkit.ofd import OFDReader
from trustkit.pki.signer import LocalSigner
from trustkit.seal.ses import MAX_SEAL_BYTES, parse_seal

from ._output import (
    EXIT_ERROR,
    EXIT_INVALID,
    EXIT_OK,
    CommandError,
    add_password_options,
    check_writable,
    command,
    emit,
    fail,
    password_from,
    read_input,
    write_output,
)
from .ofd import Progress
from .pki import (
    add_trust_options,
    iso,
    load_signing_key,
    parse_time,
    read_limited,
    read_one_certificate,
    validation_context,
    validation_time,
)

__all__ = ["load_template_file", "register"]

MAX_TEMPLATE = 1 << 20
MAX_RECORD = 256 * 1024


# ---- inputs ------------------------------------------------------------------------------------


def load_template_file(path: str) -> Template:
    """A template from a ``.toml`` or ``.json`` file (images relative to its directory)."""
    data = read_limited(path, "template")
    base = Path(path).parent
    if path.lower().endswith(".toml"):
        try:
            import tomllib  # Python 3.11+
        except ImportError:
            raise CommandError("TOML templates need Python 3.11 or later; use the JSON form") from None
        try:
            obj = tomllib.loads(data.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise DecodeError(f"{path}: not valid TOML: {exc}", code="invalid_template") from None
        return Template.from_dict(obj, base_dir=base)
    try:
        return Template.from_json(data, base_dir=base)
    except DecodeError as exc:
        raise DecodeError(f"{path}: {exc.message}", code=exc.code) from None


def _signer(args: argparse.Namespace, prefix: str = "") -> LocalSigner:
    key_path, cert_path = getattr(args, f"{prefix}key"), getattr(args, f"{prefix}cert")
    key = load_signing_key(read_limited(key_path, "key"), password_from(args))
    return LocalSigner(key, read_one_certificate(cert_path, "signer certificate"))


def _seal(path: str) -> bytes:
    seal = read_input(path, "seal")
    if len(seal) > MAX_SEAL_BYTES:
        raise CommandError(f"{path} is too large for a seal ({len(seal)} bytes)", code="decode_error")
    try:
        parse_seal(seal)
    except DecodeError as exc:
        raise DecodeError(f"{path}: {exc.message}", code=exc.code) from None
    return seal


def _record_file(path: str) -> LicenceRecord:
    data = read_input(path, "licence record")
    if len(data) > MAX_RECORD:
        raise CommandError(f"{path}: a record file is at most {MAX_RECORD} bytes", code="decode_error")
    try:
        return LicenceRecord.from_json(data)
    except DecodeError as exc:
        raise DecodeError(f"{path}: {exc.message}", code=exc.code) from None


def _count_rows(path: str) -> int:
    with open(path, encoding="utf-8-sig", newline="") as stream:
        try:
            return max(sum(1 for row in csv.reader(stream) if any(row)) - 1, 0)
        except csv.Error:
            return 0


def _status_list(args: argparse.Namespace) -> StatusList | None:
    if (args.status is None) != (args.status_cert is None):
        raise CommandError("a status list needs both --status LIST.json and --status-cert CERT")
    if args.status is None:
        return None
    certificate = read_one_certificate(args.status_cert, "status list certificate")
    data = read_input(args.status, "status list")
    try:
        return load_status_list(data, certificate)
    except InvalidSignature:
        raise CommandError(f"{args.status}: the status list signature does not verify with {args.status_cert}",
                           code="status_list_invalid") from None


# ---- issue -------------------------------------------------------------------------------------


def _issue(args: argparse.Namespace) -> int:
    is_csv = args.data.lower().endswith(".csv")
    if (args.out is None) == (args.out_dir is None):
        raise CommandError("give --out FILE.ofd (one record) or --out-dir DIR")
    if is_csv and args.out is not None:
        raise CommandError("a CSV of records is issued into a directory: use --out-dir DIR")
    if args.resume and not is_csv:
        raise CommandError("--resume applies to a CSV batch")
    if args.photo and is_csv:
        raise CommandError("--photo applies to a single record")
    if args.out is not None:
        check_writable(args.out, args.force)
    template = load_template_file(args.template)
    seal = _seal(args.seal)
    signer = _signer(args)
    qr_signer = None
    if args.qr_key or args.qr_cert:
        if not (args.qr_key and args.qr_cert):
            raise CommandError("a separate QR signer needs both --qr-key and --qr-cert")
        qr_signer = _signer(args, "qr_")
    moment = parse_time(args.time, "--time") if args.time else None

    if not is_csv:
        record = _record_file(args.data)
        photo = read_limited(args.photo, "photo") if args.photo else None
        target = args.out if args.out is not None else str(Path(args.out_dir) / licence_file_name(record))
        if args.out is None:
            check_writable(target, args.force)
        data = issue_licence(record, template, signer, seal, qr_signer=qr_signer, photo=photo, time=moment,
                             attach_xml=args.attach_xml)
        write_output(target, data, force=args.force)
        emit(args, {"output": target, "identifier": str(record.identifier), "bytes": len(data)},
             f"wrote {target}: {record.licence_type_name} {record.licence_number} ({record.identifier})")
        return EXIT_OK

    out_dir = Path(args.out_dir)
    if not out_dir.is_dir():
        raise CommandError(f"--out-dir {args.out_dir} is not a directory", code="file_not_found")
    progress = Progress.for_args(args, _count_rows(args.data))

    def step(event: BatchEvent) -> None:
        progress.step(event.identifier or f"row {event.row}")

    result = issue_batch(args.data, template, signer, seal, out_dir, resume=args.resume, progress=step,
                         qr_signer=qr_signer, time=moment)
    progress.finish()
    lines = [f"FAILED row {f.row} {f.identifier or ''}: {f.message}".replace("  ", " ") for f in result.failures]
    lines.append(f"issued {result.issued}, skipped {result.skipped} (already issued), failed {result.failed} "
                 f"-> {out_dir}")
    payload = {"issued": result.issued, "skipped": result.skipped, "failed": result.failed, "out_dir": str(out_dir),
               "failures": [{"row": f.row, "identifier": f.identifier, "message": f.message} for f in result.failures]}
    emit(args, payload, "\n".join(lines), ok=not result.failed)
    return EXIT_ERROR if result.failed else EXIT_OK


# ---- verify ------------------------------------------------------------------------------------


def _verify(args: argparse.Namespace) -> int:
    context = validation_context(args)
    status_list = _status_list(args)
    at = validation_time(args) or datetime.now(UTC)
    target = Path(args.input)
    if not target.is_dir():
        result = verify_licence(target, context=context, status_list=status_list, at=at, document_name=args.input)
        emit(args, result.to_dict(), result.summary(), ok=result.valid)
        return EXIT_OK if result.valid else EXIT_INVALID

    files = list(licence_files(target))
    if not files:
        raise CommandError(f"{args.input}: no .ofd files in this directory", code="file_not_found")
    progress = Progress.for_args(args, len(files))
    documents: list[dict[str, Any]] = []
    lines: list[str] = []
    counts = {"valid": 0, "invalid": 0, "error": 0}
    for path in files:
        try:
            result = verify_licence(path, context=context, status_list=status_list, at=at)
        except (TrustkitError, OSError) as exc:
            message = exc.message if isinstance(exc, TrustkitError) else str(exc)
            counts["error"] += 1
            documents.append({"document": str(path), "valid": False, "failures": ["unreadable"],
                              "reasons": [f"unreadable: {message}"]})
            lines.append(f"ERROR   {path}: {message}")
        else:
            counts["valid" if result.valid else "invalid"] += 1
            documents.append(result.to_dict() if args.details else _brief(result))
            lines.append(f"{'valid  ' if result.valid else 'INVALID'} {path}"
                         + ("" if result.valid else f": {'; '.join(result.reasons)}"))
        progress.step(path.name)
    progress.finish()
    ok = counts["valid"] == len(files)
    lines.append(f"{counts['valid']} of {len(files)} licence(s) valid, {counts['invalid']} invalid, "
                 f"{counts['error']} unreadable")
    emit(args, {"valid": ok, "total": len(files), **{f"{k}_count": v for k, v in counts.items()},
                "documents": documents}, "\n".join(lines), ok=ok)
    return EXIT_OK if ok else EXIT_INVALID


def _brief(result: LicenceVerification) -> dict[str, Any]:
    return {"document": result.document, "valid": result.valid,
            "identifier": str(result.record.identifier) if result.record else None,
            "failures": [c.code or c.name for c in result.failures],
            "warnings": [c.code or c.name for c in result.warnings], "reasons": list(result.reasons)}


# ---- QR ----------------------------------------------------------------------------------------


def _qr_make(args: argparse.Namespace) -> int:
    if args.out != "-":
        check_writable(args.out, args.force)
    if args.input.lower().endswith(".ofd"):
        with OFDReader.open(args.input) as reader:
            record = read_licence_record(reader)
    else:
        record = _record_file(args.input)
    signer = _signer(args)
    now = parse_time(args.time, "--time") if args.time else None
    text = make_qr_payload(record, signer, show_minutes=args.show_minutes, now=now)
    image = qr_svg(text, scale=args.scale) if args.out.lower().endswith(".svg") else qr_png(text, scale=args.scale)
    write_output(args.out, image, force=args.force)
    mode = f"show mode, {args.show_minutes} minute(s)" if args.show_minutes else "static mode"
    emit(args, {"output": args.out, "text": text, "identifier": str(record.identifier), "characters": len(text)},
         f"wrote {args.out}: QR for {record.identifier} ({mode}, {len(text)} characters)")
    return EXIT_OK


def _decode_image(path: str) -> str:
    import zxingcpp  # a run-time dependency (it also encodes the licence QR codes)
    from PIL import Image

    with Image.open(path) as image:
        found = [r.text for r in zxingcpp.read_barcodes(image.convert("L")) if str(r.text).startswith("TKL1:")]
    if not found:
        raise CommandError(f"{path}: no trustkit licence QR code (TKL1:...) found in the image", code="decode_error")
    return str(found[0])


def _qr_verify(args: argparse.Namespace) -> int:
    text = args.text if args.text is not None else _decode_image(args.image)
    anchor = read_one_certificate(args.trust_anchor, "trust-list signer certificate")
    try:
        trust = load_trust_list(read_input(args.trust_list, "trust list"), trust_anchor_certificate=anchor)
    except InvalidSignature:
        raise CommandError(f"{args.trust_list}: the trust list signature does not verify with {args.trust_anchor}",
                           code="trust_list_invalid") from None
    status_list = _status_list(args)
    now = validation_time(args)
    try:
        result = verify_qr_payload(text.strip(), trust, now=now, status_list=status_list)
    except (InvalidSignature, ExpiredQRError, UntrustedIssuerError) as exc:
        return fail(args, exc.code, exc.message or type(exc).__name__, EXIT_INVALID)
    c = result.claims
    claims = {"identifier": str(c.identifier), "issuer_code": c.issuer_code, "licence_type_name": c.licence_type_name,
              "licence_number": c.licence_number, "holder_name": c.holder_name, "holder_code": c.holder_code,
              "valid_to": c.valid_to.isoformat() if c.valid_to else None, "status": c.status, "mode": c.mode,
              "issued_at": iso(c.issued_at), "expires_at": iso(c.expires_at)}
    checks = [{"name": k.name, "ok": k.ok, "detail": k.message} for k in result.checks]
    lines = [(f"QR {'VALID' if result.valid else 'INVALID'}: {c.licence_type_name} {c.licence_number}, {c.holder_name} "
             f"({c.holder_code}), {c.mode} mode, expires {iso(c.expires_at)}"),
             f"  signed by {', '.join(cert.subject_text for cert in result.signer_certificates)}"]
    lines += [f"  {'ok  ' if k.ok else 'FAIL'} {k.name}: {k.message}" for k in result.checks]
    emit(args, {"valid": result.valid, "claims": claims, "checks": checks}, "\n".join(lines), ok=result.valid)
    return EXIT_OK if result.valid else EXIT_INVALID


# ---- codes -------------------------------------------------------------------------------------


def _code_result(args: argparse.Namespace, kind: str, code: str, check: Any) -> int:
    try:
        info = check()
    except DecodeError as exc:
        part = getattr(exc, "part", "")
        emit(args, {"valid": False, "kind": kind, "code": code, "part": part, "reason": exc.message},
             f"INVALID {kind} {code}: {exc.message}", ok=False)
        return EXIT_INVALID
    emit(args, {"valid": True, "kind": kind, "code": code, **info},
         f"valid {kind} {code}" + "".join(f"\n  {k}: {v}" for k, v in info.items()))
    return EXIT_OK


def _id_check(args: argparse.Namespace) -> int:
    def check() -> dict[str, Any]:
        ident = LicenceIdentifier.parse(args.identifier.strip(), allow_legacy=args.allow_legacy)
        return {"type_code": ident.type_code, "defining_body_code": ident.defining_body_code,
                "issuer_code": ident.issuer_code, "serial": ident.serial, "version": ident.version,
                "check": ident.check}
    return _code_result(args, "licence identifier", args.identifier, check)


def _id_make(args: argparse.Namespace) -> int:
    ident = LicenceIdentifier.build(args.type_code, args.issuer_code, args.serial, args.version,
                                    allow_legacy=args.allow_legacy)
    emit(args, {"identifier": str(ident), "check": ident.check}, str(ident))
    return EXIT_OK


def _uscc_check(args: argparse.Namespace) -> int:
    def check() -> dict[str, Any]:
        u = validate_uscc(args.code.strip(), allow_legacy=args.allow_legacy)
        return {"registration_department": u.registration_department, "category": u.category, "region": u.region,
                "organisation_code": u.organisation_code, "check_ok": u.check_ok,
                "organisation_check_ok": u.organisation_check_ok}
    return _code_result(args, "unified social credit code", args.code, check)


def _idno_check(args: argparse.Namespace) -> int:
    def check() -> dict[str, Any]:
        n = validate_id_number(args.number.strip())
        return {"region": n.region, "birth_date": n.birth_date.isoformat(), "sex": n.sex}
    return _code_result(args, "resident ID number", args.number, check)


# ---- registration ------------------------------------------------------------------------------


def _minutes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of minutes") from None
    if not 1 <= value <= 1440:
        raise argparse.ArgumentTypeError("show mode lasts 1 to 1440 minutes")
    return value


def _group(sub: Any, name: str, help: str, metavar: str) -> Any:
    parser = sub.add_parser(name, help=help, description=help)
    inner = parser.add_subparsers(dest=f"{name}_command", metavar=metavar, title="commands")
    inner.required = True
    return inner


def _status_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--status", metavar="LIST.json", help="a signed licence status list to consult")
    parser.add_argument("--status-cert", metavar="CERT", help="the certificate that signed the status list")


def register(sub: Any) -> None:
    licence = sub.add_parser(
        "licence", help="issue and verify electronic licences (电子证照), their QR codes and codes",
        description="Electronic licences (GB/T 36901-36905): sealed OFD documents with embedded records,\n"
                    "scan-to-show QR codes, licence identifiers, USCCs and ID numbers.",
        epilog="Run 'trustkit licence COMMAND --help' for the options of each command.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    lsub = licence.add_subparsers(dest="licence_command", metavar="{issue,verify,qr,id,uscc,idno}",
                                  title="commands")
    lsub.required = True

    issue = command(
        lsub, "issue", help="issue sealed licences from a template and a record (JSON) or records (CSV)",
        description="Lay each record out on the template, embed it (DocInfo CustomDatas and a custom tag\n"
                    "holding the record's canonical XML), draw its scan-to-show QR code and seal the OFD.\n"
                    "A CSV is issued into --out-dir, one <identifier>.ofd per row, each written atomically;\n"
                    "with --resume the licences already issued there are skipped.",
        examples="  trustkit licence issue --template business_licence.toml --data rec.json --key k.pem \\\n"
                 "      --cert signer.pem --seal seal.esl --out licence.ofd\n"
                 "  trustkit licence issue --template t.json --data records.csv --key k.pem --cert c.pem \\\n"
                 "      --seal seal.esl --out-dir issued/ --resume",
    )
    issue.add_argument("--template", required=True, metavar="T.toml|T.json", help="the licence template")
    issue.add_argument("--data", required=True, metavar="REC.json|RECS.csv", help="one record (JSON) or a CSV")
    issue.add_argument("--key", required=True, metavar="KEY", help="the seal signer's private key")
    issue.add_argument("--cert", required=True, metavar="CERT", help="the seal signer's certificate")
    issue.add_argument("--seal", required=True, metavar="SEAL.esl", help="the issuing authority's seal")
    issue.add_argument("--qr-key", metavar="KEY", help="a separate key for the QR payload (default --key)")
    issue.add_argument("--qr-cert", metavar="CERT", help="the QR signer's certificate")
    issue.add_argument("--photo", metavar="PHOTO", help="the holder's photo, PNG or JPEG (one record)")
    issue.add_argument("--time", metavar="TIME", help="issue (signing) time, ISO 8601 (default now)")
    issue.add_argument("--attach-xml", action="store_true", help="also attach the record XML (one record)")
    outs = issue.add_mutually_exclusive_group()
    outs.add_argument("--out", metavar="OUT.ofd", help="the licence to write (one record)")
    outs.add_argument("--out-dir", metavar="DIR", help="write <identifier>.ofd files into DIR")
    issue.add_argument("--resume", action="store_true", help="skip records already issued in --out-dir")
    issue.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    add_password_options(issue, "password", "the signer key")
    issue.set_defaults(handler=_issue)

    verify = command(
        lsub, "verify", help="verify a licence or every licence in a directory (exit 1 if any fails)",
        description="Check the seal and every signature, the chain to --trust, the embedded record (custom\n"
                    "tag, DocInfo, protected by the seal), the identifier and holder-code check characters,\n"
                    "the validity window at --at (default now) and, with --status, the status list.",
        examples="  trustkit licence verify licence.ofd --trust root.pem --untrusted ca.pem\n"
                 "  trustkit licence verify issued/ --trust root.pem --status status.json --status-cert ca.pem --json",
    )
    verify.add_argument("input", metavar="FILE|DIR", help="a licence, or a directory of .ofd licences")
    add_trust_options(verify, trust_required=True)
    _status_options(verify)
    verify.add_argument("--details", action="store_true", help="every check of every file in directory --json")
    verify.set_defaults(handler=_verify)

    qr = _group(lsub, "qr", "make and verify scan-to-show (扫码亮证) QR codes", "{make,verify}")
    make = command(
        qr, "make", help="sign a QR payload for a licence (from its .ofd or a record .json) and draw it",
        examples="  trustkit licence qr make licence.ofd --key k.pem --cert qr.pem --show-minutes 5 --out qr.png",
    )
    make.add_argument("input", metavar="FILE.ofd|REC.json", help="an issued licence or a record")
    make.add_argument("--key", required=True, metavar="KEY", help="the QR signer's key (SM2 or P-256)")
    make.add_argument("--cert", required=True, metavar="CERT", help="the QR signer's certificate (in the trust list)")
    make.add_argument("--show-minutes", type=_minutes, metavar="N", help="short-lived show mode: expires in N minutes")
    make.add_argument("--scale", type=int, default=6, metavar="PX", help="pixels per module (default 6)")
    make.add_argument("--time", metavar="TIME", help="issue time, ISO 8601 (default now)")
    make.add_argument("--out", required=True, metavar="QR.png|QR.svg", help="the image to write")
    make.add_argument("--force", action="store_true", help="overwrite --out")
    add_password_options(make, "password", "the QR key")
    make.set_defaults(handler=_qr_make)

    qv = command(
        qr, "verify", help="verify a scan-to-show QR code offline against a trust list",
        examples="  trustkit licence qr verify --image qr.png --trust-list tl.json --trust-anchor tl-signer.pem",
    )
    source = qv.add_mutually_exclusive_group(required=True)
    source.add_argument("--image", metavar="QR.png", help="a picture of the QR code (decoded with zxing-cpp)")
    source.add_argument("--text", metavar="TKL1:...", help="the scanned text")
    qv.add_argument("--trust-list", required=True, metavar="TL.json", help="the signed QR trust list")
    qv.add_argument("--trust-anchor", required=True, metavar="CERT", help="the trust list signer's certificate")
    qv.add_argument("--at", metavar="TIME", help="verification time, ISO 8601 (default now)")
    _status_options(qv)
    qv.set_defaults(handler=_qr_verify)

    ident = _group(lsub, "id", "check or build licence identifiers (GB/T 36904, MOD 37,36)", "{check,make}")
    check = command(ident, "check", help="check a licence identifier",
                    examples="  trustkit licence id check 1.2.156.3005.2.11100000000013338W032.11220000013544541J"
                             ".2430599.001.F")
    check.add_argument("identifier", metavar="IDENTIFIER")
    check.add_argument("--allow-legacy", action="store_true", help="accept USCCs with a wrong check character inside")
    check.set_defaults(handler=_id_check)
    build = command(ident, "make", help="build a licence identifier (computes the check character)",
                    examples="  trustkit licence id make --type-code 11100000000013338W032 "
                             "--issuer-code 11220000013544541J --serial 2430599")
    build.add_argument("--type-code", required=True, metavar="CODE", help="证照类型代码 (21 characters)")
    build.add_argument("--issuer-code", required=True, metavar="USCC", help="证照颁发机构代码")
    build.add_argument("--serial", required=True, metavar="SERIAL", help="流水号 (0-9A-Z)")
    build.add_argument("--version", default="001", metavar="NNN", help="版本号 (default 001)")
    build.add_argument("--allow-legacy", action="store_true", help="accept USCCs with a wrong check character inside")
    build.set_defaults(handler=_id_make)

    uscc = _group(lsub, "uscc", "check unified social credit codes (GB 32100)", "{check}")
    ucheck = command(uscc, "check", help="check a USCC", examples="  trustkit licence uscc check 11100000000013338W")
    ucheck.add_argument("code", metavar="USCC")
    ucheck.add_argument("--allow-legacy", action="store_true", help="report, not refuse, a wrong check character")
    ucheck.set_defaults(handler=_uscc_check)

    idno = _group(lsub, "idno", "check resident ID numbers (GB 11643)", "{check}")
    icheck = command(idno, "check", help="check a resident ID number",
                     examples="  trustkit licence idno check 11010519491231002X")
    icheck.add_argument("number", metavar="NUMBER")
    icheck.set_defaults(handler=_idno_check)

