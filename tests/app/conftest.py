"""Fixtures of the app tests: the tiny world, an app factory and headless Chromium options.

Chromium runs as root in CI containers, so it needs ``--no-sandbox``; everything that would
reach the network at start-up is switched off (the app itself is fully offline).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fixtures_world import World, build_world

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def pytest_setup_options():
    """Chrome options for dash_duo: headless Chromium without sandbox or network chatter."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    if CHROMIUM:
        options.binary_location = CHROMIUM
    for arg in ("--no-sandbox", "--headless", "--disable-gpu", "--enable-unsafe-swiftshader",
                "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--window-size=1400,1000", "--lang=ko-KR"):
        options.add_argument(arg)
    return options


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The tiny world, built once per test session."""
    return build_world(tmp_path_factory.mktemp("world") / "store")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Folder for screenshots (``tests/artifacts``)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture()
def make_app(world: World, tmp_path: Path) -> Iterator[Callable[..., object]]:
    """Factory of app instances over the test world (a fresh page registry each time)."""
    from geodata.settings import Settings

    os.environ.pop("ATLAS_SECRET_KEY", None)

    def factory(*, data_dir: Path | None = None, warm_up: bool = False):
        from app.main import create_app

        settings = Settings(data_dir=data_dir or tmp_path / "var", database_url=None)
        return create_app(world.store, settings, warm_up=warm_up)

    yield factory


def _buffered_bodies(wsgi_app: Callable) -> Callable:
    """``wsgi_app`` with each response body read whole and closed before it is returned.

    Werkzeug's development server, which dash_duo serves the app with, reads what is left of
    the request socket *before* it closes the response iterable; when the browser has dropped
    the connection (it navigates away while a font is still downloading) that read raises and
    the iterable, an open ``send_file`` file, is never closed: a ``ResourceWarning`` later, at
    garbage collection, in whichever test runs then. gunicorn (``make run``, the Dockerfile)
    closes the iterable in a ``finally`` and needs none of this; test bodies are small.
    """

    def app(environ: dict, start_response: Callable) -> list[bytes]:
        body = wsgi_app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return app


@pytest.fixture(autouse=True)
def _close_served_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """dash_duo's server gets :func:`_buffered_bodies` (the app under test is unchanged)."""
    from dash.testing.application_runners import ThreadedRunner

    real_start = ThreadedRunner.start

    def start(self, app, *args, **kwargs):
        app.server.wsgi_app = _buffered_bodies(app.server.wsgi_app)
        return real_start(self, app, *args, **kwargs)

    monkeypatch.setattr(ThreadedRunner, "start", start)


#: Warnings raised by third-party test tooling (selenium 4.2 on urllib3 2.x; the urllib3
#: "secure" extra shim). Narrow, and only for the tests in this folder.
THIRD_PARTY_WARNINGS = (
    r"ignore:HTTPResponse.getheader\(\) is deprecated:DeprecationWarning",
    r"ignore:'urllib3\[secure\]' extra is deprecated:DeprecationWarning",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Apply :data:`THIRD_PARTY_WARNINGS` filters to the app tests."""
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            for spec in THIRD_PARTY_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(spec))


from tests.app.app_helpers import login  # noqa: E402


@pytest.fixture()
def app_client(make_app):
    """A factory ``app_client(username or None)`` of logged-in Flask test clients (one app)."""
    from tests.fixtures_world import PASSWORDS

    app = make_app()

    def factory(username: str | None):
        client = app.server.test_client()
        if username:
            response = login(client, username, PASSWORDS[username])
            assert response.status_code == 303 and "error" not in response.headers["Location"]
        return client

    factory.app = app
    return factory
