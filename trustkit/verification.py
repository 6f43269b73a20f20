"""Verification reports shared by the document verifiers (OFD, PDF).

Every verifier answers in the same shape, so the CLI, JSON consumers and people read one
format: a :class:`DocumentReport` with one :class:`SignatureReport` per signature, each a
list of named :class:`Check` results.  A check with ``severity="error"`` that fails makes
its signature invalid; a failed ``"warning"`` is reported but does not (for example a seal
validity period judged against a signing time that only the signer asserts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = ["Check", "DocumentReport", "Severity", "SignatureReport"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Check:
    """One verification step.

    :param name: what was checked, stable and machine-readable (``"document_digests"``,
        ``"seal_signature"``, ``"signer_chain"`` ...).
    :param ok: the outcome; ``None`` when the step could not run (not applicable, or no input
        for it, such as no trust anchors) and says why in ``detail``.
    :param code: on failure, a stable reason code (``"referenced_file_changed"`` ...).
    :param detail: a sentence for people.
    """

    name: str
    ok: bool | None
    detail: str = ""
    code: str | None = None
    severity: Severity = "error"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "code": self.code, "severity": self.severity,
                "detail": self.detail}


@dataclass(frozen=True)
class SignatureReport:
    """The checks of one signature in a document.

    :param signature_id: the document's identifier of the signature (OFD ``Signature@ID``,
        PDF field name).
    :param kind: ``"seal"`` (an electronic seal, SES), ``"sign"`` (a plain digital signature),
        ``"cms"`` (CMS SignedData) or ``"timestamp"``.
    """

    signature_id: str
    kind: str
    checks: tuple[Check, ...]
    signer: str | None = None
    signing_time: datetime | None = None
    time_source: Literal["signer", "timestamp", "unknown"] = "unknown"
    seal_name: str | None = None
    seal_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        """No error-severity check failed."""
        return not self.failures

    @property
    def failures(self) -> tuple[Check, ...]:
        """Error-severity checks that failed."""
        return tuple(c for c in self.checks if c.ok is False and c.severity == "error")

    @property
    def warnings(self) -> tuple[Check, ...]:
        """Warning-severity checks that failed."""
        return tuple(c for c in self.checks if c.ok is False and c.severity == "warning")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.signature_id,
            "kind": self.kind,
            "valid": self.valid,
            "signer": self.signer,
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "time_source": self.time_source,
            "seal_name": self.seal_name,
            "seal_id": self.seal_id,
            "failures": [c.code or c.name for c in self.failures],
            "warnings": [c.code or c.name for c in self.warnings],
            "checks": [c.to_dict() for c in self.checks],
            "details": dict(self.details),
        }


@dataclass(frozen=True)
class DocumentReport:
    """All signatures of one document.

    ``valid`` is True when the document has at least one signature and every signature is
    valid.  ``document_checks`` hold findings about the document as a whole (files added after
    the last signature, a signature list that cannot be read ...).
    """

    document: str
    format: Literal["ofd", "pdf"]
    signatures: tuple[SignatureReport, ...]
    document_checks: tuple[Check, ...] = ()

    @property
    def valid(self) -> bool:
        if not self.signatures:
            return False
        document_ok = all(not (c.ok is False and c.severity == "error") for c in self.document_checks)
        return document_ok and all(s.valid for s in self.signatures)

    def to_dict(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "format": self.format,
            "valid": self.valid,
            "signatures": [s.to_dict() for s in self.signatures],
            "document_checks": [c.to_dict() for c in self.document_checks],
        }

    def summary(self) -> str:
        """A short human-readable account: one block per signature."""
        lines = [f"{self.document}: {'VALID' if self.valid else 'INVALID'} "
                 f"({len(self.signatures)} signature{'s' if len(self.signatures) != 1 else ''})"]
        if not self.signatures:
            lines.append("  no signatures found")
        for sig in self.signatures:
            who = sig.signer or "unknown signer"
            when = f", {sig.signing_time.isoformat()} ({sig.time_source} time)" if sig.signing_time else ""
            seal = f", seal {sig.seal_name!r}" if sig.seal_name else ""
            lines.append(f"  [{sig.signature_id}] {sig.kind}: {'valid' if sig.valid else 'INVALID'} — {who}{when}{seal}")
            for check in sig.checks:
                mark = {True: "ok  ", False: "FAIL" if check.severity == "error" else "warn", None: "skip"}[check.ok]
                lines.append(f"      {mark} {check.name}" + (f": {check.detail}" if check.detail else ""))
        for check in self.document_checks:
            if check.ok is False:
                lines.append(f"  document: {check.name}: {check.detail}")
        return "\n".join(lines)
