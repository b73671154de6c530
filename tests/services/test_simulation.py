"""지자체별 시뮬레이션 service: scope and access, aggregates and suppression, the audit-sample
precision, saved scenarios and the side-by-side comparison, every run audited."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from domain.errors import AccessDenied
from geodata.settings import get_settings
from models.criteria import CriteriaSpec, SignalCriterion
from services.simulation import (
    SimulationInputError,
    compare_scenarios,
    list_scenarios,
    run_simulation,
    save_scenario,
    scenario_spec,
)
from tests.fixtures_world import (
    ADMIN,
    MINISTRY,
    OUTREACH,
    PLANNER,
    PLANNER_SIGUNGU,
    World,
    build_world,
    viewer_of,
)
from tests.simulation_fixtures import save_audit_artifact

ISOLATION_IN = {"criteria": [{"signal": "isolation", "mode": "include"}]}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("simulation")
    built = build_world(root / "store")
    yield built


@pytest.fixture()
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The process-wide registry (``ATLAS_DATA_DIR``) in a temporary folder."""
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path / "models"
    get_settings.cache_clear()


def _actions(world: World, action: str) -> pd.DataFrame:
    rows = world.store.audit.rows(action=action, limit=10_000)
    return pd.DataFrame([r if isinstance(r, dict) else r._asdict() for r in rows]) if not isinstance(
        rows, pd.DataFrame) else rows


def _audit_count(world: World, action: str) -> int:
    return len(_actions(world, action))


def test_planner_sees_own_sigungu_aggregates_suppressed_and_audited(world: World) -> None:
    before = _audit_count(world, "run_simulation")
    result = run_simulation(world.store, PLANNER, ISOLATION_IN)
    hh = world.households
    assert result.scope_code == PLANNER_SIGUNGU and result.region_level == "emd"
    assert result.households == int(hh["sigungu_code"].eq(PLANNER_SIGUNGU).sum())
    assert set(result.by_region.index) <= set(hh.loc[hh["sigungu_code"] == PLANNER_SIGUNGU, "emd_code"])
    # small cells are hidden (세종 연기면 has 3 households) and the matrix has no cell 1-4
    cells = result.transitions[["1", "2", "3", "4"]].to_numpy(dtype=float)
    assert not ((cells > 0) & (cells < 5)).any()
    shown = result.by_region["households"].dropna()
    assert (shown >= 5).all() and result.by_region["suppressed"].any()
    assert _audit_count(world, "run_simulation") == before + 1
    detail = json.loads(_actions(world, "run_simulation")["detail"].iloc[-1])
    assert detail["scope"] == PLANNER_SIGUNGU and detail["spec"]["criteria"][0]["signal"] == "isolation"


def test_admin_totals_add_up_and_inclusion_adds_visits(world: World) -> None:
    result = run_simulation(world.store, ADMIN, ISOLATION_IN, sigungu_code=PLANNER_SIGUNGU)
    matrix = result.transitions[["1", "2", "3", "4"]]
    assert int(matrix.to_numpy().sum()) == result.households
    assert result.moved == int(matrix.to_numpy().sum() - np.trace(matrix.to_numpy()))
    assert int(result.by_region["households"].sum()) == result.households
    net = result.by_region["net_high"].sum()
    assert net == result.visits_scenario - result.visits_current
    hh = world.households[world.households["sigungu_code"] == PLANNER_SIGUNGU]
    isolated = int(((hh["size"] == 1) & (hh["head_age"] >= 50)).sum())
    assert result.visits_scenario >= isolated > 0
    teams = result.teams
    assert {"capacity", "visits_current", "visits_scenario", "over_capacity"} <= set(teams.columns)
    assert int(teams["visits_scenario"].sum()) == result.visits_scenario


def test_ministry_runs_nationally_and_for_a_chosen_sigungu(world: World) -> None:
    national = run_simulation(world.store, MINISTRY, {"age_65_only": True})
    assert national.scope_code is None and national.region_level == "sigungu"
    assert national.households == len(world.households)
    one = run_simulation(world.store, MINISTRY, {}, sigungu_code=PLANNER_SIGUNGU)
    assert one.scope_code == PLANNER_SIGUNGU
    empty = run_simulation(world.store, ADMIN, {}, sigungu_code=PLANNER_SIGUNGU)
    # with the current criteria nothing but the capacity cut moves: no household is excluded
    assert empty.precision is None and empty.precision_note == "no_artifact"
    with pytest.raises(SimulationInputError, match="5 digits"):
        run_simulation(world.store, MINISTRY, {}, sigungu_code="36")


def test_refusals_are_audited(world: World) -> None:
    refused = _audit_count(world, "run_simulation")
    with pytest.raises(AccessDenied):
        run_simulation(world.store, OUTREACH, {})
    with pytest.raises(AccessDenied):
        run_simulation(world.store, PLANNER, {}, sigungu_code="30110")
    rows = _actions(world, "run_simulation")
    assert len(rows) == refused + 2 and not rows["allowed"].iloc[-2:].astype(bool).any()


def test_bad_criteria_get_a_clear_korean_and_english_message(world: World) -> None:
    with pytest.raises(SimulationInputError) as err:
        run_simulation(world.store, PLANNER, {"financial_cap_krw": "lots",
                                              "criteria": [{"signal": "moon"}]})
    assert "금융연체 한도" in str(err.value) and "financial-delinquency cap" in str(err.value)
    with pytest.raises(SimulationInputError, match="outside the scope"):
        run_simulation(world.store, PLANNER, {"capacity_by_code": {"30110101": 10}})


