"""Probability calibration on held-out validation data, with the method chosen by the data.

The base model is frozen (:class:`sklearn.frozen.FrozenEstimator`) and a sigmoid (Platt) or
isotonic map is fitted on validation rows weighted to represent the population (design weights
from :mod:`models.training`: the random audit sample, plus the legacy-rule stratum when the
audit sample is drawn from the households the rule did not select). The method is chosen by a 2-fold cross-fit inside the
validation rows: each method is fitted on one half and its Brier score measured on the other;
the lower mean Brier score wins (sigmoid on ties, being the smoother map). The chosen method is
then refitted on all validation rows.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import brier_score_loss
from sklearn.model_selection import StratifiedKFold

__all__ = ["CalibrationChoice", "calibrate"]

log = logging.getLogger(__name__)
METHODS = ("sigmoid", "isotonic")


@dataclass(frozen=True, slots=True)
class CalibrationChoice:
    """The calibrated model and how its method was chosen."""

    model: CalibratedClassifierCV
    method: str
    brier_by_method: dict[str, float]


def calibrate(
    base,
    X_val,
    y_val,
    *,
    method: str = "auto",
    seed: int = 0,
    sample_weight: np.ndarray | None = None,
) -> CalibrationChoice:
    """Calibrate a fitted classifier on validation data.

    Parameters
    ----------
    base : fitted classifier
        Model with ``predict_proba``; it is not refitted.
    X_val, y_val : array-like
        Validation rows (audit sample) and binary labels.
    method : {'auto', 'sigmoid', 'isotonic'}
        ``'auto'`` picks the method by cross-fitted Brier score.
    seed : int
        Seed of the 2-fold split.
    sample_weight : ndarray, optional
        Design weights, so the validation rows represent the population.

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
    if method == "auto":
        n_splits = 2 if min(np.bincount(y_val)) >= 2 else 0
        if n_splits:
            folds = list(StratifiedKFold(2, shuffle=True, random_state=seed).split(X_val, y_val))
            for m in METHODS:
                losses = []
                for fit_idx, eval_idx in folds:
                    cal = CalibratedClassifierCV(FrozenEstimator(base), method=m)
                    with _weights_only_for_calibration():
                        cal.fit(_rows(X_val, fit_idx), y_val[fit_idx], sample_weight=sw[fit_idx])
                    p = cal.predict_proba(_rows(X_val, eval_idx))[:, 1]
                    losses.append(brier_score_loss(y_val[eval_idx], p, sample_weight=sw[eval_idx]))
                scores[m] = float(np.mean(losses))
            chosen = min(METHODS, key=lambda m: (round(scores[m], 6), METHODS.index(m)))
        else:
            chosen = "sigmoid"
    else:
        chosen = method
    with _weights_only_for_calibration():
        model = CalibratedClassifierCV(FrozenEstimator(base), method=chosen).fit(X_val, y_val, sample_weight=sw)
    log.info("calibration: %s (cross-fitted Brier %s)", chosen, scores)
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


def _rows(X, idx):
    return X.iloc[idx] if hasattr(X, "iloc") else X[idx]
