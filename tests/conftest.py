"""Shared test configuration: hypothesis profiles and the OpenSSL CLI peer."""

from __future__ import annotations

import os
import shutil
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
    return path
