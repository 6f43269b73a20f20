"""Ratios against peers, and the project's targets, from a pytest-benchmark JSON file.

Usage:
    python -m pytest benchmarks --benchmark-only --benchmark-json=bench.json
    python benchmarks/report.py bench.json [--strict] [--stat median|min|mean]

Every ratio is "trustkit rate / peer rate" with both measured in the same run (higher
is better for trustkit).  A comparison whose peer was not measured (say tongsuopy is
not installed) is shown as "not measured" and not judged.  With --strict the exit
status is 1 when a target is missed or when a trustkit benchmark a target needs is
absent from the file; 2 means the file could not be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Comparison:
    """``ours`` against ``peer`` (benchmark names); met when the rate ratio is >= ``minimum``."""

    label: str
    ours: str
    peer: str
    minimum: float | None = None
    unit: str = "ops/s"  # how to show the two values: "ops/s", "MB/s" or "us" (per call)
    needs_cores: int = 1


COMPARISONS: tuple[Comparison, ...] = (
    Comparison("SM2 sign vs pyca P-256 sign", "test_sign_trustkit_sm2", "test_sign_pyca_p256", 1.2),
    Comparison("SM2 verify vs pyca P-256 verify", "test_verify_trustkit_sm2", "test_verify_pyca_p256", 0.7),
    Comparison("SM2 verify, prepared key vs P-256 verify", "test_verify_trustkit_sm2_prepared",
               "test_verify_pyca_p256", 2.5),
    Comparison("SM2 sign vs tongsuopy", "test_sign_trustkit_sm2", "test_sign_tongsuopy_sm2", 12.0),
    Comparison("SM2 verify vs tongsuopy", "test_verify_trustkit_sm2", "test_verify_tongsuopy_sm2", 12.0),
    Comparison("SM2 verify, prepared key vs tongsuopy", "test_verify_trustkit_sm2_prepared",
               "test_verify_tongsuopy_sm2"),
    Comparison("SM2 sign vs gmssl", "test_sign_trustkit_sm2", "test_sign_gmssl_sm2"),
    Comparison("SM2 verify vs gmssl", "test_verify_trustkit_sm2", "test_verify_gmssl_sm2"),
    Comparison("sign_many, 2 threads vs 1", "test_sign_many_threads[2]", "test_sign_many_threads[1]", 1.8,
               needs_cores=2),
    Comparison("verify_many, 2 threads vs 1", "test_verify_many_threads[2]", "test_verify_many_threads[1]", 1.8,
               needs_cores=2),
    Comparison("SM3 64 B vs pyca (OpenSSL)", "test_sm3_64_trustkit", "test_sm3_64_pyca", unit="us"),
    Comparison("SM3 64 B vs hashlib (OpenSSL)", "test_sm3_64_trustkit", "test_sm3_64_hashlib", unit="us"),
    Comparison("SM3 1 MiB vs pyca (OpenSSL)", "test_sm3_1mib_trustkit", "test_sm3_1mib_pyca", 1.0, unit="MB/s"),
    Comparison("SM3 1 MiB vs hashlib (OpenSSL)", "test_sm3_1mib_trustkit", "test_sm3_1mib_hashlib", unit="MB/s"),
    Comparison("P-256 chain validation, warm context vs pyca verifier", "test_validate_p256_warm_trustkit",
               "test_validate_p256_pyca"),
    Comparison("PDF stamp+sign SM2 vs pyHanko ES256 signing", "test_stamp_sm2[cms-sm2]",
               "test_stamp_pyhanko_es256_reference"),
    Comparison("PDF verify SM2 vs pyHanko's ES256 validator", "test_verify_sm2", "test_verify_pyhanko_es256_reference"),
    Comparison("SM2 token issue vs PyJWT ES256", "test_token_issue_sm2", "test_token_issue_pyjwt_es256", 1.2),
    Comparison("SM2 token verify (cached key) vs PyJWT ES256", "test_token_verify_sm2_cached",
               "test_token_verify_pyjwt_es256", 1.0),
)
#: Absolute targets: (label, benchmark, maximum microseconds per call).
PER_CALL_LIMITS: tuple[tuple[str, str, float], ...] = (
    ("SM3 64 B per call", "test_sm3_64_trustkit", 0.5),
    # Issue 3: a 3-certificate SM2 chain with CRLs, >= 3,000 validations/s per core.
    ("SM2 chain+CRL validation, warm context", "test_validate_sm2_warm", 333.0),
    ("SM2 chain+CRL validation, new leaf each call", "test_validate_sm2_warm_new_leaf", 333.0),
    # Issue 4: a one-page licence OFD, >= 1,000 stamps/s and >= 1,000 verifications/s per core.
    ("OFD stamp, one-page licence", "test_stamp_licence", 1000.0),
    ("OFD verify, warm trust store", "test_verify_licence_warm_context", 1000.0),
    # Issue 5: a one-page PDF, >= 200 stamp+sign/s and >= 300 verifications/s per core.
    ("PDF stamp + SM2 sign", "test_stamp_sm2[cms-sm2]", 5000.0),
    ("PDF verify SM2", "test_verify_sm2", 3333.0),
    # Issue 6: scan-to-show QR verification, >= 5,000/s per core.
    ("QR verify, SM2 static", "test_qr_verify_sm2", 200.0),
)


@dataclass(frozen=True)
class Result:
    """One benchmark: seconds per call (the chosen statistic) and items/bytes per call."""

    seconds: float
    items: float
    bytes: float | None

    @property
    def rate(self) -> float:
        """Items per second."""
        return self.items / self.seconds

    def show(self, unit: str) -> str:
        if unit == "us":
            return f"{self.seconds / self.items * 1e6:.3f} us"
        if unit == "MB/s" and self.bytes:
            return f"{self.bytes / self.seconds / 1e6:,.1f} MB/s"
        return f"{self.rate:,.0f}/s"


def load(path: Path, stat: str = "median") -> tuple[dict[str, Result], dict[str, Any]]:
    """Benchmarks by name, plus the file's ``machine_info``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    results: dict[str, Result] = {}
    for bench in data["benchmarks"]:
        extra = bench.get("extra_info") or {}
        size = extra.get("bytes")
        results[bench["name"]] = Result(
            float(bench["stats"][stat]), float(extra.get("items", 1)), None if size is None else float(size)
        )
    return results, dict(data.get("machine_info") or {})


