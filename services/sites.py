"""Site suitability for new facilities in one 시군구 (plain Python, no Dash).

``plan_sites`` turns the page's inputs — 시군구, target group, number of new facilities ``k``,
service radius and method — into a solved location model:

1. demand points: households of the target group in the 시군구 (EPSG:5179), weighted by the
   number of people of the group (or 1 per household in need);
2. candidate sites: 읍면동 representative points plus a populated grid
   (:func:`spatial.locate.candidate_sites`);
3. existing facilities of the group (with places) within reach of the 시군구 count as already
   covering (MCLP) or fixed open (p-median);
4. :func:`spatial.locate.choose_sites` (HiGHS; greedy fallback inside).

The result holds aggregates only: per chosen site the people and households newly in reach,
with counts of 1–4 suppressed. Planners may plan in their own 시군구; the ministry and
administrators anywhere.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from domain.access import Viewer, in_jurisdiction
from domain.disclosure import suppress_small_cells
from domain.errors import AccessDenied
from domain.progress import Progress, report
from domain.roles import Role
from geodata.schema import MEASURE_SRID, STORAGE_SRID
from geodata.store.base import Store
from services.audit import audit
from services.supply import (
    SupplyInputError,
    demand_points,
    require_planning_role,
    supply_points,
    target_group,
)
from spatial.locate import candidate_sites, choose_sites

__all__ = ["SITE_METHODS", "SiteInputError", "SitePlan", "plan_sites"]

log = logging.getLogger(__name__)

Method = Literal["mclp", "p_median"]
SITE_METHODS: Final[dict[str, tuple[str, str]]] = {
    "mclp": ("최대 커버링(MCLP)", "Maximal covering (MCLP)"),
    "p_median": ("p-메디안", "p-median"),
}
MAX_K: Final = 20
#: Households are summed on this grid (metres) for the solver; see :func:`_demand_cells`.
DEMAND_CELL_M: Final = 100.0
RADIUS_RANGE_M: Final = (200.0, 20_000.0)


class SiteInputError(SupplyInputError):
    """Inputs the site planner cannot use (k, radius, method, region); says how to fix them."""


@dataclass(frozen=True)
class SitePlan:
    """What :func:`plan_sites` returns (aggregates and public facility data only).

    Attributes
    ----------
    sites : geopandas.GeoDataFrame
        Chosen sites in EPSG:4326: ``site`` (1..k), ``kind`` (``region`` / ``grid``),
        ``emd_code``, ``emd_name``, ``people_in_reach`` and ``households_in_reach`` (newly in
        reach thanks to this site, counted once per site; NaN when 1–4), ``suppressed``.
    catchments : geopandas.GeoDataFrame
        Service-radius circles around the chosen sites (EPSG:4326).
    existing : geopandas.GeoDataFrame
        Existing facilities of the group near the 시군구 (name, type, capacity, free places).
    regions : geopandas.GeoDataFrame
        Display boundaries of the 시군구's 읍면동.
    summary : dict
        ``demand_people``, ``demand_households``, ``covered_before``, ``covered_after``,
        ``coverage_gained`` (people), ``share_before``, ``share_after``,
        ``households_newly_in_reach``, ``candidates``, ``solver``, ``status``, ``mip_gap``,
        ``seconds``, ``method``, ``k``, ``radius_m`` (household counts of 1–4 as None).
    """

    sites: gpd.GeoDataFrame
    catchments: gpd.GeoDataFrame
    existing: gpd.GeoDataFrame
    regions: gpd.GeoDataFrame
    summary: dict[str, object]


def _check_inputs(k: int, radius_m: float, method: str, sigungu_code: str) -> None:
    problems = []
    if not isinstance(k, int | np.integer) or not 1 <= int(k) <= MAX_K:
        problems.append(f"k must be a whole number from 1 to {MAX_K}, got {k!r}")
    if not (np.isfinite(radius_m) and RADIUS_RANGE_M[0] <= radius_m <= RADIUS_RANGE_M[1]):
        problems.append(f"radius_m must be between {RADIUS_RANGE_M[0]:.0f} and "
                        f"{RADIUS_RANGE_M[1]:.0f} metres, got {radius_m!r}")
    if method not in SITE_METHODS:
        problems.append(f"method must be one of {sorted(SITE_METHODS)}, got {method!r}")
    if not (isinstance(sigungu_code, str) and len(sigungu_code) == 5 and sigungu_code.isdigit()):
        problems.append(f"sigungu_code must be a 5-digit 시군구 code, got {sigungu_code!r}")
    if problems:
        raise SiteInputError("; ".join(problems))


def check_site_access(store: Store, viewer: Viewer, sigungu_code: str) -> None:
    """Planners in their own 시군구, the ministry and admins anywhere; refusals are audited.

    Raises
    ------
    AccessDenied
        If the viewer may not plan sites in ``sigungu_code``.
    """
    require_planning_role(store, viewer, action="plan_sites")
    if viewer.role == Role.PLANNER and not in_jurisdiction(viewer, sigungu_code):
        audit(store, viewer, action="plan_sites", allowed=False, object_type="sigungu",
              object_id=sigungu_code, detail="outside the planner's jurisdiction")
        raise AccessDenied(f"planners may plan sites in their own 시군구 only "
                           f"({viewer.jurisdiction_code}), not {sigungu_code}")


def plan_sites(
    store: Store,
    viewer: Viewer,
    *,
    sigungu_code: str,
    target_group: str,
    k: int = 3,
    radius_m: float = 1500.0,
    method: Method = "mclp",
    grid_m: float | None = None,
    time_limit_s: float = 30.0,
    progress: Progress | None = None,
) -> SitePlan:
    """Choose ``k`` new facility sites for a target group in a 시군구.

    Parameters
    ----------
    store, viewer
        The store and the acting user (planner in own 시군구, ministry, admin).
    sigungu_code
        The 5-digit 시군구 code.
    target_group
        A code of :data:`services.supply.TARGET_GROUPS`.
    k
        Number of new facilities (1 to :data:`MAX_K`).
    radius_m
        Service radius in metres.
    method
        ``'mclp'`` (maximise people newly in reach) or ``'p_median'`` (minimise weighted
        distance; demand beyond the radius counts as unserved).
    grid_m
        Candidate grid cell size; default half the radius (at least 250 m).
    time_limit_s
        Solver time limit (the result reports status and gap).
    progress
        ``progress(fraction, message)`` for a background callback.

    Returns
    -------
    SitePlan

    Raises
    ------
    SiteInputError
        Bad inputs, unknown 시군구, or no demand of the group in the 시군구.
    AccessDenied
        Roles other than planner/ministry/admin, or a planner outside their 시군구 (audited).
    """
    _check_inputs(k, radius_m, method, sigungu_code)
    check_site_access(store, viewer, sigungu_code)
    group = _target(target_group)
    regions = store.regions("emd", parent_code=sigungu_code, display=True)
    if regions.empty:
        raise SiteInputError(f"no 읍면동 of 시군구 {sigungu_code} in the store")
    demand = demand_points(store, group, sigungu_code=sigungu_code)
    if demand.empty:
        raise SiteInputError(f"no {group.code} demand in 시군구 {sigungu_code}")
    _notify(progress, 0.02, "후보지 생성 중")
    land = store.regions("emd", parent_code=sigungu_code).set_index("code").to_crs(MEASURE_SRID)
    cell = grid_m if grid_m is not None else max(250.0, radius_m / 2)
    candidates = candidate_sites(land, demand, grid_m=cell, min_population=1.0,
                                 population_col="demand")
    existing = _existing_near(store, group, land, radius_m)
    cells = _demand_cells(demand, cell_m=min(DEMAND_CELL_M, radius_m / 10))
    result = choose_sites(cells, candidates, p=int(k), radius_m=float(radius_m),
                          weight_col="demand", method=method, existing=existing,
                          time_limit_s=time_limit_s, progress=progress)
    return _plan(result, demand, existing, regions, land, candidates_n=len(candidates),
                 k=int(k), radius_m=float(radius_m), method=method)


def _demand_cells(demand: gpd.GeoDataFrame, *, cell_m: float) -> gpd.GeoDataFrame:
    """Demand summed on a ``cell_m`` grid, at the weighted centre of each cell's households.

    The solver works on cells (a few hundred instead of thousands of households); coverage and
    "newly in reach" are then counted on the households themselves.
    """
    xy = np.column_stack([demand.geometry.x, demand.geometry.y])
    w = demand["demand"].to_numpy(dtype=float)
    _, cell = np.unique(np.floor(xy / cell_m).astype(np.int64), axis=0, return_inverse=True)
    cell = cell.ravel()
    total = np.bincount(cell, weights=w)
    cx = np.bincount(cell, weights=w * xy[:, 0]) / total
    cy = np.bincount(cell, weights=w * xy[:, 1]) / total
    return gpd.GeoDataFrame({"demand": total}, geometry=gpd.points_from_xy(cx, cy),
                            crs=demand.crs)


def _target(code: str):
    try:
        return target_group(code)
    except SupplyInputError as exc:
        raise SiteInputError(str(exc)) from None


def _notify(progress: Progress | None, fraction: float, message: str) -> None:
    log.debug("%3.0f%% %s", 100 * fraction, message)
    report(progress, fraction, message)


def _existing_near(store: Store, group, land: gpd.GeoDataFrame,
                   radius_m: float) -> gpd.GeoDataFrame:
    """Facilities of the group within ``radius_m`` of the 시군구's bounding box."""
    supply = supply_points(store, group)
    if supply.empty:
        return supply
    minx, miny, maxx, maxy = land.total_bounds
    x, y = supply.geometry.x.to_numpy(), supply.geometry.y.to_numpy()
    near = (x >= minx - radius_m) & (x <= maxx + radius_m) & (y >= miny - radius_m) & (
        y <= maxy + radius_m)
    return supply[near].reset_index(drop=True)


