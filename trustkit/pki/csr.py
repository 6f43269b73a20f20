"""PKCS#10 certificate requests (RFC 2986) for SM2, RSA and ECDSA keys.

The self-signature is made like a certificate's: SM2 over SM3(Z(default ID) || info),
DER signature, AlgorithmIdentifier 1.2.156.10197.1.501 with absent parameters.  OpenSSL 3.0
checks such a request with ``openssl req -verify -vfyopt distid:1234567812345678``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Final

from asn1crypto import core, csr, keys, pem, x509

from trustkit.errors import DecodeError, InvalidKeyError, TrustkitError
from trustkit.pki.algorithms import (
    PublicKey,
    SigningKey,
    check_algorithm_parameters,
    public_key_from_info,
    public_key_info,
    public_key_of,
    sign,
    signature_algorithm,
    verify_vartime,
)
from trustkit.pki.certificate import (
    EXT_SUBJECT_ALT_NAME,
    _asn1_reason,
    _check_size,
    _extensions,
    _general_names,
    _is_pem,
    _pem_one,
    _present,
    _with_parsed_names,
)
from trustkit.pki.names import format_name

__all__ = ["MAX_REQUEST_BYTES", "CertificateRequest"]

#: Requests larger than this are refused.
MAX_REQUEST_BYTES: Final = 256 << 10
_CSR_LABELS = frozenset({b"CERTIFICATE REQUEST", b"NEW CERTIFICATE REQUEST"})


class _CertificationRequestInfo(csr.CertificationRequestInfo):  # type: ignore[misc]
    _fields: ClassVar[list[Any]] = _with_parsed_names(csr.CertificationRequestInfo._fields, ("subject",))


class _CertificationRequest(csr.CertificationRequest):  # type: ignore[misc]
    _fields: ClassVar[list[Any]] = [
        ("certification_request_info", _CertificationRequestInfo),
        *csr.CertificationRequest._fields[1:],
    ]


@dataclass(frozen=True, eq=False)
class CertificateRequest:
    """A parsed PKCS#10 CertificationRequest.  Make one with :meth:`create` or load one."""

    der: bytes
    asn1: csr.CertificationRequest = field(repr=False)
    info_der: bytes = field(repr=False)
    subject: x509.Name = field(repr=False)
    public_key: PublicKey = field(repr=False)
    signature_algorithm_oid: str
    signature: bytes = field(repr=False)
    dns_names: tuple[str, ...]
    email: str | None
    requested_extensions: frozenset[str]

    @classmethod
    def create(
        cls,
        key: SigningKey,
        subject: x509.Name,
        *,
        dns_names: Iterable[str] = (),
        email: str | None = None,
    ) -> CertificateRequest:
        """Build and self-sign a request for ``key``; DNS names and email go into an
        extensionRequest attribute (PKCS#9) carrying subjectAltName."""
        dns = tuple(dns_names)
        attributes = []
        if dns or email is not None:
            names = [x509.GeneralName(name="dns_name", value=name) for name in dns]
            if email is not None:
                names.append(x509.GeneralName(name="rfc822_name", value=email))
            extension = x509.Extension(
                {"extn_id": "subject_alt_name", "critical": False, "extn_value": x509.GeneralNames(names)}
            )
            attributes.append({"type": "extension_request", "values": [[extension]]})
        info = csr.CertificationRequestInfo(
            {
                "version": "v1",
                "subject": subject,
                "subject_pk_info": keys.PublicKeyInfo.load(public_key_info(public_key_of(key)).dump()),
                "attributes": attributes,
            }
        )
        info_der = info.dump()
        request = csr.CertificationRequest(
            {
                "certification_request_info": info,
                "signature_algorithm": signature_algorithm(key),
                "signature": core.OctetBitString(sign(key, info_der)),
            }
        )
        return cls.from_der(request.dump())

    @classmethod
    def from_der(cls, data: bytes) -> CertificateRequest:
        """Parse one DER request (strict, at most 256 KiB).

        :raises DecodeError: malformed input.
        """
        der = _check_size(data, MAX_REQUEST_BYTES, "certificate request")
        try:
            return cls._parse(der)
        except TrustkitError:
            raise
        except (ValueError, KeyError, IndexError, TypeError, AttributeError, OverflowError) as exc:
            raise DecodeError(f"certificate request: malformed DER ({_asn1_reason(exc)})") from None

    @classmethod
    def from_pem(cls, data: bytes) -> CertificateRequest:
        """Parse exactly one ``CERTIFICATE REQUEST`` PEM block."""
        raw = _check_size(data, 2 * MAX_REQUEST_BYTES, "certificate request")
        return cls.from_der(_pem_one(raw, _CSR_LABELS, "certificate request"))

    @classmethod
    def load(cls, data: bytes) -> CertificateRequest:
        """Parse a request given as PEM or DER."""
        raw = _check_size(data, 2 * MAX_REQUEST_BYTES, "certificate request")
        return cls.from_pem(raw) if _is_pem(raw) else cls.from_der(raw)

    @classmethod
    def _parse(cls, der: bytes) -> CertificateRequest:
        if der[0] != 0x30:
            raise DecodeError(f"certificate request: expected a DER SEQUENCE, found tag 0x{der[0]:02x}")
        request = _CertificationRequest.load(der, strict=True)
        info = request["certification_request_info"]
        if info["version"].native != "v1":
            raise DecodeError("certificate request: the version must be v1 (0) (RFC 2986 4.1)")
        subject = info["subject"]
        _ = subject.native
        try:
            public_key = public_key_from_info(bytes(info["subject_pk_info"].dump()))
        except InvalidKeyError as exc:
            raise DecodeError(f"certificate request: the public key is unusable ({exc.message})") from None
        algorithm = check_algorithm_parameters(request["signature_algorithm"], "certificate request")
        signature_value = request["signature"]
        if signature_value.unused_bits:
            raise DecodeError("certificate request: the signature BIT STRING has unused bits")
        dns: tuple[str, ...] = ()
        emails: tuple[str, ...] = ()
        requested: set[str] = set()
        for attribute in _present(info["attributes"]) or ():
            if attribute["type"].dotted != "1.2.840.113549.1.9.14":  # PKCS#9 extensionRequest
                continue
            for extensions in attribute["values"]:
                found: dict[str, tuple[bool, Any]] = _extensions(extensions, "certificate request")
                requested.update(found)
                san = found.get(EXT_SUBJECT_ALT_NAME)
                if san is not None:
                    names = san[1]["extn_value"].parsed
                    dns += _general_names(names, "dns_name")
                    emails += _general_names(names, "rfc822_name")
        return cls(
            der=der,
            asn1=request,
            info_der=bytes(info.dump()),
            subject=subject,
            public_key=public_key,
            signature_algorithm_oid=algorithm,
            signature=bytes(signature_value.native),
            dns_names=dns,
            email=emails[0] if emails else None,
            requested_extensions=frozenset(requested),
        )

    @cached_property
    def subject_text(self) -> str:
        """The subject in RFC 4514 form."""
        return format_name(self.subject)

    def verify_self_signature_vartime(self) -> None:
        """Check the request's signature with its own public key (proof of possession).

        :raises InvalidSignature: it does not verify.
        """
        verify_vartime(self.public_key, self.signature_algorithm_oid, self.signature, self.info_der)

    def to_pem(self) -> bytes:
        """PEM ``CERTIFICATE REQUEST`` block."""
        return bytes(pem.armor("CERTIFICATE REQUEST", self.der))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CertificateRequest) and self.der == other.der

    def __hash__(self) -> int:
        return hash(self.der)
