"""수급 분석: E2SFCA accessibility classes, mismatch by function and unmatched needs (aggregates)."""

from __future__ import annotations

import logging
from typing import NamedTuple

import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, dcc, html, no_update

from app import ids
from app.auth import current_lang, current_viewer, get_store
from app.components import data_grid, grid_column
from app.figures.maps import GRAPH_CONFIG, geojson
from app.figures.supply_figures import class_label, supply_class_map
from app.i18n import t
from app.layout import access_notice, notice
from app.pages import page_callback
from app.pages._density_note import density_note
from app.pages._needs_panel import DOWNLOAD as NEEDS_DOWNLOAD
from app.pages._needs_panel import EXPORT as NEEDS_EXPORT
from app.pages._needs_panel import needs_download, needs_section
from domain.access import Viewer
from domain.errors import AccessDenied
from domain.roles import PLANNING_ROLES, Role
from geodata.regions import sigungu_of
from geodata.store.base import Store
from services.regions import region_names
from services.supply import (
    FUNCTION_LABELS,
    OFFERED_CATCHMENTS_M,
    TARGET_GROUPS,
    SupplyInputError,
    mismatch_table,
    supply_demand,
)
from services.unmatched import (
    DEFAULT_UNMATCHED_RADIUS_M,
    export_unmatched_csv,
    unmatched_needs_table,
)

log = logging.getLogger(__name__)

PAGE: dict[str, object] = {"path": "/supply", "order": 40, "name": "수급 분석", "name_ko": "수급 분석",
        "name_en": "Supply and demand", "roles": tuple(sorted(PLANNING_ROLES)),
        "title": "수급 분석 · 복지 아틀라스"}

CATCHMENTS_KM = tuple(int(m // 1000) for m in OFFERED_CATCHMENTS_M)  # all precomputed
REGION_COLUMNS = ("name", "households", "demand", "capacity", "supply_in_reach",
                  "accessibility", "ratio", "class")
MISMATCH_COLUMNS = ("name", "function", "facilities", "capacity", "free_places", "demand",
                    "per_100", "national_per_100", "class")
UNMATCHED_COLUMNS = ("name", "in_need", "unmatched", "unmatched_share")


class SupplyView(NamedTuple):
    """What the page shows for one choice of inputs (rows carry numbers; the grid formats)."""

    figure: dict
    regions: list[dict[str, object]]
    mismatch: list[dict[str, object]]
    unmatched: list[dict[str, object]]


def _value(value: object) -> float | None:
    """A number for the grid, ``None`` for a suppressed or missing cell (shown as 비공개)."""
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def region_rows(frame: pd.DataFrame, lang: str) -> list[dict[str, object]]:
    """Rows of the region table (suppressed cells are ``None``, shown as 비공개)."""
    return [{"name": r.full_name, "households": _value(r.households),
             "demand": _value(r.demand), "capacity": _value(r.capacity),
             "supply_in_reach": _value(r.supply_in_reach),
             "accessibility": _value(r.accessibility),
             "ratio": _value(r.demand_supply_ratio),
             "class": class_label(r.supply_class, lang)} for r in frame.itertuples()]


def mismatch_rows(frame: pd.DataFrame, lang: str) -> list[dict[str, object]]:
    """Rows of the mismatch table."""
    pick = 0 if lang == "ko" else 1
    return [{"name": r.name, "function": FUNCTION_LABELS.get(r.function, (r.function,) * 2)[pick],
             "facilities": _value(r.facilities), "capacity": _value(r.capacity),
             "free_places": _value(r.free_places), "demand": _value(r.demand),
             "per_100": _value(r.places_per_100),
             "national_per_100": _value(r.national_per_100),
             "class": class_label(r.gap_class, lang)} for r in frame.itertuples()]


def unmatched_rows(frame: pd.DataFrame, lang: str) -> list[dict[str, object]]:
    """Rows of the unmatched-needs table (share 0–1, shown as a percentage)."""
    return [{"name": r.name, "in_need": _value(r.in_need), "unmatched": _value(r.unmatched),
             "unmatched_share": _value(r.unmatched_share)} for r in frame.itertuples()]


#: Display of each table column: kind and decimals (see :func:`app.components.grid_column`).
_COLUMN_FORMATS: dict[str, tuple[str, int]] = {
    "households": ("number", 0), "demand": ("number", 0), "capacity": ("number", 0),
    "supply_in_reach": ("number", 0), "accessibility": ("number", 3), "ratio": ("number", 2),
    "facilities": ("number", 0), "free_places": ("number", 0), "per_100": ("number", 1),
    "national_per_100": ("number", 1), "in_need": ("number", 0), "unmatched": ("number", 0),
    "unmatched_share": ("percent", 1)}


def grid_columns(columns: tuple[str, ...], lang: str) -> list[dict[str, object]]:
    """Column definitions of one of the three tables."""
    hidden = t("common.suppressed", lang)
    out = []
    for c in columns:
        kind, digits = _COLUMN_FORMATS.get(c, ("text", 0))
        out.append(grid_column(c, t("col.region" if c == "name" else f"col.{c}", lang),
                               kind=kind, digits=digits, missing=hidden,
                               width=160 if c == "name" else None))
    return out


def class_map(store: Store, regions: pd.DataFrame, *, level: str, parent: str | None,
              lang: str) -> dict:
    """The class map; the outlines' GeoJSON is kept per level, parent and region-table version."""
    key = (level, parent or "", store.data_version("region"))
    cache = store.cache.region("supply_page.outlines", maxsize=32)
    outlines = cache.get_or_compute(key, lambda: geojson(regions, grid=1e-4))
    return supply_class_map(regions, lang=lang, hover_title=t("col.accessibility", lang),
                            outlines=outlines)


def build_supply_view(store: Store, viewer: Viewer, *, group: str, level: str,
                      parent: str | None, catchment_km: float, lang: str) -> SupplyView:
    """Call the services and format their results (plain function, no Dash)."""
    regions = supply_demand(store, viewer, target_group=group, level=level,  # type: ignore[arg-type]
                            parent_code=parent or None, catchment_m=1000 * catchment_km)
    mismatch = mismatch_table(store, viewer, level=level, parent_code=parent or None,  # type: ignore[arg-type]
                              target_groups=[group])
    unmatched = unmatched_needs_table(store, viewer, target_group=group, level=level,  # type: ignore[arg-type]
                                      parent_code=parent or None)
    figure = class_map(store, regions, level=level, parent=parent, lang=lang)
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
        density_note(store, lang),
        html.H2(t("sd.table", lang)),
        data_grid(ids.SD_TABLE, grid_columns(REGION_COLUMNS, lang), lang=lang,
                  label=t("sd.table", lang)),
        html.H2(t("sd.mismatch", lang)),
        html.P(t("sd.mismatch_note", lang), className="atlas-muted"),
        data_grid(ids.SD_MISMATCH, grid_columns(MISMATCH_COLUMNS, lang), lang=lang,
                  label=t("sd.mismatch", lang)),
        html.H2(t("sd.unmatched", lang, km=km)),
        html.Div([html.Button(t("sd.export", lang), id=ids.SD_EXPORT, className="atlas-button"),
                  dcc.Download(id=ids.SD_DOWNLOAD)], className="atlas-toolbar"),
        data_grid(ids.SD_UNMATCHED, grid_columns(UNMATCHED_COLUMNS, lang), lang=lang,
                  label=t("sd.unmatched", lang, km=km)),
        needs_section(store, viewer, lang),
    ])


