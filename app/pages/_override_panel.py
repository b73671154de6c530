"""The visit list's capacity flag and past overrides (services.overrides): rendered with the page.

Kept apart from the list's filter bar: the flag sits under the toolbar, the history is a
collapsible section under the table.
"""

from __future__ import annotations

import pandas as pd
from dash import html

from app.components import frame_table
from domain.access import Viewer
from domain.errors import AccessDenied, InputError
from geodata.store.base import Store
from services.overrides import override_history, tier_capacity

CAPACITY_BOX = "visits-capacity"
HISTORY_BOX = "visits-override-history"
HISTORY_TABLE = "visits-override-history-table"

_HEADERS = {
    "ko": {"created_at": "조정일시", "user": "담당자", "name_masked": "세대주(마스킹)",
           "change": "등급 변경", "reason": "사유", "note": "메모", "status_label": "상태",
           "ended_at": "종료일시"},
    "en": {"created_at": "When", "user": "By", "name_masked": "Head (masked)",
           "change": "Tier change", "reason": "Reason", "note": "Note", "status_label": "Status",
           "ended_at": "Ended"},
}


def _stamp(value: object) -> str:
    return "" if pd.isna(value) else pd.Timestamp(value).tz_convert("Asia/Seoul").strftime("%Y-%m-%d %H:%M")


def capacity_notice(store: Store, viewer: Viewer, lang: str) -> html.Div:
    """A warning naming every tier that holds more overrides than seats (empty otherwise)."""
    if viewer.jurisdiction_code is None:  # the national list of an administrator: no team
        return html.Div(id=CAPACITY_BOX)
    try:
        cap = tier_capacity(store, viewer, lang=lang)
    except (AccessDenied, InputError):
        return html.Div(id=CAPACITY_BOX)
    over = cap[cap["over_capacity"]]
    if over.empty:
        return html.Div(id=CAPACITY_BOX)
    if lang == "ko":
        parts = [f"{r.tier_label}: 조정 {r.overrides}가구 / 정원 {r.seats}가구" for r in over.itertuples()]
        text = "방문 역량 초과 — 수동 조정이 등급 정원보다 많습니다 (" + ", ".join(parts) + ")."
    else:
        parts = [f"{r.tier_label}: {r.overrides} overrides for {r.seats} seats" for r in over.itertuples()]
        text = "Over capacity — manual overrides outnumber the tier's seats (" + ", ".join(parts) + ")."
    return html.Div(html.P(text, role="alert"), id=CAPACITY_BOX, className="atlas-notice atlas-notice-warning")


def history_section(store: Store, viewer: Viewer, lang: str) -> html.Details:
    """Past and current overrides of the team: who, when, from → to, reason, how each ended."""
    ko = lang == "ko"
    title = "등급 조정 이력" if ko else "Override history"
    try:
        rows = override_history(store, viewer, lang=lang) if viewer.jurisdiction_code else None
    except (AccessDenied, InputError):
        rows = None
    shown = None
    if rows is not None and len(rows):
        before = rows["previous_tier"].map(lambda v: "?" if pd.isna(v) else str(int(v)))
        frame = pd.DataFrame({
            "created_at": rows["created_at"].map(_stamp), "user": rows["user"],
            "name_masked": rows["name_masked"],
            "change": before + " → " + rows["tier"].astype(int).astype(str),
            "reason": rows["reason"], "note": rows["note"].fillna(""),
            "status_label": rows["status_label"], "ended_at": rows["ended_at"].map(_stamp)})
        shown = frame.rename(columns=_HEADERS["ko" if ko else "en"])
    empty = "조정 이력 없음" if ko else "No overrides yet"
    return html.Details([html.Summary(title), frame_table(shown, empty=empty, table_id=HISTORY_TABLE)],
                        id=HISTORY_BOX, className="atlas-card")
