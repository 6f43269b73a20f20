"""Security cases of the OIDC provider: PKCE, replayed codes, open redirects, CSRF, TOTP replay,
rate limits, algorithm confusion at /userinfo, OAuth error codes, size caps, and no secrets in logs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import warnings
from typing import Any

import pyotp
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from identity_support import (
    A_CB,
    ALICE_PASSWORD,
    B_CB,
    BOB_PASSWORD,
    BOB_TOTP,
    SECRET_B,
    SECRET_SVC,
    Clock,
    Flow,
    exchange,
    form_fields,
    make_app,
    pkce_pair,
    populate,
    query,
    signing_keys,
)

from trustkit.identity import SQLiteStore, SQLStore
from trustkit.identity.store import digest


@pytest.fixture
def store(tmp_path: Any) -> SQLStore:
    result = SQLiteStore(str(tmp_path / "identity.db"))
    populate(result)
    return result


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(store: SQLStore, clock: Clock) -> TestClient:
    return TestClient(make_app(store, clock))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# ---- PKCE and codes ------------------------------------------------------------------------


def test_wrong_pkce_verifier(client: TestClient, clock: Clock) -> None:
    verifier, challenge = pkce_pair()
    callback = Flow(client, clock).login("portal-a", A_CB, challenge)
    other, _ = pkce_pair()
    response = exchange(client, callback["code"], other)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    # The code was spent by the failed attempt: the right verifier no longer helps.
    assert exchange(client, callback["code"], verifier).json()["error"] == "invalid_grant"


def test_missing_verifier_and_downgrade(client: TestClient, clock: Clock) -> None:
    verifier, challenge = pkce_pair()
    callback = Flow(client, clock).login("portal-a", A_CB, challenge)
    assert exchange(client, callback["code"], None).json()["error"] == "invalid_grant"
    # A verifier for a code issued without a challenge is refused too (PKCE downgrade).
    flow = Flow(client, clock)
    flow.authorize("portal-b", B_CB, None)
    code = query(flow.last.headers["location"])["code"]
    response = exchange(client, code, verifier, client_id="portal-b", redirect_uri=B_CB, secret=SECRET_B)
    assert response.json()["error"] == "invalid_grant"


def test_plain_pkce_and_public_client_without_pkce_refused(client: TestClient, clock: Clock) -> None:
    flow = Flow(client, clock)
    response = client.get("/authorize", params={"response_type": "code", "client_id": "portal-a", "redirect_uri": A_CB,
                                                "state": "s", "code_challenge": "a" * 43,
                                                "code_challenge_method": "plain"}, follow_redirects=False)
    assert query(response.headers["location"]) == {
        "error": "invalid_request", "error_description": "code_challenge_method must be S256", "state": "s"}
    response = flow.authorize("portal-a", A_CB, None)
    assert query(response.headers["location"])["error"] == "invalid_request"


def test_replayed_code_revokes_tokens(client: TestClient, clock: Clock) -> None:
    verifier, challenge = pkce_pair()
    callback = Flow(client, clock).login("portal-a", A_CB, challenge)
    tokens = exchange(client, callback["code"], verifier).json()
    replay = exchange(client, callback["code"], verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert client.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}).status_code == 401
    refresh = client.post("/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                                          "client_id": "portal-a"})
    assert refresh.json()["error"] == "invalid_grant"


def test_code_bound_to_client_redirect_and_time(client: TestClient, clock: Clock) -> None:
    verifier, challenge = pkce_pair()
    flow = Flow(client, clock)
    callback = flow.login("portal-a", A_CB, challenge)
    # Another client cannot redeem it.
    response = exchange(client, callback["code"], verifier, client_id="portal-b", redirect_uri=A_CB, secret=SECRET_B)
    assert response.json()["error"] == "invalid_grant"
    flow.authorize("portal-a", A_CB, challenge)
    code = query(flow.last.headers["location"])["code"]
    assert exchange(client, code, verifier, redirect_uri="https://a.example/other").json()["error"] == "invalid_grant"
    flow.authorize("portal-a", A_CB, challenge)
    code = query(flow.last.headers["location"])["code"]
    clock.now += 61
    assert exchange(client, code, verifier).json()["error"] == "invalid_grant"


# ---- redirects -----------------------------------------------------------------------------


@pytest.mark.parametrize("redirect_uri", [
    "https://evil.example/cb",
    "https://a.example/cb/../../evil",
    "https://a.example/cb?x=1",
    "https://a.example/CB",
    "https://a.example.evil.example/cb",
    "",
])
def test_never_redirects_to_unregistered_uri(client: TestClient, redirect_uri: str) -> None:
    response = client.get("/authorize", params={"response_type": "code", "client_id": "portal-a",
                                                "redirect_uri": redirect_uri, "code_challenge": "a" * 43,
                                                "code_challenge_method": "S256"}, follow_redirects=False)
    assert response.status_code == 400 and "location" not in response.headers
    assert "not registered" in response.text


def test_unknown_client_gets_error_page(client: TestClient) -> None:
    response = client.get("/authorize", params={"response_type": "code", "client_id": "nobody",
                                                "redirect_uri": "https://evil.example/"}, follow_redirects=False)
    assert response.status_code == 400 and "location" not in response.headers


@pytest.mark.parametrize(("params", "error"), [
    ({"response_type": "token"}, "unsupported_response_type"),
    ({"scope": "openid admin"}, "invalid_scope"),
])
def test_authorize_error_redirects(client: TestClient, params: dict[str, str], error: str) -> None:
    base = {"response_type": "code", "client_id": "portal-b", "redirect_uri": B_CB, "state": "xyz"}
    response = client.get("/authorize", params={**base, **params}, follow_redirects=False)
    result = query(response.headers["location"])
    assert response.headers["location"].startswith(B_CB)
    assert result["error"] == error and result["state"] == "xyz"


def test_repeated_parameter_is_refused(client: TestClient) -> None:
    response = client.get(f"/authorize?client_id=portal-b&client_id=portal-a&redirect_uri={B_CB}",
                          follow_redirects=False)
    assert response.status_code == 400 and "location" not in response.headers
    response = client.post("/token", content="grant_type=client_credentials&grant_type=refresh_token",
                           headers={"content-type": "application/x-www-form-urlencoded"}, auth=("service", SECRET_SVC))
    assert response.json()["error"] == "invalid_request"


# ---- login form ----------------------------------------------------------------------------


def _login_page(client: TestClient, clock: Clock) -> Flow:
    flow = Flow(client, clock)
    _, challenge = pkce_pair()
    flow.authorize("portal-a", A_CB, challenge)
    flow.follow_local()
    return flow


def test_csrf_token_required(client: TestClient, clock: Clock) -> None:
    flow = _login_page(client, clock)
    assert flow.password("alice", ALICE_PASSWORD, csrf="").status_code == 403
    assert flow.last.headers.get("set-cookie") is None
    flow = _login_page(client, clock)
    assert flow.password("alice", ALICE_PASSWORD, csrf="0" * 64).status_code == 403


def test_login_transaction_bound_to_browser(client: TestClient, clock: Clock, store: SQLStore) -> None:
    flow = _login_page(client, clock)
    fields = form_fields(flow.last.text)
    # An attacker holding the tid and CSRF token (say, from a log) but not the victim's cookie.
    other = TestClient(client.app)
    response = other.post("/login", data={**fields, "username": "alice", "password": ALICE_PASSWORD},
                          follow_redirects=False)
    assert response.status_code == 400 and "tk_sid" not in response.headers.get("set-cookie", "")


def test_generic_error_messages(client: TestClient, clock: Clock) -> None:
    flow = _login_page(client, clock)
    wrong_password = flow.password("alice", "nope").text
    flow = _login_page(client, clock)
    no_user = flow.password("mallory", "nope").text
    assert flow.last.status_code == 401
    assert "Invalid user name or password." in wrong_password and "Invalid user name or password." in no_user


def test_login_rate_limit(client: TestClient, clock: Clock) -> None:
    flow = _login_page(client, clock)
    for _ in range(5):
        assert flow.password("alice", "wrong").status_code == 401
    assert flow.password("alice", ALICE_PASSWORD).status_code == 429  # even the right password
    clock.now += 301
    assert flow.password("alice", ALICE_PASSWORD).status_code == 303


def test_totp_replay_and_wrong_code(client: TestClient, clock: Clock) -> None:
    flow = _login_page(client, clock)
    flow.password("bob", BOB_PASSWORD)
    code = pyotp.TOTP(BOB_TOTP).at(int(clock.now))
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    assert flow.totp(wrong).status_code == 401
    assert flow.totp(code).status_code == 303
    # The same code again (another login within the same 30 s) is refused: step already spent.
    flow2 = _login_page(TestClient(client.app), clock)
    flow2.password("bob", BOB_PASSWORD)
    assert flow2.totp(code).status_code == 401
    # An older step (within the window) is refused too; the next step works.
    assert flow2.totp(pyotp.TOTP(BOB_TOTP).at(int(clock.now) - 30)).status_code == 401
    clock.now += 30
    assert flow2.totp(pyotp.TOTP(BOB_TOTP).at(int(clock.now))).status_code == 303


def test_totp_window_tolerance(client: TestClient, clock: Clock) -> None:
    flow = _login_page(client, clock)
    flow.password("bob", BOB_PASSWORD)
    # A code from the previous step is still accepted (valid_window=1) ...
    assert flow.totp(pyotp.TOTP(BOB_TOTP).at(int(clock.now) - 30)).status_code == 303
    flow = _login_page(TestClient(client.app), clock)
    flow.password("bob", BOB_PASSWORD)
    # ... but not one from two steps back.
    assert flow.totp(pyotp.TOTP(BOB_TOTP).at(int(clock.now) - 60)).status_code == 401


def test_totp_rate_limit(client: TestClient, clock: Clock) -> None:
    flow = _login_page(client, clock)
    flow.password("bob", BOB_PASSWORD)
    for _ in range(5):
        assert flow.totp("000000" if pyotp.TOTP(BOB_TOTP).at(int(clock.now)) != "000000" else "111111").status_code \
            == 401
    assert flow.totp().status_code == 429


# ---- tokens at /userinfo -------------------------------------------------------------------


def _forge(header: dict[str, Any], claims: dict[str, Any], signature: bytes) -> str:
    return ".".join((_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode()), _b64(signature)))


def test_alg_confusion_and_token_type_at_userinfo(client: TestClient, clock: Clock) -> None:
    verifier, challenge = pkce_pair()
    tokens = exchange(client, Flow(client, clock).login("portal-a", A_CB, challenge)["code"], verifier).json()
    good = tokens["access_token"]
    claims = json.loads(base64.urlsafe_b64decode(good.split(".")[1] + "=="))
    es256 = signing_keys()[0]
    public_jwk = json.dumps(es256.public.to_dict()).encode()
    forged: list[str] = []
    # HS256 keyed with the published public key (classic algorithm confusion).
    for secret in (public_jwk, es256.public.to_dict()["x"].encode()):
        header = {"alg": "HS256", "kid": "es256-1", "typ": "at+jwt"}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}".encode()
        forged.append(signing_input.decode() + "." + _b64(hmac.new(secret, signing_input, hashlib.sha256).digest()))
    forged.append(_forge({"alg": "none", "typ": "at+jwt"}, claims, b""))
    forged.append(_forge({"alg": "ES256", "kid": "es256-1", "typ": "at+jwt", "jwk": es256.public.to_dict()}, claims,
                         b"\x00" * 64))
    # The ID token is not an access token.
    forged.append(tokens["id_token"])
    # Tampered payload.
    head, _, sig = good.split(".")
    forged.append(f"{head}.{_b64(json.dumps({**claims, 'sub': 'u-bob'}).encode())}.{sig}")
    for token in forged:
        response = client.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
        assert response.json()["error"] == "invalid_token"
    assert client.get("/userinfo", headers={"Authorization": f"Bearer {good}"}).status_code == 200
    assert client.get("/userinfo").status_code == 401
    clock.now += 601
    assert client.get("/userinfo", headers={"Authorization": f"Bearer {good}"}).status_code == 401


# ---- token endpoint errors -----------------------------------------------------------------


def test_token_endpoint_errors(client: TestClient) -> None:
    def post(data: dict[str, str], auth: Any = None) -> Any:
        return client.post("/token", data=data, auth=auth)

    assert post({}).json()["error"] == "invalid_request"
    assert post({"grant_type": "password", "username": "a", "password": "b"}).json()["error"] == \
        "unsupported_grant_type"
    bad = post({"grant_type": "client_credentials"}, auth=("service", "wrong"))
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    assert bad.headers["www-authenticate"].startswith("Basic")
    assert post({"grant_type": "client_credentials", "client_id": "service", "client_secret": "wrong"}).status_code \
        == 401
    assert post({"grant_type": "client_credentials", "scope": "admin"}, auth=("service", SECRET_SVC)).json()[
        "error"] == "invalid_scope"
    both = client.post("/token", data={"grant_type": "client_credentials", "client_secret": SECRET_SVC},
                       auth=("service", SECRET_SVC))
    assert both.json()["error"] == "invalid_request"
    garbage = client.post("/token", content=b"grant_type=client_credentials",
                          headers={"Authorization": "Basic !!!", "content-type": "application/x-www-form-urlencoded"})
    assert garbage.json()["error"] == "invalid_client"
    assert post({"grant_type": "authorization_code", "code": "nope", "client_id": "portal-a",
                 "redirect_uri": A_CB}).json()["error"] == "invalid_grant"
    wrong_type = client.post("/token", content=b'{"grant_type": "client_credentials"}',
                             headers={"content-type": "application/json"}, auth=("service", SECRET_SVC))
    assert wrong_type.json()["error"] == "invalid_request"


def test_body_size_cap(client: TestClient) -> None:
    big = "x" * (65 * 1024)
    response = client.post("/token", data={"grant_type": "client_credentials", "pad": big},
                           auth=("service", SECRET_SVC))
    assert response.status_code == 413
    response = _login_page(client, Clock()).client.post("/login", data={"tid": "t", "csrf": "c", "password": big})
    assert response.status_code == 413


def test_stored_values_are_digests(client: TestClient, clock: Clock, store: SQLStore) -> None:
    verifier, challenge = pkce_pair()
    callback = Flow(client, clock).login("portal-a", A_CB, challenge)
    assert store.get_code(callback["code"]) is None and store.get_code(digest(callback["code"])) is not None
    tokens = exchange(client, callback["code"], verifier).json()
    assert store.get_refresh(tokens["refresh_token"]) is None
    assert store.get_session(client.cookies["tk_sid"], int(clock.now)) is None


# ---- logs ----------------------------------------------------------------------------------


def test_no_secrets_in_logs(client: TestClient, clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secrets_seen: list[str] = [ALICE_PASSWORD, BOB_PASSWORD, SECRET_B, SECRET_SVC, BOB_TOTP]
    flow = Flow(client, clock)
    verifier, challenge = pkce_pair()
    flow.authorize("portal-a", A_CB, challenge)
    flow.follow_local()
    flow.password("alice", "wrong-password-123")
    secrets_seen.append("wrong-password-123")
    flow.password("alice", ALICE_PASSWORD, csrf="bad")
    callback = flow.login("portal-a", A_CB, challenge)
    tokens = exchange(client, callback["code"], verifier).json()
    rotated = client.post("/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                                          "client_id": "portal-a"}).json()
    client.post("/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                                "client_id": "portal-a"})
    exchange(client, callback["code"], verifier)  # a replay: logged as a warning
    client.post("/token", data={"grant_type": "client_credentials"}, auth=("service", "not-the-secret"))
    svc = client.post("/token", data={"grant_type": "client_credentials"}, auth=("service", SECRET_SVC)).json()
    client.post("/revoke", data={"token": svc["access_token"]}, auth=("service", SECRET_SVC))
    bob = Flow(TestClient(client.app), clock)
    bob.authorize("portal-a", A_CB, challenge)
    bob.follow_local()
    bob.password("bob", BOB_PASSWORD)
    totp_code = pyotp.TOTP(BOB_TOTP).at(int(clock.now))
    bob.totp(totp_code)
    secrets_seen += [callback["code"], verifier, tokens["access_token"], tokens["refresh_token"], tokens["id_token"],
                     rotated["access_token"], rotated["refresh_token"], svc["access_token"], "not-the-secret",
                     client.cookies["tk_sid"], totp_code]
    # Everything but the test's own HTTP client (httpx logs the URLs it requests, callbacks included).
    text = "\n".join(record.getMessage() for record in caplog.records if not record.name.startswith("httpx"))
    assert "refresh token reused" in text and "authorization code replayed" in text and "login failed" in text
    for secret in secrets_seen:
        assert secret not in text


def test_pages_cannot_be_framed(client: TestClient, clock: Clock) -> None:
    page = _login_page(client, clock).last
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY" and page.headers["referrer-policy"] == "no-referrer"
    assert "content-security-policy" not in client.get("/jwks.json").headers
