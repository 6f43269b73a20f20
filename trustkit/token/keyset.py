"""Key sets: the keys a verifier trusts and an issuer signs with, rotation, and JWKS documents.

Rotation (RFC 7517 has no rotation protocol; this is the usual practice)::

    keys = KeySet()
    keys.rotate(SigningJWK.generate("SM2"))        # current SM2 signing key
    keys.rotate(SigningJWK.generate("ES256"))      # current ES256 signing key (one per alg)
    ...
    new = SigningJWK.generate("SM2")
    keys.add(new)                 # optional: publish it in the JWKS before it signs
    keys.rotate(new)              # now it signs; the old SM2 key still verifies
    keys.retire(old_kid)          # gone from verification and from the JWKS

Publishing: SM2 keys go into their own document (``jwks(kind="sm2")``) because off-the-shelf JOSE
libraries break on a set that mixes them with standard keys (joserfc 1.8 raises ``KeyError('SM2')``
for the whole set).  Symmetric HS256 keys are never published.

A :class:`KeySet` is safe to share between threads: writers replace an immutable snapshot under
a lock, readers use whichever snapshot is current.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from trustkit.errors import (
    ConfigurationError,
    DecodeError,
    InvalidKeyError,
    UnsupportedAlgorithmError,
)
from trustkit.token._codec import json_loads
from trustkit.token.jwk import PRIVATE_MEMBERS, PublicJWK, SecretJWK, SigningJWK

__all__ = ["MAX_JWKS_BYTES", "MAX_JWKS_KEYS", "JWKSKind", "KeySet", "VerificationKey"]

#: A key that can verify tokens.
VerificationKey = PublicJWK | SecretJWK
JWKSKind = Literal["standard", "sm2"]

MAX_JWKS_BYTES = 1 << 20
MAX_JWKS_KEYS = 256


@dataclass(frozen=True)
class _Snapshot:
    verify: Mapping[str, VerificationKey] = field(default_factory=dict)
    signing: Mapping[str, SigningJWK | SecretJWK] = field(default_factory=dict)  # kid -> signing key
    current: Mapping[str, str] = field(default_factory=dict)  # alg -> kid


class KeySet:
    """Verification keys by ``kid``, plus the current signing key per algorithm.

    :param keys: initial keys (:class:`SigningJWK` keys can sign; the first one per alg becomes
        current).
    """

    __slots__ = ("_lock", "_snap", "notes")

    def __init__(self, keys: Iterable[PublicJWK | SigningJWK | SecretJWK] = ()) -> None:
        self._snap = _Snapshot()
        self._lock = threading.Lock()
        #: Keys skipped by :meth:`from_jwks`, one sentence each.
        self.notes: tuple[str, ...] = ()
        for key in keys:
            self.add(key, current=isinstance(key, (SigningJWK, SecretJWK)) and not self._has_current(key))

    def _has_current(self, key: SigningJWK | SecretJWK) -> bool:
        return key.alg in self._snap.current

    # ---- changes ---------------------------------------------------------------------------

    def add(self, key: PublicJWK | SigningJWK | SecretJWK, *, current: bool = False) -> str:
        """Add a key for verification (and for signing when it is a :class:`SigningJWK` or
        :class:`SecretJWK` and ``current``).  Adding the same key again is a no-op.

        :returns: the key's ``kid``.
        :raises ValueError: another key already has this ``kid``; or ``current`` for a public key.
        """
        public: VerificationKey = key.public if isinstance(key, (SigningJWK, SecretJWK)) else key
        if current and not isinstance(key, (SigningJWK, SecretJWK)):
            raise ValueError("a public key cannot be the current signing key")
        with self._lock:
            snap = self._snap
            existing = snap.verify.get(public.kid)
            if existing is not None and existing is not public and not _same_key(existing, public):
                raise ValueError(f"another key already has kid {public.kid!r}")
            verify = dict(snap.verify)
            verify[public.kid] = public
            signing = dict(snap.signing)
            cur = dict(snap.current)
            if isinstance(key, (SigningJWK, SecretJWK)):
                signing[key.kid] = key
                if current:
                    cur[key.alg] = key.kid
            self._snap = _Snapshot(verify, signing, cur)
        return public.kid

    def rotate(self, key: SigningJWK | SecretJWK) -> str:
        """Make ``key`` the current signing key for its ``alg``; earlier keys keep verifying until
        :meth:`retire`.

        :returns: the new key's ``kid``.
        """
        return self.add(key, current=True)

    def retire(self, kid: str) -> None:
        """Remove a key: it no longer verifies, signs or appears in a JWKS.

        :raises KeyError: no key has this ``kid``.
        """
        with self._lock:
            snap = self._snap
            if kid not in snap.verify:
                raise KeyError(kid)
            verify = {k: v for k, v in snap.verify.items() if k != kid}
            signing = {k: v for k, v in snap.signing.items() if k != kid}
            cur = {alg: k for alg, k in snap.current.items() if k != kid}
            self._snap = _Snapshot(verify, signing, cur)

    # ---- reading ---------------------------------------------------------------------------

    def signing_key(self, alg: str = "SM2") -> SigningJWK | SecretJWK:
        """The current signing key for ``alg``.

        :raises ConfigurationError: no current key for ``alg`` (call :meth:`rotate`).
        """
        snap = self._snap
        kid = snap.current.get(alg)
        if kid is None:
            raise ConfigurationError(f"the key set has no current signing key for {alg!r}")
        return snap.signing[kid]

    def current_algorithms(self) -> frozenset[str]:
        """The algorithms that have a current signing key."""
        return frozenset(self._snap.current)

    def get(self, kid: str) -> VerificationKey | None:
        """The verification key with this ``kid``, or None."""
        return self._snap.verify.get(kid)

    def keys_for(self, alg: str) -> tuple[VerificationKey, ...]:
        """Every verification key that may verify ``alg`` tokens."""
        return tuple(key for key in self._snap.verify.values() if key.supports(alg))

    def kids(self) -> tuple[str, ...]:
        return tuple(self._snap.verify)

    def __len__(self) -> int:
        return len(self._snap.verify)

    def __iter__(self) -> Iterator[VerificationKey]:
        return iter(tuple(self._snap.verify.values()))

    def __contains__(self, kid: object) -> bool:
        return kid in self._snap.verify

    def __repr__(self) -> str:
        snap = self._snap
        return f"KeySet({len(snap.verify)} keys, current={dict(snap.current)!r})"

    # ---- JWKS ------------------------------------------------------------------------------

    def jwks(self, kind: JWKSKind = "standard") -> dict[str, list[dict[str, str]]]:
        """The public JWKS document (RFC 7517 5): ``"standard"`` holds EC P-256/P-384, RSA and
        Ed25519 keys; ``"sm2"`` holds only SM2 keys.  Never private members, never secret keys."""
        if kind not in ("standard", "sm2"):
            raise ValueError("kind must be 'standard' or 'sm2'")
        want_sm2 = kind == "sm2"
        return {"keys": [key.to_dict() for key in self._snap.verify.values()
                         if isinstance(key, PublicJWK) and key.is_sm2 == want_sm2]}

    @classmethod
    def from_jwks(cls, document: Mapping[str, Any] | str | bytes, *, max_bytes: int = MAX_JWKS_BYTES) -> KeySet:
        """A verification key set from a public JWKS document (ours or anyone's).

        Strict where it matters, tolerant where other issuers differ: a key holding private
        members (``d``, ``p``, ``k`` ...) makes the whole document invalid; keys of an unknown
        ``kty``/``crv``, for encryption (``use: enc``), or otherwise unusable are skipped and
        described in :attr:`notes`.  Duplicate ``kid`` values are refused.

        :raises DecodeError: not a JSON object with a ``keys`` array, too large, private
            members, or duplicate ``kid``.
        """
        if isinstance(document, (str, bytes)):
            raw = document.encode("utf-8") if isinstance(document, str) else document
            if len(raw) > max_bytes:
                raise DecodeError(f"the JWKS document is larger than {max_bytes} bytes")
            parsed = json_loads(raw, "JWKS document")
        else:
            parsed = document
        if not isinstance(parsed, Mapping) or not isinstance(parsed.get("keys"), list):
            raise DecodeError("a JWKS document is a JSON object with a 'keys' array (RFC 7517 5)")
        entries: list[Any] = parsed["keys"]
        if len(entries) > MAX_JWKS_KEYS:
            raise DecodeError(f"the JWKS document has more than {MAX_JWKS_KEYS} keys")
        result = cls()
        notes: list[str] = []
        for index, entry in enumerate(entries):
            if not isinstance(entry, Mapping):
                raise DecodeError(f"JWKS key #{index} is not a JSON object")
            private = PRIVATE_MEMBERS & entry.keys()
            if private:
                raise DecodeError(f"JWKS key #{index} holds private members ({', '.join(sorted(private))}); "
                                  "a public JWKS must not")
            label = f"key #{index}" + (f" (kid {entry['kid']!r})" if isinstance(entry.get("kid"), str) else "")
            if entry.get("use") not in (None, "sig"):
                notes.append(f"{label} skipped: use {entry.get('use')!r} is not 'sig'")
                continue
            ops = entry.get("key_ops")
            if isinstance(ops, list) and "verify" not in ops:
                notes.append(f"{label} skipped: key_ops does not include 'verify'")
                continue
            try:
                key = PublicJWK.from_dict(entry)
            except (UnsupportedAlgorithmError, InvalidKeyError) as exc:
                notes.append(f"{label} skipped: {exc}")
                continue
            except DecodeError as exc:
                notes.append(f"{label} skipped: {exc}")
                continue
            if key.kid in result:
                raise DecodeError(f"the JWKS document has two keys with kid {key.kid!r}")
            result.add(key)
        result.notes = tuple(notes)
        return result


def _same_key(a: VerificationKey, b: VerificationKey) -> bool:
    if isinstance(a, PublicJWK) and isinstance(b, PublicJWK):
        return a.to_dict() == b.to_dict()
    return a is b
