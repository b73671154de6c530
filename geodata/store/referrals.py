"""Repositories of referrals, their history, unmet needs and live facility occupancy.

Plain functions that take a SQLAlchemy ``Session`` and never commit (the service owns the
transaction, so a transition, its history row and the facility's 현원 change commit together or
not at all), and :class:`ReferralRecords`, a facade that runs each call in one transaction.

Concurrency: a transition is a conditional ``UPDATE referral ... WHERE state = :expected AND
version = :seen``. Two workers acting at once both issue it; the database serialises them (a
row lock on PostgreSQL, the write lock on SQLite) and the second matches no row, so exactly one
wins. Occupancy moves the same way: ``current_users + delta`` only where it stays within
``0 .. capacity``.

Occupancy on the two stores: PostGIS keeps ``facility`` in the same database, so the facility
row itself is updated (and ``facility_occupancy`` records who changed it). The embedded store
keeps ``facility`` in GeoParquet; there ``facility_occupancy`` holds the live values and the
store lays them over the file when it reads facilities (:func:`occupancy_overlay`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd
from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from geodata.schema import table
from geodata.store.base import StoreInputError

REFERRAL_COLUMNS: Final[tuple[str, ...]] = tuple(c.name for c in table("referral").columns)
TRANSITION_COLUMNS: Final[tuple[str, ...]] = tuple(
    c.name for c in table("referral_transition").columns
)
NEED_COLUMNS: Final[tuple[str, ...]] = tuple(c.name for c in table("unmet_need").columns)
_NEED_UPDATABLE: Final[frozenset[str]] = frozenset(
    {"status", "matched_facility_id", "referral_id", "note", "updated_at"}
)


class OccupancyError(StoreInputError):
    """A 현원 change that would leave 0 ≤ 현원 ≤ 정원 (or names an unknown facility)."""


@dataclass(frozen=True, slots=True)
class Occupancy:
    """A facility's 정원 (capacity) and 현원 (current users) after a change."""

    facility_id: int
    capacity: int
    current_users: int

    @property
    def free_places(self) -> int:
        """Places still free (never negative)."""
        return max(self.capacity - self.current_users, 0)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _frame(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame([dict(r) for r in rows], columns=list(columns))


# ------------------------------------------------------------------------------ referrals
def insert_referral(session: Session, values: Mapping[str, Any]) -> int:
    """Insert a referral row and return its ``referral_id``.

    Raises
    ------
    StoreInputError
        Unknown columns, or a required column is missing.
    """
    unknown = sorted(set(values) - set(REFERRAL_COLUMNS))
    if unknown:
        raise StoreInputError(f"referral has no columns {unknown}")
    missing = [c for c in ("household_id", "state", "user_id") if values.get(c) is None]
    if missing:
        raise StoreInputError(f"a referral needs {missing}")
    row = {"created_at": _now(), "version": 1, **values}
    row.setdefault("state_since", row["created_at"])
    result = session.execute(insert(table("referral")).values(**row))
    return int(result.inserted_primary_key[0])


def get_referral(session: Session, referral_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
    """The referral row as a dict, or ``None``; ``for_update`` locks it (PostgreSQL)."""
    ref = table("referral")
    stmt = select(ref).where(ref.c.referral_id == int(referral_id))
    if for_update:
        stmt = stmt.with_for_update()
    row = session.execute(stmt).mappings().first()
    return None if row is None else dict(row)


def list_referrals(
    session: Session,
    *,
    facility_ids: Sequence[int] | None = None,
    household_ids: Sequence[int] | None = None,
    sender_emd_codes: Sequence[str] | None = None,
    states: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Referrals matching every given filter, newest first (by ``referral_id``)."""
    ref = table("referral")
    stmt = select(ref)
    for column, values in (
        (ref.c.facility_id, facility_ids),
        (ref.c.household_id, household_ids),
        (ref.c.sender_emd_code, sender_emd_codes),
        (ref.c.state, states),
    ):
        if values is not None:
            stmt = stmt.where(column.in_(list(values)))
    rows = session.execute(stmt.order_by(ref.c.referral_id.desc())).mappings().all()
    return _frame(rows, REFERRAL_COLUMNS)


def move_referral(
    session: Session,
    referral_id: int,
    *,
    expected_state: str,
    expected_version: int,
    values: Mapping[str, Any],
) -> bool:
    """Change a referral only if it is still in ``expected_state`` at ``expected_version``.

    ``values`` must include the new ``state``; ``version`` is incremented and ``state_since``
    set. Returns ``False`` (and changes nothing) when someone else moved it first.
    """
    if "state" not in values:
        raise StoreInputError("moving a referral needs the new 'state'")
    unknown = sorted(set(values) - set(REFERRAL_COLUMNS))
    if unknown:
        raise StoreInputError(f"referral has no columns {unknown}")
    ref = table("referral")
    stmt = (
        update(ref)
        .where(
            and_(
                ref.c.referral_id == int(referral_id),
                ref.c.state == expected_state,
                ref.c.version == int(expected_version),
            )
        )
        .values(**{"state_since": _now(), **values, "version": int(expected_version) + 1})
    )
    return session.execute(stmt).rowcount == 1


def add_transition(session: Session, values: Mapping[str, Any]) -> int:
    """Append one ``referral_transition`` row (``at`` defaults to now); return its id."""
    unknown = sorted(set(values) - set(TRANSITION_COLUMNS))
    if unknown:
        raise StoreInputError(f"referral_transition has no columns {unknown}")
    row = {"at": _now(), **values}
    result = session.execute(insert(table("referral_transition")).values(**row))
    return int(result.inserted_primary_key[0])


def referral_history(session: Session, referral_ids: Sequence[int]) -> pd.DataFrame:
    """Transitions of the given referrals, oldest first."""
    tr = table("referral_transition")
    stmt = (
        select(tr)
        .where(tr.c.referral_id.in_([int(r) for r in referral_ids]))
        .order_by(tr.c.referral_id, tr.c.transition_id)
    )
    return _frame(session.execute(stmt).mappings().all(), TRANSITION_COLUMNS)


# ------------------------------------------------------------------------------ occupancy
def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def adjust_occupancy(
    session: Session,
    facility_id: int,
    delta: int,
    *,
    base: tuple[int, int],
    user_id: int | None,
) -> Occupancy:
    """Move a facility's 현원 by ``delta`` if it stays within ``0 .. 정원``; return the result.

    Parameters
    ----------
    session
        The transaction the referral change runs in (so both commit together).
    facility_id
        The facility.
    delta
        +1 (a place taken), −1 (a place given back) or 0.
    base
        ``(capacity, current_users)`` of the bulk ``facility`` row, used on the embedded store
        the first time this facility's occupancy changes (ignored on PostGIS).
    user_id
        Who caused the change.

    Raises
    ------
    OccupancyError
        The change would take 현원 below zero or above 정원, or the facility is unknown.
    """
    if _is_postgres(session):
        fac = table("facility")
        new_users = fac.c.current_users + int(delta)
        stmt = (
            update(fac)
            .where(fac.c.facility_id == int(facility_id), new_users >= 0, new_users <= fac.c.capacity)
            .values(current_users=new_users)
            .returning(fac.c.capacity, fac.c.current_users)
        )
        row = session.execute(stmt).first()
        if row is None:
            _raise_occupancy(session, facility_id, delta)
        occupancy = Occupancy(int(facility_id), int(row[0]), int(row[1]))
        _record_occupancy(session, occupancy, user_id)
        return occupancy
    occ = table("facility_occupancy")
    capacity, users = (int(v) for v in base)
    session.execute(
        sqlite_insert(occ)
        .values(facility_id=int(facility_id), capacity=capacity, current_users=users,
                updated_at=_now(), user_id=user_id)
        .on_conflict_do_nothing(index_elements=["facility_id"])
    )
    new_users = occ.c.current_users + int(delta)
    stmt = (
        update(occ)
        .where(occ.c.facility_id == int(facility_id), new_users >= 0, new_users <= occ.c.capacity)
        .values(current_users=new_users, updated_at=_now(), user_id=user_id)
        .returning(occ.c.capacity, occ.c.current_users)
    )
    row = session.execute(stmt).first()
    if row is None:
        _raise_occupancy(session, facility_id, delta)
    return Occupancy(int(facility_id), int(row[0]), int(row[1]))


def set_occupancy(
    session: Session, facility_id: int, *, capacity: int, current_users: int, user_id: int | None
) -> Occupancy:
    """Set a facility's 정원 and 현원 (a provider keeping them true).

    Raises
    ------
    OccupancyError
        Negative values, 현원 above 정원, or an unknown facility (PostGIS).
    """
    if capacity < 0 or current_users < 0 or current_users > capacity:
        raise OccupancyError(
            f"정원 {capacity} / 현원 {current_users}: both must be zero or more and 현원 ≤ 정원"
        )
    occupancy = Occupancy(int(facility_id), int(capacity), int(current_users))
    if _is_postgres(session):
        fac = table("facility")
        stmt = (
            update(fac)
            .where(fac.c.facility_id == int(facility_id))
            .values(capacity=int(capacity), current_users=int(current_users))
        )
        if session.execute(stmt).rowcount != 1:
            raise OccupancyError(f"unknown facility {facility_id}")
    _record_occupancy(session, occupancy, user_id)
    return occupancy


def _record_occupancy(session: Session, occupancy: Occupancy, user_id: int | None) -> None:
    occ = table("facility_occupancy")
    dialect_insert = pg_insert if _is_postgres(session) else sqlite_insert
    values = {"capacity": occupancy.capacity, "current_users": occupancy.current_users,
              "updated_at": _now(), "user_id": user_id}
    session.execute(
        dialect_insert(occ)
        .values(facility_id=occupancy.facility_id, **values)
        .on_conflict_do_update(index_elements=["facility_id"], set_=values)
    )


def _raise_occupancy(session: Session, facility_id: int, delta: int) -> None:
    if _is_postgres(session):
        fac = table("facility")
        row = session.execute(
            select(fac.c.capacity, fac.c.current_users).where(fac.c.facility_id == int(facility_id))
        ).first()
    else:
        occ = table("facility_occupancy")
        row = session.execute(
            select(occ.c.capacity, occ.c.current_users).where(occ.c.facility_id == int(facility_id))
        ).first()
    if row is None:
        raise OccupancyError(f"unknown facility {facility_id}")
    capacity, users = int(row[0]), int(row[1])
    if delta > 0:
        raise OccupancyError(f"facility {facility_id} is full: 현원 {users} of 정원 {capacity}")
    raise OccupancyError(f"facility {facility_id} has 현원 {users}: cannot give back {-delta} places")


def occupancy_overlay(session: Session, *, with_updated_at: bool = False) -> pd.DataFrame:
    """All live occupancy rows: ``facility_id, capacity, current_users`` (embedded overlay),
    and ``updated_at`` if asked (the embedded store drops rows a facility reload made void)."""
    occ = table("facility_occupancy")
    cols = ["facility_id", "capacity", "current_users", *(["updated_at"] if with_updated_at else [])]
    rows = session.execute(select(*(occ.c[c] for c in cols)))
    return _frame(rows.mappings().all(), cols)


def occupancy_stamp(session: Session) -> tuple[int, str, int, int]:
    """A cheap fingerprint of ``facility_occupancy`` that changes with every write to it."""
    occ = table("facility_occupancy")
    row = session.execute(
        select(func.count(), func.max(occ.c.updated_at), func.coalesce(func.sum(occ.c.capacity), 0),
               func.coalesce(func.sum(occ.c.current_users), 0))
    ).one()
    return int(row[0]), str(row[1]), int(row[2]), int(row[3])


def forget_occupancy(session: Session, facility_ids: Sequence[int] | None = None, *,
                     before: dt.datetime | None = None) -> None:
    """Drop live occupancy rows (all, or of some facilities; only those updated before
    ``before`` if given) when the facility table is reloaded."""
    occ = table("facility_occupancy")
    stmt = occ.delete()
    if before is not None:
        stmt = stmt.where(occ.c.updated_at < before)
    if facility_ids is None:
        session.execute(stmt)
        return
    ids = [int(f) for f in facility_ids]
    for start in range(0, len(ids), 500):  # well below SQLite's bound-parameter limit
        session.execute(stmt.where(occ.c.facility_id.in_(ids[start:start + 500])))


# ------------------------------------------------------------------------------ unmet needs
def insert_need(session: Session, values: Mapping[str, Any]) -> int:
    """Insert an ``unmet_need`` row (``created_at``/``updated_at`` default to now); return its id."""
    unknown = sorted(set(values) - set(NEED_COLUMNS))
    if unknown:
        raise StoreInputError(f"unmet_need has no columns {unknown}")
    now = _now()
    row = {"created_at": now, "updated_at": now, **values}
    result = session.execute(insert(table("unmet_need")).values(**row))
    return int(result.inserted_primary_key[0])


def list_needs(
    session: Session,
    *,
    statuses: Sequence[str] | None = None,
    household_ids: Sequence[int] | None = None,
    region_prefix: str | None = None,
) -> pd.DataFrame:
    """Unmet needs matching every given filter (``region_prefix`` on ``emd_code``), oldest first."""
    need = table("unmet_need")
    stmt = select(need)
    if statuses is not None:
        stmt = stmt.where(need.c.status.in_(list(statuses)))
    if household_ids is not None:
        stmt = stmt.where(need.c.household_id.in_([int(h) for h in household_ids]))
    if region_prefix:
        stmt = stmt.where(need.c.emd_code.startswith(region_prefix, autoescape=True))
    rows = session.execute(stmt.order_by(need.c.need_id)).mappings().all()
    return _frame(rows, NEED_COLUMNS)


def update_need(
    session: Session, need_id: int, *, expected_status: str | None = None, **values: Any
) -> bool:
    """Change a need (only if still ``expected_status`` when given); return whether it changed."""
    unknown = sorted(set(values) - _NEED_UPDATABLE)
    if unknown:
        raise StoreInputError(f"unmet_need columns {unknown} cannot be changed")
    need = table("unmet_need")
    stmt = update(need).where(need.c.need_id == int(need_id))
    if expected_status is not None:
        stmt = stmt.where(need.c.status == expected_status)
    return session.execute(stmt.values(**{"updated_at": _now(), **values})).rowcount == 1


# ------------------------------------------------------------------------------ facade
@dataclass(frozen=True, slots=True)
class OccupancyChange:
    """A 현원 change that commits with a transition: ``delta`` places at ``facility_id``;
    ``base`` is the bulk row's ``(capacity, current_users)`` (see :func:`adjust_occupancy`)."""

    facility_id: int
    delta: int
    base: tuple[int, int]


class ReferralRecords:
    """``store.referrals``: one transaction per call (the store translates driver errors).

    The writes that must commit together do so here: :meth:`send` (the referral, its first
    history row and the need it answers), :meth:`move` (the conditional update, the 현원 change
    and the history row).
    """

    def __init__(self, transaction: Callable[[str], AbstractContextManager[Session]]) -> None:
        self._transaction = transaction

    # ---------------------------------------------------------------- referrals
    def get(self, referral_id: int) -> dict[str, Any] | None:
        """One referral, or ``None``."""
        with self._transaction("read referral") as session:
            return get_referral(session, referral_id)

    def list(self, **filters: Any) -> pd.DataFrame:
        """Referrals (see :func:`list_referrals`)."""
        with self._transaction("list referrals") as session:
            return list_referrals(session, **filters)

    def history(self, referral_ids: Sequence[int]) -> pd.DataFrame:
        """Transitions of some referrals (see :func:`referral_history`)."""
        with self._transaction("read referral history") as session:
            return referral_history(session, referral_ids)

    def send(self, values: Mapping[str, Any], transition: Mapping[str, Any], *,
             need_id: int | None = None) -> int:
        """Insert a referral with its first history row (and mark ``need_id`` matched); one
        transaction. Returns the ``referral_id``."""
        with self._transaction("send referral") as session:
            rid = insert_referral(session, values)
            add_transition(session, {**transition, "referral_id": rid})
            if need_id is not None:
                update_need(session, int(need_id), status="matched", referral_id=rid,
                            matched_facility_id=values.get("facility_id"))
            return rid

    def move(self, referral_id: int, *, expected_state: str, expected_version: int,
             values: Mapping[str, Any], transition: Mapping[str, Any],
             occupancy: OccupancyChange | None = None, user_id: int | None = None) -> bool:
        """A transition in one transaction: the conditional update, the 현원 change, the history.

        Returns ``False`` (nothing written) when the referral is no longer at
        ``expected_state``/``expected_version``.

        Raises
        ------
        OccupancyError
            The 현원 change would leave ``0 .. 정원`` (nothing is written).
        """
        with self._transaction("move referral") as session:
            if not move_referral(session, referral_id, expected_state=expected_state,
                                 expected_version=expected_version, values=values):
                return False
            if occupancy is not None and occupancy.delta:
                adjust_occupancy(session, occupancy.facility_id, occupancy.delta,
                                 base=occupancy.base, user_id=user_id)
            add_transition(session, {**transition, "referral_id": int(referral_id)})
            return True

    # ---------------------------------------------------------------- occupancy
    def set_occupancy(self, facility_id: int, *, capacity: int, current_users: int,
                      user_id: int | None) -> Occupancy:
        """Set 정원/현원 (see :func:`set_occupancy`)."""
        with self._transaction("set occupancy") as session:
            return set_occupancy(session, facility_id, capacity=capacity,
                                 current_users=current_users, user_id=user_id)

    def overlay(self) -> pd.DataFrame:
        """Live occupancy rows (see :func:`occupancy_overlay`)."""
        with self._transaction("read occupancy") as session:
            return occupancy_overlay(session)

    # ---------------------------------------------------------------- needs
    def needs(self, **filters: Any) -> pd.DataFrame:
        """Unmet needs (see :func:`list_needs`)."""
        with self._transaction("list needs") as session:
            return list_needs(session, **filters)

    def add_need(self, values: Mapping[str, Any]) -> int:
        """Register a need (see :func:`insert_need`)."""
        with self._transaction("add need") as session:
            return insert_need(session, values)

    def update_need(self, need_id: int, *, expected_status: str | None = None, **values: Any) -> bool:
        """Change a need if still ``expected_status`` (see :func:`update_need`)."""
        with self._transaction("update need") as session:
            return update_need(session, need_id, expected_status=expected_status, **values)
