"""Overrides within capacity that expire (services.scores over domain.tiers), on the test world."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from geodata.schema import table
from services.casework import case_detail, override_tier
from services.scores import current_scores, overrides_in_force
from tests.fixtures_world import OUTREACH, OUTREACH_EMD, World, build_world


@pytest.fixture()
def world(tmp_path: pytest.TempPathFactory) -> World:
    return build_world(tmp_path / "store")  # type: ignore[operator]


def _own(world: World) -> pd.DataFrame:
    ids = world.households.loc[world.households["emd_code"] == OUTREACH_EMD, "household_id"]
    return current_scores(world.store, where={"household_id": ids.astype(int).tolist()})


def _stored_overrides(world: World) -> list[dict]:
    tbl = table("tier_override")
    with world.store.session() as s:
        return [dict(r) for r in s.execute(select(tbl).order_by(tbl.c.override_id)).mappings()]


def test_override_up_pushes_the_lowest_ranked_model_household_down(world: World) -> None:
    before = _own(world)
    worst = int(before["model_tier"].max())
    assert worst >= 3 and (before["model_tier"] == 1).sum() >= 2
    low = before[before["model_tier"] == worst].sort_values("rank").iloc[0]
    last_tier1 = before[before["model_tier"] == 1].sort_values("rank").iloc[-1]
    override_tier(world.store, OUTREACH, int(low["household_id"]), tier=1,
                  reason_code="urgent_report")
    after = _own(world).set_index("household_id")
    assert after.loc[int(low["household_id"]), "tier"] == 1
    assert after.loc[int(last_tier1["household_id"]), "tier"] == 2  # pushed down one tier
    # every tier of the team keeps its model size
    assert np.bincount(after["tier"], minlength=5).tolist() == \
        np.bincount(before["model_tier"], minlength=5).tolist()
    assert not after["over_capacity"].any()
    detail = case_detail(world.store, OUTREACH, int(low["household_id"]))
    assert detail.override is not None and detail.override["tier"] == 1


def test_override_expires_by_date_and_the_row_is_kept(world: World) -> None:
    hid = int(_own(world).sort_values("rank").iloc[-1]["household_id"])
    override_tier(world.store, OUTREACH, hid, tier=1, reason_code="field_observation")
    now = dt.datetime.now(dt.UTC)
    assert overrides_in_force(world.store, [hid], now=now)["household_id"].tolist() == [hid]
    ends = overrides_in_force(world.store, [hid], now=now)["ends_at"].iloc[0]
    assert dt.timedelta(days=59) < ends - now <= dt.timedelta(days=60)  # ATLAS_OVERRIDE_DAYS=60
    assert overrides_in_force(world.store, [hid], now=now + dt.timedelta(days=61)).empty
    assert len(_stored_overrides(world)) == 1  # expiry is computed, nothing deleted


def test_new_scores_end_overrides_and_every_change_is_kept(world: World) -> None:
    own = _own(world)
    worst = int(own["model_tier"].max())
    hid = int(own[own["model_tier"] == worst].iloc[0]["household_id"])
    override_tier(world.store, OUTREACH, hid, tier=2, reason_code="field_observation")
    override_tier(world.store, OUTREACH, hid, tier=1, reason_code="urgent_report")
    assert _own(world).set_index("household_id").loc[hid, "tier"] == 1
    rows = _stored_overrides(world)
    assert [(r["tier"], r["active"]) for r in rows] == [(2, False), (1, True)]  # history kept
    scores = world.store.read_frame("risk_score")
    rescored = scores.assign(model_version="test-v2",
                             scored_at=pd.Timestamp.now(tz="UTC") + pd.Timedelta(seconds=1))
    world.store.write_frame("risk_score", rescored)
    after = _own(world).set_index("household_id")
    assert after.loc[hid, "tier"] == worst and not after.loc[hid, "overridden"]
    assert overrides_in_force(world.store, [hid]).empty
    assert len(_stored_overrides(world)) == 2


def test_push_down_and_expiry_by_new_scores_on_both_stores(store) -> None:
    from services.users import create_user

    scored = pd.Timestamp("2026-11-01", tz="UTC")
    store.write_frame("risk_score", pd.DataFrame({
        "household_id": [1, 2, 3, 4], "model_version": "v1", "scored_at": scored,
        "probability": [0.9, 0.8, 0.5, 0.1], "tier": [1, 2, 3, 4], "rank": [1, 2, 3, 4],
        "jurisdiction_code": "36110250", "reasons": "[]"}))
    user = create_user(store, username="ow", password="pw-0123456789", role="outreach",
                       jurisdiction_code="36110250", display_name="담당")
    user_id = int(user)
    store.overrides.replace(household_id=4, tier=1, reason_code="urgent_report", user_id=user_id,
                            created_at=dt.datetime.now(dt.UTC))
    tiers = current_scores(store).set_index("household_id")["tier"].to_dict()
    assert tiers == {1: 2, 2: 3, 3: 4, 4: 1}  # each pushed one tier down, sizes kept
    store.write_frame("risk_score", store.read_frame("risk_score").assign(
        model_version="v2", scored_at=pd.Timestamp.now(tz="UTC") + pd.Timedelta(seconds=1)))
    tiers = current_scores(store).set_index("household_id")["tier"].to_dict()
    assert tiers == {1: 1, 2: 2, 3: 3, 4: 4}
    assert len(store.overrides.active([4])) == 1  # the row is kept, the override has ended
