"""Parallel generation: the 시도 split into groups, each built in its own forked process, merged.

The parent draws the regional characteristics and the households per 시도 once for the whole
world, so the world depends on the number of groups, never on scheduling. Workers hand their
frames back through memory-backed files (pickle protocol 5, buffers out of band).
"""

from __future__ import annotations

import itertools
import logging
import mmap
import multiprocessing
import os
import pickle
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from domain.progress import Progress
from etl.generate.dense import sample_sido_shares
from etl.generate.regions import draw_regions
from etl.generate.steps import build
from etl.generate.tables import TABLE_ORDER, build_region_table, designation_and_region
from etl.generate.world import NATIONAL_HOUSEHOLDS, World, WorldSpec
from etl.reference_data import facility_types
from geodata.schema import STORAGE_SRID

log = logging.getLogger(__name__)

# Id columns of each table that number its own rows (renumbered contiguously when merging).
_OWN_ID = {
    "household": "household_id", "person": "person_id", "crisis_signal": None,
    "safety_net_report": "report_id", "benefit_history": "benefit_id",
    "discovery_history": "discovery_id", "consultation": "consultation_id",
    "support": "support_id", "facility": "facility_id",
}


@dataclass(frozen=True, slots=True)
class GroupPlan:
    """What one group of a parallel run generates: its 시도 and counts, drawn by the parent."""

    world: World  # the whole world's regional draws (inherited by fork, never pickled)
    sido_codes: tuple[str, ...]
    per_sido: np.ndarray  # households per 시도 of the group (from the world's multinomial)
    emd_rows: np.ndarray  # positions of the group's 읍면동 in ``world.emd``
    facility_counts: np.ndarray  # facilities per type placed by this group
    seed: np.random.SeedSequence


def plan_groups(
    world: World, workers: int, seed: np.random.SeedSequence, group_seeds: np.random.SeedSequence
) -> list[GroupPlan]:
    """Split the 시도 into ``workers`` groups balanced by household count (deterministic).

    The households per 시도 are drawn once for the whole world (one multinomial, so the 시도
    shares stay calibrated); each group gets its own seed spawned from ``group_seeds``.
    """
    rng = np.random.default_rng(seed)
    emd_sido = world.emd["sido_code"].to_numpy()
    sido_share = sample_sido_shares(world.stats, emd_sido, world.emd_fixed)
    per_sido = rng.multinomial(world.spec.households, sido_share)
    codes_in_order = list(world.stats.index)
    dense = pd.Series(np.maximum(world.emd_fixed, 0), index=emd_sido).groupby(level=0).sum()
    load_sido = per_sido + dense.reindex(codes_in_order).fillna(0).to_numpy(np.int64)
    # longest-processing-time greedy: largest 시도 first, into the lightest group (ties: lowest)
    order = sorted(range(len(codes_in_order)), key=lambda i: (-load_sido[i], codes_in_order[i]))
    members: list[list[int]] = [[] for _ in range(workers)]
    load = np.zeros(workers, dtype=np.int64)
    for i in order:
        g = int(np.argmin(load))
        members[g].append(i)
        load[g] += load_sido[i]
    members = [sorted(m) for m in members if m]  # keep the 시도 order of the statistics
    sizes = np.array([load_sido[m].sum() for m in members], dtype=float)
    # facilities: each group's Poisson share; every type at least once in the whole world
    types = facility_types()
    national = types["national_count"].to_numpy(float)
    fac = rng.poisson(np.outer(sizes / NATIONAL_HOUSEHOLDS, national))
    for t in np.flatnonzero(fac.sum(axis=0) == 0):
        fac[rng.choice(len(members), p=sizes / sizes.sum()), t] = 1
    emd_sido = world.emd["sido_code"].to_numpy()
    seeds = group_seeds.spawn(len(members))
    plans = []
    for g, m in enumerate(members):
        group_codes = tuple(codes_in_order[i] for i in m)
        plans.append(
            GroupPlan(
                world=world,
                sido_codes=group_codes,
                per_sido=per_sido[m],
                emd_rows=np.flatnonzero(np.isin(emd_sido, group_codes)),
                facility_counts=fac[g],
                seed=seeds[g],
            )
        )
    return plans


