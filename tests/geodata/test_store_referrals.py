"""Referral, history, unmet-need and occupancy repositories: one contract on both stores."""

from __future__ import annotations

import datetime as dt
import threading

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point
from sqlalchemy import insert, text

from geodata.schema import table
from geodata.store.base import Store, StoreError, StoreInputError
from geodata.store.referrals import (
    OccupancyError,
    add_transition,
    adjust_occupancy,
    get_referral,
    insert_need,
    insert_referral,
    list_needs,
    list_referrals,
    move_referral,
    set_occupancy,
    update_need,
)

#: (facility_id, lon, lat, capacity, current_users)
FACILITIES = ((1, 126.978, 37.566, 10, 9), (2, 126.990, 37.570, 5, 5), (3, 127.010, 37.580, 3, 0))


def _facility_frame(rows=FACILITIES) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "facility_id": [r[0] for r in rows],
            "name": [f"시설 {r[0]}" for r in rows],
            "type_code": ["F04"] * len(rows),
            "type_name": ["노인요양시설"] * len(rows),
            "target_group": ["elderly"] * len(rows),
            "function": ["medical_care"] * len(rows),
            "capacity": [r[3] for r in rows],
            "current_users": [r[4] for r in rows],
            "address": ["서울"] * len(rows),
            "emd_code": ["11110101"] * len(rows),
            "sigungu_code": ["11110"] * len(rows),
            "sido_code": ["11"] * len(rows),
        },
        geometry=[Point(r[1], r[2]) for r in rows],
        crs=4326,
    )


@pytest.fixture
def ready(store: Store) -> Store:
    store.write_frame("facility", _facility_frame())
    with store.session() as session:
        session.execute(insert(table("app_user")).values(
            user_id=1, username="worker", password_hash="x", role="outreach",
            jurisdiction_code="11110101", display_name="w", active=True,
            created_at=dt.datetime.now(dt.UTC)))
    return store


def _send(store: Store, household_id: int = 100, facility_id: int = 1) -> int:
    with store.session() as session:
        rid = insert_referral(session, {
            "household_id": household_id, "facility_id": facility_id, "state": "requested",
            "user_id": 1, "consent_recorded": True, "sender_emd_code": "11110101",
            "due_date": dt.date(2026, 12, 3), "need_group": "elderly",
            "need_function": "medical_care"})
        add_transition(session, {"referral_id": rid, "action": "send", "from_state": None,
                                 "to_state": "requested", "user_id": 1, "username": "worker"})
    return rid


def _users(store: Store, facility_id: int) -> tuple[int, int]:
    row = store.read_frame("facility", where={"facility_id": facility_id}).iloc[0]
    return int(row["capacity"]), int(row["current_users"])


def _accept(store: Store, rid: int, version: int = 1) -> bool:
    with store.session() as session:
        if not move_referral(session, rid, expected_state="requested", expected_version=version,
                             values={"state": "accepted"}):
            return False
        base = _users(store, 1)
        adjust_occupancy(session, 1, +1, base=base, user_id=2)
        add_transition(session, {"referral_id": rid, "action": "accept", "from_state": "requested",
                                 "to_state": "accepted", "user_id": 2})
    return True


def test_insert_get_list_and_history(ready: Store) -> None:
    first, second = _send(ready, 100, 1), _send(ready, 200, 3)
    got = ready.referrals.get(first)
    assert got is not None and got["state"] == "requested" and got["version"] == 1
    assert got["consent_recorded"] is True and got["due_date"] == dt.date(2026, 12, 3)
    assert ready.referrals.get(9999) is None
    assert ready.referrals.list()["referral_id"].tolist() == [second, first]
    assert ready.referrals.list(facility_ids=[3])["referral_id"].tolist() == [second]
    assert ready.referrals.list(states=["accepted"]).empty
    assert list(ready.referrals.list(states=["accepted"]).columns)[:3] == [
        "referral_id", "household_id", "facility_id"]
    history = ready.referrals.history([first, second])
    assert history[["referral_id", "action", "to_state"]].values.tolist() == [
        [first, "send", "requested"], [second, "send", "requested"]]


