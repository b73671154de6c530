"""입지 분석: k new facility sites for a target group in a 시군구 (MCLP or p-median, HiGHS).

The solve is a Dash background callback with a progress bar, a cancel button and the run
button disabled while it runs. Measured on the 60,000-household demo world (Seoul, largest 시군구,
2,573–3,313 demand households, 96–175 candidates): MCLP 0.2–0.6 s, p-median 0.8–4.5 s once
households are summed on a 100 m grid for the solver, always within the 20 s HiGHS limit (the
table then reports the gap).

The worker process has no Flask request, so a click goes in two steps (:mod:`app.jobs`):
:func:`start` (ordinary callback) resolves the viewer, checks access and validates the inputs,
then issues a signed job token valid for 10 minutes; :func:`solve` (background) verifies the
token, re-reads the user, opens the store from the server-side :data:`JOB` configuration, solves
with progress reports and writes the audit entry. Both steps are plain functions
(:func:`start_site_job`, :func:`run_site_job`) that the tests call directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, NamedTuple

import dash
import flask
import plotly.graph_objects as go
from dash import Input, Output, State, dcc, html

from app import ids
from app.auth import current_lang, current_viewer, get_store
from app.components import table
from app.figures.maps import GRAPH_CONFIG
from app.figures.supply_figures import site_map
from app.i18n import t
from app.jobs import (
    JOB_MAX_AGE_S,
    JobConfig,
    JobTokenError,
    caller_session_token,
    issue_job_token,
    job_config,
    verify_job_token,
)
from app.layout import access_notice, notice
from app.pages import page_callback
from app.pages._density_note import density_note
from domain.access import PUBLIC_VIEWER, Viewer
from domain.errors import AccessDenied
from domain.progress import Progress
from domain.roles import PLANNING_ROLES, Role
from geodata.regions import sigungu_of
from geodata.store.base import Store
from services.audit import audit
from services.login import session_hash, session_viewer
from services.regions import region_names
from services.sites import (
    MAX_K,
    SITE_METHODS,
    SiteInputError,
    SitePlan,
    check_site_access,
    plan_sites,
)
from services.supply import TARGET_GROUPS
from services.users import load_viewer

log = logging.getLogger(__name__)

PAGE: dict[str, object] = {"path": "/sites", "order": 50, "name": "입지 분석", "name_ko": "입지 분석",
        "name_en": "Site suitability", "roles": tuple(sorted(PLANNING_ROLES)),
        "title": "입지 분석 · 복지 아틀라스"}

RADII_M = (500, 1000, 1500, 2000, 3000, 5000)
TIME_LIMIT_S = 20.0
TABLE_COLUMNS = ("site", "kind", "emd", "people_in_reach", "households_in_reach")
SITE_JOB = "atlas-site-job"  # token purpose (signing salt)
JOB_STORE = "site-job"
PROGRESS_TEXT = "site-progress-text"
PROGRESS_BOX = "site-progress-box"
#: Secret and store opener for the worker, captured from the server when the page registers.
#: Job settings of the app this page is registered with (:func:`on_register`).
JOB: JobConfig = JobConfig(secret="", open_store=lambda: None)  # type: ignore[arg-type, return-value]


def on_register(app: dash.Dash) -> None:
    """Capture the serving app's job settings: its secret and how a worker reopens its store."""
    global JOB
    JOB = job_config(app)


class SiteView(NamedTuple):
    """What the page shows after a solve."""

    figure: go.Figure
    summary: list[html.P]
    rows: list[dict[str, object]]


def _count(value: object, lang: str) -> str:
    if value is None or value != value:  # None or NaN: suppressed
        return t("common.suppressed", lang)
    return f"{float(value):,.0f}"


