"""Licence identifiers (MOD 37,36), USCC (GB 32100) and ID numbers (MOD 11-2): real examples + properties.

Real examples: standards.md §7.1/§7.4/§7.5, plus public identifiers found by string search
(…W087.11370800MB28559184…, …W011…002.S).  The public swagger example ending in "M" is known bad
(its check character is "D").
"""

from __future__ import annotations

import string
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustkit.errors import DecodeError
from trustkit.licence.codes import (
    InvalidCodeError,
    LicenceIdentifier,
    id_check_char,
    make_id_number,
    make_uscc,
    mod37_36_check,
    organisation_check_char,
    uscc_check_char,
    validate_id_number,
    validate_uscc,
)

REAL_IDENTIFIERS = [
    "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F",
    "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
    "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
    "1.2.156.3005.2.11100000MB03271699022.340100.000000016.001.9",  # 6-digit area-code issuer
    "1.2.156.3005.2.11100000000013338W087.11370800MB28559184.37080001202411010001.001.3",
    "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.002.S",
]
SWAGGER_BAD = "1.2.156.3005.2.11100000000013661B006.113700000045046442.209FA4E88F9E4C878F3E9BED2CE7EA49.001.M"
REAL_USCC = [
    "11100000000013338W", "11220000013544541J", "11430000006122244L", "11330105002500287C",
    "113700000045046442", "11100000000013661B", "11420503087246977F", "11100000MB03271699",
    "11370800MB28559184",
]
REAL_ID_NUMBERS = ["11010519491231002X", "440524188001010014", "13043419840726291X"]
TODAY = date(2026, 6, 1)

A36 = string.digits + string.ascii_uppercase
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


# ---------------------------------------------------------------- real examples


@pytest.mark.parametrize("text", REAL_IDENTIFIERS)
def test_real_identifiers_parse_and_round_trip(text: str) -> None:
    ident = LicenceIdentifier.parse(text)
    assert str(ident) == text
    assert LicenceIdentifier.build(ident.type_code, ident.issuer_code, ident.serial, ident.version) == ident


def test_real_identifier_parts() -> None:
    ident = LicenceIdentifier.parse(REAL_IDENTIFIERS[0])
    assert (ident.type_code, ident.issuer_code, ident.serial, ident.version, ident.check) == (
        "11100000000013338W032", "11220000013544541J", "2430599", "001", "F")
    assert ident.defining_body_code == "11100000000013338W"


def test_swagger_example_is_rejected_with_the_right_check() -> None:
    with pytest.raises(InvalidCodeError, match="expected 'D'") as info:
        LicenceIdentifier.parse(SWAGGER_BAD)
    assert info.value.part == "check"
    assert isinstance(info.value, DecodeError)


@pytest.mark.parametrize("text, part", [
    ("1.2.156.3005.3.11100000000013338W032.11220000013544541J.2430599.001.F", "root"),
    ("1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001", "structure"),
    ("1.2.156.3005.2.062301.1101101102.0624_001.001.U", "type_code"),  # a public demo's placeholder
    ("1.2.156.3005.2.11100000000013338X032.11220000013544541J.2430599.001.F", "type_code"),  # USCC check
    ("1.2.156.3005.2.11100000000013338W03A.11220000013544541J.2430599.001.F", "type_code"),
    ("1.2.156.3005.2.11100000000013338W032.11220000013544541K.2430599.001.F", "issuer_code"),
    ("1.2.156.3005.2.11100000000013338W032.1122000001354454.2430599.001.F", "issuer_code"),
    ("1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599a.001.F", "serial"),
    ("1.2.156.3005.2.11100000000013338W032.11220000013544541J..001.F", "serial"),
    ("1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.01.F", "version"),
    ("1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.G", "check"),
    (" 1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F", "root"),
])
def test_bad_identifiers_name_the_part(text: str, part: str) -> None:
    with pytest.raises(InvalidCodeError) as info:
        LicenceIdentifier.parse(text)
    assert info.value.part == part, info.value.message


