"""RFC 3161 time-stamping with SM2: requests, a small in-process TSA, a client, verification.

The token is a CMS SignedData with the RFC 5652 OIDs (RFC 3161 clause 2.4.2 defines it so),
eContentType id-ct-TSTInfo, signed over signed attributes that include SigningCertificateV2
(RFC 5816 / RFC 5035).  Its ESSCertIDv2 names the certificate hash algorithm explicitly, so an
SM2 TSA uses SM3 (1.2.156.10197.1.401) there; RSA / ECDSA TSAs use the default SHA-256.  OpenSSL
resolves the hash from the identifier, so no SHA-1 ESSCertID is needed.

Message imprints may use SM3 (default), SHA-256, SHA-384 or SHA-512.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Final

from asn1crypto import algos, cms, core, tsp, x509

from trustkit import oids as _oids
from trustkit.errors import (
    CertificateValidationError,
    DecodeError,
    InvalidSignature,
    TimestampError,
)
from trustkit.pki import algorithms
from trustkit.pki.algorithms import SigningKey
from trustkit.pki.certificate import Certificate
from trustkit.pki.cms import (
    _build_signed_data,
    _signed_attribute,
    as_signer,
    verify_cms,
)
from trustkit.pki.signer import Signer
from trustkit.pki.validation import Purpose, ValidationContext, ValidationReport

__all__ = [
    "MAX_REQUEST_SIZE",
    "MAX_RESPONSE_SIZE",
    "TimestampAuthority",
    "TimestampInfo",
    "TimestampToken",
    "make_request",
    "request_timestamp",
    "token_from_response",
    "verify_timestamp",
]

#: Largest TimeStampReq :meth:`TimestampAuthority.respond` parses.
MAX_REQUEST_SIZE: Final = 64 * 1024
#: Largest TimeStampResp the client reads or :func:`token_from_response` parses.
MAX_RESPONSE_SIZE: Final = 1024 * 1024

_HASHES: Final = {
    "sm3": (_oids.SM3, 32),
    "sha256": ("2.16.840.1.101.3.4.2.1", 32),
    "sha384": ("2.16.840.1.101.3.4.2.2", 48),
    "sha512": ("2.16.840.1.101.3.4.2.3", 64),
}
_HASH_BY_OID: Final = {oid: (name, size) for name, (oid, size) in _HASHES.items()}
_HASH_BY_OID[_oids.SM3_WITHOUT_KEY] = ("sm3", 32)
_EKU: Final = "2.5.29.37"


class _TimeStampResp(core.Sequence):  # type: ignore[misc]
    """RFC 3161 clause 2.4.2 TimeStampResp (asn1crypto's makes the token mandatory; it is OPTIONAL)."""

    _fields = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


def _hash_info(name: str) -> tuple[str, int]:
    info = _HASHES.get(name.lower())
    if info is None:
        raise ValueError(f"hash_algorithm must be one of {sorted(_HASHES)}, not {name!r}")
    return info


def _imprint(data: bytes | None, digest: bytes | None, hash_algorithm: str) -> tuple[str, bytes]:
    oid, size = _hash_info(hash_algorithm)
    if (data is None) == (digest is None):
        raise ValueError("pass exactly one of data= and digest=")
    if digest is not None:
        if len(digest) != size:
            raise ValueError(f"a {hash_algorithm} digest is {size} bytes, got {len(digest)}")
        return oid, bytes(digest)
    assert data is not None
    return oid, algorithms.digest(hash_algorithm, bytes(data))


def _build_request(
    data: bytes | None, digest: bytes | None, hash_algorithm: str, nonce: bool, cert_req: bool, policy_oid: str | None
) -> tuple[bytes, int | None]:
    oid, hashed = _imprint(data, digest, hash_algorithm)
    nonce_value = secrets.randbits(63) | (1 << 62) if nonce else None
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {"hash_algorithm": algos.DigestAlgorithm({"algorithm": oid}), "hashed_message": hashed},
            "req_policy": policy_oid,
            "nonce": nonce_value,
            "cert_req": cert_req,
        }
    )
    return bytes(request.dump()), nonce_value


