"""SM2 sign/verify: trustkit next to pyca P-256 (the hardware reference), tongsuopy and gmssl.

Each group holds one operation, so ``--benchmark-group-by=group`` (the default) prints the
implementations side by side; ``report.py`` turns the JSON into ratios and target checks.
"""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from pytest_benchmark.fixture import BenchmarkFixture

from trustkit import sm2

# ---- sign ---------------------------------------------------------------------------------------


@pytest.mark.benchmark(group="sign")
def test_sign_trustkit_sm2(benchmark: BenchmarkFixture, tk_key: sm2.PrivateKey, message: bytes) -> None:
    benchmark(tk_key.sign, message)


@pytest.mark.benchmark(group="sign")
def test_sign_pyca_p256(benchmark: BenchmarkFixture, p256_key: ec.EllipticCurvePrivateKey, message: bytes,
                        ecdsa_sha256: ec.ECDSA) -> None:
    benchmark(p256_key.sign, message, ecdsa_sha256)


@pytest.mark.benchmark(group="sign")
def test_sign_tongsuopy_sm2(benchmark: BenchmarkFixture, tongsuopy_key: Any, message: bytes,
                            sm2_with_sm3: Any) -> None:
    benchmark(tongsuopy_key.sign, message, sm2_with_sm3)


@pytest.mark.benchmark(group="sign")
def test_sign_gmssl_sm2(benchmark: BenchmarkFixture, gmssl_peer: Any, message: bytes,
                        gmssl_rounds: dict[str, int]) -> None:
    benchmark.pedantic(gmssl_peer.sign_with_sm3, args=(message,), **gmssl_rounds)


# ---- verify ---------------------------------------------------------------------------------------


@pytest.mark.benchmark(group="verify")
@pytest.mark.usefixtures("cold_verify")
def test_verify_trustkit_sm2(benchmark: BenchmarkFixture, tk_key: sm2.PrivateKey, message: bytes) -> None:
    """A cold key: no per-key table (the verify cache is off during this test)."""
    public = tk_key.public_key()
    signature = tk_key.sign(message)
    benchmark(public.verify, signature, message)


@pytest.mark.benchmark(group="verify")
def test_verify_trustkit_sm2_prepared(benchmark: BenchmarkFixture, tk_key: sm2.PrivateKey, message: bytes) -> None:
    """A prepared key: ``precompute()`` built its table first."""
    if sm2.verify_cache_size() == 0:
        pytest.skip("the verify-table cache is disabled")
    public = tk_key.public_key()
    public.precompute()
    benchmark(public.verify, tk_key.sign(message), message)


@pytest.mark.benchmark(group="verify")
def test_verify_pyca_p256(benchmark: BenchmarkFixture, p256_key: ec.EllipticCurvePrivateKey, message: bytes,
                          ecdsa_sha256: ec.ECDSA) -> None:
    signature = p256_key.sign(message, ecdsa_sha256)
    benchmark(p256_key.public_key().verify, signature, message, ecdsa_sha256)


@pytest.mark.benchmark(group="verify")
def test_verify_tongsuopy_sm2(benchmark: BenchmarkFixture, tongsuopy_key: Any, message: bytes,
                              sm2_with_sm3: Any) -> None:
    signature = tongsuopy_key.sign(message, sm2_with_sm3)
    benchmark(tongsuopy_key.public_key().verify, signature, message, sm2_with_sm3)


@pytest.mark.benchmark(group="verify")
def test_verify_gmssl_sm2(benchmark: BenchmarkFixture, gmssl_peer: Any, message: bytes,
                          gmssl_rounds: dict[str, int]) -> None:
    signature = gmssl_peer.sign_with_sm3(message)
    assert gmssl_peer.verify_with_sm3(signature, message)
    benchmark.pedantic(gmssl_peer.verify_with_sm3, args=(signature, message), **gmssl_rounds)


# ---- batches: 1 thread against 2 ------------------------------------------------------------------

BATCH = 1000


@pytest.mark.benchmark(group="sign_many")
@pytest.mark.parametrize("threads", [1, 2])
def test_sign_many_threads(benchmark: BenchmarkFixture, tk_key: sm2.PrivateKey, message: bytes,
                           threads: int) -> None:
    messages = [message] * BATCH
    benchmark.extra_info["items"] = BATCH  # report.py divides by this: signatures per second
    benchmark(sm2.sign_many, tk_key, messages, threads=threads)


@pytest.mark.benchmark(group="verify_many")
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.usefixtures("cold_verify")
def test_verify_many_threads(benchmark: BenchmarkFixture, tk_key: sm2.PrivateKey, message: bytes,
                             threads: int) -> None:
    public = tk_key.public_key()
    items = [(public, s, message) for s in sm2.sign_many(tk_key, [message] * BATCH)]
    benchmark.extra_info["items"] = BATCH
    results = benchmark(sm2.verify_many, items, threads=threads)
    assert all(results)
