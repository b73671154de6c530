"""The referral (서비스 의뢰) state machine: states, who may move a referral, and its due dates.

A pure rule: no Store, no Viewer, no clock (callers pass ``today``). The services enforce it.

States and transitions follow Primero's referral transitions (in progress → accepted / rejected
with a reason → done, successful or not with a reason; revoked by the sender) and the HL7 FHIR
Task states (requested, accepted, rejected, in-progress, completed, cancelled, failed), with
``expired`` for a referral nobody answered in time::

    requested ──accept──▶ accepted ──start──▶ in_progress ──complete──▶ completed
        │  └────reject(reason)──▶ rejected        │                  (successful | not_successful)
        ├──expire (system, once overdue)──▶ expired│
        └──cancel (sender)──▶ cancelled ◀──cancel──┘ (also from accepted)

=========  =====================  ============  ===========================================
action     from                   to            who
=========  =====================  ============  ===========================================
accept     requested              accepted      provider of the addressed facility
reject     requested              rejected      provider of the addressed facility (reason)
start      accepted               in_progress   provider of the addressed facility
complete   in_progress            completed     provider (outcome; reason if not successful)
cancel     requested, accepted,   cancelled     outreach worker of the household's 읍면동
           in_progress
expire     requested              expired       system, only once the answer is overdue
=========  =====================  ============  ===========================================

The facility's 현원 (current users) moves with the referral: accepting takes a place (+1);
completing *not successfully* or cancelling after acceptance gives it back (−1); a successful
completion keeps the household as a user.

Due dates count working days (Monday to Friday, Korean public holidays excluded, from the
``holidays`` package): the provider answers within ``referral_answer_working_days`` of sending,
starts within ``referral_start_working_days`` of accepting and completes within
``referral_complete_days`` calendar days of accepting (통합사례관리: 접수 to service plan in 30 days).
A requested referral is overdue the day after its answer was due and expires (by the system)
after ``referral_expire_working_days`` working days without an answer.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import holidays


class ReferralState(enum.StrEnum):
    """Where a referral stands."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class ReferralAction(enum.StrEnum):
    """What someone does to a referral."""

    ACCEPT = "accept"
    REJECT = "reject"
    START = "start"
    COMPLETE = "complete"
    CANCEL = "cancel"
    EXPIRE = "expire"


class ReferralOutcome(enum.StrEnum):
    """How a completed referral ended (Primero's ``success_status``)."""

    SUCCESSFUL = "successful"
    NOT_SUCCESSFUL = "not_successful"


#: Who acts: the provider of the addressed facility, the referring outreach worker, or the system.
PROVIDER: Final = "provider"
OUTREACH: Final = "outreach"
SYSTEM: Final = "system"

#: Reasons a provider may give for rejecting a referral.
REJECT_REASONS: Final[tuple[str, ...]] = (
    "no_capacity",  # 정원 초과
    "not_eligible",  # 대상 기준 미충족
    "service_not_offered",  # 제공하지 않는 서비스
    "outside_service_area",  # 서비스 권역 밖
    "duplicate",  # 중복 의뢰
    "other",
)
#: Reasons a completed referral was not successful (after Primero's defaults).
NOT_SUCCESSFUL_REASONS: Final[tuple[str, ...]] = (
    "client_refused_services",
    "lack_of_capacity",
    "services_no_longer_needed",
    "unable_to_contact_client",
    "moved_away",
    "other",
)
#: Reasons the sender cancels a referral.
CANCEL_REASONS: Final[tuple[str, ...]] = (
    "need_resolved",
    "client_withdrew_consent",
    "referred_elsewhere",
    "sent_in_error",
    "other",
)

OPEN_STATES: Final[frozenset[ReferralState]] = frozenset(
    {ReferralState.REQUESTED, ReferralState.ACCEPTED, ReferralState.IN_PROGRESS}
)
FINAL_STATES: Final[frozenset[ReferralState]] = frozenset(set(ReferralState) - OPEN_STATES)


@dataclass(frozen=True, slots=True)
class Transition:
    """One allowed move: ``action`` takes a referral from ``source`` to ``target``, by ``actor``."""

    action: ReferralAction
    source: ReferralState
    target: ReferralState
    actor: str


