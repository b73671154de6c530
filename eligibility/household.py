"""The household frame the rules engine reads: columns, validation and region classes.

One row per household, amounts in KRW (incomes per month, property as values). The engine
never sees names or identifiers; callers keep their own index.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from domain.errors import InputError

__all__ = [
    "COLUMNS",
    "MAX_AMOUNT_KRW",
    "MAX_HOUSEHOLD_SIZE",
    "REGION_TIERS",
    "URBAN_CLASSES",
    "HouseholdFrame",
    "HouseholdInputError",
    "region_tier_of",
    "urban_class_code",
    "validate_households",
]

REGION_TIERS: Final[tuple[str, ...]] = ("seoul", "gyeonggi", "metro", "other")
"""기초생활 regions: 서울 / 경기 / 광역시·세종·창원 / 그 외."""

URBAN_CLASSES: Final[tuple[str, ...]] = ("metropolitan", "city", "rural")
"""기초연금 and the seed's classes: 대도시 / 중소도시 / 농어촌."""

_URBAN_CLASS_KO: Final[Mapping[str, str]] = {"대도시": "metropolitan", "중소도시": "city", "농어촌": "rural"}
_METRO_SIDO: Final[frozenset[str]] = frozenset({"26", "27", "28", "29", "30", "31", "36"})
_CHANGWON_PREFIX: Final[str] = "4812"

MAX_HOUSEHOLD_SIZE: Final[int] = 30
"""Largest household the batch engine accepts (the public calculator allows 1-10)."""
MAX_AMOUNT_KRW: Final[float] = 1e12
"""An amount above 1조원 is treated as a data error, not a household."""

# name -> (kind, default or None when required)
COLUMNS: Final[Mapping[str, tuple[str, Any]]] = {
    "size": ("int", None),
    "earned_income": ("amount", 0.0),
    "other_income": ("amount", 0.0),
    "property_residential": ("amount", 0.0),
    "property_general": ("amount", 0.0),
    "financial_assets": ("amount", 0.0),
    "car_value": ("amount", 0.0),
    "debt": ("amount", 0.0),
    "car_exempt": ("bool", False),
    "region_tier": ("region_tier", "other"),
    "urban_class": ("urban_class", "city"),
    "head_age": ("int", 40),
    "couple": ("bool", False),
    "n_pension_age": ("int", 0),
    "n_children": ("int", 0),
    "single_parent": ("bool", False),
    "n_severe_disabled_18_64": ("int", 0),
}
"""Input columns. ``couple``: a spouse lives in the household; ``n_pension_age``: how many of
head and spouse are 65+ (0-2); ``n_severe_disabled_18_64``: adults 18-64 with a severe
disability; ``car_exempt``: the car counts as general property (생업용, 장애인용, ...)."""


class HouseholdInputError(InputError):
    """The household frame has a missing column or impossible values (which rows, why)."""


@dataclass(frozen=True)
class HouseholdFrame:
    """Validated columns as numpy arrays.

    Amounts are float64, counts int64, flags bool; ``region_tier`` and ``urban_class`` hold
    positions in :data:`REGION_TIERS` / :data:`URBAN_CLASSES`.
    """

    n: int
    columns: Mapping[str, np.ndarray]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def row(self, position: int) -> HouseholdFrame:
        """The one-household frame at ``position`` (for a trace)."""
        if not 0 <= position < self.n:
            raise IndexError(f"row {position} outside 0..{self.n - 1}")
        return HouseholdFrame(1, {k: v[position : position + 1] for k, v in self.columns.items()})


def region_tier_of(sido_code: np.ndarray | pd.Series, sigungu_code: np.ndarray | pd.Series) -> np.ndarray:
    """기초생활 region tier for each household from its 시도 and 시군구 codes.

    서울 (11) → ``seoul``; 경기 (41) → ``gyeonggi``; 광역시 (26–31), 세종 (36) and 창원시
    (4812x) → ``metro``; every other region → ``other``. Simplified: 인천 is placed with the
    광역시; the 광역시's 군 are in the 광역 tier.

    Returns
    -------
    numpy.ndarray
        Object array of tier codes from :data:`REGION_TIERS`.
    """
    sido = np.asarray(sido_code).astype(str)
    sigungu = np.asarray(sigungu_code).astype(str)
    tier = np.full(sido.shape, "other", dtype=object)
    tier[np.isin(sido, list(_METRO_SIDO))] = "metro"
    tier[np.char.startswith(sigungu.astype("U5"), _CHANGWON_PREFIX)] = "metro"
    tier[sido == "41"] = "gyeonggi"
    tier[sido == "11"] = "seoul"
    return tier


