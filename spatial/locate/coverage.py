"""The MCLP coverage structure shared by the exact and the greedy solver.

Normalising a coverage matrix, reducing the model without changing its optimum
(dominated candidates dropped, identical rows merged), the HiGHS model itself, its
LP-relaxation bound and the summary of a selection.
"""

from __future__ import annotations

import logging

import highspy
import numpy as np
import scipy.sparse as sp

from spatial.checks import AnalyticsInputError
from spatial.locate.base import _new_highs, _pass_model

__all__ = ["mclp_lp_bound"]

logger = logging.getLogger(__name__)


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


def _existing_mask(existing_covered: np.ndarray | None, n: int) -> np.ndarray:
    if existing_covered is None:
        return np.zeros(n, dtype=bool)
    mask = np.asarray(existing_covered, dtype=bool)
    if mask.shape != (n,):
        raise AnalyticsInputError(f"existing_covered must have shape ({n},), got {mask.shape}")
    return mask


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
