"""Scan-to-show (扫码亮证) QR payloads: offline-verifiable, modelled on the EU Digital COVID Certificate.

Pipeline (DCC's, with SM2)::

    claims (CBOR map) -> COSE_Sign1 (or COSE_Sign for two signatures) -> zlib -> Base45 -> "TKL1:" + text

**Claims** (a CWT-style CBOR map, RFC 8392 keys): ``1`` iss = issuing authority USCC, ``6`` iat,
``4`` exp (integer seconds since the epoch), ``7`` cti = random 12-byte nonce (show mode only),
and ``"tkl"`` = the licence map: ``v`` (1), ``id`` identifier, ``tc``/``tn`` type code and name,
``no`` licence number, ``ht`` holder identity type, ``hn``/``hc`` holder name and code (masked for
persons: ``张*三``, ``110***********002X``; organisations, whose USCC and name are public, in full),
``hh`` = the first 16 bytes of SM3("TKL1 holder" 0x00 identifier 0x00 full holder code) (absent
when not requested), ``vt`` valid-to ``YYYY-MM-DD`` or null (long-term), ``st`` status,
``md`` ``"show"`` or ``"static"``.  ``hh`` lets a verifier who is shown the holder's document
confirm the match (:meth:`QrClaims.holder_code_matches`); it is **not** secret-keeping: the
masked code plus the hash let anyone search the hidden digits of an ID number offline.

**Signature**: COSE_Sign1 (RFC 9052 §4.2, CBOR tag 18) with protected header ``{1: alg, 4: kid}``,
signature over the ``Sig_structure`` ``["Signature1", protected, h'', payload]``.
``alg`` = :data:`COSE_ALG_SM2` (-70001, in IANA's private-use range "less than -65536"; no COSE
value for SM2 is registered): SM2 over SM3(Z ‖ Sig_structure) with the default ID
1234567812345678, signature as 64-byte ``r ‖ s`` like COSE's ECDSA.  With a second signer the
structure is COSE_Sign (tag 98) with an empty body header and one COSE_Signature per signer
(``["Signature", h'', sign_protected, h'', payload]``); the second is ES256 (alg -7, P-256 +
SHA-256, ``r ‖ s``) so that verifiers without SM2 can check it.  ``kid`` = the first 8 bytes of
SHA-256 over the signing certificate's DER (as DCC).

**Trust list** (UTF-8 JSON, signed like the status list, see :mod:`.status`)::

    {"format": "trustkit-qr-trust-list/1", "sequence": 3, "issued_at": "2026-06-01T00:00:00Z",
     "entries": [{"kid": "<base64 8 bytes>", "certificate": "<PEM>", "issuer_name": "...",
                  "issuer_code": "<USCC>", "not_after": "2027-06-01T00:00:00Z"}, ...],
     "signature": {"algorithm": "1.2.156.10197.1.501", "value": "<base64>"}}

An entry's key may sign only for its ``issuer_code`` (``iss``), only while ``now <= not_after``,
and only tokens issued (``iat``) inside its certificate's validity.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import struct
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any, Literal

import cbor2
import zxingcpp
from cryptography.exceptions import InvalidSignature as _PycaInvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from PIL import Image

from trustkit import sm2, sm3
from trustkit.errors import (
    DecodeError,
    ExpiredQRError,
    InvalidSignature,
    UnsupportedAlgorithmError,
    UntrustedIssuerError,
)
from trustkit.licence.codes import LicenceIdentifier, validate_uscc
from trustkit.licence.model import LicenceRecord
from trustkit.licence.status import (
    StatusList,
    format_time,
    load_signed_json,
    parse_time,
    sign_json,
)
from trustkit.pki import algorithms
from trustkit.pki.certificate import Certificate
from trustkit.pki.signer import Signer

__all__ = [
    "COSE_ALG_ES256",
    "COSE_ALG_SM2",
    "PREFIX",
    "TRUST_LIST_FORMAT",
    "ExpiredQRError",
    "QrCheck",
    "QrClaims",
    "QrVerification",
    "TrustList",
    "TrustListEntry",
    "UntrustedIssuerError",
    "b45decode",
    "b45encode",
    "kid_of",
    "load_trust_list",
    "make_qr_payload",
    "make_trust_list",
    "mask_code",
    "mask_name",
    "qr_png",
    "qr_svg",
    "verify_qr_payload",
]

PREFIX = "TKL1:"
#: Private-use COSE algorithm value for SM2-with-SM3 (default ID, r || s).
COSE_ALG_SM2 = -70001
COSE_ALG_ES256 = -7
TRUST_LIST_FORMAT = "trustkit-qr-trust-list/1"

MAX_QR_TEXT = 4096
_MAX_CBOR = 16 * 1024
_MAX_TRUST_LIST = 8 * 1024 * 1024
_NONCE_BYTES = 12
_HOLDER_HASH_BYTES = 16
_CLOCK_SKEW = timedelta(minutes=5)
_COSE_SIGN1_TAG, _COSE_SIGN_TAG = 18, 98
_SM2_OID = "1.2.156.10197.1.501"


# ------------------------------------------------------------------------------------------
# Base45 (RFC 9285)

_B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_BYTES = _B45.encode("ascii")
_B45_TO_VALUE = bytes.maketrans(_B45_BYTES, bytes(range(45)))


def b45encode(data: bytes) -> str:
    """RFC 9285 Base45: each 2 bytes -> 3 characters (little end first), a last byte -> 2."""
    out: list[str] = []
    append = out.append
    for i in range(0, len(data) - 1, 2):
        n = (data[i] << 8) | data[i + 1]
        e, rest = divmod(n, 2025)
        d, c = divmod(rest, 45)
        append(_B45[c] + _B45[d] + _B45[e])
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        append(_B45[c] + _B45[d])
    return "".join(out)


def b45decode(text: str) -> bytes:
    """Decode RFC 9285 Base45.

    :raises DecodeError: a character outside the alphabet, a dangling character, or a triple
        above 65535 (RFC 9285 §4.2 requires refusing those).
    """
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        raise DecodeError("Base45: non-ASCII character") from None
    bad = raw.translate(None, _B45_BYTES)
    if bad:
        raise DecodeError(f"Base45: character {chr(bad[0])!r} is not in the alphabet")
    # Map characters to their values with one translate, then combine the three columns.
    values = raw.translate(_B45_TO_VALUE)
    full, rem = divmod(len(values), 3)
    if rem == 1:
        raise DecodeError("Base45: dangling final character")
    end = full * 3
    numbers = [c + d * 45 + e * 2025 for c, d, e in zip(values[0:end:3], values[1:end:3], values[2:end:3])]
    if numbers and max(numbers) > 0xFFFF:
        raise DecodeError("Base45: a 3-character group exceeds 65535")
    out = struct.pack(f">{full}H", *numbers)
    if rem == 2:
        n = values[-2] + values[-1] * 45
        if n > 0xFF:
            raise DecodeError("Base45: the final 2-character group exceeds 255")
        out += bytes((n,))
    return out


# ------------------------------------------------------------------------------------------
# Masking


def mask_name(name: str) -> str:
    """``张三`` -> ``张*``, ``张小三`` -> ``张*三``, longer: first and last kept."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_code(code: str) -> str:
    """Keep the first 3 and last 4 characters (ID number: province + city, order + check)."""
    if len(code) <= 7:
        return code[:1] + "*" * (len(code) - 1)
    return code[:3] + "*" * (len(code) - 7) + code[-4:]


