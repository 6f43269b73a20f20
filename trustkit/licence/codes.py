"""Licence identifiers (GB/T 36904) and holder codes (GB 32100 USCC, GB 11643 resident ID number).

Check characters (standards.md §7):

- licence identifier: ISO/IEC 7064 MOD 37,36 (hybrid) over ``type‖issuer‖serial‖version``
  (no dots, root arc excluded), alphabet ``0-9A-Z``;
- unified social credit code (USCC, GB 32100-2015): weights ``3^i mod 31`` over the 31-character
  alphabet ``0-9A-Z`` without I, O, S, V, Z; ``C18 = 31 - (Σ mod 31)`` with **31 → 0**; positions
  9–17 are a GB 11714 organisation code whose own check character (position 17) is reported
  separately (:attr:`USCC.organisation_check_ok`) and not enforced: every real code we checked
  passes it, but that all issued codes do is UNCONFIRMED;
- resident ID number (GB 11643-1999): ISO/IEC 7064 MOD 11-2 with ``X`` for 10, a real birth date
  not in the future and a GB/T 2260 region code with a plausible province prefix.

Error detection (checked by the property tests): all three schemes detect every single-character
substitution. MOD 11-2 and the USCC scheme also detect every transposition of two adjacent,
different characters (their consecutive weights differ modulo a prime). MOD 37,36 misses a small
fraction of adjacent transpositions (about 0.15 % of random ones: a hybrid system's detection
depends on the running state), which the tests measure rather than assume.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from trustkit.errors import InvalidCodeError

__all__ = [
    "LICENCE_ROOT_ARC",
    "USCC",
    "IDNumber",
    "InvalidCodeError",
    "LicenceIdentifier",
    "id_check_char",
    "make_id_number",
    "make_uscc",
    "mod37_36_check",
    "organisation_check_char",
    "uscc_check_char",
    "validate_id_number",
    "validate_uscc",
]

#: GB/T 36904 root arc of every electronic-licence identifier.
LICENCE_ROOT_ARC = "1.2.156.3005.2"

_ALNUM36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VALUE36 = {c: i for i, c in enumerate(_ALNUM36)}
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
_ID_CHECK = "10X98765432"

#: Maximum length accepted anywhere in this module (identifiers are far shorter).
_MAX_TEXT = 256
#: The serial (流水号) length limit is UNCONFIRMED in public material; 32 is the longest seen.
_MAX_SERIAL = 64
_SERIAL_RE = re.compile(r"[0-9A-Z]+")
_DIGITS_RE = re.compile(r"[0-9]+")

#: GB/T 2260 province-level prefixes (11–15, 21–23, 31–37, 41–46, 50–54, 61–65, 71, 81, 82).
_PROVINCES = frozenset(
    [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46]
    + [50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82]
)
#: The earliest birth year accepted (real 18-digit numbers of people born in the 1880s exist).
_MIN_BIRTH_YEAR = 1800


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    if len(value) > _MAX_TEXT:
        raise InvalidCodeError(f"{what} is {len(value)} characters long (limit {_MAX_TEXT})", part=what)
    return value


# --------------------------------------------------------------------------------------------
# ISO/IEC 7064 MOD 37,36 (licence identifiers)


def mod37_36_check(s: str) -> str:
    """The ISO/IEC 7064 MOD 37,36 (hybrid) check character of ``s`` (``0-9A-Z``, upper case).

    :raises InvalidCodeError: ``s`` holds a character outside ``0-9A-Z``.
    """
    p = 36
    for c in _text(s, "input"):
        v = _VALUE36.get(c)
        if v is None:
            raise InvalidCodeError(f"character {c!r} is not in 0-9A-Z (upper case)", part="input")
        t = (p + v) % 36 or 36
        p = (2 * t) % 37
    return _ALNUM36[(37 - p) % 36]


# --------------------------------------------------------------------------------------------
# Unified social credit code (GB 32100-2015)


def organisation_check_char(first8: str) -> str:
    """GB 11714 organisation-code check character of 8 characters (``X`` for 10, ``0`` for 11)."""
    if len(first8) != 8:
        raise InvalidCodeError("an organisation code body is 8 characters", part="organisation_code")
    total = 0
    for c, w in zip(first8, _ORG_WEIGHTS):
        v = _VALUE36.get(c)
        if v is None:
            raise InvalidCodeError(f"organisation code character {c!r} is not in 0-9A-Z", part="organisation_code")
        total += v * w
    c11 = 11 - total % 11
    return "X" if c11 == 10 else "0" if c11 == 11 else str(c11)


def uscc_check_char(first17: str) -> str:
    """GB 32100 check character of the first 17 USCC characters (``31 - Σ mod 31``, 31 → 0).

    :raises InvalidCodeError: wrong length or a character outside the USCC alphabet.
    """
    _text(first17, "USCC")
    if len(first17) != 17:
        raise InvalidCodeError(f"need the first 17 USCC characters, got {len(first17)}", part="uscc")
    total = 0
    for i, (c, w) in enumerate(zip(first17, _USCC_WEIGHTS)):
        v = _USCC_VALUE.get(c)
        if v is None:
            raise InvalidCodeError(
                f"USCC character {i + 1} {c!r} is not in the GB 32100 alphabet "
                "0-9 A-H J-N P-R T U W-Y (no I, O, S, V, Z; upper case)",
                part="uscc",
            )
        total += v * w
    c18 = 31 - total % 31
    return _USCC_ALPHABET[0 if c18 == 31 else c18]


@dataclass(frozen=True)
class USCC:
    """A parsed unified social credit code (统一社会信用代码, GB 32100-2015).

    :ivar registration_department: position 1 (1 机构编制, 5 民政, 9 工商, Y 其他, ...).
    :ivar category: position 2 (机构类别).
    :ivar region: positions 3–8, the GB/T 2260 code of the registering authority.
    :ivar organisation_code: positions 9–17 (GB 11714 主体标识码 incl. its check character).
    :ivar check_ok: the position-18 check character is right (always True unless ``allow_legacy``).
    :ivar organisation_check_ok: position 17 is the GB 11714 check of positions 9–16; reported,
        not enforced (whether every issued code passes it is UNCONFIRMED).
    """

    code: str
    registration_department: str
    category: str
    region: str
    organisation_code: str
    check_ok: bool
    organisation_check_ok: bool


def validate_uscc(code: str, *, allow_legacy: bool = False) -> USCC:
    """Validate an 18-character USCC and return its parts.

    :param allow_legacy: accept a wrong position-18 check character (some early pilot-region
        codes legitimately fail it, standards.md §7.4); ``check_ok`` then tells.
    :raises InvalidCodeError: wrong length, bad character, region not 6 digits, bad check.
    """
    _text(code, "USCC")
    if len(code) != 18:
        raise InvalidCodeError(f"a USCC has 18 characters, {code!r} has {len(code)}", part="uscc")
    expected = uscc_check_char(code[:17])
    if code[17] not in _USCC_VALUE:
        raise InvalidCodeError(f"USCC check character {code[17]!r} is not in the GB 32100 alphabet", part="check")
    if not _DIGITS_RE.fullmatch(code[2:8]):
        raise InvalidCodeError(f"USCC positions 3-8 must be a 6-digit region code, got {code[2:8]!r}", part="region")
    check_ok = expected == code[17]
    if not check_ok and not allow_legacy:
        raise InvalidCodeError(
            f"USCC {code!r}: check character is {code[17]!r}, expected {expected!r}", part="check"
        )
    org_ok = organisation_check_char(code[8:16]) == code[16]
    return USCC(code, code[0], code[1], code[2:8], code[8:17], check_ok, org_ok)


def make_uscc(region: str, body: str, *, department: str = "9", category: str = "1") -> str:
    """Build a valid USCC (for tests and examples): ``department category region body org-check check``.

    :param region: 6-digit GB/T 2260 code.
    :param body: 8 characters of the organisation code (its GB 11714 check is appended).
    """
    if not _DIGITS_RE.fullmatch(region) or len(region) != 6:
        raise InvalidCodeError(f"region must be 6 digits, got {region!r}", part="region")
    first16 = department + category + region + body
    if len(first16) != 16:
        raise InvalidCodeError("department and category are 1 character each, body 8", part="uscc")
    first17 = first16 + organisation_check_char(body)
    return first17 + uscc_check_char(first17)


# --------------------------------------------------------------------------------------------
# Resident ID number (GB 11643-1999)


def id_check_char(first17: str) -> str:
    """ISO/IEC 7064 MOD 11-2 check character of 17 digits (``X`` for 10)."""
    _text(first17, "ID number")
    if len(first17) != 17 or not _DIGITS_RE.fullmatch(first17):
        raise InvalidCodeError("need the first 17 digits of the ID number", part="id_number")
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


@dataclass(frozen=True)
class IDNumber:
    """A parsed 18-digit resident ID number (公民身份号码, GB 11643-1999)."""

    code: str
    region: str
    birth_date: date
    order: int

    @property
    def sex(self) -> str:
        """``"male"`` (odd order code) or ``"female"`` (even)."""
        return "male" if self.order % 2 else "female"


def validate_id_number(code: str, *, today: date | None = None) -> IDNumber:
    """Validate an 18-character resident ID number and return its parts.

    Checks: 17 digits + digit or upper-case ``X``; a region code whose first two digits are a
    GB/T 2260 province (11–82 ranges); a real birth date from 1800 up to ``today``; MOD 11-2.

    :param today: the date "the future" starts after (default: the local date).
    :raises InvalidCodeError: naming the bad part.
    """
    _text(code, "ID number")
    if len(code) != 18:
        raise InvalidCodeError(f"an ID number has 18 characters, got {len(code)}", part="id_number")
    if not _DIGITS_RE.fullmatch(code[:17]):
        raise InvalidCodeError("the first 17 characters of an ID number are digits", part="id_number")
    if code[17] not in _ID_CHECK:
        hint = " (use upper-case 'X')" if code[17] == "x" else ""
        raise InvalidCodeError(f"ID number check character {code[17]!r} is not 0-9 or X{hint}", part="check")
    if int(code[:2]) not in _PROVINCES:
        raise InvalidCodeError(f"region code {code[:6]} has no GB/T 2260 province {code[:2]}", part="region")
    try:
        born = date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        raise InvalidCodeError(f"birth date {code[6:14]} is not a real date", part="birth_date") from None
    if born.year < _MIN_BIRTH_YEAR or born > (today or date.today()):
        raise InvalidCodeError(f"birth date {born.isoformat()} is implausible (before 1800 or in the future)",
                               part="birth_date")
    expected = id_check_char(code[:17])
    if code[17] != expected:
        raise InvalidCodeError(f"ID number check character is {code[17]!r}, expected {expected!r}", part="check")
    return IDNumber(code, code[:6], born, int(code[14:17]))


def make_id_number(region: str, birth_date: date, order: int) -> str:
    """Build a valid ID number (for tests and examples) from region, birth date and order (0–999)."""
    if len(region) != 6 or not _DIGITS_RE.fullmatch(region):
        raise InvalidCodeError(f"region must be 6 digits, got {region!r}", part="region")
    if not 0 <= order <= 999:
        raise InvalidCodeError(f"order must be 0..999, got {order}", part="order")
    first17 = f"{region}{birth_date.year:04d}{birth_date.month:02d}{birth_date.day:02d}{order:03d}"
    return first17 + id_check_char(first17)


# --------------------------------------------------------------------------------------------
# Licence identifier (GB/T 36904)


def _check_type_code(type_code: str, allow_legacy: bool) -> None:
    if len(type_code) != 21:
        raise InvalidCodeError(
            f"type code {type_code!r} must be 21 characters (18-character USCC of the defining body "
            f"+ 3-digit sequence), got {len(type_code)}",
            part="type_code",
        )
    if not _DIGITS_RE.fullmatch(type_code[18:]):
        raise InvalidCodeError(f"type code {type_code!r} must end in 3 digits", part="type_code")
    try:
        validate_uscc(type_code[:18], allow_legacy=allow_legacy)
    except InvalidCodeError as exc:
        raise InvalidCodeError(f"type code: defining body's USCC: {exc.message}", part="type_code") from None


def _check_issuer_code(issuer_code: str, allow_legacy: bool) -> None:
    if len(issuer_code) == 6 and _DIGITS_RE.fullmatch(issuer_code):
        return  # the 6-digit GB/T 2260 area-code variant seen in the wild
    if len(issuer_code) != 18:
        raise InvalidCodeError(
            f"issuer code {issuer_code!r} must be an 18-character USCC or a 6-digit area code",
            part="issuer_code",
        )
    try:
        validate_uscc(issuer_code, allow_legacy=allow_legacy)
    except InvalidCodeError as exc:
        raise InvalidCodeError(f"issuer code: {exc.message}", part="issuer_code") from None


def _check_serial_version(serial: str, version: str) -> None:
    if not 1 <= len(serial) <= _MAX_SERIAL or not _SERIAL_RE.fullmatch(serial):
        raise InvalidCodeError(
            f"serial {serial!r} must be 1-{_MAX_SERIAL} characters of 0-9A-Z (upper case)", part="serial"
        )
    if len(version) != 3 or not _DIGITS_RE.fullmatch(version):
        raise InvalidCodeError(f"version {version!r} must be 3 digits", part="version")


@dataclass(frozen=True)
class LicenceIdentifier:
    """An electronic-licence identifier (电子证照标识, GB/T 36904 / standards.md §7.1).

    ``str(identifier)`` gives ``1.2.156.3005.2.<type>.<issuer>.<serial>.<version>.<check>``.
    Construct with :meth:`parse` or :meth:`build`; both validate everything.
    """

    type_code: str
    issuer_code: str
    serial: str
    version: str
    check: str

    def __str__(self) -> str:
        return f"{LICENCE_ROOT_ARC}.{self.type_code}.{self.issuer_code}.{self.serial}.{self.version}.{self.check}"

    @property
    def defining_body_code(self) -> str:
        """The USCC of the body that defined the licence type (first 18 characters of the type code)."""
        return self.type_code[:18]

    @classmethod
    def build(
        cls, type_code: str, issuer_code: str, serial: str, version: str = "001", *, allow_legacy: bool = False
    ) -> LicenceIdentifier:
        """Validate the parts and compute the MOD 37,36 check character.

        :param allow_legacy: accept USCCs with a wrong check character inside the type and issuer codes.
        :raises InvalidCodeError: naming the bad part.
        """
        for value, what in ((type_code, "type_code"), (issuer_code, "issuer_code"), (serial, "serial"),
                            (version, "version")):
            _text(value, what)
        _check_type_code(type_code, allow_legacy)
        _check_issuer_code(issuer_code, allow_legacy)
        _check_serial_version(serial, version)
        return cls(type_code, issuer_code, serial, version, mod37_36_check(type_code + issuer_code + serial + version))

    @classmethod
    def parse(cls, text: str, *, allow_legacy: bool = False) -> LicenceIdentifier:
        """Parse and fully validate an identifier string (strict: no spaces, upper case).

        :raises InvalidCodeError: naming the bad part (root, type_code, issuer_code, serial,
            version or check).
        """
        _text(text, "licence identifier")
        root = LICENCE_ROOT_ARC + "."
        if not text.startswith(root):
            raise InvalidCodeError(f"a licence identifier starts with {root!r}", part="root")
        parts = text[len(root):].split(".")
        if len(parts) != 5:
            raise InvalidCodeError(
                f"after the root a licence identifier has 5 dot-separated parts "
                f"(type.issuer.serial.version.check), got {len(parts)}",
                part="structure",
            )
        type_code, issuer_code, serial, version, check = parts
        built = cls.build(type_code, issuer_code, serial, version, allow_legacy=allow_legacy)
        if check != built.check:
            raise InvalidCodeError(
                f"licence identifier check character is {check!r}, expected {built.check!r} (MOD 37,36)",
                part="check",
            )
        return built
