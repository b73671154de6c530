"""choose_sites: the geo wrapper that picks new sites with MCLP or p-median."""

from __future__ import annotations

import logging
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from domain.progress import Progress, report
from spatial.accessibility.kernels import neighbour_pairs, within_radius
from spatial.checks import AnalyticsInputError, check_layers, point_coordinates
from spatial.locate.base import SiteSelectionResult, SiteSolution
from spatial.locate.candidates import coverage_matrix
from spatial.locate.mclp import solve_mclp
from spatial.locate.p_median import solve_p_median

__all__ = ["choose_sites"]

logger = logging.getLogger(__name__)


def _notify(progress: Progress | None, fraction: float, message: str) -> None:
    logger.info("%3.0f%% %s", 100 * fraction, message)
    report(progress, fraction, message)


def choose_sites(
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    p: int,
    radius_m: float,
    weight_col: str,
    method: Literal["mclp", "p_median"] = "mclp",
    existing: gpd.GeoDataFrame | None = None,
    time_limit_s: float = 60.0,
    unserved_cost: float | None = None,
    progress: Progress | None = None,
) -> SiteSelectionResult:
    """Choose ``p`` new sites among candidates (maximal covering or p-median).

    Parameters
    ----------
    demand : GeoDataFrame
        Demand points (households in need, grid cells) in a projected CRS in metres.
    candidates : GeoDataFrame
        Candidate points, e.g. from :func:`candidate_sites`, same CRS.
    p : int
        Number of new sites.
    radius_m : float
        Service radius in metres: coverage (MCLP) and the reach of assignments
        (p-median; farther demand is "unserved" at ``unserved_cost``).
    weight_col : str
        Demand weight column (e.g. households).
    method : {"mclp", "p_median"}
        Maximise newly covered weight, or minimise weighted distance.
    existing : GeoDataFrame, optional
        Existing facilities (points, same CRS): demand in their reach is already
        covered (MCLP) or they are fixed open (p-median).
    time_limit_s : float
        Solver time limit; the result reports status, gap and bound.
    unserved_cost : float, optional
        p-median penalty per unit weight of unserved demand (default ``2 * radius_m``).
    progress : callable, optional
        ``progress(fraction, message)`` for the UI's background callback.

    Returns
    -------
    SiteSelectionResult
    """
    if method not in ("mclp", "p_median"):
        raise AnalyticsInputError(f"method must be 'mclp' or 'p_median', got {method!r}")
    if not (np.isfinite(radius_m) and radius_m > 0):
        raise AnalyticsInputError(f"radius_m must be a positive number of metres, got {radius_m}")
    layers = {"demand": (demand, [weight_col]), "candidates": (candidates, [])}
    if existing is not None:
        layers["existing"] = (existing, [])
    check_layers(layers)
    _notify(progress, 0.05, "커버리지 계산 중")
    demand_xy, cand_xy = point_coordinates(demand), point_coordinates(candidates)
    weights = demand[weight_col].to_numpy(dtype=float)
    existing_xy = point_coordinates(existing) if existing is not None else np.empty((0, 2))
    already = within_radius(demand_xy, existing_xy, radius_m=radius_m)
    _notify(progress, 0.2, "최적화 모형 풀이 중")
    if method == "mclp":
        cov = coverage_matrix(demand_xy, cand_xy, radius_m=radius_m)
        solution = solve_mclp(
            cov, weights, p, existing_covered=already, time_limit_s=time_limit_s, progress=progress
        )
    else:
        solution = _p_median_with_existing(
            demand_xy,
            cand_xy,
            existing_xy,
            weights,
            p,
            radius_m=radius_m,
            unserved_cost=unserved_cost if unserved_cost is not None else 2 * radius_m,
            time_limit_s=time_limit_s,
            progress=progress,
        )
    _notify(progress, 0.95, "결과 정리 중")
    result = _selection_result(
        demand, candidates, demand_xy, cand_xy, weights, already, solution, radius_m
    )
    _notify(progress, 1.0, f"완료: {solution.status}, 갭 {solution.mip_gap:.2%}")
    return result


def _p_median_with_existing(
    demand_xy: np.ndarray,
    cand_xy: np.ndarray,
    existing_xy: np.ndarray,
    weights: np.ndarray,
    p: int,
    *,
    radius_m: float,
    unserved_cost: float,
    time_limit_s: float,
    progress: Progress | None,
) -> SiteSolution:
    """p-median over candidates plus existing sites appended as fixed-open columns."""
    sites = np.vstack([cand_xy, existing_xy])
    i, j, d = neighbour_pairs(demand_xy, sites, radius_m=radius_m)
    fixed = np.arange(len(cand_xy), len(sites))
    return solve_p_median(
        (i, j, d),
        weights,
        p,
        n_candidates=len(sites),
        fixed_open=fixed,
        unserved_cost=unserved_cost,
        time_limit_s=time_limit_s,
        progress=progress,
    )


def _selection_result(
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    demand_xy: np.ndarray,
    cand_xy: np.ndarray,
    weights: np.ndarray,
    already: np.ndarray,
    solution: SiteSolution,
    radius_m: float,
) -> SiteSelectionResult:
    chosen_xy = cand_xy[solution.selected]
    cov = coverage_matrix(demand_xy, chosen_xy, radius_m=radius_m)
    reach_new = np.diff(cov.indptr) > 0
    newly = reach_new & ~already
    sites = candidates.iloc[solution.selected].copy()
    sites["weight_in_reach"] = cov.T @ np.where(already, 0.0, weights)
    before = float(weights[already].sum())
    after = float(weights[already | reach_new].sum())
    return SiteSelectionResult(
        sites=sites,
        coverage_before=before,
        coverage_after=after,
        coverage_gained=after - before,
        newly_covered=pd.Series(newly, index=demand.index, name="newly_covered"),
        solution=solution,
    )
