"""The estimate against the truth: what each model's visits would really yield.

Only a synthetic world has a truth: the generator's oracle file (``etl.generate.oracle``) holds
each household's true P(supported | reached) at every cycle. This module is the one reader of
that file besides the generator's tests, and it runs after training, on a finished
:class:`models.training.TrainingReport`: the oracle never reaches a table or a feature a model
reads.

For each test cycle, every household (hidden ones for the hidden headline) is scored with its
features as of the cycle; each model's top ``capacity_fraction`` is "visited"; the true
precision is the reach-weighted mean oracle probability among them — the quantity the
design-weighted estimate on the audit rows estimates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from models.evaluation import capacity_selection
from models.features import build_features
from models.headline import hidden_mask

__all__ = ["truth_at_capacity"]


def truth_at_capacity(
    report: Any,
    tables: Mapping[str, pd.DataFrame],
    oracle: pd.DataFrame,
) -> pd.DataFrame:
    """True precision at capacity per model and subset, next to the design-weighted estimate.

    Parameters
    ----------
    report
        A :class:`models.training.TrainingReport` (its ``evaluation`` holds the rankers, test
        cycles, capacity fraction and headline).
    tables
        The tables the model was trained on.
    oracle
        The oracle frame (:func:`etl.generate.read_oracle`).

    Returns
    -------
    DataFrame
        ``subset, model, truth, estimate, lo, hi, covered``.
    """
    ev = report.evaluation
    q = float(ev["capacity_fraction"])
    cycles = pd.to_datetime(pd.Series(ev["cycle_date"]).unique())
    households = tables["household"]["household_id"].to_numpy()
    pairs = pd.DataFrame({
        "household_id": np.tile(households, len(cycles)),
        "as_of": np.repeat(cycles.to_numpy(), households.size),
    })  # fmt: skip
    X = build_features(tables, pairs, config=ev["feature_config"]).to_numpy(dtype=np.float64)
    truth = oracle.set_index(["household_id", "cycle_date"])
    key = pd.MultiIndex.from_arrays([pairs["household_id"], pd.to_datetime(pairs["as_of"])])
    p_sup = truth["p_supported_if_reached"].reindex(key).to_numpy(dtype=np.float64)
    p_reach = truth["p_reached"].reindex(key).to_numpy(dtype=np.float64)
    if np.isnan(p_sup).any():
        raise ValueError("the oracle does not cover every household and test cycle")
    subsets = {
        "hidden": hidden_mask(tables, pairs["household_id"].to_numpy(), pairs["as_of"].to_numpy()),
        "all": np.ones(len(pairs), dtype=bool),
    }
    head = ev["headline"].set_index(["subset", "model", "metric"])
    rows = []
    for subset, mask in subsets.items():
        for model, (ranker, cols) in ev["rankers"].items():
            score = ranker.decision_function(X[mask][:, cols])
            sel = capacity_selection(score, capacity_fraction=q)
            value = float((sel * p_reach[mask] * p_sup[mask]).sum() / (sel * p_reach[mask]).sum())
            est = head.loc[(subset, model, "precision_at_capacity")]
            rows.append({"subset": subset, "model": model, "truth": value,
                         "estimate": float(est["estimate"]), "lo": float(est["lo"]),
                         "hi": float(est["hi"]),
                         "covered": bool(est["lo"] <= value <= est["hi"])})  # fmt: skip
    return pd.DataFrame(rows)
