"""``trustkit sign`` and ``trustkit verify``."""

from __future__ import annotations

import argparse
import base64
import binascii
from typing import Any

from trustkit import sm2
from trustkit.errors import DecodeError, InvalidSignature

from ._output import (
    EXIT_INVALID,
    EXIT_OK,
    CommandError,
    add_password_options,
    add_uid_options,
    check_stdin_once,
    command,
    emit,
    parse_uid,
    password_from,
    read_input,
    refuse_binary_to_terminal,
    show_uid,
    wants_json,
    write_output,
)
from .keys import load_any_key

MAX_SIGNATURE_FILE = 1 << 16


def _encode(data: bytes, encoding: str) -> bytes:
    if encoding == "hex":
        return data.hex().encode() + b"\n"
    if encoding == "base64":
        return base64.b64encode(data) + b"\n"
    return data


def _text_candidates(blob: bytes, encoding: str) -> list[bytes]:
    """The byte strings the signature file may stand for under ``--sig-encoding``."""
    candidates: list[bytes] = []
    if encoding in ("binary", "auto"):
        candidates.append(blob)
    try:
        text = "".join(blob.decode("ascii").split())
    except UnicodeDecodeError:
        text = None
    if encoding in ("hex", "auto"):
        try:
            if text is None:
                raise ValueError
            candidates.append(bytes.fromhex(text))
        except ValueError:
            if encoding == "hex":
                raise CommandError("the signature file is not valid hex", code="malformed_signature") from None
    if encoding in ("base64", "auto"):
        try:
            if text is None:
                raise ValueError
            candidates.append(base64.b64decode(text, validate=True))
        except (binascii.Error, ValueError):
            if encoding == "base64":
                raise CommandError("the signature file is not valid base64", code="malformed_signature") from None
    return candidates


def decode_signature_file(blob: bytes, encoding: str, sig_format: str) -> tuple[bytes, str]:
    """-> (signature bytes, ``"der"`` or ``"raw"``); CommandError (exit 2) when malformed."""
    if not blob:
        raise CommandError("the signature file is empty", code="malformed_signature")
    if len(blob) > MAX_SIGNATURE_FILE:
        raise CommandError("the signature file is too large to be an SM2 signature", code="malformed_signature")
    for candidate in _text_candidates(blob, encoding):
        if sig_format in ("der", "auto") and candidate[:1] == b"\x30":
            try:
                sm2.decode_signature_der(candidate)
                return candidate, "der"
            except DecodeError:
                pass
        if sig_format in ("raw", "auto") and len(candidate) == 64:
            return candidate, "raw"
    hint = "if it comes from another system, try 'trustkit sm2 doctor'"
    if sig_format == "der":
        message = f"the signature is not a valid DER SM2Signature (try --sig-format raw; {hint})"
    elif sig_format == "raw":
        message = f"a raw signature is exactly 64 bytes r||s (try --sig-format der; {hint})"
    else:
        message = f"the signature is neither a DER SM2Signature nor 64-byte raw r||s ({hint})"
    raise CommandError(message, code="malformed_signature")