def urban_class_code(korean: np.ndarray | pd.Series) -> np.ndarray:
    """Map geodata's 대도시 / 중소도시 / 농어촌 labels to :data:`URBAN_CLASSES` codes.

    Raises
    ------
    HouseholdInputError
        If a label is not one of the three.
    """
    labels = pd.Series(np.asarray(korean, dtype=object))
    codes = labels.map(_URBAN_CLASS_KO)
    if codes.isna().any():
        bad = sorted(set(labels[codes.isna()].astype(str)))[:5]
        raise HouseholdInputError(f"unknown urban class label(s) {bad}; expected 대도시, 중소도시 or 농어촌")
    return codes.to_numpy(dtype=object)


def _rows(mask: np.ndarray) -> str:
    idx = np.flatnonzero(mask)
    shown = ", ".join(str(i) for i in idx[:5])
    return f"{len(idx)} row(s) (first: {shown})"


def _column(frame: pd.DataFrame, name: str, kind: str, default: Any, n: int) -> np.ndarray:
    allowed = REGION_TIERS if kind == "region_tier" else URBAN_CLASSES
    if name not in frame.columns:
        if default is None:
            raise HouseholdInputError(f"column {name!r} is required")
        if kind in ("region_tier", "urban_class"):
            return np.full(n, allowed.index(default), dtype=np.int64)
        return np.full(n, default, dtype=bool if kind == "bool" else np.float64 if kind == "amount" else np.int64)
    raw = frame[name]
    if kind in ("region_tier", "urban_class"):
        if isinstance(raw.dtype, pd.CategoricalDtype):  # fast path: recode the categories only
            lookup = pd.Index(list(allowed)).get_indexer(raw.cat.categories.astype(str))
            codes = np.where(raw.cat.codes.to_numpy() < 0, -1, lookup[raw.cat.codes.to_numpy()])
        else:
            codes = pd.Index(list(allowed)).get_indexer(raw.astype(object))
        bad = codes < 0
        if bad.any():
            raise HouseholdInputError(f"{name}: {_rows(bad)} not one of {', '.join(allowed)}")
        return codes.astype(np.int64)
    if kind == "bool":
        if raw.isna().any():
            raise HouseholdInputError(f"{name}: {_rows(raw.isna().to_numpy())} missing")
        return raw.to_numpy().astype(bool)
    numbers = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(numbers)
    if bad.any():
        raise HouseholdInputError(f"{name}: {_rows(bad)} not a finite number")
    if (numbers < 0).any():
        raise HouseholdInputError(f"{name}: {_rows(numbers < 0)} negative")
    if kind == "amount":
        if (numbers > MAX_AMOUNT_KRW).any():
            raise HouseholdInputError(f"{name}: {_rows(numbers > MAX_AMOUNT_KRW)} above 1조원")
        return numbers
    if (numbers != np.round(numbers)).any():
        raise HouseholdInputError(f"{name}: {_rows(numbers != np.round(numbers))} not whole numbers")
    return numbers.astype(np.int64)


def validate_households(frame: pd.DataFrame) -> HouseholdFrame:
    """Check a household frame and return its columns as typed arrays.

    Missing optional columns take the defaults in :data:`COLUMNS`.

    Raises
    ------
    HouseholdInputError
        Naming the column, the number of bad rows and the first row positions.
    """
    if not isinstance(frame, pd.DataFrame):
        raise HouseholdInputError("households must be a pandas DataFrame")
    n = len(frame)
    cols = {name: _column(frame, name, kind, default, n) for name, (kind, default) in COLUMNS.items()}
    size = cols["size"]
    if ((size < 1) | (size > MAX_HOUSEHOLD_SIZE)).any():
        raise HouseholdInputError(f"size: {_rows((size < 1) | (size > MAX_HOUSEHOLD_SIZE))} outside 1..{MAX_HOUSEHOLD_SIZE}")
    if (cols["n_pension_age"] > 2).any():
        raise HouseholdInputError(f"n_pension_age: {_rows(cols['n_pension_age'] > 2)} above 2 (head and spouse)")
    lone_couple = (cols["n_pension_age"] == 2) & ~cols["couple"]
    if lone_couple.any():
        raise HouseholdInputError(f"n_pension_age: {_rows(lone_couple)} is 2 without a spouse (couple=False)")
    too_many = cols["n_children"] + 1 + cols["couple"] > size
    if too_many.any():
        raise HouseholdInputError(
            f"n_children: {_rows(too_many)} head + spouse + children exceed the household size"
        )
    return HouseholdFrame(n, cols)
