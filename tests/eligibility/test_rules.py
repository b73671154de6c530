"""Worked examples for 소득인정액 and programme decisions (sources cited per test)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from eligibility.household import HouseholdInputError, validate_households
from eligibility.parameters import current_law
from eligibility.rules import assess, median_income

JAN_2026 = dt.date(2026, 1, 15)


def one(**fields: object) -> pd.DataFrame:
    return pd.DataFrame([{"size": 1, **fields}])


def run(frame: pd.DataFrame, when: dt.date = JAN_2026):
    return assess(current_law().at(when), validate_households(frame))


def test_zero_income_gets_the_published_maximum_livelihood_benefit() -> None:
    """2026 생계급여 최대 지급액 (소득 0원): 1인 820,556원, 2인 1,343,773원, 4인 2,078,316원;
    2025 4인 1,951,287원 -- minsugi.dh1404.com/79 and yoonable.com (2026년 생계급여 인상 확정),
    both citing the 보건복지부 보도자료."""
    frame = pd.DataFrame({"size": [1, 2, 4]})
    r = run(frame)
    assert r.eligible["livelihood"].all()
    assert r.monthly_amount["livelihood"].tolist() == [820_556, 1_343_773, 2_078_316]
    assert run(pd.DataFrame({"size": [4]}), dt.date(2025, 12, 31)).monthly_amount["livelihood"][0] == 1_951_287


def test_parameter_boundary_dates_switch_the_year() -> None:
    """The same household on 2025-12-31 and 2026-01-01 meets the 2025 and 2026 lines."""
    frame = one(other_income=800_000)  # above 2025 1인 765,444원, below 2026 820,556원
    assert not run(frame, dt.date(2025, 12, 31)).eligible["livelihood"][0]
    assert run(frame, dt.date(2026, 1, 1)).eligible["livelihood"][0]


def test_earned_income_deduction_of_30_percent() -> None:
    """국민기초생활보장법 시행령 제5조의2: 근로소득의 30% 공제. 1,000,000원 earned →
    소득평가액 700,000원 → 생계급여 820,556 − 700,000 = 120,556원 (2026, 1인)."""
    r = run(one(earned_income=1_000_000))
    assert r.recognised["livelihood"][0] == pytest.approx(700_000)
    assert r.monthly_amount["livelihood"][0] == 120_556


def test_basic_property_deduction_by_region_tier() -> None:
    """기본재산액 서울 9,900만 / 그 외 5,300만 (cowayhak.tistory.com, 2023-02-13): 일반재산 1억
    in 서울 leaves 100만 × 4.17% = 41,700원; in 그 외 지역 4,700만 × 4.17% = 1,959,900원."""
    frame = pd.DataFrame({"size": [1, 1], "property_general": [100_000_000, 100_000_000],
                          "region_tier": ["seoul", "other"]})
    r = run(frame)
    assert r.recognised["livelihood"] == pytest.approx([41_700, 1_959_900])


def test_residential_property_above_the_cap_counts_as_general_property() -> None:
    """서울 주거용재산 한도 1억7,200만: a 2억 home → 2,800만 general + 1억7,200만 residential;
    the 9,900만 deduction takes the 2,800만 general first, the other 7,100만 comes off the
    residential part: (1억7,200만 − 7,100만) × 1.04% = 1,050,400원."""
    r = run(one(property_residential=200_000_000, region_tier="seoul"))
    assert r.recognised["livelihood"][0] == pytest.approx(1_050_400)


def test_debt_above_property_gives_no_negative_property_income() -> None:
    r = run(one(other_income=300_000, property_general=50_000_000, financial_assets=10_000_000,
                debt=200_000_000))
    assert r.recognised["livelihood"][0] == pytest.approx(300_000)
    assert r.eligible["livelihood"][0]


def test_a_car_counts_at_100_percent_a_month_unless_exempt() -> None:
    """자동차 소득환산율 월 100% (the seed's type 1; 시행규칙 별표): a 5,000,000원 car makes
    소득인정액 5,000,000원; an exempt car (생업용 etc.) is general property inside the deduction."""
    r = run(pd.DataFrame({"size": [1, 1], "car_value": [5_000_000, 5_000_000], "car_exempt": [False, True]}))
    assert r.recognised["livelihood"].tolist() == pytest.approx([5_000_000, 0])
    assert r.eligible["livelihood"].tolist() == [False, True]


def test_households_of_eight_or_more_extend_the_table() -> None:
    """8인 이상: 7인 기준 중위소득 + (7인 − 6인) per person beyond 7 (고시 table note)."""
    law = current_law().at(JAN_2026)
    got = median_income(law, np.array([7, 8, 9]))
    assert got.tolist() == [9_515_150, 10_474_348, 11_433_546]
    r = run(pd.DataFrame({"size": [8]}))
    assert r.monthly_amount["livelihood"][0] == np.floor(10_474_348 * 0.32)


def test_basic_pension_single_and_couple_with_the_20_percent_reduction() -> None:
    """2026 기준연금액 349,700원 (m.seoul.co.kr 2026-01-09); 부부 모두 수급 시 각 20% 감액
    (기초연금법 제8조): 2 × 349,700 × 0.8 = 559,520원; 선정기준액 단독 247만 / 부부 395.2만
    (nocutnews.co.kr 6450210)."""
    frame = pd.DataFrame({"size": [1, 2, 2], "head_age": [70, 70, 70], "couple": [False, True, True],
                          "n_pension_age": [1, 2, 1]})
    r = run(frame)
    assert r.eligible["basic_pension"].all()
    assert r.threshold["basic_pension"].tolist() == [2_470_000, 3_952_000, 3_952_000]
    assert r.monthly_amount["basic_pension"].tolist() == [349_700, 559_520, 349_700]


def test_basic_pension_earned_income_deduction_and_the_income_reversal_cap() -> None:
    """기초연금 근로소득: (근로소득 − 116만) × 70% (2026, public calculator code cited in
    REFERENCE-FACTS). 3,160,000 earned → 1,400,000; plus 900,000 other = 2,300,000 ≤ 2,470,000;
    amount cut to 2,470,000 − 2,300,000 = 170,000 (소득역전 방지, 기초연금법 제8조제2항)."""
    r = run(one(head_age=72, n_pension_age=1, earned_income=3_160_000, other_income=900_000))
    assert r.recognised["basic_pension"][0] == pytest.approx(2_300_000)
    assert r.monthly_amount["basic_pension"][0] == 170_000
    over = run(one(head_age=72, n_pension_age=1, other_income=2_470_001))
    assert not over.eligible["basic_pension"][0]


def test_basic_pension_property_deduction_financial_allowance_and_luxury_car() -> None:
    """기초연금 재산: 대도시 기본재산 1억3,500만, 금융재산 2,000만 공제, 연 4% / 12; 차량가액
    4,000만원 이상 고급자동차는 100%. 2억 home + 3,000만 financial in a 대도시:
    (2억 − 1.35억 + 1,000만) × 4% / 12 = 250,000원."""
    r = run(one(head_age=70, n_pension_age=1, property_residential=200_000_000,
                financial_assets=30_000_000, urban_class="metropolitan"))
    assert r.recognised["basic_pension"][0] == pytest.approx(250_000)
    lux = run(one(head_age=70, n_pension_age=1, car_value=40_000_000))
    assert lux.recognised["basic_pension"][0] == pytest.approx(40_000_000)
    assert not lux.eligible["basic_pension"][0]


def test_programme_conditions_beyond_income() -> None:
    frame = pd.DataFrame({
        "size": [3, 3, 1, 2],
        "n_children": [2, 0, 0, 1],
        "single_parent": [True, False, False, True],
        "other_income": [2_000_000, 2_000_000, 1_250_000, 0],
        "n_severe_disabled_18_64": [0, 0, 1, 0],
    })
    r = run(frame)
    # 3인 2026: 교육 50% = 2,679,518; 주거 48% = 2,572,337 -> both below; 교육 needs a child
    assert r.eligible["education"].tolist() == [True, False, False, True]
    # 1인 1,250,000: above 주거 1,230,834, below 50% 1,282,119 -> 차상위
    assert r.eligible["near_poor"].tolist() == [False, False, True, False]
    assert r.eligible["single_parent"].tolist() == [True, False, False, True]
    assert r.eligible["disability_pension"].tolist() == [False, False, True, False]
    assert r.monthly_amount["disability_pension"][2] == 349_700


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("other_income", -1, "negative"),
        ("size", 0, "outside 1..30"),
        ("earned_income", "abc", "not a finite number"),
        ("debt", 5e12, "above 1조원"),
        ("region_tier", "mars", "not one of"),
        ("size", 1.5, "not whole numbers"),
    ],
)
def test_bad_household_values_name_the_column_and_rows(column: str, value: object, message: str) -> None:
    frame = pd.DataFrame({"size": [1, 1], column: [value, value] if column != "size" else [1, value]})
    with pytest.raises(HouseholdInputError, match=message) as err:
        validate_households(frame)
    assert column in str(err.value)


def test_size_is_required() -> None:
    with pytest.raises(HouseholdInputError, match="'size' is required"):
        validate_households(pd.DataFrame({"other_income": [0]}))
