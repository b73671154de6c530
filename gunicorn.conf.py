"""gunicorn settings for ``make run`` and the container: ``gunicorn -c gunicorn.conf.py``.

Sized for a 2-core server: two worker processes (one per core, so CPU-bound callbacks run side
by side) with four threads each (callbacks that wait on the store or on I/O overlap). The app is
built once in the master (``preload_app``), so start-up costs one store open and page import,
not one per worker.

Warm-up happens once per server, in the master: after the workers are up (they answer at once),
a master thread compiles the numba kernels (hotspots, E2SFCA; about 20 s on a first start),
precomputes the heavy analyses of the current data version (``services.precompute``), moves
everything built so far out of the garbage collector's reach (``gc.freeze``) and then sends the
master SIGHUP. With a preloaded app, gunicorn answers SIGHUP by forking fresh
workers from the now-warm master and retiring the old ones gracefully, so every worker holds the
compiled kernels without compiling them itself. Host and port come from ``ATLAS_HOST`` /
``ATLAS_PORT``, the sizes from ``ATLAS_WEB_WORKERS`` / ``ATLAS_WEB_THREADS`` (``geodata.settings``);
``ATLAS_WARM_UP=false`` skips the warm-up (tests). Responses carry no ``Server`` banner.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from typing import Any

from app.serving import drop_gunicorn_banner
from geodata.settings import get_settings

_settings = get_settings()
drop_gunicorn_banner()  # no "Server: gunicorn" header (app/serving.py)

wsgi_app = "app.main:server()"
bind = f"{_settings.host}:{_settings.port}"
workers = _settings.web_workers
threads = _settings.web_threads
worker_class = "gthread"
preload_app = True
timeout = 120  # a national analysis callback may take tens of seconds on a cold cache
graceful_timeout = 30
# Idle keep-alive connections stay open 75 s (gunicorn's default is 2 s). Users pause 1-3 s
# between clicks; with 2 s the server closed connections just as clients reused them, and a
# reused connection reset under a POST is not retried (bench_load: 34 of 924 callbacks failed).
keepalive = 75
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
control_socket_disable = True  # a per-user socket path would clash between servers on one host

_warmed = threading.Event()


def when_ready(server: Any) -> None:
    """Start the one-per-server warm-up once the master listens (not again on SIGHUP)."""
    if _warmed.is_set() or not _settings.warm_up:
        return
    _warmed.set()
    threading.Thread(target=_warm_up_then_roll_workers, args=(server,),
                     name="atlas-warm-up", daemon=True).start()


def _store_of(server: Any) -> Any:
    from app.auth import STORE_KEY

    return server.app.wsgi().config[STORE_KEY]


def _warm_up_then_roll_workers(server: Any) -> None:
    from app.main import warm_up_server

    start = time.perf_counter()
    seconds = warm_up_server(_store_of(server))
    _forget_connections(_store_of(server), close=True)  # the new workers open their own
    # Everything built so far (the app, the store's frames, the precomputed analyses) lives as
    # long as the workers: keep it out of the cyclic garbage collector. A full collection of a
    # warm worker walked ~360,000 objects for ~180 ms, stopping all its threads mid-request.
    gc.collect()
    gc.freeze()
    server.log.info("kernels warm and analyses precomputed after %.1f s %s; forking warm workers",
                    time.perf_counter() - start, {k: round(v, 1) for k, v in seconds.items()})
    os.kill(server.pid, signal.SIGHUP)


def post_fork(server: Any, worker: Any) -> None:
    """A forked worker must not share the master's database connections: drop the pool."""
    _forget_connections(_store_of(server), close=False)


def _forget_connections(store: Any, *, close: bool) -> None:
    engine = getattr(store, "engine", None)  # the PostGIS store; the embedded one has none
    if engine is not None:
        engine.dispose(close=close)
