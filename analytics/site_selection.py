"""Site suitability: maximal covering (MCLP) and p-median location, solved with HiGHS.

The numeric core works on sparse structures and never on GeoDataFrames:

* :func:`solve_mclp` takes a demand × candidate boolean coverage matrix
  (:class:`scipy.sparse.csr_matrix`), merges demand rows with identical coverage,
  and solves the MIP with ``highspy`` through the matrix API (one ``passModel``).
* :func:`solve_p_median` takes ``(demand, candidate, cost)`` triples of a
  radius-limited cost structure, with an explicit "unserved" assignment at a
  penalty cost for demand whose reachable candidates are all closed.
* :func:`greedy_mclp` is the fallback, with its gap to the LP-relaxation bound.

The geo wrappers (:func:`candidate_sites`, :func:`choose_sites`) validate inputs
(projected CRS in metres, points), build the sparse structures with a k-d tree and
return GeoDataFrames and named Series.

Notes
-----
``import highspy`` prints the HiGHS banner once per process on the first solver
construction (from C++, before options can be set); all solver output after that
is switched off and goes nowhere.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import highspy
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from analytics.accessibility import (
    AnalyticsInputError,
    check_layers,
    neighbour_pairs,
    point_coordinates,
)

__all__ = [
    "SiteSelectionResult",
    "SiteSolution",
    "candidate_sites",
    "choose_sites",
    "coverage_matrix",
    "greedy_mclp",
    "solve_mclp",
    "solve_p_median",
]

logger = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
CostTriples = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True, eq=False)
class SiteSolution:
    """Result of a location model.

    Attributes
    ----------
    selected : ndarray of int
        Indices of the chosen (new) candidates, ascending.
    objective : float
        MCLP: newly covered demand weight (maximised). p-median: total weighted
        cost including the penalty of unserved demand (minimised).
    covered_weight : float
        Demand weight within reach of an open site (existing or new).
    coverage_share : float
        ``covered_weight`` over the total demand weight (0 if there is none).
    solver : str
        ``"highs"`` (MIP) or ``"greedy"``.
    status : str
        HiGHS model status (``"Optimal"``, ``"Time limit reached"``…),
        ``"Optimal (integral LP relaxation)"`` when the LP optimum was already
        integral (so no branch and bound was needed), or ``"heuristic"``.
    mip_gap : float
        Relative gap ``|bound - objective| / |objective|`` (HiGHS) or
        ``(bound - objective) / bound`` (greedy against its bound); 0 when proven optimal.
    bound : float
        Best proven bound on the objective (MIP dual bound or LP relaxation).
    seconds : float
        Wall time of the solve, model building included.
    assignment : ndarray of int, optional
        Per demand row, the open site serving it (p-median) or one covering it
        (MCLP), ``-1`` if none. Indices refer to the candidate columns (p-median:
        fixed-open columns included).
    excluded : ndarray of int
        Demand rows left out of the model because no candidate is within reach.
    """

    selected: np.ndarray
    objective: float
    covered_weight: float
    coverage_share: float
    solver: str
    status: str
    mip_gap: float
    bound: float
    seconds: float
    assignment: np.ndarray | None = None
    excluded: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.intp))

    @property
    def is_optimal(self) -> bool:
        """True when the solver proved optimality."""
        return self.status.startswith("Optimal")


@dataclass(frozen=True, eq=False)
class SiteSelectionResult:
    """What :func:`choose_sites` returns.

    Attributes
    ----------
    sites : GeoDataFrame
        Chosen candidate rows (candidates' index and columns) plus ``weight_in_reach``
        (demand weight within the radius not already covered by existing sites).
    coverage_before, coverage_after : float
        Demand weight within reach of existing sites, and of existing plus new sites.
    coverage_gained : float
        ``coverage_after - coverage_before``.
    newly_covered : pandas.Series
        Boolean on demand's index: demand newly in reach thanks to the new sites.
    solution : SiteSolution
        The solver's result.
    """

    sites: gpd.GeoDataFrame
    coverage_before: float
    coverage_after: float
    coverage_gained: float
    newly_covered: pd.Series
    solution: SiteSolution


# --------------------------------------------------------------------------- HiGHS


def _new_highs(*, time_limit_s: float, mip_rel_gap: float) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("log_to_console", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    return h


def _pass_model(
    h: highspy.Highs,
    *,
    matrix: sp.csr_matrix,
    cost: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    integer_cols: np.ndarray,
    maximize: bool,
    relax: bool = False,
) -> float:
    """Pass a whole model to HiGHS in one call (row-wise CSR matrix).

    The objective is scaled so its largest coefficient is 1 (HiGHS warns about and
    slows down on costs like households × metres); returns the scale applied.
    """
    largest = float(np.max(np.abs(cost), initial=0.0))
    scale = 1.0 / largest if largest > 0 else 1.0
    lp = highspy.HighsLp()
    lp.num_col_ = int(matrix.shape[1])
    lp.num_row_ = int(matrix.shape[0])
    lp.col_cost_ = np.ascontiguousarray(cost, dtype=float) * scale
    lp.col_lower_ = np.ascontiguousarray(col_lower, dtype=float)
    lp.col_upper_ = np.ascontiguousarray(col_upper, dtype=float)
    lp.row_lower_ = np.ascontiguousarray(row_lower, dtype=float)
    lp.row_upper_ = np.ascontiguousarray(row_upper, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = lp.num_col_
    lp.a_matrix_.num_row_ = lp.num_row_
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(float)
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    if not relax:
        integrality = np.full(lp.num_col_, highspy.HighsVarType.kContinuous)
        integrality[integer_cols] = highspy.HighsVarType.kInteger
        lp.integrality_ = integrality.tolist()
    status = h.passModel(lp)
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS rejected the model (passModel returned kError)")
    return scale


def _attach_progress(
    h: highspy.Highs, progress: Progress | None, *, maximize: bool, scale: float
) -> None:
    """Report each improving MIP solution (and its gap) to ``progress``."""
    if progress is None:
        return

    def on_improving(event: object) -> None:
        out = event.data_out  # type: ignore[attr-defined]
        gap = float(out.mip_gap)
        done = 0.3 + 0.6 * (1.0 - min(max(gap, 0.0), 1.0)) if np.isfinite(gap) else 0.3
        sense = "최대" if maximize else "최소"
        objective = out.objective_function_value / scale
        gap_text = f"갭 {gap:.2%}" if np.isfinite(gap) else "한계값 계산 중"
        progress(done, f"해 개선: 목적값 {objective:,.1f} ({sense}화, {gap_text})")

    h.cbMipImprovingSolution += on_improving


def _run(h: highspy.Highs, scale: float) -> tuple[str, np.ndarray | None, float, float, float]:
    """Run HiGHS; return status text, column values (None if no solution), objective, bound, gap.

    ``scale`` is the objective scale applied by :func:`_pass_model` (undone here).
    """
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    values = np.asarray(h.getSolution().col_value) if has_solution else None
    bound = float(info.mip_dual_bound) / scale + 0.0  # no "-0.0"
    objective = float(info.objective_function_value) / scale
    return status, values, objective, bound, float(info.mip_gap)


# --------------------------------------------------------------------------- MCLP


def _as_coverage(coverage: sp.spmatrix | sp.sparray | np.ndarray) -> sp.csr_matrix:
    cov = sp.csr_matrix(coverage, dtype=bool)
    cov.eliminate_zeros()
    cov.sum_duplicates()
    cov.sort_indices()
    return cov


def _group_identical_rows(cov: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Label rows with identical sparsity patterns; return (group of each row, first row of each group)."""
    if cov.shape[0] == 0:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
    rng = np.random.default_rng(20240607)
    probes = rng.random((cov.shape[1], 2))
    keys = np.column_stack([cov.astype(float) @ probes, np.diff(cov.indptr)])
    _, first, group = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    group = group.ravel()
    # verify (hash collisions are astronomically unlikely, but be exact)
    if (cov[first[group]] != cov).nnz:
        logger.warning("coverage row hashing collided; solving without row aggregation")
        return np.arange(cov.shape[0]), np.arange(cov.shape[0])
    return group, first


def _mclp_structure(
    cov: sp.csr_matrix, weights: np.ndarray, active: np.ndarray
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Reduce the MCLP without changing its optimum.

    Keep active demand rows, drop candidates whose covered set is contained in
    another's, then merge rows with identical coverage (weights summed).
    Returns (group × kept-candidate coverage, group weights, kept candidate columns).
    """
    sub = cov[active]
    kept = _undominated_columns(sub)
    sub = sub[:, kept].tocsr()
    group, first = _group_identical_rows(sub)
    group_weight = np.bincount(group, weights=weights[active], minlength=len(first))
    return sub[first], group_weight, kept


def _undominated_columns(cov: sp.csr_matrix) -> np.ndarray:
    """Columns whose row set is not contained in another column's (ties: lowest index kept)."""
    cols = cov.tocsc().astype(np.int32)
    size = np.diff(cols.indptr)
    overlap = (cols.T @ cols).tocoo()  # |cover_j ∩ cover_k|
    j, k = overlap.row, overlap.col
    contained = (j != k) & (overlap.data == size[j])  # cover_j ⊆ cover_k
    dominated = np.zeros(cov.shape[1], dtype=bool)
    dominated[j[contained & ((size[j] < size[k]) | (k < j))]] = True
    return np.flatnonzero(~dominated & (size > 0))


def _mclp_model(
    h: highspy.Highs, groups: sp.csr_matrix, group_weight: np.ndarray, p: int, *, relax: bool
) -> float:
    n_groups, n_cand = groups.shape
    # rows: x_g - Σ_j a_gj y_j <= 0 ; Σ_j y_j = p     cols: [y (n_cand) | x (n_groups)]
    link = sp.hstack([-groups.astype(float), sp.identity(n_groups, format="csr")], format="csr")
    card = sp.csr_matrix(
        (np.ones(n_cand), (np.zeros(n_cand, dtype=np.intp), np.arange(n_cand))),
        shape=(1, n_cand + n_groups),
    )
    matrix = sp.vstack([link, card], format="csr")
    return _pass_model(
        h,
        matrix=matrix,
        cost=np.concatenate([np.zeros(n_cand), group_weight]),
        col_lower=np.zeros(n_cand + n_groups),
        col_upper=np.ones(n_cand + n_groups),
        row_lower=np.concatenate([np.full(n_groups, -np.inf), [p]]),
        row_upper=np.concatenate([np.zeros(n_groups), [p]]),
        integer_cols=np.arange(n_cand),
        maximize=True,
        relax=relax,
    )


def _check_problem(n_rows: int, n_cand: int, weights: np.ndarray, p: int) -> None:
    problems = []
    if weights.shape != (n_rows,):
        problems.append(f"weights must have shape ({n_rows},), got {weights.shape}")
    elif not (np.all(np.isfinite(weights)) and np.all(weights >= 0)):
        problems.append("weights must be finite and non-negative")
    if not (0 <= p <= n_cand):
        problems.append(f"p must be between 0 and the number of candidates ({n_cand}), got {p}")
    if problems:
        raise AnalyticsInputError("; ".join(problems))


def _mclp_summary(
    cov: sp.csr_matrix, weights: np.ndarray, already: np.ndarray, selected: np.ndarray
) -> tuple[float, float, float, np.ndarray]:
    """(newly covered weight, covered weight, coverage share, covering site per row)."""
    sub = cov[:, selected].tocsr()
    covered_new = np.diff(sub.indptr) > 0
    assignment = np.full(cov.shape[0], -1, dtype=np.intp)
    rows = np.flatnonzero(covered_new)
    assignment[rows] = selected[sub.indices[sub.indptr[rows]]]
    newly = float(weights[covered_new & ~already].sum())
    covered = float(weights[covered_new | already].sum())
    total = float(weights.sum())
    return newly, covered, covered / total if total > 0 else 0.0, assignment


def solve_mclp(
    coverage: sp.csr_matrix,
    weights: np.ndarray,
    p: int,
    *,
    existing_covered: np.ndarray | None = None,
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 0.0,
    progress: Progress | None = None,
) -> SiteSolution:
    """Maximal covering location problem, solved to proven optimality with HiGHS.

    Maximise ``Σ_i w_i x_i`` subject to ``x_i ≤ Σ_j a_ij y_j``, ``Σ_j y_j = p``,
    ``y_j ∈ {0, 1}``, ``0 ≤ x_i ≤ 1``. ``x`` may be continuous: for integral ``y`` the
    optimum has ``x_i = min(1, Σ_j a_ij y_j)``, which is integral. Demand already
    covered by existing sites, with zero weight, or with no covering candidate is
    left out; rows with identical coverage are merged (weights summed) — both leave
    the optimum unchanged and shrink the model.

    Parameters
    ----------
    coverage : scipy.sparse.csr_matrix of bool, shape (n_demand, n_candidates)
        ``a_ij``: candidate ``j`` is within the service radius of demand ``i``.
    weights : ndarray of shape (n_demand,)
        Non-negative demand weights (e.g. households in need).
    p : int
        Number of new sites (exactly ``p`` are chosen, as in ``spopt``).
    existing_covered : ndarray of bool, optional
        Demand already within reach of existing facilities.
    time_limit_s : float
        HiGHS time limit; on reaching it the best solution found is returned with
        its gap and bound (``status`` says so).
    mip_rel_gap : float
        Relative gap at which HiGHS stops (0: prove optimality).
    progress : callable, optional
        ``progress(fraction, message)`` called on each improving solution.

    Returns
    -------
    SiteSolution
        ``objective`` is the newly covered weight; ``covered_weight`` includes
        ``existing_covered`` demand.
    """
    start = time.perf_counter()
    cov = _as_coverage(coverage)
    weights = np.asarray(weights, dtype=float)
    _check_problem(cov.shape[0], cov.shape[1], weights, p)
    already = _existing_mask(existing_covered, cov.shape[0])
    active = ~already & (weights > 0) & (np.diff(cov.indptr) > 0)
    groups, group_weight, kept = _mclp_structure(cov, weights, active)
    logger.debug(
        "mclp: %d demand rows -> %d coverage groups; %d of %d candidates undominated",
        int(active.sum()),
        len(group_weight),
        len(kept),
        cov.shape[1],
    )
    if len(kept) <= p:  # every coverable row can be covered: no search needed
        selected = _pad_selection(kept, cov.shape[1], p)
        status, gap, bound = "Optimal", 0.0, float(group_weight.sum())
    elif (lp := _integral_lp_solution(groups, group_weight, p)) is not None:
        selected = np.sort(kept[lp[0]])
        status, gap, bound = "Optimal (integral LP relaxation)", 0.0, lp[1]
    else:
        h = _new_highs(time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap)
        scale = _mclp_model(h, groups, group_weight, p, relax=False)
        _attach_progress(h, progress, maximize=True, scale=scale)
        status, values, _, bound, gap = _run(h, scale)
        if values is None:
            logger.warning("HiGHS found no MCLP solution (%s); using greedy", status)
            return greedy_mclp(cov, weights, p, existing_covered=already, bound=bound)
        selected = np.sort(kept[_pick(values[: len(kept)], p)])
    newly, covered, share, assignment = _mclp_summary(cov, weights, already, selected)
    return SiteSolution(
        selected=selected,
        objective=newly,
        covered_weight=covered,
        coverage_share=share,
        solver="highs",
        status=status,
        mip_gap=gap,
        bound=bound,
        seconds=time.perf_counter() - start,
        assignment=assignment,
        excluded=np.flatnonzero(np.diff(cov.indptr) == 0),
    )


def _integral_lp_solution(
    groups: sp.csr_matrix, group_weight: np.ndarray, p: int
) -> tuple[np.ndarray, float] | None:
    """Solve the LP relaxation (interior point + crossover); return (columns, value) if integral.

    An integral optimum of the relaxation is optimal for the MIP (its value is a bound
    the MIP cannot beat), which is common for MCLP and saves branch and bound.
    """
    h = _new_highs(time_limit_s=np.inf, mip_rel_gap=0.0)
    h.setOptionValue("solver", "ipm")
    scale = _mclp_model(h, groups, group_weight, p, relax=True)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    y = np.asarray(h.getSolution().col_value)[: groups.shape[1]]
    chosen = _pick(y, p)
    lp_value = float(h.getInfo().objective_function_value) / scale
    covered = np.diff(groups[:, chosen].tocsr().indptr) > 0
    value = float(group_weight[covered].sum())
    if np.all(np.abs(y - np.round(y)) <= 1e-6) and value >= lp_value * (1 - 1e-9) - 1e-9:
        return chosen, value
    return None


def _existing_mask(existing_covered: np.ndarray | None, n: int) -> np.ndarray:
    if existing_covered is None:
        return np.zeros(n, dtype=bool)
    mask = np.asarray(existing_covered, dtype=bool)
    if mask.shape != (n,):
        raise AnalyticsInputError(f"existing_covered must have shape ({n},), got {mask.shape}")
    return mask


def _pad_selection(kept: np.ndarray, n_cand: int, p: int) -> np.ndarray:
    """``kept`` plus the lowest-numbered other candidates up to ``p`` sites."""
    others = np.setdiff1d(np.arange(n_cand), kept)[: p - len(kept)]
    return np.sort(np.concatenate([kept, others])).astype(np.intp)


def _pick(y: np.ndarray, p: int) -> np.ndarray:
    """The p largest entries of a (near-)binary vector, as sorted indices."""
    if p == 0:
        return np.empty(0, dtype=np.intp)
    return np.sort(np.argsort(-y, kind="stable")[:p]).astype(np.intp)


def mclp_lp_bound(
    coverage: sp.csr_matrix,
    weights: np.ndarray,
    p: int,
    *,
    existing_covered: np.ndarray | None = None,
) -> float:
    """Upper bound on the MCLP objective from its LP relaxation (HiGHS simplex)."""
    cov = _as_coverage(coverage)
    weights = np.asarray(weights, dtype=float)
    already = _existing_mask(existing_covered, cov.shape[0])
    active = ~already & (weights > 0) & (np.diff(cov.indptr) > 0)
    groups, group_weight, kept = _mclp_structure(cov, weights, active)
    if len(kept) <= p:
        return float(group_weight.sum())
    h = _new_highs(time_limit_s=np.inf, mip_rel_gap=0.0)
    h.setOptionValue("solver", "ipm")
    scale = _mclp_model(h, groups, group_weight, p, relax=True)
    h.run()
    return float(h.getInfo().objective_function_value) / scale


def greedy_mclp(
    coverage: sp.csr_matrix,
    weights: np.ndarray,
    p: int,
    *,
    existing_covered: np.ndarray | None = None,
    bound: float | None = None,
) -> SiteSolution:
    """Greedy MCLP: repeatedly add the candidate covering the most uncovered weight.

    The greedy solution is within ``1 - 1/e`` of the optimum (coverage is submodular);
    its actual gap is reported against ``bound`` — the LP-relaxation bound computed
    here unless a (tighter) MIP bound is passed.

    Parameters
    ----------
    coverage, weights, p, existing_covered
        As in :func:`solve_mclp`.
    bound : float, optional
        A known upper bound on the optimum (e.g. a time-limited MIP's dual bound).

    Returns
    -------
    SiteSolution
        ``solver="greedy"``, ``status="heuristic"``, ``mip_gap = (bound - obj) / bound``.
    """
    start = time.perf_counter()
    cov = _as_coverage(coverage)
    weights = np.asarray(weights, dtype=float)
    _check_problem(cov.shape[0], cov.shape[1], weights, p)
    already = _existing_mask(existing_covered, cov.shape[0])
    residual = np.where(already, 0.0, weights)
    cov_t = cov.T.tocsr()  # candidate -> demand rows
    chosen = np.zeros(cov.shape[1], dtype=bool)
    for _ in range(p):
        gain = cov_t @ residual
        gain[chosen] = -1.0
        j = int(np.argmax(gain))
        chosen[j] = True
        residual[cov_t.indices[cov_t.indptr[j] : cov_t.indptr[j + 1]]] = 0.0
    selected = np.flatnonzero(chosen)
    newly, covered, share, assignment = _mclp_summary(cov, weights, already, selected)
    if bound is None:
        bound = mclp_lp_bound(cov, weights, p, existing_covered=already)
    gap = max(bound - newly, 0.0) / bound if bound > 0 else 0.0
    return SiteSolution(
        selected=selected,
        objective=newly,
        covered_weight=covered,
        coverage_share=share,
        solver="greedy",
        status="heuristic",
        mip_gap=gap,
        bound=float(bound),
        seconds=time.perf_counter() - start,
        assignment=assignment,
        excluded=np.flatnonzero(np.diff(cov.indptr) == 0),
    )


# --------------------------------------------------------------------------- p-median


def _as_triples(
    cost: sp.spmatrix | sp.sparray | CostTriples, n_demand: int, n_candidates: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Normalise a cost structure to sorted, de-duplicated (row, col, cost) and n_candidates."""
    if isinstance(cost, tuple):
        rows, cols, vals = (np.asarray(a) for a in cost)
        n_cand = int(cols.max()) + 1 if n_candidates is None and len(cols) else n_candidates or 0
    else:
        coo = sp.coo_matrix(cost)
        rows, cols, vals = coo.row, coo.col, coo.data
        n_cand = coo.shape[1] if n_candidates is None else n_candidates
    rows = rows.astype(np.intp)
    cols = cols.astype(np.intp)
    vals = vals.astype(float)
    if not (len(rows) == len(cols) == len(vals)):
        raise AnalyticsInputError("cost triples must have equal lengths")
    if len(rows) and (
        rows.min() < 0 or rows.max() >= n_demand or cols.min() < 0 or cols.max() >= n_cand
    ):
        raise AnalyticsInputError("cost triples index outside the demand/candidate ranges")
    if not (np.all(np.isfinite(vals)) and np.all(vals >= 0)):
        raise AnalyticsInputError("costs must be finite and non-negative")
    order = np.lexsort((vals, cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    keep = np.ones(len(rows), dtype=bool)
    keep[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])  # keep cheapest duplicate
    return rows[keep], cols[keep], vals[keep], int(n_cand)


def _p_median_model(
    h: highspy.Highs,
    rows: np.ndarray,
    cols: np.ndarray,
    weighted_cost: np.ndarray,
    penalty: np.ndarray,
    n_cand: int,
    p: int,
    fixed_open: np.ndarray,
) -> float:
    """Columns [y (n_cand) | x (pairs) | u (active demand)]; rows [assign | link | card]."""
    n_pairs, n_active = len(rows), len(penalty)
    x0, u0 = n_cand, n_cand + n_pairs
    pair = np.arange(n_pairs)
    # Σ_j x_ij + u_i = 1
    assign = sp.csr_matrix(
        (
            np.ones(n_pairs + n_active),
            (
                np.concatenate([rows, np.arange(n_active)]),
                np.concatenate([x0 + pair, u0 + np.arange(n_active)]),
            ),
        ),
        shape=(n_active, u0 + n_active),
    )
    # x_ij - y_j <= 0
    link = sp.csr_matrix(
        (
            np.concatenate([np.ones(n_pairs), -np.ones(n_pairs)]),
            (np.concatenate([pair, pair]), np.concatenate([x0 + pair, cols])),
        ),
        shape=(n_pairs, u0 + n_active),
    )
    free = np.setdiff1d(np.arange(n_cand), fixed_open)
    card = sp.csr_matrix(
        (np.ones(len(free)), (np.zeros(len(free), dtype=np.intp), free)), shape=(1, u0 + n_active)
    )
    col_lower = np.zeros(u0 + n_active)
    col_lower[fixed_open] = 1.0
    return _pass_model(
        h,
        matrix=sp.vstack([assign, link, card], format="csr"),
        cost=np.concatenate([np.zeros(n_cand), weighted_cost, penalty]),
        col_lower=col_lower,
        col_upper=np.ones(u0 + n_active),
        row_lower=np.concatenate([np.ones(n_active), np.full(n_pairs, -np.inf), [p]]),
        row_upper=np.concatenate([np.ones(n_active), np.zeros(n_pairs), [p]]),
        integer_cols=np.arange(n_cand),
        maximize=False,
    )


def _p_median_assignment(
    rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, open_mask: np.ndarray, n_demand: int
) -> tuple[np.ndarray, np.ndarray]:
    """Cheapest open site per demand row (-1 if none) and its cost (NaN if none)."""
    ok = open_mask[cols]
    r, c, v = rows[ok], cols[ok], vals[ok]
    order = np.lexsort((v, r))
    r, c, v = r[order], c[order], v[order]
    first = np.ones(len(r), dtype=bool)
    first[1:] = r[1:] != r[:-1]
    assignment = np.full(n_demand, -1, dtype=np.intp)
    cost = np.full(n_demand, np.nan)
    assignment[r[first]] = c[first]
    cost[r[first]] = v[first]
    return assignment, cost


def solve_p_median(
    cost: sp.spmatrix | sp.sparray | CostTriples,
    weights: np.ndarray,
    p: int,
    *,
    n_candidates: int | None = None,
    fixed_open: np.ndarray | None = None,
    unserved_cost: float | None = None,
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 0.0,
    progress: Progress | None = None,
) -> SiteSolution:
    """p-median on a sparse (e.g. radius-limited) cost structure, solved with HiGHS.

    Minimise ``Σ_i w_i (Σ_j c_ij x_ij + P u_i)`` subject to ``Σ_j x_ij + u_i = 1``,
    ``x_ij ≤ y_j`` (strong linking, one row per pair), ``Σ_{j not fixed} y_j = p``,
    ``y_j = 1`` for fixed-open sites, ``y ∈ {0,1}``, ``x, u ∈ [0,1]``. Only pairs present
    in ``cost`` exist, so demand whose reachable candidates are all closed is
    "unserved" (``u_i = 1``) at the penalty cost ``P`` per unit weight. Demand with no
    pair at all is excluded from the model and reported in ``excluded`` (its penalty
    would be a constant). With a complete cost matrix and the default ``P`` the model
    is the classic p-median (as in ``spopt.locate.PMedian``).

    Parameters
    ----------
    cost : sparse matrix or (demand_idx, cand_idx, cost) triples
        Travel cost of each reachable pair. Use triples if some costs are exactly 0
        (a sparse matrix may drop explicit zeros); duplicates keep the cheapest.
    weights : ndarray of shape (n_demand,)
        Non-negative demand weights.
    p : int
        Number of new sites to open (besides ``fixed_open``).
    n_candidates : int, optional
        Number of candidate columns (needed with triples if the last ones have no pair).
    fixed_open : ndarray of int, optional
        Columns forced open (existing facilities); not counted in ``p``.
    unserved_cost : float, optional
        Penalty ``P`` per unit weight of unserved demand; default twice the largest
        cost in the structure (so serving anyone in reach beats leaving them unserved).
    time_limit_s, mip_rel_gap, progress
        As in :func:`solve_mclp`.

    Returns
    -------
    SiteSolution
        ``objective`` is the total weighted cost (penalties included);
        ``covered_weight`` the weight assigned to an open site.
    """
    start = time.perf_counter()
    weights = np.asarray(weights, dtype=float)
    rows, cols, vals, n_cand = _as_triples(cost, len(weights), n_candidates)
    fixed = np.unique(np.asarray([] if fixed_open is None else fixed_open, dtype=np.intp))
    _check_problem(len(weights), n_cand - len(fixed), weights, p)
    has_pair = np.zeros(len(weights), dtype=bool)
    has_pair[rows] = True
    excluded = np.flatnonzero(~has_pair)
    active_rows = np.flatnonzero(has_pair & (weights > 0))
    local = np.full(len(weights), -1, dtype=np.intp)
    local[active_rows] = np.arange(len(active_rows))
    keep = local[rows] >= 0
    P = (
        float(unserved_cost)
        if unserved_cost is not None
        else 2.0 * max(float(vals.max(initial=0.0)), 0.5)
    )
    h = _new_highs(time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap)
    scale = _p_median_model(
        h,
        local[rows[keep]],
        cols[keep],
        weights[rows[keep]] * vals[keep],
        weights[active_rows] * P,
        n_cand,
        p,
        fixed,
    )
    _attach_progress(h, progress, maximize=False, scale=scale)
    status, values, _, bound, gap = _run(h, scale)
    if values is None:
        raise RuntimeError(f"HiGHS found no p-median solution within the time limit ({status})")
    free = np.setdiff1d(np.arange(n_cand), fixed)
    selected = np.sort(free[_pick(values[free], p)])
    open_mask = np.zeros(n_cand, dtype=bool)
    open_mask[selected] = True
    open_mask[fixed] = True
    assignment, pair_cost = _p_median_assignment(rows, cols, vals, open_mask, len(weights))
    served = assignment >= 0
    active = np.zeros(len(weights), dtype=bool)
    active[active_rows] = True
    objective = float(
        np.sum(weights[served] * pair_cost[served]) + P * weights[active & ~served].sum()
    )
    total = float(weights.sum())
    covered = float(weights[served].sum())
    return SiteSolution(
        selected=selected,
        objective=objective,
        covered_weight=covered,
        coverage_share=covered / total if total > 0 else 0.0,
        solver="highs",
        status=status,
        mip_gap=gap,
        bound=bound,
        seconds=time.perf_counter() - start,
        assignment=assignment,
        excluded=excluded,
    )


# --------------------------------------------------------------------------- geo wrappers


def coverage_matrix(
    demand_xy: np.ndarray, candidate_xy: np.ndarray, *, radius_m: float
) -> sp.csr_matrix:
    """Boolean demand × candidate coverage (distance ≤ ``radius_m``), sparse."""
    i, j, _ = neighbour_pairs(demand_xy, candidate_xy, radius_m=radius_m)
    return sp.csr_matrix(
        (np.ones(len(i), dtype=bool), (i, j)), shape=(len(demand_xy), len(candidate_xy))
    )


def _grid_points(
    xy: np.ndarray, population: np.ndarray, *, grid_m: float, min_population: float
) -> tuple[np.ndarray, np.ndarray]:
    """Centres and populations of grid cells holding at least ``min_population``."""
    if len(xy) == 0:
        return np.empty((0, 2)), np.empty(0)
    cells = np.floor(xy / grid_m).astype(np.int64)
    uniq, inverse = np.unique(cells, axis=0, return_inverse=True)
    pop = np.bincount(inverse.ravel(), weights=population, minlength=len(uniq))
    keep = pop >= min_population
    return (uniq[keep] + 0.5) * grid_m, pop[keep]


def candidate_sites(
    regions: gpd.GeoDataFrame,
    population_points: gpd.GeoDataFrame,
    *,
    grid_m: float,
    min_population: float,
    population_col: str | None = None,
) -> gpd.GeoDataFrame:
    """Candidate sites: region representative points plus a grid over populated land.

    Parameters
    ----------
    regions : GeoDataFrame
        읍면동 polygons in a projected CRS in metres (EPSG:5179). They are land, so
        grid cells whose centre lies outside every polygon (sea, lakes) are dropped.
    population_points : GeoDataFrame
        Points carrying population (households, census grid centroids), same CRS.
    grid_m : float
        Grid cell size in metres.
    min_population : float
        Keep cells with at least this population.
    population_col : str, optional
        Population column; default: each point counts 1.

    Returns
    -------
    GeoDataFrame
        Point candidates with ``kind`` (``"region"`` or ``"grid"``), ``region`` (the
        index label of the containing region) and ``population`` (cell population;
        NaN for region points), on a fresh RangeIndex.
    """
    if not (np.isfinite(grid_m) and grid_m > 0):
        raise AnalyticsInputError(f"grid_m must be a positive number of metres, got {grid_m}")
    check_layers(
        {
            "regions": (regions, []),
            "population_points": (population_points, [population_col] if population_col else []),
        },
        point_layers=["population_points"],
    )
    pop = (
        np.ones(len(population_points))
        if population_col is None
        else population_points[population_col].to_numpy(dtype=float)
    )
    centres, cell_pop = _grid_points(
        point_coordinates(population_points), pop, grid_m=grid_m, min_population=min_population
    )
    grid = gpd.GeoDataFrame(
        {"kind": "grid", "population": cell_pop},
        geometry=gpd.points_from_xy(centres[:, 0], centres[:, 1]),
        crs=regions.crs,
    )
    polygons = gpd.GeoDataFrame(
        geometry=regions.geometry.values, index=regions.index, crs=regions.crs
    )
    tree_idx, region_pos = polygons.sindex.query(grid.geometry, predicate="within")
    first = np.unique(tree_idx, return_index=True)[1]
    grid = grid.iloc[tree_idx[first]].assign(region=regions.index[region_pos[first]])
    reps = gpd.GeoDataFrame(
        {"kind": "region", "population": np.nan, "region": regions.index},
        geometry=regions.geometry.representative_point().values,
        crs=regions.crs,
    )
    out = pd.concat([reps, grid], ignore_index=True)
    return gpd.GeoDataFrame(out[["kind", "region", "population", "geometry"]], crs=regions.crs)


def _notify(progress: Progress | None, fraction: float, message: str) -> None:
    logger.info("%3.0f%% %s", 100 * fraction, message)
    if progress is not None:
        progress(fraction, message)


def choose_sites(
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    p: int,
    radius_m: float,
    weight_col: str,
    method: Literal["mclp", "p_median"] = "mclp",
    existing: gpd.GeoDataFrame | None = None,
    time_limit_s: float = 60.0,
    unserved_cost: float | None = None,
    progress: Progress | None = None,
) -> SiteSelectionResult:
    """Choose ``p`` new sites among candidates (maximal covering or p-median).

    Parameters
    ----------
    demand : GeoDataFrame
        Demand points (households in need, grid cells) in a projected CRS in metres.
    candidates : GeoDataFrame
        Candidate points, e.g. from :func:`candidate_sites`, same CRS.
    p : int
        Number of new sites.
    radius_m : float
        Service radius in metres: coverage (MCLP) and the reach of assignments
        (p-median; farther demand is "unserved" at ``unserved_cost``).
    weight_col : str
        Demand weight column (e.g. households).
    method : {"mclp", "p_median"}
        Maximise newly covered weight, or minimise weighted distance.
    existing : GeoDataFrame, optional
        Existing facilities (points, same CRS): demand in their reach is already
        covered (MCLP) or they are fixed open (p-median).
    time_limit_s : float
        Solver time limit; the result reports status, gap and bound.
    unserved_cost : float, optional
        p-median penalty per unit weight of unserved demand (default ``2 * radius_m``).
    progress : callable, optional
        ``progress(fraction, message)`` for the UI's background callback.

    Returns
    -------
    SiteSelectionResult
    """
    if method not in ("mclp", "p_median"):
        raise AnalyticsInputError(f"method must be 'mclp' or 'p_median', got {method!r}")
    if not (np.isfinite(radius_m) and radius_m > 0):
        raise AnalyticsInputError(f"radius_m must be a positive number of metres, got {radius_m}")
    layers = {"demand": (demand, [weight_col]), "candidates": (candidates, [])}
    if existing is not None:
        layers["existing"] = (existing, [])
    check_layers(layers)
    _notify(progress, 0.05, "커버리지 계산 중")
    demand_xy, cand_xy = point_coordinates(demand), point_coordinates(candidates)
    weights = demand[weight_col].to_numpy(dtype=float)
    existing_xy = point_coordinates(existing) if existing is not None else np.empty((0, 2))
    already = _within(demand_xy, existing_xy, radius_m)
    _notify(progress, 0.2, "최적화 모형 풀이 중")
    if method == "mclp":
        cov = coverage_matrix(demand_xy, cand_xy, radius_m=radius_m)
        solution = solve_mclp(
            cov, weights, p, existing_covered=already, time_limit_s=time_limit_s, progress=progress
        )
    else:
        solution = _p_median_with_existing(
            demand_xy,
            cand_xy,
            existing_xy,
            weights,
            p,
            radius_m=radius_m,
            unserved_cost=unserved_cost if unserved_cost is not None else 2 * radius_m,
            time_limit_s=time_limit_s,
            progress=progress,
        )
    _notify(progress, 0.95, "결과 정리 중")
    result = _selection_result(
        demand, candidates, demand_xy, cand_xy, weights, already, solution, radius_m
    )
    _notify(progress, 1.0, f"완료: {solution.status}, 갭 {solution.mip_gap:.2%}")
    return result


def _within(a_xy: np.ndarray, b_xy: np.ndarray, radius_m: float) -> np.ndarray:
    """For each point of ``a_xy``: is any point of ``b_xy`` within ``radius_m``?"""
    if len(b_xy) == 0 or len(a_xy) == 0:
        return np.zeros(len(a_xy), dtype=bool)
    return np.asarray(cKDTree(b_xy).query_ball_point(a_xy, radius_m, return_length=True)) > 0


def _p_median_with_existing(
    demand_xy: np.ndarray,
    cand_xy: np.ndarray,
    existing_xy: np.ndarray,
    weights: np.ndarray,
    p: int,
    *,
    radius_m: float,
    unserved_cost: float,
    time_limit_s: float,
    progress: Progress | None,
) -> SiteSolution:
    """p-median over candidates plus existing sites appended as fixed-open columns."""
    sites = np.vstack([cand_xy, existing_xy])
    i, j, d = neighbour_pairs(demand_xy, sites, radius_m=radius_m)
    fixed = np.arange(len(cand_xy), len(sites))
    return solve_p_median(
        (i, j, d),
        weights,
        p,
        n_candidates=len(sites),
        fixed_open=fixed,
        unserved_cost=unserved_cost,
        time_limit_s=time_limit_s,
        progress=progress,
    )


def _selection_result(
    demand: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    demand_xy: np.ndarray,
    cand_xy: np.ndarray,
    weights: np.ndarray,
    already: np.ndarray,
    solution: SiteSolution,
    radius_m: float,
) -> SiteSelectionResult:
    chosen_xy = cand_xy[solution.selected]
    cov = coverage_matrix(demand_xy, chosen_xy, radius_m=radius_m)
    reach_new = np.diff(cov.indptr) > 0
    newly = reach_new & ~already
    sites = candidates.iloc[solution.selected].copy()
    sites["weight_in_reach"] = cov.T @ np.where(already, 0.0, weights)
    before = float(weights[already].sum())
    after = float(weights[already | reach_new].sum())
    return SiteSelectionResult(
        sites=sites,
        coverage_before=before,
        coverage_after=after,
        coverage_gained=after - before,
        newly_covered=pd.Series(newly, index=demand.index, name="newly_covered"),
        solution=solution,
    )
