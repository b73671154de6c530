"""E2SFCA accessibility: the numeric core on arrays and the GeoDataFrame wrapper."""

from __future__ import annotations

import logging
import time

import geopandas as gpd
import numpy as np
import pandas as pd

from spatial.accessibility.decay import DistanceDecay, GaussianDecay, StepDecay
from spatial.accessibility.kernels import (
    _DECAY_GAUSSIAN,
    _DECAY_STEP,
    _MAX_STEP_ZONES,
    _as_xy,
    _e2sfca_step1,
    _e2sfca_step2,
    _grid_build,
    _map_chunks,
    _n_threads,
    neighbour_pairs,
)
from spatial.checks import AnalyticsInputError, check_layers, point_coordinates

__all__ = ["e2sfca_accessibility", "e2sfca_scores", "warm_up"]

logger = logging.getLogger(__name__)


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
