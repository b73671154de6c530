"""Score every household on a date: probability, tier, rank within the 읍면동, reasons.

:func:`score_tables` is the pure step (tables + artefact → ``risk_score`` rows);
:func:`score_households` reads the store, loads the model from the registry, scores, optionally
applies human overrides and writes ``risk_score`` with ``mode='replace'``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.features import (
    FeatureConfig,
    StoreLike,
    build_features,
    feature_specs,
    legacy_feature_names,
    load_tables,
)
from models.overrides import apply_overrides
from models.parallel import ThreadsArg, thread_limit
from models.reasons import current_reasons, group_codes, score_and_contributions
from models.registry import ModelArtifact, load_model
from models.tiers import CapacityConfig, assign_tiers, capacity_pools

__all__ = ["RISK_SCORE_COLUMNS", "calibrated_probability", "score_households", "score_tables"]

log = logging.getLogger(__name__)

RISK_SCORE_COLUMNS = (
    "household_id", "model_version", "scored_at", "probability", "tier", "rank",
    "jurisdiction_code", "reasons",
)  # fmt: skip

_CHUNK = 250_000


def calibrated_probability(artifact: ModelArtifact, raw: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Calibrated probability from the base model's raw score (no second model pass).

    ``CalibratedClassifierCV`` on a frozen binary classifier maps ``decision_function`` through
    one fitted calibrator; it is applied to ``raw`` directly. Falls back to
    ``artifact.model.predict_proba(X)`` if the calibrated model has another structure.
    """
    try:
        (cc,) = artifact.model.calibrated_classifiers_
        (calibrator,) = cc.calibrators
        return np.clip(np.asarray(calibrator.predict(raw), dtype=np.float64), 0.0, 1.0)
    except (AttributeError, ValueError):
        return artifact.model.predict_proba(X)[:, 1]


def score_tables(
    tables: Mapping[str, pd.DataFrame],
    artifact: ModelArtifact,
    *,
    as_of: dt.date,
    capacity: CapacityConfig | None = None,
    scored_at: dt.datetime | None = None,
    n_reasons: int = 3,
) -> pd.DataFrame:
    """Score all households of ``tables['household']`` as of ``as_of``.

    Returns
    -------
    DataFrame
        Columns :data:`RISK_SCORE_COLUMNS`, one row per household. ``rank`` is 1-based within
        ``jurisdiction_code`` (the 읍면동), ``tier`` 1-4 from the 읍면동's visit capacity,
        ``reasons`` a JSON list of ``{code, label_ko, label_en, weight}`` (weight on the
        log-odds scale; up to ``n_reasons`` positive factors).
    """
    timings: dict[str, Any] = {}
    t0 = time.perf_counter()
    cfg = FeatureConfig.from_dict(artifact.feature_config)
    specs = feature_specs(cfg)
    if [s.name for s in specs] != list(artifact.feature_names):
        raise ValueError(f"model {artifact.version} was trained on other features; retrain it")
    hh = tables["household"]
    scored_at = scored_at or dt.datetime.now(dt.UTC)
    groups, _ = group_codes(specs)
    legacy_cols = [artifact.feature_names.index(c) for c in legacy_feature_names(cfg)]
    n = len(hh)
    prob = np.empty(n)
    raw = np.empty(n)
    reasons = np.empty(n, dtype=object)
    a = time.perf_counter()
    X_all = build_features(tables, hh[["household_id"]].assign(as_of=pd.Timestamp(as_of)), config=cfg)
    t_feat, t_pred, t_reason = time.perf_counter() - a, 0.0, 0.0
    for start in range(0, n, _CHUNK):
        sl = slice(start, min(start + _CHUNK, n))
        X = X_all.iloc[sl]
        Xa = X.to_numpy(dtype=np.float64)
        b = time.perf_counter()
        r, contrib = score_and_contributions(
            artifact.kind, artifact.base, Xa, specs=specs, baseline=artifact.baseline,
            legacy_columns=legacy_cols,
        )  # fmt: skip
        raw[sl] = r
        prob[sl] = calibrated_probability(artifact, r, Xa)
        c = time.perf_counter()
        reasons[sl] = current_reasons(contrib, X, groups, k=n_reasons)
        t_pred, t_reason = t_pred + c - b, t_reason + time.perf_counter() - c
    del X_all
    timings |= {"features_s": t_feat, "predict_and_contributions_s": t_pred, "reasons_text_s": t_reason}
    t1 = time.perf_counter()
    frame = pd.DataFrame(
        {"household_id": hh["household_id"].to_numpy(), "jurisdiction_code": hh["emd_code"].to_numpy(),
         "score": raw}
    )
    pool, cap, level = capacity_pools(hh, tables.get("region"), config=capacity)
    tiers = assign_tiers(frame, cap, config=capacity, pool=pool)
    timings["tier_pool"] = level
    timings["tiers_s"] = time.perf_counter() - t1
    out = pd.DataFrame(
        {
            "household_id": frame["household_id"].astype(np.int64),
            "model_version": artifact.version,
            "scored_at": pd.Timestamp(scored_at),
            "probability": prob,
            "tier": tiers["tier"].astype(np.int16),
            "rank": tiers["rank"].astype(np.int64),
            "jurisdiction_code": frame["jurisdiction_code"].astype(str),
            "reasons": reasons,
        }
    )
    timings["total_s"] = time.perf_counter() - t0
    out.attrs["timings"] = timings
    log.info("scored %d households with %s in %.1f s %s", n, artifact.version, timings["total_s"], timings)
    return out


