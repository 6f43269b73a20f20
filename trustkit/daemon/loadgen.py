"""Load generator for ``trustkit daemon bench``: concurrency sweep, batched and single signing,
an optional open-loop run at a fixed rate, latency percentiles, JSON and a PNG chart.

The client is a small asyncio HTTP/1.1 keep-alive client (hand-built requests, minimal
parsing), so that on a shared 2-core host it costs the daemon as little CPU as possible.
Latency in the open-loop run is measured from each request's *scheduled* send time, so a
stalled server cannot hide its queueing (no coordinated omission).  The in-process rate is a
single-thread SM2 sign loop on the same host; the ratio daemon/in-process is the overhead.
"""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

__all__ = ["BenchResult", "BenchSettings", "LevelResult", "in_process_rate", "render_chart", "run_bench"]


@dataclass(frozen=True)
class BenchSettings:
    target: str
    token: str
    key: str = "bench-sm2"
    key_type: str = "sm2"
    duration: float = 3.0
    batch_size: int = 100
    levels: tuple[int, ...] = (1, 2, 4, 8, 16, 32)
    modes: tuple[str, ...] = ("single", "batch")
    rate: float = 0.0
    progress: bool = True
    verify_tls: bool | str = True
    payload_bytes: int = 64


@dataclass(frozen=True)
class LevelResult:
    mode: str  # single | batch | open-loop
    concurrency: int
    requests: int
    errors: int
    seconds: float
    requests_per_s: float
    signatures_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


@dataclass
class BenchResult:
    target: str
    key_type: str
    batch_size: int
    in_process_signs_per_s: float
    levels: list[LevelResult] = field(default_factory=list)

    def best(self, mode: str) -> LevelResult | None:
        rows = [r for r in self.levels if r.mode == mode]
        return max(rows, key=lambda r: r.signatures_per_s) if rows else None

    def to_dict(self) -> dict[str, Any]:
        batch = self.best("batch")
        return {"target": self.target, "key_type": self.key_type, "batch_size": self.batch_size,
                "in_process_signs_per_s": round(self.in_process_signs_per_s, 1),
                "batch_ratio": round(batch.signatures_per_s / self.in_process_signs_per_s, 3) if batch else None,
                "levels": [asdict(r) for r in self.levels]}

    def summary(self) -> str:
        lines = [(f"target {self.target}  key {self.key_type}  in-process single-thread sign rate "
                  f"{self.in_process_signs_per_s:,.0f}/s"),
                 (f"{'mode':<10}{'conc':>5}{'req/s':>10}{'sig/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
                  f"{'errors':>8}")]
        for r in self.levels:
            lines.append(f"{r.mode:<10}{r.concurrency:>5}{r.requests_per_s:>10,.0f}{r.signatures_per_s:>10,.0f}"
                         f"{r.p50_ms:>9.2f}{r.p95_ms:>9.2f}{r.p99_ms:>9.2f}{r.errors:>8}")
        batch = self.best("batch")
        if batch:
            lines.append(f"batched best {batch.signatures_per_s:,.0f} sig/s = "
                         f"{batch.signatures_per_s / self.in_process_signs_per_s:.2f}x the in-process rate")
        return "\n".join(lines)


def in_process_rate(key_type: str = "sm2", seconds: float = 1.0) -> float:
    """Single-thread signatures per second in this process (64-byte messages, same key type)."""
    from trustkit.daemon.keystore import _generate
    from trustkit.primitives import sm2

    key = _generate(key_type)
    message = b"m" * 64
    one: Callable[[bytes], bytes]
    if isinstance(key, sm2.PrivateKey):
        one = key.sign
    else:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519

        if isinstance(key, ec.EllipticCurvePrivateKey):
            ec_key = key

            def ecdsa_sign(data: bytes) -> bytes:
                return ec_key.sign(data, ec.ECDSA(hashes.SHA256()))

            one = ecdsa_sign
        elif isinstance(key, ed25519.Ed25519PrivateKey):
            one = key.sign
        else:
            raise TypeError("the in-process rate is measured for sm2, ecdsa and ed25519 keys")
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(200):
            one(message)
        count += 200
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


class _Conn:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
                break
        body = await self.reader.readexactly(length) if length else b""
        return status, body

    def close(self) -> None:
        self.writer.close()


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


