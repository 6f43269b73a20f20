"""SM2 signature doctor: find out how a foreign system made a signature.

SM2 interop fails for a handful of reasons (reference/interop.md, standards.md 1.4-1.5):

* the signer ID inside Z: GM/T 0009 says ``1234567812345678``, OpenSSL 3.0 uses the
  EMPTY ID unless ``-pkeyopt distid:...`` is given, some systems use their own;
* the signature encoding: DER ``SM2Signature``, raw r||s (64 bytes), GM/T 0018
  ``ECCSignature`` (32-byte values right-aligned in two 64-byte halves, 128 bytes),
  any of them possibly wrapped as hex or base64 text;
* what was hashed: e = SM3(Z || M) as the standard says, plain SM3(M) without Z,
  or the data handed over already being the 32-byte digest e;
* the public key: 64 bytes X||Y with the ``04`` prefix missing.

:func:`diagnose_signature` tries every combination and reports which ones verify.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trustkit.errors import DecodeError, InvalidSignature
from trustkit.primitives import sm2, sm3

__all__ = ["DoctorReport", "Variant", "diagnose_signature"]

#: Names used in :attr:`Variant.hashing`.
HASHINGS = ("z", "plain-sm3", "prehashed")
#: Names used in :attr:`Variant.encoding`.
ENCODINGS = ("der", "raw", "ecc-signature")
#: Names used in :attr:`Variant.text`.
TEXT_FORMS = ("binary", "hex", "base64")
#: Names used in :attr:`DoctorReport.public_key_form`.
KEY_FORMS = ("as-given", "missing-04-prefix")

_MAX_SIGNATURE_INPUT = 1 << 16


@dataclass(frozen=True)
class Variant:
    """One way of producing an SM2 signature.

    :ivar hashing: ``"z"`` (e = SM3(Z||M), the standard), ``"plain-sm3"`` (e = SM3(M), Z skipped)
        or ``"prehashed"`` (the data *is* e).
    :ivar uid: the signer ID inside Z (only for ``hashing == "z"``, else None).
    :ivar encoding: ``"der"``, ``"raw"`` (r||s, 64 bytes) or ``"ecc-signature"`` (GM/T 0018,
        32-byte values right-aligned in two 64-byte halves).
    :ivar text: ``"binary"``, ``"hex"`` or ``"base64"``: how the signature bytes were wrapped.
    """

    hashing: str
    uid: bytes | None
    encoding: str
    text: str

    @property
    def standard(self) -> bool:
        """True for the GM/T 0009 combination: Z with the default ID, DER, binary."""
        return (self.hashing, self.uid, self.encoding, self.text) == ("z", sm2.DEFAULT_UID, "der", "binary")

    def describe(self) -> str:
        """One line for people."""
        hashing = {
            "z": f"e = SM3(Z || M) with signer ID {_show_uid(self.uid or b'')}",
            "plain-sm3": "e = SM3(M): plain SM3 without Z (non-standard)",
            "prehashed": "the data is already the 32-byte digest e",
        }[self.hashing]
        encoding = {
            "der": "DER SM2Signature",
            "raw": "raw 64-byte r||s",
            "ecc-signature": "GM/T 0018 ECCSignature (128 bytes, values right-aligned in 64-byte halves)",
        }[self.encoding]
        text = "" if self.text == "binary" else f", as {self.text} text"
        return f"{hashing}; signature is {encoding}{text}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (the signer ID as UTF-8 text where possible and as hex)."""
        return {
            "hashing": self.hashing,
            "uid": None if self.uid is None else self.uid.decode("utf-8", "replace"),
            "uid_hex": None if self.uid is None else self.uid.hex(),
            "signature_encoding": self.encoding,
            "text": self.text,
            "standard": self.standard,
            "description": self.describe(),
        }


