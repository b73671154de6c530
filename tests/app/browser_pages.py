"""Browser-test steps shared by the page-wide browser tests (accessibility, CSP): log in
through the form, wait for a page to settle, and list every page of a role's navigation."""

from __future__ import annotations

import time

from selenium.webdriver.common.by import By

from tests.fixtures_world import PASSWORDS


def login(dash_duo, username: str) -> None:
    dash_duo.driver.get(f"{dash_duo.server_url}/login")
    dash_duo.driver.find_element(By.ID, "username").send_keys(username)
    dash_duo.driver.find_element(By.ID, "password").send_keys(PASSWORDS[username])
    dash_duo.driver.find_element(By.ID, "login-submit").click()
    dash_duo.wait_for_element("#user-badge", timeout=20)


def settle(dash_duo, timeout: float = 30.0) -> None:
    """Wait until Dash has no component loading and the page stopped changing."""
    driver = dash_duo.driver
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        state = driver.execute_script(
            "return [document.querySelectorAll('[data-dash-is-loading=\"true\"]').length,"
            " document.querySelectorAll('._dash-loading').length,"
            " document.getElementsByTagName('*').length]")
        if state[0] == 0 and state[1] == 0 and state == last:
            return
        last = state
        time.sleep(0.7)


def first_case(dash_duo) -> str:
    dash_duo.driver.get(f"{dash_duo.server_url}/visits")
    dash_duo.wait_for_element("a[href^='/case/']", timeout=30)
    return dash_duo.find_element("a[href^='/case/']").get_attribute("pathname")


def navigation_pages(dash_duo, role: str) -> list[str]:
    """Every page in the role's navigation, and a case page for the outreach worker."""
    dash_duo.driver.get(f"{dash_duo.server_url}/")
    dash_duo.wait_for_element("#shell-nav", timeout=30)
    paths = dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('#shell-nav a')).map(a => a.pathname)")
    paths = list(dict.fromkeys(paths))
    if role == "outreach":
        paths.append(first_case(dash_duo))
    return paths
