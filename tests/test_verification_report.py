"""trustkit.verification: the report shape shared by the OFD and PDF verifiers."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from trustkit.verification import Check, DocumentReport, SignatureReport

WHEN = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


def _signature(*checks: Check) -> SignatureReport:
    return SignatureReport("1", "seal", checks, signer="CN=示例", signing_time=WHEN, time_source="signer",
                           seal_name="合同专用章")


def test_errors_invalidate_and_warnings_do_not() -> None:
    warned = _signature(Check("seal_signature", True), Check("seal_validity", False, "expired", "seal_expired",
                                                            severity="warning"))
    assert warned.valid and [c.code for c in warned.warnings] == ["seal_expired"]
    failed = _signature(Check("document_digests", False, "Doc_0/Content.xml changed", "referenced_file_changed"))
    assert not failed.valid and [c.code for c in failed.failures] == ["referenced_file_changed"]
    skipped = _signature(Check("signer_chain", None, "no trust anchors given"))
    assert skipped.valid and not skipped.failures


def test_document_needs_signatures_and_clean_document_checks() -> None:
    good = _signature(Check("seal_signature", True))
    assert DocumentReport("a.ofd", "ofd", (good,)).valid
    assert not DocumentReport("a.ofd", "ofd", ()).valid
    changed = Check("unprotected_changes", False, "Doc_0/extra.xml added after signing", "file_added")
    assert not DocumentReport("a.ofd", "ofd", (good,), (changed,)).valid
    bad = _signature(Check("seal_signature", False, code="bad_signature"))
    assert not DocumentReport("a.ofd", "ofd", (good, bad)).valid


def test_json_and_summary() -> None:
    report = DocumentReport("a.ofd", "ofd", (_signature(Check("seal_signature", True),
                                                        Check("seal_validity", False, "expired", "seal_expired",
                                                              severity="warning")),))
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert data["valid"] is True
    assert data["signatures"][0]["warnings"] == ["seal_expired"]
    assert data["signatures"][0]["signing_time"] == "2026-06-01T12:00:00+00:00"
    text = report.summary()
    assert "VALID" in text and "合同专用章" in text and "warn seal_validity: expired" in text
