"""The administrator's console: users, the audit log with filters and export, failed logins.

Admin role only; every call checks it, and every view, change and export is itself audited
(a refusal too). Passwords are never shown or logged: a reset returns the new one once.
"""

from __future__ import annotations

import datetime as dt
import io
import secrets
from typing import Final

import pandas as pd
from sqlalchemy import and_, func, or_, select, update

from domain.access import Viewer
from domain.errors import AccessDenied
from domain.roles import Role
from geodata.schema import table
from geodata.store.base import Store
from services.audit import audit
from services.users import (
    UserInputError,
    create_user,
    hash_password,
    password_problems,
    scope_problems,
)

__all__ = [
    "AUDIT_COLUMNS",
    "USER_COLUMNS",
    "add_user",
    "audit_entries",
    "export_audit_csv",
    "failed_logins",
    "list_users",
    "reset_password",
    "set_active",
    "set_scope",
]

USER_COLUMNS: Final[tuple[str, ...]] = (
    "user_id", "username", "display_name", "role", "jurisdiction_code", "facility_id", "active",
    "created_at")
AUDIT_COLUMNS: Final[tuple[str, ...]] = (
    "audit_id", "at", "username", "role", "action", "object_type", "object_id", "allowed", "detail")
MAX_AUDIT_ROWS: Final = 5000
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def require_admin(store: Store, viewer: Viewer, *, action: str) -> None:
    """Raise :class:`AccessDenied` (and audit the refusal) unless the viewer is an admin."""
    if viewer.role == Role.ADMIN:
        return
    audit(store, viewer, action=action, allowed=False, detail=f"role {viewer.role!r} is not admin")
    raise AccessDenied("only administrators use the console")


# ------------------------------------------------------------------------------ users
def list_users(store: Store, viewer: Viewer) -> pd.DataFrame:
    """Every user (no password hashes), by ``user_id``; audited."""
    require_admin(store, viewer, action="admin_list_users")
    users = table("app_user")
    with store.session() as session:
        rows = session.execute(select(*(users.c[c] for c in USER_COLUMNS))
                               .order_by(users.c.user_id)).mappings().all()
    audit(store, viewer, action="admin_list_users", detail=f"{len(rows)} users")
    return pd.DataFrame([dict(r) for r in rows], columns=list(USER_COLUMNS))


def add_user(store: Store, viewer: Viewer, *, username: str, password: str, role: str,
             jurisdiction_code: str | None = None, facility_id: int | None = None,
             display_name: str = "") -> int:
    """Create a user (see :func:`services.users.create_user`); audited without the password."""
    require_admin(store, viewer, action="admin_add_user")
    if facility_id is not None and store.count("facility", where={"facility_id": int(facility_id)}) == 0:
        raise UserInputError(f"cannot create user: unknown facility {facility_id}")
    user_id = create_user(store, username=username, password=password, role=role,
                          jurisdiction_code=jurisdiction_code or None, display_name=display_name,
                          facility_id=facility_id)
    audit(store, viewer, action="admin_add_user", object_type="app_user", object_id=str(user_id),
          detail=f"{username} as {role} ({jurisdiction_code or facility_id or 'national'})")
    return user_id


def _change(store: Store, user_id: int, **values: object) -> None:
    users = table("app_user")
    with store.session() as session:
        done = session.execute(update(users).where(users.c.user_id == int(user_id)).values(**values))
        if done.rowcount != 1:
            raise UserInputError(f"unknown user {user_id}")


def set_active(store: Store, viewer: Viewer, user_id: int, *, active: bool) -> None:
    """Deactivate (or reactivate) a user; an admin cannot deactivate itself. Audited."""
    require_admin(store, viewer, action="admin_set_active")
    if not active and viewer.user_id is not None and int(user_id) == int(viewer.user_id):
        raise UserInputError("you cannot deactivate your own account")
    _change(store, user_id, active=bool(active))
    audit(store, viewer, action="admin_set_active", object_type="app_user", object_id=str(user_id),
          detail="activated" if active else "deactivated")


def reset_password(store: Store, viewer: Viewer, user_id: int, *, new_password: str | None = None) -> str:
    """Set a new password (a random one when not given) and return it, once. Audited."""
    require_admin(store, viewer, action="admin_reset_password")
    password = new_password or secrets.token_urlsafe(12)
    if problems := password_problems(password):
        raise UserInputError("cannot reset the password: " + "; ".join(problems))
    _change(store, user_id, password_hash=hash_password(password))
    audit(store, viewer, action="admin_reset_password", object_type="app_user",
          object_id=str(user_id))
    return password


