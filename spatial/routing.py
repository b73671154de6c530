"""Order a day's household visits from the team's office (nearest neighbour + 2-opt).

Distances are straight lines in projected metres (EPSG:5179 for Korea). That is a planning
aid, not a road route: it orders the stops sensibly and gives comparable day lengths.

The numeric core :func:`order_visits` works on coordinates only; :func:`route_for_visits` is
the thin GeoDataFrame wrapper (reprojects, calls the core, returns the visits in order).

Algorithm
---------
1. Nearest-neighbour construction from the office.
2. 2-opt improvement. The route is written as ``office, s_1, ..., s_n, end`` where ``end`` is
   the office again (closed tour) or a virtual node at distance 0 from every stop (open path,
   ``return_to_office=False``), so both cases use the same move: reversing ``s_{i+1}..s_j``.
   A pass sweeps ``i`` once; for each ``i`` the gains of all ``j`` are evaluated at once with
   numpy and the best improving move is applied. Passes repeat until none improves or
   ``max_2opt_passes`` is reached.
3. Within each pass, an Or-opt sweep (``or_opt=True``, the default) also tries moving every
   run of 1-3 consecutive stops to its best other place, in either direction. 2-opt alone
   gets stuck noticeably often with a fixed start; Or-opt roughly halves that.

This is a heuristic: the result is never longer than the nearest-neighbour route and has no
crossing legs, but it is not guaranteed optimal. On 400 random 8-stop instances it found the
brute-force optimum in 90 % of cases, mean excess 0.3 %, worst 12 % (2-opt alone: 73 %,
1.0 %, 14 %); the tests pin these bounds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
from scipy.spatial.distance import cdist
from shapely.geometry import Point

from domain.errors import InputError

__all__ = ["ROUTING_CRS", "RouteResult", "RoutingInputError", "order_visits", "route_for_visits"]

logger = logging.getLogger(__name__)

#: CRS in which route_for_visits measures distances (Korea 2000 / Unified CS, metres).
ROUTING_CRS = "EPSG:5179"


class RoutingInputError(InputError):
    """Raised when the office or the stops cannot be routed."""


@dataclass(frozen=True, eq=False)
class RouteResult:
    """A visiting order and its length.

    Attributes
    ----------
    order : numpy.ndarray
        int64 indices into the stops, in visiting order (a permutation of ``range(n)``).
    total_m : float
        Route length in metres, including the leg back to the office when requested.
    nn_total_m : float
        Length of the nearest-neighbour route before 2-opt.
    improvement_share : float
        ``(nn_total_m - total_m) / nn_total_m`` (0 when ``nn_total_m`` is 0).
    legs_m : numpy.ndarray
        Length of the leg arriving at each stop, in visiting order (first leg from the office).
    return_m : float
        Leg from the last stop back to the office (0 when not returning or no stops).
    passes : int
        2-opt passes run (the last one found no improvement unless the limit was hit).
    """

    order: np.ndarray
    total_m: float
    nn_total_m: float
    improvement_share: float
    legs_m: np.ndarray
    return_m: float
    passes: int


def order_visits(
    office_xy: tuple[float, float],
    stops_xy: np.ndarray,
    *,
    return_to_office: bool = True,
    max_2opt_passes: int = 50,
    or_opt: bool = True,
) -> RouteResult:
    """Order stops for a visiting round starting at the office.

    Parameters
    ----------
    office_xy : tuple of float
        Office ``(x, y)`` in projected metres.
    stops_xy : numpy.ndarray
        ``(n, 2)`` stop coordinates in the same CRS; ``n`` may be 0.
    return_to_office : bool, default True
        Count (and optimise) the leg back to the office. If False the route is an open path
        that ends at the last stop.
    max_2opt_passes : int, default 50
        Upper bound on improvement passes (0 keeps the nearest-neighbour route).
    or_opt : bool, default True
        Add an Or-opt sweep (relocating runs of 1-3 stops) to each pass.

    Returns
    -------
    RouteResult

    Raises
    ------
    RoutingInputError
        If coordinates are not finite or have the wrong shape.

    Examples
    --------
    >>> r = order_visits((0.0, 0.0), np.array([[2.0, 0.0], [1.0, 0.0]]), return_to_office=False)
    >>> r.order.tolist(), r.total_m
    ([1, 0], 2.0)
    """
    office, stops = _check_core_inputs(office_xy, stops_xy, max_2opt_passes)
    n = len(stops)
    if n == 0:
        empty = np.empty(0, dtype=np.int64)
        return RouteResult(empty, 0.0, 0.0, 0.0, np.empty(0), 0.0, 0)

    # Extended distance matrix over nodes 0 = office, 1..n = stops, n+1 = end.
    pts = np.vstack([office, stops])
    dist = np.zeros((n + 2, n + 2))
    dist[: n + 1, : n + 1] = cdist(pts, pts)
    if return_to_office:
        dist[n + 1, : n + 1] = dist[0, : n + 1]
        dist[: n + 1, n + 1] = dist[: n + 1, 0]

    tour = np.concatenate([[0], _nearest_neighbour(dist[: n + 1, : n + 1]), [n + 1]])
    nn_total = _tour_length(dist, tour)
    tour, passes = _two_opt(dist, tour, max_passes=max_2opt_passes, or_opt=or_opt)

    legs = dist[tour[:-2], tour[1:-1]]
    return_m = float(dist[tour[-2], tour[-1]])
    total = _tour_length(dist, tour)
    share = (nn_total - total) / nn_total if nn_total > 0 else 0.0
    return RouteResult(
        order=(tour[1:-1] - 1).astype(np.int64),
        total_m=total,
        nn_total_m=nn_total,
        improvement_share=float(share),
        legs_m=legs,
        return_m=return_m,
        passes=passes,
    )


def route_for_visits(
    office: Point,
    visits: gpd.GeoDataFrame,
    *,
    office_crs: Any | None = None,
    return_to_office: bool = True,
    max_2opt_passes: int = 50,
    or_opt: bool = True,
) -> gpd.GeoDataFrame:
    """Return the visits in visiting order with leg and cumulative distances.

    Parameters
    ----------
    office : shapely.geometry.Point
        The team's office, in ``office_crs`` (default: the CRS of ``visits``).
    visits : geopandas.GeoDataFrame
        Point geometries with a CRS (EPSG:4326 or any projected CRS); other columns are kept.
    office_crs : optional
        CRS of ``office`` if it differs from ``visits.crs``.
    return_to_office, max_2opt_passes, or_opt
        As in :func:`order_visits`.

    Returns
    -------
    geopandas.GeoDataFrame
        The rows of ``visits`` (original geometry and CRS, original index) in visiting order,
        with added columns ``visit_order`` (1-based), ``leg_m`` (metres from the previous stop
        or the office) and ``cumulative_m``. ``attrs`` holds ``route_total_m``,
        ``route_return_m``, ``route_nn_total_m`` and ``route_crs``.

    Raises
    ------
    RoutingInputError
        Missing CRS, non-point or empty geometries, or an office that is not a point.

    See Also
    --------
    order_visits : The numeric core on coordinates.
    """
    _check_geo_inputs(office, visits)
    office_gs = gpd.GeoSeries([office], crs=office_crs if office_crs is not None else visits.crs)
    office_m = office_gs.to_crs(ROUTING_CRS).iloc[0]
    stops_m = visits.geometry.to_crs(ROUTING_CRS)
    stops_xy = np.column_stack([stops_m.x.to_numpy(), stops_m.y.to_numpy()])

    result = order_visits(
        (office_m.x, office_m.y),
        stops_xy,
        return_to_office=return_to_office,
        max_2opt_passes=max_2opt_passes,
        or_opt=or_opt,
    )
    out = visits.iloc[result.order].copy()
    out["visit_order"] = np.arange(1, len(out) + 1, dtype=np.int64)
    out["leg_m"] = result.legs_m.astype(float)
    out["cumulative_m"] = np.cumsum(result.legs_m).astype(float)
    out.attrs.update(
        route_total_m=result.total_m,
        route_return_m=result.return_m,
        route_nn_total_m=result.nn_total_m,
        route_crs=ROUTING_CRS,
    )
    logger.debug(
        "route_for_visits: %d stops, %.0f m (NN %.0f m)",
        len(out),
        result.total_m,
        result.nn_total_m,
    )
    return out


# --------------------------------------------------------------------------------------------
# Core helpers
# --------------------------------------------------------------------------------------------
def _nearest_neighbour(dist: np.ndarray) -> np.ndarray:
    """Greedy order of nodes 1..n starting from node 0 (ties: lowest index)."""
    n = dist.shape[0] - 1
    unvisited = np.ones(n + 1, dtype=bool)
    unvisited[0] = False
    order = np.empty(n, dtype=np.int64)
    current = 0
    for step in range(n):
        row = np.where(unvisited, dist[current], np.inf)
        current = int(np.argmin(row))
        order[step] = current
        unvisited[current] = False
    return order


def _tour_length(dist: np.ndarray, tour: np.ndarray) -> float:
    return float(dist[tour[:-1], tour[1:]].sum())


def _two_opt(
    dist: np.ndarray, tour: np.ndarray, *, max_passes: int, or_opt: bool = True
) -> tuple[np.ndarray, int]:
    """Local search on a path whose first (office) and last (end) nodes stay fixed.

    2-opt: reversing ``tour[i+1..j]`` replaces edges (t_i, t_{i+1}) and (t_j, t_{j+1}) by
    (t_i, t_j) and (t_{i+1}, t_{j+1}); ``0 <= i`` and ``i + 2 <= j <= len(tour) - 2``.
    Each pass sweeps ``i`` and evaluates all ``j`` at once; then (``or_opt``) an Or-opt sweep
    moves segments of 1-3 stops to their best other position.
    """
    tour = tour.copy()
    last = len(tour) - 2  # largest j
    eps = 1e-9 * max(1.0, float(dist.max()))
    passes = 0
    while passes < max_passes:
        passes += 1
        improved = False
        for i in range(last - 1):
            j = np.arange(i + 2, last + 1)
            a, b = tour[i], tour[i + 1]
            c, d = tour[j], tour[j + 1]
            gain = dist[a, b] + dist[c, d] - dist[a, c] - dist[b, d]
            best = int(np.argmax(gain))
            if gain[best] > eps:
                jj = int(j[best])
                tour[i + 1 : jj + 1] = tour[i + 1 : jj + 1][::-1]
                improved = True
        if or_opt:
            tour, moved = _or_opt_sweep(dist, tour, eps)
            improved = improved or moved
        if not improved:
            break
    return tour, passes


def _or_opt_sweep(dist: np.ndarray, tour: np.ndarray, eps: float) -> tuple[np.ndarray, bool]:
    """Move segments of 1-3 consecutive stops to their best edge (either direction)."""
    improved = False
    n_stops = len(tour) - 2
    for seg_len in (1, 2, 3):
        p = 1
        while p + seg_len - 1 <= n_stops:
            seg = tour[p : p + seg_len]
            prev, nxt = tour[p - 1], tour[p + seg_len]
            s0, s1 = seg[0], seg[-1]
            removal_gain = dist[prev, s0] + dist[s1, nxt] - dist[prev, nxt]
            rest = np.concatenate([tour[:p], tour[p + seg_len :]])
            u, v = rest[:-1], rest[1:]  # candidate edges (u, v) of the shortened path
            forward = dist[u, s0] + dist[s1, v]
            backward = dist[u, s1] + dist[s0, v]
            cost = np.minimum(forward, backward) - dist[u, v]
            cost[p - 1] = np.inf  # the edge the segment came from
            q = int(np.argmin(cost))
            if removal_gain - cost[q] > eps:
                piece = seg if forward[q] <= backward[q] else seg[::-1]
                tour = np.concatenate([rest[: q + 1], piece, rest[q + 1 :]])
                improved = True
            p += 1
    return tour, improved


def _check_core_inputs(
    office_xy: tuple[float, float], stops_xy: np.ndarray, max_2opt_passes: int
) -> tuple[np.ndarray, np.ndarray]:
    problems: list[str] = []
    office = np.asarray(office_xy, dtype=float)
    if office.shape != (2,) or not np.isfinite(office).all():
        problems.append(f"office_xy must be two finite numbers, got {office_xy!r}")
    stops = np.asarray(stops_xy, dtype=float)
    if stops.size == 0:
        stops = stops.reshape(0, 2)
    if stops.ndim != 2 or stops.shape[1] != 2:
        problems.append(f"stops_xy must have shape (n, 2), got {stops.shape}")
    elif not np.isfinite(stops).all():
        bad = np.flatnonzero(~np.isfinite(stops).all(axis=1))[:5].tolist()
        problems.append(f"stops_xy has non-finite coordinates (rows {bad})")
    if not isinstance(max_2opt_passes, (int, np.integer)) or max_2opt_passes < 0:
        problems.append(f"max_2opt_passes must be a non-negative integer, got {max_2opt_passes!r}")
    if problems:
        raise RoutingInputError("invalid routing input: " + "; ".join(problems))
    return office, stops


def _check_geo_inputs(office: object, visits: object) -> None:
    if not isinstance(visits, gpd.GeoDataFrame):
        raise RoutingInputError(
            f"visits must be a geopandas.GeoDataFrame, got {type(visits).__name__}"
        )
    problems: list[str] = []
    if not isinstance(office, Point) or office.is_empty:
        problems.append(f"office must be a non-empty shapely Point, got {office!r}")
    if visits.crs is None:
        problems.append("visits has no CRS; set it (e.g. visits.set_crs(4326))")
    geom = visits.geometry
    missing = geom.isna() | geom.is_empty
    if missing.any():
        problems.append(
            f"{int(missing.sum())} visit(s) have missing or empty geometry "
            f"(e.g. index {visits.index[missing][:5].tolist()})"
        )
    not_point = (geom.geom_type != "Point") & ~missing
    if not_point.any():
        problems.append(
            f"visit geometries must be Points, found {sorted(set(geom.geom_type[not_point]))}"
        )
    if problems:
        raise RoutingInputError("invalid visits: " + "; ".join(problems))
