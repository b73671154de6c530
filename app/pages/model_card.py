"""모형 카드: the model card written by ``atlas model-card`` (served from ``<data_dir>/model_card``)."""

from __future__ import annotations

from pathlib import Path

from dash import html
from flask import current_app

from app.auth import SETTINGS_KEY, current_lang
from app.i18n import t

PAGE: dict[str, object] = {"path": "/model-card", "order": 80, "nav_key": "nav.model_card",
        "name": "모형 카드", "title": "모형 카드 · 복지 아틀라스"}

CARD_URL = "/model-card-files/model_card.html"


def card_path() -> Path:
    """Where ``models.card`` writes the card's ``model_card.html``."""
    return Path(current_app.config[SETTINGS_KEY].data_dir) / "model_card" / "model_card.html"


def layout(**_query: str) -> html.Div:
    """The card in a same-origin frame, or instructions when it has not been generated."""
    lang = current_lang()
    if not card_path().exists():
        return html.Div([html.H1(t("card.title", lang)),
                         html.Div([html.P(t("card.missing", lang)), html.Pre("atlas model-card")],
                                  className="atlas-notice atlas-notice-warning", id="card-missing")])
    return html.Div([html.H1(t("card.title", lang)),
                     html.Iframe(src=CARD_URL, className="atlas-card-frame", id="card-frame",
                                 title=t("card.title", lang))])
