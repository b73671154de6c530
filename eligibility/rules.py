"""Vectorised formulas: 소득인정액 and the programme decisions for a whole household frame.

소득인정액 = 소득평가액 + 재산의 소득환산액 (국민기초생활보장법 제2조제9호). Which income and
property rule a programme uses is itself a parameter (``property_rule``), so the seed's
standardised survey types are a reform, not new code. Every function takes a :class:`Law`
(parameters resolved for one date) and a validated :class:`HouseholdFrame` and returns numpy
arrays; nothing here loops over households. Traces for one household are built from the
same functions in :mod:`eligibility.trace`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from eligibility.household import REGION_TIERS, URBAN_CLASSES, HouseholdFrame
from eligibility.parameters import Law

__all__ = [
    "BLSA_PROGRAMMES",
    "PENSION_PROGRAMMES",
    "PROGRAMMES",
    "PROGRAMME_LABELS",
    "PROPERTY_RULES",
    "Assessment",
    "PropertyIncome",
    "assess",
    "income_evaluation",
    "median_income",
    "property_income",
]

BLSA_PROGRAMMES: Final[tuple[str, ...]] = ("livelihood", "medical", "housing", "education")
PENSION_PROGRAMMES: Final[tuple[str, ...]] = ("basic_pension", "disability_pension")
PROGRAMMES: Final[tuple[str, ...]] = (*BLSA_PROGRAMMES, "near_poor", "single_parent", *PENSION_PROGRAMMES)
PROGRAMME_LABELS: Final[Mapping[str, tuple[str, str]]] = {
    "livelihood": ("생계급여", "livelihood benefit"),
    "medical": ("의료급여", "medical benefit"),
    "housing": ("주거급여", "housing benefit"),
    "education": ("교육급여", "education benefit"),
    "near_poor": ("차상위계층", "near-poor (차상위)"),
    "single_parent": ("한부모가족 지원", "single-parent family support"),
    "basic_pension": ("기초연금", "basic pension"),
    "disability_pension": ("장애인연금", "disability pension"),
}
PROPERTY_RULES: Final[tuple[str, ...]] = ("blsa", "pension", "type1", "type2", "type3", "type4")


def median_income(law: Law, size: np.ndarray) -> np.ndarray:
    """기준 중위소득 for each household size.

    Sizes 1–7 read the table; 8 or more add the 7-person minus 6-person difference for each
    person beyond seven (the rule printed under the 고시 table).
    """
    table = np.asarray(law["median_income"], dtype=np.float64)
    clipped = np.clip(size, 1, len(table))
    base = table[clipped - 1]
    step = table[-1] - table[-2]
    return base + step * np.maximum(size - len(table), 0)


def income_evaluation(law: Law, hh: HouseholdFrame, family: str) -> np.ndarray:
    """소득평가액 (monthly) under the 기초생활 (``blsa``) or 기초연금 (``pension``) income rule.

    기초생활: earned income less the 30% 근로소득공제, plus other income (가구특성별 지출비용 and
    the extra deductions for youth, the elderly and the disabled are not modelled).
    기초연금: earned income less the basic deduction, then less 30%, plus other income.
    """
    earned, other = hh["earned_income"], hh["other_income"]
    if family == "blsa":
        return earned * (1.0 - law["earned_income_deduction_rate"]) + other
    if family == "pension":
        over = np.maximum(earned - law["pension_earned_income_basic_deduction"], 0.0)
        return over * (1.0 - law["pension_earned_income_rate"]) + other
    raise ValueError(f"unknown income family {family!r}")


@dataclass(frozen=True)
class PropertyIncome:
    """재산의 소득환산액 and the parts a trace explains (all arrays, KRW)."""

    total: np.ndarray
    deduction: np.ndarray  # 기본재산액 applied (before debt)
    parts: Mapping[str, np.ndarray] = field(default_factory=dict)  # converted amount by kind


def _by_class(table: Mapping[str, float], classes: tuple[str, ...], index: np.ndarray) -> np.ndarray:
    return np.array([table[c] for c in classes], dtype=np.float64)[index]


def _blsa_property(law: Law, hh: HouseholdFrame) -> PropertyIncome:
    """기초생활 rule: 기본재산액 and debt come off 일반재산, then 금융재산, then 주거용재산."""
    rate = law["property_conversion_rate"]
    tier = hh["region_tier"]
    basic = _by_class(law["basic_property_deduction"], REGION_TIERS, tier)
    cap = _by_class(law["residential_property_cap"], REGION_TIERS, tier)
    exempt = hh["car_exempt"]
    car = np.where(exempt, 0.0, hh["car_value"])
    residential = np.minimum(hh["property_residential"], cap)
    general = hh["property_general"] + (hh["property_residential"] - residential) + np.where(exempt, hh["car_value"], 0.0)
    financial = hh["financial_assets"]
    to_deduct = basic + hh["debt"]
    general_net = np.maximum(general - to_deduct, 0.0)
    to_deduct = np.maximum(to_deduct - general, 0.0)
    financial_net = np.maximum(financial - to_deduct, 0.0)
    to_deduct = np.maximum(to_deduct - financial, 0.0)
    residential_net = np.maximum(residential - to_deduct, 0.0)
    parts = {
        "residential": residential_net * rate["residential"],
        "general": general_net * rate["general"],
        "financial": financial_net * rate["financial"],
        "car": car * rate["car"],
    }
    return PropertyIncome(sum(parts.values()), basic, parts)


def _pension_property(law: Law, hh: HouseholdFrame) -> PropertyIncome:
    """기초연금 rule: {(일반재산 − 기본재산액) + (금융재산 − 2,000만원) − 부채} × 4%/12, plus
    a 고급자동차 at 100%; other cars count as general property. Simplified: the sum is floored
    at zero as a whole."""
    basic = _by_class(law["pension_basic_property_deduction"], URBAN_CLASSES, hh["urban_class"])
    luxury = (hh["car_value"] >= law["pension_luxury_car_value"]) & ~hh["car_exempt"]
    car_general = np.where(luxury, 0.0, hh["car_value"])
    financial = np.maximum(hh["financial_assets"] - law["pension_financial_deduction"], 0.0)
    net = np.maximum(
        hh["property_residential"] + hh["property_general"] + car_general - basic + financial - hh["debt"], 0.0
    )
    parts = {"property": net * law["pension_property_rate"], "car": np.where(luxury, hh["car_value"], 0.0)}
    return PropertyIncome(parts["property"] + parts["car"], basic, parts)


def _standard_property(law: Law, hh: HouseholdFrame, survey_type: int) -> PropertyIncome:
    """The seed's types 2 and 3: all property (cars included) less the basic deduction by
    urban class and debt, converted at one monthly rate."""
    basic = _by_class(law[f"standard_type{survey_type}_basic_property"], URBAN_CLASSES, hh["urban_class"])
    total = (
        hh["property_residential"] + hh["property_general"] + hh["financial_assets"] + hh["car_value"]
    )
    net = np.maximum(total - basic - hh["debt"], 0.0)
    converted = net * law[f"standard_type{survey_type}_rate"]
    return PropertyIncome(converted, basic, {"property": converted})


def property_income(law: Law, hh: HouseholdFrame, rule: str) -> PropertyIncome:
    """재산의 소득환산액 under one of :data:`PROPERTY_RULES`.

    ``type1`` is the 기초생활 rule (the seed keeps it); ``type4`` has no property test.

    Raises
    ------
    ValueError
        For an unknown rule name.
    """
    if rule in ("blsa", "type1"):
        return _blsa_property(law, hh)
    if rule == "pension":
        return _pension_property(law, hh)
    if rule in ("type2", "type3"):
        return _standard_property(law, hh, int(rule[-1]))
    if rule == "type4":
        zero = np.zeros(hh.n)
        return PropertyIncome(zero, zero, {})
    raise ValueError(f"unknown property rule {rule!r}; expected one of {', '.join(PROPERTY_RULES)}")


def income_family(programme: str) -> str:
    """Which income rule a programme uses (``pension`` for 기초연금 and 장애인연금)."""
    return "pension" if programme in PENSION_PROGRAMMES else "blsa"


@dataclass(frozen=True)
class Assessment:
    """Batch result: per programme, 소득인정액, threshold, decision and monthly amount."""

    law: Law
    median: np.ndarray
    recognised: Mapping[str, np.ndarray]
    threshold: Mapping[str, np.ndarray]
    eligible: Mapping[str, np.ndarray]
    monthly_amount: Mapping[str, np.ndarray]

    def any_eligible(self) -> np.ndarray:
        """Households likely eligible for at least one programme."""
        return np.logical_or.reduce([self.eligible[p] for p in PROGRAMMES])

    def as_frame(self) -> pd.DataFrame:
        """One row per household: ``eligible_<p>``, ``recognised_<p>``, ``amount_<p>`` columns."""
        data: dict[str, np.ndarray] = {}
        for p in PROGRAMMES:
            data[f"eligible_{p}"] = self.eligible[p]
            data[f"recognised_{p}"] = self.recognised[p]
        for p, amount in self.monthly_amount.items():
            data[f"amount_{p}"] = amount
        return pd.DataFrame(data)


def _pension_amount(law: Law, recipients: np.ndarray, couple: np.ndarray, recognised: np.ndarray,
                    threshold: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """기준연금액 per recipient, 20% less each when a couple both receive it, and cut so that
    소득인정액 + 연금액 does not exceed the 선정기준액 (소득역전 방지, simplified: no floor)."""
    base = law["standard_pension_amount"] * recipients
    base = np.where(couple & (recipients >= 2), base * (1.0 - law["couple_reduction_rate"]), base)
    capped = np.minimum(base, np.maximum(threshold - recognised, 0.0))
    return np.where(eligible, np.floor(capped), 0.0)


def assess(law: Law, hh: HouseholdFrame) -> Assessment:
    """소득인정액 and every programme decision for all households, under ``law``.

    Simplified (see ``docs/eligibility.md``): no 부양의무자 test (의료급여 keeps one in law),
    the 교육급여 needs a child in the household, 차상위 means ≤ 50% and no 기초생활 benefit,
    amounts only for 생계급여, 기초연금 and 장애인연금 (기초급여).
    """
    rules: Mapping[str, str] = law["property_rule"]
    median = median_income(law, hh["size"])
    income = {family: income_evaluation(law, hh, family) for family in ("blsa", "pension")}
    prop_cache: dict[str, np.ndarray] = {}
    recognised: dict[str, np.ndarray] = {}
    for p in PROGRAMMES:
        rule = rules[p]
        if rule not in prop_cache:
            prop_cache[rule] = property_income(law, hh, rule).total
        recognised[p] = np.maximum(income[income_family(p)] + prop_cache[rule], 0.0)

    lines = law["selection_line"]
    # Published selection lines drop fractions of a won (2026 1인 생계: 820,556.16 → 820,556원).
    threshold = {p: np.floor(median * lines[p]) for p in (*BLSA_PROGRAMMES, "near_poor")}
    threshold["single_parent"] = np.floor(median * law["single_parent_line"])
    couple = hh["couple"]
    for p, name in (("basic_pension", "pension_selection_amount"),
                    ("disability_pension", "disability_pension_selection_amount")):
        amounts = law[name]
        threshold[p] = np.where(couple, float(amounts["couple"]), float(amounts["single"]))

    below = {p: recognised[p] <= threshold[p] for p in PROGRAMMES}
    eligible = {p: below[p] for p in ("livelihood", "medical", "housing")}
    eligible["education"] = below["education"] & (hh["n_children"] > 0)
    any_blsa = np.logical_or.reduce([eligible[p] for p in BLSA_PROGRAMMES])
    eligible["near_poor"] = below["near_poor"] & ~any_blsa
    eligible["single_parent"] = below["single_parent"] & hh["single_parent"] & (hh["n_children"] > 0)
    eligible["basic_pension"] = below["basic_pension"] & (hh["n_pension_age"] > 0)
    eligible["disability_pension"] = below["disability_pension"] & (hh["n_severe_disabled_18_64"] > 0)

    amount = {
        "livelihood": np.where(eligible["livelihood"],
                               np.floor(np.maximum(threshold["livelihood"] - recognised["livelihood"], 0.0)), 0.0),
        "basic_pension": _pension_amount(law, hh["n_pension_age"], couple, recognised["basic_pension"],
                                         threshold["basic_pension"], eligible["basic_pension"]),
        "disability_pension": _pension_amount(law, hh["n_severe_disabled_18_64"], couple,
                                              recognised["disability_pension"], threshold["disability_pension"],
                                              eligible["disability_pension"]),
    }
    return Assessment(law, median, recognised, threshold, eligible, amount)
