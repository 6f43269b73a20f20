"""Turn a pytest-benchmark JSON into ratios against peers measured in the same run.

Usage:
    python -m pytest benchmarks --benchmark-only --benchmark-json=bench.json
    python benchmarks/report.py bench.json [--strict]

--strict exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# (label, trustkit benchmark, peer benchmark, minimum ratio of trustkit rate / peer rate)
TARGETS = [
    ("SM2 sign vs pyca P-256 sign", "test_sign_trustkit_sm2", "test_sign_pyca_p256", 1.2),
    ("SM2 verify vs pyca P-256 verify", "test_verify_trustkit_sm2", "test_verify_pyca_p256", 0.7),
    ("SM2 prepared-key verify vs P-256 verify", "test_verify_trustkit_sm2_prepared", "test_verify_pyca_p256", 2.5),
    ("SM2 sign vs tongsuopy", "test_sign_trustkit_sm2", "test_sign_tongsuopy_sm2", 12.0),
    ("SM2 verify (cold key) vs tongsuopy", "test_verify_trustkit_sm2", "test_verify_tongsuopy_sm2", 12.0),
    ("SM2 verify (repeated key) vs tongsuopy", "test_verify_trustkit_sm2_prepared", "test_verify_tongsuopy_sm2", 12.0),
    ("SM2 sign vs gmssl", "test_sign_trustkit_sm2", "test_sign_gmssl_sm2", None),
    ("SM2 verify vs gmssl", "test_verify_trustkit_sm2", "test_verify_gmssl_sm2", None),
    ("sign_many 2 threads vs 1", "test_sign_many_threads[2]", "test_sign_many_threads[1]", 1.8),
    ("verify_many 2 threads vs 1", "test_verify_many_threads[2]", "test_verify_many_threads[1]", 1.8),
    ("SM3 1 MiB vs OpenSSL (pyca)", "test_sm3_1mib_trustkit", "test_sm3_1mib_pyca", 1.0),
    ("SM3 64 B vs OpenSSL (pyca)", "test_sm3_64_trustkit", "test_sm3_64_pyca", None),
]


def load(path: Path) -> dict[str, dict[str, float]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, dict[str, float]] = {}
    for bench in data["benchmarks"]:
        items = float(bench.get("extra_info", {}).get("items", 1))
        median = float(bench["stats"]["median"])
        out[bench["name"]] = {"median": median, "rate": items / median}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("json_file", type=Path)
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    results = load(args.json_file)
    missed = 0
    print(f"{'comparison':<42} {'trustkit/s':>12} {'peer/s':>12} {'ratio':>8}  target")
    for label, ours, peer, target in TARGETS:
        if ours not in results or peer not in results:
            print(f"{label:<42} {'(not measured)':>12}")
            continue
        a, b = results[ours]["rate"], results[peer]["rate"]
        ratio = a / b
        verdict = "" if target is None else (f">= {target}x ok" if ratio >= target else f">= {target}x MISSED")
        missed += target is not None and ratio < target
        print(f"{label:<42} {a:>12,.0f} {b:>12,.0f} {ratio:>7.2f}x  {verdict}")
    if "test_sm3_64_trustkit" in results:
        per_call = results["test_sm3_64_trustkit"]["median"] * 1e6
        ok = per_call <= 0.5
        missed += not ok
        print(f"{'SM3 64 B per call':<42} {per_call:>11.3f}us {'':>12} {'':>8}  <= 0.5 us {'ok' if ok else 'MISSED'}")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
