"""발굴 기준 시뮬레이션 (지자체별 시뮬레이션; planners, ministry, admin): pick discovery criteria
and see the tier moves, where they happen, the visits per team against capacity and the
expected precision on the audit sample; save scenarios and compare them side by side.

The page is thin: :func:`form_spec` turns the form into the dict form of
:class:`models.criteria.CriteriaSpec`, :mod:`services.simulation` checks access, runs, audits
and suppresses, and :func:`result_view` / :func:`comparison_view` format (plain functions).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dash
import flask
import pandas as pd
from dash import Input, Output, State, dcc, html

from app import ids
from app.auth import SETTINGS_KEY, current_lang, current_viewer, get_store
from app.components import table
from app.figures.maps import GRAPH_CONFIG
from app.figures.simulation_figures import net_moves_map
from app.i18n import t
from app.layout import access_notice, kpi_card, notice
from app.pages import page_callback
from domain.access import Viewer
from domain.errors import AccessDenied
from domain.roles import PLANNING_ROLES, Role
from domain.tiers import TIER_VALUES
from geodata.store.base import Store
from models.criteria import SIGNALS
from services.regions import display_regions, region_full_name, region_names
from services.simulation import (
    SimulationInputError,
    SimulationResult,
    compare_scenarios,
    list_scenarios,
    run_simulation,
    save_scenario,
)

log = logging.getLogger(__name__)

PAGE: dict[str, object] = {"path": "/simulation", "order": 57, "name": "발굴 기준 시뮬레이션",
                           "name_ko": "발굴 기준 시뮬레이션", "name_en": "Criteria simulation",
                           "roles": tuple(sorted(PLANNING_ROLES)),
                           "title": "발굴 기준 시뮬레이션 · 복지 아틀라스"}

MODES = ("off", "boost", "include")
TEAM_ROWS = 25


def _count(value: object, lang: str, *, signed: bool = False) -> str:
    if value is None or pd.isna(value):
        return t("common.suppressed", lang)
    return f"{float(value):+,.0f}" if signed else f"{float(value):,.0f}"


def _share(value: float) -> str:
    return "—" if value is None or pd.isna(value) else f"{100 * value:.1f}%"


def _interval(est: float, lo: float, hi: float, *, points: bool = False) -> str:
    if points:
        return f"{100 * est:+.1f}%p [{100 * lo:+.1f}, {100 * hi:+.1f}]"
    return f"{_share(est)} [{_share(lo)}, {_share(hi)}]"


def parse_codes(text: str | None) -> dict[str, str]:
    """``"36110250=60, 36110101=30"`` → ``{code: value}`` (values checked by the spec).

    Raises
    ------
    SimulationInputError
        A part without ``=``.
    """
    out: dict[str, str] = {}
    for part in (text or "").replace("\n", ",").split(","):
        if not part.strip():
            continue
        code, sep, value = part.partition("=")
        if not sep:
            raise SimulationInputError(f"'{part.strip()}': 코드=건수 형식이어야 합니다 / "
                                       f"'{part.strip()}' must read code=visits")
        out[code.strip()] = value.strip()
    return out


def form_spec(modes: Sequence[str | None], weights: Sequence[object], cap: object,
              age65: Sequence[str] | None, team: object, codes: str | None) -> dict[str, Any]:
    """The dict form of a criteria spec from the form (validated by the service)."""
    criteria = [{"signal": signal, "mode": mode, "weight": 1.0 if weight in (None, "") else weight}
                for signal, mode, weight in zip(SIGNALS, modes, weights, strict=True)
                if mode in ("boost", "include")]
    return {"criteria": criteria, "financial_cap_krw": 10_000_000 if cap in (None, "") else cap,
            "age_65_only": bool(age65), "team_capacity": None if team in (None, "") else team,
            "capacity_by_code": parse_codes(codes)}


def matrix_rows(result: SimulationResult, lang: str) -> list[dict[str, object]]:
    """Rows of the transition matrix (suppressed cells as 비공개)."""
    return [{"tier": t("sim.tier_row", lang, tier=tier),
             **{f"to{c}": _count(result.transitions.loc[tier, str(c)], lang) for c in TIER_VALUES}}
            for tier in result.transitions.index]


def team_rows(result: SimulationResult, names: dict[str, str], lang: str) -> list[dict[str, object]]:
    """The teams with the most visits over capacity first (at most :data:`TEAM_ROWS`)."""
    teams = result.teams.assign(_gap=result.teams["visits_scenario"] - result.teams["capacity"])
    teams = teams.sort_values("_gap", ascending=False, na_position="last").head(TEAM_ROWS)
    return [{"team": names.get(str(code), str(code)), "capacity": f"{r.capacity:,.1f}",
             "current": _count(r.visits_current, lang), "scenario": _count(r.visits_scenario, lang),
             "over": "" if pd.isna(r.visits_scenario) else ("▲" if bool(r.over_capacity) else "")}
            for code, r in teams.iterrows()]


def precision_view(result: SimulationResult, lang: str) -> html.Div:
    """The precision estimate with intervals, or why there is none."""
    p = result.precision
    if p is None:
        return notice(t(f"sim.note.{result.precision_note}", lang), kind="info")
    line = t("sim.precision_line", lang,
             current=_interval(p.current, p.current_lo, p.current_hi),
             scenario=_interval(p.scenario, p.scenario_lo, p.scenario_hi),
             difference=_interval(p.difference, p.difference_lo, p.difference_hi, points=True),
             n_eff=f"{min(p.effective_rows_current, p.effective_rows_scenario):,.0f}",
             rows=f"{p.rows:,}")
    return html.P(line, id="sim-precision-line")


def result_view(store: Store, result: SimulationResult, lang: str) -> html.Div:
    """KPIs, the transition matrix, the map, the teams table and the precision."""
    level = result.region_level
    outlines = display_regions(store, level, parent_code=result.scope_code)
    names = dict(region_names(store, "emd")[["code", "full_name"]].itertuples(index=False, name=None))
    over = int(result.teams["over_capacity"].eq(True).sum())
    visits = f"{_count(result.visits_current, lang)} → {_count(result.visits_scenario, lang)}"
    return html.Div([
        html.Div([kpi_card(t("sim.households", lang), _count(result.households, lang)),
                  kpi_card(t("sim.moved", lang), _count(result.moved, lang), card_id="sim-moved"),
                  kpi_card(t("sim.visits", lang), visits, card_id="sim-visits"),
                  kpi_card(t("sim.teams_over", lang), f"{over:,}", card_id="sim-teams-over")],
                 className="atlas-kpis"),
        html.Section([html.H2(t("sim.precision", lang)), precision_view(result, lang)],
                     className="atlas-card"),
        html.Div([
            html.Section([html.H2(t("sim.matrix", lang)), table(
                matrix_rows(result, lang),
                [("tier", ""), *[(f"to{c}", t("sim.tier_col", lang, tier=c)) for c in TIER_VALUES]],
                table_id="sim-matrix")], className="atlas-card"),
            html.Section([html.H2(t("sim.teams", lang)), table(
                team_rows(result, names, lang),
                [(k, t(f"sim.col.{k}", lang)) for k in ("team", "capacity", "current", "scenario", "over")],
                table_id="sim-teams")], className="atlas-card"),
        ], className="atlas-grid-2"),
        html.Section([html.H2(t("sim.map", lang)),
                      dcc.Graph(id="sim-map", config=GRAPH_CONFIG, className="atlas-map",
                                figure=net_moves_map(outlines, result.by_region, lang=lang))],
                     className="atlas-card"),
    ], id="sim-result-body")


def comparison_view(runs: Sequence[tuple[str, SimulationResult]], lang: str) -> html.Div:
    """One column per scenario: moves, visits, teams over capacity, precision and difference."""
    def precision(r: SimulationResult, which: str) -> str:
        p = r.precision
        if p is None:
            return t(f"sim.note.{r.precision_note}", lang)
        if which == "scenario":
            return _interval(p.scenario, p.scenario_lo, p.scenario_hi)
        return _interval(p.difference, p.difference_lo, p.difference_hi, points=True)

    measures = [
        ("sim.moved", lambda r: _count(r.moved, lang)),
        ("sim.visits", lambda r: f"{_count(r.visits_current, lang)} → {_count(r.visits_scenario, lang)}"),
        ("sim.teams_over", lambda r: f"{int(r.teams['over_capacity'].eq(True).sum()):,}"),
        ("sim.cmp.precision", lambda r: precision(r, "scenario")),
        ("sim.cmp.difference", lambda r: precision(r, "difference")),
    ]
    rows = [{"metric": t(key, lang), **{f"s{k}": fn(r) for k, (_, r) in enumerate(runs)}}
            for key, fn in measures]
    columns = [("metric", t("sim.cmp.metric", lang)), *[(f"s{k}", name) for k, (name, _) in enumerate(runs)]]
    return html.Section([table(rows, columns, table_id="sim-comparison-table")], className="atlas-card")


def _saved_options(store: Store, viewer: Viewer, lang: str) -> list[dict[str, object]]:
    saved = list_scenarios(store, viewer)
    return [{"label": t("sim.saved_label", lang, name=r.name, owner=r.owner_username,
                        scope=t("sim.national", lang) if pd.isna(r.jurisdiction_code)
                        else r.jurisdiction_code,
                        date=pd.Timestamp(r.created_at).strftime("%Y-%m-%d")),
             "value": int(r.scenario_id)} for r in saved.itertuples()]


def _shown(options: list[dict[str, object]]) -> dict[str, str]:
    """An empty checklist is hidden (an unnamed, empty list box to assistive technology)."""
    return {} if options else {"display": "none"}


def _controls(store: Store, viewer: Viewer, lang: str) -> html.Div:
    scope = html.Label(t("sim.scope", lang), htmlFor=ids.SIM_SCOPE, className="atlas-label")
    if viewer.role == Role.PLANNER:  # own 시군구 only (the service enforces it)
        own = viewer.jurisdiction_code or ""
        picker = dcc.Dropdown(id=ids.SIM_SCOPE, value=own, clearable=False, disabled=True,
                              options=[{"label": region_full_name(store, own), "value": own}])
    else:
        sgg = region_names(store, "sigungu")
        options = [{"label": t("sim.national", lang), "value": ""}] + [
            {"label": name, "value": code} for code, name in sgg[["code", "full_name"]].itertuples(index=False)]
        picker = dcc.Dropdown(id=ids.SIM_SCOPE, options=options, value="", clearable=False)
    pick = 1 if lang == "en" else 0
    signal_rows = [html.Div([
        html.Span(labels[pick], className="atlas-label"),
        dcc.RadioItems(id=ids.SIM_MODE_PREFIX + code, value="off", inline=True,
                       options=[{"label": t(f"sim.mode.{m}", lang), "value": m} for m in MODES]),
        html.Label(t("sim.weight", lang), htmlFor=ids.SIM_WEIGHT_PREFIX + code,
                   className="atlas-muted"),
        dcc.Input(id=ids.SIM_WEIGHT_PREFIX + code, type="text", value="1.0", inputMode="decimal",
                  size="5"),
    ], className="atlas-field sim-signal") for code, labels in SIGNALS.items()]

    def field(label: str, control: Any, control_id: str) -> html.Div:
        return html.Div([html.Label(label, htmlFor=control_id, className="atlas-label"), control],
                        className="atlas-field")

    return html.Div([
        html.Div([scope, picker], className="atlas-field-wide"),
        html.Fieldset([html.Legend(t("sim.signals", lang)), *signal_rows]),
        html.Div([
            field(t("sim.cap", lang), dcc.Input(id=ids.SIM_CAP, type="text", value="10,000,000",
                                                inputMode="numeric"), ids.SIM_CAP),
            field(t("sim.team", lang), dcc.Input(id=ids.SIM_TEAM, type="text", value="",
                                                 inputMode="numeric"), ids.SIM_TEAM),
            field(t("sim.codes", lang), dcc.Input(id=ids.SIM_CODES, type="text", value=""), ids.SIM_CODES),
            dcc.Checklist(id=ids.SIM_AGE65, options=[{"label": t("sim.age65", lang), "value": "on"}],
                          value=[]),
        ], className="atlas-toolbar"),
        html.Button(t("sim.run", lang), id=ids.SIM_RUN, className="atlas-button atlas-button-primary"),
    ], className="atlas-card", id="sim-controls")


def layout(**_query: str) -> html.Div:
    """The criteria form, the result area and saved scenarios (planners, ministry, admin)."""
    viewer, lang = current_viewer(), current_lang()
    title = html.H1(t("sim.title", lang))
    if viewer.role not in PLANNING_ROLES:
        return html.Div([title, access_notice(viewer, lang) if not viewer.is_authenticated
                         else notice(t("sim.denied", lang), kind="warning")], id="sim-denied")
    store = get_store()
    saved = _saved_options(store, viewer, lang)
    return html.Div([
        title,
        html.P(t("sim.intro", lang), className="atlas-muted"),
        _controls(store, viewer, lang),
        html.Div(id=ids.SIM_ERROR),
        dcc.Loading(html.Div(html.P(t("sim.hint", lang), className="atlas-muted"), id=ids.SIM_RESULT),
                    type="circle"),
        html.Section([
            html.H2(t("sim.save_title", lang)),
            html.Div([html.Label(t("sim.name", lang), htmlFor=ids.SIM_NAME, className="atlas-label"),
                      dcc.Input(id=ids.SIM_NAME, type="text", value="", maxLength=80),
                      html.Button(t("sim.save", lang), id=ids.SIM_SAVE, className="atlas-button")],
                     className="atlas-toolbar"),
            html.Div(id=ids.SIM_SAVE_NOTE),
            html.Div([html.Label(t("sim.saved", lang), className="atlas-label"),
                      dcc.Checklist(id=ids.SIM_SAVED, options=saved, value=[],
                                    style=_shown(saved))]),
            html.Button(t("sim.compare", lang), id=ids.SIM_COMPARE, className="atlas-button"),
            dcc.Loading(html.Div(id=ids.SIM_COMPARISON), type="circle"),
        ], className="atlas-card"),
        html.P(t("sim.simplified", lang), className="atlas-muted"),
    ])


_FORM = (State(ids.SIM_SCOPE, "value"),
         *[State(ids.SIM_MODE_PREFIX + code, "value") for code in SIGNALS],
         *[State(ids.SIM_WEIGHT_PREFIX + code, "value") for code in SIGNALS],
         State(ids.SIM_CAP, "value"), State(ids.SIM_AGE65, "value"), State(ids.SIM_TEAM, "value"),
         State(ids.SIM_CODES, "value"))


def _models_dir() -> Path:
    """The serving app's model registry (its settings, not the process-wide ones)."""
    return Path(flask.current_app.config[SETTINGS_KEY].models_dir)


