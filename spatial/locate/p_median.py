"""p-median on a sparse (radius-limited) cost structure, solved with HiGHS."""

from __future__ import annotations

import time

import highspy
import numpy as np
import scipy.sparse as sp

from domain.progress import Progress
from spatial.checks import AnalyticsInputError
from spatial.locate.base import (
    CostTriples,
    SiteSolution,
    _attach_progress,
    _check_problem,
    _new_highs,
    _pass_model,
    _pick,
    _run,
)

__all__ = ["solve_p_median"]


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
