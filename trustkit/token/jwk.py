"""JSON Web Keys (RFC 7517/7518) for token signing: SM2 and the standard algorithms.

Algorithms and key types:

========  =====================================  ============================================
``alg``   JWK                                    signature
========  =====================================  ============================================
``SM2``   ``{"kty":"EC","crv":"SM2","x","y"}``   SM2 with SM3, signer ID 1234567812345678
                                                 (GM/T 0009 clause 10), raw 64-byte r||s
``ES256`` ``EC`` ``P-256``                       ECDSA P-256 SHA-256, raw r||s (RFC 7518 3.4)
``ES384`` ``EC`` ``P-384``                       ECDSA P-384 SHA-384
``RS256`` ``RSA`` (>= 2048 bits)                 RSASSA-PKCS1-v1_5 SHA-256 (RFC 7518 3.3)
``PS256`` ``RSA`` (>= 2048 bits)                 RSASSA-PSS SHA-256, salt 32 (RFC 7518 3.5)
``EdDSA`` ``OKP`` ``Ed25519``                    Ed25519 (RFC 8037)
``Ed25519`` ``OKP`` ``Ed25519``                  the same, under its RFC 9864 fully-specified name
``HS256`` ``oct`` (>= 32 bytes, never public)    HMAC-SHA-256; only with :class:`SecretJWK`
========  =====================================  ============================================

The standard algorithms' signature arithmetic and RSA/EC/OKP JWK conversion come from PyJWT's
algorithm objects (``jwt.algorithms``, instantiated privately here: no global registry); the
SM2 profile, strict member checks, thumbprints and key caching are ours.

``kid`` defaults to the RFC 7638 JWK thumbprint (SHA-256, base64url).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from jwt.algorithms import (
    Algorithm,
    ECAlgorithm,
    OKPAlgorithm,
    RSAAlgorithm,
    RSAPSSAlgorithm,
)
from jwt.exceptions import PyJWTError

from trustkit.errors import (
    DecodeError,
    InvalidKeyError,
    InvalidSignature,
    UnsupportedAlgorithmError,
)
from trustkit.primitives import sm2, sm3
from trustkit.token._codec import b64url_decode, b64url_encode, json_loads

if TYPE_CHECKING:
    from trustkit.pki.signer import Signer

__all__ = [
    "ALGORITHMS",
    "MIN_RSA_BITS",
    "MIN_SECRET_BYTES",
    "PRIVATE_MEMBERS",
    "SM2_ALIASES",
    "STANDARD_ALGORITHMS",
    "PrivateKeyType",
    "PublicJWK",
    "PublicKeyType",
    "SecretJWK",
    "SigningJWK",
    "default_algorithm",
    "load_public_jwk",
    "load_signing_jwk",
]

#: Asymmetric algorithms whose keys go into the standard JWKS document.
STANDARD_ALGORITHMS: Final = frozenset({"ES256", "ES384", "RS256", "PS256", "EdDSA", "Ed25519"})
#: Every ``alg`` trustkit can sign and verify (HS256 only with a :class:`SecretJWK`).
ALGORITHMS: Final = STANDARD_ALGORITHMS | {"SM2", "HS256"}
#: Names other software writes for our "SM2" profile.  A verifier accepts one only when it is
#: listed in its ``alg_aliases=`` argument.
SM2_ALIASES: Final = frozenset({"SM2SM3", "SM3withSM2", "SM2withSM3", "SM2-SM3", "SM3WITHSM2", "SM2_SM3"})
#: JWK members that hold private key material (RFC 7518 6.2.2, 6.3.2, 6.4; RFC 8037 2).
PRIVATE_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
MIN_RSA_BITS: Final = 2048
MIN_SECRET_BYTES: Final = 32
_MAX_JWK_BYTES = 64 * 1024

PublicKeyType = sm2.PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey
PrivateKeyType = sm2.PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

# PyJWT's algorithm objects are stateless; these instances are ours alone.
_PYJWT: Final[dict[str, Algorithm]] = {
    "ES256": ECAlgorithm(ECAlgorithm.SHA256, ec.SECP256R1),
    "ES384": ECAlgorithm(ECAlgorithm.SHA384, ec.SECP384R1),
    "RS256": RSAAlgorithm(RSAAlgorithm.SHA256),
    "PS256": RSAPSSAlgorithm(RSAPSSAlgorithm.SHA256),
    "EdDSA": OKPAlgorithm(),
    "Ed25519": OKPAlgorithm(),
}
# default_algorithm picks the first that fits, so RSA keys sign RS256 and Ed25519 keys EdDSA.
_PREFERENCE: Final = ("SM2", "ES256", "ES384", "RS256", "PS256", "EdDSA", "Ed25519")
_EC_CURVES: Final = {"P-256": ("ES256", 32), "P-384": ("ES384", 48), "SM2": ("SM2", 32)}


def _key_algorithms(key: PublicKeyType) -> frozenset[str]:
    if isinstance(key, sm2.PublicKey):
        return frozenset({"SM2"})
    if isinstance(key, ec.EllipticCurvePublicKey):
        if isinstance(key.curve, ec.SECP256R1):
            return frozenset({"ES256"})
        if isinstance(key.curve, ec.SECP384R1):
            return frozenset({"ES384"})
        raise UnsupportedAlgorithmError(f"EC curve {key.curve.name} is not supported for tokens (P-256, P-384, SM2)")
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise InvalidKeyError(f"RSA keys for tokens need at least {MIN_RSA_BITS} bits, got {key.key_size}")
        return frozenset({"RS256", "PS256"})
    if isinstance(key, ed25519.Ed25519PublicKey):
        return frozenset({"EdDSA", "Ed25519"})
    raise TypeError(f"unsupported public key type {type(key).__name__}")


def default_algorithm(key: PublicKeyType | PrivateKeyType) -> str:
    """The ``alg`` a key signs with unless told otherwise: SM2 -> ``SM2``, P-256 -> ``ES256``,
    P-384 -> ``ES384``, RSA -> ``RS256``, Ed25519 -> ``EdDSA``."""
    public = _public_of(key) if not isinstance(key, (sm2.PublicKey, ec.EllipticCurvePublicKey, rsa.RSAPublicKey,
                                                     ed25519.Ed25519PublicKey)) else key
    algs = _key_algorithms(public)
    return next(alg for alg in _PREFERENCE if alg in algs)


def _public_of(key: PrivateKeyType) -> PublicKeyType:
    if isinstance(key, (sm2.PrivateKey, ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)):
        return key.public_key()
    raise TypeError(f"unsupported private key type {type(key).__name__}")


def _string_member(obj: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    value = obj.get(name)
    if value is None:
        if required:
            raise DecodeError(f"the JWK has no {name!r} member")
        return None
    if not isinstance(value, str):
        raise DecodeError(f"the JWK member {name!r} must be a string")
    return value


def _public_members(key: PublicKeyType) -> dict[str, str]:
    """The RFC 7638 required members of a public key (exactly what the thumbprint hashes)."""
    if isinstance(key, sm2.PublicKey):
        point = key.public_bytes("raw")
        return {"crv": "SM2", "kty": "EC", "x": b64url_encode(point[1:33]), "y": b64url_encode(point[33:65])}
    if isinstance(key, ec.EllipticCurvePublicKey):
        jwk = ECAlgorithm.to_jwk(key, as_dict=True)
        return {"crv": jwk["crv"], "kty": "EC", "x": jwk["x"], "y": jwk["y"]}
    if isinstance(key, rsa.RSAPublicKey):
        jwk = RSAAlgorithm.to_jwk(key, as_dict=True)
        return {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}
    jwk = OKPAlgorithm.to_jwk(key, as_dict=True)
    return {"crv": "Ed25519", "kty": "OKP", "x": jwk["x"]}


def _thumbprint(members: Mapping[str, str]) -> str:
    # RFC 7638 3: required members only, sorted, no whitespace, UTF-8, SHA-256.
    canonical = json.dumps(dict(sorted(members.items())), separators=(",", ":"), ensure_ascii=False)
    return b64url_encode(hashlib.sha256(canonical.encode("utf-8")).digest())


def _check_kid(kid: str | None) -> None:
    if kid is not None and (not isinstance(kid, str) or not kid or len(kid) > 256):
        raise ValueError("kid must be a non-empty string of at most 256 characters")


def _parse_public(obj: Mapping[str, Any]) -> PublicKeyType:
    """Build a public key from the key members of a JWK (private members are ignored here)."""
    kty = _string_member(obj, "kty")
    key: object
    try:
        if kty == "EC":
            crv = _string_member(obj, "crv")
            if crv not in _EC_CURVES:
                raise UnsupportedAlgorithmError(f"EC curve {crv!r} is not supported (P-256, P-384, SM2)")
            size = _EC_CURVES[crv][1]
            x = b64url_decode(str(_string_member(obj, "x")), "JWK member 'x'")
            y = b64url_decode(str(_string_member(obj, "y")), "JWK member 'y'")
            if len(x) != size or len(y) != size:
                raise InvalidKeyError(f"{crv} coordinates must be {size} bytes each (RFC 7518 6.2.1.2)")
            if crv == "SM2":
                return sm2.PublicKey(b"\x04" + x + y)
            key = ECAlgorithm.from_jwk({"kty": "EC", "crv": crv, "x": obj["x"], "y": obj["y"]})
        elif kty == "RSA":
            for name in ("n", "e"):
                b64url_decode(str(_string_member(obj, name)), f"JWK member {name!r}")
            key = RSAAlgorithm.from_jwk({"kty": "RSA", "n": obj["n"], "e": obj["e"]})
        elif kty == "OKP":
            crv = _string_member(obj, "crv")
            if crv != "Ed25519":
                raise UnsupportedAlgorithmError(f"OKP curve {crv!r} is not supported (Ed25519)")
            if len(b64url_decode(str(_string_member(obj, "x")), "JWK member 'x'")) != 32:
                raise InvalidKeyError("an Ed25519 public key is 32 bytes")
            key = OKPAlgorithm.from_jwk({"kty": "OKP", "crv": "Ed25519", "x": obj["x"]})
        else:
            raise UnsupportedAlgorithmError(f"JWK key type {kty!r} is not supported (EC, RSA, OKP)")
    except (PyJWTError, ValueError, UnsupportedAlgorithm) as exc:
        if isinstance(exc, (DecodeError, InvalidKeyError)):
            raise
        raise InvalidKeyError(f"unusable {kty} JWK: {exc}") from None
    if isinstance(key, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey, ed25519.Ed25519PublicKey)):
        return key
    raise InvalidKeyError(f"unusable {kty} JWK")  # pragma: no cover - from_jwk of public members


def _metadata(obj: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    kid = _string_member(obj, "kid", required=False)
    if kid is not None and not 0 < len(kid) <= 256:
        raise DecodeError("the JWK member 'kid' must hold 1 to 256 characters")
    alg = _string_member(obj, "alg", required=False)
    use = _string_member(obj, "use", required=False)
    ops = obj.get("key_ops")
    if ops is not None and (not isinstance(ops, list) or not all(isinstance(op, str) for op in ops)):
        raise DecodeError("the JWK member 'key_ops' must be an array of strings")
    return kid, alg, use


def _as_mapping(data: Mapping[str, Any] | str | bytes, what: str) -> Mapping[str, Any]:
    if isinstance(data, (str, bytes)):
        raw = data.encode("utf-8") if isinstance(data, str) else data
        if len(raw) > _MAX_JWK_BYTES:
            raise DecodeError(f"the {what} is larger than {_MAX_JWK_BYTES} bytes")
        parsed = json_loads(raw, what)
    else:
        parsed = data
    if not isinstance(parsed, Mapping):
        raise DecodeError(f"the {what} is not a JSON object")
    return parsed


class PublicJWK:
    """A public verification key with its ``kid``, optional ``alg`` restriction and ``use``.

    Holds the parsed key and its per-key verification state (for SM2 the precomputed table of
    :meth:`trustkit.sm2.PublicKey.precompute`, built on first use, and the cached Z value), so a
    long-lived :class:`~trustkit.token.keyset.KeySet` verifies without re-parsing anything.

    :param key: an SM2, EC P-256/P-384, RSA (>= 2048 bits) or Ed25519 public key.
    :param kid: key ID; default the RFC 7638 thumbprint.
    :param alg: restrict the key to one algorithm (published as ``alg``); default any it fits.
    :param use: ``"sig"`` (default) or None to omit.
    :raises UnsupportedAlgorithmError: unsupported curve, or ``alg`` does not fit the key.
    :raises InvalidKeyError: RSA key shorter than 2048 bits.
    """

    __slots__ = ("_members", "_prepared", "alg", "algorithms", "key", "kid", "use")

    def __init__(self, key: PublicKeyType, *, kid: str | None = None, alg: str | None = None,
                 use: str | None = "sig") -> None:
        fits = _key_algorithms(key)
        if alg is not None and alg not in fits:
            raise UnsupportedAlgorithmError(f"alg {alg!r} does not fit this key (it can do {', '.join(sorted(fits))})")
        _check_kid(kid)
        self.key: PublicKeyType = key
        self._members = _public_members(key)
        self.kid: str = kid if kid is not None else _thumbprint(self._members)
        self.alg: str | None = alg
        self.use: str | None = use
        #: The algorithms this key may verify (``{alg}`` when restricted).
        self.algorithms: frozenset[str] = frozenset({alg}) if alg is not None else fits
        self._prepared = False

    @property
    def kty(self) -> str:
        """``"EC"``, ``"RSA"`` or ``"OKP"``."""
        return self._members["kty"]

    @property
    def crv(self) -> str | None:
        """``"SM2"``, ``"P-256"``, ``"P-384"``, ``"Ed25519"`` or None for RSA."""
        return self._members.get("crv")

    @property
    def is_sm2(self) -> bool:
        """True for SM2 keys (published in the separate SM2 JWKS)."""
        return isinstance(self.key, sm2.PublicKey)

    @classmethod
    def from_dict(cls, jwk: Mapping[str, Any] | str | bytes) -> PublicJWK:
        """Import a public JWK (a dict or its JSON text).

        :raises DecodeError: malformed members, or private members present (``d``, ``p``, ``k`` ...).
        :raises UnsupportedAlgorithmError: unknown ``kty``/``crv``.
        :raises InvalidKeyError: the key material is unusable (point not on the curve, short RSA).
        """
        obj = _as_mapping(jwk, "JWK")
        private = PRIVATE_MEMBERS & obj.keys()
        if private:
            raise DecodeError(f"a public JWK must not hold private members ({', '.join(sorted(private))})")
        kid, alg, use = _metadata(obj)
        return cls(_parse_public(obj), kid=kid, alg=alg, use=use)

    def to_dict(self) -> dict[str, str]:
        """The public JWK: key members plus ``kid``, ``use`` and ``alg`` when set."""
        out = dict(self._members)
        out["kid"] = self.kid
        if self.use is not None:
            out["use"] = self.use
        if self.alg is not None:
            out["alg"] = self.alg
        return out

    def thumbprint(self, hash_name: str = "sha256") -> str:
        """RFC 7638 JWK thumbprint, base64url (``hash_name`` ``"sha256"`` or ``"sm3"``)."""
        if hash_name == "sha256":
            return _thumbprint(self._members)
        if hash_name == "sm3":
            canonical = json.dumps(dict(sorted(self._members.items())), separators=(",", ":"))
            return b64url_encode(sm3.hash(canonical.encode("utf-8")))
        raise ValueError("hash_name must be 'sha256' or 'sm3'")

    def supports(self, alg: str) -> bool:
        """Whether this key may verify ``alg`` tokens (``alg`` and ``use`` restrictions included)."""
        return alg in self.algorithms and self.use in (None, "sig")

    def verify(self, alg: str, signing_input: bytes, signature: bytes) -> None:
        """Verify a JWS signature (RFC 7515 5.2 step 8) over ``signing_input``.

        :raises UnsupportedAlgorithmError: this key cannot verify ``alg``.
        :raises InvalidSignature: the signature does not verify (no detail: no oracle).
        """
        if alg not in self.algorithms:
            raise UnsupportedAlgorithmError(f"key {self.kid!r} cannot verify {alg!r}")
        key = self.key
        if isinstance(key, sm2.PublicKey):
            if len(signature) != 64:
                raise InvalidSignature("signature verification failed")
            if not self._prepared:
                key.precompute()
                self._prepared = True
            key.verify(signature, signing_input, encoding="raw")
            return
        if not _PYJWT[alg].verify(signing_input, key, signature):
            raise InvalidSignature("signature verification failed")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicJWK) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash((self.kid, tuple(sorted(self._members.items()))))

    def __repr__(self) -> str:
        return f"PublicJWK(kty={self.kty!r}, crv={self.crv!r}, kid={self.kid!r}, alg={self.alg!r})"


class SecretJWK:
    """A symmetric ``oct`` key for HS256 (RFC 7518 3.2): never published, never derived from a
    public key.  A verifier accepts HS256 only when ``"HS256"`` is in its allowlist AND the
    token's key is a :class:`SecretJWK`, so a public key can never act as an HMAC secret.

    :param secret: at least 32 random bytes.
    :raises ValueError: shorter secret.
    """

    __slots__ = ("_secret", "kid")

    alg: Final = "HS256"
    algorithms: Final = frozenset({"HS256"})
    is_sm2: Final = False

    def __init__(self, secret: bytes, *, kid: str | None = None) -> None:
        if not isinstance(secret, bytes) or len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"an HS256 secret must be at least {MIN_SECRET_BYTES} bytes")
        _check_kid(kid)
        self._secret = secret
        self.kid: str = kid if kid is not None else _thumbprint({"k": b64url_encode(secret), "kty": "oct"})

    @property
    def public(self) -> SecretJWK:
        """The key that verifies (itself)."""
        return self

    def supports(self, alg: str) -> bool:
        return alg == "HS256"

    def sign(self, signing_input: bytes) -> bytes:
        return hmac.new(self._secret, signing_input, hashlib.sha256).digest()

    def verify(self, alg: str, signing_input: bytes, signature: bytes) -> None:
        """:raises InvalidSignature: wrong MAC.  :raises UnsupportedAlgorithmError: ``alg`` is not HS256."""
        if alg != "HS256":
            raise UnsupportedAlgorithmError(f"secret key {self.kid!r} only serves HS256")
        if not hmac.compare_digest(self.sign(signing_input), signature):
            raise InvalidSignature("signature verification failed")

    def __repr__(self) -> str:
        return f"SecretJWK(kid={self.kid!r})"


def _fixed(value: int, size: int) -> bytes:
    return value.to_bytes(size, "big")


class SigningJWK:
    """A private signing key (in process, or behind a :class:`trustkit.pki.signer.Signer`) with its
    ``alg`` and ``kid``.  :attr:`public` is the matching :class:`PublicJWK` for key sets and JWKS.

    Build with :meth:`generate`, :meth:`from_private_key`, :meth:`from_signer`, :meth:`from_dict`
    or :func:`load_signing_jwk`.
    """

    __slots__ = ("_headers", "_private", "_signer", "alg", "public")

    def __init__(self, *, public: PublicJWK, alg: str, private: PrivateKeyType | None = None,
                 signer: Signer | None = None) -> None:
        """Use the class methods instead."""
        if (private is None) == (signer is None):
            raise TypeError("exactly one of private or signer")
        if alg not in public.algorithms:
            raise UnsupportedAlgorithmError(f"alg {alg!r} does not fit this key")
        self.alg: str = alg
        self.public: PublicJWK = public
        self._private = private
        self._signer = signer
        self._headers: dict[tuple[str, str | None], str] = {}  # cache of encoded protected headers

    @property
    def kid(self) -> str:
        return self.public.kid

    @property
    def is_sm2(self) -> bool:
        return self.public.is_sm2

    @property
    def private_key(self) -> PrivateKeyType | None:
        """The in-process private key, or None when signing goes through a :class:`Signer`."""
        return self._private

    @classmethod
    def generate(cls, alg: str = "SM2", *, kid: str | None = None, rsa_bits: int = 3072) -> SigningJWK:
        """A new key for ``alg`` (SM2, ES256, ES384, RS256, PS256, EdDSA, Ed25519)."""
        key: PrivateKeyType
        if alg == "SM2":
            key = sm2.generate_private_key()
        elif alg == "ES256":
            key = ec.generate_private_key(ec.SECP256R1())
        elif alg == "ES384":
            key = ec.generate_private_key(ec.SECP384R1())
        elif alg in ("RS256", "PS256"):
            key = rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
        elif alg in ("EdDSA", "Ed25519"):
            key = ed25519.Ed25519PrivateKey.generate()
        else:
            raise UnsupportedAlgorithmError(f"cannot generate a key for alg {alg!r}")
        return cls.from_private_key(key, alg=alg, kid=kid)

    @classmethod
    def from_private_key(cls, key: PrivateKeyType, *, alg: str | None = None, kid: str | None = None) -> SigningJWK:
        """Wrap an in-process private key; ``alg`` defaults by key type (:func:`default_algorithm`)."""
        public_key = _public_of(key)
        chosen = alg if alg is not None else default_algorithm(public_key)
        return cls(public=PublicJWK(public_key, kid=kid, alg=chosen), alg=chosen, private=key)

    @classmethod
    def from_signer(cls, signer: Signer, *, kid: str | None = None) -> SigningJWK:
        """Sign through a :class:`trustkit.pki.signer.Signer` (a local key with its certificate, the
        signing daemon, an HSM).  The ``alg`` follows the signer's signature algorithm: SM2 with
        SM3 -> ``SM2`` (DER SM2Signature converted to r||s), ecdsa-with-SHA256 on P-256 -> ``ES256``,
        ecdsa-with-SHA384 on P-384 -> ``ES384``, sha256WithRSAEncryption -> ``RS256``.

        :raises UnsupportedAlgorithmError: any other signature algorithm.
        """
        oid = signer.signature_algorithm()["algorithm"].dotted
        public_key = signer.certificate.public_key
        if not isinstance(public_key, (sm2.PublicKey, ec.EllipticCurvePublicKey, rsa.RSAPublicKey)):
            raise UnsupportedAlgorithmError("the signer's key type cannot sign tokens")
        by_oid = {"1.2.156.10197.1.501": "SM2", "1.2.840.10045.4.3.2": "ES256", "1.2.840.10045.4.3.3": "ES384",
                  "1.2.840.113549.1.1.11": "RS256"}
        alg = by_oid.get(oid)
        if alg is None or alg not in _key_algorithms(public_key):
            raise UnsupportedAlgorithmError(f"signature algorithm {oid} has no JWS equivalent here")
        return cls(public=PublicJWK(public_key, kid=kid, alg=alg), alg=alg, signer=signer)

    @classmethod
    def from_dict(cls, jwk: Mapping[str, Any] | str | bytes) -> SigningJWK:
        """Import a private JWK (with ``d``; RSA with or without CRT members).

        :raises DecodeError: malformed, or no private member.
        :raises UnsupportedAlgorithmError: unknown ``kty``/``crv``/``alg``.
        :raises InvalidKeyError: ``d`` does not match the public members.
        """
        obj = _as_mapping(jwk, "JWK")
        if "d" not in obj:
            raise DecodeError("a private JWK needs the member 'd'")
        kid, alg, _use = _metadata(obj)
        public_key = _parse_public(obj)
        d = b64url_decode(str(_string_member(obj, "d")), "JWK member 'd'")
        key: PrivateKeyType
        try:
            if isinstance(public_key, sm2.PublicKey):
                key = sm2.PrivateKey(d)  # exactly 32 bytes (RFC 7518 6.2.2.1); InvalidKeyError otherwise
            elif isinstance(public_key, ec.EllipticCurvePublicKey):
                key = ec.derive_private_key(int.from_bytes(d, "big"), public_key.curve)
            elif isinstance(public_key, rsa.RSAPublicKey):
                loaded = RSAAlgorithm.from_jwk(dict(obj))
                if not isinstance(loaded, rsa.RSAPrivateKey):  # pragma: no cover - "d" is present
                    raise InvalidKeyError("not an RSA private key")
                key = loaded
            else:
                key = ed25519.Ed25519PrivateKey.from_private_bytes(d)
        except (PyJWTError, ValueError) as exc:
            if isinstance(exc, (DecodeError, InvalidKeyError)):
                raise
            raise InvalidKeyError(f"unusable private JWK: {exc}") from None
        if _public_members(_public_of(key)) != _public_members(public_key):
            raise InvalidKeyError("the JWK's private member does not match its public members")
        return cls.from_private_key(key, alg=alg, kid=kid)

    def to_dict(self, *, include_private: bool = True) -> dict[str, str]:
        """The JWK, with ``d`` (and RSA CRT members) when ``include_private``.

        :raises ValueError: the key lives behind a Signer (no private members to export).
        """
        out = self.public.to_dict()
        if not include_private:
            return out
        key = self._private
        if key is None:
            raise ValueError("this key signs through a Signer; its private key cannot be exported")
        if isinstance(key, sm2.PrivateKey):
            out["d"] = b64url_encode(key.private_bytes("raw"))
        elif isinstance(key, ec.EllipticCurvePrivateKey):
            out["d"] = ECAlgorithm.to_jwk(key, as_dict=True)["d"]
        elif isinstance(key, rsa.RSAPrivateKey):
            jwk = RSAAlgorithm.to_jwk(key, as_dict=True)
            out.update({name: jwk[name] for name in ("d", "p", "q", "dp", "dq", "qi")})
        else:
            out["d"] = b64url_encode(key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                                       serialization.NoEncryption()))
        return out

    def private_pem(self, password: bytes | None = None) -> bytes:
        """PKCS#8 PEM of the private key (encrypted when ``password`` is given).

        :raises ValueError: the key lives behind a Signer.
        """
        key = self._private
        if key is None:
            raise ValueError("this key signs through a Signer; its private key cannot be exported")
        if isinstance(key, sm2.PrivateKey):
            return key.private_bytes("PEM", password=password)
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption())
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)

    def sign(self, signing_input: bytes) -> bytes:
        """The JWS signature (RFC 7515 5.1 step 5) over ``signing_input`` in this key's ``alg``."""
        key = self._private
        if isinstance(key, sm2.PrivateKey):
            return key.sign(signing_input, encoding="raw")
        if key is not None:
            return _PYJWT[self.alg].sign(signing_input, key)
        assert self._signer is not None
        signature = self._signer.sign(signing_input)
        if self.alg == "SM2":
            return sm2.decode_signature_der(signature)
        if self.alg in ("ES256", "ES384"):
            size = 32 if self.alg == "ES256" else 48
            r, s = decode_dss_signature(signature)
            return _fixed(r, size) + _fixed(s, size)
        return signature

    def __repr__(self) -> str:
        where = "signer" if self._signer is not None else "local"
        return f"SigningJWK(alg={self.alg!r}, kid={self.kid!r}, {where})"


