"""``audit_log``: every view of a person's record, every export and every refusal (append only)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import pandas as pd
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from geodata.schema import table
from geodata.store.errors import StoreInputError
from geodata.store.repositories.transactions import Transactions, rows_frame, utc

AUDIT_COLUMNS: Final[tuple[str, ...]] = tuple(c.name for c in table("audit_log").columns)
_LIMITS: Final[dict[str, int]] = {"action": 32, "object_id": 64, "purpose": 200}


def append_audit(session: Session, rows: Sequence[Mapping[str, object]]) -> int:
    """Insert audit rows (``at`` defaults to now; long texts are cut to their column); return
    how many were written.

    Raises
    ------
    StoreInputError
        A row with an unknown column, or without ``action`` or ``allowed``.
    """
    if not rows:
        return 0
    known = set(AUDIT_COLUMNS) - {"audit_id"}
    clean = []
    for row in rows:
        if bad := sorted(set(row) - known):
            raise StoreInputError(f"audit_log has no columns {bad}")
        if row.get("action") is None or row.get("allowed") is None:
            raise StoreInputError("an audit row needs 'action' and 'allowed'")
        values = {col: row.get(col) for col in known}
        values["at"] = utc(row.get("at"))  # type: ignore[arg-type]
        values["allowed"] = bool(row["allowed"])
        for col, limit in _LIMITS.items():
            if values[col] is not None:
                values[col] = str(values[col])[:limit]
        clean.append(values)
    session.execute(insert(table("audit_log")), clean)
    return len(clean)


def audit_rows(session: Session, *, action: str | None = None, username: str | None = None,
               limit: int | None = None) -> list:
    """Audit rows, oldest first (by ``audit_id``); the newest ``limit`` when given."""
    log = table("audit_log")
    stmt = select(log)
    if action is not None:
        stmt = stmt.where(log.c.action == action)
    if username is not None:
        stmt = stmt.where(log.c.username == username)
    if limit is not None:
        newest = stmt.order_by(log.c.audit_id.desc()).limit(int(limit)).subquery()
        stmt = select(newest)
    rows = session.execute(stmt.order_by("audit_id")).mappings().all()
    return list(rows)


class AuditRecords:
    """``store.audit``: append to and read the audit log, one transaction per call."""

    def __init__(self, transaction: Transactions) -> None:
        self._transaction = transaction

    def append(self, rows: Sequence[Mapping[str, object]]) -> int:
        """Append rows in one transaction (see :func:`append_audit`)."""
        with self._transaction("append audit") as session:
            return append_audit(session, rows)

    def rows(self, *, action: str | None = None, username: str | None = None,
             limit: int | None = None) -> pd.DataFrame:
        """Audit rows as a frame with every ``audit_log`` column, oldest first."""
        with self._transaction("read audit") as session:
            rows = audit_rows(session, action=action, username=username, limit=limit)
        return rows_frame(rows, list(AUDIT_COLUMNS), stamps=("at",))
