"""발굴 대상자 목록: ranked households of the jurisdiction, filters, exports and a day's route."""

from __future__ import annotations

import logging

import pandas as pd
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from app import ids
from app.auth import current_lang, current_viewer, get_store
from app.components import table
from app.figures.maps import GRAPH_CONFIG, route_figure
from app.i18n import t
from app.layout import access_notice, notice
from app.pages import page_callback
from app.pages._override_panel import capacity_notice, history_section
from domain.errors import AccessDenied
from domain.roles import HOUSEHOLD_ROLES
from geodata.regions import sigungu_of
from geodata.vocabulary import CRISIS_SOURCES, HOUSEHOLD_TYPES, TIERS
from services.audit import refuse_household_role
from services.regions import display_regions
from services.visit_list import (
    VisitFilters,
    VisitListInputError,
    day_route,
    export_visits,
    ranked_visits,
)

log = logging.getLogger(__name__)

PAGE: dict[str, object] = {"path": "/visits", "order": 20, "nav_key": "nav.visit_list",
        "name": "발굴 대상자 목록", "roles": tuple(sorted(HOUSEHOLD_ROLES)),
        "title": "발굴 대상자 목록 · 복지 아틀라스"}

TABLE_COLUMNS = ("rank", "name_masked", "tier_label", "probability", "household_type_label",
                 "reasons", "times_flagged", "visited_not_helped", "last_visit", "link")
SELECT_TYPE = "visit-select"
LIMITS = (50, 100, 200, 500)
FILTER_INPUTS = [Input(ids.VL_TIERS, "value"), Input(ids.VL_TYPES, "value"),
                 Input(ids.VL_SOURCES, "value"), Input(ids.VL_DAYS, "value"),
                 Input(ids.VL_OVERRIDDEN, "value"), Input(ids.VL_LIMIT, "value"),
                 Input(ids.VL_UNSERVED, "value"), Input(ids.VL_REPEAT, "value")]


def make_filters(tiers: list | None, types: list | None, sources: list | None,
                 days: int | str | None, overridden: str | None, limit: int | None = 50,
                 unserved: list | None = None, repeat: list | None = None) -> VisitFilters:
    """Filter values from the controls (plain function, no Dash)."""
    flag = {"yes": True, "no": False}.get(overridden or "")
    return VisitFilters(tiers=tuple(int(x) for x in tiers or ()),
                        household_types=tuple(types or ()), crisis_sources=tuple(sources or ()),
                        not_visited_days=int(days) if days not in (None, "") else None,
                        overridden=flag, limit=int(limit or 50), likely_unserved=bool(unserved),
                        repeat_unhelped=bool(repeat))


def table_rows(frame: pd.DataFrame, lang: str) -> list[dict[str, object]]:
    """Table rows (row ``id`` = household id) with a link text to the case."""
    out = frame.assign(
        id=frame["household_id"].astype(int),
        last_visit=pd.to_datetime(frame["last_visit"]).dt.strftime("%Y-%m-%d").fillna("—"),
        link=t("visits.open", lang))
    return out[["id", "household_id", *TABLE_COLUMNS[:-1], "link"]].to_dict("records")


def visit_table(rows: list[dict[str, object]], lang: str) -> html.Div:
    """The ranked list as an HTML table with a checkbox per row and a link to the case."""
    return table(rows, [(c, t(f"col.{c}", lang)) for c in TABLE_COLUMNS], table_id=ids.VL_TABLE,
                 select_type=SELECT_TYPE, links={"link": "/case/{id}"}, empty=t("case.no_rows", lang))


#: Screens at least this wide open the filters on load; phones start with them closed.
WIDE_SCREEN_PX = 769
#: Opens the filter disclosure on wide screens when the page loads (runs in the browser).
OPEN_FILTERS_ON_WIDE_SCREENS = (
    f"function(_id) {{ return window.matchMedia('(min-width: {WIDE_SCREEN_PX}px)').matches; }}")


def filter_summary(tiers: list | None, types: list | None, sources: list | None,
                   days: int | str | None, overridden: str | None, limit: int | None,
                   unserved: list | None, repeat: list | None, lang: str) -> str:
    """The active filters in one line, for the closed filter disclosure (plain function)."""
    def names(vocab: tuple, chosen: list | None) -> list[str]:
        wanted = {str(c) for c in chosen or ()}
        return [c.ko if lang == "ko" else c.en for c in vocab if str(c.code) in wanted]

    parts = [*names(TIERS, tiers), *names(HOUSEHOLD_TYPES, types), *names(CRISIS_SOURCES, sources)]
    if days not in (None, ""):
        parts.append(t("visits.filter_days", lang, days=int(days)))
    if overridden:
        parts.append(t({"yes": "visits.only_overridden", "no": "visits.not_overridden"}[overridden],
                       lang))
    if unserved:
        parts.append(t("vl.unserved", lang))
    if repeat:
        parts.append(t("vl.repeat_unhelped", lang))
    shown = ", ".join(parts) if parts else t("visits.filters_none", lang)
    return f"{shown} · {t('visits.filter_rows', lang, n=int(limit or 50))}"


