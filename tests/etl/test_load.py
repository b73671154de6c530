"""etl.load.load_world: a whole world replaced as one unit (both stores)."""

from __future__ import annotations

import pandas as pd
import pytest

from etl.load import household_tables, load_world
from geodata.store.base import Store


def _scores(households: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "household_id": households["household_id"].to_numpy(),
        "model_version": "m1",
        "scored_at": pd.Timestamp("2026-11-01", tz="UTC"),
        "probability": 0.1,
        "tier": 3,
        "rank": range(1, len(households) + 1),
        "jurisdiction_code": households["emd_code"].to_numpy(),
        "reasons": "[]",
    })


def test_load_world_replaces_every_table_and_empties_stale_scores(store: Store,
                                                                    small_world) -> None:
    steps: list[str] = []
    rows = load_world(store, {**small_world, "risk_score": _scores(small_world["household"])},
                      progress=lambda _f, step: steps.append(step))
    assert rows["risk_score"] == len(small_world["household"]) and steps[-1] == "switched"
    assert len(steps) == len(small_world) + 2  # one per staged table, then the switch
    smaller = small_world["household"].iloc[:500]
    ids = set(smaller["household_id"])
    world = {name: frame[frame["household_id"].isin(ids)] if "household_id" in frame else frame
             for name, frame in small_world.items()}
    rows = load_world(store, world)
    assert rows["risk_score"] == 0 and store.count("risk_score") == 0  # scores of the old world
    assert store.count("household") == 500
    for name in household_tables():
        stored = store.read_frame(name, columns=["household_id"])
        assert set(stored["household_id"]) <= ids, name


def test_load_world_refuses_household_rows_without_households(store: Store, small_world) -> None:
    with pytest.raises(ValueError, match="needs its household table"):
        load_world(store, {"person": small_world["person"]})
    with pytest.raises(ValueError, match="not bulk tables"):
        load_world(store, {"people": small_world["person"]})
    assert store.count("person") == 0
    load_world(store, {"region": small_world["region"]})  # no households: nothing else emptied
    assert store.count("region") == len(small_world["region"])
