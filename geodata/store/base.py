"""The store interface: one API over the embedded store and PostGIS.

Bulk tables (``schema.BULK_TABLES``) are read and written as whole data frames; spatial ones come
back as GeoDataFrames in EPSG:4326. Operational tables are reached through SQLAlchemy sessions
(``Store.session()``), identical on both stores.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import pandas as pd
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from geodata.store.referrals import ReferralRecords

WhereValue = Any | Sequence[Any]
Where = Mapping[str, WhereValue]


class StoreError(RuntimeError):
    """A store could not do what was asked (connection, query or write failure)."""


class StoreInputError(ValueError):
    """The caller passed something the store cannot accept (unknown table, bad columns, ...)."""


class Store(abc.ABC):
    """Common interface of :class:`EmbeddedStore` and :class:`PostgisStore`."""

    kind: str = "abstract"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    # ------------------------------------------------------------------ lifecycle
    @abc.abstractmethod
    def init(self) -> None:
        """Create (or migrate) the schema. Safe to call again."""

    @property
    def referrals(self) -> ReferralRecords:
        """Referrals, their history, unmet needs and live occupancy (``geodata.store.referrals``)."""
        from geodata.store.referrals import ReferralRecords

        return ReferralRecords(self.session)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self._sessions.begin() as session:
            yield session

    # ------------------------------------------------------------------ bulk tables
    @abc.abstractmethod
    def write_frame(
        self,
        table: str,
        frame: pd.DataFrame,
        *,
        mode: Literal["replace", "append", "upsert"] = "replace",
    ) -> int:
        """Write ``frame`` to bulk ``table`` atomically; return the number of rows written.

        ``replace`` swaps the whole table in one step (readers see the old or the new table, never
        a mix); ``append`` adds rows; ``upsert`` replaces rows whose primary key exists and adds the
        others, in one transaction (so loading the same rows twice changes nothing). Columns must match the schema; missing nullable columns are
        filled with nulls. Spatial tables need a GeoDataFrame in EPSG:4326.
        """

    @abc.abstractmethod
    def read_frame(
        self,
        table: str,
        *,
        columns: Sequence[str] | None = None,
        where: Where | None = None,
    ) -> pd.DataFrame:
        """Read rows of ``table`` whose columns equal (or are in) the ``where`` values.

        Returns a GeoDataFrame (EPSG:4326) when the geometry column is read.
        """

    @abc.abstractmethod
    def count(self, table: str, *, where: Where | None = None) -> int:
        """Number of rows of ``table`` matching ``where``."""

    # ------------------------------------------------------------------ spatial queries
    @abc.abstractmethod
    def regions(
        self, level: str, *, parent_code: str | None = None, display: bool = False
    ) -> gpd.GeoDataFrame:
        """Regions of ``level`` (optionally children of ``parent_code``); display geometry if asked."""

    @abc.abstractmethod
    def households_within(
        self, area: BaseGeometry, *, columns: Sequence[str] | None = None
    ) -> gpd.GeoDataFrame:
        """Households whose point lies inside ``area`` (EPSG:4326 polygon)."""

    @abc.abstractmethod
    def households_near(
        self, point: BaseGeometry, *, radius_m: float, columns: Sequence[str] | None = None
    ) -> gpd.GeoDataFrame:
        """Households within ``radius_m`` metres of ``point`` (EPSG:4326), with ``distance_m``."""

    @abc.abstractmethod
    def facilities_nearest(
        self,
        point: BaseGeometry,
        *,
        k: int = 10,
        type_codes: Sequence[str] | None = None,
        free_places_only: bool = False,
    ) -> gpd.GeoDataFrame:
        """The ``k`` facilities nearest ``point`` (EPSG:4326), nearest first, with ``distance_m``."""

    # ------------------------------------------------------------------ status
    def status(self) -> dict[str, int]:
        """Row count per table (bulk and operational)."""
        from geodata.schema import BULK_TABLES, OPERATIONAL_TABLES

        return {name: self.count(name) for name in (*BULK_TABLES, *OPERATIONAL_TABLES)}