def test_capacity_per_team_changes_that_teams_visits(world: World) -> None:
    from tests.fixtures_world import OUTREACH_EMD

    base = run_simulation(world.store, ADMIN, {}, sigungu_code=PLANNER_SIGUNGU)
    more = run_simulation(world.store, ADMIN, {"capacity_by_code": {OUTREACH_EMD: 1000}},
                          sigungu_code=PLANNER_SIGUNGU)
    assert more.teams.loc[OUTREACH_EMD, "capacity"] > base.teams.loc[OUTREACH_EMD, "capacity"]
    assert more.teams.loc[OUTREACH_EMD, "visits_scenario"] >= base.teams.loc[OUTREACH_EMD, "visits_scenario"]


def test_precision_on_the_audit_rows_of_the_scope(world: World, models_dir: Path) -> None:
    save_audit_artifact(world.households, models_dir)
    same = run_simulation(world.store, ADMIN, {}, sigungu_code=PLANNER_SIGUNGU)
    assert same.precision is not None and same.precision_note is None
    # each arm visits its own share of households: the fixture's tiers are not cut from
    # capacity, so the empty spec re-cuts them (a scored world reproduces them: models tests)
    assert same.precision.capacity_current == pytest.approx(same.visits_current / same.households)
    assert same.precision.capacity_scenario == pytest.approx(same.visits_scenario / same.households)
    scope_ids = world.households.loc[world.households["sigungu_code"] == PLANNER_SIGUNGU,
                                     "household_id"]
    assert same.precision.rows == int(np.isin(world.households["household_id"].to_numpy()[::2],
                                              scope_ids.to_numpy()).sum())
    wide = {"team_capacity": 1000, **ISOLATION_IN}
    boosted = run_simulation(world.store, ADMIN, wide, sigungu_code=PLANNER_SIGUNGU)
    p = boosted.precision
    assert p is not None and p.scenario_lo <= p.scenario <= p.scenario_hi
    assert p.difference_lo <= p.difference <= p.difference_hi
    assert p.effective_rows_scenario > 5
    # a planner sees the estimate only when enough audit rows carry both arms
    planner = run_simulation(world.store, PLANNER, wide)
    assert planner.precision is not None and planner.precision.scenario == pytest.approx(p.scenario)
    tiny = run_simulation(world.store, PLANNER, {})
    assert min(same.precision.effective_rows_current, same.precision.effective_rows_scenario) < 5
    assert tiny.precision is None and tiny.precision_note == "too_few_audit_rows"
    explicit = run_simulation(world.store, ADMIN, wide, sigungu_code=PLANNER_SIGUNGU,
                              models_dir=models_dir)
    assert explicit.precision == p
    elsewhere = run_simulation(world.store, ADMIN, wide, sigungu_code=PLANNER_SIGUNGU,
                               models_dir=models_dir.parent / "empty")
    assert elsewhere.precision is None and elsewhere.precision_note == "no_artifact"


def test_scenarios_are_saved_listed_opened_and_compared(world: World) -> None:
    store = world.store
    planner = viewer_of(store, "planner")
    first = save_scenario(store, planner, "고립 포함", ISOLATION_IN)
    second = save_scenario(store, planner, "65세 이상만", {"age_65_only": True})
    with pytest.raises(SimulationInputError, match="already have"):
        save_scenario(store, planner, "고립 포함", {})
    with pytest.raises(SimulationInputError, match="1 to 80"):
        save_scenario(store, planner, "  ", {})
    listed = list_scenarios(store, planner)
    assert listed["scenario_id"].tolist()[:2] == [second, first]
    assert (listed["jurisdiction_code"] == PLANNER_SIGUNGU).all()
    name, scope, spec = scenario_spec(store, planner, first)
    assert name == "고립 포함" and scope == PLANNER_SIGUNGU
    assert spec == CriteriaSpec((SignalCriterion("isolation", "include"),))
    ministry = viewer_of(store, "ministry")
    national = save_scenario(store, ministry, "전국 비주택", {"criteria": [{"signal": "nonhousing"}]})
    assert national not in list_scenarios(store, planner)["scenario_id"].tolist()
    assert {first, second, national} <= set(list_scenarios(store, ministry)["scenario_id"])
    with pytest.raises(AccessDenied):
        scenario_spec(store, planner, national)
    runs = _audit_count(world, "run_simulation")
    side = compare_scenarios(store, planner, [first, second])
    assert [n for n, _ in side] == ["고립 포함", "65세 이상만"]
    assert all(r.scope_code == PLANNER_SIGUNGU for _, r in side)
    assert _audit_count(world, "run_simulation") == runs + 2
    assert _audit_count(world, "save_scenario") >= 3
    with pytest.raises(SimulationInputError, match="2 to 4"):
        compare_scenarios(store, planner, [first])


def test_warm_up_fills_the_audit_rows_and_the_pool_plan(world: World, models_dir: Path) -> None:
    import shutil

    from services.simulation import warm_simulation

    save_audit_artifact(world.households, models_dir)
    world.store.cache.clear()
    warm_simulation(world.store)
    shutil.rmtree(models_dir)  # a run after the warm-up does not need the registry any more
    result = run_simulation(world.store, ADMIN, {}, sigungu_code=PLANNER_SIGUNGU)
    assert result.precision is not None
    world.store.cache.clear()
