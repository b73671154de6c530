"""Referral to providers (서비스 의뢰): send from a case, answer in the provider's inbox.

The state machine is :mod:`domain.referral`; this module decides *who* the viewer is to a
referral, runs each transition in one transaction (the referral row, its history row and the
facility's 현원 change commit together) and audits every step and every refusal.

=============================  ==============================================================
who                            may
=============================  ==============================================================
outreach worker of the 읍면동   send (with recorded consent), see sent referrals, cancel
provider of the facility       see the referrals addressed to it (masked), accept, reject,
                               start, complete; keep its 정원/현원 true
admin                          see every referral (audited); no transitions
=============================  ==============================================================
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd

from domain.access import Viewer, may_see_household
from domain.errors import AccessDenied, InputError
from domain.masking import mask_name
from domain.referral import (
    OPEN_STATES,
    OUTREACH,
    PROVIDER,
    SYSTEM,
    ReferralAction,
    ReferralDeadlines,
    ReferralOutcome,
    ReferralRuleError,
    ReferralState,
    TransitionRequest,
    allowed_actions,
    is_overdue,
    next_state,
    occupancy_change,
)
from domain.roles import Role
from geodata.store.base import Store
from geodata.store.referrals import Occupancy, OccupancyChange, OccupancyError
from services.audit import audit, require_household_access
from services.casework import suitable_target_groups

__all__ = [
    "ReferralConflict",
    "ReferralInputError",
    "ReferralView",
    "act_on_referral",
    "expire_overdue",
    "household_referrals",
    "provider_inbox",
    "referral_candidates",
    "send_referral",
    "sent_referrals",
    "update_occupancy",
]

log = logging.getLogger(__name__)
MAX_NOTE: Final = 1000
_FACILITY_COLS: Final = ["facility_id", "name", "type_name", "target_group", "function",
                         "capacity", "current_users", "emd_code"]


class ReferralInputError(InputError):
    """A referral that cannot be sent or moved as asked (every problem in one message)."""


class ReferralConflict(ReferralInputError):  # noqa: N818 - reads as what happened
    """Someone else moved the referral first; reload and look again."""


@dataclass(frozen=True, slots=True)
class ReferralView:
    """One referral as its viewer sees it: the row, what the viewer may do, and its history."""

    referral: dict[str, Any]
    actions: tuple[str, ...]
    history: pd.DataFrame


def _today(today: dt.date | None) -> dt.date:
    return today or dt.date.today()


def _facility(store: Store, facility_id: int) -> dict[str, Any]:
    frame = store.read_frame("facility", columns=_FACILITY_COLS, where={"facility_id": int(facility_id)})
    if frame.empty:
        raise ReferralInputError(f"unknown facility {facility_id}")
    return frame.iloc[0].to_dict()


# ------------------------------------------------------------------------------ sending
def referral_candidates(store: Store, viewer: Viewer, household_id: int, *, k: int = 8) -> pd.DataFrame:
    """Facilities suited to the household (its target groups), nearest first, with free places.

    Columns: ``facility_id, name, type_name, target_group, function, capacity, current_users,
    free_places, distance_m``. Access-checked (audited on refusal).
    """
    hh = require_household_access(store, viewer, household_id, action="referral_candidates")
    if store.count("facility") == 0:
        return pd.DataFrame(columns=[*_FACILITY_COLS[:7], "free_places", "distance_m"])
    types = store.read_frame("facility", columns=["type_code", "target_group"])
    codes = sorted(set(types.loc[types["target_group"].isin(suitable_target_groups(hh)), "type_code"]))
    near = store.facilities_nearest(hh["geometry"], k=k, type_codes=codes or None, free_places_only=True)
    cols = [*_FACILITY_COLS[:7], "free_places", "distance_m"]
    return pd.DataFrame(near[cols]).reset_index(drop=True)


def send_referral(
    store: Store,
    viewer: Viewer,
    household_id: int,
    facility_id: int,
    *,
    consent: bool,
    note: str | None = None,
    consent_on: dt.date | None = None,
    need_id: int | None = None,
    today: dt.date | None = None,
    deadlines: ReferralDeadlines | None = None,
) -> int:
    """Send a referral of a household to a facility; return its ``referral_id``.

    The need is the facility's target group and function. The household's consent must be
    recorded; the answer is due ``answer_working_days`` working days later. With ``need_id``,
    that registered need of the household becomes ``matched`` in the same transaction.

    Raises
    ------
    AccessDenied
        Not an outreach worker of the household's 읍면동 (audited).
    ReferralInputError
        No consent, unknown facility, a note too long, or an open referral of this household to
        this facility already exists.
    """
    if viewer.role != Role.OUTREACH:
        audit(store, viewer, action="send_referral", allowed=False, object_type="household",
              object_id=str(household_id), detail=f"role {viewer.role!r} cannot send referrals")
        raise AccessDenied(f"{viewer.role} users cannot send referrals")
    hh = require_household_access(store, viewer, household_id, action="send_referral")
    problems: list[str] = []
    if not consent:
        problems.append("the household's consent to the referral is not recorded (동의 없음)")
    if note and len(note) > MAX_NOTE:
        problems.append(f"the note has {len(note)} characters; at most {MAX_NOTE}")
    try:
        facility = _facility(store, facility_id)
    except ReferralInputError as exc:
        problems.append(str(exc))
        facility = None
    if facility is not None:
        open_ones = store.referrals.list(household_ids=[int(household_id)], facility_ids=[int(facility_id)],
                                         states=[s.value for s in OPEN_STATES])
        if len(open_ones):
            problems.append(f"referral {int(open_ones.iloc[0]['referral_id'])} to this facility is still open")
    if need_id is not None:
        mine = store.referrals.needs(household_ids=[int(household_id)], statuses=["open", "offered"])
        if int(need_id) not in set(mine["need_id"]):
            problems.append(f"need {need_id} is not an open need of this household")
    if problems:
        raise ReferralInputError("cannot send the referral: " + "; ".join(problems))
    day = _today(today)
    due = (deadlines or ReferralDeadlines.from_settings()).due_date(ReferralState.REQUESTED, day)
    rid = store.referrals.send(
        {"household_id": int(household_id), "facility_id": int(facility_id),
         "need_group": facility["target_group"], "need_function": facility["function"],
         "state": ReferralState.REQUESTED.value, "note": note or None, "consent_recorded": True,
         "consent_on": consent_on or day, "sender_emd_code": str(hh["emd_code"]),
         "user_id": viewer.user_id, "due_date": due},
        _transition_row(viewer, "send", None, ReferralState.REQUESTED, note=note),
        need_id=need_id)
    audit(store, viewer, action="send_referral", object_type="referral", object_id=str(rid),
          detail=f"household {int(household_id)} -> facility {int(facility_id)}")
    log.info("referral %d sent by %s", rid, viewer.username)
    return rid


def _transition_row(viewer: Viewer | None, action: str, source: ReferralState | None,
                    target: ReferralState, *, outcome: str | None = None, reason: str | None = None,
                    note: str | None = None) -> dict[str, Any]:
    return {"action": action, "from_state": source and source.value,
            "to_state": target.value, "user_id": viewer.user_id if viewer else None,
            "username": viewer.username if viewer else SYSTEM,
            "role": str(viewer.role) if viewer else SYSTEM,
            "outcome": outcome, "reason": reason, "note": note or None}


# ------------------------------------------------------------------------------ transitions
def _actor(viewer: Viewer, referral: dict[str, Any]) -> str | None:
    """What the viewer is to this referral: its provider, its sender, or nobody."""
    if viewer.role == Role.PROVIDER and viewer.facility_id is not None and (
            int(viewer.facility_id) == int(referral["facility_id"])):
        return PROVIDER
    if viewer.role == Role.OUTREACH and may_see_household(viewer, str(referral["sender_emd_code"])):
        return OUTREACH
    return None


def _may_see(viewer: Viewer, referral: dict[str, Any]) -> bool:
    return viewer.role == Role.ADMIN or _actor(viewer, referral) is not None


def _load(store: Store, viewer: Viewer, referral_id: int, *, action: str) -> dict[str, Any]:
    referral = store.referrals.get(int(referral_id))
    if referral is None or not _may_see(viewer, referral):
        audit(store, viewer, action=action, allowed=False, object_type="referral",
              object_id=str(referral_id), detail="unknown referral" if referral is None else "not yours")
        raise AccessDenied(f"referral {referral_id} is not addressed to you or sent by you")
    return referral


def act_on_referral(
    store: Store,
    viewer: Viewer,
    referral_id: int,
    action: ReferralAction | str,
    *,
    outcome: ReferralOutcome | str | None = None,
    reason: str | None = None,
    note: str | None = None,
    today: dt.date | None = None,
    deadlines: ReferralDeadlines | None = None,
) -> dict[str, Any]:
    """Accept, reject, start, complete or cancel a referral; return the updated row.

    Runs in one transaction: the conditional update of the referral (it must still be in the
    state the viewer saw), the 현원 change of the facility and the history row.

    Raises
    ------
    AccessDenied
        The referral is not addressed to the viewer's facility nor sent from its 읍면동 (audited).
    ReferralInputError
        The state machine forbids it (wrong state, actor, missing reason), or the facility is
        full; :class:`ReferralConflict` when someone else moved the referral first.
    """
    referral = _load(store, viewer, referral_id, action=f"referral_{action}")
    actor = _actor(viewer, referral)
    request = TransitionRequest(
        ReferralAction(action), actor or str(viewer.role),
        outcome=None if outcome is None else ReferralOutcome(outcome), reason=reason or None)
    try:
        target = next_state(referral["state"], request)
    except ReferralRuleError as exc:
        audit(store, viewer, action=f"referral_{request.action}", allowed=False,
              object_type="referral", object_id=str(referral_id), detail=str(exc))
        raise ReferralInputError(str(exc)) from exc
    if note and len(note) > MAX_NOTE:
        raise ReferralInputError(f"the note has {len(note)} characters; at most {MAX_NOTE}")
    _apply(store, viewer, referral, request, target, note=note, today=_today(today),
           deadlines=deadlines or ReferralDeadlines.from_settings())
    audit(store, viewer, action=f"referral_{request.action}", object_type="referral",
          object_id=str(referral_id),
          detail=f"{referral['state']} -> {target.value}" + (f" ({reason})" if reason else ""))
    return store.referrals.get(int(referral_id)) or {}


def _apply(store: Store, viewer: Viewer | None, referral: dict[str, Any], request: TransitionRequest,
           target: ReferralState, *, note: str | None, today: dt.date,
           deadlines: ReferralDeadlines) -> None:
    source = ReferralState(referral["state"])
    outcome = request.outcome.value if request.outcome else None
    delta = occupancy_change(source, target, outcome)
    values: dict[str, Any] = {"state": target.value, "due_date": deadlines.due_date(target, today)}
    if outcome or request.reason:
        values |= {"outcome": outcome, "reason": request.reason}
    change = None
    if delta:
        facility = _facility(store, int(referral["facility_id"]))
        change = OccupancyChange(int(referral["facility_id"]), delta,
                                 (int(facility["capacity"]), int(facility["current_users"])))
    try:
        moved = store.referrals.move(
            int(referral["referral_id"]), expected_state=source.value,
            expected_version=int(referral["version"]), values=values,
            transition=_transition_row(viewer, request.action.value, source, target,
                                       outcome=outcome, reason=request.reason, note=note),
            occupancy=change, user_id=viewer.user_id if viewer else None)
    except OccupancyError as exc:
        raise ReferralInputError(f"cannot {request.action.value}: {exc}") from exc
    if not moved:
        raise ReferralConflict(f"referral {referral['referral_id']} was changed by someone else; reload it")


def expire_overdue(store: Store, *, today: dt.date | None = None,
                   deadlines: ReferralDeadlines | None = None) -> int:
    """Expire requested referrals nobody answered within the expiry period; return how many.

    A requested referral is *overdue* the day after its answer was due and *expires* once
    ``expire_working_days`` working days have passed since it was sent.
    """
    rules = deadlines or ReferralDeadlines.from_settings()
    day = _today(today)
    waiting = store.referrals.list(states=[ReferralState.REQUESTED.value])
    expired = 0
    for row in waiting.to_dict("records"):
        sent = pd.Timestamp(row["created_at"]).date()
        if day <= rules.expiry_date(sent):
            continue
        request = TransitionRequest(ReferralAction.EXPIRE, SYSTEM)
        try:
            _apply(store, None, row, request, next_state(row["state"], request), note=None,
                   today=day, deadlines=rules)
        except ReferralConflict:
            continue  # answered meanwhile
        expired += 1
    if expired:
        log.info("expired %d unanswered referrals", expired)
    return expired


# ------------------------------------------------------------------------------ reading
def _decorate(store: Store, frame: pd.DataFrame, viewer: Viewer, today: dt.date) -> pd.DataFrame:
    """Add facility name, overdue flag and what the viewer may do to each referral row."""
    out = frame.copy()
    if out.empty:
        return out.assign(facility_name=pd.Series(dtype=object), overdue=pd.Series(dtype=bool),
                          actions=pd.Series(dtype=object))
    ids = sorted({int(f) for f in out["facility_id"].dropna()})
    names = store.read_frame("facility", columns=["facility_id", "name"], where={"facility_id": ids})
    out["facility_name"] = out["facility_id"].map(names.set_index("facility_id")["name"])
    out["overdue"] = [is_overdue(s, None if pd.isna(d) else pd.Timestamp(d).date(), today)
                      for s, d in zip(out["state"], out["due_date"], strict=True)]
    out["actions"] = [",".join(a.value for a in allowed_actions(r["state"], _actor(viewer, r) or ""))
                      for r in out.to_dict("records")]
    return out


def provider_inbox(store: Store, viewer: Viewer, *, today: dt.date | None = None) -> pd.DataFrame:
    """The referrals addressed to the provider's facility, newest first, with masked data only.

    Columns: ``referral_id, state, created_at, due_date, overdue, need_group, need_function,
    note, actions, facility_name, head_name`` (masked), ``household_size, head_age_band``.

    Raises
    ------
    AccessDenied
        Not a provider with a facility (audited).
    """
    if viewer.role != Role.PROVIDER or viewer.facility_id is None:
        audit(store, viewer, action="view_referral_inbox", allowed=False,
              detail=f"role {viewer.role!r} has no referral inbox")
        raise AccessDenied("only provider users have a referral inbox")
    day = _today(today)
    expire_overdue(store, today=day)
    frame = _decorate(store, store.referrals.list(facility_ids=[int(viewer.facility_id)]), viewer, day)
    frame = _with_masked_household(store, frame)
    audit(store, viewer, action="view_referral_inbox", object_type="facility",
          object_id=str(viewer.facility_id), detail=f"{len(frame)} referrals")
    cols = ["referral_id", "state", "created_at", "due_date", "overdue", "need_group", "need_function",
            "note", "actions", "facility_name", "head_name", "household_size", "head_age_band",
            "outcome", "reason"]
    return frame[cols].reset_index(drop=True)


def _with_masked_household(store: Store, frame: pd.DataFrame) -> pd.DataFrame:
    """The minimum a provider needs: the head's masked name, household size and age band."""
    if frame.empty:
        return frame.assign(head_name=pd.Series(dtype=object), household_size=pd.Series(dtype=float),
                            head_age_band=pd.Series(dtype=object))
    ids = sorted({int(h) for h in frame["household_id"]})
    hh = store.read_frame("household", columns=["household_id", "size", "head_age"],
                          where={"household_id": ids}).set_index("household_id")
    people = store.read_frame("person", columns=["household_id", "name", "relation"],
                              where={"household_id": ids})
    heads = people[people["relation"] == "head"].drop_duplicates("household_id").set_index("household_id")
    out = frame.copy()
    out["head_name"] = out["household_id"].map(heads["name"]).map(mask_name)
    out["household_size"] = out["household_id"].map(hh["size"])
    out["head_age_band"] = out["household_id"].map(hh["head_age"]).map(
        lambda a: "" if pd.isna(a) else f"{int(a) // 10 * 10}대")
    return out


