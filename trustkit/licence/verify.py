"""Verify issued licences: the seal, the chain, the embedded record, the codes, validity and status.

:func:`verify_licence` answers with a :class:`LicenceVerification`: named checks (the shape of
:class:`trustkit.verification.Check`) and a combined verdict.  Checks and failure codes:

==================  ==========================================================================
check               what it checks (failure codes)
==================  ==========================================================================
seal                the OFD signatures (:func:`~trustkit.ofd.verify.verify_ofd`): at least one
                    seal, every signature valid, nothing changed or added after sealing
                    (``unsigned``, ``no_seal``, or the OFD verifier's first code, e.g.
                    ``referenced_file_changed``, ``unprotected_changes``)
chain               the signer and seal-maker certificates chain to the trust anchors of
                    ``context``, at the signing time, with its CRLs (``chain_invalid``)
metadata            one licence CustomTag whose tag file is a canonical licence record XML
                    (``metadata_missing``, ``metadata_malformed``, ``metadata_not_canonical``)
identifier          the licence identifier's structure and MOD 37,36 check character
                    (``identifier_invalid``)
holder_code         the holder code by its type: ID number MOD 11-2, USCC (``holder_code_invalid``)
issuer_code         the issuing authority's USCC check character (``issuer_code_invalid``)
protected           OFD.xml (DocInfo), Document.xml, CustomTags.xml, the tag file, the data index
                    and any record attachment are all listed in the References of a valid seal
                    (``metadata_unprotected``)
docinfo             DocInfo CustomDatas equal the record's key fields (``docinfo_mismatch``)
visible_text        the data index's TextObjects show each field exactly as the record has it
                    (``visible_text_mismatch``; skipped for documents without an index)
attachment          a record attachment, if present, equals the tag file (``attachment_mismatch``)
status              the status written in the record (``licence_revoked``, ``licence_suspended``)
validity            ``at`` (a Beijing-time date) lies in the validity window
                    (``licence_expired``, ``licence_not_yet_valid``)
status_list         the licence is not revoked or suspended on the status list at ``at``
                    (``licence_revoked``, ``licence_suspended``; warnings
                    ``status_list_wrong_issuer``, ``status_list_stale``)
seal_issuer         warning: the sealing certificate's subject does not name the issuing
                    authority (``seal_issuer_mismatch``)
==================  ==========================================================================

Signatures are judged at their signing time (a licence issued while its seal certificate was
valid stays verifiable after the certificate expires); the licence itself is judged at ``at``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from lxml import etree

from trustkit.errors import DecodeError, TrustkitError
from trustkit.licence.codes import LicenceIdentifier, validate_id_number, validate_uscc
from trustkit.licence.issue import (
    ATTACHMENT_NAME,
    ATTACHMENT_USAGE,
    INDEX_TAG_TYPE,
    INDEX_XML_NAMESPACE,
    LICENCE_TAG_TYPE,
    docinfo_fields,
)
from trustkit.licence.model import LICENCE_XML_NAMESPACE, LicenceRecord
from trustkit.licence.status import StatusList
from trustkit.licence.template import field_value
from trustkit.ofd.reader import OFDReader
from trustkit.ofd.verify import verify_ofd
from trustkit.pki.validation import ValidationContext
from trustkit.verification import Check, DocumentReport

__all__ = [
    "DirectoryVerification",
    "LicenceVerification",
    "licence_files",
    "read_licence_record",
    "verify_directory",
    "verify_licence",
]

_BEIJING = timezone(timedelta(hours=8))
_MAX_TAG = 256 * 1024
_NS = "{" + LICENCE_XML_NAMESPACE + "}"
_INDEX_NS = "{" + INDEX_XML_NAMESPACE + "}"
_OFD_NS = "{http://www.ofdspec.org/2016}"
_MAX_INDEX_REFS = 10_000


@dataclass(frozen=True)
class LicenceVerification:
    """The verdict on one licence document.

    ``valid`` is True when no error-severity check failed and the seal check passed.
    ``record`` is the embedded record when it could be read.
    """

    document: str
    checks: tuple[Check, ...]
    record: LicenceRecord | None = None
    report: DocumentReport | None = None
    at: datetime | None = None

    @property
    def valid(self) -> bool:
        seal_ok = any(c.name == "seal" and c.ok for c in self.checks)
        return seal_ok and not self.failures

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.ok is False and c.severity == "error")

    @property
    def warnings(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.ok is False and c.severity == "warning")

    @property
    def reasons(self) -> tuple[str, ...]:
        """One line per failed error check: ``code: detail``."""
        return tuple(f"{c.code or c.name}: {c.detail}" for c in self.failures)

    def to_dict(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "valid": self.valid,
            "at": self.at.isoformat() if self.at else None,
            "identifier": str(self.record.identifier) if self.record else None,
            "failures": [c.code or c.name for c in self.failures],
            "warnings": [c.code or c.name for c in self.warnings],
            "reasons": list(self.reasons),
            "checks": [c.to_dict() for c in self.checks],
            "record": self.record.to_dict() if self.record else None,
            "signatures": self.report.to_dict()["signatures"] if self.report else [],
        }

    def summary(self) -> str:
        """Human lines: the verdict, then each check."""
        head = f"{self.document}: {'VALID' if self.valid else 'INVALID'}"
        if self.record is not None:
            head += f" — {self.record.licence_type_name} {self.record.licence_number}, {self.record.holder_name}"
        lines = [head]
        for check in self.checks:
            mark = {True: "ok  ", False: "FAIL" if check.severity == "error" else "warn", None: "skip"}[check.ok]
            lines.append(f"    {mark} {check.name}" + (f": {check.detail}" if check.detail else ""))
        return "\n".join(lines)


def _first_failure(report: DocumentReport) -> tuple[str, str]:
    reasons = [(c.code or c.name, f"[{s.signature_id}] {c.detail}") for s in report.signatures for c in s.failures]
    reasons += [(c.code or c.name, c.detail) for c in report.document_checks if c.ok is False and c.severity == "error"]
    if not reasons:
        return "invalid", "the document's signatures are not valid"
    return reasons[0][0], "; ".join(detail for _, detail in reasons)


def _seal_checks(report: DocumentReport) -> list[Check]:
    if not report.signatures:
        return [Check("seal", False, "the licence is not sealed (no signatures)", "unsigned")]
    seals = [s for s in report.signatures if s.kind == "seal"]
    checks: list[Check] = []
    if not seals:
        checks.append(Check("seal", False, "the document has signatures but no electronic seal", "no_seal"))
    elif not report.valid:
        code, detail = _first_failure(report)
        checks.append(Check("seal", False, detail, code))
    else:
        names = ", ".join(f"{s.seal_name or s.signature_id} ({s.signer})" for s in seals)
        checks.append(Check("seal", True, f"{len(report.signatures)} signature(s) valid: {names}"))
    chain = [c for s in report.signatures for c in s.checks if c.name in ("signer_chain", "maker_chain")]
    bad = [c for c in chain if c.ok is not True]
    if not chain:
        checks.append(Check("chain", False, "no certificate chain was checked", "chain_invalid"))
    elif bad:
        checks.append(Check("chain", False, "; ".join(c.detail for c in bad), "chain_invalid"))
    else:
        checks.append(Check("chain", True, f"{len(chain)} certificate path(s) to the trust anchors"))
    return checks


def _licence_tag(reader: OFDReader) -> tuple[str | None, str]:
    tags = [t for t in reader.custom_tags()
            if t.name_space == LICENCE_XML_NAMESPACE or t.type_id in (LICENCE_TAG_TYPE, LICENCE_XML_NAMESPACE)]
    if not tags:
        return None, "the document has no licence custom tag"
    if len(tags) > 1:
        return None, f"the document has {len(tags)} licence custom tags; exactly one is allowed"
    if tags[0].file is None or tags[0].file not in reader.container:
        return None, "the licence custom tag names no existing tag file"
    return tags[0].file, ""


def _parse(data: bytes) -> Any:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return None


def _raw_codes(data: bytes) -> dict[str, str]:
    """Identifier, holder type/code and issuer code straight from the XML, so that a bad check
    character gets its own named check rather than failing the whole record parse."""
    root = _parse(data)
    if root is None:
        return {}
    found: dict[str, str] = {}
    for child in root:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == _NS + "Identifier":
            found["identifier"] = child.text or ""
        elif tag == _NS + "Holder":
            found["holder_type"] = child.get("IdType") or ""
            found["holder_code"] = child.get("Code") or ""
        elif tag == _NS + "Issuer":
            found["issuer_code"] = child.get("Code") or ""
    return found


def _code_checks(raw: Mapping[str, str]) -> list[Check]:
    checks: list[Check] = []

    def run(name: str, code: str, value: str | None, validate: Callable[[str], object], ok_text: str) -> None:
        if value is None:
            return
        try:
            validate(value)
        except DecodeError as exc:
            checks.append(Check(name, False, exc.message, code))
        else:
            checks.append(Check(name, True, ok_text))

    run("identifier", "identifier_invalid", raw.get("identifier"), LicenceIdentifier.parse,
        "structure and MOD 37,36 check character")
    holder_type, holder = raw.get("holder_type"), raw.get("holder_code")
    if holder_type == "111":
        run("holder_code", "holder_code_invalid", holder, validate_id_number, "resident ID number (MOD 11-2)")
    elif holder_type == "001":
        run("holder_code", "holder_code_invalid", holder, validate_uscc, "unified social credit code (GB 32100)")
    run("issuer_code", "issuer_code_invalid", raw.get("issuer_code"), validate_uscc, "USCC check character")
    return checks


def _index_part(reader: OFDReader) -> tuple[str | None, str]:
    tags = [t for t in reader.custom_tags() if t.name_space == INDEX_XML_NAMESPACE or t.type_id == INDEX_TAG_TYPE]
    if not tags:
        return None, ""
    if len(tags) > 1 or tags[0].file is None or tags[0].file not in reader.container:
        return None, "the data index custom tag is duplicated or names no existing file"
    return tags[0].file, ""


def _page_texts(reader: OFDReader, part: str) -> dict[str, str]:
    """TextObject ID -> its text (the TextCode runs joined), straight from the page XML: the
    glyph geometry :meth:`OFDReader.page` computes is not needed here and costs 10x more."""
    root = reader.container.read_xml(part)
    found: dict[str, str] = {}
    for obj in root.iter(_OFD_NS + "TextObject"):
        ident = (obj.get("ID") or "").strip()
        if ident:
            found[ident] = "".join(code.text or "" for code in obj.iter(_OFD_NS + "TextCode"))
    return found


def _visible_check(reader: OFDReader, part: str, record: LicenceRecord) -> Check:
    """Every indexed field's TextObjects, joined, show exactly what the record says."""
    def bad(detail: str) -> Check:
        return Check("visible_text", False, detail, "visible_text_mismatch")

    if reader.container.size(part) > _MAX_TAG:
        return bad(f"{part} is larger than {_MAX_TAG} bytes")
    root = _parse(reader.read_part(part))
    if root is None or root.tag != _INDEX_NS + "Index" or root.get("Version") != "1":
        return bad(f"{part} is not a licence data index (Version 1)")
    pages = {str(ref.id): ref.part for ref in reader.document().pages}
    texts: dict[str, dict[str, str]] = {}  # page ID -> TextObject ID -> text, pages parsed on demand
    wrong: list[str] = []
    fields = list(root)
    refs_seen = 0
    for element in fields:
        name, fmt = element.get("Name"), element.get("Format", "cn")
        if element.tag != _INDEX_NS + "Field" or not name or fmt not in ("cn", "iso"):
            return bad(f"{part}: unexpected element or attributes")
        shown: list[str] = []
        for ref in element:
            refs_seen += 1
            page_ref = (ref.get("PageRef") or "").strip()
            if ref.tag != _OFD_NS + "ObjectRef" or page_ref not in pages or refs_seen > _MAX_INDEX_REFS:
                return bad(f"{part}: field {name} refers to no page of the document")
            if page_ref not in texts:
                texts[page_ref] = _page_texts(reader, pages[page_ref])
            shown.append(texts[page_ref].get((ref.text or "").strip(), "\x00"))
        try:
            expected = field_value(record, name, fmt)
        except ValueError:
            return bad(f"{part}: unknown field {name!r}")
        if "".join(shown) != expected:
            wrong.append(name)
    if wrong:
        return bad(f"the page does not show what the record says for: {', '.join(wrong)}")
    return Check("visible_text", True, f"{len(fields)} indexed field(s) show the record's values")


