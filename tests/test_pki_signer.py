"""trustkit.pki.signer: the Signer protocol and the in-process LocalSigner."""

from __future__ import annotations

import pytest

from pki_helpers import p256_chain, sm2_chain
from trustkit.errors import InvalidSignature
from trustkit.pki import algorithms
from trustkit.pki.signer import LocalSigner, Signer


@pytest.mark.parametrize("make_chain", [sm2_chain, p256_chain])
def test_local_signer_signs_for_its_certificate(make_chain) -> None:  # type: ignore[no-untyped-def]
    chain = make_chain()
    signer = LocalSigner(chain.leaf_key, chain.leaf, (chain.intermediate,))
    assert isinstance(signer, Signer)
    assert signer.chain == (chain.intermediate,)
    signature = signer.sign(b"licence")
    oid = signer.signature_algorithm()["algorithm"].dotted
    algorithms.verify_vartime(chain.leaf.public_key, oid, signature, b"licence")
    with pytest.raises(InvalidSignature):
        algorithms.verify_vartime(chain.leaf.public_key, oid, signature, b"licencE")


def test_sm2_signer_uses_the_default_id() -> None:
    chain = sm2_chain()
    signature = LocalSigner(chain.leaf_key, chain.leaf).sign(b"m")
    chain.leaf.public_key.verify(signature, b"m", uid=b"1234567812345678")  # type: ignore[union-attr]


def test_key_must_match_the_certificate() -> None:
    chain = sm2_chain()
    with pytest.raises(ValueError, match="does not match"):
        LocalSigner(chain.root_key, chain.leaf)
