"""Training pipeline: labelled rows → features → three models → calibration → evaluation → registry.

Design
------
* **Rows and labels.** Each ``discovery_history`` row whose cycle is before ``as_of`` and whose
  outcome is known by then is a training row; its features are built as of its ``cycle_date``
  (point-in-time); the label is ``outcome == 'supported'``.
* **Time split.** The latest ``test_cycles`` cycles are the test set and the ``validation_cycles``
  before them the validation set. Legacy-rule selections are a biased sample, so validation and
  test rows carry *design weights* (:func:`design_weights`) that make them represent all
  households: the audit sample alone when it is drawn from everyone, or — when it is drawn from
  the households the rule did not select, as in ``etl.generate`` — the audit sample weighted up
  to its stratum plus the legacy-rule census of the other stratum. The training set is every row
  (legacy and audit) of the earlier cycles whose outcome was known before the first validation
  cycle (selection depends only on features, so the conditional model is not biased by it).
* **Models.** The legacy rule (:class:`models.legacy.LegacyRuleClassifier`, economic signals
  only), a logistic scorecard and monotone gradient boosting (:mod:`models.estimators`), each
  calibrated on the validation rows (:mod:`models.calibration`, method chosen by the data).
  Gradient boosting early-stops on the validation cycle's design-weighted log-loss. The deployed
  model is the learned model with the higher validation PR-AUC. The test cycles serve the
  evaluation only.
* **Evaluation** on the test audit rows (:mod:`models.evaluation`): ROC-AUC, PR-AUC, precision
  and recall at capacity, Brier score, calibration curve, fairness by group, each with bootstrap
  intervals; the chosen model against the as-is XGBoost baseline and the legacy rule, on all
  households and on hidden ones (:mod:`models.headline`); optionally (``ablation=True``) an
  ablation of the three feature families with cheaper gradient-boosting settings.

Why one module of ~600 lines: it is the one pipeline that wires the steps above in order (each
step's numerics live in the modules named); splitting it would scatter the order of the steps.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from sklearn.metrics import average_precision_score

from models.as_is import AS_IS, AsIsBoosting, as_is_columns
from models.calibration import calibrate, raw_score
from models.estimators import ABLATION_BOOSTING, MODEL_KINDS, make_estimator
from models.evaluation import (
    bootstrap_weights,
    compare_at_capacity,
    evaluate_scores,
    group_metrics,
    reliability,
)
from models.features import (
    FAMILIES,
    FeatureConfig,
    StoreLike,
    build_features,
    feature_specs,
    legacy_feature_names,
    load_tables,
)
from models.headline import headline_table, hidden_mask, tier_calibration
from models.legacy import LegacyRuleClassifier
from models.parallel import ThreadsArg, thread_limit
from models.reasons import baseline_values
from models.registry import ModelArtifact, data_hash, make_version, save_model
from models.tiers import CapacityConfig, capacity_fraction

__all__ = [
    "TrainingReport",
    "design_weights",
    "infer_legacy_k",
    "labelled_rows",
    "train_from_tables",
    "train_models",
]

log = logging.getLogger(__name__)

#: Published figures the model card compares against (REFERENCE-FACTS.md).
REFERENCE_SYSTEMS: tuple[dict[str, str], ...] = (
    {"system": "복지사각지대 발굴관리시스템 (Korea)", "figure": "share of flagged people who received any "
     "service: 50.2% (2022), 49.4% (2023), 58.4% (2024); XGBoost on past outcomes; no reasons given",
     "source": "medicalworldnews.co.kr idx=1510932703; blog.bokjiro.go.kr; ucil.kr"},
    {"system": "Allegheny Family Screening Tool", "figure": "reported 'accuracy' 76% (placement), 73% "
     "(re-referral); ACLU audit found disparities and permanent features",
     "source": "latimes.com 2018-06-26; aclu.org/afst_audit"},
    {"system": "LA County homelessness prevention", "figure": "46% of the 3,000 ranked highest became "
     "homeless (27x average)", "source": "capolicylab.org"},
    {"system": "Korean Management Review 2026", "figure": "ROC-AUC 0.66-0.67, PR-AUC 0.31-0.32 with "
     "time-block validation on welfare admin data 2018-2023", "source": "kmr.kasba.or.kr kmr-2026-55-2-583"},
)  # fmt: skip

LEGACY = "legacy"


@dataclass
class TrainingReport:
    """What :func:`train_models` did and how well the models do on the test audit rows.

    Attributes
    ----------
    version : str
        Registry version of the deployed (chosen) model.
    chosen : str
        Kind of the deployed model (``'logit'`` or ``'hgb'``).
    metrics : DataFrame
        ``model, metric, estimate, lo, hi`` for every model, legacy included.
    comparison : dict
        Chosen model vs legacy rule: precision at capacity of both, ratio and difference with
        paired bootstrap intervals.
    fairness : DataFrame
        :func:`models.evaluation.group_metrics` for the chosen model and the legacy rule.
    ablation : DataFrame
        Test metrics of the chosen kind trained on one family only / without one family.
    """

    version: str
    chosen: str
    as_of: dt.date
    trained_at: dt.datetime
    metrics: pd.DataFrame
    comparison: dict[str, float]
    fairness: pd.DataFrame
    ablation: pd.DataFrame
    calibration: dict[str, Any]
    split: dict[str, Any]
    capacity_fraction: float
    artifact_dir: Path
    timings: dict[str, float] = field(default_factory=dict)
    evaluation: dict[str, Any] = field(default_factory=dict, repr=False)

    def summary(self) -> pd.DataFrame:
        """Headline metrics as ``estimate [lo, hi]`` strings, one column per model."""
        m = self.metrics.assign(
            text=lambda d: d.estimate.map("{:.3f}".format) + " [" + d.lo.map("{:.3f}".format) + ", "
            + d.hi.map("{:.3f}".format) + "]"
        )  # fmt: skip
        return m.pivot(index="metric", columns="model", values="text")

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary (the registry metadata holds the same)."""
        return {
            "version": self.version,
            "chosen": self.chosen,
            "as_of": self.as_of.isoformat(),
            "trained_at": self.trained_at.isoformat(),
            "metrics": self.metrics.to_dict(orient="records"),
            "comparison": self.comparison,
            "ablation": self.ablation.to_dict(orient="records"),
            "calibration": self.calibration,
            "split": self.split,
            "capacity_fraction": self.capacity_fraction,
            "artifact_dir": str(self.artifact_dir),
            "timings": self.timings,
        }


