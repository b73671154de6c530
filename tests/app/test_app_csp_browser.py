"""The strict Content-Security-Policy holds in headless Chromium: on every page of every role no
``securitypolicyviolation`` event and no CSP console error, and the pages still draw their
figures and grids (plotly.js, dash-ag-grid and Dash's renderer run without ``'unsafe-eval'`` or
``'unsafe-inline'`` scripts).

The listener is installed through DevTools (``Page.addScriptToEvaluateOnNewDocument``), which
runs before any page script and is not itself subject to the page's policy.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.app.browser_pages import login, navigation_pages, settle
from tests.app.conftest import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed"),
]

ROLES = ("public", "outreach", "planner", "ministry", "admin")
LISTENER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push({
  directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample,
  source: e.sourceFile + ':' + e.lineNumber}));
"""
DRAWN = """
const graphs = Array.from(document.querySelectorAll('.js-plotly-plot'));
const grids = Array.from(document.querySelectorAll('.ag-root-wrapper'));
return {graphs: graphs.length,
        drawn: graphs.filter(g => g.querySelector('.main-svg')).length,
        grids: grids.length,
        grid_bodies: grids.filter(g => g.querySelector('.ag-header-cell')).length,
        dash_errors: document.querySelectorAll('.dash-fe-error__title').length,
        csp: window.__csp || null};
"""


def _csp_console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" and ("Content Security Policy" in e["message"]
                                           or "unsafe-eval" in e["message"])]


@pytest.mark.parametrize("role", ROLES)
def test_no_csp_violation_and_pages_draw(dash_duo, make_app, role: str, artifacts: Path) -> None:
    dash_duo.start_server(make_app())
    driver = dash_duo.driver
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": LISTENER})
    header = driver.execute_script(
        "const r = new XMLHttpRequest(); r.open('GET', '/', false); r.send();"
        "return r.getResponseHeader('Content-Security-Policy');")
    assert "'unsafe-eval'" not in header and "script-src 'self' 'sha256-" in header, header
    script_src = header.split("script-src", 1)[1].split(";", 1)[0]
    assert "'unsafe-inline'" not in script_src
    if role != "public":
        login(dash_duo, role)
    found: dict[str, object] = {}
    drawn: dict[str, dict] = {}
    pages = navigation_pages(dash_duo, role)
    assert "/" in pages and len(pages) >= 3
    for url in pages:
        driver.get(f"{dash_duo.server_url}{url}")
        dash_duo.wait_for_element("h1", timeout=30)
        settle(dash_duo)
        state = driver.execute_script(DRAWN)
        drawn[url] = state
        console = _csp_console_errors(driver)
        assert state["csp"] is not None, "the violation listener did not run"
        if state["csp"] or console:
            found[url] = {"events": state["csp"], "console": console}
        assert state["drawn"] == state["graphs"], (url, state)  # every plotly figure drew
        assert state["grid_bodies"] == state["grids"], (url, state)  # every grid rendered
        assert state["dash_errors"] == 0, (url, state)
    (artifacts / f"csp_{role}.json").write_text(json.dumps({"violations": found, "pages": drawn},
                                                           ensure_ascii=False, indent=1))
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)
    assert sum(s["graphs"] for s in drawn.values()) >= 1  # the check saw figures at all
