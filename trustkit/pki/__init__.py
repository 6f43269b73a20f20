"""SM2 public-key infrastructure: certificates, requests, CRLs, path validation, CMS and timestamps.

Layers, lowest first: :mod:`~trustkit.pki.algorithms` and :mod:`~trustkit.pki.names`;
:mod:`~trustkit.pki.certificate`; :mod:`~trustkit.pki.csr` and :mod:`~trustkit.pki.crl`;
:mod:`~trustkit.pki.builder` (issuing by profile); :mod:`~trustkit.pki.validation`
(RFC 5280 path validation); :mod:`~trustkit.pki.cms` (RFC 5652 / GM/T 0010 SignedData);
:mod:`~trustkit.pki.timestamp` (RFC 3161).  SM2 signatures on certificates, CRLs, CSRs and
CMS use SM3 with Z over the default signer ID 1234567812345678 (GM/T 0009, GM/T 0015).
"""

from __future__ import annotations

from trustkit.pki.algorithms import PublicKey, SigningKey
from trustkit.pki.builder import CertificateProfile, create_root_ca, issue_certificate, issue_from_request
from trustkit.pki.certificate import Certificate, load_certificates
from trustkit.pki.cms import CmsVerification, SignerVerification, sign_cms, verify_cms
from trustkit.pki.crl import CertificateRevocationList, RevocationReason, RevokedCertificate, issue_crl
from trustkit.pki.csr import CertificateRequest
from trustkit.pki.names import format_name, make_name, parse_name
from trustkit.pki.signer import LocalSigner, Signer
from trustkit.pki.timestamp import (
    TimestampAuthority,
    TimestampInfo,
    TimestampToken,
    make_request,
    request_timestamp,
    verify_timestamp,
)
from trustkit.pki.validation import (
    Purpose,
    ValidationContext,
    ValidationFailure,
    ValidationReport,
    validate_chain,
    verify_chain,
)

__all__ = [
    "Certificate",
    "CertificateProfile",
    "CertificateRequest",
    "CertificateRevocationList",
    "CmsVerification",
    "LocalSigner",
    "PublicKey",
    "Purpose",
    "RevocationReason",
    "RevokedCertificate",
    "Signer",
    "SignerVerification",
    "SigningKey",
    "TimestampAuthority",
    "TimestampInfo",
    "TimestampToken",
    "ValidationContext",
    "ValidationFailure",
    "ValidationReport",
    "create_root_ca",
    "format_name",
    "issue_certificate",
    "issue_crl",
    "issue_from_request",
    "load_certificates",
    "make_name",
    "make_request",
    "parse_name",
    "request_timestamp",
    "sign_cms",
    "validate_chain",
    "verify_cms",
    "verify_chain",
    "verify_timestamp",
]
