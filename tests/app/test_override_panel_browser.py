"""Browser: the visit list flags a tier that overrides push over capacity and lists past overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from services.casework import override_tier
from services.scores import current_scores
from tests.app.conftest import CHROMIUM
from tests.app.test_app_browser import _go, _login, _shot
from tests.fixtures_world import OUTREACH, OUTREACH_EMD, World, build_world

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed"),
]


SETUP: dict[str, int] = {}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The test world where the outreach worker moved one more household into tier 1 than it
    has seats (and changed one of them twice)."""
    w = build_world(tmp_path_factory.mktemp("override-panel") / "store")
    own = current_scores(w.store, where={"jurisdiction_code": OUTREACH_EMD})
    seats = int((own["model_tier"] == 1).sum())
    worst = int(own["model_tier"].max())
    low = own[own["model_tier"] == worst].sort_values("rank")["household_id"].astype(int).tolist()
    override_tier(w.store, OUTREACH, low[0], tier=2, reason_code="field_observation", note="첫 조정")
    for hid in low[: seats + 1]:
        override_tier(w.store, OUTREACH, hid, tier=1, reason_code="urgent_report")
    SETUP.update(seats=seats, worst=worst)
    return w


def test_capacity_flag_and_override_history(dash_duo, make_app, world: World, artifacts: Path) -> None:
    dash_duo.start_server(make_app())
    _login(dash_duo, "outreach")
    _go(dash_duo, "/visits", "#visits-table")
    flag = dash_duo.find_element("#visits-capacity").text
    assert "방문 역량 초과" in flag and f"정원 {SETUP['seats']}가구" in flag
    dash_duo.driver.find_element(By.CSS_SELECTOR, "#visits-override-history summary").click()
    rows = [r.text for r in dash_duo.find_elements("#visits-override-history-table tbody tr")]
    assert len(rows) == SETUP['seats'] + 2  # every override, the replaced one included
    assert sum("새 조정으로 대체" in r for r in rows) == 1
    assert sum("적용 중" in r for r in rows) == SETUP['seats'] + 1
    assert any(f"{SETUP['worst']} → 2" in r for r in rows) and any("2 → 1" in r for r in rows)
    _shot(dash_duo, artifacts, "visit_list_override_history", settle=1)
