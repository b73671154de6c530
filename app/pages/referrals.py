"""서비스 의뢰 (/referrals): the provider's inbox, the worker's sent referrals, and a case's panel.

``/referrals?household_id=N`` (linked from the case page) lets the outreach worker send a
referral to a suitable provider with free places, or register the need when there is none.
Everything goes through :mod:`services.referral` and :mod:`services.needs`.
"""

from __future__ import annotations

import pandas as pd
from dash import Input, Output, State, dcc, html, no_update

from app.auth import current_lang, current_viewer, get_store
from app.components import frame_table
from app.layout import access_notice, notice
from app.pages import page_callback
from app.pages._needs_panel import URGENCY_LABELS as _URGENCY
from app.pages._needs_panel import need_label
from domain.errors import AccessDenied, InputError
from domain.referral import CANCEL_REASONS, NOT_SUCCESSFUL_REASONS, REJECT_REASONS
from domain.roles import Role
from services.needs import URGENCIES, household_needs, register_need, worker_needs
from services.referral import (
    act_on_referral,
    household_referrals,
    provider_inbox,
    referral_candidates,
    send_referral,
    sent_referrals,
    update_occupancy,
)

PAGE: dict[str, object] = {"path": "/referrals", "order": 35, "name": "서비스 의뢰",
        "name_ko": "서비스 의뢰", "name_en": "Referrals", "roles": ("outreach", "provider", "admin"),
        "case_link": True, "title": "서비스 의뢰 · 복지 아틀라스"}

HOUSEHOLD = "ref-household"
FACILITY = "ref-facility"
CONSENT = "ref-consent"
NOTE = "ref-note"
SEND = "ref-send"
SEND_MESSAGE = "ref-send-message"
NEED_KIND = "ref-need-kind"
NEED_URGENCY = "ref-need-urgency"
NEED_SAVE = "ref-need-save"
NEED_MESSAGE = "ref-need-message"
LIST = "ref-list"
ACT_ID = "ref-act-id"
ACT_ACTION = "ref-act-action"
ACT_OUTCOME = "ref-act-outcome"
ACT_REASON = "ref-act-reason"
ACT_SAVE = "ref-act-save"
ACT_MESSAGE = "ref-act-message"
OCC_CAPACITY = "ref-occ-capacity"
OCC_USERS = "ref-occ-users"
OCC_SAVE = "ref-occ-save"
OCC_MESSAGE = "ref-occ-message"

_T = {
    "title": ("서비스 의뢰", "Referrals"),
    "send": ("의뢰 보내기", "Send referral"),
    "facility": ("의뢰할 기관 (빈자리 있는 가까운 기관)", "Provider (nearest with free places)"),
    "consent": ("대상자 동의를 받았습니다", "The household's consent is recorded"),
    "note": ("의뢰 내용", "Note"),
    "sent": ("의뢰를 보냈습니다", "Referral sent"),
    "none_near": ("빈자리 있는 적합한 기관이 없습니다: 욕구를 등록하세요", "No suitable provider with free places: register the need"),
    "need": ("미충족 욕구 등록", "Register an unmet need"),
    "need_kind": ("필요한 서비스 (대상·기능)", "Service needed (group · function)"),
    "urgency": ("긴급도", "Urgency"),
    "need_saved": ("욕구를 등록했습니다", "Need registered"),
    "household_refs": ("이 가구의 의뢰", "Referrals of this household"),
    "needs": ("등록된 욕구", "Registered needs"),
    "inbox": ("받은 의뢰", "Referrals received"),
    "sent_list": ("보낸 의뢰", "Referrals sent"),
    "act": ("처리", "Act"),
    "referral": ("의뢰 번호", "Referral no."),
    "action": ("처리", "Action"),
    "outcome": ("결과", "Outcome"),
    "reason": ("사유", "Reason"),
    "done": ("처리했습니다", "Done"),
    "occupancy": ("정원·현원", "Capacity and current users"),
    "capacity": ("정원", "Capacity"),
    "users": ("현원", "Current users"),
    "save": ("저장", "Save"),
    "empty": ("없음", "None"),
    "overdue": ("기한 지남", "overdue"),
    "error": ("오류", "Error"),
}
_STATES = {"requested": ("요청", "requested"), "accepted": ("수락", "accepted"),
           "rejected": ("거절", "rejected"), "in_progress": ("진행 중", "in progress"),
           "completed": ("완료", "completed"), "cancelled": ("취소", "cancelled"),
           "expired": ("만료", "expired")}
_NEED_STATUS = {"open": ("미충족", "open"), "offered": ("연계 가능", "offered"),
                "matched": ("의뢰됨", "matched"), "closed": ("종결", "closed")}
