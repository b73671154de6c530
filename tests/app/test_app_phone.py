"""Field use on a phone (390 × 844 CSS pixels): the outreach pages fit the width, the navigation
collapses behind a menu button, text follows KRDS's mobile type scale and touch targets are at
least 44 px. Screenshots of each page go to ``tests/artifacts/phone_*.png``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from tests.app.conftest import CHROMIUM
from tests.fixtures_world import PASSWORDS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed"),
]

WIDTH, HEIGHT = 390, 844
#: Interactive elements whose boxes must be at least 44 × 44 px (visible ones only).
TARGETS = ("button, a.atlas-button, .atlas-nav-link, .atlas-menu-button, input[type=text], "
           "input[type=password], textarea, .dash-dropdown, input[type=checkbox], input[type=radio]")


def _phone(dash_duo) -> None:
    driver = dash_duo.driver
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1,
                            "mobile": True})


def _settle(dash_duo, seconds: float = 1.5) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and dash_duo.driver.execute_script(
            "return document.querySelectorAll('[data-dash-is-loading=\"true\"]').length"):
        time.sleep(0.3)
    time.sleep(seconds)


def _overflow(driver) -> int:
    return int(driver.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def _widest(driver) -> list[str]:
    """Elements that stick out of the viewport (for the failure message)."""
    return driver.execute_script("""
        const w = document.documentElement.clientWidth, out = [];
        for (const el of document.body.querySelectorAll('*')) {
          const r = el.getBoundingClientRect();
          if (r.right > w + 0.5 && getComputedStyle(el).position !== 'fixed')
            out.push((el.id || el.className || el.tagName) + ' ' + Math.round(r.right));
        }
        return out.slice(0, 8);""")


def _small_targets(driver) -> list[str]:
    return driver.execute_script(f"""
        const out = [];
        for (const el of document.querySelectorAll({TARGETS!r})) {{
          const r = el.getBoundingClientRect();
          const style = getComputedStyle(el);
          if (r.width === 0 || r.height === 0 || style.visibility === 'hidden') continue;
          // a checkbox or radio counts with its label (the label is the touch target)
          const box = (el.type === 'checkbox' || el.type === 'radio') && el.closest('label')
            ? el.closest('label').getBoundingClientRect() : r;
          if (box.height < 44 || box.width < 44)
            out.push((el.id || el.className || el.tagName) + ' ' + Math.round(box.width) + 'x'
                     + Math.round(box.height));
        }}
        return out;""")


def _shot(driver, artifacts: Path, name: str) -> None:
    driver.save_screenshot(str(artifacts / f"phone_{name}.png"))


def test_outreach_pages_on_a_phone(dash_duo, make_app, artifacts: Path) -> None:
    dash_duo.start_server(make_app())
    _phone(dash_duo)
    driver = dash_duo.driver
    driver.get(f"{dash_duo.server_url}/login")
    dash_duo.wait_for_element("#username", timeout=15)
    assert _overflow(driver) <= 0
    _shot(driver, artifacts, "login")
    driver.find_element(By.ID, "username").send_keys("outreach")
    driver.find_element(By.ID, "password").send_keys(PASSWORDS["outreach"])
    driver.find_element(By.ID, "login-submit").click()
    dash_duo.wait_for_element("#user-badge", timeout=20)

    # the navigation is collapsed behind a menu button; opening it shows the links
    driver.get(f"{dash_duo.server_url}/visits")
    dash_duo.wait_for_element("a[href^='/case/']", timeout=30)
    _settle(dash_duo)
    nav = driver.find_element(By.ID, "shell-nav")
    assert not nav.is_displayed()
    header_h = driver.execute_script("return document.querySelector('.atlas-header').offsetHeight")
    assert header_h <= 120, f"header takes {header_h} px of {HEIGHT}"
    # the filters are closed, their summary says what is active, and the list's first rows are
    # on the first screen
    filters = driver.find_element(By.ID, "visits-filters")
    assert filters.get_attribute("open") is None
    assert not driver.find_element(By.ID, "visits-tiers").is_displayed()
    assert "50가구까지" in driver.find_element(By.ID, "visits-filter-summary").text
    rows_on_screen = driver.execute_script("""
        return Array.from(document.querySelectorAll('#visits-table tbody tr'))
          .filter(r => r.getBoundingClientRect().bottom <= window.innerHeight).length""")
    assert rows_on_screen >= 3, f"{rows_on_screen} list rows on the first screen"
    table_top = driver.execute_script(
        "return document.querySelector('#visits-table').getBoundingClientRect().top")
    body_px = driver.execute_script("return parseFloat(getComputedStyle(document.body).fontSize)")
    h1_px = driver.execute_script(
        "return parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
    assert body_px >= 15 and h1_px == 24  # KRDS mobile: body 15–17 px, heading-large 24 px
    assert _overflow(driver) <= 0, f"visit list scrolls sideways: {_widest(driver)}"
    assert not _small_targets(driver), _small_targets(driver)
    _shot(driver, artifacts, "visits")
    # opened, the filters fit the width with 44 px targets; a chosen tier shows in the summary
    driver.find_element(By.CSS_SELECTOR, "#visits-filters > summary").click()
    time.sleep(0.5)
    assert filters.get_attribute("open") is not None
    assert driver.find_element(By.ID, "visits-tiers").is_displayed()
    assert _overflow(driver) <= 0, f"open filters scroll sideways: {_widest(driver)}"
    assert not _small_targets(driver), _small_targets(driver)
    driver.find_element(By.CSS_SELECTOR, "#visits-tiers label").click()
    dash_duo.wait_for_contains_text("#visits-filter-summary", "긴급", timeout=20)
    _settle(dash_duo)
    _shot(driver, artifacts, "visits_filters")
    driver.find_element(By.CSS_SELECTOR, "#visits-filters > summary").click()
    driver.execute_script("window.scrollTo(0, 0)")
    time.sleep(0.3)
    driver.find_element(By.CSS_SELECTOR, ".atlas-menu-button").click()
    time.sleep(0.5)
    assert nav.is_displayed() and "발굴 대상자 목록" in nav.text
    _shot(driver, artifacts, "menu_open")
    assert table_top < HEIGHT * 2.5  # the list is reachable without endless scrolling

    case = driver.find_element(By.CSS_SELECTOR, "a[href^='/case/']").get_attribute("pathname")
    driver.get(f"{dash_duo.server_url}{case}")
    dash_duo.wait_for_element("#case-activities", timeout=30)
    _settle(dash_duo)
    assert _overflow(driver) <= 0, f"case page scrolls sideways: {_widest(driver)}"
    assert not _small_targets(driver), _small_targets(driver)
    _shot(driver, artifacts, "case")
    form = driver.find_element(By.ID, "case-note")
    driver.execute_script("arguments[0].scrollIntoView()", form)
    time.sleep(0.3)
    _shot(driver, artifacts, "activity_form")

    driver.get(f"{dash_duo.server_url}/visits")
    dash_duo.wait_for_element("#visits-route-btn", timeout=30)
    _settle(dash_duo)
    boxes = driver.find_elements(By.CSS_SELECTOR, "#visits-table input[type=checkbox]")
    for box in boxes[:3]:
        driver.execute_script("arguments[0].click()", box)
    driver.execute_script("document.getElementById('visits-route-btn').click()")
    dash_duo.wait_for_element("#visits-route-map .main-svg", timeout=30)
    _settle(dash_duo)
    driver.execute_script("document.getElementById('visits-route-map').scrollIntoView()")
    time.sleep(0.5)
    assert _overflow(driver) <= 0, f"route view scrolls sideways: {_widest(driver)}"
    _shot(driver, artifacts, "route")


def test_visit_list_filters_are_open_on_a_wide_screen(dash_duo, make_app) -> None:
    dash_duo.start_server(make_app())
    driver = dash_duo.driver
    driver.get(f"{dash_duo.server_url}/login")
    dash_duo.wait_for_element("#username", timeout=15)
    driver.find_element(By.ID, "username").send_keys("outreach")
    driver.find_element(By.ID, "password").send_keys(PASSWORDS["outreach"])
    driver.find_element(By.ID, "login-submit").click()
    dash_duo.wait_for_element("#user-badge", timeout=20)
    driver.get(f"{dash_duo.server_url}/visits")
    dash_duo.wait_for_element("a[href^='/case/']", timeout=30)
    _settle(dash_duo, 0.5)
    assert driver.find_element(By.ID, "visits-filters").get_attribute("open") is not None
    assert driver.find_element(By.ID, "visits-tiers").is_displayed()
