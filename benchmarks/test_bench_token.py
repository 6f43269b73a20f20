"""SSO tokens: trustkit SM2 JWTs against PyJWT ES256 in the same run (issue 7 performance targets).

Groups (``--benchmark-group-by=group``):

- ``token-issue``: sign an access token (8 claims) — trustkit ``issue`` with SM2 (target >= 1.2x
  PyJWT ES256), trustkit ES256 (through PyJWT's algorithm object), and ``jwt.encode`` ES256.
- ``token-verify``: verify it, claims included (exp, iss, aud) — trustkit SM2 through a long-lived
  KeySet (``cached``: the parsed JWK and the key's verification table are kept; target >= PyJWT
  ES256), trustkit SM2 ``cold`` (a KeySet rebuilt from the JWKS document each call: JWK parse plus
  a table-less verification), trustkit ES256, and ``jwt.decode`` ES256 with a loaded key.
"""

from __future__ import annotations

import itertools
from typing import Any

import jwt as pyjwt
import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from trustkit.token import KeySet, SigningJWK, issue, verify

NOW = 1_700_000_000  # PyJWT reads the wall clock; claims stay valid until EXP
EXP = 4_000_000_000
ISS = "https://id.example.cn"


def _claims(n: int) -> dict[str, Any]:
    return {"iss": ISS, "sub": f"user-{n}", "aud": "portal", "iat": NOW, "exp": EXP, "jti": f"jti-{n:012d}",
            "scope": "openid profile", "client_id": "portal-a"}


@pytest.fixture(scope="module")
def keys() -> KeySet:
    keyset = KeySet()
    keyset.rotate(SigningJWK.generate("SM2"))
    keyset.rotate(SigningJWK.generate("ES256"))
    return keyset


# ---- issue ------------------------------------------------------------------------------------


@pytest.mark.benchmark(group="token-issue")
def test_token_issue_sm2(benchmark: BenchmarkFixture, keys: KeySet) -> None:
    key = keys.signing_key("SM2")
    counter = itertools.count()
    token = benchmark(lambda: issue(_claims(next(counter)), key))
    assert verify(token, keys, algorithms=["SM2"], audience="portal", clock=lambda: NOW)


@pytest.mark.benchmark(group="token-issue")
def test_token_issue_es256_trustkit(benchmark: BenchmarkFixture, keys: KeySet) -> None:
    key = keys.signing_key("ES256")
    counter = itertools.count()
    token = benchmark(lambda: issue(_claims(next(counter)), key))
    assert verify(token, keys, algorithms=["ES256"], audience="portal", clock=lambda: NOW)


@pytest.mark.benchmark(group="token-issue")
def test_token_issue_pyjwt_es256(benchmark: BenchmarkFixture, keys: KeySet) -> None:
    key = keys.signing_key("ES256")
    private = key.private_key  # type: ignore[union-attr]
    headers = {"kid": key.kid}
    counter = itertools.count()
    token = benchmark(lambda: pyjwt.encode(_claims(next(counter)), private, algorithm="ES256", headers=headers))
    assert verify(token, keys, algorithms=["ES256"], audience="portal", clock=lambda: NOW)


# ---- verify -----------------------------------------------------------------------------------


@pytest.mark.benchmark(group="token-verify")
def test_token_verify_sm2_cached(benchmark: BenchmarkFixture, keys: KeySet) -> None:
    token = issue(_claims(1), keys.signing_key("SM2"))
    result = benchmark(verify, token, keys, algorithms=["SM2"], issuer=ISS, audience="portal")
    assert result.claims["sub"] == "user-1"


@pytest.mark.benchmark(group="token-verify")
def test_token_verify_sm2_cold(benchmark: BenchmarkFixture, keys: KeySet) -> None:
    token = issue(_claims(1), keys.signing_key("SM2"))
    document = keys.jwks("sm2")

    def cold() -> Any:
        return verify(token, KeySet.from_jwks(document), algorithms=["SM2"], issuer=ISS, audience="portal")

    assert benchmark(cold).claims["sub"] == "user-1"


@pytest.mark.benchmark(group="token-verify")
def test_token_verify_es256_trustkit(benchmark: BenchmarkFixture, keys: KeySet) -> None:
    token = issue(_claims(1), keys.signing_key("ES256"))
    result = benchmark(verify, token, keys, algorithms=["ES256"], issuer=ISS, audience="portal")
    assert result.claims["sub"] == "user-1"


@pytest.mark.benchmark(group="token-verify")
def test_token_verify_pyjwt_es256(benchmark: BenchmarkFixture, keys: KeySet) -> None:
    key = keys.signing_key("ES256")
    token = pyjwt.encode(_claims(1), key.private_key, algorithm="ES256", headers={"kid": key.kid})
    public = key.public.key
    result = benchmark(pyjwt.decode, token, public, algorithms=["ES256"], issuer=ISS, audience="portal")
    assert result["sub"] == "user-1"