def read_licence_record(reader: OFDReader) -> LicenceRecord:
    """The record embedded in a licence document (not verified: see :func:`verify_licence`).

    :raises DecodeError: no licence tag, or the tag file is not a valid record.
    """
    part, problem = _licence_tag(reader)
    if part is None:
        raise DecodeError(problem, code="metadata_missing")
    return LicenceRecord.from_xml(reader.read_part(part))


def _protected_parts(reader: OFDReader, report: DocumentReport) -> set[str]:
    listing = reader.signatures()
    if listing is None:
        return set()
    # Parts whose digests a seal's References hold and that still match them; whether the seal
    # itself is trustworthy is the "seal" and "chain" checks' business.
    valid_ids = {s.signature_id for s in report.signatures
                 if s.kind == "seal" and any(c.name == "references" and c.ok for c in s.checks)}
    parts: set[str] = set()
    for entry in listing.entries:
        if entry.id in valid_ids:
            parts.update(ref.part for ref in reader.signature(entry).references)
    return parts


def _metadata_checks(reader: OFDReader, report: DocumentReport) -> tuple[list[Check], LicenceRecord | None]:
    part, problem = _licence_tag(reader)
    if part is None:
        return [Check("metadata", False, problem, "metadata_missing")], None
    if reader.container.size(part) > _MAX_TAG:
        return [Check("metadata", False, f"{part} is larger than {_MAX_TAG} bytes", "metadata_malformed")], None
    data = reader.read_part(part)
    record: LicenceRecord | None = None
    malformed: DecodeError | None = None
    try:
        record = LicenceRecord.from_xml(data)
    except DecodeError as exc:
        malformed = exc
    canonical = record is not None and record.to_xml() == data
    if canonical and record is not None:
        # The bytes are the record's canonical XML, so its fields are exactly the XML's values:
        # check them without parsing the XML a second time.
        raw = {"identifier": str(record.identifier), "holder_type": record.holder_id_type,
               "holder_code": record.holder_code, "issuer_code": record.issuer_code}
    else:
        raw = _raw_codes(data)
    checks = _code_checks(raw)
    if malformed is not None:
        if not any(c.ok is False for c in checks):
            checks.insert(0, Check("metadata", False, f"{part}: {malformed.message}", "metadata_malformed"))
        else:
            checks.insert(0, Check("metadata", False, f"{part}: the record's codes are invalid", "metadata_malformed"))
    if record is not None:
        if not canonical:
            checks.insert(0, Check("metadata", False, f"{part} is not the canonical record XML", "metadata_not_canonical"))
            record = None
        else:
            checks.insert(0, Check("metadata", True, f"licence record in {part}"))
    body = reader.bodies[0]
    document = reader.document()
    required = {"OFD.xml": "OFD.xml (DocInfo)", body.doc_root: "Document.xml", part: "the licence tag file"}
    if document.custom_tags:
        required[document.custom_tags] = "CustomTags.xml"
    attachments = [a for a in reader.attachments() if a.usage == ATTACHMENT_USAGE or a.name == ATTACHMENT_NAME]
    if attachments and document.attachments:
        required[document.attachments] = "Attachments.xml"
        required.update({a.file: f"attachment {a.name}" for a in attachments if a.file})
    index_part, index_problem = _index_part(reader)
    if index_part is not None:
        required[index_part] = "the data index"
    protected = _protected_parts(reader, report)
    missing = [label for name, label in required.items() if name not in protected]
    if missing:
        checks.append(Check("protected", False, f"not protected by a seal's References: {', '.join(missing)}",
                            "metadata_unprotected"))
    else:
        checks.append(Check("protected", True, "DocInfo, Document.xml, the custom tag and its file are sealed"))
    if record is None:
        return checks, None
    expected = docinfo_fields(record)
    info = reader.info.custom_data
    bad = [name for name, value in expected if [v for k, v in info if k == name] != [value]]
    if bad:
        checks.append(Check("docinfo", False, f"DocInfo CustomData differ from the record: {', '.join(bad)}",
                            "docinfo_mismatch"))
    else:
        checks.append(Check("docinfo", True, f"{len(expected)} DocInfo CustomData match the record"))
    if index_part is not None:
        checks.append(_visible_check(reader, index_part, record))
    elif index_problem:
        checks.append(Check("visible_text", False, index_problem, "visible_text_mismatch"))
    else:
        checks.append(Check("visible_text", None, "no data index: the visible text was not compared"))
    for attachment in attachments:
        same = attachment.file is not None and attachment.file in reader.container \
            and reader.container.size(attachment.file) <= _MAX_TAG and reader.read_part(attachment.file) == data
        checks.append(Check("attachment", same, f"attachment {attachment.name} "
                            + ("equals the tag file" if same else "differs from the tag file"),
                            None if same else "attachment_mismatch"))
    return checks, record


