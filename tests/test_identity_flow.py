"""The OIDC provider's flows in process (Starlette TestClient), on SQLite and on PostgreSQL:
discovery, JWKS, code + PKCE, userinfo, refresh rotation, introspection, revocation, SSO across
clients, prompt handling, logout everywhere, TOTP, client_credentials and QR login."""

from __future__ import annotations

import base64
import json
import time
import warnings
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from identity_support import (
    A_CB,
    B_CB,
    BOB_PASSWORD,
    FAST_ARGON2,
    PEPPER,
    SECRET_B,
    SECRET_SVC,
    Clock,
    Flow,
    empty_postgres_store,
    exchange,
    form_fields,
    key_set,
    make_app,
    pkce_pair,
    populate,
    query,
)

from trustkit.identity import (
    IdentityConfig,
    PostgresStore,
    SQLiteStore,
    SQLStore,
    create_identity_app,
    new_recovery_codes,
)
from trustkit.identity.store import AuthCode
from trustkit.token import KeySet, verify


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[SQLStore]:
    result: SQLStore
    if request.param == "sqlite":
        result = SQLiteStore(str(tmp_path / "identity.db"))
    else:
        try:
            result = empty_postgres_store()
        except RuntimeError as exc:
            pytest.skip(f"PostgreSQL unavailable: {exc}")
    populate(result)
    yield result
    result.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(store: SQLStore, clock: Clock) -> TestClient:
    return TestClient(make_app(store, clock))


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _header(token: str) -> dict[str, Any]:
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


def test_discovery_and_jwks(client: TestClient) -> None:
    doc = client.get("/.well-known/openid-configuration").json()
    assert doc["issuer"] == "http://testserver"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["jwks_uri"] == "http://testserver/jwks.json"
    assert set(doc["id_token_signing_alg_values_supported"]) == {"ES256", "SM2", "RS256", "EdDSA"}
    standard = client.get("/jwks.json").json()["keys"]
    sm2 = client.get("/jwks-sm2.json").json()["keys"]
    assert {k["kid"] for k in standard} == {"es256-1", "rs256-1", "ed-1"}
    assert [k["crv"] for k in sm2] == ["SM2"]
    assert all("d" not in k for k in standard + sm2)


def test_code_flow_pkce_userinfo_and_id_token(client: TestClient, clock: Clock) -> None:
    verifier, challenge = pkce_pair()
    callback = Flow(client, clock).login("portal-a", A_CB, challenge)
    assert callback["state"] == "st-1" and callback["iss"] == "http://testserver"
    response = exchange(client, callback["code"], verifier)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    tokens = response.json()
    # portal-a is registered with SM2: both tokens are SM2-signed and verify against the SM2 JWKS.
    sm2_keys = KeySet.from_jwks(client.get("/jwks-sm2.json").json())
    id_token = verify(tokens["id_token"], sm2_keys, algorithms=["SM2"], issuer="http://testserver",
                      audience="portal-a", clock=clock, typ="JWT")
    assert id_token.claims["sub"] == "u-alice" and id_token.claims["nonce"] == "n-1"
    assert _header(tokens["access_token"])["typ"] == "at+jwt"
    info = client.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.json() == {"sub": "u-alice", "name": "Alice", "preferred_username": "alice",
                           "email": "alice@example.gov.cn"}


def test_confidential_client_basic_and_post_auth(client: TestClient, clock: Clock) -> None:
    flow = Flow(client, clock)
    callback = flow.login("portal-b", B_CB, None)
    response = exchange(client, callback["code"], None, client_id="portal-b", redirect_uri=B_CB, secret=SECRET_B)
    assert response.status_code == 200, response.text
    assert _header(response.json()["id_token"])["alg"] == "ES256"
    # client_secret_post works too (second login through the live SSO session).
    flow.authorize("portal-b", B_CB, None)
    code = query(flow.last.headers["location"])["code"]
    response = client.post("/token", data={"grant_type": "authorization_code", "code": code, "redirect_uri": B_CB,
                                           "client_id": "portal-b", "client_secret": SECRET_B})
    assert response.status_code == 200, response.text