def _holder_hash(identifier: str, holder_code: str) -> bytes:
    data = b"TKL1 holder\x00" + identifier.encode() + b"\x00" + holder_code.encode()
    return sm3.hash(data)[:_HOLDER_HASH_BYTES]


def kid_of(certificate: Certificate) -> bytes:
    """COSE ``kid``: the first 8 bytes of SHA-256 over the certificate DER (as DCC)."""
    return hashlib.sha256(certificate.der).digest()[:8]


# ------------------------------------------------------------------------------------------
# Trust list


@dataclass(frozen=True)
class TrustListEntry:
    """A key allowed to sign QR payloads for ``issuer_code`` until ``not_after``."""

    kid: bytes
    certificate: Certificate
    issuer_name: str
    issuer_code: str
    not_after: datetime

    @classmethod
    def from_certificate(
        cls, certificate: Certificate, *, issuer_name: str, issuer_code: str, not_after: datetime | None = None
    ) -> TrustListEntry:
        """An entry for ``certificate`` (``not_after`` defaults to the certificate's)."""
        validate_uscc(issuer_code)
        return cls(kid_of(certificate), certificate, issuer_name, issuer_code,
                   (not_after or certificate.not_after).replace(microsecond=0))


@dataclass(frozen=True)
class TrustList:
    """A verified trust list: entries by ``kid``."""

    sequence: int
    issued_at: datetime
    entries: Mapping[bytes, TrustListEntry]
    signer_certificate: Certificate

    def get(self, kid: bytes) -> TrustListEntry | None:
        return self.entries.get(kid)


