"""Heavy analyses precomputed once per data version (``services.precompute``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from domain.access import Viewer
from services import precompute, supply
from services.precompute import precompute_analyses
from tests.fixtures_world import PLANNER_SIGUNGU, World, build_world

MINISTRY = Viewer(3, "ministry", "ministry")


@pytest.fixture()
def world(tmp_path: Path) -> World:
    return build_world(tmp_path / "store")


def test_precompute_fills_every_offered_table_and_pages_read_it(world: World, monkeypatch) -> None:
    asked: list[tuple[str, str | None]] = []
    # The hotspot service caches itself (tests/services/test_risk_map.py); here only which views
    # are precomputed matters, without paying numba's first compilation.
    monkeypatch.setattr(precompute, "hotspots",
                        lambda _store, *, level, parent_code=None: asked.append((level, parent_code)))
    seconds = precompute_analyses(world.store)
    assert set(seconds) == {"accessibility_s", "hotspots_s"}
    assert asked[0] == ("sigungu", None)
    assert {code for _level, code in asked[1:]} >= {PLANNER_SIGUNGU}
    assert supply.precompute_accessibility(world.store) == 0  # everything is cached already

    def no_compute(*_args, **_kwargs):
        raise AssertionError("the page recomputed a precomputed table")

    monkeypatch.setattr(supply, "_e2sfca_table", no_compute)
    for group in supply.TARGET_GROUPS:
        for km in supply.OFFERED_CATCHMENTS_M:
            out = supply.supply_demand(world.store, MINISTRY, target_group=group.code,
                                       level="sigungu", catchment_m=km)
            assert len(out)


def test_a_data_change_invalidates_the_precomputed_tables(world: World) -> None:
    supply.precompute_accessibility(world.store, catchments_m=(3000.0,))
    before = supply.supply_demand(world.store, MINISTRY, target_group="elderly", level="sigungu")
    facilities = world.store.read_frame("facility")
    elderly = facilities["target_group"] == "elderly"
    world.store.write_frame("facility", facilities.assign(
        capacity=facilities["capacity"].where(~elderly, facilities["capacity"] * 10)))
    assert supply.precompute_accessibility(world.store, catchments_m=(3000.0,)) > 0
    after = supply.supply_demand(world.store, MINISTRY, target_group="elderly", level="sigungu")
    reach = pd.concat([before.set_index("code")["supply_in_reach"],
                       after.set_index("code")["supply_in_reach"]], axis=1).dropna()
    assert (reach.iloc[:, 1] >= reach.iloc[:, 0]).all() and (reach.iloc[:, 1] > reach.iloc[:, 0]).any()