def test_refresh_rotation_and_reuse_revokes_family(client: TestClient, clock: Clock) -> None:
    verifier, challenge = pkce_pair()
    callback = Flow(client, clock).login("portal-a", A_CB, challenge)
    first = exchange(client, callback["code"], verifier).json()
    second = client.post("/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"],
                                         "client_id": "portal-a"})
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    # Reusing the rotated-out token: refused, and the whole family dies (the new token too).
    reuse = client.post("/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"],
                                        "client_id": "portal-a"})
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    after = client.post("/token", data={"grant_type": "refresh_token", "refresh_token": rotated["refresh_token"],
                                        "client_id": "portal-a"})
    assert after.json()["error"] == "invalid_grant"
    # ...and access tokens issued in the family are no longer honoured.
    info = client.get("/userinfo", headers={"Authorization": f"Bearer {rotated['access_token']}"})
    assert info.status_code == 401


def test_introspection_and_revocation(client: TestClient, clock: Clock) -> None:
    callback = Flow(client, clock).login("portal-b", B_CB, None)
    tokens = exchange(client, callback["code"], None, client_id="portal-b", redirect_uri=B_CB,
                      secret=SECRET_B).json()
    intro = client.post("/introspect", data={"token": tokens["access_token"]}, auth=("portal-b", SECRET_B)).json()
    assert intro["active"] is True and intro["sub"] == "u-alice" and intro["client_id"] == "portal-b"
    intro = client.post("/introspect", data={"token": tokens["refresh_token"]}, auth=("portal-b", SECRET_B)).json()
    assert intro["active"] is True and intro["token_type"] == "refresh_token"
    # Public clients may not introspect; unauthenticated calls get invalid_client.
    denied = client.post("/introspect", data={"token": tokens["access_token"], "client_id": "portal-a"})
    assert denied.status_code == 401 and denied.json()["error"] == "invalid_client"
    # RFC 7009: revoke the access token; then the refresh token (its family).
    assert client.post("/revoke", data={"token": tokens["access_token"]}, auth=("portal-b", SECRET_B)).status_code == 200
    intro = client.post("/introspect", data={"token": tokens["access_token"]}, auth=("portal-b", SECRET_B)).json()
    assert intro == {"active": False}
    assert client.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}).status_code == 401
    assert client.post("/revoke", data={"token": tokens["refresh_token"]}, auth=("portal-b", SECRET_B)).status_code == 200
    intro = client.post("/introspect", data={"token": tokens["refresh_token"]}, auth=("portal-b", SECRET_B)).json()
    assert intro == {"active": False}
    refused = client.post("/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                          auth=("portal-b", SECRET_B))
    assert refused.json()["error"] == "invalid_grant"
    # Unknown tokens: still 200 (no oracle).
    assert client.post("/revoke", data={"token": "nonsense"}, auth=("portal-b", SECRET_B)).status_code == 200


def test_sso_second_client_without_login_and_prompt(client: TestClient, clock: Clock) -> None:
    flow = Flow(client, clock)
    _, challenge = pkce_pair()
    flow.login("portal-a", A_CB, challenge)
    session_cookie = client.cookies.get("tk_sid")
    assert session_cookie
    # portal-b: a code straight away, no login form.
    response = flow.authorize("portal-b", B_CB, None, state="b-state")
    assert response.status_code == 303
    callback = query(response.headers["location"])
    assert response.headers["location"].startswith(B_CB) and callback["state"] == "b-state"
    tokens = exchange(client, callback["code"], None, client_id="portal-b", redirect_uri=B_CB, secret=SECRET_B).json()
    assert _claims(tokens["id_token"])["sub"] == "u-alice"
    # prompt=login forces a new login.
    response = flow.authorize("portal-b", B_CB, None, prompt="login")
    assert response.headers["location"].startswith("/login?tid=")


def test_prompt_none_without_session(client: TestClient, clock: Clock) -> None:
    response = Flow(client, clock).authorize("portal-b", B_CB, None, prompt="none")
    assert query(response.headers["location"])["error"] == "login_required"


def test_session_cookie_attributes(store: SQLStore, clock: Clock) -> None:
    client = TestClient(make_app(store, clock, issuer="https://testserver"), base_url="https://testserver")
    flow = Flow(client, clock)
    _, challenge = pkce_pair()
    flow.authorize("portal-a", A_CB, challenge)
    flow.follow_local()
    flow.password("alice", "correct horse battery staple")
    cookie = flow.last.headers["set-cookie"].lower()
    assert "tk_sid=" in cookie and "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie


def test_logout_ends_session_everywhere(client: TestClient, clock: Clock, store: SQLStore) -> None:
    flow = Flow(client, clock)
    verifier, challenge = pkce_pair()
    callback = flow.login("portal-a", A_CB, challenge)
    tokens_a = exchange(client, callback["code"], verifier).json()
    flow.authorize("portal-b", B_CB, None)
    code_b = query(flow.last.headers["location"])["code"]
    tokens_b = exchange(client, code_b, None, client_id="portal-b", redirect_uri=B_CB, secret=SECRET_B).json()
    # An unregistered post_logout_redirect_uri is refused with a page, not a redirect.
    bad = client.get("/logout", params={"client_id": "portal-a", "post_logout_redirect_uri": "https://evil.example/"})
    assert bad.status_code == 400 and "location" not in bad.headers
    page = client.get("/logout", params={"id_token_hint": tokens_a["id_token"],
                                         "post_logout_redirect_uri": "https://a.example/bye", "state": "s9"})
    assert page.status_code == 200
    done = client.post("/logout", data=form_fields(page.text), follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "https://a.example/bye?state=s9"
    # Both portals: a fresh /authorize needs a login again, and both refresh families are revoked.
    assert flow.authorize("portal-b", B_CB, None).headers["location"].startswith("/login?tid=")
    for client_id, tokens, auth in (("portal-a", tokens_a, None), ("portal-b", tokens_b, ("portal-b", SECRET_B))):
        data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        if auth is None:
            data["client_id"] = client_id
        assert client.post("/token", data=data, auth=auth).json()["error"] == "invalid_grant"


def test_totp_second_factor(client: TestClient, clock: Clock) -> None:
    flow = Flow(client, clock)
    verifier, challenge = pkce_pair()
    callback = flow.login("portal-a", A_CB, challenge, user="bob")
    tokens = exchange(client, callback["code"], verifier).json()
    assert _claims(tokens["access_token"])["sub"] == "u-bob"


def test_client_credentials(client: TestClient, clock: Clock) -> None:
    response = client.post("/token", data={"grant_type": "client_credentials", "scope": "licences.read"},
                           auth=("service", SECRET_SVC))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["scope"] == "licences.read" and body["token_type"] == "Bearer"
    verified = verify(body["access_token"], key_set(), algorithms=["ES256"], issuer="http://testserver",
                      audience="http://testserver", clock=clock, typ="at+jwt")
    assert verified.claims["sub"] == "service" and verified.claims["client_id"] == "service"
    # A client not registered for the grant, and a public client, are refused.
    assert client.post("/token", data={"grant_type": "client_credentials"},
                       auth=("portal-b", SECRET_B)).json()["error"] == "unauthorized_client"
    response = client.post("/token", data={"grant_type": "client_credentials", "client_id": "portal-a"})
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_qr_login(client: TestClient, clock: Clock, store: SQLStore) -> None:
    verifier, challenge = pkce_pair()
    started = client.post("/qr/start", data={"client_id": "portal-a", "redirect_uri": A_CB, "state": "qr-s",
                                             "scope": "openid profile", "code_challenge": challenge,
                                             "code_challenge_method": "S256"})
    assert started.status_code == 200, started.text
    qr = started.json()
    assert base64.b64decode(qr["qr_png"]).startswith(b"\x89PNG")
    poll = {"qr_id": qr["qr_id"], "poll_token": qr["poll_token"]}
    portal = TestClient(client.app)  # the portal has no session cookie
    assert portal.post("/qr/poll", data=poll).json() == {"status": "pending"}
    # The phone: not signed in -> refused; signed in -> approves.
    phone = TestClient(client.app)
    assert phone.post("/qr/approve", json={"payload": qr["payload"]}).status_code == 401
    Flow(phone, clock).login("portal-b", B_CB, None)
    assert phone.post("/qr/approve", content=json.dumps({"payload": qr["payload"]}),
                      headers={"content-type": "text/plain"}).status_code == 415
    approved = phone.post("/qr/approve", json={"payload": qr["payload"]})
    assert approved.status_code == 200, approved.text
    # The portal collects the code once, with a wrong poll token nothing.
    assert portal.post("/qr/poll", data={**poll, "poll_token": "x" * 43}).status_code == 404
    result = portal.post("/qr/poll", data=poll).json()
    assert result["status"] == "approved" and result["state"] == "qr-s"
    assert portal.post("/qr/poll", data=poll).status_code == 404
    tokens = exchange(portal, result["code"], verifier)
    assert tokens.status_code == 200 and _claims(tokens.json()["access_token"])["sub"] == "u-alice"
    # A second approval of the same QR code fails; an expired QR payload is refused.
    assert phone.post("/qr/approve", json={"payload": qr["payload"]}).status_code == 400
    again = client.post("/qr/start", data={"client_id": "portal-a", "redirect_uri": A_CB,
                                           "code_challenge": challenge, "code_challenge_method": "S256"}).json()
    clock.now += 121
    assert phone.post("/qr/approve", json={"payload": again["payload"]}).status_code in (400, 401)


def test_qr_start_rate_limited(client: TestClient) -> None:
    _, challenge = pkce_pair()
    data = {"client_id": "portal-a", "redirect_uri": A_CB, "code_challenge": challenge,
            "code_challenge_method": "S256"}
    # No PKCE, or an unregistered redirect URI: refused (and counted).
    assert client.post("/qr/start", data={"client_id": "portal-a", "redirect_uri": A_CB}).status_code == 400
    assert client.post("/qr/start", data={**data, "redirect_uri": "https://evil.example/"}).status_code == 400
    statuses = [client.post("/qr/start", data=data).status_code for _ in range(29)]
    assert statuses == [200] * 28 + [429]


def test_reauthentication_keeps_other_portals(client: TestClient, clock: Clock) -> None:
    flow = Flow(client, clock)
    verifier, challenge = pkce_pair()
    tokens_a = exchange(client, flow.login("portal-a", A_CB, challenge)["code"], verifier).json()
    old_sid = client.cookies["tk_sid"]
    flow.login("portal-b", B_CB, None, prompt="login")  # forced login: a new session id
    assert client.cookies["tk_sid"] != old_sid
    refreshed = client.post("/token", data={"grant_type": "refresh_token", "refresh_token": tokens_a["refresh_token"],
                                            "client_id": "portal-a"})
    assert refreshed.status_code == 200
    # The old cookie no longer works; logout with the new one still ends portal A's family.
    page = client.get("/logout")
    client.post("/logout", data=form_fields(page.text))
    again = client.post("/token", data={"grant_type": "refresh_token",
                                        "refresh_token": refreshed.json()["refresh_token"], "client_id": "portal-a"})
    assert again.json()["error"] == "invalid_grant"


def test_consent_for_third_party_client(client: TestClient, clock: Clock, store: SQLStore) -> None:
    registered = store.get_client("portal-b")
    assert registered is not None
    store.put_client(replace(registered, consent=True))
    client.app.state.identity._clients.clear()  # the provider caches clients for 30 s
    flow = Flow(client, clock)
    _, challenge = pkce_pair()
    flow.login("portal-a", A_CB, challenge)  # first party: no consent step
    response = flow.authorize("portal-b", B_CB, None, state="c0", prompt="none")
    assert query(response.headers["location"])["error"] == "consent_required"
    response = flow.authorize("portal-b", B_CB, None, state="c1")
    assert response.headers["location"].startswith("/consent?tid=")
    page = flow.follow_local()
    assert "Portal B" in page.text and "see your e-mail address" in page.text
    fields = form_fields(page.text)
    # Without the CSRF token: refused.
    assert client.post("/consent", data={"tid": fields["tid"], "decision": "allow"}).status_code == 403
    denied = client.post("/consent", data={**fields, "decision": "deny"}, follow_redirects=False)
    assert query(denied.headers["location"]) == {"error": "access_denied",
                                                 "error_description": "the user denied the request", "state": "c1"}
    flow.authorize("portal-b", B_CB, None, state="c2")
    fields = form_fields(flow.follow_local().text)
    allowed = client.post("/consent", data={**fields, "decision": "allow"}, follow_redirects=False)
    assert allowed.headers["location"].startswith(B_CB) and query(allowed.headers["location"])["state"] == "c2"
    assert exchange(client, query(allowed.headers["location"])["code"], None, client_id="portal-b",
                    redirect_uri=B_CB, secret=SECRET_B).status_code == 200
    # Granted once: the next request goes straight through; a wider scope asks again.
    assert flow.authorize("portal-b", B_CB, None).headers["location"].startswith(B_CB)
    assert flow.authorize("portal-b", B_CB, None, scope="openid offline_access").headers["location"].startswith(
        "/consent")


def test_recovery_codes(client: TestClient, clock: Clock, store: SQLStore) -> None:
    codes = new_recovery_codes(store, PEPPER, "u-bob")
    assert len(codes) == 10 and len(set(codes)) == 10 and all(len(c) == 14 for c in codes)

    def login_with(code: str) -> int:
        flow = Flow(TestClient(client.app), clock)
        _, challenge = pkce_pair()
        flow.authorize("portal-a", A_CB, challenge)
        flow.follow_local()
        flow.password("bob", BOB_PASSWORD)
        return int(flow.totp(code).status_code)

    assert login_with(codes[0].lower()) == 303
    assert login_with(codes[0]) == 401  # spent
    assert login_with("AAAA-BBBB-CCCC") == 401
    new_recovery_codes(store, PEPPER, "u-bob")
    assert login_with(codes[1]) == 401  # replaced


def test_background_purge(store: SQLStore, clock: Clock) -> None:
    store.put_code(AuthCode(code_hash="old", client_id="portal-a", sub="u-alice", redirect_uri=A_CB, scope="",
                            nonce=None, code_challenge=None, session_hash=None, auth_time=0, expires=10))
    config = IdentityConfig(issuer="http://testserver", pepper=PEPPER, clock=clock, purge_interval=0.01)
    with TestClient(create_identity_app(config, store, key_set(), passwords=FAST_ARGON2)):
        deadline = time.time() + 5
        while store.get_code("old") is not None and time.time() < deadline:
            time.sleep(0.02)
    assert store.get_code("old") is None


def test_two_nodes_share_sessions_and_revocations(clock: Clock) -> None:
    """Two provider instances on one PostgreSQL database behave as one provider."""
    try:
        first = empty_postgres_store()
    except RuntimeError as exc:
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    populate(first)
    second = PostgresStore(first._dsn)  # another node: its own connections, the same database
    keys = key_set()
    node1, node2 = TestClient(make_app(first, clock, keys=keys)), TestClient(make_app(second, clock, keys=keys))
    verifier, challenge = pkce_pair()
    tokens = exchange(node1, Flow(node1, clock).login("portal-a", A_CB, challenge)["code"], verifier).json()
    # The browser's session cookie, presented to node 2: SSO without a login.
    node2.cookies.set("tk_sid", node1.cookies["tk_sid"])
    response = Flow(node2, clock).authorize("portal-b", B_CB, None)
    assert response.headers["location"].startswith(B_CB)
    # Rotate on node 1, replay the old refresh token on node 2: the family dies on both.
    rotated = node1.post("/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                                         "client_id": "portal-a"}).json()
    reuse = node2.post("/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                                       "client_id": "portal-a"})
    assert reuse.json()["error"] == "invalid_grant"
    assert node1.get("/userinfo", headers={"Authorization": f"Bearer {rotated['access_token']}"}).status_code == 401
    second.close()
