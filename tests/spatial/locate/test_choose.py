"""choose_sites end to end, MCLP and p-median (spatial.locate.choose)."""

from __future__ import annotations

import geopandas as gpd
import pytest
from scipy.spatial.distance import cdist
from shapely import points

from spatial.checks import AnalyticsInputError
from spatial.locate.candidates import coverage_matrix
from spatial.locate.choose import choose_sites
from spatial.locate.mclp import solve_mclp
from tests.spatial.layers import random_locations


def _geo_instance():
    demand_xy, cand_xy, weights = random_locations(9, 250, 30)
    demand = gpd.GeoDataFrame({"households": weights}, geometry=points(demand_xy), crs=5179)
    demand.index = [f"d{k}" for k in range(len(demand))]
    candidates = gpd.GeoDataFrame(
        {"name": [f"c{k}" for k in range(30)]}, geometry=points(cand_xy), crs=5179
    )
    existing = gpd.GeoDataFrame(geometry=points([[5000, 5000]]), crs=5179)
    return demand, candidates, existing, demand_xy, cand_xy, weights


@pytest.mark.parametrize("method", ["mclp", "p_median"])
def test_choose_sites_end_to_end(method):
    demand, candidates, existing, demand_xy, cand_xy, weights = _geo_instance()
    calls: list[tuple[float, str]] = []
    result = choose_sites(
        demand,
        candidates,
        p=4,
        radius_m=2000,
        weight_col="households",
        method=method,
        existing=existing,
        progress=lambda f, m: calls.append((f, m)),
    )
    assert len(result.sites) == 4
    assert result.sites["name"].tolist() == [f"c{k}" for k in result.solution.selected]
    assert result.newly_covered.index.equals(demand.index)
    already = cdist(demand_xy, [[5000, 5000]])[:, 0] <= 2000
    assert result.coverage_before == pytest.approx(weights[already].sum())
    newly = weights[result.newly_covered.to_numpy()].sum()
    assert result.coverage_gained == pytest.approx(newly)
    assert not (result.newly_covered.to_numpy() & already).any()
    if method == "mclp":
        cov = coverage_matrix(demand_xy, cand_xy, radius_m=2000)
        assert result.coverage_gained == pytest.approx(
            solve_mclp(cov, weights, 4, existing_covered=already).objective
        )
    fractions = [f for f, _ in calls]
    assert fractions[0] < fractions[-1] == 1.0
    assert all(isinstance(m, str) and m for _, m in calls)


def test_choose_sites_rejects_crs_mismatch_and_bad_method():
    demand, candidates, *_ = _geo_instance()
    with pytest.raises(AnalyticsInputError, match="CRSs differ"):
        choose_sites(demand, candidates.to_crs(5186), p=2, radius_m=2000, weight_col="households")
    with pytest.raises(AnalyticsInputError, match="method"):
        choose_sites(
            demand, candidates, p=2, radius_m=2000, weight_col="households", method="p_center"
        )  # type: ignore[arg-type]
