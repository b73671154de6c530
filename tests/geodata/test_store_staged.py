"""Staged replace (``Store.staged_replace``): parts land, one swap, failures keep the old rows.

The same contract on both stores.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geodata.store.base import Store, StoreInputError


def _scores(ids: list[int], version: str = "m1", tier: int = 2) -> pd.DataFrame:
    return pd.DataFrame({
        "household_id": ids,
        "model_version": version,
        "scored_at": pd.Timestamp(dt.datetime(2026, 11, 30, tzinfo=dt.UTC)),
        "probability": [0.5] * len(ids),
        "tier": [tier] * len(ids),
        "rank": list(range(1, len(ids) + 1)),
        "jurisdiction_code": "1111051500",
        "reasons": "[]",
    })


def test_parts_replace_the_table_in_one_swap(store: Store) -> None:
    store.write_frame("risk_score", _scores([1, 2, 3], version="old"))
    before = store.data_version("risk_score")
    with store.staged_replace("risk_score") as staged:
        assert staged.append(_scores([30, 10], version="new")) == 2
        staged.append(_scores([20], version="new"))
        staged.append(_scores([], version="new"))  # an empty part is fine
        # nothing visible before the block ends
        assert store.read_frame("risk_score")["model_version"].unique().tolist() == ["old"]
        assert store.data_version("risk_score") == before
    assert staged.rows == 3 and staged.parts == 3
    got = store.read_frame("risk_score")
    assert got["household_id"].tolist() == [10, 20, 30]  # key order, as every read
    assert set(got["model_version"]) == {"new"}
    assert got["tier"].tolist() == [2, 2, 2]
    assert store.data_version("risk_score") != before
    assert store.model_versions()["households"].tolist() == [3]


def test_an_error_in_the_block_keeps_the_previous_rows(store: Store) -> None:
    store.write_frame("risk_score", _scores([1, 2, 3], version="old"))
    before = store.read_frame("risk_score")
    with pytest.raises(MemoryError), store.staged_replace("risk_score") as staged:
        staged.append(_scores([10, 20], version="new"))
        raise MemoryError("worker died (simulated)")
    pd.testing.assert_frame_equal(store.read_frame("risk_score"), before)
    # and the store still takes a staged replace afterwards (no staging area left behind)
    with store.staged_replace("risk_score") as staged:
        staged.append(_scores([5], version="next"))
    assert store.read_frame("risk_score")["household_id"].tolist() == [5]


def test_a_bad_part_or_a_repeated_key_writes_nothing(store: Store) -> None:
    store.write_frame("risk_score", _scores([1, 2], version="old"))
    before = store.read_frame("risk_score")
    bad = _scores([10]).assign(jurisdiction_code="1" * 11)  # String(10)
    with pytest.raises(StoreInputError, match="jurisdiction_code"), \
            store.staged_replace("risk_score") as staged:
        staged.append(_scores([5]))
        staged.append(bad)
    with pytest.raises(StoreInputError, match=r"primary key|duplicate key"), \
            store.staged_replace("risk_score") as staged:
        staged.append(_scores([7, 8]))
        staged.append(_scores([8, 9]))  # 8 twice, across parts
    pd.testing.assert_frame_equal(store.read_frame("risk_score"), before)


def test_no_parts_empty_the_table(store: Store) -> None:
    store.write_frame("risk_score", _scores([1], version="old"))
    with store.staged_replace("risk_score"):
        pass
    assert store.count("risk_score") == 0
    assert list(store.read_frame("risk_score").columns)[:2] == ["household_id", "model_version"]


def test_only_non_spatial_bulk_tables(store: Store) -> None:
    with pytest.raises(StoreInputError, match="non-spatial"), store.staged_replace("household"):
        pass
    with pytest.raises(StoreInputError, match=r"unknown table|not_a_table"), \
            store.staged_replace("not_a_table"):
        pass


_DIES_MIDWAY = """
import os
import pandas as pd
from geodata.store.factory import open_store
from geodata.store.spec import StoreSpec
store = open_store(StoreSpec({kind!r}, {location!r}))
import io
part = pd.read_json(io.StringIO({part!r}), orient="table")
with store.staged_replace("risk_score") as staged:
    staged.append(part)
    staged.append(part.assign(household_id=part["household_id"] + 100))
    os._exit(9)  # the process dies between parts: no exception handler, no cleanup
"""


def test_a_process_that_dies_midway_leaves_the_previous_rows(store: Store) -> None:
    import subprocess
    import sys
    from pathlib import Path

    store.write_frame("risk_score", _scores([1, 2, 3], version="old"))
    before = store.read_frame("risk_score")
    spec = store.reopen_spec()
    part = _scores([10, 20], version="new").to_json(orient="table", index=False)
    code = _DIES_MIDWAY.format(kind=spec.kind, location=spec.location, part=part)
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[2],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 9, done.stderr
    pd.testing.assert_frame_equal(store.read_frame("risk_score"), before)
    if spec.kind == "embedded":  # the dead writer left its half-written staged file ...
        assert len(list(Path(spec.location).glob("risk_score.parquet.staged-*"))) == 1
        from geodata.store.factory import open_store

        open_store(spec)  # ... which the next open of the store removes
        assert not list(Path(spec.location).glob("risk_score.parquet.staged-*"))
    with store.staged_replace("risk_score") as staged:  # the next run is not hindered
        staged.append(_scores([4], version="next"))
    assert store.read_frame("risk_score")["household_id"].tolist() == [4]
    if spec.kind == "embedded":  # the dead writer's staged file was removed by the next run
        assert not list(Path(spec.location).glob("risk_score.parquet.staged-*"))
