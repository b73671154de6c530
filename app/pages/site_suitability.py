"""입지 분석: k new facility sites for a target group in a 시군구 (MCLP or p-median, HiGHS).

The solve runs in an ordinary callback under ``dcc.Loading`` (the button is disabled while it
runs). Measured on the 60,000-household demo world (Seoul, largest 시군구, 2,573–3,313 demand
households, 96–175 candidates): MCLP 0.2–0.6 s, p-median 0.8–4.5 s once households are summed on
a 100 m grid for the solver, always within the 20 s HiGHS limit (the table then reports the gap).
A Dash background callback would run in a worker process without the Flask request, so it could
not read the viewer or the store the way every page does; see the report for what it would need.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

import dash
import plotly.graph_objects as go
from dash import Input, Output, State, callback, dcc, html

from analytics.access_control import AccessDenied, Viewer
from analytics.site_service import MAX_K, SITE_METHODS, SiteInputError, SitePlan, plan_sites
from analytics.supply_service import PLANNING_ROLES, TARGET_GROUPS
from app.auth import current_lang, current_viewer, get_store
from app.components import table
from app.figures.maps import GRAPH_CONFIG
from app.figures.supply_figures import site_map
from app.layout import access_notice, notice
from app.pages import _supply_ids as ids
from app.pages._supply_i18n import tr
from geodata.store.base import Store

log = logging.getLogger(__name__)

dash.register_page(__name__, path="/sites", order=50, name="입지 분석", name_ko="입지 분석",
                   name_en="Site suitability", roles=tuple(sorted(PLANNING_ROLES)),
                   title="입지 분석 · 복지 아틀라스")

RADII_M = (500, 1000, 1500, 2000, 3000, 5000)
TIME_LIMIT_S = 20.0
TABLE_COLUMNS = ("site", "kind", "emd", "people_in_reach", "households_in_reach")


class SiteView(NamedTuple):
    """What the page shows after a solve."""

    figure: go.Figure
    summary: list[html.P]
    rows: list[dict[str, object]]


def _count(value: object, lang: str) -> str:
    if value is None or value != value:  # None or NaN: suppressed
        return tr("common.suppressed", lang)
    return f"{float(value):,.0f}"


def site_rows(plan: SitePlan, lang: str) -> list[dict[str, object]]:
    """Rows of the chosen-sites table (counts of 1–4 shown as 비공개)."""
    return [{"site": int(r.site), "kind": tr(f"site.kind_{r.kind}", lang),
             "emd": r.emd_name, "people_in_reach": _count(r.people_in_reach, lang),
             "households_in_reach": _count(r.households_in_reach, lang),
             "lonlat": f"{r.geometry.y:.5f}, {r.geometry.x:.5f}"}
            for r in plan.sites.itertuples()]


def summary_lines(plan: SitePlan, lang: str) -> list[html.P]:
    """Coverage before/after and the solver's status, as paragraphs."""
    s = plan.summary
    households = _count(s["households_newly_in_reach"], lang)
    return [html.P(tr("site.summary", lang, people=s["demand_people"], before=s["share_before"],
                      after=s["share_after"], gained=s["coverage_gained"], k=s["k"],
                      households=households), className="atlas-notice atlas-notice-info"),
            html.P(tr("site.solver", lang, solver=s["solver"], status=s["status"],
                      gap=s["mip_gap"], seconds=s["seconds"], candidates=s["candidates"]),
                   className="atlas-muted")]


def build_site_view(store: Store, viewer: Viewer, *, sigungu: str, group: str, k: int,
                    radius_m: float, method: str, lang: str) -> SiteView:
    """Solve and format (plain function, no Dash)."""
    plan = plan_sites(store, viewer, sigungu_code=sigungu, target_group=group, k=int(k),
                      radius_m=float(radius_m), method=method,  # type: ignore[arg-type]
                      time_limit_s=TIME_LIMIT_S)
    labels = {"existing": tr("site.existing", lang), "new": tr("site.new", lang),
              "catchment": tr("site.catchment", lang)}
    figure = site_map(plan.regions, plan.sites, plan.catchments, plan.existing, labels=labels)
    return SiteView(figure, summary_lines(plan, lang), site_rows(plan, lang))