def make_request(
    data: bytes | None = None,
    *,
    digest: bytes | None = None,
    hash_algorithm: str = "sm3",
    nonce: bool = True,
    cert_req: bool = True,
    policy_oid: str | None = None,
) -> bytes:
    """Build a DER TimeStampReq (RFC 3161 clause 2.4.1).

    :param data: the data to stamp (hashed here), or
    :param digest: its digest under ``hash_algorithm``.
    :param hash_algorithm: ``"sm3"``, ``"sha256"``, ``"sha384"`` or ``"sha512"``.
    :param nonce: include a random 63-bit nonce.
    :param cert_req: ask the TSA to include its certificate in the token.
    :param policy_oid: a TSA policy to request.
    :raises ValueError: neither or both of ``data`` and ``digest``, or a wrong digest length.
    """
    return _build_request(data, digest, hash_algorithm, nonce, cert_req, policy_oid)[0]


# ---- the authority --------------------------------------------------------------------------------


def _rejection(fail_info: str, text: str) -> bytes:
    status = tsp.PKIStatusInfo({"status": "rejection", "status_string": [text], "fail_info": {fail_info}})
    return bytes(_TimeStampResp({"status": status}).dump())


def _name_der(certificate: Certificate, field: str) -> bytes:
    # A fresh, lazily parsed copy is written verbatim; the parsed one would be walked on every dump.
    return bytes(certificate.asn1["tbs_certificate"][field].dump())


def _ess_attribute(certificate: Certificate, sm2_signer: bool) -> Any:
    """SigningCertificateV2 (RFC 5035 clause 5.4.1.1, required by RFC 5816 / RFC 3161 2.4.2)."""
    hash_name = "sm3" if sm2_signer else "sha256"
    issuer_serial = tsp.IssuerSerial(
        {
            "issuer": [x509.GeneralName({"directory_name": x509.Name.load(_name_der(certificate, "issuer"))})],
            "serial_number": certificate.serial_number,
        }
    )
    cert_id: dict[str, Any] = {
        "cert_hash": algorithms.digest(hash_name, certificate.der),
        "issuer_serial": issuer_serial,
    }
    if hash_name != "sha256":
        cert_id["hash_algorithm"] = algos.DigestAlgorithm({"algorithm": _HASHES[hash_name][0]})
    value = tsp.SigningCertificateV2({"certs": [tsp.ESSCertIDv2(cert_id)]})
    return cms.CMSAttribute({"type": _oids.ATTR_SIGNING_CERTIFICATE_V2, "values": [value]})


