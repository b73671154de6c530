"""HTTP servers without a banner: no ``Server`` header naming gunicorn, Werkzeug or Python.

Neither server has a setting for this: gunicorn writes ``Server: gunicorn`` in
``Response.default_headers`` and Werkzeug's development server sends ``Server: Werkzeug/x
Python/y`` from :meth:`http.server.BaseHTTPRequestHandler.send_response`. A ``Server`` header set
by the app is replaced by neither, so both are changed here at the source, narrowly:
:func:`drop_gunicorn_banner` filters that one line (``gunicorn.conf.py`` calls it in the master,
before workers fork) and :class:`BannerlessRequestHandler` is the request handler of
``python -m app``.
"""

from __future__ import annotations

from typing import Any

from werkzeug.serving import WSGIRequestHandler


class BannerlessRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler, sending ``Date`` but no ``Server`` header."""

    def send_response(self, code: int, message: str | None = None) -> None:
        """Log the request and send the status line and ``Date`` (no ``Server``)."""
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())


def drop_gunicorn_banner() -> None:
    """Make gunicorn's responses carry no ``Server`` header (idempotent)."""
    from gunicorn.http import wsgi

    original = wsgi.Response.default_headers
    if getattr(original, "atlas_bannerless", False):
        return

    def default_headers(self: Any) -> list[str]:
        return [line for line in original(self) if not line.lower().startswith("server:")]

    default_headers.atlas_bannerless = True  # type: ignore[attr-defined]
    wsgi.Response.default_headers = default_headers  # type: ignore[method-assign]