def make_trust_list(entries: Iterable[TrustListEntry], signer: Signer, *, sequence: int,
                    issued_at: datetime | None = None) -> bytes:
    """Build and sign a trust-list file (format in the module docstring)."""
    items = sorted(entries, key=lambda e: e.kid)
    if len({e.kid for e in items}) != len(items):
        raise ValueError("two trust-list entries have the same kid")
    body = {
        "format": TRUST_LIST_FORMAT,
        "sequence": sequence,
        "issued_at": format_time((issued_at or datetime.now(timezone.utc)).replace(microsecond=0)),
        "entries": [
            {"kid": base64.b64encode(e.kid).decode(), "certificate": e.certificate.to_pem().decode("ascii"),
             "issuer_name": e.issuer_name, "issuer_code": e.issuer_code, "not_after": format_time(e.not_after)}
            for e in items
        ],
    }
    return sign_json(body, signer)


def load_trust_list(data: bytes, *, trust_anchor_certificate: Certificate) -> TrustList:
    """Verify a trust-list file with ``trust_anchor_certificate`` and parse it.

    Each entry's ``kid`` must match its certificate; SM2 keys get their verify tables built.

    :raises DecodeError: malformed file or entry. :raises InvalidSignature: bad signature.
    """
    obj = load_signed_json(data, trust_anchor_certificate, fmt=TRUST_LIST_FORMAT, max_bytes=_MAX_TRUST_LIST)
    if set(obj) != {"format", "sequence", "issued_at", "entries"}:
        raise DecodeError("trust list: members must be format, sequence, issued_at, entries, signature")
    seq, raw_entries = obj["sequence"], obj["entries"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise DecodeError("trust list: sequence must be a non-negative integer")
    if not isinstance(raw_entries, list) or len(raw_entries) > 10_000:
        raise DecodeError("trust list: entries must be a list of at most 10000")
    entries: dict[bytes, TrustListEntry] = {}
    for raw in raw_entries:
        if not isinstance(raw, dict) or set(raw) != {"kid", "certificate", "issuer_name", "issuer_code", "not_after"}:
            raise DecodeError("trust list entry: members must be kid, certificate, issuer_name, issuer_code, not_after")
        if not all(isinstance(v, str) for v in raw.values()):
            raise DecodeError("trust list entry: every member is a string")
        cert = Certificate.load(raw["certificate"].encode("ascii", "replace"))
        try:
            kid = base64.b64decode(raw["kid"], validate=True)
        except ValueError:
            raise DecodeError("trust list entry: kid is not base64") from None
        if kid != kid_of(cert):
            raise DecodeError(f"trust list entry: kid {raw['kid']} does not match its certificate")
        if kid in entries:
            raise DecodeError(f"trust list entry: kid {raw['kid']} listed twice")
        validate_uscc(raw["issuer_code"])
        if not 1 <= len(raw["issuer_name"]) <= 200:
            raise DecodeError("trust list entry: issuer_name must be 1-200 characters")
        if isinstance(cert.public_key, sm2.PublicKey):
            cert.public_key.precompute()
        entries[kid] = TrustListEntry(kid, cert, raw["issuer_name"], raw["issuer_code"],
                                      parse_time(raw["not_after"], "trust list entry not_after"))
    return TrustList(seq, parse_time(obj["issued_at"], "issued_at"), MappingProxyType(entries),
                     trust_anchor_certificate)


# ------------------------------------------------------------------------------------------
# Making payloads


def _alg_of(signer: Signer) -> int:
    oid = signer.signature_algorithm()["algorithm"].dotted
    if oid == _SM2_OID:
        return COSE_ALG_SM2
    if oid == algorithms.ECDSA_WITH_SHA256:
        return COSE_ALG_ES256
    raise UnsupportedAlgorithmError(f"QR payloads are signed with SM2 or ES256, not {oid}")


def _raw_signature(alg: int, der: bytes) -> bytes:
    if alg == COSE_ALG_SM2:
        return sm2.decode_signature_der(der)
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _epoch(value: datetime) -> int:
    if value.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return int(value.timestamp())


def make_qr_payload(
    record: LicenceRecord,
    signer: Signer,
    *,
    second_signer: Signer | None = None,
    show_minutes: int | None = None,
    lifetime: timedelta = timedelta(days=365),
    include_holder_hash: bool = True,
    now: datetime | None = None,
) -> str:
    """Sign a scan-to-show payload for ``record``; returns the QR text (``"TKL1:..."``).

    :param signer: SM2 (or ES256) signer whose certificate is in the verifiers' trust list.
    :param second_signer: optional second signer (ES256 for non-SM2 verifiers): COSE_Sign.
    :param show_minutes: short-lived "show" mode: ``exp = now + minutes`` (1..1440) and a random
        nonce, against screenshots being passed around.
    :param lifetime: static mode: ``exp = now + lifetime``, capped at the signing certificate's expiry.
    """
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    if show_minutes is not None:
        if isinstance(show_minutes, bool) or not isinstance(show_minutes, int) or not 1 <= show_minutes <= 1440:
            raise ValueError("show_minutes must be an int from 1 to 1440")
        exp = now + timedelta(minutes=show_minutes)
    else:
        exp = min(now + lifetime, signer.certificate.not_after,
                  *([] if second_signer is None else [second_signer.certificate.not_after]))
    ident = str(record.identifier)
    licence: dict[str, Any] = {
        "v": 1, "id": ident, "tc": record.licence_type_code, "tn": record.licence_type_name,
        "no": record.licence_number, "ht": record.holder_id_type,
        "hn": mask_name(record.holder_name) if record.is_person else record.holder_name,
        "hc": mask_code(record.holder_code) if record.is_person else record.holder_code,
        "vt": None if record.valid_to is None else record.valid_to.isoformat(),
        "st": record.status, "md": "static" if show_minutes is None else "show",
    }
    if include_holder_hash:
        licence["hh"] = _holder_hash(ident, record.holder_code)
    claims: dict[Any, Any] = {1: record.issuer_code, 6: _epoch(now), 4: _epoch(exp), "tkl": licence}
    if show_minutes is not None:
        claims[7] = os.urandom(_NONCE_BYTES)
    payload = cbor2.dumps(claims, canonical=True)
    signers = [signer] if second_signer is None else [signer, second_signer]
    headers = [cbor2.dumps({1: _alg_of(s), 4: kid_of(s.certificate)}, canonical=True) for s in signers]
    if second_signer is None:
        tbs = cbor2.dumps(["Signature1", headers[0], b"", payload])
        sig = _raw_signature(_alg_of(signer), signer.sign(tbs))
        cose = cbor2.CBORTag(_COSE_SIGN1_TAG, [headers[0], {}, payload, sig])
    else:
        sigs = []
        for s, h in zip(signers, headers):
            tbs = cbor2.dumps(["Signature", b"", h, b"", payload])
            sigs.append([h, {}, _raw_signature(_alg_of(s), s.sign(tbs))])
        cose = cbor2.CBORTag(_COSE_SIGN_TAG, [b"", {}, payload, sigs])
    text = PREFIX + b45encode(zlib.compress(cbor2.dumps(cose), 9))
    if len(text) > MAX_QR_TEXT:
        raise ValueError(f"QR text would be {len(text)} characters (limit {MAX_QR_TEXT}): shorten the fields")
    return text


_EC_LEVELS = {"l": "L", "m": "M", "q": "Q", "h": "H"}


def _qr_modules(payload: str, *, error: str = "m", mask: int | None = None) -> tuple[int, bytes]:
    """The QR symbol of ``payload`` without its quiet zone: ``(n, pixels)``, n x n bytes row by row,
    ``0`` = dark module, ``255`` = light (8-bit grey).

    Encoded by zxing-cpp (C++ with zint, ISO/IEC 18004: smallest version for the level, modes
    chosen per segment, so the Base45 text goes in alphanumeric mode).  Scoring all eight masks
    (``mask=None``) takes about 1.2 ms for a licence payload; a fixed mask about 0.15 ms
    (pure-Python segno took 20 ms and 4 ms).

    :param error: error-correction level ``"l"``, ``"m"``, ``"q"`` or ``"h"``.
    :param mask: a fixed mask pattern 0-7, or None for the lowest penalty score.
    :raises ValueError: an unknown level or mask, or a payload too long for any QR version.
    """
    level = _EC_LEVELS.get(error.lower())
    if level is None:
        raise ValueError(f"QR error-correction level must be one of l, m, q, h, not {error!r}")
    if mask is not None and mask not in range(8):
        raise ValueError(f"QR mask must be 0-7, not {mask!r}")
    options: dict[str, Any] = {"ec_level": level} if mask is None else {"ec_level": level, "data_mask": mask}
    try:
        symbol = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, **options)
    except (ValueError, RuntimeError) as exc:  # zxing-cpp (zint): "Error 561: Input too long ..."
        raise ValueError(f"cannot encode {len(payload)} characters as a QR code: {exc}") from None
    image: Any = symbol.to_image(scale=1, add_quiet_zones=False)  # 8-bit grey; the stub omits its buffer protocol
    pixels = memoryview(image)
    height, width = pixels.shape or (0, 0)
    if height != width or height < 21:
        raise ValueError(f"unexpected QR symbol shape {pixels.shape}")
    return width, pixels.tobytes()


