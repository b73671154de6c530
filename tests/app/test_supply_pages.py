"""Supply/demand, site-suitability and nearby pages: callbacks as functions, then in Chromium."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import g

from analytics.access_control import PUBLIC_VIEWER, Viewer
from tests.fixtures_world import OUTREACH_EMD, PASSWORDS, PLANNER_SIGUNGU, SMALL_EMD

MINISTRY = Viewer(3, "ministry", "ministry")
PLANNER = Viewer(2, "planner", "planner", PLANNER_SIGUNGU)


def world_store(app):
    """The store the app serves."""
    from app.auth import STORE_KEY

    return app.server.config[STORE_KEY]


def _call(app, viewer: Viewer, fn: Callable, *args: object, **kwargs: object) -> object:
    """Run a callback function inside a request of ``app`` as ``viewer``."""
    with app.server.test_request_context("/"):
        g.atlas_viewer = viewer
        return fn(*args, **kwargs)


# ------------------------------------------------------------------ callbacks as functions
def test_supply_render_returns_map_and_suppressed_tables(make_app) -> None:
    app = make_app()
    from app.pages import supply_demand as page

    fig, regions, mismatch, unmatched, error = _call(app, PLANNER, page.render, "elderly", "emd",
                                                     PLANNER_SIGUNGU, 3)
    assert error is None and all("<table" in str(t).lower() or "Table" in str(t)
                                 for t in (regions, mismatch, unmatched))
    view = _call(app, PLANNER, page.build_supply_view, world_store(app), PLANNER,
                 group="elderly", level="emd", parent=PLANNER_SIGUNGU, catchment_km=3.0, lang="ko")
    regions = view.regions
    names = {tr.name for tr in fig.data}
    assert names & {"공급 부족", "적정", "공급 과잉", "공급 없음"}
    small = next(r for r in regions if r["name"].endswith("연기면"))
    assert small["households"] == "비공개" and small["class"].startswith("비공개")
    assert SMALL_EMD  # the fixture's always-suppressed 읍면동


def test_supply_render_refuses_public_and_outreach(make_app) -> None:
    app = make_app()
    from app.pages import supply_demand as page

    for viewer in (PUBLIC_VIEWER, Viewer(1, "outreach", "outreach", OUTREACH_EMD)):
        _fig, table, *_rest, error = _call(app, viewer, page.render, "elderly", "emd", "", 3)
        assert table is None or table == [] or "Table" not in str(table)
        assert error is not None


def test_supply_export_is_a_csv_download(make_app) -> None:
    app = make_app()
    from app.pages import supply_demand as page

    out = _call(app, MINISTRY, page.export, 1, "in_need", "sigungu", "")
    assert out["filename"].endswith(".csv") and out["base64"]


def test_site_run_returns_sites_table_and_summary(make_app) -> None:
    app = make_app()
    from app.pages import site_suitability as page

    fig, summary, table, error = _call(app, PLANNER, page.run, 1, PLANNER_SIGUNGU, "elderly", 3,
                                       1500, "mclp")
    assert error is None and summary and str(table).count("Tr(") == 4  # header + 3 sites
    assert {"신규 후보지", "기존 시설", "서비스 권역"} <= {tr.name for tr in fig.data}
    _fig, _s, table, error = _call(app, PLANNER, page.run, 1, "30110", "elderly", 3, 1500, "mclp")
    assert table is None and error is not None  # another 시군구: refused


def test_nearby_place_and_search_functions(make_app) -> None:
    app = make_app()
    from app.pages import _supply_ids as ids
    from app.pages import nearby as page

    click = {"points": [{"x": 127.2851, "y": 36.6069}]}
    assert page.place_from_inputs(ids.NB_MAP, click, None, None) == {"lon": 127.2851,
                                                                    "lat": 36.6069}
    assert page.place_from_inputs(ids.NB_REGION, None, "36110250", None) == {"region": "36110250"}
    fig, origin, table, error = _call(app, PUBLIC_VIEWER, page.show, {"region": "36110250"},
                                      [], [], ["free"], 5, None)
    assert error is None and "조치원읍" in origin and str(table).count("Tr(") == 6
    result = _call(app, PUBLIC_VIEWER, page.search, world_store(app), {"region": "36110250"},
                   groups=[], types=[], free_only=True, k=5)
    rows = page.result_rows(result)
    assert len(rows) == 5 and len(fig.data) >= 3
    assert all(r["free_places"] > 0 for r in rows)
    assert not {"household_id", "name_masked"} & set(rows[0])
    _f, _o, _r, error = _call(app, PUBLIC_VIEWER, page.show, {"coords": "35.68, 139.69"},
                              [], [], [], 5, None)
    assert "대한민국 밖" in str(error)


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
    dash_duo.wait_for_contains_text("#supply-unmatched", "미충족", timeout=10)
    _shot(dash_duo, artifacts, "supply_demand")


@pytest.mark.browser
def test_site_page_ministry_in_browser(dash_duo, make_app, artifacts: Path) -> None:
    dash_duo.start_server(make_app())
    _login(dash_duo, "ministry")
    dash_duo.driver.get(dash_duo.server_url + "/sites")
    dash_duo.wait_for_text_to_equal("h1", "입지 분석: 신규 시설 최적 위치", timeout=15)
    dash_duo.select_dcc_dropdown("#site-region", value="세종특별자치시 (36110)")
    dash_duo.find_element("#site-run").click()
    dash_duo.wait_for_contains_text("#site-summary", "새로 닿는 가구", timeout=30)
    dash_duo.wait_for_contains_text("#site-map .legend", "신규 후보지", timeout=10)
    _shot(dash_duo, artifacts, "site_suitability")
