"""The referral state machine: every (state, action, actor) combination, reasons and due dates."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from domain.referral import (
    CANCEL_REASONS,
    FINAL_STATES,
    NOT_SUCCESSFUL_REASONS,
    OPEN_STATES,
    OUTREACH,
    PROVIDER,
    REJECT_REASONS,
    SYSTEM,
    ActorNotAllowed,
    ReferralAction,
    ReferralDeadlines,
    ReferralOutcome,
    ReferralRuleError,
    ReferralState,
    TransitionNotAllowed,
    TransitionRequest,
    add_working_days,
    allowed_actions,
    is_overdue,
    is_working_day,
    next_state,
    occupancy_change,
)

S, A = ReferralState, ReferralAction
ACTORS = (PROVIDER, OUTREACH, SYSTEM)

#: The whole rule, written out independently of the module's table.
EXPECTED: dict[tuple[ReferralState, ReferralAction], tuple[ReferralState, str]] = {
    (S.REQUESTED, A.ACCEPT): (S.ACCEPTED, PROVIDER),
    (S.REQUESTED, A.REJECT): (S.REJECTED, PROVIDER),
    (S.ACCEPTED, A.START): (S.IN_PROGRESS, PROVIDER),
    (S.IN_PROGRESS, A.COMPLETE): (S.COMPLETED, PROVIDER),
    (S.REQUESTED, A.CANCEL): (S.CANCELLED, OUTREACH),
    (S.ACCEPTED, A.CANCEL): (S.CANCELLED, OUTREACH),
    (S.IN_PROGRESS, A.CANCEL): (S.CANCELLED, OUTREACH),
    (S.REQUESTED, A.EXPIRE): (S.EXPIRED, SYSTEM),
}


def _request(action: ReferralAction, actor: str) -> TransitionRequest:
    """A request with the details the action needs (valid reasons and outcome)."""
    if action is A.REJECT:
        return TransitionRequest(action, actor, reason="no_capacity")
    if action is A.CANCEL:
        return TransitionRequest(action, actor, reason="need_resolved")
    if action is A.COMPLETE:
        return TransitionRequest(action, actor, outcome=ReferralOutcome.SUCCESSFUL)
    return TransitionRequest(action, actor)


COMBINATIONS = list(itertools.product(ReferralState, ReferralAction, ACTORS))


@pytest.mark.parametrize(("state", "action", "actor"), COMBINATIONS)
def test_every_combination_is_allowed_exactly_as_the_table_says(
    state: ReferralState, action: ReferralAction, actor: str
) -> None:
    expected = EXPECTED.get((state, action))
    request = _request(action, actor)
    if expected is None:
        with pytest.raises(TransitionNotAllowed, match=f"cannot {action.value}"):
            next_state(state, request)
    elif expected[1] != actor:
        with pytest.raises(ActorNotAllowed, match=f"only the {expected[1]}"):
            next_state(state, request)
    else:
        assert next_state(state, request) is expected[0]


def test_the_combination_grid_covers_all_states_actions_and_actors() -> None:
    assert len(COMBINATIONS) == 7 * 6 * 3
    allowed = [c for c in COMBINATIONS if EXPECTED.get(c[:2], (None, None))[1] == c[2]]
    assert len(allowed) == len(EXPECTED) == 8


def test_final_states_have_no_way_out() -> None:
    assert {S.REJECTED, S.COMPLETED, S.CANCELLED, S.EXPIRED} == FINAL_STATES
    assert set(ReferralState) == OPEN_STATES | FINAL_STATES
    for state, actor in itertools.product(FINAL_STATES, ACTORS):
        assert allowed_actions(state, actor) == ()


def test_allowed_actions_per_actor() -> None:
    assert allowed_actions("requested", PROVIDER) == (A.ACCEPT, A.REJECT)
    assert allowed_actions("requested", OUTREACH) == (A.CANCEL,)
    assert allowed_actions("requested", SYSTEM) == (A.EXPIRE,)
    assert allowed_actions("accepted", PROVIDER) == (A.START,)
    assert allowed_actions("in_progress", PROVIDER) == (A.COMPLETE,)
    assert allowed_actions("in_progress", OUTREACH) == (A.CANCEL,)
    assert allowed_actions("accepted", "admin") == ()


def test_unknown_state_or_action_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="'lost' is not a valid ReferralState"):
        next_state("lost", _request(A.ACCEPT, PROVIDER))
    with pytest.raises(ValueError, match="'approve' is not a valid ReferralAction"):
        next_state("requested", TransitionRequest("approve", PROVIDER))  # type: ignore[arg-type]


@pytest.mark.parametrize("reason", [None, "", "because"])
def test_reject_needs_a_known_reason(reason: str | None) -> None:
    with pytest.raises(ReferralRuleError, match="reason"):
        next_state("requested", TransitionRequest(A.REJECT, PROVIDER, reason=reason))


@pytest.mark.parametrize("reason", REJECT_REASONS)
def test_every_reject_reason_is_accepted(reason: str) -> None:
    assert next_state("requested", TransitionRequest(A.REJECT, PROVIDER, reason=reason)) is S.REJECTED


@pytest.mark.parametrize("reason", [None, "no_capacity"])
def test_cancel_needs_a_cancel_reason(reason: str | None) -> None:
    with pytest.raises(ReferralRuleError, match=r"cancelling needs a reason|unknown reason"):
        next_state("accepted", TransitionRequest(A.CANCEL, OUTREACH, reason=reason))
    for known in CANCEL_REASONS:
        cancel = TransitionRequest(A.CANCEL, OUTREACH, reason=known)
        assert next_state("accepted", cancel) is S.CANCELLED


def test_complete_needs_an_outcome_and_a_reason_when_not_successful() -> None:
    with pytest.raises(ReferralRuleError, match="needs an outcome"):
        next_state("in_progress", TransitionRequest(A.COMPLETE, PROVIDER))
    with pytest.raises(ReferralRuleError, match="unsuccessful completion needs a reason"):
        next_state("in_progress", TransitionRequest(A.COMPLETE, PROVIDER, outcome="not_successful"))  # type: ignore[arg-type]
    for reason in NOT_SUCCESSFUL_REASONS:
        done = TransitionRequest(A.COMPLETE, PROVIDER, outcome=ReferralOutcome.NOT_SUCCESSFUL, reason=reason)
        assert next_state("in_progress", done) is S.COMPLETED
    with pytest.raises(ValueError, match="'great' is not a valid ReferralOutcome"):
        next_state("in_progress", TransitionRequest(A.COMPLETE, PROVIDER, outcome="great"))  # type: ignore[arg-type]
    with pytest.raises(ReferralRuleError, match="unknown reason"):
        next_state(
            "in_progress",
            TransitionRequest(A.COMPLETE, PROVIDER, outcome=ReferralOutcome.SUCCESSFUL, reason="nope"),
        )


def test_an_outcome_belongs_only_to_completion() -> None:
    with pytest.raises(ReferralRuleError, match="outcome belongs to completing"):
        next_state("requested", TransitionRequest(A.ACCEPT, PROVIDER, outcome=ReferralOutcome.SUCCESSFUL))


@pytest.mark.parametrize(
    ("source", "target", "outcome", "change"),
    [
        ("requested", "accepted", None, 1),
        ("requested", "rejected", None, 0),
        ("requested", "cancelled", None, 0),
        ("requested", "expired", None, 0),
        ("accepted", "in_progress", None, 0),
        ("accepted", "cancelled", None, -1),
        ("in_progress", "cancelled", None, -1),
        ("in_progress", "completed", "successful", 0),
        ("in_progress", "completed", "not_successful", -1),
    ],
)
def test_occupancy_moves_with_the_place_a_referral_holds(
    source: str, target: str, outcome: str | None, change: int
) -> None:
    assert occupancy_change(source, target, outcome) == change


def test_every_allowed_path_keeps_occupancy_between_zero_and_one() -> None:
    """Walk every path through the machine: a referral holds at most one place, never below zero."""

    ends: list[tuple[ReferralState, ReferralOutcome | None, int]] = []

    def walk(state: ReferralState, held: int, last: ReferralOutcome | None) -> None:
        assert held in (0, 1)
        if state in FINAL_STATES:
            ends.append((state, last, held))
            return
        for (source, action), (target, _) in EXPECTED.items():
            if source is not state:
                continue
            for outcome in list(ReferralOutcome) if action is A.COMPLETE else [None]:
                walk(target, held + occupancy_change(source, target, outcome), outcome)

    walk(S.REQUESTED, 0, None)
    assert len(ends) == 7  # reject, cancel, expire; accept→cancel; start→cancel; complete ×2
    for state, outcome, held in ends:
        assert held == (1 if outcome is ReferralOutcome.SUCCESSFUL else 0), (state, outcome)


# ------------------------------------------------------------------------------ due dates
def test_working_days_skip_weekends_and_korean_holidays() -> None:
    assert add_working_days(dt.date(2026, 11, 27), 3) == dt.date(2026, 12, 2)  # Fri → Wed
    assert add_working_days(dt.date(2026, 11, 30), 0) == dt.date(2026, 11, 30)
    assert not is_working_day(dt.date(2026, 9, 25))  # 추석
    assert not is_working_day(dt.date(2026, 10, 3))  # 개천절 (Saturday anyway)
    assert not is_working_day(dt.date(2026, 10, 9))  # 한글날 (Friday)
    assert add_working_days(dt.date(2026, 10, 8), 1) == dt.date(2026, 10, 12)  # Thu → Mon
    assert not is_working_day(dt.date(2026, 12, 25))
    assert add_working_days(dt.date(2026, 12, 24), 1) == dt.date(2026, 12, 28)
    with pytest.raises(ValueError, match="zero or more"):
        add_working_days(dt.date(2026, 1, 5), -1)


def test_due_dates_per_state() -> None:
    rules = ReferralDeadlines(answer_working_days=3, start_working_days=5, complete_days=30)
    monday = dt.date(2026, 11, 30)
    assert rules.due_date("requested", monday) == dt.date(2026, 12, 3)
    assert rules.due_date("accepted", monday) == dt.date(2026, 12, 7)
    assert rules.due_date("in_progress", monday) == dt.date(2026, 12, 30)
    for state in FINAL_STATES:
        assert rules.due_date(state, monday) is None
    with pytest.raises(ValueError, match="answer_working_days must be at least 1"):
        ReferralDeadlines(answer_working_days=0)
    with pytest.raises(ValueError, match="must not be shorter"):
        ReferralDeadlines(answer_working_days=5, expire_working_days=4)
    assert rules.expiry_date(monday) == dt.date(2026, 12, 14)


def test_deadlines_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from geodata.settings import get_settings

    monkeypatch.setenv("ATLAS_REFERRAL_ANSWER_WORKING_DAYS", "7")
    get_settings.cache_clear()
    try:
        assert ReferralDeadlines.from_settings().answer_working_days == 7
    finally:
        monkeypatch.delenv("ATLAS_REFERRAL_ANSWER_WORKING_DAYS")
        get_settings.cache_clear()
    assert ReferralDeadlines.from_settings() == ReferralDeadlines()


def test_overdue_only_for_open_referrals_after_the_due_day() -> None:
    due = dt.date(2026, 12, 3)
    assert not is_overdue("requested", due, due)
    assert is_overdue("requested", due, due + dt.timedelta(days=1))
    assert is_overdue("in_progress", due, due + dt.timedelta(days=1))
    assert not is_overdue("completed", due, due + dt.timedelta(days=9))
    assert not is_overdue("requested", None, due)
