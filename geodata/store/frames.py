"""Conversions shared by both stores: schema checks and column types of bulk frames."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Table
from sqlalchemy.sql.sqltypes import BigInteger, SmallInteger, String, Text

from geodata.schema import BULK_TABLES, SPATIAL_TABLES, STORAGE_SRID, table
from geodata.store.errors import StoreInputError

WhereValue = Any | Sequence[Any]
#: ``{column: value or values}``: rows whose column equals the value (or is one of the values).
Where = Mapping[str, WhereValue]
WriteMode = Literal["replace", "append", "upsert", "delete"]
WRITE_MODES: tuple[str, ...] = ("replace", "append", "upsert", "delete")
#: Largest value of each integer column type (the smallest is its negative minus one).
INTEGER_MAX: dict[type, int] = {SmallInteger: 2**15 - 1, Integer: 2**31 - 1, BigInteger: 2**63 - 1}


@dataclass(frozen=True, slots=True)
class FrameWrite:
    """One table's part of an atomic multi-table write (:meth:`Store.write_frames`).

    Attributes
    ----------
    table
        A bulk table.
    frame
        The rows; for ``mode="delete"`` only the primary-key columns are read.
    mode
        ``replace`` (the whole table), ``append``, ``upsert`` or ``delete`` (rows with these keys).
    """

    table: str
    frame: pd.DataFrame
    mode: WriteMode = "replace"


def table_columns(name: str) -> list[str]:
    """Column names of bulk table ``name`` in schema order."""
    return [c.name for c in table(name).columns]


def primary_key(name: str) -> list[str]:
    """Primary-key column names of table ``name``."""
    return [c.name for c in table(name).primary_key.columns]


def geometry_columns(name: str) -> tuple[str, ...]:
    """Geometry column names of ``name`` (empty for non-spatial tables)."""
    return SPATIAL_TABLES.get(name, ())


def conform_frame(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Check ``frame`` against the schema of ``name`` and return it with schema columns and types.

    Raises
    ------
    StoreInputError
        Unknown or missing non-nullable columns, nulls in required columns, duplicate primary
        keys, or geometry not in EPSG:4326 -- all problems in one message.
    """
    tbl = table(name)
    problems: list[str] = []
    extra = sorted(set(frame.columns) - {c.name for c in tbl.columns})
    if extra:
        problems.append(f"unknown columns {extra}")
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for col in tbl.columns:
        if col.name in frame.columns:
            out[col.name] = _coerce(frame[col.name].reset_index(drop=True), col, name)
        elif col.nullable and not col.primary_key:
            out[col.name] = pd.Series([None] * len(frame), dtype=_null_dtype(col))
        else:
            problems.append(f"missing required column {col.name!r}")
    if problems:
        raise StoreInputError(f"table {name!r}: " + "; ".join(problems))
    for col in tbl.columns:
        if not col.nullable and out[col.name].isna().any():
            n = int(out[col.name].isna().sum())
            problems.append(f"{n} null values in required column {col.name!r}")
    problems.extend(limit_problems(name, out))
    pk = primary_key(name)
    if len(out) and out.duplicated(pk).any():
        problems.append(f"{int(out.duplicated(pk).sum())} duplicate primary keys {pk}")
    geoms = geometry_columns(name)
    if geoms and isinstance(frame, gpd.GeoDataFrame):
        crs = frame.crs
        if crs is None or crs.to_epsg() != STORAGE_SRID:
            problems.append(f"geometry CRS is {crs}; reproject to EPSG:{STORAGE_SRID}")
    if problems:
        raise StoreInputError(f"table {name!r}: " + "; ".join(problems))
    return out


def column_limits(name: str) -> dict[str, tuple[str, int]]:
    """Schema limits of table ``name``: ``{column: ("length", n)}`` or ``("integer", max)``."""
    out: dict[str, tuple[str, int]] = {}
    for col in table(name).columns:
        typ = col.type
        if isinstance(typ, String) and not isinstance(typ, Text) and typ.length:
            out[col.name] = ("length", int(typ.length))
        else:
            for kind, top in INTEGER_MAX.items():
                if type(typ) is kind:
                    out[col.name] = ("integer", top)
    return out


