"""Synthetic world generator: households, people, crisis signals, histories and facilities.

No real household exists in Bokji Atlas. This package makes a synthetic population on the real
administrative boundaries, calibrated to published Korean statistics (``etl/reference``), with a
documented latent need process (``docs/data.md``) that drives every observable table:

* each household has a latent need ``need_i(t)`` per month: a stable part from its composition,
  housing, income and region, plus crisis *episodes* (onset month, duration) whose rate rises in
  employment-crisis and disaster areas (``need``);
* crisis signals (arrears, cut-offs, medical cost, job loss, ...) appear as runs of months whose
  probability rises with need, plus background noise that has nothing to do with need;
  safety-net reports arrive at a rate that rises steeply with need (``signals``);
* past discovery cycles visit households picked by the legacy rule (count of economic signals)
  and a random audit sample; the visit outcome depends on the latent need at the visit
  (``discovery``).

The latent need itself is never written to any table. Everything is vectorised with numpy:
there is no per-household Python loop. The steps run in the order of
:data:`etl.generate.steps.STEPS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from domain.progress import Progress
from etl.generate.dense import dense_households
from etl.generate.oracle import write_oracle
from etl.generate.parallel import generate_parallel
from etl.generate.steps import build
from etl.generate.world import GenerationError, LatentParameters, World, WorldSpec
from etl.reference_data import sido_statistics
from etl.regions import cached_region_layers

PARALLEL_MIN_HOUSEHOLDS = 50_000  # smaller worlds are generated in one process


def generate_world(
    households: int,
    seed: int = 0,
    sido_codes: Sequence[str] | None = None,
    *,
    audit_rate: float = 0.01,
    regions: gpd.GeoDataFrame | None = None,
    progress: Progress | None = None,
    workers: int = 2,
    latent: LatentParameters | None = None,
    oracle_path: Path | str | None = None,
    dense_regions: Sequence[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Generate a synthetic world, one frame per bulk table of the schema.

    Parameters
    ----------
    households
        Households of the sample-density layer (at least 100, or 0 with ``dense_regions``):
        spread over the 시도 by census share, outside the dense regions.
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
        Optional callback ``progress(fraction_done, step)`` (:class:`domain.progress.Progress`).
    workers
        Processes to generate with. With more than one, the 시도 are split into ``workers``
        groups balanced by household count, each group is generated in its own process with a
        seed spawned from ``seed`` (:class:`numpy.random.SeedSequence`), and the groups are
        merged (ids offset to stay contiguous from 1, region aggregates rebuilt once). The world
        depends on the effective number of groups, never on scheduling. Small worlds (fewer
        than ``PARALLEL_MIN_HOUSEHOLDS``) and single-시도 worlds always use one process.
    latent
        Parameters of the latent process and the as-is selection; the calibrated defaults
        (:class:`etl.generate.world.LatentParameters`) when omitted.
    oracle_path
        Where to write the oracle file (true P(supported | reached) per household and cycle,
        :mod:`etl.generate.oracle`); keep it outside the store. Not written when omitted.
    dense_regions
        시군구 codes generated at their real household counts on top of ``households``
        (:mod:`etl.generate.dense`; the codes of ``etl/reference/demo_regions.csv``). The world
        then has ``households`` + their published 세대수 households.

    Returns
    -------
    dict[str, pandas.DataFrame]
        Frames keyed by table name (``region``, ``designation``, ``household``, ``person``,
        ``crisis_signal``, ``safety_net_report``, ``benefit_history``, ``discovery_history``,
        ``consultation``, ``support``, ``facility``); spatial ones are GeoDataFrames in EPSG:4326.
    """
    spec = WorldSpec(households, seed, tuple(sido_codes or ()), audit_rate, latent or LatentParameters(),
                     tuple(dense_regions or ()))
    layers = regions if regions is not None else cached_region_layers()
    progress = progress or (lambda _f, _s: None)
    if workers < 1:
        raise GenerationError(f"workers must be at least 1, not {workers}")
    n_sido = len(set(spec.sido_codes)) or len(sido_statistics())
    dense_total = dense_households(spec.dense_regions)
    if workers == 1 or households + dense_total < PARALLEL_MIN_HOUSEHOLDS or n_sido < 2:
        world = World(spec, layers, progress)
        tables = build(world)
    else:
        tables, world = generate_parallel(spec, layers, progress, min(workers, n_sido))
    if oracle_path is not None:
        write_oracle(oracle_path, world.oracle, world.reach_p)
    return tables
