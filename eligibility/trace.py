"""Per-household decision traces, built lazily for one household (never for a whole batch).

A trace repeats the batch formulas of :mod:`eligibility.rules` on a one-row frame and writes
each step as a sentence with the household's values, the threshold and the source, e.g.
"소득인정액 612,300원 ≤ 생계급여 기준 820,556원 (1인, 2026)".
"""

from __future__ import annotations

from dataclasses import dataclass

from eligibility.household import REGION_TIERS, URBAN_CLASSES, HouseholdFrame
from eligibility.parameters import Law
from eligibility.rules import (
    PROGRAMME_LABELS,
    PROGRAMMES,
    Assessment,
    assess,
    income_evaluation,
    income_family,
    property_income,
)

__all__ = ["Decision", "TraceStep", "explain", "won"]

_TIER_KO = {"seoul": "서울", "gyeonggi": "경기", "metro": "광역·세종·창원", "other": "그 외 지역"}
_TIER_EN = {"seoul": "Seoul", "gyeonggi": "Gyeonggi", "metro": "metropolitan city / Sejong / Changwon",
            "other": "other regions"}
_CLASS_KO = {"metropolitan": "대도시", "city": "중소도시", "rural": "농어촌"}
_CLASS_EN = {"metropolitan": "large city", "city": "small/medium city", "rural": "rural area"}
_PART_KO = {"residential": "주거용", "general": "일반", "financial": "금융", "car": "자동차"}


def won(amount: float) -> str:
    """Format an amount in whole won with thousands separators: ``612,300원``."""
    return f"{round(float(amount)):,}원"


@dataclass(frozen=True)
class TraceStep:
    """One explained step, in Korean and English."""

    ko: str
    en: str


@dataclass(frozen=True)
class Decision:
    """A programme decision for one household with the reason and the steps behind it."""

    programme: str
    label_ko: str
    label_en: str
    eligible: bool
    reason_ko: str
    reason_en: str
    steps: tuple[TraceStep, ...]
    sources: tuple[str, ...]
    monthly_amount: float | None


def _pct(share: float) -> str:
    return f"{share * 100:.4g}%"


def _income_step(law: Law, hh: HouseholdFrame, family: str) -> TraceStep:
    earned, other = float(hh["earned_income"][0]), float(hh["other_income"][0])
    value = float(income_evaluation(law, hh, family)[0])
    if family == "blsa":
        rate = law["earned_income_deduction_rate"]
        return TraceStep(
            f"소득평가액 = 근로소득 {won(earned)} × (1 − {_pct(rate)}) + 기타소득 {won(other)} = {won(value)}",
            f"assessed income = earned {won(earned)} × (1 − {_pct(rate)}) + other {won(other)} = {won(value)}",
        )
    basic = law["pension_earned_income_basic_deduction"]
    rate = law["pension_earned_income_rate"]
    return TraceStep(
        f"소득평가액 = (근로소득 {won(earned)} − 기본공제 {won(basic)}) × (1 − {_pct(rate)}) "
        f"+ 기타소득 {won(other)} = {won(value)}",
        f"assessed income = (earned {won(earned)} − basic deduction {won(basic)}) × (1 − {_pct(rate)}) "
        f"+ other {won(other)} = {won(value)}",
    )


