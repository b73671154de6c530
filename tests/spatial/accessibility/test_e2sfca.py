"""E2SFCA accessibility against access.Access and by hand (spatial.accessibility.e2sfca)."""

from __future__ import annotations

import doctest

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from access import Access, weights
from shapely import box

from spatial.accessibility import e2sfca
from spatial.accessibility.decay import GaussianDecay, StepDecay
from spatial.accessibility.e2sfca import e2sfca_accessibility, e2sfca_scores
from spatial.accessibility.kernels import neighbour_pairs
from spatial.checks import AnalyticsInputError
from tests.spatial.layers import points_layer

CATCHMENT = 3000.0


def _access_e2sfca(demand_xy, demand, supply_xy, supply, weight_fn) -> np.ndarray:
    """Reference: access.Access.enhanced_two_stage_fca on the same Euclidean metres."""
    i, j, d = neighbour_pairs(demand_xy, supply_xy, radius_m=CATCHMENT)
    cost = pd.DataFrame({"origin": i, "dest": j, "cost": d})
    acc = Access(
        demand_df=pd.DataFrame({"demand": demand}, index=pd.RangeIndex(len(demand), name="geoid")),
        demand_value="demand",
        supply_df=pd.DataFrame({"supply": supply}, index=pd.RangeIndex(len(supply), name="geoid")),
        supply_value="supply",
        cost_df=cost,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    result = acc.enhanced_two_stage_fca(max_cost=CATCHMENT, weight_fn=weight_fn)
    # access leaves demand with no supply in reach as NaN; ours is 0
    return result.iloc[:, 0].reindex(range(len(demand))).fillna(0.0).to_numpy()


_dai = GaussianDecay(CATCHMENT)


@pytest.mark.parametrize(
    ("decay", "weight_fn"),
    [
        (StepDecay.luo_qi(CATCHMENT), weights.step_fn({1000: 1.0, 2000: 0.68, 3000: 0.22})),
        (GaussianDecay(CATCHMENT, form="access"), weights.gaussian(CATCHMENT)),
        (GaussianDecay(CATCHMENT, sigma_m=1200, form="access"), weights.gaussian(1200)),
        (_dai, lambda x: float(_dai(np.array(x)))),
    ],
    ids=["luo-qi-step", "gaussian-access", "gaussian-sigma1200", "gaussian-dai"],
)
def test_matches_access_enhanced_two_stage_fca(random_instance, decay, weight_fn):
    demand_xy, demand, supply_xy, supply = random_instance
    # precondition: every facility has demand in reach (access divides by zero otherwise)
    assert np.all(
        np.bincount(
            neighbour_pairs(demand_xy, supply_xy, radius_m=CATCHMENT)[1], minlength=len(supply)
        )
        > 0
    )
    ours = e2sfca_scores(demand_xy, demand, supply_xy, supply, catchment_m=CATCHMENT, decay=decay)
    reference = _access_e2sfca(demand_xy, demand, supply_xy, supply, weight_fn)
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-9)
    assert ours.mean() > 0


def test_hand_computed_tiny_case():
    # zones: d <= 1000 -> 1.0, 1000 < d <= 2000 -> 0.5, catchment 2000 m
    decay = StepDecay((1000, 2000), (1.0, 0.5))
    demand_xy = np.array([[0, 0], [1500, 0], [5000, 0]])
    demand = np.array([10.0, 20.0, 30.0])
    supply_xy = np.array([[0, 0], [4000, 0]])
    supply = np.array([6.0, 3.0])
    # R0 = 6 / (10*1 + 20*0.5) = 0.3 ; R1 = 3 / (30*1) = 0.1 (d1 is 2500 m away: out)
    # A = [0.3, 0.3*0.5, 0.1]
    scores = e2sfca_scores(demand_xy, demand, supply_xy, supply, catchment_m=2000, decay=decay)
    np.testing.assert_allclose(scores, [0.3, 0.15, 0.1], rtol=0, atol=1e-15)


def test_supply_without_demand_in_reach_gets_zero_ratio():
    decay = StepDecay((1000,), (1.0,))
    demand_xy = np.array([[0, 0], [9000, 0]])
    demand = np.array([10.0, 0.0])  # second demand point has zero demand
    supply_xy = np.array([[0, 0], [50_000, 0], [9000, 0]])  # far away; co-located with zero demand
    supply = np.array([5.0, 7.0, 4.0])
    with np.errstate(all="raise"):
        scores = e2sfca_scores(demand_xy, demand, supply_xy, supply, catchment_m=1000, decay=decay)
    np.testing.assert_array_equal(scores, [0.5, 0.0])


def test_core_rejects_negative_and_misshaped_inputs():
    decay = StepDecay.luo_qi()
    with pytest.raises(AnalyticsInputError, match="non-negative"):
        e2sfca_scores(
            np.zeros((2, 2)),
            np.array([1.0, -1.0]),
            np.zeros((1, 2)),
            np.ones(1),
            catchment_m=3000,
            decay=decay,
        )
    with pytest.raises(AnalyticsInputError, match="shape"):
        e2sfca_scores(
            np.zeros((2, 3)),
            np.ones(2),
            np.zeros((1, 2)),
            np.ones(1),
            catchment_m=3000,
            decay=decay,
        )
    with pytest.raises(AnalyticsInputError, match="catchment"):
        e2sfca_scores(
            np.zeros((2, 2)), np.ones(2), np.zeros((1, 2)), np.ones(1), catchment_m=0, decay=decay
        )


def test_geo_wrapper_returns_named_series_on_demand_index(random_instance):
    demand_xy, demand, supply_xy, supply = random_instance
    dem = points_layer(demand_xy, households=demand).set_index(
        pd.Index([f"h{k}" for k in range(len(demand))])
    )
    sup = points_layer(supply_xy, capacity=supply)
    result = e2sfca_accessibility(dem, sup, demand_col="households", supply_col="capacity")
    assert result.name == "accessibility"
    assert result.index.equals(dem.index)
    expected = e2sfca_scores(
        demand_xy, demand, supply_xy, supply, catchment_m=3000, decay=StepDecay.luo_qi(3000)
    )
    np.testing.assert_array_equal(result.to_numpy(), expected)


def test_docstring_examples_run():
    failures, _ = doctest.testmod(e2sfca, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert failures == 0


def test_polygons_need_explicit_representative_points():
    dem = gpd.GeoDataFrame({"n": [10.0]}, geometry=[box(-50, -50, 50, 50)], crs=5179)
    sup = points_layer([[0, 0]], cap=np.array([5.0]))
    with pytest.raises(AnalyticsInputError, match="use_representative_points"):
        e2sfca_accessibility(dem, sup, demand_col="n", supply_col="cap")
    result = e2sfca_accessibility(
        dem, sup, demand_col="n", supply_col="cap", use_representative_points=True
    )
    assert result.iloc[0] == pytest.approx(0.5)
