"""Candidate sites over populated land (spatial.locate.candidates)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely import box, points

from spatial.checks import AnalyticsInputError
from spatial.locate.candidates import candidate_sites


def _regions() -> gpd.GeoDataFrame:
    # two land polygons with a 2 km strait between them
    return gpd.GeoDataFrame(
        {"emd": ["A", "B"]},
        geometry=[box(0, 0, 4000, 4000), box(6000, 0, 10_000, 4000)],
        crs=5179,
    ).set_index("emd")


def test_candidate_sites_grid_is_populated_land_only():
    rng = np.random.default_rng(0)
    xy = np.vstack([rng.uniform(0, 10_000, (3000, 2)) * [1, 0.4]])
    population = gpd.GeoDataFrame(
        {"pop": rng.integers(1, 5, len(xy))}, geometry=points(xy), crs=5179
    )
    cands = candidate_sites(
        _regions(), population, grid_m=1000, min_population=40, population_col="pop"
    )
    assert (cands["kind"] == "region").sum() == 2
    grid = cands[cands["kind"] == "grid"]
    assert len(grid) > 0
    assert (grid["population"] >= 40).all()
    x = grid.geometry.x
    assert not ((x > 4000) & (x < 6000)).any()  # the strait (water) has no candidates
    assert set(grid["region"]) == {"A", "B"}
    assert cands.crs == population.crs


def test_candidate_sites_requires_metres():
    regions = _regions().to_crs(4326)
    population = gpd.GeoDataFrame(geometry=points([[1, 1]]), crs=4326)
    with pytest.raises(AnalyticsInputError, match=r"to_crs\(5179\)"):
        candidate_sites(regions, population, grid_m=500, min_population=1)
