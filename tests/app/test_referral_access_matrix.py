"""Referral access matrix: a provider sees its own facility's referrals and nothing else --
no other facility's referral, no household record, no unmet need -- through the pages, the
HTTP callbacks and the services; every refusal is audited."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import flask
import plotly
import pytest
from sqlalchemy import select

from domain.access import Viewer
from domain.errors import AccessDenied
from geodata.schema import table
from geodata.store.embedded import EmbeddedStore
from services.admin import list_users
from services.casework import case_detail
from services.needs import need_summary, register_need, worker_needs
from services.referral import (
    act_on_referral,
    household_referrals,
    provider_inbox,
    referral_candidates,
    referral_detail,
    send_referral,
    sent_referrals,
)
from services.users import create_user, load_viewer
from services.visit_list import ranked_visits
from tests.app.app_helpers import dash_call, login, open_session
from tests.fixtures_world import OTHER_EMD, OUTREACH_EMD, PASSWORDS, World

PAGE_ROLES = ("public", "outreach", "outreach2", "planner", "ministry", "admin", "provider", "provider2")


@pytest.fixture
def matrix(world: World, tmp_path: Path):
    """A copy of the world with a second provider and one referral to each facility."""
    root = tmp_path / "world"
    shutil.copytree(world.root, root)
    store = EmbeddedStore(root)
    users = table("app_user")

    def viewer(name: str) -> Viewer:
        with store.session() as s:
            uid = s.scalar(select(users.c.user_id).where(users.c.username == name))
        return load_viewer(store, int(uid))

    mine = viewer("provider")
    other_fid = int(store.read_frame("facility", columns=["facility_id"])
                    .query("facility_id != @mine.facility_id").iloc[0]["facility_id"])
    create_user(store, username="provider2", password="provider2-demo", role="provider",
                facility_id=other_fid, display_name="다른 기관")
    homes = world.households.loc[world.households["emd_code"] == OUTREACH_EMD, "household_id"]
    others = world.households.loc[world.households["emd_code"] == OTHER_EMD, "household_id"]
    outreach, outreach2 = viewer("outreach"), viewer("outreach2")
    own = send_referral(store, outreach, int(homes.iloc[0]), int(mine.facility_id), consent=True,
                        note="우리 기관")
    foreign = send_referral(store, outreach2, int(others.iloc[0]), other_fid, consent=True,
                            note="다른 기관")
    register_need(store, outreach, int(homes.iloc[1]), need_group="community",
                  need_function="community_service", urgency="high", cause="none_accepted")
    return store, viewer, own, foreign, int(homes.iloc[0]), int(others.iloc[0])


def _refusals(store, username: str) -> int:
    log = table("audit_log")
    with store.session() as s:
        return len(s.execute(select(log.c.audit_id).where(log.c.username == username,
                                                          log.c.allowed.is_(False))).all())


def test_provider_services_show_only_its_own_referrals(matrix) -> None:
    store, viewer, own, foreign, home, other_home = matrix
    provider, provider2 = viewer("provider"), viewer("provider2")
    assert provider_inbox(store, provider)["referral_id"].tolist() == [own]
    assert provider_inbox(store, provider2)["referral_id"].tolist() == [foreign]
    inbox = provider_inbox(store, provider)
    assert not {"household_id", "emd_code", "geometry", "sender_emd_code"} & set(inbox.columns)
    assert inbox.iloc[0]["head_name"].count("*") >= 1
    before = _refusals(store, "provider")
    refused = [
        lambda: referral_detail(store, provider, foreign),
        lambda: act_on_referral(store, provider, foreign, "accept"),
        lambda: act_on_referral(store, provider, 9999, "accept"),
        lambda: case_detail(store, provider, home),
        lambda: case_detail(store, provider, other_home),
        lambda: household_referrals(store, provider, home),
        lambda: referral_candidates(store, provider, home),
        lambda: sent_referrals(store, provider),
        lambda: worker_needs(store, provider),
        lambda: need_summary(store, provider),
        lambda: register_need(store, provider, home, need_group="community",
                              need_function="community_service", urgency="high", cause="none_free"),
        lambda: ranked_visits(store, provider),
        lambda: list_users(store, provider),
    ]
    for call in refused:
        with pytest.raises(AccessDenied):
            call()
    assert _refusals(store, "provider") - before == len(refused)  # every refusal audited
    assert store.referrals.get(foreign)["state"] == "requested"


def _render(app, store, path: str, role: str, **kwargs: str) -> str:
    import dash

    page = next(p for p in dash.page_registry.values() if p["path"] == path
                or p.get("path_template") == path)
    with app.server.test_request_context("/"):
        if role != "public":
            flask.session["sid"] = open_session(store, role)
        return json.dumps(page["layout"](**kwargs), cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


@pytest.mark.parametrize("role", PAGE_ROLES)
def test_referral_and_admin_pages_by_role(matrix, tmp_path: Path, role: str) -> None:
    from app.main import create_app
    from geodata.settings import Settings

    store, _viewer, _own, _foreign, home, _other = matrix
    app = create_app(store, Settings(data_dir=tmp_path / "var", database_url=None))
    inbox = _render(app, store, "/referrals", role)
    panel = _render(app, store, "/referrals", role, household_id=str(home))
    console = _render(app, store, "/admin", role)
    if role in ("provider", "provider2"):
        mine, theirs = ("우리 기관", "다른 기관") if role == "provider" else ("다른 기관", "우리 기관")
        assert mine in inbox and theirs not in inbox
        assert "ref-send" not in panel  # the provider view, never a household's panel
    elif role == "outreach":
        assert "우리 기관" in inbox and "다른 기관" not in inbox and "ref-send" in panel
    elif role == "outreach2":
        assert "다른 기관" in inbox and "우리 기관" not in inbox
        assert "referrals-denied" in panel and "ref-send" not in panel
    elif role == "admin":
        assert "우리 기관" in inbox and "다른 기관" in inbox
    else:
        assert "access-notice" in inbox and "ref-list" not in inbox and "ref-send" not in panel
    if role == "admin":
        assert "admin-audit" in console and "admin-users" in console
    else:
        assert "admin-audit" not in console and "access-notice" in console


def _text(response) -> str:
    """A Dash callback response as readable text (Korean not escaped)."""
    return json.dumps(response.get_json(), ensure_ascii=False)


def test_provider_callbacks_refuse_other_facilities_over_http(matrix, tmp_path: Path) -> None:
    from app.main import create_app
    from geodata.settings import Settings

    store, _viewer, own, foreign, home, _other = matrix
    app = create_app(store, Settings(data_dir=tmp_path / "var", database_url=None))
    client = app.server.test_client()
    assert login(client, "provider", PASSWORDS["provider"]).status_code == 303
    outputs = [("ref-act-message", "children"), ("ref-list", "children")]
    state = [("ref-act-id", "value", foreign), ("ref-act-action", "value", "accept"),
             ("ref-act-outcome", "value", None), ("ref-act-reason", "value", None)]
    response = dash_call(client, outputs, [("ref-act-save", "n_clicks", 1)], state)
    assert response.status_code == 200
    body = _text(response)
    assert "not addressed to you" in body and "다른 기관" not in body
    assert store.referrals.get(foreign)["state"] == "requested"
    # sending from a household panel is refused for a provider (not an outreach worker)
    send = dash_call(client, [("ref-send-message", "children"), ("ref-household-list", "children")],
                     [("ref-send", "n_clicks", 1)],
                     [("ref-household", "data", home), ("ref-facility", "value", 1),
                      ("ref-consent", "value", ["yes"]), ("ref-note", "value", "x")])
    assert "cannot send referrals" in _text(send)
    # and its own referral it may accept
    ok = dash_call(client, outputs, [("ref-act-save", "n_clicks", 2)],
                   [("ref-act-id", "value", own), *state[1:]])
    assert "처리했습니다" in _text(ok) and "우리 기관" in _text(ok) and "다른 기관" not in _text(ok)
    assert store.referrals.get(own)["state"] == "accepted"


def _scope_call(client, user_id: int, role: str, scope: str):
    outputs = [("admin-user-message", "children"), ("admin-users", "children")]
    state = [("admin-new-username", "value", None), ("admin-new-password", "value", None),
             ("admin-new-role", "value", role), ("admin-new-scope", "value", scope),
             ("admin-user-id", "value", user_id)]
    inputs = [("admin-new-save", "n_clicks", None), ("admin-deactivate", "n_clicks", None),
              ("admin-reset", "n_clicks", None), ("admin-set-scope", "n_clicks", 1)]
    return dash_call(client, outputs, inputs, state, changed=["admin-set-scope.n_clicks"])


def test_console_changes_role_and_scope_over_http_admin_only(matrix, tmp_path: Path) -> None:
    from app.main import create_app
    from geodata.settings import Settings

    store, viewer, *_ = matrix
    app = create_app(store, Settings(data_dir=tmp_path / "var", database_url=None))
    target = viewer("provider2")
    planner = app.server.test_client()
    assert login(planner, "planner", PASSWORDS["planner"]).status_code == 303
    refused = _scope_call(planner, int(target.user_id), "outreach", OTHER_EMD)
    assert refused.status_code == 200 and "only administrators" in _text(refused)
    assert viewer("provider2").role == "provider"
    admin = app.server.test_client()
    assert login(admin, "admin", PASSWORDS["admin"]).status_code == 303
    bad = _scope_call(admin, int(target.user_id), "provider", "not-a-number")
    assert "facility id" in _text(bad) and viewer("provider2").role == "provider"
    done = _scope_call(admin, int(target.user_id), "outreach", OTHER_EMD)
    assert "역할·관할을 바꿨습니다" in _text(done)
    changed = viewer("provider2")
    assert (changed.role, changed.jurisdiction_code, changed.facility_id) == ("outreach", OTHER_EMD, None)
    log = table("audit_log")
    with store.session() as s:
        rows = s.execute(select(log.c.username, log.c.allowed)
                         .where(log.c.action == "admin_set_scope")).all()
    assert ("planner", False) in rows and ("admin", True) in rows
