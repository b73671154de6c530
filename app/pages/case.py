"""가구 상세 (/case/<household_id>): record, score, histories, activity log, override, facilities."""

from __future__ import annotations

import datetime as dt
import logging

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html, no_update

from app import ids
from app.auth import current_lang, current_viewer, get_store
from app.components import frame_table
from app.i18n import label_columns, label_values, t
from app.layout import access_notice, notice
from app.pages import page_callback
from app.pages._eligibility_panel import eligibility_panel
from domain.errors import AccessDenied
from geodata.vocabulary import ACTIVITY_KINDS, ACTIVITY_OUTCOMES, OVERRIDE_REASONS, TIERS
from services.audit import refuse_household_role
from services.casework import (
    ActivityInputError,
    CaseDetail,
    add_activity,
    case_detail,
    describe,
    list_activities,
    override_tier,
)

log = logging.getLogger(__name__)

PAGE: dict[str, object] = {"path_template": "/case/<household_id>", "nav": False, "order": 90,
        "name": "가구 상세", "title": "가구 상세 · 복지 아틀라스"}


def _table(frame: pd.DataFrame, lang: str, *, table_id: str | None = None) -> html.Div:
    if frame is None or frame.empty:
        return html.P(t("case.no_rows", lang), className="atlas-muted")
    shown = frame.copy()
    for col in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[col]):
            shown[col] = shown[col].dt.strftime("%Y-%m-%d")
    shown = label_values(shown.astype(object).where(shown.notna(), ""), lang)
    headers = label_columns(list(shown.columns), lang)
    if headers:  # record tables: known columns only, with translated headers
        shown = shown[list(headers)].rename(columns=headers)
    return frame_table(shown, empty=t("case.no_rows", lang), table_id=table_id)


