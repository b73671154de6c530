"""Referral service: sending with consent, who may do what, 현원, overdue/expiry, audit, races."""

from __future__ import annotations

import datetime as dt
import threading

import pandas as pd
import pytest
from sqlalchemy import select

from domain.access import Viewer
from domain.errors import AccessDenied
from domain.referral import ReferralDeadlines
from geodata.schema import table
from geodata.store.base import Store
from services.referral import (
    ReferralConflict,
    ReferralInputError,
    act_on_referral,
    expire_overdue,
    household_referrals,
    provider_inbox,
    referral_candidates,
    referral_detail,
    send_referral,
    sent_referrals,
    update_occupancy,
)
from tests.fixtures_world import OTHER_EMD, OUTREACH_EMD, World, build_world, copy_world, viewer_of

MONDAY = dt.date(2026, 11, 30)
RULES = ReferralDeadlines(answer_working_days=3, start_working_days=5, complete_days=30,
                          expire_working_days=10)


@pytest.fixture(scope="module")
def _built(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("referral") / "store")


@pytest.fixture
def world(_built: World, tmp_path) -> World:
    """A fresh copy of the built world for each test (tests change referrals and 현원)."""
    return copy_world(_built, tmp_path / "store")


def _viewer(store: Store, username: str) -> Viewer:
    return viewer_of(store, username)


def _household(world: World, emd: str = OUTREACH_EMD, k: int = 0) -> int:
    return int(world.households.loc[world.households["emd_code"] == emd, "household_id"].iloc[k])


def _occupancy(store: Store, facility_id: int) -> tuple[int, int]:
    row = store.read_frame("facility", where={"facility_id": facility_id}).iloc[0]
    return int(row["capacity"]), int(row["current_users"])


def _audit(store: Store, action: str) -> list[dict]:
    log = table("audit_log")
    with store.session() as s:
        return [dict(r) for r in s.execute(select(log).where(log.c.action == action)).mappings()]


def _send(world: World, hid: int | None = None, **kw) -> tuple[int, Viewer, Viewer]:
    outreach, provider = _viewer(world.store, "outreach"), _viewer(world.store, "provider")
    rid = send_referral(world.store, outreach, hid or _household(world), provider.facility_id,
                        consent=True, note="주간 돌봄 필요", today=MONDAY, deadlines=RULES, **kw)
    return rid, outreach, provider


def test_candidates_are_suitable_facilities_with_free_places(world: World) -> None:
    outreach = _viewer(world.store, "outreach")
    found = referral_candidates(world.store, outreach, _household(world))
    assert len(found) and (found["free_places"] > 0).all()
    assert found["distance_m"].is_monotonic_increasing
    assert set(found["target_group"]) <= {"elderly", "children", "disabled", "community",
                                          "low_income", "women_family"}
    with pytest.raises(AccessDenied):
        referral_candidates(world.store, outreach, _household(world, OTHER_EMD))


def test_send_needs_consent_and_an_outreach_worker_of_the_household(world: World) -> None:
    outreach, provider = _viewer(world.store, "outreach"), _viewer(world.store, "provider")
    hid = _household(world)
    with pytest.raises(ReferralInputError, match="consent"):
        send_referral(world.store, outreach, hid, provider.facility_id, consent=False)
    with pytest.raises(ReferralInputError, match="unknown facility 9999"):
        send_referral(world.store, outreach, hid, 9999, consent=True)
    with pytest.raises(ReferralInputError, match="at most 1000"):
        send_referral(world.store, outreach, hid, provider.facility_id, consent=True, note="x" * 1001)
    with pytest.raises(AccessDenied):
        send_referral(world.store, outreach, _household(world, OTHER_EMD), provider.facility_id,
                      consent=True)
    for name in ("planner", "provider", "admin"):
        with pytest.raises(AccessDenied, match="cannot send referrals"):
            send_referral(world.store, _viewer(world.store, name), hid, provider.facility_id, consent=True)
    assert world.store.referrals.list().empty
    refused = [r for r in _audit(world.store, "send_referral") if not r["allowed"]]
    assert len(refused) == 4  # the foreign household and the three other roles


def test_send_records_need_due_date_history_and_audit(world: World) -> None:
    rid, _outreach, provider = _send(world)
    row = world.store.referrals.get(rid)
    facility = world.store.read_frame("facility", where={"facility_id": provider.facility_id}).iloc[0]
    assert row["state"] == "requested" and row["consent_recorded"] is True
    assert (row["need_group"], row["need_function"]) == (facility["target_group"], facility["function"])
    assert row["due_date"] == dt.date(2026, 12, 3) and row["sender_emd_code"] == OUTREACH_EMD
    history = world.store.referrals.history([rid])
    assert history[["action", "to_state", "username"]].values.tolist() == [["send", "requested", "outreach"]]
    assert [r["object_id"] for r in _audit(world.store, "send_referral") if r["allowed"]] == [str(rid)]
    with pytest.raises(ReferralInputError, match=f"referral {rid} to this facility is still open"):
        _send(world)


