"""Benchmark: our E2SFCA against ``access.Access.enhanced_two_stage_fca``.

Both run in the same process on the same seeded, clustered points in EPSG:5179
metres (a ~50 × 50 km box), 3 km catchment, Luo & Qi step decay (1.0/0.68/0.22).
Each repeat runs every variant once, one after the other (interleaved, so a burst
of load from other processes hits all of them alike); the table gives the median
and the minimum over ``--repeat`` repeats (wall clock).

What is timed:

* **ours, end to end**: ``e2sfca_accessibility(demand_gdf, supply_gdf, ...)`` —
  input validation (CRS, geometry types, values), coordinate extraction, grid
  buckets, both E2SFCA steps in the compiled kernels, the named pandas Series.
* **ours, core**: ``e2sfca_scores`` on coordinate arrays (validation + kernels).
* **ours before**: the previous core, inlined here for a same-run before/after:
  k-d tree pairs (``cKDTree.sparse_distance_matrix``) + numpy weights + two
  ``bincount`` steps, from coordinate arrays.
* **access, end to end**: building its cost table from the same points + ``Access``
  + ``enhanced_two_stage_fca`` with ``weights.step_fn`` and ``max_cost``. The table
  holds only the pairs within 3 km, found with our fastest pair search
  (``neighbour_pairs``) — this favours access: its own ``create_euclidean_distance``
  is a full cross join (70 million rows here).
* **access, core**: ``Access(...)`` + ``enhanced_two_stage_fca`` given the table.

numba: our kernels are compiled with ``cache=True``. ``warm_up()`` runs before any
timing, so the timed calls never compile. The cold start is measured separately in
fresh subprocesses: first call with an empty numba cache (compilation included),
and first call with the on-disk cache already filled (what a restarted server pays).

Results must agree within 1e-9 (absolute); the script exits non-zero otherwise.
Peak memory: ``tracemalloc`` peak of each end-to-end call (separate untimed run;
numba's own allocations, O(demand + supply) floats, are not traced), and the
process's maximum RSS (``resource.getrusage``).

Run ``python benchmarks/bench_accessibility.py`` (or ``--quick``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree
from shapely import points

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spatial.accessibility import (
    StepDecay,
    e2sfca_accessibility,
    e2sfca_scores,
    neighbour_pairs,
    warm_up,
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


def previous_core(
    demand_xy: np.ndarray, demand: np.ndarray, supply_xy: np.ndarray, supply: np.ndarray
) -> np.ndarray:
    """The previous ``e2sfca_scores`` core: k-d tree pairs, numpy weights, two bincounts."""
    pairs = cKDTree(demand_xy).sparse_distance_matrix(
        cKDTree(supply_xy), CATCHMENT_M, output_type="ndarray"
    )
    i, j = pairs["i"].astype(np.intp), pairs["j"].astype(np.intp)
    w = StepDecay.luo_qi(CATCHMENT_M)(pairs["v"])
    weighted_demand = np.bincount(j, weights=demand[i] * w, minlength=len(supply))
    ratio = np.divide(supply, weighted_demand, out=np.zeros(len(supply)), where=weighted_demand > 0)
    return np.bincount(i, weights=ratio[j] * w, minlength=len(demand))


def interleaved_times(
    fns: dict[str, Callable[[], Any]], repeat: int
) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Run every function once per repeat, in turn; return all wall times and last outputs."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    outputs: dict[str, Any] = {}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            outputs[name] = fn()
            times[name].append(time.perf_counter() - start)
    return times, outputs


_COLD_SCRIPT = """
import sys, time
sys.path[:0] = [{root!r}, {bench!r}]
from bench_accessibility import make_instance, ours_end_to_end
demand, supply = make_instance({n_demand}, {n_supply}, {seed})
start = time.perf_counter()
ours_end_to_end(demand, supply)
print(time.perf_counter() - start)
"""


def first_call_seconds(n_demand: int, n_supply: int, seed: int, cache_dir: str) -> float:
    """First ``e2sfca_accessibility`` call in a fresh process with ``NUMBA_CACHE_DIR=cache_dir``."""
    here = Path(__file__).resolve()
    code = _COLD_SCRIPT.format(
        root=str(here.parents[1]),
        bench=str(here.parent),
        n_demand=n_demand,
        n_supply=n_supply,
        seed=seed,
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "NUMBA_CACHE_DIR": cache_dir},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


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
    parser.add_argument("--repeat", type=int, default=None, help="timing repeats (median of)")
    parser.add_argument("--seed", type=int, default=20240607)
    parser.add_argument("--no-cold", action="store_true", help="skip the cold-start subprocesses")
    args = parser.parse_args(argv)
    logging.getLogger("access").setLevel(logging.WARNING)

    n_demand = args.n_demand or (500 if args.quick else 3500)
    n_supply = args.n_supply or (3000 if args.quick else 20_000)
    repeat = args.repeat or 9
    load_start = os.getloadavg()

    cold = warm_disk = None
    if not args.no_cold:
        with tempfile.TemporaryDirectory(prefix="numba-cold-") as cache_dir:
            cold = first_call_seconds(n_demand, n_supply, args.seed, cache_dir)
            warm_disk = first_call_seconds(n_demand, n_supply, args.seed, cache_dir)

    demand, supply = make_instance(n_demand, n_supply, args.seed)
    d_xy, s_xy = xy(demand), xy(supply)
    d_val, s_val = demand["households"].to_numpy(), supply["capacity"].to_numpy()
    n_pairs = len(neighbour_pairs(d_xy, s_xy, radius_m=CATCHMENT_M)[0])
    decay = StepDecay.luo_qi(CATCHMENT_M)
    t_warm = warm_up()  # compile or load the numba kernels: never inside the timed calls
    cost = access_cost_table(demand, supply)

    times, out = interleaved_times(
        {
            "ours": lambda: ours_end_to_end(demand, supply),
            "core": lambda: e2sfca_scores(
                d_xy, d_val, s_xy, s_val, catchment_m=CATCHMENT_M, decay=decay
            ),
            "ours2": lambda: ours_end_to_end(demand, supply, workers=2),
            "before": lambda: previous_core(d_xy, d_val, s_xy, s_val),
            "access": lambda: access_end_to_end(demand, supply),
            "access_core": lambda: access_core(demand, supply, cost),
        },
        repeat,
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mem_ours = traced_peak_mib(lambda: ours_end_to_end(demand, supply))
    mem_acc = traced_peak_mib(lambda: access_end_to_end(demand, supply))
    load_end = os.getloadavg()

    ref = out["access"]
    diffs = {name: float(np.max(np.abs(out[name] - ref))) for name in ("ours", "core", "ours2")}
    diffs["access_core"] = float(np.max(np.abs(out["access_core"] - ref)))
    diff_before = float(np.max(np.abs(out["before"] - ref)))
    ok = max(diffs.values()) <= 1e-9 and diff_before <= 1e-9
    med = {name: float(np.median(ts)) for name, ts in times.items()}
    low = {name: float(np.min(ts)) for name, ts in times.items()}

    def row(label: str, what: str, name: str, mem: str = "") -> str:
        return f"| {label} | {what} | {med[name]:.4f} | {low[name]:.4f} | {mem} |"

    print(f"## E2SFCA benchmark — {dt.date.today().isoformat()}")
    print(
        f"machine: {machine()}; load average {load_start[0]:.1f} at start, {load_end[0]:.1f} at end"
    )
    print(
        f"instance: {n_demand:,} demand × {n_supply:,} supply points (clustered, "
        f"{BOX_M / 1000:.0f} km box, EPSG:5179), catchment {CATCHMENT_M / 1000:.0f} km, "
        f"{n_pairs:,} pairs in reach; {repeat} interleaved repeats"
    )
    print()
    print("| implementation | what is timed | median s | min s | peak traced MiB |")
    print("|---|---|---:|---:|---:|")
    print(row("ours", "`e2sfca_accessibility`: GeoDataFrames → Series", "ours", f"{mem_ours:.1f}"))
    print(row("ours (core)", "`e2sfca_scores`: coordinate arrays → array", "core"))
    print(row("ours, `workers=2`", "as the first row, demand split over 2 threads", "ours2"))
    print(row("ours before (core)", "previous core: k-d tree pairs + 2 × `bincount`", "before"))
    print(
        row(
            f"access {_access_version()}",
            "sparse cost table (our pair search) + `Access` + `enhanced_two_stage_fca`",
            "access",
            f"{mem_acc:.1f}",
        )
    )
    print(
        row("access (core)", "`Access` + `enhanced_two_stage_fca` given the table", "access_core")
    )
    print()
    print(
        f"- speed-up end to end (medians, one thread): **{med['access'] / med['ours']:.1f}×**; "
        f"core vs core: {med['access_core'] / med['core']:.1f}×; with `workers=2`: "
        f"{med['access'] / med['ours2']:.1f}×; our core now vs before: "
        f"{med['before'] / med['core']:.1f}×"
    )
    print(
        "- max |ours − access|: "
        + ", ".join(f"{name} {value:.2e}" for name, value in diffs.items())
        + f", before {diff_before:.2e}; tolerance 1e-9: {'OK' if ok else 'FAILED'}"
    )
    print(
        f"- numba: kernels compiled with `cache=True` and warmed before timing "
        f"(`warm_up()` in this process: {t_warm:.2f} s)"
        + (
            f"; first call in a fresh process, empty cache (compiles): {cold:.2f} s; "
            f"fresh process, cache filled: {warm_disk:.2f} s"
            if cold is not None
            else ""
        )
    )
    print(f"- process max RSS after all runs: {rss:.0f} MiB")
    return 0 if ok else 1


def _access_version() -> str:
    from importlib.metadata import version

    return version("access")


if __name__ == "__main__":
    raise SystemExit(main())
