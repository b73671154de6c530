"""p-median with HiGHS against spopt (pulp + CBC) and brute force (spatial.locate.p_median)."""

from __future__ import annotations

import itertools

import numpy as np
import pulp
import pytest
import scipy.sparse as sp
from scipy.spatial.distance import cdist

from spatial.locate.p_median import solve_p_median
from tests.spatial.layers import random_locations
from tests.spatial.locate.reference import PMedian, cbc_solver, pulp_deprecations


@pulp_deprecations
def test_p_median_matches_spopt_on_a_complete_cost_matrix():
    demand_xy, cand_xy, weights = random_locations(21, 80, 15)
    cost = cdist(demand_xy, cand_xy)
    rows, cols = np.nonzero(np.ones_like(cost, dtype=bool))
    ours = solve_p_median((rows, cols, cost[rows, cols]), weights, 4)
    spopt_model = PMedian.from_cost_matrix(cost, weights, p_facilities=4).solve(cbc_solver())
    assert ours.is_optimal
    assert ours.objective == pytest.approx(pulp.value(spopt_model.problem.objective), rel=1e-9)
    assert ours.covered_weight == weights.sum()
    chosen = {j for j, clients in enumerate(spopt_model.fac2cli) if clients}
    assert chosen == set(ours.selected.tolist())


def _brute_p_median(cost, reach, weights, p, penalty, fixed=()):
    free = [j for j in range(cost.shape[1]) if j not in fixed]
    active = reach.any(axis=1) & (weights > 0)
    best = np.inf
    for combo in itertools.combinations(free, p):
        cols = list(combo) + list(fixed)
        sub = np.where(reach[:, cols], cost[:, cols], np.inf).min(axis=1)
        total = np.where(np.isfinite(sub), sub, penalty)[active] @ weights[active]
        best = min(best, total)
    return best


@pytest.mark.parametrize("seed", [0, 4])
def test_radius_limited_p_median_matches_brute_force(seed):
    demand_xy, cand_xy, weights = random_locations(seed, 30, 9, size=6000)
    radius, penalty = 1800.0, 5000.0
    cost = cdist(demand_xy, cand_xy)
    reach = cost <= radius
    rows, cols = np.nonzero(reach)
    ours = solve_p_median(
        (rows, cols, cost[rows, cols]), weights, 3, n_candidates=9, unserved_cost=penalty
    )
    assert ours.objective == pytest.approx(_brute_p_median(cost, reach, weights, 3, penalty))
    assert ours.excluded.tolist() == np.flatnonzero(~reach.any(axis=1)).tolist()
    assert ours.covered_weight == pytest.approx(weights[ours.assignment >= 0].sum())


def test_p_median_with_fixed_open_sites():
    demand_xy, cand_xy, weights = random_locations(8, 30, 8, size=6000)
    cost = cdist(demand_xy, cand_xy)
    reach = cost <= 2500
    rows, cols = np.nonzero(reach)
    ours = solve_p_median(
        (rows, cols, cost[rows, cols]),
        weights,
        2,
        n_candidates=8,
        fixed_open=np.array([0, 5]),
        unserved_cost=6000,
    )
    assert not {0, 5} & set(ours.selected.tolist())
    assert len(ours.selected) == 2
    expected = _brute_p_median(cost, reach, weights, 2, 6000, fixed=(0, 5))
    assert ours.objective == pytest.approx(expected)


def test_p_median_accepts_a_sparse_matrix():
    cost = sp.csr_matrix(np.array([[1.0, 0.0, 4.0], [0.0, 2.0, 1.0], [3.0, 0.0, 0.0]]))
    sol = solve_p_median(cost, np.array([1.0, 1.0, 1.0]), 1, unserved_cost=100)
    # site 0 serves rows 0 and 2 (1 + 3) and leaves row 1 unserved (100); site 2: 4 + 1 + 100
    assert sol.selected.tolist() == [0]
    assert sol.objective == pytest.approx(104.0)
