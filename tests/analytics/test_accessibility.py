"""E2SFCA, supply/demand classes and unmatched needs (analytics.accessibility)."""

from __future__ import annotations

import doctest

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from access import Access, weights
from shapely import box, points

from analytics import accessibility
from analytics.accessibility import (
    AnalyticsInputError,
    GaussianDecay,
    StepDecay,
    classify_supply,
    e2sfca_accessibility,
    e2sfca_scores,
    neighbour_pairs,
    supply_demand_table,
    unmatched_needs,
)

CATCHMENT = 3000.0


def _points(xy: np.ndarray, crs: int | str | None = 5179, **cols: np.ndarray) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=points(np.asarray(xy, dtype=float)), crs=crs)


@pytest.fixture(scope="module")
def random_instance() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(42)
    demand_xy = rng.uniform(0, 15_000, (400, 2))
    supply_xy = rng.uniform(0, 15_000, (300, 2))
    demand = rng.integers(1, 200, 400).astype(float)
    supply = rng.integers(1, 60, 300).astype(float)
    return demand_xy, demand, supply_xy, supply


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


def test_pairs_are_inclusive_and_keep_zero_distances():
    i, j, d = neighbour_pairs(
        np.array([[0.0, 0.0]]), np.array([[0.0, 0.0], [3.0, 4.0], [3.0, 4.1]]), radius_m=5.0
    )
    order = np.argsort(j)
    assert i[order].tolist() == [0, 0] and j[order].tolist() == [0, 1]
    assert d[order].tolist() == [0.0, 5.0]


@pytest.mark.parametrize("workers", [2, -1])
def test_threaded_neighbour_search_finds_the_same_pairs(random_instance, workers):
    demand_xy, _, supply_xy, _ = random_instance
    many = np.vstack([demand_xy] * 6)  # 2,400 points: enough to split into chunks
    single = neighbour_pairs(many, supply_xy, radius_m=CATCHMENT)
    threaded = neighbour_pairs(many, supply_xy, radius_m=CATCHMENT, workers=workers)

    def key(pairs):
        i, j, d = pairs
        order = np.lexsort((j, i))
        return i[order], j[order], d[order]

    for a, b in zip(key(single), key(threaded), strict=True):
        np.testing.assert_array_equal(a, b)


def test_step_and_gaussian_decay_shapes():
    step = StepDecay.luo_qi(3000)
    assert step(np.array([0, 1000, 1000.001, 2000, 3000, 3000.001])).tolist() == [
        1.0,
        1.0,
        0.68,
        0.68,
        0.22,
        0.0,
    ]
    dai = GaussianDecay(3000)
    np.testing.assert_allclose(dai(np.array([0.0, 3000.0, 4000.0])), [1.0, 0.0, 0.0], atol=1e-15)
    plain = GaussianDecay(3000, form="access")
    assert plain(np.array([3000.0]))[0] == pytest.approx(np.exp(-0.5))
    assert np.all(np.diff(dai(np.linspace(0, 3000, 50))) < 0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"breaks_m": (2000, 1000), "weights": (1.0, 0.5)},
        {"breaks_m": (1000,), "weights": (1.0, 0.5)},
        {"breaks_m": (1000,), "weights": (-1.0,)},
    ],
)
def test_step_decay_rejects_bad_parameters(kwargs):
    with pytest.raises(AnalyticsInputError):
        StepDecay(**kwargs)


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


# ----------------------------------------------------------------------------- geo wrapper


def test_geo_wrapper_returns_named_series_on_demand_index(random_instance):
    demand_xy, demand, supply_xy, supply = random_instance
    dem = _points(demand_xy, households=demand).set_index(
        pd.Index([f"h{k}" for k in range(len(demand))])
    )
    sup = _points(supply_xy, capacity=supply)
    result = e2sfca_accessibility(dem, sup, demand_col="households", supply_col="capacity")
    assert result.name == "accessibility"
    assert result.index.equals(dem.index)
    expected = e2sfca_scores(
        demand_xy, demand, supply_xy, supply, catchment_m=3000, decay=StepDecay.luo_qi(3000)
    )
    np.testing.assert_array_equal(result.to_numpy(), expected)


