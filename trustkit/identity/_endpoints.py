"""Token (RFC 6749 3.2, RFC 7636 4.6), userinfo (OIDC Core 5.3), introspection (RFC 7662)
and revocation (RFC 7009) endpoints."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from trustkit.identity._common import (
    Context,
    OAuthError,
    json_ok,
    log,
    pkce_s256,
    read_form,
    valid_pkce_value,
)
from trustkit.identity._tokens import TokenInvalid
from trustkit.identity.store import Client, digest

__all__ = ["TokenEndpoints"]


class TokenEndpoints:
    """The back-channel endpoints, sharing one :class:`Context`."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- /token ---------------------------------------------------------------------------
    async def token(self, request: Request) -> Response:
        """Exchange a grant for tokens; every failure is an RFC 6749 5.2 error."""
        basic = "authorization" in request.headers
        try:
            form = await read_form(request, self.ctx.config.max_body)
            grant = form.get("grant_type")
            if not grant:
                raise OAuthError("invalid_request", "grant_type is required")
            if grant not in ("authorization_code", "refresh_token", "client_credentials"):
                raise OAuthError("unsupported_grant_type", "unsupported grant_type")
            client = self.ctx.authenticate_client(request, form, allow_public=grant != "client_credentials")
            if grant not in client.grant_types:
                raise OAuthError("unauthorized_client", "the client may not use this grant type")
            if grant == "authorization_code":
                body = self._code_grant(client, form)
            elif grant == "refresh_token":
                body = self._refresh_grant(client, form)
            else:
                body = self._client_credentials(client, form)
        except OAuthError as exc:
            return exc.response(basic_auth=basic)
        return json_ok(body)

    def _code_grant(self, client: Client, form: dict[str, str]) -> dict[str, Any]:
        ctx, store = self.ctx, self.ctx.store
        code = form.get("code")
        if not code or len(code) > 128:
            raise OAuthError("invalid_request", "code is required")
        code_hash = digest(code)
        record = store.get_code(code_hash)
        if record is None or record.client_id != client.client_id:
            raise OAuthError("invalid_grant", "invalid authorization code")
        if not store.consume_code(code_hash):
            # RFC 6749 4.1.2: a code used twice revokes the tokens issued from it.
            again = store.get_code(code_hash)
            if again is not None:
                if again.family_id:
                    store.revoke_family(again.family_id)
                if again.access_jti:
                    store.revoke_jti(again.access_jti, ctx.now() + ctx.config.access_ttl)
            log.warning("authorization code replayed client=%s sub=%s: tokens revoked", client.client_id, record.sub)
            raise OAuthError("invalid_grant", "invalid authorization code")
        if record.expires <= ctx.now():
            raise OAuthError("invalid_grant", "authorization code expired")
        if form.get("redirect_uri") != record.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
        verifier = form.get("code_verifier")
        if record.code_challenge is not None:
            if verifier is None or not valid_pkce_value(verifier):
                raise OAuthError("invalid_grant", "code_verifier missing or malformed")
            if not hmac.compare_digest(pkce_s256(verifier), record.code_challenge):
                log.warning("PKCE verification failed client=%s", client.client_id)
                raise OAuthError("invalid_grant", "PKCE verification failed")
        elif verifier is not None:
            raise OAuthError("invalid_grant", "code_verifier sent but no code_challenge was")
        family_id = None
        if "refresh_token" in client.grant_types:
            family_id = secrets.token_urlsafe(16)
            store.create_family(
                family_id,
                client_id=client.client_id,
                sub=record.sub,
                scope=record.scope,
                session_hash=record.session_hash,
                auth_time=record.auth_time,
            )
        body, jti = self._user_tokens(
            client, record.sub, record.scope, record.auth_time, record.nonce, record.session_hash, family_id
        )
        store.link_code_tokens(code_hash, family_id, jti)
        log.info("code exchanged client=%s sub=%s", client.client_id, record.sub)
        return body

    def _refresh_grant(self, client: Client, form: dict[str, str]) -> dict[str, Any]:
        ctx, store = self.ctx, self.ctx.store
        token = form.get("refresh_token")
        if not token or len(token) > 128:
            raise OAuthError("invalid_request", "refresh_token is required")
        token_hash = digest(token)
        record = store.get_refresh(token_hash)
        if record is None or record.client_id != client.client_id:
            raise OAuthError("invalid_grant", "invalid refresh token")
        if record.family_revoked:
            raise OAuthError("invalid_grant", "invalid refresh token")
        if not store.rotate_refresh(token_hash):
            store.revoke_family(record.family_id)
            log.warning("refresh token reused client=%s sub=%s: family revoked", client.client_id, record.sub)
            raise OAuthError("invalid_grant", "invalid refresh token")
        if record.expires <= ctx.now():
            raise OAuthError("invalid_grant", "refresh token expired")
        scope = record.scope
        if "scope" in form:
            wanted = form["scope"].split()
            if any(s not in record.scope.split() for s in wanted):
                raise OAuthError("invalid_scope", "a refresh may only narrow the scope")
            scope = " ".join(wanted)
        body, _ = self._user_tokens(
            client, record.sub, scope, record.auth_time, None, record.session_hash, record.family_id
        )
        log.info("refresh token rotated client=%s sub=%s", client.client_id, record.sub)
        return body

    def _client_credentials(self, client: Client, form: dict[str, str]) -> dict[str, Any]:
        if client.is_public:
            raise OAuthError("unauthorized_client", "public clients cannot use client_credentials")
        allowed = [s for s in client.scopes if s not in ("openid", "offline_access", "profile", "email")]
        wanted = form.get("scope", "").split() if "scope" in form else allowed
        if any(s not in allowed for s in wanted):
            raise OAuthError("invalid_scope", "a requested scope is not allowed for this client")
        now = self.ctx.now()
        access, _ = self.ctx.tokens.access_token(
            client, sub=client.client_id, scope=" ".join(wanted), now=now, auth_time=None, sid=None
        )
        body: dict[str, Any] = {"access_token": access, "token_type": "Bearer", "expires_in": self.ctx.config.access_ttl}
        if wanted:
            body["scope"] = " ".join(wanted)
        return body

    def _user_tokens(
        self,
        client: Client,
        sub: str,
        scope: str,
        auth_time: int,
        nonce: str | None,
        session_hash: str | None,
        family_id: str | None,
    ) -> tuple[dict[str, Any], str]:
        ctx, store, now = self.ctx, self.ctx.store, self.ctx.now()
        sid = session_hash[:32] if session_hash else None
        access, jti = ctx.tokens.access_token(client, sub=sub, scope=scope, now=now, auth_time=auth_time, sid=sid)
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": ctx.config.access_ttl,
            "scope": scope,
        }
        if "openid" in scope.split():
            body["id_token"] = ctx.tokens.id_token(client, sub=sub, now=now, auth_time=auth_time, nonce=nonce, sid=sid)
        if family_id is not None:
            store.add_family_jti(jti, family_id, now + ctx.config.access_ttl)
            refresh = secrets.token_urlsafe(32)
            store.add_refresh_token(digest(refresh), family_id, now + ctx.config.refresh_ttl)
            body["refresh_token"] = refresh
        return body, jti

    # -- /userinfo ------------------------------------------------------------------------
    async def userinfo(self, request: Request) -> Response:
        """Claims about the user of a Bearer access token (OIDC Core 5.3, RFC 6750)."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return JSONResponse(
                {"error": "invalid_request", "error_description": "Bearer token required"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="trustkit"', "Cache-Control": "no-store"},
            )
        claims = self._active_access_token(token.strip())
        user = self.ctx.store.get_user(str(claims.get("sub"))) if claims is not None else None
        if claims is None or user is None:
            return JSONResponse(
                {"error": "invalid_token", "error_description": "the access token is invalid"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"', "Cache-Control": "no-store"},
            )
        scopes = str(claims.get("scope", "")).split()
        out: dict[str, Any] = {"sub": user.sub}
        if "profile" in scopes:
            out["name"] = user.name or user.username
            out["preferred_username"] = user.username
        if "email" in scopes and user.email:
            out["email"] = user.email
        return json_ok(out)

    def _active_access_token(self, token: str) -> dict[str, Any] | None:
        try:
            return self.ctx.tokens.verify_access_token(token, self.ctx.store.is_jti_revoked)
        except TokenInvalid:
            return None

    # -- /introspect ----------------------------------------------------------------------
    async def introspect(self, request: Request) -> Response:
        """RFC 7662: only authenticated confidential clients may introspect."""
        basic = "authorization" in request.headers
        try:
            form = await read_form(request, self.ctx.config.max_body)
            client = self.ctx.authenticate_client(request, form, allow_public=False)
            token = form.get("token")
            if not token:
                raise OAuthError("invalid_request", "token is required")
        except OAuthError as exc:
            return exc.response(basic_auth=basic)
        if token.count(".") == 2:
            claims = self._active_access_token(token)
            if claims is None:
                return json_ok({"active": False})
            out = {"active": True, "token_type": "Bearer"}
            out.update({k: claims[k] for k in ("scope", "client_id", "sub", "exp", "iat", "iss", "aud", "jti") if k in claims})
            return json_ok(out)
        record = self.ctx.store.get_refresh(digest(token)) if len(token) <= 128 else None
        if (
            record is None
            or record.client_id != client.client_id
            or record.used
            or record.family_revoked
            or record.expires <= self.ctx.now()
        ):
            return json_ok({"active": False})
        return json_ok(
            {
                "active": True,
                "token_type": "refresh_token",
                "client_id": record.client_id,
                "sub": record.sub,
                "scope": record.scope,
                "exp": record.expires,
                "iss": self.ctx.config.issuer,
            }
        )

    # -- /revoke --------------------------------------------------------------------------
    async def revoke(self, request: Request) -> Response:
        """RFC 7009: revoke a refresh token (its whole family) or an access token (its ``jti``).

        Unknown or foreign tokens get 200 too (RFC 7009 2.2), so the endpoint is no token oracle.
        """
        basic = "authorization" in request.headers
        try:
            form = await read_form(request, self.ctx.config.max_body)
            client = self.ctx.authenticate_client(request, form, allow_public=True)
            token = form.get("token")
            if not token:
                raise OAuthError("invalid_request", "token is required")
        except OAuthError as exc:
            return exc.response(basic_auth=basic)
        store = self.ctx.store
        if token.count(".") == 2:
            try:
                claims = self.ctx.tokens.verify_access_token(token)
            except TokenInvalid:
                claims = None
            if claims is not None and claims.get("client_id") == client.client_id and isinstance(claims.get("jti"), str):
                store.revoke_jti(str(claims["jti"]), int(claims.get("exp", self.ctx.now())))
                log.info("access token revoked client=%s", client.client_id)
        elif len(token) <= 128:
            record = store.get_refresh(digest(token))
            if record is not None and record.client_id == client.client_id:
                store.revoke_family(record.family_id)
                log.info("refresh token family revoked client=%s", client.client_id)
        return Response(status_code=200, headers={"Cache-Control": "no-store"})
