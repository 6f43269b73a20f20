"""Every Python package in the source tree is declared in pyproject.toml, so `pip install .`
(not only an editable install) ships it."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_all_packages_declared() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "trustkit").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    found.add("trustkit_cli")
    assert (ROOT / "cli" / "__init__.py").exists()
    assert found == declared
