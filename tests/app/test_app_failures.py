"""Failures a user can read: the database going away (both stores) and malformed callback POSTs.

PostGIS goes down for real: the app talks to the test database through a TCP relay that the test
closes (connections refused, open ones cut) and opens again; the embedded store's folder is moved
away and back. Every page then shows the notice in the user's language, callbacks answer with it
(HTTP 200, no 500), and once the database is back the same session works again, no restart.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from geodata.store.base import Store
from tests.app.app_helpers import ORIGIN, dash_call, login
from tests.fixtures_world import OUTREACH_EMD, PASSWORDS, PLANNER_SIGUNGU, World, build_world

DB_KO = "데이터베이스에 연결할 수 없습니다"
DB_BODY_KO = "지금은 자료를 불러올 수 없습니다"
DB_EN = "The database is unavailable"
DB_BODY_EN = "Data cannot be loaded right now"

VISITS_OUT = [("visits-table-box", "children"), ("visits-count", "children"),
              ("visits-error", "children")]
VISITS_IN = [("visits-tiers", "value", []), ("visits-types", "value", None),
             ("visits-sources", "value", None), ("visits-days", "value", None),
             ("visits-overridden", "value", ""), ("visits-limit", "value", 50),
             ("visits-unserved", "value", []), ("visits-repeat-unhelped", "value", [])]
MAP_OUT = [("riskmap-graph", "figure"), ("riskmap-title", "children"),
           ("riskmap-note", "children"), ("riskmap-table", "children")]
MAP_IN = [("riskmap-state", "data", {"level": "emd", "parent": PLANNER_SIGUNGU}),
          ("riskmap-colour", "value", "share"), ("riskmap-layers", "value", ["points"])]
PAGES_OUT = [("_pages_content", "children"), ("_pages_store", "data")]


def _text(response) -> str:
    """The body as text; JSON re-dumped so that escaped Korean reads as Korean."""
    raw = response.get_data(as_text=True)
    try:
        return json.dumps(json.loads(raw), ensure_ascii=False)
    except ValueError:
        return raw


def _page(client, path: str):
    return dash_call(client, PAGES_OUT, [("_pages_location", "pathname", path),
                                         ("_pages_location", "search", "")])


# ------------------------------------------------------------------ a database that goes away
class Relay:
    """A TCP relay ``127.0.0.1:<port>`` → ``target``; :meth:`close` cuts it, :meth:`open` restores."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(32)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def close(self) -> None:
        with self._lock:
            if self._listener is not None:
                with contextlib.suppress(OSError):  # wakes the thread in accept(); close() alone
                    self._listener.shutdown(socket.SHUT_RDWR)  # would not
                self._listener.close()
                self._listener = None
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture()
def postgis_world(postgis_store: Store, world: World) -> Iterator[tuple[Store, Relay]]:
    """The test world copied into PostGIS, and a second store reaching it through a relay."""
    from sqlalchemy.engine import make_url

    from geodata.schema import BULK_TABLES
    from geodata.store.postgis import PostgisStore
    from services.users import create_user, ensure_demo_users

    for name in BULK_TABLES:
        if world.store.count(name):
            postgis_store.write_frame(name, world.store.read_frame(name))
    ensure_demo_users(postgis_store, jurisdictions={"outreach": OUTREACH_EMD,
                                                   "planner": PLANNER_SIGUNGU})
    create_user(postgis_store, username="outreach2", password=PASSWORDS["outreach2"],
                role="outreach", jurisdiction_code=OUTREACH_EMD)
    url = make_url(os.environ["ATLAS_TEST_DATABASE_URL"])
    relay = Relay((url.host or "127.0.0.1", int(url.port or 5432)))
    relay.open()
    store = PostgisStore.from_url(url.set(host="127.0.0.1", port=relay.port)
                                  .render_as_string(hide_password=False))
    store.init()
    try:
        yield store, relay
    finally:
        relay.close()
        store.engine.dispose()


def _app_over(store: Store, tmp_path: Path):
    from app.main import create_app
    from geodata.settings import Settings

    return create_app(store, Settings(data_dir=tmp_path / "var", database_url=None), warm_up=False)


def _logged_in(app, username: str, *, lang: str = "ko"):
    client = app.server.test_client()
    if lang != "ko":
        client.set_cookie("atlas_lang", lang)
    response = login(client, username, PASSWORDS[username])
    assert response.status_code == 303 and "error" not in response.headers["Location"]
    return client


def _assert_pages_work(client, public) -> None:
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200 and "user-badge" in layout.get_data(as_text=True)
    page = _page(client, "/visits")
    assert page.status_code == 200 and DB_BODY_KO not in _text(page)
    visits = dash_call(client, VISITS_OUT, VISITS_IN)
    assert visits.status_code == 200 and "visits-count" in visits.get_data(as_text=True)
    risk = dash_call(client, MAP_OUT, MAP_IN)
    assert risk.status_code == 200 and "sideUpdate" not in risk.get_data(as_text=True)
    assert public.get("/_dash-layout").status_code == 200
    assert client.get("/healthz").status_code == 200


