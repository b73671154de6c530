"""현황 (home): KPIs of the viewer's scope and discovery outcomes by cycle."""

from __future__ import annotations

import logging

from dash import dcc, html

from app import ids
from app.auth import current_lang, current_viewer, get_store
from app.figures.charts import discovery_trend_figure, tier_bar_figure
from app.i18n import t
from app.layout import kpi_card, notice
from geodata.vocabulary import TIERS, label
from services.overview import discovery_trend, kpis
from services.scores import has_scores

log = logging.getLogger(__name__)

PAGE: dict[str, object] = {"path": "/", "order": 0, "nav_key": "nav.overview", "name": "현황",
        "title": "현황 · 복지 아틀라스"}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _num(value: int | None, lang: str) -> str:
    return t("overview.suppressed", lang) if value is None else f"{value:,}"


def layout(**_query: str) -> html.Div:
    """KPI tiles and two charts, computed for the viewer's scope at render time."""
    viewer, lang, store = current_viewer(), current_lang(), get_store()
    if not has_scores(store):
        return html.Div([html.H1(t("overview.title", lang)), notice(t("error.no_data", lang))])
    k = kpis(store, viewer)
    scope = k.scope_code or t("overview.scope_national", lang)
    tiles = [kpi_card(t("overview.households", lang), f"{k.scored:,}", card_id="kpi-scored")]
    tiles += [kpi_card(t("overview.tier", lang, tier=label(TIERS, str(n), lang=lang)),
                       _num(k.per_tier.get(n), lang), card_id=f"kpi-tier-{n}") for n in (1, 2)]
    tiles += [kpi_card(t("overview.visits_month", lang), _num(k.visits_this_month, lang)),
              kpi_card(t("overview.link_rate", lang), _pct(k.support_link_rate)),
              kpi_card(t("overview.discovery_rate", lang), _pct(k.discovery_link_rate))]
    trend = discovery_trend(store, viewer)
    return html.Div([
        html.H1([t("overview.title", lang), html.Span(f" · {scope}", className="atlas-muted")]),
        html.Div(tiles, className="atlas-kpis", id=ids.OV_KPIS),
        html.Div([
            html.Section([html.H2(t("overview.tiers", lang)),
                          dcc.Graph(id=ids.OV_TIERS, figure=tier_bar_figure(k.per_tier, lang=lang),
                                    config={"displayModeBar": False})], className="atlas-card"),
            html.Section([html.H2(t("overview.trend", lang)),
                          dcc.Graph(id=ids.OV_TREND, figure=discovery_trend_figure(trend, lang=lang),
                                    config={"displayModeBar": False})], className="atlas-card"),
        ], className="atlas-grid-2"),
    ])
