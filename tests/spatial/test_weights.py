"""Spatial weights for polygons, islands attached (spatial.weights) on a synthetic lattice."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely import Point, box

from spatial.weights import HotspotInputError, spatial_weights
from tests.spatial.layers import square_lattice


@pytest.fixture(scope="module")
def lattice() -> gpd.GeoDataFrame:
    return square_lattice()


@pytest.fixture(scope="module")
def weights(lattice: gpd.GeoDataFrame):
    return spatial_weights(lattice)


def test_queen_weights_on_lattice(weights, lattice):
    assert list(weights.id_order) == list(lattice.index)
    assert weights.cardinalities["E00"] == 3  # corner
    assert weights.cardinalities["E05"] == 5  # edge
    assert weights.cardinalities["E55"] == 8  # interior
    assert weights.islands == []


def test_islands_get_their_k_nearest_neighbours_both_ways(lattice):
    far = gpd.GeoDataFrame(
        geometry=[box(50_000, 0, 51_000, 1_000), box(60_000, 0, 61_000, 1_000)],
        index=pd.Index(["ISL1", "ISL2"], name="emd_code"),
        crs=5179,
    )
    regions = pd.concat([lattice, far])
    w = spatial_weights(regions, k=3)
    assert w.islands == []
    assert w.cardinalities["ISL2"] == 3
    assert "ISL1" in w.neighbors["ISL2"]
    for island in ("ISL1", "ISL2"):
        for other in w.neighbors[island]:
            assert island in w.neighbors[other]  # symmetric


def test_knn_weights(lattice):
    w = spatial_weights(lattice, kind="knn", k=4)
    assert set(w.cardinalities.values()) == {4}


def test_bad_crs_raises(lattice):
    with pytest.raises(HotspotInputError, match="projected CRS in metres"):
        spatial_weights(lattice.to_crs(4326))


def test_all_region_problems_reported_together():
    bad = gpd.GeoDataFrame(geometry=[Point(0, 0), Point(1, 1)], index=pd.Index(["a", "a"]))
    with pytest.raises(HotspotInputError) as err:
        spatial_weights(bad, k=0)
    message = str(err.value)
    for fragment in ("no CRS", "unique", "Polygon", "k must be"):
        assert fragment in message


def test_not_a_geodataframe_raises():
    with pytest.raises(HotspotInputError, match="GeoDataFrame"):
        spatial_weights(pd.DataFrame({"a": [1, 2]}))  # type: ignore[arg-type]
