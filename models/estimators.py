"""The learned models: a logistic scorecard and monotone gradient boosting.

Both are plain scikit-learn estimators built by small factories, so their parameters are visible
and they clone, pickle and check like any other estimator.

* :func:`make_scorecard` — ``MedianImputer`` + ``StandardScaler`` + L2 ``LogisticRegression``. Missing
  regional values are imputed with the training median. Contributions to the log-odds are exact
  (coefficient × standardised deviation), which :mod:`models.reasons` uses.
* :func:`make_boosting` — ``HistGradientBoostingClassifier`` with ``monotonic_cst`` taken from
  :class:`models.features.FeatureSpec.monotone` (more months of arrears can only raise the risk;
  more months since the latest signal can only lower it; directions unknown are left free).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from models.features import FeatureSpec

__all__ = ["ABLATION_BOOSTING", "MODEL_KINDS", "MedianImputer", "make_boosting", "make_estimator", "make_scorecard"]

MODEL_KINDS = ("logit", "hgb")

#: Cheaper gradient-boosting settings of the (optional) family ablation: every variant, and the
#: "all families" reference it is compared with, is fitted with these (stated in the model card).
ABLATION_BOOSTING: dict[str, Any] = {"max_iter": 60, "learning_rate": 0.25, "max_bins": 31}


class MedianImputer(TransformerMixin, BaseEstimator):
    """Replace NaN by the column's training median (0 for a column that is all NaN).

    Same result as ``SimpleImputer(strategy="median", keep_empty_features=True)``, computed with
    ``np.nanmedian``: about 10× less CPU on 350k × 160 rows (the masked-array median took ~13 s).
    """

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> MedianImputer:
        """Learn the column medians (``statistics_``)."""
        X = np.asarray(X, dtype=np.float64)
        self.n_features_in_ = X.shape[1]
        has = ~np.isnan(X).all(axis=0)
        stats = np.zeros(X.shape[1])
        if has.any():
            stats[has] = np.nanmedian(X[:, has], axis=0) if np.isnan(X).any() else np.median(X[:, has], axis=0)
        self.statistics_ = stats
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """``X`` with NaN replaced by the medians (a float64 copy)."""
        X = np.array(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"expected {self.n_features_in_} columns, got shape {X.shape}")
        bad = np.isnan(X)
        if bad.any():
            X[bad] = np.broadcast_to(self.statistics_, X.shape)[bad]
        return X


def make_scorecard(*, C: float = 0.5, max_iter: int = 500) -> Pipeline:
    """Standardised L2 logistic regression (the scorecard).

    Parameters
    ----------
    C : float
        Inverse L2 penalty strength.
    max_iter : int
        Solver iterations.
    """
    return Pipeline(
        [
            ("impute", MedianImputer()),
            ("scale", StandardScaler()),
            ("logit", LogisticRegression(C=C, max_iter=max_iter)),
        ]
    )


def make_boosting(
    specs: Sequence[FeatureSpec],
    *,
    seed: int = 0,
    max_iter: int = 120,
    learning_rate: float = 0.2,
    max_leaf_nodes: int = 15,
    min_samples_leaf: int = 40,
    l2_regularization: float = 1.0,
    max_bins: int = 63,
    n_iter_no_change: int = 10,
    monotone: bool = True,
) -> HistGradientBoostingClassifier:
    """Gradient boosting with monotonic constraints where the direction is known.

    Parameters
    ----------
    specs : sequence of FeatureSpec
        The feature specs in column order (their ``monotone`` gives the constraints).
    seed : int
        ``random_state`` (early-stopping split).
    max_iter, learning_rate, max_leaf_nodes, min_samples_leaf, l2_regularization, max_bins
        Passed to :class:`~sklearn.ensemble.HistGradientBoostingClassifier`.
    n_iter_no_change : int
        Early-stopping patience. Early stopping is always on: training passes the validation
        cycle as ``X_val`` (design-weighted); fitted without it, 15 % of the rows are held out.
    monotone : bool
        Apply the constraints (switch off to compare).
    """
    cst = [s.monotone for s in specs] if monotone else None
    return HistGradientBoostingClassifier(
        learning_rate=learning_rate,
        max_iter=max_iter,
        max_leaf_nodes=max_leaf_nodes,
        min_samples_leaf=min_samples_leaf,
        l2_regularization=l2_regularization,
        max_bins=max_bins,
        monotonic_cst=cst,
        early_stopping=True,
        validation_fraction=0.15,
        n_iter_no_change=n_iter_no_change,
        random_state=seed,
    )


def make_estimator(kind: str, specs: Sequence[FeatureSpec], *, seed: int = 0, **params: Any):
    """Build an unfitted estimator of ``kind`` (``'logit'`` or ``'hgb'``).

    ``params`` go to the factory (:func:`make_scorecard` or :func:`make_boosting`).
    """
    if kind == "logit":
        return make_scorecard(**params)
    if kind == "hgb":
        return make_boosting(specs, seed=seed, **params)
    raise ValueError(f"unknown model kind {kind!r}; choose one of {MODEL_KINDS}")
