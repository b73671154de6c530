"""The case page's eligibility panel: likely programmes with traces and the blind-spot flag."""

from __future__ import annotations

import datetime as dt

from dash import html

from app.i18n import t
from app.layout import notice
from app.pages._eligibility_view import decision_list
from domain.access import Viewer
from domain.errors import AccessDenied
from geodata.store.base import Store
from services.eligibility import EligibilityInputError, case_eligibility, programme_label

PANEL_ID = "case-eligibility"


def eligibility_panel(store: Store, viewer: Viewer, household_id: int, lang: str, *,
                      on: dt.date | None = None) -> html.Section:
    """A card with the flag ("likely eligible but not receiving"), each decision and its steps
    (the service audits the view as ``view_eligibility``)."""
    title = html.H2(t("ce.title", lang))
    try:
        result = case_eligibility(store, viewer, household_id, on=on, purpose="case page")
    except (AccessDenied, EligibilityInputError) as exc:
        return html.Section([title, notice(f"{t('error.generic', lang)}: {exc}", kind="error")],
                            className="atlas-card", id=PANEL_ID)
    if result.unserved:
        names = ", ".join(programme_label(code, lang) for code in result.unserved)
        flag = html.Div(notice(t("ce.flag", lang, names=names), kind="warning"), id=f"{PANEL_ID}-flag")
    else:
        flag = html.Div(notice(t("ce.no_flag", lang)), id=f"{PANEL_ID}-flag")
    return html.Section([
        title,
        html.P(t("mc.results", lang, date=result.date.isoformat()), className="atlas-muted"),
        flag,
        decision_list(result.decisions, lang, received=result.received, list_id=f"{PANEL_ID}-list",
                      collapse_unlikely=True),
        html.P(result.assumptions_en if lang == "en" else result.assumptions_ko, className="atlas-muted"),
        html.A(t("ce.link", lang), href="/mock-calc", className="atlas-button"),
    ], className="atlas-card", id=PANEL_ID)