@dataclass(frozen=True)
class DoctorReport:
    """What verified.

    :ivar matches: the variants that verify, the most standard first; empty when none did.
    :ivar tried: how many (text form, encoding, hashing, ID) combinations were tried.
    :ivar public_key_form: ``"as-given"`` or ``"missing-04-prefix"`` (a bare 64-byte X||Y was
        given and read as 04||X||Y).
    """

    matches: tuple[Variant, ...]
    tried: int
    public_key_form: str = "as-given"

    @property
    def ok(self) -> bool:
        return bool(self.matches)

    @property
    def best(self) -> Variant | None:
        return self.matches[0] if self.matches else None

    @property
    def advice(self) -> str:
        """What to do about it, in a few sentences."""
        notes: list[str] = []
        best = self.best
        if best is None:
            notes.append(
                "No known variant verifies. Check that the public key belongs to the signer, that the "
                "data is byte-for-byte what was signed (line endings, a trailing newline, text encoding, "
                "base64 of the data instead of the data), and ask the peer for their signer ID "
                "(try it with --id / extra_uids)."
            )
        elif best.standard:
            notes.append("The signature follows GM/T 0009: default signer ID 1234567812345678, DER encoding.")
        else:
            if best.hashing == "z" and best.uid == sm2.DEFAULT_UID:
                notes.append("The peer uses the GM/T 0009 default signer ID 1234567812345678.")
            elif best.hashing == "z" and best.uid == b"":
                notes.append(
                    "The peer signs with the EMPTY signer ID: OpenSSL 3.0's default when "
                    "-pkeyopt distid:1234567812345678 (or -sigopt/-vfyopt distid:...) is not given. "
                    "Verify with uid=b'' (trustkit verify --id ''), or ask the peer to pass the distid option."
                )
            elif best.hashing == "z":
                notes.append(
                    f"The peer uses the custom signer ID {_show_uid(best.uid or b'')}: pass it as uid= "
                    "(trustkit verify --id ...)."
                )
            elif best.hashing == "plain-sm3":
                notes.append(
                    "The peer hashes the message without Z (for example gmssl's sign() instead of "
                    "sign_with_sm3(), or a bare SM3 digest passed to a raw signing call). This is not "
                    "GB/T 32918.2; ask the peer to include Z. Meanwhile verify with "
                    "verify_digest(signature, sm3.hash(message))."
                )
            else:
                notes.append(
                    "The data is the 32-byte digest e itself (the peer signed a precomputed hash); "
                    "verify with PublicKey.verify_digest(signature, e)."
                )
            if best.encoding == "raw":
                notes.append("The signature is raw r||s: use encoding='raw' (trustkit verify --sig-format raw).")
            elif best.encoding == "ecc-signature":
                notes.append(
                    "The signature is a GM/T 0018 ECCSignature (SDF device API): take the low 32 bytes of "
                    "each 64-byte half to get raw r||s."
                )
            if best.text != "binary":
                notes.append(f"The signature bytes are wrapped as {best.text} text: decode them first.")
        if self.public_key_form == "missing-04-prefix":
            notes.append(
                "The public key was a bare 64-byte X||Y without the 04 prefix (common in gmssl and "
                "sm-crypto); it was read as 04||X||Y. Tools that expect SEC 1 points need the prefix."
            )
        return " ".join(notes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "verified": self.ok,
            "tried": self.tried,
            "public_key_form": self.public_key_form,
            "matches": [m.to_dict() for m in self.matches],
            "advice": self.advice,
        }


def _show_uid(uid: bytes) -> str:
    if uid == b"":
        return "'' (EMPTY)"
    try:
        text = uid.decode("utf-8")
    except UnicodeDecodeError:
        return f"hex:{uid.hex()}"
    return repr(text) if text.isprintable() else f"hex:{uid.hex()}"


def _compact_text(blob: bytes) -> str | None:
    try:
        return "".join(blob.decode("ascii").split())
    except UnicodeDecodeError:
        return None


def _text_forms(signature: bytes) -> list[tuple[str, bytes]]:
    """(text form, bytes) candidates: the input itself, and its hex / base64 decodings."""
    forms = [("binary", signature)]
    text = _compact_text(signature)
    if not text:
        return forms
    try:
        forms.append(("hex", bytes.fromhex(text)))
    except ValueError:
        pass
    try:
        forms.append(("base64", base64.b64decode(text, validate=True)))
    except (binascii.Error, ValueError):
        pass
    return forms