def test_provider_accepts_starts_and_completes_with_occupancy_and_history(world: World) -> None:
    rid, _outreach, provider = _send(world)
    before = _occupancy(world.store, provider.facility_id)
    act_on_referral(world.store, provider, rid, "accept", today=MONDAY, deadlines=RULES)
    assert _occupancy(world.store, provider.facility_id) == (before[0], before[1] + 1)
    act_on_referral(world.store, provider, rid, "start", today=MONDAY, deadlines=RULES)
    done = act_on_referral(world.store, provider, rid, "complete", outcome="successful",
                           today=MONDAY, deadlines=RULES)
    assert done["state"] == "completed" and done["outcome"] == "successful" and done["due_date"] is None
    assert _occupancy(world.store, provider.facility_id) == (before[0], before[1] + 1)
    history = world.store.referrals.history([rid])
    assert history["action"].tolist() == ["send", "accept", "start", "complete"]
    assert history["username"].tolist() == ["outreach", "provider", "provider", "provider"]
    for action in ("referral_accept", "referral_start", "referral_complete"):
        assert [r["allowed"] for r in _audit(world.store, action)] == [True]
    # The nearby list shows the new 현원 (the household's candidates read the same store).
    near = world.store.facilities_nearest(
        world.store.read_frame("facility", where={"facility_id": provider.facility_id}).geometry.iloc[0], k=1)
    assert int(near.iloc[0]["current_users"]) == before[1] + 1


def test_unsuccessful_completion_and_cancel_give_the_place_back(world: World) -> None:
    rid, outreach, provider = _send(world)
    base = _occupancy(world.store, provider.facility_id)
    act_on_referral(world.store, provider, rid, "accept", today=MONDAY)
    act_on_referral(world.store, provider, rid, "start", today=MONDAY)
    with pytest.raises(ReferralInputError, match="needs a reason"):
        act_on_referral(world.store, provider, rid, "complete", outcome="not_successful")
    act_on_referral(world.store, provider, rid, "complete", outcome="not_successful",
                    reason="client_refused_services")
    assert _occupancy(world.store, provider.facility_id) == base
    second = _send(world, _household(world, k=1))[0]
    act_on_referral(world.store, provider, second, "accept")
    act_on_referral(world.store, outreach, second, "cancel", reason="need_resolved")
    assert _occupancy(world.store, provider.facility_id) == base
    assert world.store.referrals.get(second)["state"] == "cancelled"


def test_roles_are_held_to_their_transitions(world: World) -> None:
    rid, outreach, provider = _send(world)
    with pytest.raises(ReferralInputError, match="only the provider may accept"):
        act_on_referral(world.store, outreach, rid, "accept")
    with pytest.raises(ReferralInputError, match="only the outreach may cancel"):
        act_on_referral(world.store, provider, rid, "cancel", reason="need_resolved")
    with pytest.raises(ReferralInputError, match="rejecting needs a reason"):
        act_on_referral(world.store, provider, rid, "reject")
    for name in ("planner", "ministry", "outreach2"):
        with pytest.raises(AccessDenied):
            act_on_referral(world.store, _viewer(world.store, name), rid, "accept")
    admin = _viewer(world.store, "admin")
    with pytest.raises(ReferralInputError, match="only the provider may accept"):
        act_on_referral(world.store, admin, rid, "accept")
    act_on_referral(world.store, provider, rid, "reject", reason="no_capacity")
    with pytest.raises(ReferralInputError, match="cannot start a referral that is rejected"):
        act_on_referral(world.store, provider, rid, "start")
    refused = [r for r in _audit(world.store, "referral_accept") if not r["allowed"]]
    assert len(refused) == 5


def test_a_full_facility_cannot_accept_and_nothing_changes(world: World) -> None:
    rid, outreach, provider = _send(world)
    capacity, _ = _occupancy(world.store, provider.facility_id)
    update_occupancy(world.store, provider, capacity=capacity, current_users=capacity)
    with pytest.raises(ReferralInputError, match="is full"):
        act_on_referral(world.store, provider, rid, "accept")
    assert world.store.referrals.get(rid)["state"] == "requested"
    assert world.store.referrals.history([rid])["action"].tolist() == ["send"]
    with pytest.raises(ReferralInputError, match="현원 ≤ 정원"):
        update_occupancy(world.store, provider, capacity=3, current_users=4)
    with pytest.raises(AccessDenied):
        update_occupancy(world.store, outreach, capacity=3, current_users=1)


