"""Entry point of the ``trustkit`` command: ``main(argv) -> exit code``.

Only the standard library is imported at module level, so that even a broken
installation (the C core missing, say) ends in one readable line, not a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

EXIT_ERROR = 2

DESCRIPTION = """\
SM2/SM3/SM4 keys, signatures and checks for e-government trust services.

Signatures follow GB/T 32918.2 with SM3 and the GM/T 0009 signer ID
1234567812345678 unless you pass --id."""

EPILOG = """\
first steps:
  trustkit demo                                        a short tour with timings
  trustkit key gen --out k.pem --pub p.pem             a new key pair
  trustkit sign --key k.pem --in doc.pdf --out doc.sig
  trustkit verify --key p.pem --sig doc.sig --in doc.pdf
  trustkit sm2 doctor --pub peer.pem --sig peer.sig --in data
                                                       why a peer's signature fails

Run 'trustkit COMMAND --help' for the options of a command.
Every command takes --json. Exit codes: 0 valid/success, 1 invalid, 2 usage or input error."""


def _version() -> str:
    import trustkit

    return f"trustkit {trustkit.__version__}"


def build_parser() -> argparse.ArgumentParser:
    """The full parser (imports the library and every command module)."""
    from . import bench, cms, daemon, demo, doctor, keys, licence, ofd, pdf, pki, seal, serve, signing, token, ts
    from ._output import ArgumentParser

    parser = ArgumentParser(
        prog="trustkit",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=_version())
    parser.add_argument("--json", action="store_true", help="machine-readable output (also accepted after the command)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    sub.required = True
    for module in (demo, keys, signing, doctor, pki, cms, ts, seal, ofd, pdf, licence, token, serve, daemon, bench):
        module.register(sub)
    return parser


def _usage_error(exc: Any, want_json: bool) -> int:
    parser: argparse.ArgumentParser = exc.parser
    message = str(exc)
    if want_json:
        print(json.dumps({"ok": False, "error": {"code": "usage_error", "message": message}}, ensure_ascii=False, indent=2))
    parser.print_usage(sys.stderr)
    print(f"{parser.prog}: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``trustkit`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    want_json = "--json" in arguments
    try:
        from ._output import UsageError, fail, run

        parser = build_parser()
    except ImportError as exc:
        print(f"trustkit: error: the trustkit library cannot be loaded ({exc}); "
              "reinstall it with 'python -m pip install .'", file=sys.stderr)
        return EXIT_ERROR
    try:
        args = parser.parse_args(arguments)
    except UsageError as exc:
        return _usage_error(exc, want_json)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    except KeyboardInterrupt:
        return fail(None, "interrupted", "interrupted")
    return run(args.handler, args)


if __name__ == "__main__":
    raise SystemExit(main())