def _raw_forms(blob: bytes) -> list[tuple[str, bytes]]:
    """(encoding, 64-byte r||s) candidates for one byte string."""
    out: list[tuple[str, bytes]] = []
    if blob[:1] == b"\x30":
        try:
            out.append(("der", sm2.decode_signature_der(blob)))
        except DecodeError:
            pass
    if len(blob) == 64:
        out.append(("raw", blob))
    if len(blob) == 128 and not any(blob[:32]) and not any(blob[64:96]):
        out.append(("ecc-signature", blob[32:64] + blob[96:]))
    return out


def _public_key(key: sm2.PublicKey | bytes) -> tuple[sm2.PublicKey, str]:
    if isinstance(key, sm2.PublicKey):
        return key, "as-given"
    blob = bytes(key)
    candidates = [blob]
    text = _compact_text(blob)
    if text:
        try:
            candidates.append(bytes.fromhex(text))
        except ValueError:
            pass
    for candidate in candidates:
        if len(candidate) == 64:
            return sm2.load_public_key(b"\x04" + candidate), "missing-04-prefix"
    return sm2.load_public_key(blob), "as-given"


def diagnose_signature(
    public_key: sm2.PublicKey | bytes,
    signature: bytes,
    data: bytes,
    *,
    extra_uids: Sequence[bytes] = (),
) -> DoctorReport:
    """Try every known (text form, encoding, hashing, signer ID) combination.

    :param public_key: a :class:`~trustkit.sm2.PublicKey`, or the bytes of a public key file
        (PEM, DER, a 65/33-byte point, hex, or a bare 64-byte X||Y missing its 04 prefix).
    :param signature: the signature exactly as received (binary, hex or base64 text).
    :param data: the data the peer says it signed.
    :param extra_uids: more signer IDs to try besides the default and the empty ID.
    :returns: the variants that verify, the most standard first.
    :raises DecodeError, InvalidKeyError: the public key bytes cannot be read.
    :raises ValueError: a signer ID longer than ``sm2.MAX_UID_BYTES``.
    """
    public, key_form = _public_key(public_key)
    signature = bytes(signature)
    data = bytes(data)
    uids: list[bytes] = [sm2.DEFAULT_UID, b""]
    for uid in extra_uids:
        uid = bytes(uid)
        if len(uid) > sm2.MAX_UID_BYTES:
            raise ValueError(f"an SM2 signer ID is at most {sm2.MAX_UID_BYTES} bytes")
        if uid not in uids:
            uids.append(uid)
    hashings: list[tuple[str, bytes | None, bytes]] = []  # (hashing, uid, e)
    for uid in uids:
        hashings.append(("z", uid, sm3.hash(public.compute_z(uid) + data)))
    hashings.append(("plain-sm3", None, sm3.hash(data)))
    if len(data) == 32:
        hashings.append(("prehashed", None, data))

    matches: list[Variant] = []
    tried = 0
    if len(signature) <= _MAX_SIGNATURE_INPUT:
        for text, blob in _text_forms(signature):
            for encoding, raw in _raw_forms(blob):
                for hashing, signer_id, e in hashings:
                    tried += 1
                    try:
                        public.verify_digest(raw, e, encoding="raw")
                    except InvalidSignature:
                        continue
                    matches.append(Variant(hashing, signer_id, encoding, text))
    matches.sort(key=_rank)
    return DoctorReport(tuple(matches), tried, key_form)


def _rank(variant: Variant) -> tuple[int, int, int, int]:
    uid_rank = 0 if variant.uid == sm2.DEFAULT_UID else 1 if variant.uid == b"" else 2
    return (
        HASHINGS.index(variant.hashing),
        uid_rank,
        ENCODINGS.index(variant.encoding),
        TEXT_FORMS.index(variant.text),
    )
