"""Login, logout, language cookie, session security and CSRF protection (Flask side).

* Sessions live server-side (``user_session``, see :mod:`services.login`): the signed Flask
  cookie (``HttpOnly``, ``SameSite=Lax``, ``Secure`` when ``ATLAS_SECURE_COOKIES=1``; set it
  behind HTTPS) holds only a random session token and a CSRF token. Logout revokes the session
  in the store, so a copied cookie stops working; idle and too old sessions are revoked too. The
  role and jurisdiction are re-read from the store on every request, so deactivating a user
  takes effect at once.
* Logins are rate limited per account and per address with a temporary lock (429 with a
  message saying how long); unknown usernames cost the same time as known ones.
* The secret key comes from ``ATLAS_SECRET_KEY`` or is generated once into
  ``<data_dir>/secret_key`` (mode 0600). No secret lives in the source.
* CSRF: every state-changing request (POST/PUT/PATCH/DELETE, including Dash's callback POSTs)
  must carry an ``Origin`` (or, failing that, ``Referer``) header of this host; the login form
  also carries a per-session token (double submit against the session).
"""

from __future__ import annotations

import html
import logging
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Final
from urllib.parse import unquote, urlsplit

import flask
from flask import Blueprint, current_app, g, redirect, request, session

from app.i18n import DEFAULT_LANG, LANG_COOKIE, normalise_lang, t
from domain.access import PUBLIC_VIEWER, Viewer
from geodata.settings import Settings
from geodata.store.base import Store, StoreError
from services.login import LoginPolicy, log_in, log_out, session_viewer

log = logging.getLogger(__name__)

STORE_KEY: Final = "ATLAS_STORE"
SETTINGS_KEY: Final = "ATLAS_SETTINGS"
POLICY_KEY: Final = "ATLAS_LOGIN_POLICY"
CSP_KEY: Final = "ATLAS_CSP"
#: Characters never allowed in a ``next=`` path, before or after decoding (browsers drop tabs and
#: newlines, so ``/\t/evil.example`` would become ``//evil.example``).
_UNSAFE_PATH_CHARS: Final = frozenset(chr(c) for c in (*range(0x20), 0x7F)) | {"\\"}
_UNSAFE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})

bp = Blueprint("atlas_auth", __name__)


# ------------------------------------------------------------------------------ request context
def get_store() -> Store:
    """The store of the running app."""
    return current_app.config[STORE_KEY]


def current_viewer() -> Viewer:
    """The logged-in user of this request, or the public viewer."""
    if "atlas_viewer" in g:
        return g.atlas_viewer
    viewer = PUBLIC_VIEWER
    token = session.get("sid")
    if token:
        viewer = session_viewer(get_store(), str(token), policy=_policy()) or PUBLIC_VIEWER
        if viewer is PUBLIC_VIEWER:  # revoked, idle or too old: forget the cookie too
            session.pop("sid", None)
    g.atlas_viewer = viewer
    return viewer


def _policy() -> LoginPolicy:
    return current_app.config.get(POLICY_KEY) or LoginPolicy()


def current_lang() -> str:
    """The language of this request (cookie ``atlas_lang``; Korean by default)."""
    try:
        return normalise_lang(request.cookies.get(LANG_COOKIE, DEFAULT_LANG))
    except RuntimeError:  # outside a request
        return DEFAULT_LANG


def csrf_token() -> str:
    """The per-session CSRF token (created on first use)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


# ------------------------------------------------------------------------------ security set-up
def secret_key(settings: Settings) -> str:
    """``ATLAS_SECRET_KEY``, or a random key generated once into ``<data_dir>/secret_key``."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path = Path(settings.data_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        log.info("generated a new session secret in %s", path)
    return path.read_text().strip()


def configure_security(server: flask.Flask, settings: Settings) -> None:
    """Set the secret, cookie flags, the same-origin check and security headers."""
    server.secret_key = secret_key(settings)
    secure = os.environ.get("ATLAS_SECURE_COOKIES", "0").lower() in ("1", "true", "yes")
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_NAME="atlas_session",
        PERMANENT_SESSION_LIFETIME=settings.session_max_hours * 3600,
        ATLAS_SECURE_COOKIES=secure,
    )
    server.config[POLICY_KEY] = LoginPolicy.from_settings(settings)
    server.before_request(_same_origin_only)
    server.after_request(_security_headers)


def same_origin(value: str | None, host: str) -> bool:
    """Whether a URL (``Origin`` or ``Referer``) points at ``host`` (``name[:port]``)."""
    if not value or value == "null":
        return False
    return urlsplit(value).netloc.lower() == host.lower()


def _same_origin_only() -> flask.Response | None:
    if request.method not in _UNSAFE_METHODS:
        return None
    origin = request.headers.get("Origin")
    source = origin if origin else request.headers.get("Referer")
    if same_origin(source, request.host):
        return None
    log.warning("refused cross-origin %s %s (origin %r)", request.method, request.path, source)
    return flask.Response("cross-origin request refused", status=403, mimetype="text/plain")


def content_security_policy(script_hashes: Sequence[str] = ()) -> str:
    """The ``Content-Security-Policy`` of every response.

    Scripts only from this host, plus the inline scripts whose hashes are given (Dash's renderer
    start-up, ``dash.Dash.csp_hashes``): no ``'unsafe-inline'``, no ``'unsafe-eval'``. Styles
    keep ``'unsafe-inline'``: Dash and plotly.js set ``style`` attributes and plotly.js adds
    ``<style>`` rules at run time (docs/security.md says which, measured in the browser tests).
    """
    scripts = " ".join(("'self'", *script_hashes))
    return (f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
            "worker-src 'none'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'; "
            "form-action 'self'")


