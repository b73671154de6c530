"""``app_user``: logins with a role and a jurisdiction (passwords arrive already hashed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from geodata.schema import table
from geodata.store.errors import StoreInputError
from geodata.store.repositories.transactions import Transactions, utc

#: Columns :func:`update_user` may change (``user_id``, ``username``, ``created_at`` never change).
UPDATABLE: Final[frozenset[str]] = frozenset(
    {"password_hash", "role", "jurisdiction_code", "facility_id", "display_name", "active"})


@dataclass(frozen=True, slots=True)
class UserRecord:
    """One ``app_user`` row."""

    user_id: int
    username: str
    password_hash: str
    role: str
    jurisdiction_code: str | None
    display_name: str
    active: bool
    created_at: dt.datetime
    facility_id: int | None = None  # providers: the facility they answer for


def _record(row) -> UserRecord | None:
    if row is None:
        return None
    return UserRecord(user_id=int(row["user_id"]), username=row["username"],
                      password_hash=row["password_hash"], role=row["role"],
                      jurisdiction_code=row["jurisdiction_code"],
                      display_name=row["display_name"], active=bool(row["active"]),
                      created_at=utc(row["created_at"]),
                      facility_id=None if row["facility_id"] is None else int(row["facility_id"]))


def user_by_id(session: Session, user_id: int) -> UserRecord | None:
    """The user with ``user_id``, or ``None``."""
    users = table("app_user")
    return _record(session.execute(select(users).where(users.c.user_id == int(user_id)))
                   .mappings().first())


def user_by_username(session: Session, username: str) -> UserRecord | None:
    """The user called ``username`` (exact match), or ``None``."""
    users = table("app_user")
    return _record(session.execute(select(users).where(users.c.username == username))
                   .mappings().first())


def add_user(session: Session, *, username: str, password_hash: str, role: str,
             jurisdiction_code: str | None, display_name: str, active: bool = True,
             created_at: dt.datetime | None = None, facility_id: int | None = None) -> int:
    """Insert a user and return its ``user_id``.

    Raises
    ------
    StoreInputError
        The username is taken (checked first; the unique constraint catches a race).
    """
    if user_by_username(session, username) is not None:
        raise StoreInputError(f"username {username!r} is taken")
    result = session.execute(insert(table("app_user")).values(
        username=username, password_hash=password_hash, role=role,
        jurisdiction_code=jurisdiction_code or None, display_name=display_name,
        active=bool(active), created_at=utc(created_at),
        facility_id=None if facility_id is None else int(facility_id)))
    return int(result.inserted_primary_key[0])


def update_user(session: Session, user_id: int, **values: object) -> bool:
    """Change columns :data:`UPDATABLE` of one user; ``False`` when no such user.

    Raises
    ------
    StoreInputError
        A column that cannot be updated, or no values at all.
    """
    if not values:
        raise StoreInputError("update_user needs at least one column to change")
    if bad := sorted(set(values) - UPDATABLE):
        raise StoreInputError(f"app_user columns {bad} cannot be updated; allowed: {sorted(UPDATABLE)}")
    users = table("app_user")
    result = session.execute(update(users).where(users.c.user_id == int(user_id)).values(**values))
    return result.rowcount > 0


def all_users(session: Session) -> list[UserRecord]:
    """Every user, by ``user_id``."""
    users = table("app_user")
    rows = session.execute(select(users).order_by(users.c.user_id)).mappings().all()
    return [r for r in map(_record, rows) if r is not None]


class UserRecords:
    """``store.users``: the user repository, one transaction per call."""

    def __init__(self, transaction: Transactions) -> None:
        self._transaction = transaction

    def get(self, user_id: int) -> UserRecord | None:
        """The user with ``user_id``, or ``None``."""
        with self._transaction("read user") as session:
            return user_by_id(session, user_id)

    def by_username(self, username: str) -> UserRecord | None:
        """The user called ``username``, or ``None``."""
        with self._transaction("read user") as session:
            return user_by_username(session, username)

    def add(self, *, username: str, password_hash: str, role: str,
            jurisdiction_code: str | None = None, display_name: str = "", active: bool = True,
            created_at: dt.datetime | None = None, facility_id: int | None = None) -> int:
        """Create a user (see :func:`add_user`); return its ``user_id``."""
        with self._transaction("add user") as session:
            return add_user(session, username=username, password_hash=password_hash, role=role,
                            jurisdiction_code=jurisdiction_code,
                            display_name=display_name or username, active=active,
                            created_at=created_at, facility_id=facility_id)

    def update(self, user_id: int, **values: object) -> bool:
        """Change some columns of a user (see :func:`update_user`)."""
        with self._transaction("update user") as session:
            return update_user(session, user_id, **values)

    def list_all(self) -> list[UserRecord]:
        """Every user, by ``user_id``."""
        with self._transaction("list users") as session:
            return all_users(session)
