"""services.login on both stores: rate limits and locks, constant-time failures, sessions."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from geodata.store.base import Store
from services.login import LoginPolicy, log_in, log_out, session_viewer
from services.users import create_user, dummy_hash

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
POLICY = LoginPolicy(
    max_failures_per_account=3,
    max_failures_per_address=5,
    window=dt.timedelta(minutes=10),
    lock=dt.timedelta(minutes=15),
    idle=dt.timedelta(minutes=30),
    max_age=dt.timedelta(hours=8),
)


@pytest.fixture
def users(store: Store) -> Store:
    create_user(store, username="kim", password="kim-password-1", role="planner",
                jurisdiction_code="11110")
    create_user(store, username="lee", password="lee-password-1", role="ministry")
    return store


def _try(store: Store, username: str, password: str, *, minutes: float = 0, address: str = "10.0.0.1"):
    return log_in(store, username, password, address=address, policy=POLICY,
                  now=T0 + dt.timedelta(minutes=minutes))


def test_the_right_password_opens_a_session(users: Store) -> None:
    result = _try(users, "kim", "kim-password-1")
    assert result.outcome == "ok" and result.viewer is not None and result.viewer.role == "planner"
    assert session_viewer(users, result.session_token, policy=POLICY, now=T0).username == "kim"
    assert _try(users, "kim", "wrong", minutes=1).outcome == "bad"
    audit = users.audit.rows(action="login", username="kim")
    assert sorted(audit["allowed"].astype(bool).tolist()) == [False, True]


def test_failures_lock_the_account_even_for_the_right_password(users: Store) -> None:
    outcomes = [_try(users, "kim", "wrong", minutes=i).outcome for i in range(3)]
    assert outcomes == ["bad", "bad", "locked"]  # the third failure reaches the limit
    right = _try(users, "kim", "kim-password-1", minutes=3)
    assert right.outcome == "locked" and right.session_token is None
    details = users.audit.rows(action="login", username="kim")["detail"].tolist()
    assert sum("locked until" in str(d) for d in details) == 1
    assert right.retry_after_s == 14 * 60  # 15-minute lock from the last failure at minute 2
    assert _try(users, "lee", "lee-password-1", minutes=3).outcome == "ok"  # others unaffected
    later = _try(users, "kim", "kim-password-1", minutes=2 + 15 + 0.1)
    assert later.outcome == "ok"


def test_a_success_clears_the_account_count(users: Store) -> None:
    assert [_try(users, "kim", "wrong", minutes=i).outcome for i in range(2)] == ["bad", "bad"]
    assert _try(users, "kim", "kim-password-1", minutes=3).outcome == "ok"
    assert [_try(users, "kim", "wrong", minutes=4 + i).outcome for i in range(2)] == ["bad", "bad"]


def test_failures_outside_the_window_do_not_lock(users: Store) -> None:
    outcomes = [_try(users, "kim", "wrong", minutes=6 * i).outcome for i in range(5)]
    assert outcomes == ["bad"] * 5


def test_unknown_usernames_lock_like_known_ones(users: Store) -> None:
    outcomes = [_try(users, "nobody", "x", minutes=i).outcome for i in range(3)]
    assert outcomes == ["bad", "bad", "locked"]


def test_one_address_trying_many_accounts_is_locked(users: Store) -> None:
    outcomes = [_try(users, f"user{i}", "x", minutes=i, address="10.9.9.9").outcome for i in range(5)]
    assert outcomes == ["bad", "bad", "bad", "bad", "locked"]
    assert _try(users, "kim", "kim-password-1", minutes=6, address="10.9.9.9").outcome == "locked"
    assert _try(users, "kim", "kim-password-1", minutes=6, address="10.1.1.1").outcome == "ok"


def test_every_failed_login_costs_one_scrypt(users: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    dummy_hash()  # computed once per process, before the first unknown user
    calls: list[int] = []
    real = hashlib.scrypt

    def counting(*args, **kwargs):
        calls.append(kwargs.get("n"))
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting)
    _try(users, "kim", "wrong", address="10.0.0.2")
    known = list(calls)
    calls.clear()
    _try(users, "nobody-at-all", "wrong", address="10.0.0.3")
    assert len(known) == len(calls) == 1 and known == calls  # same work, same scrypt cost


def test_logout_revokes_the_session_server_side(users: Store) -> None:
    token = _try(users, "kim", "kim-password-1").session_token
    assert log_out(users, token) is True
    assert session_viewer(users, token, policy=POLICY, now=T0) is None  # a copied cookie fails
    assert log_out(users, token) is False


def test_idle_and_old_sessions_are_revoked(users: Store) -> None:
    token = _try(users, "kim", "kim-password-1").session_token
    assert session_viewer(users, token, policy=POLICY, now=T0 + dt.timedelta(minutes=29)) is not None
    # activity at minute 29 keeps it alive until minute 59
    assert session_viewer(users, token, policy=POLICY, now=T0 + dt.timedelta(minutes=58)) is not None
    assert session_viewer(users, token, policy=POLICY, now=T0 + dt.timedelta(minutes=89)) is None
    assert session_viewer(users, token, policy=POLICY, now=T0 + dt.timedelta(minutes=90)) is None

    busy = _try(users, "lee", "lee-password-1").session_token
    for minutes in range(20, 8 * 60, 20):
        assert session_viewer(users, busy, policy=POLICY, now=T0 + dt.timedelta(minutes=minutes))
    assert session_viewer(users, busy, policy=POLICY, now=T0 + dt.timedelta(hours=8, minutes=1)) is None


def test_deactivated_users_lose_their_sessions(users: Store) -> None:
    token = _try(users, "kim", "kim-password-1").session_token
    users.users.update(users.users.by_username("kim").user_id, active=False)
    assert session_viewer(users, token, policy=POLICY, now=T0) is None
    assert _try(users, "kim", "kim-password-1", minutes=1).outcome == "bad"


def test_unknown_tokens_are_nobody(users: Store) -> None:
    assert session_viewer(users, "forged-token", policy=POLICY, now=T0) is None
    assert session_viewer(users, None, policy=POLICY, now=T0) is None