def _assert_every_page_says_down(client, public, english, *, store_kind: str) -> None:
    for who, title, body in ((client, DB_KO, DB_BODY_KO), (english, DB_EN, DB_BODY_EN)):
        if store_kind == "postgis":  # the session itself lives in the database: the shell says so
            layout = who.get("/_dash-layout")
            assert layout.status_code == 200, layout.get_data(as_text=True)[:300]
            text = _text(layout)
            assert title in text and body in text and "db-unavailable" in text
            assert "Error loading layout" not in text
        for path in ("/", "/risk-map", "/visits", "/nearby", "/case/1", "/supply", "/referrals"):
            page = _page(who, path)
            assert page.status_code == 200, (path, page.status_code)
        for out, inputs in ((VISITS_OUT, VISITS_IN), (MAP_OUT, MAP_IN)):
            answer = dash_call(who, out, inputs)
            assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
            data = json.loads(answer.get_data(as_text=True))
            assert body in data.get("sideUpdate", {}).get("shell-alert", {}).get("children", ""), data
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_data(as_text=True).startswith(
        "database unavailable")
    if store_kind == "postgis":
        # the public needs no session: the shell draws, the page says the database is away
        assert public.get("/_dash-layout").status_code == 200
        assert DB_KO in _text(_page(public, "/"))
        for form in (public.post("/login", data={"username": "x", "password": "y",
                                                 "csrf_token": "t"}, headers={"Origin": ORIGIN}),):
            assert form.status_code in (303, 503)


def test_postgis_down_every_page_says_so_and_recovers(postgis_world, tmp_path: Path) -> None:
    store, relay = postgis_world
    app = _app_over(store, tmp_path)
    outreach = _logged_in(app, "outreach")
    english = _logged_in(app, "outreach2", lang="en")
    public = app.server.test_client()
    _assert_pages_work(outreach, public)

    relay.close()
    _assert_every_page_says_down(outreach, public, english, store_kind="postgis")
    page = _text(_page(outreach, "/visits"))
    assert DB_BODY_KO in page or "user-badge" not in page

    relay.open()
    _assert_pages_work(outreach, public)
    assert "user-badge" in english.get("/_dash-layout").get_data(as_text=True)


def test_login_and_logout_with_the_database_down(postgis_world, tmp_path: Path) -> None:
    import re

    store, relay = postgis_world
    app = _app_over(store, tmp_path)
    client = app.server.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/login").get_data(as_text=True)).group(1)
    user = _logged_in(app, "outreach")
    relay.close()
    answer = client.post("/login", data={"username": "outreach", "password": "outreach-demo",
                                         "csrf_token": token, "next": "/"},
                         headers={"Origin": ORIGIN})
    assert answer.status_code == 503 and DB_KO in answer.get_data(as_text=True)
    assert answer.headers["Retry-After"] == "30"
    out = user.post("/logout", headers={"Origin": ORIGIN})
    assert out.status_code == 303  # the browser's session ends even if the database is away
    with user.session_transaction() as session:
        assert "sid" not in session
    relay.open()


def test_embedded_store_folder_gone_and_back(tmp_path: Path) -> None:
    # A world of its own, not copy_world: copying the shared world's live operational.sqlite in
    # this process closes a descriptor of it, which drops this process's POSIX locks on it; a
    # later server process (test_gunicorn_server) then deletes its -wal/-shm as the "last"
    # connection and the shared world's connections fail with "disk I/O error".
    copy = build_world(tmp_path / "store")
    app = _app_over(copy.store, tmp_path)
    outreach = _logged_in(app, "outreach")
    english = _logged_in(app, "outreach2", lang="en")
    public = app.server.test_client()
    _assert_pages_work(outreach, public)
    away = tmp_path / "store-away"
    os.rename(copy.root, away)
    try:
        copy.store.cache.clear()
        _assert_every_page_says_down(outreach, public, english, store_kind="embedded")
    finally:
        os.rename(away, copy.root)
    _assert_pages_work(outreach, public)


# ------------------------------------------------------------------ malformed callback POSTs
def _visits_body() -> dict:
    return {"output": ".." + "...".join(f"{i}.{p}" for i, p in VISITS_OUT) + "..",
            "outputs": [{"id": i, "property": p} for i, p in VISITS_OUT],
            "inputs": [{"id": i, "property": p, "value": v} for i, p, v in VISITS_IN],
            "state": [], "changedPropIds": ["visits-tiers.value"]}


def _with(**changes: object) -> dict:
    body = _visits_body()
    for key, value in changes.items():
        if value is _DROP:
            body.pop(key)
        else:
            body[key] = value
    return body


_DROP = object()
_INPUTS = _visits_body()["inputs"]