def site_rows(plan: SitePlan, lang: str) -> list[dict[str, object]]:
    """Rows of the chosen-sites table (counts of 1–4 shown as 비공개)."""
    return [{"site": int(r.site), "kind": t(f"site.kind_{r.kind}", lang),
             "emd": r.emd_name, "people_in_reach": _count(r.people_in_reach, lang),
             "households_in_reach": _count(r.households_in_reach, lang),
             "lonlat": f"{r.geometry.y:.5f}, {r.geometry.x:.5f}"}
            for r in plan.sites.itertuples()]


def summary_lines(plan: SitePlan, lang: str) -> list[html.P]:
    """Coverage before/after and the solver's status, as paragraphs."""
    s = plan.summary
    households = _count(s["households_newly_in_reach"], lang)
    return [html.P(t("site.summary", lang, people=s["demand_people"], before=s["share_before"],
                      after=s["share_after"], gained=s["coverage_gained"], k=s["k"],
                      households=households), className="atlas-notice atlas-notice-info"),
            html.P(t("site.solver", lang, solver=s["solver"], status=s["status"],
                      gap=s["mip_gap"], seconds=s["seconds"], candidates=s["candidates"]),
                   className="atlas-muted")]


def build_site_view(store: Store, viewer: Viewer, *, sigungu: str, group: str, k: int,
                    radius_m: float, method: str, lang: str,
                    progress: Progress | None = None) -> SiteView:
    """Solve and format (plain function, no Dash)."""
    plan = plan_sites(store, viewer, sigungu_code=sigungu, target_group=group, k=int(k),
                      radius_m=float(radius_m), method=method,  # type: ignore[arg-type]
                      time_limit_s=TIME_LIMIT_S, progress=progress)
    labels = {"existing": t("site.existing", lang), "new": t("site.new", lang),
              "catchment": t("site.catchment", lang)}
    figure = site_map(plan.regions, plan.sites, plan.catchments, plan.existing, labels=labels)
    return SiteView(figure, summary_lines(plan, lang), site_rows(plan, lang))


def site_params(*, sigungu: object, group: object, k: object, radius_m: object,
                method: object, lang: str) -> dict[str, Any]:
    """The page's inputs, checked and normalised for a job token (:class:`SiteInputError`)."""
    try:
        k_int, radius = int(k), float(radius_m)  # type: ignore[call-overload, arg-type]
    except (TypeError, ValueError):
        raise SiteInputError(f"k and the radius must be numbers, got {k!r}, {radius_m!r}") from None
    ok = (isinstance(sigungu, str) and len(sigungu) == 5 and sigungu.isdigit()
          and group in {g.code for g in TARGET_GROUPS} and method in SITE_METHODS
          and 1 <= k_int <= MAX_K and radius in RADII_M)
    if not ok:
        raise SiteInputError(f"invalid inputs: 시군구 {sigungu!r}, group {group!r}, k {k!r}, "
                             f"radius {radius_m!r}, method {method!r}")
    return {"sigungu": sigungu, "group": group, "k": k_int, "radius_m": radius,
            "method": method, "lang": lang}


def start_site_job(store: Store, viewer: Viewer, secret: str, *, session_token: str | None,
                   **inputs: Any) -> str:
    """Foreground step: validate, check access, and sign a job token bound to the session."""
    params = site_params(**inputs)
    check_site_access(store, viewer, params["sigungu"])
    return issue_job_token(secret, viewer, params, purpose=SITE_JOB, session_token=session_token)


