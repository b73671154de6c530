"""Registered unmet needs (욕구 등록) on the supply page: the suppressed summary and its export."""

from __future__ import annotations

import pandas as pd
from dash import dcc, html, no_update

from app.auth import current_lang, current_viewer, get_store
from app.components import frame_table
from app.i18n import VALUE_LABELS
from domain.access import Viewer
from domain.errors import AccessDenied
from geodata.store.base import Store
from services.needs import export_needs_csv, need_summary

TABLE = "needs-summary"
EXPORT = "needs-export"
DOWNLOAD = "needs-download"

_FUNCTIONS = {"residential": ("생활(거주)", "residential"), "medical_care": ("의료·요양", "medical care"),
              "day_care": ("주간·단기보호", "day care"), "home_care": ("재가(방문)", "home care"),
              "leisure": ("여가", "leisure"), "protection": ("보호·쉼터", "protection"),
              "employment": ("직업·일자리", "employment"), "counselling": ("상담", "counselling"),
              "community_service": ("지역사회서비스", "community service")}
URGENCY_LABELS = {"urgent": ("긴급", "urgent"), "high": ("우선", "high"), "normal": ("일반", "normal")}


def _pick(labels: dict[str, tuple[str, str]], code: object, lang: str) -> str:
    pair = labels.get(str(code))
    return str(code) if pair is None else pair[0 if lang == "ko" else 1]


def need_label(group: object, function: object, lang: str) -> str:
    """``노인 · 재가(방문)``: a need's target group and function in words."""
    return f"{_pick(VALUE_LABELS['target_group'], group, lang)} · {_pick(_FUNCTIONS, function, lang)}"


def needs_section(store: Store, viewer: Viewer, lang: str) -> html.Section:
    """Needs registered by outreach workers that no provider met, by region (cells < 5 hidden)."""
    summary = need_summary(store, viewer)
    ko = lang == "ko"
    hidden = "비공개" if ko else "suppressed"
    shown = pd.DataFrame({
        "지역코드" if ko else "Region code": summary["region_code"],
        "지역" if ko else "Region": summary["region_name"],
        "욕구" if ko else "Need": [need_label(g, f, lang) for g, f in
                                  zip(summary["need_group"], summary["need_function"], strict=True)],
        "긴급도" if ko else "Urgency": [_pick(URGENCY_LABELS, u, lang) for u in summary["urgency"]],
        "미충족" if ko else "Needs": [hidden if pd.isna(v) else int(v) for v in summary["needs"]],
        "연계 가능" if ko else "Offered": [hidden if pd.isna(v) else int(v) for v in summary["offered"]],
    })
    title = "등록된 미충족 욕구 (욕구 등록)" if lang == "ko" else "Registered unmet needs"
    return html.Section([
        html.H2(title),
        html.Div([html.Button("CSV 내보내기" if lang == "ko" else "Export CSV", id=EXPORT,
                              className="atlas-button"), dcc.Download(id=DOWNLOAD)],
                 className="atlas-toolbar"),
        frame_table(shown, empty="등록된 욕구 없음" if lang == "ko" else "No needs registered",
                    table_id=TABLE),
    ], className="atlas-card", id="needs-section")


def needs_download():
    """The suppressed needs summary as a download (audited); for the supply page's callback."""
    try:
        name, body = export_needs_csv(get_store(), current_viewer(), lang=current_lang())
    except AccessDenied:
        return no_update
    return dcc.send_bytes(body, name)
