"""``trustkit bench``: primitive throughput on this server, side by side with peers.

Only the command-line shell: the measurements live in :mod:`trustkit.bench`.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import sys
from typing import Any

from ._output import EXIT_OK, CommandError, check_writable, command, wants_json


def _bench(args: argparse.Namespace) -> int:
    from trustkit import bench as library

    if args.plot:
        check_writable(args.plot, force=True)  # fail before minutes of measuring, not after
        if importlib.util.find_spec("matplotlib") is None:
            raise CommandError("--plot needs matplotlib: pip install 'trustkit[plot]'", code="missing_dependency")

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
    bench = command(
        sub, "bench",
        help="measure SM2/SM3 throughput against pyca P-256, tongsuopy and gmssl",
        description="Measure trustkit's SM2/SM3 primitives on this machine, side by side with the peers\n"
                    "that are installed (pyca/cryptography P-256 ECDSA and SM3; tongsuopy and gmssl SM2).",
        examples="  trustkit bench --quick\n  trustkit bench --json > bench.json\n"
                 "  trustkit bench --plot bench.png       # needs matplotlib",
    )
    bench.add_argument("--quick", action="store_true", help="shorter measurements (less precise)")
    bench.add_argument("--plot", metavar="PNG", help="also write a bar chart of the ratios (needs matplotlib)")
    bench.set_defaults(handler=_bench)


__all__ = ["register"]
