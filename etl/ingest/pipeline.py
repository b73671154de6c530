"""The ingest pipeline: read, validate, quarantine, write -- one short function over the steps."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal, get_args

import numpy as np
import pandas as pd

from domain.progress import Progress, report
from etl.ingest.checks import Checks, rejected_message
from etl.ingest.crs import SUPPORTED_EPSG
from etl.ingest.errors import IngestError, IngestRejectedError
from etl.ingest.facilities import validate_facilities
from etl.ingest.households import validate_households
from etl.ingest.limits import check_schema_limits
from etl.ingest.parse import mask_at
from etl.ingest.quarantine import write_quarantine
from etl.ingest.read import RawTable, read_table
from etl.ingest.signals import validate_signals
from etl.ingest.write import StoredComparison, compare_with_stored, dependent_writes, to_schema
from geodata.store.base import FrameWrite, Store
from geodata.store.frames import primary_key

log = logging.getLogger(__name__)

Kind = Literal["households", "facilities", "signals"]

#: Store table of each kind of file.
TABLE_OF_KIND: Final[dict[str, str]] = {
    "households": "household",
    "facilities": "facility",
    "signals": "crisis_signal",
}


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What one :func:`ingest` call did.

    Attributes
    ----------
    kind, path
        What was loaded from where.
    rows_read
        Data records in the file.
    rows_loaded
        Rows upserted into the store (new, changed and unchanged).
    rows_rejected
        Rows written to the quarantine file.
    rows_unchanged
        Loaded rows identical to the row already stored under the same key.
    rows_replaced
        Loaded rows that replaced a stored row with other values (only with ``replace=True``).
    quarantine_path
        The quarantine CSV, or ``None`` when no row was rejected.
    reasons_count
        Rejected rows per reason category (a row with two reasons counts under both).
    warnings_count
        Loaded rows per warning category (e.g. point just outside its declared 읍면동).
    seconds
        Wall-clock time of the call.
    encoding
        Text encoding of a CSV (``None`` for Parquet and GeoPackage).
    source_epsg
        The CRS the input coordinates were read in (``None`` for signals).
    dependents
        Dependent rows changed with the replaced ones, e.g. ``{"person removed": 3,
        "risk_score moved": 1}``.
    """

    kind: str
    path: Path
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    rows_unchanged: int
    quarantine_path: Path | None
    reasons_count: dict[str, int]
    seconds: float
    warnings_count: dict[str, int] = field(default_factory=dict)
    encoding: str | None = None
    source_epsg: int | None = None
    rows_replaced: int = 0
    dependents: dict[str, int] = field(default_factory=dict)


