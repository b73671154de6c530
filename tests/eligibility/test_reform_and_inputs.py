"""The seed's standardisation as a reform, and pre-check inputs from world households."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from eligibility.household import HouseholdInputError, region_tier_of, validate_households
from eligibility.inputs import severe_disabled_18_64, world_inputs
from eligibility.parameters import load_reform
from eligibility.reform import compare

WHEN = dt.date(2026, 1, 1)


def test_type2_moves_near_poor_to_one_percent_and_counts_gainers() -> None:
    """Type 2 (차상위, 한부모): 대도시 6,900만 deduction and 1% a month instead of the
    기초생활 rule. Row 0 (1인, 그 외 지역, income 1,250,000, 8,000만 general): current
    (8,000만 − 5,300만) × 4.17% = 1,125,900 → 2,375,900 > 50% line 1,282,119; type 2
    (8,000만 − 6,900만) × 1% = 110,000 → 1,360,000, still above: unchanged."""
    frame = pd.DataFrame({
        "size": [1, 1],
        "other_income": [1_250_000, 900_000],
        "property_general": [80_000_000, 95_000_000],
        "region_tier": ["other", "other"],
        "urban_class": ["metropolitan", "metropolitan"],
    })
    # row 1 (그 외 지역, 기본재산 5,300만): current (4,200만 × 4.17% = 1,751,400) + 900,000 > 50%;
    # type 2 (대도시 6,900만: 2,600만 × 1% = 260,000) + 900,000 = 1,160,000 ≤ 1,282,119 -> gains
    result = compare(validate_households(frame), load_reform("seed_standardisation"), WHEN)
    assert result.baseline.eligible["near_poor"].tolist() == [False, False]
    assert result.reformed.eligible["near_poor"].tolist() == [False, True]
    changes = result.household_changes()
    assert changes["outcome"].tolist() == ["unchanged", "gains"]
    summary = result.programme_summary().set_index("programme")
    assert summary.loc["near_poor", "recipients_change"] == 1
    assert summary.loc["livelihood", "recipients_change"] == 0
    assert np.isnan(summary.loc["near_poor", "monthly_cost_change_krw"])


def test_type3_drops_the_financial_allowance_so_savers_can_lose() -> None:
    """Type 3 (0.33%, no 2,000만 financial allowance, cars as property) vs current 기초연금
    (4%/12 after a 2,000만 allowance): 70-year-old, 대도시, income 2,400,000, savings 2,000만.
    Current: property income 0 → 2,400,000 ≤ 2,470,000 (gets 70,000). Type 3: 2,000만 fully
    inside 1억3,500만 → also 0 → unchanged. With a 1.5억 home as well: current (1.5억 − 1.35억)
    × 4%/12 = 50,000 → 2,450,000 (gets 20,000); type 3: (1.7억 − 1.35억) × 0.33% = 115,500 →
    2,515,500 > 2,470,000 → loses the pension."""
    frame = pd.DataFrame({
        "size": [1], "head_age": [70], "n_pension_age": [1], "other_income": [2_400_000],
        "financial_assets": [20_000_000], "property_residential": [150_000_000],
        "urban_class": ["metropolitan"],
    })
    result = compare(validate_households(frame), load_reform("seed_standardisation"), WHEN)
    assert result.baseline.monthly_amount["basic_pension"][0] == 20_000
    assert not result.reformed.eligible["basic_pension"][0]
    changes = result.household_changes()
    assert changes.loc[0, "outcome"] == "loses"
    assert changes.loc[0, "amount_change_krw"] == -20_000


def test_region_tiers_from_codes() -> None:
    got = region_tier_of(np.array(["11", "41", "26", "36", "48", "48", "43"]),
                         np.array(["11110", "41111", "26710", "36110", "48121", "48250", "43111"]))
    assert got.tolist() == ["seoul", "gyeonggi", "metro", "metro", "metro", "other", "other"]


def _world() -> pd.DataFrame:
    return pd.DataFrame({
        "household_id": [1, 2, 3],
        "sido_code": ["11", "41", "46"],
        "sigungu_code": ["11110", "41111", "46810"],
        "size": [1, 2, 3],
        "n_elderly": [1, 2, 0],
        "n_children": [0, 0, 2],
        "head_age": [78, 70, 38],
        "household_type": ["single_elderly", "elderly_couple", "single_parent"],
        "income_monthly_krw": [500_000.0, 1_800_000.0, 1_400_000.0],
        "property_residential_krw": [0.0, 300_000_000.0, 0.0],
        "property_general_krw": [0.0, 0.0, 0.0],
        "financial_assets_krw": [2_000_000.0, 30_000_000.0, 1_000_000.0],
        "car_value_krw": [0.0, 15_000_000.0, 8_000_000.0],
        "debt_krw": [0.0, 0.0, 20_000_000.0],
    })


def test_world_inputs_make_the_stated_assumptions() -> None:
    persons = pd.DataFrame({"household_id": [3, 3, 3], "birth_year": [1988, 2015, 2018],
                            "disability": ["severe", "none", "severe"]})
    severe = severe_disabled_18_64(persons, WHEN)
    frame = world_inputs(_world(), {"11110": "대도시", "41111": "중소도시", "46810": "농어촌"},
                         severe_disabled=severe)
    assert frame["earned_income"].tolist() == [0, 0, 1_400_000]
    assert frame["other_income"].tolist() == [500_000, 1_800_000, 0]
    assert frame["couple"].tolist() == [False, True, False]
    assert frame["n_pension_age"].tolist() == [1, 2, 0]
    assert frame["single_parent"].tolist() == [False, False, True]
    assert frame["n_severe_disabled_18_64"].tolist() == [0, 0, 1]
    assert frame["region_tier"].astype(str).tolist() == ["seoul", "gyeonggi", "other"]
    assert frame["urban_class"].astype(str).tolist() == ["metropolitan", "city", "rural"]
    hh = validate_households(frame)
    assert hh.n == 3


def test_world_inputs_refuse_unknown_regions_and_missing_columns() -> None:
    with pytest.raises(HouseholdInputError, match="no urban class"):
        world_inputs(_world(), {"11110": "대도시"})
    with pytest.raises(HouseholdInputError, match="missing columns"):
        world_inputs(_world().drop(columns="debt_krw"), {})
