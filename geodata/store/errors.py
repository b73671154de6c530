"""Store errors, and the translation of driver errors into them (the same on both stores).

Callers of a store catch two exceptions only:

- :class:`StoreInputError` (a ``ValueError``): the request cannot be accepted -- an unknown table
  or column, a value of the wrong type, a row that breaks a constraint (a duplicate key, a
  username that is taken, a missing required value).
- :class:`StoreError` (a ``RuntimeError``): the store could not do what was asked -- the database
  is unreachable or closed, a file cannot be read or written.

Messages name the store by its location with any password hidden.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError


class StoreError(RuntimeError):
    """A store could not do what was asked (connection, query or write failure)."""


class StoreInputError(ValueError):
    """The caller passed something the store cannot accept (unknown table, bad columns, ...)."""


# SQLAlchemy wraps driver errors; bulk loads talk to psycopg's cursor directly (COPY), whose
# errors arrive unwrapped: both forms are translated.
_INPUT_ERRORS = (IntegrityError, DataError, psycopg.IntegrityError, psycopg.DataError,
                 sqlite3.IntegrityError, sqlite3.DataError)
_FAILURES = (DBAPIError, SQLAlchemyError, psycopg.Error, sqlite3.Error)


@contextmanager
def translated_errors(what: str, *, location: str, secret: str | None = None) -> Iterator[None]:
    """Re-raise driver errors raised inside the block as :class:`StoreError`/:class:`StoreInputError`.

    Parameters
    ----------
    what
        What was being done, for the message (``"read household"``, ``"add user"``).
    location
        Where the store lives, already without a password (a folder or a rendered URL).
    secret
        A password to blank out of the driver's message should it appear there.

    Raises
    ------
    StoreInputError
        Constraint violations and values the database cannot take (integrity and data errors).
    StoreError
        Every other database or SQLAlchemy error (unreachable or closed database, bad SQL).
    """
    try:
        yield
    except (StoreError, StoreInputError):
        raise
    except _INPUT_ERRORS as exc:
        raise StoreInputError(f"{what} refused on {location}: {_detail(exc, secret)}") from exc
    except _FAILURES as exc:
        raise StoreError(f"{what} failed on {location}: {_detail(exc, secret)}") from exc


def _detail(exc: BaseException, secret: str | None) -> str:
    """The first line of the driver's own message (not SQLAlchemy's statement dump)."""
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    detail = lines[0] if lines else type(exc).__name__
    if secret:
        detail = detail.replace(secret, "***")
    return detail
