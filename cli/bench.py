"""``trustkit bench``: primitive throughput on this server, side by side with peers."""

from __future__ import annotations

import argparse
import sys

from trustkit.bench import plot_report, run_primitive_benchmarks

from trustkit_cli._output import command, EXIT_OK, emit


def _bench(args: argparse.Namespace) -> int:
    def progress(step: str) -> None:
        if not args.json:
            print(f"  measuring {step} ...", file=sys.stderr, flush=True)

    report = run_primitive_benchmarks(quick=args.quick, progress=progress)
    if args.plot:
        plot_report(report, args.plot)
    if args.json:
        print(report.to_json())
    else:
        emit(args, {}, report.table() + (f"\nchart written to {args.plot}" if args.plot else ""))
    return EXIT_OK


def register(sub: argparse._SubParsersAction, run: object) -> None:  # type: ignore[type-arg]
    bench = command(sub, "bench", help="measure SM2/SM3 throughput against pyca P-256, tongsuopy and gmssl")
    bench.add_argument("--quick", action="store_true", help="shorter measurements")
    bench.add_argument("--plot", metavar="PNG", help="also write a bar chart of the ratios")
    bench.set_defaults(handler=_bench)


__all__ = ["register"]
