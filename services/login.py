"""Logging in and staying logged in: rate limits, temporary locks, constant-time checks and
server-side sessions.

* **Rate limits.** ``login_max_failures_per_account`` failed logins for one username, or
  ``login_max_failures_per_address`` from one address, within ``login_failure_window_minutes``
  lock that username (or address) for ``login_lock_minutes``. While locked, every attempt is
  refused without looking at the password -- the right password too -- and the caller is told
  how long the lock lasts. A successful login clears the account's count (not the address's).
  Unknown usernames lock like known ones, so a lock tells nothing about which accounts exist.
* **Constant time.** An unknown or deactivated username is checked against a dummy scrypt hash
  with the same parameters, so every failed login costs one scrypt and the same reads and writes.
* **Sessions.** A login opens a row in ``user_session`` keyed by the SHA-256 of a random token;
  the cookie holds the token only. Logging out revokes the row, so a copied cookie stops working
  at once; a session idle for ``session_idle_minutes`` or older than ``session_max_hours`` is
  revoked when next used.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Final, Literal

from domain.access import Viewer
from domain.roles import Role
from geodata.settings import Settings
from geodata.store.base import Store
from services.audit import audit
from services.users import dummy_hash, load_viewer, verify_password

log = logging.getLogger(__name__)

#: Activity on a session is written at most this often (every Dash callback is a request).
TOUCH_EVERY: Final = dt.timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    """The limits of :func:`log_in` and :func:`session_viewer` (from :class:`Settings`)."""

    max_failures_per_account: int = 5
    max_failures_per_address: int = 20
    window: dt.timedelta = dt.timedelta(minutes=15)
    lock: dt.timedelta = dt.timedelta(minutes=15)
    idle: dt.timedelta = dt.timedelta(minutes=30)
    max_age: dt.timedelta = dt.timedelta(hours=8)

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginPolicy:
        """The policy configured by the ``ATLAS_LOGIN_*`` and ``ATLAS_SESSION_*`` settings."""
        return cls(
            max_failures_per_account=settings.login_max_failures_per_account,
            max_failures_per_address=settings.login_max_failures_per_address,
            window=dt.timedelta(minutes=settings.login_failure_window_minutes),
            lock=dt.timedelta(minutes=settings.login_lock_minutes),
            idle=dt.timedelta(minutes=settings.session_idle_minutes),
            max_age=dt.timedelta(hours=settings.session_max_hours),
        )


@dataclass(frozen=True, slots=True)
class LoginResult:
    """What :func:`log_in` decided.

    Attributes
    ----------
    outcome
        ``"ok"``, ``"bad"`` (wrong username or password) or ``"locked"``.
    viewer
        The logged-in user (``ok`` only).
    session_token
        The new session's token for the cookie (``ok`` only).
    retry_after_s
        Seconds until the lock ends (``locked`` only).
    """

    outcome: Literal["ok", "bad", "locked"]
    viewer: Viewer | None = None
    session_token: str | None = None
    retry_after_s: int = 0


def log_in(
    store: Store,
    username: str,
    password: str,
    *,
    address: str,
    policy: LoginPolicy,
    now: dt.datetime | None = None,
) -> LoginResult:
    """Check a login under the rate limits; open a server-side session when it succeeds.

    Every attempt is recorded (``login_attempt``) and audited (``audit_log``, action ``login``).

    Parameters
    ----------
    store
        The store holding users, attempts and sessions.
    username, password
        As typed (the username is cut to 40 characters, the password to 200).
    address
        The client's address (the rate limit's second key).
    policy
        Limits, e.g. ``LoginPolicy.from_settings(get_settings())``.
    now
        The time of the attempt (tests); now by default.

    Returns
    -------
    LoginResult
        ``ok`` with the viewer and the session token, ``bad``, or ``locked`` with the seconds
        until the lock ends.
    """
    now = now or dt.datetime.now(dt.UTC)
    username, password = username[:40], password[:200]
    until = _locked_until(store, policy, username, address, now)
    if until is not None:
        return _refuse_locked(store, username, address, until, now)
    user = store.users.by_username(username)
    usable = user is not None and user.active
    encoded = user.password_hash if usable and user is not None else dummy_hash()
    ok = verify_password(password, encoded) and usable
    store.logins.record_attempt(username=username, address=address, outcome="ok" if ok else "bad",
                                at=now)
    actor = Viewer(user_id=user.user_id if user else None, username=username,
                   role=user.role if user else Role.PUBLIC)
    audit(store, actor, action="login", allowed=ok, detail=None if ok else "bad credentials")
    if not ok or user is None:
        until = _locked_until(store, policy, username, address, now)
        if until is not None:  # this failure reached a limit
            return LoginResult("locked", retry_after_s=_seconds(until - now))
        return LoginResult("bad")
    token = secrets.token_urlsafe(32)
    store.logins.open_session(session_hash=session_hash(token), user_id=user.user_id,
                              address=address, at=now)
    viewer = load_viewer(store, user.user_id)
    log.info("login: %s (%s) from %s", username, user.role, address)
    return LoginResult("ok", viewer=viewer, session_token=token)


def session_viewer(
    store: Store, token: str | None, *, policy: LoginPolicy, now: dt.datetime | None = None
) -> Viewer | None:
    """The user of a session token, or ``None`` when it is unknown, revoked, idle or too old.

    An idle or too old session is revoked here (so it cannot come back); activity is recorded
    at most every :data:`TOUCH_EVERY`.
    """
    if not token:
        return None
    now = now or dt.datetime.now(dt.UTC)
    key = session_hash(token)
    record = store.logins.get_session(key)
    if record is None or record.revoked_at is not None:
        return None
    if now - record.last_seen_at > policy.idle or now - record.created_at > policy.max_age:
        store.logins.revoke_session(key, at=now)
        log.info("session of user %d expired (idle or too old)", record.user_id)
        return None
    if now - record.last_seen_at >= TOUCH_EVERY:
        store.logins.touch_session(key, at=now)
    return load_viewer(store, record.user_id)


def log_out(store: Store, token: str | None) -> bool:
    """Revoke the session of ``token`` (server-side); ``False`` when there was none to revoke."""
    return bool(token) and store.logins.revoke_session(session_hash(str(token)))


def session_hash(token: str) -> str:
    """The key a session token is stored under (its SHA-256, hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------ internals
def _locked_until(
    store: Store, policy: LoginPolicy, username: str, address: str, now: dt.datetime
) -> dt.datetime | None:
    """When the lock on this username or address ends, or ``None`` if neither is locked."""
    since = now - policy.window - policy.lock
    checks = (
        (policy.max_failures_per_account,
         store.logins.recent_failures(since=since, limit=policy.max_failures_per_account,
                                      username=username, after_success=True)),
        (policy.max_failures_per_address,
         store.logins.recent_failures(since=since, limit=policy.max_failures_per_address,
                                      address=address)),
    )
    ends = [
        times[0] + policy.lock
        for limit, times in checks
        if len(times) >= limit and times[0] - times[-1] <= policy.window
    ]
    ends = [end for end in ends if end > now]
    return max(ends) if ends else None


def _refuse_locked(
    store: Store, username: str, address: str, until: dt.datetime, now: dt.datetime
) -> LoginResult:
    store.logins.record_attempt(username=username, address=address, outcome="locked", at=now)
    audit(store, Viewer(user_id=None, username=username, role=Role.PUBLIC), action="login",
          allowed=False, detail=f"locked until {until:%Y-%m-%dT%H:%M:%SZ} (too many failures)")
    log.warning("login refused: %s from %s is locked until %s", username, address, until)
    return LoginResult("locked", retry_after_s=_seconds(until - now))


def _seconds(delta: dt.timedelta) -> int:
    return max(1, int(delta.total_seconds() + 0.999))
