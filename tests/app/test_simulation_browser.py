"""Browser tests of the criteria simulation (headless Chromium, dash_duo), with screenshots in
``tests/artifacts/``: the planner's view of their 시군구 with a saved-scenario comparison, and
the ministry's national view in English with a side-by-side comparison."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.app.conftest import CHROMIUM
from tests.fixtures_world import PASSWORDS, World
from tests.simulation_fixtures import save_audit_artifact

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed"),
]


def _shot(dash_duo, artifacts: Path, name: str) -> None:
    time.sleep(0.8)
    driver = dash_duo.driver
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(max(int(height) + 140, 1000), 4000))
    time.sleep(0.8)
    driver.save_screenshot(str(artifacts / f"{name}.png"))
    driver.set_window_size(1400, 1000)


def _login(dash_duo, username: str) -> None:
    dash_duo.driver.get(f"{dash_duo.server_url}/login")
    dash_duo.driver.find_element(By.ID, "username").send_keys(username)
    dash_duo.driver.find_element(By.ID, "password").send_keys(PASSWORDS[username])
    dash_duo.driver.find_element(By.ID, "login-submit").click()
    dash_duo.wait_for_element("#user-badge", timeout=15)


def _mode(dash_duo, signal: str, mode: str) -> None:
    box = dash_duo.find_element(f"#sim-mode-{signal}")
    box.find_element(By.CSS_SELECTOR, f"input[value='{mode}']").click()


def _type(dash_duo, selector: str, text: str) -> None:
    box = dash_duo.find_element(selector)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys(text)


def _save(dash_duo, name: str) -> None:
    _type(dash_duo, "#sim-name", name)
    dash_duo.find_element("#sim-save").click()
    dash_duo.wait_for_text_to_equal("#sim-save-note", f"저장했습니다: {name}", timeout=20)


def _compare(dash_duo, names: list[str]) -> str:
    boxes = dash_duo.find_element("#sim-saved")
    for label in boxes.find_elements(By.TAG_NAME, "label"):
        if any(label.text.startswith(n + " ·") for n in names):
            label.find_element(By.TAG_NAME, "input").click()
    dash_duo.find_element("#sim-compare").click()
    dash_duo.wait_for_element("#sim-comparison-table", timeout=30)
    return dash_duo.find_element("#sim-comparison-table").text


def _app_with_model(make_app, world: World, tmp_path: Path):
    """An app whose registry holds the world's model with audit test rows."""
    save_audit_artifact(world.households, tmp_path / "var" / "models")
    return make_app(data_dir=tmp_path / "var")


def test_planner_simulates_saves_and_compares(dash_duo, make_app, world: World, tmp_path: Path,
                                              artifacts: Path) -> None:
    dash_duo.start_server(_app_with_model(make_app, world, tmp_path))
    _login(dash_duo, "planner")
    assert "발굴 기준 시뮬레이션" in dash_duo.find_element("#shell-nav").text
    dash_duo.driver.get(f"{dash_duo.server_url}/simulation")
    dash_duo.wait_for_element("#sim-run", timeout=20)
    _mode(dash_duo, "isolation", "include")
    dash_duo.find_element("#sim-run").click()
    dash_duo.wait_for_element("#sim-result-body", timeout=30)
    matrix = dash_duo.find_element("#sim-matrix").text
    assert "현행 1등급" in matrix and "→ 4등급" in matrix
    assert "비공개" in dash_duo.find_element("#sim-result-body").text  # small cells hidden
    precision = dash_duo.find_element("#sim-precision-line").text
    assert "현행" in precision and "시나리오" in precision and "[" in precision
    dash_duo.wait_for_element("#sim-map .choropleth, #sim-map .geo", timeout=20)
    _shot(dash_duo, artifacts, "simulation_planner")

    _save(dash_duo, "고립 포함")
    _mode(dash_duo, "isolation", "off")
    dash_duo.find_element("#sim-age65 input").click()
    _save(dash_duo, "65세 이상만")
    text = _compare(dash_duo, ["고립 포함", "65세 이상만"])
    assert "고립 포함" in text and "65세 이상만" in text and "등급이 바뀌는 가구" in text
    _shot(dash_duo, artifacts, "simulation_planner_compare")

    _type(dash_duo, "#sim-financial-cap", "-5")
    dash_duo.find_element("#sim-run").click()
    dash_duo.wait_for_element("#sim-error-box", timeout=20)
    error = dash_duo.find_element("#sim-error-box").text
    assert "금융연체 한도" in error and "financial-delinquency cap" in error
    severe = [e for e in dash_duo.get_logs() if e["level"] == "SEVERE"]
    assert not severe, severe


def test_ministry_simulates_nationally_in_english_and_compares(
        dash_duo, make_app, world: World, tmp_path: Path, artifacts: Path) -> None:
    dash_duo.start_server(_app_with_model(make_app, world, tmp_path))
    _login(dash_duo, "ministry")
    dash_duo.driver.get(f"{dash_duo.server_url}/lang/en")
    dash_duo.driver.get(f"{dash_duo.server_url}/simulation")
    dash_duo.wait_for_element("#sim-run", timeout=20)
    assert "Discovery-criteria simulation" in dash_duo.find_element("h1").text
    _mode(dash_duo, "elderly", "boost")
    _type(dash_duo, "#sim-weight-elderly", "2")
    _mode(dash_duo, "financial_delinquency", "include")
    _type(dash_duo, "#sim-financial-cap", "20,000,000")
    dash_duo.find_element("#sim-run").click()
    dash_duo.wait_for_element("#sim-result-body", timeout=40)
    body = dash_duo.find_element("#sim-result-body").text
    assert "Current tier 1" in body and "Visits this cycle" in body
    assert "effective rows" in dash_duo.find_element("#sim-precision-line").text
    _shot(dash_duo, artifacts, "simulation_ministry")

    _type(dash_duo, "#sim-name", "national elderly boost")
    dash_duo.find_element("#sim-save").click()
    dash_duo.wait_for_text_to_equal("#sim-save-note", "Saved: national elderly boost", timeout=20)
    _type(dash_duo, "#sim-name", "national 65+ only")
    _mode(dash_duo, "elderly", "off")
    _mode(dash_duo, "financial_delinquency", "off")
    dash_duo.find_element("#sim-age65 input").click()
    dash_duo.find_element("#sim-save").click()
    dash_duo.wait_for_text_to_equal("#sim-save-note", "Saved: national 65+ only", timeout=20)
    text = _compare(dash_duo, ["national elderly boost", "national 65+ only"])
    assert "national elderly boost" in text and "Households changing tier" in text
    saved = dash_duo.find_element("#sim-saved").text
    assert "national 65+ only · ministry · Nationwide ·" in saved and "nan" not in saved
    _shot(dash_duo, artifacts, "simulation_ministry_compare")
    severe = [e for e in dash_duo.get_logs() if e["level"] == "SEVERE"]
    assert not severe, severe
