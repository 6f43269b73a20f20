"""SM3 on 64 bytes (per-call cost) and 1 MiB (throughput): trustkit vs OpenSSL through pyca and hashlib."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes

from trustkit import sm3

SMALL = b"\x5a" * 64
BIG = b"\xa5" * (1 << 20)


def pyca_sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


# Sub-microsecond calls: many iterations per round so timer overhead does not dominate.
PER_CALL = {"iterations": 2000, "rounds": 100, "warmup_rounds": 5}


@pytest.mark.benchmark(group="sm3-64B")
def test_sm3_64_trustkit(benchmark):  # type: ignore[no-untyped-def]
    benchmark.pedantic(sm3.hash, args=(SMALL,), **PER_CALL)


@pytest.mark.benchmark(group="sm3-64B")
def test_sm3_64_pyca(benchmark):  # type: ignore[no-untyped-def]
    benchmark.pedantic(pyca_sm3, args=(SMALL,), **PER_CALL)


@pytest.mark.benchmark(group="sm3-64B")
def test_sm3_64_hashlib(benchmark):  # type: ignore[no-untyped-def]
    benchmark.pedantic(lambda: hashlib.new("sm3", SMALL).digest(), **PER_CALL)


@pytest.mark.benchmark(group="sm3-1MiB")
def test_sm3_1mib_trustkit(benchmark):  # type: ignore[no-untyped-def]
    benchmark(sm3.hash, BIG)


@pytest.mark.benchmark(group="sm3-1MiB")
def test_sm3_1mib_pyca(benchmark):  # type: ignore[no-untyped-def]
    benchmark(pyca_sm3, BIG)


@pytest.mark.benchmark(group="sm3-1MiB")
def test_sm3_1mib_hashlib(benchmark):  # type: ignore[no-untyped-def]
    benchmark(lambda: hashlib.new("sm3", BIG).digest())
