"""The public 모의계산: parse a resident's form, check it, and explain the likely programmes.

Nothing is stored and no personal data is asked for (no name, no address, no number). Every
bad input comes back as a message in Korean and English naming the field; this module never
raises for anything a form can send.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import pandas as pd

from eligibility.household import HouseholdInputError, validate_households
from eligibility.parameters import ParameterDateError, ParameterSet, current_law
from eligibility.trace import Decision, explain

__all__ = [
    "AMOUNT_FIELDS",
    "MAX_INCOME_KRW",
    "MAX_PROPERTY_KRW",
    "MAX_SIZE",
    "REGIONS",
    "CalculatorAnswer",
    "FieldError",
    "answer",
]

MAX_SIZE: Final[int] = 10
MAX_INCOME_KRW: Final[int] = 1_000_000_000  # 10억원 a month
MAX_PROPERTY_KRW: Final[int] = 100_000_000_000  # 1,000억원

# code -> (기초생활 tier, urban class, Korean label, English label)
REGIONS: Final[Mapping[str, tuple[str, str, str, str]]] = {
    "seoul": ("seoul", "metropolitan", "서울특별시", "Seoul"),
    "gyeonggi_city": ("gyeonggi", "city", "경기도 시", "Gyeonggi, city"),
    "gyeonggi_county": ("gyeonggi", "rural", "경기도 군", "Gyeonggi, county"),
    "metro_district": ("metro", "metropolitan", "광역시 구", "metropolitan city, district"),
    "metro_county": ("metro", "rural", "광역시 군", "metropolitan city, county"),
    "sejong": ("metro", "city", "세종특별자치시", "Sejong"),
    "changwon": ("metro", "city", "창원시", "Changwon"),
    "other_city": ("other", "city", "그 외 도의 시", "other province, city"),
    "other_county": ("other", "rural", "그 외 도의 군", "other province, county"),
}

AMOUNT_FIELDS: Final[Mapping[str, tuple[str, str, int]]] = {
    "earned_income": ("월 근로·사업소득", "monthly earned income", MAX_INCOME_KRW),
    "other_income": ("월 기타소득 (연금·이전소득 등)", "monthly other income", MAX_INCOME_KRW),
    "property_residential": ("주거용 재산 (집·전세보증금)", "residential property", MAX_PROPERTY_KRW),
    "property_general": ("그 밖의 일반재산 (토지·건물)", "other property", MAX_PROPERTY_KRW),
    "financial_assets": ("금융재산 (예금·적금·주식)", "financial assets", MAX_PROPERTY_KRW),
    "car_value": ("자동차 가액", "car value", MAX_PROPERTY_KRW),
    "debt": ("부채", "debt", MAX_PROPERTY_KRW),
}

_NUMBER: Final = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass(frozen=True)
class FieldError:
    """One problem with one form field."""

    field: str
    ko: str
    en: str


@dataclass(frozen=True)
class CalculatorAnswer:
    """Either decisions (when the form is valid) or the list of field errors."""

    errors: tuple[FieldError, ...] = ()
    decisions: tuple[Decision, ...] = ()
    date: dt.date | None = None
    notes: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.errors


def _clean(raw: object) -> str:
    return re.sub(r"[,\s원₩]", "", str(raw if raw is not None else "")).strip()


def _amount(values: Mapping[str, object], name: str, errors: list[FieldError]) -> float:
    label_ko, label_en, limit = AMOUNT_FIELDS[name]
    text = _clean(values.get(name))
    if text == "":
        return 0.0
    if not _NUMBER.match(text):
        errors.append(FieldError(name, f"{label_ko}: 숫자로 입력해 주세요 (예: 1,200,000).",
                                 f"{label_en}: enter a number (e.g. 1,200,000)."))
        return 0.0
    number = float(text)
    if number < 0:
        errors.append(FieldError(name, f"{label_ko}: 0원 이상이어야 합니다 (음수는 입력할 수 없습니다).",
                                 f"{label_en}: must be 0 or more (negative amounts are not allowed)."))
    elif number > limit:
        errors.append(FieldError(name, f"{label_ko}: {limit:,}원을 넘는 금액은 계산하지 않습니다. 금액을 확인해 주세요.",
                                 f"{label_en}: amounts above {limit:,} KRW are not calculated; please check."))
    return number


def _count(values: Mapping[str, object], name: str, label: tuple[str, str], low: int, high: int,
           errors: list[FieldError], *, required: bool = False) -> int | None:
    text = _clean(values.get(name))
    if text == "":
        if required:
            errors.append(FieldError(name, f"{label[0]}: 입력해 주세요.", f"{label[1]}: required."))
        return None
    if not re.fullmatch(r"-?\d+", text):
        errors.append(FieldError(name, f"{label[0]}: 정수로 입력해 주세요.", f"{label[1]}: enter a whole number."))
        return None
    number = int(text)
    if not low <= number <= high:
        errors.append(FieldError(name, f"{label[0]}: {low}–{high} 사이로 입력해 주세요.",
                                 f"{label[1]}: must be between {low} and {high}."))
        return None
    return number


def _flag(values: Mapping[str, object], name: str) -> bool:
    raw = values.get(name)
    if isinstance(raw, list | tuple):
        return len(raw) > 0
    return str(raw).strip().lower() in ("1", "true", "yes", "on", "y") if raw is not None else False


def _date(values: Mapping[str, object], errors: list[FieldError], today: dt.date) -> dt.date:
    raw = str(values.get("date") or "").strip()
    if not raw:
        return today
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        errors.append(FieldError("date", "기준일: YYYY-MM-DD 형식으로 입력해 주세요.",
                                 "date: use the form YYYY-MM-DD."))
        return today


def answer(values: Mapping[str, object], *, today: dt.date | None = None,
           parameters: ParameterSet | None = None) -> CalculatorAnswer:
    """Check a 모의계산 form and, if it is valid, explain every programme decision.

    Parameters
    ----------
    values : mapping
        Form values as strings (or numbers): ``size`` (1–10), ``region`` (a key of
        :data:`REGIONS`), the amounts of :data:`AMOUNT_FIELDS` in 원, ``head_age``,
        ``spouse_age`` (empty = no spouse), ``n_children``, ``single_parent``,
        ``n_severe_disabled`` (adults 18–64), ``car_exempt``, ``date`` (optional, YYYY-MM-DD).
    today : date, optional
        Evaluation date when the form gives none (default: today).
    parameters : ParameterSet, optional
        Rules to use (default: current law).

    Returns
    -------
    CalculatorAnswer
        Errors (Korean and English, one per field problem) or the decisions; never raises
        for form input.
    """
    errors: list[FieldError] = []
    if not isinstance(values, Mapping):
        return CalculatorAnswer(errors=(FieldError("form", "입력값을 읽을 수 없습니다.", "the form could not be read."),))
    when = _date(values, errors, today or dt.date.today())
    size = _count(values, "size", ("가구원 수", "household size"), 1, MAX_SIZE, errors, required=True)
    region = str(values.get("region") or "")
    if region not in REGIONS:
        errors.append(FieldError("region", "지역을 목록에서 골라 주세요.", "choose a region from the list."))
    amounts = {name: _amount(values, name, errors) for name in AMOUNT_FIELDS}
    head_age = _count(values, "head_age", ("본인 나이", "your age"), 18, 120, errors, required=True)
    spouse_age = _count(values, "spouse_age", ("배우자 나이", "spouse's age"), 18, 120, errors)
    n_children = _count(values, "n_children", ("18세 미만 자녀 수", "children under 18"), 0, MAX_SIZE, errors) or 0
    n_disabled = _count(values, "n_severe_disabled", ("18–64세 중증장애인 수", "adults 18-64 with a severe disability"),
                        0, MAX_SIZE, errors) or 0
    couple = spouse_age is not None
    single_parent = _flag(values, "single_parent")
    if size is not None:
        if 1 + couple + n_children > size:
            errors.append(FieldError("size", "가구원 수가 본인·배우자·자녀 수보다 적습니다.",
                                     "household size is smaller than you, your spouse and the children together."))
        if n_disabled > size:
            errors.append(FieldError("n_severe_disabled", "중증장애인 수가 가구원 수보다 많습니다.",
                                     "more adults with a severe disability than household members."))
    if single_parent and couple:
        errors.append(FieldError("single_parent", "배우자가 있으면 한부모가족으로 계산할 수 없습니다.",
                                 "a household with a spouse cannot be a single-parent family."))
    if errors or size is None or head_age is None:
        return CalculatorAnswer(errors=tuple(errors))
    tier, urban, _, _ = REGIONS[region]
    n_pension_age = int(head_age >= 65) + int(couple and spouse_age is not None and spouse_age >= 65)
    frame = pd.DataFrame([{
        "size": size, **amounts, "car_exempt": _flag(values, "car_exempt"), "region_tier": tier,
        "urban_class": urban, "head_age": head_age, "couple": couple, "n_pension_age": n_pension_age,
        "n_children": n_children, "single_parent": single_parent, "n_severe_disabled_18_64": n_disabled,
    }])
    try:
        law = (parameters or current_law()).at(when)
        decisions = explain(law, validate_households(frame))
    except ParameterDateError:
        return CalculatorAnswer(errors=(FieldError(
            "date", "이 날짜의 기준은 아직 없습니다. 2024-01-01부터 2026-12-31 사이로 골라 주세요.",
            "no rules are known for this date; choose one between 2024-01-01 and 2026-12-31."),))
    except HouseholdInputError as err:
        return CalculatorAnswer(errors=(FieldError("form", f"입력값을 확인해 주세요: {err}", f"please check the form: {err}"),))
    notes = (("모의계산 결과는 안내용이며 실제 선정은 신청 후 조사로 결정됩니다.",
              "This is an estimate; the actual decision follows an application and investigation."),)
    return CalculatorAnswer(decisions=decisions, date=when, notes=notes)
