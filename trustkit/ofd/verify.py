"""Verify the signatures of an OFD document (GB/T 33190-2016 clause 18, GB/T 38540-2020, GM/T 0099).

:func:`verify_ofd` answers with a :class:`trustkit.verification.DocumentReport`: one
:class:`~trustkit.verification.SignatureReport` per signature, each a list of named checks with
stable names and failure codes:

======================  ============================================================================
check                   what it checks (failure codes)
======================  ============================================================================
signature_description   Signature.xml and SignedValue exist and parse (``malformed_signature``)
references              every referenced file's digest, hashed while streaming (``referenced_file_changed``,
                        ``referenced_file_missing``, ``no_references``, ``unsupported_check_method``)
data_hash               SM3 of the exact Signature.xml bytes equals dataHash (SES) or the signed
                        content (CMS) (``data_hash_mismatch``)
signer_signature        the SES signature over TBS_Sign, the bare SM2 signature over Signature.xml, or
                        the GB/T 35275 SignedData (``signer_signature_invalid``,
                        ``signer_certificate_missing``, ``signed_value_missing``, ``malformed_signed_value``)
seal_signature          the seal maker's signature (``maker_signature_invalid``, ``unknown_cert_list_type``)
seal_validity           the seal's validity period at the signing time (``seal_expired``,
                        ``seal_not_yet_valid``); a *warning* when the time is the signer's own claim,
                        an error when a verified timestamp (or the caller's ``at``) gives it
signer_in_seal          the signer's certificate is in the seal's list (``signer_not_in_seal``)
signer_chain            the signer's certificate path at the signing time (``signer_chain_invalid``);
maker_chain             the seal maker's (``maker_chain_invalid``); both ``ok=None`` without a context
timestamp               the RFC 3161 token over the signature value (``timestamp_invalid``)
stamp_annots            every StampAnnot's PageRef names a page (``stamp_annot_page_missing``)
seal_file               warning: Seal.esl differs from the seal inside the signature (``seal_file_mismatch``)
property_info           warning: propertyInfo names another Signature.xml (``property_info_mismatch``)
signatures_list         Signatures.xml is protected although later signatures were added
                        (``signatures_list_protected``)
======================  ============================================================================

Document checks: ``unprotected_changes``, files no signature protects other than Signatures.xml
and the last signature's own files (an error for content files, a warning for files under the
signatures folder); ``signature_list`` when Signatures.xml cannot be read.
"""

from __future__ import annotations

import base64
import hmac
import os
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from asn1crypto import cms as asn1_cms

from trustkit import oids
from trustkit.errors import (
    DecodeError,
    InvalidSignature,
    TrustkitError,
    UnsupportedAlgorithmError,
)
from trustkit.pki.algorithms import verify_vartime
from trustkit.pki.certificate import Certificate
from trustkit.pki.cms import CmsVerification, verify_cms
from trustkit.pki.timestamp import TimestampInfo, verify_timestamp
from trustkit.pki.validation import (
    Purpose,
    ValidationContext,
    ValidationReport,
    validate_chain,
)
from trustkit.primitives import sm2, sm3
from trustkit.seal.ses import (
    MAX_SEAL_BYTES,
    SealSignature,
    parse_seal_signature,
    validate_seal_signature,
)
from trustkit.verification import Check, DocumentReport, SignatureReport

from ._safety import Hasher
from .model import SignatureDescription, SignatureEntry
from .reader import OFDReader

__all__ = ["parse_signature_time", "verify_ofd"]

_CST = timezone(timedelta(hours=8), "CST")
_SM3_WITH_Z = "1.2.156.10197.1.401.2"
_MAX_VALUE = 16 << 20
_SM2_ALGORITHMS = frozenset({oids.SM2_SIGN_WITH_SM3, oids.SM2_SIGN, oids.SM2})
TimeSource = Literal["signer", "timestamp", "unknown"]


# ---- small helpers -------------------------------------------------------------------------------