def test_bad_values_are_refused_with_the_column_named(ready: Store) -> None:
    with ready.session() as session, pytest.raises(StoreInputError, match=r"no columns \['colour'\]"):
        insert_referral(session, {"household_id": 1, "state": "requested", "user_id": 1, "colour": 1})
    with ready.session() as session, pytest.raises(StoreInputError, match="needs \\['user_id'\\]"):
        insert_referral(session, {"household_id": 1, "state": "requested"})
    with ready.session() as session, pytest.raises(StoreInputError, match="new 'state'"):
        move_referral(session, 1, expected_state="requested", expected_version=1, values={})
    with ready.session() as session, pytest.raises(StoreInputError, match="cannot be changed"):
        update_need(session, 1, household_id=5)


def test_a_transition_is_conditional_on_state_and_version(ready: Store) -> None:
    rid = _send(ready)
    assert _accept(ready, rid) is True
    assert _accept(ready, rid) is False  # already accepted: nothing changes
    with ready.session() as session:
        assert not move_referral(session, rid, expected_state="accepted", expected_version=1,
                                 values={"state": "in_progress"})  # stale version
        assert move_referral(session, rid, expected_state="accepted", expected_version=2,
                             values={"state": "in_progress"})
    row = ready.referrals.get(rid)
    assert row["state"] == "in_progress" and row["version"] == 3
    assert _users(ready, 1) == (10, 10)


def test_occupancy_moves_within_capacity_and_shows_in_reads(ready: Store) -> None:
    near = ready.facilities_nearest(Point(126.978, 37.566), k=3, free_places_only=True)
    assert 1 in near["facility_id"].tolist() and 2 not in near["facility_id"].tolist()
    with ready.session() as session:
        occ = adjust_occupancy(session, 1, +1, base=_users(ready, 1), user_id=2)
    assert (occ.capacity, occ.current_users, occ.free_places) == (10, 10, 0)
    assert _users(ready, 1) == (10, 10)
    near = ready.facilities_nearest(Point(126.978, 37.566), k=3, free_places_only=True)
    assert near["facility_id"].tolist() == [3]
    with ready.session() as session, pytest.raises(OccupancyError, match="is full: 현원 10 of 정원 10"):
        adjust_occupancy(session, 1, +1, base=(10, 9), user_id=2)
    with ready.session() as session, pytest.raises(OccupancyError, match="cannot give back"):
        adjust_occupancy(session, 3, -1, base=_users(ready, 3), user_id=2)
    with ready.session() as session:
        set_occupancy(session, 2, capacity=8, current_users=5, user_id=3)
    assert _users(ready, 2) == (8, 5)
    everything = ready.facilities_nearest(Point(126.978, 37.566), k=3)
    assert everything.set_index("facility_id")["free_places"].to_dict() == {1: 0, 2: 3, 3: 3}
    with ready.session() as session, pytest.raises(OccupancyError, match="현원 ≤ 정원"):
        set_occupancy(session, 2, capacity=2, current_users=5, user_id=3)


def test_a_failed_transaction_leaves_referral_occupancy_and_history_unchanged(ready: Store) -> None:
    rid = _send(ready)
    with pytest.raises(RuntimeError, match="boom"), ready.session() as session:
        assert move_referral(session, rid, expected_state="requested", expected_version=1,
                             values={"state": "accepted"})
        adjust_occupancy(session, 1, +1, base=_users(ready, 1), user_id=2)
        add_transition(session, {"referral_id": rid, "action": "accept", "to_state": "accepted"})
        raise RuntimeError("boom")
    assert ready.referrals.get(rid)["state"] == "requested"
    assert _users(ready, 1) == (10, 9)
    assert ready.referrals.history([rid])["action"].tolist() == ["send"]


def test_reloading_facilities_brings_their_own_occupancy(ready: Store) -> None:
    with ready.session() as session:
        set_occupancy(session, 3, capacity=3, current_users=2, user_id=3)
    assert _users(ready, 3) == (3, 2)
    ready.write_frame("facility", _facility_frame())
    assert _users(ready, 3) == (3, 0)


