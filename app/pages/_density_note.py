"""The maps' legend of the demo world's layers: 실제 밀도 시연 지역 vs 표본 밀도 지역."""

from __future__ import annotations

from dash import html

from geodata.store.base import Store
from services.regions import density_layers

NOTE_ID = "density-note"


def density_note(store: Store, lang: str, *, note_id: str = NOTE_ID) -> html.Div:
    """A legend naming the real-density demo 시군구 and the sample density of the rest (empty
    for a world without real-density regions)."""
    layers = density_layers(store)
    if layers.dense.empty:
        return html.Div(id=note_id)
    ko = lang == "ko"
    names = " · ".join(f"{r.full_name} ({int(r.households):,}{'가구' if ko else ' households'})"
                       for r in layers.dense.itertuples())
    pct = f"{100 * layers.sample_share:.2g}%"
    if ko:
        dense = f"실제 밀도 시연 지역: {names} — 공표 세대수만큼 생성, 읍면동 팀 정원은 실제 팀(3명 이상)."
        sample = (f"표본 밀도 지역: 그 밖의 전국 ({layers.sample_households:,}가구, 실제 가구의 약 {pct}) — "
                  "가구 수·시설 거리·목록 크기는 실제보다 작거나 멉니다.")
    else:
        dense = (f"Real-density demo regions: {names} — generated at their published household "
                 "counts; each 읍면동 team has a real team's capacity (3+ staff).")
        sample = (f"Sample-density layer: the rest of Korea ({layers.sample_households:,} "
                  f"households, about {pct} of the real ones) — counts are smaller and facility "
                  "distances longer than in reality.")
    return html.Div([html.P([html.Strong("■ "), dense]), html.P([html.Span("□ "), sample])],
                    id=note_id, className="atlas-notice atlas-notice-info atlas-density-note")