INPUTS = [Input(ids.SD_GROUP, "value"), Input(ids.SD_LEVEL, "value"),
          Input(ids.SD_PARENT, "value"), Input(ids.SD_CATCHMENT, "value")]


@page_callback(Output(ids.SD_MAP, "figure"), Output(ids.SD_TABLE, "rowData"),
          Output(ids.SD_NOTE, "children"), *INPUTS)
def render(group: str, level: str, parent: str | None, catchment_km: float) -> tuple:
    """The class map and the region table (first: the page shows its map before the rest)."""
    lang, store = current_lang(), get_store()
    try:
        regions = supply_demand(store, current_viewer(), target_group=group,
                                level=level, parent_code=parent or None,  # type: ignore[arg-type]
                                catchment_m=1000 * float(catchment_km or 3))
    except (AccessDenied, SupplyInputError) as exc:
        return go.Figure(), [], notice(f"{t('error.generic', lang)}: {exc}", kind="error")
    figure = class_map(store, regions, level=level, parent=parent, lang=lang)
    return figure, region_rows(regions, lang), None


@page_callback(Output(ids.SD_MISMATCH, "rowData"), Output(ids.SD_UNMATCHED, "rowData"), *INPUTS)
def render_tables(group: str, level: str, parent: str | None, _catchment_km: float) -> tuple:
    """The mismatch and unmatched-needs tables (a separate request, filled after the map)."""
    lang, store, viewer = current_lang(), get_store(), current_viewer()
    try:
        mismatch = mismatch_table(store, viewer, level=level, parent_code=parent or None,  # type: ignore[arg-type]
                                  target_groups=[group])
        unmatched = unmatched_needs_table(store, viewer, target_group=group, level=level,  # type: ignore[arg-type]
                                          parent_code=parent or None)
    except (AccessDenied, SupplyInputError):
        return [], []
    return mismatch_rows(mismatch, lang), unmatched_rows(unmatched, lang)


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


@page_callback(Output(NEEDS_DOWNLOAD, "data"), Input(NEEDS_EXPORT, "n_clicks"), prevent_initial_call=True)
def export_needs(_n):
    """Download the registered unmet needs (suppressed summary; audited)."""
    return needs_download()
