"""위험 지도: 시군구 → 읍면동 choropleth of high-tier share, hotspots and household points."""

from __future__ import annotations

import contextlib
import logging
from typing import NamedTuple

import pandas as pd
from dash import Input, Output, State, ctx, dcc, html, no_update

from app import ids
from app.auth import current_lang, current_viewer, get_store
from app.components import table
from app.figures.maps import GRAPH_CONFIG, HOTSPOT_LABELS_EN, MORAN_LABELS_EN, risk_choropleth
from app.i18n import t
from app.pages import page_callback
from app.pages._density_note import density_note
from domain.access import Viewer, may_see_household, may_see_points
from domain.disclosure import min_cell_count
from domain.errors import AccessDenied
from domain.roles import Role
from geodata.regions import is_code_of
from geodata.store.base import Store
from services.regions import region_full_name, region_names
from services.risk_map import hotspots, household_points, map_shapes, region_risk
from services.scores import data_version
from spatial.hotspots import HOTSPOT_LABELS_KO, MORAN_LABELS_KO

log = logging.getLogger(__name__)

PAGE: dict[str, object] = {"path": "/risk-map", "order": 10, "nav_key": "nav.risk_map", "name": "위험 지도",
        "title": "위험 지도 · 복지 아틀라스"}

COLOUR_OPTIONS = ("share", "count", "hotspot", "moran")
NATIONAL = {"level": "sigungu", "parent": None}
TABLE_ROWS = 40  # the table lists the highest shares; the map shows every region
TABLE_COLUMNS = (("name", "map.region_col"), ("households", "overview.count"), ("high_tier", "map.count"),
                 ("share", "map.share"), ("hotspot", "map.hotspot"), ("moran", "map.moran"))


class MapView(NamedTuple):
    """What the map callback returns: figure, heading, notes and table rows."""

    figure: dict
    title: str
    notes: list[str]
    rows: list[dict[str, object]]


def build_map_view(store: Store, viewer: Viewer, *, level: str, parent: str | None,
                   colour_by: str, layers: list[str], lang: str) -> MapView:
    """Assemble the map view from the services (plain function, no Dash).

    The household points are asked for on every call (the service checks the viewer and
    audits each view, refusals included); the view itself is kept per store for everything it
    depends on -- level, region, colouring, layers, language, the viewer's role and
    jurisdiction (which cells are exempt from suppression, whether points show), the small-cell
    threshold and the data versions of scores, overrides, households and boundaries -- so a
    repeated view is not rebuilt. The view is shared: do not modify it.
    """
    versions = (min_cell_count(), data_version(store), store.data_version("region"))
    points, denied = None, False
    if "points" in layers and level == "emd":
        if may_see_points(viewer, parent):
            points = household_points(store, viewer, viewer.jurisdiction_code or "")
        else:
            if not may_see_household(viewer, parent or ""):  # refused and audited by the service
                with contextlib.suppress(AccessDenied):
                    household_points(store, viewer, parent or "")
            denied = True
    key = (level, parent, colour_by, "labels" in layers, lang, viewer.role,
           viewer.jurisdiction_code, points is not None, denied, *versions)
    cache = store.cache.region("risk_map.views", maxsize=_VIEWS_KEPT)
    return cache.get_or_compute(key, lambda: _map_view(
        store, viewer, level=level, parent=parent, colour_by=colour_by, layers=layers,
        lang=lang, points=points, points_denied=denied))


_VIEWS_KEPT = 128  # (role, jurisdiction, region, colouring) combinations in use at once


def _map_view(store: Store, viewer: Viewer, *, level: str, parent: str | None, colour_by: str,
              layers: list[str], lang: str, points: pd.DataFrame | None,
              points_denied: bool) -> MapView:
    regions = region_risk(store, viewer, level=level, parent_code=parent)  # type: ignore[arg-type]
    notes: list[str] = [] if len(regions) else [t("error.no_data", lang)]
    spots = None
    if colour_by in ("hotspot", "moran"):
        spots = hotspots(store, level=level, parent_code=parent)  # type: ignore[arg-type]
        notes.append(t("map.hotspot_note" if len(spots) else "map.hotspot_none", lang))
    if points_denied:
        notes.append(t("map.points_denied", lang))
    national = level == "sigungu"
    shapes, labels = map_shapes(store, level=level, parent_code=parent)  # type: ignore[arg-type]
    figure = risk_choropleth(regions, shapes, colour_by=colour_by, lang=lang, hotspots=spots,
                             points=points, labels=labels if "labels" in layers else None)
    title = t("map.national", lang) if level == "sigungu" else region_full_name(store, parent or "")
    return MapView(figure, title, notes, _rows(regions, spots, lang, full=national))


def _rows(regions: pd.DataFrame, spots: pd.DataFrame | None, lang: str, *, full: bool = False
          ) -> list[dict[str, object]]:
    """Rows of the region table (suppressed cells say so), highest share first; ``full`` names
    (시도 + 시군구) on the national table, where names such as 중구 repeat."""
    hidden = t("map.suppressed", lang)
    gi, lisa = (HOTSPOT_LABELS_KO, MORAN_LABELS_KO) if lang == "ko" else (HOTSPOT_LABELS_EN,
                                                                          MORAN_LABELS_EN)
    r = regions.sort_values("share_high", ascending=False, na_position="last")
    out = pd.DataFrame({"name": r["full_name" if full else "name"], "code": r["code"]})
    mask = r["suppressed"].astype(bool).to_numpy()
    for col in ("households", "high_tier"):
        out[col] = r[col].astype(object).where(~mask, hidden)
    out["share"] = (100 * r["share_high"]).map(lambda v: "" if pd.isna(v) else f"{v:.1f}%")
    out.loc[mask, "share"] = hidden
    has = spots is not None and len(spots)
    out["hotspot"] = r["code"].map(spots["hotspot_class"]).map(gi).fillna("") if has else ""
    out["moran"] = r["code"].map(spots["quadrant"]).map(lisa).fillna("") if has else ""
    if has:
        out.loc[mask, ["hotspot", "moran"]] = hidden
    return out.to_dict("records")


