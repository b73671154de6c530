"""Pages and plain helpers without a browser: model card, navigation metadata, i18n, tables."""

from __future__ import annotations

import sys

import dash
import pandas as pd
import pytest

from app.components import table
from app.i18n import STRINGS, t
from domain.access import PUBLIC_VIEWER, Viewer
from tests.fixtures_world import World


def test_every_string_has_both_languages() -> None:
    missing = [k for k, v in STRINGS.items() if set(v) != {"ko", "en"}]
    assert not missing
    assert t("visits.count", "en", n=3) == "3 households" and t("unknown.key") == "unknown.key"


def test_navigation_follows_registry_and_roles(make_app) -> None:
    make_app()
    from app.layout import nav_pages, page_label

    public = [p["path"] for p in nav_pages(PUBLIC_VIEWER)]
    outreach = [p["path"] for p in nav_pages(Viewer(1, "o", "outreach", "36110250"))]
    assert public[0] == "/" and "/visits" not in public and "/risk-map" in public
    assert "/visits" in outreach and not any(p.startswith("/case") for p in outreach)
    orders = [p.get("order") or 0 for p in nav_pages(Viewer(4, "a", "admin"))]
    assert orders == sorted(orders)
    fake = {"path": "/x", "name": "X", "name_en": "Extra", "name_ko": "추가"}
    assert page_label(fake, "en") == "Extra" and page_label(fake, "ko") == "추가"


