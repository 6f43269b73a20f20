"""trustkit endpoints beyond transit: certificates and seals for daemon keys, OFD and PDF
stamping with a daemon key, and an RFC 3161 time-stamping service.

The private key never leaves the daemon: the formats receive a
:class:`~trustkit.pki.signer.LocalSigner` built inside the daemon from the unsealed key and
the certificate attached to it (``PUT /v1/trustkit/keys/{name}/certificate``).  Seals (``.esl``
DER, GB/T 38540 / GM/T 0031) are stored by name (``PUT /v1/trustkit/seals/{name}``); policy
globs apply to seal names like key names.

Licences (GB/T 36905: a licence file is a sealed OFD): licence templates (the JSON of
:meth:`trustkit.licence.template.Template.from_json`) are stored by name like seals
(``PUT /v1/trustkit/licence/templates/{name}``); ``POST /v1/trustkit/licence/issue/{key}`` with
``{"record": {...}, "template": NAME, "seal": NAME}`` lays the record out, embeds its metadata
and seals it with the daemon key (:func:`trustkit.licence.issue.issue_licence`; the key also
signs the scan-to-show QR payload), answering ``{"document": base64 OFD}``.  Templates sent
over the API may not name a background image file (it would be read from the daemon host).

RFC 3161 over HTTP (RFC 3161 clause 3.4): ``POST /v1/trustkit/timestamp`` with a DER
TimeStampReq (``application/timestamp-query``) answers a DER TimeStampResp
(``application/timestamp-reply``), signed by the key named in the ``tsa_key`` setting of the
store (``PUT /v1/trustkit/tsa``), whose certificate must carry the critical timeStamping EKU.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

from trustkit.daemon.protocol import Context, b64decode, endpoint, vault_response
from trustkit.errors import DecodeError, InvalidRequestError
from trustkit.pki.certificate import load_certificates
from trustkit.pki.signer import LocalSigner

__all__ = ["routes"]

_TSA_POLICY = "2.999.3161.1"  # X.660 example arc: set "policy" in PUT /v1/trustkit/tsa for production


def _signer(ctx: Context, name: str) -> LocalSigner:
    raw = ctx.daemon.storage.meta_get(f"cert:{name}")
    if raw is None:
        raise InvalidRequestError(f"key {name!r} has no certificate; PUT /v1/trustkit/keys/{name}/certificate first")
    stored = json.loads(raw)
    certificates = load_certificates(stored["pem"].encode())
    key_type, _, private = ctx.daemon.keystore.signer_for(name)
    if key_type == "ed25519":
        raise InvalidRequestError("ed25519 keys cannot stamp documents")
    try:
        return LocalSigner(private, certificates[0], tuple(certificates[1:]))  # type: ignore[arg-type]
    except ValueError:
        raise InvalidRequestError("the stored certificate does not match the key's latest version") from None


async def _put_certificate(ctx: Context) -> Response:
    name = ctx.param("name")
    pem = ctx.body.get("certificate")
    chain = ctx.body.get("chain") or []
    if not isinstance(pem, str) or not isinstance(chain, list) or not all(isinstance(c, str) for c in chain):
        raise InvalidRequestError("certificate (PEM) and optional chain (list of PEM) are required")
    text = pem.strip() + "\n" + "".join(c.strip() + "\n" for c in chain)
    certificates = load_certificates(text.encode())
    ctx.daemon.keystore.info(name)  # the key must exist
    _, _, private = ctx.daemon.keystore.signer_for(name)
    try:
        LocalSigner(private, certificates[0])  # type: ignore[arg-type]
    except (ValueError, TypeError):
        raise InvalidRequestError("the certificate's public key is not this key's latest version") from None
    await run_in_threadpool(ctx.daemon.storage.meta_put, f"cert:{name}", json.dumps({"pem": text}).encode())
    ctx.audit.update({"key": name, "certificate": certificates[0].subject_text,
                      "serial": format(certificates[0].serial_number, "x")})
    return Response(status_code=204)


async def _put_seal(ctx: Context) -> Response:
    name = ctx.param("name")
    seal = b64decode(ctx.body.get("seal"), "seal")
    from trustkit.seal.ses import parse_seal

    try:
        parsed = parse_seal(seal)
    except DecodeError as exc:
        raise InvalidRequestError(f"not a seal: {exc.message}") from None
    await run_in_threadpool(ctx.daemon.storage.meta_put, f"seal:{name}", seal)
    ctx.audit.update({"seal": name, "esid": getattr(parsed, "esid", None)})
    return Response(status_code=204)


def _seal(ctx: Context, name: Any) -> bytes | None:
    if name is None:
        return None
    if not isinstance(name, str):
        raise InvalidRequestError("seal must be the name of a stored seal")
    assert ctx.principal is not None  # endpoint() authenticated the request
    ctx.daemon.auth.authorize(ctx.principal, "stamp", name)
    seal = ctx.daemon.storage.meta_get(f"seal:{name}")
    if seal is None:
        raise InvalidRequestError(f"no seal named {name!r}")
    return seal


def _number(value: Any, what: str, default: float | None = None) -> float:
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidRequestError(f"{what} must be a number")
    return float(value)


async def _stamp_ofd(ctx: Context) -> Response:
    from trustkit.ofd.stamp import PagePlacement, stamp_ofd

    name = ctx.param("name")
    document = b64decode(ctx.body.get("document"), "document")
    seal = _seal(ctx, ctx.body.get("seal"))
    signer = _signer(ctx, name)
    placements = []
    if "page" in ctx.body:
        placements.append(PagePlacement(int(_number(ctx.body["page"], "page")),
                                        _number(ctx.body.get("x"), "x", 20.0), _number(ctx.body.get("y"), "y", 20.0)))
    stamped = await run_in_threadpool(lambda: stamp_ofd(document, signer, seal=seal, placements=placements))
    ctx.audit.update({"key": name, "seal": ctx.body.get("seal"), "document": ctx.daemon.audit.hmac(document),
                      "bytes": len(document)})
    return vault_response(ctx, {"document": base64.b64encode(stamped).decode("ascii")})


async def _stamp_pdf(ctx: Context) -> Response:
    from trustkit.pdf import PagePosition, stamp_pdf

    name = ctx.param("name")
    document = b64decode(ctx.body.get("document"), "document")
    image = b64decode(ctx.body.get("image"), "image (a PNG seal picture)")
    mode = ctx.body.get("mode", "cms-sm2")
    seal = _seal(ctx, ctx.body.get("seal"))
    signer = _signer(ctx, name)
    placement = PagePosition(int(_number(ctx.body.get("page"), "page", 1)), _number(ctx.body.get("x"), "x", 150.0),
                             _number(ctx.body.get("y"), "y", 230.0))
    stamped = await run_in_threadpool(lambda: stamp_pdf(document, signer, seal_image=image, placement=placement,
                                                        mode=mode, seal_der=seal))
    ctx.audit.update({"key": name, "mode": mode, "document": ctx.daemon.audit.hmac(document)})
    return vault_response(ctx, {"document": base64.b64encode(stamped).decode("ascii")})


def _parse_template(document: Any) -> Any:
    from trustkit.licence.template import Template

    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            raise InvalidRequestError("template must be a JSON object (or its JSON text)") from None
    if not isinstance(document, dict):
        raise InvalidRequestError("template must be a JSON object (or its JSON text)")
    background = document.get("background")
    if isinstance(background, dict) and "image" in background:
        raise InvalidRequestError("templates sent to the daemon may not name a background image file")
    text = json.dumps(document, ensure_ascii=False).encode("utf-8")
    try:
        return text, Template.from_json(text)
    except DecodeError as exc:
        raise InvalidRequestError(f"not a licence template: {exc.message}") from None


async def _put_licence_template(ctx: Context) -> Response:
    name = ctx.param("name")
    text, template = _parse_template(ctx.body.get("template"))
    await run_in_threadpool(ctx.daemon.storage.meta_put, f"licence-template:{name}", text)
    ctx.audit.update({"template": name, "template_name": template.name})
    return Response(status_code=204)


def _licence_template(ctx: Context, name: Any) -> Any:
    from trustkit.licence.template import Template

    if not isinstance(name, str):
        raise InvalidRequestError("template must be the name of a stored licence template")
    assert ctx.principal is not None  # endpoint() authenticated the request
    ctx.daemon.auth.authorize(ctx.principal, "stamp", name)
    text = ctx.daemon.storage.meta_get(f"licence-template:{name}")
    if text is None:
        raise InvalidRequestError(f"no licence template named {name!r}; PUT /v1/trustkit/licence/templates/{name}")
    return Template.from_json(text)


async def _issue_licence(ctx: Context) -> Response:
    from datetime import datetime

    from trustkit.licence.issue import issue_licence
    from trustkit.licence.model import LicenceRecord

    name = ctx.param("name")
    data = ctx.body.get("record")
    if not isinstance(data, dict):
        raise InvalidRequestError("record must be a JSON object (the licence record, trustkit-licence/1)")
    try:
        record = LicenceRecord.from_dict(data)
    except (DecodeError, ValueError, TypeError, KeyError) as exc:
        raise InvalidRequestError(f"invalid licence record: {getattr(exc, 'message', None) or exc}") from None
    if ctx.body.get("seal") is None:
        raise InvalidRequestError("seal (the name of a stored seal listing this key's certificate) is required")
    seal = _seal(ctx, ctx.body.get("seal"))
    assert seal is not None
    template = _licence_template(ctx, ctx.body.get("template"))
    photo = b64decode(ctx.body["photo"], "photo") if ctx.body.get("photo") is not None else None
    attach_xml = ctx.body.get("attach_xml", False)
    if not isinstance(attach_xml, bool):
        raise InvalidRequestError("attach_xml must be true or false")
    moment = None
    if ctx.body.get("time") is not None:
        try:
            moment = datetime.fromisoformat(str(ctx.body["time"]))
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise InvalidRequestError("time must be an ISO 8601 date-time with a UTC offset")
    signer = _signer(ctx, name)

    def issue() -> bytes:
        try:
            return issue_licence(record, template, signer, seal, photo=photo, time=moment, attach_xml=attach_xml)
        except DecodeError as exc:
            raise InvalidRequestError(f"cannot issue: {exc.message}") from None
        except ValueError as exc:
            raise InvalidRequestError(f"cannot issue: {exc}") from None

    document = await run_in_threadpool(issue)
    ctx.audit.update({"key": name, "seal": ctx.body.get("seal"), "template": ctx.body.get("template"),
                      "identifier": ctx.daemon.audit.hmac(str(record.identifier).encode()),
                      "document": ctx.daemon.audit.hmac(document)})
    return vault_response(ctx, {"document": base64.b64encode(document).decode("ascii"),
                                "identifier": str(record.identifier)})


async def _put_tsa(ctx: Context) -> Response:
    key = ctx.body.get("key")
    policy = ctx.body.get("policy", _TSA_POLICY)
    if not isinstance(key, str) or not isinstance(policy, str):
        raise InvalidRequestError("key (a daemon key with a TSA certificate) and policy (an OID) are required")
    _signer(ctx, key)
    await run_in_threadpool(ctx.daemon.storage.meta_put, "tsa", json.dumps({"key": key, "policy": policy}).encode())
    ctx.daemon.tsa_cache = None
    return Response(status_code=204)


async def _timestamp(ctx: Context) -> Response:
    from trustkit.pki.timestamp import TimestampAuthority

    if ctx.request.headers.get("content-type", "").split(";")[0].strip() != "application/timestamp-query":
        raise InvalidRequestError("Content-Type must be application/timestamp-query (RFC 3161 clause 3.4)")
    cached = ctx.daemon.tsa_cache
    if cached is None:
        raw = ctx.daemon.storage.meta_get("tsa")
        if raw is None:
            raise InvalidRequestError("no TSA configured; PUT /v1/trustkit/tsa {key, policy} first")
        settings = json.loads(raw)
        cached = ctx.daemon.tsa_cache = TimestampAuthority(_signer(ctx, settings["key"]), policy_oid=settings["policy"])
    assert isinstance(cached, TimestampAuthority)
    reply = await run_in_threadpool(cached.respond, ctx.raw)
    ctx.audit.update({"request": ctx.daemon.audit.hmac(ctx.raw)})
    return Response(reply, media_type="application/timestamp-reply")


def routes() -> list[Route]:
    return [
        Route("/v1/trustkit/keys/{name}/certificate", endpoint(_put_certificate, operation="update", key_param="name"),
              methods=["PUT", "POST"]),
        Route("/v1/trustkit/seals/{name}", endpoint(_put_seal, operation="update", key_param="name"),
              methods=["PUT", "POST"]),
        Route("/v1/trustkit/ofd/stamp/{name}", endpoint(_stamp_ofd, operation="stamp", key_param="name",
                                                        body_limit="max_document_bytes"), methods=["POST"]),
        Route("/v1/trustkit/pdf/stamp/{name}", endpoint(_stamp_pdf, operation="stamp", key_param="name",
                                                        body_limit="max_document_bytes"), methods=["POST"]),
        Route("/v1/trustkit/licence/templates/{name}", endpoint(_put_licence_template, operation="update",
                                                                key_param="name"), methods=["PUT", "POST"]),
        Route("/v1/trustkit/licence/issue/{name}", endpoint(_issue_licence, operation="stamp", key_param="name",
                                                            body_limit="max_document_bytes"), methods=["POST"]),
        Route("/v1/trustkit/tsa", endpoint(_put_tsa, operation="sys"), methods=["PUT", "POST"]),
        Route("/v1/trustkit/timestamp", endpoint(_timestamp, operation="timestamp", json_body=False),
              methods=["POST"]),
    ]
