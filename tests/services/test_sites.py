"""Site suitability service: k sites, coverage gained, access rules, input checks."""

from __future__ import annotations

import numpy as np
import pytest

from domain.access import Viewer
from domain.errors import AccessDenied
from services.sites import SiteInputError, plan_sites
from tests.fixtures_world import (
    MINISTRY,
    OUTREACH_EMD,
    PLANNER,
    PLANNER_SIGUNGU,
    World,
    build_world,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("sites") / "store")


@pytest.mark.parametrize("method", ["mclp", "p_median"])
def test_plan_sites_gains_coverage(world: World, method: str) -> None:
    plan = plan_sites(world.store, PLANNER, sigungu_code=PLANNER_SIGUNGU,
                      target_group="elderly", k=3, radius_m=1500, method=method)
    s = plan.summary
    assert len(plan.sites) == 3 and list(plan.sites["site"]) == [1, 2, 3]
    assert plan.sites.crs.to_epsg() == 4326 and len(plan.catchments) == 3
    assert s["covered_after"] >= s["covered_before"] and s["coverage_gained"] > 0
    assert np.isclose(s["covered_after"] - s["covered_before"], s["coverage_gained"])
    assert 0 <= s["share_before"] <= s["share_after"] <= 1
    assert s["status"].startswith("Optimal")
    hh = world.households
    elderly = hh[(hh["sigungu_code"] == PLANNER_SIGUNGU) & (hh["n_elderly"] > 0)]
    assert s["demand_households"] == len(elderly)
    assert s["demand_people"] == elderly["n_elderly"].sum()
    # sites lie inside the 시군구's 읍면동 and existing facilities are the elderly ones
    assert set(plan.sites["emd_code"].str[:5]) == {PLANNER_SIGUNGU}
    assert set(plan.existing["target_group"]) == {"elderly"}
    assert "household_id" not in plan.sites.columns


def test_mclp_never_worse_than_p_median_on_coverage(world: World) -> None:
    kw = {"sigungu_code": PLANNER_SIGUNGU, "target_group": "children", "k": 2, "radius_m": 1000}
    mclp = plan_sites(world.store, MINISTRY, method="mclp", **kw).summary
    pmed = plan_sites(world.store, MINISTRY, method="p_median", **kw).summary
    assert mclp["covered_after"] >= pmed["covered_after"] - 1e-9


def test_progress_is_reported(world: World) -> None:
    seen: list[float] = []
    plan_sites(world.store, MINISTRY, sigungu_code=PLANNER_SIGUNGU, target_group="elderly",
               k=2, radius_m=1000, progress=lambda f, _m: seen.append(f))
    assert seen[0] < 0.1 and seen[-1] == 1.0 and seen == sorted(seen)


def test_planner_outside_jurisdiction_refused(world: World) -> None:
    with pytest.raises(AccessDenied):
        plan_sites(world.store, PLANNER, sigungu_code="30110", target_group="elderly")
    with pytest.raises(AccessDenied):
        plan_sites(world.store, Viewer(1, "outreach", "outreach", OUTREACH_EMD),
                   sigungu_code=PLANNER_SIGUNGU, target_group="elderly")


def test_inputs_checked_together(world: World) -> None:
    with pytest.raises(SiteInputError) as err:
        plan_sites(world.store, MINISTRY, sigungu_code="361", target_group="elderly", k=0,
                   radius_m=10, method="magic")  # type: ignore[arg-type]
    message = str(err.value)
    assert "k must" in message and "radius_m" in message and "method" in message
    assert "sigungu_code" in message
    with pytest.raises(SiteInputError, match="unknown target group"):
        plan_sites(world.store, MINISTRY, sigungu_code=PLANNER_SIGUNGU, target_group="x")
