"""Roles, jurisdictions, password hashing, users and the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from domain.access import PUBLIC_VIEWER, Viewer, in_jurisdiction, may_see_household
from domain.errors import AccessDenied
from geodata.schema import table
from services.audit import require_household_access
from services.users import (
    UserInputError,
    authenticate,
    create_user,
    ensure_demo_users,
    hash_password,
    verify_password,
)
from tests.fixtures_world import OTHER_EMD, OUTREACH_EMD, PASSWORDS, World, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("ac") / "store")


def audit_rows(world: World, **match: object) -> list[dict]:
    tbl = table("audit_log")
    stmt = select(tbl)
    for key, value in match.items():
        stmt = stmt.where(tbl.c[key] == value)
    with world.store.session() as s:
        return [dict(r) for r in s.execute(stmt).mappings()]


def test_scrypt_hash_round_trip_and_salted() -> None:
    a, b = hash_password("correct horse"), hash_password("correct horse")
    assert a.startswith("scrypt$16384$8$1$") and a != b
    assert verify_password("correct horse", a)
    assert not verify_password("wrong horse", a)
    assert not verify_password("x", "garbage") and not verify_password("x", "md5$1$2$3$4$5")


def test_create_user_reports_every_problem(world: World) -> None:
    with pytest.raises(UserInputError) as info:
        create_user(world.store, username="bad name!", password="short", role="outreach",
                    jurisdiction_code="123")
    message = str(info.value)
    assert "username" in message and "password" in message and "8-digit" in message
    with pytest.raises(UserInputError, match="national"):
        create_user(world.store, username="m2", password="longenough", role="ministry",
                    jurisdiction_code="11110")
    with pytest.raises(UserInputError, match="taken"):
        create_user(world.store, username="outreach", password="longenough", role="admin")


def test_passwords_are_not_stored_in_clear(world: World) -> None:
    tbl = table("app_user")
    with world.store.session() as s:
        hashes = s.execute(select(tbl.c.username, tbl.c.password_hash)).all()
    assert hashes and all(h.startswith("scrypt$") for _, h in hashes)
    assert all(PASSWORDS.get(u, "") not in h for u, h in hashes)


def test_authenticate_audits_success_and_failure(world: World) -> None:
    viewer = authenticate(world.store, "outreach", PASSWORDS["outreach"])
    assert viewer is not None and viewer.role == "outreach"
    assert viewer.jurisdiction_code == OUTREACH_EMD
    assert authenticate(world.store, "outreach", "wrong-password") is None
    assert authenticate(world.store, "nobody", "whatever-pass") is None
    logins = audit_rows(world, action="login")
    assert {r["allowed"] for r in logins} == {True, False}
    assert any(r["username"] == "nobody" and not r["allowed"] for r in logins)


def test_ensure_demo_users_is_idempotent(world: World) -> None:
    before = world.store.count("app_user")
    pairs = ensure_demo_users(world.store, jurisdictions={"outreach": OUTREACH_EMD,
                                                          "planner": "36110"})
    assert world.store.count("app_user") == before
    assert ("outreach", "outreach-demo") in pairs and len(pairs) == 4


def test_jurisdiction_rules() -> None:
    outreach = Viewer(1, "o", "outreach", OUTREACH_EMD)
    planner = Viewer(2, "p", "planner", "36110")
    admin = Viewer(3, "a", "admin")
    assert in_jurisdiction(outreach, OUTREACH_EMD) and not in_jurisdiction(outreach, OTHER_EMD)
    assert in_jurisdiction(planner, OTHER_EMD) and not in_jurisdiction(planner, "30110101")
    assert may_see_household(outreach, OUTREACH_EMD)
    assert not may_see_household(outreach, OTHER_EMD)
    assert not may_see_household(planner, OUTREACH_EMD)
    assert not may_see_household(PUBLIC_VIEWER, OUTREACH_EMD)
    assert may_see_household(admin, "30110101")


@pytest.mark.parametrize("role", ["planner", "ministry", "public", "outreach_other"])
def test_household_access_refused_and_logged(world: World, role: str) -> None:
    own = int(world.households.loc[world.households["emd_code"] == OUTREACH_EMD,
                                   "household_id"].iloc[0])
    viewer = {"planner": Viewer(2, "planner", "planner", "36110"),
              "ministry": Viewer(3, "ministry", "ministry"),
              "public": PUBLIC_VIEWER,
              "outreach_other": Viewer(5, "outreach2", "outreach", OTHER_EMD)}[role]
    with pytest.raises(AccessDenied):
        require_household_access(world.store, viewer, own, action="view_case", purpose="test")
    refused = audit_rows(world, action="view_case", allowed=False, username=viewer.username)
    assert refused and refused[-1]["purpose"] == "test"


def test_unknown_household_refused_like_foreign(world: World) -> None:
    viewer = Viewer(1, "outreach", "outreach", OUTREACH_EMD)
    with pytest.raises(AccessDenied, match="not in your jurisdiction"):
        require_household_access(world.store, viewer, 99_999_999, action="view_case")


def test_secrets_not_in_source() -> None:
    root = Path(__file__).resolve().parents[2]
    for path in [*root.glob("app/**/*.py"), root / "services" / "users.py", root / "services" / "audit.py"]:
        text = path.read_text(encoding="utf-8")
        assert "SECRET_KEY =" not in text and "secret_key = \"" not in text, path
