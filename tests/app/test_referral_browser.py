"""Referral end to end in headless Chromium, one role after another on one world:
the outreach worker sends and registers a need, the provider accepts and completes (현원 moves),
the planner sees the registered needs (suppressed), the admin finds the audit entries.
Screenshots go to ``tests/artifacts/referral_*.png``.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from geodata.store.embedded import EmbeddedStore
from tests.app.conftest import CHROMIUM
from tests.fixtures_world import OUTREACH_EMD, PASSWORDS, World

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed"),
]


def _login(dash_duo, username: str) -> None:
    dash_duo.driver.delete_all_cookies()
    dash_duo.driver.get(f"{dash_duo.server_url}/login")
    dash_duo.driver.find_element(By.ID, "username").send_keys(username)
    dash_duo.driver.find_element(By.ID, "password").send_keys(PASSWORDS[username])
    dash_duo.driver.find_element(By.ID, "login-submit").click()
    dash_duo.wait_for_element("#user-badge", timeout=15)


def _go(dash_duo, path: str, ready: str) -> None:
    dash_duo.driver.get(f"{dash_duo.server_url}{path}")
    dash_duo.wait_for_element(ready, timeout=20)


def _shot(dash_duo, artifacts: Path, name: str) -> None:
    time.sleep(0.8)
    driver = dash_duo.driver
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, min(max(int(height) + 140, 1000), 4000))
    time.sleep(0.4)
    driver.save_screenshot(str(artifacts / f"{name}.png"))
    driver.set_window_size(1400, 1000)


def _act(dash_duo, referral_id: int, action: str, *, outcome: str | None = None) -> None:
    """Pick the referral, the action and outcome by their Korean labels, and submit."""
    box = dash_duo.find_element("#ref-act-id")
    box.clear()
    box.send_keys(str(referral_id))
    dash_duo.select_dcc_dropdown("#ref-act-action", value=action)
    if outcome:
        dash_duo.select_dcc_dropdown("#ref-act-outcome", value=outcome)
    dash_duo.find_element("#ref-act-save").click()
    dash_duo.wait_for_contains_text("#ref-act-message", "처리했습니다", timeout=15)


@pytest.fixture
def own_world(world: World, tmp_path: Path) -> World:
    """A copy of the session world: this test writes referrals, needs and 현원."""
    root = tmp_path / "world"
    shutil.copytree(world.root, root)
    return World(root=root, store=EmbeddedStore(root), households=world.households)


def test_referral_round_trip_by_role(dash_duo, own_world: World, tmp_path: Path, artifacts: Path) -> None:
    from app.main import create_app
    from geodata.settings import Settings

    store = own_world.store
    dash_duo.start_server(create_app(store, Settings(data_dir=tmp_path / "var", database_url=None)))
    hid = int(own_world.households.loc[own_world.households["emd_code"] == OUTREACH_EMD,
                                       "household_id"].iloc[0])

    # outreach: the case page links to the referral panel; send with consent
    _login(dash_duo, "outreach")
    _go(dash_duo, f"/case/{hid}", "#case-activities")
    link = dash_duo.driver.find_element(By.CSS_SELECTOR, f"a[href='/referrals?household_id={hid}']")
    link.click()
    dash_duo.wait_for_element("#ref-send", timeout=20)
    facility_label = dash_duo.find_element("#ref-facility").text
    assert "빈자리" in facility_label
    dash_duo.find_element("#ref-send").click()  # no consent yet: refused
    dash_duo.wait_for_contains_text("#ref-send-message", "동의", timeout=15)
    dash_duo.find_element("#ref-consent input").click()
    dash_duo.find_element("#ref-note").send_keys("주간 돌봄 연계 요청")
    dash_duo.find_element("#ref-send").click()
    dash_duo.wait_for_contains_text("#ref-send-message", "의뢰를 보냈습니다", timeout=15)
    dash_duo.wait_for_contains_text("#ref-household-list", "요청", timeout=10)
    _go(dash_duo, f"/case/{hid}", "#case-activities")  # the case page's link shows the status
    case_link = dash_duo.driver.find_element(By.CSS_SELECTOR, f"a[href='/referrals?household_id={hid}']")
    assert case_link.text == "서비스 의뢰 · 요청"
    case_link.click()
    dash_duo.wait_for_element("#ref-need-save", timeout=20)
    dash_duo.select_dcc_dropdown("#ref-need-kind", index=0)
    dash_duo.find_element("#ref-need-save").click()
    dash_duo.wait_for_contains_text("#ref-need-message", "욕구를 등록했습니다", timeout=15)
    _shot(dash_duo, artifacts, "referral_outreach_send")
    rid = int(store.referrals.list(household_ids=[hid]).iloc[0]["referral_id"])
    fid = int(store.referrals.get(rid)["facility_id"])
    users_before = int(store.read_frame("facility", where={"facility_id": fid}).iloc[0]["current_users"])

    # provider: the inbox shows the referral with masked data; accept, start, complete
    _login(dash_duo, "provider")
    _go(dash_duo, "/referrals", "#ref-list")
    inbox = dash_duo.find_element("#ref-list").text
    assert str(rid) in inbox and "*" in inbox and "주간 돌봄 연계 요청" in inbox
    assert dash_duo.find_element("#ref-occ-users").get_attribute("value") == str(users_before)
    _act(dash_duo, rid, "수락")
    _act(dash_duo, rid, "서비스 시작")
    _act(dash_duo, rid, "완료", outcome="성공")
    dash_duo.wait_for_contains_text("#ref-list", "완료", timeout=10)
    _go(dash_duo, "/referrals", "#ref-list")
    assert dash_duo.find_element("#ref-occ-users").get_attribute("value") == str(users_before + 1)
    _shot(dash_duo, artifacts, "referral_provider_inbox")
    assert int(store.read_frame("facility", where={"facility_id": fid}).iloc[0]["current_users"]) == (
        users_before + 1)

    # planner: the supply page lists the registered need (one need: a suppressed cell)
    _login(dash_duo, "planner")
    _go(dash_duo, "/supply", "#needs-section")
    section = dash_duo.find_element("#needs-section")
    assert OUTREACH_EMD in section.text and "비공개" in section.text
    dash_duo.driver.execute_script("arguments[0].scrollIntoView();", section)
    time.sleep(0.5)
    section.screenshot(str(artifacts / "referral_planner_needs.png"))

    # admin: the console finds every step of the referral in the audit log
    _login(dash_duo, "admin")
    _go(dash_duo, "/admin", "#admin-audit")
    dash_duo.find_element("#admin-filter-action").send_keys("referral")
    dash_duo.find_element("#admin-filter-apply").click()
    dash_duo.wait_for_contains_text("#admin-audit", "referral_complete", timeout=15)
    audit_text = dash_duo.find_element("#admin-audit").text
    assert all(step in audit_text for step in ("referral_accept", "referral_start", "referral_complete"))
    assert "provider" in dash_duo.find_element("#admin-users").text
    _shot(dash_duo, artifacts, "referral_admin_audit")
    severe = [e for e in dash_duo.get_logs() or [] if e["level"] == "SEVERE"]
    assert severe == [], severe
