"""Case detail: one household's record, histories, visit log, tier override and facilities.

Every function takes the acting :class:`~domain.access.Viewer`; households outside
the viewer's role or jurisdiction are refused (:class:`AccessDenied`, audited). Every view of a
record and every change is written to ``audit_log``.

Writes (:func:`add_activity`, :func:`override_tier`) run in one transaction each; concurrent
writers to the SQLite store each keep their rows (SQLite serialises writers, the busy timeout
makes the second wait rather than fail).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from typing import Final

import pandas as pd

from domain.access import Viewer
from domain.errors import AccessDenied, InputError
from domain.masking import mask_name
from domain.tiers import TIER_VALUES
from geodata.store.base import Store
from geodata.vocabulary import (
    ACTIVITY_KINDS,
    ACTIVITY_OUTCOMES,
    HOUSEHOLD_TYPES,
    HOUSING_TYPES,
    OVERRIDE_REASONS,
    TENURES,
    TIERS,
    codes,
    label,
)
from services.audit import audit, require_household_access
from services.repeat_flags import flag_counts, repeat_unhelped
from services.scores import current_model, current_scores, overrides_in_force

log = logging.getLogger(__name__)

MAX_NOTE: Final = 2000
HISTORY_TABLES: Final[dict[str, str]] = {
    "benefit_history": "start_date",
    "discovery_history": "cycle_date",
    "consultation": "consulted_on",
    "support": "supported_on",
}
#: Facility target groups suited to a household's composition.
_TARGET_GROUPS: Final[dict[str, str]] = {
    "n_elderly": "elderly", "n_disabled": "disabled", "n_children": "children",
}

__all__ = [
    "AccessDenied", "ActivityInputError", "CaseDetail", "add_activity", "case_detail",
    "list_activities", "nearest_facilities", "override_tier", "suitable_target_groups",
]


class ActivityInputError(InputError):
    """An activity or override entry with invalid values (every problem in one message)."""


@dataclass(frozen=True)
class CaseDetail:
    """Everything the case page shows about one household (names masked)."""

    household: dict[str, object]
    members: pd.DataFrame
    score: dict[str, object] | None
    reasons: list[dict[str, object]]
    override: dict[str, object] | None
    histories: dict[str, pd.DataFrame] = field(default_factory=dict)
    activities: pd.DataFrame = field(default_factory=pd.DataFrame)
    facilities: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: ``times_flagged``, ``visited_not_helped``, ``ever_supported``, ``repeat_unhelped``
    #: (:mod:`services.repeat_flags`).
    flags: dict[str, object] = field(default_factory=dict)


def case_detail(
    store: Store,
    viewer: Viewer,
    household_id: int,
    *,
    purpose: str = "case review",
    facilities_k: int = 5,
) -> CaseDetail:
    """Open one household's record (audited as ``view_case``).

    Raises
    ------
    AccessDenied
        The household is unknown or outside the viewer's role/jurisdiction (audited).
    """
    hh = require_household_access(store, viewer, household_id, action="view_case", purpose=purpose)
    hid = int(household_id)
    # members and histories in one call (one read-only snapshot on PostGIS)
    records = store.household_records(hid, ("person", *HISTORY_TABLES))
    members = records["person"]
    members = members.assign(name=members["name"].map(mask_name))
    members = members[["person_id", "name", "rrn_masked", "birth_year", "sex", "disability",
                       "relation"]].reset_index(drop=True)
    scores = current_scores(store, where={"household_id": [hid]})
    score = scores.iloc[0].to_dict() if len(scores) else None
    reasons = _reasons(score)
    overrides = overrides_in_force(store, [hid])
    override = overrides.iloc[0].to_dict() if len(overrides) else None
    histories = {name: records[name].sort_values(date_col, ascending=False, kind="stable")
                 .reset_index(drop=True) for name, date_col in HISTORY_TABLES.items()}
    detail = CaseDetail(
        household={k: v for k, v in hh.items() if k != "geometry"} | {
            "lon": hh["geometry"].x, "lat": hh["geometry"].y},
        members=members, score=score, reasons=reasons, override=override, histories=histories,
        activities=_activities(store, hid),
        facilities=_facilities(store, hh, k=facilities_k),
        flags=_flags(store, hid),
    )
    audit(store, viewer, action="view_case", object_type="household", object_id=str(hid),
          purpose=purpose)
    return detail


def _flags(store: Store, household_id: int) -> dict[str, object]:
    counts = flag_counts(store, [household_id])
    row = counts.iloc[0]
    return {"times_flagged": int(row["times_flagged"]),
            "visited_not_helped": int(row["visited_not_helped"]),
            "ever_supported": bool(row["ever_supported"]),
            "repeat_unhelped": bool(repeat_unhelped(counts).iloc[0])}


def _reasons(score: dict[str, object] | None) -> list[dict[str, object]]:
    if not score:
        return []
    try:
        reasons = json.loads(str(score.get("reasons") or "[]"))
    except json.JSONDecodeError:
        return []
    return sorted(reasons, key=lambda r: -abs(float(r.get("weight", 0))))


def list_activities(store: Store, viewer: Viewer, household_id: int) -> pd.DataFrame:
    """The visit-activity log of a household, newest first (access-checked)."""
    require_household_access(store, viewer, household_id, action="view_activity")
    return _activities(store, int(household_id))


def _activities(store: Store, household_id: int) -> pd.DataFrame:
    return store.activities.for_household(household_id)


def _check_activity(kind: str, activity_date: object, outcome_code: str, note: str | None,
                    today: dt.date) -> dt.date:
    problems: list[str] = []
    if kind not in codes(ACTIVITY_KINDS):
        problems.append(f"kind must be one of {list(codes(ACTIVITY_KINDS))}")
    if outcome_code not in codes(ACTIVITY_OUTCOMES):
        problems.append(f"outcome must be one of {list(codes(ACTIVITY_OUTCOMES))}")
    day: dt.date | None = None
    try:
        day = pd.Timestamp(activity_date).date() if activity_date else None
    except (ValueError, TypeError):
        day = None
    if day is None:
        problems.append("date must be a valid date (YYYY-MM-DD)")
    elif day > today:
        problems.append("date cannot be in the future")
    elif day < today - dt.timedelta(days=366):
        problems.append("date cannot be more than a year ago")
    if note is not None and len(note) > MAX_NOTE:
        problems.append(f"note is longer than {MAX_NOTE} characters")
    if problems:
        raise ActivityInputError("; ".join(problems))
    assert day is not None
    return day


def add_activity(
    store: Store,
    viewer: Viewer,
    household_id: int,
    *,
    kind: str,
    activity_date: dt.date | str,
    outcome_code: str,
    note: str | None = None,
    today: dt.date | None = None,
) -> int:
    """Validate and save one visit-activity entry in a transaction; return its id.

    Raises
    ------
    AccessDenied
        Household outside the viewer's role or jurisdiction (audited).
    ActivityInputError
        Unknown kind or outcome, missing/future/old date, note too long (all listed at once).
    """
    # Access first: a malformed save on a foreign household is an access attempt (audited).
    require_household_access(store, viewer, household_id, action="add_activity")
    day = _check_activity(kind, activity_date, outcome_code, note, today or dt.date.today())
    activity_id = store.activities.add(
        household_id=int(household_id), kind=kind, outcome_code=outcome_code,
        note=(note or "").strip() or None, activity_date=day, user_id=viewer.user_id,
        created_at=dt.datetime.now(dt.UTC))
    audit(store, viewer, action="add_activity", object_type="household",
          object_id=str(household_id), detail=f"activity {activity_id}: {kind}/{outcome_code}")
    return activity_id


def override_tier(
    store: Store,
    viewer: Viewer,
    household_id: int,
    *,
    tier: int,
    reason_code: str,
    note: str | None = None,
) -> int:
    """Override a household's tier with a reason code (earlier overrides are deactivated).

    Nothing is deleted: a replaced override keeps its row (``active`` false). The row records
    the model version of the current scores and the tier the household had. The override
    counts for ``Settings.override_days`` (``ATLAS_OVERRIDE_DAYS``) or until scores of a new
    model version are written (re-scoring with the same version keeps it), and within the team's capacity: moving a household up pushes the lowest-ranked
    model household of that tier down one tier (the rule of :mod:`domain.tiers`, applied by
    :mod:`services.scores`).

    Raises
    ------
    AccessDenied
        Household outside the viewer's role or jurisdiction (audited).
    ActivityInputError
        Tier not 1-4, unknown reason code or note too long.
    """
    require_household_access(store, viewer, household_id, action="override_tier")
    problems = []
    if not _is_int(tier) or int(tier) not in TIER_VALUES:
        problems.append("tier must be 1, 2, 3 or 4")
    if reason_code not in codes(OVERRIDE_REASONS):
        problems.append(f"reason must be one of {list(codes(OVERRIDE_REASONS))}")
    if note is not None and len(note) > MAX_NOTE:
        problems.append(f"note is longer than {MAX_NOTE} characters")
    if problems:
        raise ActivityInputError("; ".join(problems))
    version, _scored_at = current_model(store)
    seen = current_scores(store, where={"household_id": [int(household_id)]})
    previous = int(seen["tier"].iloc[0]) if len(seen) else None  # the tier the worker saw
    override_id = store.overrides.replace(
        household_id=int(household_id), tier=int(tier), reason_code=reason_code,
        note=(note or "").strip() or None, user_id=viewer.user_id,
        created_at=dt.datetime.now(dt.UTC), model_version=version, previous_tier=previous)
    audit(store, viewer, action="override_tier", object_type="household",
          object_id=str(household_id), detail=f"tier {tier} ({reason_code})")
    return override_id


def _is_int(value: object) -> bool:
    try:
        int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False
    return True


def suitable_target_groups(household: dict[str, object]) -> list[str]:
    """Facility target groups that fit a household (elderly, disabled, children, family...)."""
    groups = [g for col, g in _TARGET_GROUPS.items() if int(household.get(col) or 0) > 0]
    if household.get("household_type") == "single_parent":
        groups.append("women_family")
    return [*groups, "community", "low_income"]


def _facilities(store: Store, household: dict[str, object], *, k: int) -> pd.DataFrame:
    if store.count("facility") == 0:
        return pd.DataFrame()
    groups = suitable_target_groups(household)
    types = store.read_frame("facility", columns=["type_code", "target_group"])
    type_codes = sorted(set(types.loc[types["target_group"].isin(groups), "type_code"]))
    near = store.facilities_nearest(household["geometry"], k=k, type_codes=type_codes or None,
                                    free_places_only=True)
    cols = ["facility_id", "name", "type_name", "target_group", "capacity", "current_users",
            "free_places", "distance_m", "address"]
    return pd.DataFrame(near[[c for c in cols if c in near.columns]])


def nearest_facilities(store: Store, viewer: Viewer, household_id: int, *, k: int = 5
                       ) -> pd.DataFrame:
    """Nearest suitable facilities with free places for a household (access-checked)."""
    hh = require_household_access(store, viewer, household_id, action="view_facilities")
    return _facilities(store, hh, k=k)


def describe(code_kind: str, code: str, *, lang: str = "ko") -> str:
    """Label of a household attribute code (``household_type``, ``housing_type``, ``tenure``,
    ``tier``, ``kind``, ``outcome``, ``reason``)."""
    vocab = {"household_type": HOUSEHOLD_TYPES, "housing_type": HOUSING_TYPES, "tenure": TENURES,
             "tier": TIERS, "kind": ACTIVITY_KINDS, "outcome": ACTIVITY_OUTCOMES,
             "reason": OVERRIDE_REASONS}[code_kind]
    return label(vocab, str(code), lang=lang)
