"""Grid neighbour search (spatial.accessibility.kernels.neighbour_pairs)."""

from __future__ import annotations

import numpy as np
import pytest

from spatial.accessibility.kernels import neighbour_pairs, within_radius

CATCHMENT = 3000.0


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


def test_within_radius_is_inclusive_and_handles_empty_sets(random_instance):
    a = np.array([[0.0, 0.0], [10.0, 0.0], [20.0, 0.0]])
    b = np.array([[13.0, 4.0]])  # 5 m from a[1] exactly, sqrt(65) from a[2]
    assert within_radius(a, b, radius_m=5.0).tolist() == [False, True, False]
    assert within_radius(a, np.empty((0, 2)), radius_m=5.0).tolist() == [False] * 3
    assert within_radius(np.empty((0, 2)), b, radius_m=5.0).shape == (0,)
    demand_xy, _, supply_xy, _ = random_instance
    i, _, _ = neighbour_pairs(demand_xy, supply_xy, radius_m=CATCHMENT)
    expected = np.zeros(len(demand_xy), dtype=bool)
    expected[i] = True
    np.testing.assert_array_equal(within_radius(demand_xy, supply_xy, radius_m=CATCHMENT), expected)
