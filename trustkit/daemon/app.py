"""The daemon's ASGI application (Starlette): sys, auth, transit and trustkit endpoints.

``create_app(daemon)`` builds a transport-free app; :mod:`trustkit.daemon.server` runs it under
uvicorn.  Tests drive it in-process (``starlette.testclient``) or as a real process.

Why Starlette + uvicorn: both are small, widely deployed and maintained (encode/); uvicorn
brings HTTP/1.1 with httptools/uvloop, TLS and client-certificate options from the ``ssl``
module, multi-process workers and a graceful shutdown that drains in-flight requests; the
identity app (also Starlette) mounts beside the API with ``Mount``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

import trustkit
from trustkit.daemon import services, transit
from trustkit.daemon.openapi import openapi_document
from trustkit.daemon.protocol import Context, endpoint, error_response, vault_response
from trustkit.daemon.state import Daemon
from trustkit.errors import InvalidRequestError, PermissionDeniedError

__all__ = ["create_app"]


def _seal_status(daemon: Daemon) -> dict[str, Any]:
    initialized = daemon.keystore.initialized
    return {"type": "passphrase", "initialized": initialized, "sealed": daemon.keystore.sealed, "t": 1, "n": 1,
            "progress": 0, "nonce": "", "version": f"trustkit-{trustkit.__version__}", "build_date": "",
            "migration": False, "recovery_seal": False, "storage_type": daemon.storage.kind}


async def _health(ctx: Context) -> Response:
    daemon = ctx.daemon
    query = ctx.request.query_params
    initialized = await run_in_threadpool(lambda: daemon.keystore.initialized)
    sealed = daemon.keystore.sealed
    if not initialized:
        status = int(query.get("uninitcode", 501))
    elif sealed:
        status = int(query.get("sealedcode", 503))
    else:
        status = int(query.get("activecode", 200))
    body = {"initialized": initialized, "sealed": sealed, "standby": False, "performance_standby": False,
            "replication_performance_mode": "disabled", "replication_dr_mode": "disabled",
            "server_time_utc": int(datetime.now(UTC).timestamp()),
            "version": f"trustkit-{trustkit.__version__}", "cluster_name": "trustkit", "cluster_id": ""}
    if ctx.request.method == "HEAD":
        return Response(status_code=status)
    return JSONResponse(body, status_code=status)


async def _seal_status_handler(ctx: Context) -> Response:
    return JSONResponse(await run_in_threadpool(_seal_status, ctx.daemon))


async def _unseal(ctx: Context) -> Response:
    store = ctx.daemon.keystore
    if ctx.body.get("reset"):
        return JSONResponse(_seal_status(ctx.daemon))
    key = ctx.body.get("key")
    if not isinstance(key, str) or not key:
        raise InvalidRequestError("missing required 'key' parameter (the unseal passphrase)")
    if store.sealed:
        try:
            await run_in_threadpool(store.unseal, key)
        finally:
            ctx.audit["unsealed"] = not store.sealed
    return JSONResponse(await run_in_threadpool(_seal_status, ctx.daemon))


async def _seal(ctx: Context) -> Response:
    ctx.daemon.keystore.seal()
    return Response(status_code=204)


def _ttl(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
        try:
            if value[-1] in units:
                return float(value[:-1]) * units[value[-1]]
            return float(value)
        except ValueError:
            pass
    raise InvalidRequestError("ttl must be seconds or a duration such as 30s, 15m, 1h")


async def _token_create(ctx: Context) -> Response:
    body = ctx.body
    assert ctx.principal is not None
    own = list(ctx.principal.token.policies)
    policies = body.get("policies") or own
    if not isinstance(policies, list) or not all(isinstance(p, str) for p in policies):
        raise InvalidRequestError("policies must be a list of names")
    if "root" not in own and not set(policies) <= set(own):
        # As in Vault: a non-root token may only hand out policies it holds itself.
        raise PermissionDeniedError("permission denied: cannot grant policies this token does not hold")
    num_uses = body.get("num_uses", 0)
    rate = body.get("rate_limit", ctx.daemon.config.default_rate_limit)
    if isinstance(num_uses, bool) or not isinstance(num_uses, int) or isinstance(rate, bool) \
            or not isinstance(rate, (int, float)):
        raise InvalidRequestError("num_uses must be an integer and rate_limit a number")
    ttl = _ttl(body.get("ttl"))
    token, record = await run_in_threadpool(
        lambda: ctx.daemon.auth.create_token(policies, ttl=ttl, num_uses=num_uses, rate_limit=float(rate),
                                             display_name=str(body.get("display_name", "token"))))
    ctx.audit.update({"new_accessor": record.accessor, "policies": policies})
    return vault_response(ctx, None, auth={
        "client_token": token, "accessor": record.accessor, "policies": list(record.policies),
        "token_policies": list(record.policies), "metadata": None, "lease_duration": int(ttl or 0),
        "renewable": False, "entity_id": "", "token_type": "service", "orphan": True,
        "num_uses": record.num_uses})


async def _lookup_self(ctx: Context) -> Response:
    assert ctx.principal is not None
    token = ctx.principal.token
    return vault_response(ctx, {"accessor": token.accessor, "policies": list(token.policies),
                                "creation_time": int(token.created), "expire_time": token.expires,
                                "num_uses": token.num_uses, "display_name": token.display_name,
                                "rate_limit": token.rate_limit})


async def _policy(ctx: Context) -> Response:
    name = ctx.param("name")
    auth = ctx.daemon.auth
    if ctx.request.method == "GET":
        document = await run_in_threadpool(auth.get_policy, name)
        if document is None:
            return error_response(404, [])
        return vault_response(ctx, {"name": name, "rules": document, "policy": document})
    if ctx.request.method == "DELETE":
        await run_in_threadpool(auth.delete_policy, name)
        return Response(status_code=204)
    document = ctx.body.get("policy", ctx.body.get("rules"))
    if not isinstance(document, (str, dict)):
        raise InvalidRequestError("policy must be a JSON document (string or object)")
    await run_in_threadpool(auth.put_policy, name, document)
    ctx.audit["policy"] = name
    return Response(status_code=204)


async def _openapi(ctx: Context) -> Response:
    return JSONResponse(openapi_document())


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    return error_response(status, [] if status == 404 else [str(getattr(exc, "detail", "error"))])


def _routes() -> list[BaseRoute]:
    return [
        *transit.routes(),  # first: sign/verify are the hot paths
        Route("/v1/sys/health", endpoint(_health, operation=None, unsealed=False, audited=False),
              methods=["GET", "HEAD"]),
        Route("/v1/sys/seal-status", endpoint(_seal_status_handler, operation=None, unsealed=False, audited=False),
              methods=["GET"]),
        Route("/v1/sys/unseal", endpoint(_unseal, operation=None, unsealed=False), methods=["PUT", "POST"]),
        Route("/v1/sys/seal", endpoint(_seal, operation="sys", unsealed=False), methods=["PUT", "POST"]),
        Route("/v1/auth/token/create", endpoint(_token_create, operation="sys", unsealed=False),
              methods=["POST", "PUT"]),
        Route("/v1/auth/token/lookup-self", endpoint(_lookup_self, operation="self", unsealed=False), methods=["GET"]),
        Route("/v1/sys/policy/{name}", endpoint(_policy, operation="sys", unsealed=False),
              methods=["GET", "PUT", "POST", "DELETE"]),
        Route("/v1/sys/policies/acl/{name}", endpoint(_policy, operation="sys", unsealed=False),
              methods=["GET", "PUT", "POST", "DELETE"]),
        Route("/v1/openapi.json", endpoint(_openapi, operation=None, unsealed=False, audited=False),
              methods=["GET"]),
        *services.routes(),
    ]


def create_app(daemon: Daemon, *, identity_app: ASGIApp | None = None, close_on_shutdown: bool = True) -> Starlette:
    """The ASGI app serving ``daemon``.

    :param identity_app: an ASGI app (``trustkit.identity.create_identity_app(...)``, or
        :func:`trustkit.daemon.identity.build_identity_app`) mounted at ``/identity`` when the
        identity service is enabled; a Starlette app's lifespan runs with the daemon's.
    :param close_on_shutdown: flush the audit log, seal and close storage when the server stops
        (after uvicorn has drained in-flight requests).
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Starlette does not run a mounted app's lifespan: run the identity app's (its purge task) here.
        async with contextlib.AsyncExitStack() as stack:
            if isinstance(identity_app, Starlette):
                await stack.enter_async_context(identity_app.router.lifespan_context(identity_app))
            yield
        if close_on_shutdown:
            await run_in_threadpool(daemon.close)

    routes = _routes()
    if identity_app is not None:
        routes.append(Mount("/identity", app=identity_app))
    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={HTTPException: _not_found})
    app.state.daemon = daemon
    return app
