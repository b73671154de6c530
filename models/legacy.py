"""The legacy rule (the as-is system) as a scikit-learn classifier.

The current blind-spot system flags a household when at least ``k`` *economic* crisis signals
(arrears, cut-offs, delinquency — :data:`geodata.vocabulary.CRISIS_SOURCES` with
``economic=True``) are present; it uses no other variable. :class:`LegacyRuleClassifier` counts the
columns of ``X`` above ``threshold`` (``X`` holds one column per economic source, e.g. the months
with a signal in the last 3 — :func:`models.features.legacy_feature_names`), predicts the positive
class when the count is at least ``k``, and — so that it can be compared on calibration and
Brier score — estimates ``P(y=1 | count)`` from the training data with add-one smoothing,
made non-decreasing in the count. ``decision_function`` is the count itself (ties included, as in
the real system).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

__all__ = ["LegacyRuleClassifier"]


class LegacyRuleClassifier(ClassifierMixin, BaseEstimator):
    """Flag a household when at least ``k`` economic crisis signals are present.

    Parameters
    ----------
    k : int, default=2
        Minimum number of signalling columns for a positive prediction.
    threshold : float, default=0.0
        A column "signals" when its value is strictly greater than ``threshold``.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two class labels seen in ``fit``.
    n_features_in_ : int
        Number of columns counted.
    rate_by_count_ : ndarray of shape (n_features_in_ + 1,)
        Smoothed, non-decreasing ``P(y = classes_[1] | count)``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0, 0, 1], [1, 1, 0], [2, 1, 3], [0, 0, 0]])
    >>> y = np.array([0, 1, 1, 0])
    >>> LegacyRuleClassifier(k=2).fit(X, y).predict(X).tolist()
    [0, 1, 1, 0]
    """

    def __init__(self, k: int = 2, threshold: float = 0.0) -> None:
        self.k = k
        self.threshold = threshold

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    def _count(self, X: np.ndarray) -> np.ndarray:
        return (self.threshold < X).sum(axis=1)

    def fit(self, X, y, sample_weight=None):
        """Learn the classes and the observed positive rate per count.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            One column per economic crisis source.
        y : array-like of shape (n_samples,)
            Binary labels.
        sample_weight : array-like of shape (n_samples,), optional
            Weights for the rate estimate.

        Returns
        -------
        self : LegacyRuleClassifier
        """
        if not isinstance(self.k, int | np.integer) or self.k < 0:
            raise ValueError(f"k must be a non-negative integer, got {self.k!r}")
        X, y = validate_data(self, X, y, dtype=np.float64)
        target = type_of_target(y, input_name="y", raise_unknown=True)
        classes, y_idx = np.unique(y, return_inverse=True)
        if classes.size < 2:
            raise ValueError(f"y has 1 class ({classes[0]!r}); the rule needs both classes to fit")
        if target != "binary":
            raise ValueError(
                f"Only binary classification is supported. The type of the target is {target}."
            )
        self.classes_ = classes
        w = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
        if w.sum() <= 0:
            raise ValueError("sample_weight sums to zero; give at least one sample a positive weight")
        count = self._count(X)
        m = self.n_features_in_ + 1
        pos = np.bincount(count, weights=w * y_idx, minlength=m)
        tot = np.bincount(count, weights=w, minlength=m)
        prior = pos.sum() / max(tot.sum(), 1e-12)
        rate = (pos + prior) / (tot + 1.0)
        self.rate_by_count_ = np.maximum.accumulate(rate)
        return self

    def decision_function(self, X):
        """The number of signalling columns minus ``k - 0.5`` (positive means flagged)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return self._count(X) - (self.k - 0.5)

    def predict(self, X):
        """``classes_[1]`` where at least ``k`` columns signal, else ``classes_[0]``."""
        flagged = self.decision_function(X) > 0
        return self.classes_[flagged.astype(int)]

    def predict_proba(self, X):
        """Observed (smoothed) positive rate for the row's signal count."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        p = self.rate_by_count_[self._count(X)]
        return np.column_stack([1.0 - p, p])
