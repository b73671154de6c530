"""A team's tier capacity and override history (the visit list's capacity flag and past overrides).

Household-level service: both functions take the acting :class:`~domain.access.Viewer`, refuse
roles without household access and jurisdictions outside the viewer's own (audited), and write
an audit row for every view. The rules (seats, expiry, why an override ended) are those of
:mod:`domain.tiers`; the effective tiers come from the read model :mod:`services.scores`.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
import pandas as pd

from domain.access import Viewer, may_see_household
from domain.errors import AccessDenied, InputError
from domain.masking import mask_name
from domain.roles import Role
from domain.tiers import TIER_VALUES, override_days, override_status
from geodata.store.base import Store
from geodata.vocabulary import OVERRIDE_REASONS, TIERS, label
from services.audit import audit, require_household_role
from services.scores import current_model, current_scores

__all__ = ["CAPACITY_COLUMNS", "HISTORY_COLUMNS", "STATUS_LABELS", "override_history",
           "tier_capacity"]

#: Columns of :func:`tier_capacity`.
CAPACITY_COLUMNS: Final[tuple[str, ...]] = (
    "tier", "tier_label", "seats", "households", "overrides", "over_capacity")
#: Columns of :func:`override_history`.
HISTORY_COLUMNS: Final[tuple[str, ...]] = (
    "override_id", "household_id", "name_masked", "created_at", "user", "previous_tier",
    "tier", "reason", "note", "status", "status_label", "ended_at", "model_version")
#: Why an override ended (:data:`domain.tiers.OVERRIDE_STATUSES`), by language.
STATUS_LABELS: Final[dict[str, dict[str, str]]] = {
    "in_force": {"ko": "적용 중", "en": "in force"},
    "replaced": {"ko": "새 조정으로 대체", "en": "replaced by a later override"},
    "expired": {"ko": "기간 만료", "en": "expired (ATLAS_OVERRIDE_DAYS)"},
    "new_model": {"ko": "새 모형 점수로 종료", "en": "ended by a new model version"},
}


def _team_code(store: Store, viewer: Viewer, jurisdiction_code: str | None, *, action: str
               ) -> str | None:
    """The 읍면동 asked for (outreach: their own; admin: any, ``None`` = all), or refuse."""
    require_household_role(store, viewer, action=action, purpose="override history")
    code = jurisdiction_code if jurisdiction_code else (
        None if viewer.role == Role.ADMIN else viewer.jurisdiction_code)
    if code is not None and not may_see_household(viewer, code):
        audit(store, viewer, action=action, allowed=False, object_type="jurisdiction",
              object_id=str(code), purpose="override history",
              detail="outside the viewer's jurisdiction")
        raise AccessDenied(f"{code} is outside your jurisdiction")
    if code is None and viewer.role != Role.ADMIN:
        audit(store, viewer, action=action, allowed=False, purpose="override history",
              detail="no jurisdiction")
        raise AccessDenied("this account has no 읍면동 jurisdiction")
    if code is not None and not (code.isdigit() and len(code) == 8):
        raise InputError(f"a team's jurisdiction is an 8-digit 읍면동 code, not {code!r}")
    return code


def _team_scores(store: Store, code: str | None) -> pd.DataFrame:
    where = None if code is None else {"jurisdiction_code": code}
    return current_scores(store, where=where, columns=["household_id", "tier", "jurisdiction_code"])


def tier_capacity(store: Store, viewer: Viewer, jurisdiction_code: str | None = None, *,
                  lang: str = "ko") -> pd.DataFrame:
    """Seats and occupants of each tier of a team's list: whether overrides push it over.

    Parameters
    ----------
    store, viewer
        The store and the acting user (outreach: own 읍면동; admin: any).
    jurisdiction_code
        The team's 읍면동 (default the viewer's own; administrators: ``None`` is the country).
    lang
        Label language.

    Returns
    -------
    pandas.DataFrame
        :data:`CAPACITY_COLUMNS`, one row per tier: ``seats`` (households the model's capacity
        cut put there), ``households`` (effective), ``overrides`` (overrides in force into the
        tier) and ``over_capacity`` (more overrides than seats: the team's visits exceed its
        capacity; :func:`domain.tiers.seat_tiers`).

    Raises
    ------
    AccessDenied
        Roles without household access, or a jurisdiction outside the viewer's (audited).
    """
    code = _team_code(store, viewer, jurisdiction_code, action="view_capacity")
    scores = _team_scores(store, code)
    width = max(TIER_VALUES) + 1
    seats = np.bincount(scores["model_tier"].astype(int), minlength=width)
    effective = np.bincount(scores["tier"].astype(int), minlength=width)
    overrides = np.bincount(scores.loc[scores["overridden"], "tier"].astype(int), minlength=width)
    over = np.bincount(scores.loc[scores["over_capacity"], "tier"].astype(int), minlength=width) > 0
    tiers = list(TIER_VALUES)
    out = pd.DataFrame({
        "tier": tiers, "tier_label": [label(TIERS, str(t), lang=lang) for t in tiers],
        "seats": seats[tiers], "households": effective[tiers], "overrides": overrides[tiers],
        "over_capacity": over[tiers]})
    audit(store, viewer, action="view_capacity", object_type="jurisdiction",
          object_id=code or "national", purpose="visit list",
          detail=f"{int(out['over_capacity'].sum())} tiers over capacity")
    return out


def override_history(store: Store, viewer: Viewer, jurisdiction_code: str | None = None, *,
                     now: dt.datetime | None = None, limit: int = 200, lang: str = "ko"
                     ) -> pd.DataFrame:
    """Past and current overrides of a team's households: who, when, from→to, why, how it ended.

    Parameters
    ----------
    store, viewer
        The store and the acting user (outreach: own 읍면동; admin: any).
    jurisdiction_code
        The team's 읍면동 (default the viewer's own; administrators: ``None`` is the country).
    now
        Reference time for expiry (default now).
    limit
        At most this many rows, newest first (1-5000).
    lang
        Label language.

    Returns
    -------
    pandas.DataFrame
        :data:`HISTORY_COLUMNS`, newest first: the worker (display name), ``previous_tier`` →
        ``tier``, the reason label and note, ``status`` (:data:`domain.tiers.OVERRIDE_STATUSES`)
        with its label and ``ended_at``. Household names are masked.

    Raises
    ------
    AccessDenied
        Roles without household access, or a jurisdiction outside the viewer's (audited).
    InputError
        ``limit`` outside 1-5000.
    """
    if not 1 <= int(limit) <= 5000:
        raise InputError(f"limit must be 1-5000, not {limit}")
    code = _team_code(store, viewer, jurisdiction_code, action="view_override_history")
    where = None if code is None else {"emd_code": code}
    homes = store.read_frame("household", columns=["household_id", "emd_code"], where=where)
    rows = store.overrides.history(None if code is None else homes["household_id"].tolist())
    if code is None:
        rows = rows[rows["household_id"].isin(homes["household_id"])]
    rows = rows.head(int(limit)).reset_index(drop=True)
    version, scored_at = current_model(store)
    status = override_status(rows, now=now or dt.datetime.now(dt.UTC), days=override_days(),
                             scored_at=scored_at, model_version=version)
    users = {u.user_id: u.display_name or u.username for u in store.users.list_all()}
    out = rows.assign(
        name_masked=rows["household_id"].map(_masked_heads(store, rows["household_id"].tolist())),
        user=rows["user_id"].map(users).fillna(""),
        reason=rows["reason_code"].map(lambda c: label(OVERRIDE_REASONS, str(c), lang=lang)),
        status=status["status"].to_numpy(),
        status_label=status["status"].map(lambda s: STATUS_LABELS[s][lang if lang == "en" else "ko"]),
        ended_at=status["ended_at"].to_numpy())
    out["previous_tier"] = out["previous_tier"].astype("Int64")
    audit(store, viewer, action="view_override_history", object_type="jurisdiction",
          object_id=code or "national", purpose="override history", detail=f"{len(out)} rows")
    return out[list(HISTORY_COLUMNS)]


def _masked_heads(store: Store, household_ids: list[int]) -> dict[int, str]:
    heads = store.read_frame("person", columns=["household_id", "name", "relation"],
                             where={"household_id": household_ids or [-1]})
    heads = heads.sort_values("relation", key=lambda s: s != "head").drop_duplicates("household_id")
    return dict(zip(heads["household_id"].astype(int), heads["name"].map(mask_name), strict=True))
