"""Korean (default) and English strings of the app shell and pages.

Use :func:`t` with a key and a language code. Unknown keys fall back to Korean and then to the
key itself, so a missing translation shows up as a readable key rather than an error.
"""

from __future__ import annotations

from typing import Final

from geodata.vocabulary import FACILITY_TARGET_GROUPS, labels

LANGS: Final[tuple[str, ...]] = ("ko", "en")
DEFAULT_LANG: Final = "ko"
LANG_COOKIE: Final = "atlas_lang"

STRINGS: Final[dict[str, dict[str, str]]] = {
    "app.title": {"ko": "복지 아틀라스", "en": "Bokji Atlas"},
    "app.subtitle": {"ko": "복지사각지대 발굴 지도", "en": "Finding households in crisis"},
    "app.footer": {"ko": "합성 데이터 기반 시연용 화면입니다. 실제 개인정보가 아닙니다.",
                   "en": "Demonstration on synthetic data. No real personal data."},
    "nav.overview": {"ko": "현황", "en": "Overview"},
    "nav.risk_map": {"ko": "위험 지도", "en": "Risk map"},
    "nav.visit_list": {"ko": "발굴 대상자 목록", "en": "Visit list"},
    "nav.model_card": {"ko": "모형 카드", "en": "Model card"},
    "nav.login": {"ko": "로그인", "en": "Log in"},
    "nav.menu": {"ko": "메뉴", "en": "Menu"},
    "nav.logout": {"ko": "로그아웃", "en": "Log out"},
    "nav.lang": {"ko": "English", "en": "한국어"},
    "role.public": {"ko": "국민(비로그인)", "en": "Resident (not logged in)"},
    # login
    "login.title": {"ko": "로그인", "en": "Log in"},
    "login.username": {"ko": "아이디", "en": "Username"},
    "login.password": {"ko": "비밀번호", "en": "Password"},
    "login.submit": {"ko": "로그인", "en": "Log in"},
    "login.failed": {"ko": "아이디 또는 비밀번호가 올바르지 않습니다.",
                     "en": "Wrong username or password."},
    "login.locked": {"ko": "로그인 실패가 너무 많아 잠시 잠겼습니다. {minutes}분 후에 다시 시도해 주세요.",
                     "en": "Too many failed logins: login is locked. Try again in {minutes} minutes."},
    "login.csrf": {"ko": "보안 확인에 실패했습니다. 다시 시도해 주세요.",
                   "en": "Security check failed. Please try again."},
    "login.public_note": {"ko": "국민(주민)은 로그인 없이 공개 화면을 이용할 수 있습니다.",
                          "en": "Residents can use the public pages without logging in."},
    # access
    "access.login_needed": {"ko": "이 화면은 로그인이 필요합니다.",
                            "en": "Please log in to see this page."},
    "access.denied": {"ko": "권한이 없습니다: 이 화면은 관할 읍면동 담당자와 관리자만 볼 수 있습니다.",
                      "en": "Not allowed: only outreach workers of the area and administrators "
                            "can see this."},
    "access.aggregate_only": {"ko": "집계 정보만 볼 수 있는 역할입니다.",
                              "en": "Your role sees aggregates only."},
    "error.generic": {"ko": "요청을 처리하지 못했습니다", "en": "The request failed"},
    "error.db_title": {"ko": "데이터베이스에 연결할 수 없습니다", "en": "The database is unavailable"},
    "error.db_body": {"ko": "지금은 자료를 불러올 수 없습니다. 잠시 후 다시 시도해 주세요. "
                            "문제가 계속되면 시스템 관리자에게 알려 주세요.",
                      "en": "Data cannot be loaded right now. Please try again in a moment; "
                            "if this persists, tell your system administrator."},
    "error.callback": {"ko": "요청을 처리하지 못했습니다. 입력값을 확인하고 다시 시도해 주세요.",
                       "en": "The request could not be processed. Check your entries and try again."},
    "error.no_data": {"ko": "자료가 아직 없습니다. `atlas demo`로 시연 자료를 만드세요.",
                      "en": "No data yet. Run `atlas demo` to build the demo world."},
    # overview
    "overview.title": {"ko": "발굴 현황", "en": "Overview"},
    "overview.scope_national": {"ko": "전국", "en": "Nationwide"},
    "overview.households": {"ko": "분석 가구", "en": "Households scored"},
    "overview.tier": {"ko": "{tier} 등급 가구", "en": "{tier} tier households"},
    "overview.visits_month": {"ko": "이번 달 방문", "en": "Visits this month"},
    "overview.link_rate": {"ko": "지원 연계율", "en": "Support-link rate"},
    "overview.discovery_rate": {"ko": "최근 발굴 지원율", "en": "Latest cycle support rate"},
    "overview.trend": {"ko": "발굴 주기별 결과", "en": "Discovery outcomes by cycle"},
    "overview.tiers": {"ko": "등급별 가구 수", "en": "Households per tier"},
    "overview.suppressed": {"ko": "5 미만 비공개", "en": "<5 suppressed"},
    "overview.cycle": {"ko": "발굴 주기", "en": "Discovery cycle"},
    "overview.count": {"ko": "가구 수", "en": "Households"},
    # risk map
    "map.title": {"ko": "위기가구 위험 지도", "en": "Risk map"},
    "map.colour_by": {"ko": "지도 색상", "en": "Colour by"},
    "map.share": {"ko": "고위험(긴급·우선) 가구 비율", "en": "Share of high-tier households"},
    "map.count": {"ko": "고위험 가구 수", "en": "High-tier households"},
    "map.hotspot": {"ko": "핫스팟 (Gi*)", "en": "Hotspots (Gi*)"},
    "map.moran": {"ko": "군집·이상치 (Local Moran's I)", "en": "Clusters (local Moran's I)"},
    "map.layers": {"ko": "레이어", "en": "Layers"},
    "map.points": {"ko": "가구 위치(관할 읍면동)", "en": "Households (own area)"},
    "map.labels": {"ko": "지역 이름", "en": "Region names"},
    "map.back": {"ko": "← 전국 시군구로", "en": "← Back to all 시군구"},
    "map.region": {"ko": "시군구 선택", "en": "Choose a 시군구"},
    "map.national": {"ko": "전국 시군구", "en": "All 시군구"},
    "map.click_hint": {"ko": "시군구를 누르면 읍면동으로 들어갑니다.",
                       "en": "Click a 시군구 to see its 읍면동."},
    "map.suppressed": {"ko": "비공개(5가구 미만)", "en": "Suppressed (<5)"},
    "map.points_denied": {"ko": "가구 위치는 관할 읍면동 담당자에게만 표시됩니다.",
                          "en": "Household points are shown to the area's outreach workers only."},
    "map.hotspot_note": {"ko": "순열검정 999회, 유의수준 5%", "en": "999 permutations, 5% level"},
    "map.hotspot_none": {"ko": "지역 수가 적어 핫스팟을 계산할 수 없습니다.",
                         "en": "Too few regions for hotspot statistics."},
    "map.households": {"ko": "가구", "en": "households"},
    "map.table": {"ko": "지역별 집계", "en": "Regions"},
    "map.region_col": {"ko": "지역", "en": "Region"},
    "map.table_top": {"ko": "고위험 비율 상위 {n}개 지역 (전체 {total}개 중)",
                      "en": "Top {n} of {total} regions by high-tier share"},
    # visit list
    "visits.title": {"ko": "발굴 대상자 목록", "en": "Visit list"},
    "visits.tier": {"ko": "등급", "en": "Tier"},
    "visits.household_type": {"ko": "가구 유형", "en": "Household type"},
    "visits.crisis_source": {"ko": "위기 정보", "en": "Crisis signal"},
    "visits.not_visited": {"ko": "미방문 기간(일)", "en": "Not visited in (days)"},
    "visits.limit": {"ko": "표시 가구 수", "en": "Rows"},
    "visits.overridden": {"ko": "등급 조정", "en": "Overridden"},
    "visits.all": {"ko": "전체", "en": "All"},
    "visits.filters": {"ko": "필터", "en": "Filters"},
    "visits.filters_none": {"ko": "조건 없음", "en": "none"},
    "visits.filter_days": {"ko": "{days}일 이상 미방문", "en": "not visited in {days} days"},
    "visits.filter_rows": {"ko": "{n}가구까지", "en": "up to {n}"},
    "visits.only_overridden": {"ko": "조정된 가구만", "en": "Overridden only"},
    "visits.not_overridden": {"ko": "조정 안 된 가구", "en": "Not overridden"},
    "visits.export_xlsx": {"ko": "엑셀 내려받기", "en": "Download Excel"},
    "visits.export_csv": {"ko": "CSV 내려받기", "en": "Download CSV"},
    "visits.route": {"ko": "선택 가구 방문 순서", "en": "Route for selected"},
    "visits.route_hint": {"ko": "목록에서 가구를 선택한 뒤 방문 순서를 계산하세요.",
                          "en": "Select households in the list, then plan the route."},
    "visits.office": {"ko": "사무소", "en": "Office"},
    "visits.count": {"ko": "{n}가구", "en": "{n} households"},
    "visits.open": {"ko": "열기", "en": "Open"},
    "visits.total": {"ko": "총 이동거리 {km:.1f} km (직선)", "en": "Total {km:.1f} km (straight line)"},
    "col.rank": {"ko": "순위", "en": "Rank"},
    "col.household_id": {"ko": "가구번호", "en": "Household"},
    "col.name_masked": {"ko": "세대주", "en": "Head"},
    "col.tier_label": {"ko": "등급", "en": "Tier"},
    "col.probability": {"ko": "위기확률", "en": "Probability"},
    "col.household_type_label": {"ko": "가구유형", "en": "Type"},
    "col.reasons": {"ko": "주요 사유", "en": "Top reasons"},
    "col.last_visit": {"ko": "최근 방문", "en": "Last visit"},
    "col.link": {"ko": "상세", "en": "Case"},
    "col.visit_order": {"ko": "순서", "en": "Order"},
    "col.leg_m": {"ko": "구간(m)", "en": "Leg (m)"},
    # case
    "case.title": {"ko": "가구 상세", "en": "Case detail"},
    "case.household": {"ko": "가구 정보", "en": "Household"},
    "case.members": {"ko": "가구원", "en": "Members"},
    "case.score": {"ko": "위기 점수", "en": "Risk score"},
    "case.reasons": {"ko": "주요 사유", "en": "Reasons"},
    "case.histories": {"ko": "이력", "en": "Histories"},
    "case.benefit_history": {"ko": "수혜 이력", "en": "Benefits"},
    "case.discovery_history": {"ko": "발굴 이력", "en": "Discovery"},
    "case.consultation": {"ko": "상담 이력", "en": "Consultations"},
    "case.support": {"ko": "지원 이력", "en": "Support"},
    "case.activities": {"ko": "활동 기록", "en": "Activity log"},
    "case.add_activity": {"ko": "활동 추가", "en": "Add activity"},
    "case.kind": {"ko": "유형", "en": "Kind"},
    "case.date": {"ko": "날짜", "en": "Date"},
    "case.outcome": {"ko": "결과", "en": "Outcome"},
    "case.note": {"ko": "메모", "en": "Note"},
    "case.save": {"ko": "저장", "en": "Save"},
    "case.saved": {"ko": "저장했습니다.", "en": "Saved."},
    "case.override": {"ko": "등급 조정", "en": "Tier override"},
    "case.override_reason": {"ko": "조정 사유", "en": "Reason"},
    "case.override_save": {"ko": "등급 조정 저장", "en": "Save override"},
    "case.overridden": {"ko": "조정됨: {tier} ({reason})", "en": "Overridden: {tier} ({reason})"},
    "case.facilities": {"ko": "가까운 이용 가능 시설(여유 정원)", "en": "Nearest facilities with free places"},
    "case.no_rows": {"ko": "기록 없음", "en": "None"},
    "case.model_tier": {"ko": "모형 등급", "en": "Model tier"},
    "case.probability": {"ko": "위기확률", "en": "Probability"},
    "case.rank": {"ko": "관할 내 순위", "en": "Rank in area"},
    "case.back": {"ko": "← 목록으로", "en": "← Back to list"},
    "case.masked_note": {"ko": "이름과 주민등록번호는 마스킹되어 표시됩니다. 열람 기록이 남습니다.",
                         "en": "Names and ID numbers are masked. This view is logged."},
    # model card
    "card.title": {"ko": "모형 카드", "en": "Model card"},
    "card.missing": {"ko": "모형 카드가 아직 만들어지지 않았습니다. 다음 명령으로 만드세요:",
                     "en": "The model card has not been generated yet. Generate it with:"},
    # supply and demand, site suitability and nearby facilities
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
    # eligibility: 모의계산, the case panel, reform impact
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
    "vl.repeat_unhelped": {"ko": "2회 이상 발굴되었지만 지원받은 적 없는 가구만",
                           "en": "Only flagged 2+ times, never supported"},
    "col.times_flagged": {"ko": "발굴 횟수", "en": "Times flagged"},
    "col.visited_not_helped": {"ko": "방문·미지원", "en": "Visited, not helped"},
    "case.repeat_flags": {"ko": "발굴 {flagged}회 · 방문했으나 미지원 {unhelped}회",
                          "en": "Flagged {flagged} times · visited, not helped {unhelped} times"},
    "case.override_until": {"ko": "{date}까지 (새 점수 산정 시 종료)",
                            "en": "until {date} (or new scores)"},
    "case.over_capacity": {"ko": "이 등급은 조정된 가구가 방문 역량보다 많습니다.",
                           "en": "This tier holds more overridden households than the team's "
                                 "visit capacity."},
    "case.repeat_warning": {"ko": "반복 발굴: 지원받은 적 없이 {flagged}회 발굴되었습니다.",
                            "en": "Repeatedly flagged: {flagged} times, never supported."},
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
    # simulation (지자체별 시뮬레이션)
    "sim.title": {"ko": "발굴 기준 시뮬레이션", "en": "Discovery-criteria simulation"},
    "sim.intro": {"ko": "발굴 기준(신호, 기준값, 대상, 팀별 방문 역량)을 바꾸면 등급 이동, 지역별 변화, 필요한 "
                        "방문 수와 표본조사 기준 정밀도 변화를 바로 보여 줍니다. 집계만 표시하며 5가구 미만은 비공개입니다.",
                  "en": "Change the discovery criteria (signals, thresholds, target group, team "
                        "capacity) and see the tier moves, where they happen, the visits needed and "
                        "the expected change in precision on the audit sample. Aggregates only; "
                        "cells under 5 households are suppressed."},
    "sim.scope": {"ko": "범위", "en": "Scope"},
    "sim.national": {"ko": "전국", "en": "Nationwide"},
    "sim.signals": {"ko": "신호 기준", "en": "Signal criteria"},
    "sim.mode.off": {"ko": "사용 안 함", "en": "Off"},
    "sim.mode.boost": {"ko": "가중", "en": "Boost"},
    "sim.mode.include": {"ko": "포함(필수 방문)", "en": "Include (must visit)"},
    "sim.weight": {"ko": "가중치(로짓)", "en": "Weight (log-odds)"},
    "sim.cap": {"ko": "금융연체 한도(원)", "en": "Financial-delinquency cap (KRW)"},
    "sim.age65": {"ko": "65세 이상 가구원이 있는 가구만", "en": "Only households with a member aged 65+"},
    "sim.team": {"ko": "모든 팀 방문 역량(주기당, 비우면 45)", "en": "Every team's visits per cycle (blank: 45)"},
    "sim.codes": {"ko": "팀별 방문 역량 (읍면동코드=건수, 쉼표로 구분)",
                  "en": "Capacity per team (emd code=visits, comma-separated)"},
    "sim.run": {"ko": "시뮬레이션 실행", "en": "Run simulation"},
    "sim.hint": {"ko": "기준을 고르고 [시뮬레이션 실행]을 누르세요.", "en": "Choose criteria and press Run."},
    "sim.households": {"ko": "대상 가구", "en": "Households"},
    "sim.moved": {"ko": "등급이 바뀌는 가구", "en": "Households changing tier"},
    "sim.visits": {"ko": "이번 주기 방문 (현행 → 시나리오)", "en": "Visits this cycle (current → scenario)"},
    "sim.teams_over": {"ko": "역량 초과 팀", "en": "Teams over capacity"},
    "sim.matrix": {"ko": "등급 이동 (행: 현행, 열: 시나리오)", "en": "Tier moves (rows: current, columns: scenario)"},
    "sim.tier_row": {"ko": "현행 {tier}등급", "en": "Current tier {tier}"},
    "sim.tier_col": {"ko": "→ {tier}등급", "en": "→ tier {tier}"},
    "sim.map": {"ko": "지역별 1–2등급 순유입 가구", "en": "Net households moving into tiers 1–2"},
    "sim.teams": {"ko": "팀별 방문 수와 역량 (초과 우선)", "en": "Visits per team against capacity (over capacity first)"},
    "sim.col.team": {"ko": "읍면동 팀", "en": "Team"},
    "sim.col.capacity": {"ko": "역량", "en": "Capacity"},
    "sim.col.current": {"ko": "현행 방문", "en": "Current visits"},
    "sim.col.scenario": {"ko": "시나리오 방문", "en": "Scenario visits"},
    "sim.col.over": {"ko": "초과", "en": "Over"},
    "sim.precision": {"ko": "표본조사 기준 역량 내 정밀도 (설계가중, 95% 구간)",
                      "en": "Precision at capacity on the audit sample (design-weighted, 95% interval)"},
    "sim.precision_line": {"ko": "현행 {current} → 시나리오 {scenario} · 차이 {difference} · 유효 표본 {n_eff}행 / {rows}행",
                           "en": "current {current} → scenario {scenario} · difference {difference} · effective rows {n_eff} of {rows}"},
    "sim.note.no_artifact": {"ko": "학습된 모형 파일이 없어 정밀도를 추정하지 않았습니다.",
                             "en": "No trained model artefact: precision not estimated."},
    "sim.note.no_audit_rows": {"ko": "모형에 표본조사 평가 행이 없어 정밀도를 추정하지 않았습니다.",
                               "en": "The model has no audit-sample test rows: precision not estimated."},
    "sim.note.too_few_audit_rows": {"ko": "이 범위의 표본조사 행이 너무 적어 정밀도를 공개하지 않습니다.",
                                    "en": "Too few audit-sample rows in this scope: precision not shown."},
    "sim.note.no_supported_rows": {"ko": "이 범위의 표본조사에 지원 연계 사례가 없어 정밀도를 추정할 수 없습니다.",
                                   "en": "No supported outcome among the scope's audit rows: no estimate."},
    "sim.save_title": {"ko": "시나리오 저장·비교", "en": "Save and compare scenarios"},
    "sim.name": {"ko": "시나리오 이름", "en": "Scenario name"},
    "sim.save": {"ko": "저장", "en": "Save"},
    "sim.saved_ok": {"ko": "저장했습니다: {name}", "en": "Saved: {name}"},
    "sim.saved": {"ko": "저장된 시나리오 (2~4개 선택)", "en": "Saved scenarios (choose 2 to 4)"},
    "sim.saved_label": {"ko": "{name} · {owner} · {scope} · {date}", "en": "{name} · {owner} · {scope} · {date}"},
    "sim.compare": {"ko": "나란히 비교", "en": "Compare side by side"},
    "sim.cmp.metric": {"ko": "항목", "en": "Measure"},
    "sim.cmp.precision": {"ko": "시나리오 정밀도 [95%]", "en": "Scenario precision [95%]"},
    "sim.cmp.difference": {"ko": "정밀도 차이 [95%]", "en": "Precision difference [95%]"},
    "sim.denied": {"ko": "이 화면은 시군구 기획 담당, 보건복지부, 관리자만 볼 수 있습니다.",
                   "en": "Only planners, ministry staff and administrators can see this page."},
    "sim.simplified": {"ko": "간이 모의: 현재 모형 확률에 기준을 더해 순위를 다시 매기며, 모형을 다시 학습하지 않습니다. "
                             "고립 위험은 50세 이상 1인 가구로 근사합니다.",
                       "en": "A simplified simulation: criteria re-rank the current model's "
                             "probabilities; the model is not retrained. Isolation risk is "
                             "approximated by one-person households whose head is 50 or older."},
}


