"""Per-region supply/demand table and the under/balanced/over-supply classification."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from spatial.accessibility.decay import DistanceDecay
from spatial.accessibility.e2sfca import e2sfca_accessibility
from spatial.accessibility.kernels import neighbour_pairs
from spatial.checks import AnalyticsInputError, point_coordinates

__all__ = ["SUPPLY_CLASSES", "classify_supply", "supply_demand_table"]

SUPPLY_CLASSES: tuple[str, str, str] = ("under", "balanced", "over")


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