class TimestampAuthority:
    """An in-process RFC 3161 time-stamping authority; thread-safe.

    :param signer: the TSA's :class:`~trustkit.pki.signer.Signer`, or its private key (SM2 for GM
        use; RSA / ECDSA work too) together with ``certificate``.
    :param certificate: the TSA certificate when ``signer`` is a key; RFC 3161 2.3 wants a
        critical extendedKeyUsage holding only timeStamping (checked here).
    :param policy_oid: the TSA policy written into every TSTInfo.
    :param clock: returns the current aware time (default: the system clock, UTC).
    :param accuracy_seconds: the accuracy claimed in TSTInfo (``None`` leaves it out).
    :param serial_source: returns a fresh positive serial number (default: 127 random bits).
    :param hash_algorithms: imprint algorithms accepted (names as in :func:`make_request`).
    :param chain: certificates added to the token after the TSA certificate (when requested).
    :raises ValueError: the key does not match, or the certificate is not a TSA certificate.
    """

    def __init__(
        self,
        signer: Signer | SigningKey,
        certificate: Certificate | None = None,
        *,
        policy_oid: str,
        clock: Callable[[], datetime] | None = None,
        accuracy_seconds: int | None = 1,
        serial_source: Callable[[], int] | None = None,
        hash_algorithms: Iterable[str] = ("sm3", "sha256", "sha384", "sha512"),
        chain: Iterable[Certificate] = (),
    ) -> None:
        try:
            self._signer = as_signer(signer, certificate)
        except ValueError as exc:
            raise ValueError(str(exc).replace("signing key", "TSA key")) from None
        certificate = self._signer.certificate
        _check_tsa_certificate(certificate, error=ValueError)
        core.ObjectIdentifier(policy_oid)  # raises ValueError on a malformed OID
        self._certificate = certificate
        self._chain = (*self._signer.chain, *chain)
        self._policy = policy_oid
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._accuracy = accuracy_seconds
        self._serial_source = serial_source or (lambda: secrets.randbits(127) | 1)
        self._hash_oids = frozenset(_hash_info(name)[0] for name in hash_algorithms)
        self._lock = threading.Lock()
        # The attribute depends only on the certificate: encode it once (building it costs ~5 ms).
        sm2_signer = str(self._signer.signature_algorithm()["algorithm"].dotted) == _oids.SM2_SIGN_WITH_SM3
        self._ess_der = bytes(_ess_attribute(certificate, sm2_signer).dump())
        self._tsa_name_der = bytes(
            x509.GeneralName({"directory_name": x509.Name.load(_name_der(certificate, "subject"))}).dump()
        )

    @property
    def certificate(self) -> Certificate:
        return self._certificate

    def _serial(self) -> int:
        with self._lock:  # the caller's serial source need not be thread-safe
            serial = self._serial_source()
        if not isinstance(serial, int) or serial <= 0:
            raise ValueError("serial_source must return a positive int")
        return serial

    def _token(self, hash_oid: str, hashed: bytes, nonce: int | None, include_certificate: bool) -> bytes:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the TSA clock must return aware datetimes")
        gen_time = now.astimezone(timezone.utc).replace(microsecond=0)
        info: dict[str, Any] = {
            "version": "v1",
            "policy": self._policy,
            "message_imprint": {
                "hash_algorithm": algos.DigestAlgorithm({"algorithm": hash_oid}),
                "hashed_message": hashed,
            },
            "serial_number": self._serial(),
            "gen_time": gen_time,
            "nonce": nonce,
            "tsa": x509.GeneralName.load(self._tsa_name_der),
        }
        if self._accuracy is not None:
            info["accuracy"] = {"seconds": self._accuracy}
        tst_info = bytes(tsp.TSTInfo(info).dump())
        return _build_signed_data(
            tst_info,
            self._signer,
            content_type=_oids.CMS_TST_INFO,
            signed_data_type=_oids.CMS_SIGNED_DATA,
            detached=False,
            extra_certificates=self._chain,
            signing_time=gen_time,
            signed_attributes=True,
            extra_attributes=[cms.CMSAttribute.load(self._ess_der)],
            include_certificates=include_certificate,
        )

    def stamp(self, data: bytes, *, hash_algorithm: str = "sm3", nonce: int | None = None) -> bytes:
        """Issue a TimeStampToken (DER ContentInfo) for ``data`` without a request.

        The TSA certificate (and ``chain``) is included.
        """
        oid, hashed = _imprint(data, None, hash_algorithm)
        return self._token(oid, hashed, nonce, True)

    def respond(self, request_der: bytes) -> bytes:
        """Answer a DER TimeStampReq with a DER TimeStampResp (RFC 3161 clause 2.4.2).

        Bad requests get PKIStatus rejection with failInfo badDataFormat (unparsable, wrong
        imprint length), badRequest (wrong version), badAlg (hash not accepted),
        unacceptedPolicy (another reqPolicy) or unacceptedExtension (any extension).
        """
        try:
            if len(request_der) > MAX_REQUEST_SIZE:
                return _rejection("bad_data_format", f"request larger than {MAX_REQUEST_SIZE} bytes")
            request = tsp.TimeStampReq.load(bytes(request_der), strict=True)
            version = request["version"].native
            imprint = request["message_imprint"]
            hash_oid = str(imprint["hash_algorithm"]["algorithm"].dotted)
            hashed = bytes(imprint["hashed_message"].native)
            policy = request["req_policy"]
            policy_oid = None if isinstance(policy, core.Void) else str(policy.dotted)
            nonce = request["nonce"].native
            cert_req = bool(request["cert_req"].native)
            has_extensions = not isinstance(request["extensions"], core.Void)
        except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError):
            return _rejection("bad_data_format", "the request is not a DER TimeStampReq")
        if version != "v1":
            return _rejection("bad_request", "TimeStampReq version must be 1")
        if hash_oid not in self._hash_oids or hash_oid not in _HASH_BY_OID:
            return _rejection("bad_alg", f"hash algorithm {hash_oid} is not accepted")
        if len(hashed) != _HASH_BY_OID[hash_oid][1]:
            return _rejection("bad_data_format", "the message imprint has the wrong length for its algorithm")
        if policy_oid is not None and policy_oid != self._policy:
            return _rejection("unaccepted_policy", f"policy {policy_oid} is not offered")
        if has_extensions:
            return _rejection("unaccepted_extensions", "request extensions are not supported")
        if nonce is not None and nonce < 0:
            return _rejection("bad_request", "the nonce must not be negative")
        token = self._token(hash_oid, hashed, nonce, cert_req)
        status = tsp.PKIStatusInfo({"status": "granted"})
        # The token object is parsed from our own DER, so asn1crypto writes it back verbatim.
        return bytes(_TimeStampResp({"status": status, "time_stamp_token": cms.ContentInfo.load(token)}).dump())