def limit_violations(name: str, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per limited column of ``frame``, a boolean mask of the rows breaking the schema limit."""
    out: dict[str, np.ndarray] = {}
    for col, (kind, bound) in column_limits(name).items():
        if col not in frame.columns or not len(frame):
            continue
        values = frame[col]
        if kind == "length":
            bad = _too_long(values, bound)
        elif values.dtype.kind in "iu" and _within(values, bound):
            continue  # integers within range: one min/max pass, no mask
        else:
            num = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy(
                dtype="float64", na_value=np.nan)  # nullable integers: NA becomes NaN
            bad = np.isfinite(num) & ((num > bound) | (num < -bound - 1))
        if bad.any():
            out[col] = bad
    return out


def _within(values: pd.Series, bound: int) -> bool:
    """Whether every non-null integer of ``values`` lies within ``-bound - 1 .. bound``
    (nullable ``Int64`` columns may hold NA, whose comparisons are NA, not a boolean)."""
    present = values.dropna() if values.hasnans else values
    return bool(present.empty or (present.min() >= -bound - 1 and present.max() <= bound))


def _too_long(values: pd.Series, bound: int) -> np.ndarray:
    """Rows of a text column longer than ``bound`` characters (nulls are not too long).

    Arrow-backed and plain ``str`` columns go to Arrow as they are; turning a million strings
    into Python objects first cost most of a bulk load's checks.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = values.cat.categories.astype(str)
        codes = values.cat.codes.to_numpy()
        too_long = np.append(np.asarray(cats.str.len() > bound, dtype=bool), False)
        return too_long[np.where(codes >= 0, codes, len(cats))]
    try:
        arr = pa.array(values, from_pandas=True)
        if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
            raise TypeError(arr.type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # mixed values: as text
        arr = pa.array(values.astype(object), type=pa.string(), from_pandas=True)
    lengths = pc.utf8_length(arr)
    return np.asarray(pc.fill_null(pc.greater(lengths, bound), False), dtype=bool)


def limit_problems(name: str, frame: pd.DataFrame) -> list[str]:
    """Messages for the values of ``frame`` that do not fit table ``name``'s column limits."""
    limits = column_limits(name)
    problems = []
    for col, bad in limit_violations(name, frame).items():
        kind, bound = limits[col]
        what = (
            f"longer than {bound} characters"
            if kind == "length"
            else f"outside the {table(name).columns[col].type} range"
        )
        problems.append(f"{int(bad.sum())} values of column {col!r} are {what}")
    return problems


def conform_keys(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The primary-key columns of ``frame`` with schema types (the rows of a ``delete`` write)."""
    pk = primary_key(name)
    missing = [c for c in pk if c not in frame.columns]
    if missing:
        raise StoreInputError(f"table {name!r}: delete needs the primary-key columns {missing}")
    cols = table(name).columns
    return pd.DataFrame(
        {c: _coerce(frame[c].reset_index(drop=True), cols[c], name) for c in pk}
    ).drop_duplicates(ignore_index=True)


def check_writes(writes: Sequence[FrameWrite], allowed: Sequence[str]) -> None:
    """Refuse unknown tables or modes and a table written twice in one unit."""
    seen: set[str] = set()
    for w in writes:
        check_table(w.table, allowed)
        if w.mode not in WRITE_MODES:
            raise StoreInputError(f"mode must be one of {list(WRITE_MODES)}, not {w.mode!r}")
        if w.table in seen:
            raise StoreInputError(f"table {w.table!r} appears twice in one write")
        seen.add(w.table)


def _null_dtype(col) -> str:
    if isinstance(col.type, Date | DateTime):
        return "datetime64[ns]"
    if isinstance(col.type, Float):
        return "float64"
    return "object"


def _coerce(values: pd.Series, col, name: str) -> pd.Series | np.ndarray:
    """Coerce one column's values to the schema type of ``col`` (no copy when it already is)."""
    typ = col.type
    if col.name in geometry_columns(name):
        return np.asarray(values, dtype=object)
    if isinstance(typ, DateTime):
        return pd.to_datetime(values, utc=True)
    if isinstance(typ, Date):
        if values.dtype == "datetime64[ns]":
            return values
        return pd.to_datetime(values).dt.normalize().astype("datetime64[ns]")
    if isinstance(typ, Boolean):
        return values.astype("boolean" if col.nullable else bool)
    if isinstance(typ, BigInteger | SmallInteger | Integer):
        if col.nullable and values.isna().any():
            return values.astype("Int64")
        return values.astype("int64")
    if isinstance(typ, Float):
        return values.astype("float64")
    if isinstance(typ, String | Text):
        if isinstance(values.dtype, pd.StringDtype):
            return values
        return values.astype("str")
    return values


def to_geoframe(frame: pd.DataFrame, name: str, *, active: str = "geometry") -> pd.DataFrame:
    """Turn WKB geometry columns of ``frame`` into shapely and return a GeoDataFrame if any."""
    geoms = [c for c in geometry_columns(name) if c in frame.columns]
    if not geoms:
        return frame
    for col in geoms:
        values = frame[col].to_numpy()
        if len(values) and not isinstance(next((v for v in values if v is not None), None), bytes):
            continue
        frame[col] = gpd.GeoSeries(shapely.from_wkb(values), index=frame.index, crs=STORAGE_SRID)
    geometry = active if active in frame.columns else geoms[0]
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=STORAGE_SRID)


def validate_columns(name: str, columns: Sequence[str] | None) -> list[str]:
    """Return the requested columns (all when ``None``), raising on unknown names."""
    known = table_columns(name)
    if columns is None:
        return known
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise StoreInputError(f"table {name!r} has no columns {unknown}; known: {known}")
    return list(columns)


def check_group_by(name: str, by: Sequence[str]) -> list[str]:
    """The ``by`` columns of a :meth:`Store.group_counts` on bulk table ``name``.

    Raises
    ------
    StoreInputError
        No column, an unknown or repeated column, or a geometry column.
    """
    check_table(name, BULK_TABLES)
    cols = validate_columns(name, list(by))
    if not cols:
        raise StoreInputError(f"table {name!r}: group_counts needs at least one 'by' column")
    if len(set(cols)) != len(cols):
        raise StoreInputError(f"table {name!r}: 'by' repeats a column: {cols}")
    spatial = [c for c in cols if c in geometry_columns(name)]
    if spatial:
        raise StoreInputError(f"table {name!r}: cannot group by geometry columns {spatial}")
    return cols


def sorted_groups(frame: pd.DataFrame, name: str, by: list[str]) -> pd.DataFrame:
    """``group_counts`` result of either store in its contract form: dates as
    :func:`normalise_dates` gives them, ``rows`` int64, sorted by ``by`` with nulls last."""
    frame = normalise_dates(frame, name)
    frame["rows"] = frame["rows"].astype("int64")
    return frame.sort_values(by, kind="stable", na_position="last").reset_index(drop=True)


def check_table(name: str, allowed: Sequence[str]) -> Table:
    """Return table ``name`` if it is one of ``allowed``; raise ``StoreInputError`` otherwise."""
    if name not in allowed:
        raise StoreInputError(f"{name!r} is not a bulk table; expected one of {list(allowed)}")
    return table(name)


def normalise_dates(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Give date columns datetime64[ns] and timestamp columns UTC datetimes (both stores agree)."""
    for col in table(name).columns:
        if col.name not in frame.columns:
            continue
        if isinstance(col.type, DateTime):
            frame[col.name] = pd.to_datetime(frame[col.name], utc=True)
        elif isinstance(col.type, Date):
            frame[col.name] = pd.to_datetime(frame[col.name]).astype("datetime64[ns]")
    return frame


def check_where(name: str, where: Where | None) -> None:
    """Raise :class:`StoreInputError` for ``where`` columns that ``name`` lacks or values of the
    wrong kind (text for a number column, ...), all problems in one message -- before any query,
    so both stores refuse the same requests the same way."""
    if not where:
        return
    validate_columns(name, list(where))
    columns = table(name).columns
    problems = []
    for col, value in where.items():
        expected = next((kinds for typ, kinds in _WHERE_KINDS.items()
                         if isinstance(columns[col].type, typ)), None)
        if expected is None:
            continue
        bad = [v for v in where_values(value)
               if v is not None and v is not pd.NA and v is not pd.NaT and not _is_kind(v, expected)]
        if bad:
            problems.append(f"{col!r} needs {expected[0].__name__} values, not {bad[:5]!r}")
    if problems:
        raise StoreInputError(f"table {name!r}: bad where values: " + "; ".join(problems))


def _is_kind(value: object, kinds: tuple[type, ...]) -> bool:
    if isinstance(value, bool | np.bool_) and bool not in kinds:
        return False
    return isinstance(value, kinds)


_WHERE_KINDS: dict[type, tuple[type, ...]] = {
    Boolean: (bool, np.bool_),
    BigInteger: (int, np.integer),
    SmallInteger: (int, np.integer),
    Integer: (int, np.integer),
    Float: (float, int, np.floating, np.integer),
    DateTime: (dt.datetime, pd.Timestamp, np.datetime64),
    Date: (dt.date, pd.Timestamp, np.datetime64),
    String: (str,),
    Text: (str,),
}


def where_values(value: object) -> list[object]:
    """The values of one ``where`` entry as a list of plain Python scalars."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | np.ndarray | pd.Index):
        return [value]
    return [v.item() if isinstance(v, np.generic) else v for v in value]


def in_key_order(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """``frame`` sorted by the primary key of ``name`` (no copy when it already is).

    Both stores return bulk rows in primary-key order. Rows usually arrive sorted (the embedded
    store writes files in key order, PostGIS returns a freshly loaded table in load order), so
    checking first makes the common case cost one pass.
    """
    pk = [c for c in primary_key(name) if c in frame.columns]
    if len(frame) < 2 or not pk:
        return frame
    if _is_sorted(frame, pk):
        return frame
    return frame.sort_values(pk, kind="stable").reset_index(drop=True)


def _comparable(values: pd.Series) -> np.ndarray:
    """``values`` as a numpy array that compares fast: text becomes its sorted-order codes
    (element-wise comparison of Python strings is ~20x slower than of integers)."""
    if values.dtype.kind in "biufmM":
        return values.to_numpy()
    codes, _ = pd.factorize(values, sort=True)
    return codes


def _is_sorted(frame: pd.DataFrame, keys: list[str]) -> bool:
    """Whether rows are in ascending (lexicographic) order of ``keys``, in one vectorised pass."""
    if len(keys) == 1:
        return bool(frame[keys[0]].is_monotonic_increasing)
    ok: np.ndarray | None = None
    for col in reversed(keys):  # row i <= row i+1: less on this key, or equal and ok on the rest
        values = _comparable(frame[col])
        before, after = values[:-1], values[1:]
        less = np.asarray(before < after, dtype=bool)
        if ok is None:
            ok = less | np.asarray(before == after, dtype=bool)
        else:
            ok = less | (np.asarray(before == after, dtype=bool) & ok)
    return bool(ok.all()) if ok is not None else True
