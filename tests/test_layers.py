"""The import-layers contract (pyproject.toml [tool.importlinter]) holds.

native core -> primitives -> everything else; only primitives._backend imports
the C core; nothing imports the CLI.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_kept() -> None:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    result = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "0 broken" in output
    assert "KEPT" in output and output.count("KEPT") >= 3, output
