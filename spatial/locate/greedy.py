"""Greedy MCLP: the fallback when HiGHS finds no solution, with its gap to a bound."""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from spatial.locate.base import SiteSolution, _check_problem
from spatial.locate.coverage import _as_coverage, _existing_mask, _mclp_summary, mclp_lp_bound

__all__ = ["greedy_mclp"]


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
