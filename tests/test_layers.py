"""The import-layers contracts (pyproject.toml [tool.importlinter]) hold.

native core -> primitives -> everything else -> CLI; only primitives._backend
imports the C core; nothing imports the CLI.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest depends on tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    beside = Path(sys.executable).with_name("lint-imports")
    exe = str(beside) if beside.exists() else shutil.which("lint-imports")
    assert exe, "lint-imports not found: pip install -e '.[test]' installs import-linter"
    # From the repository root, so the packages under test are the working tree's.
    return subprocess.run([exe, "--no-cache", "--no-logo", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_import_contracts_kept() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    names = [contract["name"] for contract in config["contracts"]]
    assert len(names) >= 3
    result = lint_imports()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    flat = " ".join(output.split())  # lint-imports wraps long contract names at 80 columns
    for name in names:
        assert f"{name} KEPT" in flat, f"contract {name!r} not reported as kept:\n{output}"
    assert f"Contracts: {len(names)} kept, 0 broken." in output, output


def test_contract_checking_is_live(tmp_path: Path) -> None:
    """The same root packages, with contracts the real code must break: import-linter
    sees the real import graph, and `a | b` in a layer means independent siblings."""
    config = tmp_path / "probe.toml"
    config.write_text(
        """
[tool.importlinter]
root_packages = ["trustkit", "trustkit_cli"]

[[tool.importlinter.contracts]]
name = "probe: the C core and primitives as independent siblings"
type = "layers"
layers = ["trustkit._native | trustkit.primitives"]

[[tool.importlinter.contracts]]
name = "probe: the C core above primitives"
type = "layers"
layers = ["trustkit._native", "trustkit.primitives"]
""",
        encoding="utf-8",
    )
    result = lint_imports(str(config))
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "probe: the C core and primitives as independent siblings BROKEN" in output, output
    assert "probe: the C core above primitives BROKEN" in output, output
    assert "trustkit.primitives._backend -> trustkit._native" in output, output