def _xgb_threads() -> int:
    """XGBoost threads: the OpenMP limit in force (``thread_limit``), at least one."""
    from threadpoolctl import threadpool_info

    limits = [i.get("num_threads", 1) for i in threadpool_info() if i.get("user_api") == "openmp"]
    return max(1, min(limits)) if limits else 1


def labelled_rows(discovery: pd.DataFrame, *, as_of: dt.date) -> pd.DataFrame:
    """Discovery rows usable as of ``as_of`` (cycle before it, outcome known, household
    reached), with ``y = outcome == 'supported'``."""
    d = discovery.copy()
    d["cycle_date"] = pd.to_datetime(d["cycle_date"])
    d["outcome_date"] = pd.to_datetime(d["outcome_date"])
    cut = pd.Timestamp(as_of)
    d = d[(d["cycle_date"] < cut) & (d["outcome_date"] <= cut)]
    # reachability is its own process, not a negative label: an unreached household's need is
    # unknown, so its row carries no outcome (the design weights treat it as missing at random
    # within its selection stratum and cycle)
    d = d[d["outcome"] != "unreachable"]
    d = d.sort_values(["cycle_date", "household_id"], kind="stable").reset_index(drop=True)
    d["y"] = (d["outcome"] == "supported").astype(np.int8)
    return d


def infer_legacy_k(discovery: pd.DataFrame, *, default: int = 3) -> int:
    """The legacy threshold seen in the data: the smallest count among legacy-rule selections."""
    leg = discovery.loc[discovery["selection"] == "legacy_rule", "legacy_signal_count"]
    return int(leg.min()) if len(leg) else default


