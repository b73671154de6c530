"""Coded values used across the schema, with Korean and English labels.

One place for every enumerated code so the generator, the ingest validator, the models and the
pages agree. Labels are shown in the UI; codes are stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Code:
    """An enumerated code with its Korean and English labels."""

    code: str
    ko: str
    en: str


@dataclass(frozen=True, slots=True)
class CrisisSource:
    """A crisis-signal source (위기정보).

    ``economic`` marks the sources the legacy rule counts (it uses economic variables only).
    ``unit`` says what ``crisis_signal.value`` holds: ``krw`` (amount in arrears / cost) or
    ``event`` (1.0 when the event happened that month).
    """

    code: str
    ko: str
    en: str
    economic: bool
    unit: str


CRISIS_SOURCES: Final[tuple[CrisisSource, ...]] = (
    CrisisSource("electricity_arrears", "전기요금 체납", "electricity bill arrears", True, "krw"),
    CrisisSource("water_arrears", "수도요금 체납", "water bill arrears", True, "krw"),
    CrisisSource("gas_arrears", "가스요금 체납", "gas bill arrears", True, "krw"),
    CrisisSource("utility_cutoff", "단전·단수·단가스", "utility cut-off", True, "event"),
    CrisisSource("health_insurance_arrears", "건강보험료 체납", "health-insurance arrears", True, "krw"),
    CrisisSource("pension_arrears", "국민연금 체납", "national-pension arrears", True, "krw"),
    CrisisSource("telecom_arrears", "통신비 체납", "telecom bill arrears", True, "krw"),
    CrisisSource("rent_arrears", "임대료·관리비 체납", "rent / management-fee arrears", True, "krw"),
    CrisisSource("financial_delinquency", "금융 연체", "financial delinquency", True, "krw"),
    CrisisSource("catastrophic_medical", "재난적 의료비", "catastrophic medical cost", False, "krw"),
    CrisisSource("job_loss", "실직·폐업", "job loss or business closure", False, "event"),
    CrisisSource("disaster_damage", "재난 피해", "disaster damage", False, "event"),
)
CRISIS_SOURCE_CODES: Final[tuple[str, ...]] = tuple(s.code for s in CRISIS_SOURCES)

SAFETY_NET_CHANNELS: Final[tuple[Code, ...]] = (
    Code("personal_network", "인적안전망 신고", "report by the personal safety net"),
    Code("support_center", "지역 지원센터 상담", "local support-centre consultation"),
    Code("municipal_watch", "지자체 중점관리", "municipal priority watch"),
    Code("membership_unapplied", "복지멤버십 미신청", "welfare membership not applied for"),
    Code("bokjiro_request", "복지로 도움 요청", "help request on Bokjiro"),
)

HOUSEHOLD_TYPES: Final[tuple[Code, ...]] = (
    Code("single_elderly", "독거 노인", "older person living alone"),
    Code("single_middle", "중장년 1인", "single adult aged 40-64"),
    Code("single_young", "청년 1인", "single adult under 40"),
    Code("elderly_couple", "노인 부부", "older couple"),
    Code("single_parent", "한부모", "single parent with children"),
    Code("couple_children", "부부와 자녀", "couple with children"),
    Code("couple", "부부", "couple without children"),
    Code("other", "기타", "other household"),
)

HOUSING_TYPES: Final[tuple[Code, ...]] = (
    Code("apartment", "아파트", "apartment"),
    Code("detached", "단독주택", "detached house"),
    Code("row_house", "연립·다세대", "row house / multi-unit"),
    Code("officetel", "오피스텔", "officetel"),
    Code("gosiwon", "고시원(비주택)", "gosiwon (non-housing)"),
    Code("jjokbang", "쪽방(비주택)", "jjokbang room (non-housing)"),
    Code("vinyl_house", "비닐하우스(비주택)", "vinyl greenhouse (non-housing)"),
    Code("container", "컨테이너(비주택)", "container (non-housing)"),
)
NON_HOUSING_TYPES: Final[frozenset[str]] = frozenset({"gosiwon", "jjokbang", "vinyl_house", "container"})

TENURES: Final[tuple[Code, ...]] = (
    Code("owner", "자가", "owner-occupied"),
    Code("jeonse", "전세", "jeonse deposit lease"),
    Code("monthly_rent", "월세", "monthly rent"),
    Code("public_rental", "공공임대", "public rental"),
    Code("free", "무상", "rent-free"),
)

VISIT_OUTCOMES: Final[tuple[Code, ...]] = (
    Code("supported", "지원 연계", "linked to support"),
    Code("not_eligible", "비대상", "not eligible / no need"),
    Code("unreachable", "연락 불가", "could not be reached"),
)

ACTIVITY_KINDS: Final[tuple[Code, ...]] = (
    Code("consultation", "상담", "consultation"),
    Code("visit", "방문", "home visit"),
    Code("application", "신청", "application"),
    Code("follow_up", "사후관리", "follow-up"),
)

ACTIVITY_OUTCOMES: Final[tuple[Code, ...]] = (
    Code("public_support", "공적지원 연계", "linked to public support"),
    Code("private_support", "민간자원 연계", "linked to private resources"),
    Code("emergency_support", "긴급지원", "emergency support"),
    Code("service_referral", "서비스 의뢰", "referred to a service"),
    Code("no_need", "지원 불필요", "no need found"),
    Code("refused", "지원 거부", "support refused"),
    Code("unreachable", "연락 불가", "could not be reached"),
    Code("in_progress", "진행 중", "in progress"),
)

OVERRIDE_REASONS: Final[tuple[Code, ...]] = (
    Code("field_observation", "현장 확인 결과", "field observation"),
    Code("already_supported", "이미 지원 중", "already receiving support"),
    Code("data_error", "자료 오류", "data error"),
    Code("urgent_report", "긴급 신고 접수", "urgent report received"),
    Code("moved_out", "전출·거주 불명", "moved out / whereabouts unknown"),
)

ROLES: Final[tuple[Code, ...]] = (
    Code("outreach", "맞춤형복지팀(읍면동)", "outreach worker"),
    Code("planner", "시군구 기획", "municipal planner"),
    Code("ministry", "보건복지부", "ministry policy staff"),
    Code("admin", "관리자", "administrator"),
    Code("provider", "시설 담당자", "provider staff"),
)

URBAN_CLASSES: Final[tuple[Code, ...]] = (
    Code("대도시", "대도시", "large city"),
    Code("중소도시", "중소도시", "small or medium city"),
    Code("농어촌", "농어촌", "rural"),
)

TIERS: Final[tuple[Code, ...]] = (
    Code("1", "긴급", "urgent"),
    Code("2", "우선", "priority"),
    Code("3", "관찰", "watch"),
    Code("4", "일반", "routine"),
)

#: Facility ``target_group`` codes (reference facility types).
FACILITY_TARGET_GROUPS: Final[tuple[Code, ...]] = (
    Code("elderly", "노인", "Older people"),
    Code("disabled", "장애인", "People with disabilities"),
    Code("children", "아동", "Children"),
    Code("women_family", "한부모·여성·가족", "Single parents, women, families"),
    Code("homeless", "노숙인", "Homeless people"),
    Code("mental_health", "정신건강", "Mental health"),
    Code("community", "지역사회", "Community"),
    Code("low_income", "저소득·자활", "Low income, self-support"),
)

#: Facility ``function`` codes (what a facility does).
FACILITY_FUNCTIONS: Final[tuple[Code, ...]] = (
    Code("residential", "생활(거주)", "Residential"),
    Code("medical_care", "의료·요양", "Medical and nursing care"),
    Code("leisure", "여가", "Leisure"),
    Code("home_care", "재가(방문)", "Home care"),
    Code("day_care", "주간·단기보호", "Day and short-stay care"),
    Code("protection", "보호·쉼터", "Protection and shelter"),
    Code("employment", "직업·일자리", "Employment"),
    Code("community_service", "지역사회서비스", "Community services"),
    Code("counselling", "상담", "Counselling"),
)


def labels(vocabulary: tuple[Code, ...]) -> dict[str, tuple[str, str]]:
    """``{code: (Korean label, English label)}`` of a vocabulary, in order."""
    return {v.code: (v.ko, v.en) for v in vocabulary}


def codes(vocabulary: tuple[Code, ...] | tuple[CrisisSource, ...]) -> tuple[str, ...]:
    """Return the codes of a vocabulary in order."""
    return tuple(v.code for v in vocabulary)


def label(vocabulary: tuple[Code, ...] | tuple[CrisisSource, ...], code: str, *, lang: str = "ko") -> str:
    """Return the label of ``code`` in ``lang`` ('ko' or 'en'); the code itself if unknown."""
    for v in vocabulary:
        if v.code == code:
            return v.ko if lang == "ko" else v.en
    return code
