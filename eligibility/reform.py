"""Reform comparison: current law and a reform side by side over the same households.

As in PolicyEngine, a reform is a set of parameter overrides (:class:`Reform`); comparing it
with current law gives, per household, who gains or loses a programme and how the monthly
cash amounts change, and in total the change in recipients and monthly cost by programme.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from eligibility.household import HouseholdFrame
from eligibility.parameters import ParameterSet, Reform, current_law
from eligibility.rules import PROGRAMME_LABELS, PROGRAMMES, Assessment, assess

__all__ = ["ReformComparison", "compare"]


@dataclass(frozen=True)
class ReformComparison:
    """Baseline and reform assessments of the same households on the same date."""

    reform: Reform
    date: dt.date
    baseline: Assessment
    reformed: Assessment

    def household_changes(self) -> pd.DataFrame:
        """One row per household: programmes gained and lost, change in monthly cash amount,
        and ``outcome`` (``gains`` / ``loses`` / ``mixed`` / ``unchanged``)."""
        gained = np.zeros(len(self.baseline.median), dtype=np.int64)
        lost = np.zeros_like(gained)
        for p in PROGRAMMES:
            before, after = self.baseline.eligible[p], self.reformed.eligible[p]
            gained += after & ~before
            lost += before & ~after
        amount_before = sum(self.baseline.monthly_amount.values())
        amount_after = sum(self.reformed.monthly_amount.values())
        delta = np.asarray(amount_after - amount_before, dtype=np.float64)
        better = (gained > 0) | (delta > 0)
        worse = (lost > 0) | (delta < 0)
        outcome = np.select([better & worse, better, worse], ["mixed", "gains", "loses"], "unchanged")
        return pd.DataFrame({"programmes_gained": gained, "programmes_lost": lost,
                             "amount_change_krw": delta, "outcome": outcome})

    def programme_summary(self) -> pd.DataFrame:
        """Per programme: recipients under each law, the change, and monthly cost (cash
        programmes only; NaN where the engine computes no amount)."""
        rows = []
        for p in PROGRAMMES:
            before = int(self.baseline.eligible[p].sum())
            after = int(self.reformed.eligible[p].sum())
            cost_b = self.baseline.monthly_amount.get(p)
            cost_a = self.reformed.monthly_amount.get(p)
            rows.append({
                "programme": p,
                "label_ko": PROGRAMME_LABELS[p][0],
                "label_en": PROGRAMME_LABELS[p][1],
                "recipients_current": before,
                "recipients_reform": after,
                "recipients_change": after - before,
                "monthly_cost_current_krw": float(cost_b.sum()) if cost_b is not None else np.nan,
                "monthly_cost_reform_krw": float(cost_a.sum()) if cost_a is not None else np.nan,
            })
        frame = pd.DataFrame(rows)
        frame["monthly_cost_change_krw"] = frame["monthly_cost_reform_krw"] - frame["monthly_cost_current_krw"]
        return frame


def compare(hh: HouseholdFrame, reform: Reform, when: dt.date,
            baseline: ParameterSet | None = None) -> ReformComparison:
    """Assess ``hh`` under ``baseline`` (default: current law) and under ``reform``.

    Raises
    ------
    ParameterDateError
        If a parameter has no value on ``when``.
    ParameterFileError
        If the reform overrides an unknown parameter.
    """
    base_set = baseline if baseline is not None else current_law()
    base_law = base_set.at(when)
    reform_law = base_set.with_reform(reform).at(when)
    return ReformComparison(reform, when, assess(base_law, hh), assess(reform_law, hh))
