"""Certification path validation (RFC 5280 section 6, simplified) with CRL revocation (section 6.3).

:func:`validate_chain` builds a path from a leaf certificate to one of the trust anchors of a
:class:`ValidationContext`, checks it and returns a frozen :class:`ValidationReport`;
:func:`verify_chain` does the same and raises :class:`~trustkit.errors.CertificateValidationError`
when the path is not valid.  Malformed input raises :class:`~trustkit.errors.DecodeError`.

Choices (each documented where it is applied):

- Trust anchors are trusted as given (RFC 5280 6.1.1(d) treats the anchor as input): their own
  signature is never checked, but their validity period is, because an expired root is an
  operational fault a person must hear about (OpenSSL checks it too).  What an anchor certificate
  says about itself is honoured, as OpenSSL does: one that says it is not a CA (basicConstraints
  cA FALSE, or keyUsage without keyCertSign) cannot issue, its pathLenConstraint applies, and an
  unknown critical extension fails; an anchor with no basicConstraints at all (v1 roots) can issue.
- Path building (RFC 4158 in spirit): issuers are found by normalised name (RFC 5280 7.1), ranked
  by AKI/SKI agreement, validity at the validation time, then anchors before intermediates.  A
  certificate whose SKI matches the AKI but whose name does not chain is tried last, to report
  ``issuer_mismatch`` rather than ``no_path``.  Loops (same subject and key twice) are cut, paths
  are at most ``max_path_length`` certificates, and at most 32 complete paths are evaluated; the
  first valid one wins, else the one with the fewest signature failures, then fewest failures.
- Certificate policies are not processed (every policy is acceptable); critical extensions we do
  not process (nameConstraints, policyConstraints, policyMappings, inhibitAnyPolicy, and any other)
  fail with ``unknown_critical_extension``.
- Purposes: a missing keyUsage or extendedKeyUsage means "no restriction" (RFC 5280 4.2.1.3 and
  4.2.1.12), and anyExtendedKeyUsage satisfies every EKU purpose except TIMESTAMPING, which needs
  exactly one critical id-kp-timeStamping (RFC 3161 2.3).
- Revocation: complete, direct CRLs only (issued and signed by the certificate's issuer, cRLSign if
  the issuer has keyUsage); the newest usable CRL decides.  A stale CRL (nextUpdate before the
  validation time) is a failure, ``crl_stale``, under both ``"require"`` and ``"if_present"``: a
  relying party that was given a CRL expects it to be current.  A CRL with an unsupported critical
  extension (delta CRLs, issuingDistributionPoint) is not usable.  certificateHold counts as revoked.

Failure codes: see :data:`FAILURE_CODES`.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Final, Literal

from trustkit import oids
from trustkit.errors import CertificateValidationError, DecodeError, InvalidSignature, TrustkitError
from trustkit.pki import algorithms
from trustkit.pki.certificate import Certificate
from trustkit.pki.crl import CertificateRevocationList, RevocationReason

__all__ = [
    "FAILURE_CODES",
    "Purpose",
    "RevocationMode",
    "ValidationContext",
    "ValidationFailure",
    "ValidationReport",
    "validate_chain",
    "verify_chain",
]

RevocationMode = Literal["require", "if_present", "off"]

#: Every ``ValidationFailure.code`` this module produces.
FAILURE_CODES: Final = frozenset({
    "no_path",                      # no chain to a trust anchor (message names the missing issuer)
    "expired",                      # validation time after notAfter
    "not_yet_valid",                # validation time before notBefore
    "bad_signature",                # signature does not verify with the issuer's key
    "signature_without_z",          # SM2 signature verifies only without Z (allow_sm2_without_z=False)
    "unsupported_signature_algorithm",
    "issuer_mismatch",              # issuer name does not equal the next certificate's subject
    "not_a_ca",                     # an issuer without basicConstraints cA TRUE
    "ca_key_usage",                 # an issuer whose keyUsage lacks keyCertSign
    "path_length_exceeded",         # pathLenConstraint violated
    "unknown_critical_extension",   # a critical extension this validator does not process
    "wrong_key_usage",              # leaf keyUsage does not allow the purpose
    "wrong_extended_key_usage",     # leaf extendedKeyUsage does not allow the purpose
    "revoked",                      # on the issuer's CRL (reason and date in the message)
    "crl_stale",                    # the newest usable CRL's nextUpdate is before the validation time
    "crl_invalid",                  # a CRL from the issuer could not be used (bad signature, no cRLSign, ...)
    "revocation_unknown",           # revocation="require" and no usable CRL
})

#: Critical certificate extensions whose meaning this validator applies or may safely ignore.
_PROCESSED_EXTENSIONS: Final = frozenset({
    "2.5.29.19",  # basicConstraints
    "2.5.29.15",  # keyUsage
    "2.5.29.37",  # extKeyUsage
    "2.5.29.17",  # subjectAltName (RFC 5280 4.2.1.6: critical when the subject is empty)
    "2.5.29.18",  # issuerAltName
    "2.5.29.32",  # certificatePolicies (not processed: every policy is acceptable)
    "2.5.29.14",  # subjectKeyIdentifier
    "2.5.29.35",  # authorityKeyIdentifier
    "2.5.29.31",  # cRLDistributionPoints
})
_EXTENSION_NAMES: Final = {
    "2.5.29.30": "nameConstraints",
    "2.5.29.33": "policyMappings",
    "2.5.29.36": "policyConstraints",
    "2.5.29.54": "inhibitAnyPolicy",
}
#: Critical CRL extensions we understand (RFC 5280 5.2); others make the CRL unusable.
_PROCESSED_CRL_EXTENSIONS: Final = frozenset({"2.5.29.20", "2.5.29.35", "2.5.29.18"})
_CRL_EXTENSION_NAMES: Final = {"2.5.29.27": "deltaCRLIndicator", "2.5.29.28": "issuingDistributionPoint"}

_MAX_COMPLETE_PATHS: Final = 32
_MAX_EXPANSIONS: Final = 1000
_SIGNING_USAGES: Final = frozenset({"digital_signature", "non_repudiation"})


class Purpose(enum.Enum):
    """What the leaf certificate is being validated for (checked on the leaf only)."""

    ANY = "any"
    DIGITAL_SIGNATURE = "digital_signature"
    SEAL_SIGNING = "seal_signing"    # GM/T 0031 / GB/T 38540 signer (签章者)
    SEAL_MAKING = "seal_making"      # GM/T 0031 / GB/T 38540 seal maker (制章者)
    TLS_SERVER = "tls_server"
    TIMESTAMPING = "timestamping"
    CODE_SIGNING = "code_signing"
    CA = "ca"


@dataclass(frozen=True)
class ValidationFailure:
    """One reason a path is not valid.

    :param code: stable identifier, one of :data:`FAILURE_CODES`.
    :param message: a sentence a person can act on.
    :param subject: the subject (RFC 4514 text) of the certificate concerned, if any.
    """

    code: str
    message: str
    subject: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "subject": self.subject}


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ValidationReport:
    """The verdict on one certificate path.

    :param valid: True when no failure was found.
    :param path: leaf first, trust anchor last; without a path to an anchor, the partial path
        that was built (leaf first, the last certificate whose issuer was not found).
    :param failures: every failure found on that path (empty when valid).
    :param validation_time: the time the path was validated for (aware, UTC).
    :param purpose: the purpose checked on the leaf.
    :param revocation_checked: True when every certificate below the anchor was checked
        against a current CRL.
    """

    valid: bool
    path: tuple[Certificate, ...]
    failures: tuple[ValidationFailure, ...]
    validation_time: datetime
    purpose: Purpose
    revocation_checked: bool

    @property
    def codes(self) -> tuple[str, ...]:
        """The failure codes, in order."""
        return tuple(failure.code for failure in self.failures)

    def summary(self) -> str:
        """One line: ``"valid"`` or the failures joined."""
        if self.valid:
            return "valid"
        return "; ".join(f"{failure.code}: {failure.message}" for failure in self.failures)

    def raise_for_failure(self) -> None:
        """:raises CertificateValidationError: when the path is not valid (``report`` is this object)."""
        if not self.valid:
            raise CertificateValidationError(f"certificate path is not valid: {self.summary()}", report=self)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: subjects as RFC 4514 text, times in ISO 8601 UTC, serials in hex."""
        return {
            "valid": self.valid,
            "purpose": self.purpose.value,
            "validation_time": _iso(self.validation_time),
            "revocation_checked": self.revocation_checked,
            "path": [
                {
                    "subject": cert.subject_text,
                    "issuer": cert.issuer_text,
                    "serial_number": format(cert.serial_number, "x"),
                    "not_before": _iso(cert.not_before),
                    "not_after": _iso(cert.not_after),
                    "fingerprint_sm3": cert.fingerprint("sm3").hex(),
                }
                for cert in self.path
            ],
            "failures": [failure.to_dict() for failure in self.failures],
        }