_FORK_PLANS: list[GroupPlan] = []  # set just before forking; read by the worker processes


def _shared_dir() -> str:
    """A memory-backed folder for handing results between processes (``/dev/shm`` on Linux)."""
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else tempfile.gettempdir()


def _run_group_to_file(g: int) -> tuple[str, int, list[int]]:
    """Generate group ``g`` in a worker and write it to a memory-backed file (pickle protocol 5).

    The array buffers are written out of band, straight from the arrays, and the parent maps
    the file instead of receiving ~300 MB per million households through a pipe and copying it
    twice.
    """
    part = _run_group(g)
    buffers: list[pickle.PickleBuffer] = []
    head = pickle.dumps(part, protocol=5, buffer_callback=buffers.append)
    del part
    fd, path = tempfile.mkstemp(prefix="bokji-generate-", dir=_shared_dir())
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(head)
            sizes = []
            for buf in buffers:
                raw = buf.raw()
                f.write(raw)
                sizes.append(raw.nbytes)
    except BaseException:
        os.unlink(path)
        raise
    return path, len(head), sizes


def _read_group_file(handle: tuple[str, int, list[int]]) -> dict[str, object]:
    """Map a file written by :func:`_run_group_to_file` (arrays are views of the mapping)."""
    path, head_size, sizes = handle
    try:
        with open(path, "rb") as f:
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if head_size + sum(sizes) else b""
    finally:
        os.unlink(path)  # freed once the last array viewing the mapping is gone
    view = memoryview(mapped)
    offsets = np.cumsum([head_size, *sizes])
    # small buffers (block placements, indexes) are copied: they outlive the merge, and a view
    # would keep the whole mapping alive; the large column buffers are copied by the merge
    buffers = [
        view[start:end] if end - start > 65_536 else bytes(view[start:end])
        for start, end in itertools.pairwise(offsets)
    ]
    return pickle.loads(view[:head_size], buffers=buffers)


def _run_group(g: int, progress: Progress | None = None) -> dict[str, object]:
    """Generate group ``g`` of :data:`_FORK_PLANS`; plain frames and arrays, cheap to pickle."""
    plan = _FORK_PLANS[g]
    world = plan.world
    spec = WorldSpec(
        int(plan.per_sido.sum()), world.spec.seed, plan.sido_codes, world.spec.audit_rate,
        world.spec.latent, world.spec.dense_regions,
    )
    gen = World(
        spec, world.layers, progress or (lambda _f, _s: None), plan=plan,
        rng=np.random.default_rng(plan.seed),
    )
    tables = build(gen)
    out: dict[str, object] = {name: tables[name] for name in _OWN_ID}  # household: no geometry
    out["x"], out["y"] = gen.x, gen.y
    out["emd_idx"] = plan.emd_rows[gen.emd_idx].astype(np.int32)  # positions in world.emd
    out["oracle"], out["reach_p"] = gen.oracle, gen.reach_p
    return out


