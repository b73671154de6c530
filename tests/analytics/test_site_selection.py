"""MCLP / p-median with HiGHS against spopt (pulp + CBC) and brute force."""

from __future__ import annotations

import itertools
import warnings

import geopandas as gpd
import numpy as np
import pulp
import pytest
import scipy.sparse as sp
from scipy.spatial.distance import cdist
from shapely import box, points

from analytics.accessibility import AnalyticsInputError
from analytics.site_selection import (
    SiteSolution,
    candidate_sites,
    choose_sites,
    coverage_matrix,
    greedy_mclp,
    solve_mclp,
    solve_p_median,
)

with warnings.catch_warnings():
    # requests (imported by libpysal via spopt) warns about a urllib3 extra at import
    warnings.filterwarnings("ignore", message=r".*urllib3\[secure\]", category=DeprecationWarning)
    from spopt.locate import MCLP, PMedian

# spopt builds models with pulp 3.x APIs that pulp deprecates for 4.0
pulp_deprecations = pytest.mark.filterwarnings("ignore:.*PuLP 4.0:DeprecationWarning")


def _cbc() -> pulp.LpSolver:
    solver = pulp.PULP_CBC_CMD(msg=False)
    if not solver.available():  # pragma: no cover - bundled CBC is present in our venv
        pytest.skip("pulp's bundled CBC is not available")
    return solver


def _instance(seed: int, n_demand: int, n_cand: int, size: float = 10_000.0):
    rng = np.random.default_rng(seed)
    demand_xy = rng.uniform(0, size, (n_demand, 2))
    cand_xy = rng.uniform(0, size, (n_cand, 2))
    weights = rng.integers(1, 50, n_demand).astype(float)
    return demand_xy, cand_xy, weights


# ----------------------------------------------------------------------------- MCLP


@pulp_deprecations
@pytest.mark.parametrize(("seed", "radius", "p"), [(3, 1500.0, 5), (11, 2500.0, 3)])
def test_mclp_matches_spopt(seed, radius, p):
    demand_xy, cand_xy, weights = _instance(seed, 200, 40)
    ours = solve_mclp(coverage_matrix(demand_xy, cand_xy, radius_m=radius), weights, p)
    spopt_model = MCLP.from_cost_matrix(
        cdist(demand_xy, cand_xy), weights, service_radius=radius, p_facilities=p
    ).solve(_cbc())
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
    demand_xy, cand_xy, weights = _instance(seed, 40, 10, size=5000)
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
    demand_xy, cand_xy, weights = _instance(7, 60, 12, size=5000)
    cov = coverage_matrix(demand_xy, cand_xy, radius_m=1500)
    doubled = sp.vstack([cov, cov], format="csr")
    single = solve_mclp(cov, 2 * weights, 4)
    double = solve_mclp(doubled, np.concatenate([weights, weights]), 4)
    assert single.objective == pytest.approx(double.objective)


def test_greedy_is_feasible_and_reports_a_valid_gap():
    demand_xy, cand_xy, weights = _instance(5, 300, 50)
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


# ----------------------------------------------------------------------------- p-median


@pulp_deprecations
def test_p_median_matches_spopt_on_a_complete_cost_matrix():
    demand_xy, cand_xy, weights = _instance(21, 80, 15)
    cost = cdist(demand_xy, cand_xy)
    rows, cols = np.nonzero(np.ones_like(cost, dtype=bool))
    ours = solve_p_median((rows, cols, cost[rows, cols]), weights, 4)
    spopt_model = PMedian.from_cost_matrix(cost, weights, p_facilities=4).solve(_cbc())
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
    demand_xy, cand_xy, weights = _instance(seed, 30, 9, size=6000)
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
    demand_xy, cand_xy, weights = _instance(8, 30, 8, size=6000)
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


# ----------------------------------------------------------------------------- geo


def _regions() -> gpd.GeoDataFrame:
    # two land polygons with a 2 km strait between them
    return gpd.GeoDataFrame(
        {"emd": ["A", "B"]},
        geometry=[box(0, 0, 4000, 4000), box(6000, 0, 10_000, 4000)],
        crs=5179,
    ).set_index("emd")


def test_candidate_sites_grid_is_populated_land_only():
    rng = np.random.default_rng(0)
    xy = np.vstack([rng.uniform(0, 10_000, (3000, 2)) * [1, 0.4]])
    population = gpd.GeoDataFrame(
        {"pop": rng.integers(1, 5, len(xy))}, geometry=points(xy), crs=5179
    )
    cands = candidate_sites(
        _regions(), population, grid_m=1000, min_population=40, population_col="pop"
    )
    assert (cands["kind"] == "region").sum() == 2
    grid = cands[cands["kind"] == "grid"]
    assert len(grid) > 0
    assert (grid["population"] >= 40).all()
    x = grid.geometry.x
    assert not ((x > 4000) & (x < 6000)).any()  # the strait (water) has no candidates
    assert set(grid["region"]) == {"A", "B"}
    assert cands.crs == population.crs


def test_candidate_sites_requires_metres():
    regions = _regions().to_crs(4326)
    population = gpd.GeoDataFrame(geometry=points([[1, 1]]), crs=4326)
    with pytest.raises(AnalyticsInputError, match=r"to_crs\(5179\)"):
        candidate_sites(regions, population, grid_m=500, min_population=1)


def _geo_instance():
    demand_xy, cand_xy, weights = _instance(9, 250, 30)
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


def test_mclp_branch_and_bound_path_agrees_with_lp_shortcut(monkeypatch):
    import analytics.site_selection as site_selection

    demand_xy, cand_xy, weights = _instance(13, 300, 40)
    cov = coverage_matrix(demand_xy, cand_xy, radius_m=1500)
    shortcut = solve_mclp(cov, weights, 4)
    monkeypatch.setattr(site_selection, "_integral_lp_solution", lambda *args: None)
    branch_and_bound = solve_mclp(cov, weights, 4)
    assert branch_and_bound.status == "Optimal"
    assert branch_and_bound.objective == pytest.approx(shortcut.objective)
    assert branch_and_bound.bound == pytest.approx(shortcut.objective)
