"""Validate and load households, facilities and crisis signals from files into the store.

:func:`ingest` reads a CSV (UTF-8 or CP949), Parquet/GeoParquet or GeoPackage file, checks every
row (all problems of a row are recorded, not just the first), writes the rejected rows with their
reasons to a quarantine CSV and loads the rest with **one** ``store.write_frame(..., mode="upsert")``
call, so a load is atomic and loading the same file twice changes nothing. If more than
``max_reject_share`` of the rows are rejected, nothing is written to the store.

Policies (see ``docs/ingest.md``):

* **Region codes.** Missing ``emd_code`` is derived from the point (point in 읍면동 polygon; a point
  up to 250 m outside every polygon, e.g. on a pier, takes the nearest one). A given ``emd_code``
  must exist; if the point lies outside that 읍면동 but within 500 m of it the declared code is kept
  and the row is counted under ``warnings_count``; farther away the row is rejected.
  ``sigungu_code`` and ``sido_code`` are always derived from the 읍면동; given values that
  disagree reject the row.
* **Facility types.** The portal's 시설종류 text is matched to ``etl/reference/facility_types.csv``
  exactly, then after normalisation (spaces, dots and brackets removed, a trailing "서비스"
  ignored), then by containment (the longest type name contained in the text). Text that matches
  no type, or two types equally well, is rejected -- never mapped to a generic type, because the
  supply/demand analysis groups facilities by target group and function.
* **Duplicates.** Every copy of a duplicated key is rejected (each names the other lines).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal, get_args

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from etl.ingest_formats import IngestError, IngestFileError, RawTable, read_table
from geodata import vocabulary as voc
from geodata.schema import MEASURE_SRID, STORAGE_SRID
from geodata.store.base import Store
from geodata.store.frames import conform_frame, geometry_columns, primary_key

__all__ = [
    "SUPPORTED_EPSG",
    "IngestError",
    "IngestFileError",
    "IngestRejectedError",
    "IngestReport",
    "Kind",
    "ingest",
]

log = logging.getLogger(__name__)

Kind = Literal["households", "facilities", "signals"]
Progress = Callable[[str, float], None]

#: CRSs accepted for input coordinates (stored coordinates are always EPSG:4326).
SUPPORTED_EPSG: Final[tuple[int, ...]] = (4326, 5179, 5186, 5174)
#: Rough box around South Korea incl. 백령도, 마라도 and 독도 (lon min, lat min, lon max, lat max).
KOREA_BBOX: Final = (124.0, 32.9, 132.0, 38.7)
#: A point this far outside every 읍면동 polygon (coast, pier) takes the nearest one.
COAST_TOLERANCE_M: Final = 250.0
#: A point this far outside its declared 읍면동 keeps the declared code (with a warning).
EMD_MISMATCH_TOLERANCE_M: Final = 500.0

_TABLE: Final[dict[str, str]] = {
    "households": "household",
    "facilities": "facility",
    "signals": "crisis_signal",
}
_LON_LAT_PAIRS: Final = (
    ("lon", "lat"),
    ("lng", "lat"),
    ("longitude", "latitude"),
    ("경도", "위도"),
    ("x", "y"),
    ("x좌표", "y좌표"),
    ("xcoord", "ycoord"),
)
_TRUE: Final = frozenset({"true", "t", "1", "y", "yes", "예", "o", "여"})
_FALSE: Final = frozenset({"false", "f", "0", "n", "no", "아니오", "아니요", "x", "부"})
_MAX_LINES_SHOWN: Final = 5


# =========================================================================== public API
class IngestRejectedError(IngestError):
    """Too many rows were rejected; nothing was written to the store.

    Attributes
    ----------
    share
        Rejected rows / rows read.
    reasons_count
        Rows per reason category.
    quarantine_path
        The quarantine CSV with every rejected row and its reasons.
    """

    def __init__(
        self, message: str, *, share: float, reasons_count: dict[str, int], quarantine_path: Path
    ) -> None:
        super().__init__(message)
        self.share = share
        self.reasons_count = reasons_count
        self.quarantine_path = quarantine_path


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


def ingest(
    store: Store,
    kind: Kind,
    path: Path,
    *,
    crs: int | None = None,
    max_reject_share: float = 0.05,
    quarantine_dir: Path | None = None,
    layer: str | None = None,
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
    progress
        Called as ``progress(step, fraction)`` at each step.

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
    etl.ingest_formats.read_table : the file readers.

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
    step = _stepper(progress)
    step("read", 0.0)
    raw = read_table(path, layer=layer)
    log.info(
        "%s: read %d %s records (%s)", path.name, len(raw.frame), kind, raw.encoding or "binary"
    )
    step("validate", 0.3)
    checks = _Checks(len(raw.frame), raw)
    if kind == "households":
        frame, source_epsg = _households(raw, checks, store, crs, path, step)
    elif kind == "facilities":
        frame, source_epsg = _facilities(raw, checks, store, crs, path, step)
    else:
        frame, source_epsg = _signals(raw, checks, store, path), None
    rejected = checks.rejected_mask()
    reasons_count = checks.counts()
    warnings_count = checks.warning_counts(~rejected)
    n_read, n_rej = len(raw.frame), int(rejected.sum())
    table = _TABLE[kind]

    quarantine_path = None
    if n_rej:
        step("quarantine", 0.8)
        quarantine_path = _write_quarantine(raw, rejected, checks.reasons(), kind, quarantine_dir)
        log.warning(
            "%s: %d of %d rows rejected, written to %s", path.name, n_rej, n_read, quarantine_path
        )
    share = n_rej / n_read
    if share > max_reject_share:
        assert quarantine_path is not None
        raise IngestRejectedError(
            _rejected_message(path, n_rej, n_read, max_reject_share, checks, quarantine_path),
            share=share,
            reasons_count=reasons_count,
            quarantine_path=quarantine_path,
        )
    good = frame.loc[~rejected].reset_index(drop=True)
    rows_unchanged = 0
    if len(good):
        step("write", 0.9)
        good = _to_schema(table, good)
        rows_unchanged = _count_unchanged(store, table, good)
        store.write_frame(table, good, mode="upsert")
    seconds = time.perf_counter() - started
    log.info(
        "%s: loaded %d rows into %s (%d unchanged), rejected %d, in %.2f s",
        path.name,
        len(good),
        table,
        rows_unchanged,
        n_rej,
        seconds,
    )
    step("done", 1.0)
    return IngestReport(
        kind=kind,
        path=path,
        rows_read=n_read,
        rows_loaded=len(good),
        rows_rejected=n_rej,
        rows_unchanged=rows_unchanged,
        quarantine_path=quarantine_path,
        reasons_count=reasons_count,
        seconds=seconds,
        warnings_count=warnings_count,
        encoding=raw.encoding,
        source_epsg=source_epsg,
    )


# =========================================================================== problems
class _Checks:
    """Collects every problem of every row, vectorised: one call per check and column."""

    def __init__(self, n: int, raw: RawTable) -> None:
        self.n = n
        self.raw = raw
        self._parts: list[tuple[np.ndarray, str, np.ndarray]] = []
        self._warnings: list[tuple[np.ndarray, str]] = []

    def add(self, mask: np.ndarray | pd.Series, category: str, messages: pd.Series | str) -> None:
        """Reject rows where ``mask`` holds, with ``messages`` (aligned Series or one text)."""
        mask = np.asarray(mask, dtype=bool)
        pos = np.flatnonzero(mask)
        if not len(pos):
            return
        if isinstance(messages, str):
            msgs = np.full(len(pos), messages, dtype=object)
        else:
            msgs = np.asarray(pd.Series(messages).to_numpy(dtype=object))
            msgs = msgs[pos] if len(msgs) == self.n else msgs
        self._parts.append((pos, category, msgs))

    def warn(self, mask: np.ndarray, category: str) -> None:
        """Count rows where ``mask`` holds under a warning (the rows are still loaded)."""
        self._warnings.append((np.flatnonzero(np.asarray(mask, dtype=bool)), category))

    def rejected_mask(self) -> np.ndarray:
        out = np.zeros(self.n, dtype=bool)
        for pos, _, _ in self._parts:
            out[pos] = True
        return out

    def current(self) -> np.ndarray:
        """Rows without a problem so far."""
        return ~self.rejected_mask()

    def counts(self) -> dict[str, int]:
        totals: dict[str, set[int]] = {}
        for pos, cat, _ in self._parts:
            totals.setdefault(cat, set()).update(pos.tolist())
        return dict(
            sorted(((c, len(p)) for c, p in totals.items()), key=lambda kv: (-kv[1], kv[0]))
        )

    def warning_counts(self, loaded: np.ndarray) -> dict[str, int]:
        out: dict[str, int] = {}
        for pos, cat in self._warnings:
            k = int(loaded[pos].sum())
            if k:
                out[cat] = out.get(cat, 0) + k
        return out

    def reasons(self) -> pd.Series:
        """Per row, its reasons joined with "; " (empty for valid rows), in check order."""
        if not self._parts:
            return pd.Series([""] * self.n, dtype=object)
        pos = np.concatenate([p for p, _, _ in self._parts])
        order = np.concatenate([np.full(len(p), i) for i, (p, _, _) in enumerate(self._parts)])
        msgs = np.concatenate([m for _, _, m in self._parts])
        df = pd.DataFrame({"pos": pos, "order": order, "msg": msgs}).sort_values(
            ["pos", "order"], kind="stable"
        )
        joined = df.groupby("pos", sort=True)["msg"].agg("; ".join)
        out = pd.Series([""] * self.n, dtype=object)
        out.iloc[joined.index.to_numpy()] = joined.to_numpy(dtype=object)
        return out

    def first_lines(self, category: str, k: int) -> list[int]:
        pos: set[int] = set()
        for p, cat, _ in self._parts:
            if cat == category:
                pos.update(p.tolist())
        return sorted(int(self.raw.lines[i]) for i in pos)[:k]


def _rejected_message(
    path: Path, n_rej: int, n_read: int, limit: float, checks: _Checks, quarantine: Path
) -> str:
    label = checks.raw.line_label
    top = list(checks.counts().items())[:5]
    lines = "\n".join(
        f"  - {cat}: {n} rows ({label}s {', '.join(map(str, checks.first_lines(cat, _MAX_LINES_SHOWN)))}"
        f"{', ...' if n > _MAX_LINES_SHOWN else ''})"
        for cat, n in top
    )
    return (
        f"{path}: {n_rej} of {n_read} rows rejected ({n_rej / n_read:.1%}), more than "
        f"max_reject_share {limit:.1%}; nothing was written to the store.\n"
        f"Top reasons:\n{lines}\n"
        f"Every rejected row and its reasons: {quarantine}"
    )


# =========================================================================== columns
def _key(name: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", str(name))).lower()


class _Columns:
    """Finds schema fields among a file's columns by name or alias (case/space-insensitive)."""

    def __init__(self, raw: RawTable) -> None:
        self.raw = raw
        self.by_key: dict[str, str] = {}
        for col in raw.frame.columns:
            self.by_key.setdefault(_key(col), col)

    def find(self, *aliases: str) -> str | None:
        for alias in aliases:
            col = self.by_key.get(_key(alias))
            if col is not None:
                return col
        return None

    def find_all(self, *aliases: str) -> list[str]:
        found = [self.by_key.get(_key(a)) for a in aliases]
        return list(dict.fromkeys(c for c in found if c is not None))

    def values(self, col: str) -> pd.Series:
        return self.raw.frame[col]

    def coordinate_columns(self) -> tuple[str, str] | None:
        for x, y in _LON_LAT_PAIRS:
            cx, cy = self.find(x), self.find(y)
            if cx and cy:
                return cx, cy
        return None

    def has_geometry(self) -> bool:
        geom = self.raw.geometry
        return geom is not None and any(g is not None and not shapely.is_empty(g) for g in geom)


