"""The risk map's view is kept per data version: the same view as a fresh build, audited on
every call, rebuilt after scores, overrides or households change."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from app.figures.maps import TIER_COLOURS
from app.i18n import t
from geodata.schema import table
from services.casework import override_tier
from tests.fixtures_world import (
    OTHER_EMD,
    OUTREACH,
    OUTREACH_EMD,
    PLANNER,
    PLANNER_SIGUNGU,
    World,
    copy_world,
)

EMD_VIEW = {"level": "emd", "parent": PLANNER_SIGUNGU, "colour_by": "share",
            "layers": ["points", "labels"], "lang": "ko"}


def _page():
    return sys.modules["app.pages.risk_map"]


def _points_audits(store, allowed: bool) -> int:
    tbl = table("audit_log")
    with store.session() as s:
        return len(s.execute(select(tbl).where(tbl.c.action == "view_points",
                                               tbl.c.allowed == allowed)).all())


def _fresh(store, viewer, **view):
    store.cache.clear()
    return _page().build_map_view(store, viewer, **view)


@pytest.fixture()
def store(world: World, tmp_path: Path):
    return copy_world(world, tmp_path / "copy").store


@pytest.mark.parametrize(("viewer", "view"), [
    (OUTREACH, EMD_VIEW),
    (PLANNER, EMD_VIEW | {"colour_by": "hotspot", "lang": "en"}),
    (PLANNER, {"level": "sigungu", "parent": None, "colour_by": "count", "layers": [],
               "lang": "ko"}),
])
def test_a_kept_view_is_the_view_built_fresh(make_app, store, viewer, view) -> None:
    make_app()
    first = _page().build_map_view(store, viewer, **view)
    again = _page().build_map_view(store, viewer, **view)
    assert again is first
    assert _fresh(store, viewer, **view) == first


def test_every_view_is_audited_and_other_viewers_get_their_own(make_app, store) -> None:
    make_app()
    allowed, refused = _points_audits(store, True), _points_audits(store, False)
    mine = [_page().build_map_view(store, OUTREACH, **EMD_VIEW) for _ in range(3)]
    assert _points_audits(store, True) == allowed + 3
    assert any(tr.get("customdata") for tr in mine[0].figure["data"])  # points are shown
    planner = _page().build_map_view(store, PLANNER, **EMD_VIEW)
    assert _page().build_map_view(store, PLANNER, **EMD_VIEW) is planner
    assert _points_audits(store, False) == refused + 2  # each refusal audited, kept view or not
    assert planner is not mine[0] and not any(tr.get("customdata")
                                              for tr in planner.figure["data"])
    assert t("map.points_denied", "ko") in planner.notes
    other = dataclasses.replace(OUTREACH, user_id=9, username="o2", jurisdiction_code=OTHER_EMD)
    theirs = _page().build_map_view(store, other, **EMD_VIEW)
    assert theirs is not mine[0]
    suppressed = {r["code"]: r["households"] for r in mine[0].rows}
    assert suppressed[OUTREACH_EMD] != "비공개(5가구 미만)"


def test_a_data_change_rebuilds_the_view(make_app, store) -> None:
    make_app()
    before = _page().build_map_view(store, OUTREACH, **EMD_VIEW)
    lower = [tr for tr in before.figure["data"]
             if tr.get("customdata") and tr["marker"]["color"] != TIER_COLOURS[1]]
    hid = int(lower[0]["customdata"][0])
    override_tier(store, OUTREACH, hid, tier=1, reason_code="urgent_report")
    after = _page().build_map_view(store, OUTREACH, **EMD_VIEW)
    assert after is not before and after != before
    assert after == _fresh(store, OUTREACH, **EMD_VIEW)
    top = next(tr for tr in after.figure["data"] if tr.get("customdata") and
               tr["marker"]["color"] == TIER_COLOURS[1])
    assert hid in top["customdata"]

    scores = store.read_frame("risk_score")
    store.write_frame("risk_score", scores.assign(tier=pd.Series(4, index=scores.index)))
    flat = _page().build_map_view(store, OUTREACH, **EMD_VIEW)
    assert flat != after and flat == _fresh(store, OUTREACH, **EMD_VIEW)


def test_an_override_saved_while_a_view_is_built_is_not_hidden_by_it(make_app, store, monkeypatch
                                                                     ) -> None:
    """Versions are read before the data: a view built from points read just before another
    thread's override is kept under the older version, so the next request rebuilds it."""
    make_app()
    page = _page()
    before = page.build_map_view(store, OUTREACH, **EMD_VIEW)
    lower = [tr for tr in before.figure["data"]
             if tr.get("customdata") and tr["marker"]["color"] != TIER_COLOURS[1]]
    hid = int(lower[0]["customdata"][0])
    store.cache.clear()
    real = page.household_points

    def points_then_concurrent_override(*args, **kwargs):
        out = real(*args, **kwargs)
        monkeypatch.setattr(page, "household_points", real)
        override_tier(store, OUTREACH, hid, tier=1, reason_code="urgent_report")  # "thread B"
        return out

    monkeypatch.setattr(page, "household_points", points_then_concurrent_override)
    page.build_map_view(store, OUTREACH, **EMD_VIEW)  # races with the override
    later = page.build_map_view(store, OUTREACH, **EMD_VIEW)  # a request after the override
    top = [tr for tr in later.figure["data"]
           if tr.get("customdata") and tr["marker"]["color"] == TIER_COLOURS[1]]
    assert any(hid in tr["customdata"] for tr in top), "the override is hidden by a kept view"
