"""``trustkit sign`` and ``trustkit verify``."""

from __future__ import annotations

import argparse
import base64
import binascii

from trustkit import sm2
from trustkit.errors import InvalidSignature

from trustkit_cli._output import (
    command,
    EXIT_INVALID,
    EXIT_OK,
    CommandError,
    add_password_options,
    add_uid_options,
    emit,
    fail,
    parse_uid,
    password_from,
    read_input,
    write_output,
)
from trustkit_cli.keys import load_any_key


def _encode(data: bytes, encoding: str) -> bytes:
    if encoding == "hex":
        return data.hex().encode() + b"\n"
    if encoding == "base64":
        return base64.b64encode(data) + b"\n"
    return data


def _decode_signature(blob: bytes, encoding: str, sig_format: str) -> tuple[bytes, str]:
    """-> (signature bytes, 'der' or 'raw')."""
    candidates: list[bytes] = []
    text = blob.strip()
    if encoding in ("binary", "auto"):
        candidates.append(blob)
    if encoding in ("hex", "auto"):
        try:
            candidates.append(bytes.fromhex(text.decode("ascii")))
        except (ValueError, UnicodeDecodeError):
            if encoding == "hex":
                raise CommandError("the signature file is not valid hex") from None
    if encoding in ("base64", "auto"):
        try:
            candidates.append(base64.b64decode(text, validate=True))
        except (binascii.Error, ValueError):
            if encoding == "base64":
                raise CommandError("the signature file is not valid base64") from None
    for candidate in candidates:
        if sig_format in ("der", "auto") and candidate[:1] == b"\x30" and 8 <= len(candidate) <= 72:
            try:
                sm2.decode_signature_der(candidate)
                return candidate, "der"
            except ValueError:
                pass
        if sig_format in ("raw", "auto") and len(candidate) == 64:
            return candidate, "raw"
    if sig_format == "der":
        raise CommandError("the signature is not a valid DER SM2Signature (try --sig-format raw)")
    if sig_format == "raw":
        raise CommandError("a raw signature is exactly 64 bytes (r || s)")
    raise CommandError("the signature is neither DER nor 64-byte raw r||s (try `trustkit sm2 doctor`)")


def _sign(args: argparse.Namespace) -> int:
    private, _ = load_any_key(read_input(args.key), password_from(args))
    if private is None:
        raise CommandError("signing needs a private key; this is a public key")
    data = read_input(args.input)
    signature = private.sign(data, uid=parse_uid(args), encoding=args.sig_format)
    write_output(args.out, _encode(signature, args.encoding))
    if args.out != "-":
        emit(args, {"signature_file": args.out, "format": args.sig_format, "bytes": len(signature)},
             f"wrote {args.sig_format} signature ({len(signature)} bytes) to {args.out}")
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    _, public = load_any_key(read_input(args.key), password_from(args))
    signature, sig_format = _decode_signature(read_input(args.sig), args.sig_encoding, args.sig_format)
    data = read_input(args.input)
    uid = parse_uid(args)
    try:
        public.verify(signature, data, uid=uid, encoding=sig_format)  # type: ignore[arg-type]
    except InvalidSignature:
        code = fail(args, "invalid_signature",
                    "signature is INVALID (if it comes from another system, try `trustkit sm2 doctor`)", EXIT_INVALID)
        return code
    emit(args, {"valid": True, "signature_format": sig_format, "uid": uid.decode("utf-8", "replace")},
         f"signature is valid ({sig_format}, signer ID {uid.decode('utf-8', 'replace')!r})")
    return EXIT_OK


def register(sub: argparse._SubParsersAction, run: object) -> None:  # type: ignore[type-arg]
    sign = command(sub, "sign", help="sign data with an SM2 private key")
    sign.add_argument("--key", required=True, help="private key file")
    sign.add_argument("--in", dest="input", default="-", help="data to sign (default: standard input)")
    sign.add_argument("--out", default="-", help="signature output (default: standard output)")
    sign.add_argument("--sig-format", choices=["der", "raw"], default="der", help="DER SM2Signature or raw r||s")
    sign.add_argument("--encoding", choices=["binary", "hex", "base64"], default="binary")
    add_uid_options(sign)
    add_password_options(sign)
    sign.set_defaults(handler=_sign)

    verify = command(sub, "verify", help="verify an SM2 signature (exit 0 valid, 1 invalid, 2 error)")
    verify.add_argument("--key", required=True, help="public (or private) key file")
    verify.add_argument("--sig", required=True, help="signature file")
    verify.add_argument("--in", dest="input", default="-", help="signed data (default: standard input)")
    verify.add_argument("--sig-format", choices=["der", "raw", "auto"], default="auto")
    verify.add_argument("--sig-encoding", choices=["binary", "hex", "base64", "auto"], default="auto")
    add_uid_options(verify)
    add_password_options(verify)
    verify.set_defaults(handler=_verify)


__all__ = ["register"]
