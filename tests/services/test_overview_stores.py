"""National overview numbers counted by the store equal the numbers from the rows, on both stores
(``services.overview`` over :meth:`Store.group_counts` and ``services.scores.national_tier_counts``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from domain.access import PUBLIC_VIEWER, Viewer
from domain.tiers import TIER_VALUES
from geodata.store.base import Store
from services.casework import override_tier
from services.overview import discovery_trend, kpis
from services.scores import current_scores, national_tier_counts
from services.users import ensure_demo_users
from tests.fixtures_world import OUTREACH_EMD, PLANNER_SIGUNGU, World, build_world, viewer_of

ADMIN = Viewer(4, "admin", "admin")
WORLD_TABLES = ("region", "household", "risk_score", "discovery_history")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("overview-stores") / "store")


@pytest.fixture(params=["embedded", "postgis"])
def any_store(request: pytest.FixtureRequest, built: World, tmp_path: Path) -> Store:
    """The test world's overview inputs and demo users on each store (fresh per test)."""
    store: Store = request.getfixturevalue("postgis_store" if request.param == "postgis"
                                           else "embedded_store")
    for name in WORLD_TABLES:
        # all-null census columns of the fixture's regions do not write to PostGIS: drop them
        store.write_frame(name, built.store.read_frame(name).dropna(axis=1, how="all"))
    ensure_demo_users(store, jurisdictions={"outreach": OUTREACH_EMD, "planner": PLANNER_SIGUNGU})
    return store


def _tiers_from_rows(store: Store) -> dict[int, int]:
    counts = current_scores(store, columns=["household_id", "tier"])["tier"].value_counts()
    return {int(t): int(counts.get(t, 0)) for t in TIER_VALUES}


def test_national_kpis_equal_the_rows(any_store: Store) -> None:
    numbers = kpis(any_store, ADMIN)
    assert numbers.households == len(any_store.read_frame("household", columns=["household_id"]))
    assert numbers.per_tier == _tiers_from_rows(any_store)
    assert numbers.scored == sum(numbers.per_tier.values()) > 0
    hist = any_store.read_frame("discovery_history", columns=["cycle_date", "outcome"])
    latest = hist[hist["cycle_date"] == hist["cycle_date"].max()]
    assert numbers.discovery_link_rate == pytest.approx((latest["outcome"] == "supported").mean())
    public = kpis(any_store, PUBLIC_VIEWER)
    assert public.households == numbers.households and public.scored == numbers.scored


def test_tier_counts_follow_overrides(any_store: Store) -> None:
    own = current_scores(any_store, where={"household_id": [
        int(i) for i in any_store.read_frame("household", columns=["household_id"],
                                             where={"emd_code": OUTREACH_EMD})["household_id"]]})
    worst = int(own["model_tier"].max())
    low = own[own["model_tier"] == worst].sort_values("rank")
    outreach = viewer_of(any_store, "outreach")
    for hid in low["household_id"].head(3):  # more overrides up than tier 1 may hold
        override_tier(any_store, outreach, int(hid), tier=1, reason_code="urgent_report")
    counted = national_tier_counts(any_store)
    assert {int(t): int(n) for t, n in counted.items()} == {
        t: n for t, n in _tiers_from_rows(any_store).items() if n}
    assert current_scores(any_store, columns=["household_id", "tier"])["overridden"].sum() == 3


def test_national_trend_equals_the_rows(any_store: Store) -> None:
    hist = any_store.read_frame("discovery_history", columns=["cycle_date", "outcome"])
    expected = (hist.groupby(["cycle_date", "outcome"]).size().rename("households").astype(float)
                .reset_index().sort_values(["cycle_date", "outcome"]).reset_index(drop=True))
    got = discovery_trend(any_store, ADMIN)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert got["cycle_date"].dtype == "datetime64[ns]"
