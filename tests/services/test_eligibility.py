"""Eligibility service: case panel data, the blind-spot flag, the visit-list hook, the public
calculator and the reform view (access, audit and small-cell suppression)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from domain.access import Viewer
from domain.errors import AccessDenied
from services.eligibility import (
    EligibilityInputError,
    case_eligibility,
    likely_unserved,
    mock_calculation,
    receiving,
    reform_impact,
)
from tests.fixtures_world import (
    OTHER_EMD,
    OUTREACH_EMD,
    PLANNER_SIGUNGU,
    SMALL_EMD,
    World,
    build_world,
)

OUTREACH = Viewer(1, "outreach", "outreach", OUTREACH_EMD, "김담당")
OUTREACH2 = Viewer(5, "outreach2", "outreach", OTHER_EMD, "최담당")
PLANNER = Viewer(2, "planner", "planner", PLANNER_SIGUNGU, "기획")
MINISTRY = Viewer(3, "ministry", "ministry", None, "복지부")
ADMIN = Viewer(4, "admin", "admin", None, "관리자")
ON = dt.date(2026, 3, 1)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("elig") / "store")


def _poorest(world: World, emd: str = OUTREACH_EMD) -> int:
    own = world.households[world.households["emd_code"] == emd]
    return int(own.sort_values("income_monthly_krw")["household_id"].iloc[0])


def test_case_panel_lists_programmes_flags_unserved_and_audits(world: World) -> None:
    hid = _poorest(world)
    got = case_eligibility(world.store, OUTREACH, hid, on=ON, purpose="home visit")
    by_code = {d.programme: d for d in got.decisions}
    assert len(by_code) == 8 and got.date == ON
    assert by_code["livelihood"].eligible  # the poorest household of the 읍면동 (income < 820,556원)
    assert "livelihood" in got.unserved  # the fixture records no 생계급여 for anyone
    assert not set(got.unserved) & got.received
    rows = world.store.audit.rows(action="view_eligibility")
    last = rows.iloc[-1]
    assert last["object_id"] == str(hid) and last["purpose"] == "home visit" and last["allowed"]
    assert "livelihood" in last["detail"]


def test_a_running_benefit_is_not_flagged(world: World) -> None:
    own = world.households[world.households["emd_code"] == OUTREACH_EMD]
    benefits = world.store.read_frame("benefit_history")
    for hid in own["household_id"]:
        if hid in set(benefits["household_id"]):
            got = case_eligibility(world.store, OUTREACH, int(hid), on=ON)
            assert "basic_pension" in got.received
            assert "basic_pension" not in got.unserved
            return
    pytest.fail("fixture has no benefit in the outreach 읍면동")


def test_case_panel_refuses_other_teams_and_aggregate_roles(world: World) -> None:
    hid = _poorest(world)
    for viewer in (OUTREACH2, PLANNER, MINISTRY):
        with pytest.raises(AccessDenied):
            case_eligibility(world.store, viewer, hid, on=ON)
    refused = world.store.audit.rows(action="view_eligibility")
    assert (~refused["allowed"].astype(bool)).sum() >= 3


def test_a_date_without_rules_is_an_input_error(world: World) -> None:
    with pytest.raises(EligibilityInputError, match="not known for 2019-05-01"):
        case_eligibility(world.store, OUTREACH, _poorest(world), on=dt.date(2019, 5, 1))


def test_visit_list_hook_agrees_with_the_case_panel(world: World) -> None:
    flagged = likely_unserved(world.store, OUTREACH, on=ON)
    own = set(world.households.loc[world.households["emd_code"] == OUTREACH_EMD, "household_id"])
    assert len(flagged) > 0 and set(flagged["household_id"]) <= own
    for row in flagged.head(5).itertuples():
        case = case_eligibility(world.store, OUTREACH, int(row.household_id), on=ON)
        assert sorted(case.unserved) == sorted(row.unserved.split(","))
        assert row.n_unserved == len(case.unserved)
    unflagged = sorted(own - set(flagged["household_id"]))[:3]
    for hid in unflagged:
        assert case_eligibility(world.store, OUTREACH, int(hid), on=ON).unserved == ()
    assert len(world.store.audit.rows(action="view_eligibility_list")) >= 1
    with pytest.raises(AccessDenied):
        likely_unserved(world.store, PLANNER, on=ON)


def test_receiving_respects_start_and_end_dates() -> None:
    benefits = pd.DataFrame({
        "household_id": [1, 2, 3, 4],
        "programme": ["기초연금", "기초연금", "기초생활보장 생계급여", "긴급복지 생계지원"],
        "start_date": pd.to_datetime(["2026-03-01", "2026-03-02", "2020-01-01", "2020-01-01"]),
        "end_date": pd.to_datetime(["2026-03-01", None, "2026-02-28", None]),
    })
    got = receiving(benefits, ON)
    assert got.to_dict("records") == [{"household_id": 1, "programme": "basic_pension"}]


def test_public_calculation_needs_no_store() -> None:
    got = mock_calculation({"size": "1", "region": "sejong", "head_age": "70", "other_income": "0"}, today=ON)
    assert got.ok and next(d for d in got.decisions if d.programme == "basic_pension").monthly_amount == 349_700


def test_reform_view_national_for_ministry(world: World) -> None:
    impact = reform_impact(world.store, MINISTRY, on=ON)
    assert impact.households == len(world.households)
    assert set(impact.by_region.index) == set(world.households["sigungu_code"])
    assert set(impact.programmes.index) >= {"livelihood", "near_poor", "basic_pension"}
    # 기초생활 uses type 1 = current rules: no change in its recipients
    assert impact.programmes.loc["livelihood", "recipients_change"] == 0
    shown = impact.by_region.dropna(subset=["households"])
    assert (shown["gainers"] + shown["losers"] <= shown["households"]).all()
    assert len(world.store.audit.rows(action="view_reform")) >= 1


def test_reform_view_for_a_planner_is_their_sigungu_by_emd_with_small_cells_hidden(world: World) -> None:
    impact = reform_impact(world.store, PLANNER, on=ON)
    assert all(code.startswith(PLANNER_SIGUNGU) for code in impact.by_region.index)
    assert np.isnan(impact.by_region.loc[SMALL_EMD, "households"])  # 3 households: suppressed
    assert impact.by_region.loc[SMALL_EMD, "suppressed"]
    assert impact.by_region.loc[OUTREACH_EMD, "households"] == 120
    admin = reform_impact(world.store, ADMIN, on=ON)
    assert admin.by_region.loc[PLANNER_SIGUNGU, "households"] > 0


def test_reform_view_refuses_outreach_and_unknown_reforms(world: World) -> None:
    with pytest.raises(AccessDenied):
        reform_impact(world.store, OUTREACH, on=ON)
    refused = world.store.audit.rows(action="view_reform")
    assert not refused["allowed"].astype(bool).all()
    with pytest.raises(EligibilityInputError, match="does not exist"):
        reform_impact(world.store, MINISTRY, reform="no_such_reform", on=ON)


def test_the_visit_list_filters_on_likely_unserved(world: World) -> None:
    from services.visit_list import VisitFilters, ranked_visits

    flagged = set(likely_unserved(world.store, OUTREACH)["household_id"])
    shown = ranked_visits(world.store, OUTREACH, VisitFilters(likely_unserved=True, limit=500))
    everyone = ranked_visits(world.store, OUTREACH, VisitFilters(limit=500))
    assert 0 < len(shown) < len(everyone)
    assert set(shown["household_id"]) == flagged & set(everyone["household_id"])
    assert shown["rank"].is_monotonic_increasing