def activity_rows(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Activity log with labels instead of codes (plain function, no Dash)."""
    if frame.empty:
        return frame
    return pd.DataFrame({
        t("case.date", lang): pd.to_datetime(frame["activity_date"]).dt.strftime("%Y-%m-%d"),
        t("case.kind", lang): [describe("kind", k, lang=lang) for k in frame["kind"]],
        t("case.outcome", lang): [describe("outcome", o, lang=lang) for o in frame["outcome_code"]],
        t("case.note", lang): frame["note"].fillna(""),
        "담당" if lang == "ko" else "Worker": frame["worker"].fillna("")})


def _summary(d: CaseDetail, lang: str) -> html.Section:
    h, s = d.household, d.score or {}
    tier = int(s.get("tier", 4)) if s else None
    badge = (describe("tier", str(tier), lang=lang) if tier else "—")
    if d.override:
        badge += " · " + t("case.overridden", lang, tier=describe("tier", str(d.override["tier"]),
                                                                   lang=lang),
                           reason=describe("reason", d.override["reason_code"], lang=lang))
        if d.override.get("ends_at") is not None and pd.notna(d.override["ends_at"]):
            badge += " · " + t("case.override_until", lang,
                               date=pd.Timestamp(d.override["ends_at"]).strftime("%Y-%m-%d"))
    facts = [(t("col.household_id", lang), h["household_id"]), ("읍면동", h["emd_code"]),
             (t("visits.household_type", lang), describe("household_type", h["household_type"],
                                                         lang=lang)),
             ("주거" if lang == "ko" else "Housing", describe("housing_type", h["housing_type"],
                                                              lang=lang)),
             ("점유" if lang == "ko" else "Tenure", describe("tenure", h["tenure"], lang=lang)),
             (t("case.probability", lang), f"{s.get('probability', 0):.3f}" if s else "—"),
             (t("case.rank", lang), s.get("rank", "—")),
             (t("case.model_tier", lang), describe("tier", str(s.get("model_tier")), lang=lang)
              if s else "—"),
             (t("col.times_flagged", lang), t("case.repeat_flags", lang,
                                               flagged=d.flags.get("times_flagged", 0),
                                               unhelped=d.flags.get("visited_not_helped", 0)))]
    warning = ([notice(t("case.repeat_warning", lang, flagged=d.flags["times_flagged"]),
                       kind="warning")] if d.flags.get("repeat_unhelped") else [])
    if s and bool(s.get("over_capacity")):
        warning.append(notice(t("case.over_capacity", lang), kind="warning"))
    return html.Section([*warning,
        html.H2([t("case.score", lang), " ",
                 html.Span(badge, id=ids.CASE_TIER_BADGE,
                           className=f"atlas-badge atlas-tier-{tier or 0}")]),
        html.Dl([x for k, v in facts for x in (html.Dt(k), html.Dd(str(v)))], className="atlas-facts"),
        html.H3(t("case.reasons", lang)),
        html.Ol([html.Li(f"{r.get('label_ko' if lang == 'ko' else 'label_en')} "
                         f"({float(r.get('weight', 0)):+.2f})") for r in d.reasons]),
    ], className="atlas-card")


def _activity_form(lang: str) -> html.Div:
    def opts(vocab: tuple) -> list[dict[str, str]]:
        return [{"label": c.ko if lang == "ko" else c.en, "value": c.code} for c in vocab]

    return html.Div([
        html.H3(t("case.add_activity", lang)),
        html.Div([
            html.Div([html.Label(t("case.kind", lang), className="atlas-label"),
                      dcc.Dropdown(id=ids.CASE_KIND, options=opts(ACTIVITY_KINDS), value="visit",
                                   clearable=False)], className="atlas-field"),
            html.Div([html.Label(t("case.date", lang), className="atlas-label"),
                      dcc.DatePickerSingle(id=ids.CASE_DATE, date=dt.date.today(),
                                           display_format="YYYY-MM-DD")], className="atlas-field"),
            html.Div([html.Label(t("case.outcome", lang), className="atlas-label"),
                      dcc.Dropdown(id=ids.CASE_OUTCOME, options=opts(ACTIVITY_OUTCOMES))],
                     className="atlas-field-wide"),
        ], className="atlas-toolbar"),
        html.Label(t("case.note", lang), className="atlas-label", htmlFor=ids.CASE_NOTE),
        dcc.Textarea(id=ids.CASE_NOTE, maxLength=2000, className="atlas-textarea"),
        html.Button(t("case.save", lang), id=ids.CASE_SAVE, className="atlas-button atlas-button-primary"),
        html.Div(id=ids.CASE_MESSAGE, role="status"),
    ], className="atlas-form-block")


def _override_form(lang: str) -> html.Div:
    return html.Div([
        html.H3(t("case.override", lang)),
        html.Div([
            dcc.Dropdown(id=ids.CASE_OV_TIER, className="atlas-field",
                         options=[{"label": c.ko if lang == "ko" else c.en, "value": int(c.code)}
                                  for c in TIERS], placeholder=t("visits.tier", lang)),
            dcc.Dropdown(id=ids.CASE_OV_REASON, className="atlas-field-wide",
                         options=[{"label": c.ko if lang == "ko" else c.en, "value": c.code}
                                  for c in OVERRIDE_REASONS],
                         placeholder=t("case.override_reason", lang)),
        ], className="atlas-toolbar"),
        html.Label(t("case.note", lang), className="atlas-label", htmlFor=ids.CASE_OV_NOTE),
        dcc.Textarea(id=ids.CASE_OV_NOTE, maxLength=2000, className="atlas-textarea"),
        html.Button(t("case.override_save", lang), id=ids.CASE_OV_SAVE, className="atlas-button"),
        html.Div(id=ids.CASE_OV_MESSAGE, role="status"),
    ], className="atlas-form-block")


def _extra_links(household_id: int, lang: str) -> list[html.A]:
    """Links to registered pages that declare ``case_link=True`` (eligibility, referral, ...);
    a page's ``case_link_status(household_id, lang)`` adds its status to the label."""
    def label(p: dict) -> str:
        status = p.get("case_link_status")
        name = str(p.get(f"name_{lang}") or p["name"])
        return f"{name} · {status(household_id, lang)}" if status else name

    return [html.A(label(p), className="atlas-button",
                   href=f"{p['relative_path']}?household_id={household_id}")
            for p in dash.page_registry.values() if p.get("case_link")]


def layout(household_id: str | None = None, **_query: str) -> html.Div:
    """The case of ``household_id`` (outreach workers of its 읍면동 and admins; audited)."""
    viewer, lang = current_viewer(), current_lang()
    if not viewer.sees_households:
        refuse_household_role(get_store(), viewer, action="view_case", purpose="case page",
                              object_id=household_id)
        return html.Div([html.H1(t("case.title", lang)), access_notice(viewer, lang)])
    try:
        hid = int(household_id or "")
        d = case_detail(get_store(), viewer, hid, purpose="case page")
    except (ValueError, AccessDenied) as exc:
        return html.Div([html.H1(t("case.title", lang)),
                         notice(f"{t('error.generic', lang)}: {exc}", kind="error")],
                        id="case-denied")
    histories = [dcc.Tab(_table(frame, lang), label=t(f"case.{name}", lang))
                 for name, frame in d.histories.items()]
    return html.Div([
        dcc.Store(id=ids.CASE_ID, data=hid),
        html.A(t("case.back", lang), href="/visits", className="atlas-muted"),
        html.H1(f"{t('case.title', lang)} · {hid}"),
        notice(t("case.masked_note", lang)),
        html.Div([_summary(d, lang),
                  html.Section([html.H2(t("case.members", lang)), _table(d.members, lang),
                                html.Div(_extra_links(hid, lang))], className="atlas-card")],
                 className="atlas-grid-2"),
        eligibility_panel(get_store(), viewer, hid, lang),
        html.Section([html.H2(t("case.histories", lang)), dcc.Tabs(histories)],
                     className="atlas-card"),
        html.Section([html.H2(t("case.activities", lang)),
                      html.Div(_table(activity_rows(d.activities, lang), lang),
                               id=ids.CASE_ACTIVITIES),
                      _activity_form(lang), _override_form(lang)], className="atlas-card"),
        html.Section([html.H2(t("case.facilities", lang)), _table(d.facilities.round(
            {"distance_m": 0}) if len(d.facilities) else d.facilities, lang)],
            className="atlas-card"),
    ])


@page_callback(Output(ids.CASE_ACTIVITIES, "children"), Output(ids.CASE_MESSAGE, "children"),
          Input(ids.CASE_SAVE, "n_clicks"), State(ids.CASE_ID, "data"),
          State(ids.CASE_KIND, "value"), State(ids.CASE_DATE, "date"),
          State(ids.CASE_OUTCOME, "value"), State(ids.CASE_NOTE, "value"),
          prevent_initial_call=True)
def save_activity(_n, household_id, kind, date, outcome, note) -> tuple:
    """Validate and save an activity, then show the log again."""
    lang, store, viewer = current_lang(), get_store(), current_viewer()
    try:
        add_activity(store, viewer, int(household_id), kind=kind or "", activity_date=date,
                     outcome_code=outcome or "", note=note)
    except (AccessDenied, ActivityInputError) as exc:
        return no_update, notice(f"{t('error.generic', lang)}: {exc}", kind="error")
    log_frame = activity_rows(list_activities(store, viewer, int(household_id)), lang)
    return _table(log_frame, lang), notice(t("case.saved", lang))


@page_callback(Output(ids.CASE_OV_MESSAGE, "children"), Output(ids.CASE_TIER_BADGE, "children"),
          Input(ids.CASE_OV_SAVE, "n_clicks"), State(ids.CASE_ID, "data"),
          State(ids.CASE_OV_TIER, "value"), State(ids.CASE_OV_REASON, "value"),
          State(ids.CASE_OV_NOTE, "value"), prevent_initial_call=True)
def save_override(_n, household_id, tier, reason, note) -> tuple:
    """Save a tier override with its reason code."""
    lang = current_lang()
    try:
        override_tier(get_store(), current_viewer(), int(household_id), tier=int(tier or 0),
                      reason_code=reason or "", note=note)
    except (AccessDenied, ActivityInputError) as exc:
        return notice(f"{t('error.generic', lang)}: {exc}", kind="error"), no_update
    badge = t("case.overridden", lang, tier=describe("tier", str(tier), lang=lang),
              reason=describe("reason", reason, lang=lang))
    return notice(t("case.saved", lang)), badge
