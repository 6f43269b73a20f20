"""``trustkit cms sign|verify``: GM/T 0010 / RFC 5652 SignedData with SM2 (or RSA/ECDSA) signers."""

from __future__ import annotations

import argparse
import base64
from typing import Any, Literal

from trustkit import sm2
from trustkit.errors import CertificateValidationError, DecodeError, InvalidSignature
from trustkit.pki.cms import sign_cms, verify_cms
from trustkit.pki.validation import ValidationReport

from ._output import (
    EXIT_INVALID,
    EXIT_OK,
    CommandError,
    add_password_options,
    check_stdin_once,
    check_writable,
    command,
    emit,
    password_from,
    read_input,
    refuse_binary_to_terminal,
    wants_json,
    write_output,
)
from .pki import (
    add_trust_options,
    certificate_info,
    iso,
    load_signing_key,
    oid_label,
    parse_purpose,
    purpose_choices,
    read_certificates,
    read_limited,
    read_one_certificate,
    report_lines,
    validation_context,
    validation_time,
)

MAX_CMS = 16 << 20  # the library refuses more as well


def _sign(args: argparse.Namespace) -> int:
    check_stdin_once(args.key, args.input)
    if args.out != "-":
        check_writable(args.out, args.force)
    refuse_binary_to_terminal(args, args.out, True, "use --out FILE")
    key = load_signing_key(read_limited(args.key, "key"), password_from(args))
    certificate = read_one_certificate(args.cert, "signer certificate")
    extra = read_certificates(args.chain, "chain certificate") if args.chain else []
    data = read_input(args.input)
    oids: Literal["gm", "rfc"] = "gm" if isinstance(key, sm2.PrivateKey) else "rfc"
    if args.oids is not None:
        oids = "gm" if args.oids == "gm" else "rfc"
    signed = sign_cms(data, key, certificate, detached=args.detached, extra_certificates=extra, oids=oids,
                      signed_attributes=not args.no_signed_attributes)
    payload: dict[str, Any] = {"detached": args.detached, "oids": oids, "bytes": len(signed),
                               "signer": certificate.subject_text, "certificates": 1 + len(extra)}
    if args.out == "-" and wants_json(args):  # the DER travels inside the JSON object
        emit(args, {**payload, "cms_base64": base64.b64encode(signed).decode("ascii")}, "")
        return EXIT_OK
    write_output(args.out, signed, force=args.force)
    if args.out != "-":
        kind = "detached" if args.detached else "attached"
        emit(args, {**payload, "signature_file": args.out},
             f"wrote {kind} CMS SignedData ({oids} OIDs, {len(signed)} bytes) to {args.out}, "
             f"signer {certificate.subject_text}")
    return EXIT_OK


def _failure_payload(report: ValidationReport | None, code: str, message: str) -> dict[str, Any]:
    payload: dict[str, Any] = {"valid": False, "error": {"code": code, "message": message}}
    if report is not None:
        payload["chain"] = report.to_dict()
        if report.failures:
            payload["error"]["code"] = report.failures[0].code
    return payload


def _verify(args: argparse.Namespace) -> int:
    check_stdin_once(args.input, args.content)
    blob = read_input(args.input, "CMS signature")
    if len(blob) > MAX_CMS:
        raise CommandError(f"{args.input}: larger than {MAX_CMS} bytes, refused", code="decode_error")
    content = read_input(args.content, "content") if args.content else None
    context = validation_context(args) if args.trust else None
    if args.out == "-" and wants_json(args):
        raise CommandError("--out - and --json would mix the content with the JSON result: give --out FILE")
    if args.out and args.out != "-":
        check_writable(args.out, args.force)
    try:
        result = verify_cms(blob, data=content, context=context, at=validation_time(args),
                            purpose=parse_purpose(args.purpose))
    except DecodeError as exc:
        raise DecodeError(f"{args.input}: {exc.message}", code=exc.code) from None
    except ValueError as exc:
        if content is None and "detached" in str(exc):
            raise CommandError("the SignedData is detached (it carries no content): give --content FILE") from None
        raise
    except InvalidSignature:
        message = ("the CMS signature does not verify (content, message digest or signature changed, "
                   "or the wrong --content)")
        emit(args, {"valid": False, "error": {"code": "invalid_signature", "message": message}},
             f"invalid: {message}", ok=False)
        return EXIT_INVALID
    except CertificateValidationError as exc:
        report = exc.report if isinstance(exc.report, ValidationReport) else None
        lines = ["invalid: the signature is intact but the signer's certificate does not validate"]
        if report is not None:
            lines += report_lines(report)[1:]
        else:
            lines.append(f"  {exc.code}: {exc.message}")
        emit(args, _failure_payload(report, exc.code, exc.message), "\n".join(lines), ok=False)
        return EXIT_INVALID

    if args.out:
        write_output(args.out, result.content, force=args.force)
    signers = [{
        "signer": certificate_info(item.signer),
        "signing_time": iso(item.signing_time),
        "digest_algorithm": item.digest_algorithm,
        "signature_algorithm": item.signature_algorithm,
        "chain": item.chain.to_dict() if item.chain is not None else None,
    } for item in result.signers]
    payload: dict[str, Any] = {
        "valid": True,
        **signers[0],
        "signers": signers,
        "content_type": result.content_type,
        "content_bytes": len(result.content),
        "chain_checked": context is not None,
    }
    lines = []
    for item in result.signers:
        lines += [f"valid: CMS signature by {item.signer.subject_text}",
                  f"  signing time  {iso(item.signing_time) or '(none)'}",
                  f"  algorithms    digest {oid_label(item.digest_algorithm)}, "
                  f"signature {oid_label(item.signature_algorithm)}"]
        if item.chain is not None:
            lines += ["  " + line for line in report_lines(item.chain)]
    lines.append(f"  content       {len(result.content)} bytes, type {oid_label(result.content_type)}"
                 + (f", written to {args.out}" if args.out else ""))
    if context is None:
        lines.append("  certificate chain NOT checked: give --trust ROOT.pem to validate the signer")
    if args.out != "-":  # with --out - only the content goes to stdout
        emit(args, payload, "\n".join(lines))
    return EXIT_OK


