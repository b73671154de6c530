"""Heavy analyses precomputed once per data version (``services.precompute``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from domain.access import Viewer
from geodata.store.base import Store
from services import eligibility, precompute, scores, supply, unmatched, visit_list
from services.precompute import precompute_analyses
from tests.fixtures_world import PLANNER_SIGUNGU, World, build_world, copy_world

MINISTRY = Viewer(3, "ministry", "ministry")
#: Tables the supply analyses read (regions for names and the grid of regions).
SUPPLY_WORLD_TABLES = ("region", "household", "facility", "risk_score")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("precompute") / "store")


@pytest.fixture()
def world(built: World, tmp_path: Path) -> World:
    return copy_world(built, tmp_path / "store")


@pytest.fixture(params=["embedded", "postgis"])
def any_store(request: pytest.FixtureRequest, world: World) -> Store:
    """The test world's supply inputs on each store (a fresh copy per test)."""
    if request.param == "embedded":
        return world.store
    pg: Store = request.getfixturevalue("postgis_store")
    for name in SUPPLY_WORLD_TABLES:
        # The fixture's regions leave the census columns empty; an all-null integer column
        # read back from the embedded store does not write to PostGIS (reported), so drop them.
        pg.write_frame(name, world.store.read_frame(name).dropna(axis=1, how="all"))
    return pg


def _no_hotspots(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str | None]]:
    # The hotspot service caches itself (tests/services/test_risk_map.py); here only which views
    # are precomputed matters, without paying numba's first compilation.
    asked: list[tuple[str, str | None]] = []
    monkeypatch.setattr(precompute, "hotspots",
                        lambda _store, *, level, parent_code=None: asked.append((level, parent_code)))
    return asked


