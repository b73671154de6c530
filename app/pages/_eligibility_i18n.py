"""Korean (default) and English strings of the eligibility pages (모의계산, case panel, reform).

Like ``_supply_i18n``: ``app/i18n.py`` belongs to the shell, so these pages keep their strings
here and :func:`tr` falls back to the shell's :func:`app.i18n.t` for shared keys.
"""

from __future__ import annotations

from typing import Final

from app.i18n import DEFAULT_LANG, t

STRINGS: Final[dict[str, dict[str, str]]] = {
    "nav.mock_calc": {"ko": "복지 모의계산", "en": "Benefit calculator"},
    "mc.title": {"ko": "복지 모의계산", "en": "Benefit pre-check calculator"},
    "mc.intro": {"ko": "가구의 소득과 재산을 넣으면 받을 수 있을 것 같은 제도와 그 이유를 "
                       "보여 드립니다. 이름·주소·주민등록번호는 묻지 않으며, 입력값은 저장하지 않습니다.",
                 "en": "Enter your household's income and property to see which programmes may "
                       "apply and why. No name, address or ID number is asked and nothing you "
                       "enter is stored."},
    "mc.household": {"ko": "가구", "en": "Household"},
    "mc.income": {"ko": "소득 (월)", "en": "Income (per month)"},
    "mc.property": {"ko": "재산과 부채", "en": "Property and debt"},
    "mc.date": {"ko": "기준일", "en": "Date"},
    "mc.size": {"ko": "가구원 수 (1–10명)", "en": "Household size (1-10)"},
    "mc.region": {"ko": "사는 곳", "en": "Where you live"},
    "mc.head_age": {"ko": "본인 나이", "en": "Your age"},
    "mc.spouse_age": {"ko": "배우자 나이 (없으면 비워 두세요)", "en": "Spouse's age (leave empty if none)"},
    "mc.n_children": {"ko": "18세 미만 자녀 수", "en": "Children under 18"},
    "mc.single_parent": {"ko": "한부모가족입니다", "en": "Single-parent family"},
    "mc.n_severe_disabled": {"ko": "18–64세 중증장애인 수", "en": "Adults 18-64 with a severe disability"},
    "mc.car_exempt": {"ko": "생업용·장애인용 차량입니다", "en": "The car is for work or disability use"},
    "mc.won": {"ko": "원", "en": "KRW"},
    "mc.submit": {"ko": "계산하기", "en": "Calculate"},
    "mc.errors": {"ko": "입력값을 확인해 주세요", "en": "Please check your entries"},
    "mc.results": {"ko": "결과 ({date} 기준)", "en": "Result (rules of {date})"},
    "mc.likely": {"ko": "받을 가능성 있음", "en": "May apply"},
    "mc.unlikely": {"ko": "해당 어려움", "en": "Unlikely"},
    "mc.amount": {"ko": "예상 월 지급액 {amount}", "en": "Estimated monthly amount {amount}"},
    "mc.steps": {"ko": "계산 과정과 근거", "en": "How this was calculated"},
    "mc.sources": {"ko": "근거", "en": "Sources"},
    "mc.simplified": {"ko": "부양의무자 기준, 가구특성별 지출, 추가 공제 등은 반영하지 않은 간이 계산입니다.",
                      "en": "Simplified: no family-support test, household-specific expenses or "
                            "extra deductions are applied."},
    "mc.apply": {"ko": "신청은 주소지 읍·면·동 행정복지센터 또는 복지로(bokjiro.go.kr)에서 할 수 있습니다.",
                 "en": "Apply at your 읍·면·동 community centre or on bokjiro.go.kr."},
    # reform view
    "rf.title": {"ko": "소득·재산 조사 표준화 모의", "en": "Income/property survey standardisation"},
    "rf.intro": {"ko": "현행 기준과 제안된 표준 조사유형(1–4)을 같은 가구에 적용해 비교합니다. "
                       "합성 데이터 기반 간이 판정이며 5가구 미만 집계는 비공개입니다.",
                 "en": "Current rules and the proposed standard survey types (1-4) applied to the "
                       "same households. A simplified pre-check on synthetic data; cells under 5 "
                       "households are suppressed."},
    "rf.scope": {"ko": "범위: {scope} · 기준일 {date}", "en": "Scope: {scope} · rules of {date}"},
    "rf.national": {"ko": "전국", "en": "Nationwide"},
    "rf.households": {"ko": "대상 가구", "en": "Households"},
    "rf.gainers": {"ko": "유리해지는 가구", "en": "Gain"},
    "rf.losers": {"ko": "불리해지는 가구", "en": "Lose"},
    "rf.net": {"ko": "수급 가구 변화 (제도 1개 이상)", "en": "Change in recipient households (any programme)"},
    "rf.cost": {"ko": "월 지급액 변화 (생계·기초연금·장애인연금)", "en": "Monthly cost change (livelihood, pensions)"},
    "rf.programmes": {"ko": "제도별 수급 가구와 월 지급액", "en": "Recipients and monthly cost by programme"},
    "rf.map": {"ko": "지역별 수급 가구 변화 (1,000가구당)", "en": "Change in recipients per 1,000 households"},
    "rf.by_type": {"ko": "가구 유형별", "en": "By household type"},
    "rf.by_region": {"ko": "지역별 (변화가 큰 순)", "en": "By region (largest change first)"},
    "rf.denied": {"ko": "이 화면은 시군구 기획 담당, 보건복지부, 관리자만 볼 수 있습니다.",
                  "en": "Only planners, ministry staff and administrators can see this page."},
    "rf.suppressed": {"ko": "비공개", "en": "suppressed"},
    "rf.col.programme": {"ko": "제도", "en": "Programme"},
    "rf.col.current": {"ko": "현행 수급", "en": "Current"},
    "rf.col.reform": {"ko": "표준화 후", "en": "Reform"},
    "rf.col.change": {"ko": "변화", "en": "Change"},
    "rf.col.cost_current": {"ko": "현행 월 지급액", "en": "Monthly cost, current"},
    "rf.col.cost_change": {"ko": "월 지급액 변화", "en": "Monthly cost change"},
    "rf.col.group": {"ko": "구분", "en": "Group"},
    "rf.col.households": {"ko": "가구", "en": "Households"},
    "rf.col.gainers": {"ko": "유리", "en": "Gain"},
    "rf.col.losers": {"ko": "불리", "en": "Lose"},
    "rf.col.net": {"ko": "수급 가구 변화", "en": "Net recipients"},
    "rf.col.cost": {"ko": "월 지급액 변화", "en": "Cost change"},
    "rf.no_amount": {"ko": "금액 미산정", "en": "not computed"},
    # visit list filter
    "vl.unserved": {"ko": "사각지대 의심만 (받을 가능성 높지만 미수급)",
                    "en": "Only likely eligible but not receiving"},
    # case panel
    "ce.title": {"ko": "복지 가판정 (소득인정액)", "en": "Eligibility pre-check (recognised income)"},
    "ce.flag": {"ko": "사각지대 의심: 받을 가능성이 높지만 받고 있지 않은 제도 — {names}",
                "en": "Possible blind spot: likely eligible but not receiving — {names}"},
    "ce.no_flag": {"ko": "받을 가능성이 있는 제도를 모두 받고 있거나, 해당 제도가 없습니다.",
                   "en": "Receives every programme it likely qualifies for, or none applies."},
    "ce.receiving": {"ko": "수급 중", "en": "receiving"},
    "ce.not_receiving": {"ko": "미수급", "en": "not receiving"},
    "ce.assumptions": {"ko": "가구 자료의 소득 1개 항목을 가구주 65세 미만이면 근로소득, 이상이면 기타소득으로 "
                             "보았습니다. 간이 판정이며 실제 선정은 조사로 결정됩니다.",
                       "en": "The household's one recorded income is treated as earned income when "
                             "the head is under 65, otherwise as other income. A pre-check only; "
                             "the decision follows an investigation."},
    "ce.link": {"ko": "복지 모의계산 열기", "en": "Open the benefit calculator"},
}


def tr(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """Translate ``key`` (these pages' strings first, then the shell's) and format it.

    Examples
    --------
    >>> tr("mc.submit", "en")
    'Calculate'
    """
    entry = STRINGS.get(key)
    if entry is None:
        return t(key, lang, **values)
    text = entry.get(lang) or entry[DEFAULT_LANG]
    return text.format(**values) if values else text