def _label(col: str, field_name: str) -> str:
    return col if _key(col) == _key(field_name) else f"{col} ({field_name})"


def _missing_columns_error(
    path: Path, kind: str, missing: Sequence[str], found: Iterable[str]
) -> IngestFileError:
    found = list(found)
    return IngestFileError(
        f"{path}: {kind} file is missing required columns {list(missing)}; columns found: {found}"
    )


# =========================================================================== parsing
def _quoted(values: pd.Series) -> pd.Series:
    return "'" + values.astype(object).astype(str) + "'"


def _require(raw: pd.Series, label: str, checks: _Checks) -> np.ndarray:
    missing = raw.isna().to_numpy()
    checks.add(missing, "missing required field", f"missing required field {label}")
    return missing


def _parse_number(raw: pd.Series, label: str, checks: _Checks, *, integer: bool) -> pd.Series:
    """Numbers with optional thousands separators; records bad ones; NaN where missing/bad."""
    text = raw.astype(object).where(raw.notna(), None)
    cleaned = text.str.replace(",", "", regex=False).str.replace(r"\s+", "", regex=True)
    num = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    bad = raw.notna().to_numpy() & ~np.isfinite(num.to_numpy())
    if integer:
        frac = np.isfinite(num.to_numpy()) & (np.mod(np.nan_to_num(num.to_numpy()), 1) != 0)
        checks.add(frac, "bad integer", "bad integer " + _quoted(raw) + " in " + label)
        num = num.where(~frac)
        checks.add(bad, "bad integer", "bad integer " + _quoted(raw) + " in " + label)
    else:
        checks.add(bad, "bad number", "bad number " + _quoted(raw) + " in " + label)
    return num.where(~bad)


