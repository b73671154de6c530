"""Login, logout, language cookie, session security and CSRF protection (Flask side).

* Sessions are Flask's signed cookies: ``HttpOnly``, ``SameSite=Lax``, ``Secure`` when
  ``ATLAS_SECURE_COOKIES=1`` (set it behind HTTPS). They hold only the user id and a CSRF token;
  the role and jurisdiction are re-read from the store on every request, so deactivating a
  user takes effect at once.
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
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

import flask
from flask import Blueprint, current_app, g, redirect, request, session

from app.i18n import DEFAULT_LANG, LANG_COOKIE, normalise_lang, t
from domain.access import PUBLIC_VIEWER, Viewer
from geodata.settings import Settings
from geodata.store.base import Store
from services.users import authenticate, load_viewer

log = logging.getLogger(__name__)

STORE_KEY: Final = "ATLAS_STORE"
SETTINGS_KEY: Final = "ATLAS_SETTINGS"
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
    user_id = session.get("user_id")
    if user_id is not None:
        viewer = load_viewer(get_store(), int(user_id)) or PUBLIC_VIEWER
    g.atlas_viewer = viewer
    return viewer


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
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        ATLAS_SECURE_COOKIES=secure,
    )
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


def _security_headers(response: flask.Response) -> flask.Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'self'; form-action 'self'")
    if request.path.startswith(("/_dash-update-component", "/login", "/case")):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


# ------------------------------------------------------------------------------ routes
def _safe_next(value: str | None) -> str:
    """A local path to go to after login (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


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
    lang = current_lang()
    error_key = {"1": "login.failed", "csrf": "login.csrf"}.get(request.args.get("error", ""))
    error = f'<p class="atlas-error" role="alert">{t(error_key, lang)}</p>' if error_key else ""
    body = _LOGIN_PAGE.format(
        lang=lang, title=t("login.title", lang), app=t("app.title", lang),
        subtitle=t("app.subtitle", lang), error=error, token=csrf_token(),
        next=html.escape(_safe_next(request.args.get("next")), quote=True),
        username=t("login.username", lang), password=t("login.password", lang),
        submit=t("login.submit", lang), public_note=t("login.public_note", lang),
        home=t("nav.overview", lang), other_lang="en" if lang == "ko" else "ko",
        lang_label=t("nav.lang", lang))
    return flask.Response(body, mimetype="text/html")


@bp.post("/login")
def login_submit() -> flask.Response:
    """Check the CSRF token and the credentials; start a fresh session on success."""
    next_path = _safe_next(request.form.get("next"))
    token = request.form.get("csrf_token", "")
    if not token or not secrets.compare_digest(token, str(session.get("csrf", ""))):
        return redirect("/login?error=csrf", code=303)
    viewer = authenticate(get_store(), request.form.get("username", "")[:40],
                          request.form.get("password", "")[:200])
    if viewer is None:
        return redirect("/login?error=1", code=303)
    session.clear()  # no session fixation: new token, new content
    session.permanent = True
    session["user_id"] = viewer.user_id
    session["csrf"] = secrets.token_urlsafe(32)
    log.info("login: %s (%s)", viewer.username, viewer.role)
    return redirect(next_path, code=303)


@bp.post("/logout")
def logout() -> flask.Response:
    """End the session (POST only, same-origin checked)."""
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
