"""Write a generated (or ingested) world into a store as one unit."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping

import pandas as pd

from domain.progress import Progress
from geodata.schema import BULK_TABLES, table
from geodata.store import Store
from geodata.store.base import FrameWrite

log = logging.getLogger(__name__)


def household_tables() -> tuple[str, ...]:
    """Bulk tables whose rows belong to households (they make no sense in another world)."""
    return tuple(t for t in BULK_TABLES if t != "household" and "household_id" in table(t).columns)


def load_world(
    store: Store,
    world: Mapping[str, pd.DataFrame],
    *,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Replace the store's bulk tables with the frames of ``world``, as one unit.

    Every table of ``world`` is replaced, and every household-keyed table it lacks (e.g.
    ``risk_score`` after ``atlas generate``: scores of the old households) is emptied, in one
    :meth:`geodata.store.Store.write_frames`: readers, and a process killed at any point, see
    the old world or the new one, never persons of one world with households of another
    (PostGIS: one transaction; embedded: one manifest switch; see ``docs/store.md``).

    Parameters
    ----------
    store
        Target store (initialised).
    world
        Frames keyed by bulk-table name, e.g. from :func:`etl.generate.generate_world`; it
        must hold ``household`` if it holds any household-keyed table.
    progress
        Optional callback ``progress(fraction_done, step)`` (:class:`domain.progress.Progress`):
        once per staged table, then ``"switched"`` when the new world is in place.

    Returns
    -------
    dict[str, int]
        Rows written per table (0 for the emptied ones).

    Raises
    ------
    ValueError
        Names that are not bulk tables, or household rows without the ``household`` table.
    """
    unknown = sorted(set(world) - set(BULK_TABLES))
    if unknown:
        raise ValueError(f"not bulk tables: {unknown}; expected some of {list(BULK_TABLES)}")
    dependent = [t for t in household_tables() if t in world]
    if dependent and "household" not in world:
        raise ValueError(f"a world with {dependent} needs its household table too")
    emptied = [t for t in household_tables() if t not in world] if "household" in world else []
    frames = {name: world[name] for name in BULK_TABLES if name in world}
    for name in emptied:
        frames[name] = pd.DataFrame({c.name: [] for c in table(name).columns})
    # Largest tables first: the embedded store writes two files at once.
    names = sorted(frames, key=lambda t: -len(frames[t]))
    start = time.perf_counter()
    counts = store.write_frames([FrameWrite(name, frames[name], "replace") for name in names],
                                progress=progress)
    rows = dict(zip(names, counts, strict=True))
    log.info("loaded a world of %d tables (%s emptied) in %.2f s: %s", len(names),
             ", ".join(emptied) or "none", time.perf_counter() - start, rows)
    return rows


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
