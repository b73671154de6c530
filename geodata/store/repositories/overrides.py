"""``tier_override``: workers' overrides of a household's tier; the newest active one counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

import pandas as pd
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from geodata.schema import table
from geodata.store.repositories.transactions import Transactions, rows_frame, utc

OVERRIDE_COLUMNS: Final[tuple[str, ...]] = tuple(c.name for c in table("tier_override").columns)


def replace_override(session: Session, *, household_id: int, tier: int, reason_code: str,
                     user_id: int | None, note: str | None = None,
                     created_at: dt.datetime | None = None, model_version: str | None = None,
                     previous_tier: int | None = None) -> int:
    """Deactivate the household's active overrides and insert the new one; return its id."""
    tbl = table("tier_override")
    session.execute(update(tbl).where(tbl.c.household_id == int(household_id),
                                      tbl.c.active.is_(True)).values(active=False))
    result = session.execute(insert(tbl).values(
        household_id=int(household_id), tier=int(tier), reason_code=reason_code, note=note,
        user_id=user_id, created_at=utc(created_at), active=True, model_version=model_version,
        previous_tier=None if previous_tier is None else int(previous_tier)))
    return int(result.inserted_primary_key[0])


def override_history(session: Session, household_ids: Sequence[int] | None = None) -> list:
    """Every override row, replaced ones included (of ``household_ids``, or all), newest first."""
    tbl = table("tier_override")
    stmt = select(tbl)
    if household_ids is not None:
        stmt = stmt.where(tbl.c.household_id.in_(sorted({int(h) for h in household_ids})))
    return list(session.execute(
        stmt.order_by(tbl.c.created_at.desc(), tbl.c.override_id.desc())).mappings().all())


def active_overrides(session: Session, household_ids: Sequence[int] | None = None) -> list:
    """The newest active override per household (by ``created_at``, then ``override_id``),
    ordered by ``household_id``."""
    tbl = table("tier_override")
    stmt = select(tbl).where(tbl.c.active.is_(True))
    if household_ids is not None:
        stmt = stmt.where(tbl.c.household_id.in_(sorted({int(h) for h in household_ids})))
    rows = session.execute(stmt.order_by(tbl.c.created_at, tbl.c.override_id)).mappings().all()
    newest = {r["household_id"]: r for r in rows}  # later rows win
    return [newest[h] for h in sorted(newest)]


class OverrideRecords:
    """``store.overrides``: tier overrides, one transaction per call."""

    def __init__(self, transaction: Transactions) -> None:
        self._transaction = transaction

    def replace(self, *, household_id: int, tier: int, reason_code: str, user_id: int | None,
                note: str | None = None, created_at: dt.datetime | None = None,
                model_version: str | None = None, previous_tier: int | None = None) -> int:
        """Make this the household's only active override (one transaction); return its id.

        ``model_version`` is the version of the scores the worker overrode (a new version ends
        the override); ``previous_tier`` the tier the household had before."""
        with self._transaction("override tier") as session:
            return replace_override(session, household_id=household_id, tier=tier,
                                    reason_code=reason_code, user_id=user_id, note=note,
                                    created_at=created_at, model_version=model_version,
                                    previous_tier=previous_tier)

    def history(self, household_ids: Sequence[int] | None = None) -> pd.DataFrame:
        """Every ``tier_override`` row, replaced ones included (of ``household_ids``, or all),
        newest first."""
        with self._transaction("read override history") as session:
            rows = override_history(session, household_ids)
        return rows_frame(rows, list(OVERRIDE_COLUMNS), stamps=("created_at",))

    def active(self, household_ids: Sequence[int] | None = None) -> pd.DataFrame:
        """Every ``tier_override`` column of the newest active override per household
        (of ``household_ids``, or all), ordered by ``household_id``."""
        with self._transaction("read overrides") as session:
            rows = active_overrides(session, household_ids)
        return rows_frame(rows, list(OVERRIDE_COLUMNS), stamps=("created_at",))
