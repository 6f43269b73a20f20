"""``trustkit daemon serve|init|unseal|seal|status|bench`` and ``trustkit audit verify``.

``trustkit serve`` (cli/serve.py) and ``trustkit bench --target`` (cli/bench.py) reuse the
handlers here: ``daemon serve`` and ``daemon bench`` are their aliases.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ._output import EXIT_INVALID, EXIT_OK, CommandError, command, emit, wants_json

DEFAULT_ADDR = "http://127.0.0.1:8200"


def _config_flags(parser: argparse.ArgumentParser) -> None:
    from trustkit.daemon.config import SCHEMA

    parser.add_argument("--config", metavar="FILE", help="TOML configuration file (options at top level or [daemon])")
    group = parser.add_argument_group("configuration (override the file and TRUSTKIT_DAEMON_* variables)")
    for option in SCHEMA:
        flag = "--" + option.name.replace("_", "-")
        if option.type is bool:
            group.add_argument(flag, dest=f"cfg_{option.name}", action="store_const", const=True, default=None,
                               help=option.help)
        else:
            group.add_argument(flag, dest=f"cfg_{option.name}", type=option.type, default=None, metavar="VALUE",
                               help=f"{option.help} (default {option.default!r})")


def _config(args: argparse.Namespace) -> Any:
    from trustkit.daemon.config import SCHEMA, load_config

    flags = {option.name: getattr(args, f"cfg_{option.name}", None) for option in SCHEMA}
    return load_config(path=args.config, flags=flags)


def _read_secret(path: str | None, env: str | None, what: str) -> str:
    if path:
        text = Path(path).read_text(encoding="utf-8").splitlines()
        value = text[0] if text else ""
    elif env:
        value = os.environ.get(env, "")
    else:
        raise CommandError(f"give --{what}-file FILE or --{what}-env VAR")
    if not value:
        raise CommandError(f"the {what} is empty")
    return value


def _init(args: argparse.Namespace) -> int:
    from trustkit.daemon.state import Daemon

    config = _config(args)
    passphrase = _read_secret(args.passphrase_file, args.passphrase_env, "passphrase")
    daemon = Daemon.from_config(config, create=True)
    try:
        daemon.keystore.initialize(passphrase, scrypt_n=int(config.scrypt_n))
        token, record = daemon.auth.create_token(["root"], display_name="root")
    finally:
        daemon.close()
    if args.token_out:
        from trustkit.files import write_atomic

        write_atomic(args.token_out, (token + "\n").encode(), mode=0o600, overwrite=False)
    emit(args, {"initialized": True, "data_dir": config.data_dir, "root_token": None if args.token_out else token,
                "token_file": args.token_out, "accessor": record.accessor},
         f"initialised {config.data_dir} (storage {config.storage})\n"
         + (f"root token written to {args.token_out}" if args.token_out else
            f"root token (shown once, keep it safe): {token}"))
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    from trustkit.daemon.server import serve

    config = _config(args)
    print(f"trustkit daemon on {'https' if config.tls_cert else 'http'}://{config.host}:{config.port} "
          f"(storage {config.storage}, {config.workers} worker(s)); starts sealed unless "
          "unseal_passphrase_file is set", file=sys.stderr)
    serve(config)
    return EXIT_OK


def _client(args: argparse.Namespace) -> Any:
    import httpx

    headers = {}
    token = os.environ.get(args.token_env or "TRUSTKIT_TOKEN") or (
        Path(args.token_file).read_text().strip() if args.token_file else None)
    if token:
        headers["X-Vault-Token"] = token
    verify: bool | str = args.ca or True
    return httpx.Client(base_url=args.addr, headers=headers, verify=verify, timeout=60.0)


def _answer(response: Any) -> dict[str, Any]:
    try:
        payload = response.json() if response.content else {}
    except ValueError:
        payload = {"errors": [response.text[:200]]}
    if response.status_code >= 400:
        raise CommandError(f"daemon answered {response.status_code}: {'; '.join(payload.get('errors') or [])}",
                           code="daemon_error")
    return payload if isinstance(payload, dict) else {}


def _unseal(args: argparse.Namespace) -> int:
    passphrase = _read_secret(args.passphrase_file, args.passphrase_env, "passphrase")
    with _client(args) as client:
        status = _answer(client.put("/v1/sys/unseal", json={"key": passphrase}))
    emit(args, status, "unsealed" if not status.get("sealed") else "still sealed")
    return EXIT_OK


def _seal(args: argparse.Namespace) -> int:
    with _client(args) as client:
        _answer(client.put("/v1/sys/seal"))
    emit(args, {"sealed": True}, "sealed")
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    with _client(args) as client:
        status = _answer(client.get("/v1/sys/seal-status"))
    emit(args, status, f"initialized: {status.get('initialized')}\nsealed: {status.get('sealed')}\n"
                       f"storage: {status.get('storage_type')}\nversion: {status.get('version')}")
    return EXIT_OK


def _bench(args: argparse.Namespace) -> int:
    from trustkit.daemon.loadgen import BenchSettings, render_chart, run_bench

    token = getattr(args, "token", None) or os.environ.get(args.token_env or "TRUSTKIT_TOKEN") or (
        Path(args.token_file).read_text().strip() if args.token_file else None)
    if not token:
        raise CommandError("give --token-file FILE or set TRUSTKIT_TOKEN")
    try:
        levels = [int(x) for x in args.concurrency.split(",")] if args.concurrency else None
    except ValueError:
        raise CommandError("--concurrency takes comma-separated integers, e.g. 1,2,4,8") from None
    if levels is not None and (not levels or min(levels) < 1):
        raise CommandError("--concurrency levels must be >= 1")
    settings = BenchSettings(target=args.target, token=token, key=args.key, key_type=args.key_type,
                             duration=args.duration, batch_size=args.batch_size,
                             levels=tuple(levels) if levels else BenchSettings.levels,
                             progress=not wants_json(args), rate=args.rate, verify_tls=args.ca or True)
    result = run_bench(settings)
    if args.chart:
        render_chart(result, args.chart)
    text = result.summary()
    emit(args, result.to_dict(), text)
    return EXIT_OK


def _audit_verify(args: argparse.Namespace) -> int:
    from trustkit.daemon.audit import verify_audit

    if args.path:
        report = verify_audit(args.path, expect_last_hash=args.expect_last_hash)
        source = args.path
    else:
        from trustkit.daemon.storage import open_storage

        config = _config(args)
        storage = open_storage(config.storage, sqlite_path=config.path("sqlite_path", "trustkit.db"),
                               dsn=config.database_url or None)
        try:
            if config.audit == "file":
                report = verify_audit(config.path("audit_path", "audit.jsonl"), expect_last_hash=args.expect_last_hash)
                source = config.path("audit_path", "audit.jsonl")
            else:
                report = verify_audit(storage, expect_last_hash=args.expect_last_hash)
                source = f"{config.storage} audit table"
        finally:
            storage.close()
    if report.valid:
        emit(args, {"valid": True, **report.to_dict(), "source": source},
             f"valid: {report.records} records, chain intact (last hash {report.last_hash})")
        return EXIT_OK
    emit(args, {**report.to_dict(), "source": source},
         f"invalid: record {report.bad_index}: {report.reason}", ok=False)
    return EXIT_INVALID


def bench_options(parser: argparse._ActionsContainer) -> None:
    """The load generator's options (shared by ``trustkit daemon bench`` and ``trustkit bench --target``)."""
    parser.add_argument("--token", metavar="TOKEN", help="API token (visible in the process list: prefer "
                        "--token-file or $TRUSTKIT_TOKEN)")
    parser.add_argument("--token-file", metavar="FILE", help="API token file")
    parser.add_argument("--token-env", metavar="VAR", help="environment variable holding the token "
                        "(default TRUSTKIT_TOKEN)")
    parser.add_argument("--ca", metavar="PEM", help="CA bundle for an HTTPS daemon")
    parser.add_argument("--key", default="bench-sm2", help="key to sign with (created if missing)")
    parser.add_argument("--key-type", default="sm2", help="sm2, ecdsa-p256, ed25519, ... (default sm2)")
    parser.add_argument("--concurrency", metavar="N,N,...", help="connection levels (default 1,2,4,8,16,32)")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per level and mode (default 3)")
    parser.add_argument("--batch-size", type=int, default=100, help="items per batched request (default 100)")
    parser.add_argument("--rate", type=float, default=0.0, help="also run an open-loop test at this rate (req/s)")