def _usable_cores(machine: dict[str, Any]) -> int:
    if "usable_cores" in machine:  # written by benchmarks/conftest.py
        return int(machine["usable_cores"])
    return int((machine.get("cpu") or {}).get("count") or 1)


def render(results: dict[str, Result], machine: dict[str, Any]) -> tuple[list[str], int]:
    """The report's lines and how many targets were missed (absent trustkit benchmarks count)."""
    cores = _usable_cores(machine)
    cpu = (machine.get("cpu") or {}).get("brand_raw") or machine.get("processor") or "?"
    lines = [
        f"cpu: {cpu} ({cores} usable cores), Python {machine.get('python_version', '?')}, "
        f"trustkit core={machine.get('trustkit_backend', '?')}",
        "",
    ]
    rows: list[tuple[str, str, str, str, str]] = []
    missed = 0
    for c in COMPARISONS:
        target = "" if c.minimum is None else f">= {c.minimum:.1f}x"
        ours, peer = results.get(c.ours), results.get(c.peer)
        if ours is None:
            missed += c.minimum is not None
            rows.append((c.label, "not measured", "-", "-", f"{target}  MISSING" if target else ""))
            continue
        if peer is None:
            rows.append((c.label, ours.show(c.unit), "not measured", "-", target))
            continue
        ratio = ours.rate / peer.rate
        verdict = ""
        if c.minimum is not None:
            if cores < c.needs_cores:
                verdict = f"  (not judged: {cores} usable core)"
            elif ratio >= c.minimum:
                verdict = "  ok"
            else:
                verdict, missed = "  MISSED", missed + 1
        rows.append((c.label, ours.show(c.unit), peer.show(c.unit), f"{ratio:.2f}x", target + verdict))
    for label, name, limit in PER_CALL_LIMITS:
        result = results.get(name)
        if result is None:
            missed += 1
            rows.append((label, "not measured", "-", "-", f"<= {limit:g} us  MISSING"))
            continue
        ok = result.seconds / result.items * 1e6 <= limit
        missed += not ok
        rows.append((label, result.show("us"), "-", "-", f"<= {limit:g} us  {'ok' if ok else 'MISSED'}"))
    titles = ("comparison", "trustkit", "peer", "ratio", "target")
    widths = [max(len(row[i]) for row in (titles, *rows)) for i in range(4)]

    def line(row: tuple[str, ...]) -> str:
        return (f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}  "
                f"{row[3]:>{widths[3]}}  {row[4]}").rstrip()

    lines += [line(titles), "-" * len(line(titles)), *map(line, rows), ""]
    lines.append(f"targets missed: {missed}" if missed else "all measured targets met")
    return lines, missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("json_file", type=Path, help="written by pytest --benchmark-json=FILE")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--stat", choices=("median", "min", "mean"), default="median",
                        help="which statistic of each benchmark to compare (default: median)")
    args = parser.parse_args(argv)
    try:
        results, machine = load(args.json_file, args.stat)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"report.py: cannot read {args.json_file}: {exc}", file=sys.stderr)
        return 2
    lines, missed = render(results, machine)
    print("\n".join(lines))
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
