"""Issue X.509 v3 certificates for SM2 (and RSA / ECDSA P-256) keys by profile.

Profiles follow RFC 5280 4.2 and GM/T 0015 practice:

=================  ==========================================  ==============================
profile            keyUsage (critical)                         other
=================  ==========================================  ==============================
ROOT_CA            keyCertSign, cRLSign                        CA:TRUE (critical), SKI
INTERMEDIATE_CA    keyCertSign, cRLSign                        CA:TRUE, pathLen 0 default, SKI, AKI
SEAL_SIGNER        digitalSignature, nonRepudiation            CA:FALSE, SKI, AKI
SEAL_MAKER         digitalSignature, nonRepudiation            CA:FALSE, SKI, AKI
PERSON             digitalSignature, nonRepudiation            CA:FALSE, SKI, AKI, SAN email
TLS_SERVER         digitalSignature (+keyEncipherment for RSA) EKU serverAuth, SAN dNSName required
TIMESTAMPING       digitalSignature, nonRepudiation            EKU timeStamping only, critical (RFC 3161 2.3)
=================  ==========================================  ==============================

CRL distribution points and certificate policies are optional on every profile.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from asn1crypto import core, keys, x509
from cryptography.hazmat.primitives.asymmetric import rsa

from trustkit import oids
from trustkit.errors import InvalidSignature
from trustkit.pki.algorithms import (
    PublicKey,
    SigningKey,
    key_identifier,
    public_key_info,
    public_key_of,
    public_keys_equal,
    sign,
    signature_algorithm,
)
from trustkit.pki.certificate import Certificate
from trustkit.pki.csr import CertificateRequest
from trustkit.pki.names import ParsedName

__all__ = [
    "CertificateProfile",
    "create_root_ca",
    "issue_certificate",
    "issue_from_request",
    "random_serial_number",
]


class CertificateProfile(enum.Enum):
    """What a certificate is for; decides its extensions."""

    ROOT_CA = "root_ca"
    INTERMEDIATE_CA = "intermediate_ca"
    SEAL_SIGNER = "seal_signer"
    SEAL_MAKER = "seal_maker"
    PERSON = "person"
    TLS_SERVER = "tls_server"
    TIMESTAMPING = "timestamping"

    @property
    def is_ca(self) -> bool:
        return self in (CertificateProfile.ROOT_CA, CertificateProfile.INTERMEDIATE_CA)


_DEFAULT_VALIDITY: dict[CertificateProfile, timedelta] = {
    CertificateProfile.ROOT_CA: timedelta(days=20 * 365),
    CertificateProfile.INTERMEDIATE_CA: timedelta(days=10 * 365),
    CertificateProfile.SEAL_SIGNER: timedelta(days=3 * 365),
    CertificateProfile.SEAL_MAKER: timedelta(days=5 * 365),
    CertificateProfile.PERSON: timedelta(days=2 * 365),
    CertificateProfile.TLS_SERVER: timedelta(days=397),
    CertificateProfile.TIMESTAMPING: timedelta(days=5 * 365),
}
_SIGNING_USAGE = frozenset({"digital_signature", "non_repudiation"})
_CA_USAGE = frozenset({"key_cert_sign", "crl_sign"})
_MAX_SERIAL_BITS = 159  # 20 octets with a clear top bit, so the INTEGER stays positive


def random_serial_number() -> int:
    """A random positive serial number of at most 20 octets (RFC 5280 4.1.2.2), 159 bits of entropy."""
    while True:
        serial = secrets.randbits(_MAX_SERIAL_BITS)
        if serial >= 1 << 63:  # at least 8 octets, never zero
            return serial


def _time(value: datetime) -> x509.Time:
    # RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
    if value.year < 2050:
        return x509.Time(name="utc_time", value=value)
    return x509.Time(name="general_time", value=value)


def _utc_seconds(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime")
    return value.astimezone(timezone.utc).replace(microsecond=0)


def _extension(extn_id: str, critical: bool, value: Any) -> x509.Extension:
    return x509.Extension({"extn_id": extn_id, "critical": critical, "extn_value": value})


def _general_names(dns_names: Sequence[str], email: str | None) -> x509.GeneralNames:
    names = [x509.GeneralName(name="dns_name", value=name) for name in dns_names]
    if email is not None:
        names.append(x509.GeneralName(name="rfc822_name", value=email))
    return x509.GeneralNames(names)


def _key_usage(profile: CertificateProfile, public_key: PublicKey) -> frozenset[str]:
    if profile.is_ca:
        return _CA_USAGE
    if profile is CertificateProfile.TLS_SERVER:
        if isinstance(public_key, rsa.RSAPublicKey):
            return frozenset({"digital_signature", "key_encipherment"})
        return frozenset({"digital_signature"})
    return _SIGNING_USAGE


def _check_arguments(
    profile: CertificateProfile,
    issuer: Certificate | None,
    path_length: int | None,
    dns_names: Sequence[str],
) -> None:
    if profile is CertificateProfile.ROOT_CA and issuer is not None:
        raise ValueError("a ROOT_CA certificate is self-signed: pass issuer=None")
    if profile is CertificateProfile.INTERMEDIATE_CA and issuer is None:
        raise ValueError("an INTERMEDIATE_CA certificate needs an issuer certificate")
    if path_length is not None:
        if not profile.is_ca:
            raise ValueError(f"path_length applies to CA profiles only, not {profile.name}")
        if path_length < 0:
            raise ValueError("path_length must be >= 0")
    if profile is CertificateProfile.TLS_SERVER and not dns_names:
        raise ValueError("a TLS_SERVER certificate needs at least one DNS name (dns_names=...)")
    if issuer is not None:
        if not issuer.is_ca:
            raise ValueError(f"the issuer {issuer.subject_text!r} is not a CA (basicConstraints cA is not TRUE)")
        if issuer.key_usage is not None and "key_cert_sign" not in issuer.key_usage:
            raise ValueError(f"the issuer {issuer.subject_text!r} lacks keyUsage keyCertSign")


def issue_certificate(
    *,
    subject: x509.Name,
    public_key: PublicKey,
    issuer: Certificate | None,
    issuer_key: SigningKey,
    profile: CertificateProfile,
    serial_number: int | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    validity: timedelta | None = None,
    path_length: int | None = None,
    dns_names: Iterable[str] = (),
    email: str | None = None,
    crl_urls: Iterable[str] = (),
    policy_oids: Iterable[str] = (),
) -> Certificate:
    """Build and sign an X.509 v3 certificate.

    :param issuer: the issuing CA certificate, or ``None`` for a self-signed certificate
        (then ``issuer_key`` must be the key of ``public_key``).
    :param not_before: defaults to now (UTC, whole seconds).
    :param not_after: defaults to ``not_before + validity`` (validity defaults per profile).
    :param path_length: pathLenConstraint for CA profiles (INTERMEDIATE_CA defaults to 0).
    :raises ValueError: inconsistent arguments (issuer key does not match the issuer, a leaf
        profile with ``path_length``, not_after before not_before, TLS without DNS names, ...).
    """
    dns = tuple(dns_names)
    crls = tuple(crl_urls)
    policies = tuple(policy_oids)
    _check_arguments(profile, issuer, path_length, dns)
    issuer_public = public_key_of(issuer_key)
    if issuer is None:
        if not public_keys_equal(issuer_public, public_key):
            raise ValueError("self-signed: issuer_key must be the private key of public_key")
    elif not public_keys_equal(issuer_public, issuer.public_key):
        raise ValueError("issuer_key does not match the issuer certificate's public key")
    if validity is not None and not_after is not None:
        raise ValueError("pass either not_after or validity, not both")
    start = _utc_seconds(not_before or datetime.now(timezone.utc), "not_before")
    end = _utc_seconds(not_after, "not_after") if not_after is not None else (
        start + (validity if validity is not None else _DEFAULT_VALIDITY[profile])
    )
    if end <= start:
        raise ValueError("not_after must be later than not_before")
    serial = random_serial_number() if serial_number is None else serial_number
    if not 0 < serial < 1 << _MAX_SERIAL_BITS:
        raise ValueError("serial_number must be positive and at most 20 octets (RFC 5280 4.1.2.2)")
    if profile is CertificateProfile.INTERMEDIATE_CA and path_length is None:
        path_length = 0

    ski = key_identifier(public_key)
    extensions = [
        _extension("basic_constraints", True, {"ca": profile.is_ca, "path_len_constraint": path_length}),
        _extension("key_usage", True, set(_key_usage(profile, public_key))),
        _extension("key_identifier", False, ski),
    ]
    if issuer is not None:
        aki = issuer.subject_key_identifier or key_identifier(issuer.public_key)
        extensions.append(_extension("authority_key_identifier", False, {"key_identifier": aki}))
    if profile is CertificateProfile.TLS_SERVER:
        extensions.append(_extension("extended_key_usage", False, [oids.KP_SERVER_AUTH]))
    elif profile is CertificateProfile.TIMESTAMPING:
        extensions.append(_extension("extended_key_usage", True, [oids.KP_TIME_STAMPING]))
    if dns or email is not None:
        empty_subject = len(subject.chosen) == 0
        extensions.append(_extension("subject_alt_name", empty_subject, _general_names(dns, email)))
    if crls:
        points = [
            {"distribution_point": x509.DistributionPointName(
                name="full_name",
                value=[x509.GeneralName(name="uniform_resource_identifier", value=url) for url in crls],
            )}
        ]
        extensions.append(_extension("crl_distribution_points", False, points))
    if policies:
        extensions.append(
            _extension("certificate_policies", False, [{"policy_identifier": oid} for oid in policies])
        )

    algorithm = signature_algorithm(issuer_key)
    tbs = x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": serial,
            "signature": algorithm,
            "issuer": ParsedName.load(issuer.subject.dump()) if issuer is not None else subject,
            "validity": {"not_before": _time(start), "not_after": _time(end)},
            "subject": subject,
            "subject_public_key_info": keys.PublicKeyInfo.load(public_key_info(public_key).dump()),
            "extensions": extensions,
        }
    )
    tbs_der = tbs.dump()
    cert = x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": signature_algorithm(issuer_key),
            "signature_value": core.OctetBitString(sign(issuer_key, tbs_der)),
        }
    )
    return Certificate.from_der(cert.dump())


def issue_from_request(
    request: CertificateRequest,
    *,
    issuer: Certificate | None,
    issuer_key: SigningKey,
    profile: CertificateProfile,
    dns_names: Iterable[str] | None = None,
    email: str | None = None,
    **kwargs: Any,
) -> Certificate:
    """Issue a certificate for a PKCS#10 request after checking its self-signature.

    Subject and public key come from the request; its DNS names are used unless
    ``dns_names`` is given.  Other keywords are those of :func:`issue_certificate`.

    :raises InvalidSignature: the request's self-signature does not verify.
    """
    try:
        request.verify_self_signature_vartime()
    except InvalidSignature:
        raise InvalidSignature("the certificate request's self-signature does not verify") from None
    return issue_certificate(
        subject=request.subject,
        public_key=request.public_key,
        issuer=issuer,
        issuer_key=issuer_key,
        profile=profile,
        dns_names=request.dns_names if dns_names is None else dns_names,
        email=email if email is not None else request.email,
        **kwargs,
    )


def create_root_ca(
    subject: x509.Name,
    key: SigningKey,
    *,
    validity: timedelta = _DEFAULT_VALIDITY[CertificateProfile.ROOT_CA],
    not_before: datetime | None = None,
    path_length: int | None = None,
    crl_urls: Iterable[str] = (),
) -> Certificate:
    """A self-signed ROOT_CA certificate for ``key`` (20 years by default)."""
    return issue_certificate(
        subject=subject,
        public_key=public_key_of(key),
        issuer=None,
        issuer_key=key,
        profile=CertificateProfile.ROOT_CA,
        not_before=not_before,
        validity=validity,
        path_length=path_length,
        crl_urls=crl_urls,
    )
