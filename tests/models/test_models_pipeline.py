"""Training, registry, scoring, reasons and the model card on a small synthetic world."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from models.card import write_model_card
from models.estimators import ABLATION_BOOSTING
from models.features import build_features, feature_specs
from models.reasons import baseline_values, contributions, group_codes, score_and_contributions
from models.registry import RegistryError, list_models, load_model
from models.scoring import RISK_SCORE_COLUMNS, score_households
from models.training import train_models


def test_report_has_metrics_comparison_and_ablation(report: Any) -> None:
    assert re.fullmatch(r"(hgb|logit)-20261124-[0-9a-f]{8}", report.version)
    models = set(report.metrics["model"])
    assert models == {"legacy", "logit", "hgb", "as_is_xgb"}
    assert set(report.metrics["metric"]) == {
        "roc_auc", "pr_auc", "precision_at_capacity", "recall_at_capacity", "brier"
    }  # fmt: skip
    m = report.metrics
    assert ((m.lo <= m.estimate + 1e-9) & (m.estimate <= m.hi + 1e-9)).all()
    learned_auc = m[(m.model == report.chosen) & (m.metric == "roc_auc")].estimate.iloc[0]
    legacy_auc = m[(m.model == "legacy") & (m.metric == "roc_auc")].estimate.iloc[0]
    assert learned_auc > legacy_auc
    assert report.comparison["ratio_lo"] <= report.comparison["ratio"] <= report.comparison["ratio_hi"]
    assert {"all", "only_household", "without_safety_net"} <= set(report.ablation["variant"])
    meta = report.evaluation["metadata"]
    assert meta["ablation_info"]["computed"] and meta["n_boot"] == 100
    if report.chosen == "hgb":
        assert meta["ablation_info"]["settings"] == ABLATION_BOOSTING
        assert 1 <= meta["models"]["hgb"]["n_iter"] <= meta["models"]["hgb"]["max_iter"]
    assert set(report.fairness["factor"]) == {"urban_class", "sido", "household_type", "housing_type", "disability"}
    assert report.calibration[report.chosen]["method"] in {"sigmoid", "isotonic"}
    assert report.split["design"] == "stratified"
    assert report.summary().shape[1] == 4


def test_registry_holds_versioned_artefact(report: Any, registry: Path) -> None:
    meta = json.loads((registry / report.version / "metadata.json").read_text(encoding="utf-8"))
    assert meta["version"] == report.version and len(meta["data_hash"]) == 64
    assert meta["features"][0]["label_ko"]
    assert list_models(models_dir=registry).loc[0, "version"] == report.version
    assert load_model(models_dir=registry).version == report.version
    with pytest.raises(RegistryError):
        load_model("hgb-19990101-00000000", models_dir=registry)
    with pytest.raises(RegistryError, match="atlas train"):
        load_model(models_dir=registry / "empty")


def test_train_models_reads_a_store(store: Any, as_of: dt.date, tmp_path: Path) -> None:
    rep = train_models(store, as_of=as_of, seed=1, models_dir=tmp_path, n_boot=20, test_cycles=2,
                       kinds=("logit",), ablation=False, n_threads=1)  # fmt: skip
    assert rep.chosen == "logit" and (tmp_path / rep.version / "model.joblib").exists()
    assert rep.ablation.empty and not rep.evaluation["metadata"]["ablation_info"]["computed"]


def test_score_households_writes_risk_score(store: Any, report: Any, registry: Path, as_of: dt.date) -> None:
    out = score_households(store, as_of=as_of, models_dir=registry,
                           scored_at=dt.datetime(2026, 11, 24, tzinfo=dt.UTC))  # fmt: skip
    written = store.tables["risk_score"]
    assert list(written.columns) == list(RISK_SCORE_COLUMNS)
    assert store.writes[-1] == ("risk_score", "replace", len(out))
    assert len(out) == len(store.tables["household"]) and out["household_id"].is_unique
    assert out["model_version"].eq(report.version).all()
    assert out["probability"].between(0, 1).all()
    assert set(out["tier"]) <= {1, 2, 3, 4} and (out["tier"] < 4).any()
    top = out.sort_values("probability", ascending=False).iloc[0]
    reasons = json.loads(top["reasons"])
    assert 1 <= len(reasons) <= 3
    assert set(reasons[0]) == {"code", "label_ko", "label_en", "weight"}
    assert re.search("[가-힣]", reasons[0]["label_ko"])
    weights = [r["weight"] for r in reasons]
    assert weights == sorted(weights, reverse=True) and weights[0] > 0
    # ranks are 1..n inside each 읍면동
    sizes = out.groupby("jurisdiction_code")["rank"].agg(["min", "max", "size"])
    assert (sizes["min"] == 1).all() and (sizes["max"] == sizes["size"]).all()


def test_scoring_with_overrides(store: Any, registry: Path, as_of: dt.date) -> None:
    hh = int(store.tables["household"]["household_id"].iloc[-1])
    ov = pd.DataFrame({"household_id": [hh], "tier": [1], "reason_code": ["urgent_report"], "user_id": [3],
                       "created_at": [pd.Timestamp("2026-11-20", tz="UTC")], "active": [True]})  # fmt: skip
    out = score_households(store, as_of=as_of, models_dir=registry, overrides=ov, write=False)
    row = out.set_index("household_id").loc[hh]
    assert row["tier"] == 1 and row["overridden_by"] == 3


@pytest.mark.parametrize("kind", ["logit", "hgb"])
def test_removing_the_top_factor_lowers_the_score(kind: str, world: dict[str, pd.DataFrame],
                                                  report: Any, as_of: dt.date) -> None:  # fmt: skip
    from models.estimators import make_estimator

    specs = feature_specs()
    d = world["discovery_history"]
    X = build_features(world, d[["household_id"]].assign(as_of=d["cycle_date"])).to_numpy(np.float64)
    y = (d["outcome"] == "supported").to_numpy().astype(int)
    model = make_estimator(kind, specs, seed=0).fit(X, y)
    base = baseline_values(specs, pd.DataFrame(X))
    groups, group_of = group_codes(specs)
    raw, contrib = score_and_contributions(kind, model, X, specs=specs, baseline=base)
    np.testing.assert_allclose(raw, model.decision_function(X), rtol=1e-6, atol=1e-6)
    if kind == "hgb":  # path contributions add up to the raw score minus the expected value
        spread = (contrib.sum(1) - raw).std()
        assert spread < 1e-4
    top_rows = np.argsort(-raw)[:20]
    for i in top_rows:
        g = int(np.argmax(contrib[i]))
        removed = X[i : i + 1].copy()
        cols = np.flatnonzero(group_of == g)
        removed[0, cols] = base[cols]
        assert model.decision_function(removed)[0] < raw[i], groups[g]
        if kind == "logit":  # exact: the drop equals the contribution
            assert raw[i] - model.decision_function(removed)[0] == pytest.approx(contrib[i, g], rel=1e-4)
    assert contributions(kind, model, X[:5], specs=specs, baseline=base).shape == (5, len(groups))


def test_model_card_from_report_and_registry(report: Any, registry: Path, tmp_path: Path) -> None:
    page = write_model_card(report, tmp_path / "card")
    text = page.read_text(encoding="utf-8")
    for needle in ("Intended use", "Out-of-scope", "Limitations", "Allegheny", "0.66-0.67", "46%",
                   "precision at capacity", "fairness.png", "hidden households", "as-is XGBoost",
                   "Effective rows", "below 0.8"):  # fmt: skip
        assert needle in text
    for png in ("roc_pr.png", "calibration.png", "fairness.png", "comparison.png"):
        assert (tmp_path / "card" / png).stat().st_size > 1000
    again = write_model_card(object(), tmp_path / "card2", models_dir=registry)
    assert report.version in again.read_text(encoding="utf-8")
