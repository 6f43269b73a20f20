"""Checking seals and seal signatures (GB/T 38540-2020 verification order, reference/standards.md 4.3).

``validate_*`` return a frozen report with every check and never raise for a failed check;
``verify_*`` return the same report but raise :class:`~trustkit.errors.InvalidSignature` when a
cryptographic check fails (a signature, or the data hash).  Policy checks (validity period,
certificate list, chain) are reported in the result: look at ``valid``.

Order (Chingliu/gm_0031_38540_verifier 38540.cpp; ofdrw SESV4ValidateContainer): signer signature
over the exact received DER(TBS_Sign); signer certificate in the seal's list; maker signature over
the exact signed bytes; maker and signer chains when a ValidationContext is given; seal validity
at the signing time; data hash.
"""

from __future__ import annotations

import functools
import hmac
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from trustkit.errors import InvalidSignature, TrustkitError, UnsupportedAlgorithmError
from trustkit.pki.algorithms import digest, verify_vartime
from trustkit.pki.certificate import Certificate
from trustkit.pki.validation import (
    Purpose,
    ValidationContext,
    ValidationReport,
    validate_chain,
)
from trustkit.seal._ses_model import CertDigest, Seal, SealSignature
from trustkit.seal._ses_parse import (
    parse_seal,
    parse_seal_signature,
    verifiable_signature,
)

__all__ = [
    "SealFailure",
    "SealSignatureVerification",
    "SealVerification",
    "validate_seal",
    "validate_seal_signature",
    "verify_seal",
    "verify_seal_signature",
]

_DIGEST_NAMES = {
    "sm3": "sm3",
    "1.2.156.10197.1.401": "sm3",
    "1.2.156.10197.1.401.1": "sm3",
    "sha1": "sha1",
    "sha256": "sha256",
    "sha384": "sha384",
    "sha512": "sha512",
}


