"""Pre-check inputs derived from the observed household fields of the world (``household``).

The world records one monthly income and the property held by a household; the engine needs
a few more distinctions. This step makes them explicitly, with stated assumptions:

* earned vs other income: the world has one income; it is taken as earned income when the
  head is under 65 and as other income (pensions, transfers) otherwise;
* couple: ``household_type`` is ``couple``, ``couple_children`` or ``elderly_couple``;
* 기초연금 candidates: the head and the spouse when 65+ (``n_elderly``, at most two);
  older parents living with younger heads are not assessed (their own means are unknown);
* severe disability aged 18–64: counted from the member table when it is given, else 0;
* cars are never exempt (the world has no use or engine-size field).

Region classes come from codes (:func:`region_tier_of`) and the 시군구 urban class.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final

import numpy as np
import pandas as pd

from eligibility.household import HouseholdInputError, region_tier_of, urban_class_code

__all__ = ["WORLD_FIELDS", "severe_disabled_18_64", "world_inputs"]

WORLD_FIELDS: Final[tuple[str, ...]] = (
    "household_id", "sido_code", "sigungu_code", "size", "n_elderly", "n_children", "head_age",
    "household_type", "income_monthly_krw", "property_residential_krw", "property_general_krw",
    "financial_assets_krw", "car_value_krw", "debt_krw",
)
"""Household columns the derivation reads."""

_COUPLE_TYPES: Final[tuple[str, ...]] = ("couple", "couple_children", "elderly_couple")


def severe_disabled_18_64(persons: pd.DataFrame, on: dt.date) -> pd.Series:
    """Members with ``disability == "severe"`` aged 18–64 on ``on``, counted per household.

    Parameters
    ----------
    persons : DataFrame
        Columns ``household_id``, ``birth_year``, ``disability``.
    """
    missing = {"household_id", "birth_year", "disability"} - set(persons.columns)
    if missing:
        raise HouseholdInputError(f"persons: missing columns {sorted(missing)}")
    age = on.year - persons["birth_year"].to_numpy()
    mask = (persons["disability"].to_numpy() == "severe") & (age >= 18) & (age <= 64)
    return persons.loc[mask, "household_id"].value_counts()


def world_inputs(
    households: pd.DataFrame,
    urban_class_by_sigungu: Mapping[str, str] | pd.Series,
    *,
    severe_disabled: pd.Series | None = None,
) -> pd.DataFrame:
    """The engine's input frame for world households (same row order).

    Parameters
    ----------
    households : DataFrame
        At least :data:`WORLD_FIELDS`.
    urban_class_by_sigungu : mapping or Series
        시군구 code → 대도시 / 중소도시 / 농어촌 (``geodata.boundaries`` ``urban_class``).
    severe_disabled : Series, optional
        household_id → adults 18–64 with a severe disability (:func:`severe_disabled_18_64`).

    Raises
    ------
    HouseholdInputError
        If a column is missing or a 시군구 has no urban class.
    """
    missing = [c for c in WORLD_FIELDS if c not in households.columns]
    if missing:
        raise HouseholdInputError(f"households: missing columns {missing}")
    classes = pd.Series(urban_class_by_sigungu)
    sigungu = households["sigungu_code"].astype(str)
    codes = pd.Categorical(sigungu)
    per_category = classes.reindex(codes.categories)
    if per_category.isna().any():
        unknown = list(codes.categories[per_category.isna().to_numpy()][:5])
        raise HouseholdInputError(f"no urban class for 시군구 {unknown}")
    urban = pd.Categorical.from_codes(
        pd.Index(["metropolitan", "city", "rural"]).get_indexer(urban_class_code(per_category.to_numpy()))[codes.codes],
        categories=["metropolitan", "city", "rural"],
    )
    tier_by_code = pd.Series(region_tier_of(codes.categories.str[:2], codes.categories), index=codes.categories)
    tier = pd.Categorical.from_codes(
        pd.Index(["seoul", "gyeonggi", "metro", "other"]).get_indexer(tier_by_code.to_numpy())[codes.codes],
        categories=["seoul", "gyeonggi", "metro", "other"],
    )
    head_age = households["head_age"].to_numpy()
    income = households["income_monthly_krw"].to_numpy(dtype=np.float64)
    elderly_head = head_age >= 65
    htype = households["household_type"].to_numpy()
    couple = np.isin(htype, _COUPLE_TYPES) & (households["size"].to_numpy() >= 2)
    n_elderly = households["n_elderly"].to_numpy()
    n_pension_age = np.where(elderly_head, np.minimum(n_elderly, 1 + couple), 0)
    n_pension_age = np.maximum(n_pension_age, elderly_head.astype(int))
    if severe_disabled is not None:
        severe = households["household_id"].map(severe_disabled).fillna(0).to_numpy(dtype=np.int64)
    else:
        severe = np.zeros(len(households), dtype=np.int64)
    n_children = households["n_children"].to_numpy()
    return pd.DataFrame({
        "size": households["size"].to_numpy(),
        "earned_income": np.where(elderly_head, 0.0, income),
        "other_income": np.where(elderly_head, income, 0.0),
        "property_residential": households["property_residential_krw"].to_numpy(dtype=np.float64),
        "property_general": households["property_general_krw"].to_numpy(dtype=np.float64),
        "financial_assets": households["financial_assets_krw"].to_numpy(dtype=np.float64),
        "car_value": households["car_value_krw"].to_numpy(dtype=np.float64),
        "debt": households["debt_krw"].to_numpy(dtype=np.float64),
        "region_tier": tier,
        "urban_class": urban,
        "head_age": head_age,
        "couple": couple,
        "n_pension_age": n_pension_age,
        "n_children": np.minimum(n_children, np.maximum(households["size"].to_numpy() - 1 - couple, 0)),
        "single_parent": htype == "single_parent",
        "n_severe_disabled_18_64": severe,
    }, index=households.index)
