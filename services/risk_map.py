"""Risk-map aggregates: high-tier share per 시군구/읍면동, hotspots and household points.

Aggregates are safe for every role once small cells are suppressed: a region with fewer than
``min_count`` households, or with 1 to ``min_count - 1`` high-tier households, shows no count
and no share (``suppressed=True``). Administrators, and outreach workers for their own 읍면동,
see unsuppressed cells. Household points are household-level data and need
:func:`domain.access.may_see_household` for the 읍면동 asked for.
"""

from __future__ import annotations

import logging
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from domain.access import Viewer, may_see_household, sees_unsuppressed
from domain.disclosure import suppress_small_cells
from domain.errors import AccessDenied, InputError
from domain.tiers import HIGH_TIERS
from geodata.schema import MEASURE_SRID
from geodata.store.base import Store
from services.audit import audit
from services.scores import current_scores, data_version, scored_households

log = logging.getLogger(__name__)

Level = Literal["sigungu", "emd"]


class RiskMapInputError(InputError):
    """A level or parent region that cannot be mapped."""


def _check_level(level: str, parent_code: str | None) -> None:
    if level not in ("sigungu", "emd"):
        raise RiskMapInputError(f"level must be 'sigungu' or 'emd', not {level!r}")
    if level == "emd" and not parent_code:
        raise RiskMapInputError("읍면동 maps need the parent 시군구 code (parent_code)")


def region_counts(store: Store, *, level: Level, parent_code: str | None = None) -> pd.DataFrame:
    """Households, scored households and high-tier (1-2) households per region (unsuppressed).

    For service use only: never hand this frame to a page without :func:`suppress`. Cached per
    store, level, parent and data version (scores, overrides, households).
    """
    _check_level(level, parent_code)
    cache = store.cache.region("risk_map.counts", maxsize=256)
    key = (level, parent_code, data_version(store))
    out = cache.get_or_compute(key, lambda: _region_counts(store, level=level,
                                                           parent_code=parent_code))
    return out.copy()


def _region_counts(store: Store, *, level: Level, parent_code: str | None) -> pd.DataFrame:
    key = "sigungu_code" if level == "sigungu" else "emd_code"
    where = {"sigungu_code": parent_code} if level == "emd" else None
    hh = store.read_frame("household", columns=["household_id", key], where=where)
    scores = current_scores(store, where={"household_id": hh["household_id"].tolist()}
                            if where else None, columns=["household_id", "tier"])
    frame = hh.merge(scores, on="household_id", how="left")
    frame["high"] = frame["tier"].isin(HIGH_TIERS)
    frame["scored"] = frame["tier"].notna()
    out = frame.groupby(key).agg(households=("household_id", "size"), scored=("scored", "sum"),
                                 high_tier=("high", "sum"))
    out.index.name = "code"
    return out.astype("int64")


def suppress(counts: pd.DataFrame, *, min_count: int | None = None,
             exempt: set[str] | None = None) -> pd.DataFrame:
    """Add ``share_high`` and blank small cells (fewer than ``min_count`` households, or 1 to
    ``min_count - 1`` high-tier households) except regions in ``exempt``.

    The rule is :func:`domain.disclosure.suppress_small_cells` with whole rows: a region
    shows all of its numbers or none; a region without households shows none either.

    Returns
    -------
    pandas.DataFrame
        ``households`` and ``high_tier`` (nullable Int64), ``share_high`` (float, NaN when
        suppressed) and ``suppressed`` (bool), on the input index.
    """
    out = counts.copy()
    out["share_high"] = np.where(out["scored"] > 0, out["high_tier"] / out["scored"].clip(lower=1),
                                 np.nan)
    out = suppress_small_cells(out, count_cols=["households", "high_tier"],
                               derived_cols=["scored", "share_high"], min_count=min_count,
                               suppress_zero=["households"], whole_row=True,
                               exempt=exempt or ())
    for col in ("households", "scored", "high_tier"):
        out[col] = out[col].astype("Int64")
    return out


def _exempt(viewer: Viewer, codes: pd.Index) -> set[str]:
    return {c for c in codes if sees_unsuppressed(viewer, c)}