#: Column headers of record tables (case page): code -> (ko, en). Id columns are not shown.
COLUMN_LABELS: Final[dict[str, tuple[str, str]]] = {
    "programme": ("프로그램", "Programme"), "start_date": ("시작일", "Start"),
    "end_date": ("종료일", "End"), "cycle_date": ("발굴 주기", "Cycle"),
    "selection": ("선정 방식", "Selection"), "legacy_signal_count": ("기존 규칙 신호 수", "Legacy signals"),
    "outcome": ("결과", "Outcome"), "outcome_date": ("결과일", "Outcome date"),
    "consulted_on": ("상담일", "Date"), "channel": ("경로", "Channel"), "topic": ("주제", "Topic"),
    "supported_on": ("지원일", "Date"), "kind": ("구분", "Kind"), "amount_krw": ("금액(원)", "Amount (KRW)"),
    "name": ("이름", "Name"), "rrn_masked": ("주민등록번호", "ID number"),
    "birth_year": ("출생연도", "Born"), "sex": ("성별", "Sex"), "disability": ("장애", "Disability"),
    "relation": ("관계", "Relation"), "type_name": ("시설 유형", "Type"),
    "target_group": ("대상", "Target group"), "capacity": ("정원", "Capacity"),
    "current_users": ("현원", "Users"), "free_places": ("여유", "Free places"),
    "distance_m": ("거리(m)", "Distance (m)"), "address": ("주소", "Address"),
}


