"""Build the Dash app: Flask server, security, compression, pages and routes.

Production: ``gunicorn -c gunicorn.conf.py`` (what ``make run`` does): the app is built once in
the gunicorn master (``preload_app``), which compiles the numba kernels once and then rolls its
workers so every worker is a fork of the warmed master. Development: ``python -m app`` (Flask's
server, warm-up in a background thread).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Final

import dash
import flask
from dash import Input, Output
from flask_compress import Compress

from app import auth, callback_requests, failures, ids
from app.jobs import job_manager
from app.layout import shell
from app.pages import register_pages
from app.serving import BannerlessRequestHandler
from geodata.settings import Settings, get_settings
from geodata.store.base import Store, StoreError

log = logging.getLogger(__name__)

APP_DIR: Final = Path(__file__).resolve().parent
ASSETS_DIR: Final = APP_DIR / "assets"


def create_app(store: Store | None = None, settings: Settings | None = None,
               *, warm_up: bool = True) -> dash.Dash:
    """Create the dashboard.

    Parameters
    ----------
    store
        The store to serve (default: :func:`geodata.store.open_store` from the settings).
    settings
        Settings (default: the process-wide settings from ``ATLAS_*`` variables).
    warm_up
        Compile the hotspot kernels now (about 20 s once per process) so no click waits.

    Returns
    -------
    dash.Dash
        The app; ``app.server`` is the Flask WSGI application.
    """
    settings = settings or get_settings()
    if store is None:
        from geodata.store import open_store

        store = open_store(settings)
    store.init()
    server = flask.Flask("app", root_path=str(APP_DIR))
    server.config[auth.STORE_KEY] = store
    server.config[auth.SETTINGS_KEY] = settings
    auth.configure_security(server, settings)
    server.register_blueprint(auth.bp)
    _register_file_routes(server, settings)
    server.config["COMPRESS_MIMETYPES"] = ["text/html", "text/css", "application/json",
                                           "application/javascript", "text/javascript"]
    server.config["COMPRESS_MIN_SIZE"] = 1024
    # gzip at level 2, not 6: the national map's 491 kB of JSON takes 4 ms instead of 19 ms for
    # 138 kB instead of 116 kB (browsers that offer br get flask-compress's brotli level 4).
    server.config["COMPRESS_LEVEL"] = 2
    # Static files are streamed from disk; compressing them would read the stream without
    # closing the file. Dash bundles and callback JSON are not streamed and stay compressed.
    server.config["COMPRESS_STREAMS"] = False
    Compress(server)
    app = dash.Dash(
        "app", server=server, use_pages=True, pages_folder="",
        assets_folder=str(ASSETS_DIR), serve_locally=True, suppress_callback_exceptions=True,
        title="복지 아틀라스", update_title=None,
        background_callback_manager=job_manager(settings),  # site solves run as background jobs
        on_error=failures.callback_failed,  # a notice, not a 500 (app/failures.py)
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    register_pages(app)
    app.layout = shell
    failures.install(server)
    callback_requests.install(server, app.callback_map)  # 400, not 500, for malformed POSTs
    app.callback(Output(ids.ALERT, "children"), Input(ids.URL, "pathname"))(_clear_alert)
    # the document language (KWCAG/WCAG 3.1.1); English pages mark their content lang="en"
    app.index_string = app.index_string.replace("<html>", '<html lang="ko">', 1)
    _finish_dash_setup(server)
    # the renderer's inline start-up script by hash: script-src needs no 'unsafe-inline'
    server.config[auth.CSP_KEY] = auth.content_security_policy(app.csp_hashes())
    if warm_up:
        _warm_up(store)
    log.info("Bokji Atlas ready on %r with pages %s", store,
             [p["path"] for p in dash.page_registry.values()])
    return app


def _clear_alert(_pathname: str | None) -> str:
    """A new page starts without the notice of a callback that failed on the previous one."""
    return ""


def _finish_dash_setup(server: flask.Flask) -> None:
    """Run Dash's first-request set-up now, in this (the master) process, with one request.

    Dash finishes its set-up (script registry, page router, callback map) in a
    ``before_request`` hook that marks itself done *before* it has finished. With threaded
    workers, the browser's parallel first requests then race: a bundle request that arrives
    while the first is still registering scripts fails with "dash is not a registered library"
    (seen under gunicorn with 4 threads per worker). One request here does the set-up once,
    before any worker is forked or any thread serves.
    """
    with server.test_client() as client:
        client.get("/healthz")


def _warm_up(store: Store) -> None:
    """Compile the numba kernels (hotspots, E2SFCA) in a background thread at start-up.

    The server answers at once; a hotspot or accessibility request that arrives before the
    compilation has finished waits for it instead of compiling again. Only for a server that
    does not fork after start-up (``python -m app``, tests): gunicorn runs
    :func:`compile_kernels` in its master instead (``gunicorn.conf.py``).
    """
    threading.Thread(target=warm_up_server, args=(store,), name="atlas-warm-up",
                     daemon=True).start()


def warm_up_server(store: Store | None) -> dict[str, float]:
    """Compile the kernels, then precompute the heavy analyses of ``store``; seconds taken.

    Runs once per server: in the gunicorn master before its workers are re-forked
    (``gunicorn.conf.py``), or in a background thread of ``python -m app``.
    """
    seconds = {"kernels_s": compile_kernels()}
    if store is not None:
        from services.precompute import precompute_analyses

        seconds |= precompute_analyses(store)
    return seconds


def compile_kernels() -> float:
    """Compile the numba kernels (hotspots, E2SFCA) in this process; seconds taken.

    Never raises: the map still works without hotspots, which then compile on first use.
    """
    start = time.perf_counter()
    try:
        from services.risk_map import warm_up as warm_hotspots
        from spatial.accessibility import warm_up as warm_accessibility

        warm_hotspots()
        warm_accessibility()
        log.info("numba kernels compiled in %.1f s", time.perf_counter() - start)
    except Exception:  # the map still works without hotspots
        log.exception("warm-up failed; the kernels will compile on first use")
    return time.perf_counter() - start


def _register_file_routes(server: flask.Flask, settings: Settings) -> None:
    """Serve the model card (``<data_dir>/model_card``) written by ``atlas model-card``."""
    card_dir = Path(settings.data_dir) / "model_card"

    @server.get("/healthz")
    def healthz() -> flask.Response:
        """``200 ok`` when the database answers, else ``503 database unavailable: <why>``."""
        try:
            store = auth.get_store()
            store.count("app_user")  # one cheap round trip to the database
            store.data_version("household")  # the bulk tables are there (embedded: the folder)
        except StoreError as exc:
            log.warning("healthz: database unavailable: %s", exc)
            return flask.Response(f"database unavailable: {exc}", status=503,
                                  mimetype="text/plain")
        return flask.Response("ok", status=200, mimetype="text/plain")

    @server.get("/model-card-files/<path:name>")
    def model_card_file(name: str) -> flask.Response:
        if not (card_dir / "model_card.html").exists():
            flask.abort(404)
        return flask.send_from_directory(card_dir, name, max_age=300)


def server(warm_up: bool = False) -> flask.Flask:
    """WSGI entry point for gunicorn: ``gunicorn -c gunicorn.conf.py``.

    Parameters
    ----------
    warm_up
        Start the background warm-up thread here. Off by default: under gunicorn the master
        warms up in ``gunicorn.conf.py`` (a thread running while the master forks would leave
        the workers without the compiled kernels and with numba's compiler lock possibly held).
    """
    settings = get_settings()
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return create_app(settings=settings, warm_up=warm_up).server


def main() -> None:
    """Serve on ``settings.host:settings.port`` (``python -m app``)."""
    settings = get_settings()
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(settings=settings, warm_up=settings.warm_up)
    app.run(host=settings.host, port=settings.port, debug=False,
            request_handler=BannerlessRequestHandler)
