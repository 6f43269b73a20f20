"""TOTP second factor (RFC 6238) with pyotp: enrolment URI and QR image, a replay guard.

Recovery codes (for a lost phone) are random 60-bit values shown once, stored as keyed
HMAC-SM3 digests and spendable once each.

A code is accepted in the current 30 s step or one step either side (``valid_window=1``),
and each user can spend a time step once: the store keeps the last step used and accepts
only later ones, so an intercepted code cannot be replayed, not even on another node.
"""

from __future__ import annotations

import base64
import hmac
import io
import secrets

import pyotp
import segno

from trustkit.identity.store import SQLStore
from trustkit.primitives import sm3

__all__ = [
    "enrolment_qr_png",
    "enrolment_uri",
    "new_recovery_codes",
    "new_secret",
    "verify_recovery_code",
    "verify_totp",
]

_STEP = 30


def new_secret() -> str:
    """A fresh random base32 TOTP secret (160 bits)."""
    return pyotp.random_base32(32)


def enrolment_uri(secret: str, *, account: str, issuer: str) -> str:
    """The ``otpauth://totp/...`` URI authenticator apps import (Key Uri Format)."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def enrolment_qr_png(secret: str, *, account: str, issuer: str, scale: int = 5) -> bytes:
    """The enrolment URI as a QR code PNG."""
    out = io.BytesIO()
    segno.make(enrolment_uri(secret, account=account, issuer=issuer), error="m").save(out, kind="png", scale=scale)
    return out.getvalue()


def verify_totp(store: SQLStore, sub: str, secret: str, code: str, *, now: float, valid_window: int = 1) -> bool:
    """Check ``code`` for ``sub`` at time ``now`` and spend its time step.

    :returns: True once per time step; False for a wrong code or a replayed step.
    """
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(secret)
    current = int(now) // _STEP
    matched: int | None = None
    for step in range(current - valid_window, current + valid_window + 1):
        # Compare every candidate (no early exit) so timing does not reveal which step matched.
        if hmac.compare_digest(totp.generate_otp(step), code):
            matched = step
    if matched is None:
        return False
    return store.use_totp_step(sub, matched)


def _recovery_digest(pepper: bytes, code: str) -> str:
    normal = code.strip().replace("-", "").replace(" ", "").upper()
    return sm3.hmac(pepper, b"recovery|" + normal.encode("ascii", "replace")).hex()


def new_recovery_codes(store: SQLStore, pepper: bytes, sub: str, count: int = 10) -> list[str]:
    """Replace ``sub``'s recovery codes with ``count`` new ones and return them (show them once).

    Each is 12 base32 characters (60 bits) written ``XXXX-XXXX-XXXX``.
    """
    codes = []
    for _ in range(count):
        raw = base64.b32encode(secrets.token_bytes(8)).decode("ascii")[:12]
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    store.set_recovery_codes(sub, [_recovery_digest(pepper, c) for c in codes])
    return codes


def verify_recovery_code(store: SQLStore, pepper: bytes, sub: str, code: str) -> bool:
    """Spend one of ``sub``'s recovery codes; True once per code."""
    if not 12 <= len(code) <= 20:
        return False
    return store.use_recovery_code(sub, _recovery_digest(pepper, code))
