"""The one gateway to the native core.

No other Python module imports ``trustkit._native``; the import-linter contract in
pyproject.toml enforces it.  There is no pure-Python fallback: if the extension
did not build, importing trustkit fails.
"""

from __future__ import annotations

from trustkit._native import _tkcore as core

__all__ = ["backend_name", "core"]


def backend_name() -> str:
    """The field-arithmetic backend chosen at import: ``"adx"`` (MULX/ADCX/ADOX) or ``"portable"``."""
    return core.backend_name()
