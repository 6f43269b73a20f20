"""SM2 signature doctor: find out how a foreign system made a signature.

SM2 interop fails for a handful of reasons (reference/interop.md): the signer
ID (OpenSSL 3.0 defaults to the empty ID, GM/T 0009 to ``1234567812345678``),
the signature encoding (DER, raw r||s, GM/T 0018 ECCSignature with 64-byte
halves, hex or base64 text), and what was hashed (SM3(Z||M) as the standard
says, plain SM3(M) without Z, or a digest handed over directly).
:func:`diagnose_signature` tries every combination and reports which verify.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass

from trustkit.errors import DecodeError, InvalidSignature
from trustkit.primitives import sm2, sm3

__all__ = ["DoctorReport", "Variant", "diagnose_signature"]


@dataclass(frozen=True)
class Variant:
    """One way of producing an SM2 signature.

    :ivar hashing: ``"z"`` (e = SM3(Z||M), the standard), ``"plain-sm3"`` (e = SM3(M), Z skipped)
        or ``"prehashed"`` (the data *is* e).
    :ivar uid: the signer ID inside Z (only for ``hashing == "z"``).
    :ivar encoding: ``"der"``, ``"raw"`` (r||s, 64 bytes) or ``"ecc-signature"`` (GM/T 0018,
        32-byte values right-aligned in two 64-byte halves).
    :ivar text: ``"binary"``, ``"hex"`` or ``"base64"``: how the signature bytes were wrapped.
    """

    hashing: str
    uid: bytes | None
    encoding: str
    text: str

    def describe(self) -> str:
        parts = {
            "z": f"SM3(Z || M) with signer ID {self.uid!r}",
            "plain-sm3": "plain SM3(M) without Z (non-standard)",
            "prehashed": "the data is already the 32-byte digest e",
        }[self.hashing]
        return f"{parts}; signature {self.encoding} ({self.text})"


@dataclass(frozen=True)
class DoctorReport:
    """What verified: ``matches`` is empty when nothing did."""

    matches: tuple[Variant, ...]
    tried: int

    @property
    def ok(self) -> bool:
        return bool(self.matches)

    @property
    def advice(self) -> str:
        if not self.matches:
            return (
                "No known variant verifies. Check that the public key belongs to the signer, that the "
                "data is byte-for-byte what was signed (line endings, encoding), and ask the peer for "
                "their signer ID."
            )
        best = self.matches[0]
        if best.hashing == "z" and best.uid == sm2.DEFAULT_UID:
            note = "The signature follows GM/T 0009 (default signer ID)."
        elif best.hashing == "z" and best.uid == b"":
            note = (
                "The peer signs with the EMPTY signer ID: this is OpenSSL 3.0's default when "
                "-pkeyopt distid:1234567812345678 is not given. Verify with uid=b'' or ask the peer "
                "to pass the distid option."
            )
        elif best.hashing == "z":
            note = f"The peer uses the custom signer ID {best.uid!r}; pass it as uid=."
        elif best.hashing == "plain-sm3":
            note = (
                "The peer hashes the message without Z (gmssl's sign() rather than sign_with_sm3(), "
                "or a bare SM3 digest). This is not GB/T 32918; ask the peer to include Z."
            )
        else:
            note = "The peer signs a digest you supplied; verify with PublicKey.verify_digest()."
        if best.encoding != "der" or best.text != "binary":
            note += f" The signature is carried as {best.encoding} in {best.text} form."
        return note


def _text_forms(signature: bytes) -> list[tuple[str, bytes]]:
    forms = [("binary", signature)]
    stripped = signature.strip()
    try:
        text = stripped.decode("ascii")
    except UnicodeDecodeError:
        return forms
    compact = "".join(text.split())
    try:
        forms.append(("hex", bytes.fromhex(compact)))
    except ValueError:
        pass
    try:
        forms.append(("base64", base64.b64decode(compact, validate=True)))
    except (binascii.Error, ValueError):
        pass
    return forms


def _raw_forms(blob: bytes) -> list[tuple[str, bytes]]:
    """(encoding name, 64-byte r||s) candidates for one byte string."""
    out: list[tuple[str, bytes]] = []
    try:
        out.append(("der", sm2.decode_signature_der(blob)))
    except DecodeError:
        pass
    if len(blob) == 64:
        out.append(("raw", blob))
    if len(blob) == 128 and not any(blob[:32]) and not any(blob[64:96]):
        out.append(("ecc-signature", blob[32:64] + blob[96:]))
    return out


def diagnose_signature(
    public_key: sm2.PublicKey,
    signature: bytes,
    data: bytes,
    *,
    extra_uids: Sequence[bytes] = (),
) -> DoctorReport:
    """Try every known (hashing, signer ID, encoding, text form) combination.

    :param extra_uids: more signer IDs to try besides the default and the empty ID.
    :returns: the variants that verify, standard ones first.
    """
    uids: list[bytes] = [sm2.DEFAULT_UID, b""]
    for uid in extra_uids:
        if uid not in uids:
            uids.append(bytes(uid))
    hashings: list[tuple[str, bytes | None, bytes]] = []  # (hashing, uid, digest)
    for uid in uids:
        if len(uid) <= sm2.MAX_UID_BYTES:
            e = sm3.hash(public_key.compute_z(uid) + data)
            hashings.append(("z", uid, e))
    hashings.append(("plain-sm3", None, sm3.hash(data)))
    if len(data) == 32:
        hashings.append(("prehashed", None, data))

    matches: list[Variant] = []
    tried = 0
    for text, blob in _text_forms(signature):
        for encoding, raw in _raw_forms(blob):
            for hashing, signer_id, e in hashings:
                tried += 1
                try:
                    public_key.verify_digest(raw, e, encoding="raw")
                except InvalidSignature:
                    continue
                matches.append(Variant(hashing, signer_id, encoding, text))
    return DoctorReport(tuple(matches), tried)
