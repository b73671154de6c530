"""Write a generated (or ingested) world into a store, table by table."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed

import pandas as pd

from domain.progress import Progress
from geodata.schema import BULK_TABLES
from geodata.store import Store

log = logging.getLogger(__name__)


def load_world(
    store: Store,
    world: Mapping[str, pd.DataFrame],
    *,
    progress: Progress | None = None,
) -> dict[str, float]:
    """Replace the store's bulk tables with the frames of ``world``.

    Each table is swapped atomically (one transaction or one file swap per table), so a crash
    leaves every table either old or new.

    Parameters
    ----------
    store
        Target store (initialised).
    world
        Frames keyed by bulk-table name, e.g. from :func:`etl.generate.generate_world`.
    progress
        Optional callback ``progress(fraction_done, tables)`` (:class:`domain.progress.Progress`).

    Returns
    -------
    dict[str, float]
        Seconds spent per table.
    """
    unknown = sorted(set(world) - set(BULK_TABLES))
    if unknown:
        raise ValueError(f"not bulk tables: {unknown}; expected some of {list(BULK_TABLES)}")
    names = [t for t in BULK_TABLES if t in world]
    # Largest tables first, two at a time: on PostGIS each table has its own connection and
    # server backend; in the embedded store Arrow encodes and compresses outside the GIL.
    names.sort(key=lambda t: -len(world[t]))
    seconds: dict[str, float] = {}
    done = 0

    def load_one(name: str) -> None:
        start = time.perf_counter()
        store.write_frame(name, world[name], mode="replace")
        seconds[name] = time.perf_counter() - start
        log.info("loaded %s: %d rows in %.2f s", name, len(world[name]), seconds[name])

    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in as_completed([pool.submit(load_one, name) for name in names]):
            future.result()
            done += 1
            if progress:
                progress(done / len(names), f"{done}/{len(names)} tables")
    return seconds


def data_as_of(store: Store) -> dt.date:
    """The last day of the newest month with crisis signals: the date data are current to.

    Raises
    ------
    ValueError
        If the store holds no crisis signals.
    """
    months = store.read_frame("crisis_signal", columns=["month"])["month"]
    if months.empty:
        raise ValueError("the store holds no crisis signals: generate or ingest data first")
    newest = months.max()
    return (newest + pd.offsets.MonthEnd(0)).date()
