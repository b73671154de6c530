"""The national map on a generated world covering all of Korea (every 시군구), in Chromium.

Uses the lead's generator (``etl.generate``) with quick synthetic scores, so the screenshot
shows the real national 시군구 layer, a 읍면동 drill-down and the model card frame.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.app.conftest import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed"),
]


@pytest.fixture(scope="module")
def national_store(tmp_path_factory: pytest.TempPathFactory):
    generate = pytest.importorskip("etl.generate")
    from benchmarks.bench_app import synthetic_scores
    from etl.load import load_world
    from etl.regions import cached_region_layers
    from geodata.store.embedded import EmbeddedStore
    from services.users import ensure_demo_users

    world = generate.generate_world(6000, 7, None, regions=cached_region_layers())
    store = EmbeddedStore(tmp_path_factory.mktemp("national") / "store")
    store.init()
    load_world(store, world)
    store.write_frame("risk_score", synthetic_scores(world["household"]))
    top = world["household"]["emd_code"].value_counts().index[0]
    ensure_demo_users(store, jurisdictions={"outreach": top, "planner": top[:5]})
    return store


def _shot(driver, path: Path) -> None:
    time.sleep(2)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(max(int(height) + 140, 1000), 4000))
    time.sleep(0.5)
    driver.save_screenshot(str(path))
    driver.set_window_size(1400, 1000)


def test_national_map_and_model_card(dash_duo, national_store, artifacts: Path, tmp_path: Path
                                     ) -> None:
    from app.main import create_app
    from geodata.settings import Settings

    card = tmp_path / "var" / "model_card"
    card.mkdir(parents=True)
    (card / "model_card.html").write_text("<html><body><h1>모형 카드 (시험)</h1><p>ROC-AUC 0.81</p>"
                                     "</body></html>", encoding="utf-8")
    app = create_app(national_store, Settings(data_dir=tmp_path / "var"), warm_up=False)
    dash_duo.start_server(app)
    driver = dash_duo.driver
    driver.get(f"{dash_duo.server_url}/risk-map")
    WebDriverWait(driver, 40).until(ec.presence_of_element_located(
        (By.CSS_SELECTOR, "#riskmap-graph .choroplethlocation")))
    n_regions = len(driver.find_elements(By.CSS_SELECTOR, "#riskmap-graph .choroplethlocation"))
    assert n_regions > 200  # every 시군구 of Korea
    _shot(driver, artifacts / "risk_map_national_korea.png")
    dash_duo.find_element("#riskmap-region").click()  # many options: search, then pick
    # The menu (and its search box) is drawn after the click, from a lazily loaded script: type
    # into the box once it is there, not into whatever has the focus at that moment (on a busy
    # machine the keys went to the closed dropdown and no option ever matched).
    search = WebDriverWait(driver, 30).until(ec.element_to_be_clickable(
        (By.CSS_SELECTOR, "input.dash-dropdown-search")))  # the one open menu's
    search.send_keys("관악구")
    option = WebDriverWait(driver, 30).until(lambda d: next(
        (o for o in d.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")
         if o.text == "서울특별시 관악구"), False))
    option.click()
    dash_duo.wait_for_contains_text("#riskmap-title", "관악구", timeout=30)
    _shot(driver, artifacts / "risk_map_national_drill_gwanak.png")
    driver.get(f"{dash_duo.server_url}/model-card")
    dash_duo.wait_for_element("#card-frame", timeout=20)
    driver.switch_to.frame(driver.find_element(By.ID, "card-frame"))
    assert "ROC-AUC" in driver.find_element(By.TAG_NAME, "body").text
    driver.switch_to.default_content()
    _shot(driver, artifacts / "model_card_present.png")
