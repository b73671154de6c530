"""수급 분석: E2SFCA accessibility classes, mismatch by function and unmatched needs (aggregates)."""

from __future__ import annotations

import logging
from typing import NamedTuple

import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, dcc, html, no_update

from app import ids
from app.auth import current_lang, current_viewer, get_store
from app.components import table
from app.figures.maps import GRAPH_CONFIG
from app.figures.supply_figures import class_label, supply_class_map
from app.i18n import t
from app.layout import access_notice, notice
from app.pages import page_callback
from domain.access import Viewer
from domain.errors import AccessDenied
from domain.roles import PLANNING_ROLES, Role
from geodata.regions import sigungu_of
from geodata.store.base import Store
from services.regions import region_names
from services.supply import (
    DEFAULT_UNMATCHED_RADIUS_M,
    FUNCTION_LABELS,
    TARGET_GROUPS,
    SupplyInputError,
    export_unmatched_csv,
    mismatch_table,
    supply_demand,
    unmatched_needs_table,
)

log = logging.getLogger(__name__)

PAGE: dict[str, object] = {"path": "/supply", "order": 40, "name": "수급 분석", "name_ko": "수급 분석",
        "name_en": "Supply and demand", "roles": tuple(sorted(PLANNING_ROLES)),
        "title": "수급 분석 · 복지 아틀라스"}

CATCHMENTS_KM = (1, 2, 3, 5, 10)
REGION_COLUMNS = ("name", "households", "demand", "capacity", "supply_in_reach",
                  "accessibility", "ratio", "class")
MISMATCH_COLUMNS = ("name", "function", "facilities", "capacity", "free_places", "demand",
                    "per_100", "national_per_100", "class")
UNMATCHED_COLUMNS = ("name", "in_need", "unmatched", "unmatched_share")


class SupplyView(NamedTuple):
    """What the page shows for one choice of inputs."""

    figure: go.Figure
    regions: list[dict[str, object]]
    mismatch: list[dict[str, object]]
    unmatched: list[dict[str, object]]

    def tables(self, lang: str) -> tuple[html.Div, html.Div, html.Div]:
        """The three tables as HTML tables."""
        return (_table(self.regions, REGION_COLUMNS, lang), _table(self.mismatch,
                                                                   MISMATCH_COLUMNS, lang),
                _table(self.unmatched, UNMATCHED_COLUMNS, lang))


def _num(value: object, lang: str, fmt: str = "{:,.0f}") -> str:
    return t("common.suppressed", lang) if value is None or pd.isna(value) else fmt.format(value)


def region_rows(frame: pd.DataFrame, lang: str) -> list[dict[str, object]]:
    """Rows of the region table (suppressed cells shown as 비공개)."""
    return [{"name": r.full_name, "households": _num(r.households, lang),
             "demand": _num(r.demand, lang), "capacity": f"{r.capacity:,.0f}",
             "supply_in_reach": f"{r.supply_in_reach:,.0f}",
             "accessibility": _num(r.accessibility, lang, "{:.3f}"),
             "ratio": _num(r.demand_supply_ratio, lang, "{:.2f}"),
             "class": class_label(r.supply_class, lang)} for r in frame.itertuples()]


def mismatch_rows(frame: pd.DataFrame, lang: str) -> list[dict[str, object]]:
    """Rows of the mismatch table."""
    pick = 0 if lang == "ko" else 1
    return [{"name": r.name, "function": FUNCTION_LABELS.get(r.function, (r.function,) * 2)[pick],
             "facilities": f"{r.facilities:,.0f}", "capacity": f"{r.capacity:,.0f}",
             "free_places": f"{r.free_places:,.0f}", "demand": _num(r.demand, lang),
             "per_100": _num(r.places_per_100, lang, "{:.1f}"),
             "national_per_100": f"{r.national_per_100:.1f}",
             "class": class_label(r.gap_class, lang)} for r in frame.itertuples()]


def unmatched_rows(frame: pd.DataFrame, lang: str) -> list[dict[str, object]]:
    """Rows of the unmatched-needs table."""
    return [{"name": r.name, "in_need": _num(r.in_need, lang), "unmatched": _num(r.unmatched, lang),
             "unmatched_share": _num(None if pd.isna(r.unmatched_share) else
                                     100 * r.unmatched_share, lang, "{:.1f}%")}
            for r in frame.itertuples()]


def build_supply_view(store: Store, viewer: Viewer, *, group: str, level: str,
                      parent: str | None, catchment_km: float, lang: str) -> SupplyView:
    """Call the services and format their results (plain function, no Dash)."""
    regions = supply_demand(store, viewer, target_group=group, level=level,  # type: ignore[arg-type]
                            parent_code=parent or None, catchment_m=1000 * catchment_km)
    mismatch = mismatch_table(store, viewer, level=level, parent_code=parent or None,  # type: ignore[arg-type]
                              target_groups=[group])
    unmatched = unmatched_needs_table(store, viewer, target_group=group, level=level,  # type: ignore[arg-type]
                                      parent_code=parent or None)
    figure = supply_class_map(regions, lang=lang, hover_title=t("col.accessibility", lang))
    return SupplyView(figure, region_rows(regions, lang), mismatch_rows(mismatch, lang),
                      unmatched_rows(unmatched, lang))


def default_scope(viewer: Viewer) -> tuple[str, str | None]:
    """Level and parent region a viewer starts with: own 시군구's 읍면동, or national 시군구."""
    if viewer.role == Role.PLANNER and viewer.jurisdiction_code:
        return "emd", sigungu_of(viewer.jurisdiction_code)
    return "sigungu", None