def load_signing_jwk(data: bytes, password: bytes | None = None, *, alg: str | None = None,
                     kid: str | None = None) -> SigningJWK:
    """Load a signing key from a private JWK (JSON) or a PEM/DER private key (SM2, EC, RSA, Ed25519).

    :raises DecodeError: unreadable input.
    """
    stripped = data.lstrip()
    if stripped.startswith(b"{"):
        jwk = SigningJWK.from_dict(stripped)
        if (alg is not None and alg != jwk.alg) or (kid is not None and kid != jwk.kid):
            private = jwk.private_key
            assert private is not None
            return SigningJWK.from_private_key(private, alg=alg or jwk.alg, kid=kid or jwk.kid)
        return jwk
    try:
        return SigningJWK.from_private_key(sm2.load_private_key(data, password), alg=alg, kid=kid)
    except (DecodeError, InvalidKeyError, UnsupportedAlgorithmError):
        pass
    try:
        if stripped.startswith(b"-----"):
            key = serialization.load_pem_private_key(data, password)
        else:
            key = serialization.load_der_private_key(data, password)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise DecodeError(f"not a usable private key (PEM/DER PKCS#8 or a private JWK): {exc}") from None
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey)):
        raise UnsupportedAlgorithmError(f"{type(key).__name__} keys cannot sign tokens")
    return SigningJWK.from_private_key(key, alg=alg, kid=kid)


