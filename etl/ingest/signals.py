"""Validation of crisis-signal files (table ``crisis_signal``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from etl.ingest.checks import Checks
from etl.ingest.columns import Columns, field_label, missing_columns_error
from etl.ingest.parse import (
    int_text,
    map_obj,
    parse_identifier,
    parse_month,
    parse_number,
    parse_vocabulary,
    reject_duplicates,
    require,
)
from etl.ingest.read import RawTable
from geodata import vocabulary as voc
from geodata.store.base import Store


def validate_signals(
    raw: RawTable, checks: Checks, store: Store, path: Path, *, load_date: dt.date
) -> pd.DataFrame:
    """Parse and check crisis signals; months after ``load_date`` are rejected."""
    cols = Columns(raw)
    spec = {
        "household_id": ("household_id",),
        "source": ("source", "위기정보", "위기정보구분"),
        "month": ("month", "기준월", "year_month"),
        "value": ("value", "값", "금액"),
    }
    found = {f: cols.find(*aliases) for f, aliases in spec.items()}
    missing = [f for f, c in found.items() if c is None]
    if missing:
        raise missing_columns_error(path, "signals", missing, raw.frame.columns)
    c_id, c_src, c_month, c_val = (found[f] for f in spec)
    assert c_id and c_src and c_month and c_val
    ids = parse_identifier(cols.values(c_id), field_label(c_id, "household_id"), checks)
    source = parse_vocabulary(
        cols.values(c_src), field_label(c_src, "source"), "source", voc.CRISIS_SOURCES, checks
    )
    month = parse_month(
        cols.values(c_month), field_label(c_month, "month"), checks, load_date=load_date
    )
    require(cols.values(c_val), field_label(c_val, "value"), checks)
    value = parse_number(cols.values(c_val), field_label(c_val, "value"), checks, integer=False)
    checks.add(
        (value < 0).to_numpy(),
        "negative amount",
        "negative amount "
        + cols.values(c_val).astype(object).astype(str)
        + " in "
        + field_label(c_val, "value"),
    )
    known_ids = ids.dropna().unique()
    existing: set[int] = set()
    if len(known_ids):
        stored = store.read_frame(
            "household",
            columns=["household_id"],
            where={"household_id": [int(v) for v in known_ids]},
        )
        existing = {int(v) for v in stored["household_id"]}
    unknown = (
        ids.notna() & ~map_obj(ids, lambda v: v is not None and int(v) in existing).astype(bool)
    ).to_numpy()
    checks.add(
        unknown,
        "unknown household_id",
        "unknown household_id "
        + cols.values(c_id).astype(object).astype(str)
        + " (not in the household table)",
    )
    keys = pd.DataFrame({"household_id": ids, "source": source, "month": month})
    reject_duplicates(
        keys,
        lambda k: (
            f"signal (household_id {int_text(k[0])}, source {k[1]}, month {pd.Timestamp(k[2]):%Y-%m})"
        ),
        "duplicate signal",
        checks,
    )
    return pd.DataFrame({"household_id": ids, "source": source, "month": month, "value": value})
