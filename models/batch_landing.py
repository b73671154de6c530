"""Tiers and streamed landing of the Dask scoring batch (:mod:`models.batch`).

Tiers need two things beyond a household's own score (:mod:`models.tiers`):

- the **pool level** (읍면동 → 시군구 → 시도 → all: the first whose median pooled capacity is at
  least one visit), a national choice made from household *counts* per 읍면동 before any task
  runs (:func:`plan_tiers`, a few thousand numbers);
- the **rank within the pool**. Tasks are whole 시군구, so at the 읍면동 and 시군구 levels (every
  real-capacity world: the pool is the 읍면동 itself) a pool lies inside one task and the task
  cuts its own tiers. At the 시도 and national levels (small synthetic worlds) a pool spans
  tasks: the driver then ranks on three per-household columns (id, score, pool) after the last
  task, never on the score frames (:func:`national_tiers`).

``rank`` (within the 읍면동) is always cut in the task.

:class:`ScoreLanding` writes each finished task's rows into the store's staged replace
(:meth:`geodata.store.base.Store.staged_replace`) as the task completes, so the driver holds
one task's rows at a time; the swap happens once, after the row count matched the world.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from models.scoring import RISK_SCORE_COLUMNS
from models.tiers import CapacityConfig, PoolPlan, assign_tiers, capacity_from_counts, pool_plan

__all__ = ["ScoreLanding", "TierPlan", "national_tiers", "plan_tiers", "task_tiers"]

log = logging.getLogger(__name__)

#: Columns of a task's staged part file.
PART_COLUMNS = ("household_id", "jurisdiction_code", "score", "probability", "rank", "tier", "reasons")


class BatchScoringError(RuntimeError):
    """A partition failed to score or land; the store still holds the previous scores."""


class StagedWriter(Protocol):
    """What :class:`ScoreLanding` needs of a store's staged replace."""

    rows: int

    def append(self, frame: pd.DataFrame) -> int: ...


@dataclass(frozen=True)
class TierPlan:
    """How tiers are cut: the world's pools (:class:`models.tiers.PoolPlan`) and tier cuts."""

    pools: PoolPlan
    config: CapacityConfig | None = None

    @property
    def level(self) -> str:
        """Pool level, as :func:`models.tiers.capacity_pools` reports it."""
        return self.pools.level

    @property
    def within_task(self) -> bool:
        """Whether every pool lies inside one task (whole 시군구; real-density pools are 읍면동)."""
        return self.pools.sample_level in ("emd", "sigungu")


def plan_tiers(household_files: list[Path], region_file: Path, *,
               capacity: CapacityConfig | None = None) -> TierPlan:
    """The pool level and capacity per pool of the whole world, from counts per 읍면동.

    Reads only the ``emd_code`` and ``sigungu_code`` columns of the household files, one at a
    time, and keeps one count per 읍면동.
    """
    counts: list[pd.DataFrame] = []
    for path in household_files:
        codes = pq.read_table(path, columns=["emd_code", "sigungu_code"])
        grouped = codes.group_by(["emd_code", "sigungu_code"]).aggregate([("emd_code", "count")])
        counts.append(grouped.to_pandas())
    if not counts:
        raise BatchScoringError("the partitioned world holds no households")
    table = pd.concat(counts, ignore_index=True)
    table["emd_code"] = table["emd_code"].astype(str)
    per_emd = table.groupby("emd_code", sort=True).agg(n=("emd_code_count", "sum"),
                                                        sgg=("sigungu_code", "first"))
    region = pq.read_table(region_file).to_pandas()
    cap = capacity_from_counts(per_emd["n"], per_emd["sgg"].astype(str), region, config=capacity)
    pools = pool_plan(cap, region)
    log.info("tiers cut per %s (%d pools)", pools.level, len(pools.capacity))
    return TierPlan(pools=pools, config=capacity)


