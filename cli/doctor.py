"""``trustkit sm2 doctor``: which ID / encoding / hashing variant a foreign signature uses."""

from __future__ import annotations

import argparse

from trustkit.doctor import diagnose_signature

from trustkit_cli._output import command, EXIT_INVALID, EXIT_OK, add_password_options, emit, password_from, read_input
from trustkit_cli.keys import load_any_key


def _doctor(args: argparse.Namespace) -> int:
    _, public = load_any_key(read_input(args.pub), password_from(args))
    extra = [uid.encode("utf-8") for uid in args.id or []] + [bytes.fromhex(h) for h in args.id_hex or []]
    report = diagnose_signature(public, read_input(args.sig), read_input(args.input), extra_uids=extra)
    matches = [
        {
            "hashing": m.hashing,
            "uid": None if m.uid is None else m.uid.decode("utf-8", "replace"),
            "signature_encoding": m.encoding,
            "text": m.text,
            "description": m.describe(),
        }
        for m in report.matches
    ]
    lines = [f"tried {report.tried} variants"]
    if report.matches:
        lines += [f"VERIFIES: {m.describe()}" for m in report.matches]
    else:
        lines.append("no variant verifies")
    lines.append(report.advice)
    emit(args, {"verified": report.ok, "tried": report.tried, "matches": matches, "advice": report.advice},
         "\n".join(lines))
    return EXIT_OK if report.ok else EXIT_INVALID


def register(sub: argparse._SubParsersAction, run: object) -> None:  # type: ignore[type-arg]
    sm2_parser = sub.add_parser("sm2", help="SM2 troubleshooting")
    sm2_sub = sm2_parser.add_subparsers(dest="sm2_command", required=True, metavar="{doctor}")
    doctor = command(sm2_sub, "doctor", help="find which signer ID, encoding and hashing make a foreign signature verify"
    )
    doctor.add_argument("--pub", required=True, help="the signer's public key (or certificate-less key file)")
    doctor.add_argument("--sig", required=True, help="signature file (DER, raw, GM/T 0018 128-byte, hex or base64)")
    doctor.add_argument("--in", dest="input", required=True, help="the data that was signed")
    doctor.add_argument("--id", action="append", help="another signer ID to try (repeatable)")
    doctor.add_argument("--id-hex", action="append", help="another signer ID to try, as hex")
    add_password_options(doctor)
    doctor.set_defaults(handler=_doctor)


__all__ = ["register"]