def _licence_checks(record: LicenceRecord, at: datetime, status_list: StatusList | None,
                    report: DocumentReport) -> list[Check]:
    day = at.astimezone(_BEIJING).date()
    checks = [Check("status", record.status == "valid", f"status in the record: {record.status}",
                    None if record.status == "valid" else f"licence_{record.status}")]
    window = f"{record.valid_from} to {record.valid_to or '长期 (long-term)'}"
    if day < record.valid_from:
        checks.append(Check("validity", False, f"not yet valid on {day} (valid {window})", "licence_not_yet_valid"))
    elif record.valid_to is not None and day > record.valid_to:
        checks.append(Check("validity", False, f"expired: valid {window}, checked on {day}", "licence_expired"))
    else:
        checks.append(Check("validity", True, f"valid on {day} ({window})"))
    if status_list is not None:
        checks.extend(_status_list_checks(record, at, day, status_list))
    signers = [s.signer for s in report.signatures if s.kind == "seal" and s.signer]
    if signers:
        named = any(record.issuer_name in s for s in signers)
        checks.append(Check("seal_issuer", named,
                            f"sealed by {signers[0]}" + ("" if named else f", which does not name {record.issuer_name}"),
                            None if named else "seal_issuer_mismatch", "warning"))
    return checks


def _status_list_checks(record: LicenceRecord, at: datetime, day: date, status_list: StatusList) -> list[Check]:
    checks: list[Check] = []
    if status_list.issuer_code != record.issuer_code:
        checks.append(Check("status_list", False, f"the status list is issuer {status_list.issuer_code}'s, "
                            f"not {record.issuer_code}'s: revocation not checked", "status_list_wrong_issuer",
                            "warning"))
        return checks
    entry = status_list.lookup(record.identifier)
    if entry is None or entry.date > day:
        note = "" if entry is None else f" ({entry.status} from {entry.date})"
        checks.append(Check("status_list", True, f"not listed on status list {status_list.list_number}{note}"))
    else:
        reason = f": {entry.reason}" if entry.reason else ""
        checks.append(Check("status_list", False, f"{entry.status} on {entry.date} (status list "
                            f"{status_list.list_number}){reason}", f"licence_{entry.status}"))
    if not status_list.is_current(at):
        checks.append(Check("status_list_current", False, f"status list {status_list.list_number} covers "
                            f"{status_list.this_update:%Y-%m-%d %H:%M} to {status_list.next_update:%Y-%m-%d %H:%M} UTC, "
                            f"not {at:%Y-%m-%d %H:%M} UTC", "status_list_stale", "warning"))
    return checks


