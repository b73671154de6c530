"""Visit ordering (spatial.routing): nearest neighbour + 2-opt/Or-opt."""

from __future__ import annotations

import dataclasses
import doctest
import functools
import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import Point, box

from spatial import routing
from spatial.routing import RouteResult, RoutingInputError, order_visits, route_for_visits


def _length(office: np.ndarray, stops: np.ndarray, order, *, closed: bool) -> float:
    pts = [office, *stops[list(order)]] + ([office] if closed else [])
    return float(np.linalg.norm(np.diff(np.asarray(pts), axis=0), axis=1).sum())


@functools.cache
def _permutations(n: int) -> np.ndarray:
    return np.array(list(itertools.permutations(range(1, n + 1))))


def _brute_force(office: np.ndarray, stops: np.ndarray, *, closed: bool) -> float:
    """Shortest route over all orders, evaluated with numpy."""
    n = len(stops)
    pts = np.vstack([office, stops])
    dist = np.linalg.norm(pts[:, None, :] - pts[None, :, :], axis=2)
    perms = _permutations(n)
    total = dist[0, perms[:, 0]] + dist[perms[:, :-1], perms[:, 1:]].sum(axis=1)
    if closed:
        total = total + dist[perms[:, -1], 0]
    return float(total.min())


def _segments_cross(p1, p2, p3, p4) -> bool:
    def orient(a, b, c):
        return np.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))

    return (
        orient(p1, p2, p3) * orient(p1, p2, p4) < 0 and orient(p3, p4, p1) * orient(p3, p4, p2) < 0
    )


# ---------------------------------------------------------------- core
@pytest.mark.parametrize("closed", [True, False])
def test_close_to_brute_force_optimum_and_never_worse_than_nn(closed):
    """Stated tolerance on 40 random 8-stop instances: optimum in >= 75 %, each <= 15 % over."""
    rng = np.random.default_rng(42)
    gaps = []
    for _ in range(40):
        office = rng.uniform(0, 10_000, 2)
        stops = rng.uniform(0, 10_000, (8, 2))
        result = order_visits(tuple(office), stops, return_to_office=closed)
        assert sorted(result.order.tolist()) == list(range(8))
        assert result.total_m == pytest.approx(
            _length(office, stops, result.order, closed=closed)
        )
        assert result.total_m <= result.nn_total_m + 1e-9
        best = _brute_force(office, stops, closed=closed)
        assert result.total_m >= best - 1e-6
        gaps.append(result.total_m / best - 1.0)
    gaps_arr = np.array(gaps)
    assert gaps_arr.max() <= 0.15
    assert (gaps_arr <= 1e-9).mean() >= 0.75
    assert gaps_arr.mean() <= 0.02


def test_two_opt_alone_is_never_worse_than_nn():
    rng = np.random.default_rng(5)
    for _ in range(20):
        stops = rng.uniform(0, 5_000, (12, 2))
        result = order_visits((0.0, 0.0), stops, or_opt=False)
        assert result.total_m <= result.nn_total_m + 1e-9
        assert 0.0 <= result.improvement_share < 1.0


def test_points_on_a_circle_are_visited_around_the_circle():
    n = 12
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    rng = np.random.default_rng(0)
    perm = rng.permutation(n)
    stops = np.column_stack([np.cos(angles), np.sin(angles)])[perm] * 1_000.0
    office = (1_050.0, 0.0)  # just outside the circle, next to angle 0
    result = order_visits(office, stops)
    visited_angles = perm[result.order]  # stop k lies at angle index perm[k]
    steps = np.diff(visited_angles) % n
    assert set(steps.tolist()) in ({1}, {n - 1})  # one way round, no skipping
    # no two legs cross
    pts = np.vstack([office, stops[result.order], office])
    legs = list(itertools.pairwise(pts))
    for (a, b), (c, d) in itertools.combinations(legs, 2):
        assert not _segments_cross(a, b, c, d)


def test_crossing_nn_route_is_uncrossed():
    # NN from the office goes 0 -> 1 -> 2 -> 3 and back, which crosses; 2-opt fixes it.
    stops = np.array([[1.0, 0.0], [2.0, 1.0], [2.0, 0.0], [1.0, 1.0]]) * 1_000
    result = order_visits((0.0, 0.0), stops)
    assert result.total_m <= result.nn_total_m
    assert result.total_m == pytest.approx(_brute_force(np.zeros(2), stops, closed=True))


