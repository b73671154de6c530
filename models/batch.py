"""National scoring on Dask: the world partitioned by 시도, the same scoring functions per part.

Three steps, each usable alone:

1. :func:`partition_world` reads the tables the features need from the store once and writes
   them as Parquet, one file per 시도 for every household-keyed table (rows carry their
   household's ``sigungu_code``, files are sorted by it, so a task reads only its 시군구 row
   groups), plus the small national tables (``region``, ``designation``) whole. Geometry is not
   written: no feature reads it.
2. :func:`score_partitions` runs one Dask task per group of whole 시군구 of one 시도 (at most
   ``max_households_per_task`` households, so a worker's memory is bounded by the task size, not
   by the largest 시도). A task calls the feature and model functions of :mod:`models.features`,
   :mod:`models.reasons` and :mod:`models.scoring` on its rows, cuts rank (and, at the 읍면동
   and 시군구 pool levels, tier) within its 시군구 and writes the rows to a staging folder.
   Per-household results depend only on the household's own records and the national region
   tables, so they equal the in-memory ones.
3. As each task finishes, the driver lands its rows into the store's staged replace of
   ``risk_score`` (:class:`models.batch_landing.ScoreLanding`), so it holds one task's rows at a
   time; tiers whose pool spans tasks (시도 / national level, small worlds) are cut after the
   last task on three per-household columns (:mod:`models.batch_landing`).

Staged swap: the store's table is replaced once, after every task finished and the landed rows
match the world's households; a task that fails (or a cluster or driver that dies) leaves the
previous scores in place (:class:`BatchScoringError`; :meth:`Store.staged_replace`).
:func:`score_households_dask` runs the three steps.

For a remote scheduler (``address``), the partition and staging folders must be on a filesystem
the workers share; the model travels to the workers through the scheduler.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from models.batch_cluster import PeakRss, dask_client
from models.batch_landing import (
    BatchScoringError,
    ScoreLanding,
    TierPlan,
    plan_tiers,
    task_tiers,
    write_part,
)
from models.features import (
    FEATURE_TABLES,
    FeatureConfig,
    StoreLike,
    build_features,
    feature_specs,
    legacy_feature_names,
)
from models.reasons import current_reasons, group_codes, score_and_contributions
from models.registry import ModelArtifact, load_model
from models.scoring import calibrated_probability
from models.tiers import CapacityConfig

__all__ = ["BatchScoringError", "BatchTask", "PartitionedWorld", "partition_world", "plan_tasks",
           "read_task_tables", "score_and_land", "score_households_dask", "score_partitions",
           "score_rows", "world_tier_plan", "write_partition"]

log = logging.getLogger(__name__)

#: National tables every task reads whole.
NATIONAL_TABLES: Final = ("region", "designation")
#: Household-keyed tables, partitioned by the household's 시도.
KEYED_TABLES: Final = tuple(t for t in FEATURE_TABLES if t not in NATIONAL_TABLES)
_CHUNK: Final = 250_000
#: Rows scored at once inside a task: the float64 copy of the features and the contribution
#: matrix are the task's largest arrays (≈ 2.6 KB per household together at 160 features).
TASK_CHUNK: Final = 50_000


@dataclass(frozen=True)
class BatchTask:
    """One unit of work: whole 시군구 of one 시도."""

    index: int
    sido_code: str
    sigungu_codes: tuple[str, ...]
    households: int


@dataclass(frozen=True)
class PartitionedWorld:
    """Where the partitioned tables are and how the work is split."""

    root: Path
    tasks: tuple[BatchTask, ...]
    households: int
    seconds: float = 0.0

    def keyed_paths(self, table: str, sido_code: str) -> list[Path]:
        """Files of ``table``'s rows for one 시도 (one per slice, see :func:`write_partition`)."""
        return sorted((self.root / table).glob(f"sido={sido_code}.*parquet"))

    def national_path(self, table: str) -> Path:
        """File of a national table."""
        return self.root / f"{table}.parquet"

    def household_files(self) -> list[Path]:
        """Every household file (all 시도, all slices)."""
        return sorted((self.root / "household").glob("sido=*.parquet"))


@dataclass
class BatchResult:
    """What a Dask run did (returned by :func:`score_and_land` / :func:`score_households_dask`).

    ``score_s`` is the wall time from the first task submitted to the swap done (landing runs
    while tasks still score); ``land_s`` the driver's own time reading parts, cutting spanning
    tiers and writing to the staging area, ``swap_s`` the final swap alone.
    """

    rows: int
    tasks: int
    workers: int
    tier_level: str
    score_s: float
    land_s: float
    swap_s: float
    partition_s: float = 0.0
    parts: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def total_s(self) -> float:
        """Wall seconds of partitioning, scoring and landing."""
        return self.partition_s + self.score_s

    @property
    def worker_peak_rss_mb(self) -> dict[str, float]:
        """Largest resident set each worker had while running one of its tasks (MB)."""
        peaks: dict[str, float] = {}
        for part in self.parts:
            peaks[part["worker"]] = max(peaks.get(part["worker"], 0.0), part["peak_rss_mb"])
        return peaks