def sent_referrals(store: Store, viewer: Viewer, *, today: dt.date | None = None) -> pd.DataFrame:
    """Referrals sent from the outreach worker's 읍면동 (admin: all), newest first.

    Raises
    ------
    AccessDenied
        Roles other than outreach and admin (audited).
    """
    if viewer.role not in (Role.OUTREACH, Role.ADMIN):
        audit(store, viewer, action="view_sent_referrals", allowed=False,
              detail=f"role {viewer.role!r} sends no referrals")
        raise AccessDenied(f"{viewer.role} users send no referrals")
    day = _today(today)
    expire_overdue(store, today=day)
    emds = None if viewer.role == Role.ADMIN else [str(viewer.jurisdiction_code)]
    frame = _decorate(store, store.referrals.list(sender_emd_codes=emds), viewer, day)
    audit(store, viewer, action="view_sent_referrals", object_type="referral",
          detail=f"{len(frame)} referrals")
    return frame.reset_index(drop=True)


def household_referrals(store: Store, viewer: Viewer, household_id: int, *,
                        today: dt.date | None = None) -> pd.DataFrame:
    """The referrals of one household (for its case page), newest first, access-checked."""
    require_household_access(store, viewer, household_id, action="view_referrals")
    day = _today(today)
    frame = store.referrals.list(household_ids=[int(household_id)])
    return _decorate(store, frame, viewer, day).reset_index(drop=True)


