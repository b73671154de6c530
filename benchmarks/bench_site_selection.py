"""Benchmark: our sparse HiGHS MCLP / p-median against ``spopt.locate`` (pulp + CBC).

Same process, same seeded clustered points in EPSG:5179 metres.

* **MCLP** (default 10,000 demand × 1,000 candidates, p = 5, 2 km radius):
  ours = ``choose_sites(demand_gdf, candidates_gdf, method="mclp")`` end to end
  (validation, k-d tree coverage, row aggregation, HiGHS MIP to proven optimality);
  spopt = ``MCLP.from_geodataframe(...)`` (dense ``cdist`` cost matrix, pulp model)
  + ``.solve(PULP_CBC_CMD(msg=False), results=False)``.
* **p-median, radius-limited** (``--pmedian``; default 10,000 × 1,000, p = 5, 2 km,
  as ``choose_sites(method="p_median")`` uses it: demand is served by an open site
  within the radius, otherwise "unserved" at P = 2 × radius per household): ours =
  ``choose_sites(..., method="p_median")`` end to end. spopt's ``PMedian`` only
  takes a complete cost matrix, so the exact equivalent is ``c_ij = d_ij`` within
  the radius and ``P`` beyond it (same optimum; spopt's objective is ours plus
  ``P`` × the weight of demand with no candidate in reach, which ours leaves out as
  a constant). That is one pulp variable and one linking row per demand ×
  candidate pair: spopt is only run when the pairs are at most
  ``--pm-spopt-max-pairs`` (default 400,000; pulp needs about 1.3 GiB per million
  variables), and on a smaller instance (``--pm-compare-demand`` ×
  ``--pm-compare-candidates``, default 2,000 × 200) both sides run for the
  same-run comparison. CBC gets ``timeLimit=--pm-time-limit`` (600 s).
* **p-median, complete matrix** (``--pm-complete``; 1,000 × 100, p = 5): ours =
  ``solve_p_median`` on all (demand, candidate, distance) triples; spopt =
  ``PMedian.from_cost_matrix`` + CBC. Distance computation is included on both sides.

Objectives must agree (relative 1e-9); the script exits non-zero otherwise.
Peak memory: the process's maximum RSS (``resource.getrusage``) after each phase
(ours runs first, so the spopt figure is the peak of the whole run).

Run ``python benchmarks/bench_site_selection.py`` (or ``--quick``; ``--pmedian``;
``--pm-complete``; ``--no-mclp``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
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

from spatial.locate import choose_sites, solve_p_median

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


def run_p_median(args: argparse.Namespace, n_d: int, n_c: int) -> tuple[bool, list[str]]:
    if args.quick:
        n_d, n_c = 300, 50
    demand, candidates = make_instance(n_d, n_c, args.seed + 1)
    d_xy, c_xy, w = xy(demand), xy(candidates), demand["households"].to_numpy()
    p = args.p
    cost = cdist(d_xy, c_xy)
    rows, cols = np.indices(cost.shape).reshape(2, -1)
    t_ours, ours_obj = timed(
        lambda: solve_p_median((rows, cols, cost.ravel()), w, p, n_candidates=n_c).objective
    )
    t_spopt, spopt_obj = timed(lambda: spopt_p_median(cost, w, p, time_limit=args.pm_time_limit))
    ok = abs(ours_obj - spopt_obj) <= 1e-9 * max(1.0, abs(spopt_obj))
    lines = [
        f"### p-median: {n_d:,} demand × {n_c:,} candidates (complete cost matrix), p = {p}",
        "",
        "| implementation | seconds | objective (household-metres) |",
        "|---|---:|---:|",
        f"| ours (`solve_p_median`, HiGHS) | {t_ours:.3f} | {ours_obj:,.1f} |",
        f"| spopt `PMedian` (pulp + CBC) | {t_spopt:.2f} | {spopt_obj:,.1f} |",
        "",
        f"- speed-up: **{t_spopt / t_ours:.1f}×**; objectives equal: {'OK' if ok else 'FAILED'}",
    ]
    return ok, lines


def spopt_p_median(cost: np.ndarray, w: np.ndarray, p: int, *, time_limit: float) -> float:
    import pulp
    from spopt.locate import PMedian

    model = PMedian.from_cost_matrix(cost, w, p_facilities=p)
    model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit), results=False)
    return float(pulp.value(model.problem.objective))


def radius_p_median_row(
    n_d: int, n_c: int, args: argparse.Namespace, *, with_spopt: bool
) -> tuple[bool, list[str]]:
    """One instance of the radius-limited p-median: ours end to end, spopt if it fits."""
    demand, candidates = make_instance(n_d, n_c, args.seed + 1)
    radius, penalty = args.radius, 2 * args.radius  # choose_sites' default unserved cost
    t_ours, result = timed(
        lambda: choose_sites(
            demand,
            candidates,
            p=args.p,
            radius_m=radius,
            weight_col="households",
            method="p_median",
            time_limit_s=args.pm_time_limit,
        )
    )
    sol = result.solution
    w = demand["households"].to_numpy()
    constant = penalty * float(w[sol.excluded].sum())  # no candidate in reach: left out by ours
    label = f"{n_d:,} × {n_c:,}"
    ours_row = (
        f"| {label} | ours (`choose_sites`, HiGHS) | {t_ours:.2f} | "
        f"{sol.objective + constant:,.1f} | {sol.status}, gap {sol.mip_gap:.1e} | {rss_mib():.0f} |"
    )
    if not with_spopt:
        n_vars = n_d * n_c
        return True, [
            ours_row,
            f"| {label} | spopt `PMedian` | not run | | needs {n_vars / 1e6:.0f} M pulp variables "
            f"(≈ {1.3 * n_vars / 1e6:.0f} GiB) | |",
        ]
    cost = cdist(xy(demand), xy(candidates))
    cost = np.where(cost <= radius, cost, penalty)
    t_spopt, spopt_obj = timed(
        lambda: spopt_p_median(cost, w, args.p, time_limit=args.pm_time_limit)
    )
    ours_total = sol.objective + constant
    ok = abs(ours_total - spopt_obj) <= 1e-7 * max(1.0, abs(spopt_obj))
    status = "optimal" if t_spopt < args.pm_time_limit else f"time limit {args.pm_time_limit:g} s"
    return ok, [
        ours_row,
        f"| {label} | spopt `PMedian` (dense equivalent, pulp + CBC) | {t_spopt:.2f} | "
        f"{spopt_obj:,.1f} | {status} | {rss_mib():.0f} |",
        f"| {label} | **ratio spopt / ours** | **{t_spopt / t_ours:.1f}×** | "
        f"objectives equal: {'OK' if ok else 'FAILED'} | | |",
    ]


def run_radius_p_median(args: argparse.Namespace) -> tuple[bool, list[str]]:
    if args.quick:
        sizes = [(1000, 100), (500, 60)]
    else:
        sizes = [(args.pm_demand, args.pm_candidates)]
        sizes.append((args.pm_compare_demand, args.pm_compare_candidates))
    lines = [
        f"### p-median, radius-limited (as `choose_sites` uses it): p = {args.p}, "
        f"radius {args.radius / 1000:g} km, unserved at {2 * args.radius / 1000:g} km per household",
        "",
        "| demand × candidates | implementation | seconds | objective (household-metres, "
        "incl. unreachable demand at the penalty) | status | max RSS MiB |",
        "|---|---|---:|---:|---|---:|",
    ]
    ok = True
    for n_d, n_c in sizes:
        fits = n_d * n_c <= args.pm_spopt_max_pairs
        ok_size, rows = radius_p_median_row(n_d, n_c, args, with_spopt=fits)
        ok = ok and ok_size
        lines += rows
        print("\n".join(rows), flush=True, file=sys.stderr)
    lines += [
        "",
        "- spopt is given the exact equivalent of the radius-limited model as a complete "
        "matrix (distance within the radius, the penalty beyond it), which is all its "
        "`PMedian` accepts; ours builds only the pairs within the radius.",
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
    parser.add_argument("--pm-demand", type=int, default=10_000)
    parser.add_argument("--pm-candidates", type=int, default=1_000)
    parser.add_argument("--pm-compare-demand", type=int, default=2_000)
    parser.add_argument("--pm-compare-candidates", type=int, default=200)
    parser.add_argument("--pm-spopt-max-pairs", type=int, default=400_000)
    parser.add_argument("--pm-time-limit", type=float, default=600.0)
    parser.add_argument("--pm-complete", action="store_true", help="complete-matrix p-median too")
    parser.add_argument("--pm-complete-demand", type=int, default=1_000)
    parser.add_argument("--pm-complete-candidates", type=int, default=100)
    parser.add_argument("--no-mclp", action="store_true", help="skip the MCLP comparison")
    parser.add_argument("--seed", type=int, default=20240607)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    # spopt/pulp/requests deprecation chatter is not what we measure
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    import spopt.locate  # noqa: F401  (imported before timing: import cost is not measured)

    print(f"## Site selection benchmark — {dt.date.today().isoformat()}")
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f} (1 min) at start")
    print()
    ok = True
    if not args.no_mclp:
        ok, lines = run_mclp(args)
        print("\n".join(lines), flush=True)
    if args.pmedian:
        ok_pm, lines = run_radius_p_median(args)
        print()
        print("\n".join(lines), flush=True)
        ok = ok and ok_pm
    if args.pm_complete:
        n_d, n_c = args.pm_complete_demand, args.pm_complete_candidates
        ok_pm, lines = run_p_median(args, n_d, n_c)
        print()
        print("\n".join(lines))
        ok = ok and ok_pm
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} (1 min)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
