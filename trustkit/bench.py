"""Primitive throughput on this machine, measured side by side with peers in one process.

Used by ``trustkit bench`` so operators can check a target server.  Peers:
pyca ``cryptography`` ECDSA P-256 (the hardware reference) and SM3; tongsuopy
and gmssl SM2 when installed (they are test extras, never run-time dependencies).
Targets come from the project's performance goals; each row says whether it is met.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from trustkit.errors import ConfigurationError
from trustkit.primitives import backend_name, sm2, sm3

__all__ = ["BenchReport", "BenchRow", "plot_report", "run_primitive_benchmarks"]

_MESSAGE = b"trustkit benchmark message: licence 3301XX-2026-000123"


@dataclass(frozen=True)
class BenchRow:
    """One measurement: ``value`` in ``unit`` and, when a peer applies, the ratio against it."""

    name: str
    value: float
    unit: str
    peer: str | None = None
    peer_value: float | None = None
    ratio: float | None = None
    target: str | None = None
    met: bool | None = None


@dataclass(frozen=True)
class BenchReport:
    """Every row plus the machine it was measured on."""

    rows: tuple[BenchRow, ...]
    machine: dict[str, str] = field(default_factory=dict)

    def table(self) -> str:
        """An aligned text table."""
        header = f"{'measurement':<40} {'trustkit':>14} {'peer':<26} {'peer value':>14} {'ratio':>8}  target"
        lines = [
            "machine: " + ", ".join(f"{k}={v}" for k, v in self.machine.items()),
            header,
            "-" * len(header),
        ]
        for row in self.rows:
            peer_value = "-" if row.peer_value is None else _fmt(row.peer_value, row.unit)
            ratio = "-" if row.ratio is None else f"{row.ratio:.2f}x"
            verdict = "" if row.met is None else (" ok" if row.met else " MISSED")
            lines.append(
                f"{row.name:<40} {_fmt(row.value, row.unit):>14} {row.peer or '-':<26} {peer_value:>14} "
                f"{ratio:>8}  {row.target or ''}{verdict}"
            )
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps({"machine": self.machine, "rows": [asdict(r) for r in self.rows]}, indent=2)


def _fmt(value: float, unit: str) -> str:
    if unit == "ops/s":
        return f"{value:,.0f}/s"
    if unit == "us":
        return f"{value:.3f} us"
    return f"{value:,.1f} {unit}"


def _rate(func: Callable[[], object], min_seconds: float, *, batch: int = 1) -> float:
    """Best of three timed runs, each at least ``min_seconds`` long; returns operations per second."""
    func()  # warm-up
    best = 0.0
    for _ in range(3):
        count = 0
        start = time.perf_counter()
        while True:
            func()
            count += batch
            elapsed = time.perf_counter() - start
            if elapsed >= min_seconds:
                break
        best = max(best, count / elapsed)
    return best


def _per_call_us(func: Callable[[bytes], object], arg: bytes, calls: int = 200_000) -> float:
    """Best-of-three microseconds per direct call (no lambda in between, for sub-microsecond calls)."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(calls):
            func(arg)
        best = min(best, (time.perf_counter() - start) / calls * 1e6)
    return best


def _machine() -> dict[str, str]:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": str(os.cpu_count() or 1),
        "python": platform.python_version(),
        "trustkit_backend": backend_name(),
    }


def _row(name: str, value: float, unit: str, peer: str | None = None, peer_value: float | None = None,
         target_ratio: float | None = None, target_text: str | None = None) -> BenchRow:
    ratio = value / peer_value if peer_value else None
    met = None if target_ratio is None or ratio is None else ratio >= target_ratio
    return BenchRow(name, value, unit, peer, peer_value, ratio, target_text, met)


