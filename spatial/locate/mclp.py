"""Maximal covering location problem (MCLP), solved to proven optimality with HiGHS."""

from __future__ import annotations

import logging
import time

import highspy
import numpy as np
import scipy.sparse as sp

from domain.progress import Progress
from spatial.locate.base import (
    SiteSolution,
    _attach_progress,
    _check_problem,
    _new_highs,
    _pick,
    _run,
)
from spatial.locate.coverage import (
    _as_coverage,
    _existing_mask,
    _mclp_model,
    _mclp_structure,
    _mclp_summary,
)
from spatial.locate.greedy import greedy_mclp

__all__ = ["solve_mclp"]

logger = logging.getLogger(__name__)


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


def _pad_selection(kept: np.ndarray, n_cand: int, p: int) -> np.ndarray:
    """``kept`` plus the lowest-numbered other candidates up to ``p`` sites."""
    others = np.setdiff1d(np.arange(n_cand), kept)[: p - len(kept)]
    return np.sort(np.concatenate([kept, others])).astype(np.intp)
