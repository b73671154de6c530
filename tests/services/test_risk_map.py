"""Risk-map aggregates with small-cell suppression, household points and hotspots."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from domain.access import PUBLIC_VIEWER, Viewer
from domain.errors import AccessDenied
from geodata.schema import table
from services.risk_map import (
    RiskMapInputError,
    hotspots,
    household_points,
    region_counts,
    region_risk,
    region_shapes,
    suppress,
)
from tests.fixtures_world import (
    ADMIN,
    OTHER_EMD,
    OUTREACH,
    OUTREACH_EMD,
    PLANNER,
    SMALL_EMD,
    World,
    build_world,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("rm") / "store")


def test_suppress_rules() -> None:
    counts = pd.DataFrame({"households": [3, 50, 50, 50], "scored": [3, 50, 50, 50],
                           "high_tier": [1, 2, 0, 20]}, index=["a", "b", "c", "d"])
    out = suppress(counts, min_count=5)
    assert out["suppressed"].tolist() == [True, True, False, False]
    assert out.loc["a"].isna()[["households", "high_tier", "share_high"]].all()
    assert out.loc["c", "share_high"] == 0 and out.loc["d", "share_high"] == pytest.approx(0.4)
    assert not suppress(counts, exempt={"a", "b"})["suppressed"][["a", "b"]].any()


def test_counts_match_world(world: World) -> None:
    counts = region_counts(world.store, level="sigungu")
    assert counts["households"].sum() == len(world.households)
    emd = region_counts(world.store, level="emd", parent_code="36110")
    assert emd.loc[SMALL_EMD, "households"] == 3


@pytest.mark.parametrize("viewer", [PLANNER, PUBLIC_VIEWER, Viewer(3, "m", "ministry")])
def test_aggregate_roles_get_small_cells_suppressed(world: World, viewer: Viewer) -> None:
    frame = region_risk(world.store, viewer, level="emd", parent_code="36110").set_index("code")
    assert frame.loc[SMALL_EMD, "suppressed"]
    assert pd.isna(frame.loc[SMALL_EMD, "households"])
    assert pd.isna(frame.loc[SMALL_EMD, "share_high"])
    shown = frame[~frame["suppressed"]]
    assert (shown["households"] >= 5).all()
    assert ((shown["high_tier"] == 0) | (shown["high_tier"] >= 5)).all()


def test_admin_and_own_area_unsuppressed(world: World) -> None:
    admin = region_risk(world.store, ADMIN, level="emd", parent_code="36110")
    assert not admin["suppressed"].any()
    own = region_risk(world.store, OUTREACH, level="emd", parent_code="36110").set_index("code")
    assert not own.loc[OUTREACH_EMD, "suppressed"] and own.loc[SMALL_EMD, "suppressed"]


def test_national_level_and_shapes(world: World) -> None:
    frame = region_risk(world.store, PLANNER, level="sigungu")
    assert len(frame) == 6 and "geometry" not in frame.columns
    shapes, labels = region_shapes(world.store, level="sigungu")
    assert {f["id"] for f in shapes["features"]} == set(frame["code"])
    assert set(labels["code"]) == set(frame["code"]) and labels["lon"].between(124, 132).all()
    again, _ = region_shapes(world.store, level="sigungu")
    assert again is shapes  # cached
    with pytest.raises(RiskMapInputError):
        region_risk(world.store, PLANNER, level="emd")


def test_points_only_for_own_area(world: World) -> None:
    points = household_points(world.store, OUTREACH, OUTREACH_EMD)
    assert len(points) == 120 and points["tier"].between(1, 4).all()
    assert "name" not in points.columns
    for viewer, emd in ((OUTREACH, OTHER_EMD), (PLANNER, OUTREACH_EMD), (PUBLIC_VIEWER, OUTREACH_EMD)):
        with pytest.raises(AccessDenied):
            household_points(world.store, viewer, emd)
    tbl = table("audit_log")
    with world.store.session() as s:
        refused = s.execute(select(tbl).where(tbl.c.action == "view_points",
                                              tbl.c.allowed.is_(False))).all()
    assert len(refused) == 3


def test_hotspots_classes_and_cache(world: World) -> None:
    first = hotspots(world.store, level="emd", parent_code="36110", permutations=99)
    assert len(first) == 24
    assert set(first["hotspot_class"]) <= {"hot_99", "hot_95", "hot_90", "not_significant",
                                           "cold_90", "cold_95", "cold_99"}
    assert first["p_sim"].between(0, 1).all()
    again = hotspots(world.store, level="emd", parent_code="36110", permutations=99)
    assert again is first
    few = hotspots(world.store, level="emd", parent_code="30110", permutations=99)
    assert len(few) == len(region_counts(world.store, level="emd", parent_code="30110"))
