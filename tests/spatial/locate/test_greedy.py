"""Greedy MCLP and its reported gap (spatial.locate.greedy)."""

from __future__ import annotations

import pytest

from spatial.locate.candidates import coverage_matrix
from spatial.locate.greedy import greedy_mclp
from spatial.locate.mclp import solve_mclp
from tests.spatial.layers import random_locations


def test_greedy_is_feasible_and_reports_a_valid_gap():
    demand_xy, cand_xy, weights = random_locations(5, 300, 50)
    cov = coverage_matrix(demand_xy, cand_xy, radius_m=1800)
    optimal = solve_mclp(cov, weights, 6)
    greedy = greedy_mclp(cov, weights, 6)
    assert greedy.solver == "greedy"
    assert len(greedy.selected) == 6
    assert greedy.objective <= optimal.objective + 1e-9
    assert greedy.bound >= optimal.objective - 1e-6  # LP relaxation bounds the optimum
    assert greedy.mip_gap >= 0
    assert greedy.mip_gap == pytest.approx((greedy.bound - greedy.objective) / greedy.bound)
    with_mip_bound = greedy_mclp(cov, weights, 6, bound=optimal.bound)
    assert with_mip_bound.mip_gap <= greedy.mip_gap + 1e-12