def qr_png(payload: str, *, scale: int = 4, border: int = 4, error: str = "m", mask: int | None = None) -> bytes:
    """A 1-bit PNG of the QR code (zxing-cpp; the Base45 text fits QR alphanumeric mode).

    :param scale: pixels per module (1-100).
    :param border: quiet zone in modules (ISO/IEC 18004 asks for 4; keep 4 for phone scanning).
    :param error: error-correction level ``"l"``, ``"m"``, ``"q"`` or ``"h"``.
    :param mask: a fixed QR mask pattern 0-7.  None scores all eight (the best symbol, about
        1.2 ms for a typical payload); a fixed mask is about 8x faster, for bulk issuance.
    """
    if not 1 <= scale <= 100 or border < 0:
        raise ValueError("scale must be 1-100 and border >= 0")
    size, pixels = _qr_modules(payload, error=error, mask=mask)
    light = b"\xff" * (size + 2 * border)
    rows = [light] * border
    rows += [b"\xff" * border + pixels[i * size:(i + 1) * size] + b"\xff" * border for i in range(size)]
    rows += [light] * border
    full = size + 2 * border
    packed = Image.frombytes("L", (full, full), b"".join(rows)).convert("1", dither=Image.Dither.NONE).tobytes()
    return _png_1bit(full, packed, scale)