def test_inbox_shows_only_own_facility_with_masked_data(world: World) -> None:
    rid, outreach, provider = _send(world)
    inbox = provider_inbox(world.store, provider, today=MONDAY)
    assert inbox["referral_id"].tolist() == [rid]
    assert inbox.iloc[0]["head_name"].count("*") >= 1
    assert "household_id" not in inbox.columns and "geometry" not in inbox.columns
    assert inbox.iloc[0]["actions"] == "accept,reject"
    assert not bool(inbox.iloc[0]["overdue"])
    late = provider_inbox(world.store, provider, today=dt.date(2026, 12, 4))
    assert bool(late.iloc[0]["overdue"])
    sent = sent_referrals(world.store, outreach, today=dt.date(2026, 12, 4))
    assert sent["referral_id"].tolist() == [rid] and bool(sent.iloc[0]["overdue"])
    assert sent.iloc[0]["actions"] == "cancel"
    assert sent_referrals(world.store, _viewer(world.store, "outreach2")).empty
    with pytest.raises(AccessDenied):
        provider_inbox(world.store, outreach)
    with pytest.raises(AccessDenied):
        sent_referrals(world.store, provider)
    detail = referral_detail(world.store, provider, rid)
    assert detail.actions == ("accept", "reject") and len(detail.history) == 1
    assert household_referrals(world.store, outreach, _household(world))["referral_id"].tolist() == [rid]
    with pytest.raises(AccessDenied):
        household_referrals(world.store, provider, _household(world))


def test_unanswered_referrals_expire_after_the_expiry_period(world: World) -> None:
    rid, _outreach, _provider = _send(world)
    sent_on = pd.Timestamp(world.store.referrals.get(rid)["created_at"]).date()
    last_day = RULES.expiry_date(sent_on)
    assert expire_overdue(world.store, today=last_day, deadlines=RULES) == 0
    assert expire_overdue(world.store, today=last_day + dt.timedelta(days=1), deadlines=RULES) == 1
    assert world.store.referrals.get(rid)["state"] == "expired"
    history = world.store.referrals.history([rid])
    assert history.iloc[-1][["action", "username"]].tolist() == ["expire", "system"]


def test_two_providers_acting_at_once_end_in_one_valid_state(world: World) -> None:
    rid, outreach, provider = _send(world)
    base = _occupancy(world.store, provider.facility_id)
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def run(name: str, who: Viewer, action: str, **kw) -> None:
        barrier.wait()
        try:
            results[name] = act_on_referral(world.store, who, rid, action, **kw)["state"]
        except (ReferralConflict, ReferralInputError) as exc:
            results[name] = exc

    threads = [threading.Thread(target=run, args=("accept", provider, "accept")),
               threading.Thread(target=run, args=("cancel", outreach, "cancel"),
                                kwargs={"reason": "referred_elsewhere"})]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = world.store.referrals.get(rid)["state"]
    winners = [v for v in results.values() if isinstance(v, str)]
    assert len(winners) >= 1 and final in ("accepted", "cancelled")
    # Either one won and the other was refused, or accept then cancel ran one after the other.
    history = world.store.referrals.history([rid])["action"].tolist()
    assert history in (["send", "accept"], ["send", "cancel"], ["send", "accept", "cancel"])
    expected_users = base[1] + (1 if final == "accepted" else 0)
    assert _occupancy(world.store, provider.facility_id)[1] == expected_users


def test_the_same_race_on_postgis(world: World, postgis_store: Store) -> None:
    for name in ("household", "person", "facility"):  # what sending and answering read
        postgis_store.write_frame(name, world.store.read_frame(name))
    users = table("app_user")
    with world.store.session() as s:
        rows = [dict(r) for r in s.execute(select(users)).mappings()]
    with postgis_store.session() as s:
        s.execute(users.insert(), rows)
    pg = World(root=world.root, store=postgis_store, households=world.households)  # type: ignore[arg-type]
    rid, _outreach, provider = _send(pg)
    base = _occupancy(postgis_store, provider.facility_id)
    barrier = threading.Barrier(4)
    results: list[object] = []

    def accept() -> None:
        barrier.wait()
        try:
            results.append(act_on_referral(postgis_store, provider, rid, "accept")["state"])
        except ReferralInputError as exc:  # a conflict, or "already accepted" if it looked later
            results.append(exc)

    threads = [threading.Thread(target=accept) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r == "accepted" for r in results) == 1
    assert sum(isinstance(r, ReferralInputError) for r in results) == 3
    assert _occupancy(postgis_store, provider.facility_id) == (base[0], base[1] + 1)
    assert postgis_store.referrals.history([rid])["action"].tolist() == ["send", "accept"]
