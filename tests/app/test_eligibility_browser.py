"""Browser tests of the eligibility pages (headless Chromium, dash_duo), with screenshots in
``tests/artifacts/``: the public 모의계산 (a result and bad input) and the case-page panel."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.app.conftest import CHROMIUM
from tests.fixtures_world import OUTREACH_EMD, PASSWORDS, World

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed"),
]


def _shot(dash_duo, artifacts: Path, name: str) -> None:
    time.sleep(0.5)
    driver = dash_duo.driver
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(max(int(height) + 140, 1000), 4000))
    time.sleep(0.5)
    driver.save_screenshot(str(artifacts / f"{name}.png"))
    driver.set_window_size(1400, 1000)


def _type(dash_duo, field: str, text: str) -> None:
    box = dash_duo.find_element(f"#mc-{field}")
    box.send_keys(Keys.CONTROL, "a")  # select all, then type over it (clear() skips React)
    box.send_keys(Keys.DELETE)
    box.send_keys(text)


def test_public_calculator_explains_and_refuses_bad_input(dash_duo, make_app, artifacts: Path) -> None:
    dash_duo.start_server(make_app())
    dash_duo.driver.get(f"{dash_duo.server_url}/mock-calc")
    dash_duo.wait_for_element("#mc-submit", timeout=20)
    assert "복지 모의계산" in dash_duo.find_element("#shell-nav").text  # open without login
    _type(dash_duo, "date", "2026-03-01")
    _type(dash_duo, "other_income", "612,300")
    dash_duo.find_element("#mc-submit").click()
    dash_duo.wait_for_element("#mc-decisions", timeout=20)
    first = dash_duo.find_element("#mc-decisions li[data-programme='livelihood']")
    assert "소득인정액 612,300원 ≤ 생계급여 기준 820,556원 (1인, 2026)" in first.text
    assert first.get_attribute("data-eligible") == "true"
    first.find_element(By.TAG_NAME, "summary").click()
    _shot(dash_duo, artifacts, "mock_calc_result")

    _type(dash_duo, "other_income", "-5")
    _type(dash_duo, "size", "11")
    _type(dash_duo, "debt", "lots")
    dash_duo.find_element("#mc-submit").click()
    WebDriverWait(dash_duo.driver, 20).until(ec.presence_of_element_located((By.ID, "mc-errors")))
    errors = dash_duo.find_element("#mc-errors").text
    assert "음수" in errors and "1–10" in errors and "숫자로" in errors
    assert not dash_duo.find_elements("#mc-decisions")
    _shot(dash_duo, artifacts, "mock_calc_errors")
    assert all(e["level"] != "SEVERE" for e in dash_duo.get_logs())


def test_case_page_shows_the_eligibility_panel_and_the_blind_spot_flag(
        dash_duo, make_app, world: World, artifacts: Path) -> None:
    own = world.households[world.households["emd_code"] == OUTREACH_EMD]
    hid = int(own.sort_values("income_monthly_krw")["household_id"].iloc[0])
    dash_duo.start_server(make_app())
    dash_duo.driver.get(f"{dash_duo.server_url}/login")
    dash_duo.driver.find_element(By.ID, "username").send_keys("outreach")
    dash_duo.driver.find_element(By.ID, "password").send_keys(PASSWORDS["outreach"])
    dash_duo.driver.find_element(By.ID, "login-submit").click()
    dash_duo.wait_for_element("#user-badge", timeout=15)
    dash_duo.driver.get(f"{dash_duo.server_url}/case/{hid}")
    dash_duo.wait_for_element("#case-eligibility-list", timeout=20)
    flag = dash_duo.find_element("#case-eligibility-flag").text
    assert "사각지대 의심" in flag and "생계급여" in flag
    livelihood = dash_duo.find_element("#case-eligibility-list li[data-programme='livelihood']")
    assert livelihood.get_attribute("data-eligible") == "true" and "미수급" in livelihood.text
    assert "소득인정액" in livelihood.text and "생계급여 기준" in livelihood.text
    livelihood.find_element(By.TAG_NAME, "summary").click()
    dash_duo.driver.execute_script(
        "document.getElementById('case-eligibility').scrollIntoView();")
    _shot(dash_duo, artifacts, "case_eligibility_panel")
    assert world.store.audit.rows(action="view_eligibility")["object_id"].eq(str(hid)).any()
    severe = [e for e in dash_duo.get_logs() if e["level"] == "SEVERE"]
    assert not severe, severe


def _login(dash_duo, username: str) -> None:
    dash_duo.driver.get(f"{dash_duo.server_url}/login")
    dash_duo.driver.find_element(By.ID, "username").send_keys(username)
    dash_duo.driver.find_element(By.ID, "password").send_keys(PASSWORDS[username])
    dash_duo.driver.find_element(By.ID, "login-submit").click()
    dash_duo.wait_for_element("#user-badge", timeout=15)


def _with_property(world: World, root: Path):
    """An app over a copy of the world whose households own property, financial assets and
    income (the shared world has none, so the standardisation would change nothing)."""
    from app.main import create_app
    from geodata.settings import Settings
    from tests.fixtures_world import copy_world

    copy = copy_world(world, root / "store")
    hh = copy.store.read_frame("household")
    rng = np.random.default_rng(11)
    n = len(hh)
    hh["property_residential_krw"] = np.where(rng.random(n) < 0.6, rng.uniform(0, 3e8, n), 0.0)
    hh["property_general_krw"] = np.where(rng.random(n) < 0.3, rng.uniform(0, 1e8, n), 0.0)
    hh["financial_assets_krw"] = rng.uniform(0, 3e7, n)
    hh["income_monthly_krw"] = rng.uniform(0, 2.5e6, n)
    copy.store.write_frame("household", hh)
    return create_app(copy.store, Settings(data_dir=root / "var", database_url=None))


def test_reform_view_for_ministry_and_planner(dash_duo, world: World, tmp_path: Path,
                                              artifacts: Path) -> None:
    dash_duo.start_server(_with_property(world, tmp_path))
    _login(dash_duo, "ministry")
    dash_duo.driver.get(f"{dash_duo.server_url}/reform")
    dash_duo.wait_for_element("#reform-programmes", timeout=30)
    WebDriverWait(dash_duo.driver, 30).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, "#reform-map .choroplethlocation")))
    text = dash_duo.find_element("#reform-programmes").text
    assert "생계급여" in text and "차상위계층" in text
    assert "전국" in dash_duo.driver.find_element(By.TAG_NAME, "body").text
    gainers = dash_duo.find_element("#reform-gainers .atlas-kpi-value").text
    losers = dash_duo.find_element("#reform-losers .atlas-kpi-value").text
    assert int(gainers.replace(",", "")) > 0 and int(losers.replace(",", "")) > 0
    _shot(dash_duo, artifacts, "reform_ministry")
    dash_duo.driver.get(f"{dash_duo.server_url}/logout")
    _login(dash_duo, "planner")
    dash_duo.driver.get(f"{dash_duo.server_url}/reform")
    dash_duo.wait_for_element("#reform-by-region", timeout=30)
    assert "비공개" in dash_duo.find_element("#reform-by-region").text  # 연기면: 3 households
    _shot(dash_duo, artifacts, "reform_planner")
    assert all(e["level"] != "SEVERE" for e in dash_duo.get_logs())