@functools.lru_cache(maxsize=8)
def _bit_expansion(scale: int) -> tuple[bytes, ...]:
    """For each byte of 8 pixels, the ``scale`` bytes with every bit repeated ``scale`` times."""
    table = []
    for byte in range(256):
        value = 0
        for i in range(8):
            bit = (byte >> (7 - i)) & 1
            value = (value << scale) | (((1 << scale) - 1) * bit)
        table.append(value.to_bytes(scale, "big"))
    return tuple(table)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_1bit(size: int, packed: bytes, scale: int) -> bytes:
    """A greyscale 1-bit PNG (ISO/IEC 15948) of a square ``size`` x ``size`` image given as rows
    packed 8 pixels a byte, MSB first, 1 = white (Pillow's mode "1" raw layout), each pixel drawn
    as ``scale`` x ``scale``.

    Written directly rather than by upscaling with Pillow and its PNG encoder (0.8 ms for a
    licence QR, this about 0.15 ms): each module row is expanded once, its first pixel row uses
    filter type 0 (None) and its ``scale - 1`` repeats filter type 2 (Up), which makes them zero
    bytes that DEFLATE stores in almost nothing.
    """
    small_stride = (size + 7) // 8
    if len(packed) != small_stride * size:
        raise ValueError("packed rows do not match the image size")
    width = size * scale
    stride = (width + 7) // 8
    table = _bit_expansion(scale)
    repeat = b"\x02" + bytes(stride)
    rows: list[bytes] = []
    for start in range(0, len(packed), small_stride):
        line = b"".join([table[byte] for byte in packed[start:start + small_stride]])[:stride]
        rows.append(b"\x00" + line)
        rows.extend([repeat] * (scale - 1))
    header = struct.pack(">IIBBBBB", width, width, 1, 0, 0, 0, 0)  # bit depth 1, greyscale, no interlace
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(b"".join(rows), 6)) + _png_chunk(b"IEND", b""))


