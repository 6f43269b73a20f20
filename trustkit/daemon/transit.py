"""Vault transit-shaped endpoints: keys (create, read, list, rotate, config, delete), sign, verify.

Request and response shapes follow Vault's transit engine so hvac works unmodified; the key
type ``sm2`` is ours (SM2 with SM3 over Z(default ID) || input, DER signature; see
:mod:`trustkit.daemon.keystore`).  Signatures are ``vault:v<N>:<base64>`` (``tk:v<N>:`` with
``signature_prefix = "tk"``; both prefixes are accepted on verify).
"""

from __future__ import annotations

import base64
import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

from trustkit.daemon.protocol import (
    Context,
    b64decode,
    endpoint,
    error_response,
    vault_response,
)
from trustkit.errors import InvalidRequestError, KeyNotFoundError
from trustkit.primitives import sm2

__all__ = ["routes"]

_SIGNATURE = re.compile(r"^(vault|tk):v([0-9]{1,9}):([A-Za-z0-9+/=_-]*)$")


def _bool(value: Any, name: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise InvalidRequestError(f"{name} must be a boolean")


def _int(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidRequestError(f"{name} must be an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise InvalidRequestError(f"{name} must be an integer")


def _str(value: Any, name: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidRequestError(f"{name} must be a string")
    return value


async def _create(ctx: Context) -> Response:
    name = ctx.param("name")
    key_type = _str(ctx.body.get("type"), "type") or "sm2"
    exportable = _bool(ctx.body.get("exportable"), "exportable")
    if _bool(ctx.body.get("derived"), "derived") or _bool(ctx.body.get("convergent_encryption"), "convergent"):
        raise InvalidRequestError("key derivation is not supported for signing keys")
    if _bool(ctx.body.get("allow_plaintext_backup"), "allow_plaintext_backup"):
        raise InvalidRequestError("plaintext backup is not offered; keys export only wrapped")
    info, created = await run_in_threadpool(ctx.daemon.keystore.create, name, key_type, exportable=exportable)
    ctx.audit.update({"key": name, "key_type": info.type, "created": created, "key_version": info.latest_version})
    return vault_response(ctx, info.to_vault())


async def _read(ctx: Context) -> Response:
    name = ctx.param("name")
    ctx.audit["key"] = name
    try:
        info = ctx.daemon.keystore.info(name)
    except KeyNotFoundError:
        return error_response(404, [])
    return vault_response(ctx, info.to_vault())


async def _delete(ctx: Context) -> Response:
    name = ctx.param("name")
    ctx.audit["key"] = name
    await run_in_threadpool(ctx.daemon.keystore.delete, name)
    return Response(status_code=204)


async def _list(ctx: Context) -> Response:
    names = await run_in_threadpool(ctx.daemon.keystore.names)
    if not names:
        return error_response(404, [])
    return vault_response(ctx, {"keys": names})


async def _keys_root(ctx: Context) -> Response:
    if ctx.request.method == "LIST" or ctx.request.query_params.get("list") == "true":
        return await _list(ctx)
    return error_response(405, ["unsupported operation"])


async def _rotate(ctx: Context) -> Response:
    name = ctx.param("name")
    info = await run_in_threadpool(ctx.daemon.keystore.rotate, name)
    ctx.audit.update({"key": name, "key_version": info.latest_version})
    return vault_response(ctx, info.to_vault())


async def _config(ctx: Context) -> Response:
    name = ctx.param("name")
    changes = {k: v for k, v in ctx.body.items() if v is not None}
    info = await run_in_threadpool(ctx.daemon.keystore.configure, name, changes)
    ctx.audit.update({"key": name, "config": changes})
    return vault_response(ctx, info.to_vault())


def _options(ctx: Context) -> dict[str, Any]:
    body = ctx.body
    return {
        "prehashed": _bool(body.get("prehashed"), "prehashed"),
        "hash_algorithm": ctx.param("hash") or _str(body.get("hash_algorithm") or body.get("algorithm"),
                                                    "hash_algorithm"),
        "signature_algorithm": _str(body.get("signature_algorithm"), "signature_algorithm"),
        "marshaling_algorithm": _str(body.get("marshaling_algorithm"), "marshaling_algorithm"),
    }


def _batch(ctx: Context) -> list[Any] | None:
    batch = ctx.body.get("batch_input")
    if batch is None:
        return None
    if not isinstance(batch, list) or not batch:
        raise InvalidRequestError("batch_input must be a non-empty list")
    if len(batch) > int(ctx.daemon.config.max_batch_items):
        raise InvalidRequestError(f"batch_input has more than {ctx.daemon.config.max_batch_items} items")
    return batch


async def _sign(ctx: Context) -> Response:
    name = ctx.param("name")
    store = ctx.daemon.keystore
    options = _options(ctx)
    version = _int(ctx.body.get("key_version"), "key_version")
    batch = _batch(ctx)
    prefix = ctx.daemon.config.signature_prefix
    hmac = ctx.daemon.audit.hmac
    ctx.audit["key"] = name
    if batch is None:
        if "input" not in ctx.body:
            raise InvalidRequestError("missing input to process")
        data = b64decode(ctx.body.get("input"))
        used, signatures = store.sign(name, [data], version=version, **options)
        ctx.audit.update({"key_version": used, "input": hmac(data), "items": 1})
        return vault_response(ctx, {"signature": f"{prefix}:v{used}:{base64.b64encode(signatures[0]).decode()}",
                                    "key_version": used})
    results: list[dict[str, Any]] = [{} for _ in batch]
    good: list[int] = []
    inputs: list[bytes] = []
    for index, item in enumerate(batch):
        try:
            if not isinstance(item, dict):
                raise InvalidRequestError("each batch item must be an object")
            inputs.append(b64decode(item.get("input")))
            good.append(index)
        except InvalidRequestError as exc:
            results[index] = {"error": exc.message}
    if not good:
        raise InvalidRequestError(results[0].get("error", "no valid batch item"))
    used, signatures = store.sign(name, inputs, version=version, **options)
    for index, signature in zip(good, signatures):
        results[index] = {"signature": f"{prefix}:v{used}:{base64.b64encode(signature).decode()}", "key_version": used}
        reference = batch[index].get("reference")
        if reference is not None:
            results[index]["reference"] = reference
    ctx.audit.update({"key_version": used, "items": len(batch), "input": [hmac(d) for d in inputs]})
    return vault_response(ctx, {"batch_results": results})


def _parse_signature(text: Any) -> tuple[int, bytes]:
    if not isinstance(text, str):
        raise InvalidRequestError("signature must be a string vault:v<N>:<base64>")
    match = _SIGNATURE.match(text)
    if match is None:
        raise InvalidRequestError("invalid signature: expected vault:v<N>:<base64> (or tk:v<N>:...)")
    return int(match.group(2)), b64decode(match.group(3), "signature")


async def _verify(ctx: Context) -> Response:
    name = ctx.param("name")
    store = ctx.daemon.keystore
    options = _options(ctx)
    batch = _batch(ctx)
    ctx.audit["key"] = name
    if batch is None:
        if "input" not in ctx.body:
            raise InvalidRequestError("missing input to process")
        data = b64decode(ctx.body.get("input"))
        version, signature = _parse_signature(ctx.body.get("signature"))
        valid = store.verify(name, version, data, signature, **options)
        ctx.audit.update({"key_version": version, "valid": valid, "input": ctx.daemon.audit.hmac(data)})
        return vault_response(ctx, {"valid": valid})
    results: list[dict[str, Any]] = []
    for item in batch:
        try:
            if not isinstance(item, dict):
                raise InvalidRequestError("each batch item must be an object")
            data = b64decode(item.get("input"))
            version, signature = _parse_signature(item.get("signature"))
            result: dict[str, Any] = {"valid": store.verify(name, version, data, signature, **options)}
        except InvalidRequestError as exc:
            result = {"valid": False, "error": exc.message}
        if item.get("reference") is not None if isinstance(item, dict) else False:
            result["reference"] = item["reference"]
        results.append(result)
    ctx.audit.update({"items": len(batch), "valid": [r["valid"] for r in results]})
    return vault_response(ctx, {"batch_results": results})


async def _export_wrapped(ctx: Context) -> Response:
    name = ctx.param("name")
    pem = _str(ctx.body.get("wrapping_public_key"), "wrapping_public_key")
    if pem is None:
        raise InvalidRequestError("wrapping_public_key (an SM2 public key, PEM) is required")
    wrapping = sm2.load_public_key(pem.encode())
    version = _int(ctx.body.get("key_version"), "key_version")
    envelope = ctx.daemon.keystore.export_wrapped(name, version, wrapping)
    ctx.audit.update({"key": name, "key_version": envelope["version"], "wrapped_for": ctx.daemon.audit.hmac(pem)})
    return vault_response(ctx, envelope)


def routes() -> list[Route]:
    """The transit routes (mount point ``transit``)."""
    return [
        Route("/v1/transit/sign/{name}", endpoint(_sign, operation="sign", key_param="name"), methods=["POST", "PUT"]),
        Route("/v1/transit/sign/{name}/{hash}", endpoint(_sign, operation="sign", key_param="name"),
              methods=["POST", "PUT"]),
        Route("/v1/transit/verify/{name}", endpoint(_verify, operation="verify", key_param="name"),
              methods=["POST", "PUT"]),
        Route("/v1/transit/verify/{name}/{hash}", endpoint(_verify, operation="verify", key_param="name"),
              methods=["POST", "PUT"]),
        Route("/v1/transit/keys", endpoint(_keys_root, operation="list"), methods=["GET", "LIST"]),
        Route("/v1/transit/keys/{name}", endpoint(_create, operation="create", key_param="name"),
              methods=["POST", "PUT"]),
        Route("/v1/transit/keys/{name}", endpoint(_read, operation="read", key_param="name"), methods=["GET"]),
        Route("/v1/transit/keys/{name}", endpoint(_delete, operation="delete", key_param="name"), methods=["DELETE"]),
        Route("/v1/transit/keys/{name}/rotate", endpoint(_rotate, operation="update", key_param="name"),
              methods=["POST", "PUT"]),
        Route("/v1/transit/keys/{name}/config", endpoint(_config, operation="update", key_param="name"),
              methods=["POST", "PUT"]),
        Route("/v1/trustkit/keys/{name}/export-wrapped", endpoint(_export_wrapped, operation="export",
                                                                  key_param="name"), methods=["POST"]),
    ]