#: Labels of small coded values in record tables: (column, code) -> (ko, en).
VALUE_LABELS: Final[dict[str, dict[str, tuple[str, str]]]] = {
    "sex": {"M": ("남", "male"), "F": ("여", "female")},
    "disability": {"none": ("없음", "none"), "mild": ("경증", "mild"), "severe": ("중증", "severe")},
    "relation": {"head": ("세대주", "head"), "spouse": ("배우자", "spouse"),
                 "child": ("자녀", "child"), "parent": ("부모", "parent"), "other": ("기타", "other")},
    "target_group": labels(FACILITY_TARGET_GROUPS),
}


def label_values(frame: object, lang: str) -> object:
    """``frame`` (a DataFrame) with coded values of :data:`VALUE_LABELS` columns labelled."""
    index = 0 if lang == "ko" else 1
    out = frame.copy()  # type: ignore[attr-defined]
    for col, mapping in VALUE_LABELS.items():
        if col in out.columns:
            out[col] = out[col].map(lambda v, m=mapping: m[v][index] if v in m else v)
    return out


def label_columns(columns: list[str], lang: str) -> dict[str, str]:
    """``{column: header}`` for the known, non-id columns of a record table."""
    index = 0 if lang == "ko" else 1
    return {c: COLUMN_LABELS[c][index] for c in columns
            if c in COLUMN_LABELS and not c.endswith("_id")}


def t(key: str, lang: str = DEFAULT_LANG, **values: object) -> str:
    """Translate ``key`` into ``lang`` and format it with ``values``.

    Examples
    --------
    >>> t("nav.overview", "en")
    'Overview'
    >>> t("visits.count", "ko", n=3)
    '3가구'
    """
    entry = STRINGS.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry[DEFAULT_LANG]
    return text.format(**values) if values else text


def normalise_lang(value: object) -> str:
    """Return a supported language code (``'ko'`` for anything unknown)."""
    return value if value in LANGS else DEFAULT_LANG  # type: ignore[return-value]