def _sign(args: argparse.Namespace) -> int:
    check_stdin_once(args.key, args.input)
    uid = parse_uid(args)
    private, _ = load_any_key(read_input(args.key, "key"), password_from(args))
    if private is None:
        raise CommandError("signing needs a private key; this is a public key")
    refuse_binary_to_terminal(args, args.out, args.encoding == "binary",
                              "use --out FILE or --encoding hex/base64")
    data = read_input(args.input)
    signature = private.sign(data, uid=uid, encoding=args.sig_format)
    payload: dict[str, Any] = {
        "signature_format": args.sig_format,
        "encoding": args.encoding,
        "uid": uid.decode("utf-8", "replace"),
        "uid_hex": uid.hex(),
        "bytes": len(signature),
    }
    if args.out == "-" and wants_json(args):
        emit(args, {**payload, "signature_hex": signature.hex(),
                    "signature_base64": base64.b64encode(signature).decode("ascii")}, "")
        return EXIT_OK
    write_output(args.out, _encode(signature, args.encoding))
    if args.out != "-":
        emit(args, {**payload, "signature_file": args.out},
             f"wrote {args.sig_format} signature ({len(signature)} bytes, {args.encoding}) to {args.out}, "
             f"signer ID {show_uid(uid)}")
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    check_stdin_once(args.key, args.sig, args.input)
    uid = parse_uid(args)
    _, public = load_any_key(read_input(args.key, "key"), password_from(args))
    signature, sig_format = decode_signature_file(read_input(args.sig, "signature"), args.sig_encoding,
                                                  args.sig_format)
    data = read_input(args.input)
    payload: dict[str, Any] = {"signature_format": sig_format, "uid": uid.decode("utf-8", "replace"),
                               "uid_hex": uid.hex()}
    try:
        public.verify(signature, data, uid=uid, encoding=sig_format)  # type: ignore[arg-type]
    except InvalidSignature:
        message = (f"the signature does not verify with this key, data and signer ID {show_uid(uid)}; "
                   "if it comes from another system, 'trustkit sm2 doctor' finds the variant it uses")
        emit(args, {**payload, "valid": False, "error": {"code": "invalid_signature", "message": message}},
             f"invalid: {message}", ok=False)
        return EXIT_INVALID
    emit(args, {**payload, "valid": True}, f"valid ({sig_format} signature, signer ID {show_uid(uid)})")
    return EXIT_OK


def register(sub: Any) -> None:
    sign = command(
        sub, "sign", help="sign data with an SM2 private key",
        description="Sign a file with SM2 (e = SM3(Z_A || M), GB/T 32918.2). The signature is a DER\n"
                    "SM2Signature by default (what X.509, CMS and seals carry) or raw 64-byte r||s.",
        examples="  trustkit sign --key k.pem --in doc.pdf --out doc.sig\n"
                 "  trustkit sign --key k.pem --in msg --out - --sig-format raw --encoding base64\n"
                 "  trustkit sign --key k.pem --in msg --out msg.sig --id ALICE123@YAHOO.COM",
    )
    sign.add_argument("--key", required=True, metavar="KEY", help="private key file")
    sign.add_argument("--in", dest="input", required=True, metavar="FILE", help="data to sign ('-' for stdin)")
    sign.add_argument("--out", required=True, metavar="FILE", help="signature file to write ('-' for stdout)")
    sign.add_argument("--sig-format", choices=["der", "raw"], default="der",
                      help="der (SM2Signature, default) or raw (64-byte r||s)")
    sign.add_argument("--encoding", choices=["binary", "hex", "base64"], default="binary",
                      help="how the signature bytes are written (default binary)")
    add_uid_options(sign)
    add_password_options(sign, "password", "an encrypted private key")
    sign.set_defaults(handler=_sign)

    verify = command(
        sub, "verify", help="verify an SM2 signature (exit 0 valid, 1 invalid, 2 error)",
        description="Verify an SM2 signature. Prints 'valid' (exit 0) or 'invalid' (exit 1); unreadable\n"
                    "keys, files or signatures are errors (exit 2). The signature format and text\n"
                    "encoding are detected unless you fix them.",
        examples="  trustkit verify --key p.pem --sig doc.sig --in doc.pdf\n"
                 "  trustkit verify --key p.pem --sig sig.b64 --in msg --id ''      # OpenSSL 3.0 without distid\n"
                 "  trustkit verify --key p.pem --sig s.hex --sig-format raw --sig-encoding hex --in msg",
    )
    verify.add_argument("--key", required=True, metavar="KEY", help="public (or private) key file")
    verify.add_argument("--sig", required=True, metavar="FILE", help="signature file")
    verify.add_argument("--in", dest="input", required=True, metavar="FILE", help="signed data ('-' for stdin)")
    verify.add_argument("--sig-format", choices=["der", "raw", "auto"], default="auto",
                        help="der, raw (64-byte r||s) or auto (default)")
    verify.add_argument("--sig-encoding", choices=["binary", "hex", "base64", "auto"], default="auto",
                        help="binary, hex, base64 or auto (default)")
    add_uid_options(verify)
    add_password_options(verify, "password", "an encrypted private key")
    verify.set_defaults(handler=_verify)


__all__ = ["decode_signature_file", "register"]
