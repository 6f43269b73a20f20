"""X.509 v3 certificates (RFC 5280 4), parsed strictly into a frozen, typed object.

Every field is read once at load time, so a certificate that loads is fully decodable;
asn1crypto's ``ValueError``/``KeyError``/``IndexError`` become :class:`DecodeError`
with a message naming the part that is wrong.  Signatures are checked over the exact
TBSCertificate bytes that were received (never a re-encoding).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property, lru_cache
from typing import Any, ClassVar, Final

from asn1crypto import core, parser, pem, x509

from trustkit.errors import (
    DecodeError,
    InvalidKeyError,
    TrustkitError,
    UnsupportedAlgorithmError,
)
from trustkit.pki.algorithms import (
    PublicKey,
    check_algorithm_parameters,
    digest,
    public_key_from_info,
    verify_vartime,
)
from trustkit.pki.names import ParsedName, format_name
from trustkit.primitives import sm2

__all__ = [
    "KNOWN_EXTENSIONS",
    "MAX_BUNDLE_BYTES",
    "MAX_CERTIFICATE_BYTES",
    "Certificate",
    "load_certificates",
]

#: A single certificate larger than this is refused (RFC 5280 sets no limit; real ones are < 8 KiB).
MAX_CERTIFICATE_BYTES: Final = 1 << 20
#: Upper bound for a PEM bundle or concatenated DER handed to :func:`load_certificates`.
MAX_BUNDLE_BYTES: Final = 16 << 20
_MAX_BUNDLE_COUNT: Final = 4096

EXT_BASIC_CONSTRAINTS: Final = "2.5.29.19"
EXT_KEY_USAGE: Final = "2.5.29.15"
EXT_EXTENDED_KEY_USAGE: Final = "2.5.29.37"
EXT_SUBJECT_ALT_NAME: Final = "2.5.29.17"
EXT_SUBJECT_KEY_IDENTIFIER: Final = "2.5.29.14"
EXT_AUTHORITY_KEY_IDENTIFIER: Final = "2.5.29.35"
EXT_CRL_DISTRIBUTION_POINTS: Final = "2.5.29.31"
EXT_CERTIFICATE_POLICIES: Final = "2.5.29.32"
EXT_AUTHORITY_INFO_ACCESS: Final = "1.3.6.1.5.5.7.1.1"

#: Extensions this library understands (RFC 5280 4.2: a critical extension outside this set
#: makes the certificate invalid for path validation).  certificatePolicies is listed because
#: trustkit applies no policy constraints: every policy is acceptable (RFC 5280 6.1 with
#: user-initial-policy-set = anyPolicy).  Name, policy constraints and inhibitAnyPolicy are not.
KNOWN_EXTENSIONS: Final = frozenset(
    {
        EXT_BASIC_CONSTRAINTS,
        EXT_KEY_USAGE,
        EXT_EXTENDED_KEY_USAGE,
        EXT_SUBJECT_ALT_NAME,
        EXT_SUBJECT_KEY_IDENTIFIER,
        EXT_AUTHORITY_KEY_IDENTIFIER,
        EXT_CRL_DISTRIBUTION_POINTS,
        EXT_CERTIFICATE_POLICIES,
        EXT_AUTHORITY_INFO_ACCESS,
    }
)

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)
_CERT_LABELS = frozenset({b"CERTIFICATE", b"X509 CERTIFICATE"})


# ---- shared input helpers (also used by csr.py and crl.py) ----------------------------------


def _asn1_reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def _pem_blocks(data: bytes, what: str) -> list[tuple[bytes, bytes]]:
    """(label, DER) for every PEM block; malformed base64 or an unterminated block -> DecodeError."""
    blocks: list[tuple[bytes, bytes]] = []
    for match in _PEM_BLOCK.finditer(data):
        body = match.group(2)
        if b":" in body:
            raise DecodeError(f"{what}: encrypted or header-carrying PEM blocks are not supported")
        try:
            der = base64.b64decode(b"".join(body.split()), validate=True)
        except (binascii.Error, ValueError):
            raise DecodeError(f"{what}: the PEM block {match.group(1).decode()} is not valid base64") from None
        blocks.append((match.group(1), der))
    if not blocks:
        raise DecodeError(f"{what}: no complete PEM block (-----BEGIN ...----- / -----END ...-----) found")
    return blocks


def _is_pem(data: bytes) -> bool:
    return b"-----BEGIN " in data[:4096] or data.lstrip()[:11] == b"-----BEGIN "


def _pem_one(data: bytes, labels: frozenset[bytes], what: str) -> bytes:
    blocks = [der for label, der in _pem_blocks(data, what) if label in labels]
    wanted = " or ".join(sorted(label.decode() for label in labels))
    if not blocks:
        present = ", ".join(sorted({label.decode() for label, _ in _pem_blocks(data, what)}))
        raise DecodeError(f"{what}: no {wanted} PEM block (labels present: {present})")
    if len(blocks) > 1:
        raise DecodeError(f"{what}: the PEM data holds {len(blocks)} {wanted} blocks; pass one at a time")
    return blocks[0]


def _split_der(data: bytes, what: str) -> list[bytes]:
    """Split concatenated DER structures (each a SEQUENCE)."""
    out: list[bytes] = []
    pos = 0
    while pos < len(data):
        if data[pos] != 0x30:
            raise DecodeError(f"{what}: expected a DER SEQUENCE at byte {pos}, found 0x{data[pos]:02x}")
        try:
            _, _, _, header, contents, trailer = parser.parse(data[pos:])
        except (ValueError, TypeError) as exc:
            raise DecodeError(f"{what}: malformed DER at byte {pos} ({_asn1_reason(exc)})") from None
        length = len(header) + len(contents) + len(trailer)
        out.append(data[pos : pos + length])
        pos += length
        if len(out) > _MAX_BUNDLE_COUNT:
            raise DecodeError(f"{what}: more than {_MAX_BUNDLE_COUNT} structures")
    return out


def _check_size(data: object, limit: int, what: str) -> bytes:
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise TypeError(f"{what} data must be bytes, not {type(data).__name__}")
    if not data:
        raise DecodeError(f"{what}: empty input")
    if len(data) > limit:
        raise DecodeError(f"{what}: {len(data)} bytes exceeds the {limit}-byte limit")
    return data


def _aware(value: object, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise DecodeError(f"{what}: not a time value")
    moment: datetime = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _present(value: Any) -> Any:
    """``value``, or None when an OPTIONAL field is absent (without forcing a full parse)."""
    return None if isinstance(value, core.Void) else value


def _extensions(extensions: Any, what: str) -> dict[str, tuple[bool, Any]]:
    """dotted OID -> (critical, extension); duplicates refused (RFC 5280 4.2)."""
    found: dict[str, tuple[bool, Any]] = {}
    if extensions is None:
        return found
    for ext in extensions:
        oid = str(ext["extn_id"].dotted)
        if oid in found:
            raise DecodeError(f"{what}: extension {oid} appears more than once (RFC 5280 4.2)")
        found[oid] = (bool(ext["critical"].native), ext)
    return found


def _general_names(value: Any, kind: str) -> tuple[str, ...]:
    return tuple(str(name.native) for name in value if name.name == kind)


# ---- the certificate ------------------------------------------------------------------------


def _with_parsed_names(fields: list[Any], names: tuple[str, ...]) -> list[Any]:
    return [(f[0], ParsedName, *f[2:]) if f[0] in names else f for f in fields]


class _TbsCertificate(x509.TbsCertificate):  # type: ignore[misc]
    _fields: ClassVar[list[Any]] = _with_parsed_names(x509.TbsCertificate._fields, ("issuer", "subject"))


class _X509Certificate(x509.Certificate):  # type: ignore[misc]
    """x509.Certificate whose names use :class:`ParsedName` (vendor-tolerant attribute values)."""

    _fields: ClassVar[list[Any]] = [("tbs_certificate", _TbsCertificate), *x509.Certificate._fields[1:]]



@dataclass(frozen=True, eq=False)
class Certificate:
    """A parsed X.509 certificate.  Build one with :meth:`from_der`, :meth:`from_pem` or :meth:`load`.

    Two certificates are equal when their DER is equal.
    """

    der: bytes
    asn1: x509.Certificate = field(repr=False)
    tbs_der: bytes = field(repr=False)
    subject: x509.Name = field(repr=False)
    issuer: x509.Name = field(repr=False)
    serial_number: int
    not_before: datetime
    not_after: datetime
    signature_algorithm_oid: str
    signature: bytes = field(repr=False)
    is_ca: bool
    path_length: int | None
    key_usage: frozenset[str] | None
    extended_key_usage: frozenset[str] | None
    subject_key_identifier: bytes | None = field(repr=False)
    authority_key_identifier: bytes | None = field(repr=False)
    crl_distribution_points: tuple[str, ...]
    dns_names: tuple[str, ...]
    email_addresses: tuple[str, ...]
    policy_oids: tuple[str, ...]
    critical_extensions: frozenset[str]
    has_basic_constraints: bool = field(repr=False)
    version: int = field(repr=False)
    _spki_der: bytes = field(repr=False)
    _public_key: PublicKey | None = field(repr=False)
    #: Subject and issuer are the same name (RFC 5280 3.2, compared per RFC 5280 7.1).
    is_self_issued: bool = field(repr=False, default=False)

    # -- constructors ---------------------------------------------------------------------

    @classmethod
    def from_der(cls, data: bytes) -> Certificate:
        """Parse one DER certificate (strict: no trailing bytes, at most 1 MiB).

        :raises DecodeError: malformed input, with the part that is wrong.
        """
        der = _check_size(data, MAX_CERTIFICATE_BYTES, "certificate")
        try:
            if cls is Certificate:
                # Seals, CMS and OFD signatures embed the same few certificates again and again;
                # a Certificate is immutable, so equal DER can share one parsed object.
                return _parse_certificate_cached(der)
            return cls._parse(der)
        except TrustkitError:
            raise
        except (ValueError, KeyError, IndexError, TypeError, AttributeError, OverflowError) as exc:
            raise DecodeError(f"certificate: malformed DER ({_asn1_reason(exc)})") from None

    @classmethod
    def from_pem(cls, data: bytes) -> Certificate:
        """Parse exactly one ``CERTIFICATE`` PEM block."""
        raw = _check_size(data, 2 * MAX_CERTIFICATE_BYTES, "certificate")
        return cls.from_der(_pem_one(raw, _CERT_LABELS, "certificate"))

    @classmethod
    def load(cls, data: bytes) -> Certificate:
        """Parse one certificate given as PEM or DER."""
        raw = _check_size(data, 2 * MAX_CERTIFICATE_BYTES, "certificate")
        return cls.from_pem(raw) if _is_pem(raw) else cls.from_der(raw)

    @classmethod
    def _parse(cls, der: bytes) -> Certificate:
        if der[0] != 0x30:
            raise DecodeError(f"certificate: expected a DER SEQUENCE, found tag 0x{der[0]:02x}")
        cert = _X509Certificate.load(der, strict=True)
        tbs = cert["tbs_certificate"]
        outer_alg = check_algorithm_parameters(cert["signature_algorithm"], "certificate")
        inner_alg = check_algorithm_parameters(tbs["signature"], "certificate")
        if outer_alg != inner_alg:
            # RFC 5280 4.1.1.2: both fields MUST hold the same algorithm.  A NULL-vs-absent
            # parameters difference is tolerated (both forms occur in real SM2 certificates).
            raise DecodeError(
                "certificate: signatureAlgorithm and tbsCertificate.signature differ "
                f"({outer_alg} vs {inner_alg}; RFC 5280 4.1.1.2)"
            )
        version = int(tbs["version"].native[1:]) if tbs["version"].native else 1
        serial = int(tbs["serial_number"].native)
        validity = tbs["validity"]
        not_before = _aware(validity["not_before"].native, "certificate notBefore")
        not_after = _aware(validity["not_after"].native, "certificate notAfter")
        subject = tbs["subject"]
        issuer = tbs["issuer"]
        # Force-parse the names and the key info so malformed content fails now, not later.
        _ = subject.native, issuer.native
        # Comparing prepares both names (RFC 4518); asn1crypto refuses some characters
        # (private use) there, so do it now to turn that into a DecodeError.
        self_issued = bool(subject == issuer)
        spki_der = bytes(tbs["subject_public_key_info"].dump())
        try:
            public_key: PublicKey | None = public_key_from_info(spki_der)
        except UnsupportedAlgorithmError:
            public_key = None  # parseable; refused only when the key is used
        except InvalidKeyError as exc:
            raise DecodeError(f"certificate: the subject public key is unusable ({exc.message})") from None
        signature_value = cert["signature_value"]
        if signature_value.unused_bits:
            raise DecodeError("certificate: the signature BIT STRING has unused bits")
        signature = bytes(signature_value.native)
        exts = _extensions(_present(tbs["extensions"]), "certificate")
        if exts and version != 3:
            raise DecodeError("certificate: extensions are present but the version is not v3 (RFC 5280 4.1.2.1)")

        def value(oid: str) -> Any:
            entry = exts.get(oid)
            if entry is None:
                return None
            parsed = entry[1]["extn_value"].parsed
            _ = parsed.native  # force the full parse
            return parsed

        is_ca, path_length = False, None
        basic = value(EXT_BASIC_CONSTRAINTS)
        if basic is not None:
            is_ca = bool(basic["ca"].native)
            path_length = basic["path_len_constraint"].native
            if path_length is not None and (not is_ca or path_length < 0):
                raise DecodeError("certificate: pathLenConstraint without cA=TRUE or negative (RFC 5280 4.2.1.9)")
        ku = value(EXT_KEY_USAGE)
        key_usage = frozenset(str(name) for name in ku.native) if ku is not None else None
        eku = value(EXT_EXTENDED_KEY_USAGE)
        extended_key_usage = frozenset(str(purpose.dotted) for purpose in eku) if eku is not None else None
        ski = value(EXT_SUBJECT_KEY_IDENTIFIER)
        aki = value(EXT_AUTHORITY_KEY_IDENTIFIER)
        aki_id = aki["key_identifier"].native if aki is not None else None
        san = value(EXT_SUBJECT_ALT_NAME)
        crl_dps: list[str] = []
        dps = value(EXT_CRL_DISTRIBUTION_POINTS)
        for dp in dps if dps is not None else ():
            name = dp["distribution_point"]
            if name.name == "full_name":
                crl_dps.extend(_general_names(name.chosen, "uniform_resource_identifier"))
        policies = value(EXT_CERTIFICATE_POLICIES)
        policy_oids = tuple(str(p["policy_identifier"].dotted) for p in policies) if policies is not None else ()
        return cls(
            der=der,
            asn1=cert,
            tbs_der=bytes(tbs.dump()),
            subject=subject,
            issuer=issuer,
            serial_number=serial,
            not_before=not_before,
            not_after=not_after,
            signature_algorithm_oid=outer_alg,
            signature=signature,
            is_ca=is_ca,
            path_length=path_length,
            key_usage=key_usage,
            extended_key_usage=extended_key_usage,
            subject_key_identifier=bytes(ski.native) if ski is not None else None,
            authority_key_identifier=bytes(aki_id) if aki_id is not None else None,
            crl_distribution_points=tuple(crl_dps),
            dns_names=_general_names(san, "dns_name") if san is not None else (),
            email_addresses=_general_names(san, "rfc822_name") if san is not None else (),
            policy_oids=policy_oids,
            critical_extensions=frozenset(oid for oid, (critical, _) in exts.items() if critical),
            has_basic_constraints=basic is not None,
            version=version,
            _spki_der=spki_der,
            _public_key=public_key,
            is_self_issued=self_issued,
        )

    # -- derived values --------------------------------------------------------------------

    @property
    def public_key(self) -> PublicKey:
        """The subject's public key.

        :raises UnsupportedAlgorithmError: a key type trustkit does not handle.
        :raises InvalidKeyError: the key is unusable (e.g. an SM2 point off the curve).
        """
        if self._public_key is None:
            return public_key_from_info(self._spki_der)  # raises with the reason
        return self._public_key

    @cached_property
    def subject_text(self) -> str:
        """The subject in RFC 4514 form."""
        return format_name(self.subject)

    @cached_property
    def issuer_text(self) -> str:
        """The issuer in RFC 4514 form."""
        return format_name(self.issuer)

    @property
    def unknown_critical_extensions(self) -> frozenset[str]:
        """Critical extensions outside :data:`KNOWN_EXTENSIONS` (RFC 5280 4.2)."""
        return self.critical_extensions - KNOWN_EXTENSIONS

    def fingerprint(self, algorithm: str = "sm3") -> bytes:
        """Digest of the DER (``"sm3"``, ``"sha256"``, ...)."""
        return digest(algorithm, self.der)

    def to_pem(self) -> bytes:
        """PEM ``CERTIFICATE`` block."""
        return bytes(pem.armor("CERTIFICATE", self.der))

    def verify_signed_by_vartime(self, issuer: Certificate | PublicKey, *, allow_no_z: bool = False) -> None:
        """Check that ``issuer`` (a certificate or a public key) signed this certificate.

        Only the signature is checked (names, validity and extensions are the validator's job).

        :param allow_no_z: also accept an SM2 signature made without Z (Tongsuo ``sm2-noza``).
        :raises InvalidSignature: the signature does not verify.
        :raises UnsupportedAlgorithmError: the algorithm or issuer key type is not supported.
        """
        key = issuer.public_key if isinstance(issuer, Certificate) else issuer
        verify_vartime(
            key, self.signature_algorithm_oid, self.signature, self.tbs_der,
            uid=sm2.DEFAULT_UID, allow_no_z=allow_no_z,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Certificate) and self.der == other.der

    def __hash__(self) -> int:
        return hash(self.der)

    def __repr__(self) -> str:
        return f"<Certificate subject={self.subject_text!r} serial={self.serial_number:x}>"


def load_certificates(data: bytes | Iterable[bytes]) -> list[Certificate]:
    """Load every certificate from a PEM bundle, one DER certificate or concatenated DER.

    Non-certificate PEM blocks in a bundle (keys, CRLs) are skipped; a bundle without any
    certificate is an error.

    :raises DecodeError: malformed input or no certificate found.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        return [cert for item in data for cert in load_certificates(item)]
    raw = _check_size(data, MAX_BUNDLE_BYTES, "certificate bundle")
    if _is_pem(raw):
        ders = [der for label, der in _pem_blocks(raw, "certificate bundle") if label in _CERT_LABELS]
        if not ders:
            raise DecodeError("certificate bundle: no CERTIFICATE PEM block found")
    else:
        ders = _split_der(raw, "certificate bundle")
    return [Certificate.from_der(der) for der in ders]


@lru_cache(maxsize=1024)
def _parse_certificate_cached(der: bytes) -> Certificate:
    """:meth:`Certificate._parse` memoised by the DER bytes (bounded; failures are not cached)."""
    return Certificate._parse(der)
