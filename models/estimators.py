"""The learned models: a logistic scorecard and monotone gradient boosting.

Both are plain scikit-learn estimators built by small factories, so their parameters are visible
and they clone, pickle and check like any other estimator.

* :func:`make_scorecard` — ``StandardScaler`` + L2-penalised ``LogisticRegression``. Missing
  regional values are imputed with the training median. Contributions to the log-odds are exact
  (coefficient × standardised deviation), which :mod:`models.reasons` uses.
* :func:`make_boosting` — ``HistGradientBoostingClassifier`` with ``monotonic_cst`` taken from
  :class:`models.features.FeatureSpec.monotone` (more months of arrears can only raise the risk;
  more months since the latest signal can only lower it; directions unknown are left free).
"""

from __future__ import annotations

from collections.abc import Sequence

from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from models.features import FeatureSpec

__all__ = ["MODEL_KINDS", "make_boosting", "make_estimator", "make_scorecard"]

MODEL_KINDS = ("logit", "hgb")


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
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
            ("logit", LogisticRegression(C=C, max_iter=max_iter)),
        ]
    )


def make_boosting(
    specs: Sequence[FeatureSpec],
    *,
    seed: int = 0,
    max_iter: int = 200,
    learning_rate: float = 0.06,
    max_leaf_nodes: int = 15,
    min_samples_leaf: int = 40,
    l2_regularization: float = 1.0,
    monotone: bool = True,
) -> HistGradientBoostingClassifier:
    """Gradient boosting with monotonic constraints where the direction is known.

    Parameters
    ----------
    specs : sequence of FeatureSpec
        The feature specs in column order (their ``monotone`` gives the constraints).
    seed : int
        ``random_state`` (early-stopping split).
    max_iter, learning_rate, max_leaf_nodes, min_samples_leaf, l2_regularization
        Passed to :class:`~sklearn.ensemble.HistGradientBoostingClassifier`.
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
        monotonic_cst=cst,
        early_stopping=True,
        validation_fraction=0.15,
        n_iter_no_change=20,
        random_state=seed,
    )


def make_estimator(kind: str, specs: Sequence[FeatureSpec], *, seed: int = 0):
    """Build an unfitted estimator of ``kind`` (``'logit'`` or ``'hgb'``)."""
    if kind == "logit":
        return make_scorecard()
    if kind == "hgb":
        return make_boosting(specs, seed=seed)
    raise ValueError(f"unknown model kind {kind!r}; choose one of {MODEL_KINDS}")
