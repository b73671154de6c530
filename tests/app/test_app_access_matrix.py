"""Role × page × callback access matrix, through the real HTTP paths (login form, Dash POSTs).

Hiding links is cosmetic; these tests check that the server refuses what a role must not see.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import flask
import plotly
import pytest

from tests.app.app_helpers import dash_call
from tests.fixtures_world import OUTREACH_EMD, World

ROLES = ("public", "outreach", "outreach2", "planner", "ministry", "admin")
HOUSEHOLD_ROLES = {"outreach", "admin"}


def decode(values: object) -> list:
    """Plotly ≥ 6 sends numpy arrays as ``{"dtype", "bdata"}`` (base64); plain lists as is."""
    if isinstance(values, dict) and "bdata" in values:
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values or [])


def user(role: str) -> str | None:
    return None if role == "public" else role


def audit_mark(world: World) -> int:
    """How many audit rows exist now (refusals after it are the test's)."""
    return len(world.store.audit.rows())


def refusals_since(world: World, mark: int) -> list[tuple[str, str]]:
    """``(username, action)`` of the ``allowed=0`` audit rows written since ``mark``."""
    rows = world.store.audit.rows().iloc[mark:]
    rows = rows[~rows["allowed"].astype(bool)]
    return list(zip(rows["username"], rows["action"], strict=True))


def assert_refusal_audited(world: World, mark: int, role: str, *actions: str) -> None:
    """Every refused request of the test left an ``allowed=0`` row naming the caller."""
    got = refusals_since(world, mark)
    for action in actions:
        assert (role, action) in got, (role, action, got)


def own_household(world: World, k: int = 0) -> int:
    return int(world.households.loc[world.households["emd_code"] == OUTREACH_EMD,
                                    "household_id"].iloc[k])


def render_page(app, path: str, role: str, world: World, **kwargs: str) -> str:
    """Render a registered page's layout for a role, as JSON text."""
    import dash


    page = next(p for p in dash.page_registry.values() if p["path"] == path
                or p.get("path_template") == path)
    with app.server.test_request_context("/"):
        if role != "public":
            from tests.app.app_helpers import open_session

            flask.session["sid"] = open_session(world.store, role)
        layout = page["layout"](**kwargs)
        return json.dumps(layout, cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False)


@pytest.mark.parametrize("role", ROLES)
def test_pages_by_role(app_client, world: World, role: str) -> None:
    app = app_client.app
    hid = own_household(world)
    mark = audit_mark(world)
    overview = render_page(app, "/", role, world)
    assert "overview-kpis" in overview
    visits = render_page(app, "/visits", role, world)
    case = render_page(app, "/case/<household_id>", role, world, household_id=str(hid))
    if role in HOUSEHOLD_ROLES:
        assert "visits-table" in visits and "access-notice" not in visits
        assert "case-activities" in case and "*" in case
    elif role == "outreach2":
        assert "visits-table" in visits
        assert "case-denied" in case and "case-activities" not in case
        assert_refusal_audited(world, mark, role, "view_case")
    else:
        assert "access-notice" in visits and "visits-table" not in visits
        assert "access-notice" in case and "case-activities" not in case
        assert_refusal_audited(world, mark, role, "view_list", "view_case")
    assert "riskmap-graph" in render_page(app, "/risk-map", role, world)


@pytest.mark.parametrize("role", ROLES)
def test_visit_list_callback_by_role(app_client, world: World, role: str) -> None:
    client = app_client(user(role))
    mark = audit_mark(world)
    response = dash_call(client, [("visits-table-box", "children"), ("visits-count", "children"),
                                  ("visits-error", "children")],
                         [("visits-tiers", "value", []), ("visits-types", "value", None),
                          ("visits-sources", "value", None), ("visits-days", "value", None),
                          ("visits-overridden", "value", ""), ("visits-limit", "value", 500),
                          ("visits-unserved", "value", []),
                          ("visits-repeat-unhelped", "value", [])])
    assert response.status_code == 200
    out = response.get_json()["response"]
    shown = {int(h) for h in re.findall(r'"/case/(\d+)"', json.dumps(out))}
    own = set(world.households.loc[world.households["emd_code"] == OUTREACH_EMD, "household_id"])
    if role == "outreach":
        assert shown == own and out["visits-error"]["children"] is None
    elif role == "admin":
        assert len(shown) == 500  # the limit asked for, nationwide
    elif role == "outreach2":
        assert shown and not shown & own
    else:
        assert not shown and "aggregates only" in json.dumps(out["visits-error"])
        assert_refusal_audited(world, mark, role, "view_list")


@pytest.mark.parametrize("role", ROLES)
def test_export_callback_by_role(app_client, world: World, role: str) -> None:
    client = app_client(user(role))
    mark = audit_mark(world)
    response = dash_call(client, [("visits-download", "data")],
                         [("visits-xlsx", "n_clicks", 1), ("visits-csv", "n_clicks", None)],
                         [("visits-tiers", "value", []), ("visits-types", "value", None),
                          ("visits-sources", "value", None), ("visits-days", "value", None),
                          ("visits-overridden", "value", ""), ("visits-limit", "value", 500),
                          ("visits-unserved", "value", []),
                          ("visits-repeat-unhelped", "value", [])])
    if role in HOUSEHOLD_ROLES or role == "outreach2":
        data = response.get_json()["response"]["visits-download"]["data"]
        assert data["filename"].endswith(".xlsx") and data["base64"]
    else:
        assert response.status_code in (200, 204)
        assert "base64" not in response.get_data(as_text=True)
        assert_refusal_audited(world, mark, role, "export_xlsx")


@pytest.mark.parametrize("role", ROLES)
def test_route_callback_by_role(app_client, world: World, role: str) -> None:
    client = app_client(user(role))
    mark = audit_mark(world)
    ids_ = [own_household(world, k) for k in range(4)]
    response = dash_call(client, [("visits-route-map", "figure"), ("visits-route-map", "style"),
                                  ("visits-route-table", "children")],
                         [("visits-route-btn", "n_clicks", 1)],
                         [[{"id": {"type": "visit-select", "index": i}, "property": "value",
                            "value": [i]} for i in ids_]])
    out = response.get_json()["response"]
    if role in HOUSEHOLD_ROLES:
        assert out["visits-route-map"]["style"] == {"display": "block"}
        assert "figure" in out["visits-route-map"]
    else:
        assert out["visits-route-map"]["style"] == {"display": "none"}
        assert "figure" not in out["visits-route-map"]
        assert_refusal_audited(world, mark, role, "route")


@pytest.mark.parametrize("role", ROLES)
def test_activity_and_override_callbacks_by_role(app_client, world: World, role: str) -> None:
    client = app_client(user(role))
    mark = audit_mark(world)
    hid = own_household(world, 5)
    saved = dash_call(client, [("case-activities", "children"), ("case-message", "children")],
                      [("case-save", "n_clicks", 1)],
                      [("case-id", "data", hid), ("case-kind", "value", "visit"),
                       ("case-date", "date", dt.date.today().isoformat()),
                       ("case-outcome", "value", "in_progress"),
                       ("case-note", "value", f"matrix {role}")]).get_json()["response"]
    override = dash_call(client, [("case-override-message", "children"),
                                  ("case-tier-badge", "children")],
                         [("case-override-save", "n_clicks", 1)],
                         [("case-id", "data", hid), ("case-override-tier", "value", 2),
                          ("case-override-reason", "value", "field_observation"),
                          ("case-override-note", "value", None)]).get_json()["response"]
    text = json.dumps(saved, ensure_ascii=False)
    if role in HOUSEHOLD_ROLES:
        assert f"matrix {role}" in text and "저장했습니다" in text
        assert "case-tier-badge" in override
    else:
        assert "case-activities" not in saved and "atlas-notice-error" in text
        assert "case-tier-badge" not in override
        assert_refusal_audited(world, mark, role, "add_activity", "override_tier")


@pytest.mark.parametrize("role", ("public", "outreach2", "planner"))
def test_a_malformed_save_on_a_foreign_household_is_an_audited_access_attempt(
        app_client, world: World, role: str) -> None:
    client = app_client(user(role))
    mark = audit_mark(world)
    dash_call(client, [("case-activities", "children"), ("case-message", "children")],
              [("case-save", "n_clicks", 1)],
              [("case-id", "data", own_household(world, 6)), ("case-kind", "value", "no-such-kind"),
               ("case-date", "date", "not-a-date"), ("case-outcome", "value", None),
               ("case-note", "value", "x" * 5000)])
    assert_refusal_audited(world, mark, role, "add_activity")


@pytest.mark.parametrize("role", ROLES)
def test_map_points_only_for_own_outreach(app_client, world: World, role: str) -> None:
    client = app_client(user(role))
    mark = audit_mark(world)
    response = dash_call(client, [("riskmap-graph", "figure"), ("riskmap-title", "children"),
                                  ("riskmap-note", "children"), ("riskmap-table", "children")],
                         [("riskmap-state", "data", {"level": "emd", "parent": "36110"}),
                          ("riskmap-colour", "value", "share"),
                          ("riskmap-layers", "value", ["points"])])
    out = response.get_json()["response"]
    traces = out["riskmap-graph"]["figure"]["data"]
    shown = {int(h) for t in traces if t["type"] == "scattergeo"
             for h in decode(t.get("customdata"))}
    own_emd = {"outreach": OUTREACH_EMD, "outreach2": "36110101"}.get(role)
    own = set(world.households.loc[world.households["emd_code"] == own_emd, "household_id"])
    assert shown == own  # outreach workers: exactly their 읍면동; everybody else: nothing
    if role not in ("outreach", "outreach2", "admin"):  # roles without household access
        assert_refusal_audited(world, mark, role, "view_points")
    table = json.dumps(out["riskmap-table"], ensure_ascii=False)
    assert "연기면" in table
    assert ("비공개(5가구 미만)" in table) == (role != "admin")