def task_tiers(rows: pd.DataFrame, plan: TierPlan, sido_code: str,
               sigungu_codes: tuple[str, ...]) -> pd.DataFrame:
    """``rank`` within the 읍면동 and, when pools lie inside the task, ``tier`` (else 0).

    Raises
    ------
    BatchScoringError
        A household's 읍면동 code does not start with its task's 시도 and one of its 시군구 codes
        (its pool could then span tasks).
    """
    emd = rows["jurisdiction_code"].astype(str)
    outside = ~emd.str.slice(0, 5).isin(list(sigungu_codes)) | (emd.str.slice(0, 2) != sido_code)
    if outside.any():
        raise BatchScoringError(f"{int(outside.sum())} households have a 읍면동 outside their "
                                f"task's 시군구 (e.g. {emd[outside].iloc[0]})")
    frame = rows[["household_id", "jurisdiction_code", "score"]]
    if plan.within_task:
        tiers = assign_tiers(frame, plan.pools.capacity, config=plan.config,
                             pool=plan.pools.pool_codes(emd))
        return rows.assign(rank=tiers["rank"].to_numpy(), tier=tiers["tier"].to_numpy())
    ranks = assign_tiers(frame, pd.Series(dtype=float), config=plan.config)["rank"]
    return rows.assign(rank=ranks.to_numpy(), tier=np.zeros(len(rows), dtype=np.int16))


def national_tiers(parts: list[dict[str, Any]], plan: TierPlan) -> list[np.ndarray]:
    """Tiers of pools spanning tasks (시도 / national level), one array per part, in part order.

    Reads three columns per household: id, score and the 읍면동 code (dictionary-encoded: the
    pool is looked up once per distinct 읍면동 and kept as a reference per household).
    """
    ids, scores, pools, sizes = [], [], [], []
    for part in parts:
        data = pq.read_table(part["path"], columns=["household_id", "score", "jurisdiction_code"],
                             read_dictionary=["jurisdiction_code"])
        ids.append(data.column("household_id").to_numpy())
        scores.append(data.column("score").to_numpy())
        emd = data.column("jurisdiction_code").combine_chunks()
        pool_of_emd = plan.pools.pool_codes(pd.Series(emd.dictionary.to_pylist(), dtype=object))
        pools.append(pool_of_emd[emd.indices.to_numpy()])
        sizes.append(data.num_rows)
        del data
    frame = pd.DataFrame({"household_id": np.concatenate(ids), "score": np.concatenate(scores),
                          "pool": np.concatenate(pools)})
    del ids, scores, pools
    tiers = assign_tiers(frame, plan.pools.capacity, config=plan.config, jurisdiction="pool")["tier"]
    return np.split(tiers.to_numpy(np.int16), np.cumsum(sizes)[:-1])


@dataclass
class ScoreLanding:
    """Lands finished parts into a staged replace of ``risk_score`` (module docstring)."""

    staged: StagedWriter
    plan: TierPlan
    model_version: str
    scored_at: dt.datetime
    seconds: float = 0.0
    _waiting: list[dict[str, Any]] = field(default_factory=list)

    def add(self, part: dict[str, Any]) -> None:
        """Land one finished part now (tiers cut in the task) or keep it for :meth:`finish`."""
        if not self.plan.within_task:
            self._waiting.append(part)
            return
        self._land(part, None)

    def finish(self, households: int) -> None:
        """Land the parts kept back (national tiers) and check every household was landed.

        Raises
        ------
        BatchScoringError
            The landed rows do not match ``households`` (the caller's staged replace is then
            abandoned: previous scores kept).
        """
        if self._waiting:
            start = time.perf_counter()
            parts = sorted(self._waiting, key=lambda p: p["index"])
            tiers = national_tiers(parts, self.plan)
            self.seconds += time.perf_counter() - start
            for part, tier in zip(parts, tiers, strict=True):
                self._land(part, tier)
            self._waiting.clear()
        if self.staged.rows != households:
            raise BatchScoringError(f"staged {self.staged.rows:,} scores for {households:,} "
                                    "households; previous scores kept")

    def _land(self, part: dict[str, Any], tier: np.ndarray | None) -> None:
        start = time.perf_counter()
        rows = pq.read_table(part["path"], columns=list(PART_COLUMNS)).to_pandas()
        if tier is not None:
            rows["tier"] = tier
        rows["model_version"] = self.model_version
        rows["scored_at"] = pd.Timestamp(self.scored_at)
        self.staged.append(rows[list(RISK_SCORE_COLUMNS)])
        Path(part["path"]).unlink(missing_ok=True)
        self.seconds += time.perf_counter() - start


def write_part(rows: pd.DataFrame, path: Path) -> None:
    """Write a task's rows (:data:`PART_COLUMNS`) to ``path`` atomically."""
    tmp = path.with_suffix(".tmp")
    table = pa.Table.from_pandas(rows[list(PART_COLUMNS)], preserve_index=False)
    pq.write_table(table, tmp)
    tmp.replace(path)
