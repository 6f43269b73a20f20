"""Printing, --json, exit codes, input/output files and error handling shared by every command.

Exit codes: 0 valid/success, 1 invalid (a check failed), 2 usage or input error.
Errors are one line on stderr (``trustkit: error: ...``), or with --json one
``{"ok": false, "error": {"code": ..., "message": ...}}`` object on stdout.
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
from typing import Any, NoReturn

from trustkit import sm2
from trustkit.errors import TrustkitError
from trustkit.files import write_atomic

EXIT_OK, EXIT_INVALID, EXIT_ERROR = 0, 1, 2

Handler = Callable[[argparse.Namespace], int]


class CommandError(Exception):
    """A usage or input problem detected by the CLI itself (exit 2)."""

    def __init__(self, message: str, code: str = "usage_error") -> None:
        super().__init__(message)
        self.code = code


class UsageError(Exception):
    """argparse rejected the command line; raised instead of printing and exiting."""

    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser = parser


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but usage errors raise :class:`UsageError` so that --json can report them."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(self, message)


def wants_json(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "json", False))


def _print_json(obj: dict[str, Any]) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def emit(args: argparse.Namespace, payload: dict[str, Any], text: str, *, ok: bool = True) -> None:
    """Print the result: ``payload`` as JSON with --json, otherwise ``text`` (on stdout)."""
    if wants_json(args):
        _print_json({"ok": ok, **payload})
    elif text:
        print(text)


def fail(args: argparse.Namespace | None, code: str, message: str, exit_code: int = EXIT_ERROR,
         extra: dict[str, Any] | None = None) -> int:
    """Report an error (one line on stderr, or a JSON object on stdout) and return ``exit_code``."""
    if args is not None and wants_json(args):
        _print_json({"ok": False, **(extra or {}), "error": {"code": code, "message": message}})
    else:
        print(f"trustkit: error: {message}", file=sys.stderr)
    return exit_code


def _silence_stdout() -> None:
    """The reader of our stdout went away: point stdout at /dev/null so that the
    interpreter's final flush does not print a BrokenPipeError."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (e.g. captured by a test)
        pass


