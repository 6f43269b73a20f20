"""Every exception and warning trustkit raises.

One base class, :class:`TrustkitError`, with a stable machine-readable ``code``.
Programmer misuse (wrong argument type or length) stays ``TypeError``/``ValueError``
at the API edge; everything that describes bad *input data* or a failed check
lives here.
"""

from __future__ import annotations

__all__ = [
    "AuditUnavailableError",
    "CertificateValidationError",
    "ConfigurationError",
    "DaemonError",
    "DecodeError",
    "DecryptionError",
    "ExpiredQRError",
    "InvalidCodeError",
    "InvalidKeyError",
    "InvalidRequestError",
    "InvalidSignature",
    "KeyNotFoundError",
    "NotInitializedError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitedError",
    "SealedError",
    "SecurityWarning",
    "TimestampError",
    "TokenValidationError",
    "TrustkitError",
    "UnsupportedAlgorithmError",
    "UntrustedIssuerError",
]


class TrustkitError(Exception):
    """Base class of all trustkit errors.

    :param message: a sentence a person can act on.
    :param code: a stable identifier for programs (JSON output, wire codes).
    """

    code: str = "trustkit_error"

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(message or self.__class__.__doc__ or self.code)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class InvalidSignature(TrustkitError):
    """The signature does not verify.

    Deliberately carries no detail about *which* check failed, so it cannot
    serve as an oracle.
    """

    code = "invalid_signature"


class DecodeError(TrustkitError, ValueError):
    """Malformed input: bad DER/PEM/XML/ZIP/PDF/token, wrong length or trailing data.

    ``code`` is ``"password_required"`` when an encrypted key was given without a password.
    """

    code = "decode_error"


class UnsupportedAlgorithmError(TrustkitError):
    """An algorithm or OID that trustkit does not support or that the allowlist refuses."""

    code = "unsupported_algorithm"


class InvalidKeyError(TrustkitError, ValueError):
    """A key that is structurally readable but unusable: off the curve, out of range, wrong curve."""

    code = "invalid_key"


class DecryptionError(TrustkitError):
    """Decryption failed: wrong key, corrupted ciphertext, or a wrong password."""

    code = "decryption_failed"


class ConfigurationError(TrustkitError):
    """A configuration value is missing or invalid."""

    code = "configuration_error"


class CertificateValidationError(TrustkitError):
    """A certificate path did not validate; ``report`` holds the reason for each failure.

    Raised by the ``verify_*`` functions of :mod:`trustkit.pki`; the ``validate_*``
    functions return the same report instead of raising.
    """

    code = "certificate_invalid"

    def __init__(self, message: str = "", *, code: str | None = None, report: object | None = None) -> None:
        super().__init__(message, code=code)
        self.report = report


class TimestampError(TrustkitError):
    """The TSA refused the request, answered with something unusable, or could not be reached.

    ``code`` is ``"timestamp_rejected"`` (a PKIStatus other than granted; ``fail_info`` holds the
    RFC 3161 failure names) or ``"timestamp_unavailable"`` (network or HTTP error).
    """

    code = "timestamp_rejected"

    def __init__(self, message: str = "", *, code: str | None = None, fail_info: frozenset[str] = frozenset()) -> None:
        super().__init__(message, code=code)
        self.fail_info = fail_info


class InvalidCodeError(DecodeError):
    """A licence identifier, USCC or ID number is malformed or its check character is wrong.

    ``part`` names the offending part ("type_code", "check", "birth_date", ...).
    """

    code = "invalid_code"

    def __init__(self, message: str = "", *, part: str = "", code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.part = part


class ExpiredQRError(TrustkitError):
    """The QR token's ``exp`` has passed (or its ``iat`` lies in the future: code ``qr_not_yet_valid``)."""

    code = "qr_expired"


class UntrustedIssuerError(TrustkitError):
    """The signing key is not in the trust list, has expired there, or signs for another issuer."""

    code = "untrusted_issuer"


class TokenValidationError(TrustkitError):
    """A well-formed, correctly signed token failed a policy check, or no key may verify it.

    ``code`` says which check (stable strings for programs and wire protocols):

    ``expired``, ``not_yet_valid``, ``issued_in_future`` (RFC 7519 4.1.4-4.1.6, with leeway);
    ``wrong_issuer``, ``wrong_audience`` (4.1.1, 4.1.3); ``missing_claim``, ``invalid_claim``
    (a registered claim of the wrong type); ``revoked`` (``jti`` reported by ``is_revoked``);
    ``wrong_type`` (header ``typ``); ``unknown_key`` (no key with the token's ``kid``);
    ``key_mismatch`` (the key cannot serve the token's ``alg``: algorithm confusion);
    ``untrusted_header_key`` (``jwk``/``jku``/``x5u`` in the header); ``unsupported_crit``
    (RFC 7515 4.1.11).
    """

    code = "token_invalid"


# ---- the signing daemon (trustkit.daemon) ------------------------------------------------------
# Each carries the HTTP status it maps to (a closed table, as Vault's); messages are safe to show
# to the client.


class DaemonError(TrustkitError):
    """Base of the daemon's errors; ``status`` is the HTTP status of the answer."""

    code = "daemon_error"
    status = 500


class InvalidRequestError(DaemonError):
    """The request is malformed: bad JSON, bad base64, an unknown parameter value."""

    code = "invalid_request"
    status = 400


class KeyNotFoundError(DaemonError):
    """No key of that name (Vault answers 400 on sign/verify and 404 on read)."""

    code = "key_not_found"
    status = 400


class PermissionDeniedError(DaemonError):
    """Missing, unknown, expired or used-up token, or the policy does not allow the operation."""

    code = "permission_denied"
    status = 403


class PayloadTooLargeError(DaemonError):
    """The request body is larger than the configured cap."""

    code = "payload_too_large"
    status = 413


class RateLimitedError(DaemonError):
    """The token exceeded its request rate; ``retry_after`` is in seconds."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str = "", *, retry_after: float = 1.0) -> None:
        super().__init__(message or "rate limit exceeded")
        self.retry_after = retry_after


class SealedError(DaemonError):
    """The key store is sealed: unseal it with the operator passphrase first."""

    code = "sealed"
    status = 503


class NotInitializedError(DaemonError):
    """The key store was never initialised (``trustkit daemon init``)."""

    code = "not_initialized"
    status = 501


class AuditUnavailableError(DaemonError):
    """The audit record could not be made durable, so the daemon refuses to act (fail closed)."""

    code = "audit_unavailable"
    status = 503


class SecurityWarning(UserWarning):
    """A weak but still allowed choice was made (for example the empty SM2 signer ID)."""