def verify_licence(
    ofd: bytes | str | os.PathLike[str],
    *,
    context: ValidationContext,
    status_list: StatusList | None = None,
    at: datetime | None = None,
    document_name: str | None = None,
) -> LicenceVerification:
    """Verify one licence document (the checks are listed in the module docstring).

    :param ofd: the package bytes or a file path.
    :param context: trust anchors, intermediates and CRLs for the seal's signer and maker.
    :param status_list: a verified status list (:func:`~trustkit.licence.status.load_status_list`).
    :param at: when to judge the licence's validity and status (aware; default now).
    :raises DecodeError: the file is not a readable OFD package.
    """
    moment = at if at is not None else datetime.now(timezone.utc)
    if moment.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    if isinstance(ofd, (bytes, bytearray, memoryview)):
        reader = OFDReader.from_bytes(bytes(ofd))
        name = document_name or "<memory>"
    else:
        reader = OFDReader.open(ofd)
        name = document_name or os.fspath(ofd)
    with reader:
        report = verify_ofd(reader, context=context, document_name=name)
        checks = _seal_checks(report)
        try:
            metadata, record = _metadata_checks(reader, report)
        except DecodeError as exc:
            metadata, record = [Check("metadata", False, exc.message, "metadata_malformed")], None
        checks.extend(metadata)
    if record is not None:
        checks.extend(_licence_checks(record, moment, status_list, report))
    return LicenceVerification(name, tuple(checks), record, report, moment)


