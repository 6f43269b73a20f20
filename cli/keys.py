"""``trustkit key gen|show|export``."""

from __future__ import annotations

import argparse

from trustkit import sm2, sm3
from trustkit.errors import DecodeError, UnsupportedAlgorithmError

from trustkit_cli._output import (
    command,
    EXIT_OK,
    CommandError,
    add_password_options,
    emit,
    password_from,
    read_input,
    write_output,
)

FORMATS = {"pem": "PEM", "der": "DER", "raw": "raw"}


def load_any_key(data: bytes, password: bytes | None) -> tuple[sm2.PrivateKey | None, sm2.PublicKey]:
    """A private key if the data holds one, else a public key."""
    try:
        private = sm2.load_private_key(data, password)
        return private, private.public_key()
    except (DecodeError, UnsupportedAlgorithmError) as exc:
        if "password is needed" in str(exc):
            raise CommandError("the key is encrypted: give --password-file or --password-env") from None
        try:
            return None, sm2.load_public_key(data)
        except (DecodeError, UnsupportedAlgorithmError):
            if isinstance(exc, UnsupportedAlgorithmError):
                raise exc from None
            raise DecodeError(
                "not an SM2 key file: expected a private or public key as PEM, DER, raw bytes or hex"
            ) from None


def _gen(args: argparse.Namespace) -> int:
    password = password_from(args)
    if args.format == "raw" and password is not None:
        raise CommandError("a raw key cannot be encrypted; use --format pem or der")
    key = sm2.generate_private_key()
    encoded = key.private_bytes(FORMATS[args.format], password=password, cipher=args.cipher)
    write_output(args.out, encoded, secret=True, force=args.force)
    public = key.public_key()
    if args.pub:
        write_output(args.pub, public.public_bytes("PEM"), force=args.force)
    fingerprint = sm3.hash(public.public_bytes("raw")).hex()
    emit(
        args,
        {"private_key": args.out, "public_key": args.pub, "encrypted": password is not None, "fingerprint": fingerprint},
        f"wrote {args.out}" + (" (encrypted)" if password else " (NOT encrypted: add --password-file to protect it)")
        + (f" and {args.pub}" if args.pub else "") + f"\nfingerprint (SM3 of the public point): {fingerprint}",
    )
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    private, public = load_any_key(read_input(args.key), password_from(args))
    raw = public.public_bytes("raw")
    info = {
        "kind": "private" if private else "public",
        "curve": "sm2p256v1 (1.2.156.10197.1.301)",
        "fingerprint": sm3.hash(raw).hex(),
        "x": raw[1:33].hex(),
        "y": raw[33:].hex(),
        "z_default_id": public.compute_z().hex(),
        "public_key_pem": public.public_bytes("PEM").decode(),
    }
    text = "\n".join(
        [
            f"SM2 {info['kind']} key on {info['curve']}",
            f"fingerprint  {info['fingerprint']}",
            f"public x     {info['x']}",
            f"public y     {info['y']}",
            f"Z (ID 1234567812345678) {info['z_default_id']}",
            str(info["public_key_pem"]).rstrip(),
        ]
    )
    emit(args, info, text)
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    private, public = load_any_key(read_input(args.key), password_from(args))
    if args.private:
        if private is None:
            raise CommandError("this is a public key: there is no private key to export")
        new_password = password_from(args, "new-password")
        if args.format in ("compressed",):
            raise CommandError("--format compressed applies to public keys")
        if args.format == "hex":
            data = private.private_bytes("raw").hex().encode() + b"\n"
        else:
            data = private.private_bytes(FORMATS[args.format], password=new_password, cipher=args.cipher)
        if new_password is None and args.out != "-":
            print("trustkit: warning: writing an UNENCRYPTED private key", file=__import__("sys").stderr)
        write_output(args.out, data, secret=True, force=args.force)
    else:
        if args.format == "hex":
            data = public.public_bytes("raw").hex().encode() + b"\n"
        else:
            data = public.public_bytes({"pem": "PEM", "der": "DER", "raw": "raw", "compressed": "compressed"}[args.format])
        write_output(args.out, data, force=args.force)
    if args.out != "-":
        emit(args, {"written": args.out}, f"wrote {args.out}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction, run: object) -> None:  # type: ignore[type-arg]
    key = sub.add_parser("key", help="generate, inspect and convert SM2 keys")
    key_sub = key.add_subparsers(dest="key_command", required=True, metavar="{gen,show,export}")

    gen = command(key_sub, "gen", help="generate a new SM2 key pair")
    gen.add_argument("--out", required=True, help="private key file to write")
    gen.add_argument("--pub", help="also write the public key (PEM) here")
    gen.add_argument("--format", choices=["pem", "der", "raw"], default="pem")
    gen.add_argument("--cipher", choices=["aes-256-cbc", "sm4-cbc"], default="aes-256-cbc",
                     help="PBES2 cipher when a password is given (sm4-cbc: GmSSL style, OpenSSL 3.0 cannot read it)")
    gen.add_argument("--force", action="store_true", help="overwrite existing files")
    add_password_options(gen)
    gen.set_defaults(handler=_gen)

    show = command(key_sub, "show", help="show a key's public information (never the private key)")
    show.add_argument("key", help="private or public key file (PEM, DER, raw or hex)")
    add_password_options(show)
    show.set_defaults(handler=_show)

    export = command(key_sub, "export", help="convert a key to another format")
    export.add_argument("key", help="private or public key file")
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--public", action="store_true", help="export the public key")
    which.add_argument("--private", action="store_true", help="export the private key")
    export.add_argument("--format", choices=["pem", "der", "raw", "compressed", "hex"], default="pem")
    export.add_argument("--cipher", choices=["aes-256-cbc", "sm4-cbc"], default="aes-256-cbc")
    export.add_argument("--out", default="-", help="output file (default: standard output)")
    export.add_argument("--force", action="store_true", help="overwrite an existing file")
    add_password_options(export, "password", "the input key")
    add_password_options(export, "new-password", "the exported private key")
    export.set_defaults(handler=_export)


__all__ = ["load_any_key", "register"]
