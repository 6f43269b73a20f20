"""Read an OFD package (GB/T 33190-2016): documents, pages, resources, structured data, signatures.

:class:`OFDReader` parses OFD.xml when it opens and everything else on demand, so a 300-page
document costs only what is asked for.  A verifier lists signatures (:meth:`OFDReader.signatures`,
:meth:`OFDReader.signature`), gets the exact bytes of any part (:meth:`OFDReader.read_part`)
and hashes big parts while streaming them (:meth:`OFDReader.digest`).

Lenient where real files differ (vendor namespaces, ``Type`` missing on a signature, BaseLoc
relative to the Signs folder, ``//`` in paths, a path differing only in case from the stored
name), strict everywhere else: anything malformed is a :class:`trustkit.errors.DecodeError`.
"""

from __future__ import annotations

import base64
import binascii
import os
import posixpath
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from lxml import etree

from trustkit.errors import DecodeError, TrustkitError

from . import _xml as x
from ._content import Budget, parse_layers
from ._safety import Container, Hasher, Limits, resolve_loc
from .model import (
    Attachment,
    Box,
    CustomTag,
    DocBody,
    DocInfo,
    Document,
    Font,
    MultiMedia,
    Page,
    PageRef,
    Provider,
    Reference,
    SignatureDescription,
    SignatureEntry,
    SignatureList,
    StampAnnot,
    TemplatePage,
    TextMatch,
)

__all__ = ["OFDReader"]

A4 = Box(0.0, 0.0, 210.0, 297.0)


@contextmanager
def _guard(what: str) -> Iterator[None]:
    """Turn any stray low-level error while parsing untrusted data into a DecodeError."""
    try:
        yield
    except TrustkitError:
        raise
    except (ValueError, KeyError, IndexError, OverflowError, UnicodeError, RecursionError, zlib.error,
            zipfile.BadZipFile, EOFError, etree.LxmlError) as exc:
        raise DecodeError(f"{what}: malformed input ({type(exc).__name__}: {exc})") from None


def _dir(part: str) -> str:
    return posixpath.dirname(part)


