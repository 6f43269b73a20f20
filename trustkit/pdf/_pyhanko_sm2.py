"""pyHanko with SM2/SM3: the asn1crypto OID registration pyHanko needs, and adapters.

pyHanko resolves digest and signature algorithms by the *names* asn1crypto gives them
(``DigestAlgorithmId.native`` -> ``getattr(cryptography.hazmat.primitives.hashes, name.upper())``),
and asn1crypto 1.5 has no name for SM3 or sm2sign-with-sm3.  :func:`register_sm_oids` adds the two
names to asn1crypto's maps (reference/standards.md 6, "pyHanko").  This is the one place in
trustkit that mutates asn1crypto's global OID maps; it runs once when :mod:`trustkit.pdf` is
imported, before any pyHanko module is, and is idempotent.  The rest of trustkit compares OIDs
by ``.dotted``, which the registration does not change.

:class:`PyHankoSigner` lets pyHanko build the CMS SignedData while the signature itself comes
from a :class:`trustkit.pki.signer.Signer` (``async_sign_raw`` -> ``signer.sign``), so keys stay
wherever the Signer keeps them.  :class:`AuthorityTimeStamper` lets pyHanko obtain signature
timestamps from an in-process :class:`trustkit.pki.timestamp.TimestampAuthority`.
"""
# mypy: disable-error-code="no-untyped-call"
# (pyHanko ships type hints, but many of its constructors and helpers are unannotated.)

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, Final

from asn1crypto import algos, cms, core, tsp, x509

from trustkit import oids as _oids

__all__ = ["register_sm_oids"]

_SM3_NAME: Final = "sm3"
_SM2_SIGN_NAME: Final = "sm2sign_with_sm3"
_LOCK = threading.Lock()
_done = False


def _register(spec: Any, dotted: str, name: str) -> None:
    current = spec._map.get(dotted)
    if current == name:
        return
    if current is not None:
        # Someone else named the OID already; pyHanko resolves by our name, so say so clearly.
        from trustkit.errors import ConfigurationError

        raise ConfigurationError(
            f"asn1crypto already maps {dotted} to {current!r}; trustkit.pdf needs {name!r}"
        )
    spec._map[dotted] = name
    # Rebuild the reverse map now: asn1crypto only fills it lazily on some paths, and a None left
    # here breaks ObjectIdentifier.set() for every later value of this type.
    spec._reverse_map = {value: key for key, value in spec._map.items()}


def register_sm_oids() -> None:
    """Name SM3 (1.2.156.10197.1.401) and sm2sign-with-sm3 (1.2.156.10197.1.501) in asn1crypto.

    Idempotent and thread-safe.  Needed by pyHanko, which picks hash functions by name.
    """
    global _done
    if _done:
        return
    with _LOCK:
        if _done:
            return
        _register(algos.DigestAlgorithmId, _oids.SM3, _SM3_NAME)
        _register(algos.SignedDigestAlgorithmId, _oids.SM2_SIGN_WITH_SM3, _SM2_SIGN_NAME)
        _done = True


register_sm_oids()

# pyHanko is imported only after the registration above (it is the reason for it).
from pyhanko.sign.signers import pdf_cms
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from trustkit.pki.algorithms import PublicKey
from trustkit.pki.signer import Signer
from trustkit.pki.timestamp import TimestampAuthority
from trustkit.primitives import sm2


class _GMContentInfo(core.Sequence):  # type: ignore[misc]
    """GM/T 0010 clause 6 ContentInfo: the contentType is 1.2.156.10197.6.1.4.2.2 (no global map touched)."""

    _fields = [  # noqa: RUF012 - asn1crypto's spec convention
        ("content_type", core.ObjectIdentifier),
        ("content", core.Any, {"explicit": 0}),
    ]


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def _placeholder_size(public_key: PublicKey) -> int:
    """The largest DER signature the key can make (for pyHanko's size estimate)."""
    if isinstance(public_key, sm2.PublicKey):
        return 72
    size = getattr(public_key, "key_size", 256)
    if hasattr(public_key, "curve"):  # ECDSA: SEQUENCE of two INTEGERs, each <= field size + 1
        field = (int(size) + 7) // 8
        return 2 * (field + 3) + 3
    return (int(size) + 7) // 8


TokenSource = Callable[[bytes], bytes]
"""Returns a DER RFC 3161 TimeStampToken over the hash of the given signature value."""


