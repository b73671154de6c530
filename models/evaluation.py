"""Evaluation metrics with vectorised bootstrap intervals.

Every metric is computed for a matrix of bootstrap weights ``W`` of shape ``(B, n)`` (how many
times each test row is drawn in each replicate) in one pass of array arithmetic; row 0 of the
internal matrix is all ones (the point estimate). Ties in the score are handled exactly by
working on blocks of equal scores: a tied block at the capacity cut is taken fractionally (the
expected result of a random tie-break), which matters for the legacy rule whose score is an
integer count.

Metrics
-------
``roc_auc``, ``pr_auc`` (average precision, step-wise like scikit-learn), ``precision_at_capacity``
and ``recall_at_capacity`` (the top ``capacity_fraction`` of rows are visited), ``brier``; per
group: selection rate, FPR and FNR of the visit decision at capacity, mean predicted probability,
observed rate and their ratio (calibration in the large).

Intervals are percentile intervals (2.5 %, 97.5 %) over ``n_boot`` replicates. Comparisons between
two models use the *same* replicates (paired bootstrap).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

__all__ = [
    "bootstrap_weights",
    "capacity_selection",
    "compare_at_capacity",
    "evaluate_scores",
    "group_metrics",
    "reliability",
]

_CHUNK = 64


def bootstrap_weights(
    n: int, *, n_boot: int = 500, seed: int = 0, strata: np.ndarray | None = None
) -> np.ndarray:
    """Multinomial bootstrap counts, shape ``(n_boot, n)``, as ``float32``.

    With ``strata`` (one label per row) rows are resampled within each stratum, so every
    replicate keeps the strata sizes (use with design weights of a stratified sample).

    Examples
    --------
    >>> bootstrap_weights(5, n_boot=3, seed=1).sum(axis=1).tolist()
    [5.0, 5.0, 5.0]
    """
    rng = np.random.default_rng(seed)
    out = np.zeros((n_boot, n), dtype=np.float32)
    labels = np.zeros(n, dtype=np.int64) if strata is None else pd.factorize(np.asarray(strata))[0]
    for s in np.unique(labels):
        members = np.flatnonzero(labels == s)
        m = members.size
        idx = rng.integers(0, m, size=(n_boot, m)) + (np.arange(n_boot) * m)[:, None]
        out[:, members] = np.bincount(idx.ravel(), minlength=n_boot * m).reshape(n_boot, m)
    return out


def _blocks(score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order (descending score, stable) and start index of each block of equal scores."""
    order = np.argsort(-np.asarray(score, dtype=np.float64), kind="stable")
    s = np.asarray(score)[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    return order, starts


def _ranking(y: np.ndarray, score: np.ndarray, W: np.ndarray, q: float) -> dict[str, np.ndarray]:
    order, starts = _blocks(score)
    ys = y[order].astype(np.float64)
    Ws = W[:, order].astype(np.float64)
    P_b = np.add.reduceat(Ws * ys, starts, axis=1)
    T_b = np.add.reduceat(Ws, starts, axis=1)
    N_b = T_b - P_b
    P, N, T = P_b.sum(1), N_b.sum(1), T_b.sum(1)
    cumP, cumN, cumT = P_b.cumsum(1), N_b.cumsum(1), T_b.cumsum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = (P_b * (N[:, None] - cumN + 0.5 * N_b)).sum(1) / (P * N)
        prec_b = np.where(cumT > 0, cumP / cumT, 0.0)
        ap = (P_b * prec_b).sum(1) / P
        cap = q * T
        frac = np.clip((cap[:, None] - (cumT - T_b)) / np.where(T_b > 0, T_b, 1.0), 0.0, 1.0)
        sel_pos = (frac * P_b).sum(1)
        taken = (frac * T_b).sum(1)
        p_at = sel_pos / taken
        r_at = sel_pos / P
    return {"roc_auc": auc, "pr_auc": ap, "precision_at_capacity": p_at, "recall_at_capacity": r_at}


def _chunked(fn: Callable[[np.ndarray], dict[str, np.ndarray]], W: np.ndarray) -> dict[str, np.ndarray]:
    parts = [fn(W[i : i + _CHUNK]) for i in range(0, W.shape[0], _CHUNK)]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _sw(sample_weight: np.ndarray | None, n: int) -> np.ndarray:
    if sample_weight is None:
        return np.ones(n, dtype=np.float64)
    sw = np.asarray(sample_weight, dtype=np.float64)
    if sw.shape != (n,) or (sw < 0).any():
        raise ValueError("sample_weight must be non-negative with one value per row")
    return sw


def _interval(rep: np.ndarray) -> tuple[float, float]:
    rep = rep[np.isfinite(rep)]
    if rep.size == 0:
        return (float("nan"), float("nan"))
    lo, hi = np.percentile(rep, [2.5, 97.5])
    return float(lo), float(hi)


def evaluate_scores(
    y: np.ndarray,
    score: np.ndarray,
    *,
    probability: np.ndarray | None,
    capacity_fraction: float,
    weights: np.ndarray,
    sample_weight: np.ndarray | None = None,
) -> pd.DataFrame:
    """Point estimates and bootstrap intervals of the headline metrics for one model.

    Parameters
    ----------
    y : ndarray of 0/1
        Outcomes (1 = supported).
    score : ndarray
        Ranking score (higher = visit first).
    probability : ndarray, optional
        Calibrated probabilities (for the Brier score); ``None`` skips it.
    capacity_fraction : float
        Share of rows that can be visited.
    weights : ndarray of shape (B, n)
        Bootstrap weights from :func:`bootstrap_weights`.
    sample_weight : ndarray, optional
        Design weights (inverse inclusion probabilities) so the rows represent the population.

    Returns
    -------
    DataFrame
        Columns ``metric, estimate, lo, hi``.
    """
    y = np.asarray(y).astype(np.float64)
    sw = _sw(sample_weight, y.size)
    point = _ranking(y, score, sw[None, :], capacity_fraction)
    reps = _chunked(lambda w: _ranking(y, score, w * sw[None, :], capacity_fraction), weights)
    if probability is not None:
        sq = (np.asarray(probability, dtype=np.float64) - y) ** 2
        point["brier"] = np.array([(sw * sq).sum() / sw.sum()])
        Ws = weights * sw[None, :]
        reps["brier"] = (Ws @ sq) / Ws.sum(1)
    rows = [
        {"metric": k, "estimate": float(point[k][0]), "lo": _interval(reps[k])[0], "hi": _interval(reps[k])[1]}
        for k in point
    ]
    return pd.DataFrame(rows)


def compare_at_capacity(
    y: np.ndarray,
    score_a: np.ndarray,
    score_b: np.ndarray,
    *,
    capacity_fraction: float,
    weights: np.ndarray,
    sample_weight: np.ndarray | None = None,
    capacity_fraction_b: float | None = None,
) -> dict[str, float]:
    """Precision at capacity of ``a`` and ``b`` and the ratio a/b, with paired intervals.

    ``b`` visits ``capacity_fraction_b`` of the rows when given (a scenario with another
    capacity), else the same ``capacity_fraction`` as ``a``.
    """
    y = np.asarray(y).astype(np.float64)
    sw = _sw(sample_weight, y.size)
    key = "precision_at_capacity"
    qa = capacity_fraction
    qb = capacity_fraction if capacity_fraction_b is None else capacity_fraction_b
    pa = _ranking(y, score_a, sw[None, :], qa)[key][0]
    pb = _ranking(y, score_b, sw[None, :], qb)[key][0]
    ra = _chunked(lambda w: _ranking(y, score_a, w * sw[None, :], qa), weights)[key]
    rb = _chunked(lambda w: _ranking(y, score_b, w * sw[None, :], qb), weights)[key]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = ra / rb
        diff = ra - rb
    return {
        "precision_a": float(pa),
        "precision_a_lo": _interval(ra)[0],
        "precision_a_hi": _interval(ra)[1],
        "precision_b": float(pb),
        "precision_b_lo": _interval(rb)[0],
        "precision_b_hi": _interval(rb)[1],
        "ratio": float(pa / pb) if pb > 0 else float("inf"),
        "ratio_lo": _interval(ratio)[0],
        "ratio_hi": _interval(ratio)[1],
        "difference": float(pa - pb),
        "difference_lo": _interval(diff)[0],
        "difference_hi": _interval(diff)[1],
    }


def capacity_selection(
    score: np.ndarray, *, capacity_fraction: float, sample_weight: np.ndarray | None = None
) -> np.ndarray:
    """Share of each row visited when the top ``capacity_fraction`` (of the total weight) are.

    Ties are shared fractionally.
    """
    order, starts = _blocks(score)
    sw = _sw(sample_weight, order.size)[order]
    sizes = np.diff(np.r_[starts, order.size])
    block_w = np.add.reduceat(sw, starts)
    before = np.r_[0.0, np.cumsum(block_w)[:-1]]
    frac_b = np.clip((capacity_fraction * sw.sum() - before) / np.where(block_w > 0, block_w, 1.0), 0.0, 1.0)
    sel = np.empty(order.size)
    sel[order] = np.repeat(frac_b, sizes)
    return sel


def group_metrics(
    y: np.ndarray,
    score: np.ndarray,
    probability: np.ndarray,
    groups: Mapping[str, np.ndarray],
    *,
    capacity_fraction: float,
    weights: np.ndarray,
    sample_weight: np.ndarray | None = None,
) -> pd.DataFrame:
    """Fairness table by group, with intervals: who gets the visits, and who has the need.

    The decision is "visit" for the top ``capacity_fraction`` of the whole test set. Error rates
    of that decision (FPR/FNR) are not reported: at a capacity of ~1% they are fixed by capacity
    and prevalence (an oracle's FNR is near 0.95 too) and cannot show unfairness. Instead: each
    group's share of the visits against its share of the need (``visits_over_need`` below 0.8
    is flagged in the model card), precision among its visited rows, recall of its need and
    calibration in the large (``observed_over_expected``).

    Parameters
    ----------
    groups : mapping of factor name to array of group labels (one per row)
        E.g. ``{"urban_class": ..., "sido": ..., "household_type": ...}``.

    Returns
    -------
    DataFrame
        One row per (factor, group, metric) with ``n, estimate, lo, hi``; metrics
        ``selection_rate, share_of_visits, share_of_need, visits_over_need, precision, recall,
        mean_probability, observed_rate, observed_over_expected``.
    """
    y = np.asarray(y).astype(np.float64)
    p = np.asarray(probability, dtype=np.float64)
    sw = _sw(sample_weight, y.size)
    sel = capacity_selection(score, capacity_fraction=capacity_fraction, sample_weight=sw)
    W = np.vstack([np.ones((1, y.size)), weights]).astype(np.float64) * sw[None, :]
    rows = []
    for factor, labels in groups.items():
        codes_, uniques = pd.factorize(pd.Series(labels).astype("string").fillna("(없음)"), sort=True)
        M = np.zeros((y.size, uniques.size))
        M[np.arange(y.size), codes_] = 1.0
        tot = W @ M
        pos = W @ (M * y[:, None])
        visits = W @ (M * sel[:, None])
        found = W @ (M * (sel * y)[:, None])
        with np.errstate(divide="ignore", invalid="ignore"):
            metrics = {
                "selection_rate": visits / tot,
                "share_of_visits": visits / (W @ sel)[:, None],
                "share_of_need": pos / (W @ y)[:, None],
                "precision": found / visits,
                "recall": found / pos,
                "mean_probability": (W @ (M * p[:, None])) / tot,
                "observed_rate": pos / tot,
            }
            metrics["visits_over_need"] = metrics["share_of_visits"] / metrics["share_of_need"]
            metrics["observed_over_expected"] = metrics["observed_rate"] / metrics["mean_probability"]
        n_g = np.bincount(codes_, minlength=uniques.size)
        for j, g in enumerate(uniques):
            for name, arr in metrics.items():
                lo, hi = _interval(arr[1:, j])
                rows.append(
                    {"factor": factor, "group": str(g), "n": int(n_g[j]), "positives": int(pos[0, j]),
                     "metric": name, "estimate": float(arr[0, j]), "lo": lo, "hi": hi}
                )  # fmt: skip
    return pd.DataFrame(rows)


def reliability(
    y: np.ndarray, probability: np.ndarray, *, n_bins: int = 10, sample_weight: np.ndarray | None = None
) -> pd.DataFrame:
    """Calibration curve: weighted mean predicted vs observed rate in quantile bins of the rows."""
    y = np.asarray(y).astype(np.float64)
    p = np.asarray(probability, dtype=np.float64)
    sw = _sw(sample_weight, y.size)
    order = np.argsort(p, kind="stable")
    bins = np.minimum((np.arange(y.size) * n_bins) // max(y.size, 1), n_bins - 1)
    b = np.empty(y.size, dtype=np.int64)
    b[order] = bins
    tot = np.bincount(b, weights=sw, minlength=n_bins)
    keep = tot > 0
    pred = np.bincount(b, weights=sw * p, minlength=n_bins)[keep] / tot[keep]
    obs = np.bincount(b, weights=sw * y, minlength=n_bins)[keep] / tot[keep]
    return pd.DataFrame({"mean_predicted": pred, "observed": obs, "weight": tot[keep]})
