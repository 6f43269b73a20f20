"""The provider on a real uvicorn server on 127.0.0.1 with independent clients:
authlib's OAuth 2.0 client (authorization code + PKCE, refresh, revocation) and PyJWT verifying
our ES256 ID token from our published JWKS."""

from __future__ import annotations

import re
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
import uvicorn
from authlib.integrations.base_client.errors import OAuthError as AuthlibOAuthError
from authlib.oauth2.rfc7636 import create_s256_code_challenge

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # authlib 1.9 prefers httpx2; the httpx client is what is installed
    from authlib.integrations.httpx_client import OAuth2Client
from identity_support import (
    ALICE_PASSWORD,
    B_CB,
    SECRET_B,
    free_port,
    key_set,
    populate,
)

from trustkit.identity import IdentityConfig, SQLiteStore, create_identity_app
from trustkit.identity.passwords import PasswordHashing

pytestmark = [pytest.mark.interop,
              pytest.mark.filterwarnings("ignore:The httpx module is deprecated")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A uvicorn server in a thread on 127.0.0.1:<free port>, SQLite store, real clock."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    store = SQLiteStore(str(tmp_path_factory.mktemp("idp") / "identity.db"))
    populate(store)
    from identity_support import PEPPER

    app = create_identity_app(IdentityConfig(issuer=base, pepper=PEPPER), store, key_set(),
                              passwords=PasswordHashing(time_cost=1, memory_cost=1024, parallelism=1))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started:
        assert time.time() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield base
    srv.should_exit = True
    thread.join(timeout=10)


def _browser_login(base: str, authorization_url: str) -> str:
    """Play the user's browser: follow the provider's redirects and fill the login form.
    Returns the callback URL the provider redirects to."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        response = browser.get(authorization_url)
        assert response.status_code == 303, response.text
        response = browser.get(base + response.headers["location"])
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', response.text))
        response = browser.post(f"{base}/login", data={**fields, "username": "alice", "password": ALICE_PASSWORD})
        assert response.status_code == 303, response.text
        return str(response.headers["location"])


def test_authlib_code_flow_pkce_refresh_revoke(server: str) -> None:
    client = OAuth2Client(client_id="portal-b", client_secret=SECRET_B, redirect_uri=B_CB,
                          scope="openid profile email", code_challenge_method="S256",
                          token_endpoint_auth_method="client_secret_basic")
    verifier = "v" * 20 + "-verifier-" + "w" * 30
    url, _ = client.create_authorization_url(f"{server}/authorize", code_verifier=verifier, nonce="abc")
    assert f"code_challenge={create_s256_code_challenge(verifier)}" in url
    callback = _browser_login(server, url)
    assert callback.startswith(B_CB)
    token: dict[str, Any] = client.fetch_token(f"{server}/token", authorization_response=callback,
                                               code_verifier=verifier)
    assert {"access_token", "refresh_token", "id_token"} <= token.keys()
    info = client.get(f"{server}/userinfo").json()
    assert info["sub"] == "u-alice"

    # PyJWT: verify our ES256 ID token with the key it finds in our published JWKS.
    jwks_client = jwt.PyJWKClient(f"{server}/jwks.json")
    signing_key = jwks_client.get_signing_key_from_jwt(token["id_token"])
    claims = jwt.decode(token["id_token"], signing_key.key, algorithms=["ES256"], audience="portal-b",
                        issuer=server)
    assert claims["sub"] == "u-alice" and claims["nonce"] == "abc"

    refreshed = client.refresh_token(f"{server}/token", refresh_token=token["refresh_token"])
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert client.get(f"{server}/userinfo").status_code == 200

    revoked = client.revoke_token(f"{server}/revoke", token=refreshed["refresh_token"],
                                  token_type_hint="refresh_token")
    assert revoked.status_code == 200
    with pytest.raises(AuthlibOAuthError) as excinfo:
        client.refresh_token(f"{server}/token", refresh_token=refreshed["refresh_token"])
    assert excinfo.value.error == "invalid_grant"


def test_authlib_public_client_pkce(server: str) -> None:
    client = OAuth2Client(client_id="portal-a", redirect_uri="https://a.example/cb", scope="openid",
                          code_challenge_method="S256", token_endpoint_auth_method="none")
    verifier = "public-" + "z" * 50
    url, _ = client.create_authorization_url(f"{server}/authorize", code_verifier=verifier)
    callback = _browser_login(server, url)
    token = client.fetch_token(f"{server}/token", authorization_response=callback, code_verifier=verifier)
    # portal-a is registered with SM2: PyJWT cannot read that JWKS, so the SM2 document is separate
    # and the standard one keeps working for the others.
    assert jwt.get_unverified_header(token["id_token"])["alg"] == "SM2"
    assert all(k.get("crv") != "SM2" for k in httpx.get(f"{server}/jwks.json").json()["keys"])
    # A wrong verifier through authlib: the server answers invalid_grant.
    url, _ = client.create_authorization_url(f"{server}/authorize", code_verifier=verifier)
    callback = _browser_login(server, url)
    with pytest.raises(AuthlibOAuthError) as excinfo:
        client.fetch_token(f"{server}/token", authorization_response=callback, code_verifier="x" * 50)
    assert excinfo.value.error == "invalid_grant"
