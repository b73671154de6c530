"""Repeated flags without help: exact counts, the visit-list filter, exports and the case page."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest

from services.casework import add_activity, case_detail
from services.repeat_flags import count_flags, flag_counts, repeat_unhelped
from services.visit_list import VisitFilters, export_visits, ranked_visits
from tests.fixtures_world import OUTREACH, OUTREACH_EMD, World, build_world

TODAY = dt.date(2026, 10, 15)


def _discovery(rows: list[tuple[int, str]]) -> pd.DataFrame:
    return pd.DataFrame([
        {"discovery_id": k + 1, "household_id": h, "cycle_date": dt.date(2025, 1 + k % 12, 1),
         "selection": "legacy_rule", "legacy_signal_count": 2, "outcome": outcome,
         "outcome_date": dt.date(2025, 1 + k % 12, 20)} for k, (h, outcome) in enumerate(rows)])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The test world with a known discovery history for four households of the team's 읍면동:
    A flagged 3x never helped, B flagged 2x then supported, C flagged 2x with a support row,
    D flagged once."""
    w = build_world(tmp_path_factory.mktemp("flags") / "store")
    a, b, c, d = _flagged(w).values()
    w.store.write_frame("discovery_history", _discovery([
        (a, "not_eligible"), (a, "unreachable"), (a, "not_eligible"),
        (b, "unreachable"), (b, "supported"),
        (c, "not_eligible"), (c, "not_eligible"),
        (d, "unreachable")]))
    w.store.write_frame("support", pd.DataFrame([
        {"support_id": 1, "household_id": c, "supported_on": dt.date(2026, 6, 1), "kind": "public",
         "programme": "긴급복지 생계지원", "amount_krw": 730000.0}]))
    return w


def _flagged(w: World) -> dict[str, int]:
    own = w.households.loc[w.households["emd_code"] == OUTREACH_EMD, "household_id"].astype(int)
    return dict(zip("abcd", own.iloc[:4].tolist(), strict=True))


def test_count_flags_exact() -> None:
    disc = pd.DataFrame({"household_id": [1, 1, 1, 2, 2, 3],
                         "outcome": ["not_eligible", "unreachable", "supported", "unreachable",
                                     "not_eligible", "supported"]})
    visits = pd.DataFrame({"household_id": [2, 2, 4, 4],
                           "outcome_code": ["no_need", "in_progress", "refused", "public_support"]})
    supports = pd.DataFrame({"household_id": [5]})
    out = count_flags([5, 4, 3, 2, 1, 6], disc, visits, supports)
    assert out["household_id"].tolist() == [5, 4, 3, 2, 1, 6]
    assert out["times_flagged"].tolist() == [0, 0, 1, 2, 3, 0]
    assert out["visited_not_helped"].tolist() == [0, 1, 0, 3, 2, 0]
    assert out["ever_supported"].tolist() == [True, True, True, False, True, False]
    assert repeat_unhelped(out).tolist() == [False, False, False, True, False, False]


def test_flag_counts_from_the_store(world: World) -> None:
    f = _flagged(world)
    out = flag_counts(world.store, [f["a"], f["b"], f["c"], f["d"]], scope="test")
    assert out["times_flagged"].tolist() == [3, 2, 2, 1]
    assert out["visited_not_helped"].tolist() == [3, 1, 2, 1]
    assert out["ever_supported"].tolist() == [False, True, True, False]
    # a cached scope answers in the order asked
    again = flag_counts(world.store, [f["d"], f["a"]], scope="test")
    assert again["household_id"].tolist() == [f["d"], f["a"]]
    assert again["times_flagged"].tolist() == [1, 3]


def test_filter_keeps_flagged_twice_never_supported_and_export_follows(world: World) -> None:
    f = _flagged(world)
    frame = ranked_visits(world.store, OUTREACH, VisitFilters(repeat_unhelped=True), today=TODAY)
    assert frame["household_id"].tolist() == [f["a"]]
    assert frame[["times_flagged", "visited_not_helped"]].iloc[0].tolist() == [3, 3]
    everyone = ranked_visits(world.store, OUTREACH, VisitFilters(limit=5000), today=TODAY)
    by_id = everyone.set_index("household_id")
    assert by_id.loc[f["b"], "times_flagged"] == 2 and by_id.loc[f["d"], "visited_not_helped"] == 1
    assert by_id["times_flagged"].sum() == 8
    _, content = export_visits(world.store, OUTREACH, VisitFilters(repeat_unhelped=True),
                               fmt="csv", today=TODAY)
    exported = pd.read_csv(io.BytesIO(content), encoding="utf-8-sig")
    assert exported["가구번호"].tolist() == [f["a"]]
    assert exported["발굴 횟수"].tolist() == [3]


def test_logged_visits_count_and_support_ends_the_flag(world: World) -> None:
    f = _flagged(world)
    d = f["d"]
    add_activity(world.store, OUTREACH, d, kind="visit", activity_date=TODAY,
                 outcome_code="refused", today=TODAY)
    add_activity(world.store, OUTREACH, d, kind="visit", activity_date=TODAY,
                 outcome_code="in_progress", today=TODAY)
    detail = case_detail(world.store, OUTREACH, d)
    assert detail.flags == {"times_flagged": 1, "visited_not_helped": 2, "ever_supported": False,
                            "repeat_unhelped": False}
    a = f["a"]
    assert case_detail(world.store, OUTREACH, a).flags["repeat_unhelped"] is True
    add_activity(world.store, OUTREACH, a, kind="visit", activity_date=TODAY,
                 outcome_code="emergency_support", today=TODAY)
    assert case_detail(world.store, OUTREACH, a).flags["repeat_unhelped"] is False
    frame = ranked_visits(world.store, OUTREACH, VisitFilters(repeat_unhelped=True), today=TODAY)
    assert frame.empty


def test_flag_counts_on_both_stores(store) -> None:
    disc = _discovery([(11, "not_eligible"), (11, "unreachable"), (12, "supported"),
                       (12, "not_eligible"), (13, "unreachable")])
    store.write_frame("discovery_history", disc)
    store.write_frame("support", pd.DataFrame([
        {"support_id": 1, "household_id": 13, "supported_on": dt.date(2026, 6, 1),
         "kind": "public", "programme": "긴급복지 생계지원", "amount_krw": 730000.0}]))
    out = flag_counts(store, [13, 12, 11, 14], scope="both")
    assert out["household_id"].tolist() == [13, 12, 11, 14]
    assert out["times_flagged"].tolist() == [1, 2, 2, 0]
    assert out["visited_not_helped"].tolist() == [1, 1, 2, 0]
    assert repeat_unhelped(out).tolist() == [False, False, True, False]