class _Target:
    def __init__(self, settings: BenchSettings) -> None:
        parts = urlsplit(settings.target)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.ssl: ssl.SSLContext | None = None
        if parts.scheme == "https":
            self.ssl = ssl.create_default_context(cafile=settings.verify_tls if isinstance(settings.verify_tls, str)
                                                  else None)
            if settings.verify_tls is False:
                self.ssl.check_hostname = False
                self.ssl.verify_mode = ssl.CERT_NONE
        self.settings = settings

    async def connect(self) -> _Conn:
        reader, writer = await asyncio.open_connection(self.host, self.port, ssl=self.ssl)
        return _Conn(reader, writer)

    def post(self, path: str, body: dict[str, Any]) -> bytes:
        data = json.dumps(body).encode()
        return (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nX-Vault-Token: {self.settings.token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n").encode() + data


async def _closed_loop(target: _Target, raw: bytes, concurrency: int, seconds: float, per_request: int,
                       mode: str) -> LevelResult:
    conns = [await target.connect() for _ in range(concurrency)]
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(conn: _Conn) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            status, _ = await conn.request(raw)
            latencies.append(time.perf_counter() - t0)
            if status != 200:
                errors += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    elapsed = time.perf_counter() - start
    for c in conns:
        c.close()
    latencies.sort()
    ok = len(latencies) - errors
    return LevelResult(mode, concurrency, len(latencies), errors, elapsed, len(latencies) / elapsed,
                       ok * per_request / elapsed, _percentile(latencies, 0.5) * 1e3,
                       _percentile(latencies, 0.95) * 1e3, _percentile(latencies, 0.99) * 1e3,
                       (latencies[-1] if latencies else 0.0) * 1e3)


async def _open_loop(target: _Target, raw: bytes, rate: float, seconds: float, connections: int = 64) -> LevelResult:
    """Send at a fixed rate; latency counts from each request's scheduled time."""
    pool: asyncio.Queue[_Conn] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await target.connect())
    latencies: list[float] = []
    errors = 0
    total = int(rate * seconds)
    start = time.perf_counter()

    async def one(scheduled: float) -> None:
        nonlocal errors
        conn = await pool.get()
        try:
            status, _ = await conn.request(raw)
            if status != 200:
                errors += 1
        finally:
            pool.put_nowait(conn)
        latencies.append(time.perf_counter() - scheduled)

    tasks = []
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    while not pool.empty():
        pool.get_nowait().close()
    latencies.sort()
    return LevelResult("open-loop", connections, len(latencies), errors, elapsed, len(latencies) / elapsed,
                       (len(latencies) - errors) / elapsed, _percentile(latencies, 0.5) * 1e3,
                       _percentile(latencies, 0.95) * 1e3, _percentile(latencies, 0.99) * 1e3,
                       (latencies[-1] if latencies else 0.0) * 1e3)


def _progress(done: int, total: int, label: str) -> None:
    width = 30
    filled = int(width * done / max(1, total))
    sys.stderr.write(f"\r[{'#' * filled}{' ' * (width - filled)}] {done}/{total} {label:<24}")
    sys.stderr.flush()
    if done == total:
        sys.stderr.write("\n")


async def _run(settings: BenchSettings, in_process: float) -> BenchResult:
    target = _Target(settings)
    conn = await target.connect()
    status, body = await conn.request(target.post(f"/v1/transit/keys/{settings.key}", {"type": settings.key_type}))
    conn.close()
    if status != 200:
        raise RuntimeError(f"cannot create the bench key: {status} {body[:200]!r}")
    message = base64.b64encode(b"b" * settings.payload_bytes).decode()
    single = target.post(f"/v1/transit/sign/{settings.key}", {"input": message})
    batch = target.post(f"/v1/transit/sign/{settings.key}",
                         {"batch_input": [{"input": message}] * settings.batch_size})
    result = BenchResult(settings.target, settings.key_type, settings.batch_size, in_process)
    steps = [(mode, level) for mode in settings.modes for level in settings.levels]
    total = len(steps) + (1 if settings.rate else 0)
    for index, (mode, level) in enumerate(steps):
        if settings.progress:
            _progress(index, total, f"{mode} x{level}")
        raw, per = (single, 1) if mode == "single" else (batch, settings.batch_size)
        result.levels.append(await _closed_loop(target, raw, level, settings.duration, per, mode))
    if settings.rate:
        if settings.progress:
            _progress(len(steps), total, f"open loop {settings.rate:g}/s")
        result.levels.append(await _open_loop(target, single, settings.rate, max(settings.duration, 5.0)))
    if settings.progress:
        _progress(total, total, "done")
    return result


def run_bench(settings: BenchSettings) -> BenchResult:
    """Measure the in-process rate, then sweep the daemon (blocking)."""
    in_process = in_process_rate(settings.key_type)
    try:
        import uvloop

        return uvloop.run(_run(settings, in_process))
    except ImportError:  # pragma: no cover
        return asyncio.run(_run(settings, in_process))


def render_chart(result: BenchResult, path: str) -> None:
    """Throughput and latency per concurrency level (PNG; needs matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    for mode, colour in (("single", "tab:blue"), ("batch", "tab:orange")):
        rows = [r for r in result.levels if r.mode == mode]
        if not rows:
            continue
        xs = [r.concurrency for r in rows]
        label = "single (req/s)" if mode == "single" else f"batch of {result.batch_size} (signatures/s)"
        left.plot(xs, [r.signatures_per_s for r in rows], "o-", color=colour, label=label)
        right.plot(xs, [r.p50_ms for r in rows], "o-", color=colour, label=f"{mode} p50")
        right.plot(xs, [r.p99_ms for r in rows], "s--", color=colour, label=f"{mode} p99")
    left.axhline(result.in_process_signs_per_s, color="grey", linestyle=":", label="in-process single thread")
    left.axhline(0.7 * result.in_process_signs_per_s, color="tab:red", linestyle="--", label="0.7x target")
    left.axhline(3000, color="tab:green", linestyle="--", label="3,000 req/s target")
    levels = sorted({r.concurrency for r in result.levels if r.mode != "open-loop"})
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_xticks(levels, [str(level) for level in levels])
        ax.set_xlabel("concurrent connections")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    left.set_yscale("log")
    left.set_ylabel("per second (log)")
    left.set_title(f"Throughput ({result.key_type})")
    right.set_ylabel("latency (ms)")
    right.set_yscale("log")
    right.set_title("Latency")
    fig.suptitle(f"trustkit daemon bench: {result.target}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
