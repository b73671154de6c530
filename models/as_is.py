"""The as-is system as a baseline: XGBoost on the household crisis-signal indicators only.

Korea's 복지사각지대 발굴관리시스템 ranks people with XGBoost trained on past service outcomes
(medicalworldnews.co.kr idx=1510932703), reading the crisis indicators that ~20 agencies send
(arrears, cut-offs, delinquency, medical cost, job loss; 45–47 indicators). Its synthetic
counterpart here is :class:`AsIsBoosting` fitted on the ``sig:*`` feature groups of
:mod:`models.features` (the crisis-signal family), on the same training rows, early-stopped on
the same validation cycle and calibrated the same way as our models. It is not the count rule
(:mod:`models.legacy`), which stays as a second, simpler baseline.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from models.features import FeatureSpec

__all__ = ["AS_IS", "AsIsBoosting", "as_is_columns"]

AS_IS = "as_is_xgb"


def as_is_columns(specs: Sequence[FeatureSpec]) -> list[int]:
    """Positions of the crisis-signal indicator features (groups ``sig:*``) among ``specs``."""
    return [i for i, s in enumerate(specs) if s.group.startswith("sig:")]


class AsIsBoosting(ClassifierMixin, BaseEstimator):
    """XGBoost (``hist`` trees) with early stopping on a weighted validation set.

    Parameters
    ----------
    n_estimators, learning_rate, max_depth, min_child_weight, subsample, reg_lambda
        Passed to :class:`xgboost.XGBClassifier`.
    early_stopping_rounds : int
        Patience on the validation log-loss (when ``X_val`` is given to :meth:`fit`).
    n_jobs : int
        Threads.
    random_state : int
        Seed.
    """

    def __init__(
        self,
        n_estimators: int = 300,
        learning_rate: float = 0.1,
        max_depth: int = 4,
        min_child_weight: float = 5.0,
        subsample: float = 0.9,
        reg_lambda: float = 1.0,
        early_stopping_rounds: int = 20,
        n_jobs: int = 1,
        random_state: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_child_weight = min_child_weight
        self.subsample = subsample
        self.reg_lambda = reg_lambda
        self.early_stopping_rounds = early_stopping_rounds
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        X_val: np.ndarray | None = None,
        y_val: np.ndarray | None = None,
        sample_weight_val: np.ndarray | None = None,
    ) -> AsIsBoosting:
        """Fit on ``X, y``; early-stop on ``X_val, y_val`` (weighted) when given."""
        from xgboost import XGBClassifier

        has_val = X_val is not None and y_val is not None
        model = XGBClassifier(
            n_estimators=self.n_estimators, learning_rate=self.learning_rate,
            max_depth=self.max_depth, min_child_weight=self.min_child_weight,
            subsample=self.subsample, reg_lambda=self.reg_lambda, tree_method="hist",
            objective="binary:logistic", eval_metric="logloss", n_jobs=self.n_jobs,
            random_state=self.random_state,
            early_stopping_rounds=self.early_stopping_rounds if has_val else None,
        )  # fmt: skip
        if has_val:
            weights = None if sample_weight_val is None else [np.asarray(sample_weight_val)]
            model.fit(X, y, eval_set=[(X_val, y_val)], sample_weight_eval_set=weights, verbose=False)
        else:
            model.fit(X, y, verbose=False)
        self.model_ = model
        self.classes_ = model.classes_
        self.n_features_in_ = X.shape[1]
        best = getattr(model, "best_iteration", None)
        self.n_iter_ = int(best) + 1 if best is not None else self.n_estimators
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Log-odds margin of the boosted trees (up to the best iteration)."""
        return np.asarray(self.model_.predict(X, output_margin=True), dtype=np.float64)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Uncalibrated class probabilities, shape ``(n, 2)``."""
        p = 1 / (1 + np.exp(-self.decision_function(X)))
        return np.column_stack([1 - p, p])

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class at probability 0.5."""
        return self.classes_[(self.decision_function(X) > 0).astype(int)]