def load_public_jwk(data: bytes, *, alg: str | None = None, kid: str | None = None) -> PublicJWK:
    """Load a verification key from a public JWK (JSON) or a PEM/DER SubjectPublicKeyInfo.

    :raises DecodeError: unreadable input (or a JWK with private members).
    """
    stripped = data.lstrip()
    if stripped.startswith(b"{"):
        jwk = PublicJWK.from_dict(stripped)
        if alg is None and kid is None:
            return jwk
        return PublicJWK(jwk.key, kid=kid or jwk.kid, alg=alg or jwk.alg, use=jwk.use)
    try:
        return PublicJWK(sm2.load_public_key(data), kid=kid, alg=alg)
    except (DecodeError, InvalidKeyError, UnsupportedAlgorithmError):
        pass
    try:
        if stripped.startswith(b"-----"):
            key = serialization.load_pem_public_key(data)
        else:
            key = serialization.load_der_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise DecodeError(f"not a usable public key (PEM/DER SubjectPublicKeyInfo or a JWK): {exc}") from None
    if not isinstance(key, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey, ed25519.Ed25519PublicKey)):
        raise UnsupportedAlgorithmError(f"{type(key).__name__} keys cannot verify tokens")
    return PublicJWK(key, kid=kid, alg=alg)
