"""SSO tokens: JWS/JWT with SM2 and the standard algorithms, JWKs, key sets with rotation, JWKS.

- :mod:`trustkit.token.jwk`: :class:`SigningJWK` / :class:`PublicJWK` / :class:`SecretJWK`
  (SM2, ES256, ES384, RS256, PS256, EdDSA; HS256 only with a secret key), RFC 7638 thumbprints.
- :mod:`trustkit.token.jws`: compact sign/verify with an allowlist and a key set.
- :mod:`trustkit.token.jwt`: :func:`issue` and :func:`verify` (claims with an injected clock).
- :mod:`trustkit.token.keyset`: :class:`KeySet` (kid lookup, rotation, retirement, JWKS
  documents; SM2 keys in their own document).

The ``"SM2"`` profile: SM2 with SM3 and the default signer ID 1234567812345678 over the JWS
signing input, signature the raw 64-byte r||s, JWK ``{"kty":"EC","crv":"SM2","x","y"}``.
"""

from __future__ import annotations

from trustkit.errors import TokenValidationError
from trustkit.token.jwk import (
    ALGORITHMS,
    SM2_ALIASES,
    STANDARD_ALGORITHMS,
    PublicJWK,
    SecretJWK,
    SigningJWK,
    load_public_jwk,
    load_signing_jwk,
)
from trustkit.token.jws import VerifiedJWS, peek_header, sign_compact, verify_compact
from trustkit.token.jwt import Clock, VerifiedToken, issue, verify
from trustkit.token.keyset import KeySet, VerificationKey

__all__ = [
    "ALGORITHMS",
    "SM2_ALIASES",
    "STANDARD_ALGORITHMS",
    "Clock",
    "KeySet",
    "PublicJWK",
    "SecretJWK",
    "SigningJWK",
    "TokenValidationError",
    "VerificationKey",
    "VerifiedJWS",
    "VerifiedToken",
    "issue",
    "load_public_jwk",
    "load_signing_jwk",
    "peek_header",
    "sign_compact",
    "verify",
    "verify_compact",
]