def parent_options(store: Store, lang: str) -> list[dict[str, str]]:
    """Nationwide, then every 시도 and 시군구 in the store."""
    options = [{"label": t("common.all_regions", lang), "value": ""}]
    options += [{"label": f"{r.full_name} ({r.code})", "value": r.code}
                for r in region_names(store, ("sido", "sigungu")).itertuples()]
    return options


def _table(rows: list[dict[str, object]], columns: tuple[str, ...], lang: str) -> html.Div:
    headers = [(c, t("col.region" if c == "name" else f"col.{c}", lang)) for c in columns]
    return table(rows, headers, empty=t("common.no_rows", lang))


def _controls(store: Store, viewer: Viewer, lang: str) -> html.Div:
    level, parent = default_scope(viewer)
    return html.Div([
        html.Div([html.Label(t("common.group", lang), className="atlas-label"),
                  dcc.Dropdown(id=ids.SD_GROUP, clearable=False, value=TARGET_GROUPS[0].code,
                               options=[{"label": g.label(lang), "value": g.code}
                                        for g in TARGET_GROUPS])], className="atlas-field-wide"),
        html.Div([html.Label(t("common.level", lang), className="atlas-label"),
                  dcc.RadioItems(id=ids.SD_LEVEL, value=level, inline=True,
                                 options=[{"label": t(f"common.{v}", lang), "value": v}
                                          for v in ("sigungu", "emd")])]),
        html.Div([html.Label(t("sd.parent", lang), className="atlas-label"),
                  dcc.Dropdown(id=ids.SD_PARENT, value=parent or "", clearable=False,
                               options=parent_options(store, lang))], className="atlas-field-wide"),
        html.Div([html.Label(t("sd.catchment", lang), className="atlas-label"),
                  dcc.Dropdown(id=ids.SD_CATCHMENT, value=3, clearable=False,
                               options=[{"label": t("common.km", lang, km=k), "value": k}
                                        for k in CATCHMENTS_KM])]),
    ], className="atlas-toolbar")


def layout(**_query: str) -> html.Div:
    """Controls, the class map and three tables (planners, ministry and administrators)."""
    viewer, lang, store = current_viewer(), current_lang(), get_store()
    if viewer.role not in PLANNING_ROLES:
        body = access_notice(viewer, lang) if not viewer.is_authenticated else notice(
            t("sd.denied", lang), kind="warning")
        return html.Div([html.H1(t("sd.title", lang)), body], id="supply-denied")
    km = DEFAULT_UNMATCHED_RADIUS_M / 1000
    return html.Div([
        html.H1(t("sd.title", lang)),
        _controls(store, viewer, lang),
        html.Div(id=ids.SD_NOTE),
        html.H2(t("sd.map", lang)),
        dcc.Loading(dcc.Graph(id=ids.SD_MAP, config=GRAPH_CONFIG,
                              className="atlas-map"), type="circle"),
        html.P(t("sd.note", lang), className="atlas-muted"),
        html.H2(t("sd.table", lang)),
        html.Div(id=ids.SD_TABLE),
        html.H2(t("sd.mismatch", lang)),
        html.P(t("sd.mismatch_note", lang), className="atlas-muted"),
        html.Div(id=ids.SD_MISMATCH),
        html.H2(t("sd.unmatched", lang, km=km)),
        html.Div([html.Button(t("sd.export", lang), id=ids.SD_EXPORT, className="atlas-button"),
                  dcc.Download(id=ids.SD_DOWNLOAD)], className="atlas-toolbar"),
        html.Div(id=ids.SD_UNMATCHED),
    ])


INPUTS = [Input(ids.SD_GROUP, "value"), Input(ids.SD_LEVEL, "value"),
          Input(ids.SD_PARENT, "value"), Input(ids.SD_CATCHMENT, "value")]


@page_callback(Output(ids.SD_MAP, "figure"), Output(ids.SD_TABLE, "children"),
          Output(ids.SD_MISMATCH, "children"), Output(ids.SD_UNMATCHED, "children"),
          Output(ids.SD_NOTE, "children"), *INPUTS)
def render(group: str, level: str, parent: str | None, catchment_km: float) -> tuple:
    """Recompute the map and the tables for the chosen group, level, area and catchment."""
    lang = current_lang()
    try:
        view = build_supply_view(get_store(), current_viewer(), group=group, level=level,
                                 parent=parent, catchment_km=float(catchment_km or 3), lang=lang)
    except (AccessDenied, SupplyInputError) as exc:
        error = notice(f"{t('error.generic', lang)}: {exc}", kind="error")
        return go.Figure(), [], [], [], error
    return view.figure, *view.tables(lang), None


@page_callback(Output(ids.SD_DOWNLOAD, "data"), Input(ids.SD_EXPORT, "n_clicks"),
          *(State(i.component_id, i.component_property) for i in INPUTS[:3]),
          prevent_initial_call=True)
def export(_n: int, group: str, level: str, parent: str | None) -> dict:
    """CSV of the (suppressed) unmatched-needs table; the service audits the export."""
    try:
        name, content = export_unmatched_csv(get_store(), current_viewer(), target_group=group,
                                             level=level, parent_code=parent or None,  # type: ignore[arg-type]
                                             lang=current_lang())
    except (AccessDenied, SupplyInputError):
        return no_update
    return dcc.send_bytes(content, name)
