"""Browser: the visit list's 'flagged >= 2 times, never supported' filter and its columns."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from selenium.webdriver.common.by import By

from tests.app.conftest import CHROMIUM
from tests.app.test_app_browser import _go, _login, _shot
from tests.fixtures_world import OUTREACH_EMD, World, build_world

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed"),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The test world where two households of the team were flagged 3 and 2 times, never
    helped, and one twice with support."""
    w = build_world(tmp_path_factory.mktemp("flags-browser") / "store")
    own = w.households.loc[w.households["emd_code"] == OUTREACH_EMD, "household_id"].astype(int)
    a, b, c = own.iloc[[5, 9, 12]].tolist()
    rows = [(a, "not_eligible"), (a, "unreachable"), (a, "not_eligible"), (b, "unreachable"),
            (b, "not_eligible"), (c, "unreachable"), (c, "supported")]
    w.store.write_frame("discovery_history", pd.DataFrame([
        {"discovery_id": k + 1, "household_id": h, "cycle_date": dt.date(2025, 1 + k, 1),
         "selection": "legacy_rule", "legacy_signal_count": 2, "outcome": o,
         "outcome_date": dt.date(2025, 1 + k, 20)} for k, (h, o) in enumerate(rows)]))
    return w


def test_repeat_unhelped_filter(dash_duo, make_app, artifacts: Path) -> None:
    dash_duo.start_server(make_app())
    _login(dash_duo, "outreach")
    _go(dash_duo, "/visits", "#visits-table")
    dash_duo.wait_for_contains_text("#visits-count", "50가구", timeout=20)
    headers = dash_duo.find_element("#visits-table thead").text
    assert "발굴 횟수" in headers and "방문·미지원" in headers
    dash_duo.driver.find_element(By.CSS_SELECTOR, "#visits-repeat-unhelped input").click()
    dash_duo.wait_for_contains_text("#visits-count", "2가구", timeout=20)
    rows = [r.text for r in dash_duo.find_elements("#visits-table tbody tr")]
    assert len(rows) == 2 and all("*" in r for r in rows)
    _shot(dash_duo, artifacts, "visit_list_repeat_unhelped", settle=1)
