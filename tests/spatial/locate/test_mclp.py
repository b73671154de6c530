"""MCLP with HiGHS against spopt (pulp + CBC) and brute force (spatial.locate.mclp)."""

from __future__ import annotations

import itertools

import numpy as np
import pulp
import pytest
import scipy.sparse as sp
from scipy.spatial.distance import cdist

from spatial.checks import AnalyticsInputError
from spatial.locate import mclp
from spatial.locate.base import SiteSolution
from spatial.locate.candidates import coverage_matrix
from spatial.locate.mclp import solve_mclp
from tests.spatial.layers import random_locations
from tests.spatial.locate.reference import MCLP, cbc_solver, pulp_deprecations


@pulp_deprecations
@pytest.mark.parametrize(("seed", "radius", "p"), [(3, 1500.0, 5), (11, 2500.0, 3)])
def test_mclp_matches_spopt(seed, radius, p):
    demand_xy, cand_xy, weights = random_locations(seed, 200, 40)
    ours = solve_mclp(coverage_matrix(demand_xy, cand_xy, radius_m=radius), weights, p)
    spopt_model = MCLP.from_cost_matrix(
        cdist(demand_xy, cand_xy), weights, service_radius=radius, p_facilities=p
    ).solve(cbc_solver())
    assert ours.is_optimal
    assert ours.mip_gap <= 1e-9
    assert ours.objective == pytest.approx(pulp.value(spopt_model.problem.objective), abs=1e-6)
    assert ours.bound == pytest.approx(ours.objective, abs=1e-6)
    assert len(ours.selected) == p


def _brute_mclp(cov: np.ndarray, weights: np.ndarray, p: int, already: np.ndarray) -> float:
    best = 0.0
    for combo in itertools.combinations(range(cov.shape[1]), p):
        covered = cov[:, list(combo)].any(axis=1) & ~already
        best = max(best, float(weights[covered].sum()))
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mclp_matches_brute_force_with_existing_coverage(seed):
    demand_xy, cand_xy, weights = random_locations(seed, 40, 10, size=5000)
    cov = coverage_matrix(demand_xy, cand_xy, radius_m=1200)
    already = np.random.default_rng(seed).random(40) < 0.25
    ours = solve_mclp(cov, weights, 3, existing_covered=already)
    assert ours.objective == pytest.approx(_brute_mclp(cov.toarray(), weights, 3, already))
    covered = cov[:, ours.selected].toarray().any(axis=1)
    assert ours.covered_weight == pytest.approx(weights[covered | already].sum())
    assert ours.coverage_share == pytest.approx(ours.covered_weight / weights.sum())
    # the assignment points at a chosen site that really covers the row
    rows = np.flatnonzero(ours.assignment >= 0)
    assert np.all(cov[rows, ours.assignment[rows]])


def test_mclp_merging_identical_rows_does_not_change_the_optimum():
    demand_xy, cand_xy, weights = random_locations(7, 60, 12, size=5000)
    cov = coverage_matrix(demand_xy, cand_xy, radius_m=1500)
    doubled = sp.vstack([cov, cov], format="csr")
    single = solve_mclp(cov, 2 * weights, 4)
    double = solve_mclp(doubled, np.concatenate([weights, weights]), 4)
    assert single.objective == pytest.approx(double.objective)


def test_mclp_input_errors():
    cov = sp.csr_matrix(np.eye(3, dtype=bool))
    with pytest.raises(AnalyticsInputError, match="p must be"):
        solve_mclp(cov, np.ones(3), 4)
    with pytest.raises(AnalyticsInputError, match="weights"):
        solve_mclp(cov, np.ones(2), 1)
    with pytest.raises(AnalyticsInputError, match="existing_covered"):
        solve_mclp(cov, np.ones(3), 1, existing_covered=np.ones(2, dtype=bool))


def test_solution_is_frozen():
    sol = solve_mclp(sp.csr_matrix(np.eye(3, dtype=bool)), np.array([1.0, 2.0, 3.0]), 2)
    assert isinstance(sol, SiteSolution)
    assert sol.selected.tolist() == [1, 2] and sol.objective == 5.0 and sol.is_optimal
    with pytest.raises(AttributeError):
        sol.objective = 0.0  # type: ignore[misc]


def test_mclp_branch_and_bound_path_agrees_with_lp_shortcut(monkeypatch):
    demand_xy, cand_xy, weights = random_locations(13, 300, 40)
    cov = coverage_matrix(demand_xy, cand_xy, radius_m=1500)
    shortcut = solve_mclp(cov, weights, 4)
    monkeypatch.setattr(mclp, "_integral_lp_solution", lambda *args: None)
    branch_and_bound = solve_mclp(cov, weights, 4)
    assert branch_and_bound.status == "Optimal"
    assert branch_and_bound.objective == pytest.approx(shortcut.objective)
    assert branch_and_bound.bound == pytest.approx(shortcut.objective)