def generate_parallel(
    spec: WorldSpec, layers: gpd.GeoDataFrame, progress: Progress, workers: int
) -> tuple[dict[str, pd.DataFrame], World]:
    """Generate ``workers`` groups of 시도 in parallel processes and merge them.

    Returns the merged tables and the parent's :class:`World` (its ``oracle`` and ``reach_p``
    are the merged groups').
    """
    global _FORK_PLANS
    world = World(spec, layers, progress)  # validates the spec
    regions_seed, plan_seed, groups_seed = np.random.SeedSequence(spec.seed).spawn(3)
    world.rng = np.random.default_rng(regions_seed)
    draw_regions(world)  # regional draws of the whole world, shared by the groups
    plans = plan_groups(world, workers, plan_seed, groups_seed)
    _FORK_PLANS = plans  # inherited by the forked workers: nothing but a group index is pickled

    def own_progress(fraction: float, step: str) -> None:
        progress(0.9 * fraction, step)

    try:
        can_fork = "fork" in multiprocessing.get_all_start_methods()
        if can_fork and not multiprocessing.current_process().daemon:
            context = multiprocessing.get_context("fork")
            # this process generates the smallest group (it also merges); the others fork
            local = int(np.argmin([p.per_sido.sum() for p in plans]))
            with ProcessPoolExecutor(len(plans) - 1, mp_context=context) as pool:
                futures = {
                    g: pool.submit(_run_group_to_file, g) for g in range(len(plans)) if g != local
                }
                start = time.perf_counter()
                mine = _run_group(local, own_progress)
                own_s = time.perf_counter() - start
                parts = [
                    mine if g == local else _read_group_file(futures[g].result())
                    for g in range(len(plans))
                ]
                log.info(
                    "generated %d groups: own %.2f s, waited %.2f s for the others",
                    len(plans), own_s, time.perf_counter() - start - own_s,
                )
        else:  # same world, one group after the other
            parts = [_run_group(g, own_progress if g == 0 else None) for g in range(len(plans))]
    finally:
        _FORK_PLANS = []
    progress(0.9, "merge")
    start = time.perf_counter()
    merged = _merge(world, parts, progress)
    log.info("merged %d groups in %.2f s", len(parts), time.perf_counter() - start)
    return merged, world


def _merge(world: World, parts: list[dict[str, object]], progress: Progress) -> dict[str, pd.DataFrame]:
    """Concatenate the groups' frames with ids offset so they are unique and contiguous from 1."""
    hh_offsets = np.cumsum([0] + [len(p["household"]) for p in parts[:-1]])
    merged: dict[str, pd.DataFrame] = {}
    for name, own in _OWN_ID.items():
        frames = []
        offset = 0
        for part, hh_off in zip(parts, hh_offsets, strict=True):
            frame = part[name]
            if name == "facility":
                frame = frame.copy()
            if hh_off and "household_id" in frame.columns:
                frame["household_id"] = frame["household_id"].to_numpy() + hh_off
            if own is not None and own != "household_id" and offset:
                frame[own] = frame[own].to_numpy() + offset
            if own is not None and own != "household_id":
                offset += len(frame)
            frames.append(frame)
        frame = pd.concat(frames, ignore_index=True)
        for col in frame.columns:  # one contiguous copy, so no column keeps a group's file mapped
            values = frame[col].array
            if isinstance(values, pd.arrays.ArrowStringArray):
                chunks = values._pa_array
                frame[col] = pd.arrays.ArrowStringArray(pa.chunked_array([chunks.combine_chunks()]))
        merged[name] = frame
    x = np.concatenate([p["x"] for p in parts])
    y = np.concatenate([p["y"] for p in parts])
    merged["household"] = gpd.GeoDataFrame(
        merged["household"], geometry=shapely.points(x, y), crs=STORAGE_SRID
    )
    # small: a deep copy makes sure no block still views a group's mapped file
    merged["facility"] = gpd.GeoDataFrame(
        merged["facility"].copy(deep=True), geometry="geometry", crs=STORAGE_SRID
    )
    # region aggregates of the merged world, computed once
    hh = merged["household"]
    world.emd_idx = np.concatenate([p["emd_idx"] for p in parts])
    world.n = len(hh)
    world.size = hh["size"].to_numpy()
    world.n_children = hh["n_children"].to_numpy()
    world.n_elderly = hh["n_elderly"].to_numpy()
    world.n_disabled = hh["n_disabled"].to_numpy()
    progress(0.95, "region table")
    build_region_table(world)
    tables = designation_and_region(world)
    tables.update({name: merged[name] for name in _OWN_ID})
    world.oracle = np.concatenate([p["oracle"] for p in parts])
    world.reach_p = np.concatenate([p["reach_p"] for p in parts])
    progress(1.0, "done")
    return {name: tables[name] for name in TABLE_ORDER}


