"""Sessions, CSRF, same-origin checks, secret handling and the language cookie."""

from __future__ import annotations

import os
import stat

import pytest

from tests.app.app_helpers import ORIGIN, dash_call, login
from tests.fixtures_world import PASSWORDS


def test_session_cookie_flags(app_client) -> None:
    client = app_client(None)
    response = login(client, "outreach", PASSWORDS["outreach"])
    cookie = response.headers["Set-Cookie"]
    assert "atlas_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # ATLAS_SECURE_COOKIES unset


def test_secure_flag_configurable(make_app, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATLAS_SECURE_COOKIES", "1")
    client = make_app().server.test_client()
    cookie = login(client, "outreach", PASSWORDS["outreach"]).headers["Set-Cookie"]
    assert "Secure" in cookie


def test_login_needs_csrf_token(app_client) -> None:
    client = app_client(None)
    client.get("/login")
    response = client.post("/login", data={"username": "admin", "password": "admin-demo",
                                           "csrf_token": "forged"}, headers={"Origin": ORIGIN})
    assert response.status_code == 303 and "error=csrf" in response.headers["Location"]


def test_wrong_password_is_refused(app_client) -> None:
    client = app_client(None)
    response = login(client, "admin", "not-the-password")
    assert "error=1" in response.headers["Location"]


def test_cross_origin_posts_refused(app_client) -> None:
    client = app_client("admin")
    for headers in ({}, {"Origin": "http://evil.example"},
                    {"Referer": "http://evil.example/page"}):
        response = dash_call(client, [("visits-table-box", "children")], [("visits-tiers", "value", [])],
                             headers=headers)
        assert response.status_code == 403, headers
    assert client.post("/logout", headers={"Origin": "http://evil.example"}).status_code == 403
    same = dash_call(client, [("riskmap-state", "data")], [("riskmap-back", "n_clicks", 1)],
                     headers={"Referer": f"{ORIGIN}/risk-map"})
    assert same.status_code != 403


def test_login_rotates_session_and_logout_clears(app_client) -> None:
    client = app_client(None)
    client.get("/login")
    with client.session_transaction() as s:
        before = s["csrf"]
    login(client, "outreach", PASSWORDS["outreach"])
    with client.session_transaction() as s:
        assert s["sid"] and s["csrf"] != before
    assert client.post("/logout", headers={"Origin": ORIGIN}).status_code == 303
    with client.session_transaction() as s:
        assert "sid" not in s


def test_open_redirect_blocked(app_client) -> None:
    import re

    client = app_client(None)
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"username": "admin", "password": "admin-demo",
                                            "csrf_token": token, "next": "//evil.example/x"},
                           headers={"Origin": ORIGIN})
    assert response.headers["Location"] == "/"


def test_secret_generated_once_with_private_mode(make_app, tmp_path) -> None:
    os.environ.pop("ATLAS_SECRET_KEY", None)
    first = make_app(data_dir=tmp_path / "d").server.secret_key
    path = tmp_path / "d" / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(first) == 64
    assert make_app(data_dir=tmp_path / "d").server.secret_key == first


def test_secret_from_environment(make_app, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("ATLAS_SECRET_KEY", "from-the-environment-0123456789")
    from geodata.settings import Settings

    assert Settings().secret_key.get_secret_value() == "from-the-environment-0123456789"


def test_security_headers_and_language_cookie(app_client) -> None:
    client = app_client(None)
    page = client.get("/")
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'self'" in page.headers["Content-Security-Policy"]
    response = client.get("/lang/en", headers={"Referer": f"{ORIGIN}/risk-map"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/risk-map")
    assert "atlas_lang=en" in response.headers["Set-Cookie"]
    assert "Log in" in client.get("/login").get_data(as_text=True)


def test_callback_json_is_compressed(app_client) -> None:
    client = app_client("planner")
    response = client.post("/_dash-update-component", headers={"Origin": ORIGIN,
                                                                "Accept-Encoding": "gzip"},
                           json={"output": "..riskmap-graph.figure...riskmap-title.children..."
                                           "riskmap-note.children...riskmap-table.children..",
                                 "outputs": [{"id": "riskmap-graph", "property": "figure"},
                                             {"id": "riskmap-title", "property": "children"},
                                             {"id": "riskmap-note", "property": "children"},
                                             {"id": "riskmap-table", "property": "children"}],
                                 "inputs": [{"id": "riskmap-state", "property": "data",
                                             "value": {"level": "sigungu", "parent": None}},
                                            {"id": "riskmap-colour", "property": "value",
                                             "value": "share"},
                                            {"id": "riskmap-layers", "property": "value",
                                             "value": []}],
                                 "changedPropIds": ["riskmap-state.data"], "state": []})
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") in ("gzip", "br", "deflate", "zstd")


def test_healthz_reports_the_database(app_client, monkeypatch: pytest.MonkeyPatch) -> None:
    from geodata.store.base import StoreError

    client = app_client(None)
    ok = client.get("/healthz")
    assert (ok.status_code, ok.get_data(as_text=True)) == (200, "ok")
    store = app_client.app.server.config["ATLAS_STORE"]

    def down(*_args, **_kwargs):
        raise StoreError("PostGIS count failed on postgresql://atlas@db/atlas: connection refused")

    monkeypatch.setattr(store, "count", down)
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.get_data(as_text=True).startswith("database unavailable: ")
    assert "connection refused" in answer.get_data(as_text=True)
