"""Legacy-rule estimator conventions and the vectorised bootstrap metrics."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from models.evaluation import (
    bootstrap_weights,
    capacity_selection,
    compare_at_capacity,
    evaluate_scores,
    group_metrics,
    reliability,
)
from models.legacy import LegacyRuleClassifier

EXPECTED_FAILURES = {
    "check_classifiers_train": (
        "a fixed rule (count of columns above a threshold) is not learned from X, so it cannot "
        "reach the accuracy the check demands on arbitrary blob data"
    ),
}


@parametrize_with_checks(
    [LegacyRuleClassifier(), LegacyRuleClassifier(k=1, threshold=0.5)],
    expected_failed_checks=lambda est: EXPECTED_FAILURES,
)
def test_legacy_rule_follows_sklearn_conventions(estimator, check) -> None:
    check(estimator)


def test_legacy_rule_counts_signals() -> None:
    X = np.array([[0, 0, 0], [1, 0, 0], [2, 1, 0], [1, 1, 1]])
    y = np.array([0, 0, 1, 1])
    rule = LegacyRuleClassifier(k=2).fit(X, y)
    assert rule.predict(X).tolist() == [0, 0, 1, 1]
    assert rule.decision_function(X).tolist() == [-1.5, -0.5, 0.5, 1.5]
    p = rule.predict_proba(X)[:, 1]
    assert np.all(np.diff(p) >= 0)  # non-decreasing in the count
    assert rule.rate_by_count_.shape == (4,)


@pytest.mark.parametrize("ties", [False, True])
def test_auc_and_ap_match_sklearn(ties: bool) -> None:
    rng = np.random.default_rng(0)
    y = rng.random(400) < 0.3
    score = y + rng.normal(0, 1.0, 400)
    if ties:
        score = np.round(score)
    m = evaluate_scores(y, score, probability=None, capacity_fraction=0.1,
                        weights=bootstrap_weights(400, n_boot=50))  # fmt: skip
    est = m.set_index("metric")["estimate"]
    assert est["roc_auc"] == pytest.approx(roc_auc_score(y, score))
    assert est["pr_auc"] == pytest.approx(average_precision_score(y, score))
    row = m.set_index("metric").loc["roc_auc"]
    assert row.lo <= row.estimate <= row.hi


def test_precision_at_capacity_shares_ties() -> None:
    y = np.array([1, 0, 1, 0, 0, 0])
    score = np.array([5, 3, 3, 3, 1, 0])  # capacity 3: one sure, then 2 of the 3 tied
    m = evaluate_scores(y, score, probability=None, capacity_fraction=0.5,
                        weights=bootstrap_weights(6, n_boot=5)).set_index("metric")  # fmt: skip
    assert m.loc["precision_at_capacity", "estimate"] == pytest.approx((1 + 2 * (1 / 3)) / 3)
    sel = capacity_selection(score, capacity_fraction=0.5)
    assert sel.tolist() == pytest.approx([1, 2 / 3, 2 / 3, 2 / 3, 0, 0])


def test_sample_weights_equal_replicated_rows() -> None:
    y = np.array([1, 0, 1, 0])
    s = np.array([0.9, 0.8, 0.4, 0.1])
    w = np.array([1.0, 2.0, 1.0, 3.0])
    rep = np.repeat(np.arange(4), w.astype(int))
    a = evaluate_scores(y, s, probability=s, capacity_fraction=0.3, weights=bootstrap_weights(4, n_boot=3),
                        sample_weight=w).set_index("metric")["estimate"]  # fmt: skip
    b = evaluate_scores(y[rep], s[rep], probability=s[rep], capacity_fraction=0.3,
                        weights=bootstrap_weights(rep.size, n_boot=3)).set_index("metric")["estimate"]  # fmt: skip
    pd_equal = np.allclose(a.to_numpy(), b.to_numpy())
    assert pd_equal


def test_bootstrap_weights_keep_strata_sizes() -> None:
    strata = np.array(["a"] * 5 + ["b"] * 3)
    W = bootstrap_weights(8, n_boot=20, seed=1, strata=strata)
    assert np.all(W[:, :5].sum(1) == 5) and np.all(W[:, 5:].sum(1) == 3)


def test_compare_group_metrics_and_reliability() -> None:
    rng = np.random.default_rng(2)
    n = 600
    y = (rng.random(n) < 0.2).astype(int)
    good = y + rng.normal(0, 0.5, n)
    bad = rng.normal(0, 1, n)
    W = bootstrap_weights(n, n_boot=100, seed=3)
    cmp_ = compare_at_capacity(y, good, bad, capacity_fraction=0.1, weights=W)
    assert cmp_["precision_a"] > cmp_["precision_b"]
    assert cmp_["ratio_lo"] <= cmp_["ratio"] <= cmp_["ratio_hi"]
    groups = {"urban_class": rng.choice(["대도시", "농어촌"], n)}
    prob = np.clip(0.2 + 0.3 * good, 0.01, 0.99)
    fm = group_metrics(y, good, prob, groups, capacity_fraction=0.1, weights=W)
    assert set(fm["metric"]) >= {"share_of_visits", "share_of_need", "visits_over_need", "precision", "recall", "observed_over_expected"}
    assert not {"fpr", "fnr"} & set(fm["metric"])
    assert set(fm["group"]) == {"대도시", "농어촌"}
    rel = reliability(y, prob, n_bins=5)
    assert len(rel) == 5 and rel["weight"].sum() == n
