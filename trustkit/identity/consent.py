"""Consent (OIDC Core 3.1.2.4): a client registered with ``consent = true`` gets a code only after
the user approved the requested scopes once; first-party portals skip this step.

The consent step is a login transaction in stage ``consent``, bound to the browser like the
login form, and to the SSO session that asked for it.
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from trustkit.identity import _html
from trustkit.identity._authorize import error_redirect
from trustkit.identity._common import (
    CSRF_COOKIE,
    NO_STORE,
    Context,
    OAuthError,
    csrf_cookie,
    current_session,
    log,
    query_params,
    read_form,
    transaction,
)
from trustkit.identity.store import LoginTransaction, Session, digest

__all__ = ["consent_get", "consent_post", "finish_authorization"]


def finish_authorization(ctx: Context, request: Request, params: dict[str, str], session: Session) -> Response:
    """Answer a validated authorization request for a signed-in user: a code, or the consent page first
    (``consent_required`` under ``prompt=none``, OIDC Core 3.1.2.6)."""
    client = ctx.client(params["client_id"])
    wanted = frozenset(params.get("scope", "").split())
    if client is not None and client.consent and not wanted <= ctx.store.get_consent(session.sub, client.client_id):
        if "none" in params.get("prompt", "").split():
            return error_redirect(params, "consent_required", "the user has not approved this client")
        cookie, fresh = csrf_cookie(request)
        tid = secrets.token_urlsafe(24)
        ctx.store.put_login(
            LoginTransaction(
                tid_hash=digest(tid),
                params=params,
                expires=ctx.now() + ctx.config.login_ttl,
                sub=session.sub,
                stage="consent",
                extra={"browser": digest(cookie), "session": session.session_hash},
            )
        )
        response = RedirectResponse(f"/consent?tid={tid}", status_code=303, headers=NO_STORE)
        if fresh:
            ctx.set_cookie(response, CSRF_COOKIE, cookie, None)
        return response
    code = ctx.issue_code(params, session.sub, session.session_hash, session.auth_time)
    return ctx.code_redirect(params, code)


def _live(ctx: Context, request: Request, tid: str) -> tuple[LoginTransaction, str, Session] | None:
    tx, cookie = transaction(ctx, request, tid)
    session = current_session(ctx, request)
    if (
        tx is None
        or cookie is None
        or tx.stage != "consent"
        or tx.params is None
        or session is None
        or session.session_hash != tx.extra.get("session")
    ):
        return None
    return tx, cookie, session


async def consent_get(request: Request) -> Response:
    """Show what the client asks for."""
    ctx: Context = request.app.state.identity
    try:
        tid = query_params(request).get("tid", "")
    except OAuthError as exc:
        return ctx.error_html(exc.description)
    live = _live(ctx, request, tid)
    if live is None:
        return ctx.error_html("This request has expired. Start again from the portal.")
    tx, cookie, _ = live
    assert tx.params is not None
    client = ctx.client(tx.params["client_id"])
    page = _html.consent_page(
        tid=tid,
        csrf=ctx.csrf_token(cookie, "consent:" + tid),
        client_name=(client.name or client.client_id) if client is not None else tx.params["client_id"],
        scopes=tx.params.get("scope", "").split(),
    )
    return HTMLResponse(page, headers=NO_STORE)


async def consent_post(request: Request) -> Response:
    """Allow (store the grant, issue the code) or deny (``access_denied``, RFC 6749 4.1.2.1)."""
    ctx: Context = request.app.state.identity
    try:
        form = await read_form(request, ctx.config.max_body)
    except OAuthError as exc:
        return ctx.error_html(exc.description, exc.status)
    tid = form.get("tid", "")
    live = _live(ctx, request, tid)
    if live is None:
        return ctx.error_html("This request has expired. Start again from the portal.")
    tx, _, session = live
    params = tx.params
    assert params is not None
    if not ctx.check_csrf(request, form, "consent:" + tid):
        return ctx.error_html("The form has expired. Reload the page and try again.", 403)
    ctx.store.delete_login(tx.tid_hash)
    if form.get("decision") != "allow":
        log.info("consent denied client=%s sub=%s", params["client_id"], session.sub)
        return error_redirect(params, "access_denied", "the user denied the request")
    granted = ctx.store.get_consent(session.sub, params["client_id"]) | frozenset(params.get("scope", "").split())
    ctx.store.put_consent(session.sub, params["client_id"], granted)
    log.info("consent granted client=%s sub=%s", params["client_id"], session.sub)
    code = ctx.issue_code(params, session.sub, session.session_hash, session.auth_time)
    return ctx.code_redirect(params, code)
