"""The public 모의계산: every bad input is a message, never an exception."""

from __future__ import annotations

import datetime as dt

import pytest

from eligibility.calculator import CalculatorAnswer, answer

TODAY = dt.date(2026, 3, 2)
BASE = {"size": "1", "region": "seoul", "head_age": "45", "other_income": "612,300"}


def _form(**changes: object) -> dict[str, object]:
    return {**BASE, **changes}


def test_a_valid_form_explains_every_programme() -> None:
    got = answer(_form(), today=TODAY)
    assert got.ok and got.date == TODAY
    livelihood = next(d for d in got.decisions if d.programme == "livelihood")
    assert livelihood.reason_ko == "소득인정액 612,300원 ≤ 생계급여 기준 820,556원 (1인, 2026)"
    assert got.notes


def test_amounts_accept_commas_spaces_and_won() -> None:
    got = answer(_form(other_income=" 612,300 원", earned_income="₩0"), today=TODAY)
    assert got.ok


@pytest.mark.parametrize(
    ("changes", "field", "ko_part"),
    [
        ({"other_income": "-5"}, "other_income", "음수"),
        ({"size": "0"}, "size", "1–10"),
        ({"size": "11"}, "size", "1–10"),
        ({"size": ""}, "size", "입력해 주세요"),
        ({"earned_income": "abc"}, "earned_income", "숫자로"),
        ({"debt": "1e9"}, "debt", "숫자로"),
        ({"financial_assets": "999999999999999"}, "financial_assets", "넘는 금액"),
        ({"earned_income": "2000000000"}, "earned_income", "넘는 금액"),
        ({"region": "atlantis"}, "region", "지역"),
        ({"head_age": "7"}, "head_age", "18–120"),
        ({"n_children": "3"}, "size", "가구원 수가"),
        ({"date": "yesterday"}, "date", "YYYY-MM-DD"),
        ({"date": "2019-01-01"}, "date", "2024-01-01"),
        ({"spouse_age": "40", "size": "2", "single_parent": "on"}, "single_parent", "배우자"),
        ({"n_severe_disabled": "2"}, "n_severe_disabled", "가구원 수보다"),
    ],
)
def test_bad_input_gets_a_specific_message_in_both_languages(changes: dict, field: str, ko_part: str) -> None:
    got = answer(_form(**changes), today=TODAY)
    assert not got.ok and not got.decisions
    matching = [e for e in got.errors if e.field == field]
    assert matching, got.errors
    assert ko_part in matching[0].ko
    assert matching[0].en


@pytest.mark.parametrize("junk", [None, 12, [], "x" * 10_000, {"size": object()}, {"size": None},
                                  {"size": ["1"], "region": ["seoul"]}, {"size": "1.5"}])
def test_garbage_never_raises(junk: object) -> None:
    got = answer(junk, today=TODAY)  # type: ignore[arg-type]
    assert isinstance(got, CalculatorAnswer)
    assert not got.ok


def test_an_older_couple_gets_the_reduced_basic_pension() -> None:
    got = answer(_form(size="2", head_age="70", spouse_age="68", other_income="0"), today=TODAY)
    pension = next(d for d in got.decisions if d.programme == "basic_pension")
    assert pension.eligible and pension.monthly_amount == 559_520
    assert "부부" in pension.reason_ko


def test_past_dates_use_the_rules_of_their_year() -> None:
    got = answer(_form(date="2024-06-30", other_income="0"), today=TODAY)
    livelihood = next(d for d in got.decisions if d.programme == "livelihood")
    assert livelihood.monthly_amount == 713_102  # 2,228,445 × 32%, 고시 2023-150
    assert "(1인, 2024)" in livelihood.reason_ko
