"""User accounts: password hashing, creating users, logging in and the demo users.

Passwords are hashed with scrypt (RFC 7914) and a random salt; every login attempt is audited
(:func:`services.audit.audit`). The role rules live in :mod:`domain.roles` and
:mod:`domain.access`.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import logging
import secrets
from collections.abc import Mapping
from typing import Final

from domain.access import Viewer
from domain.errors import InputError
from domain.roles import LOGIN_ROLES, NATIONAL_ROLES, Role
from geodata.regions import is_code_of
from geodata.store import Store, StoreInputError
from services.audit import audit

__all__ = [
    "DEMO_USERS",
    "UserInputError",
    "authenticate",
    "create_user",
    "ensure_demo_users",
    "hash_password",
    "load_viewer",
    "verify_password",
]

log = logging.getLogger(__name__)

# scrypt parameters (RFC 7914): N=2**14, r=8, p=1 uses 16 MiB and ~50 ms per hash.
_SCRYPT_N: Final = 2**14
_SCRYPT_R: Final = 8
_SCRYPT_P: Final = 1
_SCRYPT_DKLEN: Final = 32
_MIN_PASSWORD: Final = 8

#: Demo users: (username, password, role, display name). For the demo world only.
DEMO_USERS: Final[tuple[tuple[str, str, str, str], ...]] = (
    ("outreach", "outreach-demo", Role.OUTREACH, "맞춤형복지팀 김담당"),
    ("planner", "planner-demo", Role.PLANNER, "시군구 기획 이주무관"),
    ("ministry", "ministry-demo", Role.MINISTRY, "보건복지부 박사무관"),
    ("admin", "admin-demo", Role.ADMIN, "시스템 관리자"),
    ("provider", "provider-demo", Role.PROVIDER, "복지관 정담당"),
)


class UserInputError(InputError):
    """A user could not be created from the given values (every problem in one message)."""


# ------------------------------------------------------------------------------ passwords
def hash_password(password: str) -> str:
    """Hash ``password`` with scrypt and a random salt: ``scrypt$N$r$p$salt$hash`` (hex)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R,
                            p=_SCRYPT_P, dklen=_SCRYPT_DKLEN)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


