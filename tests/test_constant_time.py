"""Everything in the C core that sees a secret is constant time.

tests/ct/ct_sign.c marks the secrets (d, d', the nonce entropy, k, scalars,
SM3/HMAC/KDF inputs) undefined for valgrind memcheck and runs key generation,
signing (hedged and with an explicit nonce), k*G, d*P, SM3, HMAC-SM3 and the KDF.
memcheck then reports any branch or memory address that depends on a secret
(the ctgrind method, reference/sm2-performance.md 6.3 and 7.11).

The check is proven live: the same harness built with -DTK_CT_CANARY plants a
secret-dependent branch and a secret-indexed table lookup, and memcheck must
flag each of them.

valgrind's emulated CPUID hides ADX, so the "adx" run forces the MULX/ADCX/ADOX
backend (valgrind does decode those instructions) on hosts that have them.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NATIVE = ROOT / "trustkit" / "_native"
HARNESS = ROOT / "tests" / "ct" / "ct_sign.c"
# The optimisation flags setup.py builds the extension with (checked below), plus
# debug info so valgrind's report names source lines.
CFLAGS = ["-O2", "-fno-tree-slp-vectorize", "-fno-strict-aliasing"]
CANARIES = ("canary_branch_on_d", "canary_index_by_k", "canary_branch_on_hmac", "canary_branch_on_kG")
VALGRIND_EXIT = 42


def _valgrind() -> str:
    path = shutil.which("valgrind")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("valgrind is required in CI (.ci/run installs it)")
        pytest.skip("valgrind not installed (apt-get install valgrind); CI installs it and runs this check")
    return path


def _compiler() -> str:
    configured = (sysconfig.get_config_var("CC") or "").split()
    for candidate in (os.environ.get("CC", "").split()[:1] + configured[:1] + ["gcc", "cc"]):
        if candidate and shutil.which(candidate):
            return candidate
    pytest.fail("no C compiler found (gcc)")


def _host_has_adx() -> bool:
    if platform.machine() not in ("x86_64", "AMD64"):
        return False
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    match = re.search(r"^flags\s*:(.*)$", cpuinfo, re.M)
    return bool(match) and {"bmi2", "adx", "avx2"} <= set(match.group(1).split())


def _build(out_dir: Path, name: str, *defines: str) -> Path:
    binary = out_dir / name
    cmd = [_compiler(), *CFLAGS, "-g", "-DTK_CT_VALGRIND", *defines, f"-I{NATIVE}",
           str(HARNESS), str(NATIVE / "sm3.c"), "-o", str(binary)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{' '.join(cmd)}\n{result.stdout}{result.stderr}"
    return binary


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    _valgrind()
    out_dir = tmp_path_factory.mktemp("ct")
    return {"clean": _build(out_dir, "ct_sign"), "canary": _build(out_dir, "ct_canary", "-DTK_CT_CANARY")}


def _memcheck(binary: Path, mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_valgrind(), f"--error-exitcode={VALGRIND_EXIT}", "--track-origins=yes", "-q", str(binary), mode],
        capture_output=True, text=True, timeout=600,
    )


def test_harness_uses_the_extension_flags() -> None:
    setup_py = (ROOT / "setup.py").read_text(encoding="utf-8")
    for flag in CFLAGS:
        assert f'"{flag}"' in setup_py, f"{flag} is no longer in setup.py: update CFLAGS here"


@pytest.mark.parametrize("mode", ["auto", "portable", "adx"])
def test_secret_paths_are_constant_time(harness: dict[str, Path], mode: str) -> None:
    if mode == "adx" and not _host_has_adx():
        pytest.skip("this CPU has no BMI2/ADX/AVX2, so the adx backend is never selected here")
    result = _memcheck(harness["clean"], mode)
    report = f"valgrind exit {result.returncode}\n{result.stdout}\n{result.stderr[-20000:]}"
    assert result.returncode == 0, report
    assert "uninitialised" not in result.stderr, report
    assert "checks_failed=0" in result.stdout, report
    if mode != "auto":
        assert f"backend={mode} " in result.stdout, report


def test_check_detects_planted_leaks(harness: dict[str, Path]) -> None:
    result = _memcheck(harness["canary"], "portable")
    report = f"valgrind exit {result.returncode}\n{result.stdout}\n{result.stderr[-20000:]}"
    assert result.returncode == VALGRIND_EXIT, report
    assert "Conditional jump or move depends on uninitialised value" in result.stderr, report
    assert "Use of uninitialised value of size" in result.stderr, report
    for canary in CANARIES:
        assert canary in result.stderr, f"{canary} was not flagged\n{report}"
    # Only the planted leaks are flagged: the core itself stays clean.
    flagged = re.findall(r"(?:depends on uninitialised value\(s\)|Use of uninitialised value of size \d+)\n"
                         r"==\d+==\s+at 0x[0-9A-Fa-f]+: (\w+)", result.stderr)
    assert set(flagged) == set(CANARIES), report
