"""Property tests: random claim sets round-trip; random mutations of a token never verify and never
raise anything but TrustkitError subclasses; arbitrary input to the verifier and JWKS import
fails cleanly."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from trustkit.errors import TrustkitError
from trustkit.token import KeySet, SigningJWK, issue, verify
from trustkit.token._codec import b64url_decode, b64url_encode

NOW = 1_800_000_000
REGISTERED = {"iss", "sub", "aud", "exp", "nbf", "iat", "jti"}

KEYS = {alg: SigningJWK.generate(alg) for alg in ("SM2", "ES256", "EdDSA")}
KEYSET = KeySet(KEYS.values())
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_leaf = (st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63)
             | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20))
json_value = st.recursive(json_leaf, lambda children: st.lists(children, max_size=4)
                          | st.dictionaries(st.text(max_size=8), children, max_size=4), max_leaves=12)
claim_sets = st.dictionaries(st.text(max_size=12).filter(lambda k: k not in REGISTERED), json_value, max_size=8)


def _verify(token: str | bytes, alg: str) -> Any:
    return verify(token, KEYSET, algorithms=[alg], audience="portal", clock=lambda: NOW)


@SETTINGS
@given(claims=claim_sets, alg=st.sampled_from(sorted(KEYS)))
def test_random_claims_round_trip(claims: dict[str, Any], alg: str) -> None:
    full = {**claims, "aud": "portal", "exp": NOW + 60}
    verified = _verify(issue(full, KEYS[alg]), alg)
    assert verified.claims == json.loads(json.dumps(full))


TOKENS = {alg: issue({"sub": "u1", "aud": "portal", "exp": NOW + 60, "n": [1, 2, 3]}, key)
          for alg, key in KEYS.items()}
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \x00é"


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, str]:
    alg = draw(st.sampled_from(sorted(TOKENS)))
    token = TOKENS[alg]
    kind = draw(st.sampled_from(["replace", "insert", "delete", "truncate", "swap", "segment"]))
    pos = draw(st.integers(min_value=0, max_value=len(token) - 1))
    char = draw(st.sampled_from(ALPHABET))
    if kind == "replace":
        mutated = token[:pos] + char + token[pos + 1:]
    elif kind == "insert":
        mutated = token[:pos] + char + token[pos:]
    elif kind == "delete":
        mutated = token[:pos] + token[pos + 1:]
    elif kind == "truncate":
        mutated = token[:pos]
    elif kind == "swap":
        parts = token.split(".")
        i, j = draw(st.permutations(range(3)))[:2]
        parts[i], parts[j] = parts[j], parts[i]
        mutated = ".".join(parts)
    else:  # re-encode one segment with a random byte flipped, so the result is well-formed base64url
        parts = token.split(".")
        index = draw(st.integers(min_value=0, max_value=2))
        raw = bytearray(b64url_decode(parts[index], "segment"))
        if raw:
            byte = draw(st.integers(min_value=0, max_value=len(raw) - 1))
            raw[byte] ^= draw(st.integers(min_value=1, max_value=255))
        parts[index] = b64url_encode(bytes(raw))
        mutated = ".".join(parts)
    return alg, mutated


@SETTINGS
@given(case=mutations())
def test_mutated_tokens_never_verify(case: tuple[str, str]) -> None:
    alg, mutated = case
    assume(mutated != TOKENS[alg])
    with pytest.raises(TrustkitError):
        _verify(mutated, alg)


@SETTINGS
@given(data=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_arbitrary_bytes_fail_cleanly(data: bytes) -> None:
    with pytest.raises(TrustkitError):
        _verify(data, "SM2")


@SETTINGS
@given(header=json_value, payload=json_value, alg=st.sampled_from(sorted(KEYS)))
def test_arbitrary_json_signed_correctly_never_crashes(header: Any, payload: Any, alg: str) -> None:
    # Well-formed, correctly signed tokens with arbitrary JSON in both parts: accepted or TrustkitError.
    key = KEYS[alg]
    signing_input = b64url_encode(json.dumps(header).encode()) + "." + b64url_encode(json.dumps(payload).encode())
    token = signing_input + "." + b64url_encode(key.sign(signing_input.encode()))
    try:
        _verify(token, alg)
    except TrustkitError:
        pass


@SETTINGS
@given(document=json_value | st.dictionaries(st.just("keys"), st.lists(json_value, max_size=4)))
def test_arbitrary_jwks_fails_cleanly(document: Any) -> None:
    try:
        KeySet.from_jwks(json.dumps(document))
    except TrustkitError:
        pass


_member_values = st.sampled_from(["EC", "RSA", "OKP", "oct", "SM2", "P-256", "P-384", "Ed25519", "sig", "enc", "",
                                  "AQAB", "AA", "ES256", "SM2", "verify", "x" * 300]) | json_value
jwk_like = st.dictionaries(st.sampled_from(["kty", "crv", "x", "y", "n", "e", "kid", "use", "alg", "key_ops"]),
                           _member_values, max_size=10)


VALID_JWKS = [key.public.to_dict() for key in KEYS.values()] + [
    SigningJWK.generate("RS256", rsa_bits=2048).public.to_dict()]
# A valid public key with some members overwritten by random values.
damaged_jwk = st.builds(lambda base, changes: {**base, **changes}, st.sampled_from(VALID_JWKS), jwk_like)


@SETTINGS
@given(entries=st.lists(jwk_like | damaged_jwk, max_size=4))
def test_jwk_shaped_documents_fail_cleanly(entries: list[dict[str, Any]]) -> None:
    try:
        keys = KeySet.from_jwks({"keys": entries})
    except TrustkitError:
        return
    assert len(keys) + len(keys.notes) == len(entries)