_ACTIONS = {"accept": ("수락", "accept"), "reject": ("거절", "reject"), "start": ("서비스 시작", "start"),
            "complete": ("완료", "complete"), "cancel": ("취소", "cancel")}


def _blank(values: pd.Series) -> pd.Series:
    """Text of a column with missing values as empty strings (whatever the column's dtype)."""
    return values.astype(object).where(values.notna(), "")


def _t(key: str, lang: str) -> str:
    ko, en = _T[key]
    return ko if lang == "ko" else en


def _pick(table: dict[str, tuple[str, str]], code: object, lang: str) -> str:
    pair = table.get(str(code))
    return str(code) if pair is None else pair[0 if lang == "ko" else 1]


def referral_rows(frame: pd.DataFrame, lang: str, *, provider: bool) -> pd.DataFrame:
    """Referral rows for display: state and actions in words, dates as text (no Dash)."""
    if frame.empty:
        return frame
    out = pd.DataFrame({
        _t("referral", lang): frame["referral_id"].astype(int),
        "상태" if lang == "ko" else "State": [
            _pick(_STATES, s, lang) + (f" · {_t('overdue', lang)}" if o else "")
            for s, o in zip(frame["state"], frame["overdue"], strict=True)],
        "기한" if lang == "ko" else "Due": pd.to_datetime(frame["due_date"]).dt.strftime("%Y-%m-%d")
        .fillna(""),
        "욕구" if lang == "ko" else "Need": [need_label(g, f, lang) for g, f in
                                             zip(frame["need_group"], frame["need_function"], strict=True)],
    })
    if provider:
        out["대상자" if lang == "ko" else "Head"] = _blank(frame["head_name"])
        out["가구원" if lang == "ko" else "Size"] = frame["household_size"].fillna(0).astype(int)
        out["연령대" if lang == "ko" else "Age"] = _blank(frame["head_age_band"])
    else:
        out["기관" if lang == "ko" else "Provider"] = _blank(frame["facility_name"])
    out["내용" if lang == "ko" else "Note"] = _blank(frame["note"])
    out[_t("action", lang)] = [", ".join(_pick(_ACTIONS, a, lang) for a in str(x).split(",") if a)
                               for x in frame["actions"]]
    return out


def _error(exc: Exception, lang: str) -> html.Div:
    return notice(f"{_t('error', lang)}: {exc}", kind="error")


def case_link_status(household_id: int, lang: str) -> str:
    """The case page's link label: the household's newest referral state (or none)."""
    try:
        refs = household_referrals(get_store(), current_viewer(), int(household_id))
    except AccessDenied:
        return ""
    if refs.empty:
        return "의뢰 없음" if lang == "ko" else "none"
    newest = refs.iloc[0]
    late = f" ({_t('overdue', lang)})" if bool(newest["overdue"]) else ""
    return f"{_pick(_STATES, newest['state'], lang)}{late}"


PAGE["case_link_status"] = case_link_status


def layout(household_id: str | None = None, **_query: str) -> html.Div:
    """Inbox (provider), sent referrals (outreach, admin), or a household's panel."""
    viewer, lang, store = current_viewer(), current_lang(), get_store()
    head = html.H1(_t("title", lang))
    try:
        if viewer.role == Role.PROVIDER:
            return html.Div([head, _provider_view(store, viewer, lang)])
        if viewer.role in (Role.OUTREACH, Role.ADMIN) and household_id:
            return html.Div([head, _household_view(store, viewer, int(household_id), lang)])
        if viewer.role in (Role.OUTREACH, Role.ADMIN):
            table = referral_rows(sent_referrals(store, viewer), lang, provider=False)
            needs = worker_needs(store, viewer)
            return html.Div([head, html.Section([html.H2(_t("sent_list", lang)),
                                                 html.Div(frame_table(table, empty=_t("empty", lang),
                                                                      table_id="ref-table"), id=LIST)],
                                                className="atlas-card"),
                             html.Section([html.H2(_t("needs", lang)), _needs_table(needs, lang)],
                                          className="atlas-card"),
                             _act_form(lang, ("cancel",), CANCEL_REASONS)])
    except (ValueError, AccessDenied) as exc:
        return html.Div([head, _error(exc, lang)], id="referrals-denied")
    return html.Div([head, access_notice(viewer, lang)])


def _needs_table(needs: pd.DataFrame, lang: str) -> html.Div:
    if needs.empty:
        return frame_table(needs, empty=_t("empty", lang), table_id="ref-needs")
    ko = lang == "ko"
    shown = pd.DataFrame({
        "번호" if ko else "No.": needs["need_id"].astype(int),
        "가구" if ko else "Household": needs["household_id"].astype(int),
        "욕구" if ko else "Need": [need_label(g, f, lang) for g, f in
                                  zip(needs["need_group"], needs["need_function"], strict=True)],
        "긴급도" if ko else "Urgency": [_pick(_URGENCY, u, lang) for u in needs["urgency"]],
        "상태" if ko else "Status": [_pick(_NEED_STATUS, s, lang) for s in needs["status"]],
        "연계 가능 기관" if ko else "Provider offered": _blank(needs["matched_facility_name"]),
    })
    return frame_table(shown, empty=_t("empty", lang), table_id="ref-needs")


