"""Neighbour searches (grid pairs, any-within-radius) and the compiled E2SFCA steps (numba).

All numba-compiled functions live in this one module on purpose: numba's on-disk cache
(``cache=True``) is invalidated by changes to the file of the cached function only, so a
kernel inlining a helper from another file could keep running a stale copy of it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numba
import numpy as np
from scipy.spatial import cKDTree

__all__ = ["neighbour_pairs", "within_radius"]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

# Neighbour search is a uniform grid ("bucket") over the second point set, with cells
# a quarter of the search radius wide. Points are sorted by cell key
# ``row * n_cols + col``, so the cells of one grid row that a circle of the radius
# overlaps are one contiguous slice of the sorted points, found with two binary
# searches; each point looks at the 9 grid rows around it, each trimmed to the
# circle. About 1.3 candidates are tested per pair found (3 × 3 cells of one radius:
# 2.3). No dense cell array is allocated, so a small radius over a large extent
# costs no memory. The kernels are compiled with numba (``cache=True``: compiled
# once, then loaded from the on-disk cache by later processes) and release the GIL.

_DECAY_STEP = 0
_DECAY_GAUSSIAN = 1
#: Zones of a StepDecay the compiled kernels evaluate (more zones: numpy on pairs).
_MAX_STEP_ZONES = 4
#: Grid cells per search radius.
_CELLS_PER_RADIUS = 4
#: Demand points per thread below which ``workers`` > 1 does not split the work.
_MIN_POINTS_PER_THREAD = 1000


def _njit(*, inline: bool = False) -> Callable[[Callable[..., object]], Callable[..., object]]:
    """``numba.njit(cache=True, nogil=True)``; without caching where no cache dir is writable."""
    options = {"nogil": True, "inline": "always" if inline else "never"}

    def wrap(fn: Callable[..., object]) -> Callable[..., object]:
        try:
            return numba.njit(cache=True, **options)(fn)
        except RuntimeError:  # numba found no writable cache location
            logger.warning("numba cannot cache %s; it is compiled in each process", fn.__name__)
            return numba.njit(**options)(fn)

    return wrap


def _grid_build(b_xy: np.ndarray, radius: float) -> tuple:
    """Sort ``b_xy`` (non-empty, finite) into grid cells for the compiled kernels.

    Returns (order, sorted keys, sorted x, sorted y, x0, y0, cell, n_cols, n_rows,
    span, slack): ``span`` grid rows either side of a point's row can be in reach;
    ``slack`` (metres) widens the kernels' trimmed ranges against rounding.
    """
    x0, y0 = b_xy.min(axis=0)
    x1, y1 = b_xy.max(axis=0)
    extent = max(x1 - x0, y1 - y0)
    # at most 1e9 cells a side (keys fit in int64) and never of zero size (radius 0)
    cell = max(radius / _CELLS_PER_RADIUS, extent * 1e-9, 1e-9)
    span = np.int64(np.ceil(radius / cell * (1.0 + 1e-9)))
    slack = 1e-6 * cell + 1e-12 * float(np.max(np.abs([x0, x1, y0, y1])))
    n_cols = np.int64((x1 - x0) / cell) + 1
    n_rows = np.int64((y1 - y0) / cell) + 1
    # truncation is floor here (offsets are >= 0), as in the kernels' np.floor
    keys = ((b_xy[:, 1] - y0) / cell).astype(np.int64) * n_cols
    keys += ((b_xy[:, 0] - x0) / cell).astype(np.int64)
    order = np.argsort(keys, kind="stable")
    sorted_xy = b_xy[order]
    return (
        order.astype(np.intp),
        keys[order],
        np.ascontiguousarray(sorted_xy[:, 0]),
        np.ascontiguousarray(sorted_xy[:, 1]),
        float(x0),
        float(y0),
        float(cell),
        n_cols,
        n_rows,
        span,
        float(slack),
    )


@_njit(inline=True)
def _rows(y: float, grid: tuple) -> tuple:  # pragma: no cover - numba
    """First and last grid row (inclusive) that can hold points in reach of height ``y``."""
    y0, cell, n_rows, span = grid[5], grid[6], grid[8], grid[9]
    row = np.int64(np.floor(min(max((y - y0) / cell, -2.0 - span), n_rows + 1.0 + span)))
    return max(row - span, 0), min(row + span, n_rows - 1), row


@_njit(inline=True)
def _row_slice(
    x: float, y: float, r: np.int64, row: np.int64, radius: float, grid: tuple
) -> tuple:  # pragma: no cover - numba
    """Sorted-index slice [lo, hi) of grid row ``r`` within the circle around (x, y)."""
    keys, x0, y0, cell, n_cols, slack = grid[1], grid[4], grid[5], grid[6], grid[7], grid[10]
    slack = slack + 1e-12 * (abs(x) + abs(y))
    gap = 0.0  # vertical distance from y to the row's band
    if r < row:
        gap = y - (y0 + (r + 1) * cell)
    elif r > row:
        gap = (y0 + r * cell) - y
    gap = max(gap - slack, 0.0)
    if gap > radius:
        return 0, 0
    half = np.sqrt(radius * radius - gap * gap) + slack
    c_lo = np.int64(np.floor(min(max((x - half - x0) / cell, -1.0), n_cols + 0.0)))
    c_hi = np.int64(np.floor(min(max((x + half - x0) / cell, -1.0), n_cols + 0.0)))
    c_lo = max(c_lo, 0)
    c_hi = min(c_hi, n_cols - 1)
    if c_lo > c_hi:
        return 0, 0
    lo = np.searchsorted(keys, r * n_cols + c_lo, side="left")
    hi = np.searchsorted(keys, r * n_cols + c_hi, side="right")
    return lo, hi


@_njit(inline=True)
def _step_weight(d: float, radius: float, p: tuple) -> float:  # pragma: no cover - numba
    """StepDecay weight, 0 beyond ``radius``; branch-free (selects) so loops vectorise.

    ``p`` = 4 upper zone limits (unused zones -inf, never selected), then 4 weights.
    """
    w = 0.0
    w = p[7] if d <= p[3] else w
    w = p[6] if d <= p[2] else w
    w = p[5] if d <= p[1] else w
    w = p[4] if d <= p[0] else w
    return w if d <= radius else 0.0


@_njit(inline=True)
def _gaussian_weight(d: float, radius: float, p: tuple) -> float:  # pragma: no cover - numba
    """GaussianDecay weight, 0 beyond ``radius``; ``p`` = (d0, 2 σ², edge value, Dai's form?)."""
    w = np.exp(-(d * d) / p[1])
    if p[3] != 0.0:
        w = (w - p[2]) / (1.0 - p[2])
    w = w if d <= p[0] else 0.0
    return w if d <= radius else 0.0


# Both steps repeat the inner loop once per decay kind on purpose: one loop calling an inlined
# ``if kind == ...`` weight dispatcher was measured 39 % slower for StepDecay (3,500 × 20,000,
# 3 km; 40.0 ms against 28.8 ms, same run), as the branch stops the loop from vectorising.


@_njit()
def _e2sfca_step1(
    a_xy: np.ndarray, a_val: np.ndarray, grid: tuple, radius: float, kind: int, p: tuple
) -> np.ndarray:  # pragma: no cover - numba
    """Σ_i D_i W(d_ij) per grid-sorted supply point j."""
    bx, by = grid[2], grid[3]
    wd = np.zeros(bx.shape[0])
    for i in range(a_xy.shape[0]):
        x = a_xy[i, 0]
        y = a_xy[i, 1]
        dem = a_val[i]
        if dem == 0.0:
            continue
        r_lo, r_hi, row = _rows(y, grid)
        for r in range(r_lo, r_hi + 1):
            lo, hi = _row_slice(x, y, r, row, radius, grid)
            if kind == _DECAY_STEP:
                for k in range(lo, hi):
                    dx = bx[k] - x
                    dy = by[k] - y
                    wd[k] += dem * _step_weight(np.sqrt(dx * dx + dy * dy), radius, p)
            else:
                for k in range(lo, hi):
                    dx = bx[k] - x
                    dy = by[k] - y
                    wd[k] += dem * _gaussian_weight(np.sqrt(dx * dx + dy * dy), radius, p)
    return wd


@_njit()
def _e2sfca_step2(
    a_xy: np.ndarray, ratio: np.ndarray, grid: tuple, radius: float, kind: int, p: tuple
) -> np.ndarray:  # pragma: no cover - numba
    """Σ_j R_j W(d_ij) per demand point (``ratio`` in grid order)."""
    bx, by = grid[2], grid[3]
    out = np.zeros(a_xy.shape[0])
    for i in range(a_xy.shape[0]):
        x = a_xy[i, 0]
        y = a_xy[i, 1]
        total = 0.0
        r_lo, r_hi, row = _rows(y, grid)
        for r in range(r_lo, r_hi + 1):
            lo, hi = _row_slice(x, y, r, row, radius, grid)
            if kind == _DECAY_STEP:
                for k in range(lo, hi):
                    dx = bx[k] - x
                    dy = by[k] - y
                    total += ratio[k] * _step_weight(np.sqrt(dx * dx + dy * dy), radius, p)
            else:
                for k in range(lo, hi):
                    dx = bx[k] - x
                    dy = by[k] - y
                    total += ratio[k] * _gaussian_weight(np.sqrt(dx * dx + dy * dy), radius, p)
        out[i] = total
    return out


@_njit()
def _grid_pairs(
    a_xy: np.ndarray, grid: tuple, radius: float, offset: int
) -> tuple:  # pragma: no cover - numba
    """All (i + offset, j, d) with d ≤ radius; j indexes the original (unsorted) points."""
    order, bx, by = grid[0], grid[2], grid[3]
    counts = np.zeros(a_xy.shape[0] + 1, dtype=np.int64)
    for i in range(a_xy.shape[0]):
        x = a_xy[i, 0]
        y = a_xy[i, 1]
        c = 0
        r_lo, r_hi, row = _rows(y, grid)
        for r in range(r_lo, r_hi + 1):
            lo, hi = _row_slice(x, y, r, row, radius, grid)
            for k in range(lo, hi):
                dx = bx[k] - x
                dy = by[k] - y
                c += np.sqrt(dx * dx + dy * dy) <= radius
        counts[i + 1] = counts[i] + c
    pi = np.empty(counts[-1], dtype=np.intp)
    pj = np.empty(counts[-1], dtype=np.intp)
    pd_ = np.empty(counts[-1])
    for i in range(a_xy.shape[0]):
        x = a_xy[i, 0]
        y = a_xy[i, 1]
        n = counts[i]
        r_lo, r_hi, row = _rows(y, grid)
        for r in range(r_lo, r_hi + 1):
            lo, hi = _row_slice(x, y, r, row, radius, grid)
            for k in range(lo, hi):
                dx = bx[k] - x
                dy = by[k] - y
                d = np.sqrt(dx * dx + dy * dy)
                if d <= radius:
                    pi[n] = i + offset
                    pj[n] = order[k]
                    pd_[n] = d
                    n += 1
    return pi, pj, pd_


def _n_threads(workers: int, n_points: int) -> int:
    wanted = (os.cpu_count() or 1) if workers == -1 else max(int(workers), 1)
    return max(min(wanted, n_points // _MIN_POINTS_PER_THREAD), 1)


def _map_chunks(fn: Callable[[int, int], _T], n_points: int, n_threads: int) -> list[_T]:
    """``fn(start, stop)`` over ``n_threads`` contiguous chunks of ``range(n_points)``."""
    if n_threads == 1:
        return [fn(0, n_points)]
    bounds = np.linspace(0, n_points, n_threads + 1).astype(int)
    with ThreadPoolExecutor(n_threads) as pool:
        return list(pool.map(lambda k: fn(int(bounds[k]), int(bounds[k + 1])), range(n_threads)))


def _as_xy(xy: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(xy, dtype=np.float64).reshape(-1, 2)


def neighbour_pairs(
    a_xy: np.ndarray, b_xy: np.ndarray, *, radius_m: float, workers: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs of points closer than or at ``radius_m`` (Euclidean), sparse.

    Uses a grid over ``b_xy`` with cells a quarter of ``radius_m`` wide (see the
    notes above :func:`neighbour_pairs` in the source): each point of ``a_xy`` only
    tests the points of the grid cells its circle overlaps. Compiled with numba; the
    first call in a fresh environment compiles (seconds), later ones load the cache.

    Parameters
    ----------
    a_xy, b_xy : ndarray of shape (n, 2) and (m, 2)
        Finite coordinates in metres.
    radius_m : float
        Search radius in metres (inclusive).
    workers : int
        Threads (``-1``: all cores); ``a_xy`` is split into chunks searched
        concurrently (the compiled search releases the GIL).

    Returns
    -------
    i, j, d : ndarray
        Index into ``a_xy`` (intp), index into ``b_xy`` (intp) and distance (float),
        one entry per pair, in no particular order.
    """
    a_xy, b_xy = _as_xy(a_xy), _as_xy(b_xy)
    if len(a_xy) == 0 or len(b_xy) == 0 or not radius_m >= 0:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty.copy(), np.empty(0, dtype=float)
    grid = _grid_build(b_xy, float(radius_m))
    parts = _map_chunks(
        lambda lo, hi: _grid_pairs(a_xy[lo:hi], grid, float(radius_m), lo),
        len(a_xy),
        _n_threads(workers, len(a_xy)),
    )
    if len(parts) == 1:
        return parts[0]
    i, j, d = zip(*parts, strict=True)
    return np.concatenate(i), np.concatenate(j), np.concatenate(d)


def within_radius(a_xy: np.ndarray, b_xy: np.ndarray, *, radius_m: float) -> np.ndarray:
    """For each point of ``a_xy``: is any point of ``b_xy`` within ``radius_m`` (inclusive)?

    Parameters
    ----------
    a_xy, b_xy : ndarray of shape (n, 2) and (m, 2)
        Finite coordinates in metres.
    radius_m : float
        Search radius in metres.

    Returns
    -------
    ndarray of bool, shape (n,)
        All False when either set is empty.
    """
    a_xy, b_xy = _as_xy(a_xy), _as_xy(b_xy)
    if len(a_xy) == 0 or len(b_xy) == 0:
        return np.zeros(len(a_xy), dtype=bool)
    counts = cKDTree(b_xy).query_ball_point(a_xy, radius_m, return_length=True)
    return np.asarray(counts) > 0