def region_risk(
    store: Store,
    viewer: Viewer,
    *,
    level: Level = "sigungu",
    parent_code: str | None = None,
    min_count: int | None = None,
) -> gpd.GeoDataFrame:
    """Display polygons of a level with suppressed high-tier counts and shares.

    Parameters
    ----------
    store, viewer
        The store and the acting user (decides which cells are exempt from suppression).
    level
        ``'sigungu'`` (national) or ``'emd'`` (the 읍면동 of ``parent_code``).
    parent_code
        The 시군구 to drill into (required for ``'emd'``).
    min_count
        Small-cell threshold (default ``Settings.min_cell_count``).

    Returns
    -------
    pandas.DataFrame
        ``code, name, full_name, households, scored, high_tier, share_high, suppressed``, one
        row per region, regions without households included with zero counts. Polygons come
        from :func:`region_shapes` (cached), so they are not read again for every view.
    """
    _check_level(level, parent_code)
    where: dict[str, object] = {"level": level}
    if level == "emd":
        where["parent_code"] = parent_code
    regions = store.read_frame("region", columns=["code", "name", "full_name"], where=where)
    counts = region_counts(store, level=level, parent_code=parent_code)
    counts = counts.reindex(regions["code"], fill_value=0)
    safe = suppress(counts, min_count=min_count, exempt=_exempt(viewer, counts.index))
    return regions.merge(safe, left_on="code", right_index=True, how="left").reset_index(drop=True)


def region_shapes(store: Store, *, level: Level, parent_code: str | None = None,
                  grid: float = 1e-4, simplify_deg: float = 0.0) -> tuple[dict, pd.DataFrame]:
    """Display polygons of a level as GeoJSON, and label points.

    Returns
    -------
    tuple of (dict, pandas.DataFrame)
        A FeatureCollection (``id`` = region code; coordinates snapped to ``grid`` degrees,
        1e-4 ≈ 10 m, to keep responses small) and ``code, name, lon, lat`` label points.
        Cached per store, level, parent and version of ``region`` (boundaries change only on
        reload). ``simplify_deg`` > 0 further simplifies the coverage (shared edges stay
        shared) for small-scale views such as the national 시군구 map.
    """
    import json

    import shapely

    _check_level(level, parent_code)
    cache = store.cache.region("risk_map.shapes", maxsize=320)  # every 시군구 and the nation
    key = (level, parent_code, grid, simplify_deg, store.data_version("region"))
    hit = cache.get(key)
    if hit is not None:
        return hit
    regions = store.regions(level, parent_code=parent_code if level == "emd" else None,
                            display=True)
    geoms = np.asarray(regions.geometry.values, dtype=object)
    if simplify_deg > 0 and len(geoms):
        simpler = shapely.coverage_simplify(geoms, simplify_deg)
        ok = shapely.is_valid(simpler) & ~shapely.is_empty(simpler)
        geoms = np.where(ok, simpler, geoms)
    geoms = shapely.set_precision(geoms, grid)
    series = gpd.GeoSeries(geoms, index=regions["code"].to_numpy(), crs=regions.crs)
    collection = json.loads(series.to_json(drop_id=False))
    for feature in collection["features"]:
        feature.pop("properties", None)
        feature.pop("bbox", None)
    rep = regions.geometry.representative_point()
    labels = pd.DataFrame({"code": regions["code"].to_numpy(), "name": regions["name"].to_numpy(),
                           "lon": rep.x.round(5).to_numpy(), "lat": rep.y.round(5).to_numpy()})
    shapes = (collection, labels)
    cache.put(key, shapes)
    return shapes


#: The map's display detail per level: coordinate grid and coverage simplification (degrees).
MAP_DETAIL: dict[str, tuple[float, float]] = {"sigungu": (1e-4, 0.002), "emd": (2e-5, 0.0)}


def map_shapes(store: Store, *, level: Level, parent_code: str | None = None
               ) -> tuple[dict, pd.DataFrame]:
    """:func:`region_shapes` at the risk map's detail for ``level`` (:data:`MAP_DETAIL`): the
    national 시군구 simplified on a 1e-4° grid, a 시군구's 읍면동 unsimplified on a 2e-5° grid."""
    grid, simplify = MAP_DETAIL[level]
    return region_shapes(store, level=level, parent_code=parent_code, grid=grid,
                         simplify_deg=simplify)


