"""Benchmark: our sparse HiGHS MCLP / p-median against ``spopt.locate`` (pulp + CBC).

Same process, same seeded clustered points in EPSG:5179 metres.

* **MCLP** (default 10,000 demand × 1,000 candidates, p = 5, 2 km radius):
  ours = ``choose_sites(demand_gdf, candidates_gdf, method="mclp")`` end to end
  (validation, k-d tree coverage, row aggregation, HiGHS MIP to proven optimality);
  spopt = ``MCLP.from_geodataframe(...)`` (dense ``cdist`` cost matrix, pulp model)
  + ``.solve(PULP_CBC_CMD(msg=False), results=False)``.
* **p-median** (``--pmedian``; default 1,000 × 100, p = 5, complete cost matrix as
  spopt needs): ours = ``solve_p_median`` on all (demand, candidate, distance)
  triples (pairs from the same distances); spopt = ``PMedian.from_cost_matrix`` +
  CBC. Distance computation is included on both sides.

Objectives must agree (relative 1e-9); the script exits non-zero otherwise.
Peak memory: the process's maximum RSS (``resource.getrusage``) after each phase
(ours runs first, so the spopt figure is the peak of the whole run).

Run ``python benchmarks/bench_site_selection.py`` (or ``--quick``; ``--pmedian``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import resource
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
from scipy.spatial.distance import cdist
from shapely import points

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_accessibility import clustered_points, machine

from analytics.site_selection import choose_sites, solve_p_median

BOX_M = 50_000.0


def make_instance(
    n_demand: int, n_cand: int, seed: int
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(5000, BOX_M - 5000, (12, 2))
    demand = gpd.GeoDataFrame(
        {"households": rng.integers(1, 60, n_demand).astype(float)},
        geometry=points(clustered_points(rng, n_demand, centres)),
        crs=5179,
    )
    candidates = gpd.GeoDataFrame(geometry=points(clustered_points(rng, n_cand, centres)), crs=5179)
    return demand, candidates


def xy(gdf: gpd.GeoDataFrame) -> np.ndarray:
    return np.column_stack([gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()])


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def spopt_mclp(
    demand: gpd.GeoDataFrame, candidates: gpd.GeoDataFrame, p: int, radius: float
) -> float:
    import pulp
    from spopt.locate import MCLP

    model = MCLP.from_geodataframe(
        demand,
        candidates,
        "geometry",
        "geometry",
        "households",
        service_radius=radius,
        p_facilities=p,
    )
    model.solve(pulp.PULP_CBC_CMD(msg=False), results=False)
    return float(pulp.value(model.problem.objective))


def spopt_p_median(demand_xy: np.ndarray, cand_xy: np.ndarray, w: np.ndarray, p: int) -> float:
    import pulp
    from spopt.locate import PMedian

    model = PMedian.from_cost_matrix(cdist(demand_xy, cand_xy), w, p_facilities=p)
    model.solve(pulp.PULP_CBC_CMD(msg=False), results=False)
    return float(pulp.value(model.problem.objective))


def ours_p_median(demand_xy: np.ndarray, cand_xy: np.ndarray, w: np.ndarray, p: int) -> float:
    cost = cdist(demand_xy, cand_xy)
    rows, cols = np.indices(cost.shape).reshape(2, -1)
    return solve_p_median((rows, cols, cost.ravel()), w, p, n_candidates=cost.shape[1]).objective


def run_mclp(args: argparse.Namespace) -> tuple[bool, list[str]]:
    n_d, n_c = (2000, 200) if args.quick else (args.n_demand, args.n_candidates)
    demand, candidates = make_instance(n_d, n_c, args.seed)
    t_ours, ours = timed(
        lambda: choose_sites(
            demand,
            candidates,
            p=args.p,
            radius_m=args.radius,
            weight_col="households",
            method="mclp",
        )
    )
    rss_ours = rss_mib()
    t_spopt, spopt_obj = timed(lambda: spopt_mclp(demand, candidates, args.p, args.radius))
    rss_spopt = rss_mib()
    sol = ours.solution
    ok = abs(sol.objective - spopt_obj) <= 1e-9 * max(1.0, abs(spopt_obj))
    lines = [
        f"### MCLP: {n_d:,} demand × {n_c:,} candidates, p = {args.p}, radius {args.radius / 1000:g} km",
        "",
        "| implementation | seconds | objective (households covered) | status | max RSS MiB |",
        "|---|---:|---:|---|---:|",
        f"| ours (`choose_sites`, HiGHS) | {t_ours:.3f} | {sol.objective:,.0f} | {sol.status}, gap {sol.mip_gap:.1e} | {rss_ours:.0f} |",
        f"| spopt `MCLP` (pulp + CBC) | {t_spopt:.2f} | {spopt_obj:,.0f} | optimal | {rss_spopt:.0f} |",
        "",
        f"- speed-up: **{t_spopt / t_ours:.0f}×**; objectives equal: {'OK' if ok else 'FAILED'} "
        f"(coverage share {sol.coverage_share:.1%}, HiGHS solve incl. model build {sol.seconds:.3f} s)",
    ]
    return ok, lines


def run_p_median(args: argparse.Namespace) -> tuple[bool, list[str]]:
    n_d, n_c = (300, 50) if args.quick else (args.pm_demand, args.pm_candidates)
    demand, candidates = make_instance(n_d, n_c, args.seed + 1)
    d_xy, c_xy, w = xy(demand), xy(candidates), demand["households"].to_numpy()
    t_ours, ours_obj = timed(lambda: ours_p_median(d_xy, c_xy, w, args.p))
    t_spopt, spopt_obj = timed(lambda: spopt_p_median(d_xy, c_xy, w, args.p))
    ok = abs(ours_obj - spopt_obj) <= 1e-9 * max(1.0, abs(spopt_obj))
    lines = [
        f"### p-median: {n_d:,} demand × {n_c:,} candidates (complete cost matrix), p = {args.p}",
        "",
        "| implementation | seconds | objective (household-metres) |",
        "|---|---:|---:|",
        f"| ours (`solve_p_median`, HiGHS) | {t_ours:.3f} | {ours_obj:,.1f} |",
        f"| spopt `PMedian` (pulp + CBC) | {t_spopt:.2f} | {spopt_obj:,.1f} |",
        "",
        f"- speed-up: **{t_spopt / t_ours:.0f}×**; objectives equal: {'OK' if ok else 'FAILED'}",
    ]
    return ok, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 × 200 MCLP, 300 × 50 p-median")
    parser.add_argument("--n-demand", type=int, default=10_000)
    parser.add_argument("--n-candidates", type=int, default=1_000)
    parser.add_argument("--p", type=int, default=5)
    parser.add_argument("--radius", type=float, default=2000.0)
    parser.add_argument("--pmedian", action="store_true", help="also run the p-median comparison")
    parser.add_argument("--pm-demand", type=int, default=1_000)
    parser.add_argument("--pm-candidates", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20240607)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    # spopt/pulp/requests deprecation chatter is not what we measure
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    import spopt.locate  # noqa: F401  (imported before timing: import cost is not measured)

    print(f"## Site selection benchmark — {dt.date.today().isoformat()}")
    print(f"machine: {machine()}")
    print()
    ok, lines = run_mclp(args)
    print("\n".join(lines), flush=True)
    if args.pmedian:
        ok_pm, lines = run_p_median(args)
        print()
        print("\n".join(lines))
        ok = ok and ok_pm
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
