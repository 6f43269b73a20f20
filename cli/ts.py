"""``trustkit ts stamp|verify``: RFC 3161 timestamps from an in-process TSA or a TSA URL."""

from __future__ import annotations

import argparse
from typing import Any

from asn1crypto import core

from trustkit.errors import CertificateValidationError, DecodeError, InvalidSignature
from trustkit.pki.timestamp import TimestampAuthority, request_timestamp, token_from_response, verify_timestamp
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
    write_output,
)
from .pki import (
    add_trust_options,
    iso,
    load_signing_key,
    parse_file,
    read_limited,
    read_one_certificate,
    report_lines,
    serial_hex,
    validation_context,
    validation_time,
)

# 2.999 is the X.660 "example" arc: fine for tests, but a production TSA sets its own policy OID.
DEFAULT_POLICY = "2.999.3161.1"
MAX_TOKEN = 1 << 20


def _stamp(args: argparse.Namespace) -> int:
    check_stdin_once(args.tsa_key, args.input)
    if args.out != "-":
        check_writable(args.out, args.force)
    refuse_binary_to_terminal(args, args.out, True, "use --out FILE")
    if args.url and (args.tsa_key or args.tsa_cert):
        raise CommandError("give either --url (an external TSA) or --tsa-key and --tsa-cert (in-process TSA)")
    if not args.url and not (args.tsa_key and args.tsa_cert):
        raise CommandError("give --tsa-key KEY and --tsa-cert CERT (in-process TSA) or --url URL (external TSA)")
    data = read_input(args.input)
    if args.url:
        if not (args.trust or args.tsa_cert_check):
            raise CommandError("--url needs --trust ROOT.pem (or --tsa-cert-check CERT) to check the TSA's answer")
        expected = read_one_certificate(args.tsa_cert_check, "TSA certificate") if args.tsa_cert_check else None
        context = validation_context(args) if args.trust else None
        fetched = request_timestamp(args.url, data, timeout=args.timeout, hash_algorithm=args.hash,
                                    tsa_certificate=expected, context=context)
        token_der, info = fetched.der, fetched.info
        source = args.url
    else:
        if args.trust or args.tsa_cert_check:
            raise CommandError("--trust and --tsa-cert-check apply to --url only")
        key = load_signing_key(read_limited(args.tsa_key, "TSA key"), password_from(args))
        certificate = read_one_certificate(args.tsa_cert, "TSA certificate")
        authority = TimestampAuthority(key, certificate, policy_oid=args.policy)
        token_der = authority.stamp(data, hash_algorithm=args.hash)
        info = verify_timestamp(token_der, data=data, tsa_certificate=certificate)  # self-check before writing
        source = f"in-process TSA {certificate.subject_text}"
    write_output(args.out, token_der, force=args.force)
    if args.out != "-":
        emit(args, {"token_file": args.out, "tsa": source, "gen_time": iso(info.gen_time),
                    "serial_number": serial_hex(info.serial_number), "policy": info.policy_oid,
                    "hash_algorithm": info.hash_algorithm, "bytes": len(token_der)},
             f"wrote timestamp token {args.out} ({len(token_der)} bytes) from {source}\n"
             f"  time {iso(info.gen_time)}, serial {serial_hex(info.serial_number)}, policy {info.policy_oid}")
    return EXIT_OK


def token_bytes(blob: bytes) -> bytes:
    """The TimeStampToken: the file itself, or the token inside a TimeStampResp (``openssl ts -reply``)."""
    try:
        outer = core.load(blob, strict=True)
        first = outer[0] if isinstance(outer, core.Sequence) else None
    except (ValueError, TypeError, KeyError, IndexError):
        return blob  # verify_timestamp reports what is wrong with it
    if isinstance(first, core.Sequence):  # TimeStampResp starts with PKIStatusInfo, ContentInfo with an OID
        return token_from_response(blob)
    return blob