def _filters_box(lang: str) -> html.Details:
    """The filters in a disclosure: closed on a phone (the list comes first), open on wide screens."""
    return html.Details([
        html.Summary([html.Span(t("visits.filters", lang), className="atlas-filters-title"),
                      html.Span(id=ids.VL_FILTER_SUMMARY, className="atlas-filters-summary")]),
        _filters_bar(lang),
    ], id=ids.VL_FILTERS, open=False, className="atlas-filters")


def _filters_bar(lang: str) -> html.Div:
    def opts(vocab: tuple) -> list[dict[str, str]]:
        return [{"label": c.ko if lang == "ko" else c.en, "value": c.code} for c in vocab]

    return html.Div([
        html.Div([html.Label(t("visits.tier", lang), className="atlas-label"),
                  dcc.Checklist(id=ids.VL_TIERS, inline=True, value=[],
                                options=[{"label": c.ko if lang == "ko" else c.en,
                                          "value": int(c.code)} for c in TIERS])]),
        html.Div([html.Label(t("visits.household_type", lang), className="atlas-label"),
                  dcc.Dropdown(id=ids.VL_TYPES, multi=True, options=opts(HOUSEHOLD_TYPES))],
                 className="atlas-field-wide"),
        html.Div([html.Label(t("visits.crisis_source", lang), className="atlas-label"),
                  dcc.Dropdown(id=ids.VL_SOURCES, multi=True, options=opts(CRISIS_SOURCES))],
                 className="atlas-field-wide"),
        html.Div([html.Label(t("visits.not_visited", lang), className="atlas-label",
                             htmlFor=ids.VL_DAYS),
                  dcc.Input(id=ids.VL_DAYS, type="number", min=0, max=3650, debounce=True)]),
        html.Div([html.Label(t("visits.limit", lang), className="atlas-label"),
                  dcc.Dropdown(id=ids.VL_LIMIT, clearable=False, value=50,
                               options=[{"label": str(n), "value": n} for n in LIMITS])],
                 className="atlas-field"),
        html.Div([html.Label(t("visits.overridden", lang), className="atlas-label"),
                  dcc.RadioItems(id=ids.VL_OVERRIDDEN, inline=True, value="",
                                 options=[{"label": t(k, lang), "value": v} for k, v in (
                                     ("visits.all", ""), ("visits.only_overridden", "yes"),
                                     ("visits.not_overridden", "no"))])]),
        dcc.Checklist(id=ids.VL_UNSERVED, value=[], options=[{"label": t("vl.unserved", lang),
                                                              "value": "on"}]),
        dcc.Checklist(id=ids.VL_REPEAT, value=[], options=[{"label": t("vl.repeat_unhelped", lang),
                                                            "value": "on"}]),
    ], className="atlas-toolbar")


def layout(**_query: str) -> html.Div:
    """Filters, the ranked table, exports and the route planner (outreach and admin only)."""
    viewer, lang = current_viewer(), current_lang()
    if not viewer.sees_households:
        refuse_household_role(get_store(), viewer, action="view_list", purpose="visit list page")
        return html.Div([html.H1(t("visits.title", lang)), access_notice(viewer, lang)])
    return html.Div([
        html.H1([t("visits.title", lang),
                 html.Span(f" · {viewer.jurisdiction_code or t('overview.scope_national', lang)}",
                           className="atlas-muted")]),
        _filters_box(lang),
        html.Div([html.Span(id=ids.VL_COUNT, className="atlas-muted"),
                  html.Button(t("visits.export_xlsx", lang), id=ids.VL_XLSX, className="atlas-button"),
                  html.Button(t("visits.export_csv", lang), id=ids.VL_CSV, className="atlas-button"),
                  dcc.Download(id=ids.VL_DOWNLOAD)], className="atlas-toolbar"),
        html.Div(id=ids.VL_ERROR),
        capacity_notice(get_store(), viewer, lang),
        html.Details([
            html.Summary(t("visits.route", lang)),
            html.P(t("visits.route_hint", lang), className="atlas-muted"),
            html.Button(t("visits.route", lang), id=ids.VL_ROUTE_BTN,
                        className="atlas-button atlas-button-primary"),
            dcc.Loading(html.Div([dcc.Graph(id=ids.VL_ROUTE_MAP, config=GRAPH_CONFIG,
                                            style={"display": "none"}),
                                  html.Div(id=ids.VL_ROUTE_TABLE)], className="atlas-grid-2"),
                        type="circle"),
        ], open=True, className="atlas-card", id="visits-route-box"),
        dcc.Loading(html.Div(id=ids.VL_TABLE_BOX), type="default"),
        history_section(get_store(), viewer, lang),
    ], className="atlas-visits")


