"""SQL pieces both stores share (PostGIS for every table, the embedded store for SQLite ones)."""

from __future__ import annotations

from sqlalchemy import Select, func, select

from geodata.schema import table
from geodata.store.frames import Where, check_where, where_values


def apply_where(stmt: Select, name: str, where: Where | None) -> Select:
    """Add ``column = value`` (or ``IN (...)`` for several values) per ``where`` entry.

    Raises
    ------
    StoreInputError
        A ``where`` column that ``name`` does not have, or a value of the wrong kind.
    """
    if not where:
        return stmt
    tbl = table(name)
    check_where(name, where)
    for col, value in where.items():
        values = where_values(value)
        stmt = stmt.where(tbl.c[col] == values[0]) if len(values) == 1 else stmt.where(
            tbl.c[col].in_(values))
    return stmt


def count_statement(name: str, where: Where | None) -> Select:
    """``SELECT count(*) FROM name WHERE ...``."""
    return apply_where(select(func.count()).select_from(table(name)), name, where)
