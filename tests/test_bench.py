"""trustkit.bench produces a complete report, JSON and a real PNG chart (no timing assertions)."""

from __future__ import annotations

import json
from pathlib import Path

from trustkit.bench import plot_report, run_primitive_benchmarks


def test_bench_report_and_plot(tmp_path: Path) -> None:
    steps: list[str] = []
    report = run_primitive_benchmarks(quick=True, progress=steps.append)
    assert steps and report.rows
    names = {row.name for row in report.rows}
    assert {"SM2 sign", "SM2 verify", "SM2 verify (prepared key)", "SM3 64 B", "SM3 1 MiB"} <= names
    assert all(row.value > 0 for row in report.rows)
    data = json.loads(report.to_json())
    assert data["machine"]["trustkit_backend"] in ("adx", "portable")
    assert "SM2 sign" in report.table()
    target = tmp_path / "bench.png"
    plot_report(report, target)
    header = target.read_bytes()[:8]
    assert header == b"\x89PNG\r\n\x1a\n" and target.stat().st_size > 5000

    import matplotlib.image

    image = matplotlib.image.imread(str(target))
    assert image.shape[0] > 100 and image.shape[1] > 100
