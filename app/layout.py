"""The app shell: header with navigation, user badge, language toggle; page container; footer.

Navigation is built from ``dash.page_registry`` on every request, so any registered page shows
up without changes here. Page metadata read (all optional, passed to ``dash.register_page``):

``order``
    Position in the navigation (Dash's own ordering key).
``nav``
    ``False`` hides the page from the navigation (pages with a ``path_template`` are hidden).
``nav_key`` / ``name_ko`` / ``name_en``
    The label: an :mod:`app.i18n` key, or explicit labels; ``name`` otherwise.
``roles``
    Roles that see the link (e.g. ``("outreach", "admin")``); everybody when absent. Hiding a
    link is cosmetic: the services enforce access.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import dash
from dash import dcc, html

from app import ids
from app.auth import current_lang, current_viewer
from app.failures import database_notice
from app.i18n import t
from domain.access import Viewer
from geodata.store.base import StoreError
from geodata.vocabulary import ROLES, label

log = logging.getLogger(__name__)


def nav_pages(viewer: Viewer) -> list[Mapping[str, Any]]:
    """Registered pages the viewer should see in the navigation, in registry order."""
    pages = sorted(dash.page_registry.values(), key=lambda p: (p.get("order") is None,
                                                               p.get("order") or 0, p["path"]))
    out = []
    for page in pages:
        if page.get("nav") is False or page.get("path_template"):
            continue
        roles = page.get("roles")
        if roles and viewer.role not in roles:
            continue
        out.append(page)
    return out


def page_label(page: Mapping[str, Any], lang: str) -> str:
    """The navigation label of a page in ``lang``."""
    if page.get("nav_key"):
        return t(page["nav_key"], lang)
    explicit = page.get(f"name_{lang}") or page.get("name_ko")
    return str(explicit or page.get("name") or page["path"])


def _user_box(viewer: Viewer, lang: str) -> html.Div:
    lang_link = html.A(t("nav.lang", lang), href=f"/lang/{'en' if lang == 'ko' else 'ko'}",
                       className="atlas-lang", id="lang-toggle")
    if not viewer.is_authenticated:
        return html.Div([lang_link, html.A(t("nav.login", lang), href="/login",
                                           className="atlas-button atlas-button-primary",
                                           id="login-link")], className="atlas-user")
    role = label(ROLES, viewer.role, lang=lang)
    where = f" · {viewer.jurisdiction_code}" if viewer.jurisdiction_code else ""
    return html.Div([
        lang_link,
        html.Span([html.Strong(viewer.display_name or viewer.username),
                   html.Span(f" {role}{where}", className="atlas-muted")],
                  className="atlas-user-name", id="user-badge"),
        html.Form(html.Button(t("nav.logout", lang), type="submit", id=ids.LOGOUT,
                              className="atlas-button"),
                  method="POST", action="/logout", className="atlas-inline-form"),
    ], className="atlas-user")


def shell() -> html.Div:
    """The layout of every page (called per request: reads the viewer and the language).

    With the database down (the viewer cannot be read) a header and the notice of
    :func:`app.failures.database_notice` instead; a reload once it is back shows the page.
    """
    lang = current_lang()
    try:
        viewer = current_viewer()
    except StoreError as exc:
        log.warning("shell: database unavailable: %s", exc)
        return html.Div([
            html.Header(html.Div(html.A(t("app.title", lang), href="/", className="atlas-brand"),
                                 className="atlas-brand-box"), className="atlas-header"),
            html.Main(database_notice(lang), className="atlas-main", lang=lang),
        ], className="atlas-app", lang=lang)
    links = [dcc.Link(page_label(p, lang), href=p["relative_path"], className="atlas-nav-link",
                      id=f"nav-{p['module'].rsplit('.', 1)[-1]}")
             for p in nav_pages(viewer)]
    return html.Div([
        dcc.Location(id=ids.URL),
        html.Header([
            html.Div([html.A(t("app.title", lang), href="/", className="atlas-brand"),
                      html.Span(t("app.subtitle", lang), className="atlas-subtitle")],
                     className="atlas-brand-box"),
            html.Button(t("nav.menu", lang), type="button", className="atlas-button atlas-menu-button",
                        **{"aria-controls": ids.NAV, "aria-expanded": "false"}),
            html.Nav(links, id=ids.NAV, className="atlas-nav", **{"aria-label": "main"}),
            _user_box(viewer, lang),
        ], className="atlas-header"),
        html.Div(id=ids.ALERT, className="atlas-alert", role="alert", **{"aria-live": "assertive"}),
        html.Main(dash.page_container,
                  className="atlas-main", lang=lang),
        html.Footer(t("app.footer", lang), className="atlas-footer"),
    ], className="atlas-app", lang=lang)


def notice(text: str, *, kind: str = "info") -> html.Div:
    """A notice box (``info``, ``warning`` or ``error``)."""
    return html.Div(text, className=f"atlas-notice atlas-notice-{kind}", role="status")


def access_notice(viewer: Viewer, lang: str) -> html.Div:
    """The message for a page the viewer may not open (login link for the public)."""
    if not viewer.is_authenticated:
        return html.Div([notice(t("access.login_needed", lang), kind="warning"),
                         html.A(t("nav.login", lang), href="/login",
                                className="atlas-button atlas-button-primary")],
                        id="access-notice")
    return html.Div(notice(t("access.denied", lang), kind="warning"), id="access-notice")


def kpi_card(title: str, value: str, *, card_id: str | None = None) -> html.Div:
    """A KPI tile."""
    return html.Div([html.Div(title, className="atlas-kpi-title"),
                     html.Div(value, className="atlas-kpi-value")],
                    className="atlas-kpi", **({"id": card_id} if card_id else {}))