class _CertInfo:
    """What path validation needs from a certificate, extracted once (CA state is cached in the context).

    The subject's comparison form and text are computed on first use: a leaf under a known CA
    usually needs neither, and normalising a name costs more than an SM2 verification.
    """

    __slots__ = (
        "_name_keys", "_subject_key", "aki", "basic_constraints_present", "cert", "der", "eku", "eku_critical",
        "is_ca", "issuer_key", "key_usage", "not_after", "not_before", "path_length", "ski", "spki",
        "unknown_critical",
    )

    def __init__(self, cert: Certificate, name_keys: _BoundedCache | None = None) -> None:
        if not isinstance(cert, Certificate):
            raise TypeError(f"expected a trustkit.pki.Certificate, got {type(cert).__name__}")
        try:
            self.cert = cert
            self.der = cert.der
            self._name_keys = name_keys
            self._subject_key: str | None = None
            # RFC 5280 7.1 name comparison: asn1crypto's normalised form (case, spaces, string types).
            self.issuer_key = _name_key(cert.issuer, name_keys)
            self.spki = bytes(cert.asn1["tbs_certificate"]["subject_public_key_info"].dump())
            self.ski = cert.subject_key_identifier
            self.aki = cert.authority_key_identifier
            self.is_ca = cert.is_ca
            self.basic_constraints_present = cert.has_basic_constraints
            self.path_length = cert.path_length
            self.key_usage = cert.key_usage
            self.eku = cert.extended_key_usage
            critical = cert.critical_extensions
            self.eku_critical = "2.5.29.37" in critical
            self.unknown_critical = tuple(sorted(critical - _PROCESSED_EXTENSIONS))
            self.not_before = cert.not_before
            self.not_after = cert.not_after
        except TrustkitError:
            raise
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise DecodeError(f"certificate {_safe_text(cert)}: malformed content ({exc})") from exc

    @property
    def subject_key(self) -> str:
        if self._subject_key is None:
            try:
                self._subject_key = _name_key(self.cert.subject, self._name_keys)
            except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
                raise DecodeError(f"certificate: malformed subject name ({exc})") from exc
        return self._subject_key

    @property
    def self_issued(self) -> bool:
        return self.subject_key == self.issuer_key

    @property
    def text(self) -> str:
        return self.cert.subject_text

    def same_entity(self, other: _CertInfo) -> bool:
        """Same subject and same key: seeing it twice on one path is a loop (RFC 4158 5.2)."""
        return self.spki == other.spki and self.subject_key == other.subject_key


