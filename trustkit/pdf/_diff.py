"""Modification analysis after a signature: pyHanko's diff policy plus new annotations.

pyHanko's default policy (``pyhanko.sign.diff_analysis.DEFAULT_DIFF_POLICY``) allows new
signature fields, form filling and metadata/DSS updates, but rejects any other new annotation
as "unrecognised" (its own TODO: "allow other annotation modifications, but at level
ANNOTATIONS").  Approval signatures in common readers do allow comments and stamps after
signing, and trustkit's own multi-spot seals (riding seals, every keyword occurrence) add
``/Stamp`` annotations next to the signature widget.  This policy therefore replaces the
widget-binding part of ``SigFieldCreationRule`` by :class:`AnnotationRule`, which approves a
page's ``/Annots`` growing by *new* objects that are either widgets of new signature fields
(level FORM_FILLING) or non-widget annotations (level ANNOTATIONS), with their appearance
streams.  Deleting or re-using annotations, or touching anything else on the page, stays
unexplained and is reported by pyHanko as a suspicious modification.
"""
# mypy: disable-error-code="no-untyped-call"
# (pyHanko ships type hints, but many of its constructors and helpers are unannotated.)

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from pyhanko.pdf_utils import generic
from pyhanko.sign.diff_analysis import (
    DEFAULT_DIFF_POLICY,
    FormUpdatingRule,
    GenericFieldModificationRule,
    ModificationLevel,
    QualifiedWhitelistRule,
    ReferenceUpdate,
    SigFieldCreationRule,
    SigFieldModificationRule,
    StandardDiffPolicy,
    SuspiciousModification,
)
from pyhanko.sign.diff_analysis.commons import compare_dicts

__all__ = ["DIFF_POLICY", "AnnotationRule"]

_MAX_DEPTH: Final = 64


def _refs(value: Any) -> list[Any]:
    array = value.get_object() if isinstance(value, generic.IndirectObject) else value
    if not isinstance(array, generic.ArrayObject):
        raise SuspiciousModification("/Annots or /Kids is not an array")
    out = []
    for item in array:
        if not isinstance(item, generic.IndirectObject):
            raise SuspiciousModification("/Annots or /Kids holds a direct object")
        out.append(item.reference)
    return out


def _annots(page: Any) -> tuple[set[Any], Any]:
    try:
        raw = page.raw_get("/Annots")
    except KeyError:
        return set(), None
    return set(_refs(raw)), raw.reference if isinstance(raw, generic.IndirectObject) else None


def _is_signature_widget(annot: Any) -> bool:
    node = annot
    for _ in range(_MAX_DEPTH):
        if "/FT" in node:
            return bool(node["/FT"] == "/Sig")
        if "/Parent" not in node:
            return False
        node = node["/Parent"]
    return False


class AnnotationRule(QualifiedWhitelistRule):
    """Approve pages whose ``/Annots`` only gained new annotations (see the module docstring)."""

    def apply_qualified(self, old: Any, new: Any) -> Iterator[tuple[Any, Any]]:
        yield from self._walk(old, new, old.root.raw_get("/Pages"), new.root.raw_get("/Pages"), 0, set())

    def _walk(self, old: Any, new: Any, old_ref: Any, new_ref: Any, depth: int,
              seen: set[Any]) -> Iterator[tuple[Any, Any]]:
        if depth > _MAX_DEPTH or not isinstance(new_ref, generic.IndirectObject):
            return
        if old_ref != new_ref or new_ref.reference in seen:
            return  # a restructured page tree is left unexplained
        seen.add(new_ref.reference)
        old_node, new_node = old_ref.get_object(), new_ref.get_object()
        if new_node.get("/Type") == "/Pages":
            old_kids, new_kids = _refs(old_node["/Kids"]), _refs(new_node["/Kids"])
            if old_kids != new_kids:
                return
            for kid_old, kid_new in zip(old_node["/Kids"], new_node["/Kids"]):
                yield from self._walk(old, new, kid_old, kid_new, depth + 1, seen)
            return
        old_annots, old_array = _annots(old_node)
        new_annots, new_array = _annots(new_node)
        added = new_annots - old_annots
        if not added or old_annots - new_annots:
            return
        level = ModificationLevel.FORM_FILLING
        updates = []
        for ref in added:
            if not old.is_ref_unassignable(ref):
                raise SuspiciousModification(f"an existing object {ref} was added as an annotation")
            annot = new.get_object(ref)
            if not isinstance(annot, generic.DictionaryObject):
                raise SuspiciousModification(f"annotation {ref} is not a dictionary")
            if annot.get("/Subtype") == "/Widget":
                if not _is_signature_widget(annot):
                    raise SuspiciousModification(f"widget {ref} of a non-signature field was added")
                continue  # the signature field rules approve the widget and its appearance
            level = ModificationLevel.ANNOTATIONS
            updates.append(ref)
            if "/AP" in annot:
                updates.extend(new.collect_dependencies(annot.raw_get("/AP"), since_revision=old.revision + 1))
        for ref in updates:
            yield level, ReferenceUpdate(ref)
        if new_array is not None and (new_array == old_array or old.is_ref_unassignable(new_array)):
            yield level, ReferenceUpdate(new_array)
            if old_array == new_array:
                return
        compare_dicts(old_node, new_node, frozenset(["/Annots"]))
        yield level, ReferenceUpdate(new_ref.reference)


#: pyHanko's default policy, with widget bindings and other annotations approved by AnnotationRule.
DIFF_POLICY: Final = StandardDiffPolicy(
    global_rules=[*DEFAULT_DIFF_POLICY.global_rules, AnnotationRule()],
    form_rule=FormUpdatingRule(
        field_rules=[
            SigFieldCreationRule(approve_widget_bindings=False),
            SigFieldModificationRule(),
            GenericFieldModificationRule(),
        ],
    ),
)
