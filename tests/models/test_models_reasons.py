"""Reasons are about the current crisis: never a signal the household does not have."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pandas as pd

from models.features import build_features, feature_specs
from models.reasons import CONTEXT_GROUPS, group_codes, present_mask


def test_present_mask_keeps_only_factors_the_household_has(world: dict[str, pd.DataFrame], as_of: dt.date) -> None:
    specs = feature_specs()
    groups, _ = group_codes(specs)
    hh = world["household"][["household_id"]].assign(as_of=pd.Timestamp(as_of))
    X = build_features(world, hh)
    mask = present_mask(X, groups)
    for j, g in enumerate(groups):
        if g.startswith("sig:"):
            assert not mask[X[f"sig__{g[4:]}__n12"].to_numpy() < 1, j].any(), g
        if g in CONTEXT_GROUPS:
            assert not mask[:, j].any()
    assert mask.any(axis=0).sum() > len(groups) // 2  # most factors occur somewhere


def test_scored_reasons_name_only_signals_with_a_real_count(store: Any, report: Any, registry: Any,
                                                            as_of: dt.date) -> None:  # fmt: skip
    from models.scoring import score_households

    scores = score_households(store, as_of=as_of, models_dir=registry)
    X = build_features(store.tables, scores[["household_id"]].assign(as_of=pd.Timestamp(as_of)))
    X.index = scores["household_id"].to_numpy()
    seen_signal = 0
    for hid, text in zip(scores["household_id"], scores["reasons"], strict=True):
        for r in json.loads(text):
            assert r["code"] not in CONTEXT_GROUPS  # past support is context, never a reason
            if r["code"].startswith("sig:"):
                n12 = round(X.loc[hid, f"sig__{r['code'][4:]}__n12"])
                assert n12 >= 1
                assert str(n12) in r["label_ko"]  # "전기요금 3개월 체납" with the real count
                seen_signal += 1
    assert seen_signal > 0
    assert np.isfinite(scores["probability"]).all()
