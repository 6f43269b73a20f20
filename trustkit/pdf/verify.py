"""Verifying every signature in a PDF: ByteRange, digest, signature, chain, timestamp, later changes.

For each filled signature field (ISO 32000-1 12.7.4.5, 12.8.1):

``byte_range``     ``[0 a b c]`` with the gap ``a..b`` being exactly the hex ``/Contents`` string,
                   and ``b + c`` the end of the revision that added the signature (its
                   ``startxref``/``%%EOF``, and every xref section up to it, inside the range).
``message_digest`` CMS: the messageDigest attribute equals the digest of the ByteRange bytes.
                   SES: ``dataHash`` equals SM3 of them.
``signature``      CMS: the signer's signature over the signed attributes (SM2 with Z from the
                   default ID, ECDSA, RSA) via :func:`trustkit.pki.cms.verify_cms`.  SES: the
                   signer's and the seal maker's signatures (:mod:`trustkit.seal.ses`).
``signer_chain``   the signer's path via ``context`` (skipped without one).
``timestamp``      the RFC 3161 signature timestamp over the signature value, if any.
``modifications``  revisions after the signed one, reviewed with pyHanko's diff analysis
                   (it runs without pyHanko's signature validation, which refuses SM2):
                   new signatures, form filling and annotations are allowed; anything
                   else (page content, resources) makes the signature invalid.

Document timestamps (``/SubFilter /ETSI.RFC3161``) are checked as kind ``"timestamp"``.
Malformed PDFs raise :class:`~trustkit.errors.DecodeError`.
"""
# mypy: disable-error-code="no-untyped-call"
# (pyHanko ships type hints, but many of its constructors and helpers are unannotated.)

from __future__ import annotations

import functools
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Any, Final

from trustkit import oids as _oids
from trustkit.errors import (
    DecodeError,
    InvalidSignature,
    TrustkitError,
    UnsupportedAlgorithmError,
)
from trustkit.pdf import _pyhanko_sm2
from trustkit.pdf._reader import check_pdf_bytes, pdf_errors
from trustkit.pdf._sigdict import SigDict, read_sig_dict, signature_fields
from trustkit.pki import algorithms
from trustkit.pki.certificate import Certificate
from trustkit.pki.cms import verify_cms
from trustkit.pki.timestamp import TimestampInfo, verify_timestamp
from trustkit.pki.validation import Purpose, ValidationContext, validate_chain
from trustkit.primitives import sm3
from trustkit.verification import Check, DocumentReport, SignatureReport

__all__ = ["verify_pdf"]

