"""SM3 on 64 bytes (cost per call) and 1 MiB (throughput): trustkit next to OpenSSL's SM3
through pyca ``cryptography`` and through ``hashlib``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import hashes
from pytest_benchmark.fixture import BenchmarkFixture

from trustkit import sm3

SMALL = b"\x5a" * 64
BIG = b"\xa5" * (1 << 20)

#: Sub-microsecond calls are timed as a loop of CALLS plain calls per round: pytest-benchmark's
#: own runner calls ``f(*args, **kwargs)``, which adds ~0.2 us, as much as half of trustkit's call.
CALLS = 1000


def _calls(func: Callable[[bytes], bytes], data: bytes) -> Callable[[], None]:
    def run() -> None:
        for _ in range(CALLS):
            func(data)

    return run

def pyca_sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def hashlib_sm3(data: bytes) -> bytes:
    return hashlib.new("sm3", data).digest()


def _require(func: Callable[[bytes], bytes]) -> None:
    try:
        func(b"")
    except Exception as exc:  # an OpenSSL without SM3 (FIPS builds, for example)
        pytest.skip(f"no SM3 here: {exc}")


@pytest.mark.benchmark(group="sm3-64B")
def test_sm3_64_trustkit(benchmark: BenchmarkFixture) -> None:
    benchmark.extra_info["items"] = CALLS  # report.py shows microseconds per call
    benchmark(_calls(sm3.hash, SMALL))


@pytest.mark.benchmark(group="sm3-64B")
def test_sm3_64_pyca(benchmark: BenchmarkFixture) -> None:
    _require(pyca_sm3)
    benchmark.extra_info["items"] = CALLS  # report.py shows microseconds per call
    benchmark(_calls(pyca_sm3, SMALL))


@pytest.mark.benchmark(group="sm3-64B")
def test_sm3_64_hashlib(benchmark: BenchmarkFixture) -> None:
    _require(hashlib_sm3)
    benchmark.extra_info["items"] = CALLS  # report.py shows microseconds per call
    benchmark(_calls(hashlib_sm3, SMALL))


@pytest.mark.benchmark(group="sm3-1MiB")
def test_sm3_1mib_trustkit(benchmark: BenchmarkFixture) -> None:
    benchmark.extra_info["bytes"] = len(BIG)  # report.py shows MB/s
    benchmark(sm3.hash, BIG)


@pytest.mark.benchmark(group="sm3-1MiB")
def test_sm3_1mib_pyca(benchmark: BenchmarkFixture) -> None:
    _require(pyca_sm3)
    benchmark.extra_info["bytes"] = len(BIG)
    benchmark(pyca_sm3, BIG)


@pytest.mark.benchmark(group="sm3-1MiB")
def test_sm3_1mib_hashlib(benchmark: BenchmarkFixture) -> None:
    _require(hashlib_sm3)
    benchmark.extra_info["bytes"] = len(BIG)
    benchmark(hashlib_sm3, BIG)