def test_identifier_size_limit() -> None:
    with pytest.raises(InvalidCodeError, match="limit"):
        LicenceIdentifier.parse("1.2.156.3005.2." + "A" * 1000)


def test_allow_legacy_uscc_inside_identifier() -> None:
    issuer = "11220000013544541K"  # wrong USCC check character
    with pytest.raises(InvalidCodeError):
        LicenceIdentifier.build("11100000000013338W032", issuer, "1")
    ident = LicenceIdentifier.build("11100000000013338W032", issuer, "1", allow_legacy=True)
    assert LicenceIdentifier.parse(str(ident), allow_legacy=True) == ident


@pytest.mark.parametrize("code", REAL_USCC)
def test_real_uscc(code: str) -> None:
    info = validate_uscc(code)
    assert info.check_ok and info.organisation_check_ok
    assert uscc_check_char(code[:17]) == code[17]
    assert organisation_check_char(code[8:16]) == code[16]
    assert info.region == code[2:8] and info.organisation_code == code[8:17]


def test_uscc_31_maps_to_0() -> None:
    # Find a body whose weighted sum is 0 mod 31: the check must be "0", never index 31.
    for n in range(10_000):
        first17 = f"91110000{n:08d}0"
        if uscc_check_char(first17) == "0":
            assert sum(USCC_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(first17)) % 31 == 0
            assert validate_uscc(first17 + "0", allow_legacy=False).check_ok
            return
    pytest.fail("no code with Σ ≡ 0 mod 31 found")


@pytest.mark.parametrize("code, part", [
    ("11100000000013338X", "check"),
    ("11100000000013338", "uscc"),
    ("1110000000001333OW", "uscc"),  # O is not in the alphabet
    ("11100000000013338w", "check"),
    ("111A0000000013338W", "region"),
])
def test_bad_uscc(code: str, part: str) -> None:
    with pytest.raises(InvalidCodeError) as info:
        validate_uscc(code)
    assert info.value.part == part, info.value.message


def test_uscc_allow_legacy_reports_the_failure() -> None:
    info = validate_uscc("11100000000013338X", allow_legacy=True)
    assert not info.check_ok and info.organisation_check_ok


def test_uscc_embedded_organisation_check_is_reported_not_enforced() -> None:
    first16 = "9111010800000000"  # body 00000000 -> org check "0"? make it wrong on purpose
    wrong = "1" if organisation_check_char("00000000") != "1" else "2"
    first17 = first16 + wrong
    info = validate_uscc(first17 + uscc_check_char(first17))
    assert info.check_ok and not info.organisation_check_ok


@pytest.mark.parametrize("code", REAL_ID_NUMBERS)
def test_real_id_numbers(code: str) -> None:
    info = validate_id_number(code, today=TODAY)
    assert id_check_char(code[:17]) == code[17]
    # the recursive form of MOD 11-2 (standards.md §7.5) agrees
    p = 0
    for d in code[:17]:
        p = ((p + int(d)) * 2) % 11
    c = (12 - p) % 11
    assert ("X" if c == 10 else str(c)) == code[17]
    assert info.region == code[:6]


def test_id_number_parts() -> None:
    info = validate_id_number("11010519491231002X", today=TODAY)
    assert info.birth_date == date(1949, 12, 31) and info.order == 2 and info.sex == "female"


@pytest.mark.parametrize("code, part", [
    ("11010519491231002x", "check"),
    ("110105194912310021", "check"),
    ("11010519491232002X", "birth_date"),  # 32 December
    ("110105190002290010", "birth_date"),  # 1900 is not a leap year
    ("99010519491231002X", "region"),  # no province 99
    ("11010517991231002X", "birth_date"),  # before 1800
    ("1101051949123100", "id_number"),
    ("1101051949123100AX", "id_number"),
])
def test_bad_id_numbers(code: str, part: str) -> None:
    with pytest.raises(InvalidCodeError) as info:
        validate_id_number(code, today=TODAY)
    assert info.value.part == part, info.value.message


def test_id_number_birth_in_the_future() -> None:
    code = make_id_number("110105", date(2026, 6, 2), 1)
    validate_id_number(code, today=date(2026, 6, 2))
    with pytest.raises(InvalidCodeError) as info:
        validate_id_number(code, today=TODAY)
    assert info.value.part == "birth_date"


