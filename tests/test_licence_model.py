"""LicenceRecord: strict validation, JSON and canonical XML round trips."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustkit.errors import DecodeError
from trustkit.licence.codes import (
    InvalidCodeError,
    LicenceIdentifier,
    make_id_number,
    make_uscc,
)
from trustkit.licence.model import HOLDER_ID_TYPES, LICENCE_XML_NAMESPACE, LicenceRecord

TYPE_CODE = "11100000000013338W032"
ISSUER = "11220000013544541J"
PERSON_ID = "11010519491231002X"


def sample_record(**changes: Any) -> LicenceRecord:
    """A personal qualification licence (shared by the QR and status tests)."""
    fields: dict[str, Any] = {
        "licence_type_code": TYPE_CODE,
        "licence_type_name": "建筑施工特种作业操作资格证",
        "licence_number": "吉A042012000939",
        "identifier": LicenceIdentifier.build(TYPE_CODE, ISSUER, "2430599"),
        "holder_name": "张小三",
        "holder_id_type": "111",
        "holder_code": PERSON_ID,
        "issuer_name": "吉林省住房和城乡建设厅",
        "issuer_code": ISSUER,
        "issue_date": date(2026, 5, 20),
        "valid_from": date(2026, 5, 20),
        "valid_to": date(2029, 5, 19),
        "status": "valid",
        "extra": {"操作类别": "建筑电工", "证书等级": 2, "首次发证日期": date(2020, 1, 15)},
    }
    fields.update(changes)
    return LicenceRecord(**fields)


BUSINESS_USCC = make_uscc("110108", "MA01ABCD")  # synthetic, valid


def business_record() -> LicenceRecord:
    holder = BUSINESS_USCC
    return sample_record(
        licence_type_code="11100000000013661B001",
        licence_type_name="营业执照",
        licence_number=holder,
        identifier=LicenceIdentifier.build("11100000000013661B001", ISSUER, "000123"),
        holder_name="北京某某科技有限公司",
        holder_id_type="001",
        holder_code=holder,
        valid_to=None,
        extra={},
    )


def test_business_holder() -> None:
    assert business_record().holder_code == BUSINESS_USCC
    assert not business_record().is_person and sample_record().is_person


def test_round_trip_json() -> None:
    for record in (sample_record(), business_record()):
        again = LicenceRecord.from_dict(json.loads(json.dumps(record.to_dict())))
        assert again == record and again.extra == record.extra
        assert LicenceRecord.from_json(record.to_json()) == record


def test_to_dict_shape() -> None:
    d = sample_record().to_dict()
    assert d["format"] == "trustkit-licence/1"
    assert d["holder_id_type_name"] == "公民身份号码"
    assert d["extra"]["证书等级"] == {"type": "integer", "value": 2}
    assert d["extra"]["首次发证日期"] == {"type": "date", "value": "2020-01-15"}
    assert business_record().to_dict()["valid_to"] is None


def test_xml_is_canonical_and_round_trips() -> None:
    for record in (sample_record(), business_record()):
        xml = record.to_xml()
        assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<tkl:Licence xmlns:tkl="urn:trustkit:licence:1"')
        again = LicenceRecord.from_xml(xml)
        assert again == record and again.extra == record.extra
        assert again.to_xml() == xml
    assert "长期".encode() in business_record().to_xml()
    assert LICENCE_XML_NAMESPACE == "urn:trustkit:licence:1"


def test_xml_escapes_markup() -> None:
    record = sample_record(holder_name='A&B <"公司">', extra={"x": "<&>"})
    assert LicenceRecord.from_xml(record.to_xml()) == record


@pytest.mark.parametrize("mutate, message", [
    (lambda x: x.replace(b"<tkl:Status>", b"<tkl:Statu>").replace(b"</tkl:Status>", b"</tkl:Statu>"), "elements"),
    (lambda x: x.replace(b"Version=\"1\"", b"Version=\"2\""), "Version"),
    (lambda x: x.replace(b"?>\n", b"?>\n<!DOCTYPE x [<!ENTITY e \"1\">]>\n"), "DTD"),
    (lambda x: x.replace(b"</tkl:Licence>", b"<!-- c --></tkl:Licence>"), "comment"),
    (lambda x: x[:-20], "well-formed"),
    (lambda x: x.replace(b"</tkl:Number>", b"<tkl:b/></tkl:Number>"), "child elements"),
    (lambda x: x.replace(b"</tkl:Number>", b"</tkl:Number>junk"), "stray text"),
    (lambda x: x.replace(b"<tkl:Number>", b'<tkl:Number Evil="1">'), "unknown attributes"),
    (lambda x: x.replace(b'LongTerm="false"', b'LongTerm="maybe"'), "LongTerm"),
])
def test_bad_xml(mutate: Any, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        LicenceRecord.from_xml(mutate(sample_record().to_xml()))


def test_xml_with_tampered_identifier_check_fails() -> None:
    xml = sample_record().to_xml()
    ident = str(sample_record().identifier)
    bad = ident[:-1] + ("A" if ident[-1] != "A" else "B")
    with pytest.raises(InvalidCodeError) as info:
        LicenceRecord.from_xml(xml.replace(ident.encode(), bad.encode()))
    assert info.value.part == "check"


@pytest.mark.parametrize("changes, part", [
    ({"holder_code": "11010519491231002Y"}, "check"),
    ({"holder_code": "110105194912310021"}, "check"),
    ({"holder_id_type": "001"}, "check"),  # an ID number is not a USCC
    ({"holder_id_type": "123"}, "holder_id_type"),
    ({"issuer_code": "11220000013544541K"}, "check"),
    ({"issuer_code": "11430000006122244L"}, "issuer_code"),  # differs from the identifier
    ({"licence_type_code": "11100000000013338W033"}, "licence_type_code"),
    ({"valid_to": date(2020, 1, 1)}, "valid_to"),
    ({"status": "expired"}, "status"),
    ({"holder_name": ""}, "holder_name"),
    ({"holder_name": " 张三"}, "holder_name"),
    ({"holder_name": "张\x00三"}, "holder_name"),
    ({"issuer_name": "x" * 201}, "issuer_name"),
    ({"extra": {"a": 1.5}}, "extra"),
    ({"extra": {"a": True}}, "extra"),
    ({"extra": {"a b": 1}}, "extra"),
    ({"extra": {"a": datetime(2020, 1, 1)}}, "extra"),
    ({"issue_date": datetime(2020, 1, 1)}, "issue_date"),
    ({"holder_id_type": "414", "holder_code": "E1234"}, None),
    ({"holder_id_type": "414", "holder_code": "e1234567"}, "holder_code"),
])
def test_validation(changes: dict[str, Any], part: str | None) -> None:
    if part is None:
        sample_record(**changes)
        return
    with pytest.raises(InvalidCodeError) as info:
        sample_record(**changes)
    assert info.value.part == part, info.value.message


def test_extra_is_read_only() -> None:
    record = sample_record()
    with pytest.raises(TypeError):
        record.extra["x"] = 1  # type: ignore[index]


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.pop("holder_code"), "missing member"),
    (lambda d: d.update(colour="red"), "unknown member"),
    (lambda d: d.update(format="trustkit-licence/2"), "format"),
    (lambda d: d.update(issue_date="2026/05/20"), "YYYY-MM-DD"),
    (lambda d: d.update(issue_date="2026-02-30"), "real date"),
    (lambda d: d.update(holder_id_type_name="普通护照"), "does not match"),
    (lambda d: d.update(extra={"a": {"type": "integer", "value": "1"}}), "extra field"),
    (lambda d: d.update(extra={"a": 1}), "extra field"),
    (lambda d: d.update(licence_number=12), "must be a string"),
])
def test_from_dict_errors(edit: Any, message: str) -> None:
    d = sample_record().to_dict()
    edit(d)
    with pytest.raises(InvalidCodeError, match=message):
        LicenceRecord.from_dict(d)


def test_from_json_strictness() -> None:
    good = sample_record().to_json()
    with pytest.raises(InvalidCodeError, match="duplicate"):
        LicenceRecord.from_json(good[:-1] + b',"status":"valid"}')
    with pytest.raises(InvalidCodeError, match="integers"):
        LicenceRecord.from_json(good.replace(b'"value":2', b'"value":2.0'))
    with pytest.raises(InvalidCodeError, match="not valid JSON"):
        LicenceRecord.from_json(b"{")
    with pytest.raises(InvalidCodeError, match="larger"):
        LicenceRecord.from_json(b" " * 300_000)


def test_holder_types_table() -> None:
    assert HOLDER_ID_TYPES["111"].name == "公民身份号码"
    assert HOLDER_ID_TYPES["001"].name == "统一社会信用代码"


def test_valid_on() -> None:
    record = sample_record()
    assert record.valid_on(date(2027, 1, 1))
    assert not record.valid_on(date(2029, 5, 20))
    assert not record.valid_on(date(2026, 5, 19))
    assert not sample_record(status="revoked").valid_on(date(2027, 1, 1))
    assert business_record().valid_on(date(2099, 1, 1))


_names = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), min_size=1, max_size=30)


@settings(max_examples=40, deadline=None)
@given(name=_names, birth=st.dates(date(1900, 1, 1), date(2020, 1, 1)), order=st.integers(0, 999),
       extra=st.dictionaries(st.text("abc中文", min_size=1, max_size=5),
                             st.one_of(st.integers(-2**62, 2**62), _names, st.dates()), max_size=4))
def test_round_trips_property(name: str, birth: date, order: int, extra: dict[str, Any]) -> None:
    record = sample_record(holder_name=name, holder_code=make_id_number("320102", birth, order), extra=extra)
    assert LicenceRecord.from_xml(record.to_xml()) == record
    assert LicenceRecord.from_json(record.to_json()).to_xml() == record.to_xml()


def test_pickle_round_trip() -> None:
    import copy
    import pickle

    record = sample_record()
    again = pickle.loads(pickle.dumps(record))
    assert again == record and again.extra == record.extra
    assert copy.deepcopy(record) == record
