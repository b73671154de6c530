"""Spatial accessibility: enhanced two-step floating catchment area (E2SFCA).

The numeric core (:func:`e2sfca_scores`) works on coordinate arrays in metres and
never builds a dense demand × supply matrix: supply points are bucketed in a grid
(cells a quarter of the catchment wide) and compiled numba kernels run both E2SFCA
steps straight over the buckets, without materialising the pairs. The kernels are
cached on disk (``cache=True``); call :func:`warm_up` at start-up so the first
request does not compile. :func:`neighbour_pairs` lists the pairs themselves.
The geo wrappers (:func:`e2sfca_accessibility`, :func:`supply_demand_table`,
:func:`unmatched_needs`) validate GeoDataFrames (projected CRS in metres, points,
non-negative values) and return named pandas objects on the input's index.

References
----------
Luo, W. and Qi, Y. (2009). An enhanced two-step floating catchment area (E2SFCA)
method for measuring spatial accessibility to primary care physicians.
*Health & Place* 15(4), 1100–1107.

Dai, D. (2010). Black residential segregation, disparities in spatial access to
health care facilities, and late-stage breast cancer diagnosis in metropolitan
Detroit. *Health & Place* 16(5), 1038–1052.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeVar, runtime_checkable

import geopandas as gpd
import numba
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

__all__ = [
    "AnalyticsInputError",
    "DistanceDecay",
    "GaussianDecay",
    "StepDecay",
    "classify_supply",
    "e2sfca_accessibility",
    "e2sfca_scores",
    "neighbour_pairs",
    "point_coordinates",
    "supply_demand_table",
    "unmatched_needs",
]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

SUPPLY_CLASSES: tuple[str, str, str] = ("under", "balanced", "over")


class AnalyticsInputError(ValueError):
    """Input to an analytics function is unusable; the message says how to fix it."""


# --------------------------------------------------------------------------- decay


@runtime_checkable
class DistanceDecay(Protocol):
    """A distance-decay weight ``W(d)``: callable on an array of distances in metres."""

    def __call__(self, distance_m: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class StepDecay:
    """Piecewise-constant distance decay (Luo & Qi 2009 travel-time zones).

    ``W(d) = weights[k]`` for ``breaks_m[k-1] < d <= breaks_m[k]`` (zones are closed on
    the right, as in ``access.weights.step_fn``) and ``0`` beyond the last break.

    Parameters
    ----------
    breaks_m : sequence of float
        Strictly increasing upper zone limits in metres.
    weights : sequence of float
        Non-negative weight of each zone, same length as ``breaks_m``.

    Examples
    --------
    >>> decay = StepDecay((1000, 2000, 3000), (1.0, 0.68, 0.22))
    >>> decay(np.array([0.0, 1000.0, 1500.0, 3000.0, 3000.1])).tolist()
    [1.0, 1.0, 0.68, 0.22, 0.0]
    """

    breaks_m: tuple[float, ...]
    weights: tuple[float, ...]
    _breaks: np.ndarray = field(init=False, repr=False, compare=False)
    _lookup: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        breaks = np.asarray(self.breaks_m, dtype=float)
        weights = np.asarray(self.weights, dtype=float)
        if breaks.ndim != 1 or breaks.size == 0 or breaks.shape != weights.shape:
            raise AnalyticsInputError(
                "StepDecay needs one weight per break, e.g. "
                "StepDecay((1000, 2000, 3000), (1.0, 0.68, 0.22))"
            )
        if not (np.all(np.isfinite(breaks)) and breaks[0] > 0 and np.all(np.diff(breaks) > 0)):
            raise AnalyticsInputError("StepDecay breaks_m must be positive and strictly increasing")
        if not (np.all(np.isfinite(weights)) and np.all(weights >= 0)):
            raise AnalyticsInputError("StepDecay weights must be finite and non-negative")
        object.__setattr__(self, "breaks_m", tuple(breaks.tolist()))
        object.__setattr__(self, "weights", tuple(weights.tolist()))
        object.__setattr__(self, "_breaks", breaks)
        object.__setattr__(self, "_lookup", np.append(weights, 0.0))

    @classmethod
    def luo_qi(cls, catchment_m: float = 3000.0) -> StepDecay:
        """The classic three equal zones with weights 1.0 / 0.68 / 0.22 up to ``catchment_m``."""
        return cls(tuple(catchment_m * k / 3 for k in (1, 2, 3)), (1.0, 0.68, 0.22))

    def __call__(self, distance_m: np.ndarray) -> np.ndarray:
        """Weights for ``distance_m`` (any shape)."""
        d = np.asarray(distance_m, dtype=float)
        return self._lookup[np.searchsorted(self._breaks, d, side="left")]


@dataclass(frozen=True)
class GaussianDecay:
    """Gaussian distance decay truncated at the catchment.

    ``form="access"`` is the kernel of ``access.weights.gaussian(sigma)``:
    ``W(d) = exp(-d² / (2 σ²))``. ``form="dai"`` (default) is Dai's (2010) rescaling of
    the same kernel so that the weight falls continuously to 0 at the catchment ``d0``:
    ``W(d) = (exp(-d²/(2σ²)) - exp(-d0²/(2σ²))) / (1 - exp(-d0²/(2σ²)))``. With the
    default ``σ = d0`` this is Dai's published formula. Both are 0 for ``d > d0``.

    Parameters
    ----------
    catchment_m : float
        Catchment radius ``d0`` in metres.
    sigma_m : float, optional
        Gaussian width σ in metres; defaults to ``catchment_m``.
    form : {"dai", "access"}
        Dai's zero-at-the-edge rescaling, or the plain kernel used by ``access``.
    """

    catchment_m: float
    sigma_m: float | None = None
    form: Literal["dai", "access"] = "dai"

    def __post_init__(self) -> None:
        if not (np.isfinite(self.catchment_m) and self.catchment_m > 0):
            raise AnalyticsInputError(
                "GaussianDecay catchment_m must be a positive number of metres"
            )
        if self.sigma_m is not None and not (np.isfinite(self.sigma_m) and self.sigma_m > 0):
            raise AnalyticsInputError("GaussianDecay sigma_m must be positive (or None)")
        if self.form not in ("dai", "access"):
            raise AnalyticsInputError("GaussianDecay form must be 'dai' or 'access'")

    @property
    def sigma(self) -> float:
        """The Gaussian width σ in metres."""
        return float(self.catchment_m if self.sigma_m is None else self.sigma_m)

    def __call__(self, distance_m: np.ndarray) -> np.ndarray:
        """Weights for ``distance_m`` (any shape)."""
        d = np.asarray(distance_m, dtype=float)
        two_sigma_sq = 2.0 * self.sigma**2
        w = np.exp(-(d * d) / two_sigma_sq)
        if self.form == "dai":
            edge = np.exp(-(self.catchment_m**2) / two_sigma_sq)
            w = (w - edge) / (1.0 - edge)
        return np.where(d <= self.catchment_m, w, 0.0)


# --------------------------------------------------------------------------- numeric core
#
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


def _compiled_decay(decay: DistanceDecay) -> tuple[int, tuple[float, ...]] | None:
    """Kernel parameters of a decay the kernels evaluate themselves; None for others."""
    if type(decay) is StepDecay and len(decay.breaks_m) <= _MAX_STEP_ZONES:
        pad = _MAX_STEP_ZONES - len(decay.breaks_m)
        breaks = (*decay.breaks_m, *([-np.inf] * pad))  # -inf zones are never selected
        return _DECAY_STEP, tuple(float(v) for v in (*breaks, *decay.weights, *([0.0] * pad)))
    if type(decay) is GaussianDecay:
        two_sigma_sq = 2.0 * decay.sigma**2
        edge = float(np.exp(-(decay.catchment_m**2) / two_sigma_sq))
        dai = 1.0 if decay.form == "dai" else 0.0
        params = (float(decay.catchment_m), two_sigma_sq, edge, dai, 0.0, 0.0, 0.0, 0.0)
        return _DECAY_GAUSSIAN, params
    return None


def _validate_arrays(
    demand_xy: np.ndarray, demand: np.ndarray, supply_xy: np.ndarray, supply: np.ndarray
) -> list[str]:
    problems: list[str] = []
    for name, xy, values in (("demand", demand_xy, demand), ("supply", supply_xy, supply)):
        if xy.ndim != 2 or xy.shape[1] != 2:
            problems.append(f"{name}_xy must have shape (n, 2), got {xy.shape}")
        elif not np.all(np.isfinite(xy)):
            problems.append(f"{name}_xy has non-finite coordinates")
        if values.ndim != 1 or values.shape[0] != xy.shape[0]:
            problems.append(f"{name} must be 1-D with one value per point ({xy.shape[0]})")
        elif not np.all(np.isfinite(values)) or np.any(values < 0):
            problems.append(f"{name} values must be finite and non-negative")
    return problems


def e2sfca_scores(
    demand_xy: np.ndarray,
    demand: np.ndarray,
    supply_xy: np.ndarray,
    supply: np.ndarray,
    *,
    catchment_m: float,
    decay: DistanceDecay,
    workers: int = 1,
) -> np.ndarray:
    """Enhanced two-step floating catchment area accessibility (numeric core).

    Step 1, supply-to-demand ratio of each facility ``j``:
    ``R_j = S_j / Σ_{i: d_ij ≤ d0} D_i W(d_ij)`` (``R_j = 0`` when no weighted demand
    is in reach). Step 2, accessibility of each demand point ``i``:
    ``A_i = Σ_{j: d_ij ≤ d0} R_j W(d_ij)``.

    With :class:`StepDecay` or :class:`GaussianDecay` both steps run in compiled
    kernels straight over the grid buckets (no list of pairs is built); any other
    :class:`DistanceDecay` is applied with numpy to the pairs from
    :func:`neighbour_pairs`. The first call in a fresh environment compiles the
    kernels (a few seconds; cached on disk for later processes).

    Parameters
    ----------
    demand_xy, supply_xy : ndarray of shape (n, 2), (m, 2)
        Projected coordinates in metres (e.g. EPSG:5179).
    demand, supply : ndarray of shape (n,), (m,)
        Non-negative demand (e.g. households in need) and supply (e.g. places).
    catchment_m : float
        Catchment radius ``d0`` in metres (inclusive).
    decay : DistanceDecay
        Weight ``W(d)``, e.g. :class:`StepDecay` or :class:`GaussianDecay`.
    workers : int
        Threads (``-1``: all cores); demand is split into chunks.

    Returns
    -------
    ndarray of shape (n,)
        ``A_i``, supply per unit of demand; 0 where no supply is in reach.

    Raises
    ------
    AnalyticsInputError
        On mis-shaped, non-finite or negative inputs, or a non-positive catchment.
    """
    demand_xy = np.asarray(demand_xy, dtype=float)
    supply_xy = np.asarray(supply_xy, dtype=float)
    demand = np.asarray(demand, dtype=float)
    supply = np.asarray(supply, dtype=float)
    problems = _validate_arrays(demand_xy, demand, supply_xy, supply)
    if not (np.isfinite(catchment_m) and catchment_m > 0):
        problems.append("catchment_m must be a positive number of metres")
    if problems:
        raise AnalyticsInputError("; ".join(problems))
    if len(demand) == 0 or len(supply) == 0:
        return np.zeros(len(demand))

    compiled = _compiled_decay(decay)
    if compiled is None:
        i, j, d = neighbour_pairs(demand_xy, supply_xy, radius_m=catchment_m, workers=workers)
        w = np.asarray(decay(d), dtype=float)
        weighted_demand = np.bincount(j, weights=demand[i] * w, minlength=len(supply))
        ratio = np.divide(
            supply, weighted_demand, out=np.zeros(len(supply)), where=weighted_demand > 0
        )
        logger.debug("e2sfca: %d pairs within %.0f m", len(d), catchment_m)
        return np.bincount(i, weights=ratio[j] * w, minlength=len(demand))

    kind, params = compiled
    radius = float(catchment_m)
    logger.debug("e2sfca: compiled %s kernels, catchment %.0f m", type(decay).__name__, radius)
    demand_xy = _as_xy(demand_xy)
    grid = _grid_build(_as_xy(supply_xy), radius)
    order = grid[0]
    n_threads = _n_threads(workers, len(demand))
    step1 = _map_chunks(
        lambda lo, hi: _e2sfca_step1(demand_xy[lo:hi], demand[lo:hi], grid, radius, kind, params),
        len(demand),
        n_threads,
    )
    weighted_demand = step1[0] if n_threads == 1 else np.sum(step1, axis=0)
    sorted_supply = supply[order]
    ratio = np.divide(
        sorted_supply,
        weighted_demand,
        out=np.zeros(len(supply)),
        where=weighted_demand > 0,
    )
    parts = _map_chunks(
        lambda lo, hi: _e2sfca_step2(demand_xy[lo:hi], ratio, grid, radius, kind, params),
        len(demand),
        n_threads,
    )
    return parts[0] if n_threads == 1 else np.concatenate(parts)


def warm_up() -> float:
    """Compile (or load from numba's on-disk cache) the E2SFCA and pair-search kernels.

    Call once at application start-up so the first user request does not pay for
    compilation (a few seconds on the first run on a machine; about 0.1–0.7 s to
    load the cache afterwards). Returns the seconds taken.
    """
    start = time.perf_counter()
    xy = np.array([[0.0, 0.0], [500.0, 0.0], [5000.0, 0.0]])
    ones = np.ones(len(xy))
    for decay in (StepDecay.luo_qi(1000.0), GaussianDecay(1000.0)):
        e2sfca_scores(xy, ones, xy, ones, catchment_m=1000.0, decay=decay)
    neighbour_pairs(xy, xy, radius_m=1000.0)
    elapsed = time.perf_counter() - start
    logger.info("accessibility.warm_up: numba kernels ready in %.2f s", elapsed)
    return elapsed


# --------------------------------------------------------------------------- geo checks


def _crs_problems(frames: dict[str, gpd.GeoDataFrame]) -> list[str]:
    problems: list[str] = []
    crss = {}
    for name, gdf in frames.items():
        crs = gdf.crs
        if crs is None:
            problems.append(
                f"{name} has no CRS: set it with .set_crs(...) and reproject with .to_crs(5179)"
            )
            continue
        crss[name] = crs
        if crs.is_geographic or not crs.is_projected:
            problems.append(
                f"{name} CRS {crs.to_string()} is not projected: reproject with .to_crs(5179)"
            )
        elif (crs.axis_info[0].unit_name or "").lower() not in ("metre", "meter"):
            problems.append(
                f"{name} CRS {crs.to_string()} is not in metres: reproject with .to_crs(5179)"
            )
    first = next(iter(crss.values()), None)
    if any(crs != first for crs in crss.values()):
        listing = ", ".join(f"{n}={c.to_string()}" for n, c in crss.items())
        problems.append(f"CRSs differ ({listing}): reproject all with .to_crs(5179)")
    return problems


def _geometry_problems(name: str, gdf: gpd.GeoDataFrame, *, allow_non_points: bool) -> list[str]:
    geoms = gdf.geometry
    data = np.asarray(geoms.values)
    type_ids = shapely.get_type_id(data)  # -1: missing
    if np.any(type_ids < 0) or np.any(shapely.is_empty(data)):
        return [f"{name} has missing or empty geometries: drop them first"]
    if not allow_non_points and not np.all(type_ids == 0):  # 0: Point
        kinds = sorted(set(geoms.geom_type) - {"Point"})
        return [
            f"{name} has non-point geometries ({', '.join(kinds)}): pass points, or "
            "use_representative_points=True to use each shape's representative point"
        ]
    return []


def _value_problems(name: str, gdf: pd.DataFrame, col: str) -> list[str]:
    if col not in gdf.columns:
        return [f"{name} has no column {col!r} (columns: {', '.join(map(str, gdf.columns))})"]
    values = gdf[col]
    if not pd.api.types.is_numeric_dtype(values):
        return [f"{name}[{col!r}] must be numeric, got {values.dtype}"]
    problems = []
    # one float copy, checked with numpy (nullable dtypes: pd.NA becomes NaN)
    if isinstance(values.dtype, np.dtype):
        arr = values.to_numpy(dtype=float)
    else:
        arr = values.to_numpy(dtype=float, na_value=np.nan)
    if n_missing := int(np.count_nonzero(np.isnan(arr))):
        problems.append(f"{name}[{col!r}] has {n_missing} missing values: fill or drop them")
    if n_negative := int(np.count_nonzero(arr < 0)):
        problems.append(f"{name}[{col!r}] has {n_negative} negative values")
    if np.any(np.isinf(arr)):
        problems.append(f"{name}[{col!r}] has infinite values")
    return problems


def check_layers(
    layers: dict[str, tuple[gpd.GeoDataFrame, Sequence[str]]],
    *,
    allow_non_points: bool = False,
    point_layers: Sequence[str] | None = None,
) -> None:
    """Validate GeoDataFrames for metric analysis; raise one error listing every problem.

    Parameters
    ----------
    layers : dict
        ``name -> (GeoDataFrame, value columns that must be numeric, present,
        non-missing and non-negative)``.
    allow_non_points : bool
        Accept non-point geometries (their representative points will be used).
    point_layers : sequence of str, optional
        Layers whose geometries must be points; defaults to all layers.

    Raises
    ------
    AnalyticsInputError
        If anything is wrong; the message lists every problem and how to fix it.
    """
    problems: list[str] = []
    frames: dict[str, gpd.GeoDataFrame] = {}
    for name, (gdf, cols) in layers.items():
        if not isinstance(gdf, gpd.GeoDataFrame):
            problems.append(f"{name} must be a GeoDataFrame, got {type(gdf).__name__}")
            continue
        frames[name] = gdf
        if point_layers is None or name in point_layers:
            problems += _geometry_problems(name, gdf, allow_non_points=allow_non_points)
        for col in cols:
            problems += _value_problems(name, gdf, col)
    problems += _crs_problems(frames)
    if problems:
        raise AnalyticsInputError("Invalid input:\n- " + "\n- ".join(problems))


def point_coordinates(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """``(n, 2)`` coordinates of points, or of representative points of other shapes."""
    geoms = gdf.geometry
    if not _all_points(geoms):
        geoms = geoms.representative_point()
    xy = shapely.get_coordinates(geoms.values)
    if len(xy) != len(geoms):  # empty points have no coordinates: keep their NaN rows
        return np.column_stack([geoms.x.to_numpy(dtype=float), geoms.y.to_numpy(dtype=float)])
    return xy


def _all_points(geoms: gpd.GeoSeries) -> bool:
    """True if every geometry is a Point (type id 0; missing ones are -1)."""
    return bool(np.all(shapely.get_type_id(np.asarray(geoms.values)) == 0))


def _check_inputs(
    demand: gpd.GeoDataFrame,
    supply: gpd.GeoDataFrame,
    *,
    demand_col: str,
    supply_col: str,
    catchment_m: float,
    use_representative_points: bool,
) -> None:
    if not (np.isfinite(catchment_m) and catchment_m > 0):
        raise AnalyticsInputError(
            f"catchment_m must be a positive number of metres, got {catchment_m}"
        )
    check_layers(
        {"demand": (demand, [demand_col]), "supply": (supply, [supply_col])},
        allow_non_points=use_representative_points,
    )


# --------------------------------------------------------------------------- geo wrappers


def e2sfca_accessibility(
    demand: gpd.GeoDataFrame,
    supply: gpd.GeoDataFrame,
    *,
    demand_col: str,
    supply_col: str,
    catchment_m: float = 3000.0,
    decay: DistanceDecay | None = None,
    use_representative_points: bool = False,
    workers: int = 1,
) -> pd.Series:
    """E2SFCA accessibility of each demand location.

    Parameters
    ----------
    demand : GeoDataFrame
        Demand points (e.g. households or grid cells) in a projected CRS in metres.
    supply : GeoDataFrame
        Facilities in the same CRS.
    demand_col, supply_col : str
        Non-negative demand and supply columns (e.g. ``"households"``, ``"capacity"``).
    catchment_m : float
        Catchment radius in metres (default 3 km).
    decay : DistanceDecay, optional
        Defaults to :meth:`StepDecay.luo_qi` over ``catchment_m`` (1.0 / 0.68 / 0.22).
    use_representative_points : bool
        Accept polygons and use their representative points.
    workers : int
        Threads (``-1``: all cores); see :func:`e2sfca_scores`.

    Returns
    -------
    pandas.Series
        Named ``"accessibility"`` on ``demand``'s index: supply per unit of demand.

    Raises
    ------
    AnalyticsInputError
        Missing, geographic or differing CRSs, non-point geometries, missing or
        negative values; the message says how to fix each.

    See Also
    --------
    e2sfca_scores : the numeric core on coordinate arrays.

    Examples
    --------
    >>> from shapely import points
    >>> d = gpd.GeoDataFrame({"n": [10, 20]}, geometry=points([(0, 0), (1500, 0)]), crs=5179)
    >>> s = gpd.GeoDataFrame({"cap": [6]}, geometry=points([(0, 0)]), crs=5179)
    >>> e2sfca_accessibility(d, s, demand_col="n", supply_col="cap").round(4).tolist()
    [0.2542, 0.1729]
    """
    _check_inputs(
        demand,
        supply,
        demand_col=demand_col,
        supply_col=supply_col,
        catchment_m=catchment_m,
        use_representative_points=use_representative_points,
    )
    scores = e2sfca_scores(
        point_coordinates(demand),
        demand[demand_col].to_numpy(dtype=float),
        point_coordinates(supply),
        supply[supply_col].to_numpy(dtype=float),
        catchment_m=catchment_m,
        decay=decay if decay is not None else StepDecay.luo_qi(catchment_m),
        workers=workers,
    )
    return pd.Series(scores, index=demand.index, name="accessibility")


def _supply_in_reach_by_region(
    demand_xy: np.ndarray,
    regions: np.ndarray,
    n_regions: int,
    supply_xy: np.ndarray,
    supply: np.ndarray,
    catchment_m: float,
) -> np.ndarray:
    """Total supply of distinct facilities within the catchment of any demand point of a region."""
    i, j, _ = neighbour_pairs(demand_xy, supply_xy, radius_m=catchment_m)
    region_facility = np.unique(regions[i].astype(np.int64) * len(supply_xy) + j)
    return np.bincount(
        region_facility // max(len(supply_xy), 1),
        weights=supply[region_facility % max(len(supply_xy), 1)],
        minlength=n_regions,
    )


def supply_demand_table(
    demand: gpd.GeoDataFrame,
    supply: gpd.GeoDataFrame,
    *,
    region_col: str,
    demand_col: str,
    supply_col: str,
    catchment_m: float = 3000.0,
    decay: DistanceDecay | None = None,
    n_boot: int = 999,
    seed: int = 0,
) -> pd.DataFrame:
    """Supply/demand summary per region, with an over/under-supply class.

    Parameters
    ----------
    demand : GeoDataFrame
        Demand points with a region label column (e.g. 읍면동 code).
    supply : GeoDataFrame
        Facilities, same projected CRS.
    region_col, demand_col, supply_col : str
        Region label on ``demand``; demand and supply value columns.
    catchment_m : float
        Catchment radius in metres.
    decay : DistanceDecay, optional
        Defaults to :meth:`StepDecay.luo_qi`.
    n_boot, seed : int
        Bootstrap size and seed for :func:`classify_supply`.

    Returns
    -------
    pandas.DataFrame
        Indexed by region, columns ``n_points``, ``demand`` (sum), ``supply_in_reach``
        (total supply of distinct facilities within the catchment of at least one of the
        region's demand points), ``accessibility`` (demand-weighted mean of ``A_i``;
        unweighted if the region's demand is 0), ``demand_supply_ratio`` (``demand /
        supply_in_reach``, NaN when no supply is in reach) and ``supply_class``.
    """
    if region_col not in demand.columns:
        raise AnalyticsInputError(f"demand has no region column {region_col!r}")
    if demand[region_col].isna().any():
        raise AnalyticsInputError(f"demand[{region_col!r}] has missing region labels")
    access = e2sfca_accessibility(
        demand,
        supply,
        demand_col=demand_col,
        supply_col=supply_col,
        catchment_m=catchment_m,
        decay=decay,
    )
    codes, labels = pd.factorize(demand[region_col], sort=True)
    weights = demand[demand_col].to_numpy(dtype=float)
    n_regions = len(labels)
    total = np.bincount(codes, weights=weights, minlength=n_regions)
    in_reach = _supply_in_reach_by_region(
        point_coordinates(demand),
        codes,
        n_regions,
        point_coordinates(supply),
        supply[supply_col].to_numpy(dtype=float),
        catchment_m,
    )
    index = pd.Index(labels, name=region_col)
    table = pd.DataFrame(
        {
            "n_points": np.bincount(codes, minlength=n_regions),
            "demand": total,
            "supply_in_reach": in_reach,
            "accessibility": _weighted_means(access.to_numpy(), weights, codes, n_regions),
        },
        index=index,
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        table["demand_supply_ratio"] = np.where(in_reach > 0, total / in_reach, np.nan)
    table["supply_class"] = classify_supply(
        access, regions=demand[region_col], weights=demand[demand_col], n_boot=n_boot, seed=seed
    ).reindex(index)
    return table


def _weighted_means(
    values: np.ndarray, weights: np.ndarray, codes: np.ndarray, n_groups: int
) -> np.ndarray:
    """Weighted mean per group; plain mean where a group's weights sum to 0."""
    wsum = np.bincount(codes, weights=weights, minlength=n_groups)
    wmean = np.bincount(codes, weights=weights * values, minlength=n_groups)
    count = np.bincount(codes, minlength=n_groups)
    plain = np.bincount(codes, weights=values, minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(wsum > 0, wmean / wsum, plain / np.maximum(count, 1))


def _bootstrap_ci(
    values: np.ndarray,
    weights: np.ndarray,
    *,
    n_boot: int,
    alpha: float,
    rng: np.random.Generator,
    max_boot_points: int,
) -> tuple[float, float]:
    """Percentile bootstrap CI of a weighted mean (normal approximation for large n)."""
    n = len(values)
    if weights.sum() <= 0:
        weights = np.ones(n)
    if n > max_boot_points:
        mean = np.average(values, weights=weights)
        # linearised (ratio-estimator) standard error of a weighted mean
        resid = weights * (values - mean)
        se = np.sqrt(n / (n - 1) * np.sum(resid**2)) / weights.sum()
        z = _normal_quantile(1 - alpha / 2)
        return mean - z * se, mean + z * se
    draws = rng.integers(0, n, size=(n_boot, n))
    w = weights[draws]
    wsum = w.sum(axis=1)
    means = np.divide(
        (w * values[draws]).sum(axis=1), wsum, out=np.full(n_boot, np.nan), where=wsum > 0
    )
    means = means[np.isfinite(means)]
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(lo), float(hi)


def _normal_quantile(q: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(q))


def classify_supply(
    accessibility: pd.Series,
    *,
    regions: pd.Series | None = None,
    weights: pd.Series | None = None,
    reference: float | pd.Series | None = None,
    n_boot: int = 999,
    seed: int = 0,
    band: tuple[float, float] = (0.67, 1.5),
    alpha: float = 0.05,
    min_points: int = 5,
    max_boot_points: int = 5000,
) -> pd.Series:
    """Classify regions as under-, balanced or over-supplied against the national median.

    Rule (both conditions are needed to leave "balanced"):

    1. **Size**: the region's score ``m_r`` — the demand-weighted mean of its points'
       accessibility — is outside ``band`` times the reference median ``M``
       (default ``m_r / M < 0.67`` or ``> 1.5``, i.e. a third lower / half higher).
    2. **Significance**: the ``1 - alpha`` percentile bootstrap interval of ``m_r``
       (resampling the region's demand points with replacement, ``n_boot`` times)
       lies entirely below ``M`` (under) or above ``M`` (over).

    ``M`` is the median of the regional scores ``m_r`` (the "median region"),
    computed from this input unless ``reference`` gives it: a number, or a Series of
    regional scores (e.g. the national table) whose median is used. Regions with
    fewer than ``min_points`` demand points are never significant ("balanced").
    Above ``max_boot_points`` points a normal interval with the linearised standard
    error of a weighted mean replaces the bootstrap (they agree at that size).
    The bootstrap treats points as independent; spatial autocorrelation makes the
    interval optimistic, so the size rule guards against trivial differences.

    Parameters
    ----------
    accessibility : pandas.Series
        Point-level accessibility (e.g. from :func:`e2sfca_accessibility`). If
        ``regions`` is None, its index holds each point's region label.
    regions : pandas.Series, optional
        Region label of each point, aligned with ``accessibility``.
    weights : pandas.Series, optional
        Demand of each point (aligned); default 1.
    reference : float or pandas.Series, optional
        The reference median, or regional scores to take the median of.
    n_boot, seed : int
        Bootstrap replicates and random seed (results are reproducible).
    band : (float, float)
        Lower and upper ratio limits of "balanced".
    alpha : float
        Two-sided level of the bootstrap interval.
    min_points : int
        Minimum points for a region to be classified other than "balanced".
    max_boot_points : int
        Largest region bootstrapped; larger ones use the normal interval.

    Returns
    -------
    pandas.Series
        Categorical ``"under" / "balanced" / "over"`` per region, named ``"supply_class"``.
    """
    values = accessibility.to_numpy(dtype=float)
    labels = accessibility.index if regions is None else regions.reindex(accessibility.index)
    w = (
        np.ones(len(values))
        if weights is None
        else weights.reindex(accessibility.index).to_numpy(dtype=float)
    )
    if np.isnan(values).any() or np.isnan(w).any() or pd.isna(labels).any():
        raise AnalyticsInputError(
            "accessibility, weights and regions must be aligned and non-missing"
        )
    if n_boot < 10:
        raise AnalyticsInputError("n_boot must be at least 10 (999 is a good default)")
    codes, uniques = pd.factorize(np.asarray(labels), sort=True)
    scores = _weighted_means(values, w, codes, len(uniques))
    if reference is None:
        median = float(np.median(scores))
    elif isinstance(reference, pd.Series):
        median = float(reference.median())
    else:
        median = float(reference)
    rng = np.random.default_rng(seed)
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=len(uniques)))
    classes = []
    for r, idx in enumerate(np.split(order, bounds[:-1])):
        classes.append(
            _classify_region(
                scores[r],
                values[idx],
                w[idx],
                median,
                band=band,
                alpha=alpha,
                min_points=min_points,
                n_boot=n_boot,
                rng=rng,
                max_boot_points=max_boot_points,
            )
        )
    return pd.Series(
        pd.Categorical(classes, categories=list(SUPPLY_CLASSES)),
        index=pd.Index(uniques, name=getattr(labels, "name", None)),
        name="supply_class",
    )