def _unpack(values: Sequence[Any]) -> tuple[str | None, dict[str, Any]]:
    n = len(SIGNALS)
    scope = values[0] or None
    modes, weights = values[1:1 + n], values[1 + n:1 + 2 * n]
    cap, age65, team, codes = values[1 + 2 * n:]
    return scope, form_spec(modes, weights, cap, age65, team, codes)


def _error(exc: Exception, lang: str) -> html.Div:
    if isinstance(exc, AccessDenied):
        return notice(t("sim.denied", lang), kind="warning")
    return html.Div([html.P(t("error.generic", lang)),
                     html.Ul([html.Li(line) for line in str(exc).splitlines()])],
                    className="atlas-notice atlas-notice-error", role="alert", id="sim-error-box")


@page_callback(Output(ids.SIM_RESULT, "children"), Output(ids.SIM_ERROR, "children"),
               Input(ids.SIM_RUN, "n_clicks"), *_FORM, prevent_initial_call=True)
def run(_clicks: int, *values: Any) -> tuple[Any, Any]:
    """Run the criteria of the form (audited by the service)."""
    lang, store = current_lang(), get_store()
    try:
        scope, spec = _unpack(values)
        result = run_simulation(store, current_viewer(), spec, sigungu_code=scope,
                                models_dir=_models_dir())
    except (AccessDenied, SimulationInputError) as exc:
        return dash.no_update, _error(exc, lang)
    return result_view(store, result, lang), None


