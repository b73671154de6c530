"""Cell parsers: numbers, amounts, counts, identifiers, vocabularies, booleans, months, duplicates.

Each parser records the problems of bad cells in :class:`~etl.ingest.checks.Checks` and returns
the parsed values (missing where the cell is missing or bad).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import Final

import numpy as np
import pandas as pd

from etl.ingest.checks import MAX_LINES_SHOWN, Checks
from geodata import vocabulary as voc

_TRUE: Final = frozenset({"true", "t", "1", "y", "yes", "예", "o", "여"})
_FALSE: Final = frozenset({"false", "f", "0", "n", "no", "아니오", "아니요", "x", "부"})
#: Commas are read as thousands separators only in this shape (1,200 or 1,234,567.5).
_THOUSANDS: Final = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$")
#: Largest identifier kept exactly (ids travel as float64 while being validated).
MAX_IDENTIFIER: Final = 2**53 - 1
#: Months before this are not plausible for administrative crisis data.
EARLIEST_MONTH: Final = dt.date(2000, 1, 1)


def quoted(values: pd.Series) -> pd.Series:
    return "'" + values.astype(object).astype(str) + "'"


def require(raw: pd.Series, label: str, checks: Checks) -> np.ndarray:
    missing = raw.isna().to_numpy()
    checks.add(missing, "missing required field", f"missing required field {label}")
    return missing


def parse_number(raw: pd.Series, label: str, checks: Checks, *, integer: bool) -> pd.Series:
    """Numbers with optional thousands separators; records bad ones; NaN where missing/bad.

    A comma that is not a thousands separator (``1,5``, ``12,50``) is refused as a probable
    decimal comma rather than read as ``15`` or ``1250``.
    """
    text = raw.astype(object).where(raw.notna(), None)
    squeezed = text.str.replace(r"\s+", "", regex=True)
    has_comma = squeezed.str.contains(",", regex=False).fillna(False).to_numpy(dtype=bool)
    thousands = squeezed.str.match(_THOUSANDS).fillna(False).to_numpy(dtype=bool)
    comma = has_comma & ~thousands
    cleaned = squeezed.str.replace(",", "", regex=False)
    num = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    num = num.where(~comma)
    what = "bad integer" if integer else "bad number"
    checks.add(
        comma,
        what,
        what
        + " "
        + quoted(raw)
        + " in "
        + label
        + ": a comma is read only as a thousands separator (1,200); write decimals with a dot",
    )
    bad = raw.notna().to_numpy() & ~np.isfinite(num.to_numpy()) & ~comma
    if integer:
        frac = np.isfinite(num.to_numpy()) & (np.mod(np.nan_to_num(num.to_numpy()), 1) != 0)
        checks.add(frac, "bad integer", "bad integer " + quoted(raw) + " in " + label)
        num = num.where(~frac)
    checks.add(bad, what, what + " " + quoted(raw) + " in " + label)
    return num.where(~bad)


def parse_amount(raw: pd.Series, label: str, checks: Checks, *, required: bool = True) -> pd.Series:
    if required:
        require(raw, label, checks)
    num = parse_number(raw, label, checks, integer=False)
    neg = (num < 0).to_numpy()
    checks.add(
        neg, "negative amount", "negative amount " + raw.astype(object).astype(str) + " in " + label
    )
    return num


def parse_count(
    raw: pd.Series, label: str, checks: Checks, *, lo: int = 0, hi: int | None = None
) -> pd.Series:
    require(raw, label, checks)
    num = parse_number(raw, label, checks, integer=True)
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


def parse_identifier(raw: pd.Series, label: str, checks: Checks) -> pd.Series:
    require(raw, label, checks)
    num = parse_number(raw, label, checks, integer=True)
    checks.add(
        (num < 0).to_numpy(),
        "bad identifier",
        "negative identifier " + raw.astype(object).astype(str) + " in " + label,
    )
    huge = (num > MAX_IDENTIFIER).to_numpy()
    checks.add(
        huge,
        "bad identifier",
        "identifier "
        + raw.astype(object).astype(str)
        + " in "
        + label
        + f" is too large (at most {MAX_IDENTIFIER:,})",
    )
    return num.where(~huge)


def parse_vocabulary(
    raw: pd.Series,
    label: str,
    field_name: str,
    vocabulary: Sequence[voc.Code | voc.CrisisSource],
    checks: Checks,
) -> pd.Series:
    """Map codes (any case) or Korean labels to codes; record unknown ones."""
    require(raw, label, checks)
    lookup = {v.code.lower(): v.code for v in vocabulary} | {v.ko: v.code for v in vocabulary}
    mapped = map_obj(
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
        f"unknown {label} " + quoted(raw) + f" (expected one of {expected})",
    )
    return mapped


def parse_boolean(raw: pd.Series, label: str, checks: Checks) -> pd.Series:
    require(raw, label, checks)
    value = map_obj(
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
        bad, "bad boolean", "bad boolean " + quoted(raw) + " in " + label + " (use true/false)"
    )
    return value


_MONTH_RE: Final = re.compile(r"^(\d{4})[-./]?(\d{1,2})(?:[-./]?(\d{1,2}))?(?:[ T].*)?$")


def parse_month(raw: pd.Series, label: str, checks: Checks, *, load_date: dt.date) -> pd.Series:
    """YYYY-MM or YYYY-MM-DD (also YYYYMM, YYYY.MM, ...) as the first day of the month.

    Dates after ``load_date`` (``future date``) or before :data:`EARLIEST_MONTH`
    (``implausible date``) are rejected with the reason; they never reach the store, so they
    cannot move the data's as-of date.
    """
    require(raw, label, checks)
    parts = raw.astype(object).str.strip().str.extract(_MONTH_RE)
    year = pd.to_numeric(parts[0], errors="coerce").to_numpy(dtype=float)
    month = pd.to_numeric(parts[1], errors="coerce").to_numpy(dtype=float)
    day_given = pd.to_numeric(parts[2], errors="coerce").to_numpy(dtype=float)
    day = np.where(np.isfinite(day_given), day_given, 1.0)
    dates = [_calendar_date(y, m, d) for y, m, d in zip(year, month, day, strict=True)]
    given = raw.notna().to_numpy()
    bad = given & np.array([d is None for d in dates], dtype=bool)
    checks.add(bad, "bad date", "bad date " + quoted(raw) + " in " + label)
    future = np.array([d is not None and d > load_date for d in dates], dtype=bool)
    placeholder = np.array([d is not None and d.year >= 9000 for d in dates], dtype=bool)
    hint = pd.Series(
        np.where(placeholder, "; 9999-style dates are 'no end' placeholders, not months", ""),
        index=raw.index,
    )
    checks.add(
        future,
        "future date",
        "future date "
        + quoted(raw)
        + " in "
        + label
        + f" (after the load date {load_date}"
        + hint
        + ")",
    )
    early = np.array([d is not None and d < EARLIEST_MONTH for d in dates], dtype=bool)
    checks.add(
        early,
        "implausible date",
        "implausible date " + quoted(raw) + " in " + label + f" (before {EARLIEST_MONTH:%Y-%m})",
    )
    keep = ~(bad | future | early) & given
    first = [
        pd.Timestamp(d.year, d.month, 1) if ok and d is not None else pd.NaT
        for d, ok in zip(dates, keep, strict=True)
    ]
    return pd.Series(pd.to_datetime(first), index=raw.index).astype("datetime64[ns]")


def _calendar_date(year: float, month: float, day: float) -> dt.date | None:
    """The date, or ``None`` when the parts are missing or not a real calendar day."""
    if not (np.isfinite(year) and np.isfinite(month)):
        return None
    y, m, d = int(year), int(month), int(day)
    if not (1 <= y <= 9999 and 1 <= m <= 12) or not 1 <= d <= calendar.monthrange(y, m)[1]:
        return None
    return dt.date(y, m, d)


def reject_duplicates(
    keys: pd.DataFrame,
    describe: Callable[[tuple[object, ...]], str],
    category: str,
    checks: Checks,
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
        shown = ", ".join(map(str, others[:MAX_LINES_SHOWN])) + (
            ", ..." if len(others) > MAX_LINES_SHOWN else ""
        )
        msgs.append(
            f"duplicate {describe(key)} (also on {label}{'s' if len(others) > 1 else ''} {shown})"
        )
    checks.add(dup, category, pd.Series(msgs, dtype=object))


def int_text(value: object) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def map_obj(series: pd.Series, fn: Callable[[object], object]) -> pd.Series:
    """Apply ``fn`` to each value (``None`` for missing) keeping object dtype and ``None``."""
    values = [
        fn(None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v)
        for v in series.to_numpy(dtype=object)
    ]
    return pd.Series(values, index=series.index, dtype=object)


def mask_at(n: int, pos: np.ndarray) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    mask[pos] = True
    return mask


def normalise_code(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".", 1)[0]
    return text or None
