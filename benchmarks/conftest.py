"""Shared fixtures: one key per library, made once per session."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from gmssl import sm2 as gmssl_sm2
from tongsuopy.crypto import hashes as t_hashes
from tongsuopy.crypto.asymciphers import ec as t_ec

from trustkit import sm2

MESSAGE = b"trustkit benchmark message: licence 3301XX-2026-000123"


@pytest.fixture(scope="session")
def message() -> bytes:
    return MESSAGE


@pytest.fixture(scope="session")
def tk_key() -> sm2.PrivateKey:
    return sm2.generate_private_key()


@pytest.fixture(scope="session")
def p256_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="session")
def tongsuo_key() -> object:
    return t_ec.generate_private_key(t_ec.SM2())


@pytest.fixture(scope="session")
def gmssl_peer(tk_key: sm2.PrivateKey) -> gmssl_sm2.CryptSM2:
    return gmssl_sm2.CryptSM2(
        private_key=tk_key.private_bytes("raw").hex(), public_key=tk_key.public_key().public_bytes("raw")[1:].hex(), mode=1
    )


ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
SM2_SM3 = t_ec.ECDSA(t_hashes.SM3())
