"""Certificate revocation lists (RFC 5280 5): issue, parse, look up, check the signature.

A CRL is signed like a certificate (SM2 over SM3(Z(default ID) || TBSCertList), DER
signature).  :meth:`CertificateRevocationList.find` is a dictionary lookup built once at load.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cached_property
from types import MappingProxyType
from typing import Any, ClassVar, Final

from asn1crypto import core, crl, pem, x509

from trustkit.errors import DecodeError, TrustkitError
from trustkit.pki.algorithms import (
    PublicKey,
    SigningKey,
    check_algorithm_parameters,
    key_identifier,
    public_key_of,
    public_keys_equal,
    sign,
    signature_algorithm,
    verify_vartime,
)
from trustkit.pki.certificate import (
    Certificate,
    _asn1_reason,
    _aware,
    _check_size,
    _extensions,
    _is_pem,
    _pem_one,
    _present,
    _with_parsed_names,
)
from trustkit.pki.names import ParsedName, format_name
from trustkit.primitives import sm2

__all__ = [
    "KNOWN_CRL_EXTENSIONS",
    "MAX_CRL_BYTES",
    "CertificateRevocationList",
    "RevocationReason",
    "RevokedCertificate",
    "issue_crl",
]

#: CRLs larger than this are refused (a national root's CRL is a few KiB; big CAs reach MiBs).
MAX_CRL_BYTES: Final = 64 << 20
_CRL_LABELS = frozenset({b"X509 CRL", b"CRL"})

EXT_CRL_NUMBER: Final = "2.5.29.20"
EXT_AUTHORITY_KEY_IDENTIFIER: Final = "2.5.29.35"
EXT_CRL_REASON: Final = "2.5.29.21"
EXT_INVALIDITY_DATE: Final = "2.5.29.24"
#: CRL and entry extensions processed here; a critical one outside this set (for example
#: issuingDistributionPoint, deltaCRLIndicator, certificateIssuer) is reported by
#: :attr:`CertificateRevocationList.unknown_critical_extensions` (RFC 5280 5.2, 5.3).
KNOWN_CRL_EXTENSIONS: Final = frozenset(
    {EXT_CRL_NUMBER, EXT_AUTHORITY_KEY_IDENTIFIER, EXT_CRL_REASON, EXT_INVALIDITY_DATE}
)


class _TbsCertList(crl.TbsCertList):  # type: ignore[misc]
    _fields: ClassVar[list[Any]] = _with_parsed_names(crl.TbsCertList._fields, ("issuer",))


class _CertificateList(crl.CertificateList):  # type: ignore[misc]
    _fields: ClassVar[list[Any]] = [("tbs_cert_list", _TbsCertList), *crl.CertificateList._fields[1:]]


class RevocationReason(enum.Enum):
    """CRLReason (RFC 5280 5.3.1); the value is the asn1crypto name, :attr:`code` the integer."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "key_compromise"
    CA_COMPROMISE = "ca_compromise"
    AFFILIATION_CHANGED = "affiliation_changed"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessation_of_operation"
    CERTIFICATE_HOLD = "certificate_hold"
    REMOVE_FROM_CRL = "remove_from_crl"
    PRIVILEGE_WITHDRAWN = "privilege_withdrawn"
    AA_COMPROMISE = "aa_compromise"

    @property
    def code(self) -> int:
        """The ENUMERATED value carried in DER."""
        return _REASON_CODES[self.value]


_REASON_CODES: dict[str, int] = {name: code for code, name in crl.CRLReason._map.items()}


@dataclass(frozen=True)
class RevokedCertificate:
    """One revokedCertificates entry (RFC 5280 5.1.2.6).  ``reason`` is None when absent."""

    serial_number: int
    revocation_date: datetime
    reason: RevocationReason | None = None


def _time(value: datetime) -> x509.Time:
    value = value.astimezone(timezone.utc).replace(microsecond=0)
    # RFC 5280 5.1.2.4: UTCTime through 2049, GeneralizedTime from 2050.
    return x509.Time(name="utc_time" if value.year < 2050 else "general_time", value=value)