def run_primitive_benchmarks(
    quick: bool = False, *, progress: Callable[[str], None] | None = None
) -> BenchReport:
    """Measure trustkit's SM2/SM3 against the peers available in this environment.

    :param quick: shorter runs (about 0.15 s per measurement instead of 0.5 s).
    :param progress: called with the name of each measurement as it starts.
    """
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    seconds = 0.15 if quick else 0.5
    say = progress or (lambda _step: None)
    rows: list[BenchRow] = []

    key = sm2.generate_private_key()
    pub = key.public_key()
    sig = key.sign(_MESSAGE)
    p256 = ec.generate_private_key(ec.SECP256R1())
    p256_pub = p256.public_key()
    p256_sig = p256.sign(_MESSAGE, ec.ECDSA(hashes.SHA256()))

    say("P-256 (pyca cryptography)")
    p256_sign = _rate(lambda: p256.sign(_MESSAGE, ec.ECDSA(hashes.SHA256())), seconds)
    p256_verify = _rate(lambda: p256_pub.verify(p256_sig, _MESSAGE, ec.ECDSA(hashes.SHA256())), seconds)

    say("trustkit SM2 sign/verify")
    cache_size = sm2.verify_cache_size()
    sm2.set_verify_cache_size(0)  # measure plain verification first
    tk_sign = _rate(lambda: key.sign(_MESSAGE), seconds)
    tk_verify = _rate(lambda: pub.verify(sig, _MESSAGE), seconds)
    sm2.set_verify_cache_size(max(cache_size, 1))
    pub.precompute()
    tk_verify_prepared = _rate(lambda: pub.verify(sig, _MESSAGE), seconds)

    rows.append(_row("SM2 sign", tk_sign, "ops/s", "pyca P-256 sign", p256_sign, 1.2, ">= 1.2x P-256"))
    rows.append(_row("SM2 verify", tk_verify, "ops/s", "pyca P-256 verify", p256_verify, 0.7, ">= 0.7x P-256"))
    rows.append(_row("SM2 verify (prepared key)", tk_verify_prepared, "ops/s", "pyca P-256 verify", p256_verify,
                     2.5, ">= 2.5x P-256"))

    say("tongsuopy SM2")
    try:
        from tongsuopy.crypto import hashes as t_hashes
        from tongsuopy.crypto.asymciphers import ec as t_ec

        t_key = t_ec.generate_private_key(t_ec.SM2())
        t_sig = t_key.sign(_MESSAGE, t_ec.ECDSA(t_hashes.SM3()))
        t_pub = t_key.public_key()
        t_sign = _rate(lambda: t_key.sign(_MESSAGE, t_ec.ECDSA(t_hashes.SM3())), seconds)
        t_verify = _rate(lambda: t_pub.verify(t_sig, _MESSAGE, t_ec.ECDSA(t_hashes.SM3())), seconds)
        rows.append(_row("SM2 sign vs tongsuopy", tk_sign, "ops/s", "tongsuopy SM2 sign", t_sign, 12, ">= 12x"))
        rows.append(_row("SM2 verify (cold key) vs tongsuopy", tk_verify, "ops/s", "tongsuopy SM2 verify", t_verify,
                         12, ">= 12x"))
        rows.append(_row("SM2 verify (repeated key) vs tongsuopy", tk_verify_prepared, "ops/s",
                         "tongsuopy SM2 verify", t_verify, 12, ">= 12x"))
    except ImportError:
        rows.append(BenchRow("SM2 vs tongsuopy", tk_sign, "ops/s", "tongsuopy (not installed)"))

    say("gmssl SM2")
    try:
        from gmssl import sm2 as g_sm2

        raw_pub = pub.public_bytes("raw")
        g = g_sm2.CryptSM2(private_key=key.private_bytes("raw").hex(), public_key=raw_pub[1:].hex())
        g_sig = g.sign_with_sm3(_MESSAGE)
        g_seconds = 0.3 if quick else 1.0
        g_sign = _rate(lambda: g.sign_with_sm3(_MESSAGE), g_seconds)
        g_verify = _rate(lambda: g.verify_with_sm3(g_sig, _MESSAGE), g_seconds)
        rows.append(_row("SM2 sign vs gmssl", tk_sign, "ops/s", "gmssl SM2 sign", g_sign))
        rows.append(_row("SM2 verify vs gmssl", tk_verify, "ops/s", "gmssl SM2 verify", g_verify))
    except ImportError:
        rows.append(BenchRow("SM2 vs gmssl", tk_sign, "ops/s", "gmssl (not installed)"))

    say("batch signing and verification")
    threads = min(2, os.cpu_count() or 1)
    batch = [_MESSAGE] * (1000 if quick else 4000)
    sm2.set_verify_cache_size(0)
    items = [(pub, s, _MESSAGE) for s in sm2.sign_many(key, batch[:1000])]
    one = _rate(lambda: sm2.sign_many(key, batch, threads=1), seconds, batch=len(batch))
    many = _rate(lambda: sm2.sign_many(key, batch, threads=threads), seconds, batch=len(batch))
    rows.append(_row(f"sign_many, {threads} threads", many, "ops/s", "sign_many, 1 thread", one, 1.8,
                     ">= 1.8x one thread"))
    one_v = _rate(lambda: sm2.verify_many(items, threads=1), seconds, batch=len(items))
    many_v = _rate(lambda: sm2.verify_many(items, threads=threads), seconds, batch=len(items))
    rows.append(_row(f"verify_many, {threads} threads", many_v, "ops/s", "verify_many, 1 thread", one_v, 1.8,
                     ">= 1.8x one thread"))
    sm2.set_verify_cache_size(cache_size)

    say("SM3")
    small = b"\x5a" * 64
    big = b"\xa5" * (1 << 20)

    def pyca_sm3(data: bytes) -> bytes:
        digest = hashes.Hash(hashes.SM3())
        digest.update(data)
        return digest.finalize()

    tk_small = _per_call_us(sm3.hash, small)
    py_small = _per_call_us(pyca_sm3, small)
    rows.append(BenchRow("SM3 64 B", tk_small, "us", "pyca SM3 64 B", py_small, py_small / tk_small,
                         "<= 0.5 us per call", tk_small <= 0.5))
    tk_big = _rate(lambda: sm3.hash(big), seconds)
    py_big = _rate(lambda: pyca_sm3(big), seconds)
    rows.append(_row("SM3 1 MiB", tk_big, "MB/s", "pyca (OpenSSL) SM3 1 MiB", py_big, 1.0, ">= 1.0x OpenSSL"))
    return BenchReport(tuple(rows), _machine())


def plot_report(report: BenchReport, path: str | os.PathLike[str]) -> None:
    """Write a PNG bar chart of the ratios against peers (needs matplotlib: ``pip install trustkit[plot]``)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ConfigurationError("plotting needs matplotlib: pip install 'trustkit[plot]'") from None
    rows = [r for r in report.rows if r.ratio is not None]
    fig, ax = plt.subplots(figsize=(10, 0.5 * len(rows) + 1.8))
    names = [f"{r.name.split(' vs ')[0]}\nvs {r.peer}" for r in rows]
    colours = ["#2e7d32" if r.met in (True, None) else "#c62828" for r in rows]
    ax.barh(names, [r.ratio or 0.0 for r in rows], color=colours)
    ax.axvline(1.0, color="black", linewidth=0.8)
    for index, row in enumerate(rows):
        ax.text(row.ratio or 0, index, f" {row.ratio:.2f}x", va="center", fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("ratio (trustkit / peer, higher is better; log scale)")
    ax.invert_yaxis()
    ax.set_title(f"trustkit primitives on {report.machine.get('cpu', 'this machine')}", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.fspath(path), dpi=110)
    plt.close(fig)
