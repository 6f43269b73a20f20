"""The OpenID Connect provider (a subset): discovery, JWKS, authorization-code flow with PKCE,
login with password and TOTP, SSO session, RP-initiated logout.

Token, userinfo, introspection and revocation endpoints are in :mod:`._endpoints`; QR login in
:mod:`.qrlogin`.  :func:`create_identity_app` assembles the Starlette application.

Specifications: RFC 6749 (OAuth 2.0), RFC 7636 (PKCE), RFC 7662 (introspection), RFC 7009
(revocation), RFC 9207 (``iss`` in the authorization response), OpenID Connect Core 1.0,
Discovery 1.0 and RP-Initiated Logout 1.0.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from trustkit.identity import _endpoints, _html, consent, qrlogin
from trustkit.identity._authorize import error_redirect, validate_authorization_request
from trustkit.identity._common import (
    CSRF_COOKIE,
    NO_STORE,
    SESSION_COOKIE,
    Context,
    OAuthError,
    PageHeaders,
    client_ip,
    csrf_cookie,
    current_session,
    log,
    query_params,
    read_form,
    redirect_with,
    transaction,
)
from trustkit.identity._tokens import TokenService
from trustkit.identity.config import IdentityConfig
from trustkit.identity.passwords import PasswordHashing
from trustkit.identity.store import LoginTransaction, Session, SQLStore, digest
from trustkit.identity.totp import verify_recovery_code, verify_totp

__all__ = ["create_identity_app"]

_GENERIC_LOGIN_ERROR = "Invalid user name or password."
_GENERIC_CODE_ERROR = "Invalid code."
_RATE_LIMITED = "Too many attempts. Try again later."


def create_identity_app(
    config: IdentityConfig, store: SQLStore, keys: Any, *, passwords: PasswordHashing | None = None
) -> Starlette:
    """Build the identity provider's ASGI application.

    :param config: settings (issuer, pepper, lifetimes, clock).
    :param store: storage (:class:`~trustkit.identity.store.SQLiteStore` or ``PostgresStore``).
    :param keys: a :class:`trustkit.token.KeySet` holding a current signing key for every algorithm
        a client is registered with (and the QR login algorithm).
    :param passwords: password hashing parameters (default: argon2id with the config's cost settings).
    """
    hashing = passwords or PasswordHashing(
        time_cost=config.argon2_time_cost,
        memory_cost=config.argon2_memory_cost,
        parallelism=config.argon2_parallelism,
    )
    ctx = Context(config=config, store=store, tokens=TokenService(keys, config), passwords=hashing)
    endpoints = _endpoints.TokenEndpoints(ctx)
    qr = qrlogin.QRLogin(ctx)

    async def discovery(request: Request) -> JSONResponse:
        iss = config.issuer
        return JSONResponse(
            {
                "issuer": iss,
                "authorization_endpoint": f"{iss}/authorize",
                "token_endpoint": f"{iss}/token",
                "userinfo_endpoint": f"{iss}/userinfo",
                "jwks_uri": f"{iss}/jwks.json",
                "trustkit_sm2_jwks_uri": f"{iss}/jwks-sm2.json",
                "introspection_endpoint": f"{iss}/introspect",
                "revocation_endpoint": f"{iss}/revoke",
                "end_session_endpoint": f"{iss}/logout",
                "response_types_supported": ["code"],
                "response_modes_supported": ["query"],
                "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ctx.tokens.algorithms(),
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
                "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
                "code_challenge_methods_supported": ["S256"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "sid", "name", "email"],
                "authorization_response_iss_parameter_supported": True,
                "prompt_values_supported": ["none", "login"],
            },
            headers={"Cache-Control": "public, max-age=300"},
        )

    async def jwks(request: Request) -> JSONResponse:
        return JSONResponse(ctx.tokens.jwks("standard"), headers={"Cache-Control": "public, max-age=300"})

    async def jwks_sm2(request: Request) -> JSONResponse:
        return JSONResponse(ctx.tokens.jwks("sm2"), headers={"Cache-Control": "public, max-age=300"})

    async def authorize(request: Request) -> Response:
        try:
            params = query_params(request) if request.method == "GET" else await read_form(request, config.max_body)
        except OAuthError as exc:
            return ctx.error_html(exc.description)
        outcome = validate_authorization_request(ctx, params)
        if isinstance(outcome, Response):
            return outcome
        session = current_session(ctx, request)
        prompt = set(params.get("prompt", "").split())
        if session is not None and "login" not in prompt:
            return consent.finish_authorization(ctx, request, outcome, session)
        if "none" in prompt:
            return error_redirect(outcome, "login_required", "the user is not logged in")
        return _start_login(ctx, request, outcome)

    async def login_get(request: Request) -> Response:
        try:
            params = query_params(request)
        except OAuthError as exc:
            return ctx.error_html(exc.description)
        tid = params.get("tid")
        if tid is None:
            # A direct sign-in (e.g. the mobile app before approving a QR login).
            return _start_login(ctx, request, None)
        tx, cookie = transaction(ctx, request, tid)
        if tx is None or cookie is None:
            return ctx.error_html("This sign-in link has expired. Start again from the portal.")
        return _login_form(ctx, tx, tid, cookie)

    async def login_post(request: Request) -> Response:
        try:
            form = await read_form(request, config.max_body)
        except OAuthError as exc:
            return ctx.error_html(exc.description, exc.status)
        tid = form.get("tid", "")
        tx, cookie = transaction(ctx, request, tid)
        if tx is None or cookie is None or tx.stage != "password":
            return ctx.error_html("This sign-in has expired. Start again from the portal.")
        if not ctx.check_csrf(request, form, "login:" + tid):
            log.warning("login refused: CSRF token missing or wrong")
            return ctx.error_html("The form has expired. Reload the page and try again.", 403)
        username = form.get("username", "")[:200]
        password = form.get("password", "")[:1024]
        client_name = _client_name(ctx, tx)
        csrf = ctx.csrf_token(cookie, "login:" + tid)
        if store.hit(f"login:{username.lower()}:{client_ip(request)}", ctx.now(), config.login_window) > (
            config.login_attempts
        ):
            log.warning("login rate limited ip=%s", client_ip(request))
            page = _html.login_page(tid=tid, csrf=csrf, client_name=client_name, error=_RATE_LIMITED, username=username)
            return HTMLResponse(page, status_code=429, headers=NO_STORE)
        user = store.find_user(username)
        if user is None:
            await run_in_threadpool(hashing.burn, password)
            ok = False
        else:
            ok = await run_in_threadpool(hashing.verify, user.password_hash, password)
        if not ok or user is None:
            log.info("login failed ip=%s", client_ip(request))
            page = _html.login_page(
                tid=tid, csrf=csrf, client_name=client_name, error=_GENERIC_LOGIN_ERROR, username=username
            )
            return HTMLResponse(page, status_code=401, headers=NO_STORE)
        if hashing.needs_rehash(user.password_hash):
            store.update_password_hash(user.sub, await run_in_threadpool(hashing.hash, password))
        if user.totp_secret:
            store.put_login(
                LoginTransaction(
                    tid_hash=tx.tid_hash, params=tx.params, expires=tx.expires, sub=user.sub, stage="totp", extra=tx.extra
                )
            )
            log.info("password accepted, second factor required sub=%s", user.sub)
            return HTMLResponse(
                _html.totp_page(tid=tid, csrf=ctx.csrf_token(cookie, "totp:" + tid)), headers=NO_STORE
            )
        return _complete_login(ctx, request, tx, user.sub, ("pwd",))

    async def totp_post(request: Request) -> Response:
        try:
            form = await read_form(request, config.max_body)
        except OAuthError as exc:
            return ctx.error_html(exc.description, exc.status)
        tid = form.get("tid", "")
        tx, cookie = transaction(ctx, request, tid)
        if tx is None or cookie is None or tx.stage != "totp" or tx.sub is None:
            return ctx.error_html("This sign-in has expired. Start again from the portal.")
        if not ctx.check_csrf(request, form, "totp:" + tid):
            log.warning("second factor refused: CSRF token missing or wrong")
            return ctx.error_html("The form has expired. Reload the page and try again.", 403)
        csrf = ctx.csrf_token(cookie, "totp:" + tid)
        if store.hit(f"totp:{tx.sub}:{client_ip(request)}", ctx.now(), config.login_window) > config.login_attempts:
            log.warning("second factor rate limited sub=%s", tx.sub)
            return HTMLResponse(_html.totp_page(tid=tid, csrf=csrf, error=_RATE_LIMITED), 429, headers=NO_STORE)
        user = store.get_user(tx.sub)
        if user is None or not user.totp_secret:
            return ctx.error_html("This sign-in has expired. Start again from the portal.")
        code = form.get("code", "").strip()[:24]
        if len(code) <= 7:
            ok = verify_totp(store, user.sub, user.totp_secret, code, now=config.clock())
        else:
            ok = verify_recovery_code(store, config.pepper, user.sub, code)
            if ok:
                log.warning("recovery code used sub=%s", user.sub)
        if not ok:
            log.info("second factor failed sub=%s", user.sub)
            return HTMLResponse(_html.totp_page(tid=tid, csrf=csrf, error=_GENERIC_CODE_ERROR), 401, headers=NO_STORE)
        return _complete_login(ctx, request, tx, user.sub, ("pwd", "otp", "mfa"))

    async def account(request: Request) -> Response:
        session = current_session(ctx, request)
        if session is None:
            return RedirectResponse("/login", status_code=303)
        user = store.get_user(session.sub)
        name = user.name or user.username if user is not None else session.sub
        return HTMLResponse(_html.message_page("Signed in", f"You are signed in as {name}."), headers=NO_STORE)

    async def logout_get(request: Request) -> Response:
        try:
            params = query_params(request)
            fields = _logout_fields(ctx, params)
        except OAuthError as exc:
            return ctx.error_html(exc.description)
        cookie, fresh = csrf_cookie(request)
        response = HTMLResponse(_html.logout_page(csrf=ctx.csrf_token(cookie, "logout"), fields=fields), headers=NO_STORE)
        if fresh:
            ctx.set_cookie(response, CSRF_COOKIE, cookie, None)
        return response

    async def logout_post(request: Request) -> Response:
        try:
            form = await read_form(request, config.max_body)
            fields = _logout_fields(ctx, form)
        except OAuthError as exc:
            return ctx.error_html(exc.description, exc.status)
        if not ctx.check_csrf(request, form, "logout"):
            return ctx.error_html("The form has expired. Reload the page and try again.", 403)
        sid = request.cookies.get(SESSION_COOKIE)
        if sid:
            session_hash = digest(sid)
            session = store.get_session(session_hash, ctx.now())
            clients = store.session_clients(session_hash)
            store.end_session(session_hash)
            if session is not None:
                log.info("logout sub=%s clients=%s", session.sub, ",".join(clients))
        target = fields.get("post_logout_redirect_uri")
        response: Response
        if target:
            extra = {"state": fields["state"]} if fields.get("state") else {}
            response = redirect_with(target, extra) if extra else RedirectResponse(target, 303, headers=NO_STORE)
        else:
            response = HTMLResponse(_html.message_page("Signed out", "You have been signed out."), headers=NO_STORE)
        response.delete_cookie(SESSION_COOKIE, path="/", secure=config.secure_cookies, httponly=True, samesite="lax")
        return response

    routes = [
        # The token endpoint first: it takes most of the traffic, and routes are matched in order.
        Route("/token", endpoints.token, methods=["POST"]),
        Route("/.well-known/openid-configuration", discovery),
        Route("/jwks.json", jwks),
        Route("/jwks-sm2.json", jwks_sm2),
        Route("/authorize", authorize, methods=["GET", "POST"]),
        Route("/login", login_get, methods=["GET"]),
        Route("/login", login_post, methods=["POST"]),
        Route("/login/totp", totp_post, methods=["POST"]),
        Route("/consent", consent.consent_get, methods=["GET"]),
        Route("/consent", consent.consent_post, methods=["POST"]),
        Route("/account", account),
        Route("/logout", logout_get, methods=["GET"]),
        Route("/logout", logout_post, methods=["POST"]),
        Route("/userinfo", endpoints.userinfo, methods=["GET", "POST"]),
        Route("/introspect", endpoints.introspect, methods=["POST"]),
        Route("/revoke", endpoints.revoke, methods=["POST"]),
        Route("/qr/start", qr.start, methods=["POST"]),
        Route("/qr/approve", qr.approve, methods=["POST"]),
        Route("/qr/poll", qr.poll, methods=["POST"]),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Expired codes, sessions, tokens and counters are deleted in the background.
        task = asyncio.create_task(_purge_loop(ctx))
        try:
            yield
        finally:
            task.cancel()

    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(PageHeaders)])
    app.state.identity = ctx
    return app


async def _purge_loop(ctx: Context) -> None:
    while True:
        await asyncio.sleep(ctx.config.purge_interval)
        try:
            await run_in_threadpool(ctx.store.purge, ctx.now())
        except Exception:  # noqa: BLE001 - a failed purge must not stop the server; retried next round
            log.exception("purging expired identity records failed")


def _start_login(ctx: Context, request: Request, params: dict[str, str] | None) -> Response:
    """Create a login transaction bound to this browser and send the user to the login form."""
    cookie, fresh = csrf_cookie(request)
    tid = secrets.token_urlsafe(24)
    ctx.store.put_login(
        LoginTransaction(
            tid_hash=digest(tid),
            params=params,
            expires=ctx.now() + ctx.config.login_ttl,
            extra={"browser": digest(cookie)},
        )
    )
    response = RedirectResponse(f"/login?tid={tid}", status_code=303, headers=NO_STORE)
    if fresh:
        ctx.set_cookie(response, CSRF_COOKIE, cookie, None)
    return response


def _client_name(ctx: Context, tx: LoginTransaction) -> str | None:
    if tx.params is None:
        return None
    client = ctx.client(tx.params["client_id"])
    return (client.name or client.client_id) if client is not None else None


def _login_form(ctx: Context, tx: LoginTransaction, tid: str, cookie: str) -> Response:
    if tx.stage == "totp":
        return HTMLResponse(_html.totp_page(tid=tid, csrf=ctx.csrf_token(cookie, "totp:" + tid)), headers=NO_STORE)
    page = _html.login_page(
        tid=tid,
        csrf=ctx.csrf_token(cookie, "login:" + tid),
        client_name=_client_name(ctx, tx),
        username=(tx.params or {}).get("login_hint", ""),
    )
    return HTMLResponse(page, headers=NO_STORE)


def _complete_login(
    ctx: Context, request: Request, tx: LoginTransaction, sub: str, amr: tuple[str, ...]
) -> Response:
    """Create the SSO session (a new id: no fixation), set its cookie, answer the authorization request."""
    store, now = ctx.store, ctx.now()
    store.delete_login(tx.tid_hash)
    sid = secrets.token_urlsafe(32)
    session = Session(
        session_hash=digest(sid), sub=sub, auth_time=now, expires=now + ctx.config.session_ttl, amr=amr
    )
    store.create_session(session)
    old = request.cookies.get(SESSION_COOKIE)
    previous = store.get_session(digest(old), now) if old and len(old) <= 128 else None
    if previous is not None:
        if previous.sub == sub:
            # Re-authentication (prompt=login): the portals already signed in stay signed in.
            store.replace_session(previous.session_hash, session.session_hash)
        else:
            store.end_session(previous.session_hash)
    log.info("login complete sub=%s amr=%s", sub, ",".join(amr))
    response: Response
    if tx.params is not None:
        response = consent.finish_authorization(ctx, request, tx.params, session)
    else:
        response = RedirectResponse("/account", status_code=303, headers=NO_STORE)
    ctx.set_cookie(response, SESSION_COOKIE, sid, ctx.config.session_ttl)
    return response


def _logout_fields(ctx: Context, params: dict[str, str]) -> dict[str, str]:
    """Validate RP-initiated logout parameters; ``post_logout_redirect_uri`` must be registered."""
    fields: dict[str, str] = {}
    target = params.get("post_logout_redirect_uri")
    client_id = params.get("client_id")
    hint = params.get("id_token_hint")
    if hint and not client_id:
        client_id = ctx.tokens.audience_of_id_token(hint)
    if target:
        client = ctx.client(client_id) if client_id else None
        if client is None or target not in client.post_logout_redirect_uris:
            raise OAuthError("invalid_request", "post_logout_redirect_uri is not registered for this client")
        fields["post_logout_redirect_uri"] = target
        fields["client_id"] = client.client_id
        if params.get("state"):
            fields["state"] = params["state"][:512]
    return fields