def register(sub: Any) -> None:
    cms = sub.add_parser(
        "cms", help="sign and verify CMS SignedData (GM/T 0010, RFC 5652)",
        description="Sign and verify CMS SignedData: GM/T 0010 OIDs (1.2.156.10197.6.1.4.2.x) or the\n"
                    "RFC 5652 ones, SM3 digests, SM2 signatures over the signed attributes.",
        epilog="Run 'trustkit cms COMMAND --help' for the options of each command.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cms_sub = cms.add_subparsers(dest="cms_command", metavar="{sign,verify}", title="commands")
    cms_sub.required = True

    sign = command(
        cms_sub, "sign", help="make a CMS SignedData (DER) over a file",
        description="Sign FILE as CMS SignedData (DER). Signed attributes: content-type, message-digest\n"
                    "(SM3 for SM2 keys) and signing-time. The signer's certificate (and --chain) is included.",
        examples="  trustkit cms sign --key k.pem --cert seal.pem doc.ofd --out doc.p7s\n"
                 "  trustkit cms sign --key k.pem --cert seal.pem --detached --oids rfc doc.pdf --out doc.p7s",
    )
    sign.add_argument("input", metavar="FILE", help="data to sign ('-' for stdin)")
    sign.add_argument("--key", required=True, metavar="KEY", help="signer's private key")
    sign.add_argument("--cert", required=True, metavar="CERT", help="signer's certificate")
    sign.add_argument("--chain", action="append", metavar="CERTS", help="more certificates to include (repeatable)")
    sign.add_argument("--detached", action="store_true", help="leave the content out of the SignedData")
    sign.add_argument("--oids", choices=["gm", "rfc"], default=None,
                      help="gm: GM/T 0010 content types (default for SM2 keys); rfc: RFC 5652 ones "
                           "(default for RSA/ECDSA keys, and what OpenSSL reads)")
    sign.add_argument("--no-signed-attributes", action="store_true",
                      help="sign the content itself, without signed attributes (some older GM/T 0010 peers)")
    sign.add_argument("--out", required=True, metavar="FILE", help="SignedData file to write (DER; '-' for stdout)")
    sign.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    add_password_options(sign, "password", "an encrypted key")
    sign.set_defaults(handler=_sign)

    verify = command(
        cms_sub, "verify", help="verify a CMS SignedData (exit 0 valid, 1 invalid, 2 error)",
        description="Verify a CMS SignedData: message digest and signature, and with --trust the signer's\n"
                    "certificate path. Detached signatures need --content.",
        examples="  trustkit cms verify doc.p7s --trust ./ca/root.cert.pem --untrusted ./ca/intermediate.cert.pem\n"
                 "  trustkit cms verify doc.p7s --content doc.pdf --json",
    )
    verify.add_argument("input", metavar="SIG", help="CMS SignedData file (DER; '-' for stdin)")
    verify.add_argument("--content", metavar="FILE", help="the signed data, for a detached signature")
    verify.add_argument("--out", metavar="FILE", help="write the signed content here ('-' for stdout)")
    verify.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    add_trust_options(verify, trust_required=False)
    verify.add_argument("--purpose", choices=purpose_choices(), default="digital-signature",
                        help="what the signer's certificate must allow (default digital-signature)")
    verify.set_defaults(handler=_verify)


__all__ = ["register"]
