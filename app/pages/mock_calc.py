"""복지 모의계산 (public, no login): which programmes may apply to a household, and why.

Nothing is stored and no personal data is asked for; the page reads no store at all. Every
field is a text box so that anything typed reaches the server and gets a specific message.
"""

from __future__ import annotations

import datetime as dt
import logging

from dash import Input, Output, State, dcc, html

from app.auth import current_lang
from app.i18n import t
from app.layout import notice
from app.pages import page_callback
from app.pages._eligibility_view import decision_list
from eligibility.calculator import AMOUNT_FIELDS, REGIONS, CalculatorAnswer
from services.eligibility import mock_calculation

log = logging.getLogger(__name__)

PAGE: dict[str, object] = {"path": "/mock-calc", "order": 65, "name": "복지 모의계산",
                           "name_ko": "복지 모의계산", "name_en": "Benefit calculator",
                           "title": "복지 모의계산 · 복지 아틀라스"}

PREFIX = "mc-"
COUNT_FIELDS = ("size", "head_age", "spouse_age", "n_children", "n_severe_disabled")
FLAG_FIELDS = ("single_parent", "car_exempt")
TEXT_FIELDS = ("date", *COUNT_FIELDS, *AMOUNT_FIELDS)


def _text(name: str, label: str, *, value: str = "", placeholder: str = "") -> html.Div:
    return html.Div([html.Label(label, htmlFor=PREFIX + name, className="atlas-label"),
                     dcc.Input(id=PREFIX + name, type="text", value=value, placeholder=placeholder,
                               inputMode="numeric", autoComplete="off")], className="atlas-field")


def _flag(name: str, label: str) -> dcc.Checklist:
    return dcc.Checklist(id=PREFIX + name, options=[{"label": label, "value": "on"}], value=[])


def _form(lang: str) -> html.Div:
    en = lang == "en"
    regions = [{"label": v[3] if en else v[2], "value": k} for k, v in REGIONS.items()]
    amount_label = {k: (v[1] if en else v[0]) + f" ({t('mc.won', lang)})" for k, v in AMOUNT_FIELDS.items()}
    income = ("earned_income", "other_income")
    return html.Div([
        html.Fieldset([html.Legend(t("mc.household", lang)), html.Div([
            _text("date", t("mc.date", lang), value=dt.date.today().isoformat(), placeholder="YYYY-MM-DD"),
            _text("size", t("mc.size", lang), value="1"),
            html.Div([html.Label(t("mc.region", lang), htmlFor=PREFIX + "region", className="atlas-label"),
                      dcc.Dropdown(id=PREFIX + "region", options=regions, value="seoul", clearable=False)],
                     className="atlas-field"),
            _text("head_age", t("mc.head_age", lang), value="40"),
            _text("spouse_age", t("mc.spouse_age", lang)),
            _text("n_children", t("mc.n_children", lang), value="0"),
            _text("n_severe_disabled", t("mc.n_severe_disabled", lang), value="0"),
            _flag("single_parent", t("mc.single_parent", lang)),
        ], className="atlas-form-grid")], className="atlas-card"),
        html.Fieldset([html.Legend(t("mc.income", lang)), html.Div(
            [_text(k, amount_label[k], value="0", placeholder="0") for k in income],
            className="atlas-form-grid")], className="atlas-card"),
        html.Fieldset([html.Legend(t("mc.property", lang)), html.Div(
            [_text(k, amount_label[k], value="0", placeholder="0") for k in AMOUNT_FIELDS if k not in income]
            + [_flag("car_exempt", t("mc.car_exempt", lang))],
            className="atlas-form-grid")], className="atlas-card"),
        html.Button(t("mc.submit", lang), id=PREFIX + "submit", n_clicks=0,
                    className="atlas-button atlas-button-primary"),
    ])


def layout(**_query: str) -> html.Div:
    """The form and the (empty) result area; open to everyone."""
    lang = current_lang()
    return html.Div([
        html.H1(t("mc.title", lang)),
        html.P(t("mc.intro", lang), className="atlas-muted"),
        _form(lang),
        html.Div(id=PREFIX + "result", role="region", **{"aria-live": "polite"}),
    ])


def render_answer(result: CalculatorAnswer, lang: str) -> html.Div:
    """Errors as a list naming each field, or the decisions with their traces."""
    en = lang == "en"
    if not result.ok:
        return html.Div([
            notice(t("mc.errors", lang), kind="error"),
            html.Ul([html.Li(e.en if en else e.ko, **{"data-field": e.field}) for e in result.errors],
                    id=PREFIX + "errors", className="atlas-error"),
        ])
    date = result.date.isoformat() if result.date else ""
    return html.Div([
        html.H2(t("mc.results", lang, date=date)),
        decision_list(result.decisions, lang, list_id=PREFIX + "decisions"),
        *[html.P(n[1] if en else n[0], className="atlas-muted") for n in result.notes],
        html.P(t("mc.simplified", lang), className="atlas-muted"),
        html.P(t("mc.apply", lang)),
    ], className="atlas-card")


@page_callback(Output(PREFIX + "result", "children"), Input(PREFIX + "submit", "n_clicks"),
          State(PREFIX + "region", "value"),
          *[State(PREFIX + name, "value") for name in TEXT_FIELDS],
          *[State(PREFIX + name, "value") for name in FLAG_FIELDS],
          prevent_initial_call=True)
def calculate(_clicks: int, region: str | None, *values: object) -> html.Div:
    """Run the calculator on the form (nothing is stored or logged beyond errors)."""
    lang = current_lang()
    form: dict[str, object] = {"region": region}
    form.update(zip(TEXT_FIELDS, values[: len(TEXT_FIELDS)], strict=True))
    form.update({name: bool(v) for name, v in zip(FLAG_FIELDS, values[len(TEXT_FIELDS):], strict=True)})
    try:
        result = mock_calculation(form)
    except Exception:  # the calculator never raises for input; this guards the page anyway
        log.exception("mock calculator failed")
        return notice(t("error.generic", lang), kind="error")
    return render_answer(result, lang)