def _name_key(name: Any, cache: _BoundedCache | None) -> str:
    """The RFC 5280 7.1 comparison form of a Name, memoised by its DER (computing it is costly)."""
    if cache is None:
        return str(name.hashable)
    der = name.dump()
    key: str | None = cache.get(der)
    if key is None:
        key = str(name.hashable)
        cache.put(der, key)
    return key


def _safe_text(cert: Certificate) -> str:
    try:
        return repr(cert.subject_text)
    except Exception:  # noqa: BLE001 - only used to name a certificate in an error message
        return "(unreadable subject)"


class _CrlInfo:
    __slots__ = ("aki", "crl", "issuer_key", "next_update", "number", "this_update", "unsupported")

    def __init__(self, crl: CertificateRevocationList) -> None:
        if not isinstance(crl, CertificateRevocationList):
            raise TypeError(f"expected a trustkit.pki.CertificateRevocationList, got {type(crl).__name__}")
        try:
            self.crl = crl
            self.issuer_key: str = crl.issuer.hashable
            self.aki = crl.authority_key_identifier
            self.this_update = crl.this_update
            self.next_update = crl.next_update
            self.number = crl.crl_number if crl.crl_number is not None else -1
            self.unsupported = tuple(sorted(crl.critical_extensions - _PROCESSED_CRL_EXTENSIONS))
        except TrustkitError:
            raise
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise DecodeError(f"CRL: malformed content ({exc})") from exc


