"""Shared test configuration: import paths, hypothesis profiles and the OpenSSL CLI peer.

Hypothesis profiles (select with HYPOTHESIS_PROFILE, default "dev"):
  dev  - 60 examples per property, random seeds;
  ci   - 150 examples, derandomized so CI runs are reproducible (.ci/run sets it).
No profile has a deadline: the properties call a C core whose first call builds tables.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/vectors.py, tests/reference/

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def openssl() -> str:
    """Path of the OpenSSL 3 command line (a hard requirement: CI installs it)."""
    path = shutil.which("openssl")
    assert path, "the openssl command line is required for interop tests (apt-get install openssl)"
    version = subprocess.run([path, "version"], capture_output=True, text=True, timeout=30).stdout
    assert version.startswith("OpenSSL 3."), f"the interop tests need OpenSSL 3.x with SM2, found {version!r}"
    return path
