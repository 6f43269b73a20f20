"""Errors of the signing daemon, each with the HTTP status it maps to (a closed table, as Vault's).

They live here rather than in :mod:`trustkit.errors` because only the daemon raises them; the
lead may move them there.  Messages are safe to show to the client.
"""

from __future__ import annotations

from trustkit.errors import TrustkitError

__all__ = [
    "AuditUnavailableError",
    "DaemonError",
    "InvalidRequestError",
    "KeyNotFoundError",
    "NotInitializedError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitedError",
    "SealedError",
]


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
