"""Jurisdiction rules (domain.access) and role sets (domain.roles), without a store."""

from __future__ import annotations

import pytest

from domain.access import (
    PUBLIC_VIEWER,
    Viewer,
    household_scope,
    in_jurisdiction,
    may_see_household,
    may_see_points,
    sees_unsuppressed,
)
from domain.errors import AccessDenied
from domain.roles import HOUSEHOLD_ROLES, LOGIN_ROLES, NATIONAL_ROLES, PLANNING_ROLES, Role

OUTREACH = Viewer(1, "o", Role.OUTREACH, "36110101")
PLANNER = Viewer(2, "p", Role.PLANNER, "36110")
MINISTRY = Viewer(3, "m", Role.MINISTRY)
ADMIN = Viewer(4, "a", Role.ADMIN)


def test_role_is_its_code_and_sets_are_consistent() -> None:
    assert Role("admin") is Role.ADMIN and Role.ADMIN == "admin"
    assert [str(r) for r in LOGIN_ROLES] == ["outreach", "planner", "ministry", "admin", "provider"]
    assert Role.PUBLIC not in LOGIN_ROLES
    # Providers see neither household records nor planning pages: only their facility's referrals.
    assert set(LOGIN_ROLES) == HOUSEHOLD_ROLES | PLANNING_ROLES | {Role.PROVIDER}
    assert Role.PROVIDER not in HOUSEHOLD_ROLES | PLANNING_ROLES
    assert NATIONAL_ROLES <= PLANNING_ROLES


def test_jurisdiction_rules() -> None:
    assert in_jurisdiction(PLANNER, "36110101") and not in_jurisdiction(PLANNER, "30110")
    assert in_jurisdiction(MINISTRY, "30110") and in_jurisdiction(PUBLIC_VIEWER, "30110")
    assert may_see_household(OUTREACH, "36110101") and not may_see_household(OUTREACH, "36110102")
    assert may_see_household(ADMIN, "30110101") and not may_see_household(PLANNER, "36110101")
    assert sees_unsuppressed(OUTREACH, "36110101") and not sees_unsuppressed(PLANNER, "36110")


def test_points_layer_follows_the_outreach_workers_sigungu() -> None:
    assert may_see_points(OUTREACH, "36110") and not may_see_points(OUTREACH, "30110")
    assert not may_see_points(OUTREACH, None) and not may_see_points(ADMIN, "36110")


def test_household_scope() -> None:
    assert household_scope(ADMIN) == {}
    assert household_scope(OUTREACH) == {"jurisdiction_code": "36110101"}
    for viewer in (PLANNER, MINISTRY, PUBLIC_VIEWER):
        with pytest.raises(AccessDenied):
            household_scope(viewer)
    assert not PUBLIC_VIEWER.is_authenticated and OUTREACH.sees_households