def _provider_view(store, viewer, lang: str) -> html.Div:
    inbox = provider_inbox(store, viewer)
    facility = store.read_frame("facility", columns=["name", "capacity", "current_users"],
                                where={"facility_id": int(viewer.facility_id)}).iloc[0]
    return html.Div([
        html.P(str(facility["name"]), className="atlas-muted"),
        html.Section([html.H2(_t("inbox", lang)),
                      html.Div(frame_table(referral_rows(inbox, lang, provider=True),
                                           empty=_t("empty", lang), table_id="ref-table"), id=LIST)],
                     className="atlas-card"),
        _act_form(lang, ("accept", "reject", "start", "complete"), REJECT_REASONS + NOT_SUCCESSFUL_REASONS,
                  outcome=True),
        html.Section([html.H2(_t("occupancy", lang)), html.Div([
            html.Label(_t("capacity", lang), className="atlas-label", htmlFor=OCC_CAPACITY),
            dcc.Input(id=OCC_CAPACITY, type="number", min=0, value=int(facility["capacity"])),
            html.Label(_t("users", lang), className="atlas-label", htmlFor=OCC_USERS),
            dcc.Input(id=OCC_USERS, type="number", min=0, value=int(facility["current_users"])),
            html.Button(_t("save", lang), id=OCC_SAVE, className="atlas-button")],
            className="atlas-toolbar"), html.Div(id=OCC_MESSAGE, role="status")], className="atlas-card"),
    ])


def _act_form(lang: str, actions: tuple[str, ...], reasons: tuple[str, ...], *,
              outcome: bool = False) -> html.Section:
    fields = [
        dcc.Input(id=ACT_ID, type="number", min=1, placeholder=_t("referral", lang)),
        dcc.Dropdown(id=ACT_ACTION, options=[{"label": _pick(_ACTIONS, a, lang), "value": a}
                                             for a in actions], placeholder=_t("action", lang),
                     className="atlas-field"),
        dcc.Dropdown(id=ACT_OUTCOME, options=[{"label": "성공" if lang == "ko" else "successful",
                                               "value": "successful"},
                                              {"label": "미성공" if lang == "ko" else "not successful",
                                               "value": "not_successful"}],
                     placeholder=_t("outcome", lang), className="atlas-field",
                     style=None if outcome else {"display": "none"}),
        dcc.Dropdown(id=ACT_REASON, options=[{"label": r, "value": r} for r in dict.fromkeys(reasons)],
                     placeholder=_t("reason", lang), className="atlas-field-wide"),
        html.Button(_t("act", lang), id=ACT_SAVE, className="atlas-button atlas-button-primary"),
    ]
    return html.Section([html.H2(_t("act", lang)), html.Div(fields, className="atlas-toolbar"),
                         html.Div(id=ACT_MESSAGE, role="status")], className="atlas-card")


def _household_view(store, viewer, household_id: int, lang: str) -> html.Div:
    candidates = referral_candidates(store, viewer, household_id)
    refs = household_referrals(store, viewer, household_id)
    needs = household_needs(store, viewer, household_id)
    options = [{"label": f"{r.name} · {r.type_name} · 빈자리 {int(r.free_places)} · {r.distance_m / 1000:.1f} km",
                "value": int(r.facility_id)} for r in candidates.itertuples()]
    kinds = store.read_frame("facility", columns=["target_group", "function"]).drop_duplicates()
    kind_options = [{"label": need_label(g, f, lang), "value": f"{g}|{f}"} for g, f in
                    sorted(zip(kinds["target_group"], kinds["function"], strict=True))]
    return html.Div([
        dcc.Store(id=HOUSEHOLD, data=household_id),
        html.A("← 가구 상세" if lang == "ko" else "← Case", href=f"/case/{household_id}",
               className="atlas-muted"),
        html.Section([
            html.H2(_t("send", lang)),
            notice(_t("none_near", lang), kind="warning") if not options else None,
            html.Label(_t("facility", lang), className="atlas-label", htmlFor=FACILITY),
            dcc.Dropdown(id=FACILITY, options=options, value=options[0]["value"] if options else None),
            dcc.Checklist(id=CONSENT, options=[{"label": " " + _t("consent", lang), "value": "yes"}],
                          value=[]),
            html.Label(_t("note", lang), className="atlas-label", htmlFor=NOTE),
            dcc.Textarea(id=NOTE, maxLength=1000, className="atlas-textarea"),
            html.Button(_t("send", lang), id=SEND, className="atlas-button atlas-button-primary"),
            html.Div(id=SEND_MESSAGE, role="status"),
        ], className="atlas-card"),
        html.Section([html.H2(_t("household_refs", lang)),
                      html.Div(frame_table(referral_rows(refs, lang, provider=False),
                                           empty=_t("empty", lang), table_id="ref-table"),
                               id="ref-household-list")],
                     className="atlas-card"),
        html.Section([
            html.H2(_t("need", lang)),
            html.Div([dcc.Dropdown(id=NEED_KIND, options=kind_options, placeholder=_t("need_kind", lang),
                                   className="atlas-field-wide"),
                      dcc.Dropdown(id=NEED_URGENCY, options=[{"label": _pick(_URGENCY, u, lang), "value": u}
                                                             for u in URGENCIES],
                                   value="urgent", clearable=False, className="atlas-field"),
                      html.Button(_t("need", lang), id=NEED_SAVE, className="atlas-button")],
                     className="atlas-toolbar"),
            html.Div(id=NEED_MESSAGE, role="status"),
            html.Div(_needs_table(needs, lang), id="ref-household-needs"),
        ], className="atlas-card"),
    ])


