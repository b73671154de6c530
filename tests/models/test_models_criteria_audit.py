"""Precision at capacity of a criteria scenario on the model's audit test rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from models.criteria import CriteriaSpec, SignalCriterion
from models.criteria_audit import audit_rows, precision_change
from models.evaluation import bootstrap_weights, evaluate_scores


def _inputs(report: Any, world: dict[str, pd.DataFrame]):
    rows = audit_rows(report.evaluation, report.chosen)
    assert rows is not None and len(rows) > 50
    signals = world["crisis_signal"]
    financial = signals[signals["source"] == "financial_delinquency"]
    return rows, world["household"], financial


def test_empty_spec_changes_nothing_and_matches_the_design_weighted_estimate(
        report: Any, world: dict[str, pd.DataFrame]) -> None:
    rows, households, financial = _inputs(report, world)
    q = float(report.evaluation["capacity_fraction"])
    out = precision_change(rows, households, financial, CriteriaSpec(), capacity_current=q,
                           capacity_scenario=q, n_boot=200)
    assert out is not None
    assert out.difference == 0.0 and out.difference_lo == 0.0 and out.difference_hi == 0.0
    assert out.current == out.scenario
    W = bootstrap_weights(len(rows), n_boot=200, seed=0, strata=rows.strata)
    ref = evaluate_scores(rows.y, rows.probability, probability=None, capacity_fraction=q,
                          weights=W, sample_weight=rows.sample_weight).set_index("metric")
    assert out.current == pytest.approx(ref.loc["precision_at_capacity", "estimate"])
    assert out.current_lo == pytest.approx(ref.loc["precision_at_capacity", "lo"])
    assert 0 < out.effective_rows_current <= len(rows)


def test_scenario_gives_paired_intervals_around_its_estimates(
        report: Any, world: dict[str, pd.DataFrame]) -> None:
    rows, households, financial = _inputs(report, world)
    q = float(report.evaluation["capacity_fraction"])
    spec = CriteriaSpec((SignalCriterion("financial_delinquency", "boost", 2.0),
                         SignalCriterion("nonhousing", "include")), financial_cap_krw=20e6)
    out = precision_change(rows, households, financial, spec, capacity_current=q,
                           capacity_scenario=1.5 * q, n_boot=200)
    assert out is not None
    assert out.scenario_lo <= out.scenario <= out.scenario_hi
    assert out.difference_lo <= out.difference <= out.difference_hi
    assert out.difference == pytest.approx(out.scenario - out.current)
    assert out.capacity_scenario == pytest.approx(1.5 * q)
    assert np.isfinite(out.ratio_lo) and out.ratio_lo <= out.ratio_hi
    assert set(out.to_dict()) >= {"current", "scenario", "difference_lo", "rows", "n_boot"}


def test_no_positive_rows_gives_no_estimate(report: Any, world: dict[str, pd.DataFrame]) -> None:
    rows, households, financial = _inputs(report, world)
    none = rows.subset(rows.y == 0)
    assert precision_change(none, households, financial, CriteriaSpec(), capacity_current=0.01,
                            capacity_scenario=0.01) is None
    assert audit_rows({}, "hgb") is None