def test_two_workers_accepting_at_once_end_in_one_valid_state(ready: Store) -> None:
    rid = _send(ready)
    barrier = threading.Barrier(6)
    results: list[object] = []

    def worker() -> None:
        barrier.wait()
        try:
            results.append(_accept(ready, rid))
        except Exception as exc:  # recorded, then asserted below
            results.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(repr, results)) == sorted(["True"] + ["False"] * 5)
    assert ready.referrals.get(rid)["state"] == "accepted"
    assert _users(ready, 1) == (10, 10)
    assert ready.referrals.history([rid])["action"].tolist() == ["send", "accept"]


def test_two_referrals_racing_for_the_last_place_get_it_once(ready: Store) -> None:
    first, second = _send(ready, 100), _send(ready, 200)
    barrier = threading.Barrier(2)
    outcome: dict[int, object] = {}

    def worker(rid: int) -> None:
        barrier.wait()
        try:
            outcome[rid] = _accept(ready, rid)
        except OccupancyError as exc:
            outcome[rid] = exc

    threads = [threading.Thread(target=worker, args=(rid,)) for rid in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = [rid for rid, got in outcome.items() if got is True]
    lost = [rid for rid, got in outcome.items() if isinstance(got, OccupancyError)]
    assert len(won) == 1 and len(lost) == 1, outcome
    assert ready.referrals.get(won[0])["state"] == "accepted"
    assert ready.referrals.get(lost[0])["state"] == "requested"  # rolled back with the 현원 refusal
    assert _users(ready, 1) == (10, 10)


def test_unmet_needs_insert_list_and_conditional_update(ready: Store) -> None:
    with ready.session() as session:
        ids = [insert_need(session, {
            "household_id": h, "need_group": "elderly", "need_function": "medical_care",
            "urgency": "urgent", "emd_code": emd, "sigungu_code": emd[:5],
            "cause": "none_in_reach", "status": "open", "user_id": 1}) for h, emd in
            ((100, "11110101"), (200, "11140102"))]
    assert ready.referrals.needs()["need_id"].tolist() == ids
    assert ready.referrals.needs(region_prefix="11140")["household_id"].tolist() == [200]
    assert ready.referrals.needs(household_ids=[100], statuses=["open"])["need_id"].tolist() == ids[:1]
    with ready.session() as session:
        assert update_need(session, ids[0], expected_status="open", status="offered", matched_facility_id=3)
        assert not update_need(session, ids[0], expected_status="open", status="offered")
    with ready.session() as session:
        offered = list_needs(session, statuses=["offered"])
    assert offered[["need_id", "matched_facility_id"]].values.tolist() == [[ids[0], 3]]


def test_list_referrals_returns_typed_empty_frame(ready: Store) -> None:
    with ready.session() as session:
        frame = list_referrals(session, household_ids=[1])
        assert get_referral(session, 1) is None
    assert isinstance(frame, pd.DataFrame) and frame.empty and "state" in frame.columns


def test_postgis_connection_lost_mid_transition_writes_nothing(postgis_store: Store) -> None:
    """The server kills the session between the referral update and the commit."""
    store = postgis_store
    store.write_frame("facility", _facility_frame())
    with store.session() as session:
        session.execute(insert(table("app_user")).values(
            user_id=1, username="worker", password_hash="x", role="outreach",
            display_name="w", active=True, created_at=dt.datetime.now(dt.UTC)))
    rid = _send(store)
    # a lost connection is translated like every driver error: a StoreError, no password
    with pytest.raises(StoreError, match=r"terminat|closed|connection"), store.session() as session:
        assert move_referral(session, rid, expected_state="requested", expected_version=1,
                             values={"state": "accepted"})
        adjust_occupancy(session, 1, +1, base=(10, 9), user_id=2)
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
        with store.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        add_transition(session, {"referral_id": rid, "action": "accept", "to_state": "accepted"})
    assert store.referrals.get(rid)["state"] == "requested"
    assert _users(store, 1) == (10, 9)
    assert store.referrals.history([rid])["action"].tolist() == ["send"]
