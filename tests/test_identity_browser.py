"""End to end in a real headless browser (Debian chromium + chromedriver through Selenium):
password + TOTP login on portal A, portal B without credentials (SSO), logout everywhere.

Two uvicorn servers on loopback: the provider on 127.0.0.1 and two tiny portals on ``localhost``
(a different host, so the browser keeps their cookies apart).  The portals are real relying
parties: they redirect to /authorize with PKCE and exchange the code at /token.
A screenshot of the login page is saved to /tmp/trustkit_identity_login.png.
"""

from __future__ import annotations

import secrets
import shutil
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pyotp
import pytest
import uvicorn
from identity_support import (
    BOB_PASSWORD,
    BOB_TOTP,
    PEPPER,
    SECRET_B,
    free_port,
    key_set,
    pkce_pair,
    populate,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from trustkit.identity import IdentityConfig, SQLiteStore, create_identity_app
from trustkit.identity.passwords import PasswordHashing

pytestmark = pytest.mark.interop
SCREENSHOT = "/tmp/trustkit_identity_login.png"


def _serve(app: Any, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.time() + 20
    while not server.started:
        assert time.time() < deadline
        time.sleep(0.05)
    return server


def _portals(idp: str, portal_base: str) -> Starlette:
    """Portal A (public client, PKCE) and portal B (confidential client) as one small app."""
    pending: dict[str, str] = {}
    clients = {"a": ("portal-a", None), "b": ("portal-b", SECRET_B)}

    async def start(request: Request) -> Response:
        name = request.path_params["name"]
        client_id, _ = clients[name]
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(12)
        pending[state] = verifier
        params = {"response_type": "code", "client_id": client_id, "redirect_uri": f"{portal_base}/{name}/cb",
                  "scope": "openid profile", "state": state, "code_challenge": challenge,
                  "code_challenge_method": "S256"}
        return RedirectResponse(f"{idp}/authorize?{urlencode(params)}", status_code=303)

    async def callback(request: Request) -> Response:
        name = request.path_params["name"]
        client_id, secret = clients[name]
        verifier = pending.pop(request.query_params["state"])
        data = {"grant_type": "authorization_code", "code": request.query_params["code"],
                "redirect_uri": f"{portal_base}/{name}/cb", "code_verifier": verifier}
        auth = (client_id, secret) if secret else None
        if not secret:
            data["client_id"] = client_id
        async with httpx.AsyncClient() as http:
            tokens = (await http.post(f"{idp}/token", data=data, auth=auth)).json()
            info = (await http.get(f"{idp}/userinfo",
                                   headers={"Authorization": f"Bearer {tokens['access_token']}"})).json()
        return HTMLResponse(f'<h1 id="welcome">Portal {name.upper()}: signed in as {info["sub"]}</h1>')

    async def bye(request: Request) -> Response:
        return HTMLResponse('<h1 id="bye">Signed out</h1>')

    return Starlette(routes=[Route("/{name}/start", start), Route("/{name}/cb", callback),
                             Route("/{name}/bye", bye)])


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    idp_port, portal_port = free_port(), free_port()
    idp = f"http://127.0.0.1:{idp_port}"
    portal = f"http://localhost:{portal_port}"
    store = SQLiteStore(str(tmp_path_factory.mktemp("browser-idp") / "identity.db"))
    populate(store, redirect_uri_a=f"{portal}/a/cb", redirect_uri_b=f"{portal}/b/cb")
    from dataclasses import replace

    for client_id, name in (("portal-a", "a"), ("portal-b", "b")):
        registered = store.get_client(client_id)
        assert registered is not None
        store.put_client(replace(registered, post_logout_redirect_uris=(f"{portal}/{name}/bye",)))
    app = create_identity_app(IdentityConfig(issuer=idp, pepper=PEPPER), store, key_set(),
                              passwords=PasswordHashing(time_cost=1, memory_cost=1024, parallelism=1))
    running = [_serve(app, idp_port), _serve(_portals(idp, portal), portal_port)]
    yield idp, portal
    for server in running:
        server.should_exit = True


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    chromium = shutil.which("chromium")
    chromedriver = shutil.which("chromedriver")
    if not chromium or not chromedriver:
        pytest.skip("Debian chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=900,700"):
        options.add_argument(arg)
    browser = webdriver.Chrome(service=Service(chromedriver), options=options)
    browser.set_page_load_timeout(20)
    browser.implicitly_wait(10)  # find_element waits for the page a click navigates to
    yield browser
    browser.quit()


def test_browser_password_totp_sso_logout(servers: tuple[str, str], driver: Any) -> None:
    from selenium.webdriver.common.by import By

    idp, portal = servers
    driver.get(f"{portal}/a/start")
    assert driver.current_url.startswith(f"{idp}/login?tid="), driver.current_url
    assert "Portal A" in driver.page_source
    driver.save_screenshot(SCREENSHOT)
    driver.find_element(By.ID, "username").send_keys("bob")
    driver.find_element(By.ID, "password").send_keys(BOB_PASSWORD)
    driver.find_element(By.ID, "submit").click()
    driver.find_element(By.ID, "code").send_keys(pyotp.TOTP(BOB_TOTP).now())
    driver.find_element(By.ID, "submit").click()
    assert driver.find_element(By.ID, "welcome").text == "Portal A: signed in as u-bob"
    cookie = driver.get_cookie("tk_sid")  # the browser is on the portal's host: no provider cookie here
    assert cookie is None

    # Portal B: straight through, no credentials asked.
    driver.get(f"{portal}/b/start")
    assert driver.find_element(By.ID, "welcome").text == "Portal B: signed in as u-bob"

    # Logout from portal B (RP-initiated), confirm, land on B's registered page.
    driver.get(f"{idp}/logout?" + urlencode({"client_id": "portal-b",
                                             "post_logout_redirect_uri": f"{portal}/b/bye"}))
    assert driver.get_cookie("tk_sid")["httpOnly"] is True
    driver.find_element(By.ID, "logout").click()
    assert driver.find_element(By.ID, "bye").text == "Signed out"

    # Portal A now asks for a login again: the session ended everywhere.
    driver.get(f"{portal}/a/start")
    assert driver.current_url.startswith(f"{idp}/login?tid=")
    assert driver.find_element(By.ID, "password")
