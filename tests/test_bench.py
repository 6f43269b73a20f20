"""trustkit.bench and benchmarks/report.py work end to end.  Structure only: no timing assertions."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import trustkit.bench as bench
from trustkit.bench import BenchReport, BenchRow, plot_report, run_primitive_benchmarks
from trustkit.errors import ConfigurationError

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "benchmarks" / "report.py"


@pytest.fixture(scope="module")
def report() -> BenchReport:
    steps: list[str] = []
    with pytest.MonkeyPatch.context() as patch:  # shorter runs still exercise every path
        patch.setitem(bench._SECONDS, True, 0.02)
        patch.setitem(bench._GMSSL_SECONDS, True, 0.01)
        result = run_primitive_benchmarks(quick=True, progress=steps.append)
    assert len(steps) >= 5 and all(isinstance(step, str) and step for step in steps)
    return result


def test_report_rows(report: BenchReport) -> None:
    rows = {row.name: row for row in report.rows}
    for name in ("SM2 sign", "SM2 verify", "SM2 verify, prepared key", "SM2 sign vs tongsuopy",
                 "SM2 verify vs tongsuopy", "SM2 sign vs gmssl", "SM3 64 B, per call", "SM3 1 MiB"):
        assert name in rows, name
    assert any(name.startswith("sign_many, 2 threads") for name in rows)
    assert any(name.startswith("verify_many, 2 threads") for name in rows)
    for row in report.rows:
        assert row.value > 0 and row.unit in ("ops/s", "MB/s", "us")
        if row.peer_value is not None:
            assert row.peer_value > 0 and row.ratio is not None and row.ratio > 0
        assert row.met is None or row.target  # only a row with a target is judged
    assert rows["SM2 sign"].peer == "pyca P-256 sign" and rows["SM2 sign"].target == ">= 1.2x"
    assert rows["SM3 64 B, per call"].unit == "us" and rows["SM3 1 MiB"].unit == "MB/s"
    with pytest.raises(AttributeError):
        report.rows[0].value = 1.0  # type: ignore[misc]  # frozen


def test_report_machine_table_and_json(report: BenchReport) -> None:
    assert {"cpu", "cores", "python", "trustkit_backend", "peers"} <= set(report.machine)
    assert int(report.machine["cores"]) >= 1
    data = json.loads(report.to_json())
    assert data["machine"] == report.machine
    assert [row["name"] for row in data["rows"]] == [row.name for row in report.rows]
    assert set(data["rows"][0]) == {"name", "value", "unit", "peer", "peer_value", "ratio", "target", "met", "note"}
    met, judged = report.targets
    assert data["targets"] == {"met": met, "judged": judged} and 0 <= met <= judged
    table = report.table()
    lines = table.splitlines()
    for row in report.rows:
        assert any(line.startswith(row.name) for line in lines), row.name
    assert f"targets met: {met} of {judged}" in table
    header = next(line for line in lines if line.startswith("measurement"))
    ratio_end = header.index("ratio") + len("ratio")
    for row in report.rows:  # the ratio column is aligned
        line = next(line for line in lines if line.startswith(row.name))
        assert line[:ratio_end].endswith("x") or line[:ratio_end].endswith("-")
    table.encode("ascii")


def test_plot_writes_a_png(report: BenchReport, tmp_path: Path) -> None:
    target = tmp_path / "bench.png"
    plot_report(report, target)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and target.stat().st_size > 5000
    import matplotlib.image

    image = matplotlib.image.imread(str(target))
    assert image.shape[0] > 100 and image.shape[1] > 100
    empty = BenchReport((BenchRow("SM2 sign", 1.0, "ops/s"),), {})
    plot_report(empty, tmp_path / "empty.png")  # no ratios at all still gives a chart
    assert matplotlib.image.imread(str(tmp_path / "empty.png")).size > 0


def test_plot_without_matplotlib(report: BenchReport, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes "import matplotlib..." raise ImportError
    with pytest.raises(ConfigurationError, match=r"pip install 'trustkit\[plot\]'"):
        plot_report(report, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_optional_peers_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """tongsuopy and gmssl are test extras: without them the rows say so and are not judged."""
    for name in [m for m in sys.modules if m.split(".")[0] in ("tongsuopy", "gmssl")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tongsuopy", None)
    monkeypatch.setitem(sys.modules, "gmssl", None)
    monkeypatch.setitem(bench._SECONDS, True, 0.005)  # structure only
    monkeypatch.setitem(bench._BATCH, True, 64)
    from trustkit import sm2

    size = sm2.verify_cache_size()
    result = run_primitive_benchmarks(quick=True)
    assert sm2.verify_cache_size() == size  # restored
    rows = {row.name: row for row in result.rows}
    for name in ("SM2 sign vs tongsuopy", "SM2 verify vs tongsuopy", "SM2 sign vs gmssl", "SM2 verify vs gmssl"):
        peer = rows[name].peer
        assert peer is not None and "not installed" in peer
        assert rows[name].ratio is None and rows[name].met is None
    assert "not installed" in result.table()
    assert rows["SM2 sign"].met is not None  # pyca is always there


def test_machine_without_backend_name(monkeypatch: pytest.MonkeyPatch) -> None:
    import trustkit.primitives

    monkeypatch.delattr(trustkit.primitives, "backend_name")
    assert bench._machine(0.1)["trustkit_backend"] == "unknown"


# ---- benchmarks/report.py ------------------------------------------------------------------------


def _load_report_module() -> ModuleType:
    """benchmarks/ is no package: load report.py by path (registered, as dataclasses need)."""
    name = "_trustkit_benchmarks_report"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPORT)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _bench(name: str, median: float, **extra: Any) -> dict[str, Any]:
    stats = {"min": median * 0.9, "max": median * 1.5, "mean": median * 1.1, "median": median, "rounds": 10}
    return {"group": None, "name": name, "fullname": f"benchmarks/x.py::{name}", "params": None,
            "extra_info": extra, "stats": stats}


def _synthetic(*, sign_us: float = 16.0, cores: int = 2, tongsuopy: bool = True) -> dict[str, Any]:
    benches = [
        _bench("test_sign_trustkit_sm2", sign_us * 1e-6),
        _bench("test_sign_pyca_p256", 22e-6),
        _bench("test_verify_trustkit_sm2", 70e-6),
        _bench("test_verify_trustkit_sm2_prepared", 19e-6),
        _bench("test_verify_pyca_p256", 70e-6),
        _bench("test_sign_gmssl_sm2", 6e-3),
        _bench("test_sign_many_threads[1]", 20e-3, items=1000),
        _bench("test_sign_many_threads[2]", 10e-3, items=1000),
        _bench("test_verify_many_threads[1]", 70e-3, items=1000),
        _bench("test_verify_many_threads[2]", 36e-3, items=1000),
        _bench("test_sm3_64_trustkit", 400e-6, items=1000),
        _bench("test_sm3_64_pyca", 1800e-6, items=1000),
        _bench("test_sm3_1mib_trustkit", 3.0e-3, bytes=1 << 20),
        _bench("test_sm3_1mib_pyca", 3.1e-3, bytes=1 << 20),
        _bench("test_validate_sm2_warm", 20e-6),
        _bench("test_validate_sm2_warm_new_leaf", 56e-6),
        _bench("test_validate_p256_warm_trustkit", 16e-6),
        _bench("test_validate_p256_pyca", 257e-6),
        _bench("test_stamp_licence", 800e-6),
        _bench("test_verify_licence_warm_context", 900e-6),
        _bench("test_stamp_sm2[cms-sm2]", 2.5e-3),
        _bench("test_stamp_pyhanko_es256_reference", 26e-3),
        _bench("test_verify_sm2", 2.1e-3),
        _bench("test_verify_pyhanko_es256_reference", 7.1e-3),
        _bench("test_qr_verify_sm2", 78e-6),
        _bench("test_token_issue_sm2", 44e-6),
        _bench("test_token_issue_pyjwt_es256", 87e-6),
        _bench("test_token_verify_sm2_cached", 55e-6),
        _bench("test_token_verify_pyjwt_es256", 234e-6),
    ]
    if tongsuopy:
        benches += [_bench("test_sign_tongsuopy_sm2", 320e-6), _bench("test_verify_tongsuopy_sm2", 1000e-6)]
    machine = {"python_version": "3.11.7", "cpu": {"brand_raw": "Test CPU", "count": cores},
               "usable_cores": cores, "trustkit_backend": "adx"}
    return {"machine_info": machine, "benchmarks": benches, "version": "5.2.3"}


def _run_report(tmp_path: Path, data: dict[str, Any], *args: str,
                capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    code = _load_report_module().main([str(path), *args])
    return code, capsys.readouterr().out


def _line(out: str, label: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(label))


def test_report_script_all_met(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run_report(tmp_path, _synthetic(), "--strict", capsys=capsys)
    assert code == 0, out
    assert "Test CPU (2 usable cores)" in out and "core=adx" in out
    assert "1.38x" in _line(out, "SM2 sign vs pyca P-256 sign") and "ok" in _line(out, "SM2 sign vs pyca")
    assert "20.00x" in _line(out, "SM2 sign vs tongsuopy")
    assert "2.00x" in _line(out, "sign_many, 2 threads vs 1")
    assert "0.400 us" in _line(out, "SM3 64 B vs pyca") and "4.50x" in _line(out, "SM3 64 B vs pyca")
    assert "349.5 MB/s" in _line(out, "SM3 1 MiB vs pyca")
    assert "not measured" in _line(out, "SM2 verify vs gmssl")  # absent peer: shown, not judged
    assert "ok" in _line(out, "SM3 64 B per call")
    assert "all measured targets met" in out


def test_report_script_missed_targets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _synthetic(sign_us=30.0, tongsuopy=False)  # sign slower than P-256; tongsuopy not installed
    code, out = _run_report(tmp_path, data, capsys=capsys)
    assert code == 0  # without --strict the report never fails
    assert "MISSED" in _line(out, "SM2 sign vs pyca P-256 sign")
    assert "not measured" in _line(out, "SM2 sign vs tongsuopy") and "MISSED" not in _line(out, "SM2 sign vs tong")
    assert "targets missed: 1" in out
    code, _ = _run_report(tmp_path, data, "--strict", capsys=capsys)
    assert code == 1
    code, out = _run_report(tmp_path, data, "--strict", "--stat", "min", capsys=capsys)
    assert code == 1


def test_report_script_one_core_and_missing_trustkit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _synthetic(cores=1)
    data["benchmarks"] = [b for b in data["benchmarks"] if b["name"] != "test_sm3_64_trustkit"]
    code, out = _run_report(tmp_path, data, "--strict", capsys=capsys)
    assert "not judged" in _line(out, "sign_many, 2 threads vs 1")
    assert "MISSING" in _line(out, "SM3 64 B per call")
    assert code == 1  # a target's own trustkit benchmark is absent


def test_report_script_cli(tmp_path: Path) -> None:
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(_synthetic(sign_us=30.0)), encoding="utf-8")
    strict = subprocess.run([sys.executable, str(REPORT), str(path), "--strict"], capture_output=True, text=True,
                            timeout=60)
    assert strict.returncode == 1 and "MISSED" in strict.stdout
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    bad = subprocess.run([sys.executable, str(REPORT), str(tmp_path / "bad.json")], capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode == 2 and "cannot read" in bad.stderr