def _index(infos: Iterable[_CertInfo]) -> tuple[dict[str, list[_CertInfo]], dict[bytes, list[_CertInfo]]]:
    by_name: dict[str, list[_CertInfo]] = {}
    by_ski: dict[bytes, list[_CertInfo]] = {}
    for info in infos:
        by_name.setdefault(info.subject_key, []).append(info)
        if info.ski:
            by_ski.setdefault(info.ski, []).append(info)
    return by_name, by_ski


class _BoundedCache:
    """A dict with FIFO eviction and a lock: shared by every thread using one context."""

    def __init__(self, max_entries: int) -> None:
        self._data: dict[Any, Any] = {}
        self._max = max_entries
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            return self._data.get(key)

    def put(self, key: Any, value: Any) -> None:
        if self._max == 0:
            return
        with self._lock:
            if key not in self._data and len(self._data) >= self._max:
                del self._data[next(iter(self._data))]
            self._data[key] = value

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)


class ValidationContext:
    """Trust anchors, a pool of untrusted intermediates and CRLs, plus caches; thread-safe.

    Parsed CA state is extracted once here, and the results of certificate and CRL signature
    checks are cached (keyed by the exact DER of signer and signed object, bounded), so repeated
    validations under the same CAs do not re-verify CA signatures.

    :param trust_anchors: certificates trusted as given (see the module docstring).
    :param intermediates: untrusted certificates that may be used to build paths.
    :param crls: certificate revocation lists for any issuer on a path.
    :param revocation: ``"if_present"`` (default: check when a CRL from the issuer is present),
        ``"require"`` (no usable CRL is a failure, ``revocation_unknown``) or ``"off"``.
    :param allow_sm2_without_z: accept SM2 certificate signatures made over SM3(TBS) without Z
        (a non-standard variant; off by default, reported as ``signature_without_z``).
    :param max_path_length: the longest path (certificates, leaf and anchor included) to build.
    :param cache_size: entries kept in each signature cache.
    :raises ValueError: an unknown ``revocation`` mode, no trust anchor, or a bad limit.
    :raises TypeError: an argument that is not a Certificate / CertificateRevocationList.
    :raises DecodeError: a certificate or CRL whose content is malformed.
    """

    def __init__(
        self,
        trust_anchors: Iterable[Certificate],
        intermediates: Iterable[Certificate] = (),
        crls: Iterable[CertificateRevocationList] = (),
        *,
        revocation: RevocationMode = "if_present",
        allow_sm2_without_z: bool = False,
        max_path_length: int = 10,
        cache_size: int = 10_000,
    ) -> None:
        if revocation not in ("require", "if_present", "off"):
            raise ValueError(f"revocation must be 'require', 'if_present' or 'off', not {revocation!r}")
        if max_path_length < 1 or cache_size < 0:
            raise ValueError("max_path_length must be >= 1 and cache_size >= 0")
        self._anchors = _dedupe(_CertInfo(cert) for cert in trust_anchors)
        if not self._anchors:
            raise ValueError("at least one trust anchor is required")
        anchor_ders = {info.der for info in self._anchors}
        self._anchor_ders = frozenset(anchor_ders)
        self._pool = [info for info in _dedupe(_CertInfo(c) for c in intermediates) if info.der not in anchor_ders]
        self._crls = tuple(_CrlInfo(crl) for crl in crls)
        self.revocation: RevocationMode = revocation
        self.allow_sm2_without_z = allow_sm2_without_z
        self.max_path_length = max_path_length
        self._anchor_by_name, self._anchor_by_ski = _index(self._anchors)
        self._pool_by_name, self._pool_by_ski = _index(self._pool)
        self._crls_by_issuer: dict[str, list[_CrlInfo]] = {}
        for crl_info in self._crls:
            self._crls_by_issuer.setdefault(crl_info.issuer_key, []).append(crl_info)
        self._signatures = _BoundedCache(cache_size)
        self._crl_signatures = _BoundedCache(cache_size)
        self._name_keys = _BoundedCache(cache_size)
        for info in (*self._anchors, *self._pool):
            _name_key(info.cert.subject, self._name_keys)

    @property
    def trust_anchors(self) -> tuple[Certificate, ...]:
        return tuple(info.cert for info in self._anchors)

    @property
    def intermediates(self) -> tuple[Certificate, ...]:
        return tuple(info.cert for info in self._pool)

    @property
    def crls(self) -> tuple[CertificateRevocationList, ...]:
        return tuple(info.crl for info in self._crls)

    # ---- signatures (cached) -----------------------------------------------------------------

    def _signature_status(self, child: _CertInfo, issuer: _CertInfo) -> str:
        """``"ok"``, ``"no_z"``, ``"bad"`` or ``"unsupported"``; the check runs outside the lock."""
        key = (issuer.der, child.der)
        status: str | None = self._signatures.get(key)
        if status is None:
            status = _check_signature(child.cert, issuer.cert)
            self._signatures.put(key, status)
        return status

    def _crl_signature_ok(self, crl: _CrlInfo, issuer: _CertInfo) -> bool:
        key = (issuer.der, crl.crl.der)
        status: bool | None = self._crl_signatures.get(key)
        if status is None:
            try:
                crl.crl.verify_signed_by_vartime(issuer.cert)
                status = True
            except TrustkitError:
                status = False
            self._crl_signatures.put(key, status)
        return status

    # ---- path building -----------------------------------------------------------------------

    def _candidates(self, cert: _CertInfo, extra: _Pool | None, at: datetime) -> list[tuple[_CertInfo, bool]]:
        """Possible issuers of ``cert`` as (info, is_anchor), best first."""
        found: dict[bytes, tuple[tuple[int, int, int, int], _CertInfo, bool]] = {}

        def add(infos: Iterable[_CertInfo], is_anchor: bool, name_matches: bool) -> None:
            for info in infos:
                if info.der in found or (not is_anchor and info.der in self._anchor_ders):
                    continue
                if not cert.aki or not info.ski:
                    aki_rank = 1
                else:
                    aki_rank = 0 if cert.aki == info.ski else 2
                current = 0 if info.not_before <= at <= info.not_after else 1
                rank = (0 if name_matches else 1, aki_rank, current, 0 if is_anchor else 1)
                found[info.der] = (rank, info, is_anchor)

        add(self._anchor_by_name.get(cert.issuer_key, ()), True, True)
        add(self._pool_by_name.get(cert.issuer_key, ()), False, True)
        if extra is not None:
            add(extra.by_name.get(cert.issuer_key, ()), False, True)
        if cert.aki:
            add(self._anchor_by_ski.get(cert.aki, ()), True, False)
            add(self._pool_by_ski.get(cert.aki, ()), False, False)
            if extra is not None:
                add(extra.by_ski.get(cert.aki, ()), False, False)
        ranked = sorted(found.values(), key=lambda item: item[0])
        return [(info, is_anchor) for _, info, is_anchor in ranked]

    def _paths(self, leaf: _CertInfo, extra: _Pool | None, at: datetime) -> Iterator[tuple[list[_CertInfo], bool]]:
        """Yield (path, complete) depth first; incomplete paths are dead ends, yielded once each."""
        if leaf.der in self._anchor_ders:
            yield [leaf], True
            return
        budget = [_MAX_EXPANSIONS]

        def extend(path: list[_CertInfo]) -> Iterator[tuple[list[_CertInfo], bool]]:
            budget[0] -= 1
            if budget[0] < 0 or len(path) >= self.max_path_length:
                yield path, False
                return
            extended = False
            for info, is_anchor in self._candidates(path[-1], extra, at):
                if any(info.same_entity(seen) for seen in path):  # a loop (cross-certificates)
                    continue
                extended = True
                if is_anchor:
                    yield [*path, info], True
                else:
                    yield from extend([*path, info])
            if not extended:
                yield path, False

        yield from extend([leaf])

    # ---- checks ------------------------------------------------------------------------------

    def _evaluate(
        self, path: list[_CertInfo], complete: bool, at: datetime, purpose: Purpose, extra: _Pool | None
    ) -> tuple[list[ValidationFailure], int, bool]:
        """All failures on ``path``; also the number of signature failures and revocation coverage."""
        failures: list[ValidationFailure] = []
        signature_failures = 0
        revocation_checked = self.revocation != "off"
        last = len(path) - 1
        below = 0  # non-self-issued intermediates between the leaf and the current certificate
        for i, info in enumerate(path):
            is_anchor = complete and i == last
            role = "trust anchor" if is_anchor else ("certificate" if i == 0 else "CA certificate")
            if at < info.not_before:
                failures.append(ValidationFailure(
                    "not_yet_valid", f"{role} is not valid before {_iso(info.not_before)}"
                    f" (validation time {_iso(at)})", info.text))
            if at > info.not_after:
                failures.append(ValidationFailure(
                    "expired", f"{role} expired on {_iso(info.not_after)} (validation time {_iso(at)})", info.text))
            for oid in info.unknown_critical:
                name = _EXTENSION_NAMES.get(oid, oid)
                failures.append(ValidationFailure(
                    "unknown_critical_extension",
                    f"{role} has a critical extension this validator does not process: {name}", info.text))
            if i > 0:
                failures.extend(_issuer_checks(info, is_anchor, role, below))
                if not info.self_issued:
                    below += 1
            if i < last:
                issuer = path[i + 1]
                if info.issuer_key != issuer.subject_key:
                    failures.append(ValidationFailure(
                        "issuer_mismatch", f"issuer name {info.cert.issuer_text!r} does not match the subject of "
                        f"the certificate holding the issuing key ({issuer.text!r})", info.text))
                failure = self._signature_failure(info, issuer)
                if failure is not None:
                    failures.append(failure)
                    signature_failures += 1
                if self.revocation != "off":
                    revocation_failures, checked = self._revocation(info, issuer, at)
                    failures.extend(revocation_failures)
                    revocation_checked = revocation_checked and checked
        if not complete:
            revocation_checked = False
            end = path[-1]
            if len(path) >= self.max_path_length:
                message = f"no trust anchor within {self.max_path_length} certificates"
            elif end.self_issued and self._signature_status(end, end) in ("ok", "no_z"):
                message = "self-signed certificate is not a trust anchor"
            elif self._candidates(end, extra, at):
                message = (f"every certificate for the issuer {end.cert.issuer_text!r} leads back into the path "
                           "(a loop of cross-certificates) without reaching a trust anchor")
            else:
                message = (f"no certificate for the issuer {end.cert.issuer_text!r} among the trust anchors "
                           "and intermediates")
            failures.append(ValidationFailure("no_path", message, end.text))
        failures.extend(_purpose_checks(path[0], purpose))
        return failures, signature_failures, revocation_checked

    def _signature_failure(self, child: _CertInfo, issuer: _CertInfo) -> ValidationFailure | None:
        status = self._signature_status(child, issuer)
        if status == "ok" or (status == "no_z" and self.allow_sm2_without_z):
            return None
        if status == "no_z":
            return ValidationFailure(
                "signature_without_z", f"SM2 signature by {issuer.text!r} verifies only without Z "
                "(SM3 over the TBS alone, non-standard); allow_sm2_without_z=True accepts it", child.text)
        if status == "unsupported":
            return ValidationFailure(
                "unsupported_signature_algorithm",
                f"signature algorithm {child.cert.signature_algorithm_oid} is not supported", child.text)
        return ValidationFailure("bad_signature", f"signature does not verify with the key of {issuer.text!r}",
                                 child.text)

    def _revocation(self, info: _CertInfo, issuer: _CertInfo, at: datetime) -> tuple[list[ValidationFailure], bool]:
        """RFC 5280 6.3, simplified: the newest usable complete CRL from ``issuer`` decides."""
        failures: list[ValidationFailure] = []
        usable: list[_CrlInfo] = []
        problems: list[str] = []
        for crl in self._crls_by_issuer.get(issuer.subject_key, ()):
            if crl.aki and issuer.ski and crl.aki != issuer.ski:
                continue  # a CRL from another key of a CA with the same name
            if crl.unsupported:
                names = ", ".join(_CRL_EXTENSION_NAMES.get(oid, oid) for oid in crl.unsupported)
                problems.append(f"a CRL has unsupported critical extensions ({names})")
            elif issuer.key_usage is not None and "crl_sign" not in issuer.key_usage:
                problems.append("the issuer's keyUsage lacks cRLSign, so its CRLs cannot be trusted")
            elif not self._crl_signature_ok(crl, issuer):
                problems.append(f"a CRL naming {issuer.text!r} as issuer is not signed by its key")
            elif crl.this_update > at:
                problems.append(f"a CRL's thisUpdate {_iso(crl.this_update)} is after the validation time")
            else:
                usable.append(crl)
        if not usable:
            if problems:
                failures.append(ValidationFailure("crl_invalid", "; ".join(problems), info.text))
            if self.revocation == "require":
                failures.append(ValidationFailure(
                    "revocation_unknown", f"no usable CRL from {issuer.text!r}; revocation status unknown",
                    info.text))
            return failures, False

        def newest(crl: _CrlInfo) -> tuple[datetime, int]:
            return crl.this_update, crl.number

        current = [crl for crl in usable if crl.next_update is None or crl.next_update >= at]
        chosen = max(current or usable, key=newest)
        if not current:
            assert chosen.next_update is not None
            failures.append(ValidationFailure(
                "crl_stale", f"the newest CRL from {issuer.text!r} expired at {_iso(chosen.next_update)} "
                f"(validation time {_iso(at)}); fetch a current CRL", info.text))
        entry = chosen.crl.find(info.cert.serial_number)
        if entry is not None and _reason_name(entry.reason) != "remove_from_crl":
            reason = _reason_name(entry.reason) or "unspecified"
            failures.append(ValidationFailure(
                "revoked", f"serial {info.cert.serial_number:#x} was revoked on {_iso(entry.revocation_date)} "
                f"(reason: {reason})", info.text))
        return failures, bool(current)


