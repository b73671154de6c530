"""관리자 콘솔 (/admin): users, the audit log with filters and export, failed logins.

Admin only (enforced in :mod:`services.admin`, which audits every view and refusal).
"""

from __future__ import annotations

import contextlib
import datetime as dt

import dash
import pandas as pd
from dash import Input, Output, State, dcc, html, no_update

from app.auth import current_lang, current_viewer, get_store
from app.components import frame_table
from app.layout import access_notice, notice
from app.pages import page_callback
from domain.errors import AccessDenied
from domain.roles import LOGIN_ROLES, Role
from services.admin import (
    add_user,
    audit_entries,
    export_audit_csv,
    failed_logins,
    list_users,
    reset_password,
    set_active,
    set_scope,
)

PAGE: dict[str, object] = {"path": "/admin", "order": 95, "name": "관리자 콘솔", "name_ko": "관리자 콘솔",
        "name_en": "Admin console", "roles": ("admin",), "title": "관리자 콘솔 · 복지 아틀라스"}

USERS = "admin-users"
NEW_NAME = "admin-new-username"
NEW_PASSWORD = "admin-new-password"
NEW_ROLE = "admin-new-role"
NEW_SCOPE = "admin-new-scope"
NEW_SAVE = "admin-new-save"
USER_ID = "admin-user-id"
DEACTIVATE = "admin-deactivate"
RESET = "admin-reset"
SET_SCOPE = "admin-set-scope"
USER_MESSAGE = "admin-user-message"
F_USER = "admin-filter-user"
F_ACTION = "admin-filter-action"
F_HOUSEHOLD = "admin-filter-household"
F_DATES = "admin-filter-dates"
F_APPLY = "admin-filter-apply"
AUDIT = "admin-audit"
EXPORT = "admin-export"
DOWNLOAD = "admin-download"
FAILED = "admin-failed"


def _w(ko: str, en: str, lang: str) -> str:
    return ko if lang == "ko" else en


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]) or col in ("at", "created_at", "first_at",
                                                                      "last_at"):
            out[col] = pd.to_datetime(out[col], utc=True).dt.strftime("%Y-%m-%d %H:%M:%S")
    for col in ("active", "allowed"):
        if col in out.columns:
            out[col] = out[col].map({True: "✓", False: "✗"})
    return out.astype(object).where(out.notna(), "")


def layout(**_query: str) -> html.Div:
    """The console: users, audit log, failed logins."""
    viewer, lang, store = current_viewer(), current_lang(), get_store()
    head = html.H1(_w("관리자 콘솔", "Administrator's console", lang))
    if viewer.role != Role.ADMIN:
        with contextlib.suppress(AccessDenied):
            list_users(store, viewer)  # audits the refusal
        return html.Div([head, access_notice(viewer, lang)])
    today = dt.date.today()
    return html.Div([
        head,
        html.Section([
            html.H2(_w("사용자", "Users", lang)),
            html.Div(frame_table(_shown(list_users(store, viewer)), empty="—", table_id="admin-users-table"),
                     id=USERS),
            html.Div([
                dcc.Input(id=NEW_NAME, placeholder=_w("아이디", "username", lang)),
                dcc.Input(id=NEW_PASSWORD, type="password", placeholder=_w("비밀번호", "password", lang)),
                dcc.Dropdown(id=NEW_ROLE, options=[str(r) for r in LOGIN_ROLES], value="outreach",
                             clearable=False, className="atlas-field"),
                dcc.Input(id=NEW_SCOPE, placeholder=_w("관할 코드 또는 시설 번호", "jurisdiction or facility id",
                                                       lang)),
                html.Button(_w("사용자 추가", "Add user", lang), id=NEW_SAVE, className="atlas-button"),
            ], className="atlas-toolbar"),
            html.Div([
                dcc.Input(id=USER_ID, type="number", min=1, placeholder="user_id"),
                html.Button(_w("비활성화", "Deactivate", lang), id=DEACTIVATE, className="atlas-button"),
                html.Button(_w("비밀번호 초기화", "Reset password", lang), id=RESET, className="atlas-button"),
                html.Button(_w("역할·관할 변경 (위의 역할·관할 칸)", "Change role and scope (fields above)",
                               lang), id=SET_SCOPE, className="atlas-button"),
            ], className="atlas-toolbar"),
            html.Div(id=USER_MESSAGE, role="status"),
        ], className="atlas-card"),
        html.Section([
            html.H2(_w("감사 로그", "Audit log", lang)),
            html.Div([
                dcc.Input(id=F_USER, placeholder=_w("사용자", "user", lang)),
                dcc.Input(id=F_ACTION, placeholder=_w("작업 (앞부분)", "action (prefix)", lang)),
                dcc.Input(id=F_HOUSEHOLD, type="number", placeholder=_w("가구 번호", "household id", lang)),
                dcc.DatePickerRange(id=F_DATES, start_date=today - dt.timedelta(days=30), end_date=today,
                                    display_format="YYYY-MM-DD"),
                html.Button(_w("조회", "Filter", lang), id=F_APPLY, className="atlas-button atlas-button-primary"),
                html.Button(_w("CSV 내보내기", "Export CSV", lang), id=EXPORT, className="atlas-button"),
                dcc.Download(id=DOWNLOAD),
            ], className="atlas-toolbar"),
            html.Div(frame_table(_shown(audit_entries(store, viewer, limit=200)), empty="—",
                                 table_id="admin-audit-table"), id=AUDIT),
        ], className="atlas-card"),
        html.Section([html.H2(_w("로그인 실패", "Failed logins", lang)),
                      html.Div(frame_table(_shown(failed_logins(store, viewer)), empty="—",
                                           table_id="admin-failed-table"), id=FAILED)],
                     className="atlas-card"),
    ])


