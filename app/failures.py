"""What a user sees when something fails: a readable notice, never a bare error page or a 500.

* **Database down** (:class:`geodata.store.StoreError`): the page shell, every page layout and
  every callback answer with a notice in the user's language ("데이터베이스에 연결할 수 없습니다
  …"); nothing is cached, so the next request after the database is back works as before. Other
  routes (login, logout, ``/case``) answer 503 with the same notice as a small HTML page.
* **A callback that raises** anything else is logged with its traceback and answered with a
  generic notice in the shell's alert box (HTTP 200, no output changed), not a 500.

The notice of a callback goes to :data:`app.ids.ALERT` through :func:`dash.set_props`, so it
reaches the user whatever the callback's own outputs are.
"""

from __future__ import annotations

import functools
import html as html_escape
import logging
from collections.abc import Callable
from typing import Any, Final, TypeVar

import dash
import flask
from dash import html

from app import ids
from app.i18n import t
from geodata.store.base import StoreError

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
DB_NOTICE_ID: Final = "db-unavailable"


def _lang() -> str:
    from app.auth import current_lang  # app.auth imports nothing of this module

    return current_lang()


def database_notice(lang: str) -> html.Div:
    """The notice shown in place of a page while the database cannot be reached."""
    return html.Div([html.H1(t("error.db_title", lang)), html.P(t("error.db_body", lang))],
                    id=DB_NOTICE_ID, className="atlas-notice atlas-notice-error", role="alert")


def guarded_layout(layout: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a page layout (or the shell) so that a database failure shows the notice."""
    @functools.wraps(layout)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return layout(*args, **kwargs)
        except StoreError as exc:
            log.warning("layout %s: database unavailable: %s", layout.__qualname__, exc)
            return database_notice(_lang())
    return guarded


def callback_failed(error: Exception) -> None:
    """Dash's ``on_error`` handler: log, show a notice in the alert box, change no output."""
    lang = _lang()
    if isinstance(error, StoreError):
        log.warning("callback %s: database unavailable: %s", _callback_name(), error)
        message = t("error.db_body", lang)
    else:
        log.error("callback %s failed", _callback_name(), exc_info=error)
        message = t("error.callback", lang)
    dash.set_props(ids.ALERT, {"children": message})
    return None


def _callback_name() -> str:
    try:
        return str(flask.request.get_json(silent=True, cache=True).get("output", "?"))
    except (AttributeError, RuntimeError):
        return "?"


def database_unavailable_page(error: StoreError) -> flask.Response:
    """Flask error handler: a 503 page with the notice (routes outside Dash: login, logout)."""
    lang = _lang()
    log.warning("%s %s: database unavailable: %s", flask.request.method, flask.request.path,
                error)
    if flask.request.path.startswith("/_dash-"):
        body, mimetype = t("error.db_body", lang), "text/plain"
    else:
        body = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
                f'<title>{html_escape.escape(t("error.db_title", lang))}</title>'
                '<link rel="stylesheet" href="/assets/atlas.css"></head><body><main class="atlas-main">'
                f'<div class="atlas-notice atlas-notice-error" role="alert" id="{DB_NOTICE_ID}">'
                f'<h1>{html_escape.escape(t("error.db_title", lang))}</h1>'
                f'<p>{html_escape.escape(t("error.db_body", lang))}</p></div></main></body></html>')
        mimetype = "text/html"
    response = flask.Response(body, status=503, mimetype=mimetype)
    response.headers["Retry-After"] = "30"
    return response


def install(server: flask.Flask) -> None:
    """Register the 503 handler for database failures outside Dash's callbacks."""
    server.register_error_handler(StoreError, database_unavailable_page)