def _classify_region(
    score: float,
    values: np.ndarray,
    weights: np.ndarray,
    median: float,
    *,
    band: tuple[float, float],
    alpha: float,
    min_points: int,
    n_boot: int,
    rng: np.random.Generator,
    max_boot_points: int,
) -> str:
    if len(values) < min_points:
        return "balanced"
    # with a zero median any positive score is "above" and zero is on par
    ratio = score / median if median > 0 else (np.inf if score > 0 else 1.0)
    if band[0] <= ratio <= band[1]:
        return "balanced"
    lo, hi = _bootstrap_ci(
        values, weights, n_boot=n_boot, alpha=alpha, rng=rng, max_boot_points=max_boot_points
    )
    if ratio < band[0] and hi < median:
        return "under"
    if ratio > band[1] and lo > median:
        return "over"
    return "balanced"


def unmatched_needs(
    need_points: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    radius_m: float,
    free_places_col: str = "free_places",
    use_representative_points: bool = False,
) -> pd.Series:
    """Flag needs with no facility with free places within ``radius_m``.

    Parameters
    ----------
    need_points : GeoDataFrame
        Points of need (households, cases) in a projected CRS in metres.
    facilities : GeoDataFrame
        Facilities in the same CRS with a free-places column (정원 − 현원).
    radius_m : float
        Search radius in metres (inclusive).
    free_places_col : str
        Column with the number of free places; a facility counts if it is > 0.
    use_representative_points : bool
        Accept polygons and use their representative points.

    Returns
    -------
    pandas.Series
        Boolean, named ``"unmatched"`` on ``need_points``' index.
    """
    if not (np.isfinite(radius_m) and radius_m > 0):
        raise AnalyticsInputError(f"radius_m must be a positive number of metres, got {radius_m}")
    check_layers(
        {"need_points": (need_points, []), "facilities": (facilities, [free_places_col])},
        allow_non_points=use_representative_points,
    )
    open_xy = point_coordinates(facilities)[facilities[free_places_col].to_numpy() > 0]
    if len(need_points) == 0 or len(open_xy) == 0:
        return pd.Series(True, index=need_points.index, name="unmatched", dtype=bool)
    counts = cKDTree(open_xy).query_ball_point(
        point_coordinates(need_points), radius_m, return_length=True
    )
    return pd.Series(np.asarray(counts) == 0, index=need_points.index, name="unmatched")
