"""``trustkit key gen|show|export``."""

from __future__ import annotations

import argparse
import base64
import sys
from pathlib import Path
from typing import Any

from trustkit import sm2, sm3
from trustkit.errors import DecodeError, UnsupportedAlgorithmError

from ._output import (
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

CIPHERS = ("aes-256-cbc", "sm4-cbc")
PRIVATE_FORMATS = {"pem": "PEM", "der": "DER", "raw": "raw"}
PUBLIC_FORMATS = {"pem": "PEM", "der": "DER", "raw": "raw", "compressed": "compressed"}
CURVE = "sm2p256v1 (1.2.156.10197.1.301)"


def load_any_key(data: bytes, password: bytes | None) -> tuple[sm2.PrivateKey | None, sm2.PublicKey]:
    """A private key if the data holds one (tried first), else a public key."""
    try:
        private = sm2.load_private_key(data, password)
        return private, private.public_key()
    except (DecodeError, UnsupportedAlgorithmError) as exc:
        if exc.code == "password_required":
            raise CommandError(
                "the key is encrypted: give --password-file FILE or --password-env VAR "
                "(or use the public key file instead)", code="password_needed"
            ) from None
        try:
            return None, sm2.load_public_key(data)
        except (DecodeError, UnsupportedAlgorithmError) as public_exc:
            # Report the attempt that matches what the file says it is.
            if isinstance(exc, UnsupportedAlgorithmError):
                raise exc from None
            if isinstance(public_exc, UnsupportedAlgorithmError):
                raise public_exc from None
            if b"-----BEGIN" in data:
                raise (exc if b"PRIVATE KEY-----" in data else public_exc) from None
            raise DecodeError(
                "not an SM2 key file: expected a private or public key as PEM, DER, raw bytes or hex"
            ) from None


def fingerprint(public: sm2.PublicKey) -> str:
    """SM3 of the raw public key 04||X||Y, in hex."""
    return sm3.hash(public.public_bytes("raw")).hex()


def _check_cipher(args: argparse.Namespace, password: bytes | None, option: str) -> str:
    if args.cipher is not None and password is None:
        raise CommandError(f"--cipher only applies to an encrypted key: add {option}-file or {option}-env")
    return args.cipher or "aes-256-cbc"


def _gen(args: argparse.Namespace) -> int:
    if args.out == "-":
        raise CommandError("key gen writes files: give --out KEY.pem (use 'key export --private' to print a key)")
    if args.pub is not None and Path(args.pub).resolve() == Path(args.out).resolve():
        raise CommandError("--out and --pub must be different files")
    password = password_from(args)
    cipher = _check_cipher(args, password, "--password")
    if args.format == "raw" and password is not None:
        raise CommandError("a raw key cannot be encrypted; use --format pem or der")
    # Check both targets before writing either, so a refusal leaves nothing behind.
    check_writable(args.out, args.force)
    if args.pub:
        check_writable(args.pub, args.force)

    key = sm2.generate_private_key()
    encoded = key.private_bytes(PRIVATE_FORMATS[args.format], password=password, cipher=cipher)  # type: ignore[arg-type]
    write_output(args.out, encoded, secret=True, force=args.force)
    public = key.public_key()
    if args.pub:
        write_output(args.pub, public.public_bytes("PEM"), force=args.force)
    fp = fingerprint(public)
    protection = f"encrypted with {cipher}" if password else "NOT encrypted: add --password-file to protect it"
    lines = [f"wrote private key {args.out} ({args.format}, mode 0600, {protection})"]
    if args.pub:
        lines.append(f"wrote public key  {args.pub} (PEM)")
    lines.append(f"fingerprint       {fp}  (SM3 of the public key)")
    emit(
        args,
        {
            "private_key": args.out,
            "public_key": args.pub,
            "format": args.format,
            "encrypted": password is not None,
            "cipher": cipher if password is not None else None,
            "fingerprint": fp,
        },
        "\n".join(lines),
    )
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    private, public = load_any_key(read_input(args.key, "key"), password_from(args))
    raw = public.public_bytes("raw")
    info: dict[str, Any] = {
        "kind": "private" if private else "public",
        "curve": CURVE,
        "fingerprint": fingerprint(public),
        "public_key_hex": raw.hex(),
        "x": raw[1:33].hex(),
        "y": raw[33:].hex(),
        "z_default_id": public.compute_z().hex(),
        "default_id": sm2.DEFAULT_UID.decode(),
        "public_key_pem": public.public_bytes("PEM").decode(),
    }
    kind = "private key (only public information is shown)" if private else "public key"
    text = "\n".join(
        [
            f"SM2 {kind}",
            f"curve        {CURVE}",
            f"fingerprint  {info['fingerprint']}  (SM3 of 04||X||Y)",
            f"public x     {info['x']}",
            f"public y     {info['y']}",
            f"Z_A          {info['z_default_id']}  (signer ID {info['default_id']})",
            str(info["public_key_pem"]).rstrip(),
        ]
    )
    emit(args, info, text)
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    new_password = password_from(args, "new-password")
    if args.public and (new_password is not None or args.cipher is not None):
        raise CommandError("--new-password and --cipher apply to --private exports only")
    if args.out != "-":
        check_writable(args.out, args.force)
    private, public = load_any_key(read_input(args.key, "key"), password_from(args))
    if args.private:
        if private is None:
            raise CommandError("this is a public key: there is no private key to export")
        if args.format == "compressed":
            raise CommandError("--format compressed applies to public keys")
        if new_password is not None and args.format in ("raw", "hex"):
            raise CommandError(f"a {args.format} private key cannot be encrypted; use --format pem or der")
        cipher = _check_cipher(args, new_password, "--new-password")
        if args.format == "hex":
            data = private.private_bytes("raw").hex().encode() + b"\n"
        else:
            data = private.private_bytes(PRIVATE_FORMATS[args.format], password=new_password, cipher=cipher)  # type: ignore[arg-type]
    else:
        if args.format == "hex":
            data = public.public_bytes("raw").hex().encode() + b"\n"
        else:
            data = public.public_bytes(PUBLIC_FORMATS[args.format])  # type: ignore[arg-type]
    kind = "private" if args.private else "public"
    textual = args.format in ("pem", "hex")
    refuse_binary_to_terminal(args, args.out, not textual, "use --out FILE or --format pem/hex")

    payload: dict[str, Any] = {"kind": kind, "format": args.format,
                               "encrypted": bool(args.private and new_password is not None)}
    if args.out == "-":
        if wants_json(args):
            if textual:
                payload["data"] = data.decode("ascii")
            else:
                payload["data_base64"] = base64.b64encode(data).decode("ascii")
            emit(args, payload, "")
        else:
            write_output("-", data)
        return EXIT_OK
    write_output(args.out, data, secret=args.private, force=args.force)
    note = ""
    if args.private and new_password is None:
        note = " (NOT encrypted: add --new-password-file to protect it)"
        if not wants_json(args):
            print("trustkit: warning: the exported private key is not encrypted", file=sys.stderr)
    emit(args, {**payload, "written": args.out}, f"wrote {kind} key {args.out} ({args.format}){note}")
    return EXIT_OK


PASSWORD_NOTE = (
    "Encrypted keys are PKCS#8 with PBES2: aes-256-cbc (default; OpenSSL reads it) or\n"
    "sm4-cbc with HMAC-SM3 (GmSSL style; OpenSSL 3.0 cannot read it)."
)


def register(sub: Any) -> None:
    key = sub.add_parser(
        "key",
        help="generate, inspect and convert SM2 keys",
        description="Generate, inspect and convert SM2 keys (PKCS#8/SPKI PEM or DER, raw, hex).",
        epilog="Run 'trustkit key COMMAND --help' for the options of each command.",
    )
    key_sub = key.add_subparsers(dest="key_command", metavar="{gen,show,export}", title="commands")
    key_sub.required = True

    gen = command(
        key_sub, "gen", help="generate a new SM2 key pair",
        description="Generate a new SM2 key pair. The private key file is written atomically with mode 0600;\n"
                    "existing files are never overwritten without --force.\n\n" + PASSWORD_NOTE,
        examples="  trustkit key gen --out k.pem --pub p.pem\n"
                 "  trustkit key gen --out k.pem --password-file pw.txt          # encrypted PKCS#8\n"
                 "  TK_PW=secret trustkit key gen --out k.pem --password-env TK_PW --cipher sm4-cbc",
    )
    gen.add_argument("--out", required=True, metavar="KEY", help="private key file to write")
    gen.add_argument("--pub", metavar="PUB", help="also write the public key (SPKI PEM) to this file")
    gen.add_argument("--format", choices=list(PRIVATE_FORMATS), default="pem",
                     help="pem (PKCS#8, default), der (PKCS#8) or raw (32-byte scalar)")
    gen.add_argument("--cipher", choices=CIPHERS, default=None,
                     help="cipher for an encrypted key (default aes-256-cbc)")
    gen.add_argument("--force", action="store_true", help="overwrite existing files")
    add_password_options(gen, "password", "the new key")
    gen.set_defaults(handler=_gen)

    show = command(
        key_sub, "show", help="show a key's public information (never the private key)",
        description="Show a key's public information: fingerprint (SM3 of 04||X||Y), coordinates,\n"
                    "Z_A for the default signer ID, and the public key as PEM. Private keys are\n"
                    "accepted but their secret is never printed.",
        examples="  trustkit key show p.pem\n  trustkit key show k.pem --password-env TK_PW --json",
    )
    show.add_argument("key", metavar="KEY", help="private or public key file (PEM, DER, raw or hex; '-' for stdin)")
    add_password_options(show, "password", "an encrypted private key")
    show.set_defaults(handler=_show)

    export = command(
        key_sub, "export", help="convert a key to another format",
        description="Convert a key to another format. Use --public to extract the public key,\n"
                    "--private to re-encode (and optionally re-encrypt) the private key.\n\n" + PASSWORD_NOTE,
        examples="  trustkit key export k.pem --public --format pem --out p.pem\n"
                 "  trustkit key export p.pem --public --format hex             # 04||X||Y as hex\n"
                 "  trustkit key export k.pem --private --format der --out k.der\n"
                 "  trustkit key export k.pem --private --new-password-file pw.txt --out k-enc.pem",
    )
    export.add_argument("key", metavar="KEY", help="private or public key file ('-' for stdin)")
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--public", action="store_true", help="export the public key")
    which.add_argument("--private", action="store_true", help="export the private key")
    export.add_argument("--format", choices=["pem", "der", "raw", "compressed", "hex"], default="pem",
                        help="pem/der (PKCS#8 or SPKI), raw (32-byte scalar or 65-byte 04||X||Y), "
                             "compressed (33-byte public point), hex (raw as hex text); default pem")
    export.add_argument("--out", default="-", metavar="FILE", help="output file (default: standard output)")
    export.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    export.add_argument("--cipher", choices=CIPHERS, default=None,
                        help="cipher when --new-password is given (default aes-256-cbc)")
    add_password_options(export, "password", "the input key")
    add_password_options(export, "new-password", "the exported private key")
    export.set_defaults(handler=_export)


__all__ = ["fingerprint", "load_any_key", "register"]
