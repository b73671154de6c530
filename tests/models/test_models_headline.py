"""The headline evaluation: hidden households, paired ratios, effective rows, tiers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models.as_is import AS_IS, as_is_columns
from models.evaluation import bootstrap_weights
from models.features import FeatureConfig, feature_specs
from models.headline import effective_rows, headline_table, hidden_mask
from models.training import labelled_rows


def test_hidden_means_no_benefit_support_or_visit_in_the_last_year() -> None:
    tables = {
        "benefit_history": pd.DataFrame({"household_id": [1, 2], "start_date": ["2020-01-01", "2020-01-01"],
                                         "end_date": [None, "2025-01-01"]}),
        "support": pd.DataFrame({"household_id": [3, 4], "supported_on": ["2026-03-01", "2025-01-01"]}),
        "discovery_history": pd.DataFrame({"household_id": [5, 6], "cycle_date": ["2026-06-01", "2026-10-01"]}),
    }  # fmt: skip
    hh = np.array([1, 2, 3, 4, 5, 6, 7])
    got = hidden_mask(tables, hh, np.full(hh.size, np.datetime64("2026-10-01")))
    # 1 receives now; 2's benefit ended; 3 supported 7 months ago; 4 21 months ago;
    # 5 visited 4 months ago; 6 is visited in this very cycle (does not count); 7 never seen
    assert got.tolist() == [False, True, False, True, False, True, True]


def test_unreachable_is_not_a_negative_label() -> None:
    d = pd.DataFrame({"household_id": [1, 2, 3], "cycle_date": ["2026-01-01"] * 3,
                      "outcome_date": ["2026-01-10"] * 3, "selection": ["audit_sample"] * 3,
                      "legacy_signal_count": [0, 0, 0],
                      "outcome": ["supported", "not_eligible", "unreachable"]})  # fmt: skip
    rows = labelled_rows(d, as_of=pd.Timestamp("2026-10-31").date())
    assert rows["household_id"].tolist() == [1, 2]
    assert rows["y"].tolist() == [1, 0]


def test_as_is_reads_the_crisis_signal_indicators_only() -> None:
    specs = feature_specs(FeatureConfig())
    cols = as_is_columns(specs)
    assert cols and all(specs[i].family == "household" and specs[i].name.startswith("sig__") for i in cols)
    assert not any(specs[i].group.startswith(("hh:", "rg:", "sn:")) for i in cols)


def test_headline_ratio_matches_its_parts_and_effective_rows_count_weights() -> None:
    rng = np.random.default_rng(0)
    n = 2_000
    y = (rng.random(n) < 0.1).astype(float)
    good = y + rng.normal(0, 0.7, n)
    poor = y + rng.normal(0, 2.0, n)
    sw = np.where(rng.random(n) < 0.5, 1.0, 20.0)
    W = bootstrap_weights(n, n_boot=200, seed=1)
    subsets = {"hidden": rng.random(n) < 0.6, "all": np.ones(n, dtype=bool)}
    h = headline_table(y, {"ours": good, AS_IS: poor}, sample_weight=sw, weights=W,
                       capacity_fraction=0.05, subsets=subsets, ours="ours", baselines=(AS_IS,))  # fmt: skip
    for subset in subsets:
        part = h[h["subset"] == subset].set_index(["model", "metric"])["estimate"]
        ratio = part[("ours", f"ratio_vs_{AS_IS}")]
        assert np.isclose(ratio, part[("ours", "precision_at_capacity")] / part[(AS_IS, "precision_at_capacity")])
        assert ratio > 1  # the less noisy score is more precise
    assert ((h["lo"] <= h["estimate"] + 1e-9) & (h["estimate"] <= h["hi"] + 1e-9)).all()
    assert effective_rows(np.array([1.0, 1.0, 1.0, 1.0])) == 4.0
    assert effective_rows(np.array([100.0, 1.0, 1.0])) < 1.1


def test_report_has_the_hidden_headline_and_tier_1_beats_tier_2(report: Any) -> None:
    h = report.evaluation["headline"]
    assert set(h["subset"]) == {"hidden", "all"}
    assert {report.chosen, AS_IS, "legacy"} <= set(h["model"])
    assert {f"ratio_vs_{AS_IS}", "ratio_vs_legacy"} <= set(h["metric"])
    assert (h["effective_rows"] > 0).all()
    t = report.evaluation["tiers"]
    obs = t[(t["model"] == report.chosen) & (t["metric"] == "observed_rate")].set_index("tier")["estimate"]
    assert obs[1] > obs[2]