# ---- parsing and verification ---------------------------------------------------------------------


@dataclass(frozen=True)
class TimestampInfo:
    """A verified TimeStampToken.

    :ivar gen_time: the time the TSA asserts (aware UTC).
    :ivar serial_number: the token's serial number.
    :ivar policy_oid: the TSA policy.
    :ivar hash_algorithm: the imprint hash name (``"sm3"``, ``"sha256"`` ...).
    :ivar message_imprint: the imprint digest.
    :ivar nonce: the nonce, if any.
    :ivar accuracy: the accuracy claimed, if any.
    :ivar tsa_certificate: the certificate that signed the token.
    :ivar chain: the TSA path validation report, when a context was given.
    :ivar token: the token DER.
    """

    gen_time: datetime
    serial_number: int
    policy_oid: str
    hash_algorithm: str
    message_imprint: bytes
    nonce: int | None
    accuracy: timedelta | None
    tsa_certificate: Certificate
    chain: ValidationReport | None
    token: bytes


@dataclass(frozen=True)
class TimestampToken:
    """A token fetched by :func:`request_timestamp`: its DER and what it says."""

    der: bytes
    info: TimestampInfo


def _check_tsa_certificate(certificate: Certificate, *, error: type[Exception]) -> None:
    """RFC 3161 clause 2.3: exactly one critical EKU holding only id-kp-timeStamping."""
    only_time_stamping = certificate.extended_key_usage == frozenset({_oids.KP_TIME_STAMPING})
    if not only_time_stamping or _EKU not in certificate.critical_extensions:
        message = (
            f"{certificate.subject_text!r} is not a TSA certificate: RFC 3161 2.3 requires a critical "
            "extendedKeyUsage holding only timeStamping (1.3.6.1.5.5.7.3.8)"
        )
        if error is CertificateValidationError:
            raise CertificateValidationError(message, code="not_a_tsa_certificate")
        raise error(message)


def token_from_response(response_der: bytes) -> bytes:
    """Return the TimeStampToken inside a granted DER TimeStampResp.

    :raises DecodeError: malformed response.
    :raises TimestampError: status other than granted / grantedWithMods (``fail_info`` set).
    """
    if len(response_der) > MAX_RESPONSE_SIZE:
        raise DecodeError(f"TimeStampResp larger than {MAX_RESPONSE_SIZE} bytes")
    try:
        response = _TimeStampResp.load(bytes(response_der), strict=True)
        status = response["status"]
        code = status["status"].native
        texts = [] if isinstance(status["status_string"], core.Void) else list(status["status_string"].native)
        fail = status["fail_info"]
        fail_info = frozenset() if isinstance(fail, core.Void) else frozenset(fail.native)
        token = response["time_stamp_token"]
        token_der = None if isinstance(token, core.Void) else bytes(token.dump())
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError) as exc:
        raise DecodeError(f"malformed TimeStampResp: {exc}") from None
    if code not in ("granted", "granted_with_mods"):
        detail = "; ".join(texts) or "no reason given"
        names = ", ".join(sorted(fail_info)) or "none"
        raise TimestampError(f"the TSA answered {code} (failInfo: {names}): {detail}", fail_info=fail_info)
    if token_der is None:
        raise DecodeError("a granted TimeStampResp without a timeStampToken")
    return token_der