class _Pool:
    """Per-call untrusted certificates (for example those carried in a CMS SignedData)."""

    def __init__(self, infos: list[_CertInfo]) -> None:
        self.by_name, self.by_ski = _index(infos)


def _dedupe(infos: Iterable[_CertInfo]) -> list[_CertInfo]:
    seen: set[bytes] = set()
    result = []
    for info in infos:
        if info.der not in seen:
            seen.add(info.der)
            result.append(info)
    return result


def _reason_name(reason: RevocationReason | None) -> str | None:
    """``"key_compromise"`` etc. (RFC 5280 5.3.1 names in snake case); None when absent."""
    return reason.value if reason is not None else None


def _check_signature(child: Certificate, issuer: Certificate) -> str:
    try:
        child.verify_signed_by_vartime(issuer)
        return "ok"
    except InvalidSignature:
        pass
    except TrustkitError as exc:
        return "unsupported" if exc.code == "unsupported_algorithm" else "bad"
    if child.signature_algorithm_oid in algorithms.SM2_SIGNATURE_OIDS:
        try:
            child.verify_signed_by_vartime(issuer, allow_no_z=True)
            return "no_z"
        except TrustkitError:
            pass
    return "bad"


def _issuer_checks(info: _CertInfo, is_anchor: bool, role: str, below: int) -> list[ValidationFailure]:
    """RFC 5280 6.1.4 (k)-(n) for a certificate that issued the one below it."""
    failures = []
    # An anchor without basicConstraints (v1 root) may issue; one that says cA FALSE may not.
    if not info.is_ca and not (is_anchor and not info.basic_constraints_present):
        failures.append(ValidationFailure(
            "not_a_ca", f"{role} issued a certificate but basicConstraints does not say cA TRUE", info.text))
    if info.key_usage is not None and "key_cert_sign" not in info.key_usage:
        failures.append(ValidationFailure(
            "ca_key_usage", f"{role} issued a certificate but its keyUsage lacks keyCertSign", info.text))
    if info.path_length is not None and below > info.path_length:
        failures.append(ValidationFailure(
            "path_length_exceeded", f"{role} allows {info.path_length} intermediate CA certificate(s) below it, "
            f"the path has {below}", info.text))
    return failures


