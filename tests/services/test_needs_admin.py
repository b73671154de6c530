"""Unmet needs (register, offer, match, suppressed summary) and the administrator's console."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from domain.access import Viewer
from domain.errors import AccessDenied
from geodata.schema import table
from geodata.store.base import Store
from geodata.store.referrals import set_occupancy
from services.admin import (
    add_user,
    audit_entries,
    export_audit_csv,
    failed_logins,
    list_users,
    reset_password,
    set_active,
    set_scope,
)
from services.login import LoginPolicy, log_in
from services.needs import (
    NeedInputError,
    close_need,
    export_needs_csv,
    household_needs,
    need_summary,
    refresh_offers,
    register_need,
    worker_needs,
)
from services.referral import send_referral, update_occupancy
from services.users import UserInputError, authenticate, load_viewer
from tests.fixtures_world import OTHER_EMD, OUTREACH_EMD, World, build_world, copy_world, viewer_of


@pytest.fixture(scope="module")
def _built(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("needs") / "store")


@pytest.fixture
def world(_built: World, tmp_path) -> World:
    return copy_world(_built, tmp_path / "store")


def _viewer(store: Store, username: str) -> Viewer:
    return viewer_of(store, username)


def _households(world: World, emd: str = OUTREACH_EMD) -> list[int]:
    return world.households.loc[world.households["emd_code"] == emd, "household_id"].astype(int).tolist()


# ------------------------------------------------------------------------------ needs
def test_register_validates_every_field_at_once(world: World) -> None:
    outreach = _viewer(world.store, "outreach")
    hid = _households(world)[0]
    with pytest.raises(NeedInputError) as err:
        register_need(world.store, outreach, hid, need_group="pets", need_function="x",
                      urgency="soon", cause="why")
    assert all(s in str(err.value) for s in ("unknown target group 'pets'", "urgency", "cause"))
    with pytest.raises(NeedInputError, match="no facility type offers 'residential'"):
        register_need(world.store, outreach, hid, need_group="community", need_function="residential",
                      urgency="urgent", cause="none_in_reach")
    with pytest.raises(AccessDenied):
        register_need(world.store, outreach, _households(world, OTHER_EMD)[0], need_group="community",
                      need_function="community_service", urgency="urgent", cause="none_in_reach")
    with pytest.raises(AccessDenied):
        register_need(world.store, _viewer(world.store, "planner"), hid, need_group="community",
                      need_function="community_service", urgency="urgent", cause="none_in_reach")


def test_a_need_is_offered_when_a_place_appears_and_matched_by_a_referral(world: World) -> None:
    outreach, provider = _viewer(world.store, "outreach"), _viewer(world.store, "provider")
    facility = world.store.read_frame("facility", where={"facility_id": provider.facility_id}).iloc[0]
    every = world.store.read_frame("facility", columns=["facility_id", "target_group", "function",
                                                       "capacity"])
    same_kind = every[(every["target_group"] == facility["target_group"])
                      & (every["function"] == facility["function"])]
    # Fill every facility of that kind: the need has nowhere to go.
    with world.store.session() as s:
        for fid, cap in zip(same_kind["facility_id"], same_kind["capacity"], strict=True):
            set_occupancy(s, int(fid), capacity=int(cap), current_users=int(cap), user_id=None)
    hid = _households(world)[0]
    need_id = register_need(world.store, outreach, hid, need_group=facility["target_group"],
                            need_function=facility["function"], urgency="urgent", cause="none_free",
                            note="재가 돌봄")
    with pytest.raises(NeedInputError, match="already open"):
        register_need(world.store, outreach, hid, need_group=facility["target_group"],
                      need_function=facility["function"], urgency="high", cause="none_free")
    assert refresh_offers(world.store) == 0
    mine = worker_needs(world.store, outreach)
    assert mine[["need_id", "status"]].values.tolist() == [[need_id, "open"]]
    # The provider frees places: the need is offered that facility.
    update_occupancy(world.store, provider, capacity=int(facility["capacity"]),
                     current_users=int(facility["capacity"]) - 2)
    offered = worker_needs(world.store, outreach)
    assert offered.iloc[0]["status"] == "offered"
    assert int(offered.iloc[0]["matched_facility_id"]) == provider.facility_id
    assert offered.iloc[0]["matched_facility_name"] == facility["name"]
    assert worker_needs(world.store, _viewer(world.store, "outreach2")).empty
    rid = send_referral(world.store, outreach, hid, provider.facility_id, consent=True, need_id=need_id)
    got = household_needs(world.store, outreach, hid)
    assert got[["status", "referral_id"]].values.tolist() == [["matched", rid]]
    with pytest.raises(NeedInputError, match="no longer open"):
        close_need(world.store, outreach, need_id)
    with pytest.raises(AccessDenied):
        worker_needs(world.store, _viewer(world.store, "planner"))


def test_planners_see_a_suppressed_summary_and_export_it(world: World) -> None:
    outreach = _viewer(world.store, "outreach")
    kinds = [("community", "community_service")] * 7 + [("disabled", "community_service")] * 6 + [
        ("elderly", "leisure")] * 2
    for hid, (group, function) in zip(_households(world), kinds, strict=False):
        register_need(world.store, outreach, hid, need_group=group, need_function=function,
                      urgency="urgent", cause="none_in_reach")
    planner = _viewer(world.store, "planner")
    summary = need_summary(world.store, planner)
    assert set(summary["region_code"]) == {OUTREACH_EMD}
    by_kind = summary.set_index("need_group")
    assert by_kind.loc["community", "needs"] == 7.0
    # 2 is suppressed, and 6 with it (else 2 = region total − 7 − 6).
    assert by_kind["needs"].isna().tolist() == [False, True, True]
    assert by_kind.loc["elderly", "suppressed"] and by_kind.loc["disabled", "suppressed"]
    ministry = need_summary(world.store, _viewer(world.store, "ministry"))
    assert set(ministry["region_code"]) == {OUTREACH_EMD[:5]}
    name, body = export_needs_csv(world.store, planner)
    text = body.decode("utf-8-sig")
    assert name == "unmet_needs.csv" and text.count("비공개") == 2 and ",7," in text
    for role in ("outreach", "provider"):
        with pytest.raises(AccessDenied):
            need_summary(world.store, _viewer(world.store, role))
    log = table("audit_log")
    with world.store.session() as s:
        exports = s.execute(select(log.c.username).where(log.c.action == "export_needs")).scalars().all()
    assert exports == ["planner"]


# ------------------------------------------------------------------------------ admin
def test_admin_manages_users_and_only_admin_may(world: World) -> None:
    admin = _viewer(world.store, "admin")
    users = list_users(world.store, admin)
    assert {"outreach", "planner", "ministry", "admin", "provider"} <= set(users["username"])
    assert "password_hash" not in users.columns
    provider = _viewer(world.store, "provider")
    uid = add_user(world.store, admin, username="provider2", password="provider2-pw", role="provider",
                   facility_id=provider.facility_id, display_name="둘째 담당")
    assert load_viewer(world.store, uid).facility_id == provider.facility_id
    with pytest.raises(UserInputError, match="needs the facility id"):
        add_user(world.store, admin, username="p3", password="provider3-pw", role="provider")
    with pytest.raises(UserInputError, match="unknown facility 9999"):
        add_user(world.store, admin, username="p4", password="provider4-pw", role="provider",
                 facility_id=9999)
    new_password = reset_password(world.store, admin, uid)
    assert authenticate(world.store, "provider2", new_password) is not None
    set_scope(world.store, admin, uid, role="outreach", jurisdiction_code=OTHER_EMD)
    changed = load_viewer(world.store, uid)
    assert (changed.role, changed.jurisdiction_code, changed.facility_id) == ("outreach", OTHER_EMD, None)
    with pytest.raises(UserInputError, match="8-digit"):
        set_scope(world.store, admin, uid, role="outreach", jurisdiction_code="36")
    set_active(world.store, admin, uid, active=False)
    assert load_viewer(world.store, uid) is None
    assert authenticate(world.store, "provider2", new_password) is None
    with pytest.raises(UserInputError, match="your own account"):
        set_active(world.store, admin, int(admin.user_id), active=False)
    for name in ("outreach", "planner", "provider"):
        with pytest.raises(AccessDenied, match="only administrators"):
            list_users(world.store, _viewer(world.store, name))
    log = table("audit_log")
    with world.store.session() as s:
        refused = s.execute(select(log.c.username).where(log.c.action == "admin_list_users",
                                                         log.c.allowed.is_(False))).scalars().all()
        details = s.execute(select(log.c.detail).where(log.c.username == "admin")).scalars().all()
    assert sorted(refused) == ["outreach", "planner", "provider"]
    assert not any(new_password in (d or "") for d in details)


def test_audit_log_filters_export_and_failed_logins(world: World) -> None:
    admin = _viewer(world.store, "admin")
    outreach, provider = _viewer(world.store, "outreach"), _viewer(world.store, "provider")
    hid = _households(world)[0]
    rid = send_referral(world.store, outreach, hid, provider.facility_id, consent=True)
    policy = LoginPolicy(max_failures_per_account=3)
    for _ in range(4):  # three failures lock the account; the fourth is refused while locked
        log_in(world.store, "planner", "wrong-password", address="10.0.0.7", policy=policy)
    log_in(world.store, "=cmd|' /C calc'!A0", "whatever-password", address="10.0.0.8", policy=policy)
    by_user = audit_entries(world.store, admin, username="outreach", action="send_referral")
    assert by_user["object_id"].tolist() == [str(rid)]
    about = audit_entries(world.store, admin, household_id=hid)
    assert "send_referral" in set(about["action"])
    today = dt.date.today()
    assert len(audit_entries(world.store, admin, date_from=today, date_to=today)) > 0
    assert audit_entries(world.store, admin, date_to=today - dt.timedelta(days=400)).empty
    refused = audit_entries(world.store, admin, action="login", allowed=False)
    assert len(refused) == 5 and set(refused["username"]) == {"planner", "=cmd|' /C calc'!A0"}
    failed = failed_logins(world.store, admin)
    assert failed.iloc[0][["username", "failures", "locked", "addresses"]].tolist() == ["planner", 4, 1, 1]
    assert set(failed["username"]) == {"planner", "=cmd|' /C calc'!A0"}
    name, body = export_audit_csv(world.store, admin, action="login")
    lines = body.decode("utf-8-sig").splitlines()
    assert name == "audit_log.csv" and sum(",planner,planner,login," in x for x in lines) == 3
    assert sum(",'=cmd|" in x for x in lines) == 1  # neutralised for spreadsheets
    with pytest.raises(AccessDenied):
        audit_entries(world.store, outreach)
    with pytest.raises(AccessDenied):
        failed_logins(world.store, provider)
    exported = audit_entries(world.store, admin, action="admin_export_audit")
    assert exported["username"].tolist() == ["admin"]
