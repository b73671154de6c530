"""Candidate sites and demand × candidate coverage matrices from GeoDataFrames."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from spatial.accessibility.kernels import neighbour_pairs
from spatial.checks import AnalyticsInputError, check_layers, point_coordinates

__all__ = ["candidate_sites", "coverage_matrix"]


def coverage_matrix(
    demand_xy: np.ndarray, candidate_xy: np.ndarray, *, radius_m: float
) -> sp.csr_matrix:
    """Boolean demand × candidate coverage (distance ≤ ``radius_m``), sparse."""
    i, j, _ = neighbour_pairs(demand_xy, candidate_xy, radius_m=radius_m)
    return sp.csr_matrix(
        (np.ones(len(i), dtype=bool), (i, j)), shape=(len(demand_xy), len(candidate_xy))
    )


def _grid_points(
    xy: np.ndarray, population: np.ndarray, *, grid_m: float, min_population: float
) -> tuple[np.ndarray, np.ndarray]:
    """Centres and populations of grid cells holding at least ``min_population``."""
    if len(xy) == 0:
        return np.empty((0, 2)), np.empty(0)
    cells = np.floor(xy / grid_m).astype(np.int64)
    uniq, inverse = np.unique(cells, axis=0, return_inverse=True)
    pop = np.bincount(inverse.ravel(), weights=population, minlength=len(uniq))
    keep = pop >= min_population
    return (uniq[keep] + 0.5) * grid_m, pop[keep]


def candidate_sites(
    regions: gpd.GeoDataFrame,
    population_points: gpd.GeoDataFrame,
    *,
    grid_m: float,
    min_population: float,
    population_col: str | None = None,
) -> gpd.GeoDataFrame:
    """Candidate sites: region representative points plus a grid over populated land.

    Parameters
    ----------
    regions : GeoDataFrame
        읍면동 polygons in a projected CRS in metres (EPSG:5179). They are land, so
        grid cells whose centre lies outside every polygon (sea, lakes) are dropped.
    population_points : GeoDataFrame
        Points carrying population (households, census grid centroids), same CRS.
    grid_m : float
        Grid cell size in metres.
    min_population : float
        Keep cells with at least this population.
    population_col : str, optional
        Population column; default: each point counts 1.

    Returns
    -------
    GeoDataFrame
        Point candidates with ``kind`` (``"region"`` or ``"grid"``), ``region`` (the
        index label of the containing region) and ``population`` (cell population;
        NaN for region points), on a fresh RangeIndex.
    """
    if not (np.isfinite(grid_m) and grid_m > 0):
        raise AnalyticsInputError(f"grid_m must be a positive number of metres, got {grid_m}")
    check_layers(
        {
            "regions": (regions, []),
            "population_points": (population_points, [population_col] if population_col else []),
        },
        point_layers=["population_points"],
    )
    pop = (
        np.ones(len(population_points))
        if population_col is None
        else population_points[population_col].to_numpy(dtype=float)
    )
    centres, cell_pop = _grid_points(
        point_coordinates(population_points), pop, grid_m=grid_m, min_population=min_population
    )
    grid = gpd.GeoDataFrame(
        {"kind": "grid", "population": cell_pop},
        geometry=gpd.points_from_xy(centres[:, 0], centres[:, 1]),
        crs=regions.crs,
    )
    polygons = gpd.GeoDataFrame(
        geometry=regions.geometry.values, index=regions.index, crs=regions.crs
    )
    tree_idx, region_pos = polygons.sindex.query(grid.geometry, predicate="within")
    first = np.unique(tree_idx, return_index=True)[1]
    grid = grid.iloc[tree_idx[first]].assign(region=regions.index[region_pos[first]])
    reps = gpd.GeoDataFrame(
        {"kind": "region", "population": np.nan, "region": regions.index},
        geometry=regions.geometry.representative_point().values,
        crs=regions.crs,
    )
    out = pd.concat([reps, grid], ignore_index=True)
    return gpd.GeoDataFrame(out[["kind", "region", "population", "geometry"]], crs=regions.crs)