def _verify(args: argparse.Namespace) -> int:
    check_stdin_once(args.token, args.data)
    if args.tsa_cert and args.trust:
        raise CommandError("give --tsa-cert (check against that certificate) or --trust (validate its chain), not both")
    if not args.tsa_cert and not args.trust:
        raise CommandError("give --tsa-cert CERT or --trust ROOT.pem: a token is only as good as its TSA")
    token = parse_file(args.token, "timestamp token", token_bytes)
    data = read_input(args.data)
    tsa_cert = read_one_certificate(args.tsa_cert, "TSA certificate") if args.tsa_cert else None
    context = validation_context(args) if args.trust else None
    try:
        info = verify_timestamp(token, data=data, tsa_certificate=tsa_cert, context=context,
                                at=validation_time(args))
    except DecodeError as exc:
        raise DecodeError(f"{args.token}: {exc.message}", code=exc.code) from None
    except InvalidSignature as exc:
        message = exc.message
        if not message or "\n" in message:  # no specific reason: the class docstring is no message for people
            message = ("the token does not verify with this data and TSA certificate "
                       "(signature, signer or message imprint mismatch)")
        emit(args, {"valid": False, "error": {"code": "invalid_signature", "message": message}},
             f"invalid: {message}", ok=False)
        return EXIT_INVALID
    except CertificateValidationError as exc:
        report = exc.report if isinstance(exc.report, ValidationReport) else None
        lines = ["invalid: the token is intact but the TSA certificate does not validate"]
        payload: dict[str, Any] = {"valid": False, "error": {"code": exc.code, "message": exc.message}}
        if report is not None:
            lines += report_lines(report)[1:]
            payload["chain"] = report.to_dict()
            if report.failures:
                payload["error"]["code"] = report.failures[0].code
        else:
            lines.append(f"  {exc.code}: {exc.message}")
        emit(args, payload, "\n".join(lines), ok=False)
        return EXIT_INVALID
    payload = {"valid": True, "gen_time": iso(info.gen_time), "serial_number": serial_hex(info.serial_number),
               "policy": info.policy_oid, "hash_algorithm": info.hash_algorithm,
               "message_imprint": info.message_imprint.hex(),
               "nonce": serial_hex(info.nonce) if info.nonce is not None else None,
               "tsa": info.tsa_certificate.subject_text,
               "chain": info.chain.to_dict() if info.chain is not None else None}
    emit(args, payload, f"valid: the data existed at {iso(info.gen_time)} (TSA {payload['tsa']}, "
                        f"serial {payload['serial_number']}, {info.hash_algorithm} imprint)")
    return EXIT_OK


def register(sub: Any) -> None:
    ts = sub.add_parser(
        "ts", help="RFC 3161 timestamps: stamp a file, verify a token",
        description="RFC 3161 timestamps signed with SM2 (or RSA/ECDSA): an in-process TSA from a key and\n"
                    "certificate (profile timestamping), or an external TSA at a URL.",
        epilog="Run 'trustkit ts COMMAND --help' for the options of each command.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ts_sub = ts.add_subparsers(dest="ts_command", metavar="{stamp,verify}", title="commands")
    ts_sub.required = True

    stamp = command(
        ts_sub, "stamp", help="get a timestamp token for a file",
        description="Timestamp FILE: the SM3 (or --hash) imprint is signed by the TSA. The token\n"
                    "(a CMS SignedData with TSTInfo, DER) is written to --out.",
        examples="  trustkit ts stamp --tsa-key tsa.key.pem --tsa-cert tsa.pem doc.ofd --out doc.tsr\n"
                 "  trustkit ts stamp --url http://tsa.example.cn/tsa --trust root.pem doc.ofd --out doc.tsr",
    )
    stamp.add_argument("input", metavar="FILE", help="data to timestamp ('-' for stdin)")
    stamp.add_argument("--tsa-key", metavar="KEY", help="in-process TSA: its private key")
    stamp.add_argument("--tsa-cert", metavar="CERT", help="in-process TSA: its certificate (timeStamping EKU)")
    stamp.add_argument("--policy", default=DEFAULT_POLICY, metavar="OID",
                       help=f"TSA policy OID for the in-process TSA (default {DEFAULT_POLICY}, an example OID: "
                            "set your TSA's own)")
    stamp.add_argument("--url", metavar="URL", help="external TSA (HTTP POST application/timestamp-query)")
    stamp.add_argument("--hash", choices=["sm3", "sha256", "sha384", "sha512"], default="sm3",
                       help="message imprint hash (default sm3)")
    stamp.add_argument("--tsa-cert-check", metavar="CERT", help="--url: the TSA certificate the answer must carry")
    add_trust_options(stamp, trust_required=False, with_time=False)
    stamp.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS", help="--url timeout (10)")
    stamp.add_argument("--out", required=True, metavar="FILE", help="token file to write (DER; '-' for stdout)")
    stamp.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    add_password_options(stamp, "password", "an encrypted TSA key")
    stamp.set_defaults(handler=_stamp)

    verify = command(
        ts_sub, "verify", help="verify a timestamp token against data (exit 0 valid, 1 invalid, 2 error)",
        description="Check the token's signature, that its imprint matches the data, and that the TSA\n"
                    "certificate has the timeStamping EKU (RFC 3161 2.3); with --trust also its path.",
        examples="  trustkit ts verify doc.tsr --data doc.ofd --tsa-cert tsa.pem\n"
                 "  trustkit ts verify doc.tsr --data doc.ofd --trust ./ca/root.cert.pem --untrusted ./ca/chain.pem",
    )
    verify.add_argument("token", metavar="TOKEN", help="timestamp token, or a TimeStampResp holding one (DER)")
    verify.add_argument("--data", required=True, metavar="FILE", help="the timestamped data ('-' for stdin)")
    verify.add_argument("--tsa-cert", metavar="CERT", help="the TSA certificate the token must be signed by")
    add_trust_options(verify, trust_required=False)
    verify.set_defaults(handler=_verify)


__all__ = ["register"]
