"""The effective-tier rule (domain.tiers): the latest active override wins."""

from __future__ import annotations

import numpy as np
import pandas as pd

from domain.tiers import (
    HIGH_TIERS,
    TIER_VALUES,
    effective_tiers,
    in_force,
    latest_active_overrides,
    override_ends,
    seat_tiers,
)


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


# ------------------------------------------------------------------ capacity and expiry
def test_override_up_pushes_lowest_ranked_model_household_down_one_tier() -> None:
    # one jurisdiction: model tiers 1,1,2,2,3,3 by rank; household 6 (tier 3) overridden to 1
    model = [1, 1, 2, 2, 3, 3]
    override = [np.nan] * 5 + [1.0]
    tiers, over = seat_tiers(["a"] * 6, model, [1, 2, 3, 4, 5, 6], override)
    assert tiers.tolist() == [1, 2, 2, 3, 3, 1]  # rank 2 pushed to tier 2, rank 4 to tier 3
    assert np.bincount(tiers).tolist() == np.bincount(model).tolist()  # sizes kept
    assert not over.any()


def test_groups_are_separate_and_override_down_frees_a_seat() -> None:
    groups = ["a", "a", "a", "b", "b", "b"]
    model = [1, 2, 4, 1, 2, 4]
    tiers, _ = seat_tiers(groups, model, [1, 2, 3, 1, 2, 3], [4.0] + [np.nan] * 5)
    assert tiers.tolist() == [4, 1, 2, 1, 2, 4]


def test_more_overrides_than_seats_marks_the_tier_over_capacity() -> None:
    tiers, over = seat_tiers(["a"] * 4, [1, 2, 3, 4], [1, 2, 3, 4], [np.nan, np.nan, 1.0, 1.0])
    assert tiers.tolist() == [2, 3, 1, 1]
    assert over.tolist() == [False, False, True, True]


def test_override_expires_after_the_configured_days() -> None:
    rows = pd.DataFrame({"created_at": pd.to_datetime(["2026-01-01", "2026-02-15"], utc=True),
                         "active": [True, True]})
    now = pd.Timestamp("2026-03-05", tz="UTC")
    assert in_force(rows, now=now, days=60).tolist() == [False, True]
    assert in_force(rows, now=now, days=90).tolist() == [True, True]
    ends = override_ends(rows, days=60)
    assert ends.iloc[0] == pd.Timestamp("2026-03-02", tz="UTC")


def test_override_ends_when_new_scores_are_written() -> None:
    rows = pd.DataFrame({"created_at": pd.to_datetime(["2026-01-01", "2026-02-15"], utc=True),
                         "active": [True, False]})
    scored = pd.Timestamp("2026-02-01", tz="UTC")
    now = pd.Timestamp("2026-02-20", tz="UTC")
    assert in_force(rows, now=now, days=60, scored_at=scored).tolist() == [False, False]
    assert override_ends(rows, days=60, scored_at=scored).iloc[0] == scored
    later = in_force(rows.assign(active=True), now=now, days=60, scored_at=scored)
    assert later.tolist() == [False, True]


def test_rescoring_with_the_same_model_version_keeps_an_override() -> None:
    from domain.tiers import ended_by_new_scores

    rows = pd.DataFrame({"created_at": pd.to_datetime(["2026-01-10", "2026-01-10", "2026-01-10"],
                                                      utc=True),
                         "active": [True, True, True], "model_version": ["v1", "v0", None]})
    rescored = pd.Timestamp("2026-01-20", tz="UTC")  # same version v1 scored again
    now = pd.Timestamp("2026-01-25", tz="UTC")
    ok = in_force(rows, now=now, days=60, scored_at=rescored, model_version="v1")
    assert ok.tolist() == [True, False, False]  # v1 kept; other version and unversioned end
    assert ended_by_new_scores(rows, scored_at=rescored, model_version="v1").tolist() == \
        [False, True, True]
    ends = override_ends(rows, days=60, scored_at=rescored, model_version="v1")
    assert ends.tolist() == [pd.Timestamp("2026-03-11", tz="UTC"), rescored, rescored]
    # after ATLAS_OVERRIDE_DAYS the same-version override ends too
    assert not in_force(rows, now=pd.Timestamp("2026-03-12", tz="UTC"), days=60,
                        scored_at=rescored, model_version="v1")[0]


def test_override_status_says_why_each_override_ended() -> None:
    from domain.tiers import override_status

    rows = pd.DataFrame({
        "override_id": [1, 2, 3, 4, 5],
        "household_id": [10, 10, 20, 30, 40],
        "created_at": pd.to_datetime(["2026-01-01", "2026-01-05", "2026-01-02", "2026-02-20",
                                      "2026-01-02"], utc=True),
        "active": [False, True, True, True, False],
        "model_version": ["v2", "v2", "v2", "v1", "v2"],
    })
    now = pd.Timestamp("2026-03-10", tz="UTC")
    scored = pd.Timestamp("2026-03-01", tz="UTC")
    got = override_status(rows, now=now, days=60, scored_at=scored, model_version="v2")
    # 1 replaced by 2 on 01-05; 2 and 3 past 60 days; 4 made on v1, ended by v2's scores;
    # 5 deactivated with no later row: replaced
    assert got["status"].tolist() == ["replaced", "expired", "expired", "new_model", "replaced"]
    assert got["ended_at"].iloc[0] == pd.Timestamp("2026-01-05", tz="UTC")
    assert got["ended_at"].iloc[1] == pd.Timestamp("2026-03-06", tz="UTC")
    assert got["ended_at"].iloc[3] == scored
    fresh = override_status(rows.iloc[[3]].assign(model_version="v2"), now=now, days=60,
                            scored_at=scored, model_version="v2")
    assert fresh["status"].tolist() == ["in_force"] and fresh["ended_at"].isna().all()
    # lapsed before the new version's scores came: expired, not ended by the new model
    old = override_status(rows.iloc[[2]].assign(model_version="v1"), now=now, days=30,
                          scored_at=scored, model_version="v2")
    assert old["status"].tolist() == ["expired"]
    assert old["ended_at"].iloc[0] == pd.Timestamp("2026-02-01", tz="UTC")