def qr_svg(payload: str, *, scale: int = 4, border: int = 4, error: str = "m", mask: int | None = None) -> bytes:
    """An SVG of the QR code: one path of the dark runs on a white square (parameters as :func:`qr_png`)."""
    if scale < 1 or border < 0:
        raise ValueError("scale must be >= 1 and border >= 0")
    size, pixels = _qr_modules(payload, error=error, mask=mask)
    runs = []
    for y in range(size):
        row = pixels[y * size:(y + 1) * size]
        x = 0
        while x < size:
            if row[x]:
                x += 1
                continue
            end = x
            while end < size and not row[end]:
                end += 1
            runs.append(f"M{x + border} {y + border}h{end - x}v1h-{end - x}z")
            x = end
    full = size + 2 * border
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{full * scale}" height="{full * scale}" '
            f'viewBox="0 0 {full} {full}" shape-rendering="crispEdges">'
            f'<rect width="{full}" height="{full}" fill="#fff"/><path fill="#000" d="{"".join(runs)}"/></svg>\n'
            ).encode("ascii")


# ------------------------------------------------------------------------------------------
# Verifying payloads


@dataclass(frozen=True)
class QrClaims:
    """The verified claims of a QR payload (holder fields as carried: masked for persons)."""

    issuer_code: str
    issued_at: datetime
    expires_at: datetime
    nonce: bytes | None
    identifier: LicenceIdentifier
    licence_type_code: str
    licence_type_name: str
    licence_number: str
    holder_id_type: str
    holder_name: str
    holder_code: str
    holder_code_hash: bytes | None
    valid_to: date | None
    status: str
    mode: Literal["show", "static"]

    def holder_code_matches(self, holder_code: str) -> bool:
        """True when ``holder_code`` (from the presented document) is the one the licence names."""
        if self.holder_code_hash is None:
            return False
        return hmac.compare_digest(_holder_hash(str(self.identifier), holder_code), self.holder_code_hash)


@dataclass(frozen=True)
class QrCheck:
    """One licence-level check: ``name``, ``ok`` and a human message."""

    name: str
    ok: bool
    message: str


@dataclass(frozen=True)
class QrVerification:
    """A QR payload whose signatures verified; ``checks`` judge the licence itself.

    ``valid`` is True when every check passed (status valid, within validity, not listed).
    """

    claims: QrClaims
    signer_certificates: tuple[Certificate, ...]
    checks: tuple[QrCheck, ...] = field(default=())

    @property
    def valid(self) -> bool:
        return all(c.ok for c in self.checks)


def _decode_cose(text: str) -> Any:
    if not isinstance(text, str):
        raise TypeError("the QR payload is a str")
    if len(text) > MAX_QR_TEXT:
        raise DecodeError(f"QR payload is longer than {MAX_QR_TEXT} characters")
    if not text.startswith(PREFIX):
        raise DecodeError(f"QR payload does not start with {PREFIX!r}")
    compressed = b45decode(text[len(PREFIX):])
    d = zlib.decompressobj()
    try:
        raw = d.decompress(compressed, _MAX_CBOR)
    except zlib.error as exc:
        raise DecodeError(f"QR payload: bad zlib data ({exc})") from None
    if d.unconsumed_tail:
        raise DecodeError(f"QR payload decompresses to more than {_MAX_CBOR} bytes")
    if not d.eof or d.unused_data:
        raise DecodeError("QR payload: truncated zlib data or trailing bytes")
    try:
        return cbor2.loads(raw)
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError) as exc:
        raise DecodeError(f"QR payload: bad CBOR ({exc})") from None


def _bstr(value: object, what: str, limit: int = _MAX_CBOR) -> bytes:
    if not isinstance(value, bytes) or len(value) > limit:
        raise DecodeError(f"QR payload: {what} must be a byte string")
    return value


def _header(protected: bytes) -> tuple[int, bytes]:
    try:
        h = cbor2.loads(protected)
    except (cbor2.CBORDecodeError, ValueError, TypeError) as exc:
        raise DecodeError(f"QR payload: bad protected header ({exc})") from None
    if not isinstance(h, Mapping) or set(h) != {1, 4}:
        raise DecodeError("QR payload: the protected header must be {alg, kid}")
    alg, kid = h[1], h[4]
    if alg not in (COSE_ALG_SM2, COSE_ALG_ES256):
        raise UnsupportedAlgorithmError(f"QR payload: COSE algorithm {alg!r} (allowed: SM2 {COSE_ALG_SM2}, ES256 -7)")
    return alg, _bstr(kid, "kid", 8)


