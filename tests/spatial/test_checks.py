"""Input checks shared by the kernels (spatial.checks), seen through e2sfca_accessibility."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely import box

from spatial.accessibility.e2sfca import e2sfca_accessibility
from spatial.checks import AnalyticsInputError
from tests.spatial.layers import points_layer


@pytest.mark.parametrize(
    ("demand_crs", "supply_crs", "fragment"),
    [
        (None, 5179, "no CRS"),
        (4326, 4326, "to_crs(5179)"),
        (5179, 5186, "CRSs differ"),
    ],
)
def test_bad_crs_is_rejected_with_a_fix(demand_crs, supply_crs, fragment):
    dem = points_layer([[0, 0]], crs=demand_crs, n=np.array([1.0]))
    sup = points_layer([[0, 0]], crs=supply_crs, cap=np.array([1.0]))
    with pytest.raises(AnalyticsInputError) as err:
        e2sfca_accessibility(dem, sup, demand_col="n", supply_col="cap")
    assert fragment in str(err.value)
    assert isinstance(err.value, ValueError)


def test_all_problems_are_reported_together():
    dem = points_layer([[0, 0], [1, 1]], n=np.array([1.0, np.nan]))
    sup = gpd.GeoDataFrame({"cap": [-2.0]}, geometry=[box(0, 0, 10, 10)], crs=4326)
    with pytest.raises(AnalyticsInputError) as err:
        e2sfca_accessibility(dem, sup, demand_col="n", supply_col="cap")
    message = str(err.value)
    for fragment in ("missing values", "negative", "non-point", "not projected"):
        assert fragment in message


def test_missing_column_is_reported():
    dem = points_layer([[0, 0]], n=np.array([1.0]))
    sup = points_layer([[0, 0]], cap=np.array([1.0]))
    with pytest.raises(AnalyticsInputError, match="no column 'places'"):
        e2sfca_accessibility(dem, sup, demand_col="n", supply_col="places")
