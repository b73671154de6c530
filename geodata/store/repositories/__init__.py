"""Repositories of the operational tables (users, audit log, visit activities, tier overrides, login attempts and sessions, simulation scenarios).

Each module has plain functions that take a SQLAlchemy ``Session`` and never commit, so several
can share one transaction, and a small facade bound to a store (``store.users``,
``store.audit``, ``store.activities``, ``store.overrides``) that runs each call in its own
transaction with the store's error translation. Services use the facades; nothing outside
``geodata`` opens a session. The operational tables are the same SQLAlchemy models on both
stores (SQLite in the embedded store), so this code is shared and behaves the same on both.
"""

from geodata.store.repositories.activities import ActivityRecords
from geodata.store.repositories.audit import AuditRecords
from geodata.store.repositories.logins import LoginRecords, SessionRecord
from geodata.store.repositories.overrides import OverrideRecords
from geodata.store.repositories.scenarios import ScenarioRecords
from geodata.store.repositories.users import UserRecord, UserRecords

__all__ = [
    "ActivityRecords",
    "AuditRecords",
    "LoginRecords",
    "OverrideRecords",
    "ScenarioRecords",
    "SessionRecord",
    "UserRecord",
    "UserRecords",
]
