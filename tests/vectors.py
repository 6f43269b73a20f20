"""Find and load test vectors from vectors/ (tests never hard-code their paths).

The text format is cryptography's NIST style: ``COUNT = n`` starts a case, then
``Key = Value`` lines (values are hex unless a file says otherwise); ``#`` lines are
comments and ``[section]`` lines are ignored.  The loader is strict, so a damaged
vector file fails loudly instead of silently losing cases.
"""

from __future__ import annotations

from pathlib import Path

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def vector_path(*parts: str) -> Path:
    """The path of a file under vectors/; FileNotFoundError if it does not exist."""
    path = VECTORS.joinpath(*parts)
    if not path.is_file():
        raise FileNotFoundError(f"missing test vector {path}")
    return path


def load_vectors(path: Path) -> list[dict[str, str]]:
    """Parse ``COUNT``-separated ``Key = Value`` blocks into one dict per case.

    :raises ValueError: a line that is not ``Key = Value``, a key before the first
        ``COUNT``, a repeated key within a case, or COUNT values out of sequence.
    """
    cases: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#") or (line.startswith("[") and line.endswith("]")):
            continue
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise ValueError(f"{path}:{number}: expected 'Key = Value', got {raw!r}")
        if key == "COUNT":
            if value != str(len(cases)):
                raise ValueError(f"{path}:{number}: COUNT = {value} out of sequence (expected {len(cases)})")
            current = {}
            cases.append(current)
        elif current is None:
            raise ValueError(f"{path}:{number}: {key} before the first COUNT")
        elif key in current:
            raise ValueError(f"{path}:{number}: {key} repeated within COUNT = {len(cases) - 1}")
        else:
            current[key] = value
    return cases
