"""trustkit.token.jwk and trustkit.token.keyset: JWK import/export, thumbprints, Signer-backed keys,
key sets with rotation and retirement, JWKS documents (SM2 separate), strict JWKS import."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pki_helpers import p256_chain, rsa_chain, sm2_chain

from trustkit import sm2
from trustkit.errors import (
    ConfigurationError,
    DecodeError,
    InvalidKeyError,
    TrustkitError,
    UnsupportedAlgorithmError,
)
from trustkit.pki.signer import LocalSigner
from trustkit.token import (
    KeySet,
    PublicJWK,
    SecretJWK,
    SigningJWK,
    issue,
    load_public_jwk,
    load_signing_jwk,
    verify,
)
from trustkit.token._codec import b64url_decode, b64url_encode

NOW = 1_800_000_000
ALGS = ["SM2", "ES256", "ES384", "RS256", "PS256", "EdDSA"]


@pytest.fixture(scope="module")
def signing_keys() -> dict[str, SigningJWK]:
    return {alg: SigningJWK.generate(alg, rsa_bits=2048) for alg in ALGS}


def _claims() -> dict[str, Any]:
    return {"iss": "https://id.example.cn", "sub": "u1", "aud": "portal", "iat": NOW, "exp": NOW + 300}


# ---- RFC 7638 thumbprints ---------------------------------------------------------------------


def test_rfc7638_example_thumbprint() -> None:
    # RFC 7638 section 3.1: the RSA key and its SHA-256 thumbprint.
    n = ("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiF"
         "V4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0"
         "zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-cs"
         "FCur-kEgU8awapJzKnqDKgw")
    key = PublicJWK.from_dict({"kty": "RSA", "n": n, "e": "AQAB", "alg": "RS256", "kid": "2011-04-29"})
    assert key.thumbprint() == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    assert key.kid == "2011-04-29"
    assert PublicJWK(key.key).kid == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"  # the default kid


@pytest.mark.interop
@pytest.mark.parametrize("alg", ["ES256", "ES384", "RS256", "EdDSA"])
def test_thumbprint_matches_joserfc(signing_keys: dict[str, SigningJWK], alg: str) -> None:
    from joserfc.jwk import import_key

    ours = signing_keys[alg].public
    theirs = import_key(ours.to_dict())
    assert theirs.thumbprint() == ours.thumbprint() == ours.kid


def test_sm2_thumbprint_is_rfc7638_over_crv_kty_x_y(signing_keys: dict[str, SigningJWK]) -> None:
    public = signing_keys["SM2"].public
    d = public.to_dict()
    canonical = json.dumps({"crv": "SM2", "kty": "EC", "x": d["x"], "y": d["y"]}, separators=(",", ":"))
    assert public.kid == b64url_encode(hashlib.sha256(canonical.encode()).digest())
    assert public.thumbprint("sm3") != public.thumbprint()
    with pytest.raises(ValueError):
        public.thumbprint("md5")


# ---- JWK import / export ----------------------------------------------------------------------


def test_sm2_jwk_members(signing_keys: dict[str, SigningJWK]) -> None:
    key = signing_keys["SM2"]
    d = key.public.to_dict()
    assert {k: d[k] for k in ("kty", "crv", "use", "alg")} == {"kty": "EC", "crv": "SM2", "use": "sig", "alg": "SM2"}
    point = key.public.key.public_bytes("raw")  # type: ignore[union-attr]
    assert b64url_decode(d["x"], "x") == point[1:33] and b64url_decode(d["y"], "y") == point[33:]
    assert "d" not in d
    private = key.to_dict()
    assert len(b64url_decode(private["d"], "d")) == 32


@pytest.mark.parametrize("alg", ALGS)
def test_private_jwk_round_trip_signs_the_same_key(signing_keys: dict[str, SigningJWK], alg: str) -> None:
    key = signing_keys[alg]
    again = SigningJWK.from_dict(json.dumps(key.to_dict()))
    assert again.kid == key.kid and again.alg == alg
    token = issue(_claims(), again)
    keys = KeySet([key.public])
    assert verify(token, keys, algorithms=[alg], audience="portal", clock=lambda: NOW).kid == key.kid
    public = PublicJWK.from_dict(key.public.to_dict())
    assert public == key.public and public.alg == alg


def test_public_jwk_refuses_private_members(signing_keys: dict[str, SigningJWK]) -> None:
    for alg in ALGS:
        with pytest.raises(DecodeError, match="private members"):
            PublicJWK.from_dict(signing_keys[alg].to_dict())


@pytest.mark.parametrize("jwk, error", [
    ({"kty": "EC", "crv": "P-521", "x": "AA", "y": "AA"}, UnsupportedAlgorithmError),
    ({"kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA"}, UnsupportedAlgorithmError),
    ({"kty": "OKP", "crv": "X25519", "x": "AA"}, UnsupportedAlgorithmError),
    ({"kty": "oct", "k": "AA"}, DecodeError),  # k is private material
    ({"kty": "XYZ"}, UnsupportedAlgorithmError),
    ({"crv": "SM2"}, DecodeError),
    ({"kty": "EC", "crv": "SM2", "x": "A" * 42 + "B", "y": "A" * 43}, DecodeError),  # non-canonical base64url
    ({"kty": "EC", "crv": "SM2", "x": "AAAA", "y": "AAAA"}, InvalidKeyError),  # wrong length
    ({"kty": "EC", "crv": "SM2", "x": "AA==", "y": "AA"}, DecodeError),  # padding
    ({"kty": "EC", "crv": "SM2", "x": 5, "y": "AA"}, DecodeError),
    ({"kty": "EC", "crv": "P-256", "x": b64url_encode(b"\x01" * 32), "y": b64url_encode(b"\x02" * 32)},
     InvalidKeyError),  # not on the curve
    ({"kty": "RSA", "n": b64url_encode(b"\xc1" * 128), "e": "AQAB"}, InvalidKeyError),  # 1024 bits
    ({"kty": "EC", "crv": "SM2", "x": b64url_encode(b"\x01" * 32), "y": b64url_encode(b"\x02" * 32)},
     InvalidKeyError),  # SM2 point not on the curve
])
def test_bad_public_jwks(jwk: dict[str, Any], error: type[TrustkitError]) -> None:
    with pytest.raises(error):
        PublicJWK.from_dict(jwk)


def test_bad_private_jwks(signing_keys: dict[str, SigningJWK]) -> None:
    other = SigningJWK.generate("SM2").to_dict()
    mixed = {**signing_keys["SM2"].to_dict(), "d": other["d"]}
    with pytest.raises(InvalidKeyError, match="does not match"):
        SigningJWK.from_dict(mixed)
    with pytest.raises(DecodeError, match="'d'"):
        SigningJWK.from_dict(signing_keys["SM2"].public.to_dict())
    short = {**signing_keys["SM2"].to_dict(), "d": b64url_encode(b"\x01" * 31)}
    with pytest.raises(InvalidKeyError):
        SigningJWK.from_dict(short)
    with pytest.raises(DecodeError):
        SigningJWK.from_dict(b"[1, 2]")
    with pytest.raises(DecodeError):
        SigningJWK.from_dict('{"kty": "EC", "kty": "RSA"}')  # duplicate member


def test_alg_must_fit_the_key(signing_keys: dict[str, SigningJWK]) -> None:
    with pytest.raises(UnsupportedAlgorithmError):
        PublicJWK(signing_keys["SM2"].public.key, alg="ES256")
    with pytest.raises(UnsupportedAlgorithmError):
        SigningJWK.from_private_key(ec.generate_private_key(ec.SECP256R1()), alg="ES384")
    with pytest.raises(UnsupportedAlgorithmError):
        SigningJWK.generate("HS256")
    with pytest.raises(UnsupportedAlgorithmError):
        PublicJWK(ec.generate_private_key(ec.SECP521R1()).public_key())
    with pytest.raises(InvalidKeyError, match="2048"):
        PublicJWK(rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key())


def test_default_algorithms() -> None:
    assert SigningJWK.from_private_key(sm2.generate_private_key()).alg == "SM2"
    assert SigningJWK.from_private_key(ec.generate_private_key(ec.SECP384R1())).alg == "ES384"
    rsa_key = SigningJWK.generate("PS256", rsa_bits=2048)
    assert rsa_key.alg == "PS256" and rsa_key.public.algorithms == frozenset({"PS256"})
    assert PublicJWK(rsa_key.public.key).algorithms == frozenset({"RS256", "PS256"})


def test_load_pem_and_jwk_files(signing_keys: dict[str, SigningJWK]) -> None:
    for alg in ALGS:
        key = signing_keys[alg]
        pem = key.private_pem()
        loaded = load_signing_jwk(pem, alg=alg)
        assert loaded.kid == key.kid and loaded.alg == alg
        enc = key.private_pem(b"pw")
        assert load_signing_jwk(enc, b"pw", alg=alg).kid == key.kid
        assert load_signing_jwk(json.dumps(key.to_dict()).encode()).kid == key.kid
        public = key.public.key
        if isinstance(public, sm2.PublicKey):
            spki = public.public_bytes("PEM")
        else:
            spki = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        assert load_public_jwk(spki).kid == key.kid
        assert load_public_jwk(json.dumps(key.public.to_dict()).encode(), kid="k1").kid == "k1"
    with pytest.raises(DecodeError):
        load_signing_jwk(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    with pytest.raises(DecodeError):
        load_public_jwk(b"not a key")


# ---- Signer-backed keys -----------------------------------------------------------------------


@pytest.mark.parametrize("make_chain, alg", [(sm2_chain, "SM2"), (p256_chain, "ES256"), (rsa_chain, "RS256")])
def test_signer_backed_key(make_chain: Any, alg: str) -> None:
    chain = make_chain()
    key = SigningJWK.from_signer(LocalSigner(chain.leaf_key, chain.leaf), kid="remote-1")
    assert key.alg == alg and key.kid == "remote-1" and key.private_key is None
    token = issue(_claims(), key)
    verified = verify(token, KeySet([key.public]), algorithms=[alg], audience="portal", clock=lambda: NOW)
    assert verified.kid == "remote-1"
    with pytest.raises(ValueError, match="Signer"):
        key.to_dict()
    assert "d" not in key.to_dict(include_private=False)


# ---- HS256 secrets ----------------------------------------------------------------------------


def test_secret_keys() -> None:
    with pytest.raises(ValueError):
        SecretJWK(b"short")
    secret = SecretJWK(b"k" * 32, kid="s1")
    keys = KeySet([secret])
    token = issue(_claims(), secret)
    assert verify(token, keys, algorithms=["HS256"], audience="portal", clock=lambda: NOW).kid == "s1"
    assert keys.jwks() == {"keys": []} and keys.jwks("sm2") == {"keys": []}  # never published


# ---- key sets ---------------------------------------------------------------------------------


def test_rotation_and_retirement() -> None:
    keys = KeySet()
    with pytest.raises(ConfigurationError):
        keys.signing_key("SM2")
    old = SigningJWK.generate("SM2")
    keys.rotate(old)
    old_token = issue(_claims(), keys.signing_key("SM2"))
    new = SigningJWK.generate("SM2")
    keys.add(new)  # published before it signs
    assert keys.signing_key("SM2") is old
    assert {k["kid"] for k in keys.jwks("sm2")["keys"]} == {old.kid, new.kid}
    keys.rotate(new)
    assert keys.signing_key("SM2") is new
    new_token = issue(_claims(), keys.signing_key("SM2"))
    for token in (old_token, new_token):  # the old key keeps verifying
        verify(token, keys, algorithms=["SM2"], audience="portal", clock=lambda: NOW)
    keys.retire(old.kid)
    from trustkit.token import TokenValidationError

    with pytest.raises(TokenValidationError) as info:
        verify(old_token, keys, algorithms=["SM2"], audience="portal", clock=lambda: NOW)
    assert info.value.code == "unknown_key"
    verify(new_token, keys, algorithms=["SM2"], audience="portal", clock=lambda: NOW)
    assert [k["kid"] for k in keys.jwks("sm2")["keys"]] == [new.kid]
    with pytest.raises(KeyError):
        keys.retire(old.kid)
    keys.retire(new.kid)
    with pytest.raises(ConfigurationError):
        keys.signing_key("SM2")


def test_current_key_per_algorithm(signing_keys: dict[str, SigningJWK]) -> None:
    keys = KeySet(signing_keys.values())
    assert keys.current_algorithms() == frozenset(ALGS)
    for alg in ALGS:
        assert keys.signing_key(alg) is signing_keys[alg]
    assert len(keys) == len(ALGS) and signing_keys["SM2"].kid in keys
    standard = keys.jwks("standard")["keys"]
    sm2_doc = keys.jwks("sm2")["keys"]
    assert {k["alg"] for k in standard} == {"ES256", "ES384", "RS256", "PS256", "EdDSA"}
    assert [k["crv"] for k in sm2_doc] == ["SM2"]
    for doc in (standard, sm2_doc):
        for entry in doc:
            assert not {"d", "p", "q", "dp", "dq", "qi"} & entry.keys()
    with pytest.raises(ValueError):
        keys.jwks("all")  # type: ignore[arg-type]


def test_duplicate_kid_is_refused() -> None:
    keys = KeySet()
    a = SigningJWK.generate("SM2", kid="same")
    keys.add(a)
    keys.add(a)  # the same key again: fine
    keys.add(PublicJWK.from_dict(a.public.to_dict()))  # an equal copy: fine
    with pytest.raises(ValueError, match="kid"):
        keys.add(SigningJWK.generate("SM2", kid="same"))
    with pytest.raises(ValueError):
        keys.add(a.public, current=True)


def test_from_jwks_round_trip_and_notes(signing_keys: dict[str, SigningJWK]) -> None:
    keys = KeySet(signing_keys.values())
    for kind in ("standard", "sm2"):
        document = keys.jwks(kind)  # type: ignore[arg-type]
        again = KeySet.from_jwks(json.dumps(document))
        assert sorted(again.kids()) == sorted(k["kid"] for k in document["keys"]) and again.notes == ()
    mixed = {"keys": [
        *keys.jwks("standard")["keys"], *keys.jwks("sm2")["keys"],
        {"kty": "OKP", "crv": "X25519", "x": b64url_encode(b"\x09" * 32), "kid": "x"},
        {"kty": "EC", "crv": "brainpoolP256r1", "x": "AA", "y": "AA", "kid": "bp"},
        {**signing_keys["ES256"].public.to_dict(), "use": "enc", "kid": "enc"},
        {**signing_keys["ES256"].public.to_dict(), "key_ops": ["encrypt"], "kid": "ops"},
    ]}
    loaded = KeySet.from_jwks(mixed)
    assert len(loaded) == len(ALGS)
    assert len(loaded.notes) == 4 and any("'x'" in note and "X25519" in note for note in loaded.notes)


@pytest.mark.parametrize("document, match", [
    ({"keys": [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "d": "AA"}]}, "private"),
    ({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}, "private"),
    ({"keys": {}}, "keys"),
    ([], "keys"),
    ({"keys": [1]}, "not a JSON object"),
    ({"keys": [{}] * 300}, "more than"),
])
def test_from_jwks_refuses(document: Any, match: str) -> None:
    with pytest.raises(DecodeError, match=match):
        KeySet.from_jwks(document)


def test_from_jwks_duplicate_kid_and_size(signing_keys: dict[str, SigningJWK]) -> None:
    entry = signing_keys["ES256"].public.to_dict()
    with pytest.raises(DecodeError, match="two keys"):
        KeySet.from_jwks({"keys": [entry, entry]})
    with pytest.raises(DecodeError, match="larger"):
        KeySet.from_jwks(b" " * 2_000_000)
    with pytest.raises(DecodeError):
        KeySet.from_jwks(b'{"keys": [], "keys": []}')


def test_private_material_is_rejected_even_in_a_signed_in_set(signing_keys: dict[str, SigningJWK]) -> None:
    # A JWKS document must never be a way to smuggle in a signing key.
    document = {"keys": [signing_keys["SM2"].to_dict()]}
    with pytest.raises(DecodeError, match="private"):
        KeySet.from_jwks(document)
