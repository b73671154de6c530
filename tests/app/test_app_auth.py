"""Authentication over HTTP: locks with a clear message, revoked sessions, ``next=`` checks."""

from __future__ import annotations

import re

import pytest

from app.auth import _safe_next
from services.users import create_user
from tests.app.app_helpers import ORIGIN
from tests.fixtures_world import PASSWORDS


def _post_login(client, username: str, password: str, next_path: str = "/"):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token, "next": next_path},
                       headers={"Origin": ORIGIN})


def _client(app_client, address: str):
    client = app_client(None)
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_wrong_passwords_lock_the_account_with_a_message(app_client, world) -> None:
    # Its own user: the world is shared by the session's tests, and a locked demo user would
    # lock them out.
    create_user(world.store, username="locked-planner", password="locked-planner-1",
                role="planner", jurisdiction_code=world.store.users.by_username("planner").jurisdiction_code)
    client = _client(app_client, "192.0.2.10")
    codes = [_post_login(client, "locked-planner", "wrong-password").status_code for _ in range(5)]
    assert codes == [303, 303, 303, 303, 429]
    locked = _post_login(client, "locked-planner", "locked-planner-1")  # the right one, too late
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 14 * 60
    text = locked.get_data(as_text=True)
    assert "로그인 실패가 너무 많아 잠시 잠겼습니다. 15분 후에 다시 시도해 주세요." in text
    with client.session_transaction() as s:
        assert "sid" not in s
    other = _client(app_client, "192.0.2.11")
    client.set_cookie("atlas_lang", "en")
    english = _post_login(client, "locked-planner", "locked-planner-1")
    assert "Too many failed logins: login is locked. Try again in 15 minutes." in english.get_data(as_text=True)
    assert _post_login(other, "outreach", PASSWORDS["outreach"]).status_code == 303


def test_a_cookie_copied_before_logout_is_dead_after_it(app_client) -> None:
    from app.auth import current_viewer

    client = _client(app_client, "192.0.2.20")
    assert _post_login(client, "admin", PASSWORDS["admin"]).headers["Location"] == "/"
    stolen = {"Cookie": f"atlas_session={client.get_cookie('atlas_session').value}"}
    app = app_client.app.server

    def viewer_of_stolen_cookie() -> str:
        with app.test_request_context("/", headers=stolen):
            return current_viewer().role

    assert viewer_of_stolen_cookie() == "admin"
    assert client.post("/logout", headers={"Origin": ORIGIN}).status_code == 303
    assert viewer_of_stolen_cookie() == "public"  # revoked in the store, not just in the browser


@pytest.mark.parametrize(
    "raw",
    ["//evil.example", "/%09/evil.example", "/\t/evil.example", "/%2F/evil.example",
     "/%252F%252Fevil.example", "/\\evil.example", "/%5Cevil.example", "https://evil.example/",
     "/%0d%0aSet-Cookie:x=1", " /x", "javascript:alert(1)", "/%E2%80%A8x"],
)
def test_next_is_checked_after_decoding(raw: str) -> None:
    assert _safe_next(raw) == "/"


@pytest.mark.parametrize("good", ["/", "/risk-map", "/case/12?from=visits", "/visits?tier=1%2C2"])
def test_local_next_paths_are_kept(good: str) -> None:
    assert _safe_next(good) == good


def test_login_redirect_never_leaves_the_site(app_client) -> None:
    client = _client(app_client, "192.0.2.30")
    response = _post_login(client, "ministry", PASSWORDS["ministry"], next_path="/%09/evil.example")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    page = client.get("/login?next=/%09/evil.example").get_data(as_text=True)
    assert 'name="next" value="/"' in page