def on_register(app) -> None:
    """Open the filters on wide screens once the page is in the browser (no server request)."""
    app.clientside_callback(OPEN_FILTERS_ON_WIDE_SCREENS, Output(ids.VL_FILTERS, "open"),
                            Input(ids.VL_FILTERS, "id"))


@page_callback(Output(ids.VL_FILTER_SUMMARY, "children"), *FILTER_INPUTS)
def show_filter_summary(tiers, types, sources, days, overridden, limit, unserved=None,
                        repeat=None) -> str:
    """The active filters, shown next to the closed disclosure's title."""
    return filter_summary(tiers, types, sources, days, overridden, limit, unserved, repeat,
                          current_lang())


@page_callback(Output(ids.VL_TABLE_BOX, "children"), Output(ids.VL_COUNT, "children"),
          Output(ids.VL_ERROR, "children"), *FILTER_INPUTS)
def refresh_list(tiers, types, sources, days, overridden, limit, unserved=None,
                 repeat=None) -> tuple:
    """Rank and filter the jurisdiction's households."""
    lang = current_lang()
    try:
        frame = ranked_visits(get_store(), current_viewer(),
                              make_filters(tiers, types, sources, days, overridden, limit,
                                           unserved, repeat),
                              lang=lang)
    except (AccessDenied, VisitListInputError) as exc:
        return None, "", notice(f"{t('error.generic', lang)}: {exc}", kind="error")
    return visit_table(table_rows(frame, lang), lang), t("visits.count", lang, n=len(frame)), None


@page_callback(Output(ids.VL_DOWNLOAD, "data"), Input(ids.VL_XLSX, "n_clicks"),
          Input(ids.VL_CSV, "n_clicks"), *(State(i.component_id, i.component_property)
                                            for i in FILTER_INPUTS),
          prevent_initial_call=True)
def export(_xlsx, _csv, tiers, types, sources, days, overridden, _limit, unserved=None,
           repeat=None) -> dict:
    """Excel or CSV of the whole filtered list, not only the rows shown (audited)."""
    fmt = "xlsx" if ctx.triggered_id == ids.VL_XLSX else "csv"
    try:
        name, content = export_visits(get_store(), current_viewer(),
                                      make_filters(tiers, types, sources, days, overridden,
                                                   5000, unserved, repeat), fmt=fmt,
                                      lang=current_lang())
    except (AccessDenied, VisitListInputError):
        return no_update
    return dcc.send_bytes(content, name)


@page_callback(Output(ids.VL_ROUTE_MAP, "figure"), Output(ids.VL_ROUTE_MAP, "style"),
          Output(ids.VL_ROUTE_TABLE, "children"), Input(ids.VL_ROUTE_BTN, "n_clicks"),
          State({"type": SELECT_TYPE, "index": ALL}, "value"), prevent_initial_call=True)
def plan_route(_n: int, ticks: list[list[int]] | None) -> tuple:
    """Order the selected households from the team's office and draw the route."""
    lang, store = current_lang(), get_store()
    try:
        office, route = day_route(store, current_viewer(), [h for v in ticks or [] for h in v])
    except (AccessDenied, VisitListInputError) as exc:
        return no_update, {"display": "none"}, notice(str(exc), kind="warning")
    area = display_regions(store, "emd", parent_code=sigungu_of(route["emd_code"].iloc[0]))
    rows = route[["visit_order", "household_id", "leg_m"]].round({"leg_m": 0}).to_dict("records")
    total = t("visits.total", lang, km=route.attrs.get("route_total_m", 0.0) / 1000)
    return (route_figure(office, route, lang=lang, area=area[area["code"].isin(route["emd_code"])]),
            {"display": "block"},
            [html.P(total), table(rows, [(c, t(f"col.{c}", lang)) for c in rows[0]])])
