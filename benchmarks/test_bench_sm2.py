"""SM2 sign/verify: trustkit against pyca P-256 (hardware reference), tongsuopy and gmssl, same run.

Groups put the peers side by side: `--benchmark-group-by=group`.
"""

from __future__ import annotations

import pytest
from conftest import ECDSA_SHA256, SM2_SM3

from trustkit import sm2


@pytest.mark.benchmark(group="sign")
def test_sign_trustkit_sm2(benchmark, tk_key, message):  # type: ignore[no-untyped-def]
    benchmark(tk_key.sign, message)


@pytest.mark.benchmark(group="sign")
def test_sign_pyca_p256(benchmark, p256_key, message):  # type: ignore[no-untyped-def]
    benchmark(p256_key.sign, message, ECDSA_SHA256)


@pytest.mark.benchmark(group="sign")
def test_sign_tongsuopy_sm2(benchmark, tongsuo_key, message):  # type: ignore[no-untyped-def]
    benchmark(tongsuo_key.sign, message, SM2_SM3)


@pytest.mark.benchmark(group="sign", min_rounds=5, max_time=0.5)
def test_sign_gmssl_sm2(benchmark, gmssl_peer, message):  # type: ignore[no-untyped-def]
    benchmark(gmssl_peer.sign_with_sm3, message)


@pytest.mark.benchmark(group="verify")
def test_verify_trustkit_sm2(benchmark, tk_key, message):  # type: ignore[no-untyped-def]
    signature = tk_key.sign(message)
    previous = sm2.verify_cache_size()
    sm2.set_verify_cache_size(0)
    try:
        benchmark(tk_key.public_key().verify, signature, message)
    finally:
        sm2.set_verify_cache_size(previous)


@pytest.mark.benchmark(group="verify")
def test_verify_trustkit_sm2_prepared(benchmark, tk_key, message):  # type: ignore[no-untyped-def]
    signature = tk_key.sign(message)
    public = tk_key.public_key()
    public.precompute()
    benchmark(public.verify, signature, message)


@pytest.mark.benchmark(group="verify")
def test_verify_pyca_p256(benchmark, p256_key, message):  # type: ignore[no-untyped-def]
    signature = p256_key.sign(message, ECDSA_SHA256)
    benchmark(p256_key.public_key().verify, signature, message, ECDSA_SHA256)


@pytest.mark.benchmark(group="verify")
def test_verify_tongsuopy_sm2(benchmark, tongsuo_key, message):  # type: ignore[no-untyped-def]
    signature = tongsuo_key.sign(message, SM2_SM3)
    benchmark(tongsuo_key.public_key().verify, signature, message, SM2_SM3)


@pytest.mark.benchmark(group="verify", min_rounds=5, max_time=0.5)
def test_verify_gmssl_sm2(benchmark, gmssl_peer, message):  # type: ignore[no-untyped-def]
    signature = gmssl_peer.sign_with_sm3(message)
    benchmark(gmssl_peer.verify_with_sm3, signature, message)


BATCH = 2000


@pytest.mark.benchmark(group="sign_many")
@pytest.mark.parametrize("threads", [1, 2])
def test_sign_many_threads(benchmark, tk_key, message, threads):  # type: ignore[no-untyped-def]
    messages = [message] * BATCH
    benchmark.extra_info["items"] = BATCH
    benchmark(sm2.sign_many, tk_key, messages, threads=threads)


@pytest.mark.benchmark(group="verify_many")
@pytest.mark.parametrize("threads", [1, 2])
def test_verify_many_threads(benchmark, tk_key, message, threads):  # type: ignore[no-untyped-def]
    items = [(tk_key.public_key(), s, message) for s in sm2.sign_many(tk_key, [message] * BATCH)]
    benchmark.extra_info["items"] = BATCH
    previous = sm2.verify_cache_size()
    sm2.set_verify_cache_size(0)
    try:
        benchmark(sm2.verify_many, items, threads=threads)
    finally:
        sm2.set_verify_cache_size(previous)