def run_site_job(config: JobConfig, token: object, *, session_token: str | None,
                 progress: Progress | None = None, max_age_s: int = JOB_MAX_AGE_S) -> SiteView:
    """Worker step: verify the token and the caller's session, solve and audit.

    The caller (the session of ``session_token``) must be the session and user the token was
    issued to; otherwise the job is refused and audited under the caller.
    """
    claims = verify_job_token(config.secret, token, purpose=SITE_JOB, max_age_s=max_age_s)
    store = config.open_store()
    try:
        caller = session_viewer(store, session_token, policy=config.policy)
        same_session = bool(session_token) and claims.session == session_hash(str(session_token))
        if caller is None or not same_session or caller.user_id != claims.viewer.user_id:
            audit(store, caller or PUBLIC_VIEWER, action="plan_sites", allowed=False,
                  object_type="sigungu", object_id=str(claims.params.get("sigungu", "")),
                  detail=f"job token of {claims.viewer.username} replayed from another session")
            raise JobTokenError("this job was started in another session; run it again")
        viewer = load_viewer(store, claims.viewer.user_id) if claims.viewer.user_id else None
        if viewer is None or (viewer.role, viewer.jurisdiction_code) != (
                claims.viewer.role, claims.viewer.jurisdiction_code):
            raise JobTokenError("the user's account changed since the job was started")
        p = claims.params
        view = build_site_view(store, viewer, sigungu=p["sigungu"], group=p["group"], k=p["k"],
                               radius_m=p["radius_m"], method=p["method"], lang=p["lang"],
                               progress=progress)
        audit(store, viewer, action="plan_sites", object_type="sigungu", object_id=p["sigungu"],
              detail=f"{p['method']} k={p['k']} radius={p['radius_m']:.0f} m group={p['group']}")
        return view
    finally:
        store.close()


def _caller_session() -> str | None:
    """The session token of the browser that runs the background callback (from its cookies)."""
    try:
        cookies = dash.callback_context.cookies
    except dash.exceptions.MissingCallbackContextException:
        return None
    return caller_session_token(JOB, cookies)


def error_outputs(exc: Exception, lang: str) -> tuple:
    """The page's outputs for a refused or failed solve."""
    return go.Figure(), [], None, notice(f"{t('error.generic', lang)}: {exc}", kind="error")


def view_outputs(view: SiteView, lang: str) -> tuple:
    """The page's outputs for a solved plan: map, summary, table, no error."""
    headers = [(c, t(f"col.{c}", lang)) for c in (*TABLE_COLUMNS, "lonlat")]
    return view.figure, view.summary, table(view.rows, headers), None


def region_options(store: Store, viewer: Viewer) -> list[dict[str, str]]:
    """시군구 the viewer may plan in (a planner: own 시군구 only)."""
    regions = region_names(store, "sigungu")
    if viewer.role == Role.PLANNER:
        regions = regions[regions["code"] == sigungu_of(viewer.jurisdiction_code or "")]
    return [{"label": f"{r.full_name} ({r.code})", "value": r.code} for r in regions.itertuples()]


def _field(label: str, control: object, *, wide: bool = False) -> html.Div:
    return html.Div([html.Label(label, className="atlas-label"), control],
                    className="atlas-field-wide" if wide else None)


def _controls(store: Store, viewer: Viewer, lang: str) -> html.Div:
    regions = region_options(store, viewer)
    pick = 0 if lang == "ko" else 1
    return html.Div([
        _field(t("site.region", lang), dcc.Dropdown(
            id=ids.SITE_REGION, options=regions, clearable=False,
            value=regions[0]["value"] if regions else None), wide=True),
        _field(t("common.group", lang), dcc.Dropdown(
            id=ids.SITE_GROUP, clearable=False, value=TARGET_GROUPS[0].code,
            options=[{"label": g.label(lang), "value": g.code} for g in TARGET_GROUPS]), wide=True),
        _field(t("site.k", lang), dcc.Input(id=ids.SITE_K, type="number", min=1, max=MAX_K,
                                             step=1, value=3)),
        _field(t("site.radius", lang), dcc.Dropdown(
            id=ids.SITE_RADIUS, clearable=False, value=1500,
            options=[{"label": t("common.km", lang, km=r / 1000), "value": r} for r in RADII_M])),
        _field(t("site.method", lang), dcc.RadioItems(
            id=ids.SITE_METHOD, value="mclp", inline=True,
            options=[{"label": v[pick], "value": k} for k, v in SITE_METHODS.items()])),
        html.Button(t("site.run", lang), id=ids.SITE_RUN,
                    className="atlas-button atlas-button-primary"),
        html.Button(t("site.cancel", lang), id=ids.SITE_CANCEL, disabled=True,
                    className="atlas-button"),
    ], className="atlas-toolbar")


