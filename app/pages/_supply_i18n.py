"""Korean (default) and English strings of the supply/demand, site and nearby pages.

``app/i18n.py`` belongs to the shell and offers no extension hook, so these pages keep their
strings here and look them up with :func:`tr`, which falls back to the shell's :func:`app.i18n.t`
for shared keys (``error.generic`` …).
"""

from __future__ import annotations

from typing import Final

from app.i18n import DEFAULT_LANG, t

STRINGS: Final[dict[str, dict[str, str]]] = {
    # navigation
    "nav.supply": {"ko": "수급 분석", "en": "Supply and demand"},
    "nav.site": {"ko": "입지 분석", "en": "Site suitability"},
    "nav.nearby": {"ko": "가까운 시설 찾기", "en": "Nearby facilities"},
    # shared
    "common.group": {"ko": "대상 집단", "en": "Target group"},
    "common.level": {"ko": "지역 단위", "en": "Level"},
    "common.sigungu": {"ko": "시군구", "en": "시군구 (district)"},
    "common.emd": {"ko": "읍면동", "en": "읍면동 (neighbourhood)"},
    "common.region": {"ko": "지역", "en": "Region"},
    "common.all_regions": {"ko": "전국", "en": "Nationwide"},
    "common.suppressed": {"ko": "비공개", "en": "suppressed"},
    "common.km": {"ko": "{km:g} km", "en": "{km:g} km"},
    "common.no_rows": {"ko": "표시할 자료가 없습니다.", "en": "Nothing to show."},
    # supply and demand
    "sd.title": {"ko": "수급 분석: 공급과 수요", "en": "Supply and demand"},
    "sd.parent": {"ko": "범위(시도·시군구)", "en": "Area (시도 or 시군구)"},
    "sd.catchment": {"ko": "서비스 권역", "en": "Catchment"},
    "sd.map": {"ko": "접근성 등급(E2SFCA)", "en": "Accessibility class (E2SFCA)"},
    "sd.note": {"ko": "E2SFCA 접근성(단계 감쇠 1.0·0.68·0.22)을 전국 중앙값과 비교해 "
                      "등급을 정했습니다(부트스트랩 95%). 5가구 미만 지역은 비공개입니다.",
                "en": "E2SFCA accessibility (step decay 1.0/0.68/0.22) compared with the national "
                      "median (95% bootstrap). Regions with fewer than 5 households are "
                      "suppressed."},
    "sd.table": {"ko": "지역별 수급", "en": "Supply and demand by region"},
    "sd.mismatch": {"ko": "기능별 수급 불일치 (지역 × 대상 × 기능)",
                    "en": "Mismatch by region × target group × function"},
    "sd.mismatch_note": {"ko": "인구 100명당 정원을 전국 평균과 비교(0.67배 미만 부족, 1.5배 "
                               "초과 과잉).",
                         "en": "Places per 100 people against the national rate (below 0.67× "
                               "under, above 1.5× over)."},
    "sd.unmatched": {"ko": "미충족 수요: 반경 {km:g} km 안에 빈자리가 있는 적합 시설이 없는 "
                           "위기가구(긴급·우선)",
                     "en": "Unmatched needs: households in need (tiers 1-2) with no suitable "
                           "facility with free places within {km:g} km"},
    "sd.export": {"ko": "CSV 내려받기", "en": "Download CSV"},
    "sd.denied": {"ko": "이 화면은 시군구 기획 담당, 보건복지부, 관리자만 볼 수 있습니다.",
                  "en": "Only planners, ministry staff and administrators can see this page."},
    "col.region": {"ko": "지역", "en": "Region"},
    "col.households": {"ko": "수요 가구", "en": "Households"},
    "col.demand": {"ko": "수요(명)", "en": "Demand (people)"},
    "col.facilities": {"ko": "시설 수", "en": "Facilities"},
    "col.capacity": {"ko": "정원", "en": "Capacity"},
    "col.current_users": {"ko": "현원", "en": "Current users"},
    "col.free_places": {"ko": "빈자리", "en": "Free places"},
    "col.supply_in_reach": {"ko": "권역 내 정원", "en": "Places in reach"},
    "col.accessibility": {"ko": "접근성(1인당 정원)", "en": "Accessibility (places/person)"},
    "col.ratio": {"ko": "수요/공급 비", "en": "Demand/supply"},
    "col.class": {"ko": "등급", "en": "Class"},
    "col.function": {"ko": "기능", "en": "Function"},
    "col.group": {"ko": "대상", "en": "Target group"},
    "col.per_100": {"ko": "100명당 정원", "en": "Places per 100"},
    "col.national_per_100": {"ko": "전국 100명당", "en": "National per 100"},
    "col.in_need": {"ko": "위기가구", "en": "Households in need"},
    "col.unmatched": {"ko": "미충족 가구", "en": "Unmatched"},
    "col.unmatched_share": {"ko": "미충족 비율", "en": "Unmatched share"},
    "col.rank": {"ko": "순위", "en": "#"},
    "col.name": {"ko": "시설명", "en": "Facility"},
    "col.type": {"ko": "유형", "en": "Type"},
    "col.distance": {"ko": "거리", "en": "Distance"},
    "col.address": {"ko": "주소", "en": "Address"},
    "col.site": {"ko": "후보지", "en": "Site"},
    "col.kind": {"ko": "후보 종류", "en": "Candidate"},
    "col.emd": {"ko": "읍면동", "en": "읍면동"},
    "col.people_in_reach": {"ko": "새로 닿는 인원", "en": "People newly in reach"},
    "col.households_in_reach": {"ko": "새로 닿는 가구", "en": "Households newly in reach"},
    "col.lonlat": {"ko": "좌표(위도, 경도)", "en": "Lat, lon"},
    # site suitability
    "site.title": {"ko": "입지 분석: 신규 시설 최적 위치", "en": "Site suitability for new facilities"},
    "site.region": {"ko": "시군구", "en": "시군구"},
    "site.k": {"ko": "신규 시설 수 (k)", "en": "New facilities (k)"},
    "site.radius": {"ko": "서비스 반경", "en": "Service radius"},
    "site.method": {"ko": "방법", "en": "Method"},
    "site.run": {"ko": "최적 입지 계산", "en": "Find sites"},
    "site.cancel": {"ko": "취소", "en": "Cancel"},
    "site.hint": {"ko": "조건을 고르고 '최적 입지 계산'을 누르세요.",
                  "en": "Choose the inputs and press 'Find sites'."},
    "site.summary": {"ko": "수요 {people:,.0f}명 중 기존 시설 권역 {before:.1%} → 신규 {k}곳 추가 후 "
                           "{after:.1%} (+{gained:,.0f}명). 새로 닿는 가구: {households}.",
                     "en": "Of {people:,.0f} people, {before:.1%} are within reach of existing "
                           "facilities; with {k} new sites {after:.1%} (+{gained:,.0f}). "
                           "Households newly in reach: {households}."},
    "site.solver": {"ko": "풀이: {solver} · {status} · 갭 {gap:.2%} · {seconds:.2f}초 · 후보지 "
                          "{candidates}곳",
                    "en": "Solver: {solver} · {status} · gap {gap:.2%} · {seconds:.2f} s · "
                          "{candidates} candidates"},
    "site.existing": {"ko": "기존 시설", "en": "Existing facility"},
    "site.new": {"ko": "신규 후보지", "en": "New site"},
    "site.catchment": {"ko": "서비스 권역", "en": "Catchment"},
    "site.kind_region": {"ko": "읍면동 대표점", "en": "Region point"},
    "site.kind_grid": {"ko": "격자", "en": "Grid cell"},
    "site.denied_area": {"ko": "시군구 기획 담당은 관할 시군구만 분석할 수 있습니다.",
                         "en": "Planners can analyse their own 시군구 only."},
    # nearby
    "nb.title": {"ko": "가까운 복지시설 찾기", "en": "Find nearby welfare facilities"},
    "nb.intro": {"ko": "지도를 누르거나, 지역을 고르거나, 좌표를 입력하세요. 개인정보는 "
                       "사용하지 않습니다.",
                 "en": "Click the map, pick a region or type coordinates. No personal data is "
                       "used."},
    "nb.region": {"ko": "지역(시군구·읍면동)", "en": "Region (시군구 / 읍면동)"},
    "nb.coords": {"ko": "좌표 (위도, 경도)", "en": "Coordinates (lat, lon)"},
    "nb.coords_go": {"ko": "찾기", "en": "Search"},
    "nb.groups": {"ko": "대상", "en": "Target group"},
    "nb.types": {"ko": "시설 유형", "en": "Facility type"},
    "nb.free": {"ko": "빈자리 있는 시설만", "en": "Only with free places"},
    "nb.k": {"ko": "표시 개수", "en": "How many"},
    "nb.origin": {"ko": "기준 위치: {label}", "en": "Searching from: {label}"},
    "nb.pick": {"ko": "위치를 고르면 가까운 시설을 보여 드립니다.",
                "en": "Pick a place to see the nearest facilities."},
    "nb.here": {"ko": "기준 위치", "en": "Search point"},
    "nb.none": {"ko": "조건에 맞는 시설이 없습니다.", "en": "No facility matches."},
    "nb.err.bad_coordinates": {"ko": "좌표를 숫자 두 개로 입력하세요. 예: 37.5665, 126.9780",
                               "en": "Type two numbers, e.g. 37.5665, 126.9780"},
    "nb.err.outside_korea": {"ko": "대한민국 밖의 좌표입니다 (위도 32.8~38.9, 경도 124~132).",
                             "en": "Those coordinates are outside Korea (lat 32.8-38.9, "
                                   "lon 124-132)."},
    "nb.err.unknown_region": {"ko": "해당 지역을 찾을 수 없습니다.",
                              "en": "That region was not found."},
    "nb.err.no_place": {"ko": "위치를 먼저 고르세요.", "en": "Pick a place first."},
    "nb.err.bad_k": {"ko": "표시 개수는 1~50 사이여야 합니다.", "en": "Choose 1 to 50."},
}


def tr(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """Translate ``key`` (these pages' strings first, then the shell's) and format it.

    Examples
    --------
    >>> tr("nav.nearby", "en")
    'Nearby facilities'
    >>> tr("nav.overview", "ko")
    '현황'
    """
    entry = STRINGS.get(key)
    if entry is None:
        return t(key, lang, **values)
    text = entry.get(lang) or entry[DEFAULT_LANG]
    return text.format(**values) if values else text
