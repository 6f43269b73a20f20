"""The licence record: catalogue metadata of one electronic licence (GB/T 36902/36903, practice-derived).

:class:`LicenceRecord` is validated strictly on construction: the identifier's MOD 37,36 check,
the issuing authority's USCC, the holder code by holder identity type, dates in order, string
lengths and characters.  It converts to and from a JSON object (:meth:`LicenceRecord.to_dict`,
:meth:`LicenceRecord.from_dict`) and to and from canonical XML in the namespace
:data:`LICENCE_XML_NAMESPACE` for embedding in OFD (:meth:`LicenceRecord.to_xml`,
:meth:`LicenceRecord.from_xml`).

Holder identity types (持证主体代码类型, :data:`HOLDER_ID_TYPES`).  The national platform writes
``111`` / 公民身份号码 for persons (standards.md §7.2); the other person codes follow the GA/T 517
certificate-type table as used in practice and ``001`` is the platform's code for a USCC; the
exact code list of GB/T 36902 is UNCONFIRMED:

====  ======================================  ==========================================
code  name                                    holder code check
====  ======================================  ==========================================
111   公民身份号码                              GB 11643 (:func:`~.codes.validate_id_number`)
001   统一社会信用代码                          GB 32100 (:func:`~.codes.validate_uscc`)
414   普通护照                                  5–20 characters of 0-9A-Z
516   港澳居民来往内地通行证                    8–11 characters of 0-9A-Z
511   台湾居民来往大陆通行证                    8–10 characters of 0-9A-Z
553   外国人永久居留身份证                      15 or 18 characters of 0-9A-Z
999   其他                                      1–64 printable characters
====  ======================================  ==========================================
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Literal, cast
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from trustkit.errors import DecodeError
from trustkit.licence.codes import (
    InvalidCodeError,
    LicenceIdentifier,
    validate_id_number,
    validate_uscc,
)

__all__ = [
    "FORMAT",
    "HOLDER_ID_TYPES",
    "LICENCE_XML_NAMESPACE",
    "ExtraValue",
    "HolderIdType",
    "LicenceRecord",
    "LicenceStatus",
]

#: ``format`` member of the JSON form (bumped on incompatible change).
FORMAT = "trustkit-licence/1"
#: XML namespace of the embedded metadata.
LICENCE_XML_NAMESPACE = "urn:trustkit:licence:1"

LicenceStatus = Literal["valid", "revoked", "suspended"]
ExtraValue = str | int | date

_STATUSES: frozenset[str] = frozenset(("valid", "revoked", "suspended"))
_MAX_NAME = 200
_MAX_EXTRA_FIELDS = 64
_MAX_EXTRA_VALUE = 2000
_MAX_INPUT = 256 * 1024
# No control characters (XML 1.0 cannot carry most of them) and no leading/trailing blanks.
_BAD_CHARS = re.compile(r"[\x00-\x1f\x7f\ufffe\uffff]")
_ALNUM = re.compile(r"[0-9A-Z]+")
_EXTRA_NAME = re.compile(r"[^\s\x00-\x1f\x7f]{1,64}")


@dataclass(frozen=True)
class HolderIdType:
    """A holder identity type: code, name and the rule its holder codes follow."""

    code: str
    name: str


HOLDER_ID_TYPES: Mapping[str, HolderIdType] = MappingProxyType({
    t.code: t
    for t in (
        HolderIdType("111", "公民身份号码"),
        HolderIdType("001", "统一社会信用代码"),
        HolderIdType("414", "普通护照"),
        HolderIdType("516", "港澳居民来往内地通行证"),
        HolderIdType("511", "台湾居民来往大陆通行证"),
        HolderIdType("553", "外国人永久居留身份证"),
        HolderIdType("999", "其他"),
    )
})
_ALNUM_LENGTHS: Mapping[str, frozenset[int]] = MappingProxyType({
    "414": frozenset(range(5, 21)),
    "516": frozenset(range(8, 12)),
    "511": frozenset(range(8, 11)),
    "553": frozenset((15, 18)),
})


def _err(message: str, part: str) -> InvalidCodeError:
    return InvalidCodeError(f"licence record: {message}", part=part)


def _name(value: object, what: str, limit: int = _MAX_NAME) -> str:
    if not isinstance(value, str):
        raise _err(f"{what} must be a string", what)
    if not value or len(value) > limit:
        raise _err(f"{what} must be 1-{limit} characters, got {len(value)}", what)
    if _BAD_CHARS.search(value) or value != value.strip():
        raise _err(f"{what} has control characters or leading/trailing blanks", what)
    return value


def _check_holder_code(id_type: str, code: str, today: date | None) -> None:
    if id_type == "111":
        validate_id_number(code, today=today)
    elif id_type == "001":
        validate_uscc(code)
    elif id_type in _ALNUM_LENGTHS:
        if len(code) not in _ALNUM_LENGTHS[id_type] or not _ALNUM.fullmatch(code):
            raise _err(f"holder code {code!r} is not a valid {HOLDER_ID_TYPES[id_type].name} number", "holder_code")
    else:
        _name(code, "holder_code", 64)


@dataclass(frozen=True)
class LicenceRecord:
    """One licence's catalogue metadata; validated on construction.

    :ivar licence_type_code: 证照类型代码 (21 characters; must equal ``identifier.type_code``).
    :ivar licence_number: 证照编号 as printed on the licence.
    :ivar holder_id_type: 持证主体代码类型 (a key of :data:`HOLDER_ID_TYPES`).
    :ivar holder_code: 持证主体代码, validated by ``holder_id_type``.
    :ivar issuer_code: the issuing authority's USCC (must equal ``identifier.issuer_code`` unless
        the identifier uses the 6-digit area-code variant).
    :ivar valid_to: None means long-term (长期).
    :ivar extra: per-type fields (name -> str | int | date), read-only.
    :raises InvalidCodeError: (a :class:`~trustkit.errors.DecodeError`) naming the bad field.
    """

    licence_type_code: str
    licence_type_name: str
    licence_number: str
    identifier: LicenceIdentifier
    holder_name: str
    holder_id_type: str
    holder_code: str
    issuer_name: str
    issuer_code: str
    issue_date: date
    valid_from: date
    valid_to: date | None
    status: LicenceStatus = "valid"
    extra: Mapping[str, ExtraValue] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.identifier, LicenceIdentifier):
            raise TypeError("identifier must be a LicenceIdentifier")
        _name(self.licence_type_name, "licence_type_name")
        _name(self.licence_number, "licence_number", 64)
        _name(self.holder_name, "holder_name")
        _name(self.issuer_name, "issuer_name")
        if self.licence_type_code != self.identifier.type_code:
            raise _err(f"licence type code {self.licence_type_code!r} differs from the identifier's "
                       f"{self.identifier.type_code!r}", "licence_type_code")
        if self.holder_id_type not in HOLDER_ID_TYPES:
            raise _err(f"unknown holder identity type {self.holder_id_type!r} "
                       f"(known: {', '.join(sorted(HOLDER_ID_TYPES))})", "holder_id_type")
        if not isinstance(self.holder_code, str):
            raise _err("holder_code must be a string", "holder_code")
        _check_holder_code(self.holder_id_type, self.holder_code, None)
        validate_uscc(_str(self.issuer_code, "issuer_code"))
        if len(self.identifier.issuer_code) == 18 and self.identifier.issuer_code != self.issuer_code:
            raise _err(f"issuer code {self.issuer_code!r} differs from the identifier's "
                       f"{self.identifier.issuer_code!r}", "issuer_code")
        for value, what in ((self.issue_date, "issue_date"), (self.valid_from, "valid_from")):
            if not isinstance(value, date) or isinstance(value, datetime):
                raise _err(f"{what} must be a date", what)
        if self.valid_to is not None:
            if not isinstance(self.valid_to, date) or isinstance(self.valid_to, datetime):
                raise _err("valid_to must be a date or None (long-term)", "valid_to")
            if self.valid_to < self.valid_from:
                raise _err(f"valid_to {self.valid_to} is before valid_from {self.valid_from}", "valid_to")
        if self.status not in _STATUSES:
            raise _err(f"status must be one of valid, revoked, suspended; got {self.status!r}", "status")
        object.__setattr__(self, "extra", MappingProxyType(_check_extra(self.extra)))

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # mappingproxy does not pickle; rebuild (and re-validate) from the fields instead, so
        # records can cross process boundaries (batch issuance workers).
        values = tuple(dict(v) if f.name == "extra" else v
                       for f in fields(self) for v in (getattr(self, f.name),))
        return (type(self), values)

    @property
    def holder_id_type_name(self) -> str:
        """The name of :attr:`holder_id_type`, e.g. 公民身份号码."""
        return HOLDER_ID_TYPES[self.holder_id_type].name

    @property
    def is_person(self) -> bool:
        """True unless the holder is identified by a USCC (an organisation)."""
        return self.holder_id_type != "001"

    def valid_on(self, day: date) -> bool:
        """True when ``status`` is valid and ``day`` lies in the validity window."""
        return self.status == "valid" and self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    # ---------------------------------------------------------------- JSON

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready object; ``extra`` values are ``{"type": "string"|"integer"|"date", "value": ...}``."""
        return {
            "format": FORMAT,
            "identifier": str(self.identifier),
            "licence_type_code": self.licence_type_code,
            "licence_type_name": self.licence_type_name,
            "licence_number": self.licence_number,
            "holder_name": self.holder_name,
            "holder_id_type": self.holder_id_type,
            "holder_id_type_name": self.holder_id_type_name,
            "holder_code": self.holder_code,
            "issuer_name": self.issuer_name,
            "issuer_code": self.issuer_code,
            "issue_date": self.issue_date.isoformat(),
            "valid_from": self.valid_from.isoformat(),
            "valid_to": None if self.valid_to is None else self.valid_to.isoformat(),
            "status": self.status,
            "extra": {k: _extra_to_json(v) for k, v in sorted(self.extra.items())},
        }

    def to_json(self) -> bytes:
        """:meth:`to_dict` as UTF-8 JSON (sorted keys, no insignificant whitespace)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LicenceRecord:
        """Build a record from :meth:`to_dict`'s shape (``format`` and ``holder_id_type_name`` optional).

        :raises InvalidCodeError: a missing, unknown or invalid member, named in the message.
        """
        if not isinstance(data, Mapping):
            raise _err("expected a JSON object", "record")
        required = ("identifier", "licence_type_code", "licence_type_name", "licence_number", "holder_name",
                    "holder_id_type", "holder_code", "issuer_name", "issuer_code", "issue_date", "valid_from",
                    "valid_to")
        optional = ("format", "holder_id_type_name", "status", "extra")
        missing = [k for k in required if k not in data]
        if missing:
            raise _err(f"missing member(s): {', '.join(missing)}", missing[0])
        unknown = sorted(set(data) - set(required) - set(optional))
        if unknown:
            raise _err(f"unknown member(s): {', '.join(map(str, unknown))}", str(unknown[0]))
        if data.get("format", FORMAT) != FORMAT:
            raise _err(f"format {data.get('format')!r} is not {FORMAT!r}", "format")
        id_type = data["holder_id_type"]
        if "holder_id_type_name" in data and id_type in HOLDER_ID_TYPES \
                and data["holder_id_type_name"] != HOLDER_ID_TYPES[id_type].name:
            raise _err(f"holder_id_type_name {data['holder_id_type_name']!r} does not match code {id_type}",
                       "holder_id_type_name")
        extra_in = data.get("extra", {})
        if not isinstance(extra_in, Mapping):
            raise _err("extra must be an object", "extra")
        if len(extra_in) > _MAX_EXTRA_FIELDS:
            raise _err(f"more than {_MAX_EXTRA_FIELDS} extra fields", "extra")
        identifier = data["identifier"]
        if not isinstance(identifier, str):
            raise _err("identifier must be a string", "identifier")
        valid_to = data["valid_to"]
        return cls(
            licence_type_code=_str(data["licence_type_code"], "licence_type_code"),
            licence_type_name=_str(data["licence_type_name"], "licence_type_name"),
            licence_number=_str(data["licence_number"], "licence_number"),
            identifier=LicenceIdentifier.parse(identifier),
            holder_name=_str(data["holder_name"], "holder_name"),
            holder_id_type=_str(id_type, "holder_id_type"),
            holder_code=_str(data["holder_code"], "holder_code"),
            issuer_name=_str(data["issuer_name"], "issuer_name"),
            issuer_code=_str(data["issuer_code"], "issuer_code"),
            issue_date=_parse_date(data["issue_date"], "issue_date"),
            valid_from=_parse_date(data["valid_from"], "valid_from"),
            valid_to=None if valid_to is None else _parse_date(valid_to, "valid_to"),
            status=cast(LicenceStatus, _str(data.get("status", "valid"), "status")),
            extra={_str(k, "extra name"): _extra_from_json(v, str(k)) for k, v in extra_in.items()},
        )

    @classmethod
    def from_json(cls, data: bytes | str) -> LicenceRecord:
        """Parse :meth:`to_json` output (or any JSON object of that shape); duplicate keys refused."""
        if len(data) > _MAX_INPUT:
            raise _err(f"JSON is larger than {_MAX_INPUT} bytes", "record")
        try:
            obj = json.loads(data, object_pairs_hook=_no_duplicates, parse_float=_no_float,
                             parse_constant=_no_float)
        except (ValueError, UnicodeDecodeError) as exc:
            if isinstance(exc, InvalidCodeError):
                raise
            raise _err(f"not valid JSON: {exc}", "record") from None
        return cls.from_dict(obj)

    # ---------------------------------------------------------------- XML

    def to_xml(self) -> bytes:
        """Canonical XML (deterministic bytes) in :data:`LICENCE_XML_NAMESPACE`.

        Elements in fixed order, two-space indent, UTF-8, LF line ends, extra fields sorted by
        name; :meth:`from_xml` accepts exactly this shape, so ``from_xml(to_xml())`` round-trips
        and ``to_xml(from_xml(b)) == b`` for canonical ``b``.
        """
        def el(tag: str, text: str, **attrs: str) -> str:
            a = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
            return f"  <tkl:{tag}{a}>{escape(text)}</tkl:{tag}>\n"

        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>\n',
            f'<tkl:Licence xmlns:tkl="{LICENCE_XML_NAMESPACE}" Version="1">\n',
            el("Identifier", str(self.identifier)),
            el("TypeCode", self.licence_type_code),
            el("TypeName", self.licence_type_name),
            el("Number", self.licence_number),
            el("Holder", self.holder_name, IdType=self.holder_id_type, IdTypeName=self.holder_id_type_name,
               Code=self.holder_code),
            el("Issuer", self.issuer_name, Code=self.issuer_code),
            el("IssueDate", self.issue_date.isoformat()),
            el("ValidFrom", self.valid_from.isoformat()),
            el("ValidTo", "长期" if self.valid_to is None else self.valid_to.isoformat(),
               LongTerm="true" if self.valid_to is None else "false"),
            el("Status", self.status),
        ]
        for k, v in sorted(self.extra.items()):
            j = _extra_to_json(v)
            lines.append(el("Extra", str(j["value"]), Name=k, Type=str(j["type"])))
        lines.append("</tkl:Licence>\n")
        return "".join(lines).encode("utf-8")

    @classmethod
    def from_xml(cls, data: bytes) -> LicenceRecord:
        """Parse :meth:`to_xml` output (strict: DTDs, entities and unknown elements refused).

        :raises DecodeError: malformed XML or the wrong shape; :class:`InvalidCodeError` for bad values.
        """
        if not isinstance(data, bytes):
            raise TypeError("from_xml takes bytes")
        if len(data) > _MAX_INPUT:
            raise DecodeError(f"licence XML is larger than {_MAX_INPUT} bytes")
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            raise DecodeError("licence XML must not contain a DTD or entity declarations")
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                                 remove_comments=False, remove_pis=False)
        try:
            root = etree.fromstring(data, parser)
        except etree.XMLSyntaxError as exc:
            raise DecodeError(f"licence XML is not well-formed: {exc}") from None
        ns = "{" + LICENCE_XML_NAMESPACE + "}"
        if root.tag != ns + "Licence" or root.get("Version") != "1":
            raise DecodeError(f"root element must be Licence Version=\"1\" in {LICENCE_XML_NAMESPACE}")
        order = ["Identifier", "TypeCode", "TypeName", "Number", "Holder", "Issuer", "IssueDate", "ValidFrom",
                 "ValidTo", "Status"]
        children = list(root)
        for child in children:
            if not isinstance(child.tag, str) or not child.tag.startswith(ns):
                raise DecodeError("licence XML holds a comment, processing instruction or foreign element")
        allowed = {"Holder": {"IdType", "IdTypeName", "Code"}, "Issuer": {"Code"}, "ValidTo": {"LongTerm"},
                   "Extra": {"Name", "Type"}}
        if (root.text or "").strip() or set(root.attrib) != {"Version"}:
            raise DecodeError("licence XML: unexpected text or attributes on Licence")
        for child in children:
            tag = child.tag[len(ns):]
            if len(child) or (child.tail or "").strip() or not set(child.attrib) <= allowed.get(tag, set()):
                raise DecodeError(f"licence XML: {tag} has child elements, stray text or unknown attributes")
        tags = [c.tag[len(ns):] for c in children]
        if tags[:len(order)] != order or any(t != "Extra" for t in tags[len(order):]):
            raise DecodeError(f"licence XML elements must be {', '.join(order)}, then Extra*; got {', '.join(tags)}")
        by = dict(zip(tags[:len(order)], children[:len(order)]))

        def text(tag: str) -> str:
            return by[tag].text or ""

        def attr(tag: str, name: str) -> str:
            value = by[tag].get(name)
            if value is None:
                raise DecodeError(f"licence XML: {tag} has no {name} attribute")
            return str(value)

        long_term = attr("ValidTo", "LongTerm")
        if long_term not in ("true", "false"):
            raise DecodeError("licence XML: ValidTo LongTerm must be true or false")
        extra: dict[str, ExtraValue] = {}
        for child in children[len(order):]:
            name, kind = child.get("Name"), child.get("Type")
            if name is None or kind is None or name in extra:
                raise DecodeError("licence XML: each Extra needs a unique Name and a Type")
            extra[str(name)] = _extra_from_json({"type": str(kind), "value": _xml_extra_value(kind, child.text)},
                                                str(name))
        holder_type_name = attr("Holder", "IdTypeName")
        id_type = attr("Holder", "IdType")
        if id_type in HOLDER_ID_TYPES and holder_type_name != HOLDER_ID_TYPES[id_type].name:
            raise DecodeError("licence XML: Holder IdTypeName does not match IdType")
        return cls(
            licence_type_code=text("TypeCode"),
            licence_type_name=text("TypeName"),
            licence_number=text("Number"),
            identifier=LicenceIdentifier.parse(text("Identifier")),
            holder_name=text("Holder"),
            holder_id_type=id_type,
            holder_code=attr("Holder", "Code"),
            issuer_name=text("Issuer"),
            issuer_code=attr("Issuer", "Code"),
            issue_date=_parse_date(text("IssueDate"), "issue_date"),
            valid_from=_parse_date(text("ValidFrom"), "valid_from"),
            valid_to=None if long_term == "true" else _parse_date(text("ValidTo"), "valid_to"),
            status=cast(LicenceStatus, text("Status")),
            extra=extra,
        )


def _str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise _err(f"{what} must be a string, got {type(value).__name__}", what)
    return value


def _parse_date(value: object, what: str) -> date:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise _err(f"{what} must be a date YYYY-MM-DD, got {value!r}", what)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _err(f"{what} {value!r} is not a real date", what) from None


def _check_extra(extra: object) -> dict[str, ExtraValue]:
    if not isinstance(extra, Mapping):
        raise _err("extra must be a mapping", "extra")
    if len(extra) > _MAX_EXTRA_FIELDS:
        raise _err(f"more than {_MAX_EXTRA_FIELDS} extra fields", "extra")
    out: dict[str, ExtraValue] = {}
    for k, v in extra.items():
        if not isinstance(k, str) or not _EXTRA_NAME.fullmatch(k):
            raise _err(f"extra field name {k!r} must be 1-64 non-blank, non-control characters", "extra")
        if isinstance(v, bool) or not isinstance(v, (str, int, date)) or isinstance(v, datetime):
            raise _err(f"extra field {k!r} must be str, int or date, not {type(v).__name__}", "extra")
        if isinstance(v, str) and v:
            _name(v, f"extra field {k!r}", _MAX_EXTRA_VALUE)
        elif isinstance(v, int) and abs(v) >= 2**63:
            raise _err(f"extra field {k!r} is outside the 64-bit integer range", "extra")
        out[k] = v
    return out


def _extra_to_json(v: ExtraValue) -> dict[str, str | int]:
    if isinstance(v, date):
        return {"type": "date", "value": v.isoformat()}
    if isinstance(v, int):
        return {"type": "integer", "value": v}
    return {"type": "string", "value": v}


def _extra_from_json(obj: object, name: str) -> ExtraValue:
    if not isinstance(obj, Mapping) or set(obj) != {"type", "value"}:
        raise _err(f"extra field {name!r} must be {{\"type\": ..., \"value\": ...}}", "extra")
    kind, value = obj["type"], obj["value"]
    if kind == "string" and isinstance(value, str):
        return value
    if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "date":
        return _parse_date(value, f"extra field {name!r}")
    raise _err(f"extra field {name!r}: type {kind!r} with a {type(value).__name__} value", "extra")


def _xml_extra_value(kind: object, text: str | None) -> str | int:
    raw = text or ""
    if kind == "integer":
        if not re.fullmatch(r"-?[0-9]{1,19}", raw):
            raise DecodeError(f"licence XML: integer extra field value {raw!r}")
        return int(raw)
    return raw


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _err(f"duplicate JSON member {k!r}", k)
        out[k] = v
    return out


def _no_float(value: str) -> Any:
    raise _err(f"numbers must be integers, got {value}", "record")