def design_weights(
    rows: pd.DataFrame, discovery: pd.DataFrame, *, n_households: int, legacy_k: int
) -> tuple[np.ndarray, str]:
    """Weights that make each cycle's labelled rows represent all households.

    Two designs are recognised from the data:

    ``audit_only``
        The audit sample is drawn from all households (some audit rows reach the legacy
        threshold): audit rows get weight 1, legacy-rule rows 0 (excluded, being biased).
    ``stratified``
        The audit sample is drawn from the households the rule did *not* select (no household
        is in both selections of a cycle) and the rule's selection is a census: the
        legacy-rule rows are a census of their stratum and the audit rows a random sample of the
        rest, so legacy rows get ``n_legacy / n_legacy_known`` and audit rows
        ``(N - n_legacy) / n_audit_known`` (``known``: outcome recorded by the as-of date).
    """
    audit = (rows["selection"] == "audit_sample").to_numpy()
    d = discovery.assign(cycle_date=pd.to_datetime(discovery["cycle_date"]))
    both = d.groupby(["cycle_date", "household_id"])["selection"].nunique()
    if (both > 1).any() or not (~audit).any():
        return audit.astype(np.float64), "audit_only"
    n_leg_all = d[d["selection"] == "legacy_rule"].groupby("cycle_date").size()
    known = rows.groupby(["cycle_date", "selection"]).size().unstack(fill_value=0)
    n_leg = n_leg_all.reindex(known.index).fillna(0.0)
    w_leg = n_leg / known.get("legacy_rule", pd.Series(0, index=known.index)).replace(0, np.nan)
    w_aud = (n_households - n_leg) / known.get("audit_sample", pd.Series(0, index=known.index)).replace(0, np.nan)
    w = np.where(audit, rows["cycle_date"].map(w_aud), rows["cycle_date"].map(w_leg))
    return np.nan_to_num(w.astype(np.float64)), "stratified"


def _split(rows: pd.DataFrame, weight: np.ndarray, *, test_cycles: int, validation_cycles: int) -> dict[str, Any]:
    audit = rows["selection"] == "audit_sample"
    cycles = np.sort(rows.loc[audit, "cycle_date"].unique())
    need = test_cycles + validation_cycles + 1
    if cycles.size < need:
        raise ValueError(
            f"need audit-sample rows in at least {need} discovery cycles for a time split "
            f"(train, {validation_cycles} validation, {test_cycles} test); found {cycles.size}"
        )
    test = cycles[-test_cycles:]
    val = cycles[-(test_cycles + validation_cycles) : -test_cycles]
    first_val = val[0]
    train = (rows["cycle_date"] < first_val) & (rows["outcome_date"] < first_val)
    weighted = weight > 0
    masks = {
        "train": train.to_numpy(),
        "validation": weighted & rows["cycle_date"].isin(val).to_numpy(),
        "test": weighted & rows["cycle_date"].isin(test).to_numpy(),
    }
    for name, m in masks.items():
        y = rows["y"].to_numpy()[m]
        if y.size == 0 or np.unique(y).size < 2:
            raise ValueError(f"the {name} set needs both outcomes; it has {y.size} rows, {int(y.sum())} positive")
    info = {
        "test_cycles": [pd.Timestamp(c).date().isoformat() for c in test],
        "validation_cycles": [pd.Timestamp(c).date().isoformat() for c in val],
        "train_before": pd.Timestamp(first_val).date().isoformat(),
        **{f"n_{k}": int(v.sum()) for k, v in masks.items()},
        **{f"positives_{k}": int(rows["y"].to_numpy()[v].sum()) for k, v in masks.items()},
        "n_test_audit": int((masks["test"] & audit.to_numpy()).sum()),
    }
    return {"masks": masks, "info": info}


def _groups(tables: Mapping[str, pd.DataFrame], household_id: np.ndarray) -> dict[str, np.ndarray]:
    hh = tables["household"].set_index("household_id")
    pos = hh.index.get_indexer(household_id)
    region = tables["region"].set_index("code")
    emd = hh["emd_code"].to_numpy()[pos]
    urban = region["urban_class"].reindex(emd).to_numpy()
    return {
        "urban_class": urban,
        "sido": hh["sido_code"].to_numpy()[pos],
        "household_type": hh["household_type"].to_numpy()[pos],
        "housing_type": hh["housing_type"].to_numpy()[pos],
        "disability": np.where(hh["n_disabled"].to_numpy()[pos] > 0, "disabled_member", "none"),
    }


ABLATION_COLUMNS = ("variant", "family", "n_features", "metric", "estimate", "lo", "hi")


