"""Pure chart builders for the overview page."""

from __future__ import annotations

from typing import Final

import pandas as pd
import plotly.graph_objects as go

from app.figures.maps import TIER_COLOURS
from app.i18n import t
from geodata.vocabulary import TIERS, VISIT_OUTCOMES, label

OUTCOME_COLOURS: Final[dict[str, str]] = {
    "supported": "#256ef4", "not_eligible": "#8a94a3", "unreachable": "#f08c00"}
_FONT: Final = '"Pretendard GOV", "Noto Sans KR", "Noto Sans CJK KR", sans-serif'


def _layout(fig: go.Figure, *, x_title: str, y_title: str) -> go.Figure:
    fig.update_layout(margin={"l": 48, "r": 12, "t": 12, "b": 48}, height=320,
                      paper_bgcolor="#ffffff", plot_bgcolor="#ffffff",
                      font={"family": _FONT, "size": 13}, barmode="stack",
                      legend={"orientation": "h", "y": -0.25})
    fig.update_xaxes(title=x_title, showgrid=False)
    fig.update_yaxes(title=y_title, gridcolor="#eaecf0")
    return fig


def discovery_trend_figure(trend: pd.DataFrame, *, lang: str = "ko") -> go.Figure:
    """Stacked bars of discovery outcomes per cycle (suppressed counts left out)."""
    fig = go.Figure()
    for outcome in OUTCOME_COLOURS:
        part = trend[trend["outcome"] == outcome]
        fig.add_trace(go.Bar(x=pd.to_datetime(part["cycle_date"]).dt.strftime("%Y-%m"),
                             y=part["households"], name=label(VISIT_OUTCOMES, outcome, lang=lang),
                             marker_color=OUTCOME_COLOURS[outcome]))
    return _layout(fig, x_title=t("overview.cycle", lang), y_title=t("overview.count", lang))


def tier_bar_figure(per_tier: dict[int, int | None], *, lang: str = "ko") -> go.Figure:
    """Households per tier (suppressed tiers shown as empty bars)."""
    tiers = [1, 2, 3, 4]
    fig = go.Figure(go.Bar(
        x=[label(TIERS, str(k), lang=lang) for k in tiers],
        y=[per_tier.get(k) or 0 for k in tiers],
        marker_color=[TIER_COLOURS[k] for k in tiers],
        text=[t("overview.suppressed", lang) if per_tier.get(k) is None else f"{per_tier[k]:,}"
              for k in tiers], textposition="outside"))
    return _layout(fig, x_title=t("visits.tier", lang), y_title=t("overview.count", lang))