def referral_detail(store: Store, viewer: Viewer, referral_id: int) -> ReferralView:
    """One referral with what the viewer may do and its history (audited)."""
    referral = _load(store, viewer, referral_id, action="view_referral")
    actions = tuple(a.value for a in allowed_actions(referral["state"], _actor(viewer, referral) or ""))
    history = store.referrals.history([int(referral_id)])
    audit(store, viewer, action="view_referral", object_type="referral", object_id=str(referral_id))
    return ReferralView(referral=referral, actions=actions, history=history)


# ------------------------------------------------------------------------------ occupancy
def update_occupancy(store: Store, viewer: Viewer, *, capacity: int, current_users: int) -> Occupancy:
    """A provider sets its facility's 정원 and 현원 (audited).

    Raises
    ------
    AccessDenied
        Not a provider with a facility (audited).
    ReferralInputError
        Negative values or 현원 above 정원.
    """
    if viewer.role != Role.PROVIDER or viewer.facility_id is None:
        audit(store, viewer, action="update_occupancy", allowed=False,
              detail=f"role {viewer.role!r} keeps no facility")
        raise AccessDenied("only provider users update a facility's 정원/현원")
    _facility(store, int(viewer.facility_id))
    try:
        occupancy = store.referrals.set_occupancy(int(viewer.facility_id), capacity=int(capacity),
                                                  current_users=int(current_users),
                                                  user_id=viewer.user_id)
    except OccupancyError as exc:
        raise ReferralInputError(str(exc)) from exc
    audit(store, viewer, action="update_occupancy", object_type="facility",
          object_id=str(viewer.facility_id), detail=f"정원 {capacity} 현원 {current_users}")
    return occupancy