def _plan(result, demand: gpd.GeoDataFrame, existing: gpd.GeoDataFrame,
          regions: gpd.GeoDataFrame, land: gpd.GeoDataFrame, *, candidates_n: int, k: int,
          radius_m: float, method: str) -> SitePlan:
    sites = result.sites.reset_index(drop=True)
    xy = np.column_stack([sites.geometry.x, sites.geometry.y])
    already = _within(demand, existing, radius_m)
    newly = _within(demand, sites, radius_m) & ~already
    people, households = _per_site_reach(demand, xy, newly, radius_m)
    names = land["name"].to_dict()
    table = pd.DataFrame({
        "site": np.arange(1, len(sites) + 1), "kind": sites["kind"].to_numpy(),
        "emd_code": sites["region"].astype(str).to_numpy(),
        "emd_name": sites["region"].map(names).fillna("").to_numpy(),
        "people_in_reach": people, "households_in_reach": households})
    shown = suppress_small_cells(table, count_cols=["households_in_reach"],
                                 derived_cols={"people_in_reach": ["households_in_reach"]})
    site_points = gpd.GeoSeries(sites.geometry.values, crs=MEASURE_SRID)
    out_sites = gpd.GeoDataFrame(shown, geometry=site_points.to_crs(STORAGE_SRID).values,
                                 crs=STORAGE_SRID)
    circles = gpd.GeoDataFrame({"site": table["site"]},
                               geometry=site_points.buffer(radius_m, 48).to_crs(
                                   STORAGE_SRID).values, crs=STORAGE_SRID)
    summary = _summary(result, demand, already, newly, candidates_n=candidates_n, k=k,
                       radius_m=radius_m, method=method)
    return SitePlan(sites=out_sites, catchments=circles, existing=_public_existing(existing),
                    regions=regions, summary=summary)