def _amount(raw: pd.Series, label: str, checks: _Checks, *, required: bool = True) -> pd.Series:
    if required:
        _require(raw, label, checks)
    num = _parse_number(raw, label, checks, integer=False)
    neg = (num < 0).to_numpy()
    checks.add(
        neg, "negative amount", "negative amount " + raw.astype(object).astype(str) + " in " + label
    )
    return num


def _count(
    raw: pd.Series, label: str, checks: _Checks, *, lo: int = 0, hi: int | None = None
) -> pd.Series:
    _require(raw, label, checks)
    num = _parse_number(raw, label, checks, integer=True)
    text = raw.astype(object).astype(str)
    if lo == 0:
        checks.add(
            (num < 0).to_numpy(), "negative count", "negative count " + text + " in " + label
        )
    else:
        checks.add((num < lo).to_numpy(), "out of range", label + " " + text + f" is below {lo}")
    if hi is not None:
        checks.add((num > hi).to_numpy(), "out of range", label + " " + text + f" is above {hi}")
    return num


def _identifier(raw: pd.Series, label: str, checks: _Checks) -> pd.Series:
    _require(raw, label, checks)
    num = _parse_number(raw, label, checks, integer=True)
    checks.add(
        (num < 0).to_numpy(),
        "bad identifier",
        "negative identifier " + raw.astype(object).astype(str) + " in " + label,
    )
    return num


def _vocabulary(
    raw: pd.Series,
    label: str,
    field_name: str,
    vocabulary: Sequence[voc.Code | voc.CrisisSource],
    checks: _Checks,
) -> pd.Series:
    """Map codes (any case) or Korean labels to codes; record unknown ones."""
    _require(raw, label, checks)
    lookup = {v.code.lower(): v.code for v in vocabulary} | {v.ko: v.code for v in vocabulary}
    mapped = _map_obj(
        raw,
        lambda v: (
            None if v is None else lookup.get(str(v).strip().lower(), lookup.get(str(v).strip()))
        ),
    )
    unknown = (raw.notna() & mapped.isna()).to_numpy()
    expected = ", ".join(v.code for v in vocabulary)
    checks.add(
        unknown,
        f"unknown {field_name}",
        f"unknown {label} " + _quoted(raw) + f" (expected one of {expected})",
    )
    return mapped


def _boolean(raw: pd.Series, label: str, checks: _Checks) -> pd.Series:
    _require(raw, label, checks)
    value = _map_obj(
        raw,
        lambda v: (
            None
            if v is None
            else (
                True
                if str(v).strip().lower() in _TRUE
                else (False if str(v).strip().lower() in _FALSE else None)
            )
        ),
    )
    bad = (raw.notna() & value.isna()).to_numpy()
    checks.add(
        bad, "bad boolean", "bad boolean " + _quoted(raw) + " in " + label + " (use true/false)"
    )
    return value


_MONTH_RE: Final = re.compile(r"^(\d{4})[-./]?(\d{1,2})(?:[-./]?(\d{1,2}))?(?:[ T].*)?$")


def _month(raw: pd.Series, label: str, checks: _Checks) -> pd.Series:
    """YYYY-MM or YYYY-MM-DD (also YYYYMM, YYYY.MM, ...) as the first day of the month."""
    _require(raw, label, checks)
    parts = raw.astype(object).str.strip().str.extract(_MONTH_RE)
    year = pd.to_numeric(parts[0], errors="coerce")
    month = pd.to_numeric(parts[1], errors="coerce")
    day = pd.to_numeric(parts[2], errors="coerce").fillna(1)
    full = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}), errors="coerce")
    bad = (raw.notna() & full.isna()).to_numpy()
    checks.add(bad, "bad date", "bad date " + _quoted(raw) + " in " + label)
    first = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": 1}), errors="coerce")
    return first.where(~bad).astype("datetime64[ns]")


def _duplicates(
    keys: pd.DataFrame,
    describe: Callable[[tuple[object, ...]], str],
    category: str,
    checks: _Checks,
) -> None:
    """Reject every copy of a duplicated key; each message names the other lines."""
    valid = keys.notna().all(axis=1).to_numpy()
    dup = valid & keys.duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    label = checks.raw.line_label
    sub = keys[dup]
    tuples = list(sub.itertuples(index=False, name=None))
    lines = checks.raw.lines[dup]
    by_key: dict[tuple[object, ...], list[int]] = {}
    for key, line in zip(tuples, lines, strict=True):
        by_key.setdefault(key, []).append(int(line))
    msgs = []
    for key, line in zip(tuples, lines, strict=True):
        others = [x for x in by_key[key] if x != line]
        shown = ", ".join(map(str, others[:_MAX_LINES_SHOWN])) + (
            ", ..." if len(others) > _MAX_LINES_SHOWN else ""
        )
        msgs.append(
            f"duplicate {describe(key)} (also on {label}{'s' if len(others) > 1 else ''} {shown})"
        )
    checks.add(dup, category, pd.Series(msgs, dtype=object))


def _int_text(value: object) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