def _os_message(exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    return f"{reason}: {exc.filename}" if exc.filename else reason


def run(handler: Handler, args: argparse.Namespace) -> int:
    """Call a command handler and turn every failure into one clean line and an exit code."""
    try:
        try:
            return handler(args)
        except CommandError as exc:
            return fail(args, exc.code, str(exc))
        except TrustkitError as exc:
            return fail(args, exc.code, exc.message or type(exc).__name__)
        except BrokenPipeError:
            _silence_stdout()
            return EXIT_ERROR
        except FileNotFoundError as exc:
            return fail(args, "file_not_found", f"no such file: {exc.filename}" if exc.filename else _os_message(exc))
        except FileExistsError as exc:
            what = f"{exc.filename} already exists" if exc.filename else str(exc)
            return fail(args, "file_exists", f"{what} (use --force to overwrite)")
        except OSError as exc:
            return fail(args, "os_error", _os_message(exc))
        except ValueError as exc:
            return fail(args, "invalid_input", str(exc) or "invalid input")
        except KeyboardInterrupt:
            return fail(args, "interrupted", "interrupted")
        except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
            if os.environ.get("TRUSTKIT_DEBUG") == "1":
                traceback.print_exc()
            return fail(args, "internal_error",
                        f"internal error ({type(exc).__name__}: {exc}); rerun with TRUSTKIT_DEBUG=1 for details")
    except BrokenPipeError:  # the error report itself hit a closed stdout
        _silence_stdout()
        return EXIT_ERROR


# ---- files -------------------------------------------------------------------------------


def read_input(path: str, what: str = "data") -> bytes:
    """Read a file, or standard input for ``-``."""
    if path == "-":
        if sys.stdin is None:
            raise CommandError(f"no standard input to read the {what} from")
        if sys.stdin.isatty():
            print(f"trustkit: reading the {what} from standard input (end with Ctrl-D)", file=sys.stderr)
        return sys.stdin.buffer.read()
    return Path(path).read_bytes()


def check_stdin_once(*paths: str | None) -> None:
    """Standard input can be read only once."""
    if sum(1 for p in paths if p == "-") > 1:
        raise CommandError("only one of the inputs can be '-' (standard input)")


def refuse_binary_to_terminal(args: argparse.Namespace, path: str, binary: bool, hint: str) -> None:
    if path == "-" and binary and not wants_json(args) and sys.stdout.isatty():
        raise CommandError(f"refusing to write binary data to the terminal: {hint}")


def write_output(path: str, data: bytes, *, secret: bool = False, force: bool = True) -> None:
    """Write a file atomically (mode 0600 for secrets), or standard output for ``-``."""
    if path == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    write_atomic(path, data, mode=0o600 if secret else 0o644, overwrite=force)


def check_writable(path: str, force: bool) -> None:
    """Fail early (before any work or any other file is written) if ``path`` cannot be created."""
    if path == "-":
        return
    target = Path(path)
    if target.exists() and not force:
        raise FileExistsError(17, "File exists", path)
    if target.is_dir():
        raise IsADirectoryError(21, "Is a directory", path)
    parent = target.parent
    if not parent.is_dir():
        raise CommandError(f"cannot write {path}: the directory {parent} does not exist", code="file_not_found")


# ---- options shared by several commands ---------------------------------------------------


def common_options(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: a --json given before the command (trustkit --json verify ...) is not reset here.
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print a machine-readable JSON result on stdout (errors too)")


def command(sub: Any, name: str, *, help: str, description: str | None = None,
            examples: str | None = None) -> argparse.ArgumentParser:
    """Add a leaf command with a description, worked examples and the common options."""
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help,
        description=description or help,
        epilog=("examples:\n" + examples) if examples else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common_options(parser)
    return parser


def add_password_options(parser: argparse.ArgumentParser, prefix: str = "password", what: str = "the key") -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(f"--{prefix}-file", metavar="FILE",
                       help=f"read the password for {what} from FILE (first line)")
    group.add_argument(f"--{prefix}-env", metavar="VAR",
                       help=f"read the password for {what} from the environment variable VAR")


def password_from(args: argparse.Namespace, prefix: str = "password") -> bytes | None:
    attr = prefix.replace("-", "_")
    file_name = getattr(args, f"{attr}_file", None)
    env_name = getattr(args, f"{attr}_env", None)
    if file_name:
        lines = Path(file_name).read_bytes().splitlines()
        value = lines[0] if lines else b""
        if not value:
            raise CommandError(f"the password file {file_name} is empty")
        return value
    if env_name:
        text = os.environ.get(env_name)
        if text is None:
            raise CommandError(f"the environment variable {env_name} is not set")
        if not text:
            raise CommandError(f"the environment variable {env_name} is empty")
        return os.fsencode(text)
    return None


def add_uid_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--id", metavar="ID",
                       help="SM2 signer ID as UTF-8 text (default 1234567812345678 per GM/T 0009; "
                            "--id '' is the empty ID that OpenSSL 3.0 uses without distid)")
    group.add_argument("--id-hex", metavar="HEX", help="SM2 signer ID as hex bytes")


def hex_bytes(text: str, option: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise CommandError(f"{option} {text!r} is not valid hex") from None


def parse_uid(args: argparse.Namespace) -> bytes:
    if getattr(args, "id_hex", None) is not None:
        uid = hex_bytes(args.id_hex, "--id-hex")
    elif getattr(args, "id", None) is not None:
        uid = str(args.id).encode("utf-8")
    else:
        return sm2.DEFAULT_UID
    if len(uid) > sm2.MAX_UID_BYTES:
        raise CommandError(f"an SM2 signer ID is at most {sm2.MAX_UID_BYTES} bytes")
    return uid


def show_uid(uid: bytes) -> str:
    """A signer ID for people: text when it is printable UTF-8, hex otherwise."""
    try:
        text = uid.decode("utf-8")
    except UnicodeDecodeError:
        return f"hex:{uid.hex()}"
    return repr(text) if text.isprintable() else f"hex:{uid.hex()}"