@functools.cache
def dummy_hash() -> str:
    """A hash with the real scrypt parameters, checked when a login names no (active) user."""
    return hash_password(secrets.token_urlsafe(16))


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` matches an encoded hash from :func:`hash_password` (constant time)."""
    try:
        scheme, n, r, p, salt, expected = encoded.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n),
                                r=int(r), p=int(p), dklen=len(bytes.fromhex(expected)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, bytes.fromhex(expected))


# ------------------------------------------------------------------------------ users
def _check_user(username: str, password: str, role: str, jurisdiction_code: str | None,
                facility_id: int | None = None) -> None:
    problems: list[str] = []
    if not username or len(username) > 40 or not username.replace("_", "").replace("-", "").isalnum():
        problems.append("username must be 1-40 letters, digits, '-' or '_'")
    problems += password_problems(password) + scope_problems(role, jurisdiction_code, facility_id)
    if problems:
        raise UserInputError("cannot create user: " + "; ".join(problems))


def password_problems(password: str) -> list[str]:
    """What is wrong with a new password (empty when it is acceptable)."""
    if len(password) < _MIN_PASSWORD:
        return [f"password must have at least {_MIN_PASSWORD} characters"]
    return []


def scope_problems(role: str, jurisdiction_code: str | None, facility_id: int | None) -> list[str]:
    """What is wrong with a role and its jurisdiction or facility (empty when consistent)."""
    problems: list[str] = []
    if role not in LOGIN_ROLES:
        problems.append(f"role must be one of {[str(r) for r in LOGIN_ROLES]}, not {role!r}")
    elif role == Role.OUTREACH and not is_code_of(jurisdiction_code, "emd"):
        problems.append("an outreach worker needs an 8-digit 읍면동 jurisdiction code")
    elif role == Role.PLANNER and not is_code_of(jurisdiction_code, "sigungu"):
        problems.append("a planner needs a 5-digit 시군구 jurisdiction code")
    elif role in NATIONAL_ROLES and jurisdiction_code:
        problems.append(f"a {role} user is national: leave the jurisdiction empty")
    elif role == Role.PROVIDER and facility_id is None:
        problems.append("a provider needs the facility id it answers for")
    elif role == Role.PROVIDER and jurisdiction_code:
        problems.append("a provider answers for a facility: leave the jurisdiction empty")
    if facility_id is not None and role != Role.PROVIDER:
        problems.append(f"only provider users have a facility, not {role} users")
    return problems


def create_user(
    store: Store,
    *,
    username: str,
    password: str,
    role: str,
    jurisdiction_code: str | None = None,
    display_name: str = "",
    facility_id: int | None = None,
) -> int:
    """Create a user with a hashed password and return its ``user_id``.

    Raises
    ------
    UserInputError
        Bad username, short password, unknown role, wrong jurisdiction for the role, or the
        username is taken.
    """
    _check_user(username, password, role, jurisdiction_code, facility_id)
    if store.users.by_username(username) is not None:
        raise UserInputError(f"cannot create user: username {username!r} is taken")
    try:
        return store.users.add(username=username, password_hash=hash_password(password),
                               role=str(role), jurisdiction_code=jurisdiction_code or None,
                               display_name=display_name or username, active=True,
                               created_at=dt.datetime.now(dt.UTC),
                               facility_id=None if facility_id is None else int(facility_id))
    except StoreInputError as exc:  # taken between the check and the insert
        raise UserInputError(f"cannot create user: {exc}") from exc


def load_viewer(store: Store, user_id: int) -> Viewer | None:
    """The :class:`Viewer` of an active user, or ``None`` if unknown or deactivated."""
    user = store.users.get(int(user_id))
    if user is None or not user.active:
        return None
    return Viewer(user_id=user.user_id, username=user.username, role=user.role,
                  jurisdiction_code=user.jurisdiction_code, display_name=user.display_name,
                  facility_id=user.facility_id)


def authenticate(store: Store, username: str, password: str) -> Viewer | None:
    """Check a login; return the :class:`Viewer` or ``None``. Every attempt is audited."""
    user = store.users.by_username(username)
    # One scrypt for unknown users too, so timing does not reveal which usernames exist.
    encoded = user.password_hash if user is not None else dummy_hash()
    ok = verify_password(password, encoded) and user is not None and user.active
    viewer = Viewer(user_id=user.user_id if user else None, username=username[:40],
                    role=user.role if user else Role.PUBLIC)
    audit(store, viewer, action="login", allowed=ok, detail=None if ok else "bad credentials")
    return load_viewer(store, user.user_id) if ok and user is not None else None


def ensure_demo_users(store: Store, *, jurisdictions: Mapping[str, str],
                      provider_facility_id: int | None = None) -> list[tuple[str, str]]:
    """Create the demo users (if missing) and return their ``(username, password)`` pairs.

    Parameters
    ----------
    store
        The store; its operational tables are created if needed.
    jurisdictions
        ``{"outreach": <읍면동 code>, "planner": <시군구 code>}``. National roles need none.
    provider_facility_id
        The facility the demo provider answers for; without it no provider user is made.

    Returns
    -------
    list of (str, str)
        Demo usernames and passwords, for the README and the CLI to print. Demo only.
    """
    store.init()
    created: list[tuple[str, str]] = []
    for username, password, role, name in DEMO_USERS:
        if role == Role.PROVIDER and provider_facility_id is None:
            continue
        if store.users.by_username(username) is None:
            create_user(store, username=username, password=password, role=role,
                        jurisdiction_code=jurisdictions.get(role), display_name=name,
                        facility_id=provider_facility_id if role == Role.PROVIDER else None)
            log.info("created demo user %s (%s)", username, role)
        created.append((username, password))
    return created