# =========================================================================== coordinates
def _coordinates(
    raw: RawTable, cols: _Columns, checks: _Checks, crs_arg: int | None, path: Path
) -> tuple[np.ndarray, np.ndarray, int]:
    """Lon/lat in EPSG:4326 of every row (NaN where missing or bad) and the source EPSG."""
    n = len(raw.frame)
    if cols.has_geometry():
        geom = np.asarray(raw.geometry, dtype=object)
        none = np.array([g is None or shapely.is_empty(g) for g in geom])
        types = np.array([None if g is None else g.geom_type for g in geom], dtype=object)
        not_point = ~none & (types != "Point")
        checks.add(none, "missing coordinates", "missing coordinates (empty geometry)")
        checks.add(
            not_point,
            "not a point",
            "geometry is " + pd.Series(types, dtype=object).astype(str) + ", not a point",
        )
        ok = ~none & ~not_point
        x = np.full(n, np.nan)
        y = np.full(n, np.nan)
        pts = geom[ok]
        x[ok] = shapely.get_x(pts.astype(object)) if len(pts) else []
        y[ok] = shapely.get_y(pts.astype(object)) if len(pts) else []
        file_crs = raw.crs
        what = "geometry"
    else:
        pair = cols.coordinate_columns()
        assert pair is not None  # checked with the required columns
        cx, cy = pair
        x_raw, y_raw = cols.values(cx), cols.values(cy)
        gone = (x_raw.isna() | y_raw.isna()).to_numpy()
        checks.add(gone, "missing coordinates", f"missing coordinates ({cx}/{cy})")
        x = _parse_number(x_raw, cx, checks, integer=False).to_numpy(dtype=float)
        y = _parse_number(y_raw, cy, checks, integer=False).to_numpy(dtype=float)
        file_crs = raw.crs
        what = f"columns {cx}/{cy}"
    epsg = _resolve_crs(file_crs, crs_arg, x, y, path, what)
    if epsg != STORAGE_SRID:
        transformer = Transformer.from_crs(epsg, STORAGE_SRID, always_xy=True)
        finite = np.isfinite(x) & np.isfinite(y)
        lon = np.full(n, np.nan)
        lat = np.full(n, np.nan)
        if finite.any():
            tx, ty = transformer.transform(x[finite], y[finite])
            lon[finite], lat[finite] = tx, ty
        x, y = lon, lat
    return x, y, epsg


def _epsg_of(crs: CRS) -> int | None:
    epsg = crs.to_epsg()
    return epsg if epsg is not None else crs.to_epsg(min_confidence=70)


def _resolve_crs(
    file_crs: CRS | None, crs_arg: int | None, x: np.ndarray, y: np.ndarray, path: Path, what: str
) -> int:
    supported = ", ".join(f"EPSG:{c}" for c in SUPPORTED_EPSG)
    file_epsg: int | None = None
    if file_crs is not None:
        file_epsg = _epsg_of(CRS.from_user_input(file_crs))
        if file_epsg not in SUPPORTED_EPSG:
            name = f"EPSG:{file_epsg}" if file_epsg else "a custom CRS"
            raise IngestFileError(
                f"{path}: the file's CRS is {name} ({CRS.from_user_input(file_crs).name}); only "
                f"{supported} are accepted. Reproject it first, e.g. "
                f"`ogr2ogr -t_srs EPSG:4326 out.gpkg {path.name}`"
            )
        if crs_arg is not None and crs_arg != file_epsg:
            raise IngestFileError(
                f"{path}: crs={crs_arg} contradicts the file's own CRS EPSG:{file_epsg}; "
                "drop the crs argument or fix the file"
            )
        return file_epsg
    if crs_arg is not None:
        return crs_arg
    finite = np.isfinite(x) & np.isfinite(y)
    if not finite.any():
        return STORAGE_SRID
    # Degrees when most points look like degrees: a few odd rows (swapped lon/lat, a stray
    # projected pair) are then rejected row by row as outside Korea instead of failing the file.
    degrees = (np.abs(x[finite]) <= 180) & (np.abs(y[finite]) <= 180)
    if degrees.mean() > 0.5:
        return STORAGE_SRID
    i = int(np.flatnonzero(~degrees)[0])
    raise IngestFileError(
        f"{path}: {what} hold projected coordinates (e.g. x {x[finite][i]:.1f}, y {y[finite][i]:.1f}) "
        f"but the file declares no CRS; pass crs= one of {supported} "
        "(EPSG:5179 for x about 1,000,000 / y about 1,900,000; EPSG:5186 or EPSG:5174 for "
        "x about 200,000 / y about 450,000-600,000)"
    )


# =========================================================================== regions
@dataclass(frozen=True)
class _Regions:
    """읍면동 polygons with a spatial index, for point-in-polygon and distance look-ups."""

    codes: np.ndarray
    sigungu: np.ndarray
    sido: np.ndarray
    geoms: np.ndarray
    tree: shapely.STRtree
    index: dict[str, int]

    @classmethod
    def from_frame(cls, emd: pd.DataFrame) -> _Regions:
        codes = emd["code"].astype(str).to_numpy(dtype=object)
        sigungu = (
            emd["sigungu_code"].astype(object).to_numpy(dtype=object)
            if "sigungu_code" in emd
            else None
        )
        sido = (
            emd["sido_code"].astype(object).to_numpy(dtype=object) if "sido_code" in emd else None
        )
        sigungu = np.array(
            [
                s if isinstance(s, str) and s else c[:5]
                for s, c in zip(
                    sigungu if sigungu is not None else [None] * len(codes), codes, strict=True
                )
            ],
            dtype=object,
        )
        sido = np.array(
            [
                s if isinstance(s, str) and s else c[:2]
                for s, c in zip(
                    sido if sido is not None else [None] * len(codes), codes, strict=True
                )
            ],
            dtype=object,
        )
        geoms = np.asarray(
            emd.geometry.to_numpy() if hasattr(emd, "geometry") else emd["geometry"], dtype=object
        )
        return cls(
            codes, sigungu, sido, geoms, shapely.STRtree(geoms), {c: i for i, c in enumerate(codes)}
        )

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Index of the 읍면동 containing each point (-1 if none); lowest index on a boundary."""
        out = np.full(len(lon), -1, dtype=np.int64)
        ok = np.isfinite(lon) & np.isfinite(lat)
        if not ok.any():
            return out
        pts = shapely.points(lon[ok], lat[ok])
        src, hit = self.tree.query(pts, predicate="intersects")
        if len(src):
            order = np.lexsort((hit, src))
            src, hit = src[order], hit[order]
            first = np.r_[True, src[1:] != src[:-1]]
            sub = np.full(len(pts), -1, dtype=np.int64)
            sub[src[first]] = hit[first]
            out[ok] = sub
        return out

    def nearest_within(
        self, lon: np.ndarray, lat: np.ndarray, metres: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Nearest 읍면동 within ``metres`` of each point (-1 if none) and the distance."""
        n = len(lon)
        best = np.full(n, -1, dtype=np.int64)
        dist = np.full(n, np.inf)
        if not n:
            return best, dist
        pts = shapely.points(lon, lat)
        src, hit = self.tree.query(pts, predicate="dwithin", distance=metres / 80_000.0)
        if not len(src):
            return best, dist
        d = _distance_m(lon[src], lat[src], self.geoms[hit])
        for s, h, dd in zip(src, hit, d, strict=True):
            if dd <= metres and dd < dist[s]:
                best[s], dist[s] = h, dd
        return best, dist


