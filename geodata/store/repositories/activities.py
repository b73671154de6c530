"""``visit_activity``: the 활동 기록 of households (consultations, visits, applications, follow-ups)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from geodata.schema import table
from geodata.store.repositories.transactions import Transactions, rows_frame, utc

ACTIVITY_COLUMNS: Final[tuple[str, ...]] = tuple(c.name for c in table("visit_activity").columns)
#: Household id lists longer than this are not sent to the database: all rows are read and
#: filtered here, which is faster than a very long ``IN`` list.
MAX_IN_LIST: Final = 5000


def add_activity(session: Session, *, household_id: int, kind: str, outcome_code: str,
                 activity_date: dt.date, user_id: int | None, note: str | None = None,
                 created_at: dt.datetime | None = None) -> int:
    """Insert one activity (values already validated by the service); return its id."""
    result = session.execute(insert(table("visit_activity")).values(
        household_id=int(household_id), kind=kind, outcome_code=outcome_code,
        note=note, activity_date=activity_date, user_id=user_id, created_at=utc(created_at)))
    return int(result.inserted_primary_key[0])


def household_activities(session: Session, household_id: int) -> list:
    """Activities of one household with the worker's display name, newest first
    (``activity_date`` descending, then ``activity_id`` descending)."""
    act, users = table("visit_activity"), table("app_user")
    stmt = (select(act, users.c.display_name.label("worker"))
            .join(users, users.c.user_id == act.c.user_id, isouter=True)
            .where(act.c.household_id == int(household_id))
            .order_by(act.c.activity_date.desc(), act.c.activity_id.desc()))
    return list(session.execute(stmt).mappings().all())


def select_activities(session: Session, *, household_ids: Sequence[int] | None = None,
                      kind: str | None = None) -> list:
    """Activities of some households (all when ``None``) and of one ``kind``, by ``activity_id``."""
    act = table("visit_activity")
    stmt = select(act)
    ids = None if household_ids is None else sorted({int(h) for h in household_ids})
    if ids is not None and len(ids) <= MAX_IN_LIST:
        stmt = stmt.where(act.c.household_id.in_(ids))
    if kind is not None:
        stmt = stmt.where(act.c.kind == kind)
    rows = session.execute(stmt.order_by(act.c.activity_id)).mappings().all()
    if ids is not None and len(ids) > MAX_IN_LIST:
        wanted = set(ids)
        rows = [r for r in rows if r["household_id"] in wanted]
    return list(rows)


class ActivityRecords:
    """``store.activities``: the visit-activity log, one transaction per call."""

    def __init__(self, transaction: Transactions) -> None:
        self._transaction = transaction

    def add(self, *, household_id: int, kind: str, outcome_code: str, activity_date: dt.date,
            user_id: int | None, note: str | None = None,
            created_at: dt.datetime | None = None) -> int:
        """Save one activity in a transaction; return its ``activity_id``."""
        with self._transaction("add activity") as session:
            return add_activity(session, household_id=household_id, kind=kind,
                                outcome_code=outcome_code, activity_date=activity_date,
                                user_id=user_id, note=note, created_at=created_at)

    def for_household(self, household_id: int) -> pd.DataFrame:
        """Every ``visit_activity`` column plus ``worker``, newest first."""
        with self._transaction("read activities") as session:
            rows = household_activities(session, household_id)
        return rows_frame(rows, [*ACTIVITY_COLUMNS, "worker"], dates=("activity_date",),
                          stamps=("created_at",))

    def frame(self, *, household_ids: Sequence[int] | None = None,
              kind: str | None = None) -> pd.DataFrame:
        """Every ``visit_activity`` column of the matching rows, by ``activity_id``."""
        with self._transaction("read activities") as session:
            rows = select_activities(session, household_ids=household_ids, kind=kind)
        return rows_frame(rows, list(ACTIVITY_COLUMNS), dates=("activity_date",),
                          stamps=("created_at",))
