"""OFD documents (GB/T 33190-2016): reading, writing, stamping and verifying signatures.

Reading: :class:`OFDReader` opens an untrusted package (a hardened ZIP container and XML parser,
see :class:`Limits`), parses OFD.xml at once and Document.xml, pages, resources, custom tags,
attachments and signature descriptions on demand.  Text, image and path objects come with
absolute positions in millimetres; :meth:`OFDReader.find` locates keywords for stamping.  A
verifier lists signatures (:meth:`OFDReader.signatures`, :meth:`OFDReader.signature`), reads
the exact bytes of any part and hashes big parts while streaming them (:meth:`OFDReader.digest`).

Writing: :class:`DocumentBuilder` lays out new documents (pages, CJK text, images, lines and
rectangles, DocInfo, custom tags, attachments); :class:`PackageWriter` writes deterministic
packages and edits copies of existing ones, keeping untouched parts byte-identical.

Every malformed input raises :class:`trustkit.errors.DecodeError`.
"""

from __future__ import annotations

from ._safety import Container, Limits, parse_xml, resolve_loc
from .model import (
    Attachment,
    Box,
    CustomTag,
    DocBody,
    DocInfo,
    Document,
    Font,
    Glyph,
    GraphicObject,
    ImageObject,
    Layer,
    Matrix,
    MultiMedia,
    Page,
    PageRef,
    PathObject,
    Provider,
    Reference,
    SignatureDescription,
    SignatureEntry,
    SignatureList,
    StampAnnot,
    TemplatePage,
    TextMatch,
    TextObject,
)
from .reader import OFDReader
from .stamp import (
    KeywordPlacement,
    PagePlacement,
    Placement,
    RidingPlacement,
    SignFormat,
    StampRefusedError,
    stamp_ofd,
    stamp_ofd_file,
)
from .verify import parse_signature_time, verify_ofd
from .writer import OFD_NAMESPACE, DocumentBuilder, PackageWriter, PageBuilder, serialize_xml

__all__ = [
    "OFD_NAMESPACE",
    "Attachment",
    "Box",
    "Container",
    "CustomTag",
    "DocBody",
    "DocInfo",
    "Document",
    "DocumentBuilder",
    "Font",
    "Glyph",
    "GraphicObject",
    "ImageObject",
    "KeywordPlacement",
    "Layer",
    "Limits",
    "Matrix",
    "MultiMedia",
    "OFDReader",
    "PackageWriter",
    "Page",
    "PageBuilder",
    "PagePlacement",
    "PageRef",
    "PathObject",
    "Placement",
    "Provider",
    "Reference",
    "RidingPlacement",
    "SignFormat",
    "SignatureDescription",
    "SignatureEntry",
    "SignatureList",
    "StampAnnot",
    "StampRefusedError",
    "TemplatePage",
    "TextMatch",
    "TextObject",
    "parse_signature_time",
    "parse_xml",
    "resolve_loc",
    "serialize_xml",
    "stamp_ofd",
    "stamp_ofd_file",
    "verify_ofd",
]
