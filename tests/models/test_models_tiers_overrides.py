"""Capacity, tiers and ranks; human overrides."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.overrides import apply_overrides
from models.tiers import (
    CapacityConfig,
    assign_tiers,
    capacity_by_emd,
    capacity_fraction,
    capacity_pools,
)


def _households(n_a: int = 100, n_b: int = 50) -> pd.DataFrame:
    return pd.DataFrame(
        {"household_id": np.arange(n_a + n_b), "emd_code": ["1111051000"] * n_a + ["1111052000"] * n_b,
         "sigungu_code": "11110"}
    )  # fmt: skip


def test_capacity_is_team_size_times_visits_without_scaling() -> None:
    cap = capacity_by_emd(_households(), None, config=CapacityConfig(scale_to_world=False))
    assert cap.tolist() == [45.0, 45.0]
    cfg = CapacityConfig(scale_to_world=False, overrides={"11110": 30, "1111052000": 12})
    assert capacity_by_emd(_households(), None, config=cfg).tolist() == [30.0, 12.0]


def test_capacity_scales_to_the_world() -> None:
    region = pd.DataFrame({"code": ["1111051000", "1111052000"], "households": [9000, 10]})
    cap = capacity_by_emd(_households(), region)
    assert cap.iloc[0] == pytest.approx(45 * 100 / 9000)  # real count known
    assert cap.iloc[1] == pytest.approx(45 * 50 / (22_073_000 / 3_496))  # national average
    assert 0 < capacity_fraction(_households(), region) < 0.05


def test_tiers_follow_capacity_and_rank_within_jurisdiction() -> None:
    hh = _households(20, 10)
    frame = hh.assign(jurisdiction_code=hh.emd_code, score=-hh.household_id.astype(float))
    cap = pd.Series({"1111051000": 4.0, "1111052000": 2.0})
    out = assign_tiers(frame, cap)
    a = out[hh.emd_code == "1111051000"]
    assert a["rank"].tolist() == list(range(1, 21))
    assert a["tier"].tolist() == [1] + [2] * 3 + [3] * 8 + [4] * 8
    b = out[hh.emd_code == "1111052000"]
    assert b["rank"].min() == 1 and b["tier"].tolist()[:3] == [1, 2, 3]


def test_pools_grow_when_capacity_is_fractional() -> None:
    hh = _households(30, 30)
    region = pd.DataFrame({"code": ["1111051000", "1111052000"], "households": [10, 10]})
    _pool, cap, level = capacity_pools(hh, region)
    assert level in {"sigungu", "sido", "all"}
    assert cap.sum() == pytest.approx(capacity_by_emd(hh, region).sum())


def test_overrides_latest_active_wins_and_ranks_first() -> None:
    scores = pd.DataFrame(
        {"household_id": [1, 2, 3, 4], "probability": [0.9, 0.8, 0.3, 0.1], "tier": [1, 2, 4, 4],
         "rank": [1, 2, 3, 4], "jurisdiction_code": "A"}
    )  # fmt: skip
    t = pd.Timestamp("2026-11-01", tz="UTC")
    overrides = pd.DataFrame(
        {"override_id": [1, 2, 3], "household_id": [4, 4, 3], "tier": [3, 1, 1],
         "reason_code": ["field_observation", "urgent_report", "data_error"], "user_id": [7, 8, 9],
         "created_at": [t, t + pd.Timedelta(days=1), t], "active": [True, True, False]}
    )  # fmt: skip
    out = apply_overrides(scores, overrides).set_index("household_id")
    assert out.loc[4, "tier"] == 1 and out.loc[4, "model_tier"] == 4
    assert out.loc[4, "overridden_by"] == 8 and out.loc[4, "override_reason"] == "urgent_report"
    assert out.loc[3, "tier"] == 4 and not out.loc[3, "overridden"]  # inactive override ignored
    # capacity kept: tier 1 has one seat, so household 1 is pushed to tier 2 and household 2
    # (tier 2 full, tier 3 has no seats) to tier 4
    assert out["tier"].to_dict() == {1: 2, 2: 4, 3: 4, 4: 1} and not out["over_capacity"].any()
    assert out["rank"].to_dict() == {4: 1, 1: 2, 2: 3, 3: 4}
    bad = overrides.assign(reason_code="whim")
    with pytest.raises(ValueError, match="unknown reason code"):
        apply_overrides(scores, bad)
