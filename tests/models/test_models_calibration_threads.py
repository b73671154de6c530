"""Calibration chosen on validation scores, the thread heuristic, the imputer, the card's ablation note."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from models.calibration import calibrate, raw_score
from models.card import _ablation_note
from models.parallel import auto_threads


def _data(step: bool, n: int = 4_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 1))
    p = np.where(x[:, 0] > 0.5, 0.8, 0.1) if step else 1 / (1 + np.exp(-2 * x[:, 0]))
    return x, (rng.random(n) < p).astype(int)


@pytest.mark.parametrize(("step", "expected"), [(True, "isotonic"), (False, "sigmoid")])
def test_calibration_method_is_chosen_on_validation_scores(step: bool, expected: str) -> None:
    X, y = _data(step)
    base = LogisticRegression().fit(X, y)
    Xv, yv = _data(step, n=1_500, seed=1)  # small enough for isotonic to overfit a true sigmoid
    choice = calibrate(base, Xv, yv, seed=0)
    assert choice.method == expected
    assert set(choice.brier_by_method) == {"sigmoid", "isotonic"}
    # precomputed scores give the same choice and the model wraps the real (frozen) base
    again = calibrate(base, Xv, yv, seed=0, val_score=raw_score(base, Xv))
    assert again.brier_by_method == choice.brier_by_method
    p = choice.model.predict_proba(Xv)[:, 1]
    assert p.min() >= 0 and p.max() <= 1 and p.shape == (yv.size,)
    weighted = calibrate(base, Xv, yv, seed=0, sample_weight=np.where(yv == 1, 2.0, 1.0))
    assert weighted.brier_by_method != choice.brier_by_method


def test_auto_threads_leaves_busy_cores_alone() -> None:
    assert auto_threads(cpus=2, load=0.3) == 2
    assert auto_threads(cpus=2, load=0.9) == 2  # the caller itself
    assert auto_threads(cpus=2, load=1.4) == 1
    assert auto_threads(cpus=2, load=7.0) == 1
    assert auto_threads(cpus=8, load=3.0) == 6
    assert 1 <= auto_threads() <= 64


def test_card_states_whether_and_how_the_ablation_was_computed() -> None:
    assert "Not computed" in _ablation_note({"ablation": [], "ablation_info": {"computed": False}})
    note = _ablation_note({"ablation_info": {"computed": True, "model": "hgb", "n_boot": 200,
                                             "settings": {"max_iter": 80}}})  # fmt: skip
    assert "cheaper settings" in note and "max_iter" in note and "200" in note


def test_median_imputer_matches_simple_imputer() -> None:
    from sklearn.impute import SimpleImputer

    from models.estimators import MedianImputer

    rng = np.random.default_rng(0)
    X = rng.normal(size=(501, 6))
    X[rng.random(X.shape) < 0.2] = np.nan
    X[:, 3] = np.nan  # an empty column becomes 0, as with keep_empty_features=True
    ref = SimpleImputer(strategy="median", keep_empty_features=True).fit(X)
    ours = MedianImputer().fit(X)
    np.testing.assert_allclose(ours.statistics_, ref.statistics_)
    np.testing.assert_allclose(ours.transform(X), ref.transform(X))
    with pytest.raises(ValueError, match="columns"):
        ours.transform(X[:, :2])
