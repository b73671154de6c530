"""Probability calibration on held-out validation data, with the method chosen by the data.

The base model is frozen (:class:`sklearn.frozen.FrozenEstimator`) and a sigmoid (Platt) or
isotonic map is fitted on validation rows weighted to represent the population (design weights
from :mod:`models.training`: the random audit sample, plus the legacy-rule stratum when the
audit sample is drawn from the households the rule did not select).

The method is chosen by ``n_splits``-fold cross-validated (weighted) Brier score *on the
validation predictions*: the base model scores the validation rows once, and each method is
fitted on the scores of ``k - 1`` folds and scored on the held-out fold (the same calibrators as
:class:`~sklearn.calibration.CalibratedClassifierCV`, applied to a pass-through of the precomputed
score, so no model is refitted and the base model predicts only once for the choice). The lower
mean Brier score wins (sigmoid on ties, being the smoother map). The chosen method is then fitted
on all validation rows as a ``CalibratedClassifierCV`` around the frozen base model.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import brier_score_loss
from sklearn.model_selection import StratifiedKFold

__all__ = ["CalibrationChoice", "calibrate", "raw_score"]

log = logging.getLogger(__name__)
METHODS = ("sigmoid", "isotonic")


@dataclass(frozen=True, slots=True)
class CalibrationChoice:
    """The calibrated model and how its method was chosen."""

    model: CalibratedClassifierCV
    method: str
    brier_by_method: dict[str, float]


class _ScorePassThrough(ClassifierMixin, BaseEstimator):
    """A "fitted" binary classifier whose decision function is column 0 of its input.

    Lets :class:`~sklearn.calibration.CalibratedClassifierCV` fit its calibrators on
    precomputed scores, exactly as it would around the real model.
    """

    def fit(self, X: np.ndarray, y: np.ndarray) -> _ScorePassThrough:
        """Record the classes (nothing to learn)."""
        self.classes_ = np.array([0, 1])
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """The score itself."""
        return np.asarray(X, dtype=np.float64)[:, 0]

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class 1 where the score is positive."""
        return (self.decision_function(X) > 0).astype(int)


def raw_score(model, X) -> np.ndarray:
    """The score a calibrator sees: ``decision_function`` if there is one, else P(y = 1)."""
    if hasattr(model, "decision_function"):
        return np.asarray(model.decision_function(X), dtype=np.float64)
    return np.asarray(model.predict_proba(X)[:, 1], dtype=np.float64)


def calibrate(
    base,
    X_val,
    y_val,
    *,
    method: str = "auto",
    seed: int = 0,
    sample_weight: np.ndarray | None = None,
    n_splits: int = 5,
    val_score: np.ndarray | None = None,
) -> CalibrationChoice:
    """Calibrate a fitted classifier on validation data.

    Parameters
    ----------
    base : fitted classifier
        Model with ``decision_function`` or ``predict_proba``; it is not refitted.
    X_val, y_val : array-like
        Validation rows and binary labels.
    method : {'auto', 'sigmoid', 'isotonic'}
        ``'auto'`` picks the method by cross-validated Brier score on the validation scores.
    seed : int
        Seed of the stratified folds.
    sample_weight : ndarray, optional
        Design weights, so the validation rows represent the population.
    n_splits : int
        Folds of the method choice (fewer when a class has fewer rows).
    val_score : ndarray, optional
        ``raw_score(base, X_val)`` if the caller already has it.

    Returns
    -------
    CalibrationChoice
    """
    y_val = np.asarray(y_val).astype(int)
    sw = np.ones(y_val.size) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    if method not in ("auto", *METHODS):
        raise ValueError(f"method must be 'auto', 'sigmoid' or 'isotonic', got {method!r}")
    if np.unique(y_val).size < 2:
        raise ValueError("validation labels have one class only; cannot calibrate")
    scores: dict[str, float] = {}
    chosen = method
    if method == "auto":
        k = min(n_splits, int(np.bincount(y_val).min()))
        if k >= 2:
            s = raw_score(base, X_val) if val_score is None else np.asarray(val_score, dtype=np.float64)
            S = s[:, None]
            folds = list(StratifiedKFold(k, shuffle=True, random_state=seed).split(S, y_val))
            passthrough = FrozenEstimator(_ScorePassThrough().fit(S, y_val))
            for m in METHODS:
                losses = []
                for fit_idx, eval_idx in folds:
                    cal = CalibratedClassifierCV(passthrough, method=m)
                    with _weights_only_for_calibration():
                        cal.fit(S[fit_idx], y_val[fit_idx], sample_weight=sw[fit_idx])
                    p = cal.predict_proba(S[eval_idx])[:, 1]
                    losses.append(brier_score_loss(y_val[eval_idx], p, sample_weight=sw[eval_idx]))
                scores[m] = float(np.mean(losses))
            chosen = min(METHODS, key=lambda m: (round(scores[m], 6), METHODS.index(m)))
        else:
            chosen = "sigmoid"
    with _weights_only_for_calibration():
        model = CalibratedClassifierCV(FrozenEstimator(base), method=chosen).fit(X_val, y_val, sample_weight=sw)
    log.info("calibration: %s (cross-validated Brier %s)", chosen, scores)
    return CalibrationChoice(model=model, method=chosen, brier_by_method=scores)


@contextmanager
def _weights_only_for_calibration() -> Iterator[None]:
    # The base model is frozen on purpose, so sample weights apply to the calibrator alone,
    # which is exactly what we want; scikit-learn warns about it regardless.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Since FrozenEstimator does not appear to accept sample_weight",
            category=UserWarning,
        )
        yield
