"""Find and load test vectors from vectors/ (never hard-code their paths in tests)."""

from __future__ import annotations

from pathlib import Path

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def vector_path(*parts: str) -> Path:
    path = VECTORS.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"missing test vector {path}")
    return path


def load_vectors(path: Path) -> list[dict[str, str]]:
    """NIST-style ``COUNT = n`` blocks of ``Key = Value`` lines; '#' lines are comments."""
    cases: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if key == "COUNT":
            current = {}
            cases.append(current)
        elif current is not None:
            current[key] = value
    return cases