# --------------------------------------------------------------------------- 1. partition
def partition_world(store: StoreLike, root: Path, *,
                    max_households_per_task: int = 200_000) -> PartitionedWorld:
    """Write the feature tables partitioned by 시도 under ``root`` and plan the tasks.

    Parameters
    ----------
    store
        Anything with ``read_frame(table, columns=...)``.
    root
        Empty or new folder.
    max_households_per_task
        Whole 시군구 are grouped into tasks of at most this many households (a 시군구 larger
        than this is a task of its own).

    Returns
    -------
    PartitionedWorld
    """
    if max_households_per_task < 1:
        raise ValueError("max_households_per_task must be at least 1")
    start = time.perf_counter()
    hh = store.read_frame("household", columns=list(FEATURE_TABLES["household"]))
    write_partition({"household": hh}, root,
                    read=lambda t: store.read_frame(t, columns=list(FEATURE_TABLES[t])))
    del hh
    world = plan_tasks(root, max_households_per_task=max_households_per_task)
    world = PartitionedWorld(root=root, tasks=world.tasks, households=world.households,
                             seconds=time.perf_counter() - start)
    log.info("partitioned %d households into %d tasks in %.1f s", world.households,
             len(world.tasks), world.seconds)
    return world


def write_partition(frames: Mapping[str, pd.DataFrame], root: Path, *, tag: str = "",
                    read: Any = None) -> int:
    """Write one world (or one slice of a world) into the partition folder ``root``.

    Parameters
    ----------
    frames
        Feature tables by name; ``household`` is required. Tables missing here are asked of
        ``read(table)`` one at a time (so a store's tables are never all in memory at once).
    root
        Partition folder; files are named ``<table>/sido=<code><tag>.parquet``, so several slices
        with distinct ``tag`` values (``".c0"``, ``".c1"`` …) add up to one world.
    tag
        Suffix of this slice's files.

    Returns
    -------
    int
        Households written.
    """
    root.mkdir(parents=True, exist_ok=True)
    hh = frames["household"]
    if hh.empty:
        raise BatchScoringError("the store holds no households to score")
    hh = hh.sort_values("household_id", kind="stable").reset_index(drop=True)
    ids = hh["household_id"].to_numpy(dtype=np.int64)
    sido = hh["sido_code"].astype(str).to_numpy()
    sgg = hh["sigungu_code"].astype(str).to_numpy()
    for table in KEYED_TABLES:
        if table == "household":
            frame = hh[list(FEATURE_TABLES["household"])].assign(_sido=sido)
        else:
            frame = frames[table] if table in frames else read(table)
            hid = frame["household_id"].to_numpy(dtype=np.int64)
            pos = np.clip(np.searchsorted(ids, hid), 0, len(ids) - 1)
            known = ids[pos] == hid
            frame = frame.loc[known, list(FEATURE_TABLES[table])].assign(
                sigungu_code=sgg[pos[known]], _sido=sido[pos[known]])
        _write_by_sido(frame, root / table, tag)
        del frame
    for table in NATIONAL_TABLES:
        path = root / f"{table}.parquet"
        if not path.exists():
            frame = frames[table] if table in frames else read(table)
            frame = frame[list(FEATURE_TABLES[table])]
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    return len(hh)