def ingest(
    store: Store,
    kind: Kind,
    path: Path,
    *,
    crs: int | None = None,
    max_reject_share: float = 0.05,
    quarantine_dir: Path | None = None,
    layer: str | None = None,
    replace: bool = False,
    load_date: dt.date | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Validate a file of households, facilities or crisis signals and upsert it into ``store``.

    Parameters
    ----------
    store
        The target store (embedded or PostGIS).
    kind
        ``"households"`` (table ``household``), ``"facilities"`` (``facility``; the public data
        portal's 사회복지시설 layout or ours) or ``"signals"`` (``crisis_signal``).
    path
        A ``.csv``, ``.parquet``/``.geoparquet`` or ``.gpkg`` file.
    crs
        EPSG code of the input coordinates (4326, 5179, 5186 or 5174). Defaults to the file's own
        CRS (GeoPackage, GeoParquet); without either, degree-like coordinates are read as
        EPSG:4326 and projected ones are refused.
    max_reject_share
        Largest share of rejected rows that still loads the valid ones; above it nothing is
        written to the store (the quarantine file is still written).
    quarantine_dir
        Folder of the quarantine CSV; ``<settings.data_dir>/quarantine`` by default.
    layer
        GeoPackage layer, when the file has more than one.
    replace
        Replace stored rows whose key is in the file with other values (``atlas ingest
        --replace``), together with their dependent rows. Without it such rows are rejected
        (``already stored``), so a load never changes a stored record silently.
    load_date
        Dates after it are rejected as ``future date``; today by default.
    progress
        Called as ``progress(fraction, step)`` at each step.

    Returns
    -------
    IngestReport
        Counts, reasons, the quarantine path and timing.

    Raises
    ------
    IngestFileError
        The file cannot be read as a table of this kind (format, encoding, truncation, header,
        missing columns, unsupported CRS); the message says what to fix.
    IngestRejectedError
        More than ``max_reject_share`` of the rows were rejected; the store is unchanged.
    IngestError
        Bad arguments or no 읍면동 boundaries to check points against.

    See Also
    --------
    etl.ingest.read.read_table : the file readers.

    Examples
    --------
    >>> from geodata.store.embedded import EmbeddedStore
    >>> report = ingest(EmbeddedStore(root), "facilities", Path("시설목록.csv"))  # doctest: +SKIP
    >>> report.rows_loaded, report.reasons_count  # doctest: +SKIP
    (1873, {'unknown facility type': 4})
    """
    started = time.perf_counter()
    _check_arguments(kind, crs, max_reject_share)
    path = Path(path)
    load_date = load_date or dt.date.today()
    step = _stepper(progress)

    step(0.0, "read")
    raw = read_table(path, layer=layer)
    log.info(
        "%s: read %d %s records (%s)", path.name, len(raw.frame), kind, raw.encoding or "binary"
    )

    step(0.3, "validate")
    checks = Checks(len(raw.frame), raw)
    table = TABLE_OF_KIND[kind]
    frame, source_epsg = _validate(kind, raw, checks, store, crs, path, step, load_date)
    check_schema_limits(table, frame, checks)

    step(0.7, "compare")
    candidates = np.flatnonzero(checks.current())
    rows = to_schema(table, frame.iloc[candidates])
    stored = compare_with_stored(store, table, rows)
    if not replace:
        _refuse_changed(table, rows, stored, candidates, checks)
    rejected = checks.rejected_mask()

    quarantine_path = None
    if rejected.any():
        step(0.8, "quarantine")
        quarantine_path = write_quarantine(raw, rejected, checks.reasons(), kind, quarantine_dir)
        log.warning(
            "%s: %d of %d rows rejected, written to %s",
            path.name,
            int(rejected.sum()),
            len(rejected),
            quarantine_path,
        )
    _refuse_above_share(path, checks, rejected, max_reject_share, quarantine_path)

    keep = ~rejected[candidates]
    good = rows.loc[keep].reset_index(drop=True)
    replaced = stored.changed[keep]
    dependents = dependent_writes(store, table, good.loc[replaced], stored.old) if replace else {}
    dependent_counts: dict[str, int] = {}
    if len(good):
        step(0.9, "write")
        written = store.write_frames([FrameWrite(table, good, "upsert"), *dependents.values()])
        dependent_counts = dict(zip(dependents, written[1:], strict=True))

    report = IngestReport(
        kind=kind,
        path=path,
        rows_read=len(rejected),
        rows_loaded=len(good),
        rows_rejected=int(rejected.sum()),
        rows_unchanged=int(stored.unchanged[keep].sum()),
        quarantine_path=quarantine_path,
        reasons_count=checks.counts(),
        seconds=time.perf_counter() - started,
        warnings_count=checks.warning_counts(~rejected),
        encoding=raw.encoding,
        source_epsg=source_epsg,
        rows_replaced=int(replaced.sum()),
        dependents=dependent_counts,
    )
    log.info(
        "%s: loaded %d rows into %s (%d unchanged, %d replaced %s), rejected %d, in %.2f s",
        path.name,
        report.rows_loaded,
        table,
        report.rows_unchanged,
        report.rows_replaced,
        dependent_counts,
        report.rows_rejected,
        report.seconds,
    )
    step(1.0, "done")
    return report


def _refuse_changed(
    table: str,
    rows: pd.DataFrame,
    stored: StoredComparison,
    candidates: np.ndarray,
    checks: Checks,
) -> None:
    """Reject rows whose key is stored with other values (no ``replace``): no silent change."""
    if not stored.changed.any():
        return
    pk = primary_key(table)
    at = np.flatnonzero(stored.changed)
    messages = [
        f"{_key_text(rows, pk, i)} is already stored with other values "
        f"({', '.join(stored.changed_columns[i])}); pass --replace to replace the stored row"
        for i in at
    ]
    checks.add(
        mask_at(checks.n, candidates[at]), "already stored", pd.Series(messages, dtype=object)
    )


def _key_text(rows: pd.DataFrame, pk: list[str], i: int) -> str:
    parts = []
    for col in pk:
        value = rows[col].iloc[i]
        if isinstance(value, pd.Timestamp):
            value = f"{value:%Y-%m-%d}"
        parts.append(f"{col} {value}")
    return ", ".join(parts)


def _validate(
    kind: Kind,
    raw: RawTable,
    checks: Checks,
    store: Store,
    crs: int | None,
    path: Path,
    step: Progress,
    load_date: dt.date,
) -> tuple[pd.DataFrame, int | None]:
    """The kind's validation step: the parsed frame (all rows) and the source EPSG."""
    if kind == "households":
        return validate_households(raw, checks, store, crs, path, step)
    if kind == "facilities":
        return validate_facilities(raw, checks, store, crs, path, step)
    return validate_signals(raw, checks, store, path, load_date=load_date), None


def _refuse_above_share(
    path: Path, checks: Checks, rejected: np.ndarray, limit: float, quarantine: Path | None
) -> None:
    """Raise :class:`IngestRejectedError` when more than ``limit`` of the rows were rejected."""
    n_rej, n_read = int(rejected.sum()), len(rejected)
    share = n_rej / n_read
    if share <= limit:
        return
    assert quarantine is not None
    raise IngestRejectedError(
        rejected_message(path, n_rej, n_read, limit, checks, quarantine),
        share=share,
        reasons_count=checks.counts(),
        quarantine_path=quarantine,
    )


def _check_arguments(kind: object, crs: object, max_reject_share: object) -> None:
    problems = []
    if kind not in get_args(Kind):
        problems.append(f"kind must be one of {list(get_args(Kind))}, not {kind!r}")
    if crs is not None and crs not in SUPPORTED_EPSG:
        problems.append(
            f"crs={crs!r} is not supported; use one of "
            + ", ".join(f"EPSG:{c}" for c in SUPPORTED_EPSG)
            + " or reproject the file first"
        )
    if not isinstance(max_reject_share, int | float) or not 0 <= float(max_reject_share) <= 1:
        problems.append(f"max_reject_share must be between 0 and 1, not {max_reject_share!r}")
    if problems:
        raise IngestError("; ".join(problems))


def _stepper(progress: Progress | None) -> Progress:
    def step(fraction: float, name: str) -> None:
        log.debug("ingest step %s (%.0f%%)", name, 100 * fraction)
        report(progress, fraction, name)

    return step