_S = ReferralState
_A = ReferralAction
TRANSITIONS: Final[tuple[Transition, ...]] = (
    Transition(_A.ACCEPT, _S.REQUESTED, _S.ACCEPTED, PROVIDER),
    Transition(_A.REJECT, _S.REQUESTED, _S.REJECTED, PROVIDER),
    Transition(_A.START, _S.ACCEPTED, _S.IN_PROGRESS, PROVIDER),
    Transition(_A.COMPLETE, _S.IN_PROGRESS, _S.COMPLETED, PROVIDER),
    Transition(_A.CANCEL, _S.REQUESTED, _S.CANCELLED, OUTREACH),
    Transition(_A.CANCEL, _S.ACCEPTED, _S.CANCELLED, OUTREACH),
    Transition(_A.CANCEL, _S.IN_PROGRESS, _S.CANCELLED, OUTREACH),
    Transition(_A.EXPIRE, _S.REQUESTED, _S.EXPIRED, SYSTEM),
)
_BY_KEY: Final[dict[tuple[ReferralAction, ReferralState], Transition]] = {
    (t.action, t.source): t for t in TRANSITIONS
}


class ReferralRuleError(ValueError):
    """A transition the state machine does not allow (wrong state, actor or missing reason)."""


class TransitionNotAllowed(ReferralRuleError):  # noqa: N818 - reads as the rule it breaks
    """The action is not possible from the referral's current state."""


class ActorNotAllowed(ReferralRuleError):  # noqa: N818
    """The action is possible, but not by this kind of actor."""


@dataclass(frozen=True, slots=True)
class TransitionRequest:
    """What an actor asks for: the action and, where the rule needs them, outcome and reason."""

    action: ReferralAction
    actor: str
    outcome: ReferralOutcome | None = None
    reason: str | None = None


def allowed_actions(state: ReferralState | str, actor: str) -> tuple[ReferralAction, ...]:
    """The actions ``actor`` may take on a referral in ``state`` (in table order).

    Examples
    --------
    >>> [a.value for a in allowed_actions("requested", "provider")]
    ['accept', 'reject']
    """
    current = ReferralState(state)
    return tuple(t.action for t in TRANSITIONS if t.source == current and t.actor == actor)


def next_state(state: ReferralState | str, request: TransitionRequest) -> ReferralState:
    """The state a referral in ``state`` moves to under ``request``; raise if the rule forbids it.

    Parameters
    ----------
    state
        The referral's current state.
    request
        Action, actor kind (``provider``, ``outreach``, ``system``), outcome and reason.

    Returns
    -------
    ReferralState
        The new state.

    Raises
    ------
    TransitionNotAllowed
        No transition for this action leaves ``state`` (e.g. accepting a completed referral).
    ActorNotAllowed
        The transition exists but belongs to another actor (a provider cannot cancel).
    ReferralRuleError
        A reason or outcome is missing or unknown.
    """
    current = ReferralState(state)
    action = ReferralAction(request.action)
    transition = _BY_KEY.get((action, current))
    if transition is None:
        possible = sorted({t.source.value for t in TRANSITIONS if t.action == action})
        raise TransitionNotAllowed(
            f"cannot {action.value} a referral that is {current.value}; "
            f"{action.value} is only possible from: {', '.join(possible)}"
        )
    if transition.actor != request.actor:
        raise ActorNotAllowed(
            f"only the {transition.actor} may {action.value} a referral, not the {request.actor}"
        )
    _check_details(action, request)
    return transition.target


def _check_details(action: ReferralAction, request: TransitionRequest) -> None:
    if action is ReferralAction.REJECT:
        _require_reason(request.reason, REJECT_REASONS, "rejecting")
    elif action is ReferralAction.CANCEL:
        _require_reason(request.reason, CANCEL_REASONS, "cancelling")
    elif action is ReferralAction.COMPLETE:
        if request.outcome is None:
            raise ReferralRuleError("completing a referral needs an outcome: successful or not_successful")
        outcome = ReferralOutcome(request.outcome)
        if outcome is ReferralOutcome.NOT_SUCCESSFUL:
            _require_reason(request.reason, NOT_SUCCESSFUL_REASONS, "an unsuccessful completion")
        elif request.reason is not None and request.reason not in NOT_SUCCESSFUL_REASONS:
            raise ReferralRuleError(f"unknown reason {request.reason!r}")
    if action is not ReferralAction.COMPLETE and request.outcome is not None:
        raise ReferralRuleError(f"an outcome belongs to completing, not to {action.value}")