def _parse_tst_info(content: bytes) -> Any:
    try:
        info = tsp.TSTInfo.load(content, strict=True)
        info.native  # noqa: B018 - parse every field now, inside the try
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError) as exc:
        raise DecodeError(f"malformed TSTInfo: {exc}") from None
    if info["version"].native != "v1":
        raise DecodeError("TSTInfo version must be 1")
    return info


def _check_ess(signed_attribute_value: bytes | None, v1_value: bytes | None, certificate: Certificate) -> None:
    """If a SigningCertificate(V2) attribute is present, its first ESSCertID must name the signer."""
    try:
        if signed_attribute_value is not None:
            ess = tsp.SigningCertificateV2.load(signed_attribute_value, strict=True)
            first = ess["certs"][0]
            hash_oid = str(first["hash_algorithm"]["algorithm"].dotted)
            expected = algorithms.digest(hash_oid, certificate.der)
        elif v1_value is not None:
            ess = tsp.SigningCertificate.load(v1_value, strict=True)
            first = ess["certs"][0]
            expected = algorithms.digest("sha1", certificate.der)
        else:
            return
        cert_hash = bytes(first["cert_hash"].native)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError) as exc:
        raise DecodeError(f"malformed SigningCertificate attribute: {exc}") from None
    if not hmac.compare_digest(cert_hash, expected):
        raise InvalidSignature()


def verify_timestamp(
    token: bytes,
    *,
    data: bytes | None = None,
    digest: bytes | None = None,
    tsa_certificate: Certificate | None = None,
    context: ValidationContext | None = None,
    nonce: int | None = None,
    at: datetime | None = None,
) -> TimestampInfo:
    """Verify a TimeStampToken against data (or its digest) and a TSA (RFC 3161 clause 2.4.2).

    Checks: the CMS signature (:func:`~trustkit.pki.cms.verify_cms`), eContentType id-ct-TSTInfo,
    one signer, the SigningCertificate(V2) attribute names the signer, the signer is
    ``tsa_certificate`` (when given), the signer's certificate is a TSA certificate (RFC 3161
    2.3), the imprint matches, the nonce matches (when given), and with ``context`` the TSA path
    (purpose TIMESTAMPING, at ``at`` or now).

    :param tsa_certificate: the expected TSA certificate (also used when the token omits it).
    :param context: a validation context for the TSA's certificate path.  At least one of
        ``tsa_certificate`` and ``context`` is required: a token is only as good as its signer.
    :raises ValueError: neither ``data`` nor ``digest``, or neither trust input.
    :raises DecodeError: malformed token.
    :raises InvalidSignature: signature, imprint, signer or nonce mismatch.
    :raises CertificateValidationError: not a TSA certificate, or its path does not validate.
    """
    if tsa_certificate is None and context is None:
        raise ValueError("pass tsa_certificate= or context= (the TSA must be trusted somehow)")
    if data is None and digest is None:
        raise ValueError("pass data= or digest= to check the message imprint against")
    verification = verify_cms(
        bytes(token),
        certificates=() if tsa_certificate is None else (tsa_certificate,),
        context=context,
        at=at,
        purpose=Purpose.TIMESTAMPING,
    )
    if verification.content_type != _oids.CMS_TST_INFO:
        raise DecodeError(f"eContentType {verification.content_type} is not id-ct-TSTInfo (1.2.840.113549.1.9.16.1.4)")
    if len(verification.signers) != 1:
        raise DecodeError("a TimeStampToken has exactly one SignerInfo (RFC 3161 2.4.2)")
    signer = verification.signers[0]
    if tsa_certificate is not None and signer.signer != tsa_certificate:
        raise InvalidSignature()
    _check_tsa_certificate(signer.signer, error=CertificateValidationError)
    _check_ess(
        _signed_attribute(signer, _oids.ATTR_SIGNING_CERTIFICATE_V2),
        _signed_attribute(signer, _oids.ATTR_SIGNING_CERTIFICATE),
        signer.signer,
    )
    info = _parse_tst_info(verification.content)
    imprint = info["message_imprint"]
    hash_oid = str(imprint["hash_algorithm"]["algorithm"].dotted)
    known = _HASH_BY_OID.get(hash_oid)
    if known is None:
        raise DecodeError(f"message imprint hash {hash_oid} is not supported")
    hash_name = known[0]
    hashed = bytes(imprint["hashed_message"].native)
    expected = algorithms.digest(hash_name, bytes(data)) if data is not None else bytes(digest or b"")
    if not hmac.compare_digest(expected, hashed):
        raise InvalidSignature("the timestamp's message imprint does not match the data")
    token_nonce = info["nonce"].native
    if nonce is not None and token_nonce != nonce:
        raise InvalidSignature("the timestamp's nonce does not match the request")
    accuracy = None
    if not isinstance(info["accuracy"], core.Void):
        acc = info["accuracy"].native
        seconds = Decimal(acc.get("seconds") or 0) + Decimal(acc.get("millis") or 0) / 1000
        seconds += Decimal(acc.get("micros") or 0) / 1_000_000
        accuracy = timedelta(seconds=float(seconds))
    return TimestampInfo(
        gen_time=info["gen_time"].native.astimezone(timezone.utc),
        serial_number=int(info["serial_number"].native),
        policy_oid=str(info["policy"].dotted),
        hash_algorithm=hash_name,
        message_imprint=hashed,
        nonce=token_nonce,
        accuracy=accuracy,
        tsa_certificate=signer.signer,
        chain=signer.chain,
        token=bytes(token),
    )