def _per_site_reach(demand: gpd.GeoDataFrame, sites_xy: np.ndarray, newly: np.ndarray,
                    radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    """People and households newly in reach within each site's radius."""
    if len(sites_xy) == 0:
        return np.empty(0), np.empty(0)
    dxy = np.column_stack([demand.geometry.x, demand.geometry.y])
    d2 = ((dxy[:, None, :] - sites_xy[None, :, :]) ** 2).sum(axis=2)
    inside = (d2 <= radius_m**2) & newly[:, None]
    people = (inside * demand["demand"].to_numpy()[:, None]).sum(axis=0)
    return people.astype(float), inside.sum(axis=0).astype(float)


def _within(points: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, radius_m: float) -> np.ndarray:
    """For each point: is any site within ``radius_m`` (both EPSG:5179)?"""
    if len(points) == 0 or len(sites) == 0:
        return np.zeros(len(points), dtype=bool)
    tree = cKDTree(np.column_stack([sites.geometry.x, sites.geometry.y]))
    counts = tree.query_ball_point(np.column_stack([points.geometry.x, points.geometry.y]),
                                   radius_m, return_length=True)
    return np.asarray(counts) > 0


def _summary(result, demand: gpd.GeoDataFrame, already: np.ndarray,
             newly: np.ndarray, *, candidates_n: int, k: int, radius_m: float,
             method: str) -> dict[str, object]:
    weights = demand["demand"].to_numpy(dtype=float)
    total = float(weights.sum())
    before = float(weights[already].sum())
    after = float(weights[already | newly].sum())
    newly_households = int(newly.sum())
    sol = result.solution
    return {
        "demand_people": total, "demand_households": len(demand),
        "covered_before": before, "covered_after": after, "coverage_gained": after - before,
        "share_before": before / total if total else 0.0,
        "share_after": after / total if total else 0.0,
        "households_newly_in_reach": newly_households if newly_households == 0
        or newly_households >= 5 else None,
        "candidates": candidates_n, "solver": sol.solver, "status": sol.status,
        "mip_gap": float(sol.mip_gap), "seconds": float(sol.seconds), "method": method,
        "k": k, "radius_m": radius_m,
    }


def _public_existing(existing: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    cols = ["facility_id", "name", "type_name", "target_group", "function", "capacity",
            "current_users", "free_places"]
    if existing.empty:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=STORAGE_SRID)
    return gpd.GeoDataFrame(existing[cols], geometry=existing.geometry.values,
                            crs=MEASURE_SRID).to_crs(STORAGE_SRID)
