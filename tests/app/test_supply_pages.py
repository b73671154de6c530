"""Supply/demand, site-suitability and nearby pages: callbacks as functions, then in Chromium."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import dash
import pytest
from flask import g, session

from app.callback_json import output_json
from domain.access import PUBLIC_VIEWER, Viewer
from tests.fixtures_world import (
    MINISTRY,
    OUTREACH_EMD,
    PASSWORDS,
    PLANNER,
    PLANNER_SIGUNGU,
    SMALL_EMD,
)


def world_store(app):
    """The store the app serves."""
    from app.auth import STORE_KEY

    return app.server.config[STORE_KEY]


def _call(app, viewer: Viewer, fn: Callable, *args: object, sid: str | None = None,
          **kwargs: object) -> object:
    """Run a callback function inside a request of ``app`` as ``viewer`` (in session ``sid``)."""
    with app.server.test_request_context("/"):
        g.atlas_viewer = viewer
        if sid:
            session["sid"] = sid
        return fn(*args, **kwargs)


def _sid(app, username: str) -> str:
    """A fresh server-side session of ``username`` (its token, as the cookie holds it)."""
    from services.login import LoginPolicy, log_in

    result = log_in(world_store(app), username, PASSWORDS[username], address=f"198.51.100.{len(username)}",
                    policy=LoginPolicy())
    assert result.outcome == "ok" and result.session_token
    return result.session_token


# ------------------------------------------------------------------ callbacks as functions
def test_supply_render_returns_map_and_suppressed_tables(make_app) -> None:
    app = make_app()
    from app.pages import supply_demand as page

    fig, region_data, error = _call(app, PLANNER, page.render, "elderly", "emd",
                                    PLANNER_SIGUNGU, 3)
    mismatch, unmatched = _call(app, PLANNER, page.render_tables, "elderly", "emd",
                                PLANNER_SIGUNGU, 3)
    assert error is None and region_data and mismatch and unmatched
    hidden = next(r for r in region_data if r["name"].endswith("연기면"))
    assert hidden["households"] is None and hidden["demand"] is None  # the grid shows 비공개
    assert all(isinstance(r["capacity"], float) for r in region_data)  # numbers sort as numbers
    view = _call(app, PLANNER, page.build_supply_view, world_store(app), PLANNER,
                 group="elderly", level="emd", parent=PLANNER_SIGUNGU, catchment_km=3.0, lang="ko")
    regions = view.regions
    names = {tr["name"] for tr in fig["data"]}
    assert names & {"공급 부족", "적정", "공급 과잉", "공급 없음"}
    small = next(r for r in regions if r["name"].endswith("연기면"))
    assert small["households"] is None and small["class"].startswith("비공개")
    assert SMALL_EMD  # the fixture's always-suppressed 읍면동


def test_supply_render_refuses_public_and_outreach(make_app) -> None:
    app = make_app()
    from app.pages import supply_demand as page

    for viewer in (PUBLIC_VIEWER, Viewer(1, "outreach", "outreach", OUTREACH_EMD)):
        _fig, table, error = _call(app, viewer, page.render, "elderly", "emd", "", 3)
        assert table == [] and error is not None
        assert _call(app, viewer, page.render_tables, "elderly", "emd", "", 3) == ([], [])


def test_supply_export_is_a_csv_download(make_app) -> None:
    app = make_app()
    from app.pages import supply_demand as page

    out = _call(app, MINISTRY, page.export, 1, "in_need", "sigungu", "")
    assert out["filename"].endswith(".csv") and out["base64"]


def _site_inputs(sigungu: str = PLANNER_SIGUNGU, **change: object) -> dict[str, object]:
    return {"sigungu": sigungu, "group": "elderly", "k": 3, "radius_m": 1500, "method": "mclp",
            "lang": "ko"} | change


def _site_token(app, viewer: Viewer, sid: str | None = None, **change: object) -> str:
    from app.pages import site_suitability as page

    return _call(app, viewer, page.start_site_job, world_store(app), viewer, page.JOB.secret,
                 session_token=sid, **_site_inputs(**change))


def _site_audit(app) -> list[tuple]:
    from sqlalchemy import select

    from geodata.schema import table

    log = table("audit_log")
    with world_store(app).session() as session:
        rows = session.execute(select(log.c.username, log.c.allowed, log.c.object_id)
                               .where(log.c.action == "plan_sites")).all()
    return [tuple(r) for r in rows]


def test_site_start_issues_token_and_job_solves_with_progress(make_app) -> None:
    app = make_app()
    from app.pages import site_suitability as page

    sid = _sid(app, "planner")
    data, error = _call(app, PLANNER, page.start, 1, PLANNER_SIGUNGU, "elderly", 3, 1500, "mclp",
                        sid=sid)
    assert error is None and set(data) == {"token", "lang", "n"}
    reports: list[tuple[float, str]] = []
    before = len(_site_audit(app))
    view = page.run_site_job(page.JOB, data["token"], session_token=sid,
                             progress=lambda f, m: reports.append((f, m)))
    fig, summary, rows_table, error = page.view_outputs(view, "ko")
    assert error is None and summary and str(rows_table).count("Tr(") == 4  # header + 3 sites
    assert {"신규 후보지", "기존 시설", "서비스 권역"} <= {tr.name for tr in fig.data}
    assert reports and all(0 <= f <= 1 for f, _ in reports)
    assert _site_audit(app)[before:] == [("planner", True, PLANNER_SIGUNGU)]
    page_module = page
    original = page_module._caller_session
    try:
        page_module._caller_session = lambda: sid  # the background callback's cookies
        assert page.solve(lambda _v: None, data)[3] is None  # the background callback's body
    finally:
        page_module._caller_session = original


def test_site_token_tampered_expired_or_missing_is_refused(make_app, monkeypatch) -> None:
    import itsdangerous

    from app.jobs import JobTokenError

    app = make_app()
    from app.pages import site_suitability as page  # after make_app: this app's page module
    sid = _sid(app, "ministry")
    token = _site_token(app, MINISTRY, sid, sigungu="36110")
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    other_key = page.JobConfig(secret="not-the-app-secret", open_store=page.JOB.open_store)
    for config, bad in ((page.JOB, tampered), (page.JOB, ""), (page.JOB, None),
                        (other_key, token)):
        with pytest.raises(JobTokenError):
            page.run_site_job(config, bad, session_token=sid)
    monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp",
                        lambda _self: int(__import__("time").time()) - 3600)
    old = _site_token(app, MINISTRY, sid, sigungu="36110")
    monkeypatch.undo()
    with pytest.raises(JobTokenError, match="expired"):
        page.run_site_job(page.JOB, old, session_token=sid)
    _fig, _s, table_out, error = page.solve(lambda _v: None, {"token": tampered, "lang": "ko"})
    assert table_out is None and "not valid" in str(error)


def test_site_refuses_wrong_role_and_planner_outside_own_sigungu(make_app) -> None:
    from app.jobs import issue_job_token
    from domain.errors import AccessDenied

    app = make_app()
    from app.pages import site_suitability as page
    outreach = Viewer(1, "outreach", "outreach", OUTREACH_EMD)
    for viewer, sigungu in ((outreach, PLANNER_SIGUNGU), (PLANNER, "30110")):
        with pytest.raises(AccessDenied):
            _site_token(app, viewer, sigungu=sigungu)
        data, error = _call(app, viewer, page.start, 1, sigungu, "elderly", 3, 1500, "mclp")
        assert data is dash.no_update and error is not None
    # tokens signed with the app's secret but for a request the user may not make: refused in
    # the worker too (the service layer checks again, and audits)
    params = page.site_params(**_site_inputs())
    outreach_sid, planner_sid = _sid(app, "outreach"), _sid(app, "planner")
    with pytest.raises(AccessDenied):
        page.run_site_job(page.JOB, issue_job_token(page.JOB.secret, outreach, params,
                                                    purpose=page.SITE_JOB,
                                                    session_token=outreach_sid),
                          session_token=outreach_sid)
    outside = issue_job_token(page.JOB.secret, PLANNER, params | {"sigungu": "30110"},
                              purpose=page.SITE_JOB, session_token=planner_sid)
    with pytest.raises(AccessDenied):
        page.run_site_job(page.JOB, outside, session_token=planner_sid)
    promoted = Viewer(1, "outreach", "ministry")  # claims a role the user does not have
    with pytest.raises(page.JobTokenError, match="changed"):
        page.run_site_job(page.JOB, issue_job_token(page.JOB.secret, promoted, params,
                                                    purpose=page.SITE_JOB,
                                                    session_token=outreach_sid),
                          session_token=outreach_sid)
    refused = [r for r in _site_audit(app) if not r[1]]
    assert ("planner", False, "30110") in refused


def test_site_token_replayed_from_another_session_is_refused_and_audited(make_app) -> None:
    from services.login import log_out

    app = make_app()
    from app.pages import site_suitability as page
    planner_sid = _sid(app, "planner")
    token = _site_token(app, PLANNER, planner_sid)
    before = len(_site_audit(app))
    for caller_sid in (None, _sid(app, "outreach"), _sid(app, "planner")):  # logged out, other
        with pytest.raises(page.JobTokenError, match="another session"):  # user, other session
            page.run_site_job(page.JOB, token, session_token=caller_sid)
    log_out(world_store(app), planner_sid)
    with pytest.raises(page.JobTokenError, match="another session"):  # its own, after logout
        page.run_site_job(page.JOB, token, session_token=planner_sid)
    refusals = _site_audit(app)[before:]
    assert [name for name, allowed, _ in refusals] == ["public", "outreach", "planner", "public"]
    assert not any(allowed for _, allowed, _ in refusals)


def test_the_worker_reads_the_caller_session_from_its_cookie(make_app) -> None:
    from app.jobs import caller_session_token

    app = make_app()
    from app.pages import site_suitability as page
    client = app.server.test_client()
    from tests.app.app_helpers import login

    assert login(client, "planner", PASSWORDS["planner"]).status_code == 303
    cookie = client.get_cookie("atlas_session").value
    with client.session_transaction() as s:
        sid = s["sid"]
    assert caller_session_token(page.JOB, {"atlas_session": cookie}) == sid
    assert caller_session_token(page.JOB, {"atlas_session": cookie[:-2] + "xx"}) is None
    assert caller_session_token(page.JOB, {}) is None


def test_site_params_reject_bad_inputs(make_app) -> None:
    from services.sites import SiteInputError

    make_app()
    from app.pages import site_suitability as page

    assert page.site_params(**_site_inputs(k="4"))["k"] == 4
    for change in ({"k": None}, {"k": 0}, {"radius_m": 123}, {"method": "x"},
                   {"group": "nobody"}, {"sigungu": "3611"}):
        with pytest.raises(SiteInputError):
            page.site_params(**_site_inputs(**change))


def test_nearby_place_and_search_functions(make_app) -> None:
    app = make_app()
    from app import ids
    from app.pages import nearby as page

    click = {"points": [{"x": 127.2851, "y": 36.6069}]}
    assert page.place_from_inputs(ids.NB_MAP, click, None, None) == {"lon": 127.2851,
                                                                    "lat": 36.6069}
    assert page.place_from_inputs(ids.NB_REGION, None, "36110250", None) == {"region": "36110250"}
    fig, origin, table, error = _call(app, PUBLIC_VIEWER, page.show, {"region": "36110250"},
                                      [], [], ["free"], 5)
    assert error is None and "조치원읍" in origin and str(table).count("Tr(") == 6
    result = _call(app, PUBLIC_VIEWER, page.search, world_store(app), {"region": "36110250"},
                   groups=[], types=[], free_only=True, k=5)
    rows = page.result_rows(result)
    assert len(rows) == 5 and len(fig["data"]) >= 3
    assert all(r["free_places"] > 0 for r in rows)
    assert not {"household_id", "name_masked"} & set(rows[0])
    _f, _o, _r, error = _call(app, PUBLIC_VIEWER, page.show, {"coords": "35.68, 139.69"},
                              [], [], [], 5)
    assert "대한민국 밖" in str(error)
    assert (_f, _o, _r) == (dash.no_update,) * 3  # the map stays as it is


def test_nearby_views_are_kept_until_the_facilities_change(world, tmp_path) -> None:
    from app.pages import nearby as page
    from services.nearby import NearbyInputError
    from tests.fixtures_world import copy_world

    store = copy_world(world, tmp_path / "copy").store
    place, filters = {"region": "36110250"}, {"groups": [], "types": [], "free_only": False,
                                              "k": 5, "lang": "ko"}
    first = page.nearby_view(store, place, **filters)
    assert page.nearby_view(store, dict(place), **filters) is first
    fresh = page.build_nearby_view(store, page.search(store, place, groups=[], types=[],
                                                      free_only=False, k=5), "ko")
    assert fresh.rows == first.rows and fresh.origin == first.origin
    assert output_json(fresh.figure) == output_json(first.figure)
    assert page.nearby_view(store, place, **{**filters, "lang": "en"}) is not first

    facilities = store.read_frame("facility")
    nearest = first.rows[0]
    full = facilities["name"] == nearest["name"]
    store.write_frame("facility", facilities.assign(
        current_users=facilities["current_users"].where(~full, facilities["capacity"])))
    after = page.nearby_view(store, place, **filters)
    assert after is not first
    assert next(r for r in after.rows if r["name"] == nearest["name"])["free_places"] == 0
    for _ in range(2):  # a failed search raises every time, nothing kept
        with pytest.raises(NearbyInputError):
            page.nearby_view(store, {"coords": "35.68, 139.69"}, **filters)


# ------------------------------------------------------------------ in the browser
def _login(dash_duo, user: str) -> None:
    dash_duo.driver.get(dash_duo.server_url + "/login")
    dash_duo.find_element("#username").send_keys(user)
    dash_duo.find_element("#password").send_keys(PASSWORDS[user])
    dash_duo.find_element("#login-submit").click()
    dash_duo.wait_for_element(".atlas-brand", timeout=10)


def _shot(dash_duo, artifacts: Path, name: str) -> None:
    dash_duo.driver.save_screenshot(str(artifacts / f"{name}.png"))


@pytest.mark.browser
def test_nearby_page_public_in_browser(dash_duo, make_app, artifacts: Path) -> None:
    dash_duo.start_server(make_app())
    dash_duo.driver.get(dash_duo.server_url + "/nearby")
    dash_duo.wait_for_text_to_equal("h1", "가까운 복지시설 찾기", timeout=15)
    coords = dash_duo.find_element("#nearby-coords")
    coords.send_keys("36.6069, 127.2851")
    dash_duo.find_element("#nearby-coords-go").click()
    dash_duo.wait_for_contains_text("#nearby-origin", "기준 위치", timeout=15)
    dash_duo.wait_for_contains_text("#nearby-table", "빈자리", timeout=10)
    dash_duo.wait_for_element("#nearby-map .scatterlayer .trace", timeout=10)
    assert "로그인" in dash_duo.find_element("#login-link").text  # anonymous
    _shot(dash_duo, artifacts, "nearby")


@pytest.mark.browser
def test_supply_page_planner_in_browser(dash_duo, make_app, artifacts: Path) -> None:
    dash_duo.start_server(make_app())
    _login(dash_duo, "planner")
    dash_duo.driver.get(dash_duo.server_url + "/supply")
    dash_duo.wait_for_text_to_equal("h1", "수급 분석: 공급과 수요", timeout=15)
    dash_duo.wait_for_contains_text("#supply-map .legend", "공급", timeout=20)
    dash_duo.wait_for_element("#supply-unmatched .ag-row", timeout=20)
    dash_duo.wait_for_element("#supply-table .ag-row", timeout=20)
    assert "비공개" in dash_duo.find_element("#supply-table").text  # suppressed cells stay hidden
    _shot(dash_duo, artifacts, "supply_demand")


@pytest.mark.browser
def test_site_page_ministry_in_browser(dash_duo, make_app, artifacts: Path) -> None:
    dash_duo.start_server(make_app())
    _login(dash_duo, "ministry")
    dash_duo.driver.get(dash_duo.server_url + "/sites")
    dash_duo.wait_for_text_to_equal("h1", "입지 분석: 신규 시설 최적 위치", timeout=15)
    dash_duo.select_dcc_dropdown("#site-region", value="세종특별자치시 (36110)")
    dash_duo.find_element("#site-run").click()
    dash_duo.wait_for_element("#site-table table", timeout=60)  # the background job's result
    dash_duo.wait_for_contains_text("#site-summary", "새로 닿는 가구", timeout=10)
    dash_duo.wait_for_contains_text("#site-map .legend", "신규 후보지", timeout=10)
    assert dash_duo.find_element("#site-run").get_attribute("disabled") is None
    assert dash_duo.find_element("#site-cancel").get_attribute("disabled") == "true"
    assert dash_duo.get_logs() == []
    _shot(dash_duo, artifacts, "site_suitability")