def score_households(
    store: StoreLike,
    *,
    as_of: dt.date,
    model_version: str | None = None,
    models_dir: Path | str | None = None,
    capacity: CapacityConfig | None = None,
    scored_at: dt.datetime | None = None,
    overrides: pd.DataFrame | None = None,
    write: bool = True,
    n_threads: ThreadsArg = "auto",
) -> pd.DataFrame:
    """Score every household in ``store`` and write ``risk_score`` (replace).

    Parameters
    ----------
    store : Store-like
        ``read_frame`` / ``write_frame`` (the project's stores or any fake with the two methods).
    as_of : date
        Scoring date; features use only records before it.
    model_version : str, optional
        Registry version; default the latest.
    models_dir : path, optional
        Registry folder (default ``get_settings().models_dir``).
    capacity : CapacityConfig, optional
        Visit capacity per 읍면동 (tiers).
    scored_at : datetime, optional
        Timestamp written to ``scored_at`` (default now, UTC).
    overrides : DataFrame, optional
        ``tier_override`` rows; when given, :func:`models.overrides.apply_overrides` is applied
        (overrides in force at ``scored_at``, within each jurisdiction's tier sizes; the rule of
        :mod:`domain.tiers`) and the returned frame has its extra columns (only the schema
        columns are written).
    write : bool
        Write to the store.
    n_threads : int, 'auto' or None
        OpenMP threads (prediction): ``'auto'`` (default) uses every core only when the machine
        is otherwise idle (:func:`models.parallel.auto_threads`); ``None`` leaves the default.

    Returns
    -------
    DataFrame
        The ``risk_score`` rows (plus override columns when ``overrides`` is given).
    """
    artifact = load_model(model_version, models_dir=models_dir)
    tables = load_tables(store)
    with thread_limit(n_threads):
        out = score_tables(tables, artifact, as_of=as_of, capacity=capacity, scored_at=scored_at)
    if overrides is not None and len(overrides):
        timings: dict[str, Any] = out.attrs.get("timings", {})
        out = apply_overrides(out, overrides, now=scored_at or dt.datetime.now(dt.UTC),
                              model_version=artifact.version)
        out.attrs["timings"] = timings
    if write:
        store.write_frame("risk_score", out[list(RISK_SCORE_COLUMNS)], mode="replace")
    return out
