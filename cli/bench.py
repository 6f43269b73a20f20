"""``trustkit bench``: primitive throughput on this server, side by side with peers; with
``--target URL``, load-test a running signing daemon.

Only the command-line shell: the primitive measurements live in :mod:`trustkit.bench`, the daemon
load generator (concurrency sweep, single and batched signing, p50/p95/p99, in-process
comparison) in :mod:`trustkit.daemon.loadgen`, driven through ``trustkit daemon bench``'s handler.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import sys
from typing import Any

from ._output import EXIT_OK, CommandError, check_writable, command, wants_json

_DAEMON_ONLY = ("token", "token_file", "token_env", "ca", "concurrency")


def _bench(args: argparse.Namespace) -> int:
    if args.plot:
        check_writable(args.plot, force=True)  # fail before minutes of measuring, not after
        if importlib.util.find_spec("matplotlib") is None:
            raise CommandError("--plot needs matplotlib: pip install 'trustkit[plot]'", code="missing_dependency")
    if args.target:
        if args.quick:
            raise CommandError("--quick is for the primitive benchmark; with --target use --duration and "
                               "--concurrency")
        from .daemon import _bench as daemon_bench

        args.chart = args.plot
        return daemon_bench(args)
    given = [name for name in _DAEMON_ONLY if getattr(args, name) is not None]
    if given:
        raise CommandError(f"--{given[0].replace('_', '-')} needs --target URL (the daemon to load-test)")
    return _primitive_bench(args)


def _primitive_bench(args: argparse.Namespace) -> int:
    from trustkit import bench as library

    kwargs: dict[str, Any] = {}
    if "progress" in inspect.signature(library.run_primitive_benchmarks).parameters:
        def progress(step: str) -> None:
            if not wants_json(args):
                print(f"  measuring {step} ...", file=sys.stderr, flush=True)

        kwargs["progress"] = progress
    report = library.run_primitive_benchmarks(args.quick, **kwargs)
    if args.plot:
        library.plot_report(report, args.plot)
    if wants_json(args):
        data = json.loads(report.to_json())
        print(json.dumps({"ok": True, **data} if isinstance(data, dict) else data, ensure_ascii=False, indent=2))
    else:
        print(report.table())
        if args.plot:
            print(f"chart written to {args.plot}")
    return EXIT_OK


def register(sub: Any) -> None:
    from .daemon import bench_options

    bench = command(
        sub, "bench",
        help="measure SM2/SM3 throughput against peers, or load-test a signing daemon (--target URL)",
        description="Without --target: measure trustkit's SM2/SM3 primitives on this machine, side by side with\n"
                    "the peers that are installed (pyca/cryptography P-256 ECDSA and SM3; tongsuopy and gmssl SM2).\n"
                    "With --target URL: load-test a running trustkit daemon (same as 'trustkit daemon bench'):\n"
                    "a concurrency sweep of single and batched transit signing, throughput and p50/p95/p99\n"
                    "latency per level, a progress bar, and the in-process single-thread sign rate on this host\n"
                    "for the overhead ratio.",
        examples="  trustkit bench --quick\n  trustkit bench --json > bench.json\n"
                 "  trustkit bench --plot bench.png       # needs matplotlib\n"
                 "  trustkit bench --target http://127.0.0.1:8200 --token-file root.token --plot daemon.png\n"
                 "  trustkit bench --target http://127.0.0.1:8200 --concurrency 1,4,16 --duration 5 --json",
    )
    bench.add_argument("--quick", action="store_true", help="shorter measurements (less precise; not with --target)")
    bench.add_argument("--plot", metavar="PNG", help="also write a chart (needs matplotlib)")
    daemon = bench.add_argument_group("daemon load test (with --target)")
    daemon.add_argument("--target", metavar="URL", help="the daemon to load-test, e.g. http://127.0.0.1:8200")
    bench_options(daemon)
    bench.set_defaults(handler=_bench)


__all__ = ["register"]
