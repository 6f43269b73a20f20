"""Entry point of the ``trustkit`` command."""

from __future__ import annotations

import argparse
import sys

import trustkit

from trustkit_cli import bench, demo, doctor, keys, signing
from trustkit_cli._output import EXIT_ERROR, run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trustkit",
        description="SM2/SM3/SM4 keys, signatures and checks for e-government trust services.",
        epilog="Exit codes: 0 valid/success, 1 invalid, 2 usage or input error.",
    )
    parser.add_argument("--version", action="version", version=f"trustkit {trustkit.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (demo, keys, signing, doctor, bench):
        module.register(sub, run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help/--version exit 0, usage errors exit 2
        return int(exc.code) if isinstance(exc.code, int) else EXIT_ERROR
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    return run(handler, args)


if __name__ == "__main__":
    raise SystemExit(main())
