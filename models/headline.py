"""The headline evaluation: precision at capacity among *hidden* households.

A hidden household is one the safety net does not already see: at the cycle it is evaluated
in, it receives no benefit and was neither supported nor visited in the previous 12 months
(:func:`hidden_mask`). Finding an already-helped household is no discovery, so the headline
ranks the hidden test rows alone: each model visits the top ``capacity_fraction`` of the hidden
rows (design-weighted), and we report the share supported among them (precision), the share of
all hidden need they reach (recall), paired-bootstrap ratios against the as-is XGBoost and the
count rule, and the effective number of audit rows behind each estimate (Kish), because a
design-weighted estimate resting on a handful of heavily weighted rows is not worth much.

Calibration by tier: tier 1 is the top quarter of capacity, tier 2 the rest of capacity (the
cuts of :mod:`models.tiers`); each tier's observed rate and mean predicted probability.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from models.evaluation import _interval, _ranking, capacity_selection

__all__ = ["effective_rows", "headline_table", "hidden_mask", "tier_calibration"]

HIDDEN_MONTHS = 12


def hidden_mask(
    tables: Mapping[str, pd.DataFrame], household_id: np.ndarray, cycle_date: np.ndarray,
    *, months: int = HIDDEN_MONTHS,
) -> np.ndarray:  # fmt: skip
    """True where the household is hidden at ``cycle_date``.

    Hidden: no benefit active on the cycle date, and no support and no discovery visit in the
    ``months`` before it (the visit of the cycle itself does not count).

    Parameters
    ----------
    tables
        ``benefit_history``, ``support`` and ``discovery_history`` frames.
    household_id, cycle_date
        One pair per row to classify.
    """
    rows = pd.DataFrame({"household_id": np.asarray(household_id),
                         "at": pd.to_datetime(np.asarray(cycle_date))})  # fmt: skip
    rows["row"] = np.arange(len(rows))
    seen = np.zeros(len(rows), dtype=bool)

    def flag(events: pd.DataFrame, start: str, end: str | None, lookback: bool) -> None:
        e = events[["household_id", start] + ([end] if end else [])].copy()
        e[start] = pd.to_datetime(e[start])
        m = rows.merge(e, on="household_id", how="inner")
        if lookback:
            ok = (m[start] < m["at"]) & (m[start] >= m["at"] - pd.DateOffset(months=months))
        else:
            ended = pd.to_datetime(m[end])
            ok = (m[start] <= m["at"]) & (ended.isna() | (ended >= m["at"]))
        seen[m.loc[ok.to_numpy(), "row"].to_numpy()] = True

    flag(tables["benefit_history"], "start_date", "end_date", lookback=False)
    flag(tables["support"], "supported_on", None, lookback=True)
    flag(tables["discovery_history"], "cycle_date", None, lookback=True)
    return ~seen


def effective_rows(weights: np.ndarray) -> float:
    """Kish effective sample size ``(Σw)² / Σw²`` of the rows carrying an estimate."""
    w = np.asarray(weights, dtype=np.float64)
    s2 = float((w**2).sum())
    return float(w.sum() ** 2 / s2) if s2 > 0 else 0.0


def headline_table(
    y: np.ndarray,
    scores: Mapping[str, np.ndarray],
    *,
    sample_weight: np.ndarray,
    weights: np.ndarray,
    capacity_fraction: float,
    subsets: Mapping[str, np.ndarray],
    ours: str,
    baselines: tuple[str, ...],
) -> pd.DataFrame:
    """Precision and recall at capacity per model and subset, with paired ratios.

    Parameters
    ----------
    y
        Outcomes of the test rows (1 = supported).
    scores
        Ranking score per model name.
    sample_weight
        Design weights of the test rows.
    weights
        Bootstrap weights ``(B, n)`` (:func:`models.evaluation.bootstrap_weights`); the same
        replicates serve every model (paired).
    capacity_fraction
        Share of the subset's (weighted) rows visited.
    subsets
        Boolean row masks by name, e.g. ``{"hidden": ..., "all": ...}``.
    ours
        The model whose ratio to each baseline is reported.
    baselines
        Models to compare ``ours`` with.

    Returns
    -------
    DataFrame
        ``subset, model, metric, estimate, lo, hi, effective_rows``; metrics
        ``precision_at_capacity``, ``recall_at_capacity`` and ``ratio_vs_<baseline>``.
    """
    y = np.asarray(y, dtype=np.float64)
    sw = np.asarray(sample_weight, dtype=np.float64)
    out = []
    for subset, mask in subsets.items():
        idx = np.flatnonzero(mask)
        if idx.size == 0 or y[idx].sum() == 0:
            continue
        ys, ws, W = y[idx], sw[idx], weights[:, idx].astype(np.float64)
        reps: dict[str, dict[str, np.ndarray]] = {}
        for model, score in scores.items():
            s = np.asarray(score)[idx]
            point = _ranking(ys, s, ws[None, :], capacity_fraction)
            rep = _ranking(ys, s, W * ws[None, :], capacity_fraction)
            reps[model] = rep
            sel = capacity_selection(s, capacity_fraction=capacity_fraction, sample_weight=ws)
            n_eff = effective_rows(sel * ws)
            for metric in ("precision_at_capacity", "recall_at_capacity"):
                lo, hi = _interval(rep[metric])
                out.append({"subset": subset, "model": model, "metric": metric,
                            "estimate": float(point[metric][0]), "lo": lo, "hi": hi,
                            "effective_rows": n_eff, "rows": int(idx.size)})  # fmt: skip
        for base in baselines:
            if base not in reps or ours not in reps:
                continue
            key = "precision_at_capacity"
            a = next(r for r in out if r["subset"] == subset and r["model"] == ours and r["metric"] == key)
            b = next(r for r in out if r["subset"] == subset and r["model"] == base and r["metric"] == key)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = reps[ours][key] / reps[base][key]
            lo, hi = _interval(ratio)
            est = a["estimate"] / b["estimate"] if b["estimate"] > 0 else float("inf")
            out.append({"subset": subset, "model": ours, "metric": f"ratio_vs_{base}",
                        "estimate": float(est), "lo": lo, "hi": hi,
                        "effective_rows": min(a["effective_rows"], b["effective_rows"]),
                        "rows": int(idx.size)})  # fmt: skip
    return pd.DataFrame(out)


def tier_calibration(
    y: np.ndarray,
    score: np.ndarray,
    probability: np.ndarray,
    *,
    sample_weight: np.ndarray,
    weights: np.ndarray,
    capacity_fraction: float,
    tier1_multiple: float = 0.25,
) -> pd.DataFrame:
    """Observed rate and mean predicted probability in tier 1 and tier 2, with intervals.

    Tier 1 is the top ``tier1_multiple × capacity_fraction`` of the weighted rows, tier 2 the
    rest of the top ``capacity_fraction``; shares of tied blocks are split fractionally.
    """
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(probability, dtype=np.float64)
    sw = np.asarray(sample_weight, dtype=np.float64)
    in1 = capacity_selection(score, capacity_fraction=tier1_multiple * capacity_fraction, sample_weight=sw)
    in12 = capacity_selection(score, capacity_fraction=capacity_fraction, sample_weight=sw)
    tiers = {1: in1, 2: np.clip(in12 - in1, 0, 1)}
    W = np.vstack([np.ones((1, y.size)), weights]).astype(np.float64) * sw[None, :]
    rows = []
    for tier, share in tiers.items():
        tot = W @ share
        with np.errstate(divide="ignore", invalid="ignore"):
            obs = (W @ (share * y)) / tot
            pred = (W @ (share * p)) / tot
        for metric, arr in (("observed_rate", obs), ("mean_probability", pred)):
            lo, hi = _interval(arr[1:])
            rows.append({"tier": tier, "metric": metric, "estimate": float(arr[0]), "lo": lo,
                         "hi": hi, "effective_rows": effective_rows(share * sw)})  # fmt: skip
    return pd.DataFrame(rows)
