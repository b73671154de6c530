"""``simulation_scenario``: saved criteria scenarios of the 지자체별 시뮬레이션."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

import pandas as pd
from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from geodata.schema import table
from geodata.store.repositories.transactions import Transactions, rows_frame, utc

SCENARIO_COLUMNS: Final[tuple[str, ...]] = tuple(c.name for c in table("simulation_scenario").columns)


def add_scenario(session: Session, *, name: str, owner_user_id: int, owner_username: str,
                 jurisdiction_code: str | None, spec: str,
                 created_at: dt.datetime | None = None) -> int:
    """Insert a scenario; return its id (a name the owner used before violates the key)."""
    result = session.execute(insert(table("simulation_scenario")).values(
        name=name, owner_user_id=int(owner_user_id), owner_username=owner_username,
        jurisdiction_code=jurisdiction_code, spec=spec, created_at=utc(created_at)))
    return int(result.inserted_primary_key[0])


def scenario_rows(session: Session, *, scenario_ids: Sequence[int] | None = None,
                  jurisdiction_codes: Sequence[str | None] | None = None) -> list:
    """Scenarios (of ``scenario_ids``, and/or of ``jurisdiction_codes``, ``None`` standing for
    national ones), ordered by ``scenario_id``."""
    tbl = table("simulation_scenario")
    stmt = select(tbl)
    if scenario_ids is not None:
        stmt = stmt.where(tbl.c.scenario_id.in_(sorted({int(i) for i in scenario_ids})))
    if jurisdiction_codes is not None:
        codes = [c for c in jurisdiction_codes if c is not None]
        parts = [tbl.c.jurisdiction_code.in_(codes)] if codes else []
        if any(c is None for c in jurisdiction_codes):
            parts.append(tbl.c.jurisdiction_code.is_(None))
        stmt = stmt.where(or_(*parts) if parts else tbl.c.scenario_id.is_(None))
    return list(session.execute(stmt.order_by(tbl.c.scenario_id)).mappings().all())


class ScenarioRecords:
    """``store.scenarios``: saved simulation scenarios, one transaction per call."""

    def __init__(self, transaction: Transactions) -> None:
        self._transaction = transaction

    def add(self, *, name: str, owner_user_id: int, owner_username: str,
            jurisdiction_code: str | None, spec: str, created_at: dt.datetime | None = None) -> int:
        """Save a scenario (one transaction); return its id.

        Raises
        ------
        StoreInputError
            The owner already has a scenario of that name, or the owner is unknown.
        """
        with self._transaction("save scenario") as session:
            return add_scenario(session, name=name, owner_user_id=owner_user_id,
                                owner_username=owner_username, jurisdiction_code=jurisdiction_code,
                                spec=spec, created_at=created_at)

    def frame(self, *, scenario_ids: Sequence[int] | None = None,
              jurisdiction_codes: Sequence[str | None] | None = None) -> pd.DataFrame:
        """Every column of the matching scenarios, by ``scenario_id``."""
        with self._transaction("read scenarios") as session:
            rows = scenario_rows(session, scenario_ids=scenario_ids,
                                 jurisdiction_codes=jurisdiction_codes)
        return rows_frame(rows, list(SCENARIO_COLUMNS), stamps=("created_at",))
