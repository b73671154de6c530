"""End-to-end browser tests in headless Chromium (dash_duo): each role logs in through the form
and sees what it may, and nothing more. Screenshots of every page go to ``tests/artifacts/``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.app.conftest import CHROMIUM
from tests.fixtures_world import OUTREACH_EMD, PASSWORDS, World

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed"),
]


def _login(dash_duo, username: str) -> None:
    dash_duo.driver.get(f"{dash_duo.server_url}/login")
    dash_duo.driver.find_element(By.ID, "username").send_keys(username)
    dash_duo.driver.find_element(By.ID, "password").send_keys(PASSWORDS[username])
    dash_duo.driver.find_element(By.ID, "login-submit").click()
    dash_duo.wait_for_element("#user-badge", timeout=15)


def _go(dash_duo, path: str, ready: str, timeout: int = 20) -> None:
    dash_duo.driver.get(f"{dash_duo.server_url}{path}")
    dash_duo.wait_for_element(ready, timeout=timeout)


def _shot(dash_duo, artifacts: Path, name: str, settle: float = 1.0) -> None:
    """Full-page screenshot (window stretched to the page height, then restored)."""
    time.sleep(settle)  # let plotly finish drawing
    driver = dash_duo.driver
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(max(int(height) + 140, 1000), 4000))
    time.sleep(0.5)
    driver.save_screenshot(str(artifacts / f"{name}.png"))
    driver.set_window_size(1400, 1000)


def _wait_map(dash_duo, timeout: int = 30) -> None:
    WebDriverWait(dash_duo.driver, timeout).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#riskmap-graph .choroplethlocation")))


def _nav_text(dash_duo) -> str:
    return dash_duo.find_element("#shell-nav").text


def test_public_sees_aggregates_only(dash_duo, make_app, artifacts: Path) -> None:
    dash_duo.start_server(make_app())
    dash_duo.wait_for_element("#overview-kpis", timeout=20)
    assert "발굴 대상자 목록" not in _nav_text(dash_duo) and "위험 지도" in _nav_text(dash_duo)
    assert dash_duo.find_element("#login-link").text == "로그인"
    _shot(dash_duo, artifacts, "overview_public")
    _go(dash_duo, "/risk-map", "#riskmap-graph")
    _wait_map(dash_duo)
    assert not dash_duo.find_elements("#riskmap-graph .scattergeo .point")
    _shot(dash_duo, artifacts, "risk_map_public_national", settle=2)
    _go(dash_duo, "/visits", "#access-notice")
    assert "로그인" in dash_duo.find_element("#access-notice").text
    assert not dash_duo.find_elements("#visits-table")
    _go(dash_duo, "/case/1", "#access-notice")
    assert not dash_duo.find_elements("#case-activities")
    _go(dash_duo, "/model-card", "#card-missing")
    assert "atlas model-card" in dash_duo.find_element("#card-missing").text
    _shot(dash_duo, artifacts, "model_card_missing")
    assert dash_duo.get_logs() == [] or all(e["level"] != "SEVERE" for e in dash_duo.get_logs())


def test_outreach_worker_day(dash_duo, make_app, world: World, artifacts: Path) -> None:
    dash_duo.start_server(make_app())
    _login(dash_duo, "outreach")
    assert "발굴 대상자 목록" in _nav_text(dash_duo)
    assert OUTREACH_EMD in dash_duo.find_element("#user-badge").text
    _shot(dash_duo, artifacts, "overview_outreach")

    # the visit list: own 읍면동 only, masked names, tick three rows, plan the route
    _go(dash_duo, "/visits", "#visits-table")
    dash_duo.wait_for_contains_text("#visits-count", "50가구", timeout=20)
    first_row = dash_duo.find_element("#visits-table tbody tr").text
    assert "*" in first_row and "긴급" in first_row
    boxes = dash_duo.find_elements("#visits-table .atlas-row-select input")
    for box in boxes[:4]:
        box.click()
    dash_duo.find_element("#visits-route-btn").click()
    dash_duo.wait_for_element("#visits-route-map .scattergeo", timeout=20)
    dash_duo.wait_for_contains_text("#visits-route-table", "km", timeout=10)
    _shot(dash_duo, artifacts, "visit_list_outreach", settle=2)

    # open the first case and log a visit: it shows at once
    link = dash_duo.find_element("#visits-table tbody tr a")
    href = link.get_attribute("href")
    link.click()
    dash_duo.wait_for_element("#case-activities", timeout=20)
    assert "*" in dash_duo.find_element(".atlas-table").text  # masked member names
    dash_duo.select_dcc_dropdown("#case-outcome", value="공적지원 연계")
    dash_duo.find_element("#case-note").send_keys("방문 상담, 기초생활보장 신청 안내")
    dash_duo.find_element("#case-save").click()
    dash_duo.wait_for_contains_text("#case-activities", "기초생활보장 신청 안내", timeout=15)
    assert "저장했습니다" in dash_duo.find_element("#case-message").text
    _shot(dash_duo, artifacts, "case_outreach")
    assert href.rsplit("/", 1)[-1].isdigit()

    # the risk map: drill into 세종 and see own households as points
    _go(dash_duo, "/risk-map", "#riskmap-graph")
    _wait_map(dash_duo)
    dash_duo.select_dcc_dropdown("#riskmap-region", value="세종특별자치시")
    dash_duo.wait_for_contains_text("#riskmap-title", "세종특별자치시", timeout=20)
    WebDriverWait(dash_duo.driver, 20).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#riskmap-graph .scattergeo path.point")))
    _shot(dash_duo, artifacts, "risk_map_outreach_emd", settle=2)

    # someone else's household is refused (and the refusal is audited)
    foreign = int(world.households.loc[world.households["emd_code"] != OUTREACH_EMD,
                                       "household_id"].iloc[0])
    _go(dash_duo, f"/case/{foreign}", "#case-denied")
    assert not dash_duo.find_elements("#case-activities")


def test_planner_sees_suppressed_aggregates_and_hotspots(dash_duo, make_app, artifacts: Path) -> None:
    dash_duo.start_server(make_app())
    _login(dash_duo, "planner")
    assert "발굴 대상자 목록" not in _nav_text(dash_duo)
    _go(dash_duo, "/risk-map", "#riskmap-graph")
    _wait_map(dash_duo)
    points_box = dash_duo.find_elements("#riskmap-layers input")[1]
    assert not points_box.is_enabled()
    dash_duo.select_dcc_dropdown("#riskmap-region", value="세종특별자치시")
    dash_duo.wait_for_contains_text("#riskmap-table", "비공개", timeout=20)
    assert not dash_duo.find_elements("#riskmap-graph .scattergeo path.point")
    _shot(dash_duo, artifacts, "risk_map_planner_emd", settle=2)
    dash_duo.find_elements("#riskmap-colour input")[2].click()  # Gi* hotspots
    dash_duo.wait_for_contains_text("#riskmap-note", "순열검정", timeout=120)
    dash_duo.wait_for_contains_text("#riskmap-graph", "유의하지 않음", timeout=30)
    _shot(dash_duo, artifacts, "risk_map_planner_hotspots", settle=2)
    _go(dash_duo, "/visits", "#access-notice")
    assert "권한" in dash_duo.find_element("#access-notice").text


def test_ministry_and_admin(dash_duo, make_app, artifacts: Path) -> None:
    dash_duo.start_server(make_app())
    _login(dash_duo, "ministry")
    dash_duo.wait_for_element("#overview-kpis", timeout=20)
    assert "발굴 대상자 목록" not in _nav_text(dash_duo)
    _shot(dash_duo, artifacts, "overview_ministry")
    dash_duo.find_element("#shell-logout").click()
    dash_duo.wait_for_element("#login-link", timeout=15)
    _login(dash_duo, "admin")
    _go(dash_duo, "/visits", "#visits-table")
    dash_duo.wait_for_contains_text("#visits-count", "50가구", timeout=20)
    _shot(dash_duo, artifacts, "visit_list_admin")


def test_english_toggle(dash_duo, make_app, artifacts: Path) -> None:
    dash_duo.start_server(make_app())
    dash_duo.wait_for_element("#overview-kpis", timeout=20)
    dash_duo.find_element("#lang-toggle").click()
    dash_duo.wait_for_contains_text("#shell-nav", "Overview", timeout=15)
    assert "Risk map" in _nav_text(dash_duo)
    _go(dash_duo, "/risk-map", "#riskmap-graph")
    _wait_map(dash_duo)
    _shot(dash_duo, artifacts, "risk_map_public_en", settle=2)
    dash_duo.find_element("#lang-toggle").click()
    dash_duo.wait_for_contains_text("#shell-nav", "위험 지도", timeout=15)
