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

from domain.access import Viewer
from domain.errors import AccessDenied
from domain.roles import Role
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
    users = store.users.list_all()
    audit(store, viewer, action="admin_list_users", detail=f"{len(users)} users")
    return pd.DataFrame([{c: getattr(u, c) for c in USER_COLUMNS} for u in users],
                        columns=list(USER_COLUMNS))


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
    if not store.users.update(int(user_id), **values):
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
def _search(*, username: str | None = None, action: str | None = None,
            household_id: int | None = None, date_from: dt.date | None = None,
            date_to: dt.date | None = None, allowed: bool | None = None) -> dict[str, object]:
    """The filters of the page as the store's search arguments (dates are whole UTC days)."""
    def day(d: dt.date) -> dt.datetime:
        return dt.datetime.combine(d, dt.time(), dt.UTC)

    return {"username": username or None, "action_prefix": action or None,
            "household_id": None if household_id is None else int(household_id),
            "since": None if date_from is None else day(date_from),
            "until": None if date_to is None else day(date_to + dt.timedelta(days=1)),
            "allowed": allowed}


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
    rows = store.console.audit(**_search(username=username, action=action, household_id=household_id,
                                         date_from=date_from, date_to=date_to, allowed=allowed),
                               limit=max(1, min(int(limit), MAX_AUDIT_ROWS)))
    audit(store, viewer, action="admin_view_audit",
          detail=_filters_text(username, action, household_id, date_from, date_to))
    return rows[list(AUDIT_COLUMNS)]


def _filters_text(*values: object) -> str:
    names = ("user", "action", "household", "from", "to")
    return ", ".join(f"{n}={v}" for n, v in zip(names, values, strict=True) if v not in (None, "")) or "all"


def export_audit_csv(store: Store, viewer: Viewer, **filters: object) -> tuple[str, bytes]:
    """The filtered audit log (up to 5,000 rows) as CSV, formula-like cells neutralised; audited."""
    require_admin(store, viewer, action="admin_export_audit")
    frame = store.console.audit(**_search(**filters), limit=MAX_AUDIT_ROWS)  # type: ignore[arg-type]
    frame = frame[list(AUDIT_COLUMNS)].copy()
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
    """Failed logins per username: ``username, failures, locked, addresses, first_at, last_at``,
    most first (from the login limiter's attempts; ``locked``: refused while locked)."""
    require_admin(store, viewer, action="admin_failed_logins")
    start = None if since is None else dt.datetime.combine(since, dt.time(), dt.UTC)
    frame = store.console.failed_logins(since=start)
    audit(store, viewer, action="admin_failed_logins", detail=f"{len(frame)} usernames")
    return frame