_TIME = re.compile(
    r"^(\d{4})-?(\d{2})-?(\d{2})[T ]?(\d{2}):?(\d{2}):?(\d{2})(?:[.,]\d+)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)


def parse_signature_time(text: str | None) -> datetime | None:
    """Read a ``SignatureDateTime`` in the formats seen in practice, or ``None``.

    ``20201010151120``, ``2020-04-22 16:22:44``, ``20200620091849Z``, ``2020-04-22T16:22:44.123+08:00``
    ... A time without a zone is China Standard Time (what the producers that omit it mean).
    """
    if not text:
        return None
    match = _TIME.match(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    zone_text = match.group(7)
    if zone_text is None:
        zone: timezone = _CST
    elif zone_text == "Z":
        zone = timezone.utc
    else:
        sign = -1 if zone_text[0] == "-" else 1
        digits = zone_text[1:].replace(":", "")
        zone = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=zone).astimezone(timezone.utc)
    except ValueError:
        return None


def _z_hasher(certificate: Certificate | None) -> Hasher:
    """SM3 primed with Z of the signer's SM2 key (CheckMethod 1.2.156.10197.1.401.2)."""
    key = certificate.public_key if certificate is not None else None
    if not isinstance(key, sm2.PublicKey):
        raise UnsupportedAlgorithmError("CheckMethod 1.2.156.10197.1.401.2 needs the signer's SM2 certificate")
    hasher = sm3.SM3()
    hasher.update(key.compute_z(sm2.DEFAULT_UID))
    return hasher


def _chain_check(name: str, code: str, report: ValidationReport | None, who: str) -> Check:
    if report is None:
        return Check(name, None, f"not checked: no trust anchors given (pass a ValidationContext) for the {who}")
    if report.valid:
        return Check(name, True, f"the {who} certificate path is valid at {report.validation_time.isoformat()}")
    return Check(name, False, f"the {who} certificate path is not valid: {report.summary()}", code)


@dataclass
class _Signer:
    """What the signature-value checks found out."""

    checks: list[Check] = field(default_factory=list)
    certificate: Certificate | None = None
    time: datetime | None = None
    time_source: TimeSource = "unknown"
    seal_name: str | None = None
    seal_id: str | None = None
    kind: str = "seal"
    details: dict[str, Any] = field(default_factory=dict)


# ---- Type="Seal" -----------------------------------------------------------------------------------


def _tsa_certificate(token: bytes) -> Certificate | None:
    """The first certificate carried in a TimeStampToken (used when no context is given)."""
    try:
        info = asn1_cms.ContentInfo.load(token)
        certificates = info["content"]["certificates"]
        for choice in certificates or ():
            if choice.name == "certificate":
                return Certificate.from_der(bytes(choice.chosen.dump()))
    except (ValueError, TypeError, KeyError, TrustkitError):
        return None
    return None


def _timestamp(token: bytes, value: bytes, context: ValidationContext | None,
               at: datetime | None) -> tuple[Check, TimestampInfo | None]:
    """Verify the token over the signature value; with a context, the TSA path at ``at`` or at
    the token's own time (a TSA certificate may expire after it stamped)."""
    tsa = _tsa_certificate(token)
    try:
        if tsa is None:
            if context is None:
                return Check("timestamp", False, "the timestamp token carries no TSA certificate and no context was "
                             "given", "timestamp_invalid"), None
            info = verify_timestamp(token, data=value, context=context, at=at)
        else:
            info = verify_timestamp(token, data=value, tsa_certificate=tsa)
    except (TrustkitError, ValueError) as exc:
        return Check("timestamp", False, f"the timestamp does not verify: {exc}", "timestamp_invalid"), None
    who = info.tsa_certificate.subject_text
    if context is None:
        return Check("timestamp", True, f"timestamp by {who} at {info.gen_time.isoformat()} verifies (TSA not checked "
                     "against trust anchors: no context)"), info
    report = info.chain or validate_chain(info.tsa_certificate, context, at=at or info.gen_time,
                                          purpose=Purpose.TIMESTAMPING)
    if not report.valid:
        return Check("timestamp", False, f"the TSA certificate path is not valid: {report.summary()}",
                     "timestamp_invalid"), None
    return Check("timestamp", True, f"timestamp by {who} at {info.gen_time.isoformat()}; TSA path valid"), info


def _seal_signature(
    value: bytes,
    signature_xml: bytes,
    description: SignatureDescription,
    reader: OFDReader,
    *,
    context: ValidationContext | None,
    at: datetime | None,
) -> _Signer:
    out = _Signer(kind="seal")
    try:
        parsed: SealSignature = parse_seal_signature(value)
    except DecodeError as exc:
        out.checks.append(Check("signer_signature", False, f"SignedValue is not a readable SES_Signature: {exc}",
                                "malformed_signed_value"))
        return out
    out.certificate = parsed.signer_certificate
    out.seal_name, out.seal_id = parsed.seal.name, parsed.seal.esid
    timestamp_info = None
    timestamp_check = None
    if parsed.timestamp_token is not None:
        timestamp_check, timestamp_info = _timestamp(parsed.timestamp_token, parsed.signature, context, at)
    if timestamp_info is not None:
        out.time, out.time_source = timestamp_info.gen_time, "timestamp"
    elif parsed.time_info is not None:
        out.time, out.time_source = parsed.time_info, "signer"
    else:
        signed_at = parse_signature_time(description.signature_date_time)
        if signed_at is not None:
            out.time, out.time_source = signed_at, "signer"
    moment = at or out.time
    result = validate_seal_signature(parsed, data_hash=sm3.hash(signature_xml), at=moment, context=context)
    codes = set(result.codes)
    out.checks.append(Check("data_hash", result.data_hash_matches,
                            "dataHash equals SM3 of the Signature.xml bytes" if result.data_hash_matches
                            else "dataHash differs from SM3 of the Signature.xml bytes (Signature.xml changed?)",
                            None if result.data_hash_matches else "data_hash_mismatch"))
    out.checks.append(Check("signer_signature", result.signer_signature_valid,
                            f"SES v{parsed.version} signature over TBS_Sign by {parsed.signer_certificate.subject_text}"
                            + ("" if result.signer_signature_valid else " does not verify"),
                            None if result.signer_signature_valid else "signer_signature_invalid"))
    seal = result.seal
    maker_ok = seal.maker_signature_valid and seal.cert_list_type_known
    maker_code = None if maker_ok else ("maker_signature_invalid" if not seal.maker_signature_valid
                                        else "unknown_cert_list_type")
    out.checks.append(Check("seal_signature", maker_ok,
                            f"seal {parsed.seal.esid!r} made by {parsed.seal.maker_certificate.subject_text}"
                            + ("" if maker_ok else f": {maker_code}"), maker_code))
    validity_code = next((c for c in ("seal_expired", "seal_not_yet_valid") if c in codes), None)
    severity: Literal["error", "warning"] = "error" if out.time_source == "timestamp" or at is not None else "warning"
    when = result.checked_at.isoformat()
    detail = (f"seal valid {parsed.seal.valid_start.isoformat()} .. {parsed.seal.valid_end.isoformat()}, "
              f"checked at {when} ({'given time' if at is not None else out.time_source + ' time'})")
    if validity_code is not None and severity == "warning":
        detail += "; the time is only the signer's own claim, so this is a warning"
    out.checks.append(Check("seal_validity", seal.within_validity, detail, validity_code, severity))
    out.checks.append(Check("signer_in_seal", result.signer_in_seal,
                            "the signer's certificate is in the seal's list" if result.signer_in_seal
                            else "the signer's certificate is not in the seal's certificate list",
                            None if result.signer_in_seal else "signer_not_in_seal"))
    out.checks.append(_chain_check("signer_chain", "signer_chain_invalid", result.chain, "signer"))
    out.checks.append(_chain_check("maker_chain", "maker_chain_invalid", seal.chain, "seal maker"))
    if timestamp_check is not None:
        out.checks.append(timestamp_check)
    if (description.seal is not None and description.seal in reader.container
            and reader.container.size(description.seal) <= MAX_SEAL_BYTES):
        same = reader.read_part(description.seal) == parsed.seal.der
        out.checks.append(Check("seal_file", same, "Seal.esl equals the seal inside the signature" if same
                                else "Seal.esl differs from the seal inside the signature", None if same
                                else "seal_file_mismatch", "warning"))
    expected_property = "/" + description.part
    if parsed.property_info.strip().startswith("/") and parsed.property_info.strip().lstrip("/") != description.part:
        out.checks.append(Check("property_info", False, f"propertyInfo {parsed.property_info!r} is not "
                                f"{expected_property!r}", "property_info_mismatch", "warning"))
    out.details["ses_version"] = parsed.version
    out.details["time_info"] = parsed.time_info.isoformat() if parsed.time_info else None
    return out


# ---- Type="Sign" -----------------------------------------------------------------------------------


def _is_bare_signature(value: bytes) -> bool:
    """A bare signature value rather than a SignedData (which is a DER SEQUENCE, like an SM2Signature)."""
    if len(value) == 64 or not value.startswith(b"\x30"):
        return True  # SM2 raw r||s, or an RSA signature
    try:
        sm2.decode_signature_der(value)
    except (TrustkitError, ValueError):
        return False
    return True


def _sign_signature(
    value: bytes,
    signature_xml: bytes,
    description: SignatureDescription,
    *,
    certificates: Sequence[Certificate],
) -> _Signer:
    out = _Signer(kind="sign")
    signed_at = parse_signature_time(description.signature_date_time)
    if signed_at is not None:
        out.time, out.time_source = signed_at, "signer"
    digest = sm3.hash(signature_xml)
    if _is_bare_signature(value):
        algorithm = (description.signature_method or oids.SM2_SIGN_WITH_SM3).strip()
        out.details["form"] = "sm2" if algorithm in _SM2_ALGORITHMS else "raw"
        out.checks.append(Check("data_hash", None, "not applicable: the SM2 signature covers the Signature.xml bytes"))
        if not certificates:
            out.checks.append(Check("signer_signature", False, "a bare SM2 signature carries no certificate: pass the "
                                    "signer's certificate (certificates=..., CLI --cert)", "signer_certificate_missing"))
            return out
        for certificate in certificates:
            try:
                verify_vartime(certificate.public_key, algorithm, value, signature_xml)
            except (InvalidSignature, UnsupportedAlgorithmError, TrustkitError):
                continue
            out.certificate = certificate
            out.checks.append(Check("signer_signature", True, f"signature ({algorithm}) over Signature.xml by "
                                    f"{certificate.subject_text}"))
            return out
        out.checks.append(Check("signer_signature", False, f"the signature ({algorithm}) over Signature.xml does not verify "
                                "with any certificate given", "signer_signature_invalid"))
        return out
    # GB/T 35275 / GM/T 0010 SignedData: attached (content = SM3 or base64(SM3) of Signature.xml),
    # or detached with messageDigest over Signature.xml (or over its hash).
    out.kind = "cms"
    expected = {"hash": digest, "hash-base64": base64.b64encode(digest), "document": signature_xml}
    try:
        result: CmsVerification | None
        try:
            result = verify_cms(value, certificates=certificates)
            form = next((name for name, data in expected.items() if hmac.compare_digest(result.content, data)), None)
            out.details["form"] = f"attached-{form}" if form else "attached"
        except ValueError as exc:
            if "detached" not in str(exc):
                raise
            result, form = None, None
            for name, data in expected.items():
                try:
                    result = verify_cms(value, data=data, certificates=certificates)
                except InvalidSignature:
                    continue
                form = name
                break
            if result is None:
                raise InvalidSignature() from None
            out.details["form"] = f"detached-{form}"
    except InvalidSignature:
        out.checks.append(Check("data_hash", None, "not checked: the SignedData does not verify"))
        out.checks.append(Check("signer_signature", False, "the GB/T 35275 SignedData does not verify",
                                "signer_signature_invalid"))
        return out
    except DecodeError as exc:
        missing = "certificate" in str(exc)
        out.checks.append(Check("signer_signature", False,
                                "the SignedData names a signer whose certificate is neither embedded nor given: pass "
                                "it (certificates=..., CLI --cert)" if missing else f"malformed SignedData: {exc}",
                                "signer_certificate_missing" if missing else "malformed_signed_value"))
        return out
    except TrustkitError as exc:
        out.checks.append(Check("signer_signature", False, f"the SignedData cannot be verified: {exc}",
                                "signer_signature_invalid"))
        return out
    assert result is not None
    out.certificate = result.signer
    out.checks.append(Check("data_hash", form is not None,
                            f"the signed content is the Signature.xml {form}" if form else
                            "the signed content is neither SM3(Signature.xml) nor its base64 nor the file",
                            None if form else "data_hash_mismatch"))
    out.checks.append(Check("signer_signature", True, f"GB/T 35275 SignedData by {result.signer.subject_text}"))
    if result.signing_time is not None:
        out.time, out.time_source = result.signing_time, "signer"
    return out


# ---- one signature ---------------------------------------------------------------------------------


def _references(reader: OFDReader, description: SignatureDescription, signer: Certificate | None) -> Check:
    if not description.references:
        return Check("references", False, "the signature protects no file", "no_references")
    method = (description.check_method or "MD5").strip()  # GB/T 33190 XSD default
    changed: list[str] = []
    missing: list[str] = []
    for ref in description.references:
        name = reader.container.lookup(ref.part)
        if name is None:
            missing.append(ref.file_ref)
            continue
        try:
            if method == _SM3_WITH_Z:
                hasher = _z_hasher(signer)
                for chunk in reader.iter_part(name):
                    hasher.update(chunk)
                digest = hasher.digest()
            else:
                digest = reader.digest(name, method)
        except UnsupportedAlgorithmError as exc:
            return Check("references", False, str(exc), "unsupported_check_method")
        if not hmac.compare_digest(digest, ref.check_value):
            changed.append(ref.file_ref)
    if missing:
        return Check("references", False, f"referenced file(s) missing: {', '.join(missing)}",
                     "referenced_file_missing")
    if changed:
        return Check("references", False, f"file(s) changed after signing: {', '.join(changed)}",
                     "referenced_file_changed")
    return Check("references", True, f"{len(description.references)} file digest(s) match ({method})")


def _stamp_annots(reader: OFDReader, description: SignatureDescription, doc: int) -> Check:
    if not description.stamp_annots:
        return Check("stamp_annots", None, "no visible seal (no StampAnnot)")
    document = reader.document(doc)
    ids = {str(page.id) for page in document.pages}
    bad = [a.page_ref for a in description.stamp_annots if a.page_ref.strip() not in ids]
    if bad:
        return Check("stamp_annots", False, f"StampAnnot PageRef(s) {', '.join(bad)} name no page",
                     "stamp_annot_page_missing")
    return Check("stamp_annots", True, f"{len(description.stamp_annots)} StampAnnot(s) on existing pages")


def _verify_signature(
    reader: OFDReader,
    entry: SignatureEntry,
    *,
    doc: int,
    later: bool,
    list_part: str,
    context: ValidationContext | None,
    certificates: Sequence[Certificate],
    at: datetime | None,
) -> tuple[SignatureReport, SignatureDescription | None]:
    kind = "seal" if entry.type.strip().lower() != "sign" else "sign"
    try:
        description = reader.signature(entry)
        signature_xml = reader.read_part(description.part)
    except DecodeError as exc:
        return SignatureReport(entry.id, kind, (Check("signature_description", False, str(exc),
                                                      "malformed_signature"),)), None
    if description.signed_value not in reader.container:
        checks = [_references(reader, description, None),
                  Check("signer_signature", False, f"SignedValue {description.signed_value} is missing",
                        "signed_value_missing")]
        return SignatureReport(entry.id, kind, tuple(checks)), description
    if reader.container.size(description.signed_value) > _MAX_VALUE:
        return SignatureReport(entry.id, kind, (Check("signer_signature", False, "SignedValue is over 16 MiB",
                                                      "malformed_signed_value"),)), description
    value = reader.read_part(description.signed_value)
    if kind == "seal":
        found = _seal_signature(value, signature_xml, description, reader, context=context, at=at)
    else:
        found = _sign_signature(value, signature_xml, description, certificates=certificates)
        if found.certificate is not None:
            report = (validate_chain(found.certificate, context, at=at or found.time, purpose=Purpose.DIGITAL_SIGNATURE)
                      if context is not None else None)
            found.checks.append(_chain_check("signer_chain", "signer_chain_invalid", report, "signer"))
    checks = [_references(reader, description, found.certificate), *found.checks,
              _stamp_annots(reader, description, doc)]
    if later and any(ref.part == list_part for ref in description.references):
        checks.append(Check("signatures_list", False, f"this signature protects {list_part}, yet later signatures were "
                            "added to it", "signatures_list_protected"))
    details = dict(found.details)
    details.update({"type": entry.type, "signature_xml": description.part, "check_method": description.check_method,
                    "signature_date_time": description.signature_date_time,
                    "provider": description.provider.name if description.provider else None})
    return SignatureReport(
        signature_id=entry.id,
        kind=found.kind,
        checks=tuple(checks),
        signer=found.certificate.subject_text if found.certificate is not None else None,
        signing_time=found.time,
        time_source=found.time_source,
        seal_name=found.seal_name,
        seal_id=found.seal_id,
        details=details,
    ), description


# ---- the document ----------------------------------------------------------------------------------


def _unprotected(reader: OFDReader, list_part: str, descriptions: Sequence[SignatureDescription]) -> list[Check]:
    protected = {ref.part for d in descriptions for ref in d.references}
    exempt = {list_part}
    if descriptions:
        exempt |= {descriptions[-1].part, descriptions[-1].signed_value}
    signs_dir = posixpath.dirname(list_part) + "/"
    content: list[str] = []
    signature_files: list[str] = []
    for name in reader.part_names():
        if name in protected or name in exempt:
            continue
        (signature_files if name.startswith(signs_dir) else content).append(name)
    checks = []
    if content:
        checks.append(Check("unprotected_changes", False, "file(s) no signature protects (added or changed after "
                            f"signing): {', '.join(content[:20])}", "unprotected_changes"))
    if signature_files:
        checks.append(Check("unprotected_changes", False, "signature file(s) no signature protects: "
                            f"{', '.join(signature_files[:20])}", "unprotected_changes", "warning"))
    if not checks:
        checks.append(Check("unprotected_changes", True, "every file is protected by a signature"))
    return checks


def _verify_reader(
    reader: OFDReader,
    name: str,
    *,
    context: ValidationContext | None,
    certificates: Sequence[Certificate],
    at: datetime | None,
) -> DocumentReport:
    signatures: list[SignatureReport] = []
    document_checks: list[Check] = []
    for doc in range(len(reader.bodies)):
        try:
            listing = reader.signatures(doc)
        except DecodeError as exc:
            document_checks.append(Check("signature_list", False, str(exc), "signature_list_unreadable"))
            continue
        if listing is None:
            continue
        descriptions: list[SignatureDescription] = []
        for position, entry in enumerate(listing.entries):
            report, description = _verify_signature(
                reader, entry, doc=doc, later=position < len(listing.entries) - 1, list_part=listing.part,
                context=context, certificates=certificates, at=at)
            signatures.append(report)
            if description is not None:
                descriptions.append(description)
        if listing.entries:
            document_checks.extend(_unprotected(reader, listing.part, descriptions))
    return DocumentReport(document=name, format="ofd", signatures=tuple(signatures),
                          document_checks=tuple(document_checks))


def verify_ofd(
    ofd: bytes | str | os.PathLike[str] | OFDReader,
    *,
    context: ValidationContext | None = None,
    certificates: Sequence[Certificate] = (),
    at: datetime | None = None,
    document_name: str | None = None,
) -> DocumentReport:
    """Verify every signature of an OFD document.

    :param ofd: package bytes, a file path (read by streaming), or an open :class:`OFDReader`.
    :param context: trust anchors, intermediates and CRLs for the signer, seal maker and TSA
        certificates; without it the chain checks are skipped (``ok=None``).
    :param certificates: signer certificates for signatures that carry none (a bare SM2
        Type="Sign" signature such as ofdrw's DigitalSign.ofd, or a SignedData without them).
    :param at: check seal validity and chains at this time instead of the signing time.
    :param document_name: the name shown in the report (default: the path, or ``"<memory>"``).
    :returns: the report; ``valid`` is False for an unsigned document.
    :raises DecodeError: the package itself is malformed (not a ZIP, no OFD.xml ...).
    """
    if at is not None and at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    certs = tuple(certificates)
    if isinstance(ofd, OFDReader):
        return _verify_reader(ofd, document_name or "<reader>", context=context, certificates=certs, at=at)
    if isinstance(ofd, (bytes, bytearray, memoryview)):
        with OFDReader.from_bytes(bytes(ofd)) as reader:
            return _verify_reader(reader, document_name or "<memory>", context=context, certificates=certs, at=at)
    with OFDReader.open(ofd) as reader:
        return _verify_reader(reader, document_name or os.fspath(ofd), context=context, certificates=certs, at=at)


