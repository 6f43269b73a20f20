"""trustkit.token.jwt / jws: round trips for every algorithm and every rejection the verifier makes."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from trustkit.errors import DecodeError, InvalidSignature, UnsupportedAlgorithmError
from trustkit.token import (
    KeySet,
    PublicJWK,
    SecretJWK,
    SigningJWK,
    TokenValidationError,
    issue,
    peek_header,
    sign_compact,
    verify,
    verify_compact,
)
from trustkit.token._codec import b64url_encode

NOW = 1_800_000_000
ISS = "https://id.example.cn"
ALGS = ["SM2", "ES256", "ES384", "RS256", "PS256", "EdDSA", "Ed25519"]


def clock() -> int:
    return NOW


@pytest.fixture(scope="module")
def keys_by_alg() -> dict[str, SigningJWK]:
    return {alg: SigningJWK.generate(alg, rsa_bits=2048) for alg in ALGS}


@pytest.fixture(scope="module")
def keyset(keys_by_alg: dict[str, SigningJWK]) -> KeySet:
    return KeySet(keys_by_alg.values())


@pytest.fixture(scope="module")
def sm2_key(keys_by_alg: dict[str, SigningJWK]) -> SigningJWK:
    return keys_by_alg["SM2"]


def claims(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"iss": ISS, "sub": "u1", "aud": "portal", "iat": NOW - 10, "exp": NOW + 300,
                            "jti": "j-1"}
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


def forge(header: dict[str, Any] | bytes, payload: dict[str, Any] | bytes | list[Any],
          sign: Callable[[bytes], bytes] | None) -> str:
    """A token with exactly this header and payload, signed by ``sign`` over the signing input."""
    h = header if isinstance(header, bytes) else json.dumps(header).encode()
    p = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    signing_input = b64url_encode(h) + "." + b64url_encode(p)
    signature = sign(signing_input.encode()) if sign else b""
    return signing_input + "." + b64url_encode(signature)


def ok(token: str, keys: KeySet, algs: list[str] | None = None, **kwargs: Any) -> Any:
    kwargs.setdefault("audience", "portal")
    kwargs.setdefault("issuer", ISS)
    return verify(token, keys, algorithms=algs or ["SM2"], clock=clock, **kwargs)


def rejected(code: str, token: str, keys: KeySet, algs: list[str] | None = None, **kwargs: Any) -> None:
    with pytest.raises(TokenValidationError) as info:
        ok(token, keys, algs, **kwargs)
    assert info.value.code == code, info.value


# ---- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ALGS)
def test_round_trip_every_algorithm(keys_by_alg: dict[str, SigningJWK], keyset: KeySet, alg: str) -> None:
    key = keys_by_alg[alg]
    token = issue(claims(name="张三"), key)
    header = peek_header(token)
    assert dict(header) == {"alg": alg, "kid": key.kid, "typ": "JWT"}
    verified = ok(token, keyset, [alg], required_claims=("sub", "exp"))
    assert verified.claims == claims(name="张三")
    assert (verified.alg, verified.kid, verified.subject, verified.jti) == (alg, key.kid, "u1", "j-1")
    assert verified.key is key.public
    # Same result through the JWS layer.
    jws = verify_compact(token, keyset, algorithms=[alg])
    assert json.loads(jws.payload) == claims(name="张三")


def test_sm2_signature_is_raw_64_bytes(sm2_key: SigningJWK) -> None:
    token = issue(claims(), sm2_key)
    signature = token.rsplit(".", 1)[1]
    assert len(signature) == 86  # 64 bytes in base64url
    header, payload, _ = token.split(".")
    from trustkit.token._codec import b64url_decode

    sm2_key.public.key.verify(b64url_decode(signature, "s"), f"{header}.{payload}".encode(),  # type: ignore[union-attr]
                              uid=b"1234567812345678", encoding="raw")


def test_issue_options(sm2_key: SigningJWK, keyset: KeySet) -> None:
    at = datetime.fromtimestamp(NOW, timezone.utc)
    token = issue(claims(exp=at + timedelta(minutes=5), iat=at), sm2_key, typ="at+jwt", headers={"cty": "x"})
    header = peek_header(token)
    assert header["typ"] == "at+jwt" and header["cty"] == "x"
    verified = ok(token, keyset, typ="application/at+jwt")
    assert verified.claims["exp"] == NOW + 300
    with pytest.raises(ValueError):
        issue(claims(exp=datetime(2030, 1, 1)), sm2_key)  # naive datetime
    with pytest.raises(ValueError):
        issue(claims(), sm2_key, headers={"alg": "none"})
    with pytest.raises(ValueError):
        issue(claims(bad=object()), sm2_key)
    with pytest.raises(UnsupportedAlgorithmError):
        issue(claims(), sm2_key, alg="ES256")
    no_typ = issue(claims(), sm2_key, typ=None)
    assert "typ" not in peek_header(no_typ)
    rejected("wrong_type", no_typ, keyset, typ="JWT")


def test_clock_may_return_datetime(sm2_key: SigningJWK, keyset: KeySet) -> None:
    token = issue(claims(), sm2_key)
    verify(token, keyset, algorithms=["SM2"], audience="portal",
           clock=lambda: datetime.fromtimestamp(NOW, timezone.utc))
    with pytest.raises(ValueError):
        verify(token, keyset, algorithms=["SM2"], audience="portal", clock=lambda: datetime(2027, 1, 1))


# ---- algorithm allowlist and confusion ----------------------------------------------------------


def test_allowlist_is_required(sm2_key: SigningJWK, keyset: KeySet) -> None:
    token = issue(claims(), sm2_key)
    for bad in ([], "SM2", ["none"], ["HS512"], ["SM2", "bogus"]):
        with pytest.raises(ValueError):
            verify(token, keyset, algorithms=bad, audience="portal", clock=clock)  # type: ignore[arg-type]


def test_alg_not_allowed(keys_by_alg: dict[str, SigningJWK], keyset: KeySet) -> None:
    token = issue(claims(), keys_by_alg["ES256"])
    with pytest.raises(UnsupportedAlgorithmError):
        ok(token, keyset, ["SM2", "RS256"])


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_never_accepted(sm2_key: SigningJWK, keyset: KeySet, alg: str) -> None:
    token = forge({"alg": alg, "kid": sm2_key.kid}, claims(), None)
    with pytest.raises(UnsupportedAlgorithmError, match="none"):
        ok(token, keyset, ["SM2", "ES256"])


@pytest.mark.parametrize("secret_of", ["pem", "jwk", "raw"])
def test_hs256_with_a_public_key_is_refused(keys_by_alg: dict[str, SigningJWK], keyset: KeySet,
                                             secret_of: str) -> None:
    # The classic confusion: HMAC "signed" with the verifier's public key as the secret.
    target = keys_by_alg["RS256"].public
    secret = {
        "pem": target.key.public_bytes(serialization.Encoding.PEM,  # type: ignore[union-attr]
                                       serialization.PublicFormat.SubjectPublicKeyInfo),
        "jwk": json.dumps(target.to_dict()).encode(),
        "raw": target.to_dict()["n"].encode(),
    }[secret_of]
    token = forge({"alg": "HS256", "kid": target.kid}, claims(),
                  lambda m: hmac.new(secret, m, hashlib.sha256).digest())
    with pytest.raises(UnsupportedAlgorithmError):
        ok(token, keyset, ["RS256"])
    rejected("key_mismatch", token, keyset, ["RS256", "HS256"])


def test_hs256_needs_a_secret_key(keyset: KeySet) -> None:
    secret = SecretJWK(b"s" * 32, kid="hmac")
    token = issue(claims(), secret)
    both = KeySet([*keyset, secret])
    assert ok(token, both, ["HS256"]).kid == "hmac"
    with pytest.raises(UnsupportedAlgorithmError):
        ok(token, both, ["SM2"])  # not enabled
    with pytest.raises(InvalidSignature):
        ok(token, KeySet([SecretJWK(b"t" * 32, kid="hmac")]), ["HS256"])


@pytest.mark.parametrize("token_alg, key_alg", [("ES256", "SM2"), ("SM2", "ES256"), ("RS256", "ES256"),
                                                ("EdDSA", "ES256"), ("ES384", "ES256"), ("RS256", "PS256")])
def test_key_type_must_fit_alg(keys_by_alg: dict[str, SigningJWK], keyset: KeySet, token_alg: str,
                               key_alg: str) -> None:
    signer = keys_by_alg[token_alg]
    victim = keys_by_alg[key_alg].public
    token = forge({"alg": token_alg, "kid": victim.kid}, claims(), signer.sign)
    rejected("key_mismatch", token, keyset, [token_alg, key_alg])


def test_key_alg_restriction(keys_by_alg: dict[str, SigningJWK]) -> None:
    # A key published with alg PS256 does not verify RS256 tokens even though both are RSA.
    ps = keys_by_alg["PS256"]
    rs = SigningJWK.from_private_key(ps.private_key, alg="RS256", kid=ps.kid)  # type: ignore[arg-type]
    token = issue(claims(), rs)
    rejected("key_mismatch", token, KeySet([ps.public]), ["RS256", "PS256"])
    unrestricted = KeySet([PublicJWK(ps.public.key, kid=ps.kid, alg=None)])
    assert ok(token, unrestricted, ["RS256"]).alg == "RS256"


def test_key_use_enc_does_not_verify(sm2_key: SigningJWK) -> None:
    enc = KeySet([PublicJWK(sm2_key.public.key, kid=sm2_key.kid, use="enc")])
    rejected("key_mismatch", issue(claims(), sm2_key), enc)


def test_sm2_aliases_only_when_allowed(sm2_key: SigningJWK, keyset: KeySet) -> None:
    token = forge({"alg": "SM2SM3", "kid": sm2_key.kid}, claims(), sm2_key.sign)
    with pytest.raises(UnsupportedAlgorithmError):
        ok(token, keyset)
    verified = ok(token, keyset, alg_aliases=["SM2SM3"])
    assert verified.alg == "SM2" and verified.header["alg"] == "SM2SM3"
    token2 = forge({"alg": "SM3withSM2", "kid": sm2_key.kid}, claims(), sm2_key.sign)
    with pytest.raises(UnsupportedAlgorithmError):
        ok(token2, keyset, alg_aliases=["SM2SM3"])
    with pytest.raises(ValueError):
        ok(token, keyset, alg_aliases=["RS256"])  # not an SM2 alias
    with pytest.raises(ValueError):
        ok(token, keyset, ["ES256"], alg_aliases=["SM2SM3"])  # SM2 itself not allowed
    with pytest.raises(TypeError):
        ok(token, keyset, alg_aliases="SM2SM3")


# ---- keys from the token itself -------------------------------------------------------------------


@pytest.mark.parametrize("member", ["jwk", "jku", "x5u"])
def test_token_supplied_keys_are_refused(sm2_key: SigningJWK, keyset: KeySet, member: str) -> None:
    attacker = SigningJWK.generate("SM2")
    value: Any = attacker.public.to_dict() if member == "jwk" else "https://evil.example/keys"
    for kid in (attacker.kid, sm2_key.kid):
        token = forge({"alg": "SM2", "kid": kid, member: value}, claims(), attacker.sign)
        rejected("untrusted_header_key", token, keyset)
    # Even correctly signed by our key, a token naming a key source is refused.
    token = forge({"alg": "SM2", "kid": sm2_key.kid, member: value}, claims(), sm2_key.sign)
    rejected("untrusted_header_key", token, keyset)


def test_x5c_is_never_a_trust_source(sm2_key: SigningJWK, keyset: KeySet) -> None:
    from pki_helpers import sm2_chain

    chain = sm2_chain()
    attacker = SigningJWK.from_private_key(chain.leaf_key)  # type: ignore[arg-type]
    x5c = [b64url_encode(chain.leaf.der)]
    forged = forge({"alg": "SM2", "kid": sm2_key.kid, "x5c": x5c}, claims(), attacker.sign)
    with pytest.raises(InvalidSignature):
        ok(forged, keyset)  # verified with OUR key for that kid, not the certificate's
    forged_new_kid = forge({"alg": "SM2", "kid": attacker.kid, "x5c": x5c}, claims(), attacker.sign)
    rejected("unknown_key", forged_new_kid, keyset)
    legit = forge({"alg": "SM2", "kid": sm2_key.kid, "x5c": x5c}, claims(), sm2_key.sign)
    assert ok(legit, keyset).kid == sm2_key.kid  # carried along, ignored


def test_crit_is_refused(sm2_key: SigningJWK, keyset: KeySet) -> None:
    for crit in (["exp"], ["b64"], [], "x"):
        token = forge({"alg": "SM2", "kid": sm2_key.kid, "crit": crit, "b64": True, "exp": 1}, claims(),
                      sm2_key.sign)
        rejected("unsupported_crit", token, keyset)


# ---- kid ---------------------------------------------------------------------------------------


def test_kid_lookup(sm2_key: SigningJWK, keyset: KeySet) -> None:
    unknown = forge({"alg": "SM2", "kid": "nope"}, claims(), sm2_key.sign)
    rejected("unknown_key", unknown, keyset)
    missing = forge({"alg": "SM2"}, claims(), sm2_key.sign)
    rejected("unknown_key", missing, keyset)
    with pytest.raises(DecodeError):
        ok(forge({"alg": "SM2", "kid": ["a"]}, claims(), sm2_key.sign), keyset)
    # Exactly one SM2 key in the set and the caller allows the fallback:
    assert ok(missing, keyset, single_key_fallback=True).kid == sm2_key.kid
    assert ok(unknown, keyset, single_key_fallback=True).kid == sm2_key.kid
    two = KeySet([*keyset, SigningJWK.generate("SM2").public])
    rejected("unknown_key", missing, two, single_key_fallback=True)


# ---- claims ------------------------------------------------------------------------------------


def test_time_claims(sm2_key: SigningJWK, keyset: KeySet) -> None:
    def at(**c: Any) -> str:
        return issue(claims(**c), sm2_key)

    rejected("expired", at(exp=NOW), keyset)
    rejected("expired", at(exp=NOW - 5), keyset, leeway=5)
    ok(at(exp=NOW - 5), keyset, leeway=6)
    ok(at(exp=NOW - 5), keyset, leeway=timedelta(seconds=6))
    rejected("not_yet_valid", at(nbf=NOW + 10), keyset)
    ok(at(nbf=NOW + 10), keyset, leeway=10)
    ok(at(nbf=NOW), keyset)
    rejected("issued_in_future", at(iat=NOW + 61), keyset, leeway=60)
    ok(at(iat=NOW + 60), keyset, leeway=60)
    ok(at(exp=None, iat=None), keyset)  # none of them is required unless asked
    rejected("missing_claim", at(exp=None), keyset, required_claims=("exp",))
    with pytest.raises(ValueError):
        ok(at(), keyset, leeway=-1)


@pytest.mark.parametrize("name, value", [("exp", "2030"), ("nbf", True), ("iat", [1]), ("exp", 10**400),
                                         ("iss", 5), ("sub", {"a": 1}), ("jti", 7), ("aud", 3), ("aud", ["a", 1])])
def test_claim_types(sm2_key: SigningJWK, keyset: KeySet, name: str, value: Any) -> None:
    rejected("invalid_claim", issue(claims(**{name: value}), sm2_key), keyset)


def test_infinite_dates_from_json(sm2_key: SigningJWK, keyset: KeySet) -> None:
    payload = b'{"aud":"portal","iss":"' + ISS.encode() + b'","exp":1e400}'
    rejected("invalid_claim", forge({"alg": "SM2", "kid": sm2_key.kid}, payload, sm2_key.sign), keyset)


def test_issuer_and_audience(sm2_key: SigningJWK, keyset: KeySet) -> None:
    token = issue(claims(), sm2_key)
    rejected("wrong_issuer", token, keyset, issuer="https://other.example")
    ok(token, keyset, issuer=["https://other.example", ISS])
    rejected("missing_claim", issue(claims(iss=None), sm2_key), keyset)
    rejected("wrong_audience", token, keyset, audience="admin")
    rejected("wrong_audience", token, keyset, audience=None)  # RFC 7519 4.1.3
    ok(token, keyset, audience=["admin", "portal"])
    multi = issue(claims(aud=["a", "portal"]), sm2_key)
    ok(multi, keyset)
    rejected("wrong_audience", multi, keyset, audience="b")
    rejected("missing_claim", issue(claims(aud=None), sm2_key), keyset)
    ok(issue(claims(aud=None), sm2_key), keyset, audience=None)


def test_revoked_jti(sm2_key: SigningJWK, keyset: KeySet) -> None:
    revoked = {"j-1"}
    token = issue(claims(), sm2_key)
    rejected("revoked", token, keyset, is_revoked=revoked.__contains__)
    ok(issue(claims(jti="j-2"), sm2_key), keyset, is_revoked=revoked.__contains__)
    rejected("missing_claim", issue(claims(jti=None), sm2_key), keyset, is_revoked=revoked.__contains__)


def test_required_claims(sm2_key: SigningJWK, keyset: KeySet) -> None:
    rejected("missing_claim", issue(claims(), sm2_key), keyset, required_claims=("nonce",))
    ok(issue(claims(nonce="n"), sm2_key), keyset, required_claims=("nonce",))


def test_typ(sm2_key: SigningJWK, keyset: KeySet) -> None:
    token = issue(claims(), sm2_key, typ="JWT")
    rejected("wrong_type", token, keyset, typ="at+jwt")
    ok(token, keyset, typ="jwt")
    ok(issue(claims(), sm2_key, typ="application/at+jwt"), keyset, typ="at+JWT")


# ---- malformed input ---------------------------------------------------------------------------


def test_signature_failures(sm2_key: SigningJWK, keyset: KeySet) -> None:
    token = issue(claims(), sm2_key)
    header, payload, signature = token.split(".")
    other = issue(claims(sub="u2"), sm2_key).split(".")[1]
    with pytest.raises(InvalidSignature):
        ok(f"{header}.{other}.{signature}", keyset)
    for bad_sig in ("", b64url_encode(b"\x00" * 64), b64url_encode(b"\x01" * 63), b64url_encode(b"\x01" * 72)):
        with pytest.raises(InvalidSignature):
            ok(f"{header}.{payload}.{bad_sig}", keyset)


@pytest.mark.parametrize("mangle", [
    lambda t: t + ".",  # 4 parts
    lambda t: t.rsplit(".", 1)[0],  # 2 parts
    lambda t: t.replace(".", "..", 1),
    lambda t: t + "=",  # padding
    lambda t: t[:-1] + "+",  # standard alphabet
    lambda t: "é" + t,  # not ASCII
    lambda t: " " + t,
    lambda t: "A" + t,  # header length mod 4 == 1 or garbage
    lambda t: "",
])
def test_malformed_tokens(sm2_key: SigningJWK, keyset: KeySet, mangle: Callable[[str], str]) -> None:
    with pytest.raises(DecodeError):
        ok(mangle(issue(claims(), sm2_key)), keyset)


def test_non_canonical_base64(sm2_key: SigningJWK, keyset: KeySet) -> None:
    token = issue(claims(), sm2_key)
    header, payload, signature = token.split(".")
    # 64 bytes -> 86 chars, the last one carries 2 unused bits: flip one of them.
    from trustkit.token._codec import _ALPHABET

    last = _ALPHABET[_ALPHABET.index(signature[-1]) ^ 1]
    with pytest.raises(DecodeError, match="canonical"):
        ok(f"{header}.{payload}.{signature[:-1]}{last}", keyset)


@pytest.mark.parametrize("header, payload", [
    (b'{"alg":"SM2","alg":"none"}', b'{}'),  # duplicate header member
    (b'[1]', b'{}'),  # header not an object
    (b'{"alg":"SM2"', b'{}'),
    (b'\xff\xfe{}', b'{}'),
    (b'{"alg":5}', b'{}'),
    (None, b'{"sub":"a","sub":"b"}'),  # duplicate claim
    (None, b'[1,2]'),  # claims not an object
    (None, b'"x"'),
    (None, b'{"exp":NaN}'),
    (None, b'[' * 5000 + b']' * 5000),
    (None, b'{"n":' + b'9' * 5000 + b'}'),
    (None, b'\xef\xbb\xbf{}'),  # BOM
])
def test_malformed_json(sm2_key: SigningJWK, keyset: KeySet, header: bytes | None, payload: bytes) -> None:
    h = header if header is not None else json.dumps({"alg": "SM2", "kid": sm2_key.kid}).encode()
    token = forge(h, payload, sm2_key.sign)
    with pytest.raises(DecodeError):
        verify(token, keyset, algorithms=["SM2"], clock=clock)


def test_size_limit(sm2_key: SigningJWK, keyset: KeySet) -> None:
    big = issue(claims(blob="x" * 20_000), sm2_key)
    with pytest.raises(DecodeError, match="longer"):
        ok(big, keyset)
    with pytest.raises(DecodeError, match="longer"):
        ok(big.encode(), keyset)
    assert ok(big, keyset, max_token_bytes=64 * 1024).claims["blob"] == "x" * 20_000


def test_bytes_tokens_and_types(sm2_key: SigningJWK, keyset: KeySet) -> None:
    token = issue(claims(), sm2_key)
    assert ok(token.encode(), keyset).kid == sm2_key.kid
    with pytest.raises(DecodeError):
        ok(b"\xff" + token.encode(), keyset)
    with pytest.raises(TypeError):
        ok(123, keyset)  # type: ignore[arg-type]


def test_sign_compact_arbitrary_payload(sm2_key: SigningJWK, keyset: KeySet) -> None:
    token = sign_compact(b"\x00\x01binary", sm2_key, typ=None)
    assert verify_compact(token, keyset, algorithms=["SM2"]).payload == b"\x00\x01binary"
    with pytest.raises(DecodeError):  # not a JSON object, so not a JWT
        verify(token, keyset, algorithms=["SM2"], clock=clock)
