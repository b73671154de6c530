"""``make run`` serves with gunicorn (``gunicorn.conf.py``): the app is preloaded once in the
master, two gthread workers answer, and the warm-up is the master's (off here: it takes ~20 s).
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


def test_gunicorn_serves_preloaded_app(world: World, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "ATLAS_DATA_DIR": str(world.root.parent), "ATLAS_PORT": str(port),
           "ATLAS_WARM_UP": "false", "ATLAS_WEB_WORKERS": "2", "ATLAS_WEB_THREADS": "2"}
    env.pop("ATLAS_DATABASE_URL", None)
    log = (tmp_path / "gunicorn.log").open("w+")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"gunicorn did not start:\n{log.read()}")
                time.sleep(0.3)
        assert (status, body) == (200, "ok")
        status, page = _get(f"http://127.0.0.1:{port}/")
        assert status == 200 and "복지 아틀라스" in page
        text = ""
        while time.monotonic() < deadline and text.count("Booting worker") < 2:
            log.seek(0)
            text = log.read()
            time.sleep(0.2)
        assert text.count("Booting worker") == 2, text
        # Preloaded: the app (and its store) was built once, in the master, not per worker.
        assert text.count("Bokji Atlas ready") == 1, text
        assert "gthread" in text
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
