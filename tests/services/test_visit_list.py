"""The ranked visit list: jurisdiction, filters, exports (audited) and the day's route."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import select

from domain.access import PUBLIC_VIEWER, Viewer
from domain.errors import AccessDenied
from domain.masking import mask_name
from geodata.schema import table
from services.casework import add_activity, override_tier
from services.scores import top_reasons
from services.visit_list import (
    VisitFilters,
    VisitListInputError,
    day_route,
    export_visits,
    ranked_visits,
)
from tests.fixtures_world import (
    ADMIN,
    OTHER_EMD,
    OUTREACH,
    OUTREACH_EMD,
    PLANNER,
    World,
    build_world,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("vl") / "store")


def audits(world: World, action: str) -> list[dict]:
    tbl = table("audit_log")
    with world.store.session() as s:
        return [dict(r) for r in s.execute(select(tbl).where(tbl.c.action == action)).mappings()]


def test_mask_name() -> None:
    assert mask_name("김철수") == "김*수"
    assert mask_name("이수") == "이*"
    assert mask_name("남궁민수") == "남**수"
    assert mask_name("") == ""


def test_top_reasons_orders_by_weight() -> None:
    raw = '[{"code":"a","label_ko":"가","label_en":"A","weight":0.1},' \
          '{"code":"b","label_ko":"나","label_en":"B","weight":-0.5}]'
    assert top_reasons(raw, n=1) == ["나"]
    assert top_reasons("not json") == []


def test_list_is_own_jurisdiction_ranked_and_masked(world: World) -> None:
    frame = ranked_visits(world.store, OUTREACH)
    own = world.households[world.households["emd_code"] == OUTREACH_EMD]
    assert len(frame) == len(own) and set(frame["emd_code"]) == {OUTREACH_EMD}
    assert frame["rank"].tolist() == list(range(1, len(frame) + 1))
    assert frame["tier"].is_monotonic_increasing
    assert frame["name_masked"].str.contains(r"\*").all()
    assert frame["reasons"].str.len().gt(0).all()
    assert audits(world, "view_list")


def test_admin_sees_everything(world: World) -> None:
    frame = ranked_visits(world.store, ADMIN, VisitFilters(limit=5000))
    assert len(frame) == len(world.households)


@pytest.mark.parametrize("viewer", [PLANNER, PUBLIC_VIEWER, Viewer(3, "m", "ministry")])
def test_aggregate_roles_refused_and_audited(world: World, viewer: Viewer) -> None:
    with pytest.raises(AccessDenied):
        ranked_visits(world.store, viewer)
    with pytest.raises(AccessDenied):
        export_visits(world.store, viewer, fmt="csv")
    assert any(not r["allowed"] and r["username"] == viewer.username
               for r in audits(world, "view_list"))


def test_filters(world: World) -> None:
    frame = ranked_visits(world.store, OUTREACH, VisitFilters(tiers=(1,)))
    assert len(frame) and set(frame["tier"]) == {1}
    typed = ranked_visits(world.store, OUTREACH, VisitFilters(household_types=("couple",)))
    assert set(typed["household_type"]) <= {"couple"}
    signal = ranked_visits(world.store, OUTREACH,
                           VisitFilters(crisis_sources=("electricity_arrears", "water_arrears")))
    assert 0 < len(signal) < len(ranked_visits(world.store, OUTREACH))
    never = ranked_visits(world.store, OUTREACH, VisitFilters(not_visited_days=30),
                          today=dt.date(2026, 11, 20))
    recent = pd.Timestamp("2026-10-21")
    assert (never["last_visit"].isna() | (never["last_visit"] < recent)).all()


def test_not_visited_counts_logged_visits(world: World) -> None:
    first = ranked_visits(world.store, OUTREACH, VisitFilters(not_visited_days=30))
    hid = int(first["household_id"].iloc[0])
    add_activity(world.store, OUTREACH, hid, kind="visit", activity_date=dt.date.today(),
                 outcome_code="in_progress")
    after = ranked_visits(world.store, OUTREACH, VisitFilters(not_visited_days=30))
    assert hid not in set(after["household_id"])


def test_overridden_filter_and_effective_tier(world: World) -> None:
    frame = ranked_visits(world.store, OUTREACH, VisitFilters(tiers=(3,)))
    hid = int(frame["household_id"].iloc[0])
    override_tier(world.store, OUTREACH, hid, tier=1, reason_code="urgent_report")
    only = ranked_visits(world.store, OUTREACH, VisitFilters(overridden=True))
    assert hid in set(only["household_id"]) and only["overridden"].all()
    assert int(only.set_index("household_id").loc[hid, "tier"]) == 1


def test_invalid_filters_listed_together() -> None:
    with pytest.raises(VisitListInputError) as info:
        VisitFilters(tiers=(9,), household_types=("x",), not_visited_days=-1).check()
    assert "tiers" in str(info.value) and "household types" in str(info.value)


def test_csv_export_has_bom_korean_headers_and_is_audited(world: World) -> None:
    name, content = export_visits(world.store, OUTREACH, fmt="csv", purpose="test export")
    assert name.endswith(".csv") and content.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(io.BytesIO(content), encoding="utf-8-sig")
    assert list(frame.columns[:4]) == ["순위", "가구번호", "세대주(마스킹)", "등급"]
    assert frame["세대주(마스킹)"].str.contains(r"\*").all()
    rows = audits(world, "export_csv")
    assert rows[-1]["purpose"] == "test export" and rows[-1]["allowed"]


def test_xlsx_export_opens_with_korean_headers(world: World) -> None:
    name, content = export_visits(world.store, OUTREACH, VisitFilters(tiers=(1, 2)), fmt="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    header = [c.value for c in sheet[1]]
    assert name.endswith(".xlsx") and header[0] == "순위" and "주요 사유" in header
    assert sheet.max_row > 1
    assert audits(world, "export_xlsx")


def test_route_orders_selected_visits(world: World) -> None:
    ids = ranked_visits(world.store, OUTREACH)["household_id"].head(6).tolist()
    office, route = day_route(world.store, OUTREACH, ids)
    assert sorted(route["household_id"]) == sorted(ids)
    assert route["visit_order"].tolist() == list(range(1, 7))
    assert (route["cumulative_m"].diff().dropna() >= 0).all()
    assert office.geom_type == "Point"


def test_route_refuses_foreign_households(world: World) -> None:
    foreign = world.households.loc[world.households["emd_code"] == OTHER_EMD, "household_id"]
    own = world.households.loc[world.households["emd_code"] == OUTREACH_EMD, "household_id"]
    with pytest.raises(AccessDenied):
        day_route(world.store, OUTREACH, [int(own.iloc[0]), int(foreign.iloc[0])])
    with pytest.raises(VisitListInputError):
        day_route(world.store, OUTREACH, [])


def test_export_audit_names_every_household(world: World) -> None:
    _name, content = export_visits(world.store, ADMIN, VisitFilters(limit=5000), fmt="csv")
    exported = pd.read_csv(io.BytesIO(content), encoding="utf-8-sig")["가구번호"].astype(int)
    assert len(exported) > 500  # more than the old 500-id cut
    detail = audits(world, "export_csv")[-1]["detail"]
    count, ids = detail.split(" households: ")
    assert int(count) == len(exported)
    assert sorted(map(int, ids.split(","))) == sorted(exported)


def test_export_neutralises_formula_like_cells() -> None:
    from services.visit_list import neutralise_formulas

    frame = pd.DataFrame({"text": ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tx",
                                   "김*수", None], "n": [-1, 2, 3, 4, 5, 6, 7]})
    out = neutralise_formulas(frame)
    assert out["text"].tolist()[:6] == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)",
                                        "'\tx", "김*수"]
    assert pd.isna(out["text"].iloc[6]) and out["n"].tolist() == frame["n"].tolist()


def test_a_refused_export_is_audited_before_its_inputs_are_checked(world: World) -> None:
    before = len(audits(world, "export_parquet"))
    with pytest.raises(AccessDenied):
        export_visits(world.store, PLANNER, fmt="parquet")  # type: ignore[arg-type]
    rows = audits(world, "export_parquet")[before:]
    assert [(r["username"], r["allowed"]) for r in rows] == [("planner", False)]


def _expected_columns(store, frame: pd.DataFrame) -> pd.DataFrame:
    """The list's cached columns recomputed from the public readers, without any cache."""
    from services.repeat_flags import flag_counts
    from services.visit_list import last_visits

    ids = frame["household_id"].astype(int).tolist()
    people = store.read_frame("person", columns=["household_id", "name", "relation"],
                              where={"household_id": ids})
    heads = people[people["relation"] == "head"].set_index("household_id")["name"]
    scores = store.read_frame("risk_score", columns=["household_id", "reasons"],
                              where={"household_id": ids})
    reasons = scores.drop_duplicates("household_id").set_index("household_id")["reasons"]
    counts = flag_counts(store, ids)
    return pd.DataFrame({
        "household_id": ids,
        "name_masked": [mask_name(heads[h]) if h in heads.index else "" for h in ids],
        "reasons": [" · ".join(top_reasons(reasons[h])) for h in ids],
        "last_visit": last_visits(store, ids).reindex(ids).to_numpy(),
        "times_flagged": counts["times_flagged"].to_numpy(),
        "visited_not_helped": counts["visited_not_helped"].to_numpy()})


