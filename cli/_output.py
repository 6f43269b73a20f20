"""Printing, --json, exit codes and error handling shared by every command.

Exit codes: 0 valid/success, 1 invalid (a check failed), 2 usage or input error.
No traceback reaches the user unless TRUSTKIT_DEBUG=1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trustkit.files import write_atomic
from trustkit.errors import TrustkitError

EXIT_OK, EXIT_INVALID, EXIT_ERROR = 0, 1, 2

# Options every leaf command takes.
COMMON = argparse.ArgumentParser(add_help=False)
COMMON.add_argument("--json", action="store_true", help="machine-readable output on stdout")


def command(sub: argparse._SubParsersAction, name: str, **kwargs: Any) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Add a leaf command that takes the common options."""
    return sub.add_parser(name, parents=[COMMON], **kwargs)  # type: ignore[no-any-return]


class CommandError(Exception):
    """A usage or input problem detected by the CLI itself (exit 2)."""

    def __init__(self, message: str, code: str = "usage_error") -> None:
        super().__init__(message)
        self.code = code


def emit(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    """Print the result: ``payload`` as JSON with --json, otherwise ``text``."""
    if getattr(args, "json", False):
        print(json.dumps({"ok": True, **payload}, ensure_ascii=False, indent=2))
    elif text:
        print(text)


def fail(args: argparse.Namespace, code: str, message: str, exit_code: int) -> int:
    if getattr(args, "json", False):
        print(json.dumps({"ok": False, "error": {"code": code, "message": message}}, ensure_ascii=False))
    else:
        print(f"trustkit: error: {message}", file=sys.stderr)
    return exit_code


def run(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Call a command handler and turn every failure into one clean line and an exit code."""
    try:
        return handler(args)
    except CommandError as exc:
        return fail(args, exc.code, str(exc), EXIT_ERROR)
    except TrustkitError as exc:
        return fail(args, exc.code, exc.message, EXIT_ERROR)
    except FileNotFoundError as exc:
        return fail(args, "file_not_found", f"no such file: {exc.filename}", EXIT_ERROR)
    except FileExistsError as exc:
        return fail(args, "file_exists", f"{exc} (use --force to overwrite)", EXIT_ERROR)
    except OSError as exc:
        return fail(args, "os_error", f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), EXIT_ERROR)
    except (ValueError, TypeError) as exc:
        return fail(args, "invalid_input", str(exc), EXIT_ERROR)
    except KeyboardInterrupt:
        return fail(args, "interrupted", "interrupted", EXIT_ERROR)
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if os.environ.get("TRUSTKIT_DEBUG") == "1":
            traceback.print_exc()
        return fail(args, "internal_error", f"internal error ({type(exc).__name__}); rerun with TRUSTKIT_DEBUG=1", EXIT_ERROR)


def read_input(path: str) -> bytes:
    """Read a file, or standard input for ``-``."""
    if path == "-":
        return sys.stdin.buffer.read()
    return Path(path).read_bytes()


def write_output(path: str, data: bytes, *, secret: bool = False, force: bool = True) -> None:
    """Write a file atomically (mode 0600 for secrets), or standard output for ``-``."""
    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    write_atomic(path, data, mode=0o600 if secret else 0o644, overwrite=force)


def add_password_options(parser: argparse.ArgumentParser, prefix: str = "password", what: str = "the key") -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(f"--{prefix}-file", metavar="FILE", help=f"read the password for {what} from FILE")
    group.add_argument(f"--{prefix}-env", metavar="VAR", help=f"read the password for {what} from environment variable VAR")


def password_from(args: argparse.Namespace, prefix: str = "password") -> bytes | None:
    attr = prefix.replace("-", "_")
    file_name = getattr(args, f"{attr}_file", None)
    env_name = getattr(args, f"{attr}_env", None)
    if file_name:
        return Path(file_name).read_bytes().rstrip(b"\r\n")
    if env_name:
        value = os.environ.get(env_name)
        if value is None:
            raise CommandError(f"environment variable {env_name} is not set")
        return value.encode()
    return None


def parse_uid(args: argparse.Namespace) -> bytes:
    from trustkit import sm2

    if getattr(args, "id_hex", None) is not None:
        try:
            return bytes.fromhex(args.id_hex)
        except ValueError:
            raise CommandError("--id-hex is not valid hex") from None
    if getattr(args, "id", None) is not None:
        return str(args.id).encode("utf-8")
    return sm2.DEFAULT_UID


def add_uid_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--id", help="SM2 signer ID as text (default 1234567812345678; --id '' for the empty ID)")
    group.add_argument("--id-hex", metavar="HEX", help="SM2 signer ID as hex")