def _property_step(law: Law, hh: HouseholdFrame, rule: str) -> TraceStep:
    prop = property_income(law, hh, rule)
    total, deduction = float(prop.total[0]), float(prop.deduction[0])
    held = (f"주거용 {won(hh['property_residential'][0])}, 일반 {won(hh['property_general'][0])}, "
            f"금융 {won(hh['financial_assets'][0])}, 자동차 {won(hh['car_value'][0])}, 부채 {won(hh['debt'][0])}")
    held_en = (f"residential {won(hh['property_residential'][0])}, general {won(hh['property_general'][0])}, "
               f"financial {won(hh['financial_assets'][0])}, car {won(hh['car_value'][0])}, debt {won(hh['debt'][0])}")
    if rule == "type4":
        return TraceStep("재산 조사 없음 (표준 유형 4)", "no property test (standard type 4)")
    if rule in ("blsa", "type1"):
        tier = REGION_TIERS[int(hh["region_tier"][0])]
        rate = law["property_conversion_rate"]
        parts = ", ".join(f"{k} {won(v[0])}" for k, v in prop.parts.items())
        parts_ko = ", ".join(f"{_PART_KO[k]} {won(v[0])}" for k, v in prop.parts.items())
        return TraceStep(
            f"재산 ({held}) − 기본재산액 {won(deduction)} ({_TIER_KO[tier]}) − 부채 → 월 환산 "
            f"(주거용 {_pct(rate['residential'])}, 일반 {_pct(rate['general'])}, 금융 {_pct(rate['financial'])}, "
            f"자동차 {_pct(rate['car'])}): {parts_ko} "
            f"= 재산환산액 {won(total)}",
            f"property ({held_en}) − basic deduction {won(deduction)} ({_TIER_EN[tier]}) − debt, converted monthly: "
            f"{parts} = property income {won(total)}",
        )
    cls = URBAN_CLASSES[int(hh["urban_class"][0])]
    if rule == "pension":
        return TraceStep(
            f"재산 ({held}) − 기본재산액 {won(deduction)} ({_CLASS_KO[cls]}) − 금융재산 공제 "
            f"{won(law['pension_financial_deduction'])} − 부채, × 연 4% ÷ 12, 고급자동차 100% = 재산환산액 {won(total)}",
            f"property ({held_en}) − basic deduction {won(deduction)} ({_CLASS_EN[cls]}) − financial deduction "
            f"{won(law['pension_financial_deduction'])} − debt, × 4% a year ÷ 12, luxury car 100% = property income {won(total)}",
        )
    survey_type = int(rule[-1])
    rate = law[f"standard_type{survey_type}_rate"]
    return TraceStep(
        f"[표준 유형 {survey_type}] 재산 ({held}) − 기본재산 {won(deduction)} ({_CLASS_KO[cls]}) − 부채, "
        f"× 월 {_pct(rate)} = 재산환산액 {won(total)}",
        f"[standard type {survey_type}] property ({held_en}) − basic deduction {won(deduction)} ({_CLASS_EN[cls]}) "
        f"− debt, × {_pct(rate)} a month = property income {won(total)}",
    )


def _threshold_step(law: Law, hh: HouseholdFrame, result: Assessment, programme: str) -> TraceStep:
    size = int(hh["size"][0])
    median = float(result.median[0])
    threshold = float(result.threshold[programme][0])
    eight = " (8인 이상: 7인 기준 + (7인 − 6인) × 초과 인원)" if size >= 8 else ""
    eight_en = " (8 or more: 7-person figure + (7 − 6-person) per extra member)" if size >= 8 else ""
    if programme in ("basic_pension", "disability_pension"):
        kind = "부부" if bool(hh["couple"][0]) else "단독"
        kind_en = "couple" if bool(hh["couple"][0]) else "single"
        return TraceStep(f"선정기준액 ({kind}, {law.date.year}) {won(threshold)}",
                         f"selection amount ({kind_en}, {law.date.year}) {won(threshold)}")
    share = law["single_parent_line"] if programme == "single_parent" else law["selection_line"][programme]
    return TraceStep(
        f"기준 중위소득 ({size}인, {law.date.year}) {won(median)}{eight} × {_pct(share)} = {won(threshold)}",
        f"standard median income ({size}-person, {law.date.year}) {won(median)}{eight_en} × {_pct(share)} = {won(threshold)}",
    )


