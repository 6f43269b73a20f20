"""QR-code login: a portal shows a short-lived signed QR code, a signed-in mobile session
approves it, and the portal's poll receives an authorization code.

Flow:

1. The portal ``POST /qr/start`` with the same parameters as an authorization request
   (``client_id``, ``redirect_uri``, ``code_challenge`` S256, ``state``, ``scope``, ``nonce``).
   The provider answers ``{qr_id, payload, qr_png, poll_url, poll_token, expires_in}``; the payload
   is a JWT signed with the provider's key (``typ`` ``tk-qr+jwt``), shown as a QR code.
2. The user's phone, signed in (SSO cookie), scans it and ``POST /qr/approve`` with JSON
   ``{"payload": ...}``.  JSON only: a cross-site form cannot send it, which is the CSRF defence.
3. The portal ``POST /qr/poll`` with ``qr_id`` and ``poll_token`` (a form body, so the secret never
   appears in access logs) and receives ``{"status": "approved", "code", "state"}`` once, then
   redeems the code at ``/token`` with its PKCE verifier as usual.
"""

from __future__ import annotations

import base64
import hmac
import io
import json
import secrets

import segno
from starlette.requests import Request
from starlette.responses import Response

from trustkit.identity._authorize import validate_authorization_request
from trustkit.identity._common import (
    SESSION_COOKIE,
    Context,
    OAuthError,
    client_ip,
    json_ok,
    log,
    read_form,
)
from trustkit.identity._tokens import TokenInvalid
from trustkit.identity.store import digest

__all__ = ["QRLogin"]

#: QR logins one address may start per minute (each one is a database row until it expires).
_STARTS_PER_MINUTE = 30


class QRLogin:
    """The three QR-login endpoints."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def start(self, request: Request) -> Response:
        """Create a QR login for a validated authorization request."""
        ctx = self.ctx
        try:
            form = await read_form(request, ctx.config.max_body)
        except OAuthError as exc:
            return exc.response()
        if ctx.store.hit(f"qr:{client_ip(request)}", ctx.now(), 60) > _STARTS_PER_MINUTE:
            return json_ok({"error": "slow_down", "error_description": "too many QR logins started"}, 429)
        form.setdefault("response_type", "code")
        outcome = validate_authorization_request(ctx, form)
        if not isinstance(outcome, dict):
            return json_ok({"error": "invalid_request", "error_description": "invalid authorization request"}, 400)
        if "code_challenge" not in outcome:
            return json_ok({"error": "invalid_request", "error_description": "QR login requires PKCE (S256)"}, 400)
        now = ctx.now()
        qr_id = secrets.token_urlsafe(16)
        poll_token = secrets.token_urlsafe(32)
        expires = now + ctx.config.qr_ttl
        ctx.store.put_qr(qr_id, digest(poll_token), outcome, expires)
        payload = ctx.tokens.sign_qr({"qr": qr_id, "client_id": outcome["client_id"]}, now=now, exp=expires)
        png = io.BytesIO()
        segno.make(payload, error="l").save(png, kind="png", scale=4)
        log.info("QR login started client=%s", outcome["client_id"])
        return json_ok(
            {
                "qr_id": qr_id,
                "payload": payload,
                "qr_png": base64.b64encode(png.getvalue()).decode("ascii"),
                "poll_url": f"{ctx.config.issuer}/qr/poll",
                "poll_token": poll_token,
                "expires_in": ctx.config.qr_ttl,
            }
        )

    async def approve(self, request: Request) -> Response:
        """A signed-in session approves the QR login named by a scanned payload."""
        ctx = self.ctx
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
            return json_ok({"error": "invalid_request", "error_description": "JSON body required"}, 415)
        try:
            body = bytearray()
            async for chunk in request.stream():
                body += chunk
                if len(body) > 8192:
                    raise ValueError("body too large")
            data = json.loads(body)
            payload = str(data["payload"])
        except (ValueError, KeyError, TypeError):
            return json_ok({"error": "invalid_request", "error_description": "payload required"}, 400)
        sid = request.cookies.get(SESSION_COOKIE)
        session = ctx.store.get_session(digest(sid), ctx.now()) if sid and len(sid) <= 128 else None
        if session is None:
            return json_ok({"error": "login_required", "error_description": "sign in on this device first"}, 401)
        try:
            claims = ctx.tokens.verify_qr(payload)
        except TokenInvalid:
            return json_ok({"error": "invalid_request", "error_description": "invalid or expired QR code"}, 400)
        qr_id = str(claims.get("qr", ""))
        row = ctx.store.get_qr(qr_id, ctx.now())
        if row is None or row[2] != "pending":
            return json_ok({"error": "invalid_request", "error_description": "invalid or expired QR code"}, 400)
        params = row[1]
        code = ctx.issue_code(params, session.sub, session.session_hash, session.auth_time)
        if not ctx.store.approve_qr(qr_id, session.sub, code):
            return json_ok({"error": "invalid_request", "error_description": "invalid or expired QR code"}, 400)
        log.info("QR login approved client=%s sub=%s", params["client_id"], session.sub)
        return json_ok({"status": "approved", "client_id": params["client_id"]})

    async def poll(self, request: Request) -> Response:
        """The portal asks whether its QR login was approved; the code is handed out once."""
        ctx = self.ctx
        try:
            form = await read_form(request, ctx.config.max_body)
        except OAuthError as exc:
            return exc.response()
        qr_id, poll_token = form.get("qr_id", ""), form.get("poll_token", "")
        row = ctx.store.get_qr(qr_id, ctx.now()) if qr_id and len(qr_id) <= 64 else None
        if row is None or not hmac.compare_digest(row[0], digest(poll_token)):
            return json_ok({"status": "expired"}, 404)
        status, params, code = row[2], row[1], row[4]
        if status == "pending":
            return json_ok({"status": "pending"})
        if status == "approved" and code is not None and ctx.store.collect_qr(qr_id):
            out = {"status": "approved", "code": code, "iss": ctx.config.issuer}
            if params.get("state"):
                out["state"] = params["state"]
            return json_ok(out)
        return json_ok({"status": "expired"}, 404)
