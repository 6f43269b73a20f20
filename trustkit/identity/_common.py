"""Shared machinery of the identity endpoints: request parsing with caps, CSRF, client
authentication, OAuth error responses, code issuance."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from trustkit.identity import _html
from trustkit.identity._tokens import TokenService
from trustkit.identity.config import IdentityConfig, check_client_secret
from trustkit.identity.passwords import PasswordHashing
from trustkit.identity.store import (
    AuthCode,
    Client,
    LoginTransaction,
    Session,
    SQLStore,
    digest,
)

__all__ = ["Context", "OAuthError", "log"]

#: The identity provider's logger.  Messages carry subjects, client ids and outcomes only:
#: never a password, code, token, secret or session id (tests/test_identity_security.py checks).
log = logging.getLogger("trustkit.identity")

CSRF_COOKIE = "tk_csrf"
SESSION_COOKIE = "tk_sid"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_PKCE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_CLIENT_CACHE_SECONDS = 30.0


class OAuthError(Exception):
    """An OAuth 2.0 error response (RFC 6749 5.2 / 4.1.2.1)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def response(self, *, basic_auth: bool = False) -> JSONResponse:
        """The JSON error response of the token, introspection and revocation endpoints."""
        headers = dict(NO_STORE)
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="trustkit"' if basic_auth else 'Bearer error="invalid_token"'
        return JSONResponse(
            {"error": self.error, "error_description": self.description}, status_code=self.status, headers=headers
        )


def pkce_s256(verifier: str) -> str:
    """BASE64URL(SHA256(ASCII(code_verifier))) without padding (RFC 7636 4.2)."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode("ascii")


def valid_pkce_value(value: str) -> bool:
    """RFC 7636 4.1: 43 to 128 unreserved characters."""
    return 43 <= len(value) <= 128 and all(c in _PKCE_CHARS for c in value)


def redirect_with(uri: str, params: dict[str, str]) -> RedirectResponse:
    """Redirect to a registered URI with query parameters added (RFC 6749 4.1.2)."""
    sep = "&" if urlsplit(uri).query else "?"
    return RedirectResponse(uri + sep + urlencode(params), status_code=303, headers=NO_STORE)


@dataclass
class Context:
    """Everything the endpoints share: settings, storage, token service, password hashing."""

    config: IdentityConfig
    store: SQLStore
    tokens: TokenService
    passwords: PasswordHashing

    def __post_init__(self) -> None:
        self._clients: dict[str, tuple[float, Client | None]] = {}

    def now(self) -> int:
        """The injected clock, whole seconds."""
        return int(self.config.clock())

    # -- clients --------------------------------------------------------------------------
    def client(self, client_id: str) -> Client | None:
        """A registered client, cached briefly (the token endpoint looks one up on every call)."""
        hit = self._clients.get(client_id)
        mono = time.monotonic()
        if hit is not None and mono - hit[0] < _CLIENT_CACHE_SECONDS:
            return hit[1]
        found = self.store.get_client(client_id) if 0 < len(client_id) <= 200 else None
        if len(self._clients) > 10000:
            self._clients.clear()
        self._clients[client_id] = (mono, found)
        return found

    def authenticate_client(self, request: Request, form: dict[str, str], *, allow_public: bool) -> Client:
        """Client authentication (RFC 6749 2.3.1): client_secret_basic or client_secret_post.

        A public client identifies itself with ``client_id`` only, where ``allow_public`` permits.
        :raises OAuthError: ``invalid_client`` (401) or ``invalid_request``.
        """
        header = request.headers.get("authorization")
        client_id: str | None
        secret: str | None
        if header is not None:
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "basic":
                raise OAuthError("invalid_client", "unsupported client authentication", 401)
            if "client_secret" in form:
                raise OAuthError("invalid_request", "use one client authentication method only")
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise OAuthError("invalid_client", "malformed Basic credentials", 401) from None
            raw_id, sep, raw_secret = decoded.partition(":")
            if not sep:
                raise OAuthError("invalid_client", "malformed Basic credentials", 401)
            # RFC 6749 2.3.1: id and secret are form-urlencoded before Base64.
            client_id, secret = unquote(raw_id.replace("+", " ")), unquote(raw_secret.replace("+", " "))
            if "client_id" in form and form["client_id"] != client_id:
                raise OAuthError("invalid_request", "client_id does not match the authenticated client")
        else:
            client_id = form.get("client_id")
            secret = form.get("client_secret")
        if not client_id:
            raise OAuthError("invalid_client", "client authentication failed", 401)
        client = self.client(client_id)
        if client is None:
            raise OAuthError("invalid_client", "client authentication failed", 401)
        if client.secret_digest is None:
            if secret is not None or not allow_public:
                raise OAuthError("invalid_client", "client authentication failed", 401)
            return client
        if secret is None or not check_client_secret(self.config.pepper, secret, client.secret_digest):
            raise OAuthError("invalid_client", "client authentication failed", 401)
        return client

    # -- CSRF -----------------------------------------------------------------------------
    def csrf_token(self, cookie: str, purpose: str) -> str:
        """The form token bound to the browser's CSRF cookie and the form's purpose."""
        return hmac.new(self.config.pepper, f"csrf|{cookie}|{purpose}".encode(), hashlib.sha256).hexdigest()

    def check_csrf(self, request: Request, form: dict[str, str], purpose: str) -> bool:
        """True if the form's token matches the cookie (double submit, keyed)."""
        cookie = request.cookies.get(CSRF_COOKIE, "")
        token = form.get("csrf", "")
        if len(cookie) < 16 or not token:
            return False
        return hmac.compare_digest(self.csrf_token(cookie, purpose), token)

    def set_cookie(self, response: Response, name: str, value: str, max_age: int | None) -> None:
        """Set a cookie: HttpOnly, SameSite=Lax, Secure when served over https, path /."""
        response.set_cookie(
            name, value, max_age=max_age, path="/", secure=self.config.secure_cookies, httponly=True, samesite="lax"
        )

    # -- codes ----------------------------------------------------------------------------
    def issue_code(self, params: dict[str, str], sub: str, session_hash: str | None, auth_time: int) -> str:
        """Store a fresh authorization code for a validated request and return it."""
        code = secrets.token_urlsafe(32)
        self.store.put_code(
            AuthCode(
                code_hash=digest(code),
                client_id=params["client_id"],
                sub=sub,
                redirect_uri=params["redirect_uri"],
                scope=params.get("scope", ""),
                nonce=params.get("nonce") or None,
                code_challenge=params.get("code_challenge") or None,
                session_hash=session_hash,
                auth_time=auth_time,
                expires=self.now() + self.config.code_ttl,
            )
        )
        if session_hash is not None:
            self.store.add_session_client(session_hash, params["client_id"])
        log.info("authorization code issued client=%s sub=%s", params["client_id"], sub)
        return code

    def code_redirect(self, params: dict[str, str], code: str) -> RedirectResponse:
        """The successful authorization response (RFC 6749 4.1.2, RFC 9207 ``iss``)."""
        out = {"code": code}
        if params.get("state"):
            out["state"] = params["state"]
        out["iss"] = self.config.issuer
        return redirect_with(params["redirect_uri"], out)

    def error_html(self, message: str, status: int = 400) -> HTMLResponse:
        """An error page: used whenever the redirect URI cannot be trusted."""
        return HTMLResponse(_html.error_page(message), status_code=status, headers=NO_STORE)


