"""Shared plumbing of the location models: result types and the HiGHS matrix interface."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import highspy
import numpy as np
import pandas as pd
import scipy.sparse as sp

from domain.progress import Progress, report
from spatial.checks import AnalyticsInputError

__all__ = ["CostTriples", "SiteSelectionResult", "SiteSolution"]

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
        report(progress, done, f"해 개선: 목적값 {objective:,.1f} ({sense}화, {gap_text})")

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


def _pick(y: np.ndarray, p: int) -> np.ndarray:
    """The p largest entries of a (near-)binary vector, as sorted indices."""
    if p == 0:
        return np.empty(0, dtype=np.intp)
    return np.sort(np.argsort(-y, kind="stable")[:p]).astype(np.intp)