_DIGESTS: Final = {
    _oids.SM3: "sm3",
    _oids.SM3_WITHOUT_KEY: "sm3",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
_SIGNED_DATA: Final = frozenset({_oids.CMS_SIGNED_DATA, _oids.GM_CMS_SIGNED_DATA})
_MAX_SIGNATURES: Final = 256
# The end of a revision: "startxref <offset> %%EOF" (ISO 32000-1 7.5.5), then at most an EOL.
_EOF: Final = re.compile(rb"startxref\s+(\d{1,12})\s+%%EOF[ \t]*(?:\r\n|\r|\n)?$")


@dataclass(frozen=True)
class _Slot:
    """A filled signature field: its name, the raw /V reference and the dictionary's keys."""

    name: str
    sig_ref: Any
    sig: SigDict


@dataclass(frozen=True)
class _Range:
    check: Check
    signed: bytes
    contents: bytes
    revision: int | None
    later_revisions: int
    whole_file: bool


def _der_prefix(data: bytes) -> bytes:
    """The DER TLV at the start of zero-padded /Contents (PDF signatures reserve more than they use)."""
    if len(data) < 2 or data[0] != 0x30:
        raise DecodeError("/Contents does not start with a DER SEQUENCE")
    first = data[1]
    if first < 0x80:
        length, header = first, 2
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or len(data) < 2 + count:
            raise DecodeError("/Contents has a bad DER length")
        length, header = int.from_bytes(data[2:2 + count], "big"), 2 + count
    end = header + length
    if end > len(data):
        raise DecodeError("/Contents is truncated")
    if data[end:].strip(b"\x00"):
        raise DecodeError("/Contents has non-zero bytes after its DER value")
    return data[:end]


def _slot(pdf: bytes, name: str, value: Any, reader: Any) -> _Slot:
    from pyhanko.pdf_utils import generic

    fast = read_sig_dict(pdf, reader, value.reference) if isinstance(value, generic.IndirectObject) else None
    if fast is not None:
        return _Slot(name, value, fast)
    # Slow path (a direct or odd dictionary): pyHanko parses it; find /Contents by its value.
    sig = value.get_object()
    raw = sig.get("/ByteRange")
    byte_range = tuple(int(v) for v in raw) if isinstance(raw, generic.ArrayObject) and all(
        isinstance(v, int) for v in raw) else None
    span = None
    if byte_range is not None and len(byte_range) == 4:
        declared = sig.raw_get("/Contents", decrypt=generic.EncryptedObjAccess.RAW)
        gap = pdf[byte_range[1]:byte_range[2]]
        if gap[:1] == b"<" and getattr(declared, "original_bytes", None) == _hex(gap):
            span = (byte_range[1], byte_range[2])
    filter_, subfilter = sig.get("/Filter"), sig.get("/SubFilter")
    return _Slot(name, value, SigDict(None if filter_ is None else str(filter_),
                                      None if subfilter is None else str(subfilter), byte_range, span))


def _hex(gap: bytes) -> bytes | None:
    try:
        return bytes.fromhex(gap[1:-1].decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        return None


def _slots(pdf: bytes, reader: Any) -> list[_Slot]:
    out: list[_Slot] = []
    for name, _field, value in signature_fields(reader):
        if len(out) >= _MAX_SIGNATURES:
            raise DecodeError(f"more than {_MAX_SIGNATURES} signatures")
        out.append(_slot(pdf, name, value, reader))
    return out


def _byte_range(pdf: bytes, reader: Any, slot: _Slot) -> _Range:
    def fail(code: str, detail: str) -> _Range:
        return _Range(Check("byte_range", False, detail, code), b"", b"", None, 0, False)

    byte_range = slot.sig.byte_range
    if byte_range is None or len(byte_range) != 4:
        return fail("byte_range_malformed", "/ByteRange is not four integers")
    start1, len1, start2, len2 = byte_range
    if start1 != 0 or len1 <= 0 or start2 <= len1 or len2 < 0 or start2 + len2 > len(pdf):
        return fail("byte_range_malformed", f"/ByteRange {list(byte_range)} does not fit the file")
    if slot.sig.contents_span != (len1, start2):
        return fail("byte_range_gap", "the bytes excluded by /ByteRange are not exactly this signature's /Contents")
    contents = _hex(pdf[len1:start2])
    if contents is None:
        return fail("byte_range_gap", "the bytes excluded by /ByteRange are not a hex string")
    signed = pdf[:len1] + pdf[start2:start2 + len2]
    end = start2 + len2
    revisions = int(reader.xrefs.total_revisions)
    revision = int(reader.xrefs.get_last_change(slot.sig_ref.reference))
    tail = _EOF.search(pdf[max(0, end - 1024):end])
    startxref = int(tail.group(1)) if tail else None
    covered = startxref == reader.xrefs.get_startxref_for_revision(revision) and all(
        reader.xrefs.get_xref_container_info(r).end_location <= end for r in range(revision + 1)
    )
    whole_file = not pdf[end:].strip()
    later = revisions - 1 - revision
    if not covered:
        return _Range(Check("byte_range", False, f"the signature does not cover its revision ({revision + 1} of "
                                                 f"{revisions}) up to its end", "revision_not_covered"),
                      signed, contents, revision, later, False)
    detail = "covers the whole file except /Contents" if whole_file else (
        f"covers revision {revision + 1} of {revisions}; {later} later revision(s) follow")
    return _Range(Check("byte_range", True, detail), signed, contents, revision, later, whole_file)


def _modifications(reader: Any, rng: _Range) -> Check:
    from pyhanko.sign.diff_analysis import ModificationLevel, SuspiciousModification

    from trustkit.pdf._diff import DIFF_POLICY

    if rng.whole_file or rng.revision is None:
        return Check("modifications", True, "no changes after signing")
    try:
        result = DIFF_POLICY.review_file(reader, rng.revision)
    except SuspiciousModification as exc:
        result = exc
    if isinstance(result, SuspiciousModification):
        return Check("modifications", False, f"disallowed change after signing: {result}", "disallowed_modification")
    level = result.modification_level
    if level > ModificationLevel.ANNOTATIONS:
        return Check("modifications", False, f"change after signing beyond annotations ({level.name})",
                     "disallowed_modification")
    fields = ", ".join(sorted(result.changed_form_fields))
    return Check("modifications", True, f"allowed changes after signing ({level.name.lower()})"
                 + (f": fields {fields}" if fields else ""))


def _timestamp_check(token: bytes, value: bytes, context: ValidationContext | None,
                     at: datetime | None) -> tuple[Check, TimestampInfo | None]:
    try:
        if context is None:
            tsa = verify_cms(token).signer  # integrity only; the TSA is not trusted without a context
            info = verify_timestamp(token, data=value, tsa_certificate=tsa)
            detail = f"{info.gen_time.isoformat()} by {tsa.subject_text} (TSA not validated: no trust context)"
        else:
            info = verify_timestamp(token, data=value, context=context, at=at)
            detail = f"{info.gen_time.isoformat()} by {info.tsa_certificate.subject_text}"
    except (TrustkitError, ValueError) as exc:
        code = getattr(exc, "code", "timestamp_invalid")
        return Check("timestamp", False, f"the timestamp does not verify: {exc}", str(code)), None
    return Check("timestamp", True, detail), info


def _chain_check(signer: Certificate, context: ValidationContext | None, at: datetime | None,
                 embedded: Sequence[Certificate], purpose: Purpose) -> Check:
    if context is None:
        return Check("signer_chain", None, "not checked: no trust context given")
    report = validate_chain(signer, context, at=at, purpose=purpose, intermediates=embedded)
    if report.valid:
        return Check("signer_chain", True, f"{signer.subject_text} chains to {report.path[-1].subject_text}")
    reasons = "; ".join(f.message for f in report.failures)
    code = report.failures[0].code if report.failures else "chain_invalid"
    return Check("signer_chain", False, reasons, code)


@functools.lru_cache(maxsize=256)
def _certificate(der: bytes) -> Certificate:
    """Embedded certificates repeat across documents; Certificate is immutable, so a bounded cache is safe."""
    return Certificate.from_der(der)


def _cms_parts(der: bytes) -> tuple[Any, Any, list[Certificate]]:
    """The SignedData's single SignerInfo, its signed attributes and the embedded certificates."""
    from asn1crypto import cms, parser

    outer = _pyhanko_sm2._GMContentInfo.load(der, strict=True)
    if outer["content_type"].dotted not in _SIGNED_DATA:
        raise DecodeError(f"/Contents holds contentType {outer['content_type'].dotted}, not SignedData")
    inner = parser.parse(bytes(outer["content"].dump()), strict=True)[4]  # the [0] EXPLICIT wrapper's content
    signed_data = cms.SignedData.load(inner, strict=True)
    infos = signed_data["signer_infos"]
    if len(infos) != 1:
        raise DecodeError(f"a PDF signature has exactly one SignerInfo, found {len(infos)}")
    certs = []
    for choice in signed_data["certificates"] or ():
        if choice.name == "certificate":
            try:
                certs.append(_certificate(bytes(choice.chosen.dump())))
            except DecodeError:
                continue
    return infos[0], signed_data, certs


def _message_digest(info: Any, signed: bytes) -> Check:
    digest_oid = info["digest_algorithm"]["algorithm"].dotted
    name = _DIGESTS.get(digest_oid)
    if name is None:
        return Check("message_digest", False, f"digest algorithm {digest_oid} is not supported", "unsupported_digest")
    claimed = None
    for attr in info["signed_attrs"] or ():
        if attr["type"].dotted == _oids.ATTR_MESSAGE_DIGEST:
            claimed = bytes(attr["values"][0].native)
    if claimed is None:
        return Check("message_digest", False, "no messageDigest signed attribute", "digest_missing")
    if not hmac.compare_digest(algorithms.digest(name, signed), claimed):
        return Check("message_digest", False, "the document bytes differ from what was signed", "digest_mismatch")
    return Check("message_digest", True, f"{name.upper()} of the ByteRange bytes matches")


def _verify_cms_slot(slot: _Slot, rng: _Range, reader: Any, context: ValidationContext | None,
                     at: datetime | None, subfilter: str) -> SignatureReport:
    checks: list[Check] = [rng.check]
    details: dict[str, Any] = {"subfilter": subfilter, "later_revisions": rng.later_revisions}
    der = _der_prefix(rng.contents)
    try:
        info, _signed_data, embedded = _cms_parts(der)
    except (ValueError, TypeError, KeyError) as exc:  # asn1crypto parse failures
        raise DecodeError(f"signature {slot.name!r}: /Contents is not a CMS SignedData ({exc})") from None
    outer_type = _pyhanko_sm2._GMContentInfo.load(der)["content_type"].dotted
    is_sm2 = info["signature_algorithm"]["algorithm"].dotted in (_oids.SM2_SIGN_WITH_SM3, _oids.SM2_SIGN, _oids.SM2)
    details["mode"] = ("cms-gm" if outer_type == _oids.GM_CMS_SIGNED_DATA else "cms-sm2") if is_sm2 else (
        "pades" if subfilter == "/ETSI.CAdES.detached" else "cms")
    details["digest_algorithm"] = info["digest_algorithm"]["algorithm"].dotted
    details["signature_algorithm"] = info["signature_algorithm"]["algorithm"].dotted
    digest_check = _message_digest(info, rng.signed) if rng.check.ok else Check(
        "message_digest", None, "not checked: the ByteRange is unusable")
    checks.append(digest_check)
    signer: Certificate | None = None
    signing_time = None
    if digest_check.ok:
        try:
            verified = verify_cms(der, data=rng.signed)
            signer, signing_time = verified.signer, verified.signing_time
            kind = "SM2" if is_sm2 else details["signature_algorithm"]
            checks.append(Check("signature", True, f"{kind} signature by {signer.subject_text}"))
        except InvalidSignature:
            checks.append(Check("signature", False, "the signature over the signed attributes does not verify",
                                "bad_signature"))
        except (DecodeError, UnsupportedAlgorithmError) as exc:
            checks.append(Check("signature", False, str(exc), getattr(exc, "code", "bad_signature")))
    else:
        checks.append(Check("signature", None, "not checked: the digest check failed"))
    time_source = "signer" if signing_time is not None else "unknown"
    token = _pyhanko_sm2.signature_timestamp_token(info)
    validation_time = at
    if token is not None:
        ts_check, ts_info = _timestamp_check(token, bytes(info["signature"].native), context, at)
        checks.append(ts_check)
        if ts_info is not None:
            signing_time, time_source = ts_info.gen_time, "timestamp"
            validation_time = at or ts_info.gen_time
    if signer is not None:
        checks.append(_chain_check(signer, context, validation_time, embedded, Purpose.DIGITAL_SIGNATURE))
    else:
        checks.append(Check("signer_chain", None, "not checked: the signature did not verify"))
    checks.append(_modifications(reader, rng) if rng.check.ok else Check(
        "modifications", None, "not checked: the ByteRange is unusable"))
    return SignatureReport(
        slot.name, "cms", tuple(checks), signer=signer.subject_text if signer else None,
        signing_time=signing_time, time_source=time_source, details=details,  # type: ignore[arg-type]
    )


def _verify_ses_slot(slot: _Slot, rng: _Range, reader: Any, context: ValidationContext | None,
                     at: datetime | None, subfilter: str) -> SignatureReport:
    from trustkit.seal.ses import parse_seal_signature, validate_seal_signature

    der = _der_prefix(rng.contents)
    parsed = parse_seal_signature(der)
    checks: list[Check] = [rng.check]
    details: dict[str, Any] = {"subfilter": subfilter, "mode": "ses", "later_revisions": rng.later_revisions,
                               "property_info": parsed.property_info, "ses_version": parsed.version}
    validation_time = at
    signing_time, time_source = parsed.time_info, "signer" if parsed.time_info is not None else "unknown"
    ts_info = None
    if parsed.timestamp_token is not None:
        ts_check, ts_info = _timestamp_check(parsed.timestamp_token, parsed.signature, context, at)
        checks.append(ts_check)
        if ts_info is not None:
            signing_time, time_source = ts_info.gen_time, "timestamp"
            validation_time = at or ts_info.gen_time
    result = validate_seal_signature(parsed, data_hash=sm3.hash(rng.signed), at=validation_time, context=context)
    checks.insert(1, Check("message_digest", result.data_hash_matches,
                           "SM3 of the ByteRange bytes matches dataHash" if result.data_hash_matches
                           else "the document bytes differ from what was signed",
                           None if result.data_hash_matches else "digest_mismatch"))
    sig_ok = result.signer_signature_valid and result.seal.maker_signature_valid
    checks.insert(2, Check("signature", sig_ok, "signer and seal maker signatures verify" if sig_ok else
                           "; ".join(f.message for f in result.failures if f.code.endswith("signature_invalid")),
                           None if sig_ok else "bad_signature"))
    policy = [f for f in result.failures if f.code not in ("data_hash_mismatch", "signer_signature_invalid",
                                                            "maker_signature_invalid", "signer_chain_invalid",
                                                            "maker_chain_invalid")]
    checks.append(Check("seal", not policy, "; ".join(f.message for f in policy) or
                        f"seal {parsed.seal.name!r} ({parsed.seal.esid}) valid at the signing time",
                        policy[0].code if policy else None))
    if context is None:
        checks.append(Check("signer_chain", None, "not checked: no trust context given"))
    else:
        chain_failures = [f for f in result.failures if f.code in ("signer_chain_invalid", "maker_chain_invalid")]
        checks.append(Check("signer_chain", not chain_failures, "; ".join(f.message for f in chain_failures) or
                            "signer and seal maker chains validate",
                            chain_failures[0].code if chain_failures else None))
    checks.append(_modifications(reader, rng) if rng.check.ok else Check(
        "modifications", None, "not checked: the ByteRange is unusable"))
    return SignatureReport(
        slot.name, "seal", tuple(checks), signer=parsed.signer_certificate.subject_text,
        signing_time=signing_time, time_source=time_source,  # type: ignore[arg-type]
        seal_name=parsed.seal.name, seal_id=parsed.seal.esid, details=details,
    )


def _verify_doc_timestamp(slot: _Slot, rng: _Range, reader: Any, context: ValidationContext | None,
                          at: datetime | None) -> SignatureReport:
    checks: list[Check] = [rng.check]
    check, info = _timestamp_check(_der_prefix(rng.contents), rng.signed, context, at)
    checks.append(Check("message_digest", check.ok, check.detail, check.code))
    checks.append(_modifications(reader, rng) if rng.check.ok else Check(
        "modifications", None, "not checked: the ByteRange is unusable"))
    return SignatureReport(
        slot.name, "timestamp", tuple(checks),
        signer=info.tsa_certificate.subject_text if info else None,
        signing_time=info.gen_time if info else None, time_source="timestamp" if info else "unknown",
        details={"subfilter": "/ETSI.RFC3161", "later_revisions": rng.later_revisions},
    )


def _is_cms(contents: bytes) -> bool:
    """CMS ContentInfo starts SEQUENCE { OBJECT IDENTIFIER ...; SES_Signature starts SEQUENCE { SEQUENCE ..."""
    if len(contents) < 6 or contents[0] != 0x30:
        return False
    first = contents[1]
    offset = 2 if first < 0x80 else 2 + (first & 0x7F)
    return len(contents) > offset and contents[offset] == 0x06


def _verify_slot(data: bytes, reader: Any, slot: _Slot, context: ValidationContext | None,
                 at: datetime | None) -> SignatureReport:
    rng = _byte_range(data, reader, slot)
    subfilter = slot.sig.subfilter or ""
    if rng.check.ok is False and not rng.contents:
        return SignatureReport(slot.name, "cms", (rng.check,), details={"subfilter": subfilter})
    try:
        if subfilter == "/ETSI.RFC3161":
            return _verify_doc_timestamp(slot, rng, reader, context, at)
        if _is_cms(_der_prefix(rng.contents)):
            return _verify_cms_slot(slot, rng, reader, context, at, subfilter)
        return _verify_ses_slot(slot, rng, reader, context, at, subfilter)
    except DecodeError as exc:
        # One unreadable signature value must not hide the verdicts on the others.
        return SignatureReport(slot.name, "cms", (rng.check, Check(
            "signature", False, f"the signature value cannot be read: {exc.message}", "malformed_signature")),
            details={"subfilter": subfilter})


def verify_pdf(
    pdf: bytes,
    *,
    context: ValidationContext | None = None,
    at: datetime | None = None,
    name: str = "document.pdf",
) -> DocumentReport:
    """Check every signature in ``pdf`` (see the module docstring for the checks).

    :param context: trust anchors, intermediates and CRLs for the signer and TSA chains; without
        it the chains are reported as not checked and timestamps are checked for integrity only.
    :param at: the time the chains are validated for (default: the verified timestamp's time,
        else now; for SES signatures without a timestamp, their own ``timeInfo``, as
        :func:`trustkit.seal.ses.validate_seal_signature` does).
    :param name: the document name to put in the report.
    :returns: a :class:`~trustkit.verification.DocumentReport` with ``format="pdf"``; a document
        without signatures is reported invalid.
    :raises DecodeError: not a PDF, too large, encrypted, or malformed beyond reading.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader

    data = check_pdf_bytes(pdf)
    reports: list[SignatureReport] = []
    with pdf_errors("cannot read the PDF"):
        reader = PdfFileReader(BytesIO(data), strict=False)
        if reader.encrypted:
            raise DecodeError("encrypted PDFs are not supported")
        for slot in _slots(data, reader):
            reports.append(_verify_slot(data, reader, slot, context, at))
    return DocumentReport(name, "pdf", tuple(reports))
