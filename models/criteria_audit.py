"""Expected precision at capacity of a criteria scenario, on the model's audit test rows.

The rows are the ones the model card is computed on: the test cycle's labelled discovery rows
(the audit sample and the legacy-rule census, with the design weights of
:func:`models.training.design_weights`), kept in the artefact (``artifact.evaluation``) with
the model's calibrated probability *as of each row's cycle date*. Each arm ranks the rows by
its score and visits the top share of the (weighted) rows: the current criteria by the
probability, the scenario by :func:`models.criteria.scenario_score` of the same probability and
the row's signals at its cycle date. Precision, the difference and the ratio come with paired
percentile intervals over the same bootstrap replicates (:func:`models.evaluation.
compare_at_capacity`, resampled within selection × cycle strata), and the Kish effective number
of rows behind each arm (:func:`models.headline.effective_rows`). No outcome of the generator's
truth is read: only the recorded visit outcomes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.criteria import CriteriaSpec, criteria_signals, scenario_score
from models.evaluation import bootstrap_weights, capacity_selection, compare_at_capacity
from models.headline import effective_rows

__all__ = ["AuditRows", "PrecisionChange", "audit_rows", "precision_change"]


@dataclass(frozen=True)
class AuditRows:
    """Labelled test rows of a model with their design weights and calibrated probability."""

    household_id: np.ndarray
    cycle_date: np.ndarray  # datetime64[D]
    y: np.ndarray
    sample_weight: np.ndarray
    probability: np.ndarray
    strata: np.ndarray

    def subset(self, mask: np.ndarray) -> AuditRows:
        """The rows where ``mask`` holds."""
        return AuditRows(*(np.asarray(getattr(self, f))[mask] for f in (
            "household_id", "cycle_date", "y", "sample_weight", "probability", "strata")))

    def __len__(self) -> int:
        return int(self.y.size)


@dataclass(frozen=True)
class PrecisionChange:
    """Precision at capacity of the current criteria and the scenario, with paired intervals."""

    current: float
    current_lo: float
    current_hi: float
    scenario: float
    scenario_lo: float
    scenario_hi: float
    difference: float
    difference_lo: float
    difference_hi: float
    ratio: float
    ratio_lo: float
    ratio_hi: float
    rows: int
    effective_rows_current: float
    effective_rows_scenario: float
    capacity_current: float
    capacity_scenario: float
    n_boot: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {k: (float(v) if isinstance(v, float | np.floating) else v)
                for k, v in self.__dict__.items()}


def audit_rows(evaluation: Mapping[str, Any], kind: str) -> AuditRows | None:
    """The test rows of a model artefact's ``evaluation`` (``None`` when it has none).

    Parameters
    ----------
    evaluation
        :attr:`models.registry.ModelArtifact.evaluation` (``y``, ``sample_weight``,
        ``probabilities``, ``household_id``, ``cycle_date``).
    kind
        The deployed model's kind (its probabilities are used).
    """
    needed = ("y", "sample_weight", "probabilities", "household_id", "cycle_date")
    if not all(k in evaluation for k in needed) or kind not in evaluation["probabilities"]:
        return None
    y = np.asarray(evaluation["y"], dtype=np.float64)
    if y.size == 0:
        return None
    weight = np.asarray(evaluation["sample_weight"], dtype=np.float64)
    cycle = np.asarray(pd.to_datetime(evaluation["cycle_date"]), dtype="datetime64[D]")
    # the design weight is constant within a selection × cycle stratum and differs between
    # the two selections of a cycle, so (cycle, weight) recovers the strata
    strata = np.char.add(cycle.astype(str), np.round(weight, 6).astype(str))
    return AuditRows(np.asarray(evaluation["household_id"], dtype=np.int64), cycle, y, weight,
                     np.asarray(evaluation["probabilities"][kind], dtype=np.float64), strata)


def precision_change(rows: AuditRows, households: pd.DataFrame, financial: pd.DataFrame,
                     spec: CriteriaSpec, *, capacity_current: float, capacity_scenario: float,
                     n_boot: int = 500, seed: int = 0) -> PrecisionChange | None:
    """Precision at capacity of the current criteria and of ``spec`` on ``rows``.

    Parameters
    ----------
    rows : AuditRows
        The labelled rows of the scope.
    households : pandas.DataFrame
        Household rows (``household_id`` and the columns :func:`models.criteria.
        criteria_signals` reads) covering ``rows.household_id``.
    financial : pandas.DataFrame
        Their ``financial_delinquency`` signal rows.
    spec : CriteriaSpec
    capacity_current, capacity_scenario : float
        Share of households visited by each arm (0–1).
    n_boot : int
        Bootstrap replicates.

    Returns
    -------
    PrecisionChange or None
        ``None`` when the rows have no supported outcome (nothing to estimate).
    """
    if len(rows) == 0 or rows.y.sum() == 0:
        return None
    hh = households.set_index("household_id").loc[rows.household_id].reset_index()
    signals = criteria_signals(hh, financial, as_of=rows.cycle_date,
                               financial_cap_krw=spec.financial_cap_krw)
    scenario, _, _ = scenario_score(rows.probability, signals, spec)
    current, _, _ = scenario_score(rows.probability, signals, CriteriaSpec())
    W = bootstrap_weights(len(rows), n_boot=n_boot, seed=seed, strata=rows.strata)
    q_now = float(np.clip(capacity_current, 0.0, 1.0))
    q_new = float(np.clip(capacity_scenario, 0.0, 1.0))
    cmp = compare_at_capacity(rows.y, scenario, current, capacity_fraction=q_new, weights=W,
                              sample_weight=rows.sample_weight, capacity_fraction_b=q_now)
    sw = rows.sample_weight

    def n_eff(score: np.ndarray, q: float) -> float:
        return effective_rows(capacity_selection(score, capacity_fraction=q, sample_weight=sw) * sw)

    return PrecisionChange(
        current=cmp["precision_b"], current_lo=cmp["precision_b_lo"], current_hi=cmp["precision_b_hi"],
        scenario=cmp["precision_a"], scenario_lo=cmp["precision_a_lo"],
        scenario_hi=cmp["precision_a_hi"], difference=cmp["difference"],
        difference_lo=cmp["difference_lo"], difference_hi=cmp["difference_hi"], ratio=cmp["ratio"],
        ratio_lo=cmp["ratio_lo"], ratio_hi=cmp["ratio_hi"], rows=len(rows),
        effective_rows_current=n_eff(current, q_now), effective_rows_scenario=n_eff(scenario, q_new),
        capacity_current=q_now, capacity_scenario=q_new, n_boot=n_boot)
