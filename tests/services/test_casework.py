"""Case detail, visit-activity log (validated, transactional, concurrent) and tier override."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from domain.access import Viewer
from domain.errors import AccessDenied
from geodata.schema import table
from services.casework import (
    ActivityInputError,
    add_activity,
    case_detail,
    list_activities,
    nearest_facilities,
    override_tier,
    suitable_target_groups,
)
from services.scores import active_overrides
from tests.fixtures_world import OTHER_EMD, OUTREACH, OUTREACH_EMD, World, build_world

OUTREACH2 = Viewer(5, "outreach2", "outreach", OTHER_EMD, "최담당")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("cw") / "store")


def own_id(world: World, emd: str = OUTREACH_EMD, k: int = 0) -> int:
    return int(world.households.loc[world.households["emd_code"] == emd, "household_id"].iloc[k])


def test_case_detail_masks_and_audits(world: World) -> None:
    hid = own_id(world)
    detail = case_detail(world.store, OUTREACH, hid, purpose="home visit")
    assert detail.household["household_id"] == hid
    assert detail.members["name"].str.contains(r"\*").all()
    assert detail.members["rrn_masked"].str.contains(r"\*").all()
    assert detail.score is not None and detail.score["tier"] in (1, 2, 3, 4)
    assert detail.reasons and detail.reasons[0]["weight"] >= detail.reasons[-1]["weight"]
    assert set(detail.histories) == {"benefit_history", "discovery_history", "consultation",
                                     "support"}
    assert (detail.facilities["free_places"] > 0).all()
    assert detail.facilities["distance_m"].is_monotonic_increasing
    tbl = table("audit_log")
    with world.store.session() as s:
        row = s.execute(select(tbl).where(tbl.c.action == "view_case",
                                          tbl.c.object_id == str(hid))).mappings().first()
    assert row["purpose"] == "home visit" and row["username"] == "outreach" and row["allowed"]


def test_case_refused_outside_jurisdiction(world: World) -> None:
    with pytest.raises(AccessDenied):
        case_detail(world.store, OUTREACH2, own_id(world))
    with pytest.raises(AccessDenied):
        add_activity(world.store, OUTREACH2, own_id(world), kind="visit",
                     activity_date=dt.date.today(), outcome_code="no_need")
    with pytest.raises(AccessDenied):
        override_tier(world.store, OUTREACH2, own_id(world), tier=1, reason_code="data_error")
    with pytest.raises(AccessDenied):
        nearest_facilities(world.store, Viewer(2, "planner", "planner", "36110"), own_id(world))


def test_activity_validation_lists_all_problems(world: World) -> None:
    with pytest.raises(ActivityInputError) as info:
        add_activity(world.store, OUTREACH, own_id(world), kind="party", activity_date="2099-01-01",
                     outcome_code="maybe", note="x" * 3000)
    message = str(info.value)
    assert all(w in message for w in ("kind", "outcome", "future", "note"))
    with pytest.raises(ActivityInputError, match="valid date"):
        add_activity(world.store, OUTREACH, own_id(world), kind="visit", activity_date="",
                     outcome_code="no_need")


def test_activity_saved_and_listed_newest_first(world: World) -> None:
    hid = own_id(world, k=1)
    add_activity(world.store, OUTREACH, hid, kind="consultation",
                 activity_date=dt.date.today() - dt.timedelta(days=3), outcome_code="in_progress")
    new_id = add_activity(world.store, OUTREACH, hid, kind="visit", activity_date=dt.date.today(),
                          outcome_code="public_support", note="  생계급여 신청 안내  ")
    log = list_activities(world.store, OUTREACH, hid)
    assert int(log.iloc[0]["activity_id"]) == new_id and log.iloc[0]["note"] == "생계급여 신청 안내"
    assert log.iloc[0]["worker"] == "맞춤형복지팀 김담당"


def test_concurrent_saves_keep_every_entry(world: World) -> None:
    hid = own_id(world, k=2)
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            start.wait()
            for j in range(5):
                add_activity(world.store, OUTREACH, hid, kind="follow_up",
                             activity_date=dt.date.today(), outcome_code="in_progress",
                             note=f"worker {k} entry {j}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    notes = set(list_activities(world.store, OUTREACH, hid)["note"])
    assert {f"worker {k} entry {j}" for k in range(8) for j in range(5)} <= notes


def test_override_replaces_previous(world: World) -> None:
    hid = own_id(world, k=3)
    override_tier(world.store, OUTREACH, hid, tier=2, reason_code="field_observation")
    override_tier(world.store, OUTREACH, hid, tier=4, reason_code="already_supported", note="OK")
    current = active_overrides(world.store, [hid])
    assert len(current) == 1 and int(current.iloc[0]["tier"]) == 4
    detail = case_detail(world.store, OUTREACH, hid)
    assert detail.score["tier"] == 4 and detail.override["reason_code"] == "already_supported"
    with pytest.raises(ActivityInputError):
        override_tier(world.store, OUTREACH, hid, tier=7, reason_code="whim")


def test_suitable_target_groups() -> None:
    groups = suitable_target_groups({"n_elderly": 1, "n_children": 0, "n_disabled": 1,
                                     "household_type": "single_parent"})
    assert {"elderly", "disabled", "women_family", "community"} <= set(groups)