def _purpose_checks(leaf: _CertInfo, purpose: Purpose) -> list[ValidationFailure]:
    failures: list[ValidationFailure] = []
    usage = leaf.key_usage
    eku = leaf.eku

    def need_usage(allowed: frozenset[str], names: str) -> None:
        if usage is not None and not (usage & allowed):
            failures.append(ValidationFailure(
                "wrong_key_usage", f"keyUsage ({', '.join(sorted(usage)) or 'empty'}) lacks {names} needed for "
                f"purpose {purpose.value}", leaf.text))

    def need_eku(oid: str, name: str) -> None:
        if eku is not None and oid not in eku and oids.ANY_EXTENDED_KEY_USAGE not in eku:
            failures.append(ValidationFailure(
                "wrong_extended_key_usage", f"extendedKeyUsage does not include {name} ({oid})", leaf.text))

    if purpose in (Purpose.DIGITAL_SIGNATURE, Purpose.SEAL_SIGNING, Purpose.SEAL_MAKING):
        need_usage(_SIGNING_USAGES, "digitalSignature or nonRepudiation")
    elif purpose is Purpose.TLS_SERVER:
        need_usage(frozenset({"digital_signature", "key_encipherment", "key_agreement"}),
                   "digitalSignature, keyEncipherment or keyAgreement")
        need_eku(oids.KP_SERVER_AUTH, "serverAuth")
    elif purpose is Purpose.CODE_SIGNING:
        need_usage(frozenset({"digital_signature"}), "digitalSignature")
        need_eku(oids.KP_CODE_SIGNING, "codeSigning")
    elif purpose is Purpose.TIMESTAMPING:
        need_usage(_SIGNING_USAGES, "digitalSignature or nonRepudiation")
        if eku != frozenset({oids.KP_TIME_STAMPING}) or not leaf.eku_critical:
            failures.append(ValidationFailure(
                "wrong_extended_key_usage", "RFC 3161 2.3: a TSA certificate needs a critical extendedKeyUsage "
                "holding only timeStamping (1.3.6.1.5.5.7.3.8)", leaf.text))
    elif purpose is Purpose.CA:
        if not leaf.is_ca:
            failures.append(ValidationFailure("not_a_ca", "basicConstraints does not say cA TRUE", leaf.text))
        need_usage(frozenset({"key_cert_sign"}), "keyCertSign")
    return failures


