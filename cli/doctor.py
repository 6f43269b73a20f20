"""``trustkit sm2 doctor``: which ID / encoding / hashing variant a foreign signature uses."""

from __future__ import annotations

import argparse
from typing import Any

from trustkit import sm2
from trustkit.doctor import diagnose_signature
from trustkit.errors import DecodeError, UnsupportedAlgorithmError

from ._output import (
    EXIT_INVALID,
    EXIT_OK,
    CommandError,
    add_password_options,
    check_stdin_once,
    command,
    emit,
    hex_bytes,
    password_from,
    read_input,
)


def _public_key_input(blob: bytes, password: bytes | None) -> sm2.PublicKey | bytes:
    """A private key file gives its public key; anything else goes to the doctor as bytes
    (it also understands a bare 64-byte X||Y missing its 04 prefix)."""
    try:
        return sm2.load_private_key(blob, password).public_key()
    except (DecodeError, UnsupportedAlgorithmError) as exc:
        if exc.code == "password_required":
            raise CommandError("the key is encrypted: give --password-file or --password-env, "
                               "or pass the public key", code="password_needed") from None
        return blob


def _doctor(args: argparse.Namespace) -> int:
    check_stdin_once(args.pub, args.sig, args.input)
    extra = [uid.encode("utf-8") for uid in args.id or []] + [hex_bytes(h, "--id-hex") for h in args.id_hex or []]
    public = _public_key_input(read_input(args.pub, "public key"), password_from(args))
    signature = read_input(args.sig, "signature")
    if not signature:
        raise CommandError("the signature file is empty", code="malformed_signature")
    report = diagnose_signature(public, signature, read_input(args.input), extra_uids=extra)

    lines = [f"tried {report.tried} combinations of signer ID, hashing and signature encoding"]
    if report.public_key_form == "missing-04-prefix":
        lines.append("public key: 64 bytes X||Y without the 04 prefix, read as 04||X||Y")
    if report.matches:
        lines += [f"VERIFIES: {m.describe()}" for m in report.matches]
    else:
        lines.append("no variant verifies")
    lines.append("")
    lines.append("advice: " + report.advice)
    payload: dict[str, Any] = report.to_dict()
    if not report.ok:
        payload["error"] = {"code": "no_variant_verifies", "message": "no known variant verifies"}
    emit(args, payload, "\n".join(lines), ok=report.ok)
    return EXIT_OK if report.ok else EXIT_INVALID


def register(sub: Any) -> None:
    sm2_parser = sub.add_parser(
        "sm2",
        help="SM2 troubleshooting (doctor)",
        description="SM2 troubleshooting tools.",
        epilog="Run 'trustkit sm2 doctor --help' for details.",
    )
    sm2_sub = sm2_parser.add_subparsers(dest="sm2_command", metavar="{doctor}", title="commands")
    sm2_sub.required = True
    doctor = command(
        sm2_sub, "doctor",
        help="find which signer ID, encoding and hashing make a foreign signature verify",
        description=(
            "Given a signature, the data and the public key from another system, try the known\n"
            "variants and say which one verifies:\n"
            "  signer IDs  1234567812345678 (GM/T 0009), the EMPTY ID (OpenSSL 3.0 without distid),\n"
            "              and any --id / --id-hex you give\n"
            "  encodings   DER, raw 64-byte r||s, GM/T 0018 ECCSignature (128 bytes), each also\n"
            "              as hex or base64 text\n"
            "  hashing     SM3(Z || M) (standard), plain SM3(M) without Z, data already the digest e\n"
            "  public key  also a bare 64-byte X||Y missing its 04 prefix\n"
            "Exit 0 when some variant verifies, 1 when none does, 2 on unreadable input."
        ),
        examples="  trustkit sm2 doctor --pub peer.pem --sig peer.sig --in message.txt\n"
                 "  trustkit sm2 doctor --pub peer-hex.txt --sig sig.b64 --in data --id ALICE123@YAHOO.COM",
    )
    doctor.add_argument("--pub", required=True, metavar="KEY",
                        help="the signer's public key (PEM, DER, 65/64/33-byte point or hex; a private key works too)")
    doctor.add_argument("--sig", required=True, metavar="FILE",
                        help="the signature as received (DER, raw, GM/T 0018 128-byte, or hex/base64 text)")
    doctor.add_argument("--in", dest="input", required=True, metavar="FILE", help="the data that was signed")
    doctor.add_argument("--id", action="append", metavar="ID", help="another signer ID to try (repeatable)")
    doctor.add_argument("--id-hex", action="append", metavar="HEX", help="another signer ID to try, as hex (repeatable)")
    add_password_options(doctor, "password", "an encrypted private key given as --pub")
    doctor.set_defaults(handler=_doctor)


__all__ = ["register"]
