"""The simulation service on both stores, over the generated 3,000-household world with tiers
cut from capacity as scoring cuts them: the current criteria reproduce every tier, and a
scenario's matrix is the one the rule gives on the frames directly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from domain.access import Viewer
from geodata.store.base import Store
from models.criteria import CriteriaSpec, criteria_signals, scenario_tiers, transition_matrix
from models.tiers import assign_tiers, capacity_pools
from services.simulation import run_simulation

ADMIN = Viewer(4, "admin", "admin", None, "관리자")
TABLES = ("region", "household", "crisis_signal")
SCENARIO = {"criteria": [{"signal": "isolation", "mode": "include"},
                         {"signal": "financial_delinquency", "mode": "boost", "weight": 2.0}],
            "financial_cap_krw": 20_000_000}


def _scores(world: dict[str, pd.DataFrame]) -> pd.DataFrame:
    hh = world["household"]
    prob = np.random.default_rng(5).beta(1.2, 8.0, len(hh))
    pool, cap, _ = capacity_pools(hh, world["region"])
    frame = pd.DataFrame({"household_id": hh["household_id"].to_numpy(),
                          "jurisdiction_code": hh["emd_code"].astype(str).to_numpy(), "score": prob})
    tiers = assign_tiers(frame, cap, pool=pool)
    last = pd.to_datetime(world["crisis_signal"]["month"]).max() + pd.offsets.MonthBegin(1)
    return pd.DataFrame({"household_id": frame["household_id"], "model_version": "stores-1",
                         "scored_at": pd.Timestamp(last, tz="UTC"), "probability": prob,
                         "tier": tiers["tier"].astype(np.int16), "rank": tiers["rank"],
                         "jurisdiction_code": frame["jurisdiction_code"], "reasons": "[]"})


@pytest.fixture
def loaded(store: Store, small_world: dict[str, pd.DataFrame]) -> tuple[Store, pd.DataFrame]:
    for name in TABLES:
        store.write_frame(name, small_world[name])
    scores = _scores(small_world)
    store.write_frame("risk_score", scores)
    return store, scores


def test_current_criteria_reproduce_every_tier_on_both_stores(loaded) -> None:
    store, scores = loaded
    result = run_simulation(store, ADMIN, {})
    matrix = result.transitions[["1", "2", "3", "4"]].to_numpy()
    assert result.households == len(scores) and result.moved == 0
    assert int(np.trace(matrix)) == len(scores) and matrix.sum() == len(scores)
    assert result.visits_current == result.visits_scenario == int((scores["tier"] <= 2).sum())


def test_a_scenario_matches_the_rule_on_the_frames_on_both_stores(loaded, small_world) -> None:
    store, scores = loaded
    hh = small_world["household"].merge(scores[["household_id", "probability", "rank", "tier"]],
                                        on="household_id")
    signals = small_world["crisis_signal"]
    spec = CriteriaSpec.from_dict(SCENARIO)
    as_of = pd.Timestamp(scores["scored_at"].iloc[0]).date()
    expected = scenario_tiers(hh, criteria_signals(
        hh, signals[signals["source"] == "financial_delinquency"], as_of=as_of,
        financial_cap_krw=spec.financial_cap_krw), spec, region=small_world["region"])
    want = transition_matrix(hh["tier"], expected["tier"])
    sigungu = str(hh["sigungu_code"].value_counts().index[0])
    national = run_simulation(store, ADMIN, SCENARIO)
    got = national.transitions[["1", "2", "3", "4"]].to_numpy()
    assert (got == want.to_numpy()).all() and national.moved > 0
    one = run_simulation(store, ADMIN, SCENARIO, sigungu_code=sigungu)
    here = hh["sigungu_code"].astype(str).eq(sigungu).to_numpy()
    want_here = transition_matrix(hh.loc[here, "tier"], expected.loc[here, "tier"]).to_numpy()
    assert (one.transitions[["1", "2", "3", "4"]].to_numpy() == want_here).all()
    assert int(one.by_region["households"].sum()) == int(here.sum())