@dataclass(frozen=True)
class SealFailure:
    """One failed check: a stable ``code`` and a sentence for people."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class SealVerification:
    """The verdict on a seal.

    Failure codes: ``maker_signature_invalid``, ``seal_not_yet_valid``, ``seal_expired``,
    ``unknown_cert_list_type``, ``maker_chain_invalid``.

    :param checked_at: the time the validity period and the chain were checked for.
    :param chain: the maker certificate's path report, when a ValidationContext was given.
    """

    valid: bool
    seal: Seal
    maker_signature_valid: bool
    within_validity: bool
    cert_list_type_known: bool
    checked_at: datetime
    chain: ValidationReport | None
    failures: tuple[SealFailure, ...]
    warnings: tuple[str, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(failure.code for failure in self.failures)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (times ISO 8601 UTC)."""
        seal = self.seal
        return {
            "valid": self.valid,
            "version": seal.version,
            "esid": seal.esid,
            "name": seal.name,
            "maker": seal.maker_certificate.subject_text,
            "valid_start": _iso(seal.valid_start),
            "valid_end": _iso(seal.valid_end),
            "checked_at": _iso(self.checked_at),
            "maker_signature_valid": self.maker_signature_valid,
            "within_validity": self.within_validity,
            "cert_list_type_known": self.cert_list_type_known,
            "chain": self.chain.to_dict() if self.chain is not None else None,
            "failures": [failure.to_dict() for failure in self.failures],
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class SealSignatureVerification:
    """The verdict on a seal signature (SES_Signature) and the seal inside it.

    Failure codes: ``data_hash_mismatch``, ``signer_signature_invalid``, ``signer_not_in_seal``,
    ``signer_chain_invalid``, plus the seal's codes (see :class:`SealVerification`).
    The timestamp token, if any, is reported present but not checked here.
    """

    valid: bool
    signature: SealSignature
    data_hash_matches: bool
    signer_signature_valid: bool
    signer_in_seal: bool
    seal: SealVerification
    checked_at: datetime
    chain: ValidationReport | None
    timestamp_present: bool
    failures: tuple[SealFailure, ...]
    warnings: tuple[str, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(failure.code for failure in self.failures)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (times ISO 8601 UTC)."""
        sig = self.signature
        return {
            "valid": self.valid,
            "version": sig.version,
            "signer": sig.signer_certificate.subject_text,
            "time_info": _iso(sig.time_info) if sig.time_info is not None else None,
            "property_info": sig.property_info,
            "checked_at": _iso(self.checked_at),
            "data_hash_matches": self.data_hash_matches,
            "signer_signature_valid": self.signer_signature_valid,
            "signer_in_seal": self.signer_in_seal,
            "timestamp_present": self.timestamp_present,
            "seal": self.seal.to_dict(),
            "chain": self.chain.to_dict() if self.chain is not None else None,
            "failures": [failure.to_dict() for failure in self.failures],
            "warnings": list(self.warnings),
        }


def _signature_ok(certificate: Certificate, algorithm: str, value: bytes, data: bytes) -> bool:
    verifiable, _ = verifiable_signature(algorithm, value)
    try:
        verify_vartime(certificate.public_key, algorithm, verifiable, data)
    except (InvalidSignature, UnsupportedAlgorithmError):
        return False
    except TrustkitError:
        return False  # an unusable key in the certificate
    return True


@functools.lru_cache(maxsize=256)
def _maker_signature_ok(maker_certificate_der: bytes, algorithm: str, value: bytes, signed_bytes: bytes) -> bool:
    """The seal maker's signature, memoised: a seal is verified again on every document it stamps."""
    return _signature_ok(Certificate.from_der(maker_certificate_der), algorithm, value, signed_bytes)


def _moment(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(timezone.utc)
    if at.tzinfo is None:
        raise ValueError("at must be an aware datetime (e.g. datetime.now(timezone.utc))")
    return at.astimezone(timezone.utc)


def _chain_failure(code: str, who: str, report: ValidationReport) -> SealFailure:
    return SealFailure(code, f"the {who} certificate path is not valid: {report.summary()}")


def validate_seal(
    seal: Seal | bytes,
    *,
    at: datetime | None = None,
    context: ValidationContext | None = None,
    purpose: Purpose = Purpose.SEAL_MAKING,
) -> SealVerification:
    """Check a seal: maker signature, validity period at ``at``, certificate list type, and the
    maker certificate's path when ``context`` is given.  Never raises for a failed check.

    :param seal: a parsed :class:`Seal` or the DER bytes.
    :param at: the time to check for (aware; default now).  For a seal inside a signature, the
        signing time (see :func:`validate_seal_signature`).
    :param context: trust anchors etc. for the maker certificate (:func:`trustkit.pki.validation.validate_chain`).
    :param purpose: the purpose the maker certificate is checked for.
    :raises DecodeError: malformed seal bytes.
    """
    parsed = seal if isinstance(seal, Seal) else parse_seal(seal)
    moment = _moment(at)
    failures: list[SealFailure] = []
    maker_ok = _maker_signature_ok(parsed.maker_certificate.der, parsed.signature_algorithm, parsed.signature,
                                   parsed.signed_bytes)
    if not maker_ok:
        failures.append(SealFailure("maker_signature_invalid", "the seal maker's signature does not verify"))
    within = parsed.valid_start <= moment <= parsed.valid_end
    if moment < parsed.valid_start:
        failures.append(SealFailure(
            "seal_not_yet_valid", f"the seal is valid from {_iso(parsed.valid_start)}, checked at {_iso(moment)}"))
    elif moment > parsed.valid_end:
        failures.append(SealFailure(
            "seal_expired", f"the seal expired at {_iso(parsed.valid_end)}, checked at {_iso(moment)}"))
    known = parsed.cert_list_type in (1, 2)
    if not known:
        failures.append(SealFailure(
            "unknown_cert_list_type", f"certListType {parsed.cert_list_type} is neither 1 (certificates) nor 2 (digests)"))
    chain = None
    if context is not None:
        chain = validate_chain(parsed.maker_certificate, context, at=moment, purpose=purpose)
        if not chain.valid:
            failures.append(_chain_failure("maker_chain_invalid", "seal maker", chain))
    return SealVerification(
        valid=not failures,
        seal=parsed,
        maker_signature_valid=maker_ok,
        within_validity=within,
        cert_list_type_known=known,
        checked_at=moment,
        chain=chain,
        failures=tuple(failures),
        warnings=parsed.warnings,
    )


def verify_seal(
    seal: Seal | bytes,
    *,
    at: datetime | None = None,
    context: ValidationContext | None = None,
    purpose: Purpose = Purpose.SEAL_MAKING,
) -> SealVerification:
    """As :func:`validate_seal`, but a maker signature that does not verify raises.

    :returns: the report; ``valid`` is False when the validity period, the certificate list
        type or the chain failed.
    :raises InvalidSignature: the seal maker's signature does not verify.
    :raises DecodeError: malformed seal bytes.
    """
    result = validate_seal(seal, at=at, context=context, purpose=purpose)
    if not result.maker_signature_valid:
        raise InvalidSignature("the seal does not verify")
    return result


def _digest_matches(entry: CertDigest, certificate: Certificate, warnings: list[str]) -> bool:
    name = _DIGEST_NAMES.get(entry.type.strip().lower().replace("-", ""))
    if name is None:
        warnings.append(f"certificate digest type {entry.type!r} is unknown; compared as SM3")
        name = "sm3"
    return hmac.compare_digest(digest(name, certificate.der), entry.value)


def signer_in_seal(seal: Seal, certificate: Certificate) -> tuple[bool, tuple[str, ...]]:
    """Whether ``certificate`` is in the seal's list (certListType 1: same DER; 2: same digest)."""
    warnings: list[str] = []
    if seal.signer_certificates and certificate in seal.signer_certificates:
        return True, ()
    found = any(_digest_matches(entry, certificate, warnings) for entry in seal.signer_certificate_digests)
    return found, tuple(warnings)


def validate_seal_signature(
    signature: SealSignature | bytes,
    *,
    data_hash: bytes,
    at: datetime | None = None,
    context: ValidationContext | None = None,
    purpose: Purpose = Purpose.SEAL_SIGNING,
) -> SealSignatureVerification:
    """Check a seal signature and its seal.  Never raises for a failed check.

    :param data_hash: the hash of the protected data as the caller recomputed it (OFD: SM3 of
        the exact Signature.xml bytes); compared with ``dataHash`` in constant time.
    :param at: the time the seal validity and the chains are checked for (aware); default the
        signature's ``timeInfo`` (the signing time), or now when it has none.
    :param context: trust anchors etc.; when given, the signer path (``purpose``) and the maker
        path (SEAL_MAKING) are validated at ``at`` and their reports included.
    :raises DecodeError: malformed signature bytes.
    """
    parsed = signature if isinstance(signature, SealSignature) else parse_seal_signature(signature)
    if not isinstance(data_hash, (bytes, bytearray, memoryview)):
        raise TypeError("data_hash must be bytes")
    moment = _moment(at if at is not None else parsed.time_info)
    failures: list[SealFailure] = []
    warnings = list(parsed.warnings)
    hash_ok = hmac.compare_digest(bytes(data_hash), parsed.data_hash)
    if not hash_ok:
        failures.append(SealFailure("data_hash_mismatch", "the protected data's hash differs from dataHash"))
    signer = parsed.signer_certificate
    signer_ok = _signature_ok(signer, parsed.signature_algorithm, parsed.signature, parsed.tbs_der)
    if not signer_ok:
        failures.append(SealFailure("signer_signature_invalid", "the signer's signature over TBS_Sign does not verify"))
    listed, notes = signer_in_seal(parsed.seal, signer)
    warnings.extend(notes)
    if not listed:
        failures.append(SealFailure(
            "signer_not_in_seal", f"the signer certificate ({signer.subject_text}) is not in the seal's certificate list"))
    seal_result = validate_seal(parsed.seal, at=moment, context=context)
    failures.extend(seal_result.failures)
    chain = None
    if context is not None:
        chain = validate_chain(signer, context, at=moment, purpose=purpose)
        if not chain.valid:
            failures.append(_chain_failure("signer_chain_invalid", "signer", chain))
    return SealSignatureVerification(
        valid=not failures,
        signature=parsed,
        data_hash_matches=hash_ok,
        signer_signature_valid=signer_ok,
        signer_in_seal=listed,
        seal=seal_result,
        checked_at=moment,
        chain=chain,
        timestamp_present=parsed.timestamp_token is not None,
        failures=tuple(failures),
        warnings=tuple(warnings),
    )


def verify_seal_signature(
    signature: SealSignature | bytes,
    *,
    data_hash: bytes,
    at: datetime | None = None,
    context: ValidationContext | None = None,
    purpose: Purpose = Purpose.SEAL_SIGNING,
) -> SealSignatureVerification:
    """As :func:`validate_seal_signature`, but cryptographic failures raise.

    :returns: the report; ``valid`` is False when a policy check failed (signer not in the
        seal's list, seal validity at the signing time, unknown certListType, a chain).
    :raises InvalidSignature: ``dataHash`` differs from ``data_hash``, or the signer's or the
        seal maker's signature does not verify (no detail: use the ``validate_`` form for that).
    :raises DecodeError: malformed signature bytes.
    """
    result = validate_seal_signature(signature, data_hash=data_hash, at=at, context=context, purpose=purpose)
    if not (result.data_hash_matches and result.signer_signature_valid and result.seal.maker_signature_valid):
        raise InvalidSignature("the seal signature does not verify")
    return result
