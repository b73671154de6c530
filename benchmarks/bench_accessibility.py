"""Benchmark: our sparse E2SFCA against ``access.Access.enhanced_two_stage_fca``.

Both run in the same process on the same seeded, clustered points in EPSG:5179
metres (a ~50 × 50 km box), 3 km catchment, Luo & Qi step decay (1.0/0.68/0.22).

What is timed (wall clock, best of ``--repeat``):

* **ours, end to end**: ``e2sfca_accessibility(demand_gdf, supply_gdf, ...)`` —
  input validation, coordinates, k-d tree pairs within 3 km, both E2SFCA steps.
* **ours, core**: ``e2sfca_scores`` on coordinate arrays.
* **access, end to end**: building its cost table from the same points (the same
  k-d tree pairs within 3 km → DataFrame of origin/dest/cost; this favours access:
  its own ``create_euclidean_distance`` is a full cross join, 70 million rows
  here), constructing ``Access`` and running ``enhanced_two_stage_fca`` with
  ``weights.step_fn`` and ``max_cost``.
* **access, core**: ``Access(...)`` + ``enhanced_two_stage_fca`` given the table.

Results must agree within 1e-9 (absolute); the script exits non-zero otherwise.
Peak memory: ``tracemalloc`` peak of each end-to-end call (separate untimed run),
and the process's maximum RSS (``resource.getrusage``).

Run ``python benchmarks/bench_accessibility.py`` (or ``--quick``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import points

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics.accessibility import (
    StepDecay,
    e2sfca_accessibility,
    e2sfca_scores,
    neighbour_pairs,
)

CATCHMENT_M = 3000.0
BOX_M = 50_000.0
ORIGIN = np.array([950_000.0, 1_940_000.0])  # somewhere in EPSG:5179 Korea


def clustered_points(rng: np.random.Generator, n: int, centres: np.ndarray) -> np.ndarray:
    """70 % around town centres (Gaussian, σ 1.5–4 km), 30 % uniform, clipped to the box."""
    n_town = int(0.7 * n)
    which = rng.integers(0, len(centres), n_town)
    spread = rng.uniform(1500, 4000, len(centres))[which]
    town = centres[which] + rng.normal(0, 1, (n_town, 2)) * spread[:, None]
    rural = rng.uniform(0, BOX_M, (n - n_town, 2))
    return ORIGIN + np.clip(np.vstack([town, rural]), 0, BOX_M)


def make_instance(
    n_demand: int, n_supply: int, seed: int
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(5000, BOX_M - 5000, (12, 2))
    demand = gpd.GeoDataFrame(
        {"households": rng.integers(5, 400, n_demand).astype(float)},
        geometry=points(clustered_points(rng, n_demand, centres)),
        crs=5179,
    )
    supply = gpd.GeoDataFrame(
        {"capacity": rng.integers(5, 80, n_supply).astype(float)},
        geometry=points(clustered_points(rng, n_supply, centres)),
        crs=5179,
    )
    return demand, supply


def xy(gdf: gpd.GeoDataFrame) -> np.ndarray:
    return np.column_stack([gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()])


def access_cost_table(demand: gpd.GeoDataFrame, supply: gpd.GeoDataFrame) -> pd.DataFrame:
    i, j, d = neighbour_pairs(xy(demand), xy(supply), radius_m=CATCHMENT_M)
    return pd.DataFrame({"origin": i, "dest": j, "cost": d})


def access_core(
    demand: gpd.GeoDataFrame, supply: gpd.GeoDataFrame, cost: pd.DataFrame
) -> np.ndarray:
    from access import Access, weights

    acc = Access(
        demand_df=pd.DataFrame(
            {"households": demand["households"].to_numpy()},
            index=pd.RangeIndex(len(demand), name="geoid"),
        ),
        demand_value="households",
        supply_df=pd.DataFrame(
            {"capacity": supply["capacity"].to_numpy()},
            index=pd.RangeIndex(len(supply), name="geoid"),
        ),
        supply_value="capacity",
        cost_df=cost,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    step = weights.step_fn({1000: 1.0, 2000: 0.68, 3000: 0.22})
    result = acc.enhanced_two_stage_fca(max_cost=CATCHMENT_M, weight_fn=step)
    # access leaves demand without supply in reach as NaN (ours: 0) and facilities
    # without demand in reach out of step 1 (ours: R_j = 0): same numbers otherwise
    return result.iloc[:, 0].reindex(range(len(demand))).fillna(0.0).to_numpy()


def access_end_to_end(demand: gpd.GeoDataFrame, supply: gpd.GeoDataFrame) -> np.ndarray:
    return access_core(demand, supply, access_cost_table(demand, supply))


def ours_end_to_end(
    demand: gpd.GeoDataFrame, supply: gpd.GeoDataFrame, workers: int = 1
) -> np.ndarray:
    return e2sfca_accessibility(
        demand,
        supply,
        demand_col="households",
        supply_col="capacity",
        catchment_m=CATCHMENT_M,
        decay=StepDecay.luo_qi(CATCHMENT_M),
        workers=workers,
    ).to_numpy()


def best_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def traced_peak_mib(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(
                line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 demand × 3,000 supply")
    parser.add_argument("--n-demand", type=int, default=None)
    parser.add_argument("--n-supply", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=None, help="timing repeats (best of)")
    parser.add_argument("--seed", type=int, default=20240607)
    args = parser.parse_args(argv)
    logging.getLogger("access").setLevel(logging.WARNING)

    n_demand = args.n_demand or (500 if args.quick else 3500)
    n_supply = args.n_supply or (3000 if args.quick else 20_000)
    repeat = args.repeat or 5
    demand, supply = make_instance(n_demand, n_supply, args.seed)
    d_xy, s_xy = xy(demand), xy(supply)
    n_pairs = len(neighbour_pairs(d_xy, s_xy, radius_m=CATCHMENT_M)[0])
    decay = StepDecay.luo_qi(CATCHMENT_M)

    t_ours, ours = best_time(lambda: ours_end_to_end(demand, supply), repeat)
    t_core, core = best_time(
        lambda: e2sfca_scores(
            d_xy,
            demand["households"].to_numpy(),
            s_xy,
            supply["capacity"].to_numpy(),
            catchment_m=CATCHMENT_M,
            decay=decay,
        ),
        repeat,
    )
    t_ours2, ours2 = best_time(lambda: ours_end_to_end(demand, supply, workers=2), repeat)
    rss_after_ours = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cost = access_cost_table(demand, supply)
    t_acc_core, _ = best_time(lambda: access_core(demand, supply, cost), repeat)
    t_acc, ref = best_time(lambda: access_end_to_end(demand, supply), repeat)
    rss_after_access = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mem_ours = traced_peak_mib(lambda: ours_end_to_end(demand, supply))
    mem_acc = traced_peak_mib(lambda: access_end_to_end(demand, supply))

    max_diff = float(max(np.max(np.abs(ours - ref)), np.max(np.abs(ours2 - ref))))
    max_diff_core = float(np.max(np.abs(core - ref)))
    ok = max_diff <= 1e-9 and max_diff_core <= 1e-9

    print(f"## E2SFCA benchmark — {dt.date.today().isoformat()}")
    print(f"machine: {machine()}")
    print(
        f"instance: {n_demand:,} demand × {n_supply:,} supply points (clustered, {BOX_M / 1000:.0f} km box, "
        f"EPSG:5179), catchment {CATCHMENT_M / 1000:.0f} km, {n_pairs:,} pairs in reach; "
        f"best of {repeat}"
    )
    print()
    print("| implementation | what is timed | seconds | peak traced MiB |")
    print("|---|---|---:|---:|")
    print(f"| ours | `e2sfca_accessibility` from GeoDataFrames | {t_ours:.4f} | {mem_ours:.1f} |")
    print(f"| ours (core) | `e2sfca_scores` on arrays | {t_core:.4f} | |")
    print(
        f"| ours, `workers=2` | as the first row, neighbour search on 2 threads | {t_ours2:.4f} | |"
    )
    print(
        f"| access {_access_version()} | k-d tree cost table + `Access` + `enhanced_two_stage_fca` | {t_acc:.3f} | {mem_acc:.1f} |"
    )
    print(
        f"| access (core) | `Access` + `enhanced_two_stage_fca` given the cost table | {t_acc_core:.3f} | |"
    )
    print()
    print(
        f"- speed-up end to end (single thread): **{t_acc / t_ours:.1f}×**; core vs core: "
        f"{t_acc_core / t_core:.1f}×; with `workers=2`: {t_acc / t_ours2:.1f}×"
    )
    print(
        f"- max |ours − access| = {max_diff:.2e} (end to end), {max_diff_core:.2e} (core); tolerance 1e-9: {'OK' if ok else 'FAILED'}"
    )
    print(
        f"- process max RSS: {rss_after_ours:.0f} MiB after ours, {rss_after_access:.0f} MiB after access"
    )
    return 0 if ok else 1


def _access_version() -> str:
    from importlib.metadata import version

    return version("access")


if __name__ == "__main__":
    raise SystemExit(main())