@dataclass(frozen=True)
class DirectoryVerification:
    """Per-file verdicts of a directory and their counts (``error`` = the file could not be read)."""

    results: tuple[LicenceVerification, ...]
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return bool(self.results) and all(r.valid for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {"valid": self.valid, "total": len(self.results), **{f"{k}_count": v for k, v in self.counts.items()},
                "documents": [r.to_dict() for r in self.results]}

    def summary(self) -> str:
        return (f"{self.counts.get('valid', 0)} of {len(self.results)} licence(s) valid, "
                f"{self.counts.get('invalid', 0)} invalid, {self.counts.get('error', 0)} unreadable")


def licence_files(directory: str | os.PathLike[str]) -> Iterator[Path]:
    """Every ``*.ofd`` file below ``directory``, sorted."""
    yield from sorted(p for p in Path(directory).rglob("*") if p.suffix.lower() == ".ofd" and p.is_file())


def verify_directory(
    directory: str | os.PathLike[str],
    *,
    context: ValidationContext,
    status_list: StatusList | None = None,
    at: datetime | None = None,
    progress: Callable[[LicenceVerification], None] | None = None,
) -> DirectoryVerification:
    """Verify every ``*.ofd`` below ``directory``; an unreadable file is a failed verdict, not an error.

    :param progress: called after each file with its verdict.
    """
    moment = at if at is not None else datetime.now(timezone.utc)
    results: list[LicenceVerification] = []
    counts = {"valid": 0, "invalid": 0, "error": 0}
    for path in licence_files(directory):
        try:
            result = verify_licence(path, context=context, status_list=status_list, at=moment)
            counts["valid" if result.valid else "invalid"] += 1
        except (TrustkitError, OSError) as exc:
            message = exc.message if isinstance(exc, TrustkitError) else f"{exc.strerror or exc}"
            result = LicenceVerification(str(path), (Check("document", False, message, "unreadable"),), at=moment)
            counts["error"] += 1
        results.append(result)
        if progress is not None:
            progress(result)
    return DirectoryVerification(tuple(results), counts)
