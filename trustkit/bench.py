"""Primitive throughput on this machine, measured side by side with peers in one process.

Used by ``trustkit bench`` so an operator can check a target server.  The peers are
pyca ``cryptography`` (ECDSA P-256, the hardware reference, and OpenSSL's SM3) and,
when installed, tongsuopy and gmssl SM2 (test extras, never run-time dependencies).
Every ratio is "trustkit rate / peer rate" from the same run, so it carries over
between machines better than absolute numbers; each target row says whether it is met.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from typing import Any

import trustkit.primitives as _primitives
from trustkit.errors import ConfigurationError
from trustkit.primitives import sm2, sm3

__all__ = ["BenchReport", "BenchRow", "plot_report", "run_primitive_benchmarks"]

_MESSAGE = b"trustkit benchmark message: licence 3301XX-2026-000123"
_SMALL = b"\x5a" * 64
_BIG = b"\xa5" * (1 << 20)
#: Minimum seconds per timed run, by ``quick``; each measurement is the best of ``_RUNS`` runs.
_SECONDS = {False: 0.5, True: 0.15}
#: gmssl is pure Python (about 100-200 operations/s), so it gets a few calls only.
_GMSSL_SECONDS = {False: 0.2, True: 0.05}
_RUNS = 3
_BATCH = {False: 4000, True: 1000}


@dataclass(frozen=True)
class BenchRow:
    """One measurement: trustkit's ``value`` in ``unit`` and, when a peer applies, the ratio.

    ``unit`` is ``"ops/s"``, ``"MB/s"`` (10^6 bytes) or ``"us"`` (microseconds per call).
    ``ratio`` is always "higher is better for trustkit" (rate / peer rate, or peer time /
    trustkit time).  ``met`` is None when the row has no target or it cannot be judged.
    """

    name: str
    value: float
    unit: str
    peer: str | None = None
    peer_value: float | None = None
    ratio: float | None = None
    target: str | None = None
    met: bool | None = None
    note: str | None = None


@dataclass(frozen=True)
class BenchReport:
    """Every row plus the machine and the software versions it was measured with."""

    rows: tuple[BenchRow, ...]
    machine: dict[str, str] = field(default_factory=dict)

    @property
    def targets(self) -> tuple[int, int]:
        """``(met, judged)``: how many target rows were met out of those that could be judged."""
        judged = [row.met for row in self.rows if row.met is not None]
        return sum(judged), len(judged)

    def table(self) -> str:
        """An aligned plain-text table (ASCII only) for reading on the server itself."""
        m = self.machine
        lines = [
            f"cpu: {m.get('cpu', '?')} ({m.get('cores', '?')} usable cores), "
            f"Python {m.get('python', '?')}, trustkit {m.get('trustkit', '?')} core={m.get('trustkit_backend', '?')}",
            f"peers: {m.get('peers', '?')}",
            f"method: {m.get('method', '?')}",
            "",
        ]
        cells = [
            (
                row.name,
                _fmt(row.value, row.unit),
                row.peer or "-",
                "-" if row.peer_value is None else _fmt(row.peer_value, row.unit),
                "-" if row.ratio is None else f"{row.ratio:.2f}x",
                (row.target or "") + {None: "", True: "  ok", False: "  MISSED"}[row.met]
                + (f"  ({row.note})" if row.note else ""),
            )
            for row in self.rows
        ]
        titles = ("measurement", "trustkit", "peer", "peer value", "ratio", "target")
        widths = [max(len(c[i]) for c in [titles, *cells]) for i in range(5)]

        def render(c: tuple[str, ...]) -> str:
            return (f"{c[0]:<{widths[0]}}  {c[1]:>{widths[1]}}  {c[2]:<{widths[2]}}  {c[3]:>{widths[3]}}  "
                    f"{c[4]:>{widths[4]}}  {c[5]}").rstrip()

        header = render(titles)
        lines += [header, "-" * len(header), *map(render, cells)]
        met, judged = self.targets
        missed = [row.name for row in self.rows if row.met is False]
        lines += ["", f"targets met: {met} of {judged}" + (f"; missed: {', '.join(missed)}" if missed else "")]
        lines.append("ratio = trustkit / peer measured in this run; higher is better for trustkit.")
        return "\n".join(lines)

    def to_json(self) -> str:
        """The report as JSON: ``machine``, ``rows`` (the :class:`BenchRow` fields) and ``targets``."""
        met, judged = self.targets
        return json.dumps(
            {
                "machine": self.machine,
                "rows": [asdict(row) for row in self.rows],
                "targets": {"met": met, "judged": judged},
            },
            indent=2,
        )


def _fmt(value: float, unit: str) -> str:
    if unit == "ops/s":
        return f"{value:,.0f}/s"
    if unit == "us":
        return f"{value:.3f} us"
    return f"{value:,.1f} {unit}"


# ---- timing -------------------------------------------------------------------------


def _run(func: Callable[..., object], args: tuple[Any, ...], calls: int) -> float:
    if len(args) == 1:  # a plain call, as users write it: ``f(*args)`` costs ~40 ns more
        (arg,) = args
        start = time.perf_counter()
        for _ in range(calls):
            func(arg)
        return time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(calls):
        func(*args)
    return time.perf_counter() - start


def _seconds_per_call(func: Callable[..., object], args: tuple[Any, ...], min_seconds: float) -> float:
    """Best of ``_RUNS`` runs of at least ``min_seconds`` each, after a warm-up call.

    Calls are made in chunks (sized so a chunk takes about a twentieth of a run), so
    the clock is read rarely and sub-microsecond calls are measured without it.
    """
    func(*args)
    chunk = 1
    while chunk < 1 << 20 and _run(func, args, chunk) < min_seconds / 20:
        chunk *= 2
    best = float("inf")
    for _ in range(_RUNS):
        calls, elapsed = 0, 0.0
        while elapsed < min_seconds:
            elapsed += _run(func, args, chunk)
            calls += chunk
        best = min(best, elapsed / calls)
    return best


def _rate(func: Callable[..., object], *args: Any, seconds: float, items: int = 1) -> float:
    """Items per second."""
    return items / _seconds_per_call(func, args, seconds)


# ---- rows ------------------------------------------------------------------------------


def _compare(name: str, value: float, unit: str, peer: str, peer_value: float,
             minimum: float | None = None, target: str | None = None, note: str | None = None) -> BenchRow:
    """A row whose ratio is ``value / peer_value`` (both rates), met when ``ratio >= minimum``."""
    ratio = value / peer_value
    met = None if minimum is None else ratio >= minimum
    return BenchRow(name, value, unit, peer, peer_value, ratio, target, met, note)


def _absent(name: str, value: float, unit: str, peer: str, reason: str, target: str | None = None) -> BenchRow:
    """A row whose peer could not be measured; not judged."""
    return BenchRow(name, value, unit, f"{peer} ({reason})", None, None, target, None, None)


def _why(exc: BaseException) -> str:
    return "not installed" if isinstance(exc, ImportError) else f"unavailable: {type(exc).__name__}"


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _machine(seconds: float) -> dict[str, str]:
    """CPU model, usable cores, Python, trustkit core backend and peer versions."""
    model = platform.processor() or platform.machine() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith(("model name", "Model", "Hardware")):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    backend: Callable[[], str] | None = getattr(_primitives, "backend_name", None)
    try:
        from cryptography.hazmat.backends.openssl import backend as openssl

        pyca = f"cryptography {_version('cryptography')} ({openssl.openssl_version_text()})"
    except Exception:  # pragma: no cover - a cryptography build without OpenSSL details
        pyca = f"cryptography {_version('cryptography')}"
    peers = [pyca] + [f"{dist} {_version(dist) or 'not installed'}" for dist in ("tongsuopy", "gmssl")]
    return {
        "cpu": model,
        "cores": str(_usable_cores()),
        "platform": f"{platform.system()} {platform.machine()}",
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "trustkit": _version("trustkit") or "unknown",
        "trustkit_backend": backend() if callable(backend) else "unknown",
        "peers": ", ".join(peers),
        "method": f"best of {_RUNS} runs of >= {seconds:g} s each, after a warm-up, in one process",
    }


# ---- the benchmark ---------------------------------------------------------------------------


def run_primitive_benchmarks(
    quick: bool = False, *, progress: Callable[[str], None] | None = None
) -> BenchReport:
    """Measure trustkit's SM2/SM3 against the peers available in this environment.

    Takes about 30 s (about 10 s with ``quick``).  While it runs, the process-wide
    SM2 verify-table cache is resized (which evicts its tables); its size is restored.

    :param quick: shorter runs (0.15 s per measurement instead of 0.5 s); less precise.
    :param progress: called with a short description as each measurement starts.
    """
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    seconds = _SECONDS[bool(quick)]
    say = progress or (lambda _step: None)
    rows: list[BenchRow] = []

    key = sm2.generate_private_key()
    pub = key.public_key()
    sig = key.sign(_MESSAGE)
    ecdsa = ec.ECDSA(hashes.SHA256())
    p256 = ec.generate_private_key(ec.SECP256R1())
    p256_pub = p256.public_key()
    p256_sig = p256.sign(_MESSAGE, ecdsa)

    say("pyca cryptography ECDSA P-256 sign/verify")
    p256_sign = _rate(p256.sign, _MESSAGE, ecdsa, seconds=seconds)
    p256_verify = _rate(p256_pub.verify, p256_sig, _MESSAGE, ecdsa, seconds=seconds)

    cache_size = sm2.verify_cache_size()
    try:
        say("trustkit SM2 sign/verify")
        sm2.set_verify_cache_size(0)  # a cold key: no per-key table, however often it is used
        tk_sign = _rate(key.sign, _MESSAGE, seconds=seconds)
        tk_verify = _rate(pub.verify, sig, _MESSAGE, seconds=seconds)
        sm2.set_verify_cache_size(max(cache_size, 1))
        pub.precompute()
        tk_prepared = _rate(pub.verify, sig, _MESSAGE, seconds=seconds)

        rows.append(_compare("SM2 sign", tk_sign, "ops/s", "pyca P-256 sign", p256_sign, 1.2, ">= 1.2x"))
        rows.append(_compare("SM2 verify", tk_verify, "ops/s", "pyca P-256 verify", p256_verify, 0.7, ">= 0.7x"))
        rows.append(_compare("SM2 verify, prepared key", tk_prepared, "ops/s", "pyca P-256 verify", p256_verify,
                             2.5, ">= 2.5x"))

        say("tongsuopy SM2 sign/verify")
        try:
            from tongsuopy.crypto import hashes as t_hashes
            from tongsuopy.crypto.asymciphers import ec as t_ec

            t_algo = t_ec.ECDSA(t_hashes.SM3())
            t_key = t_ec.generate_private_key(t_ec.SM2())
            t_pub = t_key.public_key()
            t_sig = t_key.sign(_MESSAGE, t_algo)
            t_sign = _rate(t_key.sign, _MESSAGE, t_algo, seconds=seconds)
            t_verify = _rate(t_pub.verify, t_sig, _MESSAGE, t_algo, seconds=seconds)
        except Exception as exc:  # optional peer: ImportError, or a broken native build
            why = _why(exc)
            rows.append(_absent("SM2 sign vs tongsuopy", tk_sign, "ops/s", "tongsuopy", why, ">= 12x"))
            rows.append(_absent("SM2 verify vs tongsuopy", tk_verify, "ops/s", "tongsuopy", why, ">= 12x"))
        else:
            rows.append(_compare("SM2 sign vs tongsuopy", tk_sign, "ops/s", "tongsuopy SM2 sign", t_sign,
                                 12.0, ">= 12x"))
            rows.append(_compare("SM2 verify vs tongsuopy", tk_verify, "ops/s", "tongsuopy SM2 verify", t_verify,
                                 12.0, ">= 12x"))
            rows.append(_compare("SM2 verify, prepared vs tongsuopy", tk_prepared, "ops/s", "tongsuopy SM2 verify",
                                 t_verify, note="informational"))

        say("gmssl SM2 sign/verify (pure Python: a few calls)")
        try:
            from gmssl import sm2 as g_sm2

            g = g_sm2.CryptSM2(private_key=key.private_bytes("raw").hex(),
                               public_key=pub.public_bytes("raw")[1:].hex())
            g_sig = g.sign_with_sm3(_MESSAGE)
            g_seconds = _GMSSL_SECONDS[bool(quick)]
            g_sign = _rate(g.sign_with_sm3, _MESSAGE, seconds=g_seconds)
            g_verify = _rate(g.verify_with_sm3, g_sig, _MESSAGE, seconds=g_seconds)
        except Exception as exc:  # optional peer
            rows.append(_absent("SM2 sign vs gmssl", tk_sign, "ops/s", "gmssl", _why(exc)))
            rows.append(_absent("SM2 verify vs gmssl", tk_verify, "ops/s", "gmssl", _why(exc)))
        else:
            rows.append(_compare("SM2 sign vs gmssl", tk_sign, "ops/s", "gmssl SM2 sign", g_sign))
            rows.append(_compare("SM2 verify vs gmssl", tk_verify, "ops/s", "gmssl SM2 verify", g_verify))

        say("trustkit sign_many/verify_many on 1 and 2 threads")
        sm2.set_verify_cache_size(0)
        rows.extend(_batch_rows(key, _BATCH[bool(quick)], seconds))
    finally:
        sm2.set_verify_cache_size(cache_size)

    say("SM3 on 64 B and 1 MiB")
    rows.extend(_sm3_rows(seconds))
    return BenchReport(tuple(rows), _machine(seconds))


def _batch_rows(key: sm2.PrivateKey, size: int, seconds: float) -> list[BenchRow]:
    """``sign_many``/``verify_many`` on two threads against one (cold keys)."""
    cores = _usable_cores()
    messages = [_MESSAGE] * size
    pub = key.public_key()
    items = [(pub, s, _MESSAGE) for s in sm2.sign_many(key, messages)]

    def sign_batch(threads: int) -> object:
        return sm2.sign_many(key, messages, threads=threads)

    def verify_batch(threads: int) -> object:
        return sm2.verify_many(items, threads=threads)

    rows = []
    for name, func in (("sign_many", sign_batch), ("verify_many", verify_batch)):
        one = _rate(func, 1, seconds=seconds, items=size)
        two = _rate(func, 2, seconds=seconds, items=size)
        if cores >= 2:
            rows.append(_compare(f"{name}, 2 threads ({size:,} items)", two, "ops/s", f"{name}, 1 thread", one,
                                 1.8, ">= 1.8x"))
        else:
            rows.append(_compare(f"{name}, 2 threads ({size:,} items)", two, "ops/s", f"{name}, 1 thread", one,
                                 target=">= 1.8x", note=f"only {cores} usable core: not judged"))
    return rows


def _sm3_rows(seconds: float) -> list[BenchRow]:
    """SM3 per call at 64 bytes and throughput at 1 MiB, against OpenSSL through pyca."""
    from cryptography.hazmat.primitives import hashes

    def pyca_sm3(data: bytes) -> bytes:
        digest = hashes.Hash(hashes.SM3())
        digest.update(data)
        return digest.finalize()

    tk_small_us = _seconds_per_call(sm3.hash, (_SMALL,), seconds) * 1e6
    small_ok = tk_small_us <= 0.5
    tk_big = _rate(sm3.hash, _BIG, seconds=seconds, items=len(_BIG)) / 1e6
    try:
        pyca_sm3(b"")
    except Exception as exc:  # an OpenSSL without SM3 (FIPS builds, for example)
        why = _why(exc) if isinstance(exc, ImportError) else "no SM3 in this OpenSSL"
        return [
            BenchRow("SM3 64 B, per call", tk_small_us, "us", f"pyca SM3 ({why})", None, None, "<= 0.5 us", small_ok),
            _absent("SM3 1 MiB", tk_big, "MB/s", "pyca SM3", why, ">= 1.0x"),
        ]
    py_small_us = _seconds_per_call(pyca_sm3, (_SMALL,), seconds) * 1e6
    py_big = _rate(pyca_sm3, _BIG, seconds=seconds, items=len(_BIG)) / 1e6
    return [
        BenchRow("SM3 64 B, per call", tk_small_us, "us", "pyca (OpenSSL) SM3", py_small_us,
                 py_small_us / tk_small_us, "<= 0.5 us", small_ok),
        _compare("SM3 1 MiB", tk_big, "MB/s", "pyca (OpenSSL) SM3", py_big, 1.0, ">= 1.0x"),
    ]


# ---- chart -------------------------------------------------------------------------------------


def plot_report(report: BenchReport, path: str | os.PathLike[str]) -> None:
    """Write a PNG bar chart of every ratio against its peer (log scale, targets marked).

    :raises ConfigurationError: matplotlib is not installed (``pip install trustkit[plot]``).
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ConfigurationError(
            "the benchmark chart needs matplotlib: pip install 'trustkit[plot]'", code="missing_dependency"
        ) from None
    rows = [row for row in report.rows if row.ratio is not None]
    fig = Figure(figsize=(10, 0.45 * max(len(rows), 1) + 1.9))
    FigureCanvasAgg(fig)  # attaches itself; no pyplot, so no global backend switch
    ax = fig.add_subplot()
    if not rows:
        ax.text(0.5, 0.5, "no peer was measured", ha="center", va="center")
        ax.set_axis_off()
    else:
        labels = [_label(row) for row in rows]
        colours = [{True: "#2e7d32", False: "#c62828", None: "#607d8b"}[row.met] for row in rows]
        ratios = [row.ratio or 0.0 for row in rows]
        ax.barh(range(len(rows)), ratios, color=colours)
        ax.set_yticks(range(len(rows)), labels, fontsize=7)
        ax.axvline(1.0, color="black", linewidth=0.8)
        for index, row in enumerate(rows):
            ax.text(ratios[index], index, f" {ratios[index]:.2f}x", va="center", fontsize=7)
            minimum = _target_ratio(row)
            if minimum is not None:
                ax.plot([minimum, minimum], [index - 0.4, index + 0.4], color="black", linewidth=1.5)
        ax.set_xscale("log")
        ax.set_xlim(min(min(ratios), 0.5) / 1.5, max(ratios) * 3)
        ax.invert_yaxis()
        ax.set_xlabel("trustkit / peer (higher is better, log scale); black tick = target; "
                      "green met, red missed, grey no target", fontsize=8)
    m = report.machine
    ax.set_title(f"trustkit primitives on {m.get('cpu', 'this machine')} ({m.get('cores', '?')} cores), "
                 f"core={m.get('trustkit_backend', '?')}", fontsize=9)
    fig.tight_layout()
    fig.savefig(os.fspath(path), dpi=110, format="png")


def _label(row: BenchRow) -> str:
    label = f"{row.name.split(' vs ')[0]}\nvs {row.peer}"
    if row.target and _target_ratio(row) is None:  # an absolute target, such as "<= 0.5 us"
        label += f"\n(target {row.target}: {'met' if row.met else 'missed'})"
    return label


def _target_ratio(row: BenchRow) -> float | None:
    """The minimum ratio a ``">= Nx"`` target asks for (None for absolute targets)."""
    if row.target and row.target.startswith(">=") and row.target.endswith("x"):
        try:
            return float(row.target[2:-1])
        except ValueError:
            return None
    return None


if __name__ == "__main__":  # pragma: no cover - ``python -m trustkit.bench [--quick]``
    print(run_primitive_benchmarks("--quick" in sys.argv[1:], progress=lambda s: print(f"  {s} ...",
                                                                                      file=sys.stderr)).table())