class PyHankoSigner(pdf_cms.Signer):
    """A pyHanko ``Signer`` whose raw signatures come from a trustkit :class:`Signer`.

    pyHanko's own CMS assembly (:meth:`async_sign`) is used for PAdES; :meth:`lean_cms` builds
    the plain SM2 CMS of ``"cms-sm2"`` / ``"cms-gm"`` directly.
    """

    def __init__(self, signer: Signer) -> None:
        certificate = x509.Certificate.load(signer.certificate.der)
        chain = [x509.Certificate.load(c.der) for c in signer.chain]
        super().__init__(
            signing_cert=certificate,
            cert_registry=SimpleCertificateStore.from_certs([certificate, *chain]),
            signature_mechanism=algos.SignedDigestAlgorithm.load(signer.signature_algorithm().dump()),
        )
        self._signer = signer
        self._placeholder = _placeholder_size(signer.certificate.public_key)
        self._sid = cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber(
            {"issuer": certificate.issuer, "serial_number": certificate.serial_number})})
        self._certificates = [cms.CertificateChoices(name="certificate", value=c) for c in (certificate, *chain)]
        #: /Contents sizes already worked out, by GM-OIDs flag (used by the stamper).
        self.reserved: dict[bool, int] = {}

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            return bytes(self._placeholder)
        return self._signer.sign(bytes(data))

    def lean_cms(self, data_digest: bytes, digest_algorithm: str, *, gm: bool = False, dry_run: bool = False,
                 token: TokenSource | None = None) -> bytes:
        """DER CMS SignedData with the three signed attributes of RFC 5652 11 / GM/T 0010 8.

        contentType, signingTime and messageDigest: what adbe.pkcs7.detached needs (ISO 32000-1
        12.8.3.3.1) and what :mod:`trustkit.pki.cms` writes.  pyHanko's generic path adds
        PAdES-style attributes and costs about five times as much; it is kept for ``"pades"``.

        :param gm: GM/T 0010 content types (signedData 1.2.156.10197.6.1.4.2.2, data ...2.1).
        :param dry_run: a placeholder signature, for sizing the PDF's /Contents.
        :param token: adds an id-aa-signatureTimeStampToken unsigned attribute (RFC 3161 annex A).
        """
        data_type = _oids.GM_CMS_DATA if gm else _oids.CMS_DATA
        signed_attrs = cms.CMSAttributes([
            cms.CMSAttribute({"type": "content_type", "values": [data_type]}),
            cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": _now()})]}),
            cms.CMSAttribute({"type": "message_digest", "values": [bytes(data_digest)]}),
        ])
        signature = bytes(self._placeholder) if dry_run else self._signer.sign(signed_attrs.dump())
        signer_info: dict[str, Any] = {
            "version": "v1",
            "sid": self._sid,
            "digest_algorithm": {"algorithm": digest_algorithm},
            "signed_attrs": signed_attrs,
            "signature_algorithm": self.signature_mechanism,
            "signature": signature,
        }
        if token is not None:
            signer_info["unsigned_attrs"] = cms.CMSAttributes([cms.CMSAttribute({
                "type": "signature_time_stamp_token", "values": [cms.ContentInfo.load(token(signature))]})])
        signed_data = cms.SignedData({
            "version": "v1",
            "digest_algorithms": [{"algorithm": digest_algorithm}],
            "encap_content_info": {"content_type": data_type},
            "certificates": self._certificates,
            "signer_infos": [cms.SignerInfo(signer_info)],
        })
        info = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
        if gm:  # the same [0] EXPLICIT SignedData under the GM/T 0010 content type
            return bytes(_GMContentInfo({"content_type": _oids.GM_CMS_SIGNED_DATA, "content": info["content"]}).dump())
        return bytes(info.dump())


class AuthorityTimeStamper(TimeStamper):
    """A pyHanko ``TimeStamper`` answered by an in-process :class:`TimestampAuthority`."""

    def __init__(self, authority: TimestampAuthority) -> None:
        super().__init__(include_nonce=True)
        self._authority = authority

    async def async_request_tsa_response(self, req: Any) -> Any:
        return tsp.TimeStampResp.load(self._authority.respond(bytes(req.dump())))


def signature_timestamp_token(signer_info: Any) -> bytes | None:
    """The RFC 3161 token in a SignerInfo's unsigned attributes (id-aa-signatureTimeStampToken), or None."""
    attrs = signer_info["unsigned_attrs"]
    if isinstance(attrs, core.Void):
        return None
    for attr in attrs:
        if attr["type"].dotted == "1.2.840.113549.1.9.16.2.14":
            return bytes(attr["values"][0].dump())
    return None
