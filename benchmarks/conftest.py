"""Shared fixtures for the benchmark suites: one key per library, made once per session.

tongsuopy and gmssl are test extras; when one is missing its benchmarks are skipped
(and ``report.py`` prints "not measured" for the comparisons that need it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from trustkit import sm2

MESSAGE = b"trustkit benchmark message: licence 3301XX-2026-000123"


def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict[str, Any]) -> None:
    """Record what report.py needs to judge the thread-scaling targets, and the trustkit core."""
    try:
        machine_info["usable_cores"] = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        machine_info["usable_cores"] = os.cpu_count() or 1
    from trustkit import primitives

    backend = getattr(primitives, "backend_name", None)
    machine_info["trustkit_backend"] = backend() if callable(backend) else "unknown"


@pytest.fixture(scope="session")
def message() -> bytes:
    return MESSAGE


@pytest.fixture(scope="session")
def tk_key() -> sm2.PrivateKey:
    return sm2.generate_private_key()


@pytest.fixture
def cold_verify() -> Iterator[None]:
    """No per-key verify tables while the test runs (a key otherwise gets one after a few uses)."""
    previous = sm2.verify_cache_size()
    sm2.set_verify_cache_size(0)
    try:
        yield
    finally:
        sm2.set_verify_cache_size(previous)


@pytest.fixture(scope="session")
def p256_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="session")
def ecdsa_sha256() -> ec.ECDSA:
    return ec.ECDSA(hashes.SHA256())


@pytest.fixture(scope="session")
def tongsuopy_ec() -> Any:
    """tongsuopy's ``ec`` module, or skip."""
    module = pytest.importorskip("tongsuopy.crypto.asymciphers.ec", reason="tongsuopy is not installed")
    return module


@pytest.fixture(scope="session")
def tongsuopy_key(tongsuopy_ec: Any) -> Any:
    return tongsuopy_ec.generate_private_key(tongsuopy_ec.SM2())


@pytest.fixture(scope="session")
def sm2_with_sm3(tongsuopy_ec: Any) -> Any:
    """tongsuopy's signature algorithm for SM2: SM3 with the default signer ID."""
    t_hashes = pytest.importorskip("tongsuopy.crypto.hashes")
    return tongsuopy_ec.ECDSA(t_hashes.SM3())


@pytest.fixture(scope="session")
def gmssl_peer(tk_key: sm2.PrivateKey) -> Any:
    """gmssl's ``CryptSM2`` holding the same key as ``tk_key``, or skip."""
    gmssl_sm2 = pytest.importorskip("gmssl.sm2", reason="gmssl is not installed")
    return gmssl_sm2.CryptSM2(
        private_key=tk_key.private_bytes("raw").hex(),
        public_key=tk_key.public_key().public_bytes("raw")[1:].hex(),
    )


#: gmssl is pure Python (about 100-200 ops/s): a few fixed rounds instead of pytest-benchmark's calibration.
GMSSL_ROUNDS: dict[str, int] = {"rounds": 5, "iterations": 1, "warmup_rounds": 1}


@pytest.fixture(scope="session")
def gmssl_rounds() -> dict[str, int]:
    return GMSSL_ROUNDS