def _verify_one(alg: int, key: object, signature: bytes, tbs: bytes) -> None:
    if len(signature) != 64:
        raise InvalidSignature("QR signature verification failed")
    if alg == COSE_ALG_SM2 and isinstance(key, sm2.PublicKey):
        key.verify(signature, tbs, encoding="raw")
        return
    if alg == COSE_ALG_ES256 and isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        try:
            key.verify(der, tbs, ec.ECDSA(hashes.SHA256()))
        except _PycaInvalidSignature:
            raise InvalidSignature("QR signature verification failed") from None
        return
    raise InvalidSignature("QR signature verification failed")


def _signatures(cose: Any) -> tuple[bytes, list[tuple[int, bytes, bytes, bytes]]]:
    """(payload, [(alg, kid, signature, to-be-signed bytes)]) from a COSE_Sign1 or COSE_Sign."""
    if not isinstance(cose, cbor2.CBORTag) or cose.tag not in (_COSE_SIGN1_TAG, _COSE_SIGN_TAG):
        raise DecodeError("QR payload: not a tagged COSE_Sign1 or COSE_Sign structure")
    v = cose.value
    # cbor2 decodes the contents of a tag as immutable tuple / frozendict
    if not isinstance(v, (list, tuple)) or len(v) != 4 or not isinstance(v[1], Mapping):
        raise DecodeError("QR payload: a COSE structure has 4 members")
    payload = _bstr(v[2], "payload")
    if cose.tag == _COSE_SIGN1_TAG:
        protected = _bstr(v[0], "protected header", 64)
        alg, kid = _header(protected)
        tbs = cbor2.dumps(["Signature1", protected, b"", payload])
        return payload, [(alg, kid, _bstr(v[3], "signature", 64), tbs)]
    if _bstr(v[0], "body header", 64) != b"" or not isinstance(v[3], (list, tuple)) or not 1 <= len(v[3]) <= 2:
        raise DecodeError("QR payload: COSE_Sign needs an empty body header and 1 or 2 signatures")
    out = []
    for s in v[3]:
        if not isinstance(s, (list, tuple)) or len(s) != 3 or not isinstance(s[1], Mapping):
            raise DecodeError("QR payload: a COSE_Signature has 3 members")
        protected = _bstr(s[0], "protected header", 64)
        alg, kid = _header(protected)
        tbs = cbor2.dumps(["Signature", b"", protected, b"", payload])
        out.append((alg, kid, _bstr(s[2], "signature", 64), tbs))
    return payload, out


def _time(value: object, what: str) -> datetime:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**40:
        raise DecodeError(f"QR claims: {what} must be a non-negative integer time")
    return datetime.fromtimestamp(value, timezone.utc)


def _claims(payload: bytes) -> QrClaims:
    try:
        c = cbor2.loads(payload)
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError) as exc:
        raise DecodeError(f"QR claims: bad CBOR ({exc})") from None
    if not isinstance(c, Mapping) or not {1, 4, 6, "tkl"} <= set(c) or not set(c) <= {1, 4, 6, 7, "tkl"}:
        raise DecodeError("QR claims: expected iss, iat, exp, tkl (and cti in show mode)")
    lic = c["tkl"]
    required = {"v", "id", "tc", "tn", "no", "ht", "hn", "hc", "vt", "st", "md"}
    if not isinstance(lic, Mapping) or not required <= set(lic) or not set(lic) <= required | {"hh"} \
            or type(lic["v"]) is not int or lic["v"] != 1:
        raise DecodeError("QR claims: the tkl map has unknown or missing members, or version is not 1")
    for k in required - {"v", "vt"}:
        if not isinstance(lic[k], str) or len(lic[k]) > 256:
            raise DecodeError(f"QR claims: tkl.{k} must be a short string")
    if not isinstance(c[1], str):
        raise DecodeError("QR claims: iss must be a string")
    nonce = c.get(7)
    if nonce is not None:
        nonce = _bstr(nonce, "cti", 32)
    hh = lic.get("hh")
    if hh is not None and (not isinstance(hh, bytes) or len(hh) != _HOLDER_HASH_BYTES):
        raise DecodeError("QR claims: tkl.hh must be 16 bytes")
    vt = lic["vt"]
    if vt is not None and not isinstance(vt, str):
        raise DecodeError("QR claims: tkl.vt must be a date string or null")
    try:
        valid_to = None if vt is None else date.fromisoformat(vt)
    except ValueError:
        raise DecodeError(f"QR claims: tkl.vt {vt!r} is not YYYY-MM-DD") from None
    mode = lic["md"]
    if mode not in ("show", "static") or (mode == "show") != (nonce is not None):
        raise DecodeError("QR claims: md must be show (with a cti nonce) or static (without)")
    issued_at, expires_at = _time(c[6], "iat"), _time(c[4], "exp")
    if mode == "show" and expires_at - issued_at > timedelta(minutes=1440):
        raise DecodeError("QR claims: a show-mode token lives at most 24 hours")
    return QrClaims(c[1], issued_at, expires_at, nonce, LicenceIdentifier.parse(lic["id"]),
                    lic["tc"], lic["tn"], lic["no"], lic["ht"], lic["hn"], lic["hc"], hh, valid_to, lic["st"], mode)


