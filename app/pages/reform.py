"""소득·재산 조사 표준화 모의 (planners, ministry, admin): current law vs the seed's four
standardised survey types over the world, PolicyEngine-style (who gains, who loses, where)."""

from __future__ import annotations

import logging

import pandas as pd
from dash import dcc, html

from app.auth import current_lang, current_viewer, get_store
from app.components import table
from app.figures.maps import GRAPH_CONFIG
from app.figures.reform_figures import reform_change_map
from app.i18n import t
from app.layout import access_notice, kpi_card, notice
from domain.errors import AccessDenied
from domain.roles import PLANNING_ROLES, Role
from geodata.vocabulary import HOUSEHOLD_TYPES, label
from services.eligibility import EligibilityInputError, ReformImpact, programme_label, reform_impact
from services.regions import display_regions, region_full_name, region_names

log = logging.getLogger(__name__)

PAGE: dict[str, object] = {"path": "/reform", "order": 55, "name": "조사 표준화 모의",
                           "name_ko": "조사 표준화 모의", "name_en": "Survey standardisation",
                           "roles": tuple(sorted(PLANNING_ROLES)),
                           "title": "조사 표준화 모의 · 복지 아틀라스"}


def _number(value: object, *, signed: bool = False, won: bool = False) -> str:
    if value is None or pd.isna(value):
        return "—"
    text = f"{float(value):+,.0f}" if signed else f"{float(value):,.0f}"
    return f"{text}원" if won else text


def programme_rows(impact: ReformImpact, lang: str) -> list[dict[str, object]]:
    """Rows of the programme table (plain function, no Dash)."""
    rows = []
    for code, r in impact.programmes.iterrows():
        no_amount = pd.isna(r["monthly_cost_current_krw"]) and not r.get("suppressed", False)
        rows.append({
            "programme": programme_label(str(code), lang),
            "current": _number(r["recipients_current"]), "reform": _number(r["recipients_reform"]),
            "change": _number(r["recipients_change"], signed=True),
            "cost_current": t("rf.no_amount", lang) if no_amount else _number(r["monthly_cost_current_krw"], won=True),
            "cost_change": t("rf.no_amount", lang) if no_amount else _number(r["monthly_cost_change_krw"], signed=True, won=True),
        })
    return rows


def group_rows(frame: pd.DataFrame, names: dict[str, str], lang: str, *, top: int | None = None
               ) -> list[dict[str, object]]:
    """Rows of a group table (household type or region), suppressed cells as 비공개."""
    shown = frame.copy()
    if top is not None:
        shown = shown.assign(_abs=shown["net_recipients"].abs()).sort_values("_abs", ascending=False, na_position="last").head(top)
    rows = []
    for key, r in shown.iterrows():
        hidden = bool(r.get("suppressed", False))
        rows.append({
            "group": names.get(str(key), str(key)),
            "households": t("rf.suppressed", lang) if hidden else _number(r["households"]),
            "gainers": "" if hidden else _number(r["gainers"]),
            "losers": "" if hidden else _number(r["losers"]),
            "net": "" if hidden else _number(r["net_recipients"], signed=True),
            "cost": "" if hidden else _number(r["cost_change_krw"], signed=True, won=True),
        })
    return rows


def _group_columns(lang: str) -> list[tuple[str, str]]:
    return [(k, t(f"rf.col.{k}", lang)) for k in ("group", "households", "gainers", "losers", "net", "cost")]


def layout(**_query: str) -> html.Div:
    """KPIs, the programme table, the map of changes and the group tables (audited)."""
    viewer, lang = current_viewer(), current_lang()
    title = html.H1(t("rf.title", lang))
    if viewer.role not in PLANNING_ROLES:
        return html.Div([title, access_notice(viewer, lang) if not viewer.is_authenticated
                         else notice(t("rf.denied", lang), kind="warning")], id="reform-denied")
    store = get_store()
    try:
        impact = reform_impact(store, viewer)
    except (AccessDenied, EligibilityInputError) as exc:
        return html.Div([title, notice(f"{t('error.generic', lang)}: {exc}", kind="error")], id="reform-denied")
    planner = viewer.role == Role.PLANNER
    scope = region_full_name(store, viewer.jurisdiction_code) if planner else t("rf.national", lang)
    level = "emd" if planner else "sigungu"
    outlines = display_regions(store, level, parent_code=viewer.jurisdiction_code if planner else None)
    names = dict(region_names(store, level)[["code", "full_name"]].itertuples(index=False, name=None))
    types = {c.code: label(HOUSEHOLD_TYPES, c.code, lang=lang) for c in HOUSEHOLD_TYPES}
    regions_shown = impact.by_region.dropna(subset=["net_recipients"])
    net = regions_shown["net_recipients"].sum() if len(regions_shown) else None
    cost = impact.programmes["monthly_cost_change_krw"].sum(min_count=1)
    return html.Div([
        title,
        html.P(t("rf.intro", lang), className="atlas-muted"),
        html.P(t("rf.scope", lang, scope=scope, date=impact.date.isoformat())),
        html.P(impact.label_en if lang == "en" else impact.label_ko, className="atlas-label"),
        html.Div([kpi_card(t("rf.households", lang), _number(impact.households)),
                  kpi_card(t("rf.gainers", lang), _number(impact.gainers), card_id="reform-gainers"),
                  kpi_card(t("rf.losers", lang), _number(impact.losers), card_id="reform-losers"),
                  kpi_card(t("rf.net", lang), _number(net, signed=True), card_id="reform-net"),
                  kpi_card(t("rf.cost", lang), _number(cost, signed=True, won=True), card_id="reform-cost")],
                 className="atlas-kpis"),
        html.Section([html.H2(t("rf.programmes", lang)), table(
            programme_rows(impact, lang),
            [(k, t(f"rf.col.{k}", lang)) for k in ("programme", "current", "reform", "change", "cost_current", "cost_change")],
            table_id="reform-programmes")], className="atlas-card"),
        html.Section([html.H2(t("rf.map", lang)),
                      dcc.Graph(id="reform-map", config=GRAPH_CONFIG, className="atlas-map",
                                figure=reform_change_map(outlines, impact.by_region, lang=lang))],
                     className="atlas-card"),
        html.Div([
            html.Section([html.H2(t("rf.by_type", lang)),
                          table(group_rows(impact.by_type, types, lang), _group_columns(lang),
                                table_id="reform-by-type")], className="atlas-card"),
            html.Section([html.H2(t("rf.by_region", lang)),
                          table(group_rows(impact.by_region, names, lang, top=25), _group_columns(lang),
                                table_id="reform-by-region")], className="atlas-card"),
        ], className="atlas-grid-2"),
    ])
