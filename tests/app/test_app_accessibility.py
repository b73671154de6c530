"""Accessibility in headless Chromium: axe-core on every page for every role, a keyboard-only
path from the login form to a saved visit entry, and the KRDS font served locally.

axe-core comes from the npm registry at set-up (``make vendor`` → ``build/vendor/axe.min.js``;
``make test`` runs it). Rules: WCAG 2.0/2.1/2.2 A and AA; serious or critical violations fail.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from selenium.webdriver.common.keys import Keys

from domain.access import Viewer
from services.casework import list_activities
from tests.app.browser_pages import login, navigation_pages, settle
from tests.app.conftest import CHROMIUM
from tests.fixtures_world import OUTREACH_EMD, PASSWORDS, World

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed"),
]

AXE_JS = Path(__file__).resolve().parents[2] / "build" / "vendor" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
ROLES = ("public", "outreach", "planner", "ministry", "admin")


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `make vendor` (make test does)")
    return AXE_JS.read_text()


def run_axe(driver, source: str) -> list[dict]:
    """Serious and critical axe violations of the current page."""
    driver.execute_script(source)
    driver.set_script_timeout(120)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})"
        ".then(r => done(r.violations)).catch(e => done([{id: 'axe-error', impact: 'critical',"
        " help: String(e), nodes: []}]));", AXE_TAGS)
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "targets": [n["target"] for n in v["nodes"][:5]]}
            for v in result if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("role", ROLES)
def test_axe_every_page(dash_duo, make_app, axe_source: str, role: str, artifacts: Path) -> None:
    dash_duo.start_server(make_app())
    if role != "public":
        login(dash_duo, role)
    found: dict[str, list[dict]] = {}
    pages = navigation_pages(dash_duo, role)
    assert "/" in pages and len(pages) >= 3
    for url in pages:
        dash_duo.driver.get(f"{dash_duo.server_url}{url}")
        dash_duo.wait_for_element("h1", timeout=30)
        settle(dash_duo)
        violations = run_axe(dash_duo.driver, axe_source)
        if violations:
            found[url] = violations
    (artifacts / f"axe_{role}.json").write_text(json.dumps(found, ensure_ascii=False, indent=1))
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)


def test_keyboard_only_login_to_saved_visit_entry(dash_duo, make_app, world: World) -> None:
    """Tab and type only: log in, open the first case from the visit list, save an activity."""
    dash_duo.start_server(make_app())
    driver = dash_duo.driver
    driver.get(f"{dash_duo.server_url}/login")
    dash_duo.wait_for_element("#username", timeout=15)
    active = driver.switch_to.active_element
    active.send_keys(Keys.TAB)  # from the document start into the form
    _tab_to(driver, "username").send_keys("outreach")
    _tab_to(driver, "password").send_keys(PASSWORDS["outreach"] + Keys.ENTER)
    dash_duo.wait_for_element("#user-badge", timeout=20)
    _tab_to(driver, "nav-visit_list", attribute="id").send_keys(Keys.ENTER)
    dash_duo.wait_for_element("a[href^='/case/']", timeout=30)
    link = _tab_to(driver, "/case/", attribute="pathname", prefix=True)
    case_path = link.get_attribute("pathname")
    link.send_keys(Keys.ENTER)
    dash_duo.wait_for_element("#case-activities", timeout=30)
    note = "키보드로 입력한 방문 기록"
    outcome = _tab_into(driver, "case-outcome")
    outcome.send_keys(Keys.ENTER)  # open the list
    driver.switch_to.active_element.send_keys("공적지원")
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    dash_duo.wait_for_contains_text("#case-outcome", "공적지원 연계", timeout=10)
    _tab_to(driver, "case-note").send_keys(note)
    _tab_to(driver, "case-save").send_keys(Keys.ENTER)
    dash_duo.wait_for_contains_text("#case-activities", note, timeout=20)
    assert "저장했습니다" in dash_duo.find_element("#case-message").text
    household_id = int(case_path.rsplit("/", 1)[-1])
    worker = Viewer(1, "outreach", "outreach", OUTREACH_EMD)
    saved = list_activities(world.store, worker, household_id)
    assert note in set(saved["note"].astype(str))


def _tab_to(driver, value: str, *, attribute: str = "id", prefix: bool = False, limit: int = 120):
    """Press Tab until the focused element's ``attribute`` is ``value`` (or starts with it)."""
    for _ in range(limit):
        el = driver.switch_to.active_element
        got = el.get_attribute(attribute) or ""
        if got == value or (prefix and got.startswith(value)):
            return el
        el.send_keys(Keys.TAB)
    raise AssertionError(f"Tab never reached an element with {attribute}={value!r}")


def _tab_into(driver, container_id: str, limit: int = 120):
    """Press Tab until focus is inside the element ``container_id``."""
    for _ in range(limit):
        el = driver.switch_to.active_element
        if driver.execute_script(f"return !!arguments[0].closest('#{container_id}')", el):
            return el
        el.send_keys(Keys.TAB)
    raise AssertionError(f"Tab never reached #{container_id}")


def test_krds_font_is_served_locally(dash_duo, make_app) -> None:
    dash_duo.start_server(make_app())
    dash_duo.wait_for_element("h1", timeout=20)
    loaded = dash_duo.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "document.fonts.load('16px \"Pretendard GOV\"').then(f => done(f.map(x => x.family)));")
    assert any("Pretendard GOV" in family for family in loaded), loaded
    urls = dash_duo.driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => n.includes('PretendardGOV'))")
    assert urls and all(u.startswith(dash_duo.server_url) for u in urls), urls
