"""The signing path is constant time: valgrind memcheck sees no secret-dependent
branch or memory index (ctgrind method), and the same check fails on a canary
that leaks on purpose.

Under valgrind the CPU reports no ADX, so this covers the portable field
backend; the MULX/ADX backend differs only in branch-free straight-line asm
(mulx/adc/sbb/cmov) for the multiply, reduction and add/sub.
"""

from __future__ import annotations

import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NATIVE = ROOT / "trustkit" / "_native"
HARNESS = ROOT / "tests" / "ct" / "ct_sign.c"
# The same flags setup.py uses for the extension.
CFLAGS = ["-O2", "-fno-tree-slp-vectorize", "-fno-strict-aliasing", "-g"]

pytestmark = pytest.mark.skipif(
    shutil.which("valgrind") is None or not Path("/usr/include/valgrind/memcheck.h").exists(),
    reason="valgrind (and its headers) not installed; CI installs it",
)


def build(tmp_path: Path, *defines: str) -> Path:
    cc = sysconfig.get_config_var("CC") or "gcc"
    binary = tmp_path / ("ct_canary" if defines else "ct_sign")
    cmd = [*cc.split()[:1], *CFLAGS, "-DTK_CT_VALGRIND", *defines, f"-I{NATIVE}", str(HARNESS),
           str(NATIVE / "sm2_core.c"), str(NATIVE / "sm3.c"), "-o", str(binary)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    return binary


def memcheck(binary: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["valgrind", "--error-exitcode=42", "--track-origins=yes", "-q", str(binary)],
        capture_output=True, text=True, timeout=900,
    )


def test_signing_path_is_constant_time(tmp_path: Path) -> None:
    result = memcheck(build(tmp_path))
    assert result.returncode == 0, result.stderr[-5000:]
    assert "backend=portable" in result.stdout
    assert "uninitialised" not in result.stderr


def test_check_detects_a_leak(tmp_path: Path) -> None:
    result = memcheck(build(tmp_path, "-DTK_CT_CANARY"))
    assert result.returncode == 42, result.stdout + result.stderr[-3000:]
    assert "Conditional jump or move depends on uninitialised value" in result.stderr
    assert "Use of uninitialised value" in result.stderr