def test_docstring_examples_run():
    failures, _ = doctest.testmod(accessibility, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert failures == 0


@pytest.mark.parametrize(
    ("demand_crs", "supply_crs", "fragment"),
    [
        (None, 5179, "no CRS"),
        (4326, 4326, "to_crs(5179)"),
        (5179, 5186, "CRSs differ"),
    ],
)
def test_bad_crs_is_rejected_with_a_fix(demand_crs, supply_crs, fragment):
    dem = _points([[0, 0]], crs=demand_crs, n=np.array([1.0]))
    sup = _points([[0, 0]], crs=supply_crs, cap=np.array([1.0]))
    with pytest.raises(AnalyticsInputError) as err:
        e2sfca_accessibility(dem, sup, demand_col="n", supply_col="cap")
    assert fragment in str(err.value)
    assert isinstance(err.value, ValueError)


def test_all_problems_are_reported_together():
    dem = _points([[0, 0], [1, 1]], n=np.array([1.0, np.nan]))
    sup = gpd.GeoDataFrame({"cap": [-2.0]}, geometry=[box(0, 0, 10, 10)], crs=4326)
    with pytest.raises(AnalyticsInputError) as err:
        e2sfca_accessibility(dem, sup, demand_col="n", supply_col="cap")
    message = str(err.value)
    for fragment in ("missing values", "negative", "non-point", "not projected"):
        assert fragment in message


def test_polygons_need_explicit_representative_points():
    dem = gpd.GeoDataFrame({"n": [10.0]}, geometry=[box(-50, -50, 50, 50)], crs=5179)
    sup = _points([[0, 0]], cap=np.array([5.0]))
    with pytest.raises(AnalyticsInputError, match="use_representative_points"):
        e2sfca_accessibility(dem, sup, demand_col="n", supply_col="cap")
    result = e2sfca_accessibility(
        dem, sup, demand_col="n", supply_col="cap", use_representative_points=True
    )
    assert result.iloc[0] == pytest.approx(0.5)


def test_missing_column_is_reported():
    dem = _points([[0, 0]], n=np.array([1.0]))
    sup = _points([[0, 0]], cap=np.array([1.0]))
    with pytest.raises(AnalyticsInputError, match="no column 'places'"):
        e2sfca_accessibility(dem, sup, demand_col="n", supply_col="places")


# ----------------------------------------------------------------------------- supply/demand


def test_supply_demand_table_aggregates_per_region():
    demand_xy = np.array([[0, 0], [500, 0], [10_000, 0], [10_500, 0], [30_000, 0]])
    dem = _points(
        demand_xy,
        n=np.array([10.0, 30.0, 20.0, 20.0, 5.0]),
        emd=np.array(["A", "A", "B", "B", "C"]),
    )
    sup = _points([[0, 0], [10_000, 0], [11_000, 0]], cap=np.array([8.0, 4.0, 2.0]))
    table = supply_demand_table(
        dem,
        sup,
        region_col="emd",
        demand_col="n",
        supply_col="cap",
        catchment_m=3000,
        decay=StepDecay.luo_qi(3000),
        n_boot=99,
    )
    assert table.index.tolist() == ["A", "B", "C"]
    assert table["demand"].tolist() == [40.0, 40.0, 5.0]
    assert table["supply_in_reach"].tolist() == [8.0, 6.0, 0.0]
    assert table["demand_supply_ratio"].iloc[:2].tolist() == [5.0, 40.0 / 6.0]
    assert np.isnan(table["demand_supply_ratio"].iloc[2])
    access = e2sfca_accessibility(dem, sup, demand_col="n", supply_col="cap", catchment_m=3000)
    expected_a = np.average(access.iloc[:2], weights=[10.0, 30.0])
    assert table.loc["A", "accessibility"] == pytest.approx(expected_a)
    assert table.loc["C", "accessibility"] == 0.0
    assert set(table["supply_class"]) <= {"under", "balanced", "over"}


def _regional_accessibility(seed: int = 0) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    levels = {"low": 0.3, "mid1": 1.0, "mid2": 1.1, "mid3": 0.9, "high": 2.5, "tiny": 0.05}
    values, labels = [], []
    for region, level in levels.items():
        n = 3 if region == "tiny" else 60
        values.append(rng.normal(level, 0.1 * level, n).clip(0))
        labels += [region] * n
    return pd.Series(np.concatenate(values)), pd.Series(labels)


def test_classify_supply_uses_size_and_significance():
    acc, regions = _regional_accessibility()
    classes = classify_supply(acc, regions=regions, n_boot=199, seed=1)
    assert classes["low"] == "under"
    assert classes["high"] == "over"
    assert classes[["mid1", "mid2", "mid3"]].tolist() == ["balanced"] * 3
    assert classes["tiny"] == "balanced"  # too few points to be significant
    assert classes.name == "supply_class"
    again = classify_supply(acc, regions=regions, n_boot=199, seed=1)
    pd.testing.assert_series_equal(classes, again)


def test_classify_supply_noisy_region_is_not_significant():
    rng = np.random.default_rng(5)
    acc = pd.Series(np.concatenate([rng.normal(1.0, 0.05, 200), [0.0, 0.0, 0.0, 0.0, 2.0]]))
    regions = pd.Series(["ref"] * 200 + ["noisy"] * 5)
    # noisy mean 0.4 (ratio 0.4) but its bootstrap interval reaches the median 1.0
    classes = classify_supply(acc, regions=regions, reference=1.0, n_boot=499, seed=0)
    assert classes["noisy"] == "balanced"


def test_classify_supply_with_reference_series_and_index_labels():
    acc = pd.Series([0.2] * 10 + [0.21] * 10, index=["X"] * 10 + ["Y"] * 10)
    national = pd.Series([1.0, 1.0, 1.0])
    classes = classify_supply(acc, reference=national, n_boot=50, seed=0)
    assert classes.tolist() == ["under", "under"]


def test_unmatched_needs_counts_only_facilities_with_free_places():
    needs = _points([[0, 0], [2000, 0], [9000, 0]])
    facilities = _points([[0, 1000], [2000, 500], [9000, 0]], free_places=np.array([2, 0, 0]))
    result = unmatched_needs(needs, facilities, radius_m=1000)
    assert result.name == "unmatched"
    assert result.tolist() == [False, True, True]  # 1000 m is within reach (inclusive)


def test_unmatched_needs_rejects_projected_mismatch():
    needs = _points([[0, 0]], crs=5179)
    facilities = _points([[0, 0]], crs=3857, free_places=np.array([1]))
    with pytest.raises(AnalyticsInputError, match="CRSs differ"):
        unmatched_needs(needs, facilities, radius_m=1000)