def test_cached_columns_equal_a_fresh_reading(world: World) -> None:
    other_team = Viewer(5, "outreach2", "outreach", OTHER_EMD)  # no visits logged there
    assert not len(world.store.activities.frame(household_ids=world.households.loc[
        world.households["emd_code"] == OTHER_EMD, "household_id"].tolist(), kind="visit"))
    for viewer, filters in ((OUTREACH, VisitFilters()), (ADMIN, VisitFilters(limit=300)),
                            (OUTREACH, VisitFilters(not_visited_days=30)),
                            (other_team, VisitFilters())):
        frame = ranked_visits(world.store, viewer, filters, audit_view=False)
        expected = _expected_columns(world.store, frame)
        pd.testing.assert_frame_equal(frame[list(expected.columns)].reset_index(drop=True),
                                      expected, check_dtype=False)
        assert frame["times_flagged"].gt(0).any() and frame["last_visit"].notna().any()


def test_a_view_reads_bulk_tables_once_and_sees_every_change(world: World, tmp_path) -> None:
    from tests.fixtures_world import copy_world

    store = copy_world(world, tmp_path / "copy").store
    first = ranked_visits(store, OUTREACH)
    reads: list[str] = []
    original = store.read_frame

    def counted(name, *args, **kwargs):
        reads.append(name)
        return original(name, *args, **kwargs)

    store.read_frame = counted  # type: ignore[method-assign]
    audited = len(audits_of(store, "view_list"))
    again = ranked_visits(store, OUTREACH)
    pd.testing.assert_frame_equal(again, first)
    assert not {"person", "risk_score", "discovery_history", "support"} & set(reads)
    assert len(audits_of(store, "view_list")) == audited + 1  # a cached view is audited too
    store.read_frame = original  # type: ignore[method-assign]

    hid = int(first["household_id"].iloc[0])
    add_activity(store, OUTREACH, hid, kind="visit", activity_date=dt.date.today(),
                 outcome_code="no_need")  # a logged visit shows at once (not cached)
    row = ranked_visits(store, OUTREACH).set_index("household_id").loc[hid]
    assert row["last_visit"] == pd.Timestamp(dt.date.today())
    before = first.set_index("household_id").loc[hid]
    assert row["visited_not_helped"] == before["visited_not_helped"] + 1

    people = store.read_frame("person")
    people.loc[(people["household_id"] == hid) & (people["relation"] == "head"), "name"] = "황보새롬"
    store.write_frame("person", people)
    disc = store.read_frame("discovery_history")
    extra = disc.iloc[[0]].assign(discovery_id=int(disc["discovery_id"].max()) + 1,
                                  household_id=hid, outcome="unreachable",
                                  outcome_date=dt.date.today() + dt.timedelta(days=1))
    store.write_frame("discovery_history", pd.concat([disc, extra], ignore_index=True))
    changed = ranked_visits(store, OUTREACH).set_index("household_id").loc[hid]
    assert changed["name_masked"] == mask_name("황보새롬")
    assert changed["times_flagged"] == before["times_flagged"] + 1
    assert changed["visited_not_helped"] == before["visited_not_helped"] + 2
    assert changed["last_visit"] == pd.Timestamp(dt.date.today() + dt.timedelta(days=1))


def audits_of(store, action: str) -> list[dict]:
    tbl = table("audit_log")
    with store.session() as s:
        return [dict(r) for r in s.execute(select(tbl).where(tbl.c.action == action)).mappings()]