_TO_MEASURE = Transformer.from_crs(STORAGE_SRID, MEASURE_SRID, always_xy=True)


def _distance_m(lon: np.ndarray, lat: np.ndarray, geoms: np.ndarray) -> np.ndarray:
    """Distance in EPSG:5179 metres between points and geometries (pairwise)."""
    if not len(lon):
        return np.empty(0)
    x, y = _TO_MEASURE.transform(np.asarray(lon, float), np.asarray(lat, float))
    projected = shapely.transform(
        geoms, lambda xy: np.column_stack(_TO_MEASURE.transform(xy[:, 0], xy[:, 1]))
    )
    return shapely.distance(shapely.points(x, y), projected)


def _load_regions(store: Store) -> _Regions:
    try:
        emd = store.regions("emd")
    except Exception as exc:
        log.debug("no emd regions in the store: %s", exc)
        emd = None
    if emd is not None and len(emd):
        return _Regions.from_frame(emd)
    try:
        from geodata.boundaries import load_boundaries

        emd = load_boundaries("emd")
    except Exception as exc:
        raise IngestError(
            "cannot check points: the store's region table has no 읍면동 rows and "
            f"load_boundaries('emd') failed ({exc}); load the boundaries first"
        ) from exc
    log.info("checking points against the bundled 읍면동 boundaries (store has none)")
    return _Regions.from_frame(emd)


def _fmt(v: float) -> str:
    return f"{v:.5f}".rstrip("0").rstrip(".")


def _assign_regions(
    cols: _Columns,
    lon: np.ndarray,
    lat: np.ndarray,
    checks: _Checks,
    regions: _Regions,
) -> pd.DataFrame:
    """emd/sigungu/sido codes of every row, checking declared codes against the point."""
    n = len(lon)
    has_point = np.isfinite(lon) & np.isfinite(lat)
    lon_s = pd.Series([_fmt(v) for v in lon], dtype=object)
    lat_s = pd.Series([_fmt(v) for v in lat], dtype=object)
    where = "(lon " + lon_s + ", lat " + lat_s + ")"

    minx, miny, maxx, maxy = KOREA_BBOX
    in_box = has_point & (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)
    swapped = has_point & ~in_box & (lat >= minx) & (lat <= maxx) & (lon >= miny) & (lon <= maxy)
    checks.add(has_point & ~in_box & ~swapped, "outside Korea", "outside Korea " + where)
    checks.add(swapped, "outside Korea", "outside Korea " + where + " - are lon and lat swapped?")

    located = np.full(n, -1, dtype=np.int64)
    located[in_box] = regions.locate(lon[in_box], lat[in_box])
    near = in_box & (located < 0)
    if near.any():
        idx, _ = regions.nearest_within(lon[near], lat[near], COAST_TOLERANCE_M)
        sub = located[near]
        sub[idx >= 0] = idx[idx >= 0]
        located[near] = sub
        checks.warn(
            _mask_at(n, np.flatnonzero(near)[idx >= 0]),
            f"point within {COAST_TOLERANCE_M:.0f} m of a 읍면동, assigned to the nearest",
        )

    emd_col = cols.find("emd_code", "읍면동코드", "법정동코드")
    declared = np.full(n, -1, dtype=np.int64)
    if emd_col is not None:
        text = _map_obj(cols.values(emd_col), _normalise_code)
        given = text.notna().to_numpy()
        known = np.array([regions.index.get(c, -1) if c else -1 for c in text], dtype=np.int64)
        ten = np.array(
            [
                regions.index.get(c[:8], -1) if c and len(c) == 10 and c.endswith("00") else -1
                for c in text
            ],
            dtype=np.int64,
        )
        known = np.where(known >= 0, known, ten)
        label = _label(emd_col, "emd_code")
        checks.add(
            given & (known < 0),
            "unknown emd_code",
            f"unknown {label} " + cols.values(emd_col).astype(object).astype(str),
        )
        declared = known
    no_region = in_box & (located < 0) & (declared < 0)
    checks.add(
        no_region, "outside Korea", "outside Korea " + where + ": in no 읍면동 of the region table"
    )

    mismatch = in_box & (declared >= 0) & (located != declared)
    final = np.where(declared >= 0, declared, located)
    if mismatch.any():
        pos = np.flatnonzero(mismatch)
        dist = _distance_m(lon[pos], lat[pos], regions.geoms[declared[pos]])
        far = dist > EMD_MISMATCH_TOLERANCE_M
        checks.warn(
            _mask_at(n, pos[~far]),
            f"point up to {EMD_MISMATCH_TOLERANCE_M:.0f} m outside its declared 읍면동 (kept)",
        )
        msgs = []
        for p, d in zip(pos[far], dist[far], strict=True):
            lies = regions.codes[located[p]] if located[p] >= 0 else "no 읍면동"
            msgs.append(
                f"point {where.iloc[p]} is {d / 1000:.1f} km outside emd_code {regions.codes[declared[p]]} "
                f"(it lies in {lies})"
            )
        checks.add(
            _mask_at(n, pos[far]), "point outside its emd_code", pd.Series(msgs, dtype=object)
        )

    safe = np.where(final >= 0, final, 0)
    out = pd.DataFrame(
        {
            "emd_code": np.where(
                final >= 0, regions.codes[safe] if len(regions.codes) else None, None
            ),
            "sigungu_code": np.where(
                final >= 0, regions.sigungu[safe] if len(regions.codes) else None, None
            ),
            "sido_code": np.where(
                final >= 0, regions.sido[safe] if len(regions.codes) else None, None
            ),
        }
    )
    for name in ("sigungu_code", "sido_code"):
        col = cols.find(name)
        if col is None:
            continue
        given = _map_obj(cols.values(col), _normalise_code)
        bad = (given.notna() & out["emd_code"].notna() & (given != out[name])).to_numpy()
        checks.add(
            bad,
            f"{name} mismatch",
            f"{_label(col, name)} "
            + given.astype(str)
            + " does not match emd_code "
            + out["emd_code"].astype(str)
            + " (expected "
            + out[name].astype(str)
            + ")",
        )
    return out


