"""Signed licence status lists: make, load with verification, look up; tampering and malformed files."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from pki_helpers import NOW, p256_chain, sm2_chain
from test_licence_model import sample_record

from trustkit import sm2
from trustkit.errors import DecodeError, InvalidSignature
from trustkit.licence.codes import InvalidCodeError, LicenceIdentifier
from trustkit.licence.status import (
    StatusEntry,
    canonical_json,
    load_status_list,
    make_status_list,
    sign_json,
)
from trustkit.pki.signer import LocalSigner

ISSUER = "11220000013544541J"
TYPE = "11100000000013338W032"


def ident(serial: str) -> str:
    return str(LicenceIdentifier.build(TYPE, ISSUER, serial))


def signer() -> LocalSigner:
    c = sm2_chain()
    return LocalSigner(c.leaf_key, c.leaf)


def entries() -> list[StatusEntry]:
    return [StatusEntry(ident("200"), "suspended", date(2026, 5, 1), "年检未通过"),
            StatusEntry(ident("100"), "revoked", date(2026, 4, 1), "吊销")]


def make(**kwargs: object) -> bytes:
    args: dict[str, object] = {"issuer_code": ISSUER, "list_number": 3, "entries": entries(), "this_update": NOW}
    args.update(kwargs)
    return make_status_list(signer(), **args)  # type: ignore[arg-type]


def test_round_trip_and_lookup() -> None:
    status = load_status_list(make(), sm2_chain().leaf)
    assert status.issuer_code == ISSUER and status.list_number == 3
    assert status.this_update == NOW and status.next_update == NOW + timedelta(days=7)
    assert status.lookup(ident("100")) == entries()[1]
    assert status.lookup(LicenceIdentifier.parse(ident("200"))).status == "suspended"  # type: ignore[union-attr]
    assert status.lookup(ident("300")) is None
    assert status.lookup(str(sample_record().identifier)) is None
    assert status.is_current(NOW + timedelta(days=7)) and not status.is_current(NOW + timedelta(days=7, seconds=1))
    assert status.signer_certificate == sm2_chain().leaf


def test_file_format() -> None:
    doc = json.loads(make())
    assert doc["format"] == "trustkit-licence-status/1"
    assert [e["identifier"] for e in doc["entries"]] == sorted([ident("100"), ident("200")])
    assert doc["this_update"] == "2026-06-01T12:00:00Z"
    sig = doc.pop("signature")
    assert sig["algorithm"] == "1.2.156.10197.1.501"
    # independent check: SM2 (default ID) over the canonical JSON, with the primitive directly
    import base64

    public_key = sm2_chain().leaf.public_key
    assert isinstance(public_key, sm2.PublicKey)
    public_key.verify(base64.b64decode(sig["value"]), canonical_json(doc))


def test_p256_signed_status_list() -> None:
    c = p256_chain()
    data = make_status_list(LocalSigner(c.leaf_key, c.leaf), issuer_code=ISSUER, list_number=1, entries=[],
                            this_update=NOW)
    assert load_status_list(data, c.leaf).entries == {}


def test_tampering() -> None:
    data = make()
    with pytest.raises(InvalidSignature):
        load_status_list(data.replace(b'"revoked"', b'"suspended"'), sm2_chain().leaf)
    with pytest.raises(InvalidSignature):
        load_status_list(data.replace(b'"list_number": 3', b'"list_number": 4'), sm2_chain().leaf)
    with pytest.raises(InvalidSignature):
        load_status_list(data, sm2_chain().intermediate)
    # whitespace is not significant: re-indenting keeps the signature valid
    load_status_list(json.dumps(json.loads(data)).encode(), sm2_chain().leaf)


def test_dropping_an_entry_breaks_the_signature() -> None:
    doc = json.loads(make())
    doc["entries"] = doc["entries"][:1]
    with pytest.raises(InvalidSignature):
        load_status_list(json.dumps(doc).encode(), sm2_chain().leaf)


def _resigned(edit: object) -> bytes:
    """A file whose body was edited and then correctly re-signed (to reach the structural checks)."""
    doc = json.loads(make())
    doc.pop("signature")
    edit(doc)  # type: ignore[operator]
    return sign_json(doc, signer())


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["entries"].reverse(), "sorted"),
    (lambda d: d["entries"].append(d["entries"][0]), "sorted"),
    (lambda d: d.update(list_number=-1), "list_number"),
    (lambda d: d.update(list_number=True), "list_number"),
    (lambda d: d.update(next_update="2026-05-01T00:00:00Z"), "before"),
    (lambda d: d.update(this_update="2026-06-01 12:00:00"), "UTC time"),
    (lambda d: d.update(extra=1), "unknown"),
    (lambda d: d.pop("entries"), "missing"),
    (lambda d: d["entries"][0].update(status="valid"), "revoked or suspended"),
    (lambda d: d["entries"][0].update(date="2026-13-01"), "YYYY-MM-DD"),
    (lambda d: d["entries"][0].update(reason="x" * 201), "reason"),
    (lambda d: d["entries"][0].update(colour="red"), "unknown"),
])
def test_structure_errors(edit: object, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        load_status_list(_resigned(edit), sm2_chain().leaf)


def test_bad_identifier_and_issuer() -> None:
    with pytest.raises(InvalidCodeError):
        load_status_list(_resigned(lambda d: d["entries"][0].update(identifier=d["entries"][0]["identifier"][:-1] + "Q")),
                         sm2_chain().leaf)
    with pytest.raises(InvalidCodeError):
        load_status_list(_resigned(lambda d: d.update(issuer_code="11220000013544541K")), sm2_chain().leaf)


@pytest.mark.parametrize("data, message", [
    (b"\xff", "UTF-8"),
    (b"[]", "object"),
    (b"{", "JSON"),
    (b'{"format": "trustkit-licence-status/1", "a": 1.5}', "integers"),
    (b'{"format": "trustkit-licence-status/2"}', "format"),
    (b'{"format": "trustkit-licence-status/1"}', "signature"),
    (b'{"format": "trustkit-licence-status/1", "signature": {"algorithm": "1.2.840.113549.1.1.11", "value": ""}}',
     "not allowed"),
    (b'{"format": "trustkit-licence-status/1", "signature": {"algorithm": "1.2.156.10197.1.501", "value": "!"}}',
     "base64"),
])
def test_malformed_files(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        load_status_list(data, sm2_chain().leaf)


def test_make_refuses_duplicates_and_bad_input() -> None:
    with pytest.raises(DecodeError, match="twice"):
        make(entries=entries() + entries()[:1])
    with pytest.raises(InvalidCodeError):
        StatusEntry("1.2.156.3005.2.x", "revoked", date(2026, 1, 1))
    with pytest.raises(ValueError):
        make(next_update=NOW - timedelta(days=1))


def test_size_limit() -> None:
    with pytest.raises(DecodeError, match="larger"):
        load_status_list(b" " * (64 * 1024 * 1024 + 1), sm2_chain().leaf)
