"""``make run`` serves with gunicorn (``gunicorn.conf.py``): the app is preloaded once in the
master, two gthread workers answer, and the warm-up is the master's (off here: it takes ~20 s).
Neither gunicorn nor the development server (``python -m app``) names itself in a ``Server``
header, on pages, files, errors or callbacks alike.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.fixtures_world import World

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode()


def _server_headers(port: int) -> dict[str, list[str | None]]:
    """The ``Server`` header of a page, a static file, a 404, a refused and a malformed POST."""
    import http.client

    seen: dict[str, list[str | None]] = {}
    requests = [("GET", "/", None, {}), ("GET", "/assets/atlas.css", None, {}),
                ("GET", "/no-such-page/x", None, {}), ("GET", "/healthz", None, {}),
                ("POST", "/_dash-update-component", b"{bad", {"Content-Type": "application/json"}),
                ("POST", "/_dash-update-component", b"{bad",
                 {"Content-Type": "application/json", "Origin": f"http://127.0.0.1:{port}"})]
    for method, path, body, headers in requests:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        seen[f"{method} {path} {response.status}"] = response.headers.get_all("Server") or []
        conn.close()
    return seen


def _wait_up(proc: subprocess.Popen, port: int, log) -> tuple[int, str]:
    deadline = time.monotonic() + 60
    while True:
        try:
            return _get(f"http://127.0.0.1:{port}/healthz")
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"the server did not start:\n{log.read()}")
            time.sleep(0.3)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=90)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_development_server_sends_no_banner(world: World, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "ATLAS_DATA_DIR": str(world.root.parent), "ATLAS_PORT": str(port),
           "ATLAS_WARM_UP": "false"}
    env.pop("ATLAS_DATABASE_URL", None)
    log = (tmp_path / "dev.log").open("w+")
    proc = subprocess.Popen([sys.executable, "-m", "app"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        assert _wait_up(proc, port, log) == (200, "ok")
        seen = _server_headers(port)
        assert len(seen) == 6 and all(v == [] for v in seen.values()), seen
        assert any(k.endswith(" 400") for k in seen) and any(k.endswith(" 403") for k in seen)
    finally:
        _stop(proc)
        log.close()


def test_gunicorn_serves_preloaded_app(world: World, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "ATLAS_DATA_DIR": str(world.root.parent), "ATLAS_PORT": str(port),
           "ATLAS_WARM_UP": "false", "ATLAS_WEB_WORKERS": "2", "ATLAS_WEB_THREADS": "2"}
    env.pop("ATLAS_DATABASE_URL", None)
    log = (tmp_path / "gunicorn.log").open("w+")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        status, body = _wait_up(proc, port, log)
        assert (status, body) == (200, "ok")
        seen = _server_headers(port)
        assert len(seen) == 6 and all(v == [] for v in seen.values()), seen  # no "gunicorn"
        status, page = _get(f"http://127.0.0.1:{port}/")
        assert status == 200 and "복지 아틀라스" in page
        text = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and text.count("Booting worker") < 2:
            log.seek(0)
            text = log.read()
            time.sleep(0.2)
        assert text.count("Booting worker") == 2, text
        # Preloaded: the app (and its store) was built once, in the master, not per worker.
        assert text.count("Bokji Atlas ready") == 1, text
        assert "gthread" in text
    finally:
        _stop(proc)
        log.close()