def _forbid_computing(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_compute(*_args, **_kwargs):
        raise AssertionError("the page recomputed a precomputed table")

    monkeypatch.setattr(supply, "_e2sfca_table", no_compute)
    monkeypatch.setattr(supply, "_mismatch_group", no_compute)
    monkeypatch.setattr(unmatched, "_count_unmatched", no_compute)
    monkeypatch.setattr(supply, "demand_points", no_compute)


def test_precompute_fills_every_offered_table_and_pages_read_it(world: World, monkeypatch) -> None:
    asked = _no_hotspots(monkeypatch)
    seconds = precompute_analyses(world.store)
    assert set(seconds) == {"accessibility_s", "supply_tables_s", "hotspots_s", "map_shapes_s",
                            "simulation_s", "national_views_s"}
    assert asked[0] == ("sigungu", None)
    assert {code for _level, code in asked[1:]} >= {PLANNER_SIGUNGU}
    assert supply.precompute_accessibility(world.store) == 0  # everything is cached already
    from services import risk_map

    def no_outlines(*_args, **_kwargs):
        raise AssertionError("the map's outlines were read again")

    with monkeypatch.context() as patched:  # the map's outlines are kept: no region read
        patched.setattr(world.store, "regions", no_outlines)
        for level, parent in (("sigungu", None), ("emd", PLANNER_SIGUNGU)):
            shapes, labels = risk_map.map_shapes(world.store, level=level, parent_code=parent)
            assert shapes["features"] and len(labels) == len(shapes["features"])

    _forbid_computing(monkeypatch)
    for group in supply.TARGET_GROUPS:
        for km in supply.OFFERED_CATCHMENTS_M:
            out = supply.supply_demand(world.store, MINISTRY, target_group=group.code,
                                       level="sigungu", catchment_m=km)
            assert len(out)
        for level, parent in (("sigungu", None), ("emd", PLANNER_SIGUNGU), ("emd", None),
                              ("sigungu", PLANNER_SIGUNGU[:2])):
            mismatch = supply.mismatch_table(world.store, MINISTRY, level=level,
                                             parent_code=parent, target_groups=[group.code])
            needs = unmatched.unmatched_needs_table(world.store, MINISTRY, target_group=group.code,
                                                    level=level, parent_code=parent)
            assert len(needs) and len(mismatch)
            assert set(needs["code"]) >= set(mismatch["code"])


def test_national_reform_and_visit_list_are_warm_and_equal_fresh_ones(world: World, monkeypatch
                                                                    ) -> None:
    """The ministry's reform view and the administrators' national list after the warm-up are
    read from the cache, and equal what a request on a cold store computes."""
    admin = Viewer(4, "admin", "admin")
    fresh_reform = eligibility.reform_impact(world.store, MINISTRY)
    fresh_list = scores.scored_households(world.store).copy()
    world.store.cache.clear()
    _no_hotspots(monkeypatch)
    precompute_analyses(world.store)

    def no_compute(*_args, **_kwargs):
        raise AssertionError("the view recomputed a precomputed national table")

    monkeypatch.setattr(eligibility, "_assess_world", no_compute)
    monkeypatch.setattr(scores, "current_scores", no_compute)
    warm = eligibility.reform_impact(world.store, MINISTRY)
    for name in ("programmes", "by_region", "by_type"):
        pd.testing.assert_frame_equal(getattr(warm, name), getattr(fresh_reform, name))
    assert (warm.households, warm.gainers, warm.losers) == (
        fresh_reform.households, fresh_reform.gainers, fresh_reform.losers)
    pd.testing.assert_frame_equal(scores.scored_households(world.store), fresh_list)
    assert len(visit_list.ranked_visits(world.store, admin, audit_view=False))


def test_precomputed_tables_equal_the_ones_computed_on_request(world: World, monkeypatch) -> None:
    """Cutting the national table to the regions shown gives what a per-request run gave."""
    asked = {"mismatch": [], "unmatched": []}
    for group in ("elderly", "in_need"):
        for level, parent in (("emd", PLANNER_SIGUNGU), ("sigungu", None)):
            asked["mismatch"].append(supply.mismatch_table(
                world.store, MINISTRY, level=level, parent_code=parent, target_groups=[group]))
            asked["unmatched"].append(unmatched.unmatched_needs_table(
                world.store, MINISTRY, target_group=group, level=level, parent_code=parent))
    world.store.cache.clear()
    _no_hotspots(monkeypatch)
    precompute_analyses(world.store)
    _forbid_computing(monkeypatch)
    i = 0
    for group in ("elderly", "in_need"):
        for level, parent in (("emd", PLANNER_SIGUNGU), ("sigungu", None)):
            pd.testing.assert_frame_equal(asked["mismatch"][i], supply.mismatch_table(
                world.store, MINISTRY, level=level, parent_code=parent, target_groups=[group]))
            pd.testing.assert_frame_equal(asked["unmatched"][i], unmatched.unmatched_needs_table(
                world.store, MINISTRY, target_group=group, level=level, parent_code=parent))
            i += 1


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


def _mismatch(store: Store) -> pd.DataFrame:
    return supply.mismatch_table(store, MINISTRY, level="sigungu",
                                 target_groups=["elderly"]).set_index(["code", "function"])


def _unmatched(store: Store) -> pd.DataFrame:
    return unmatched.unmatched_needs_table(store, MINISTRY, target_group="elderly",
                                           level="sigungu").set_index("code")


def test_facility_and_household_changes_invalidate_mismatch_and_unmatched(
        any_store: Store, monkeypatch) -> None:
    _no_hotspots(monkeypatch)
    precompute_analyses(any_store)
    mismatch, needs = _mismatch(any_store), _unmatched(any_store)
    assert (needs["unmatched"] < needs["in_need"]).any()  # some households have a place nearby

    # Every elderly facility full: no household in need has a free place nearby any more, and
    # the mismatch table's free places drop to zero.
    facilities = any_store.read_frame("facility")
    elderly = facilities["target_group"] == "elderly"
    any_store.write_frame("facility", facilities.assign(
        current_users=facilities["current_users"].where(~elderly, facilities["capacity"])))
    full, full_mismatch = _unmatched(any_store), _mismatch(any_store)
    shown = full["in_need"].notna()
    assert np.array_equal(full.loc[shown, "unmatched"], full.loc[shown, "in_need"])
    assert (full_mismatch["free_places"] == 0).all()
    assert (mismatch["free_places"] > 0).any()

    # One more older person in every household: demand rises everywhere it was shown.
    households = any_store.read_frame("household")
    any_store.write_frame("household", households.assign(n_elderly=households["n_elderly"] + 1))
    more = _mismatch(any_store)
    both = pd.concat([full_mismatch["demand"], more["demand"]], axis=1).dropna()
    assert len(both) and (both.iloc[:, 1] > both.iloc[:, 0]).all()

    # What the warm-up precomputes for the new version equals a fresh computation.
    precompute_analyses(any_store)
    cached = _mismatch(any_store)
    any_store.cache.clear()
    pd.testing.assert_frame_equal(cached, _mismatch(any_store))


def test_the_map_outlines_are_warmed_when_the_hotspots_fail(world: World, monkeypatch) -> None:
    """One failed analysis leaves the others: the 읍면동 outlines of every scored 시군구 too."""
    def broken(_store, *, level, parent_code=None):
        raise RuntimeError("hotspots broke (simulated)")

    monkeypatch.setattr(precompute, "hotspots", broken)
    asked: list[tuple[str, str | None]] = []
    real_shapes = precompute.map_shapes

    def counted(store, *, level, parent_code=None):
        asked.append((level, parent_code))
        return real_shapes(store, level=level, parent_code=parent_code)

    monkeypatch.setattr(precompute, "map_shapes", counted)
    precompute_analyses(world.store)
    assert ("sigungu", None) in asked
    assert ("emd", PLANNER_SIGUNGU) in asked