def set_scope(store: Store, viewer: Viewer, user_id: int, *, role: str,
              jurisdiction_code: str | None = None, facility_id: int | None = None) -> None:
    """Change a user's role and its jurisdiction or facility (checked together). Audited."""
    require_admin(store, viewer, action="admin_set_scope")
    problems = scope_problems(role, jurisdiction_code or None, facility_id)
    if facility_id is not None and store.count("facility", where={"facility_id": int(facility_id)}) == 0:
        problems.append(f"unknown facility {facility_id}")
    if problems:
        raise UserInputError("cannot change the role: " + "; ".join(problems))
    _change(store, user_id, role=role, jurisdiction_code=jurisdiction_code or None,
            facility_id=None if facility_id is None else int(facility_id))
    audit(store, viewer, action="admin_set_scope", object_type="app_user", object_id=str(user_id),
          detail=f"{role} ({jurisdiction_code or facility_id or 'national'})")


# ------------------------------------------------------------------------------ audit log
def _audit_query(*, username: str | None, action: str | None, household_id: int | None,
                 date_from: dt.date | None, date_to: dt.date | None, allowed: bool | None):
    log = table("audit_log")
    conditions = []
    if username:
        conditions.append(log.c.username == username)
    if action:
        conditions.append(log.c.action.startswith(action, autoescape=True))
    if household_id is not None:
        hid = str(int(household_id))
        conditions.append(or_(and_(log.c.object_type == "household", log.c.object_id == hid),
                              log.c.detail.contains(f"household {hid} ", autoescape=True)))
    if date_from is not None:
        conditions.append(log.c.at >= dt.datetime.combine(date_from, dt.time(), dt.UTC))
    if date_to is not None:
        conditions.append(log.c.at < dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), dt.UTC))
    if allowed is not None:
        conditions.append(log.c.allowed == bool(allowed))
    return select(*(log.c[c] for c in AUDIT_COLUMNS)).where(*conditions).order_by(log.c.audit_id.desc())


def audit_entries(
    store: Store,
    viewer: Viewer,
    *,
    username: str | None = None,
    action: str | None = None,
    household_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    allowed: bool | None = None,
    limit: int = 500,
) -> pd.DataFrame:
    """Audit rows matching every filter, newest first (at most ``limit``); the view is audited.

    ``action`` matches as a prefix (``referral`` finds every referral step); ``household_id``
    finds rows about that household (object id, or ``household N`` in the detail).
    """
    require_admin(store, viewer, action="admin_view_audit")
    stmt = _audit_query(username=username, action=action, household_id=household_id,
                        date_from=date_from, date_to=date_to, allowed=allowed)
    with store.session() as session:
        rows = session.execute(stmt.limit(max(1, min(int(limit), MAX_AUDIT_ROWS)))).mappings().all()
    audit(store, viewer, action="admin_view_audit",
          detail=_filters_text(username, action, household_id, date_from, date_to))
    return pd.DataFrame([dict(r) for r in rows], columns=list(AUDIT_COLUMNS))


def _filters_text(*values: object) -> str:
    names = ("user", "action", "household", "from", "to")
    return ", ".join(f"{n}={v}" for n, v in zip(names, values, strict=True) if v not in (None, "")) or "all"


def export_audit_csv(store: Store, viewer: Viewer, **filters: object) -> tuple[str, bytes]:
    """The filtered audit log (up to 5,000 rows) as CSV, formula-like cells neutralised; audited."""
    require_admin(store, viewer, action="admin_export_audit")
    stmt = _audit_query(**{k: filters.get(k) for k in  # type: ignore[arg-type]
                           ("username", "action", "household_id", "date_from", "date_to", "allowed")})
    with store.session() as session:
        rows = session.execute(stmt.limit(MAX_AUDIT_ROWS)).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows], columns=list(AUDIT_COLUMNS))
    for col in ("username", "action", "object_id", "detail"):
        frame[col] = frame[col].map(_neutralise)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    audit(store, viewer, action="admin_export_audit", detail=f"{len(frame)} rows")
    return "audit_log.csv", buffer.getvalue().encode("utf-8-sig")


def _neutralise(value: object) -> object:
    """Prefix ``'`` to text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def failed_logins(store: Store, viewer: Viewer, *, since: dt.date | None = None) -> pd.DataFrame:
    """Refused logins per username: ``username, failures, first_at, last_at``, most first.

    Read from the audit log (every login attempt is audited with ``action`` starting ``login``).
    """
    require_admin(store, viewer, action="admin_failed_logins")
    log = table("audit_log")
    conditions = [log.c.action.startswith("login"), log.c.allowed.is_(False)]
    if since is not None:
        conditions.append(log.c.at >= dt.datetime.combine(since, dt.time(), dt.UTC))
    stmt = (select(log.c.username, func.count().label("failures"), func.min(log.c.at).label("first_at"),
                   func.max(log.c.at).label("last_at"))
            .where(*conditions).group_by(log.c.username).order_by(func.count().desc(), log.c.username))
    with store.session() as session:
        rows = session.execute(stmt).mappings().all()
    audit(store, viewer, action="admin_failed_logins", detail=f"{len(rows)} usernames")
    return pd.DataFrame([dict(r) for r in rows], columns=["username", "failures", "first_at", "last_at"])