@dataclass(frozen=True, eq=False)
class CertificateRevocationList:
    """A parsed CRL.  Build one with :func:`issue_crl` or load one with :meth:`load`."""

    der: bytes
    asn1: crl.CertificateList = field(repr=False)
    tbs_der: bytes = field(repr=False)
    issuer: x509.Name = field(repr=False)
    this_update: datetime
    next_update: datetime | None
    crl_number: int | None
    authority_key_identifier: bytes | None = field(repr=False)
    revoked: tuple[RevokedCertificate, ...] = field(repr=False)
    signature_algorithm_oid: str
    signature: bytes = field(repr=False)
    critical_extensions: frozenset[str]
    _index: Mapping[int, RevokedCertificate] = field(repr=False)

    @classmethod
    def from_der(cls, data: bytes) -> CertificateRevocationList:
        """Parse one DER CRL (strict: no trailing bytes).

        :raises DecodeError: malformed input.
        """
        der = _check_size(data, MAX_CRL_BYTES, "CRL")
        try:
            return cls._parse(der)
        except TrustkitError:
            raise
        except (ValueError, KeyError, IndexError, TypeError, AttributeError, OverflowError) as exc:
            raise DecodeError(f"CRL: malformed DER ({_asn1_reason(exc)})") from None

    @classmethod
    def from_pem(cls, data: bytes) -> CertificateRevocationList:
        """Parse exactly one ``X509 CRL`` PEM block."""
        raw = _check_size(data, 2 * MAX_CRL_BYTES, "CRL")
        return cls.from_der(_pem_one(raw, _CRL_LABELS, "CRL"))

    @classmethod
    def load(cls, data: bytes) -> CertificateRevocationList:
        """Parse a CRL given as PEM or DER."""
        raw = _check_size(data, 2 * MAX_CRL_BYTES, "CRL")
        return cls.from_pem(raw) if _is_pem(raw) else cls.from_der(raw)

    @classmethod
    def _parse(cls, der: bytes) -> CertificateRevocationList:
        if der[0] != 0x30:
            raise DecodeError(f"CRL: expected a DER SEQUENCE, found tag 0x{der[0]:02x}")
        cert_list = _CertificateList.load(der, strict=True)
        tbs = cert_list["tbs_cert_list"]
        outer = check_algorithm_parameters(cert_list["signature_algorithm"], "CRL")
        inner = check_algorithm_parameters(tbs["signature"], "CRL")
        if outer != inner:
            raise DecodeError(f"CRL: signatureAlgorithm and tbsCertList.signature differ ({outer} vs {inner})")
        issuer = tbs["issuer"]
        _ = issuer.native, issuer.hashable  # hashable: RFC 4518 preparation, as comparisons do
        this_update = _aware(tbs["this_update"].native, "CRL thisUpdate")
        next_raw = tbs["next_update"].native
        next_update = _aware(next_raw, "CRL nextUpdate") if next_raw is not None else None
        critical: set[str] = set()
        exts = _extensions(_present(tbs["crl_extensions"]), "CRL")
        critical.update(oid for oid, (is_critical, _) in exts.items() if is_critical)
        crl_number: int | None = None
        aki: bytes | None = None
        if EXT_CRL_NUMBER in exts:
            crl_number = int(exts[EXT_CRL_NUMBER][1]["extn_value"].parsed.native)
        if EXT_AUTHORITY_KEY_IDENTIFIER in exts:
            key_id = exts[EXT_AUTHORITY_KEY_IDENTIFIER][1]["extn_value"].parsed["key_identifier"].native
            aki = bytes(key_id) if key_id is not None else None
        entries: list[RevokedCertificate] = []
        index: dict[int, RevokedCertificate] = {}
        revoked_list = tbs["revoked_certificates"]
        for entry in _present(revoked_list) or ():
            serial = int(entry["user_certificate"].native)
            date = _aware(entry["revocation_date"].native, "CRL revocationDate")
            reason: RevocationReason | None = None
            entry_exts_value = entry["crl_entry_extensions"]
            entry_exts = _extensions(_present(entry_exts_value), "CRL entry")
            critical.update(oid for oid, (is_critical, _) in entry_exts.items() if is_critical)
            if EXT_CRL_REASON in entry_exts:
                reason = RevocationReason(entry_exts[EXT_CRL_REASON][1]["extn_value"].parsed.native)
            revoked = RevokedCertificate(serial, date, reason)
            entries.append(revoked)
            index.setdefault(serial, revoked)
        signature_value = cert_list["signature"]
        if signature_value.unused_bits:
            raise DecodeError("CRL: the signature BIT STRING has unused bits")
        return cls(
            der=der,
            asn1=cert_list,
            tbs_der=bytes(tbs.dump()),
            issuer=issuer,
            this_update=this_update,
            next_update=next_update,
            crl_number=crl_number,
            authority_key_identifier=aki,
            revoked=tuple(entries),
            signature_algorithm_oid=outer,
            signature=bytes(signature_value.native),
            critical_extensions=frozenset(critical),
            _index=MappingProxyType(index),
        )

    @cached_property
    def issuer_text(self) -> str:
        """The issuer in RFC 4514 form."""
        return format_name(self.issuer)

    @property
    def unknown_critical_extensions(self) -> frozenset[str]:
        """Critical CRL or entry extensions this module does not process (RFC 5280 5.2)."""
        return self.critical_extensions - KNOWN_CRL_EXTENSIONS

    def find(self, serial_number: int) -> RevokedCertificate | None:
        """The entry for ``serial_number``, or None (O(1))."""
        return self._index.get(serial_number)

    def verify_signed_by_vartime(self, issuer: Certificate | PublicKey, *, allow_no_z: bool = False) -> None:
        """Check that ``issuer`` signed this CRL (signature only; names and times are the
        validator's job).

        :raises InvalidSignature: the signature does not verify.
        """
        key = issuer.public_key if isinstance(issuer, Certificate) else issuer
        verify_vartime(
            key, self.signature_algorithm_oid, self.signature, self.tbs_der,
            uid=sm2.DEFAULT_UID, allow_no_z=allow_no_z,
        )

    def to_pem(self) -> bytes:
        """PEM ``X509 CRL`` block."""
        return bytes(pem.armor("X509 CRL", self.der))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CertificateRevocationList) and self.der == other.der

    def __hash__(self) -> int:
        return hash(self.der)


