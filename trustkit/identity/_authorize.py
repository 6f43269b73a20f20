"""Validation of authorization requests (RFC 6749 4.1.1, RFC 7636 4.3, OIDC Core 3.1.2.1),
shared by ``/authorize`` and the QR login."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from trustkit.identity._common import Context, log, redirect_with

__all__ = ["error_redirect", "validate_authorization_request"]


def validate_authorization_request(ctx: Context, params: dict[str, str]) -> dict[str, str] | Response:
    """Check an authorization request (RFC 6749 4.1.1, RFC 7636 4.3, OIDC Core 3.1.2.1).

    Returns the normalised parameters, or the response to send: an error page while the client or
    redirect URI is not established (never a redirect to an unregistered URI), an error redirect
    (RFC 6749 4.1.2.1) afterwards.
    """
    client_id = params.get("client_id", "")
    client = ctx.client(client_id) if client_id else None
    if client is None:
        return ctx.error_html("Unknown client.")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in client.redirect_uris:
        log.warning("authorization refused: unregistered redirect_uri client=%s", client_id)
        return ctx.error_html("The redirect URI is not registered for this client.")
    clean = {"client_id": client_id, "redirect_uri": redirect_uri}
    if params.get("state"):
        clean["state"] = params["state"]
    if params.get("response_type") != "code":
        return error_redirect(clean, "unsupported_response_type", "only response_type=code is supported")
    if "authorization_code" not in client.grant_types:
        return error_redirect(clean, "unauthorized_client", "the client may not use the code flow")
    scopes = params.get("scope", "").split()
    if any(s not in client.scopes for s in scopes):
        return error_redirect(clean, "invalid_scope", "a requested scope is not allowed for this client")
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method")
    if challenge is None:
        if method is not None:
            return error_redirect(clean, "invalid_request", "code_challenge_method without code_challenge")
        if client.is_public:
            return error_redirect(clean, "invalid_request", "PKCE (S256) is required for public clients")
    else:
        if method != "S256":
            return error_redirect(clean, "invalid_request", "code_challenge_method must be S256")
        if len(challenge) != 43 or not all(c.isascii() and (c.isalnum() or c in "-_") for c in challenge):
            return error_redirect(clean, "invalid_request", "malformed code_challenge")
        clean["code_challenge"] = challenge
    for name in ("nonce", "prompt", "login_hint"):
        if params.get(name):
            clean[name] = params[name][:512]
    clean["scope"] = " ".join(scopes)
    return clean


def error_redirect(params: dict[str, str], error: str, description: str) -> RedirectResponse:
    out = {"error": error, "error_description": description}
    if params.get("state"):
        out["state"] = params["state"]
    return redirect_with(params["redirect_uri"], out)