@page_callback(Output(SEND_MESSAGE, "children"), Output("ref-household-list", "children"),
          Input(SEND, "n_clicks"), State(HOUSEHOLD, "data"), State(FACILITY, "value"),
          State(CONSENT, "value"), State(NOTE, "value"), prevent_initial_call=True)
def send(_n, household_id, facility_id, consent, note) -> tuple:
    """Send the referral; show the household's referrals again."""
    lang, store, viewer = current_lang(), get_store(), current_viewer()
    try:
        send_referral(store, viewer, int(household_id), int(facility_id or 0),
                      consent="yes" in (consent or []), note=note)
    except (AccessDenied, ValueError, TypeError) as exc:
        return _error(exc, lang), no_update
    refs = household_referrals(store, viewer, int(household_id))
    return notice(_t("sent", lang)), frame_table(referral_rows(refs, lang, provider=False),
                                                 empty=_t("empty", lang), table_id="ref-table")


@page_callback(Output(NEED_MESSAGE, "children"), Output("ref-household-needs", "children"),
          Input(NEED_SAVE, "n_clicks"), State(HOUSEHOLD, "data"), State(NEED_KIND, "value"),
          State(NEED_URGENCY, "value"), prevent_initial_call=True)
def save_need(_n, household_id, kind, urgency) -> tuple:
    """Register the household's unmet need."""
    lang, store, viewer = current_lang(), get_store(), current_viewer()
    group, _, function = str(kind or "|").partition("|")
    try:
        register_need(store, viewer, int(household_id), need_group=group, need_function=function,
                      urgency=urgency or "", cause="none_free")
    except (AccessDenied, InputError) as exc:
        return _error(exc, lang), no_update
    return notice(_t("need_saved", lang)), _needs_table(household_needs(store, viewer, int(household_id)), lang)


@page_callback(Output(ACT_MESSAGE, "children"), Output(LIST, "children"),
          Input(ACT_SAVE, "n_clicks"), State(ACT_ID, "value"), State(ACT_ACTION, "value"),
          State(ACT_OUTCOME, "value"), State(ACT_REASON, "value"), prevent_initial_call=True)
def act(_n, referral_id, action, outcome, reason) -> tuple:
    """Move a referral (accept, reject, start, complete, cancel) and show the list again."""
    lang, store, viewer = current_lang(), get_store(), current_viewer()
    try:
        act_on_referral(store, viewer, int(referral_id or 0), action or "", outcome=outcome,
                        reason=reason)
    except (AccessDenied, ValueError) as exc:
        return _error(exc, lang), no_update
    is_provider = viewer.role == Role.PROVIDER
    frame = provider_inbox(store, viewer) if is_provider else sent_referrals(store, viewer)
    return notice(_t("done", lang)), frame_table(referral_rows(frame, lang, provider=is_provider),
                                                 empty=_t("empty", lang), table_id="ref-table")


@page_callback(Output(OCC_MESSAGE, "children"), Input(OCC_SAVE, "n_clicks"), State(OCC_CAPACITY, "value"),
          State(OCC_USERS, "value"), prevent_initial_call=True)
def save_occupancy(_n, capacity, users) -> html.Div:
    """The provider keeps its 정원/현원 true."""
    lang = current_lang()
    try:
        update_occupancy(get_store(), current_viewer(), capacity=int(capacity or 0),
                         current_users=int(users or 0))
    except (AccessDenied, InputError) as exc:
        return _error(exc, lang)
    return notice(_t("done", lang))
