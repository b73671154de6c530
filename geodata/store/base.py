"""The store interface: one API over the embedded store and PostGIS, sealed.

Nothing outside ``geodata`` needs to know which store it holds: there are no ``kind`` checks,
no file paths and no SQL sessions to reach for.

- Bulk tables (``schema.BULK_TABLES``) are read and written as whole data frames; spatial ones
  come back as GeoDataFrames in EPSG:4326.
- Operational tables are reached through repositories bound to the store: ``store.users``,
  ``store.audit``, ``store.activities`` and ``store.overrides`` (:mod:`geodata.store.repositories`).
- ``store.cache`` holds caches that live and die with the store (:mod:`geodata.store.cache`);
  ``store.data_version(...)`` is a cheap token that changes when bulk tables are written.
- ``store.reopen_spec()`` says how to open the same store again in another process
  (``open_store(spec)``).

Result order is part of the contract, the same on both stores: ``read_frame`` and
``household_records`` return rows in primary-key order; ``regions`` by ``code``;
``households_within`` by ``household_id``; ``households_near`` and ``facilities_nearest`` by
distance, ties by id; ``model_versions`` newest first. Driver errors never escape: a store
raises :class:`StoreInputError` for requests it cannot accept and :class:`StoreError` when it
cannot do its work, with any password hidden (:mod:`geodata.store.errors`).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Literal

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from geodata.schema import BULK_TABLES, OPERATIONAL_TABLES
from geodata.store.cache import StoreCache
from geodata.store.errors import StoreError, StoreInputError, translated_errors
from geodata.store.frames import FrameWrite, Where, WhereValue, check_table
from geodata.store.repositories import (
    ActivityRecords,
    AuditRecords,
    LoginRecords,
    OverrideRecords,
    ScenarioRecords,
    UserRecords,
)
from geodata.store.spec import StoreSpec

if TYPE_CHECKING:
    from geodata.store.referrals import ReferralRecords
    from geodata.store.repositories.console import ConsoleRecords
    from geodata.store.staged import StagedTable

__all__ = ["FrameWrite", "Store", "StoreError", "StoreInputError", "Where", "WhereValue"]

#: Columns of :meth:`Store.model_versions`.
MODEL_VERSION_COLUMNS = ("model_version", "scored_at", "households")


class Store(abc.ABC):
    """Common interface of :class:`EmbeddedStore` and :class:`PostgisStore`."""

    kind: str = "abstract"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.cache = StoreCache()
        self.users = UserRecords(self._transaction)
        self.audit = AuditRecords(self._transaction)
        self.activities = ActivityRecords(self._transaction)
        self.overrides = OverrideRecords(self._transaction)
        self.logins = LoginRecords(self._transaction)
        self.scenarios = ScenarioRecords(self._transaction)

    # ------------------------------------------------------------------ lifecycle
    @abc.abstractmethod
    def init(self) -> None:
        """Create (or migrate) the schema. Safe to call again."""

    @property
    def referrals(self) -> ReferralRecords:
        """Referrals, their history, unmet needs and live occupancy (``geodata.store.referrals``)."""
        from geodata.store.referrals import ReferralRecords

        return ReferralRecords(self._transaction)

    @property
    def console(self) -> ConsoleRecords:
        """The administrator's reads: audit search, failed logins (``repositories.console``)."""
        from geodata.store.repositories.console import ConsoleRecords

        return ConsoleRecords(self._transaction)

    @property
    @abc.abstractmethod
    def location(self) -> str:
        """Where the store lives, for messages and logs (a folder, or a URL without password)."""

    @abc.abstractmethod
    def reopen_spec(self) -> StoreSpec:
        """How to open this store again, e.g. in a background job: ``open_store(spec)``."""

    def close(self) -> None:
        """Drop the caches and close pooled connections (the store reconnects if used again)."""
        self.cache.clear()
        self.engine.dispose()

    def _occupancy_stamp(self) -> object:
        """Fingerprint of the live 정원/현원 rows (``None`` before the operational tables exist)."""
        from geodata.store.referrals import occupancy_stamp

        try:
            with self.session() as session:
                return occupancy_stamp(session)
        except StoreError:  # operational tables not created yet: nothing to lay over
            return None

    def _secret(self) -> str | None:
        """A password to keep out of error messages (PostGIS)."""
        return None

    def _translate(self, what: str) -> AbstractContextManager[None]:
        """Translate driver errors inside the block (see :mod:`geodata.store.errors`)."""
        return translated_errors(what, location=f"{self.kind} store {self.location}",
                                 secret=self._secret())

    @contextmanager
    def _transaction(self, what: str) -> Iterator[Session]:
        with self._translate(what), self._sessions.begin() as session:
            yield session

    def session(self) -> AbstractContextManager[Session]:
        """A session in one transaction: committed on success, rolled back on error.

        For ``geodata`` and tests only: services use the repositories (``store.users`` ...).
        Driver errors are translated like every other store call.
        """
        return self._transaction("transaction")

    # ------------------------------------------------------------------ bulk tables
    def write_frame(
        self,
        table: str,
        frame: pd.DataFrame,
        *,
        mode: Literal["replace", "append", "upsert"] = "replace",
    ) -> int:
        """Write ``frame`` to bulk ``table`` atomically; return the number of rows written.

        ``replace`` swaps the whole table in one step (readers see the old or the new table, never
        a mix); ``append`` adds rows (:class:`StoreInputError` if a key exists); ``upsert``
        replaces rows whose primary key exists and adds the others, in one transaction (so
        loading the same rows twice changes nothing). Columns must match the schema (lengths and
        integer ranges included); missing nullable columns are filled with nulls. Spatial tables
        need a GeoDataFrame in EPSG:4326.
        """
        if mode not in ("replace", "append", "upsert"):
            raise StoreInputError(f"mode must be replace, append or upsert, not {mode!r}")
        return self.write_frames([FrameWrite(table, frame, mode)])[0]

    @abc.abstractmethod
    def write_frames(self, writes: Sequence[FrameWrite], *,
                     progress: Callable[[float, str], None] | None = None) -> list[int]:
        """Apply several bulk-table writes as one unit: all of them or none.

        A whole world is loaded this way (``etl.load.load_world``): readers, and a process
        killed at any point, see the old tables or the new ones, never a mix. On PostGIS the
        writes run in one transaction that locks the replaced tables up front (readers of them
        wait, then see the new world); on the embedded store every new version file is written
        completely, then one ``os.replace`` of the manifest switches all of them
        (:mod:`geodata.store.manifest`). Each table may appear once. ``progress(fraction,
        step)`` is called after each table is staged and when the unit is switched (committed).

        Returns
        -------
        list[int]
            Rows written (or deleted) per write, in order.

        Raises
        ------
        StoreInputError
            Unknown table or mode, a table given twice, or rows that do not fit the schema;
            nothing is written.
        """

    @abc.abstractmethod
    def staged_replace(self, table: str) -> AbstractContextManager[StagedTable]:
        """Replace non-spatial bulk ``table`` by rows appended part by part, in one swap at the end.

        ``with store.staged_replace(t) as staged: staged.append(part)`` -- each part is checked
        and written to a staging area at once (memory stays bounded by one part); when the block
        ends the table holds exactly the appended rows, swapped in atomically. If the block
        raises, or the process dies, the table keeps its previous rows
        (:mod:`geodata.store.staged`).

        Raises
        ------
        StoreInputError
            Unknown or spatial table, a part that does not fit the schema, or a primary key
            repeated across parts (at the swap; nothing is written).
        """

    @abc.abstractmethod
    def read_frames(self, tables: Sequence[str]) -> dict[str, pd.DataFrame]:
        """Whole bulk ``tables`` read from one snapshot, so they belong to one world (each in
        primary-key order). Separate :meth:`read_frame` calls may straddle a world load.

        Raises
        ------
        StoreInputError
            A table that is not a bulk table.
        """

    @abc.abstractmethod
    def read_frame(
        self,
        table: str,
        *,
        columns: Sequence[str] | None = None,
        where: Where | None = None,
    ) -> pd.DataFrame:
        """Rows of bulk ``table`` whose columns equal (or are in) the ``where`` values, in
        primary-key order.

        Returns a GeoDataFrame (EPSG:4326) when the geometry column is read.

        Raises
        ------
        StoreInputError
            Unknown table or columns, or a ``where`` value of the wrong type.
        """

    @abc.abstractmethod
    def count(self, table: str, *, where: Where | None = None) -> int:
        """Number of rows of ``table`` (bulk or operational) matching ``where``."""

    @abc.abstractmethod
    def group_counts(self, table: str, by: Sequence[str], *, where: Where | None = None
                     ) -> pd.DataFrame:
        """Rows of bulk ``table`` matching ``where``, counted per distinct value of the ``by``
        columns (computed by the store: SQL ``GROUP BY`` on PostGIS, Arrow on the embedded
        store; no rows are sent to the caller).

        Returns
        -------
        pandas.DataFrame
            The ``by`` columns (types as :meth:`read_frame` gives them; null is a group of its
            own) and ``rows`` (int64), one row per group, sorted by ``by`` with nulls last.

        Raises
        ------
        StoreInputError
            Unknown table, no ``by`` column, a geometry column in ``by``, unknown columns or a
            ``where`` value of the wrong type.
        """

    @abc.abstractmethod
    def data_version(self, *tables: str) -> tuple[object, ...]:
        """A cheap token that changes whenever one of the bulk ``tables`` is written.

        Equal tokens (from the same store) mean the tables hold the same rows; the token is exact
        on both stores (file versions on the embedded store, write counters kept in the same
        transaction as the write on PostGIS), so a cache keyed on it is never stale.

        Raises
        ------
        StoreInputError
            A table that is not a bulk table (operational tables change row by row: read them).
        """

    def household_records(self, household_id: int, tables: Sequence[str]
                          ) -> dict[str, pd.DataFrame]:
        """The rows of one household in each of the bulk ``tables``, each in primary-key order.

        One call for what a case view needs (``person``, the histories, ``risk_score`` ...);
        read from one snapshot on both stores (as :meth:`read_frames`), so the parts agree.

        Raises
        ------
        StoreInputError
            A table that is not a bulk table with a ``household_id`` column.
        """
        for name in tables:
            _check_household_table(name)
        return {name: self.read_frame(name, where={"household_id": int(household_id)})
                for name in tables}

    @abc.abstractmethod
    def model_versions(self) -> pd.DataFrame:
        """Scored model versions of ``risk_score``: ``model_version``, latest ``scored_at`` (UTC)
        and ``households`` scored, newest first (ties by version name); empty when unscored."""

    # ------------------------------------------------------------------ spatial queries
    @abc.abstractmethod
    def regions(
        self, level: str, *, parent_code: str | None = None, display: bool = False
    ) -> gpd.GeoDataFrame:
        """Regions of ``level`` (optionally children of ``parent_code``) by ``code``; display
        geometry if asked."""

    @abc.abstractmethod
    def households_within(
        self, area: BaseGeometry, *, columns: Sequence[str] | None = None
    ) -> gpd.GeoDataFrame:
        """Households whose point lies inside ``area`` (EPSG:4326 polygon), by ``household_id``."""

    @abc.abstractmethod
    def households_near(
        self, point: BaseGeometry, *, radius_m: float, columns: Sequence[str] | None = None
    ) -> gpd.GeoDataFrame:
        """Households within ``radius_m`` metres of ``point`` (EPSG:4326), with ``distance_m``,
        nearest first (ties by ``household_id``)."""

    @abc.abstractmethod
    def facilities_nearest(
        self,
        point: BaseGeometry,
        *,
        k: int = 10,
        type_codes: Sequence[str] | None = None,
        free_places_only: bool = False,
    ) -> gpd.GeoDataFrame:
        """The ``k`` facilities nearest ``point`` (EPSG:4326) with ``distance_m``, nearest first
        (ties by ``facility_id``)."""

    # ------------------------------------------------------------------ status
    def status(self) -> dict[str, int]:
        """Row count per table (bulk and operational)."""
        return {name: self.count(name) for name in (*BULK_TABLES, *OPERATIONAL_TABLES)}