#: kind → (raw body or JSON object, expected status, a phrase the answer must contain)
MALFORMED: dict[str, tuple[object, int, str]] = {
    "not JSON": (b"{not json", 400, "not valid JSON"),
    "empty body": (b"", 400, "not valid JSON"),
    "invalid UTF-8": (b'{"output": "\xff\xfe"}', 400, "not valid JSON"),
    "JSON array": ([1, 2, 3], 400, "must be a JSON object"),
    "JSON string": ("output", 400, "must be a JSON object"),
    "no output": (_with(output=_DROP), 400, "'output' is missing"),
    "output not a string": (_with(output=42), 400, "'output' is missing or not a string"),
    "unknown output": (_with(output="nothing.children"), 400, "no callback has the output"),
    "browser-only callback": (_with(output="_pages_dummy.children", inputs=[]), 400,
                              "runs in the browser"),
    "no outputs": (_with(outputs=_DROP), 400, "'outputs' must list the 3 output(s)"),
    "too few outputs": (_with(outputs=_visits_body()["outputs"][:1]), 400, "'outputs' must list"),
    "another component's output": (
        _with(outputs=[{"id": "riskmap-graph", "property": "figure"}] * 3), 400, "is not"),
    "output without property": (_with(outputs=[{"id": "visits-count"}] * 3), 400,
                                "needs an 'id' and a 'property'"),
    "no inputs": (_with(inputs=_DROP), 400, "'inputs' is missing or not a list"),
    "inputs an object": (_with(inputs={"visits-tiers": []}), 400, "'inputs' is missing or not a list"),
    "too few inputs": (_with(inputs=_INPUTS[:6]), 400, "'inputs' has 6 item(s); the callback takes 8"),
    "too many inputs": (_with(inputs=[*_INPUTS, _INPUTS[0]]), 400, "'inputs' has 9 item(s)"),
    "input without id": (_with(inputs=[{"property": "value", "value": 1}] * 8), 400,
                         "each item needs an 'id' and a 'property'"),
    "inputs swapped": (_with(inputs=[_INPUTS[1], _INPUTS[0], *_INPUTS[2:]]), 400,
                       "visits-types.value is not visits-tiers.value"),
    "state where none is taken": (_with(state=[_INPUTS[0]]), 400, "'state' has 1 item(s)"),
    "state not a list": (_with(state="x"), 400, "'state' is missing or not a list"),
    "changedPropIds not a list": (_with(changedPropIds="visits-tiers.value"), 400,
                                  "'changedPropIds' must be a list of strings"),
    "body too large": (b'{"output": "' + b"x" * 2_100_000 + b'"}', 400, "body larger than"),
}

#: values of the right shape but the wrong type: our callback runs and answers with a notice
WRONG_VALUES: dict[str, list[object]] = {
    "tiers a string": ["garbage", None, None, None, "", 50, [], []],
    "limit an object": [[], None, None, None, "", {"a": 1}, [], []],
    "limit a huge number": [[], None, None, None, "", 10**30, [], []],
    "days a list of junk": [[], None, None, [1, "x", None], "", 50, [], []],
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_callback_requests_get_400(app_client, kind: str,
                                             caplog: pytest.LogCaptureFixture) -> None:
    body, status, phrase = MALFORMED[kind]
    client = app_client("outreach")
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    with caplog.at_level("WARNING", logger="app.callback_requests"):
        answer = client.post("/_dash-update-component", data=raw,
                             headers={"Origin": ORIGIN, "Content-Type": "application/json"})
    text = answer.get_data(as_text=True)
    assert answer.status_code == status, text[:300]
    assert text.startswith("bad callback request: ") and phrase in text, text[:300]
    assert len(text) < 400 and "Traceback" not in text
    assert any(phrase in r.getMessage() for r in caplog.records), "refusal not logged"


def test_wrong_content_type_and_cross_origin_still_refused(app_client) -> None:
    client = app_client("outreach")
    plain = client.post("/_dash-update-component", data=json.dumps(_visits_body()),
                        headers={"Origin": ORIGIN, "Content-Type": "text/plain"})
    assert plain.status_code == 400 and "must be JSON" in plain.get_data(as_text=True)
    # the same-origin check runs first: a malformed cross-origin POST is a 403, not a 400
    foreign = client.post("/_dash-update-component", data=b"{not json",
                          headers={"Origin": "http://evil.example",
                                   "Content-Type": "application/json"})
    assert foreign.status_code == 403


@pytest.mark.parametrize("kind", sorted(WRONG_VALUES))
def test_wrong_value_types_answer_with_a_notice(app_client, kind: str,
                                                caplog: pytest.LogCaptureFixture) -> None:
    client = app_client("outreach")
    inputs = [(i, p, v) for (i, p, _), v in zip(VISITS_IN, WRONG_VALUES[kind], strict=True)]
    with caplog.at_level("WARNING"):
        answer = dash_call(client, VISITS_OUT, inputs)
    assert answer.status_code in (200, 204), answer.get_data(as_text=True)[:300]
    if answer.status_code == 200:
        data = json.loads(answer.get_data(as_text=True))
        alert = data.get("sideUpdate", {}).get("shell-alert", {}).get("children", "")
        shown = json.dumps(data.get("response", {}), ensure_ascii=False)
        assert "입력값을 확인" in alert or "visits-error" in shown, data


def test_a_fine_request_clears_nothing_and_passes(app_client) -> None:
    answer = dash_call(app_client("outreach"), VISITS_OUT, VISITS_IN)
    assert answer.status_code == 200
    assert "sideUpdate" not in answer.get_data(as_text=True)