def _map_obj(series: pd.Series, fn: Callable[[object], object]) -> pd.Series:
    """Apply ``fn`` to each value (``None`` for missing) keeping object dtype and ``None``."""
    values = [
        fn(None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v)
        for v in series.to_numpy(dtype=object)
    ]
    return pd.Series(values, index=series.index, dtype=object)


def _mask_at(n: int, pos: np.ndarray) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[pos] = True
    return mask


def _normalise_code(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".", 1)[0]
    return text or None


# =========================================================================== households
_HOUSEHOLD_COUNTS: Final = {
    "size": (1, 30),
    "n_elderly": (0, 30),
    "n_children": (0, 30),
    "n_disabled": (0, 30),
    "head_age": (14, 120),
}
_HOUSEHOLD_CODES: Final = {
    "household_type": voc.HOUSEHOLD_TYPES,
    "housing_type": voc.HOUSING_TYPES,
    "tenure": voc.TENURES,
}
_HOUSEHOLD_AMOUNTS: Final = (
    "income_monthly_krw",
    "property_residential_krw",
    "property_general_krw",
    "financial_assets_krw",
    "car_value_krw",
    "debt_krw",
)


def _households(
    raw: RawTable, checks: _Checks, store: Store, crs: int | None, path: Path, step: Progress
) -> tuple[gpd.GeoDataFrame, int]:
    cols = _Columns(raw)
    fields = [
        "household_id",
        *_HOUSEHOLD_COUNTS,
        "is_multicultural",
        *_HOUSEHOLD_CODES,
        *_HOUSEHOLD_AMOUNTS,
    ]
    missing = [f for f in fields if cols.find(f) is None]
    if not cols.has_geometry() and cols.coordinate_columns() is None:
        missing.append("lon/lat (or x/y, 경도/위도, or a point geometry)")
    if missing:
        raise _missing_columns_error(path, "households", missing, raw.frame.columns)
    out: dict[str, object] = {}
    col = cols.find("household_id")
    assert col is not None
    ids = _identifier(cols.values(col), col, checks)
    out["household_id"] = ids
    for name, (lo, hi) in _HOUSEHOLD_COUNTS.items():
        c = cols.find(name)
        assert c is not None
        out[name] = _count(cols.values(c), _label(c, name), checks, lo=lo, hi=hi)
    size = out["size"]
    assert isinstance(size, pd.Series)
    for name in ("n_elderly", "n_children", "n_disabled"):
        value = out[name]
        assert isinstance(value, pd.Series)
        c = cols.find(name)
        assert c is not None
        checks.add(
            (value > size).to_numpy(),
            "more members than size",
            f"{_label(c, name)} "
            + cols.values(c).astype(object).astype(str)
            + " exceeds size "
            + cols.values(cols.find("size") or "size").astype(object).astype(str),
        )
    c = cols.find("is_multicultural")
    assert c is not None
    out["is_multicultural"] = _boolean(cols.values(c), _label(c, "is_multicultural"), checks)
    for name, vocab in _HOUSEHOLD_CODES.items():
        c = cols.find(name)
        assert c is not None
        out[name] = _vocabulary(cols.values(c), _label(c, name), name, vocab, checks)
    for name in _HOUSEHOLD_AMOUNTS:
        c = cols.find(name)
        assert c is not None
        out[name] = _amount(cols.values(c), _label(c, name), checks)
    _duplicates(
        pd.DataFrame({"household_id": ids}),
        lambda k: f"household_id {_int_text(k[0])}",
        "duplicate household_id",
        checks,
    )
    lon, lat, epsg = _coordinates(raw, cols, checks, crs, path)
    step("regions", 0.6)
    codes = _assign_regions(cols, lon, lat, checks, _load_regions(store))
    frame = pd.DataFrame(out)
    frame = pd.concat([frame, codes], axis=1)
    return _with_points(frame, lon, lat), epsg


def _with_points(frame: pd.DataFrame, lon: np.ndarray, lat: np.ndarray) -> gpd.GeoDataFrame:
    ok = np.isfinite(lon) & np.isfinite(lat)
    geoms = np.full(len(frame), None, dtype=object)
    if ok.any():
        geoms[ok] = shapely.points(lon[ok], lat[ok])
    return gpd.GeoDataFrame(
        frame, geometry=gpd.GeoSeries(geoms, crs=STORAGE_SRID), crs=STORAGE_SRID
    )


# =========================================================================== facilities
_FACILITY_ID: Final = ("facility_id", "시설코드", "시설id", "시설아이디")
_FACILITY_NAME: Final = ("name", "시설명", "기관명", "시설이름")
_FACILITY_TYPE_TEXT: Final = (
    "type_name",
    "시설종류상세명",
    "시설종류상세",
    "세부시설종류",
    "시설종류명",
    "시설종류",
    "시설유형",
    "시설구분",
)
_FACILITY_CAPACITY: Final = ("capacity", "정원", "입소정원", "이용정원", "정원수", "정원(명)")
_FACILITY_USERS: Final = ("current_users", "현원", "입소현원", "이용현원", "현원수", "현원(명)")
_FACILITY_ADDRESS: Final = (
    "address",
    "주소",
    "소재지도로명주소",
    "도로명주소",
    "소재지주소",
    "소재지지번주소",
    "지번주소",
)
#: Common names that differ from the reference names in more than spacing.
_TYPE_ALIASES: Final[dict[str, str]] = {
    "노인종합복지관": "F06",
    "장애인종합복지관": "F24",
    "종합사회복지관": "F55",
    "그룹홈": "F37",
    "아동그룹홈": "F37",
    "재가노인복지시설방문요양": "F09",
    "주야간보호": "F10",
    "방문요양": "F09",
}


def _normalise_type(text: str) -> str:
    s = unicodedata.normalize("NFC", str(text))
    s = re.sub(r"[\s·ㆍ・.,()\[\]\-/_'\"]", "", s)
    return s.removesuffix("서비스")