def _client_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--addr", default=os.environ.get("TRUSTKIT_ADDR", DEFAULT_ADDR),
                        help=f"daemon URL (default $TRUSTKIT_ADDR or {DEFAULT_ADDR})")
    parser.add_argument("--token-file", metavar="FILE", help="API token file (or $TRUSTKIT_TOKEN)")
    parser.add_argument("--token-env", metavar="VAR", help="environment variable holding the token")
    parser.add_argument("--ca", metavar="PEM", help="CA bundle for an HTTPS daemon")


def register(sub: Any) -> None:
    daemon = sub.add_parser("daemon", help="the signing daemon: keys held in one place, Vault-transit API",
                            description="An HSM-style signing daemon (GM/T 0029 style signing server) with a "
                                        "Vault transit-compatible API.",
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    daemon_sub = daemon.add_subparsers(dest="daemon_command", metavar="{init,serve,unseal,seal,status,bench}",
                                       title="commands")
    daemon_sub.required = True

    init = command(daemon_sub, "init", help="create the key store, pepper and a root token",
                   examples="  trustkit daemon init --data-dir /var/lib/trustkit --passphrase-file pass.txt "
                            "--token-out root.token")
    _config_flags(init)
    init.add_argument("--passphrase-file", metavar="FILE", help="operator passphrase (first line)")
    init.add_argument("--passphrase-env", metavar="VAR", help="operator passphrase from the environment")
    init.add_argument("--token-out", metavar="FILE", help="write the root token here (0600) instead of printing it")
    init.set_defaults(handler=_init)

    serve = command(daemon_sub, "serve", help="run the daemon (starts sealed; same as 'trustkit serve')",
                    examples="  trustkit daemon serve --data-dir /var/lib/trustkit\n"
                             "  trustkit daemon serve --config daemon.toml --workers 2 --unseal-passphrase-file p\n"
                             "workers > 1: the unseal state is per worker process and PUT /v1/sys/unseal reaches "
                             "only one\nworker, so multi-worker mode requires unseal_passphrase_file.")
    _config_flags(serve)
    serve.set_defaults(handler=_serve)

    for name, handler, text in (("unseal", _unseal, "unseal a running daemon with the passphrase"),
                                ("seal", _seal, "seal a running daemon (needs a token with 'sys')"),
                                ("status", _status, "show seal status")):
        parser = command(daemon_sub, name, help=text)
        _client_options(parser)
        if name == "unseal":
            parser.add_argument("--passphrase-file", metavar="FILE")
            parser.add_argument("--passphrase-env", metavar="VAR")
        parser.set_defaults(handler=handler)

    bench = command(daemon_sub, "bench", help="load-test a daemon: concurrency sweep, latency percentiles, chart",
                    examples="  trustkit daemon bench --target http://127.0.0.1:8200 --token-file root.token "
                             "--chart bench.png\n  (same as: trustkit bench --target URL ... --plot bench.png)")
    bench.add_argument("--target", required=True, metavar="URL")
    bench_options(bench)
    bench.add_argument("--chart", metavar="PNG", help="write a chart (needs matplotlib)")
    bench.set_defaults(handler=_bench)

    audit = sub.add_parser("audit", help="check the daemon's SM3-chained audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="{verify}", title="commands")
    audit_sub.required = True
    verify = command(audit_sub, "verify", help="detect edited, removed or reordered audit records",
                     examples="  trustkit audit verify /var/lib/trustkit/audit.jsonl\n"
                              "  trustkit audit verify --config daemon.toml   (the configured sink)")
    verify.add_argument("path", nargs="?", help="audit JSON-lines file (default: from the configuration)")
    verify.add_argument("--expect-last-hash", metavar="HEX", help="the last hash as recorded elsewhere "
                        "(detects truncation)")
    _config_flags(verify)
    verify.set_defaults(handler=_audit_verify)