def current_session(ctx: Context, request: Request) -> Session | None:
    sid = request.cookies.get(SESSION_COOKIE)
    if not sid or len(sid) > 128:
        return None
    return ctx.store.get_session(digest(sid), ctx.now())


def csrf_cookie(request: Request) -> tuple[str, bool]:
    """The browser's CSRF cookie value, or a new one (and whether it is new)."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if 16 <= len(cookie) <= 128:
        return cookie, False
    return secrets.token_urlsafe(24), True


def transaction(ctx: Context, request: Request, tid: str) -> tuple[LoginTransaction | None, str | None]:
    """The live login transaction ``tid`` if it belongs to this browser, and the CSRF cookie."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if not tid or len(tid) > 128 or not cookie:
        return None, None
    tx = ctx.store.get_login(digest(tid), ctx.now())
    if tx is None or tx.extra.get("browser") != digest(cookie):
        return None, None
    return tx, cookie


async def read_form(request: Request, limit: int) -> dict[str, str]:
    """Read an ``application/x-www-form-urlencoded`` body with a size cap.

    Repeated parameters are refused (RFC 6749 3.1).
    :raises OAuthError: ``invalid_request`` (400) or 413 for an oversized body.
    """
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise OAuthError("invalid_request", "request body too large", 413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise OAuthError("invalid_request", "request body too large", 413)
    if not body:
        return {}
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "expected application/x-www-form-urlencoded")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True, max_num_fields=64)
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_request", "malformed form body") from None
    return _unique(pairs)


def query_params(request: Request) -> dict[str, str]:
    """Query parameters; a repeated parameter is an ``invalid_request``."""
    items = request.query_params.multi_items()
    if len(items) > 64:
        raise OAuthError("invalid_request", "too many parameters")
    return _unique(items)


def _unique(pairs: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in pairs:
        if key in out:
            raise OAuthError("invalid_request", f"parameter {key!r} repeated")
        if len(value) > 4096:
            raise OAuthError("invalid_request", f"parameter {key!r} too long")
        out[key] = value
    return out


def client_ip(request: Request) -> str:
    """The peer address (a reverse proxy must be configured in uvicorn with --forwarded-allow-ips)."""
    return request.client.host if request.client is not None else "unknown"


def json_ok(data: dict[str, Any], status: int = 200) -> JSONResponse:
    """A JSON response that must not be cached."""
    return JSONResponse(data, status_code=status, headers=NO_STORE)


_PAGE_HEADERS = [
    (b"content-security-policy",
     b"default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
]


class PageHeaders:
    """ASGI middleware: HTML pages get a strict CSP, no framing (clickjacking on the login and
    consent forms) and no Referer (the login transaction id is in the URL)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if any(k == b"content-type" and v.startswith(b"text/html") for k, v in headers):
                    message = {**message, "headers": headers + _PAGE_HEADERS}
            await send(message)

        await self.app(scope, receive, send_with_headers)