def region_options(store: Store, viewer: Viewer) -> list[dict[str, str]]:
    """시군구 the viewer may plan in (a planner: own 시군구 only)."""
    regions = store.read_frame("region", columns=["code", "full_name"],
                               where={"level": "sigungu"}).sort_values("code")
    if viewer.role == "planner":
        regions = regions[regions["code"] == (viewer.jurisdiction_code or "")[:5]]
    return [{"label": f"{r.full_name} ({r.code})", "value": r.code} for r in regions.itertuples()]


def _field(label: str, control: object, *, wide: bool = False) -> html.Div:
    return html.Div([html.Label(label, className="atlas-label"), control],
                    className="atlas-field-wide" if wide else None)


def _controls(store: Store, viewer: Viewer, lang: str) -> html.Div:
    regions = region_options(store, viewer)
    pick = 0 if lang == "ko" else 1
    return html.Div([
        _field(tr("site.region", lang), dcc.Dropdown(
            id=ids.SITE_REGION, options=regions, clearable=False,
            value=regions[0]["value"] if regions else None), wide=True),
        _field(tr("common.group", lang), dcc.Dropdown(
            id=ids.SITE_GROUP, clearable=False, value=TARGET_GROUPS[0].code,
            options=[{"label": g.label(lang), "value": g.code} for g in TARGET_GROUPS]), wide=True),
        _field(tr("site.k", lang), dcc.Input(id=ids.SITE_K, type="number", min=1, max=MAX_K,
                                             step=1, value=3)),
        _field(tr("site.radius", lang), dcc.Dropdown(
            id=ids.SITE_RADIUS, clearable=False, value=1500,
            options=[{"label": tr("common.km", lang, km=r / 1000), "value": r} for r in RADII_M])),
        _field(tr("site.method", lang), dcc.RadioItems(
            id=ids.SITE_METHOD, value="mclp", inline=True,
            options=[{"label": v[pick], "value": k} for k, v in SITE_METHODS.items()])),
        html.Button(tr("site.run", lang), id=ids.SITE_RUN,
                    className="atlas-button atlas-button-primary"),
    ], className="atlas-toolbar")


def layout(**_query: str) -> html.Div:
    """Inputs, the map of chosen sites and the table (planners, ministry, administrators)."""
    viewer, lang, store = current_viewer(), current_lang(), get_store()
    if viewer.role not in PLANNING_ROLES:
        body = access_notice(viewer, lang) if not viewer.is_authenticated else notice(
            tr("sd.denied", lang), kind="warning")
        return html.Div([html.H1(tr("site.title", lang)), body], id="site-denied")
    return html.Div([
        html.H1(tr("site.title", lang)),
        _controls(store, viewer, lang),
        html.Div(id=ids.SITE_ERROR),
        dcc.Loading(html.Div([
            html.Div(html.P(tr("site.hint", lang), className="atlas-muted"), id=ids.SITE_SUMMARY),
            dcc.Graph(id=ids.SITE_MAP, config=GRAPH_CONFIG,
                      className="atlas-map"),
            html.Div(id=ids.SITE_TABLE),
        ]), type="circle"),
    ])


@callback(Output(ids.SITE_MAP, "figure"), Output(ids.SITE_SUMMARY, "children"),
          Output(ids.SITE_TABLE, "children"), Output(ids.SITE_ERROR, "children"),
          Input(ids.SITE_RUN, "n_clicks"), State(ids.SITE_REGION, "value"),
          State(ids.SITE_GROUP, "value"), State(ids.SITE_K, "value"),
          State(ids.SITE_RADIUS, "value"), State(ids.SITE_METHOD, "value"),
          running=[(Output(ids.SITE_RUN, "disabled"), True, False)], prevent_initial_call=True)
def run(_n: int, sigungu: str, group: str, k: int | None, radius: float, method: str) -> tuple:
    """Solve the location model for the inputs and show the sites, coverage and table."""
    lang = current_lang()
    try:
        view = build_site_view(get_store(), current_viewer(), sigungu=sigungu, group=group,
                               k=int(k or 0), radius_m=float(radius), method=method, lang=lang)
    except (AccessDenied, SiteInputError) as exc:
        error = notice(f"{tr('error.generic', lang)}: {exc}", kind="error")
        return go.Figure(), [], None, error
    headers = [(c, tr(f"col.{c}", lang)) for c in (*TABLE_COLUMNS, "lonlat")]
    return view.figure, view.summary, table(view.rows, headers), None