def _condition(hh: HouseholdFrame, result: Assessment, programme: str) -> tuple[str, str] | None:
    """A non-income condition that fails, as (ko, en), or None."""
    if programme == "education" and int(hh["n_children"][0]) == 0:
        return "학령기 자녀가 없음", "no school-age child in the household"
    if programme == "near_poor" and any(bool(result.eligible[p][0]) for p in ("livelihood", "medical", "housing", "education")):
        return "기초생활보장 급여 대상이므로 차상위계층이 아님", "covered by basic livelihood benefits, so not near-poor"
    if programme == "single_parent" and not (bool(hh["single_parent"][0]) and int(hh["n_children"][0]) > 0):
        return "한부모가족이 아님", "not a single-parent family"
    if programme == "basic_pension" and int(hh["n_pension_age"][0]) == 0:
        return "65세 이상 본인·배우자가 없음", "neither head nor spouse is 65 or over"
    if programme == "disability_pension" and int(hh["n_severe_disabled_18_64"][0]) == 0:
        return "18–64세 중증장애인이 없음", "no adult aged 18-64 with a severe disability"
    return None


def _sources(law: Law, programme: str) -> tuple[str, ...]:
    names = ["median_income", "selection_line", "earned_income_deduction_rate", "basic_property_deduction",
             "residential_property_cap", "property_conversion_rate"]
    if programme == "single_parent":
        names[1] = "single_parent_line"
    if programme in ("basic_pension", "disability_pension"):
        names = ["pension_selection_amount" if programme == "basic_pension" else "disability_pension_selection_amount",
                 "pension_earned_income_basic_deduction", "pension_basic_property_deduction",
                 "pension_financial_deduction", "pension_property_rate", "standard_pension_amount",
                 "couple_reduction_rate"]
    rule = law["property_rule"][programme]
    if rule in ("type2", "type3"):
        names += [f"standard_{rule}_basic_property", f"standard_{rule}_rate"]
    return tuple(dict.fromkeys(law.source(n) for n in names))


def explain(law: Law, hh: HouseholdFrame) -> tuple[Decision, ...]:
    """Every programme decision for one household, with its reason and steps.

    Parameters
    ----------
    law : Law
        Parameters for the evaluation date (``ParameterSet.at(date)``).
    hh : HouseholdFrame
        A validated frame of exactly one household (``frame.row(i)``).

    Raises
    ------
    ValueError
        If ``hh`` holds more or fewer than one household.
    """
    if hh.n != 1:
        raise ValueError(f"explain() takes one household, got {hh.n}")
    result = assess(law, hh)
    rules = law["property_rule"]
    size, year = int(hh["size"][0]), law.date.year
    decisions = []
    for p in PROGRAMMES:
        label_ko, label_en = PROGRAMME_LABELS[p]
        recognised = float(result.recognised[p][0])
        threshold = float(result.threshold[p][0])
        eligible = bool(result.eligible[p][0])
        sign = "≤" if recognised <= threshold else ">"
        basis_ko = "선정기준액" if p in ("basic_pension", "disability_pension") else "기준"
        who = ("부부" if bool(hh["couple"][0]) else "단독") if p in ("basic_pension", "disability_pension") else f"{size}인"
        who_en = (("couple" if bool(hh["couple"][0]) else "single") if p in ("basic_pension", "disability_pension")
                  else f"{size}-person")
        reason_ko = f"소득인정액 {won(recognised)} {sign} {label_ko} {basis_ko} {won(threshold)} ({who}, {year})"
        reason_en = f"recognised income {won(recognised)} {sign} {label_en} line {won(threshold)} ({who_en}, {year})"
        failed = _condition(hh, result, p)
        if failed is not None:
            reason_ko, reason_en = f"{reason_ko}; {failed[0]}", f"{reason_en}; {failed[1]}"
        steps = (
            _income_step(law, hh, income_family(p)),
            _property_step(law, hh, rules[p]),
            TraceStep(f"소득인정액 = 소득평가액 + 재산환산액 = {won(recognised)}",
                      f"recognised income = assessed income + property income = {won(recognised)}"),
            _threshold_step(law, hh, result, p),
        )
        amount = result.monthly_amount.get(p)
        decisions.append(Decision(
            programme=p, label_ko=label_ko, label_en=label_en, eligible=eligible,
            reason_ko=reason_ko, reason_en=reason_en, steps=steps, sources=_sources(law, p),
            monthly_amount=float(amount[0]) if amount is not None and eligible else None,
        ))
    return tuple(decisions)