def _fit(kind: str, specs: Sequence[Any], X: np.ndarray, y: np.ndarray, *, seed: int,
         val: tuple[np.ndarray, np.ndarray, np.ndarray], **params: Any) -> Any:  # fmt: skip
    """Fit one learned model; gradient boosting early-stops on the (weighted) validation cycle."""
    est = make_estimator(kind, specs, seed=seed, **params)
    if kind == "hgb":
        X_val, y_val, w_val = val
        return est.fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=w_val)
    return est.fit(X, y)


def _ablation(X_tr: np.ndarray, y_tr: np.ndarray, X_te: np.ndarray, y_te: np.ndarray, w_te: np.ndarray, kind: str,
              specs: Sequence[Any], *, seed: int, q: float, W: np.ndarray,
              val: tuple[np.ndarray, np.ndarray, np.ndarray]) -> pd.DataFrame:  # fmt: skip
    """Test metrics of ``kind`` on all families, each family alone and without each family.

    Gradient boosting uses the cheaper :data:`models.estimators.ABLATION_BOOSTING` settings for
    every variant *and* the ``all`` reference, so the variants compare like with like.
    """
    fam = np.array([s.family for s in specs])
    params = ABLATION_BOOSTING if kind == "hgb" else {}
    variants = [("all", "all", np.ones(fam.size, dtype=bool))]
    for family in FAMILIES:
        variants += [(f"only_{family}", family, fam == family), (f"without_{family}", family, fam != family)]
    rows = []
    for variant, family, cols in variants:
        idx = np.flatnonzero(cols)
        if idx.size == 0 or (variant.startswith("without_") and idx.size == fam.size):
            continue
        sub = [specs[i] for i in idx]
        est = _fit(kind, sub, X_tr[:, idx], y_tr, seed=seed, val=(val[0][:, idx], val[1], val[2]), **params)
        m = evaluate_scores(y_te, est.decision_function(X_te[:, idx]), probability=None,
                            capacity_fraction=q, weights=W, sample_weight=w_te)  # fmt: skip
        for r in m.itertuples():
            rows.append({"variant": variant, "family": family, "n_features": int(idx.size),
                         "metric": r.metric, "estimate": r.estimate, "lo": r.lo, "hi": r.hi})  # fmt: skip
    return pd.DataFrame(rows, columns=list(ABLATION_COLUMNS))


