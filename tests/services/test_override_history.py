"""Overrides end with a new model version (not a re-scoring); the capacity flag and the override
history of a team, jurisdiction-checked and audited, on both stores."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from domain.access import Viewer
from domain.errors import AccessDenied
from services.casework import override_tier
from services.overrides import HISTORY_COLUMNS, override_history, tier_capacity
from services.scores import current_scores, overrides_in_force


@pytest.fixture()
def team(store, small_world):
    """Four scored households of one 읍면동 and its outreach worker."""
    from services.users import create_user

    hh = small_world["household"]
    emd = str(hh["emd_code"].value_counts().index[0])
    mine = hh[hh["emd_code"] == emd].head(4)
    store.write_frame("household", mine)
    store.write_frame("person", small_world["person"][
        small_world["person"]["household_id"].isin(mine["household_id"])])
    ids = mine["household_id"].astype(int).tolist()
    store.write_frame("risk_score", pd.DataFrame({
        "household_id": ids, "model_version": "v1",
        "scored_at": pd.Timestamp.now(tz="UTC") - pd.Timedelta(hours=1),
        "probability": [0.9, 0.8, 0.5, 0.1], "tier": [1, 2, 3, 4], "rank": [1, 2, 3, 4],
        "jurisdiction_code": emd, "reasons": "[]"}))
    user_id = int(create_user(store, username="ow1", password="pw-0123456789", role="outreach",
                              jurisdiction_code=emd, display_name="박담당"))
    return store, Viewer(user_id, "ow1", "outreach", emd, "박담당"), emd, ids


def _rescore(store, version: str) -> None:
    store.write_frame("risk_score", store.read_frame("risk_score").assign(
        model_version=version, scored_at=pd.Timestamp.now(tz="UTC") + pd.Timedelta(seconds=1)))


def test_rescoring_the_same_version_keeps_the_override_a_new_version_ends_it(team) -> None:
    store, viewer, _emd, ids = team
    override_tier(store, viewer, ids[3], tier=1, reason_code="urgent_report")
    row = store.overrides.active([ids[3]]).iloc[0]
    assert row["model_version"] == "v1" and row["previous_tier"] == 4
    _rescore(store, "v1")  # same model, new scoring run
    assert overrides_in_force(store, [ids[3]])["household_id"].tolist() == [ids[3]]
    assert current_scores(store).set_index("household_id").loc[ids[3], "tier"] == 1
    _rescore(store, "v2")
    assert overrides_in_force(store, [ids[3]]).empty
    assert current_scores(store).set_index("household_id").loc[ids[3], "tier"] == 4
    history = override_history(store, viewer)
    assert history["status"].tolist() == ["new_model"]
    assert len(store.overrides.history()) == 1  # nothing deleted


def test_capacity_flag_when_overrides_outnumber_the_seats(team) -> None:
    store, viewer, _emd, ids = team
    assert not tier_capacity(store, viewer)["over_capacity"].any()
    override_tier(store, viewer, ids[2], tier=1, reason_code="urgent_report")
    cap = tier_capacity(store, viewer).set_index("tier")
    assert cap.loc[1, "seats"] == 1 and cap.loc[1, "overrides"] == 1
    assert not cap["over_capacity"].any()  # the model household moved down a tier
    override_tier(store, viewer, ids[3], tier=1, reason_code="field_observation")
    cap = tier_capacity(store, viewer).set_index("tier")
    assert cap.loc[1, "over_capacity"] and cap.loc[1, "households"] == 2
    assert cap.loc[1, "seats"] == 1


def test_history_lists_who_when_from_to_reason_and_why_it_ended(team) -> None:
    store, viewer, _emd, ids = team
    override_tier(store, viewer, ids[3], tier=2, reason_code="field_observation", note="이웃 신고")
    override_tier(store, viewer, ids[3], tier=1, reason_code="urgent_report")
    history = override_history(store, viewer, lang="ko")
    assert list(history.columns) == list(HISTORY_COLUMNS)
    assert history["tier"].tolist() == [1, 2]  # newest first
    assert history["previous_tier"].tolist() == [2, 4]
    assert history["status"].tolist() == ["in_force", "replaced"]
    assert history["user"].eq("박담당").all()
    assert history["note"].iloc[1] == "이웃 신고"
    assert history["ended_at"].iloc[1] == history["created_at"].iloc[0]
    assert "*" in history["name_masked"].iloc[0]
    later = override_history(store, viewer, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=61))
    assert later["status"].tolist() == ["expired", "replaced"]
    views = store.audit.rows(action="view_override_history")
    assert len(views) == 2 and views["allowed"].astype(bool).all()
    assert views["username"].eq("ow1").all()


def test_other_jurisdictions_and_aggregate_roles_are_refused_and_audited(team) -> None:
    store, viewer, emd, _ids = team
    other = "11110101" if emd != "11110101" else "11110102"
    with pytest.raises(AccessDenied):
        override_history(store, viewer, other)
    with pytest.raises(AccessDenied):
        tier_capacity(store, Viewer(None, "pl", "planner", emd[:5]))
    for action in ("view_override_history", "view_capacity"):
        rows = store.audit.rows(action=action)
        assert len(rows) == 1 and not rows["allowed"].astype(bool).any()