def test_model_card_missing_then_served(make_app, tmp_path) -> None:
    app = make_app(data_dir=tmp_path)
    page = next(p for p in dash.page_registry.values() if p["path"] == "/model-card")
    client = app.server.test_client()
    with app.server.test_request_context("/"):
        assert "card-missing" in str(page["layout"]())
    assert client.get("/model-card-files/model_card.html").status_code == 404
    (tmp_path / "model_card").mkdir()
    (tmp_path / "model_card" / "model_card.html").write_text("<h1>모형 카드</h1>", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("nope")
    with app.server.test_request_context("/"):
        assert "card-frame" in str(page["layout"]())
    with client.get("/model-card-files/model_card.html") as served:
        assert "모형 카드" in served.get_data(as_text=True)
    with client.get("/model-card-files/../secret.txt") as escaped:
        assert escaped.status_code == 404


def test_table_component_links_and_selection() -> None:
    div = table([{"id": 7, "name": "김*수", "link": "열기"}], [("name", "이름"), ("link", "")],
                select_type="pick", links={"link": "/case/{id}"})
    text = str(div)
    assert "'type': 'pick', 'index': 7" in text and "/case/7" in text and "김*수" in text


def test_visit_list_helpers(make_app) -> None:
    make_app()
    page = sys.modules["app.pages.visit_list"]
    filters = page.make_filters([1, 2], ["couple"], None, "30", "yes", 100)
    assert filters.tiers == (1, 2) and filters.not_visited_days == 30 and filters.overridden
    assert filters.limit == 100 and page.make_filters(None, None, None, "", "", None).tiers == ()


def test_map_view_helper_for_planner(make_app, world: World) -> None:
    make_app()
    page = sys.modules["app.pages.risk_map"]
    view = page.build_map_view(world.store, Viewer(2, "planner", "planner", "36110"),
                               level="emd", parent="36110", colour_by="count",
                               layers=["points", "labels"], lang="en")
    kinds = [tr["type"] for tr in view.figure["data"]]
    assert kinds.count("scattergeo") == 1  # labels only: no household points for planners
    assert any("outreach workers" in n for n in view.notes)
    assert view.title == "세종특별자치시"
    suppressed = next(r for r in view.rows if r["code"] == "36110310")
    assert suppressed["households"] == "Suppressed (<5)"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_case_activity_rows_labels(make_app, lang: str) -> None:
    make_app()
    page = sys.modules["app.pages.case"]
    frame = pd.DataFrame({"activity_date": ["2026-11-01"], "kind": ["visit"],
                          "outcome_code": ["public_support"], "note": [None], "worker": ["김"]})
    rows = page.activity_rows(frame, lang)
    assert rows.iloc[0, 1] == ("방문" if lang == "ko" else "home visit")


def _as(app, world: World, username: str | None):
    """A request context with ``username`` logged in (callbacks read the session)."""
    import flask


    ctx = app.server.test_request_context("/")
    ctx.push()
    if username:
        from tests.app.app_helpers import open_session

        flask.session["sid"] = open_session(world.store, username)
    return ctx


def test_callbacks_called_as_plain_functions(make_app, world: World) -> None:
    import datetime as dt

    app = make_app()
    visits, case, risk = (sys.modules[f"app.pages.{m}"] for m in ("visit_list", "case", "risk_map"))
    ctx = _as(app, world, "outreach")
    try:
        box, count, error = visits.refresh_list([1], None, None, None, "", 50)
        assert error is None and "가구" in count and "/case/" in str(box)
        figure, title, _notes, _table = risk.render_map(
            {"level": "emd", "parent": "36110"}, "moran", ["points"])
        assert "세종" in title and any(tr["type"] == "scattergeo" for tr in figure["data"])
        hid = int(world.households.loc[world.households["emd_code"] == "36110250",
                                       "household_id"].iloc[7])
        log_div, message = case.save_activity(1, hid, "visit", dt.date.today().isoformat(),
                                              "no_need", "plain call")
        assert "plain call" in str(log_div) and "저장했습니다" in str(message)
        _, bad = case.save_activity(1, hid, "visit", "2999-01-01", "no_need", None)
        assert "future" in str(bad)
    finally:
        ctx.pop()
    ctx = _as(app, world, "planner")
    try:
        box, count, error = visits.refresh_list([], None, None, None, "", 50)
        assert box is None and "aggregates only" in str(error)
    finally:
        ctx.pop()


def test_hotspot_classes_hidden_for_suppressed_cells(make_app, world: World) -> None:
    make_app()
    page = sys.modules["app.pages.risk_map"]
    view = page.build_map_view(world.store, Viewer(2, "planner", "planner", "36110"),
                               level="emd", parent="36110", colour_by="hotspot", layers=[],
                               lang="ko")
    hidden = next(tr for tr in view.figure["data"] if tr["name"] == "비공개(5가구 미만)")
    assert "36110310" in hidden["locations"] and all("p=" not in x for x in hidden["text"])
    row = next(r for r in view.rows if r["code"] == "36110310")
    assert row["hotspot"] == row["moran"] == "비공개(5가구 미만)"


def test_case_summary_shows_repeat_flags_override_end_and_over_capacity() -> None:
    from app.pages import case
    from services.casework import CaseDetail

    detail = CaseDetail(
        household={"household_id": 7, "emd_code": "36110250", "household_type": "single_elderly",
                   "housing_type": "apartment", "tenure": "owner"},
        members=pd.DataFrame(), reasons=[],
        score={"tier": 1, "model_tier": 3, "probability": 0.2, "rank": 1, "over_capacity": True},
        override={"tier": 1, "reason_code": "urgent_report",
                  "ends_at": pd.Timestamp("2027-01-30", tz="UTC")},
        flags={"times_flagged": 3, "visited_not_helped": 2, "ever_supported": False,
               "repeat_unhelped": True})
    ko = str(case._summary(detail, "ko"))
    assert "발굴 3회 · 방문했으나 미지원 2회" in ko and "지원받은 적 없이 3회" in ko
    assert "2027-01-30까지" in ko and "방문 역량보다 많습니다" in ko
    en = str(case._summary(detail, "en"))
    assert "Flagged 3 times" in en and "until 2027-01-30" in en


def test_tables_of_the_same_rows_are_built_once() -> None:
    from app.callback_json import output_json
    from app.components import _build

    rows = [{"id": 7, "name": "김*수", "when": pd.Timestamp("2026-11-02"), "n": 1},
            {"id": 8, "name": "이*", "when": pd.NaT, "n": 2.5}]
    columns = [("name", "이름"), ("when", "날짜"), ("n", "수")]
    one = table(rows, columns, select_type="pick", links={"name": "/case/{id}"})
    two = table([dict(r) for r in rows], columns, select_type="pick", links={"name": "/case/{id}"})
    assert two is one
    fresh = _build(rows, tuple(columns), None, "pick", "id", (("name", "/case/{id}"),), "")
    assert output_json(one) == output_json(fresh) == output_json(two)
    assert table(rows, columns) is not one  # other options, another table
    flagged = table([{**rows[0], "n": True}], columns)
    counted = table([{**rows[0], "n": 1}], columns)
    assert flagged is not counted and "True" in str(flagged) and "True" not in str(counted)
    listed = table([{"id": 1, "name": ["a", "b"]}], columns)  # not hashable: built each time
    assert listed is not table([{"id": 1, "name": ["a", "b"]}], columns)