def _check_household_table(name: str) -> None:
    from geodata.schema import table

    check_table(name, BULK_TABLES)
    if "household_id" not in table(name).columns:
        raise StoreInputError(f"table {name!r} has no household_id column")


def check_count_table(name: str) -> None:
    """Raise :class:`StoreInputError` unless ``name`` is a bulk or operational table."""
    if name not in (*BULK_TABLES, *OPERATIONAL_TABLES):
        raise StoreInputError(
            f"unknown table {name!r}; expected one of {[*BULK_TABLES, *OPERATIONAL_TABLES]}")


def empty_model_versions() -> pd.DataFrame:
    """:meth:`Store.model_versions` of an unscored store."""
    return pd.DataFrame({"model_version": pd.Series([], dtype=object),
                         "scored_at": pd.Series([], dtype="datetime64[ns, UTC]"),
                         "households": pd.Series([], dtype="int64")})


def order_model_versions(frame: pd.DataFrame) -> pd.DataFrame:
    """``model_versions`` rows newest first, ties by version name, with the contract's types."""
    if frame.empty:
        return empty_model_versions()
    out = pd.DataFrame({"model_version": frame["model_version"].astype(str),
                        "scored_at": pd.to_datetime(frame["scored_at"], utc=True),
                        "households": frame["households"].astype("int64")})
    return out.sort_values(["scored_at", "model_version"], ascending=[False, True],
                           kind="stable").reset_index(drop=True)