def _progress_box() -> html.Div:
    return html.Div([html.Progress(id=ids.SITE_PROGRESS, value="0", max="100"),
                     html.Span(id=PROGRESS_TEXT, className="atlas-muted")],
                    id=PROGRESS_BOX, style={"display": "none"}, role="status")


def layout(**_query: str) -> html.Div:
    """Inputs, the map of chosen sites and the table (planners, ministry, administrators)."""
    viewer, lang, store = current_viewer(), current_lang(), get_store()
    if viewer.role not in PLANNING_ROLES:
        body = access_notice(viewer, lang) if not viewer.is_authenticated else notice(
            t("sd.denied", lang), kind="warning")
        return html.Div([html.H1(t("site.title", lang)), body], id="site-denied")
    return html.Div([
        html.H1(t("site.title", lang)),
        _controls(store, viewer, lang),
        _progress_box(),
        dcc.Store(id=JOB_STORE),
        html.Div(id=ids.SITE_ERROR),
        dcc.Loading(html.Div([
            html.Div(html.P(t("site.hint", lang), className="atlas-muted"), id=ids.SITE_SUMMARY),
            dcc.Graph(id=ids.SITE_MAP, config=GRAPH_CONFIG,
                      className="atlas-map"),
            html.Div(id=ids.SITE_TABLE),
        ]), type="circle"),
        density_note(get_store(), lang),
    ])


@page_callback(Output(JOB_STORE, "data"), Output(ids.SITE_ERROR, "children", allow_duplicate=True),
          Input(ids.SITE_RUN, "n_clicks"), State(ids.SITE_REGION, "value"),
          State(ids.SITE_GROUP, "value"), State(ids.SITE_K, "value"),
          State(ids.SITE_RADIUS, "value"), State(ids.SITE_METHOD, "value"),
          running=[(Output(ids.SITE_RUN, "disabled"), True, False)], prevent_initial_call=True)
def start(n: int, sigungu: str, group: str, k: int | None, radius: float, method: str) -> tuple:
    """Check access and the inputs as the logged-in user; hand a job token to :func:`solve`."""
    lang = current_lang()
    try:
        token = start_site_job(get_store(), current_viewer(), JOB.secret,
                               session_token=flask.session.get("sid"), sigungu=sigungu,
                               group=group, k=k, radius_m=radius, method=method, lang=lang)
    except (AccessDenied, SiteInputError) as exc:
        return dash.no_update, error_outputs(exc, lang)[-1]
    return {"token": token, "lang": lang, "n": n}, None


@page_callback(Output(ids.SITE_MAP, "figure"), Output(ids.SITE_SUMMARY, "children"),
          Output(ids.SITE_TABLE, "children"), Output(ids.SITE_ERROR, "children"),
          Input(JOB_STORE, "data"), background=True, interval=500, prevent_initial_call=True,
          progress=[Output(ids.SITE_PROGRESS, "value"), Output(PROGRESS_TEXT, "children")],
          progress_default=["0", ""], cancel=[Input(ids.SITE_CANCEL, "n_clicks")],
          running=[(Output(ids.SITE_RUN, "disabled"), True, False),
                   (Output(ids.SITE_CANCEL, "disabled"), False, True),
                   (Output(PROGRESS_BOX, "style"), {"display": "flex"}, {"display": "none"})])
def solve(set_progress: Callable, job: dict | None) -> tuple:
    """Background step: solve the token's request, reporting progress; show sites and table."""
    if not job:
        raise dash.exceptions.PreventUpdate
    lang = job.get("lang", "ko")
    try:
        view = run_site_job(JOB, job.get("token"), session_token=_caller_session(),
                            progress=lambda f, msg: set_progress((str(round(100 * f)), msg)))
    except (JobTokenError, AccessDenied, SiteInputError) as exc:
        return error_outputs(exc, lang)
    return view_outputs(view, lang)
