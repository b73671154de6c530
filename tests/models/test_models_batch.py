"""Dask scoring (``models.batch``): same scores as in memory, staged swap on both stores."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geodata.store.base import Store
from geodata.store.embedded import EmbeddedStore
from models import batch
from models.batch_landing import ScoreLanding
from models.features import load_tables
from models.registry import load_model
from models.scoring import RISK_SCORE_COLUMNS, score_tables
from models.tiers import CapacityConfig

SIDO = ("29", "30", "36")  # 광주, 대전, 세종: three 시도, small
SCORED_AT = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def batch_world(region_layers: gpd.GeoDataFrame) -> dict[str, pd.DataFrame]:
    from etl.generate import generate_world

    return generate_world(3_000, seed=11, sido_codes=SIDO, regions=region_layers, workers=1)


@pytest.fixture(scope="module")
def as_of(batch_world: dict[str, pd.DataFrame]) -> dt.date:
    from etl.generate import AS_OF

    return AS_OF


@pytest.fixture(scope="module")
def models_dir(batch_world: dict[str, pd.DataFrame], as_of: dt.date,
               tmp_path_factory: pytest.TempPathFactory) -> Path:
    from models.training import train_from_tables

    root = tmp_path_factory.mktemp("batch-models")
    tables = {t: batch_world[t] for t in batch.FEATURE_TABLES}
    train_from_tables(tables, as_of=as_of, seed=0, models_dir=root, n_boot=50,
                      kinds=("logit",), trained_at=SCORED_AT)
    return root


@pytest.fixture(params=["embedded", "postgis"])
def target_store(request: pytest.FixtureRequest) -> Store:
    """Both stores (this folder's ``store`` fixture is an in-memory fake)."""
    return request.getfixturevalue(f"{request.param}_store")


def _loaded(store: Store, world: dict[str, pd.DataFrame]) -> Store:
    from etl.load import load_world

    load_world(store, world)
    return store


#: Pool levels: 2 visits per team scaled to this small world pools 시도 or the nation (tiers cut by
#: the driver after the last task); the default pools 시군구 and 4 visits not scaled pool 읍면동
#: (both cut in the tasks; 읍면동 is the national-scale case).
PER_EMD = CapacityConfig(staff_per_team=1, visits_per_staff_per_cycle=4.0, scale_to_world=False)
CAPACITIES = {"spanning": (CapacityConfig(staff_per_team=1, visits_per_staff_per_cycle=2.0), {"sido", "all"}),
              "per_sigungu": (None, {"sigungu"}), "per_emd": (PER_EMD, {"emd"})}


@pytest.mark.parametrize("pools", sorted(CAPACITIES))
def test_dask_scores_equal_in_memory_scores(target_store: Store, batch_world, as_of, models_dir,
                                            tmp_path: Path, pools: str) -> None:
    capacity, levels = CAPACITIES[pools]
    store = _loaded(target_store, batch_world)
    work = tmp_path / "work"
    work.mkdir()
    artifact = load_model(models_dir=models_dir)
    expected = score_tables(load_tables(store), artifact, as_of=as_of, scored_at=SCORED_AT,
                            capacity=capacity)
    result = batch.score_households_dask(store, as_of=as_of, models_dir=models_dir,
                                         n_workers=2, processes=False, scored_at=SCORED_AT,
                                         max_households_per_task=400, work_dir=work,
                                         capacity=capacity)
    assert result.tier_level in levels
    assert result.tasks > len(SIDO)  # 시도 split into several tasks of whole 시군구
    assert result.rows == len(batch_world["household"])
    got = store.read_frame("risk_score").reset_index(drop=True)
    want = expected.sort_values("household_id").reset_index(drop=True)
    assert {1, 3, 4} <= set(want["tier"])  # the comparison covers the cuts
    exact = ["household_id", "model_version", "tier", "rank", "jurisdiction_code", "reasons"]
    pd.testing.assert_frame_equal(got[exact], want[exact], check_dtype=False, check_exact=True)
    assert (got["scored_at"] == pd.Timestamp(SCORED_AT)).all()
    # BLAS blocks a matrix product by its row count, so a household scored in a 400-row task
    # may differ from the 3,000-row product in the last bit (seen: 1 row, 2.8e-17).
    np.testing.assert_allclose(got["probability"], want["probability"], rtol=1e-12, atol=0)
    assert not list(work.iterdir()), "partition and staging folders are removed"


def _previous_scores(store: Store, models_dir: Path, as_of: dt.date) -> pd.DataFrame:
    artifact = load_model(models_dir=models_dir)
    previous = score_tables(load_tables(store), artifact, as_of=as_of, scored_at=SCORED_AT)
    previous = previous.assign(model_version="previous-run")
    store.write_frame("risk_score", previous[list(RISK_SCORE_COLUMNS)], mode="replace")
    return store.read_frame("risk_score")


def _no_staging_left(store: Store, work: Path) -> None:
    assert not list(work.iterdir()), "staged parts of the dead run are removed"
    if isinstance(store, EmbeddedStore):
        assert not list(store.root.glob("risk_score.parquet.staged-*"))


def test_failed_partition_leaves_previous_scores(target_store: Store, batch_world, as_of, models_dir,
                                                 tmp_path: Path, monkeypatch) -> None:
    """Parts already landed in the staging area when a late task dies: nothing is swapped in."""
    store = _loaded(target_store, batch_world)
    work = tmp_path / "work"
    work.mkdir()
    before = _previous_scores(store, models_dir, as_of)
    real_read, real_land = batch.read_task_tables, ScoreLanding._land
    landed: list[int] = []

    def dies_on_the_last_task(world, task):
        if task.index == len(world.tasks) - 1:
            time.sleep(1.0)  # the others finish (and land) first
            raise MemoryError("worker killed (simulated)")
        return real_read(world, task)

    def counted_land(self, part, tier):
        real_land(self, part, tier)
        landed.append(part["rows"])

    monkeypatch.setattr(batch, "read_task_tables", dies_on_the_last_task)
    monkeypatch.setattr(ScoreLanding, "_land", counted_land)
    with pytest.raises(batch.BatchScoringError, match="previous scores kept"):
        batch.score_households_dask(store, as_of=as_of, models_dir=models_dir, n_workers=2,
                                    processes=False, max_households_per_task=400, work_dir=work,
                                    capacity=PER_EMD)
    assert len(landed) >= 2 and sum(landed) < len(batch_world["household"])  # streamed, then died
    after = store.read_frame("risk_score")
    pd.testing.assert_frame_equal(after, before)
    assert set(after["model_version"]) == {"previous-run"}
    _no_staging_left(store, work)


def test_landing_that_dies_midway_leaves_previous_scores(target_store: Store, batch_world, as_of,
                                                         models_dir, tmp_path: Path,
                                                         monkeypatch) -> None:
    """The driver fails while landing the third part (e.g. the store's disk fills)."""
    store = _loaded(target_store, batch_world)
    work = tmp_path / "work"
    work.mkdir()
    before = _previous_scores(store, models_dir, as_of)
    real_land = ScoreLanding._land
    calls: list[int] = []

    def fails_on_the_third_part(self, part, tier):
        calls.append(part["index"])
        if len(calls) == 3:
            raise OSError("no space left on device (simulated)")
        real_land(self, part, tier)

    monkeypatch.setattr(ScoreLanding, "_land", fails_on_the_third_part)
    with pytest.raises(OSError, match="no space left"):
        batch.score_households_dask(store, as_of=as_of, models_dir=models_dir, n_workers=2,
                                    processes=False, max_households_per_task=400, work_dir=work)
    pd.testing.assert_frame_equal(store.read_frame("risk_score"), before)
    _no_staging_left(store, work)


def test_partition_files_by_sido(batch_world, tmp_path: Path) -> None:
    class Frames:
        def read_frame(self, table, columns=None, where=None):
            return batch_world[table][columns] if columns else batch_world[table]

        def write_frame(self, table, frame, *, mode="replace"):
            raise AssertionError("partitioning writes nothing to the store")

    world = batch.partition_world(Frames(), tmp_path, max_households_per_task=500)
    files = sorted(p.name for p in (tmp_path / "household").iterdir())
    assert files == [f"sido={c}.parquet" for c in SIDO]
    assert sum(t.households for t in world.tasks) == len(batch_world["household"])
    assert all(t.households <= 500 or len(t.sigungu_codes) == 1 for t in world.tasks)
    task_tables = [batch.read_task_tables(world, t) for t in world.tasks]
    assert sum(len(t["crisis_signal"]) for t in task_tables) == len(batch_world["crisis_signal"])
    with pytest.raises(ValueError, match="at least 1"):
        batch.partition_world(Frames(), tmp_path, max_households_per_task=0)


def test_scoring_a_task_in_chunks_gives_the_same_rows(batch_world, as_of, models_dir,
                                                      tmp_path: Path) -> None:
    """Tasks score ``TASK_CHUNK`` rows at a time (memory); the rows equal one pass."""
    class Frames:
        def read_frame(self, table, columns=None, where=None):
            return batch_world[table][columns] if columns else batch_world[table]

    world = batch.partition_world(Frames(), tmp_path, max_households_per_task=1_000)
    tables = batch.read_task_tables(world, world.tasks[0])
    artifact = load_model(models_dir=models_dir)
    whole = batch.score_rows(tables, artifact, as_of=as_of)
    chunked = batch.score_rows(tables, artifact, as_of=as_of, chunk=97)
    assert len(whole) > 97 * 3
    pd.testing.assert_frame_equal(chunked.drop(columns=["score", "probability"]),
                                  whole.drop(columns=["score", "probability"]))
    np.testing.assert_allclose(chunked["score"], whole["score"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(chunked["probability"], whole["probability"], rtol=1e-12, atol=0)
