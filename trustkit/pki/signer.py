"""The signing interface every format (seals, OFD, PDF, CMS) receives instead of key material.

A :class:`Signer` holds a certificate and signs bytes with the matching private key, wherever
that key lives: :class:`LocalSigner` wraps an in-process key; a remote signer (the signing
daemon, an HSM) implements the same two members.  Formats never see raw key bytes.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from asn1crypto import algos

from trustkit.pki import algorithms
from trustkit.pki.algorithms import SigningKey
from trustkit.pki.certificate import Certificate

__all__ = ["LocalSigner", "Signer"]


@runtime_checkable
class Signer(Protocol):
    """Something that signs with the private key of :attr:`certificate`.

    ``sign(data)`` returns the signature over ``data`` in the algorithm that
    :meth:`signature_algorithm` names: for SM2 a DER SM2Signature over SM3(Z || data) with Z
    from the default ID 1234567812345678 (GM/T 0009 clause 10), as certificates, CMS and
    SES signatures require.
    """

    @property
    def certificate(self) -> Certificate:
        """The signer's certificate."""
        ...

    @property
    def chain(self) -> tuple[Certificate, ...]:
        """Issuer certificates to embed beside :attr:`certificate`, nearest first (may be empty)."""
        ...

    def signature_algorithm(self) -> algos.SignedDigestAlgorithm:
        """The AlgorithmIdentifier of the signatures :meth:`sign` makes."""
        ...

    def sign(self, data: bytes) -> bytes:
        """Sign ``data`` (the signer hashes it; SM2 includes Z)."""
        ...


class LocalSigner:
    """A :class:`Signer` over a private key held in this process.

    :raises ValueError: ``key`` does not belong to ``certificate``.
    """

    __slots__ = ("_key", "_certificate", "_chain")

    def __init__(self, key: SigningKey, certificate: Certificate, chain: tuple[Certificate, ...] = ()) -> None:
        if not algorithms.public_keys_equal(algorithms.public_key_of(key), certificate.public_key):
            raise ValueError("the private key does not match the certificate's public key")
        self._key = key
        self._certificate = certificate
        self._chain = tuple(chain)

    @property
    def certificate(self) -> Certificate:
        return self._certificate

    @property
    def chain(self) -> tuple[Certificate, ...]:
        return self._chain

    @property
    def key(self) -> SigningKey:
        """The private key (for code that must hand it to a library, such as pyca's builders)."""
        return self._key

    def signature_algorithm(self) -> algos.SignedDigestAlgorithm:
        return algorithms.signature_algorithm(self._key)

    def sign(self, data: bytes) -> bytes:
        return algorithms.sign(self._key, data)

    def __repr__(self) -> str:
        return f"LocalSigner({self._certificate.subject_text!r})"
