"""The administrator's reads: the audit log searched by who / what / household / date, and
failed logins per username (from ``login_attempt``, the rate limiter's table)."""

from __future__ import annotations

import datetime as dt
from typing import Final

import pandas as pd
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from geodata.schema import table
from geodata.store.repositories.transactions import Transactions, rows_frame, utc

SEARCH_COLUMNS: Final[tuple[str, ...]] = (
    "audit_id", "at", "username", "role", "action", "object_type", "object_id", "allowed", "detail")
MAX_ROWS: Final = 5000


def search_audit(
    session: Session,
    *,
    username: str | None = None,
    action_prefix: str | None = None,
    household_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    allowed: bool | None = None,
    limit: int = 500,
) -> list:
    """Audit rows matching every filter, newest first (``audit_id`` descending).

    ``household_id`` matches rows about that household: ``object_type = 'household'`` with
    that id, or ``household N`` in the detail (referrals name the household there).
    ``until`` is exclusive. At most ``min(limit, 5000)`` rows.
    """
    log = table("audit_log")
    conditions = []
    if username:
        conditions.append(log.c.username == username)
    if action_prefix:
        conditions.append(log.c.action.startswith(action_prefix, autoescape=True))
    if household_id is not None:
        hid = str(int(household_id))
        conditions.append(or_(and_(log.c.object_type == "household", log.c.object_id == hid),
                              log.c.detail.contains(f"household {hid} ", autoescape=True)))
    if since is not None:
        conditions.append(log.c.at >= utc(since))
    if until is not None:
        conditions.append(log.c.at < utc(until))
    if allowed is not None:
        conditions.append(log.c.allowed.is_(bool(allowed)))
    stmt = (select(*(log.c[c] for c in SEARCH_COLUMNS)).where(*conditions)
            .order_by(log.c.audit_id.desc()).limit(max(1, min(int(limit), MAX_ROWS))))
    return list(session.execute(stmt).mappings().all())


def failed_logins(session: Session, *, since: dt.datetime | None = None) -> list:
    """Per username: refused attempts (``bad``), refusals while locked (``locked``), the
    addresses they came from and the first and last time; most failures first."""
    attempts = table("login_attempt")
    conditions = [attempts.c.outcome.in_(("bad", "locked"))]
    if since is not None:
        conditions.append(attempts.c.at >= utc(since))
    # CASE, not CAST(boolean AS integer): PostgreSQL has no cast from boolean to bigint
    bad = func.sum(case((attempts.c.outcome == "bad", 1), else_=0))
    stmt = (select(attempts.c.username,
                   func.count().label("failures"),
                   bad.label("bad"),
                   func.count(func.distinct(attempts.c.address)).label("addresses"),
                   func.min(attempts.c.at).label("first_at"),
                   func.max(attempts.c.at).label("last_at"))
            .where(*conditions).group_by(attempts.c.username)
            .order_by(func.count().desc(), attempts.c.username))
    return list(session.execute(stmt).mappings().all())


class ConsoleRecords:
    """``store.console``: the administrator's reads, one transaction per call."""

    def __init__(self, transaction: Transactions) -> None:
        self._transaction = transaction

    def audit(self, **filters: object) -> pd.DataFrame:
        """Audit rows (see :func:`search_audit`), newest first, ``at`` as UTC timestamps."""
        with self._transaction("search audit") as session:
            rows = search_audit(session, **filters)  # type: ignore[arg-type]
        return rows_frame(rows, list(SEARCH_COLUMNS), stamps=("at",))

    def failed_logins(self, *, since: dt.datetime | None = None) -> pd.DataFrame:
        """Failed logins per username (see :func:`failed_logins`)."""
        with self._transaction("read failed logins") as session:
            rows = failed_logins(session, since=since)
        frame = rows_frame(rows, ["username", "failures", "bad", "addresses", "first_at", "last_at"],
                           stamps=("first_at", "last_at"))
        frame["locked"] = frame["failures"] - frame["bad"]
        return frame[["username", "failures", "locked", "addresses", "first_at", "last_at"]]