def verify_qr_payload(
    text: str, trust_list: TrustList, *, now: datetime | None = None, status_list: StatusList | None = None
) -> QrVerification:
    """Decode and verify a scan-to-show payload offline.

    Every signature must verify with a trust-list key that is listed for the payload's issuer
    and current; then the token's time window is checked.  Licence-level findings (status not
    valid, validity ended, listed on ``status_list``) go into :attr:`QrVerification.checks`.

    :raises DecodeError: malformed payload (size, prefix, Base45, zlib, CBOR, COSE, claims).
    :raises UnsupportedAlgorithmError: an algorithm other than SM2 (-70001) or ES256.
    :raises UntrustedIssuerError: unknown kid, trust-list entry expired or for another issuer,
        or the token was issued outside the signing certificate's validity.
    :raises InvalidSignature: a signature does not verify.
    :raises ExpiredQRError: ``exp`` has passed (code ``qr_expired``) or ``iat`` is in the future
        (code ``qr_not_yet_valid``; 5 minutes of clock skew tolerated).
    """
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    payload, sigs = _signatures(_decode_cose(text))
    entries = []
    for alg, kid, signature, tbs in sigs:
        entry = trust_list.get(kid)
        if entry is None:
            raise UntrustedIssuerError(f"QR signing key {kid.hex()} is not in the trust list")
        if now > entry.not_after:
            raise UntrustedIssuerError(f"QR signing key {kid.hex()} left the trust list at {entry.not_after}")
        _verify_one(alg, entry.certificate.public_key, signature, tbs)
        entries.append(entry)
    claims = _claims(payload)
    for entry in entries:
        if entry.issuer_code != claims.issuer_code:
            raise UntrustedIssuerError(
                f"QR signing key {entry.kid.hex()} is listed for issuer {entry.issuer_code}, "
                f"not {claims.issuer_code}")
        cert = entry.certificate
        if not cert.not_before <= claims.issued_at <= cert.not_after:
            raise UntrustedIssuerError("the QR token was issued outside its signing certificate's validity")
    if now >= claims.expires_at:
        raise ExpiredQRError(f"the QR token expired at {claims.expires_at:%Y-%m-%d %H:%M:%S} UTC; ask for a fresh one")
    if claims.issued_at > now + _CLOCK_SKEW:
        raise ExpiredQRError(f"the QR token is issued in the future ({claims.issued_at} UTC)", code="qr_not_yet_valid")
    today = now.astimezone(timezone(timedelta(hours=8))).date()  # licence dates are Beijing-time dates
    checks = [
        QrCheck("status", claims.status == "valid", f"licence status in the token: {claims.status}"),
        QrCheck("validity", claims.valid_to is None or today <= claims.valid_to,
                "long-term licence" if claims.valid_to is None else f"licence valid to {claims.valid_to}"),
    ]
    if status_list is not None:
        listed = status_list.lookup(claims.identifier)
        checks.append(QrCheck("status_list", listed is None,
                              "not on the status list" if listed is None
                              else f"{listed.status} on {listed.date} ({listed.reason})"))
        checks.append(QrCheck("status_list_issuer", status_list.issuer_code == claims.issuer_code,
                              f"status list of issuer {status_list.issuer_code}"))
        checks.append(QrCheck("status_list_current", status_list.is_current(now),
                              f"status list {status_list.list_number}, next update {status_list.next_update}"))
    return QrVerification(claims, tuple(e.certificate for e in entries), tuple(checks))
