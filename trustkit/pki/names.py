"""X.501 distinguished names: build (UTF8String, as Chinese CAs write them), parse and format.

:func:`parse_name` reads the RFC 4514 string form (``"CN=张三,O=某单位,C=CN"``, most specific
RDN first) and also OpenSSL's slash form (``"/C=CN/O=某单位/CN=张三"``, most general first).
:func:`format_name` writes RFC 4514, keeping CJK characters as they are.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from asn1crypto import core, x509

__all__ = ["ParsedName", "format_name", "make_name", "parse_name"]


class _NameTypeAndValue(x509.NameTypeAndValue):  # type: ignore[misc]
    """AttributeTypeAndValue that tolerates x500UniqueIdentifier (2.5.4.45) written as a string.

    X.520 makes it a BIT STRING (asn1crypto insists); some Chinese CAs put a UTF8String there
    (seen in a real CEGN seal CA certificate).  Such values are compared by their DER when
    they are not strings, and by RFC 4518 preparation when they are.
    """

    _oid_specs: ClassVar[dict[str, Any]] = {**x509.NameTypeAndValue._oid_specs, "unique_identifier": core.Any}

    _prepped: str | None = None

    @property
    def prepped_value(self) -> str:
        if self._prepped is None:
            native = self["value"].native
            if isinstance(native, str):
                self._prepped = str(self._ldap_string_prep(native))
            else:
                self._prepped = "#" + bytes(self["value"].dump()).hex()
        return self._prepped


class _RelativeDistinguishedName(x509.RelativeDistinguishedName):  # type: ignore[misc]
    _child_spec = _NameTypeAndValue


class _RDNSequence(x509.RDNSequence):  # type: ignore[misc]
    _child_spec = _RelativeDistinguishedName


class ParsedName(x509.Name):  # type: ignore[misc]
    """The Name spec used when parsing certificates, CRLs and requests (an ``x509.Name``
    subclass, so it compares equal to names built with :func:`make_name`)."""

    _alternatives: ClassVar[list[Any]] = [("", _RDNSequence)]

# Short names of RFC 4514 3 plus the ones OpenSSL prints, mapped to asn1crypto type names.
_SHORT_TO_TYPE: dict[str, str] = {
    "CN": "common_name",
    "C": "country_name",
    "ST": "state_or_province_name",
    "S": "state_or_province_name",
    "L": "locality_name",
    "O": "organization_name",
    "OU": "organizational_unit_name",
    "STREET": "street_address",
    "SERIALNUMBER": "serial_number",
    "SN": "surname",
    "GN": "given_name",
    "GIVENNAME": "given_name",
    "T": "title",
    "TITLE": "title",
    "E": "email_address",
    "EMAIL": "email_address",
    "EMAILADDRESS": "email_address",
    "DC": "domain_component",
    "UID": "user_id",
    "POSTALCODE": "postal_code",
    "ORGANIZATIONIDENTIFIER": "organization_identifier",
}
_TYPE_TO_SHORT: dict[str, str] = {
    "common_name": "CN",
    "country_name": "C",
    "state_or_province_name": "ST",
    "locality_name": "L",
    "organization_name": "O",
    "organizational_unit_name": "OU",
    "street_address": "STREET",
    "serial_number": "serialNumber",
    "surname": "SN",
    "given_name": "GN",
    "title": "title",
    "email_address": "emailAddress",
    "domain_component": "DC",
    "user_id": "UID",
    "postal_code": "postalCode",
    "organization_identifier": "organizationIdentifier",
}
_PRINTABLE_TYPES = frozenset({"country_name", "serial_number", "dn_qualifier"})
_PRINTABLE = re.compile(r"^[A-Za-z0-9 '()+,\-./:=?]*$")
_OID = re.compile(r"^[0-2](\.[0-9]+)+$")


def _attribute(type_name: str, value: str) -> Any:
    if not isinstance(value, str) or not value:
        raise ValueError(f"name attribute {type_name}: the value must be a non-empty string")
    if type_name == "country_name" and (len(value) != 2 or not value.isascii() or not value.isalpha()):
        raise ValueError(f"country must be a two-letter ISO 3166 code, got {value!r}")
    spec: Any
    if type_name == "email_address":
        if not value.isascii():
            raise ValueError("an email address in a name must be ASCII (IA5String)")
        spec = x509.EmailAddress(value)
    elif type_name == "domain_component":
        spec = x509.DNSName(value)
    elif type_name in _PRINTABLE_TYPES and _PRINTABLE.match(value):
        spec = x509.DirectoryString(name="printable_string", value=core.PrintableString(value))
    elif type_name in x509.NameTypeAndValue._oid_specs or _OID.match(type_name):
        spec = x509.DirectoryString(name="utf8_string", value=core.UTF8String(value))
    else:
        raise ValueError(f"unsupported name attribute type {type_name!r}")
    return x509.NameTypeAndValue({"type": type_name, "value": spec})


def _build(rdns: list[list[tuple[str, str]]]) -> x509.Name:
    sequence = x509.RDNSequence(
        [x509.RelativeDistinguishedName([_attribute(t, v) for t, v in rdn]) for rdn in rdns]
    )
    return x509.Name(name="", value=sequence)


def make_name(
    *,
    common_name: str,
    organization: str | None = None,
    organizational_unit: str | None = None,
    country: str | None = "CN",
    province: str | None = None,
    locality: str | None = None,
    serial_number: str | None = None,
    email: str | None = None,
) -> x509.Name:
    """Build a Name in the order C, ST, L, O, OU, CN, serialNumber, emailAddress.

    Strings are UTF8String (RFC 5280 4.1.2.4), except countryName and serialNumber
    (PrintableString when possible) and emailAddress (IA5String).

    :raises ValueError: an empty value, or a country that is not two letters.
    """
    parts: list[tuple[str, str | None]] = [
        ("country_name", country),
        ("state_or_province_name", province),
        ("locality_name", locality),
        ("organization_name", organization),
        ("organizational_unit_name", organizational_unit),
        ("common_name", common_name),
        ("serial_number", serial_number),
        ("email_address", email),
    ]
    return _build([[(t, v)] for t, v in parts if v is not None])


def _split_unescaped(text: str, separators: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if ch in separators:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def _unescape(value: str) -> str:
    out = bytearray()
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            if i + 1 >= len(value):
                raise ValueError("a name value ends with a lone backslash")
            pair = value[i + 1 : i + 3]
            if re.fullmatch(r"[0-9A-Fa-f]{2}", pair):
                out.append(int(pair, 16))
                i += 3
                continue
            out += value[i + 1].encode()
            i += 2
            continue
        out += ch.encode()
        i += 1
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("a hex-escaped name value is not UTF-8") from None


def _attribute_type(key: str) -> str:
    key = key.strip()
    if _OID.match(key):
        return x509.NameType.map(key) if key in x509.NameType._map else key
    type_name = _SHORT_TO_TYPE.get(key.upper())
    if type_name is None:
        raise ValueError(f"unknown name attribute {key!r} (use CN, O, OU, C, ST, L, serialNumber, E, ...)")
    return type_name


def _parse_rdn(text: str) -> list[tuple[str, str]]:
    rdn: list[tuple[str, str]] = []
    for atav in _split_unescaped(text, "+"):
        key, sep, value = atav.partition("=")
        if not sep:
            raise ValueError(f"expected TYPE=value in a name, got {atav.strip()!r}")
        rdn.append((_attribute_type(key), _unescape(value.strip())))
    return rdn


def parse_name(text: str) -> x509.Name:
    """Parse ``"CN=...,O=...,C=CN"`` (RFC 4514: most specific first) or ``"/C=CN/O=.../CN=..."``.

    Escapes of RFC 4514 2.4 (``\\,``, ``\\+``, ``\\XX``) are understood; ``+`` joins a
    multi-valued RDN.

    :raises ValueError: an empty name, an unknown attribute type or a malformed component.
    """
    text = text.strip()
    if not text:
        raise ValueError("an empty name")
    if text.startswith("/"):
        rdn_texts = _split_unescaped(text[1:], "/")
    else:
        rdn_texts = list(reversed(_split_unescaped(text, ",;")))
    rdns = [_parse_rdn(part) for part in rdn_texts if part.strip()]
    if not rdns:
        raise ValueError("an empty name")
    return _build(rdns)


def _escape(value: str) -> str:
    out = []
    for i, ch in enumerate(value):
        if ch in ',+"\\<>;=' or (ch == "#" and i == 0) or (ch == " " and i in (0, len(value) - 1)):
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append(f"\\{ord(ch):02X}")
        else:
            out.append(ch)
    return "".join(out)


def _atav_text(atav: Any) -> str:
    type_obj = atav["type"]
    type_name = type_obj.native if type_obj.dotted in x509.NameType._map else type_obj.dotted
    label = _TYPE_TO_SHORT.get(type_name, type_name if _OID.match(type_name) else type_obj.dotted)
    value = atav["value"]
    try:
        native = value.native
    except (ValueError, TypeError):
        native = None
    if isinstance(native, str):
        return f"{label}={_escape(native)}"
    return f"{label}=#{atav['value'].dump().hex()}"


def format_name(name: x509.Name) -> str:
    """RFC 4514 form: most specific RDN first, multi-valued RDNs joined by ``+``; non-string
    values as ``#hex`` of their DER.  CJK characters are kept as is."""
    rdns = list(name.chosen)
    return ",".join("+".join(_atav_text(atav) for atav in rdn) for rdn in reversed(rdns))
