"""``login_attempt`` and ``user_session``: login rate limiting and server-side sessions.

The service that decides (how many failures lock an account, how long a session may idle) lives
above ``geodata``; these functions only read and write the rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final, Literal

from sqlalchemy import and_, delete, func, insert, select, update

from geodata.schema import table
from geodata.store.repositories.transactions import Transactions, utc

Outcome = Literal["ok", "bad", "locked"]
OUTCOMES: Final = ("ok", "bad", "locked")


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One ``user_session`` row."""

    session_hash: str
    user_id: int
    created_at: dt.datetime
    last_seen_at: dt.datetime
    revoked_at: dt.datetime | None
    address: str | None


def _session(row) -> SessionRecord | None:
    if row is None:
        return None
    return SessionRecord(
        session_hash=row["session_hash"], user_id=int(row["user_id"]),
        created_at=utc(row["created_at"]), last_seen_at=utc(row["last_seen_at"]),
        revoked_at=None if row["revoked_at"] is None else utc(row["revoked_at"]),
        address=row["address"])


class LoginRecords:
    """``store.logins``: login attempts and sessions, one transaction per call."""

    def __init__(self, transaction: Transactions) -> None:
        self._transaction = transaction

    # ------------------------------------------------------------------ attempts
    def record_attempt(self, *, username: str, address: str, outcome: Outcome,
                       at: dt.datetime | None = None) -> None:
        """Store one attempt (``username`` and ``address`` are cut to their column lengths)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
        with self._transaction("record login attempt") as session:
            session.execute(insert(table("login_attempt")).values(
                at=utc(at), username=username[:40], address=address[:64], outcome=outcome))

    def recent_failures(self, *, since: dt.datetime, limit: int, username: str | None = None,
                        address: str | None = None, after_success: bool = False
                        ) -> list[dt.datetime]:
        """Times of the newest ``limit`` failed (``bad``) attempts since ``since``, newest first.

        Filter by ``username`` or ``address``; with ``after_success`` only failures after the
        newest successful login of that key count.
        """
        attempts = table("login_attempt")
        key = attempts.c.username == username[:40] if username is not None \
            else attempts.c.address == (address or "")[:64]
        start = utc(since)
        with self._transaction("read login attempts") as session:
            if after_success:
                last_ok = session.scalar(select(func.max(attempts.c.at))
                                         .where(and_(key, attempts.c.outcome == "ok")))
                if last_ok is not None and utc(last_ok) > start:
                    start = utc(last_ok)
            rows = session.scalars(
                select(attempts.c.at)
                .where(and_(key, attempts.c.outcome == "bad", attempts.c.at >= start))
                .order_by(attempts.c.at.desc()).limit(int(limit))).all()
        return [utc(r) for r in rows]

    def prune_attempts(self, before: dt.datetime) -> int:
        """Delete attempts older than ``before``; return how many."""
        attempts = table("login_attempt")
        with self._transaction("prune login attempts") as session:
            return session.execute(delete(attempts).where(attempts.c.at < utc(before))).rowcount

    # ------------------------------------------------------------------ sessions
    def open_session(self, *, session_hash: str, user_id: int, address: str | None,
                     at: dt.datetime | None = None) -> None:
        """Store a new session."""
        now = utc(at)
        with self._transaction("open session") as session:
            session.execute(insert(table("user_session")).values(
                session_hash=session_hash, user_id=int(user_id), created_at=now,
                last_seen_at=now, revoked_at=None, address=None if address is None else address[:64]))

    def get_session(self, session_hash: str) -> SessionRecord | None:
        """The session with this hash, or ``None``."""
        sessions = table("user_session")
        with self._transaction("read session") as session:
            return _session(session.execute(
                select(sessions).where(sessions.c.session_hash == session_hash)).mappings().first())

    def touch_session(self, session_hash: str, at: dt.datetime | None = None) -> None:
        """Record activity on a session (``last_seen_at``)."""
        sessions = table("user_session")
        with self._transaction("touch session") as session:
            session.execute(update(sessions).where(sessions.c.session_hash == session_hash)
                            .values(last_seen_at=utc(at)))

    def revoke_session(self, session_hash: str, at: dt.datetime | None = None) -> bool:
        """Revoke one session; ``False`` when it did not exist or was already revoked."""
        sessions = table("user_session")
        with self._transaction("revoke session") as session:
            result = session.execute(
                update(sessions)
                .where(and_(sessions.c.session_hash == session_hash, sessions.c.revoked_at.is_(None)))
                .values(revoked_at=utc(at)))
            return result.rowcount > 0

    def revoke_user_sessions(self, user_id: int, at: dt.datetime | None = None) -> int:
        """Revoke every open session of a user (e.g. after a password change); return how many."""
        sessions = table("user_session")
        with self._transaction("revoke sessions") as session:
            return session.execute(
                update(sessions)
                .where(and_(sessions.c.user_id == int(user_id), sessions.c.revoked_at.is_(None)))
                .values(revoked_at=utc(at))).rowcount