def _write_by_sido(frame: pd.DataFrame, folder: Path, tag: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    order = np.lexsort((frame["household_id"].to_numpy(), frame["sigungu_code"].astype(str).to_numpy(),
                        frame["_sido"].to_numpy()))
    frame = frame.iloc[order]
    codes = frame["_sido"].to_numpy()
    bounds = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    for part in np.split(np.arange(len(frame)), bounds) if len(frame) else []:
        piece = frame.iloc[part].drop(columns="_sido")
        table = pa.Table.from_pandas(piece, preserve_index=False)
        pq.write_table(table, folder / f"sido={codes[part[0]]}{tag}.parquet", row_group_size=65_536)


def plan_tasks(root: Path, *, max_households_per_task: int = 200_000) -> PartitionedWorld:
    """Group whole 시군구 of each 시도 into tasks of at most ``max_households_per_task``."""
    if max_households_per_task < 1:
        raise ValueError("max_households_per_task must be at least 1")
    files = sorted((root / "household").glob("sido=*.parquet"))
    codes = pa.concat_tables([pq.read_table(f, columns=["sido_code", "sigungu_code"]) for f in files])
    counts = codes.to_pandas().astype(str).groupby(["sido_code", "sigungu_code"], sort=True).size()
    tasks: list[BatchTask] = []
    for sido_code, group in counts.groupby(level="sido_code", sort=True):
        chosen: list[str] = []
        size = 0
        for (_, sgg_code), n in group.items():
            if chosen and size + n > max_households_per_task:
                tasks.append(BatchTask(len(tasks), str(sido_code), tuple(chosen), size))
                chosen, size = [], 0
            chosen.append(str(sgg_code))
            size += int(n)
        if chosen:
            tasks.append(BatchTask(len(tasks), str(sido_code), tuple(chosen), size))
    return PartitionedWorld(root=root, tasks=tuple(tasks), households=int(counts.sum()))


# --------------------------------------------------------------------------- 2. score
def read_task_tables(world: PartitionedWorld, task: BatchTask) -> dict[str, pd.DataFrame]:
    """The feature tables of one task: its 시군구' rows plus the national tables."""
    tables: dict[str, pd.DataFrame] = {}
    for table in KEYED_TABLES:
        paths = world.keyed_paths(table, task.sido_code)
        columns = list(FEATURE_TABLES[table])
        if not paths:  # e.g. no safety-net reports in this 시도
            tables[table] = pd.DataFrame(columns=columns)
            continue
        wanted = [("sigungu_code", "in", list(task.sigungu_codes))]
        frame = pa.concat_tables([pq.read_table(p, filters=wanted) for p in paths]).to_pandas()
        tables[table] = frame[columns] if table == "household" else frame.drop(columns="sigungu_code")
    for table in NATIONAL_TABLES:
        tables[table] = pq.read_table(world.national_path(table)).to_pandas()
    tables["household"] = tables["household"].sort_values("household_id", kind="stable").reset_index(drop=True)
    return tables


def score_rows(tables: Mapping[str, pd.DataFrame], artifact: ModelArtifact, *, as_of: dt.date,
               n_reasons: int = 3, chunk: int = _CHUNK) -> pd.DataFrame:
    """Raw score, calibrated probability and reasons of every household in ``tables``.

    The per-household part of :func:`models.scoring.score_tables` (same functions), ``chunk``
    rows at a time (tasks use :data:`TASK_CHUNK`); ranks and tiers are cut afterwards
    (:func:`models.batch_landing.task_tiers`).

    Returns
    -------
    DataFrame
        Columns ``household_id``, ``jurisdiction_code`` (the 읍면동), ``score``,
        ``probability``, ``reasons``, in the order of ``tables['household']``.
    """
    cfg = FeatureConfig.from_dict(artifact.feature_config)
    specs = feature_specs(cfg)
    if [s.name for s in specs] != list(artifact.feature_names):
        raise ValueError(f"model {artifact.version} was trained on other features; retrain it")
    hh = tables["household"]
    groups, _ = group_codes(specs)
    legacy_cols = [artifact.feature_names.index(c) for c in legacy_feature_names(cfg)]
    n = len(hh)
    prob = np.empty(n)
    raw = np.empty(n)
    reasons = np.empty(n, dtype=object)
    X_all = build_features(tables, hh[["household_id"]].assign(as_of=pd.Timestamp(as_of)), config=cfg)
    for start in range(0, n, chunk):
        sl = slice(start, min(start + chunk, n))
        X = X_all.iloc[sl]
        Xa = X.to_numpy(dtype=np.float64)
        r, contrib = score_and_contributions(artifact.kind, artifact.base, Xa, specs=specs,
                                             baseline=artifact.baseline, legacy_columns=legacy_cols)
        raw[sl] = r
        prob[sl] = calibrated_probability(artifact, r, Xa)
        reasons[sl] = current_reasons(contrib, X, groups, k=n_reasons)
    return pd.DataFrame({"household_id": hh["household_id"].to_numpy(dtype=np.int64),
                         "jurisdiction_code": hh["emd_code"].astype(str).to_numpy(),
                         "score": raw, "probability": prob, "reasons": reasons})


def _score_task(world: PartitionedWorld, task: BatchTask, artifact: ModelArtifact,
                as_of: dt.date, staging: Path, tiers: TierPlan) -> dict[str, Any]:
    """One Dask task: score the task's households, cut their ranks (and tiers) and stage them."""
    import socket

    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    with threadpool_limits(limits=1), PeakRss() as peak:  # one task per worker thread
        rows = score_rows(read_task_tables(world, task), artifact, as_of=as_of, chunk=TASK_CHUNK)
        rows = task_tiers(rows, tiers, task.sido_code, task.sigungu_codes)
        path = staging / f"part-{task.index:05d}.parquet"
        write_part(rows, path)
    return {"index": task.index, "sido_code": task.sido_code, "rows": len(rows), "path": str(path),
            "seconds": time.perf_counter() - start, "worker": f"{socket.gethostname()}:{os.getpid()}",
            "peak_rss_mb": peak.mb}


def score_partitions(client: Any, world: PartitionedWorld, artifact: ModelArtifact, *,
                     as_of: dt.date, staging: Path, tiers: TierPlan,
                     on_part: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Run every task on the cluster; ``on_part`` is called in the driver as each one finishes.

    Returns
    -------
    list of dict
        One record per task (its staged file, rows, seconds, worker and peak RSS), in
        completion order.

    Raises
    ------
    BatchScoringError
        If any task fails (the others are cancelled; staged files are the caller's to remove).
    """
    from distributed import as_completed

    staging.mkdir(parents=True, exist_ok=True)
    model = client.scatter(artifact, broadcast=True)
    futures = [client.submit(_score_task, world, task, model, as_of, staging, tiers,
                             key=f"atlas-score-{task.index}-{uuid.uuid4().hex[:8]}", pure=False)
               for task in world.tasks]
    parts: list[dict[str, Any]] = []
    try:
        for future in as_completed(futures):
            try:
                part = future.result()
            except Exception as exc:
                raise BatchScoringError(f"scoring a partition failed, previous scores kept: {exc}") from exc
            parts.append(part)
            if on_part is not None:
                on_part(part)
    finally:
        for future in futures:
            future.cancel()
    return parts


def world_tier_plan(world: PartitionedWorld, capacity: CapacityConfig | None = None) -> TierPlan:
    """The tier plan of a partitioned world (:func:`models.batch_landing.plan_tiers`)."""
    return plan_tiers(world.household_files(), world.national_path("region"), capacity=capacity)


def score_and_land(client: Any, world: PartitionedWorld, artifact: ModelArtifact, store: Any, *,
                   as_of: dt.date, staging: Path, capacity: CapacityConfig | None = None,
                   scored_at: dt.datetime | None = None) -> BatchResult:
    """Score every task on ``client`` and land the rows in ``store`` as tasks finish, one swap.

    ``store`` needs ``staged_replace`` (both project stores). If anything fails, the store keeps
    its previous ``risk_score`` rows and :class:`BatchScoringError` (or the store's error) is
    raised.
    """
    tiers = world_tier_plan(world, capacity)
    start = time.perf_counter()
    with store.staged_replace("risk_score") as staged:
        landing = ScoreLanding(staged, tiers, artifact.version, scored_at or dt.datetime.now(dt.UTC))
        parts = score_partitions(client, world, artifact, as_of=as_of, staging=staging, tiers=tiers,
                                 on_part=landing.add)
        landing.finish(world.households)
        swap_start = time.perf_counter()
    swap_s = time.perf_counter() - swap_start
    score_s = time.perf_counter() - start
    workers = len(client.scheduler_info().get("workers", {}))
    log.info("dask scoring: %d households, %d tasks on %d workers, tiers per %s: %.1f s "
             "(driver landing %.1f s, swap %.1f s)", staged.rows, len(parts), workers, tiers.level,
             score_s, landing.seconds, swap_s)
    return BatchResult(rows=staged.rows, tasks=len(parts), workers=workers, tier_level=tiers.level,
                       score_s=score_s, land_s=landing.seconds, swap_s=swap_s, parts=parts)


def score_households_dask(
    store: StoreLike,
    *,
    as_of: dt.date,
    model_version: str | None = None,
    models_dir: Path | str | None = None,
    address: str | None = None,
    n_workers: int = 2,
    memory_limit: str = "2GiB",
    max_households_per_task: int = 200_000,
    work_dir: Path | None = None,
    scored_at: dt.datetime | None = None,
    capacity: CapacityConfig | None = None,
    processes: bool = True,
) -> BatchResult:
    """Partition, score on Dask and land the scores by a staged swap (module docstring).

    Parameters
    ----------
    store
        The store to read and to write ``risk_score`` into.
    as_of
        Scoring date.
    model_version, models_dir
        Registry version (default the latest) and folder.
    address
        A running Dask scheduler (``tcp://host:8786``); default a LocalCluster of
        ``n_workers`` single-threaded workers with ``memory_limit`` each.
    max_households_per_task
        Task size (see :func:`partition_world`).
    work_dir
        Folder for the partitions and the staging files (default a temporary folder; removed
        at the end either way).
    processes
        LocalCluster workers as processes (default) or threads (tests).
    """
    artifact = load_model(model_version, models_dir=models_dir)
    base = Path(tempfile.mkdtemp(prefix="atlas-batch-", dir=work_dir))
    try:
        world = partition_world(store, base / "world", max_households_per_task=max_households_per_task)
        with dask_client(address, n_workers=n_workers, memory_limit=memory_limit,
                         processes=processes) as client:
            result = score_and_land(client, world, artifact, store, as_of=as_of,
                                    staging=base / "staging", capacity=capacity, scored_at=scored_at)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    result.partition_s = world.seconds
    return result