def _sigungu_options() -> list[dict[str, str]]:
    """시군구 to drill into without a mouse (keyboard users, tests)."""
    frame = region_names(get_store(), "sigungu")
    return [{"label": n, "value": c} for c, n in zip(frame["code"].tolist(),
                                                     frame["full_name"].tolist(), strict=True)]


def layout(**_query: str) -> html.Div:
    """Controls, the map and the region table."""
    viewer, lang = current_viewer(), current_lang()
    layer_options = [{"label": t("map.labels", lang), "value": "labels"},
                     {"label": t("map.points", lang), "value": "points",
                      "disabled": viewer.role != Role.OUTREACH}]
    return html.Div([
        dcc.Store(id=ids.MAP_STATE, data=NATIONAL),
        html.H1([t("map.title", lang), html.Span(id=ids.MAP_TITLE, className="atlas-muted")]),
        html.Div([
            html.Div([html.Label(t("map.colour_by", lang), className="atlas-label"),
                      dcc.RadioItems(id=ids.MAP_COLOUR, value="share", inline=True,
                                     options=[{"label": t(f"map.{o}", lang), "value": o}
                                              for o in COLOUR_OPTIONS])]),
            html.Div([html.Label(t("map.layers", lang), className="atlas-label"),
                      dcc.Checklist(id=ids.MAP_LAYERS, options=layer_options, inline=True,
                                    value=["points"] if viewer.role == Role.OUTREACH else [])]),
            html.Div([html.Label(t("map.region", lang), className="atlas-label"),
                      dcc.Dropdown(id=ids.MAP_REGION, options=_sigungu_options(), clearable=True,
                                   placeholder=t("map.national", lang))],
                     className="atlas-field-wide"),
            html.Button(t("map.back", lang), id=ids.MAP_BACK, className="atlas-button"),
        ], className="atlas-toolbar"),
        html.P(t("map.click_hint", lang), className="atlas-muted"),
        dcc.Loading(dcc.Graph(id=ids.MAP_GRAPH, config=GRAPH_CONFIG, className="atlas-map"),
                    type="circle"),
        html.Div(id=ids.MAP_NOTE, className="atlas-notes"),
        density_note(get_store(), lang),
        html.H2(t("map.table", lang)),
        html.Div(id=ids.MAP_TABLE),
    ])


@page_callback(Output(ids.MAP_STATE, "data"), Input(ids.MAP_GRAPH, "clickData"),
          Input(ids.MAP_BACK, "n_clicks"), Input(ids.MAP_REGION, "value"),
          State(ids.MAP_STATE, "data"), prevent_initial_call=True)
def drill(click: dict | None, _back: int | None, region: str | None, state: dict) -> dict:
    """Click (or pick) a 시군구 to see its 읍면동; the back button returns to the national map."""
    if ctx.triggered_id == ids.MAP_BACK or (ctx.triggered_id == ids.MAP_REGION and not region):
        return NATIONAL
    if ctx.triggered_id == ids.MAP_REGION:
        return {"level": "emd", "parent": region}
    point = (click or {}).get("points", [{}])[0]
    code = str(point.get("location") or "")
    if state.get("level") == "sigungu" and is_code_of(code, "sigungu"):
        return {"level": "emd", "parent": code}
    return no_update


@page_callback(Output(ids.URL, "href", allow_duplicate=True), Input(ids.MAP_GRAPH, "clickData"),
          State(ids.MAP_STATE, "data"), prevent_initial_call=True)
def open_case(click: dict | None, state: dict) -> str:
    """Clicking a household point opens its case."""
    point = (click or {}).get("points", [{}])[0]
    if state.get("level") != "emd" or point.get("customdata") is None:
        return no_update
    return f"/case/{int(point['customdata'])}"


@page_callback(Output(ids.MAP_GRAPH, "figure"), Output(ids.MAP_TITLE, "children"),
          Output(ids.MAP_NOTE, "children"), Output(ids.MAP_TABLE, "children"),
          Input(ids.MAP_STATE, "data"), Input(ids.MAP_COLOUR, "value"),
          Input(ids.MAP_LAYERS, "value"))
def render_map(state: dict, colour_by: str, layers: list[str] | None) -> tuple:
    """Redraw the map for the level, colouring and layers chosen."""
    lang = current_lang()
    view = build_map_view(get_store(), current_viewer(), level=state["level"],
                          parent=state.get("parent"), colour_by=colour_by or "share",
                          layers=layers or [], lang=lang)
    notes = [html.P(n, className="atlas-notice atlas-notice-info") for n in view.notes]
    rows = view.rows[:TABLE_ROWS]
    caption = html.P(t("map.table_top", lang, n=TABLE_ROWS, total=len(view.rows)),
                     className="atlas-muted") if len(view.rows) > TABLE_ROWS else None
    return view.figure, f" · {view.title}", notes, [caption, table(rows, [
        (c, t(k, lang)) for c, k in TABLE_COLUMNS])]