# ---- client ---------------------------------------------------------------------------------------


def request_timestamp(
    url: str,
    data: bytes,
    *,
    timeout: float = 10,
    hash_algorithm: str = "sm3",
    tsa_certificate: Certificate | None = None,
    context: ValidationContext | None = None,
    policy_oid: str | None = None,
    at: datetime | None = None,
) -> TimestampToken:
    """Fetch a token for ``data`` from a TSA over HTTP(S) (RFC 3161 clause 3.4) and verify it.

    Sends ``application/timestamp-query``, reads at most :data:`MAX_RESPONSE_SIZE` bytes, then
    checks status, nonce, imprint and signature with :func:`verify_timestamp` (``context`` and
    ``at`` are passed on to it).

    :raises TimestampError: unreachable TSA / HTTP error (code ``timestamp_unavailable``) or a
        rejection (``timestamp_rejected``).
    :raises ValueError: a non-HTTP URL, or neither ``tsa_certificate`` nor ``context``.
    """
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError("the TSA URL must be http:// or https://")
    if tsa_certificate is None and context is None:
        raise ValueError("pass tsa_certificate= or context= (the TSA must be trusted somehow)")
    request_der, nonce = _build_request(data, None, hash_algorithm, True, True, policy_oid)
    http_request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=request_der, method="POST", headers={"Content-Type": "application/timestamp-query"}
    )
    try:
        with urllib.request.urlopen(http_request, timeout=timeout) as http_response:  # noqa: S310
            body = http_response.read(MAX_RESPONSE_SIZE + 1)
    except urllib.error.HTTPError as exc:
        raise TimestampError(f"the TSA at {url} answered HTTP {exc.code}", code="timestamp_unavailable") from None
    except (urllib.error.URLError, OSError) as exc:
        raise TimestampError(f"cannot reach the TSA at {url}: {exc}", code="timestamp_unavailable") from None
    if len(body) > MAX_RESPONSE_SIZE:
        raise DecodeError(f"the TSA response is larger than {MAX_RESPONSE_SIZE} bytes")
    token = token_from_response(body)
    info = verify_timestamp(
        token, data=data, tsa_certificate=tsa_certificate, context=context, nonce=nonce, at=at
    )
    return TimestampToken(der=token, info=info)
