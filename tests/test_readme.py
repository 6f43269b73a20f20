"""The README's first screen carries the two commands, and CI runs exactly its test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CI_RUN = ROOT / ".ci" / "run"
TEST_CMD = 'python -m pip install -e ".[test]" && python -m pytest'
DEMO_CMD = "python -m pip install . && trustkit demo"


def ci_test_cmd() -> str:
    match = re.search(r"^TEST_CMD='([^']+)'$", CI_RUN.read_text(encoding="utf-8"), re.M)
    assert match, "TEST_CMD='...' not found in .ci/run"
    return match.group(1)


def readme_code_lines(first_lines: int = 30) -> set[str]:
    """Lines inside fenced code blocks within the first screen of README.md."""
    readme = ROOT / "README.md"
    assert readme.exists(), "README.md is missing"
    lines, inside = set(), False
    for line in readme.read_text(encoding="utf-8").splitlines()[:first_lines]:
        if line.lstrip().startswith("```"):
            inside = not inside
        elif inside:
            lines.add(line.strip())
    return lines


def test_ci_runs_the_test_command() -> None:
    assert ci_test_cmd() == TEST_CMD
    assert re.search(r'^\s*eval "\$TEST_CMD"', CI_RUN.read_text(encoding="utf-8"), re.M), \
        ".ci/run must eval \"$TEST_CMD\""


def test_readme_shows_the_ci_test_command() -> None:
    assert ci_test_cmd() in readme_code_lines(), "README's test command differs from .ci/run's TEST_CMD"


def test_readme_shows_the_demo_command() -> None:
    assert DEMO_CMD in readme_code_lines()
