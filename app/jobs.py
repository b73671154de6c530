"""Background jobs of the dashboard: the job manager and signed, short-lived job tokens.

A Dash background callback runs in a worker process without the Flask request, so it can read
neither the session (who asks) nor ``current_app`` (which store). The page's ordinary callback
therefore checks access when the user clicks and issues a *job token*: the user id, role,
jurisdiction and the validated request parameters, signed with the app's secret
(:class:`itsdangerous.URLSafeTimedSerializer`) and valid for :data:`JOB_MAX_AGE_S`. The worker
verifies the token and opens the store itself from :class:`JobConfig`, which the page captures
from the server-side configuration when it registers its callbacks (never from the client).

A token is bound to the session and the user that asked: it carries the hash of the session's
token, and the worker reads the caller's session from the cookies Dash hands to background
callbacks (``callback_context.cookies``). A token replayed from another session -- logged out,
or another user's -- is refused and the refusal is audited under the caller, not the token's
owner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Final

import dash
import flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.auth import POLICY_KEY, STORE_KEY
from domain.access import Viewer
from geodata.settings import Settings
from geodata.store import open_store
from geodata.store.base import Store
from services.login import LoginPolicy, session_hash

__all__ = ["JOB_MAX_AGE_S", "JobClaims", "JobConfig", "JobTokenError", "caller_session_token",
           "issue_job_token", "job_config", "job_manager", "verify_job_token"]

#: Seconds a job token stays valid (the click that issued it must be this recent).
JOB_MAX_AGE_S: Final = 600
JOBS_DIR: Final = "dash_jobs"


class JobTokenError(Exception):
    """A job token that is missing, tampered with, expired or for another purpose."""


@dataclass(frozen=True)
class JobClaims:
    """What a verified job token says: who asked and with which parameters."""

    viewer: Viewer
    params: dict[str, Any]
    session: str | None = None  # hash of the session token the job was started in


@dataclass(frozen=True)
class JobConfig:
    """Server-side settings a worker needs: the signing secret and how to open the store."""

    secret: str
    open_store: Callable[[], Store]
    policy: LoginPolicy = field(default_factory=LoginPolicy)
    cookie_name: str = "atlas_session"


def issue_job_token(secret: str, viewer: Viewer, params: Mapping[str, Any], *,
                    purpose: str, session_token: str | None) -> str:
    """Sign the viewer, its session and the (already validated) parameters of one job."""
    claims = {"uid": viewer.user_id, "user": viewer.username, "role": viewer.role,
              "jur": viewer.jurisdiction_code, "params": dict(params),
              "sid": session_hash(session_token) if session_token else None}
    return URLSafeTimedSerializer(secret, salt=purpose).dumps(claims)


def verify_job_token(secret: str, token: object, *, purpose: str,
                     max_age_s: int = JOB_MAX_AGE_S) -> JobClaims:
    """The claims of a valid token; :class:`JobTokenError` if invalid, expired or mis-purposed."""
    if not isinstance(token, str) or not token:
        raise JobTokenError("no job token")
    try:
        claims = URLSafeTimedSerializer(secret, salt=purpose).loads(token, max_age=max_age_s)
    except SignatureExpired:
        raise JobTokenError("the job token has expired; run again") from None
    except BadSignature:
        raise JobTokenError("the job token is not valid") from None
    viewer = Viewer(user_id=claims["uid"], username=claims["user"], role=claims["role"],
                    jurisdiction_code=claims["jur"])
    return JobClaims(viewer, dict(claims["params"]), claims.get("sid"))


def caller_session_token(config: JobConfig, cookies: Mapping[str, str]) -> str | None:
    """The session token in the caller's session cookie (verified with the app's secret)."""
    raw = cookies.get(config.cookie_name)
    if not raw:
        return None
    signer = SecureCookieSessionInterface().get_signing_serializer(_signing_app(config.secret))
    try:
        data = signer.loads(raw, max_age=int(config.policy.max_age.total_seconds()))
    except BadSignature:
        return None
    sid = data.get("sid") if isinstance(data, dict) else None
    return str(sid) if sid else None


def _signing_app(secret: str) -> flask.Flask:
    app = flask.Flask("atlas-job-cookies")
    app.secret_key = secret
    return app


def job_config(app: dash.Dash | None = None) -> JobConfig:
    """The :class:`JobConfig` of ``app`` (default: ``dash.get_app()``), the app being built.

    Pass the app: ``dash.get_app()`` prefers an app left in the thread's context by an earlier
    request (Dash sets it without resetting it), which is not the one being built.

    The worker opens a new store from the serving store's :meth:`~geodata.store.base.Store.reopen_spec`
    (its own connections and caches, never the parent's, which fork shares) without knowing
    which kind of store it is.
    """
    server = (app or dash.get_app()).server
    store = server.config[STORE_KEY]
    return JobConfig(secret=str(server.secret_key),
                     open_store=partial(open_store, store.reopen_spec()),
                     policy=server.config.get(POLICY_KEY) or LoginPolicy(),
                     cookie_name=str(server.config.get("SESSION_COOKIE_NAME", "atlas_session")))


def job_manager(settings: Settings) -> dash.DiskcacheManager:
    """Dash's background callback manager, with its cache in ``<data_dir>/dash_jobs``."""
    import diskcache

    folder = Path(settings.data_dir) / JOBS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return dash.DiskcacheManager(diskcache.Cache(str(folder)))