def test_empty_and_single_stop():
    empty = order_visits((0.0, 0.0), np.empty((0, 2)))
    assert empty.order.shape == (0,) and empty.total_m == 0.0 and empty.improvement_share == 0.0
    assert order_visits((0.0, 0.0), []).order.size == 0  # type: ignore[arg-type]

    one = order_visits((0.0, 0.0), np.array([[300.0, 400.0]]))
    assert one.order.tolist() == [0]
    assert one.total_m == pytest.approx(1_000.0)
    assert one.legs_m.tolist() == [pytest.approx(500.0)] and one.return_m == pytest.approx(500.0)
    open_one = order_visits((0.0, 0.0), np.array([[300.0, 400.0]]), return_to_office=False)
    assert open_one.total_m == pytest.approx(500.0) and open_one.return_m == 0.0


def test_duplicate_stops_and_zero_passes():
    stops = np.array([[10.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    result = order_visits((0.0, 0.0), stops, max_2opt_passes=0)
    assert result.total_m == result.nn_total_m and result.passes == 0
    assert sorted(result.order.tolist()) == [0, 1, 2]


def test_result_is_frozen():
    result = order_visits((0.0, 0.0), np.array([[1.0, 1.0]]))
    assert isinstance(result, RouteResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.total_m = 0.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("office", "stops", "message"),
    [
        ((0.0,), np.zeros((2, 2)), "office_xy"),
        ((0.0, np.nan), np.zeros((2, 2)), "office_xy"),
        ((0.0, 0.0), np.zeros((2, 3)), r"shape \(n, 2\)"),
        ((0.0, 0.0), np.array([[0.0, np.inf]]), "non-finite"),
    ],
)
def test_bad_core_input_raises(office, stops, message):
    with pytest.raises(RoutingInputError, match=message):
        order_visits(office, stops)


def test_doctests():
    assert doctest.testmod(routing, raise_on_error=True).failed == 0


# ---------------------------------------------------------------- geo wrapper
def _visits_4326() -> tuple[Point, gpd.GeoDataFrame]:
    rng = np.random.default_rng(3)
    lon = 126.97 + rng.uniform(-0.02, 0.02, 6)
    lat = 37.56 + rng.uniform(-0.02, 0.02, 6)
    visits = gpd.GeoDataFrame(
        {"household_id": np.arange(100, 106)},
        geometry=gpd.points_from_xy(lon, lat),
        index=pd.Index(list("abcdef"), name="key"),
        crs=4326,
    )
    return Point(126.97, 37.56), visits


def test_route_for_visits_in_4326_measures_in_metres():
    office, visits = _visits_4326()
    route = route_for_visits(office, visits)
    assert route.crs == visits.crs
    assert sorted(route.index) == sorted(visits.index)
    assert route["visit_order"].tolist() == list(range(1, 7))
    assert route["cumulative_m"].iloc[-1] == pytest.approx(route["leg_m"].sum())
    assert route.attrs["route_total_m"] == pytest.approx(
        route["leg_m"].sum() + route.attrs["route_return_m"]
    )
    # same answer as the core on the projected coordinates
    projected = visits.to_crs(5179)
    office_m = gpd.GeoSeries([office], crs=4326).to_crs(5179).iloc[0]
    core = order_visits((office_m.x, office_m.y), np.column_stack([projected.geometry.x, projected.geometry.y]))
    assert route.index.tolist() == visits.index[core.order].tolist()
    assert route.attrs["route_total_m"] == pytest.approx(core.total_m)
    # a few km in central Seoul: metres, not degrees
    assert 1_000 < core.total_m < 30_000
    # input not modified
    assert "visit_order" not in visits.columns


def test_route_for_visits_projected_input_and_office_crs():
    office, visits = _visits_4326()
    projected = visits.to_crs(5179)
    a = route_for_visits(office, projected, office_crs=4326, return_to_office=False)
    b = route_for_visits(office, visits, return_to_office=False)
    assert a.index.tolist() == b.index.tolist()
    np.testing.assert_allclose(a["leg_m"], b["leg_m"], rtol=1e-9)


def test_route_for_visits_empty_and_single():
    office, visits = _visits_4326()
    empty = route_for_visits(office, visits.iloc[:0])
    assert len(empty) == 0
    assert {"visit_order", "leg_m", "cumulative_m"} <= set(empty.columns)
    single = route_for_visits(office, visits.iloc[:1])
    assert single["visit_order"].tolist() == [1]


def test_route_for_visits_bad_input():
    office, visits = _visits_4326()
    with pytest.raises(RoutingInputError, match="no CRS"):
        route_for_visits(office, visits.set_crs(None, allow_override=True))
    polys = visits.copy()
    polys.geometry = [box(0, 0, 1, 1)] * len(polys)
    with pytest.raises(RoutingInputError, match="Points"):
        route_for_visits(office, polys)
    with pytest.raises(RoutingInputError, match="office"):
        route_for_visits((126.9, 37.5), visits)  # type: ignore[arg-type]