class OFDReader:
    """An open OFD package.

    :param container: the checked ZIP container (see :meth:`from_bytes` and :meth:`open`).
    :raises DecodeError: OFD.xml missing or malformed, or no DocBody.
    """

    def __init__(self, container: Container) -> None:
        self.container = container
        self._documents: dict[int, Document] = {}
        # Parsed once per reader (the results are frozen): a verifier asks for them repeatedly.
        self._signature_lists: dict[int, SignatureList | None] = {}
        self._signature_descriptions: dict[str, SignatureDescription] = {}
        self._custom_tags: dict[int, tuple[CustomTag, ...]] = {}
        self._attachments: dict[int, tuple[Attachment, ...]] = {}
        with _guard("OFD.xml"):
            self.bodies = self._parse_ofd()

    @classmethod
    def from_bytes(cls, data: bytes, *, limits: Limits | None = None) -> OFDReader:
        """Read a package held in memory."""
        container = Container.from_bytes(data, limits=limits)
        try:
            return cls(container)
        except BaseException:
            container.close()
            raise

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, limits: Limits | None = None) -> OFDReader:
        """Read a package file without loading it whole (close it, or use ``with``)."""
        container = Container.open(path, limits=limits)
        try:
            return cls(container)
        except BaseException:
            container.close()
            raise

    def close(self) -> None:
        self.container.close()

    def __enter__(self) -> OFDReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- parts -----------------------------------------------------------------------------

    def part_names(self) -> tuple[str, ...]:
        """Every file in the package (no folders), in ZIP order."""
        return self.container.names()

    def read_part(self, name: str) -> bytes:
        """The exact stored bytes of a part (a leading ``/`` is accepted)."""
        return self.container.read(self._existing(name))

    def iter_part(self, name: str, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        """The exact bytes of a part in chunks (for big parts)."""
        return self.container.iter_part(self._existing(name), chunk_size)

    def digest(self, name: str, algorithm: str | Callable[[], Hasher] = "sm3") -> bytes:
        """Hash a part while streaming it (``"SM3"``, the SM3 OID, ``"SHA1"``, ``"MD5"``, ...)."""
        return self.container.digest(self._existing(name), algorithm)

    def locate(self, loc: str, base_dir: str = "") -> str | None:
        """Resolve an ST_Loc against ``base_dir`` to a stored part name, or None if absent."""
        with _guard(f"path {loc[:80]!r}"):
            return self.container.lookup(resolve_loc(loc, base_dir))

    def _existing(self, name: str) -> str:
        found = self.container.lookup(resolve_loc(name))
        if found is None:
            raise DecodeError(f"OFD package: part {name!r} is missing")
        return found

    def _resolve(self, loc: str, bases: Sequence[str], what: str, *, required: bool = True) -> str:
        """The first base under which ``loc`` exists (case-insensitive fallback included).

        If none does, a required part raises; otherwise the name under the first base is returned
        so that reading it later reports it missing.
        """
        first: str | None = None
        for base in bases:
            name = resolve_loc(loc, base)
            first = first or name
            found = self.container.lookup(name)
            if found is not None:
                return found
        if required or first is None:
            raise DecodeError(f"OFD: {what} {loc[:120]!r} is not in the package")
        return first

    def _xml(self, part: str) -> Any:
        return self.container.read_xml(part)

    # ---- OFD.xml ---------------------------------------------------------------------------

    def _parse_ofd(self) -> tuple[DocBody, ...]:
        name = self.container.lookup("OFD.xml")
        if name is None:
            raise DecodeError("OFD package: OFD.xml is missing (not an OFD file?)")
        root = self._xml(name)
        if x.local(root) != "OFD":
            raise DecodeError(f"OFD.xml: root element is {x.local(root)!r}, not OFD")
        bodies: list[DocBody] = []
        for index, body in enumerate(x.children(root, "DocBody")):
            doc_root = x.child_text(body, "DocRoot")
            if not doc_root:
                raise DecodeError(f"OFD.xml: DocBody {index} has no DocRoot")
            signatures = x.child_text(body, "Signatures")
            info = x.child(body, "DocInfo")
            bodies.append(
                DocBody(
                    index=index,
                    info=_doc_info(info) if info is not None else DocInfo(),
                    doc_root=self._resolve(doc_root, [""], "DocRoot"),
                    signatures=self._resolve(signatures, [""], "Signatures", required=False) if signatures else None,
                )
            )
        if not bodies:
            raise DecodeError("OFD.xml: no DocBody")
        return tuple(bodies)

    @property
    def info(self) -> DocInfo:
        """DocInfo of the first document."""
        return self.bodies[0].info

    def _body(self, doc: int) -> DocBody:
        if not 0 <= doc < len(self.bodies):
            raise IndexError(f"document {doc} does not exist (the package has {len(self.bodies)})")
        return self.bodies[doc]

    # ---- Document.xml ----------------------------------------------------------------------

    def document(self, doc: int = 0) -> Document:
        """Document.xml of DocBody ``doc`` with its resources (parsed once, then cached)."""
        body = self._body(doc)
        cached = self._documents.get(doc)
        if cached is None:
            with _guard(body.doc_root):
                cached = self._parse_document(body)
            self._documents[doc] = cached
        return cached

    def _parse_document(self, body: DocBody) -> Document:
        part = body.doc_root
        root = self._xml(part)
        if x.local(root) != "Document":
            raise DecodeError(f"{part}: root element is {x.local(root)!r}, not Document")
        base = _dir(part)
        common = x.child(root, "CommonData")
        if common is None:
            raise DecodeError(f"{part}: CommonData is missing")
        max_unit = x.child_text(common, "MaxUnitID")
        area = x.child(common, "PageArea")
        physical = x.child_text(area, "PhysicalBox") if area is not None else None
        res_parts: list[str] = []
        missing: list[str] = []
        for name in ("PublicRes", "DocumentRes"):
            for element in x.children(common, name):
                loc = (element.text or "").strip()
                if loc:
                    res_parts.append(self._resolve(loc, [base], name, required=False))
        fonts: list[Font] = []
        media: list[MultiMedia] = []
        for res in res_parts:
            # Real files (ofdrw's V4RideRight.ofd) reference a PublicRes.xml they do not contain;
            # the document is still readable, so the gap is recorded instead of refused.
            if res in self.container:
                self._parse_res(res, base, fonts, media)
            else:
                missing.append(res)
        templates = tuple(
            TemplatePage(
                id=x.parse_id(x.attr(t, "ID"), f"{part}: TemplatePage ID"),
                part=self._resolve(x.attr(t, "BaseLoc") or "", [base], "TemplatePage"),
                z_order=x.attr(t, "ZOrder") or "Background",
                name=x.attr(t, "Name"),
            )
            for t in x.children(common, "TemplatePage")
        )
        pages_element = x.child(root, "Pages")
        pages: list[PageRef] = []
        if pages_element is not None:
            for index, page in enumerate(x.children(pages_element, "Page")):
                loc = x.attr(page, "BaseLoc")
                if not loc:
                    raise DecodeError(f"{part}: Page {index} has no BaseLoc")
                pages.append(
                    PageRef(
                        index=index,
                        id=x.parse_id(x.attr(page, "ID"), f"{part}: Page ID"),
                        part=self._resolve(loc, [base], "page", required=False),
                    )
                )

        def optional(name: str) -> str | None:
            loc = x.child_text(root, name)
            return self._resolve(loc, [base], name, required=False) if loc else None

        return Document(
            index=body.index,
            part=part,
            max_unit_id=x.parse_id(max_unit, f"{part}: MaxUnitID") if max_unit is not None else None,
            page_area=Box.parse(physical) if physical else A4,
            pages=tuple(pages),
            templates=templates,
            fonts=tuple(fonts),
            media=tuple(media),
            res_parts=tuple(res_parts),
            custom_tags=optional("CustomTags"),
            attachments=optional("Attachments"),
            annotations=optional("Annotations"),
            missing_parts=tuple(missing),
        )

    def _parse_res(self, part: str, doc_dir: str, fonts: list[Font], media: list[MultiMedia]) -> None:
        root = self._xml(part)
        if x.local(root) != "Res":
            raise DecodeError(f"{part}: root element is {x.local(root)!r}, not Res")
        res_dir = _dir(part)
        base_loc = x.attr(root, "BaseLoc")
        primary = resolve_loc(base_loc, res_dir) if base_loc and base_loc.strip() else res_dir
        # Files are relative to BaseLoc; some producers write them relative to the Res file
        # or the document folder instead, so those are tried next.
        bases = [primary, res_dir, doc_dir]
        fonts_element = x.child(root, "Fonts")
        if fonts_element is not None:
            for font in x.children(fonts_element, "Font"):
                file_loc = x.child_text(font, "FontFile")
                fonts.append(
                    Font(
                        id=x.parse_id(x.attr(font, "ID"), f"{part}: Font ID"),
                        name=x.attr(font, "FontName") or "",
                        family=x.attr(font, "FamilyName"),
                        charset=x.attr(font, "Charset") or "unicode",
                        bold=x.parse_bool(x.attr(font, "Bold"), False),
                        italic=x.parse_bool(x.attr(font, "Italic"), False),
                        serif=x.parse_bool(x.attr(font, "Serif"), False),
                        fixed_width=x.parse_bool(x.attr(font, "FixedWidth"), False),
                        file=self._resolve(file_loc, bases, "FontFile", required=False) if file_loc else None,
                    )
                )
        media_element = x.child(root, "MultiMedias")
        if media_element is not None:
            for item in x.children(media_element, "MultiMedia"):
                file_loc = x.child_text(item, "MediaFile")
                media.append(
                    MultiMedia(
                        id=x.parse_id(x.attr(item, "ID"), f"{part}: MultiMedia ID"),
                        type=x.attr(item, "Type") or "Image",
                        format=x.attr(item, "Format"),
                        file=self._resolve(file_loc, bases, "MediaFile", required=False) if file_loc else None,
                    )
                )

    # ---- pages -----------------------------------------------------------------------------

    def page_count(self, doc: int = 0) -> int:
        return len(self.document(doc).pages)

    def page(self, index: int, *, doc: int = 0) -> Page:
        """Parse page ``index`` (0-based) with its template pages."""
        document = self.document(doc)
        if not 0 <= index < len(document.pages):
            raise IndexError(f"page {index} does not exist (the document has {len(document.pages)})")
        ref = document.pages[index]
        with _guard(ref.part):
            return self._parse_page(document, ref)

    def pages(self, *, doc: int = 0) -> Iterator[Page]:
        """Every page, parsed one at a time."""
        for index in range(self.page_count(doc)):
            yield self.page(index, doc=doc)

    def _parse_page(self, document: Document, ref: PageRef) -> Page:
        if ref.part not in self.container:
            raise DecodeError(f"OFD: page {ref.index} ({ref.part}) is not in the package")
        root = self._xml(ref.part)
        if x.local(root) != "Page":
            raise DecodeError(f"{ref.part}: root element is {x.local(root)!r}, not Page")
        max_depth = self.container.limits.max_depth
        budget = Budget(self.container.limits.max_page_items)
        area = x.child(root, "Area")
        physical = x.child_text(area, "PhysicalBox") if area is not None else None
        background: list[Any] = []
        foreground: list[Any] = []
        templates = {t.id: t for t in document.templates}
        for use in x.children(root, "Template"):
            template_id = x.parse_id(x.attr(use, "TemplateID"), f"{ref.part}: Template TemplateID")
            template = templates.get(template_id)
            if template is None:
                raise DecodeError(f"{ref.part}: TemplateID {template_id} is not declared in {document.part}")
            z_order = x.attr(use, "ZOrder") or template.z_order
            template_root = self._xml(template.part)
            layers = parse_layers(template_root, what=template.part, max_depth=max_depth, budget=budget,
                                  template_id=template_id)
            (foreground if z_order == "Foreground" else background).extend(layers)
            if physical is None:
                template_area = x.child(template_root, "Area")
                physical = x.child_text(template_area, "PhysicalBox") if template_area is not None else None
        body = parse_layers(root, what=ref.part, max_depth=max_depth, budget=budget)
        fonts: list[Font] = []
        media: list[MultiMedia] = []
        for element in x.children(root, "PageRes"):
            loc = (element.text or "").strip()
            if loc:
                self._parse_res(self._resolve(loc, [_dir(ref.part), _dir(document.part)], "PageRes"),
                                _dir(document.part), fonts, media)
        return Page(
            index=ref.index,
            id=ref.id,
            part=ref.part,
            physical_box=Box.parse(physical) if physical else document.page_area,
            layers=(*background, *body, *foreground),
            fonts=tuple(fonts),
            media=tuple(media),
        )

    def find(self, text: str, *, doc: int = 0) -> list[TextMatch]:
        """Every occurrence of ``text`` in the document as (page, box in mm); see :meth:`Page.find`."""
        matches: list[TextMatch] = []
        for page in self.pages(doc=doc):
            matches.extend(TextMatch(page.index, page.id, box) for box in page.find(text))
        return matches

    # ---- structured data -------------------------------------------------------------------

    def custom_tags(self, doc: int = 0) -> tuple[CustomTag, ...]:
        """CustomTags.xml entries (empty when the document has none; parsed once, then cached)."""
        cached = self._custom_tags.get(doc)
        if cached is None:
            cached = self._custom_tags[doc] = self._parse_custom_tags(doc)
        return cached

    def _parse_custom_tags(self, doc: int) -> tuple[CustomTag, ...]:
        part = self.document(doc).custom_tags
        if part is None:
            return ()
        with _guard(part):
            root = self._xml(self._existing(part))
            base = _dir(part)
            tags: list[CustomTag] = []
            for tag in x.children(root, "CustomTag"):
                file_loc = x.child_text(tag, "FileLoc")
                schema = x.child_text(tag, "SchemaLoc")
                tags.append(
                    CustomTag(
                        type_id=x.attr(tag, "TypeID"),
                        name_space=x.attr(tag, "NameSpace"),
                        file=self._resolve(file_loc, [base, ""], "FileLoc", required=False) if file_loc else None,
                        schema=self._resolve(schema, [base, ""], "SchemaLoc", required=False) if schema else None,
                    )
                )
            return tuple(tags)

    def attachments(self, doc: int = 0) -> tuple[Attachment, ...]:
        """Attachments.xml entries (empty when the document has none; parsed once, then cached)."""
        cached = self._attachments.get(doc)
        if cached is None:
            cached = self._attachments[doc] = self._parse_attachments(doc)
        return cached

    def _parse_attachments(self, doc: int) -> tuple[Attachment, ...]:
        part = self.document(doc).attachments
        if part is None:
            return ()
        with _guard(part):
            root = self._xml(self._existing(part))
            base = _dir(part)
            result: list[Attachment] = []
            for item in x.children(root, "Attachment"):
                file_loc = x.child_text(item, "FileLoc")
                result.append(
                    Attachment(
                        id=x.attr(item, "ID"),
                        name=x.attr(item, "Name") or "",
                        file=self._resolve(file_loc, [base, ""], "FileLoc", required=False) if file_loc else None,
                        format=x.attr(item, "Format"),
                        creation_date=x.attr(item, "CreationDate"),
                        mod_date=x.attr(item, "ModDate"),
                        size=x.attr(item, "Size"),
                        visible=x.parse_bool(x.attr(item, "Visible"), True),
                        usage=x.attr(item, "Usage"),
                    )
                )
            return tuple(result)

    # ---- signatures ------------------------------------------------------------------------

    def signatures(self, doc: int = 0) -> SignatureList | None:
        """Signatures.xml of DocBody ``doc``, or None when the document is unsigned (parsed once, then cached)."""
        if doc in self._signature_lists:
            return self._signature_lists[doc]
        listing = self._signature_lists[doc] = self._parse_signatures(doc)
        return listing

    def _parse_signatures(self, doc: int) -> SignatureList | None:
        part = self._body(doc).signatures
        if part is None:
            return None
        with _guard(part):
            root = self._xml(self._existing(part))
            if x.local(root) != "Signatures":
                raise DecodeError(f"{part}: root element is {x.local(root)!r}, not Signatures")
            signs_dir = _dir(part)
            entries: list[SignatureEntry] = []
            for item in x.children(root, "Signature"):
                base_loc = x.attr(item, "BaseLoc")
                if not base_loc:
                    raise DecodeError(f"{part}: a Signature has no BaseLoc")
                entries.append(
                    SignatureEntry(
                        id=x.attr(item, "ID") or "",
                        type=x.attr(item, "Type") or "Seal",
                        base_loc=base_loc,
                        # Relative BaseLocs are relative to the Signs folder; some vendors write
                        # them relative to the package root instead.
                        part=self._resolve(base_loc, [signs_dir, ""], "Signature BaseLoc", required=False),
                    )
                )
            return SignatureList(part=part, max_sign_id=x.child_text(root, "MaxSignId"), entries=tuple(entries))

    def signature(self, entry: SignatureEntry | str) -> SignatureDescription:
        """Parse a Signature.xml (give the entry from :meth:`signatures` or its part name; parsed once, then cached)."""
        part = self._existing(entry.part if isinstance(entry, SignatureEntry) else entry)
        cached = self._signature_descriptions.get(part)
        if cached is None:
            with _guard(part):
                cached = self._signature_descriptions[part] = self._parse_signature(part)
        return cached

    def _parse_signature(self, part: str) -> SignatureDescription:
        root = self._xml(part)
        if x.local(root) != "Signature":
            raise DecodeError(f"{part}: root element is {x.local(root)!r}, not Signature")
        bases = [_dir(part), ""]
        info = x.child(root, "SignedInfo")
        if info is None:
            raise DecodeError(f"{part}: SignedInfo is missing")
        value_loc = x.child_text(root, "SignedValue")
        if not value_loc:
            raise DecodeError(f"{part}: SignedValue is missing")
        provider_element = x.child(info, "Provider")
        provider = None
        if provider_element is not None:

            def field(name: str) -> str | None:
                return x.attr(provider_element, name) or x.child_text(provider_element, name)

            provider = Provider(field("ProviderName"), field("Version"), field("Company"), field("ProtocolVer"))
        references_element = x.child(info, "References")
        references: list[Reference] = []
        check_method = None
        if references_element is not None:
            check_method = x.attr(references_element, "CheckMethod")
            for ref in x.children(references_element, "Reference"):
                file_ref = x.attr(ref, "FileRef")
                if not file_ref:
                    raise DecodeError(f"{part}: a Reference has no FileRef")
                value = x.child_text(ref, "CheckValue") or ""
                try:
                    digest = base64.b64decode("".join(value.split()), validate=True)
                except (binascii.Error, ValueError):
                    raise DecodeError(f"{part}: CheckValue of {file_ref!r} is not base64") from None
                references.append(Reference(file_ref, resolve_loc(file_ref), digest))
        annots = tuple(
            StampAnnot(
                id=x.attr(a, "ID"),
                page_ref=x.attr(a, "PageRef") or "",
                boundary=Box.parse(x.attr(a, "Boundary") or ""),
                clip=Box.parse(clip) if (clip := x.attr(a, "Clip")) else None,
            )
            for a in x.children(info, "StampAnnot")
        )
        seal_element = x.child(info, "Seal")
        seal_loc = x.child_text(seal_element, "BaseLoc") if seal_element is not None else None
        return SignatureDescription(
            part=part,
            provider=provider,
            signature_method=x.child_text(info, "SignatureMethod"),
            signature_date_time=x.child_text(info, "SignatureDateTime"),
            check_method=check_method,
            references=tuple(references),
            stamp_annots=annots,
            seal=self._resolve(seal_loc, bases, "Seal BaseLoc", required=False) if seal_loc else None,
            signed_value=self._resolve(value_loc, bases, "SignedValue", required=False),
        )


def _first_children(element: Any) -> dict[str, Any]:
    """Local name -> the first child element of that name (what :func:`x.child` finds), in one pass."""
    found: dict[str, Any] = {}
    for item in element:
        name = x.local(item)
        if name and name not in found:
            found[name] = item
    return found


def _doc_info(element: Any) -> DocInfo:
    by_name = _first_children(element)

    def text(name: str) -> str | None:  # x.child_text without rescanning the children each time
        found = by_name.get(name)
        if found is None:
            return None
        value = found.text
        return value.strip() if isinstance(value, str) else ""

    keywords_element = by_name.get("Keywords")
    keywords = (
        tuple((k.text or "").strip() for k in x.children(keywords_element, "Keyword"))
        if keywords_element is not None
        else ()
    )
    customs = by_name.get("CustomDatas")
    custom_data = (
        tuple((x.attr(c, "Name") or "", (c.text or "").strip()) for c in x.children(customs, "CustomData"))
        if customs is not None
        else ()
    )
    return DocInfo(
        doc_id=text("DocID"),
        title=text("Title"),
        author=text("Author"),
        subject=text("Subject"),
        abstract=text("Abstract"),
        creation_date=text("CreationDate"),
        mod_date=text("ModDate"),
        doc_usage=text("DocUsage"),
        cover=text("Cover"),
        keywords=keywords,
        creator=text("Creator"),
        creator_version=text("CreatorVersion"),
        custom_data=custom_data,
    )
