"""Tokens against independent implementations.

- PyJWT 2.x and joserfc 1.x verify our ES256/ES384/RS256/PS256/EdDSA tokens using the keys of our
  published (standard) JWKS, and we verify theirs using keys they exported as JWK.
- SM2 tokens: gmssl (``CryptSM2.verify_with_sm3``: raw r||s hex, Z with the default ID) and
  tongsuopy (``ec.ECDSA(hashes.SM3())``: DER signature, default ID 1234567812345678) verify our
  signature over the exact signing input; tokens signed by tongsuopy verify with us.
- The separate SM2 JWKS exists because joserfc 1.8 fails on a set that mixes SM2 with standard keys.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from trustkit import sm2
from trustkit.token import KeySet, SigningJWK, issue, verify
from trustkit.token._codec import b64url_decode, b64url_encode

# joserfc warns that RFC 9864 deprecates "EdDSA" in favour of "Ed25519"; we still test the deployed name.
pytestmark = [pytest.mark.interop, pytest.mark.filterwarnings("ignore:EdDSA is deprecated")]

NOW = 1_800_000_000
STANDARD = ["ES256", "ES384", "RS256", "PS256", "EdDSA"]


@pytest.fixture(scope="module")
def keyset() -> KeySet:
    keys = KeySet()
    for alg in ["SM2", *STANDARD, "Ed25519"]:  # Ed25519: the RFC 9864 name, joserfc only
        keys.rotate(SigningJWK.generate(alg, rsa_bits=2048))
    return keys


def _claims() -> dict[str, Any]:
    # PyJWT and joserfc check exp against the wall clock; keep it far in the future.
    return {"iss": "https://id.example.cn", "sub": "u1", "aud": "portal", "iat": 1_700_000_000, "exp": 4_000_000_000,
            "name": "张三"}


@pytest.mark.parametrize("alg", STANDARD)
def test_pyjwt_verifies_ours_with_our_jwks(keyset: KeySet, alg: str) -> None:
    import jwt

    token = issue(_claims(), keyset.signing_key(alg))
    jwks = jwt.PyJWKSet.from_dict(json.loads(json.dumps(keyset.jwks("standard"))))
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwks[kid]
    claims = jwt.decode(token, key.key, algorithms=[alg], audience="portal", issuer="https://id.example.cn")
    assert claims == _claims()
    tampered = token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB")
    with pytest.raises(jwt.InvalidTokenError):
        jwt.decode(tampered, key.key, algorithms=[alg], audience="portal")


@pytest.mark.parametrize("alg", [*STANDARD, "Ed25519"])
def test_joserfc_verifies_ours_with_our_jwks(keyset: KeySet, alg: str) -> None:
    from joserfc import jwt as jjwt
    from joserfc.jwk import KeySet as JoseKeySet

    token = issue(_claims(), keyset.signing_key(alg))
    # The standard document imports cleanly even though the key set also holds an SM2 key.
    jose_keys = JoseKeySet.import_key_set(json.loads(json.dumps(keyset.jwks("standard"))))
    decoded = jjwt.decode(token, jose_keys, algorithms=[alg])
    assert decoded.claims == _claims()
    assert decoded.header["kid"] == keyset.signing_key(alg).kid


def test_joserfc_breaks_on_a_mixed_jwks(keyset: KeySet) -> None:
    # Why SM2 keys get their own document (reference/interop.md): joserfc 1.8 rejects the whole set.
    from joserfc.jwk import KeySet as JoseKeySet

    mixed = {"keys": keyset.jwks("standard")["keys"] + keyset.jwks("sm2")["keys"]}
    with pytest.raises(Exception):  # noqa: B017 - KeyError('SM2') in 1.8; any failure proves the point
        JoseKeySet.import_key_set(mixed)


@pytest.mark.parametrize("alg", STANDARD)
def test_we_verify_pyjwt_tokens(alg: str) -> None:
    import jwt

    key = SigningJWK.generate(alg, rsa_bits=2048)
    private = key.private_key
    algo = jwt.get_algorithm_by_name(alg)
    exported = algo.to_jwk(private.public_key(), as_dict=True)  # type: ignore[union-attr]
    exported["kid"] = "pyjwt-1"
    token = jwt.encode(_claims(), private, algorithm=alg, headers={"kid": "pyjwt-1"})
    keys = KeySet.from_jwks({"keys": [exported]})
    verified = verify(token, keys, algorithms=[alg], audience="portal", clock=lambda: NOW)
    assert verified.claims == _claims() and verified.kid == "pyjwt-1"


@pytest.mark.parametrize("alg, make", [("ES256", ("EC", "P-256")), ("ES384", ("EC", "P-384")),
                                       ("RS256", ("RSA", 2048)), ("PS256", ("RSA", 2048)),
                                       ("EdDSA", ("OKP", "Ed25519")), ("Ed25519", ("OKP", "Ed25519"))])
def test_we_verify_joserfc_tokens(alg: str, make: tuple[str, Any]) -> None:
    from joserfc import jwt as jjwt
    from joserfc.jwk import ECKey, OKPKey, RSAKey

    kty, param = make
    cls = {"EC": ECKey, "RSA": RSAKey, "OKP": OKPKey}[kty]
    jose_key = cls.generate_key(param, auto_kid=True)  # type: ignore[attr-defined]
    token = jjwt.encode({"alg": alg, "kid": jose_key.kid}, _claims(), jose_key, algorithms=[alg])
    keys = KeySet.from_jwks({"keys": [jose_key.as_dict(private=False)]})
    verified = verify(token, keys, algorithms=[alg], audience="portal", clock=lambda: NOW)
    assert verified.claims == _claims() and verified.kid == jose_key.kid


def test_pyjwt_skips_our_sm2_jwks(keyset: KeySet) -> None:
    # PyJWT ignores the SM2 key (unknown curve) instead of crashing; alone it has no usable keys.
    import jwt

    mixed = {"keys": keyset.jwks("standard")["keys"] + keyset.jwks("sm2")["keys"]}
    # PyJWT 2.15 also skips the key published with the RFC 9864 alg name "Ed25519".
    assert {key.algorithm_name for key in jwt.PyJWKSet.from_dict(mixed).keys} == set(STANDARD)
    with pytest.raises(jwt.PyJWKSetError):
        jwt.PyJWKSet.from_dict(keyset.jwks("sm2"))


# ---- SM2 -----------------------------------------------------------------------------------


def _split(token: str) -> tuple[bytes, bytes]:
    header, payload, signature = token.split(".")
    return f"{header}.{payload}".encode("ascii"), b64url_decode(signature, "signature")


def test_gmssl_verifies_our_sm2_token(keyset: KeySet) -> None:
    from gmssl import sm2 as gm

    key = keyset.signing_key("SM2")
    token = issue(_claims(), key)
    signing_input, signature = _split(token)
    assert len(signature) == 64
    jwk = key.public.to_dict()
    public_hex = (b64url_decode(jwk["x"], "x") + b64url_decode(jwk["y"], "y")).hex()
    crypt = gm.CryptSM2(private_key=None, public_key=public_hex)
    # verify_with_sm3 computes Z with the default ID 1234567812345678 over the JWK's x||y.
    assert crypt.verify_with_sm3(signature.hex(), signing_input)
    assert not crypt.verify_with_sm3(signature.hex(), signing_input + b"x")


def test_tongsuopy_verifies_our_sm2_token(keyset: KeySet) -> None:
    from tongsuopy.crypto import hashes
    from tongsuopy.crypto.asymciphers import ec

    key = keyset.signing_key("SM2")
    for _ in range(5):
        signing_input, signature = _split(issue(_claims(), key))
        jwk = key.public.to_dict()
        point = b"\x04" + b64url_decode(jwk["x"], "x") + b64url_decode(jwk["y"], "y")
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SM2(), point)
        peer.verify(sm2.encode_signature_der(signature), signing_input, ec.ECDSA(hashes.SM3()))


def test_we_verify_tongsuopy_sm2_tokens() -> None:
    from tongsuopy.crypto import hashes
    from tongsuopy.crypto.asymciphers import ec

    peer = ec.generate_private_key(ec.SM2())
    point = peer.public_key().public_bytes(_encoding("X962"), _format("UncompressedPoint"))
    jwk = {"kty": "EC", "crv": "SM2", "x": b64url_encode(point[1:33]), "y": b64url_encode(point[33:]),
           "kid": "tongsuo-1"}
    keys = KeySet.from_jwks({"keys": [jwk]})
    header = b64url_encode(json.dumps({"alg": "SM2", "kid": "tongsuo-1", "typ": "JWT"}).encode())
    payload = b64url_encode(json.dumps(_claims()).encode())
    signing_input = f"{header}.{payload}"
    der = peer.sign(signing_input.encode(), ec.ECDSA(hashes.SM3()))
    token = f"{signing_input}.{b64url_encode(sm2.decode_signature_der(der))}"
    verified = verify(token, keys, algorithms=["SM2"], audience="portal", clock=lambda: NOW)
    assert verified.kid == "tongsuo-1" and verified.claims["name"] == "张三"


def _encoding(name: str) -> Any:
    from tongsuopy.crypto import serialization

    return getattr(serialization.Encoding, name)


def _format(name: str) -> Any:
    from tongsuopy.crypto import serialization

    return getattr(serialization.PublicFormat, name)