class _TypeMatcher:
    """Matches facility type text to the reference types (exact, normalised, contained)."""

    def __init__(self, types: pd.DataFrame) -> None:
        self.types = types.set_index("type_code", drop=False)
        self.exact = {
            str(n).strip(): str(c)
            for c, n in zip(types["type_code"], types["type_name"], strict=True)
        }
        self.norm = {_normalise_type(n): c for n, c in self.exact.items()}
        self.norm |= {k: v for k, v in _TYPE_ALIASES.items() if v in self.types.index}
        self.codes = {str(c).upper(): str(c) for c in types["type_code"]}

    def match(self, text: str) -> tuple[str | None, str | None]:
        """Return (type_code, None) or (None, problem)."""
        t = text.strip()
        if t.upper() in self.codes:
            return self.codes[t.upper()], None
        if t in self.exact:
            return self.exact[t], None
        n = _normalise_type(t)
        if n in self.norm:
            return self.norm[n], None
        contained = [(len(k), c, k) for k, c in self.norm.items() if k and k in n]
        if not contained:
            return None, "unknown"
        longest = max(contained)[0]
        best = sorted({c for length, c, _ in contained if length == longest})
        if len(best) > 1:
            return None, "ambiguous (" + ", ".join(
                f"{c} {self.types.loc[c, 'type_name']}" for c in best
            ) + ")"
        return best[0], None


def _facility_types() -> pd.DataFrame:
    from etl.reference_data import facility_types

    return facility_types()


def _facilities(
    raw: RawTable, checks: _Checks, store: Store, crs: int | None, path: Path, step: Progress
) -> tuple[gpd.GeoDataFrame, int]:
    cols = _Columns(raw)
    name_col = cols.find(*_FACILITY_NAME)
    type_code_col = cols.find("type_code", "시설종류코드")
    type_cols = cols.find_all(*_FACILITY_TYPE_TEXT)
    cap_col = cols.find(*_FACILITY_CAPACITY)
    users_col = cols.find(*_FACILITY_USERS)
    missing = []
    if name_col is None:
        missing.append("시설명 (name)")
    if type_code_col is None and not type_cols:
        missing.append("시설종류 (type_name or type_code)")
    if cap_col is None:
        missing.append("정원 (capacity)")
    if users_col is None:
        missing.append("현원 (current_users)")
    if not cols.has_geometry() and cols.coordinate_columns() is None:
        missing.append("경도/위도 (lon/lat, x/y or a point geometry)")
    if missing:
        raise _missing_columns_error(path, "facilities", missing, raw.frame.columns)
    assert name_col and cap_col and users_col
    n = len(raw.frame)
    name = cols.values(name_col).astype(object)
    _require(cols.values(name_col), _label(name_col, "name"), checks)
    types = _facility_types()
    matcher = _TypeMatcher(types)
    type_code = _match_types(cols, type_code_col, type_cols, matcher, checks, n)
    capacity = _count(cols.values(cap_col), _label(cap_col, "capacity"), checks)
    users = _count(cols.values(users_col), _label(users_col, "current_users"), checks)
    address_cols = cols.find_all(*_FACILITY_ADDRESS)
    address = pd.Series([None] * n, dtype=object)
    for c in address_cols:
        address = address.where(address.notna(), cols.values(c).astype(object))
    lon, lat, epsg = _coordinates(raw, cols, checks, crs, path)

    id_col = cols.find(*_FACILITY_ID)
    if id_col is not None:
        ids_raw = cols.values(id_col).astype(object)
        _require(cols.values(id_col), _label(id_col, "facility_id"), checks)
        ids = pd.Series([_facility_id_from_code(v) for v in ids_raw], dtype="float64")
        _duplicates(
            pd.DataFrame({"id": ids}),
            lambda k: f"{_label(id_col, 'facility_id')} {_int_text(k[0])}",
            "duplicate facility_id",
            checks,
        )
    else:
        ids = pd.Series(
            [
                float(_stable_id(nm, ad, x, y))
                if nm is not None and np.isfinite(x) and np.isfinite(y)
                else np.nan
                for nm, ad, x, y in zip(name, address, lon, lat, strict=True)
            ],
            dtype="float64",
        )
        _duplicates(
            pd.DataFrame({"id": ids}),
            lambda _k: "facility (same name, address and coordinates)",
            "duplicate facility",
            checks,
        )
    step("regions", 0.6)
    codes = _assign_regions(cols, lon, lat, checks, _load_regions(store))
    ref = types.set_index("type_code")
    tc = _map_obj(type_code, lambda c: c)
    frame = pd.DataFrame(
        {
            "facility_id": ids,
            "name": name,
            "type_code": tc,
            "type_name": _map_obj(tc, lambda c: None if c is None else ref.at[c, "type_name"]),
            "target_group": _map_obj(
                tc, lambda c: None if c is None else ref.at[c, "target_group"]
            ),
            "function": _map_obj(tc, lambda c: None if c is None else ref.at[c, "function"]),
            "capacity": capacity,
            "current_users": users,
            "address": address,
        }
    )
    frame = pd.concat([frame, codes], axis=1)
    return _with_points(frame, lon, lat), epsg


def _match_types(
    cols: _Columns,
    type_code_col: str | None,
    type_cols: list[str],
    matcher: _TypeMatcher,
    checks: _Checks,
    n: int,
) -> pd.Series:
    result = pd.Series([None] * n, dtype=object)
    problem = pd.Series([None] * n, dtype=object)
    shown = pd.Series([None] * n, dtype=object)
    sources = ([type_code_col] if type_code_col else []) + type_cols
    for col in sources:
        values = cols.values(col).astype(object)
        uniques = set(values.dropna().unique())
        matched = {v: matcher.match(str(v)) for v in uniques}
        code = _map_obj(values, lambda v, m=matched: None if v is None else m[v][0])
        why = _map_obj(values, lambda v, m=matched: None if v is None else m[v][1])
        todo = result.isna()
        result = result.where(~todo, code)
        first_problem = todo & problem.isna() & why.notna()
        problem = problem.where(~first_problem, why)
        shown = shown.where(~(todo & shown.isna() & values.notna()), values)
    none_given = shown.isna().to_numpy()
    label = "/".join(sources)
    checks.add(
        none_given & result.isna().to_numpy(),
        "missing required field",
        f"missing required field {label}",
    )
    bad = (result.isna() & shown.notna()).to_numpy()
    if bad.any():
        msgs = [
            f"{'ambiguous' if str(p).startswith('ambiguous') else 'unknown'} facility type '{s}'"
            + (
                f": {p.removeprefix('ambiguous ')}"
                if str(p).startswith("ambiguous")
                else " (not in etl/reference/facility_types.csv)"
            )
            for s, p in zip(shown, problem, strict=True)
        ]
        checks.add(bad, "unknown facility type", pd.Series(msgs, dtype=object))
    return result