def household_points(store: Store, viewer: Viewer, emd_code: str) -> gpd.GeoDataFrame:
    """Household points of one 읍면동 with their effective tier (no names).

    Every call checks the viewer and writes its audit row; the points are read once per 읍면동
    and :func:`~services.scores.data_version` (households, scores, overrides).

    Raises
    ------
    AccessDenied
        Unless the viewer may see households of ``emd_code`` (refusal audited).
    """
    if not may_see_household(viewer, emd_code):
        audit(store, viewer, action="view_points", object_type="emd", object_id=emd_code,
              allowed=False, detail="outside role or jurisdiction")
        raise AccessDenied(f"household points of {emd_code} are not in your jurisdiction")
    cache = store.cache.region("risk_map.points", maxsize=64)
    points = cache.get_or_compute((emd_code, data_version(store)),
                                  lambda: _household_points(store, emd_code))
    audit(store, viewer, action="view_points", object_type="emd", object_id=emd_code,
          purpose="risk map", detail=f"{len(points)} households")
    return points.copy()


def _household_points(store: Store, emd_code: str) -> gpd.GeoDataFrame:
    hh = store.read_frame("household", columns=["household_id", "emd_code", "geometry"],
                          where={"emd_code": emd_code})
    scores = scored_households(store, emd_code)  # cached per 읍면동 and data version
    out = hh.merge(scores[["household_id", "tier", "probability"]], on="household_id", how="left")
    return gpd.GeoDataFrame(out, geometry="geometry", crs=hh.crs)


def hotspots(
    store: Store,
    *,
    level: Level = "sigungu",
    parent_code: str | None = None,
    permutations: int = 999,
    seed: int = 0,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Getis-Ord Gi* classes and local Moran quadrants of the high-tier share per region.

    Computed on all regions of the level (or the 읍면동 of ``parent_code``) that have scored
    households; cached per store, level and data version so that a repeated view is instant.

    Returns
    -------
    pandas.DataFrame
        Indexed by region code: ``rate, gi_z, p_sim, hotspot_class, moran_p, quadrant``. Empty
        when fewer than 5 regions have data (too few for local statistics).
    """
    _check_level(level, parent_code)
    cache = store.cache.region("risk_map.hotspots", maxsize=64)
    key = (level, parent_code, permutations, seed, alpha, data_version(store))
    return cache.get_or_compute(key, lambda: _compute_hotspots(
        store, level=level, parent_code=parent_code, permutations=permutations, seed=seed,
        alpha=alpha))


def _compute_hotspots(store: Store, *, level: Level, parent_code: str | None, permutations: int,
                      seed: int, alpha: float) -> pd.DataFrame:
    from spatial import hotspots as hs

    columns = ["rate", "gi_z", "p_sim", "hotspot_class", "moran_p", "quadrant"]
    counts = region_counts(store, level=level, parent_code=parent_code)
    counts = counts[counts["scored"] > 0]
    regions = store.regions(level, parent_code=parent_code if level == "emd" else None)
    regions = regions[regions["code"].isin(counts.index)].set_index("code").to_crs(MEASURE_SRID)
    if len(regions) < 5:
        return pd.DataFrame(columns=columns)
    rates = (counts["high_tier"] / counts["scored"]).reindex(regions.index).astype(float)
    weights = hs.spatial_weights(regions[["geometry"]], kind="queen", k=4)
    gi = hs.getis_ord_hotspots(rates, weights, permutations=permutations, seed=seed, alpha=alpha)
    if rates.nunique() > 1:
        lisa = hs.local_moran_clusters(rates, weights, permutations=permutations, seed=seed,
                                       alpha=alpha)
    else:
        lisa = pd.DataFrame({"p_sim": 1.0, "quadrant": "not_significant"}, index=rates.index)
    out = pd.DataFrame({"rate": rates, "gi_z": gi["gi_z"], "p_sim": gi["p_sim"],
                        "hotspot_class": gi["hotspot_class"].astype(str),
                        "moran_p": lisa["p_sim"], "quadrant": lisa["quadrant"].astype(str)})
    out.index.name = "code"
    return out


def warm_up() -> float:
    """Compile the hotspot kernels (numba) once at start-up; seconds taken."""
    from spatial import hotspots as hs

    return hs.warm_up()