def train_from_tables(
    tables: Mapping[str, pd.DataFrame],
    *,
    as_of: dt.date,
    seed: int = 0,
    feature_config: FeatureConfig | None = None,
    capacity: CapacityConfig | None = None,
    capacity_share: float | None = None,
    kinds: Sequence[str] = MODEL_KINDS,
    legacy_k: int | None = None,
    test_cycles: int = 1,
    validation_cycles: int = 1,
    n_boot: int = 500,
    ablation: bool = False,
    models_dir: Path | str | None = None,
    trained_at: dt.datetime | None = None,
    save: bool = True,
) -> TrainingReport:
    """Train, calibrate, evaluate and register the models from in-memory tables.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        The tables of :data:`models.features.FEATURE_TABLES` (``discovery_history`` required).
    as_of : date
        Training date: only cycles before it and outcomes known by it are used.
    seed : int
        Seed for the models, calibration folds and bootstrap.
    feature_config : FeatureConfig, optional
    capacity : CapacityConfig, optional
        Visit-capacity assumption (sets the capacity fraction of the evaluation).
    capacity_share : float, optional
        Override the capacity fraction directly (share of households visited per cycle).
    kinds : sequence of {'logit', 'hgb'}
        Learned models to fit.
    legacy_k : int, optional
        Threshold of the legacy rule; default: inferred from the legacy-rule selections.
    test_cycles, validation_cycles : int
        Time split (latest cycles for test, the ones before for validation).
    n_boot : int
        Bootstrap replicates for intervals (stratified, vectorised; 500 by default).
    ablation : bool
        Also fit the family ablation (6–7 extra fits; gradient boosting with the cheaper
        :data:`models.estimators.ABLATION_BOOSTING` settings and the first 200 replicates).
    models_dir : path, optional
        Registry folder (default ``get_settings().models_dir``).
    trained_at : datetime, optional
        Training timestamp (default now, UTC).
    save : bool
        Write the artefact to the registry.

    Returns
    -------
    TrainingReport
    """
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    cfg = feature_config or FeatureConfig()
    cap_cfg = capacity or CapacityConfig()
    trained_at = trained_at or dt.datetime.now(dt.UTC)
    bad = set(kinds) - set(MODEL_KINDS)
    if bad or not kinds:
        raise ValueError(f"kinds must be a non-empty subset of {MODEL_KINDS}; got {list(kinds)}")

    discovery = tables["discovery_history"]
    legacy_k = infer_legacy_k(discovery) if legacy_k is None else legacy_k
    rows = labelled_rows(discovery, as_of=as_of)
    weight, design = design_weights(rows, discovery, n_households=len(tables["household"]), legacy_k=legacy_k)
    split = _split(rows, weight, test_cycles=test_cycles, validation_cycles=validation_cycles)
    split["info"]["design"] = design
    masks = split["masks"]
    pairs = rows[["household_id"]].assign(as_of=rows["cycle_date"])
    X_all = build_features(tables, pairs, config=cfg)
    timings["features_s"] = time.perf_counter() - t0
    specs = feature_specs(cfg)
    names = [s.name for s in specs]
    X32 = X_all.to_numpy(dtype=np.float32)  # the features are float32; widen only the split parts
    y = rows["y"].to_numpy().astype(int)
    Xtr, ytr = X32[masks["train"]].astype(np.float64), y[masks["train"]]
    Xva, yva, wva = X32[masks["validation"]].astype(np.float64), y[masks["validation"]], weight[masks["validation"]]
    Xte, yte, wte = X32[masks["test"]].astype(np.float64), y[masks["test"]], weight[masks["test"]]
    del X32
    legacy_cols = [names.index(c) for c in legacy_feature_names(cfg)]
    q = capacity_share if capacity_share is not None else capacity_fraction(
        tables["household"], tables.get("region"), config=cap_cfg
    )  # fmt: skip
    log.info("training rows %s; capacity fraction %.4f", split["info"], q)

    # ---------------------------------------------------------------- fit
    t1 = time.perf_counter()
    legacy = LegacyRuleClassifier(k=legacy_k).fit(Xtr[:, legacy_cols], ytr)
    fitted: dict[str, Any] = {}
    calibrated: dict[str, Any] = {}
    calib_info: dict[str, Any] = {}
    val_ap: dict[str, float] = {}
    model_info: dict[str, Any] = {}
    for kind in kinds:
        tk = time.perf_counter()
        est = _fit(kind, specs, Xtr, ytr, seed=seed, val=(Xva, yva, wva))
        timings[f"fit_{kind}_s"] = time.perf_counter() - tk
        fitted[kind] = est
        s_va = raw_score(est, Xva)
        choice = calibrate(est, Xva, yva, seed=seed, sample_weight=wva, val_score=s_va)
        calibrated[kind] = choice.model
        calib_info[kind] = {"method": choice.method, "brier_by_method": choice.brier_by_method}
        val_ap[kind] = float(average_precision_score(yva, s_va, sample_weight=wva))
        params = est.get_params()
        model_info[kind] = (
            {k: params[k] for k in ("learning_rate", "max_iter", "max_leaf_nodes", "min_samples_leaf",
                                    "l2_regularization", "max_bins", "n_iter_no_change")}
            | {"n_iter": int(est.n_iter_), "early_stopping": "validation cycle (design-weighted log-loss)"}
            if kind == "hgb"
            else {"C": params["logit__C"]}
        )  # fmt: skip
    chosen = max(kinds, key=lambda k: (round(val_ap[k], 4), -list(MODEL_KINDS).index(k)))
    # the as-is system: XGBoost on the crisis-signal indicators only, same rows, same early
    # stopping and calibration
    tk = time.perf_counter()
    as_is_cols = as_is_columns(specs)
    as_is = AsIsBoosting(random_state=seed, n_jobs=_xgb_threads()).fit(
        Xtr[:, as_is_cols], ytr, X_val=Xva[:, as_is_cols], y_val=yva, sample_weight_val=wva
    )
    s_va = raw_score(as_is, Xva[:, as_is_cols])
    as_is_cal = calibrate(as_is, Xva[:, as_is_cols], yva, seed=seed, sample_weight=wva, val_score=s_va)
    calib_info[AS_IS] = {"method": as_is_cal.method, "brier_by_method": as_is_cal.brier_by_method}
    model_info[AS_IS] = {"n_iter": as_is.n_iter_, "features": len(as_is_cols),
                         "params": {k: v for k, v in as_is.get_params().items() if k != "n_jobs"}}  # fmt: skip
    timings[f"fit_{AS_IS}_s"] = time.perf_counter() - tk
    timings["fit_s"] = time.perf_counter() - t1
    log.info("validation PR-AUC %s; chosen %s", val_ap, chosen)

    # ---------------------------------------------------------------- evaluate
    t2 = time.perf_counter()
    strata = rows["selection"].to_numpy()[masks["test"]] + rows["cycle_date"].astype(str).to_numpy()[masks["test"]]
    W = bootstrap_weights(yte.size, n_boot=n_boot, seed=seed, strata=strata)
    scores = {LEGACY: legacy.decision_function(Xte[:, legacy_cols])}
    probs = {LEGACY: legacy.predict_proba(Xte[:, legacy_cols])[:, 1]}
    scores[AS_IS] = as_is.decision_function(Xte[:, as_is_cols])
    probs[AS_IS] = as_is_cal.model.predict_proba(Xte[:, as_is_cols])[:, 1]
    for kind in kinds:
        scores[kind] = fitted[kind].decision_function(Xte)
        probs[kind] = calibrated[kind].predict_proba(Xte)[:, 1]
    metrics = pd.concat(
        [evaluate_scores(yte, scores[m], probability=probs[m], capacity_fraction=q, weights=W,
                         sample_weight=wte).assign(model=m)
         for m in scores],
        ignore_index=True,
    )[["model", "metric", "estimate", "lo", "hi"]]
    comparison = compare_at_capacity(
        yte, scores[chosen], scores[LEGACY], capacity_fraction=q, weights=W, sample_weight=wte
    )
    comparison |= {"model": chosen, "baseline": LEGACY, "capacity_fraction": q, "n_test": int(yte.size)}
    test_hh = rows["household_id"].to_numpy()[masks["test"]]
    test_cycle = rows["cycle_date"].to_numpy()[masks["test"]]
    hidden = hidden_mask(tables, test_hh, test_cycle)
    headline = headline_table(
        yte, {m: scores[m] for m in (chosen, AS_IS, LEGACY)}, sample_weight=wte, weights=W,
        capacity_fraction=q, subsets={"hidden": hidden, "all": np.ones(yte.size, dtype=bool)},
        ours=chosen, baselines=(AS_IS, LEGACY),
    )
    tiers = pd.concat(
        [tier_calibration(yte, scores[m], probs[m], sample_weight=wte, weights=W,
                          capacity_fraction=q).assign(model=m) for m in (chosen, AS_IS)],
        ignore_index=True,
    )  # fmt: skip
    groups = _groups(tables, test_hh)
    fairness = pd.concat(
        [group_metrics(yte, scores[m], probs[m], groups, capacity_fraction=q, weights=W,
                       sample_weight=wte).assign(model=m)
         for m in (chosen, LEGACY)],
        ignore_index=True,
    )
    curves = {m: reliability(yte, probs[m], sample_weight=wte).to_dict(orient="list") for m in scores}
    timings["evaluate_s"] = time.perf_counter() - t2
    t3 = time.perf_counter()
    abl = (
        _ablation(Xtr, ytr, Xte, yte, wte, chosen, specs, seed=seed, q=q, W=W[: min(n_boot, 200)],
                  val=(Xva, yva, wva))
        if ablation
        else pd.DataFrame(columns=list(ABLATION_COLUMNS))
    )
    ablation_info = {
        "computed": bool(ablation),
        "model": chosen,
        "settings": (ABLATION_BOOSTING if chosen == "hgb" else {}) if ablation else {},
        "n_boot": min(n_boot, 200) if ablation else 0,
    }
    timings["ablation_s"] = time.perf_counter() - t3

    # ---------------------------------------------------------------- register
    digest = data_hash(
        X_all.loc[masks["train"] | masks["validation"]],
        rows[["household_id", "cycle_date", "y"]],
        repr(cfg.to_dict()), chosen, str(seed), str(legacy_k),
    )  # fmt: skip
    version = make_version(chosen, digest, trained_at)
    baseline = baseline_values(specs, X_all.loc[masks["train"]])
    evaluation = {
        "y": yte, "sample_weight": wte, "scores": scores, "probabilities": probs, "groups": groups,
        "reliability": curves,
        "metrics": metrics, "fairness": fairness, "ablation": abl, "comparison": comparison,
        "headline": headline, "tiers": tiers, "hidden": hidden, "household_id": test_hh,
        "cycle_date": test_cycle, "feature_config": cfg, "capacity_fraction": q,
        # the fitted rankers with their columns, for the truth check (models.truth)
        "rankers": {chosen: (fitted[chosen], list(range(len(names)))), AS_IS: (as_is, as_is_cols),
                    LEGACY: (legacy, legacy_cols)},
    }  # fmt: skip
    metadata = {
        "version": version,
        "kind": chosen,
        "trained_at": trained_at.isoformat(),
        "as_of": pd.Timestamp(as_of).date().isoformat(),
        "seed": seed,
        "data_hash": digest,
        "sklearn_version": sklearn.__version__,
        "feature_config": cfg.to_dict(),
        "capacity": cap_cfg.to_dict(),
        "capacity_fraction": q,
        "households": len(tables["household"]),
        "legacy_k": legacy_k,
        "features": [{"name": s.name, "family": s.family, "group": s.group, "label_ko": s.label_ko,
                      "label_en": s.label_en, "monotone": s.monotone} for s in specs],
        "calibration": calib_info,
        "validation_pr_auc": val_ap,
        "models": model_info,
        "n_boot": n_boot,
        "ablation_info": ablation_info,
        "split": split["info"],
        "metrics": metrics.to_dict(orient="records"),
        "comparison": comparison,
        "headline": headline.to_dict(orient="records"),
        "tiers": tiers.to_dict(orient="records"),
        "ablation": abl.to_dict(orient="records"),
        "reference_systems": list(REFERENCE_SYSTEMS),
    }
    artifact = ModelArtifact(
        version=version, kind=chosen, model=calibrated[chosen], base=fitted[chosen], legacy=legacy,
        feature_config=cfg.to_dict(), feature_names=names, baseline=baseline, metadata=metadata,
        evaluation={k: v for k, v in evaluation.items() if k != "rankers"},
    )  # fmt: skip
    path = save_model(artifact, models_dir=models_dir) if save else Path()
    timings["total_s"] = time.perf_counter() - t0
    metadata["timings"] = timings
    log.info("trained %s in %.1f s", version, timings["total_s"])
    return TrainingReport(
        version=version, chosen=chosen, as_of=pd.Timestamp(as_of).date(), trained_at=trained_at,
        metrics=metrics, comparison=comparison, fairness=fairness, ablation=abl,
        calibration=calib_info, split=split["info"], capacity_fraction=q, artifact_dir=path,
        timings=timings, evaluation=evaluation | {"metadata": metadata},
    )  # fmt: skip


