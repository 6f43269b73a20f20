"""Minimal server-rendered pages: login, TOTP, logout confirmation, messages.

Plain HTML forms, no JavaScript; every form carries a CSRF token, every value is escaped.
"""

from __future__ import annotations

from html import escape

__all__ = ["consent_page", "error_page", "login_page", "logout_page", "message_page", "totp_page"]

_SCOPE_TEXT = {
    "openid": "know who you are (your account identifier)",
    "profile": "see your name and user name",
    "email": "see your e-mail address",
    "offline_access": "stay signed in for you while you are away (refresh tokens)",
}

_STYLE = """
body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;background:#f3f5f8;margin:0}
main{max-width:24rem;margin:4rem auto;background:#fff;padding:2rem 2.2rem;border-radius:8px;
box-shadow:0 2px 12px rgba(0,0,0,.08)}
h1{font-size:1.3rem;margin:0 0 1.2rem}label{display:block;margin:.8rem 0 .3rem;font-size:.9rem;color:#333}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.55rem;border:1px solid #bbb;
border-radius:4px;font-size:1rem}
button{margin-top:1.2rem;width:100%;padding:.6rem;background:#1d4ed8;color:#fff;border:0;border-radius:4px;
font-size:1rem;cursor:pointer}
.err{background:#fde8e8;color:#8a1c1c;padding:.5rem .7rem;border-radius:4px;font-size:.9rem}
.muted{color:#666;font-size:.85rem}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'


def _error(message: str | None) -> str:
    return f'<p class="err" role="alert">{escape(message)}</p>' if message else ""


def login_page(*, tid: str, csrf: str, client_name: str | None, error: str | None = None, username: str = "") -> str:
    """The user-name and password form."""
    to = f'<p class="muted">to continue to {escape(client_name)}</p>' if client_name else ""
    body = (
        f"{to}{_error(error)}"
        '<form method="post" action="/login">'
        f"{_hidden('tid', tid)}{_hidden('csrf', csrf)}"
        '<label for="username">User name</label>'
        f'<input type="text" id="username" name="username" value="{escape(username)}" autocomplete="username" '
        "required autofocus>"
        '<label for="password">Password</label>'
        '<input type="password" id="password" name="password" autocomplete="current-password" required>'
        '<button type="submit" id="submit">Sign in</button></form>'
    )
    return _page("Sign in", body)


def totp_page(*, tid: str, csrf: str, error: str | None = None) -> str:
    """The one-time-code form (second factor)."""
    body = (
        f"{_error(error)}"
        '<p class="muted">Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>'
        '<form method="post" action="/login/totp">'
        f"{_hidden('tid', tid)}{_hidden('csrf', csrf)}"
        '<label for="code">Code</label>'
        '<input type="text" id="code" name="code" autocomplete="one-time-code" maxlength="20" required autofocus>'
        '<button type="submit" id="submit">Verify</button></form>'
    )
    return _page("Two-step verification", body)


def consent_page(*, tid: str, csrf: str, client_name: str, scopes: list[str]) -> str:
    """Ask the user to let a client have the requested scopes."""
    items = "".join(f"<li>{escape(_SCOPE_TEXT.get(s, s))}</li>" for s in scopes) or "<li>sign you in</li>"
    body = (
        f"<p><strong>{escape(client_name)}</strong> would like to:</p><ul>{items}</ul>"
        '<form method="post" action="/consent">'
        f"{_hidden('tid', tid)}{_hidden('csrf', csrf)}"
        '<button type="submit" id="allow" name="decision" value="allow">Allow</button>'
        '<button type="submit" id="deny" name="decision" value="deny" style="background:#666">Deny</button>'
        "</form>"
    )
    return _page("Allow access?", body)


def logout_page(*, csrf: str, fields: dict[str, str]) -> str:
    """Ask the user to confirm signing out (OIDC RP-Initiated Logout 1.0, section 2)."""
    hidden = "".join(_hidden(k, v) for k, v in fields.items())
    body = (
        "<p>Sign out of every portal that uses this login?</p>"
        f'<form method="post" action="/logout">{_hidden("csrf", csrf)}{hidden}'
        '<button type="submit" id="logout">Sign out</button></form>'
    )
    return _page("Sign out", body)


def message_page(title: str, message: str) -> str:
    """A plain information page."""
    return _page(title, f"<p>{escape(message)}</p>")


def error_page(message: str) -> str:
    """An error page (used when redirecting back would be unsafe)."""
    return _page("Sign-in error", _error(message))