def _security_headers(response: flask.Response) -> flask.Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        current_app.config.get(CSP_KEY) or content_security_policy())
    if request.path.startswith(("/_dash-update-component", "/login", "/case")):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


# ------------------------------------------------------------------------------ routes
def _safe_next(value: str | None) -> str:
    """A local path to go to after login (never another site); ``/`` when in doubt.

    The value is checked as given and after percent-decoding (repeatedly): it must start with a
    single ``/``, hold no backslash, control character or whitespace, and name no host or scheme.
    """
    if not value:
        return "/"
    seen = value
    for _ in range(3):
        if not _local_path(seen):
            return "/"
        decoded = unquote(seen)
        if decoded == seen:
            return value
        seen = decoded
    return "/"  # still encoded after three rounds: not a path a page links to


def _local_path(value: str) -> bool:
    if not value.startswith("/") or value.startswith("//"):
        return False
    if any(ch in _UNSAFE_PATH_CHARS or ch.isspace() for ch in value):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


_LOGIN_PAGE: Final = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · {app}</title><link rel="stylesheet" href="/assets/atlas.css"></head>
<body class="atlas-login-body"><main class="atlas-login">
<h1 class="atlas-brand">{app}</h1><p class="atlas-muted">{subtitle}</p>
<h2>{title}</h2>{error}
<form method="post" action="/login" class="atlas-form" autocomplete="on">
<input type="hidden" name="csrf_token" value="{token}">
<input type="hidden" name="next" value="{next}">
<label for="username">{username}</label>
<input id="username" name="username" type="text" required maxlength="40" autocomplete="username">
<label for="password">{password}</label>
<input id="password" name="password" type="password" required autocomplete="current-password">
<button id="login-submit" type="submit" class="atlas-button atlas-button-primary">{submit}</button>
</form><p class="atlas-muted">{public_note} <a href="/">{home}</a></p>
<p><a href="/lang/{other_lang}">{lang_label}</a></p></main></body></html>"""


@bp.get("/login")
def login_form() -> flask.Response:
    """The login page (plain HTML form with a CSRF token)."""
    error_key = {"1": "login.failed", "csrf": "login.csrf"}.get(request.args.get("error", ""))
    return _login_page(error_key, next_path=_safe_next(request.args.get("next")))


def _login_page(error_key: str | None, *, next_path: str, status: int = 200,
                **values: object) -> flask.Response:
    lang = current_lang()
    error = (f'<p class="atlas-error" role="alert">{html.escape(t(error_key, lang, **values))}</p>'
             if error_key else "")
    body = _LOGIN_PAGE.format(
        lang=lang, title=t("login.title", lang), app=t("app.title", lang),
        subtitle=t("app.subtitle", lang), error=error, token=csrf_token(),
        next=html.escape(next_path, quote=True),
        username=t("login.username", lang), password=t("login.password", lang),
        submit=t("login.submit", lang), public_note=t("login.public_note", lang),
        home=t("nav.overview", lang), other_lang="en" if lang == "ko" else "ko",
        lang_label=t("nav.lang", lang))
    return flask.Response(body, status=status, mimetype="text/html")


@bp.post("/login")
def login_submit() -> flask.Response:
    """Check the CSRF token, the rate limits and the credentials; start a fresh session."""
    next_path = _safe_next(request.form.get("next"))
    token = request.form.get("csrf_token", "")
    if not token or not secrets.compare_digest(token, str(session.get("csrf", ""))):
        return redirect("/login?error=csrf", code=303)
    result = log_in(get_store(), request.form.get("username", ""),
                    request.form.get("password", ""), address=request.remote_addr or "unknown",
                    policy=_policy())
    if result.outcome == "locked":
        minutes = max(1, (result.retry_after_s + 59) // 60)
        response = _login_page("login.locked", next_path=next_path, status=429, minutes=minutes)
        response.headers["Retry-After"] = str(result.retry_after_s)
        return response
    if result.outcome != "ok" or result.viewer is None:
        return redirect("/login?error=1", code=303)
    log_out(get_store(), session.get("sid"))  # a session open in this browser ends here
    session.clear()  # no session fixation: new token, new content
    session.permanent = True
    session["sid"] = result.session_token
    session["csrf"] = secrets.token_urlsafe(32)
    return redirect(next_path, code=303)


@bp.post("/logout")
def logout() -> flask.Response:
    """End the session, server-side too (POST only, same-origin checked).

    With the database down the browser's session still ends here; the stored one then expires
    by its idle limit.
    """
    try:
        log_out(get_store(), session.get("sid"))
    except StoreError as exc:
        log.warning("logout: could not revoke the stored session: %s", exc)
    session.clear()
    return redirect("/", code=303)


@bp.get("/lang/<code>")
def set_language(code: str) -> flask.Response:
    """Set the language cookie and go back to the page the user came from."""
    back = request.referrer if same_origin(request.referrer, request.host) else None
    target = _safe_next(urlsplit(back).path if back else "/")
    if target.startswith("/lang/"):
        target = "/"
    response = redirect(target, code=303)
    response.set_cookie(LANG_COOKIE, normalise_lang(code), max_age=365 * 24 * 3600,
                        samesite="Lax", secure=current_app.config.get("ATLAS_SECURE_COOKIES", False),
                        httponly=True)
    return response
