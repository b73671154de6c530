"""Overview KPIs and discovery trend, scoped to the viewer and suppressed."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.access import PUBLIC_VIEWER, Viewer
from services.casework import add_activity
from services.overview import discovery_trend, kpis
from tests.fixtures_world import ADMIN, OUTREACH, OUTREACH_EMD, PLANNER, World, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("ov") / "store")


def test_scope_follows_role(world: World) -> None:
    national = kpis(world.store, PUBLIC_VIEWER)
    planner = kpis(world.store, PLANNER)
    outreach = kpis(world.store, OUTREACH)
    assert national.scored == len(world.households) and national.scope_code is None
    assert outreach.scored == 120 and outreach.scope_code == OUTREACH_EMD
    assert outreach.scored < planner.scored < national.scored


def test_visits_and_link_rate(world: World) -> None:
    hh = world.households.loc[world.households["emd_code"] == OUTREACH_EMD, "household_id"]
    today = dt.date.today()
    for k, hid in enumerate(hh.head(6)):
        add_activity(world.store, OUTREACH, int(hid), kind="visit", activity_date=today,
                     outcome_code="public_support" if k % 2 else "no_need")
    numbers = kpis(world.store, OUTREACH, today=today)
    assert numbers.visits_this_month == 6
    assert numbers.support_link_rate == pytest.approx(0.5)
    assert kpis(world.store, ADMIN, today=today).visits_this_month == 6


def test_small_counts_suppressed_except_for_admin(world: World) -> None:
    hid = int(world.households.loc[world.households["emd_code"] == "30110101",
                                   "household_id"].iloc[0])
    add_activity(world.store, ADMIN, hid, kind="visit", activity_date=dt.date.today(),
                 outcome_code="no_need")
    planner_daejeon = Viewer(6, "p2", "planner", "30110")
    assert kpis(world.store, planner_daejeon).visits_this_month is None
    trend = discovery_trend(world.store, Viewer(7, "o3", "outreach", "30110101"))
    assert trend["households"].isna().all()
    assert discovery_trend(world.store, ADMIN)["households"].notna().all()


def test_trend_by_cycle(world: World) -> None:
    trend = discovery_trend(world.store, PUBLIC_VIEWER)
    assert set(trend["outcome"]) == {"supported", "not_eligible", "unreachable"}
    assert trend["cycle_date"].is_monotonic_increasing