def _facility_id_from_code(value: object) -> float:
    if value is None:
        return np.nan
    text = _normalise_code(value) or ""
    if re.fullmatch(r"\d{1,18}", text):
        return float(int(text)) if int(text) < 2**53 else float(_hash63("code:" + text))
    return float(_hash63("code:" + text))


def _stable_id(name: str, address: str | None, lon: float, lat: float) -> int:
    """A positive 53-bit id from name, address and coordinates (stable across re-loads)."""
    norm_name = re.sub(r"\s+", "", unicodedata.normalize("NFC", name))
    norm_addr = re.sub(r"\s+", "", unicodedata.normalize("NFC", address or ""))
    return _hash63(f"{norm_name}|{norm_addr}|{lon:.5f}|{lat:.5f}")


def _hash63(text: str) -> int:
    # 53 bits so the id survives float64 round trips (pandas NaN-able id columns).
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") & ((1 << 53) - 1)


# =========================================================================== signals
def _signals(raw: RawTable, checks: _Checks, store: Store, path: Path) -> pd.DataFrame:
    cols = _Columns(raw)
    spec = {
        "household_id": ("household_id",),
        "source": ("source", "위기정보", "위기정보구분"),
        "month": ("month", "기준월", "year_month"),
        "value": ("value", "값", "금액"),
    }
    found = {f: cols.find(*aliases) for f, aliases in spec.items()}
    missing = [f for f, c in found.items() if c is None]
    if missing:
        raise _missing_columns_error(path, "signals", missing, raw.frame.columns)
    c_id, c_src, c_month, c_val = (found[f] for f in spec)
    assert c_id and c_src and c_month and c_val
    ids = _identifier(cols.values(c_id), _label(c_id, "household_id"), checks)
    source = _vocabulary(
        cols.values(c_src), _label(c_src, "source"), "source", voc.CRISIS_SOURCES, checks
    )
    month = _month(cols.values(c_month), _label(c_month, "month"), checks)
    _require(cols.values(c_val), _label(c_val, "value"), checks)
    value = _parse_number(cols.values(c_val), _label(c_val, "value"), checks, integer=False)
    checks.add(
        (value < 0).to_numpy(),
        "negative amount",
        "negative amount "
        + cols.values(c_val).astype(object).astype(str)
        + " in "
        + _label(c_val, "value"),
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
        ids.notna() & ~_map_obj(ids, lambda v: v is not None and int(v) in existing).astype(bool)
    ).to_numpy()
    checks.add(
        unknown,
        "unknown household_id",
        "unknown household_id "
        + cols.values(c_id).astype(object).astype(str)
        + " (not in the household table)",
    )
    keys = pd.DataFrame({"household_id": ids, "source": source, "month": month})
    _duplicates(
        keys,
        lambda k: (
            f"signal (household_id {_int_text(k[0])}, source {k[1]}, month {pd.Timestamp(k[2]):%Y-%m})"
        ),
        "duplicate signal",
        checks,
    )
    return pd.DataFrame({"household_id": ids, "source": source, "month": month, "value": value})


# =========================================================================== output
def _to_schema(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Coerce validated rows to the table's schema types (a GeoDataFrame for spatial tables)."""
    out = conform_frame(table, pd.DataFrame(frame))
    geoms = geometry_columns(table)
    if geoms:
        return gpd.GeoDataFrame(
            out,
            geometry=gpd.GeoSeries(out["geometry"].to_numpy(), crs=STORAGE_SRID),
            crs=STORAGE_SRID,
        )
    return out


def _count_unchanged(store: Store, table: str, frame: pd.DataFrame) -> int:
    """Rows of ``frame`` equal to the row already stored under the same primary key."""
    pk = primary_key(table)
    try:
        keys = pd.unique(frame[pk[0]]).tolist()
        old = store.read_frame(table, where={pk[0]: keys})
    except Exception as exc:
        log.debug("could not compare with stored %s rows: %s", table, exc)
        return 0
    if not len(old):
        return 0
    old = conform_frame(table, pd.DataFrame(old))
    new = pd.DataFrame(frame)
    merged = new.merge(old, on=pk, how="inner", suffixes=("", "__old"))
    same = np.ones(len(merged), dtype=bool)
    for col in new.columns:
        if col in pk:
            continue
        a, b = merged[col], merged[f"{col}__old"]
        if col in geometry_columns(table):
            av, bv = a.to_numpy(dtype=object), b.to_numpy(dtype=object)
            eq = np.array(
                [
                    (x is None and y is None)
                    or (
                        x is not None
                        and y is not None
                        and shapely.equals_exact(x, y, tolerance=1e-9)
                    )
                    for x, y in zip(av, bv, strict=True)
                ],
                dtype=bool,
            )
        else:
            av, bv = a.astype(object).to_numpy(), b.astype(object).to_numpy()
            eq = (av == bv) | (pd.isna(av) & pd.isna(bv))
        same &= np.asarray(eq, dtype=bool)
    return int(same.sum())


def _write_quarantine(
    raw: RawTable, rejected: np.ndarray, reasons: pd.Series, kind: str, folder: Path | None
) -> Path:
    """Write rejected rows (line, reason, original columns) to a UTF-8-with-BOM CSV atomically."""
    if folder is None:
        from geodata.settings import get_settings

        folder = get_settings().data_dir / "quarantine"
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{kind}-{stamp}.csv"
    original = raw.frame.loc[rejected].reset_index(drop=True)
    line_col = raw.line_label if raw.line_label not in original.columns else f"_{raw.line_label}"
    reason_col = "reason" if "reason" not in original.columns else "_reason"
    out = pd.DataFrame(
        {line_col: raw.lines[rejected], reason_col: reasons.to_numpy(dtype=object)[rejected]}
    )
    out = pd.concat([out, original], axis=1)
    if raw.geometry is not None:
        geoms = np.asarray(raw.geometry, dtype=object)[rejected]
        out["geometry_wkt"] = [
            None if g is None else shapely.to_wkt(g, rounding_precision=-1) for g in geoms
        ]
    fd, tmp_name = tempfile.mkstemp(prefix=f".{kind}-", suffix=".csv.tmp", dir=folder)  # mode 0600
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
            out.to_csv(fh, index=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


# =========================================================================== helpers
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
    def step(name: str, fraction: float) -> None:
        log.debug("ingest step %s (%.0f%%)", name, 100 * fraction)
        if progress is not None:
            progress(name, fraction)

    return step
