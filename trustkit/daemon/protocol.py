"""Request plumbing shared by every endpoint: size caps, JSON parsing, authentication, policy,
rate limit, the audit record written (durably) before the answer, and Vault-shaped errors.

Errors are ``{"errors": ["message"]}`` with the status of the closed table in
:mod:`trustkit.errors` (the daemon section); anything unexpected is logged with its traceback and answered with
one generic 500 (Radicale ``app/__init__.py``).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from trustkit.daemon.auth import Principal
from trustkit.daemon.state import Daemon
from trustkit.errors import (
    AuditUnavailableError,
    DaemonError,
    DecodeError,
    InvalidRequestError,
    PayloadTooLargeError,
    RateLimitedError,
    SealedError,
    TrustkitError,
)

__all__ = ["Context", "Handler", "b64decode", "endpoint", "error_response", "vault_response"]

log = logging.getLogger("trustkit.daemon")
# Request ids need to be unique, not secret: a seeded PRNG avoids a getrandom() call per request.
_ids = random.Random()


@dataclass
class Context:
    """One request as the handlers see it."""

    request: Request
    daemon: Daemon
    request_id: str
    raw: bytes = b""
    body: dict[str, Any] = field(default_factory=dict)
    principal: Principal | None = None
    audit: dict[str, Any] = field(default_factory=dict)

    def param(self, name: str) -> str:
        return str(self.request.path_params.get(name, ""))


Handler = Callable[[Context], Awaitable[Response]]


def error_response(status: int, messages: list[str], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"errors": messages}, status_code=status, headers=headers)


def vault_response(ctx: Context, data: dict[str, Any] | None, *, status: int = 200,
                   auth: dict[str, Any] | None = None, warnings: list[str] | None = None) -> JSONResponse:
    """Vault's response envelope (what hvac parses)."""
    return JSONResponse({"request_id": ctx.request_id, "lease_id": "", "renewable": False, "lease_duration": 0,
                         "data": data, "wrap_info": None, "warnings": warnings, "auth": auth}, status_code=status)


def b64decode(value: Any, what: str = "input") -> bytes:
    """Strict base64 (standard alphabet, padding optional, no stray characters).

    :raises InvalidRequestError: not a string or not base64.
    """
    if not isinstance(value, str):
        raise InvalidRequestError(f"{what} must be a base64 string")
    text = value.strip()
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequestError(f"unable to decode {what} as base64") from None


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing more than ``limit`` bytes (declared or streamed).

    :raises PayloadTooLargeError: over the cap.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise PayloadTooLargeError(f"request body larger than {limit} bytes")
        except ValueError:
            raise InvalidRequestError("bad Content-Length") from None
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"request body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _token(request: Request) -> str | None:
    token = request.headers.get("x-vault-token")
    if token:
        return token
    authorization = request.headers.get("authorization", "")
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    return None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def endpoint(handler: Handler, *, operation: str | None, key_param: str | None = None, unsealed: bool = True,
             body_limit: str = "max_body_bytes", json_body: bool = True, audited: bool = True,
             ) -> Callable[[Request], Awaitable[Response]]:
    """Wrap ``handler`` with the common request pipeline.

    :param operation: the policy operation needed (``None``: no token needed; ``"self"``: any
        valid token).
    :param key_param: the path parameter naming the key the policy glob is matched against.
    :param unsealed: refuse with 503 while sealed.
    :param body_limit: the config option capping the body.
    :param json_body: parse the body as a JSON object.
    :param audited: write an audit record (all but health/status/openapi).
    """

    async def run(request: Request) -> Response:
        daemon: Daemon = request.app.state.daemon
        ctx = Context(request, daemon, str(uuid.UUID(int=_ids.getrandbits(128), version=4)))
        started = time.monotonic()
        token = _token(request)
        try:
            ctx.raw = await read_body(request, int(daemon.config.values[body_limit]))
            if json_body and ctx.raw.strip():
                try:
                    parsed = json.loads(ctx.raw)
                except (ValueError, UnicodeDecodeError):
                    raise InvalidRequestError("failed to parse JSON input") from None
                if not isinstance(parsed, dict):
                    raise InvalidRequestError("JSON input must be an object")
                ctx.body = parsed
            if operation is not None:
                ctx.principal = daemon.auth.authenticate(token)
                if operation != "self":  # "self": any valid token (lookup-self)
                    key = ctx.param(key_param) if key_param else ""
                    daemon.auth.authorize(ctx.principal, operation, key)
                daemon.auth.check_rate(ctx.principal)
            if unsealed and daemon.keystore.sealed:
                raise SealedError("Vault is sealed")
            response = await handler(ctx)
        except RateLimitedError as exc:
            response = error_response(429, [exc.message], {"Retry-After": str(int(exc.retry_after))})
        except DaemonError as exc:
            response = error_response(exc.status, [exc.message])
        except DecodeError as exc:
            response = error_response(400, [exc.message])
        except TrustkitError as exc:
            response = error_response(400, [exc.message])
        except Exception:
            log.exception("internal error on %s %s", request.method, request.scope["path"])
            response = error_response(500, ["internal error"])
        if not audited:
            return response
        record: dict[str, Any] = {
            "v": 1, "type": "request", "time": _now(), "request_id": ctx.request_id,
            "remote": request.client.host if request.client else None, "method": request.method,
            "path": request.scope["path"], "operation": operation, "status": response.status_code,
            "duration_ms": round((time.monotonic() - started) * 1000, 3),
        }
        if token:
            record["token"] = "hmac-sm3:" + daemon.auth.token_id(token)  # HMAC-SM3 under the server pepper
        if ctx.principal is not None:
            record["accessor"] = ctx.principal.token.accessor
        record.update(ctx.audit)
        try:
            await daemon.audit.awrite(record)
        except AuditUnavailableError as exc:
            log.error("audit write failed, refusing request %s: %s", ctx.request_id, exc.message)
            return error_response(503, ["audit log unavailable: request refused"])
        except Exception:  # pragma: no cover - the writer wraps everything
            log.exception("audit write failed")
            return error_response(503, ["audit log unavailable: request refused"])
        return response

    return run
