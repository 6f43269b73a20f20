"""Shared test PKI: root -> intermediate -> leaf chains (SM2, RSA, P-256) with keys and CRLs.

All times are pinned to :data:`NOW` so tests never read the wall clock.  Chains made with
default arguments are cached per process (they are immutable), so importing tests can call
:func:`sm2_chain` freely; :func:`make_chain` always builds a fresh one.

Usage::

    from pki_helpers import NOW, sm2_chain
    chain = sm2_chain()
    chain.leaf.verify_signed_by_vartime(chain.intermediate)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from asn1crypto import core, x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from trustkit import sm2
from trustkit.pki.algorithms import SigningKey, public_key_of, sign, signature_algorithm
from trustkit.pki.builder import CertificateProfile, create_root_ca, issue_certificate
from trustkit.pki.certificate import Certificate
from trustkit.pki.crl import CertificateRevocationList, RevokedCertificate, issue_crl
from trustkit.pki.names import make_name

__all__ = [
    "CRL_URL",
    "NOW",
    "KeyType",
    "TestChain",
    "add_extension",
    "drop_extension",
    "make_chain",
    "make_crl",
    "new_key",
    "p256_chain",
    "resign",
    "rsa_chain",
    "sm2_chain",
]

#: The pinned "current time" of the test PKI.
NOW = datetime(2026, 6, 1, 12, 0, 0, tzinfo=timezone.utc)
#: Root valid 2026-01-01 .. 2046, intermediate 2026-01-01 .. 2036, leaf 2026-05-01 .. 2028-05-01.
ROOT_NOT_BEFORE = datetime(2026, 1, 1, tzinfo=timezone.utc)
LEAF_NOT_BEFORE = datetime(2026, 5, 1, tzinfo=timezone.utc)
CRL_URL = "http://crl.example.cn/int.crl"

KeyType = Literal["sm2", "rsa", "p256"]


def new_key(kind: KeyType = "sm2") -> SigningKey:
    """A fresh private key of the given kind (RSA is 2048 bits)."""
    if kind == "sm2":
        return sm2.generate_private_key()
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "p256":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(kind)


@dataclass(frozen=True)
class TestChain:
    """A three-level chain plus a CRL from the intermediate (empty unless revoked serials given)."""

    __test__ = False  # not a pytest test class

    root: Certificate
    root_key: SigningKey
    intermediate: Certificate
    intermediate_key: SigningKey
    leaf: Certificate
    leaf_key: SigningKey
    crl: CertificateRevocationList

    @property
    def certificates(self) -> tuple[Certificate, Certificate, Certificate]:
        """leaf, intermediate, root."""
        return (self.leaf, self.intermediate, self.root)


def make_chain(
    kind: KeyType = "sm2",
    *,
    leaf_profile: CertificateProfile = CertificateProfile.SEAL_SIGNER,
    revoked_serials: tuple[int, ...] = (),
    leaf_not_before: datetime = LEAF_NOT_BEFORE,
    leaf_validity: timedelta = timedelta(days=730),
    leaf_dns_names: tuple[str, ...] = (),
) -> TestChain:
    """Build root -> intermediate (pathLen 0) -> leaf, all with keys of ``kind``.

    TLS_SERVER leaves get ``www.example.cn`` unless ``leaf_dns_names`` is given.  The CRL is
    issued by the intermediate at NOW - 1 day, next update NOW + 6 days, CRL number 1.
    """
    root_key, int_key, leaf_key = new_key(kind), new_key(kind), new_key(kind)
    root = create_root_ca(
        make_name(common_name=f"trustkit test root ({kind})", organization="trustkit 测试"),
        root_key,
        not_before=ROOT_NOT_BEFORE,
        validity=timedelta(days=20 * 365),
    )
    intermediate = issue_certificate(
        subject=make_name(common_name=f"trustkit test intermediate ({kind})", organization="trustkit 测试"),
        public_key=public_key_of(int_key),
        issuer=root,
        issuer_key=root_key,
        profile=CertificateProfile.INTERMEDIATE_CA,
        not_before=ROOT_NOT_BEFORE,
        validity=timedelta(days=10 * 365),
        crl_urls=(),
    )
    dns = leaf_dns_names or (("www.example.cn",) if leaf_profile is CertificateProfile.TLS_SERVER else ())
    leaf = issue_certificate(
        subject=make_name(common_name=f"某某单位 leaf ({kind})", organization="某某单位"),
        public_key=public_key_of(leaf_key),
        issuer=intermediate,
        issuer_key=int_key,
        profile=leaf_profile,
        not_before=leaf_not_before,
        validity=leaf_validity,
        dns_names=dns,
        crl_urls=(CRL_URL,),
    )
    crl = make_crl(intermediate, int_key, revoked_serials)
    return TestChain(root, root_key, intermediate, int_key, leaf, leaf_key, crl)


def make_crl(
    issuer: Certificate,
    issuer_key: SigningKey,
    revoked_serials: tuple[int, ...] = (),
    *,
    this_update: datetime = NOW - timedelta(days=1),
    next_update: datetime = NOW + timedelta(days=6),
    crl_number: int = 1,
) -> CertificateRevocationList:
    """A CRL from ``issuer`` revoking ``revoked_serials`` (reason keyCompromise, at NOW - 2 days)."""
    from trustkit.pki.crl import RevocationReason

    entries = [
        RevokedCertificate(serial, NOW - timedelta(days=2), RevocationReason.KEY_COMPROMISE)
        for serial in revoked_serials
    ]
    return issue_crl(
        issuer, issuer_key, entries, this_update=this_update, next_update=next_update, crl_number=crl_number
    )


@functools.cache
def sm2_chain(leaf_profile: CertificateProfile = CertificateProfile.SEAL_SIGNER) -> TestChain:
    """A cached SM2 chain (do not rely on identity across different leaf profiles)."""
    return make_chain("sm2", leaf_profile=leaf_profile)


@functools.cache
def rsa_chain(leaf_profile: CertificateProfile = CertificateProfile.SEAL_SIGNER) -> TestChain:
    """A cached RSA-2048 chain."""
    return make_chain("rsa", leaf_profile=leaf_profile)


@functools.cache
def p256_chain(leaf_profile: CertificateProfile = CertificateProfile.SEAL_SIGNER) -> TestChain:
    """A cached ECDSA P-256 chain."""
    return make_chain("p256", leaf_profile=leaf_profile)


def resign(
    cert: Certificate,
    issuer_key: SigningKey,
    mutate: Callable[[Any], None],
) -> Certificate:
    """Copy ``cert``, let ``mutate`` edit its asn1crypto TbsCertificate in place, re-sign it.

    For negative tests the builder refuses to make (an unknown critical extension, a CA
    without keyUsage, ...).  Example: add an unknown critical extension::

        def add(tbs):
            exts = list(tbs["extensions"]) + [x509.Extension(
                {"extn_id": "1.2.3.4", "critical": True, "extn_value": core.OctetString(b"x")})]
            tbs["extensions"] = exts
        bad = resign(chain.leaf, chain.intermediate_key, add)
    """
    tbs = x509.TbsCertificate.load(cert.tbs_der)
    tbs = tbs.copy()
    mutate(tbs)
    tbs_der = tbs.dump(force=True)
    out = x509.Certificate(
        {
            "tbs_certificate": x509.TbsCertificate.load(tbs_der),
            "signature_algorithm": signature_algorithm(issuer_key),
            "signature_value": core.OctetBitString(sign(issuer_key, tbs_der)),
        }
    )
    return Certificate.from_der(out.dump())


def add_extension(extn_id: str, value: bytes, *, critical: bool) -> Callable[[Any], None]:
    """A ``mutate`` for :func:`resign` that appends an extension with raw DER ``value``."""

    def mutate(tbs: Any) -> None:
        extensions = [x509.Extension.load(ext.dump()) for ext in tbs["extensions"]]
        extensions.append(
            x509.Extension({"extn_id": extn_id, "critical": critical, "extn_value": core.ParsableOctetString(value)})
        )
        tbs["extensions"] = extensions

    return mutate


def drop_extension(extn_id: str) -> Callable[[Any], None]:
    """A ``mutate`` for :func:`resign` that removes an extension (by dotted OID)."""

    def mutate(tbs: Any) -> None:
        tbs["extensions"] = [
            x509.Extension.load(ext.dump()) for ext in tbs["extensions"] if ext["extn_id"].dotted != extn_id
        ]

    return mutate