# ---------------------------------------------------------------- properties

_provinces = st.sampled_from([11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45,
                              46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82])
_regions = st.builds(lambda p, r: f"{p:02d}{r:04d}", _provinces, st.integers(0, 9999))
_births = st.dates(min_value=date(1800, 1, 1), max_value=TODAY)
_id_numbers = st.builds(make_id_number, _regions, _births, st.integers(0, 999))
_usccs = st.builds(
    lambda dept, cat, region, body: make_uscc(region, body, department=dept, category=cat),
    st.sampled_from("1259Y"), st.sampled_from("123"), _regions,
    st.text(USCC_ALPHABET, min_size=8, max_size=8),
)
_identifiers = st.builds(
    lambda t, n, i, s, v: LicenceIdentifier.build(t + f"{n:03d}", i, s, f"{v:03d}"),
    _usccs, st.integers(0, 999), _usccs, st.text(A36, min_size=1, max_size=32), st.integers(0, 999),
)


def _substitutions(code: str, alphabet: str) -> list[str]:
    return [code[:i] + c + code[i + 1:] for i in range(len(code)) for c in alphabet if c != code[i]]


def _transpositions(code: str) -> list[str]:
    return [code[:i] + code[i + 1] + code[i] + code[i + 2:] for i in range(len(code) - 1) if code[i] != code[i + 1]]


def _id_valid(code: str) -> bool:
    """The MOD 11-2 check alone (not the date or region rules)."""
    return code[:17].isdigit() and id_check_char(code[:17]) == code[17]


def _uscc_valid(code: str) -> bool:
    """The GB 32100 check alone (not the embedded organisation-code check)."""
    return uscc_check_char(code[:17]) == code[17]


def _mod3736_valid(s: str) -> bool:
    return mod37_36_check(s[:-1]) == s[-1]


@settings(max_examples=60, deadline=None)
@given(_id_numbers)
def test_id_numbers_generated_validate_and_detect_errors(code: str) -> None:
    assert validate_id_number(code, today=TODAY).code == code
    assert not any(_id_valid(c) for c in _substitutions(code, string.digits + "X"))
    # MOD 11-2 detects every adjacent transposition of different characters
    assert not any(_id_valid(c) for c in _transpositions(code))


@settings(max_examples=60, deadline=None)
@given(_usccs)
def test_usccs_generated_validate_and_detect_errors(code: str) -> None:
    info = validate_uscc(code)
    assert info.check_ok and info.organisation_check_ok
    assert not any(_uscc_valid(c) for c in _substitutions(code, USCC_ALPHABET))
    # weights 3^i mod 31 (and 1 for the check) differ pairwise: every adjacent transposition is caught
    assert not any(_uscc_valid(c) for c in _transpositions(code))


@settings(max_examples=60, deadline=None)
@given(_identifiers)
def test_identifiers_generated_validate_and_detect_substitutions(ident: LicenceIdentifier) -> None:
    assert LicenceIdentifier.parse(str(ident)) == ident
    body = ident.type_code + ident.issuer_code + ident.serial + ident.version + ident.check
    # MOD 37,36 catches every single substitution in the checked string and the check character
    assert not any(_mod3736_valid(c) for c in _substitutions(body, A36))


def test_mod37_36_transpositions_are_mostly_detected() -> None:
    """A hybrid MOD 37,36 system misses a small share of adjacent transpositions: measure it."""
    import random

    rng = random.Random(7)
    total = undetected = 0
    for _ in range(3000):
        s = "".join(rng.choice(A36) for _ in range(rng.randint(5, 40)))
        full = s + mod37_36_check(s)
        for t in _transpositions(full):
            total += 1
            undetected += _mod3736_valid(t)
    assert total > 50_000
    assert 0 < undetected / total < 0.005  # measured: about 0.15 %


def test_mod37_36_rejects_lowercase() -> None:
    with pytest.raises(InvalidCodeError):
        mod37_36_check("abc")