def _validation_time(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(timezone.utc).replace(microsecond=0)
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("at must be a timezone-aware datetime")
    return at.astimezone(timezone.utc)


def validate_chain(
    leaf: Certificate,
    context: ValidationContext,
    *,
    at: datetime | None = None,
    purpose: Purpose = Purpose.ANY,
    intermediates: Sequence[Certificate] = (),
) -> ValidationReport:
    """Build and check a path from ``leaf`` to a trust anchor of ``context`` (RFC 5280 6.1, 6.3).

    :param at: the validation time (aware); default now.
    :param purpose: what the leaf must be usable for.
    :param intermediates: extra untrusted certificates for this call only (e.g. from a CMS message).
    :returns: the report of the first valid path, else of the best failing path (see module docstring).
    :raises DecodeError: ``leaf`` or an extra certificate is malformed.
    :raises ValueError: ``at`` is naive.
    """
    if not isinstance(context, ValidationContext):
        raise TypeError("context must be a ValidationContext")
    if not isinstance(purpose, Purpose):
        raise TypeError("purpose must be a Purpose")
    moment = _validation_time(at)
    leaf_info = _CertInfo(leaf, context._name_keys)
    extra = _Pool(_dedupe(_CertInfo(c, context._name_keys) for c in intermediates)) if intermediates else None

    best: tuple[tuple[int, int, int], list[_CertInfo], list[ValidationFailure], bool] | None = None
    complete_paths = 0
    for path, complete in context._paths(leaf_info, extra, moment):
        if not complete and best is not None and (best[0][0] == 0 or len(path) <= len(best[1])):
            continue  # a dead end never beats a complete path; of dead ends, report the longest
        failures, signature_failures, revocation_checked = context._evaluate(path, complete, moment, purpose, extra)
        if complete and not failures:
            return ValidationReport(True, tuple(i.cert for i in path), (), moment, purpose, revocation_checked)
        score = (0 if complete else 1, signature_failures, len(failures))
        if best is None or score < best[0]:
            best = (score, path, failures, revocation_checked)
        if complete:
            complete_paths += 1
            if complete_paths >= _MAX_COMPLETE_PATHS:
                break
    assert best is not None  # _paths always yields at least the leaf alone
    _, path, failures, revocation_checked = best
    return ValidationReport(False, tuple(i.cert for i in path), tuple(failures), moment, purpose, revocation_checked)


def verify_chain(
    leaf: Certificate,
    context: ValidationContext,
    *,
    at: datetime | None = None,
    purpose: Purpose = Purpose.ANY,
    intermediates: Sequence[Certificate] = (),
) -> ValidationReport:
    """Like :func:`validate_chain`, but raise when the path is not valid.

    :returns: the report of a valid path.
    :raises CertificateValidationError: the path is not valid; ``.report`` holds every failure.
    """
    report = validate_chain(leaf, context, at=at, purpose=purpose, intermediates=intermediates)
    report.raise_for_failure()
    return report