@page_callback(Output(ids.SIM_SAVE_NOTE, "children"), Output(ids.SIM_SAVED, "options"),
               Output(ids.SIM_SAVED, "style"), Input(ids.SIM_SAVE, "n_clicks"),
               State(ids.SIM_NAME, "value"), *_FORM, prevent_initial_call=True)
def save(_clicks: int, name: str | None, *values: Any) -> tuple[Any, Any, Any]:
    """Save the form's criteria under a name (audited by the service)."""
    lang, store, viewer = current_lang(), get_store(), current_viewer()
    try:
        scope, spec = _unpack(values)
        save_scenario(store, viewer, name or "", spec, sigungu_code=scope)
    except (AccessDenied, SimulationInputError) as exc:
        return _error(exc, lang), dash.no_update, dash.no_update
    options = _saved_options(store, viewer, lang)
    return (notice(t("sim.saved_ok", lang, name=(name or "").strip()), kind="info"), options,
            _shown(options))


@page_callback(Output(ids.SIM_COMPARISON, "children"), Input(ids.SIM_COMPARE, "n_clicks"),
               State(ids.SIM_SAVED, "value"), State(ids.SIM_SCOPE, "value"),
               prevent_initial_call=True)
def compare(_clicks: int, chosen: list[int] | None, scope: str | None) -> Any:
    """Run the chosen saved scenarios over the scope, side by side."""
    lang = current_lang()
    try:
        runs = compare_scenarios(get_store(), current_viewer(), chosen or [], sigungu_code=scope or None,
                                 models_dir=_models_dir())
    except (AccessDenied, SimulationInputError) as exc:
        return _error(exc, lang)
    return comparison_view(runs, lang)