def _entry(revoked: RevokedCertificate) -> dict[str, Any]:
    if revoked.serial_number <= 0:
        raise ValueError("a revoked serial number must be positive")
    entry: dict[str, Any] = {
        "user_certificate": revoked.serial_number,
        "revocation_date": _time(revoked.revocation_date),
    }
    if revoked.reason is not None:
        entry["crl_entry_extensions"] = [
            {"extn_id": "crl_reason", "critical": False, "extn_value": revoked.reason.value}
        ]
    return entry


def issue_crl(
    issuer: Certificate,
    issuer_key: SigningKey,
    revoked: Iterable[RevokedCertificate],
    *,
    this_update: datetime | None = None,
    next_update: datetime | timedelta | None = None,
    crl_number: int,
) -> CertificateRevocationList:
    """Issue a v2 CRL with the CRLNumber and AuthorityKeyIdentifier extensions (RFC 5280 5.2).

    :param this_update: defaults to now (UTC, whole seconds).
    :param next_update: a time, or an interval after ``this_update``; defaults to 7 days.
    :param crl_number: monotonically increasing, non-negative, at most 20 octets (RFC 5280 5.2.3).
    :raises ValueError: the key does not match the issuer, the issuer may not sign CRLs, or
        next_update is not after this_update.
    """
    if not public_keys_equal(public_key_of(issuer_key), issuer.public_key):
        raise ValueError("issuer_key does not match the issuer certificate's public key")
    if issuer.key_usage is not None and "crl_sign" not in issuer.key_usage:
        raise ValueError(f"the issuer {issuer.subject_text!r} lacks keyUsage cRLSign (RFC 5280 4.2.1.3)")
    if not 0 <= crl_number < 1 << 159:
        raise ValueError("crl_number must be non-negative and at most 20 octets")
    now = datetime.now(timezone.utc) if this_update is None else this_update
    if now.tzinfo is None:
        raise ValueError("this_update must be timezone-aware")
    now = now.astimezone(timezone.utc).replace(microsecond=0)
    if next_update is None:
        next_update = timedelta(days=7)
    until = now + next_update if isinstance(next_update, timedelta) else next_update
    if until.tzinfo is None:
        raise ValueError("next_update must be timezone-aware")
    if until <= now:
        raise ValueError("next_update must be later than this_update")
    entries = [_entry(item) for item in revoked]
    aki = issuer.subject_key_identifier or key_identifier(issuer.public_key)
    algorithm = signature_algorithm(issuer_key)
    tbs_fields: dict[str, Any] = {
        "version": "v2",
        "signature": algorithm,
        "issuer": ParsedName.load(issuer.subject.dump()),
        "this_update": _time(now),
        "next_update": _time(until),
        "crl_extensions": [
            {"extn_id": "authority_key_identifier", "critical": False, "extn_value": {"key_identifier": aki}},
            {"extn_id": "crl_number", "critical": False, "extn_value": crl_number},
        ],
    }
    if entries:  # RFC 5280 5.1.2.6: absent, not empty, when nothing is revoked
        tbs_fields["revoked_certificates"] = entries
    tbs = crl.TbsCertList(tbs_fields)
    tbs_der = tbs.dump()
    cert_list = crl.CertificateList(
        {
            "tbs_cert_list": tbs,
            "signature_algorithm": signature_algorithm(issuer_key),
            "signature": core.OctetBitString(sign(issuer_key, tbs_der)),
        }
    )
    return CertificateRevocationList.from_der(cert_list.dump())
