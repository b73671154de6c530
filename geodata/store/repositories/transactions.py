"""The one thing a repository facade needs from its store: a translated transaction."""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from typing import Protocol

import pandas as pd
from sqlalchemy import RowMapping
from sqlalchemy.orm import Session


class Transactions(Protocol):
    """Opens a session in one transaction: committed on success, rolled back on error, driver
    errors translated to ``StoreError``/``StoreInputError`` naming ``what`` was being done."""

    def __call__(self, what: str) -> AbstractContextManager[Session]: ...


def rows_frame(rows: list[RowMapping], columns: list[str],
               dates: tuple[str, ...] = (), stamps: tuple[str, ...] = ()) -> pd.DataFrame:
    """A frame of ``rows`` with exactly ``columns`` (also when empty), dates as datetime64[ns]
    and timestamps as UTC datetimes -- the same types on SQLite and PostgreSQL."""
    frame = pd.DataFrame([dict(r) for r in rows], columns=columns)
    for col in dates:
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
    for col in stamps:
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame



def utc(stamp: dt.datetime | None) -> dt.datetime:
    """``stamp`` as an aware UTC datetime (now when ``None``; naive values are taken as UTC)."""
    if stamp is None:
        return dt.datetime.now(dt.UTC)
    if stamp.tzinfo is None:
        return stamp.replace(tzinfo=dt.UTC)
    return stamp.astimezone(dt.UTC)
