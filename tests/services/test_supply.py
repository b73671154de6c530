"""Supply and demand service: E2SFCA per region, mismatch, unmatched needs, access and export."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from domain.access import PUBLIC_VIEWER
from domain.errors import AccessDenied
from geodata.schema import table
from services.supply import (
    TARGET_GROUPS,
    SupplyInputError,
    demand_points,
    mismatch_table,
    supply_demand,
    target_group,
)
from services.unmatched import export_unmatched_csv, unmatched_needs_table
from tests.fixtures_world import (
    MINISTRY,
    OUTREACH,
    PLANNER,
    PLANNER_SIGUNGU,
    SMALL_EMD,
    World,
    build_world,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("supply") / "store")


def test_demand_points_per_group(world: World) -> None:
    hh = world.households
    for group in TARGET_GROUPS[:3]:
        pts = demand_points(world.store, group)
        assert pts.crs.to_epsg() == 5179
        assert pts["demand"].sum() == hh[group.demand].sum()
        assert (pts["demand"] > 0).all()
    need = demand_points(world.store, target_group("in_need"))
    assert 0 < len(need) < len(hh) and set(need["demand"]) == {1.0}


def test_supply_demand_classes_and_suppression(world: World) -> None:
    out = supply_demand(world.store, MINISTRY, target_group="elderly", level="emd",
                        parent_code=PLANNER_SIGUNGU)
    assert set(out["code"].str[:5]) == {PLANNER_SIGUNGU}
    assert set(out["supply_class"]) <= {"under", "balanced", "over", "none", "no_demand",
                                        "suppressed"}
    small = out.set_index("code").loc[SMALL_EMD]  # 3 households only
    assert small["suppressed"] and small["supply_class"] == "suppressed"
    assert pd.isna(small["households"]) and pd.isna(small["accessibility"])
    shown = out[~out["suppressed"]]
    assert (shown["households"].dropna() >= 5).all()
    # capacity located in the 시군구 equals the facilities of the group there
    fac = world.store.read_frame("facility", where={"target_group": "elderly"})
    assert out["capacity"].sum() == fac["capacity"].sum()


def test_supply_demand_sigungu_level_national(world: World) -> None:
    out = supply_demand(world.store, MINISTRY, target_group="children", level="sigungu")
    assert len(out) == len(world.store.regions("sigungu"))
    sejong = out.set_index("code").loc[PLANNER_SIGUNGU]
    assert sejong["supply_in_reach"] > 0 and sejong["accessibility"] > 0
    # 대전 has no facility at all in the fixture: demand without supply in reach
    assert (out[out["code"].str.startswith("30")]["supply_class"].isin(["none",
                                                                        "suppressed"])).all()


def test_mismatch_table_rows_and_classes(world: World) -> None:
    m = mismatch_table(world.store, MINISTRY, level="emd", parent_code=PLANNER_SIGUNGU,
                       target_groups=["elderly", "children"])
    assert set(m["target_group"]) == {"elderly", "children"}
    assert {"leisure", "day_care"} <= set(m["function"])
    assert set(m["gap_class"]) <= {"under", "balanced", "over", "none", "no_demand",
                                   "suppressed"}
    assert m.loc[m["suppressed"], "demand"].isna().all()
    assert (m.loc[~m["suppressed"], "demand"].dropna().between(1, 4)).sum() == 0


def test_unmatched_needs_suppressed_and_consistent(world: World) -> None:
    u = unmatched_needs_table(world.store, MINISTRY, target_group="in_need", level="sigungu")
    assert (u["unmatched"].dropna() <= u["in_need"].dropna().reindex(
        u["unmatched"].dropna().index)).all()
    for col in ("in_need", "unmatched"):
        assert not u[col].dropna().between(1, 4).any()
    # no facility at all in 대전: every household in need there is unmatched
    daejeon = u[u["code"].str.startswith("30") & ~u["suppressed"]]
    assert (daejeon["unmatched"] == daejeon["in_need"]).all()


def test_planning_roles_only_and_refusal_audited(world: World) -> None:
    for viewer in (PUBLIC_VIEWER, OUTREACH):
        with pytest.raises(AccessDenied):
            supply_demand(world.store, viewer, target_group="elderly")
    tbl = table("audit_log")
    with world.store.session() as s:
        rows = s.execute(select(tbl).where(tbl.c.action == "view_supply_demand")).all()
    assert len(rows) >= 2 and not any(r.allowed for r in rows)


def test_bad_inputs_are_reported() -> None:
    with pytest.raises(SupplyInputError, match="unknown target group"):
        target_group("aliens")


def test_export_csv_is_suppressed_and_audited(world: World) -> None:
    name, content = export_unmatched_csv(world.store, PLANNER, target_group="in_need",
                                         level="emd", parent_code=PLANNER_SIGUNGU)
    text = content.decode("utf-8-sig")
    assert name.endswith(".csv") and text.splitlines()[0].startswith("지역코드,지역명,위기가구 수")
    assert "household_id" not in text
    tbl = table("audit_log")
    with world.store.session() as s:
        rows = s.execute(select(tbl).where(tbl.c.action == "export_csv",
                                           tbl.c.object_type == "unmatched_needs")).all()
    assert len(rows) == 1 and rows[0].allowed and rows[0].username == "planner"
