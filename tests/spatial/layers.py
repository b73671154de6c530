"""Small deterministic point layers and random location instances for the spatial tests."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import box, points


def points_layer(
    xy: np.ndarray, crs: int | str | None = 5179, **cols: np.ndarray
) -> gpd.GeoDataFrame:
    """Points at ``xy`` (metres) with value columns ``cols``."""
    return gpd.GeoDataFrame(cols, geometry=points(np.asarray(xy, dtype=float)), crs=crs)


def random_locations(
    seed: int, n_demand: int, n_cand: int, size: float = 10_000.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Uniform demand and candidate coordinates in a ``size`` square, integer weights 1-49."""
    rng = np.random.default_rng(seed)
    demand_xy = rng.uniform(0, size, (n_demand, 2))
    cand_xy = rng.uniform(0, size, (n_cand, 2))
    weights = rng.integers(1, 50, n_demand).astype(float)
    return demand_xy, cand_xy, weights


def square_lattice(
    side: int = 10, crs: int | str | None = 5179, cell_m: float = 1000.0
) -> gpd.GeoDataFrame:
    """``side`` × ``side`` square polygons ``cell_m`` wide, indexed ``E{row}{col}`` (emd_code)."""
    geoms = [
        box(c * cell_m, r * cell_m, (c + 1) * cell_m, (r + 1) * cell_m)
        for r in range(side)
        for c in range(side)
    ]
    index = pd.Index([f"E{r}{c}" for r in range(side) for c in range(side)], name="emd_code")
    return gpd.GeoDataFrame(geometry=geoms, index=index, crs=crs)
