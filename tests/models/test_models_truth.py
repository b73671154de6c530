"""The design-weighted estimate against the world's truth (the generator's oracle file)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from etl.generate import AS_OF, generate_world, read_oracle
from models.features import FEATURE_TABLES
from models.training import train_from_tables
from models.truth import truth_at_capacity


@pytest.fixture(scope="module")
def world_and_oracle(region_layers, tmp_path_factory) -> tuple[dict[str, pd.DataFrame], Path]:
    path = tmp_path_factory.mktemp("oracle") / "oracle.parquet"
    world = generate_world(20_000, seed=8, sido_codes=["26"], regions=region_layers,
                           audit_rate=0.06, oracle_path=path)  # fmt: skip
    return world, path


def test_the_interval_covers_the_population_truth(world_and_oracle, tmp_path) -> None:
    world, path = world_and_oracle
    report = train_from_tables(world, as_of=AS_OF, seed=2, kinds=("hgb",), test_cycles=2,
                               n_boot=200, save=False, capacity_share=0.02)  # fmt: skip
    check = truth_at_capacity(report, world, read_oracle(path))
    assert set(check["subset"]) == {"hidden", "all"}
    assert set(check["model"]) == {"hgb", "as_is_xgb", "legacy"}
    assert check["truth"].between(0, 1).all()
    # 95% intervals: of six cells (two subsets x three models, all resting on the same audit
    # rows) at most one may miss; the headline cell (hidden households, our model) must not
    assert check["covered"].sum() >= 5, check.to_string()
    head = check[(check["subset"] == "hidden") & (check["model"] == "hgb")].iloc[0]
    assert head["covered"], check.to_string()


def test_the_truth_never_reaches_a_table_a_model_reads(world_and_oracle) -> None:
    world, path = world_and_oracle
    oracle = read_oracle(path)
    assert len(oracle) == 12 * len(world["household"])
    truth_columns = set(oracle.columns) - {"household_id", "cycle_date"}
    for name, frame in world.items():
        assert not truth_columns & set(frame.columns), name
    for name, columns in FEATURE_TABLES.items():
        assert not truth_columns & set(columns), name
        # no float column of any table equals the truth of its households at any cycle
        frame = world[name]
        if "household_id" not in frame.columns:
            continue
        for col in frame.select_dtypes("float").columns:
            joined = frame[["household_id", col]].merge(
                oracle[oracle["cycle_date"] == oracle["cycle_date"].max()], on="household_id"
            )
            assert not np.allclose(joined[col], joined["p_supported_if_reached"]), (name, col)
