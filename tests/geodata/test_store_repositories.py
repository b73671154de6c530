"""Operational repositories (users, audit, activities, overrides): the same on both stores."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geodata.store.base import Store, StoreInputError
from geodata.store.repositories.activities import MAX_IN_LIST

T0 = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


def _user(store: Store, username: str = "kim", **extra) -> int:
    values = {"password_hash": "scrypt$x", "role": "outreach", "jurisdiction_code": "11680101",
              "display_name": "김담당"} | extra
    return store.users.add(username=username, **values)


def test_users_add_get_update_and_list(store: Store) -> None:
    kim = _user(store, created_at=T0)
    lee = _user(store, "lee", role="admin", jurisdiction_code="", display_name="")
    got = store.users.get(kim)
    assert got is not None and got.username == "kim" and got.role == "outreach"
    assert got.jurisdiction_code == "11680101" and got.active and got.created_at == T0
    assert store.users.by_username("kim") == got
    assert store.users.by_username("KIM") is None and store.users.get(kim + 100) is None
    admin = store.users.get(lee)
    assert admin is not None and admin.jurisdiction_code is None and admin.display_name == "lee"
    assert store.users.update(kim, active=False, password_hash="scrypt$y") is True
    assert store.users.update(kim + 100, active=False) is False
    changed = store.users.get(kim)
    assert changed is not None and not changed.active and changed.password_hash == "scrypt$y"
    assert [u.username for u in store.users.list_all()] == ["kim", "lee"]
    provider = _user(store, "provider", role="provider", jurisdiction_code="", facility_id=17)
    assert store.users.get(provider).facility_id == 17 and got.facility_id is None
    with pytest.raises(StoreInputError, match="taken"):
        _user(store, "kim")
    with pytest.raises(StoreInputError, match="at least one column"):
        store.users.update(kim)
    assert store.count("app_user") == 3


def test_audit_append_cuts_long_texts_and_reads_oldest_first(store: Store) -> None:
    assert store.audit.append([]) == 0
    n = store.audit.append([
        {"action": "view_case", "allowed": True, "username": "kim", "object_id": "9" * 100,
         "purpose": "p" * 300, "at": T0},
        {"action": "export_csv", "allowed": False, "username": "lee", "detail": "x" * 5000},
        {"action": "view_case", "allowed": True, "username": "lee"},
    ])
    assert n == 3
    rows = store.audit.rows()
    assert rows["action"].tolist() == ["view_case", "export_csv", "view_case"]
    assert rows["audit_id"].is_monotonic_increasing
    assert rows["object_id"].iloc[0] == "9" * 64 and rows["purpose"].iloc[0] == "p" * 200
    assert rows["detail"].iloc[1] == "x" * 5000 and rows["allowed"].tolist() == [True, False, True]
    assert rows["at"].iloc[0] == pd.Timestamp(T0) and str(rows["at"].dt.tz) == "UTC"
    assert store.audit.rows(action="view_case")["username"].tolist() == ["kim", "lee"]
    assert store.audit.rows(username="lee", limit=1)["action"].tolist() == ["view_case"]
    assert store.audit.rows(limit=2)["action"].tolist() == ["export_csv", "view_case"]
    with pytest.raises(StoreInputError, match="needs 'action' and 'allowed'"):
        store.audit.append([{"action": "login"}])
    assert len(store.audit.rows()) == 3
    assert list(store.audit.rows(action="none").columns) == list(rows.columns)


def test_activities_add_and_read_newest_first_with_worker(store: Store) -> None:
    kim = _user(store)
    ids = [store.activities.add(household_id=hid, kind=kind, outcome_code="no_need",
                                activity_date=day, user_id=kim, note=note, created_at=T0)
           for hid, kind, day, note in [
               (1, "visit", dt.date(2026, 11, 1), None),
               (1, "consultation", dt.date(2026, 11, 3), "전화 상담"),
               (1, "visit", dt.date(2026, 11, 3), None),
               (2, "visit", dt.date(2026, 10, 1), None)]]
    assert ids == sorted(ids)
    mine = store.activities.for_household(1)
    assert mine["activity_id"].tolist() == [ids[2], ids[1], ids[0]]  # date desc, then id desc
    assert set(mine["worker"]) == {"김담당"} and mine["note"].iloc[1] == "전화 상담"
    assert str(mine["activity_date"].dtype) == "datetime64[ns]"
    assert mine["created_at"].iloc[0] == pd.Timestamp(T0)
    visits = store.activities.frame(kind="visit")
    assert visits["activity_id"].tolist() == [ids[0], ids[2], ids[3]]
    assert store.activities.frame(household_ids=[2])["activity_id"].tolist() == [ids[3]]
    many = store.activities.frame(household_ids=range(2, MAX_IN_LIST + 10))
    assert many["activity_id"].tolist() == [ids[3]]
    empty = store.activities.for_household(99)
    assert empty.empty and "worker" in empty.columns


def test_overrides_replace_keeps_one_active_per_household(store: Store) -> None:
    kim = _user(store)
    first = store.overrides.replace(household_id=5, tier=1, reason_code="worker_judgement",
                                    user_id=kim, created_at=T0)
    store.overrides.replace(household_id=3, tier=4, reason_code="already_supported", user_id=kim,
                            created_at=T0)
    latest = store.overrides.replace(household_id=5, tier=2, reason_code="worker_judgement",
                                     user_id=kim, note="재방문 후 조정",
                                     created_at=T0 + dt.timedelta(hours=1))
    active = store.overrides.active()
    assert active["household_id"].tolist() == [3, 5]  # by household
    assert active.set_index("household_id").loc[5, "override_id"] == latest
    assert active.set_index("household_id").loc[5, "tier"] == 2
    assert store.overrides.active([5])["override_id"].tolist() == [latest]
    assert store.overrides.active([42]).empty
    assert store.count("tier_override", where={"active": False}) == 1
    assert first != latest


def test_console_counts_failed_logins_per_username(store: Store) -> None:
    """The administrator's failed-login table (it failed on PostgreSQL: no boolean → bigint cast)."""
    minute = dt.timedelta(minutes=1)
    for i, (who, address, outcome) in enumerate([
            ("kim", "10.0.0.1", "bad"), ("kim", "10.0.0.2", "bad"), ("kim", "10.0.0.2", "locked"),
            ("lee", "10.0.0.3", "bad"), ("lee", "10.0.0.3", "ok"), ("park", "10.0.0.4", "ok")]):
        store.logins.record_attempt(username=who, address=address, outcome=outcome, at=T0 + i * minute)
    failed = store.console.failed_logins()
    assert failed[["username", "failures", "locked", "addresses"]].to_dict("records") == [
        {"username": "kim", "failures": 3, "locked": 1, "addresses": 2},
        {"username": "lee", "failures": 1, "locked": 0, "addresses": 1}]
    assert failed["first_at"].iloc[0] == pd.Timestamp(T0)
    assert failed["last_at"].iloc[0] == pd.Timestamp(T0 + 2 * minute)
    assert store.console.failed_logins(since=T0 + 2 * minute)["username"].tolist() == ["kim", "lee"]
    assert store.console.failed_logins(since=T0 + 2 * minute)["failures"].tolist() == [1, 1]