def _scope_fields(role: str | None, scope: str | None) -> dict[str, object]:
    """The scope field is a facility id for providers and a region code for everyone else."""
    text = str(scope or "").strip()
    if role == Role.PROVIDER:
        if text and not text.isdigit():
            raise ValueError(f"a provider's scope is a facility id (a number), got {text!r}")
        return {"jurisdiction_code": None, "facility_id": int(text) if text else None}
    return {"jurisdiction_code": text or None, "facility_id": None}


def _filters(user, action, household, start, end) -> dict[str, object]:
    return {"username": user or None, "action": action or None,
            "household_id": int(household) if household not in (None, "") else None,
            "date_from": dt.date.fromisoformat(start[:10]) if start else None,
            "date_to": dt.date.fromisoformat(end[:10]) if end else None}


@page_callback(Output(AUDIT, "children"), Input(F_APPLY, "n_clicks"), State(F_USER, "value"),
          State(F_ACTION, "value"), State(F_HOUSEHOLD, "value"), State(F_DATES, "start_date"),
          State(F_DATES, "end_date"), prevent_initial_call=True)
def filter_audit(_n, user, action, household, start, end) -> html.Div:
    """Show the audit rows matching the filters."""
    try:
        rows = audit_entries(get_store(), current_viewer(), **_filters(user, action, household, start, end))
    except (AccessDenied, ValueError) as exc:
        return notice(str(exc), kind="error")
    return frame_table(_shown(rows), empty="—", table_id="admin-audit-table")


@page_callback(Output(DOWNLOAD, "data"), Input(EXPORT, "n_clicks"), State(F_USER, "value"),
          State(F_ACTION, "value"), State(F_HOUSEHOLD, "value"), State(F_DATES, "start_date"),
          State(F_DATES, "end_date"), prevent_initial_call=True)
def export(_n, user, action, household, start, end):
    """Download the filtered audit log as CSV (audited)."""
    try:
        name, body = export_audit_csv(get_store(), current_viewer(),
                                      **_filters(user, action, household, start, end))
    except (AccessDenied, ValueError):
        return no_update
    return dcc.send_bytes(body, name)


@page_callback(Output(USER_MESSAGE, "children"), Output(USERS, "children"),
          Input(NEW_SAVE, "n_clicks"), Input(DEACTIVATE, "n_clicks"), Input(RESET, "n_clicks"),
          Input(SET_SCOPE, "n_clicks"), State(NEW_NAME, "value"), State(NEW_PASSWORD, "value"),
          State(NEW_ROLE, "value"), State(NEW_SCOPE, "value"), State(USER_ID, "value"),
          prevent_initial_call=True)
def change_users(_add, _off, _reset, _scope, username, password, role, scope, user_id) -> tuple:
    """Add a user, deactivate one, reset a password (shown once) or change a role and scope."""
    store, viewer, lang = get_store(), current_viewer(), current_lang()
    button = dash.ctx.triggered_id
    try:
        if button == NEW_SAVE:
            add_user(store, viewer, username=username or "", password=password or "", role=role or "",
                     **_scope_fields(role, scope))
            message = _w("추가했습니다", "User added", lang)
        elif button == SET_SCOPE:
            set_scope(store, viewer, int(user_id or 0), role=role or "", **_scope_fields(role, scope))
            message = _w("역할·관할을 바꿨습니다", "Role and scope changed", lang)
        elif button == DEACTIVATE:
            set_active(store, viewer, int(user_id or 0), active=False)
            message = _w("비활성화했습니다", "Deactivated", lang)
        else:
            new = reset_password(store, viewer, int(user_id or 0))
            message = _w(f"새 비밀번호 (한 번만 표시): {new}", f"New password (shown once): {new}", lang)
    except (AccessDenied, ValueError) as exc:
        return notice(str(exc), kind="error"), no_update
    return notice(message), frame_table(_shown(list_users(store, viewer)), empty="—",
                                        table_id="admin-users-table")
