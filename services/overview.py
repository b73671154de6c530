"""Overview KPIs and trends for the home page (aggregates only, small cells suppressed).

Scope follows the viewer: an outreach worker sees their 읍면동, a planner their 시군구, national
roles and the public the whole country. Counts between 1 and ``min_count - 1`` are suppressed
(``None``) for every role but administrators.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Final

import pandas as pd

from domain.access import Viewer
from domain.disclosure import is_small, min_cell_count
from domain.roles import Role
from domain.tiers import TIER_VALUES
from geodata.store.base import Store
from services.scores import current_scores, national_tier_counts

log = logging.getLogger(__name__)

SUPPORT_OUTCOMES: Final[frozenset[str]] = frozenset(
    {"public_support", "private_support", "emergency_support", "service_referral"})
CLOSED_OUTCOMES: Final[frozenset[str]] = SUPPORT_OUTCOMES | {"no_need", "refused", "unreachable"}


@dataclass(frozen=True, slots=True)
class Kpis:
    """Headline numbers of a scope. ``None`` marks a suppressed or unavailable value."""

    scope_code: str | None
    households: int
    scored: int
    per_tier: dict[int, int | None]
    visits_this_month: int | None
    support_link_rate: float | None
    discovery_link_rate: float | None


def _scope_where(viewer: Viewer) -> dict[str, str] | None:
    if viewer.role == Role.OUTREACH and viewer.jurisdiction_code:
        return {"emd_code": viewer.jurisdiction_code}
    if viewer.role == Role.PLANNER and viewer.jurisdiction_code:
        return {"sigungu_code": viewer.jurisdiction_code}
    return None


def _small(n: int, viewer: Viewer, min_count: int) -> int | None:
    return None if viewer.role != Role.ADMIN and is_small(n, min_count=min_count) else int(n)


def kpis(store: Store, viewer: Viewer, *, today: dt.date | None = None,
         min_count: int | None = None) -> Kpis:
    """Households scored, households per tier, visits this month and support-link rates.

    ``support_link_rate`` is the share of closed visit-log outcomes that linked the household
    to support (public, private, emergency or a service); ``discovery_link_rate`` is the share of
    past discovery visits (latest cycle) whose outcome was ``supported``.
    """
    today = today or dt.date.today()
    min_count = min_cell_count() if min_count is None else min_count
    where = _scope_where(viewer)
    ids: list[int] | None = None
    if where:
        ids = store.read_frame("household", columns=["household_id"], where=where)[
            "household_id"].tolist()
        scores = current_scores(store, where={"household_id": ids or [-1]},
                                columns=["household_id", "tier"])
        households, tiers = len(ids), scores["tier"].value_counts()
    else:  # the whole country: counted by the store, no national rows read
        households, tiers = store.count("household"), national_tier_counts(store)
    per_tier = tiers.reindex(list(TIER_VALUES), fill_value=0)
    act = _activities(store, ids)
    month_start = pd.Timestamp(today.replace(day=1))
    visits = act[(act["kind"] == "visit") & (act["activity_date"] >= month_start)]
    closed = act[act["outcome_code"].isin(CLOSED_OUTCOMES)]
    linked = int(closed["outcome_code"].isin(SUPPORT_OUTCOMES).sum())
    return Kpis(
        scope_code=viewer.jurisdiction_code if where else None,
        households=int(households),
        scored=int(tiers.sum()),
        per_tier={int(t): _small(int(n), viewer, min_count) for t, n in per_tier.items()},
        visits_this_month=_small(len(visits), viewer, min_count),
        support_link_rate=(linked / len(closed)) if len(closed) >= min_count else None,
        discovery_link_rate=_discovery_rate(store, ids, min_count),
    )


def _activities(store: Store, ids: list[int] | None) -> pd.DataFrame:
    frame = store.activities.frame(household_ids=ids)
    frame = frame[["household_id", "kind", "outcome_code", "activity_date"]].copy()
    frame["activity_date"] = pd.to_datetime(frame["activity_date"])
    return frame


def _discovery_outcomes(store: Store, ids: list[int] | None) -> pd.DataFrame:
    """Discovery-history rows per ``cycle_date, outcome`` (``rows``) of the households ``ids``
    (``None``: every household), counted by the store."""
    return store.group_counts("discovery_history", ["cycle_date", "outcome"],
                              where={"household_id": ids or [-1]} if ids is not None else None)


def _discovery_rate(store: Store, ids: list[int] | None, min_count: int) -> float | None:
    groups = _discovery_outcomes(store, ids)
    if groups.empty:
        return None
    latest = groups[groups["cycle_date"] == groups["cycle_date"].max()]
    total = int(latest["rows"].sum())
    supported = int(latest.loc[latest["outcome"] == "supported", "rows"].sum())
    return supported / total if total >= min_count else None


def discovery_trend(store: Store, viewer: Viewer, *, min_count: int | None = None
                    ) -> pd.DataFrame:
    """Discovery outcomes by cycle: ``cycle_date, outcome, households`` (long format).

    Counts of 1 to ``min_count - 1`` are ``NaN`` (suppressed) for non-administrators.
    """
    where = _scope_where(viewer)
    ids = None
    if where:
        ids = store.read_frame("household", columns=["household_id"], where=where)[
            "household_id"].tolist()
    groups = _discovery_outcomes(store, ids)
    if groups.empty:
        return pd.DataFrame(columns=["cycle_date", "outcome", "households"])
    out = groups.rename(columns={"rows": "households"})
    out["households"] = out["households"].astype(float)
    if viewer.role != Role.ADMIN:
        out.loc[is_small(out["households"], min_count=min_count), "households"] = float("nan")
    return out.sort_values(["cycle_date", "outcome"]).reset_index(drop=True)