def train_models(
    store: StoreLike,
    *,
    as_of: dt.date,
    seed: int = 0,
    models_dir: Path | str | None = None,
    n_threads: ThreadsArg = "auto",
    **options: Any,
) -> TrainingReport:
    """Train, evaluate and register the risk models from a store.

    Reads the tables the features need (never geometry), then runs :func:`train_from_tables`.

    Parameters
    ----------
    store : Store-like
        Anything with ``read_frame(table, columns=..., where=...)``.
    as_of : date
        Training date (the world's "today", e.g. 2026-10-31).
    seed : int
        Random seed.
    models_dir : path, optional
        Registry folder (default ``get_settings().models_dir``).
    n_threads : int, 'auto' or None
        OpenMP/BLAS threads while training. ``'auto'`` (default) uses every core only when the
        machine is otherwise idle (:func:`models.parallel.auto_threads`); ``None`` leaves the
        library default (all cores). Oversubscribed threads can be many times slower than one.
    **options
        Keyword options of :func:`train_from_tables` (``n_boot``, ``test_cycles``, ``kinds``,
        ``capacity``, ``ablation``, ...).

    Returns
    -------
    TrainingReport
    """
    tables = load_tables(store)
    with thread_limit(n_threads):
        return train_from_tables(tables, as_of=as_of, seed=seed, models_dir=models_dir, **options)
