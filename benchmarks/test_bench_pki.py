"""Certificate path validation and issuing: trustkit next to pyca ``cryptography`` in the same run.

Groups (``--benchmark-group-by=group``, the default):

- ``pki-validate-sm2``: a 3-certificate SM2 chain (root -> intermediate -> seal signer) with a
  CRL from each CA and ``revocation="require"``:
  ``warm`` re-validates one leaf through a long-lived ValidationContext (every signature result
  is cached: this is the issue's ">= 3,000/s per core" figure); ``warm_new_leaf`` validates a
  different leaf each round under the same context (one SM2 verification per call, the CA and
  CRL signatures come from the cache); ``cold`` builds a fresh context from parsed certificates
  and CRLs (3 certificate + 2 CRL signature checks); ``cold_from_der`` also parses the DER and
  runs with trustkit's per-key verify tables off (``cold_verify``): the CLI's one-shot case.
- ``pki-validate-p256``: the same shape of chain with P-256 keys and no CRL (pyca's verifier has
  no revocation checking): trustkit warm and cold against pyca's
  ``cryptography.x509.verification`` (``PolicyBuilder ... build_server_verifier``, built once).
- ``pki-issue``: issuing an end-entity certificate: trustkit SM2 (seal signer profile),
  trustkit P-256 (TLS profile) and pyca ``x509.CertificateBuilder`` P-256 as the peer.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from cryptography import x509 as pyca_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pytest_benchmark.fixture import BenchmarkFixture

from trustkit import sm2
from trustkit.pki import algorithms
from trustkit.pki.builder import CertificateProfile, issue_certificate
from trustkit.pki.certificate import Certificate
from trustkit.pki.crl import CertificateRevocationList, RevokedCertificate, issue_crl
from trustkit.pki.names import make_name
from trustkit.pki.validation import Purpose, ValidationContext, validate_chain

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
AT = datetime(2026, 6, 1, tzinfo=timezone.utc)
NEW_LEAVES = 400  # rounds of the warm_new_leaf benchmark, each on a leaf never validated before


@dataclass(frozen=True)
class Chain:
    root: Certificate
    intermediate: Certificate
    leaf: Certificate
    intermediate_key: Any
    crls: tuple[CertificateRevocationList, ...]


def _issue(parent: Certificate | None, parent_key: Any, name: str, profile: CertificateProfile, key: Any,
           **kwargs: Any) -> Certificate:
    return issue_certificate(subject=make_name(common_name=name, organization="trustkit bench"),
                             public_key=algorithms.public_key_of(key), issuer=parent, issuer_key=parent_key,
                             profile=profile, not_before=T0, validity=timedelta(days=1000), **kwargs)


def _chain(make_key: Any, leaf_profile: CertificateProfile, with_crls: bool) -> Chain:
    root_key, int_key, leaf_key = make_key(), make_key(), make_key()
    root = _issue(None, root_key, "Bench Root", CertificateProfile.ROOT_CA, root_key)
    intermediate = _issue(root, root_key, "Bench Intermediate", CertificateProfile.INTERMEDIATE_CA, int_key)
    extra = {"dns_names": ["tk.example.cn"]} if leaf_profile is CertificateProfile.TLS_SERVER else {}
    leaf = _issue(intermediate, int_key, "tk.example.cn", leaf_profile, leaf_key, **extra)
    crls: tuple[CertificateRevocationList, ...] = ()
    if with_crls:
        # A few revoked serials so that the lookup is not trivially empty.
        revoked = [RevokedCertificate(serial, AT - timedelta(days=2), None) for serial in range(1000, 1100)]
        crls = (issue_crl(root, root_key, [], this_update=AT - timedelta(days=1), crl_number=1),
                issue_crl(intermediate, int_key, revoked, this_update=AT - timedelta(days=1), crl_number=1))
    return Chain(root, intermediate, leaf, int_key, crls)


@pytest.fixture(scope="module")
def sm2_chain() -> Chain:
    return _chain(sm2.generate_private_key, CertificateProfile.SEAL_SIGNER, with_crls=True)


@pytest.fixture(scope="module")
def p256_chain() -> Chain:
    return _chain(lambda: ec.generate_private_key(ec.SECP256R1()), CertificateProfile.TLS_SERVER, with_crls=False)


def _context(chain: Chain, revocation: Any = "require") -> ValidationContext:
    return ValidationContext([chain.root], [chain.intermediate], chain.crls, revocation=revocation)


# ---- SM2 chain with CRLs ------------------------------------------------------------------------


@pytest.mark.benchmark(group="pki-validate-sm2")
def test_validate_sm2_warm(benchmark: BenchmarkFixture, sm2_chain: Chain) -> None:
    context = _context(sm2_chain)
    report = benchmark(validate_chain, sm2_chain.leaf, context, at=AT, purpose=Purpose.SEAL_SIGNING)
    assert report.valid and report.revocation_checked


@pytest.mark.benchmark(group="pki-validate-sm2")
def test_validate_sm2_warm_new_leaf(benchmark: BenchmarkFixture, sm2_chain: Chain) -> None:
    context = _context(sm2_chain)
    assert validate_chain(sm2_chain.leaf, context, at=AT).valid  # CA and CRL signatures now cached
    leaves = iter([
        _issue(sm2_chain.intermediate, sm2_chain.intermediate_key, f"Leaf {n}", CertificateProfile.SEAL_SIGNER,
               sm2.generate_private_key())
        for n in range(NEW_LEAVES)
    ])

    def next_leaf() -> tuple[tuple[Certificate, ValidationContext], dict[str, Any]]:
        return (next(leaves), context), {"at": AT, "purpose": Purpose.SEAL_SIGNING}

    report = benchmark.pedantic(validate_chain, setup=next_leaf, rounds=NEW_LEAVES, iterations=1)
    assert report.valid


@pytest.mark.benchmark(group="pki-validate-sm2")
def test_validate_sm2_cold(benchmark: BenchmarkFixture, sm2_chain: Chain) -> None:
    def cold() -> bool:
        return validate_chain(sm2_chain.leaf, _context(sm2_chain), at=AT, purpose=Purpose.SEAL_SIGNING).valid

    assert benchmark(cold)


@pytest.mark.benchmark(group="pki-validate-sm2")
@pytest.mark.usefixtures("cold_verify")
def test_validate_sm2_cold_from_der(benchmark: BenchmarkFixture, sm2_chain: Chain) -> None:
    ders = (sm2_chain.root.der, sm2_chain.intermediate.der, sm2_chain.leaf.der)
    crl_ders = tuple(crl.der for crl in sm2_chain.crls)

    def cold() -> bool:
        root, intermediate, leaf = (Certificate.from_der(der) for der in ders)
        crls = [CertificateRevocationList.from_der(der) for der in crl_ders]
        context = ValidationContext([root], [intermediate], crls, revocation="require")
        return validate_chain(leaf, context, at=AT, purpose=Purpose.SEAL_SIGNING).valid

    assert benchmark(cold)


# ---- P-256 chain: trustkit against pyca's verifier ----------------------------------------------


@pytest.mark.benchmark(group="pki-validate-p256")
def test_validate_p256_warm_trustkit(benchmark: BenchmarkFixture, p256_chain: Chain) -> None:
    context = _context(p256_chain, revocation="off")
    report = benchmark(validate_chain, p256_chain.leaf, context, at=AT, purpose=Purpose.TLS_SERVER)
    assert report.valid


@pytest.mark.benchmark(group="pki-validate-p256")
def test_validate_p256_cold_trustkit(benchmark: BenchmarkFixture, p256_chain: Chain) -> None:
    def cold() -> bool:
        context = _context(p256_chain, revocation="off")
        return validate_chain(p256_chain.leaf, context, at=AT, purpose=Purpose.TLS_SERVER).valid

    assert benchmark(cold)


@pytest.mark.benchmark(group="pki-validate-p256")
def test_validate_p256_pyca(benchmark: BenchmarkFixture, p256_chain: Chain) -> None:
    verification = pytest.importorskip("cryptography.x509.verification")
    root, intermediate, leaf = (pyca_x509.load_der_x509_certificate(c.der)
                                for c in (p256_chain.root, p256_chain.intermediate, p256_chain.leaf))
    verifier = (verification.PolicyBuilder().store(verification.Store([root])).time(AT)
                .build_server_verifier(verification.DNSName("tk.example.cn")))
    path = benchmark(verifier.verify, leaf, [intermediate])
    assert len(path) == 3


# ---- issuing an end-entity certificate ----------------------------------------------------------


@pytest.fixture(scope="module")
def serials() -> Iterator[int]:
    return itertools.count(1 << 64)


@pytest.mark.benchmark(group="pki-issue")
def test_issue_sm2_end_entity(benchmark: BenchmarkFixture, sm2_chain: Chain, serials: Iterator[int]) -> None:
    public = sm2.generate_private_key().public_key()
    subject = make_name(common_name="Seal Signer 91330100MA2H000000", organization="trustkit bench")

    def issue() -> Certificate:
        return issue_certificate(subject=subject, public_key=public, issuer=sm2_chain.intermediate,
                                 issuer_key=sm2_chain.intermediate_key, profile=CertificateProfile.SEAL_SIGNER,
                                 serial_number=next(serials))

    assert benchmark(issue).issuer == sm2_chain.intermediate.subject


@pytest.mark.benchmark(group="pki-issue")
def test_issue_p256_end_entity_trustkit(benchmark: BenchmarkFixture, p256_chain: Chain,
                                        serials: Iterator[int]) -> None:
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    subject = make_name(common_name="tk.example.cn", organization="trustkit bench")

    def issue() -> Certificate:
        return issue_certificate(subject=subject, public_key=public, issuer=p256_chain.intermediate,
                                 issuer_key=p256_chain.intermediate_key, profile=CertificateProfile.TLS_SERVER,
                                 dns_names=["tk.example.cn"], serial_number=next(serials))

    assert benchmark(issue).issuer == p256_chain.intermediate.subject


@pytest.mark.benchmark(group="pki-issue")
def test_issue_p256_end_entity_pyca(benchmark: BenchmarkFixture, p256_chain: Chain, serials: Iterator[int]) -> None:
    """pyca's CertificateBuilder with the same extensions as trustkit's TLS_SERVER profile."""
    issuer = pyca_x509.load_der_x509_certificate(p256_chain.intermediate.der)
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    subject = pyca_x509.Name([pyca_x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                              pyca_x509.NameAttribute(NameOID.ORGANIZATION_NAME, "trustkit bench"),
                              pyca_x509.NameAttribute(NameOID.COMMON_NAME, "tk.example.cn")])
    aki = pyca_x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key())  # type: ignore[arg-type]

    def issue() -> pyca_x509.Certificate:
        now = datetime.now(timezone.utc)
        builder = (
            pyca_x509.CertificateBuilder().subject_name(subject).issuer_name(issuer.subject).public_key(public)
            .serial_number(next(serials)).not_valid_before(now).not_valid_after(now + timedelta(days=365))
            .add_extension(pyca_x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(pyca_x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                           critical=True)
            .add_extension(pyca_x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(aki, critical=False)
            .add_extension(pyca_x509.ExtendedKeyUsage([pyca_x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(pyca_x509.SubjectAlternativeName([pyca_x509.DNSName("tk.example.cn")]), critical=False)
        )
        return builder.sign(p256_chain.intermediate_key, hashes.SHA256())

    assert benchmark(issue).issuer == issuer.subject
