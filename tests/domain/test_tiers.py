"""The effective-tier rule (domain.tiers): the latest active override wins."""

from __future__ import annotations

import pandas as pd

from domain.tiers import HIGH_TIERS, TIER_VALUES, effective_tiers, latest_active_overrides


def _overrides() -> pd.DataFrame:
    return pd.DataFrame({
        "override_id": [1, 2, 3, 4, 5],
        "household_id": [10, 10, 20, 20, 30],
        "tier": [1, 3, 2, 4, 1],
        "created_at": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01", "2026-03-01",
                                      "2026-01-05"]),
        "active": [True, True, True, True, False],
    })


def test_tier_values_and_high_tiers() -> None:
    assert TIER_VALUES == (1, 2, 3, 4)
    assert set(HIGH_TIERS) < set(TIER_VALUES)


def test_latest_active_override_by_time_then_id() -> None:
    latest = latest_active_overrides(_overrides()).set_index("household_id")
    assert latest.loc[10, "tier"] == 3  # later created_at wins
    assert latest.loc[20, "tier"] == 4  # same time: higher override_id wins
    assert 30 not in latest.index  # inactive overrides do not count


def test_effective_tiers_keep_model_tier_without_override() -> None:
    latest = latest_active_overrides(_overrides())
    tiers, overridden = effective_tiers([10, 20, 30, 40], [2, 1, 3, 4], latest)
    assert tiers.tolist() == [3, 4, 3, 4]
    assert overridden.tolist() == [True, True, False, False]


def test_no_overrides() -> None:
    empty = latest_active_overrides(_overrides().iloc[:0])
    tiers, overridden = effective_tiers([1, 2], [4, 1], empty)
    assert tiers.tolist() == [4, 1] and not overridden.any()