def _require_reason(reason: str | None, known: tuple[str, ...], what: str) -> None:
    if not reason:
        raise ReferralRuleError(f"{what} needs a reason, one of: {', '.join(known)}")
    if reason not in known:
        raise ReferralRuleError(f"unknown reason {reason!r} for {what}; use one of: {', '.join(known)}")


def occupancy_change(
    source: ReferralState | str, target: ReferralState | str, outcome: ReferralOutcome | str | None = None
) -> int:
    """How the addressed facility's 현원 moves with a transition: +1, −1 or 0.

    Examples
    --------
    >>> occupancy_change("requested", "accepted")
    1
    >>> occupancy_change("in_progress", "completed", "not_successful")
    -1
    """
    src, dst = ReferralState(source), ReferralState(target)
    if src is ReferralState.REQUESTED and dst is ReferralState.ACCEPTED:
        return 1
    holds_place = src in (ReferralState.ACCEPTED, ReferralState.IN_PROGRESS)
    if holds_place and dst is ReferralState.CANCELLED:
        return -1
    if dst is ReferralState.COMPLETED and outcome is not None:
        return -1 if ReferralOutcome(outcome) is ReferralOutcome.NOT_SUCCESSFUL else 0
    return 0


# ------------------------------------------------------------------------------ due dates
@dataclass(frozen=True, slots=True)
class ReferralDeadlines:
    """How long each side has: working days to answer and to start, calendar days to complete."""

    answer_working_days: int = 3
    start_working_days: int = 5
    complete_days: int = 30
    expire_working_days: int = 10

    def __post_init__(self) -> None:
        for name in ("answer_working_days", "start_working_days", "complete_days",
                     "expire_working_days"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        if self.expire_working_days < self.answer_working_days:
            raise ValueError("expire_working_days must not be shorter than answer_working_days")

    @classmethod
    def from_settings(cls) -> ReferralDeadlines:
        """The deadlines configured by ``ATLAS_REFERRAL_*`` settings."""
        from geodata.settings import get_settings

        s = get_settings()
        return cls(
            answer_working_days=s.referral_answer_working_days,
            start_working_days=s.referral_start_working_days,
            complete_days=s.referral_complete_days,
            expire_working_days=s.referral_expire_working_days,
        )

    def expiry_date(self, sent_on: dt.date) -> dt.date:
        """The last day a requested referral sent on ``sent_on`` may still be answered."""
        return add_working_days(sent_on, self.expire_working_days)

    def due_date(self, state: ReferralState | str, since: dt.date) -> dt.date | None:
        """When the next step is due for a referral that entered ``state`` on ``since``.

        ``None`` for final states (nothing is due).
        """
        current = ReferralState(state)
        if current is ReferralState.REQUESTED:
            return add_working_days(since, self.answer_working_days)
        if current is ReferralState.ACCEPTED:
            return add_working_days(since, self.start_working_days)
        if current is ReferralState.IN_PROGRESS:
            return since + dt.timedelta(days=self.complete_days)
        return None


def is_overdue(state: ReferralState | str, due: dt.date | None, today: dt.date) -> bool:
    """Whether an open referral has passed its due date (the due day itself is still on time)."""
    return ReferralState(state) in OPEN_STATES and due is not None and today > due


@lru_cache(maxsize=16)
def _korean_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("KR", years=year))


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday and not a Korean public holiday (incl. substitute holidays)."""
    return day.weekday() < 5 and day not in _korean_holidays(day.year)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (``start`` itself does not count).

    Examples
    --------
    >>> add_working_days(dt.date(2026, 11, 27), 3)  # Friday → Wednesday
    datetime.date(2026, 12, 2)
    """
    if days < 0:
        raise ValueError(f"days must be zero or more, not {days}")
    day = start
    remaining = days
    while remaining:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day
