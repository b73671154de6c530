"""The simulation page without a browser: the form's spec, the views, and the page by role."""

from __future__ import annotations

import pytest

from app.i18n import STRINGS
from app.pages.simulation import comparison_view, form_spec, matrix_rows, parse_codes, team_rows
from models.criteria import SIGNALS
from services.simulation import SimulationInputError, run_simulation
from tests.app.test_app_access_matrix import render_page
from tests.fixtures_world import ADMIN, PLANNER, World


def test_every_simulation_string_has_both_languages() -> None:
    keys = [k for k in STRINGS if k.startswith("sim.")]
    assert len(keys) > 30 and all(set(STRINGS[k]) == {"ko", "en"} for k in keys)


def test_form_spec_keeps_the_chosen_signals_and_parses_capacities() -> None:
    codes = list(SIGNALS)
    modes = ["include", "off", "boost", None, "off"]
    weights = ["1", "", "2.5", "1", "1"]
    spec = form_spec(modes, weights, "20,000,000", ["on"], "", "36110250=60, 36110101 = 30")
    assert [c["signal"] for c in spec["criteria"]] == [codes[0], codes[2]]
    assert spec["criteria"][1]["weight"] == "2.5"
    assert spec["age_65_only"] and spec["team_capacity"] is None
    assert spec["capacity_by_code"] == {"36110250": "60", "36110101": "30"}
    with pytest.raises(SimulationInputError, match="code=visits"):
        parse_codes("36110250:60")


def test_views_show_suppressed_cells_and_compare_columns(world: World) -> None:
    planner = run_simulation(world.store, PLANNER, {"age_65_only": True})
    admin = run_simulation(world.store, ADMIN, {}, sigungu_code=PLANNER.jurisdiction_code)
    rows = matrix_rows(planner, "ko")
    assert [r["tier"] for r in rows] == ["현행 1등급", "현행 2등급", "현행 3등급", "현행 4등급"]
    shown = [v for r in rows for k, v in r.items() if k != "tier"]
    assert all(v == "비공개" or float(v.replace(",", "")) == 0 or float(v.replace(",", "")) >= 5
               for v in shown)
    teams = team_rows(admin, {}, "en")
    assert teams and {"team", "capacity", "current", "scenario", "over"} <= set(teams[0])
    table = str(comparison_view([("Scenario A", planner), ("Scenario B", admin)], "en"))
    assert "Scenario A" in table and "Scenario B" in table and "Households changing tier" in table


@pytest.mark.parametrize("role", ["outreach", "planner", "ministry", "admin", "public"])
def test_page_by_role(app_client, world: World, role: str) -> None:
    page = render_page(app_client.app, "/simulation", role, world)
    if role in ("planner", "ministry", "admin"):
        assert "sim-run" in page and "sim-denied" not in page
        picker = page[page.index('"id": "sim-scope"') - 600:page.index('"id": "sim-scope"') + 600]
        assert ('"disabled": true' in picker) == (role == "planner")  # the planner's scope is fixed
    else:
        assert "sim-denied" in page and "sim-run" not in page
