"""The schema-limits step: every value must fit its column before the store sees the row.

Lengths of ``String(n)`` columns and the ranges of integer columns come from
:mod:`geodata.schema` (through :func:`geodata.store.frames.column_limits`), so the rule is the
same for both stores: without this step the embedded store would keep a 5,000-character name
that PostGIS refuses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.ingest.checks import Checks
from geodata.store.frames import column_limits, limit_violations


def check_schema_limits(table: str, frame: pd.DataFrame, checks: Checks) -> None:
    """Reject rows of ``frame`` (validated, schema column names) whose values exceed a limit."""
    limits = column_limits(table)
    for col, bad in limit_violations(table, frame).items():
        kind, bound = limits[col]
        values = frame[col].astype(object).to_numpy()
        if kind == "length":
            msgs = [
                f"{col} has {len(str(v)):,} characters, more than the {bound:,} the {table} "
                f"table allows"
                for v in values[bad]
            ]
            checks.add(bad, "value too long", pd.Series(msgs, dtype=object))
        else:
            msgs = [
                f"{col} {_int_text(v)} is out of range (at most {bound:,})" for v in values[bad]
            ]
            checks.add(bad, "out of range", pd.Series(msgs, dtype=object))


def _int_text(value: object) -> str:
    number = float(value)  # type: ignore[arg-type]
    return f"{int(number):,}" if np.isfinite(number) and number.is_integer() else str(value)
