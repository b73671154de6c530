"""The embedded default store: GeoParquet files for bulk tables, SQLite for operational ones.

Each bulk table is an immutable version file; ``manifest.json`` names the current one of every
table (:mod:`geodata.store.manifest`). A write (one table or a whole world through
``write_frames``) writes its new files completely, then switches the manifest with one
``os.replace``: readers and a process killed at any point see the old tables or the new ones,
never a mix. Leftovers of a killed write are removed when the store is next opened. Reads are
served from an in-process cache of Arrow tables keyed by the version file; spatial look-ups use
cached KD-trees over EPSG:5179 coordinates.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry
from sqlalchemy import create_engine, event, inspect, text

from geodata.schema import BULK_TABLES, MEASURE_SRID, OPERATIONAL_TABLES, STORAGE_SRID, Base, table
from geodata.store.base import (
    Store,
    StoreError,
    StoreInputError,
    Where,
    _check_household_table,
    check_count_table,
    order_model_versions,
)
from geodata.store.embedded_write import ManifestWrites
from geodata.store.frames import (
    check_group_by,
    check_table,
    check_where,
    conform_frame,
    geometry_columns,
    in_key_order,
    normalise_dates,
    sorted_groups,
    to_geoframe,
    validate_columns,
    where_values,
)
from geodata.store.manifest import (
    Manifest,
    OccupancyVoid,
    manifest_key,
    private_file,
    read_manifest,
)
from geodata.store.referrals import occupancy_overlay
from geodata.store.spec import StoreSpec
from geodata.store.sql import count_statement
from geodata.store.staged import StagedTable, staged_embedded

log = logging.getLogger(__name__)
_TO_5179 = Transformer.from_crs(STORAGE_SRID, MEASURE_SRID, always_xy=True)


@dataclass(frozen=True, slots=True)
class _PointIndex:
    """KD-tree over a point table's EPSG:5179 coordinates, for one version of the file."""

    xy: np.ndarray
    tree: cKDTree


@dataclass(frozen=True, slots=True)
class _Subset:
    """Rows of a point table passing a filter, with their own KD-tree."""

    rows: np.ndarray
    tree: cKDTree | None


class EmbeddedStore(ManifestWrites, Store):
    """Store in a folder: ``<table>.parquet`` per bulk table and ``operational.sqlite``."""

    kind = "embedded"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.root, 0o700)  # personal data: owner only (also for folders made earlier)
        private_file(self.root / "operational.sqlite")
        engine = create_engine(
            f"sqlite:///{self.root / 'operational.sqlite'}",
            connect_args={"timeout": 30, "check_same_thread": False},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        super().__init__(engine)
        self._cache: dict[str, tuple[tuple[object, ...], pa.Table]] = {}
        self._index_cache: dict[str, tuple[tuple[object, ...], _PointIndex]] = {}
        self._subset_cache: dict[tuple[object, ...], _Subset] = {}
        self._manifest_cache: tuple[tuple[int, int, int], Manifest] | None = None
        self._lock = threading.Lock()
        self.remove_leftovers()

    def __repr__(self) -> str:
        return f"EmbeddedStore({str(self.root)!r})"

    # ------------------------------------------------------------------ lifecycle
    def init(self) -> None:
        """Create the SQLite operational tables (bulk tables appear when first written).

        A store made by an older version gains the columns added since (an empty ``referral``
        table of the first schema is recreated; it was never written).
        """
        with self._translate("create operational tables"):
            _upgrade_operational(self.engine)
            Base.metadata.create_all(self.engine, tables=[table(t) for t in OPERATIONAL_TABLES])

    @property
    def location(self) -> str:
        return str(self.root)

    def reopen_spec(self) -> StoreSpec:
        return StoreSpec("embedded", str(self.root))

    def staged_replace(self, table: str) -> AbstractContextManager[StagedTable]:
        return staged_embedded(self, table)

    # ------------------------------------------------------------------ bulk reads
    def read_frame(
        self,
        table: str,
        *,
        columns: Sequence[str] | None = None,
        where: Where | None = None,
    ) -> pd.DataFrame:
        check_table(table, BULK_TABLES)
        cols = validate_columns(table, columns)
        return self._frame_of(self._filtered(table, where), table, cols)

    def read_frames(self, tables: Sequence[str]) -> dict[str, pd.DataFrame]:
        for name in tables:
            check_table(name, BULK_TABLES)
        data = self._snapshot(lambda m: {t: self._arrow_in(t, m)[1] for t in tables})
        return {t: self._frame_of(data[t], t, validate_columns(t, None)) for t in tables}

    def household_records(self, household_id: int, tables: Sequence[str]
                          ) -> dict[str, pd.DataFrame]:
        """Each table's rows of one household, all from one manifest (one world)."""
        for name in tables:
            _check_household_table(name)
        where = {"household_id": int(household_id)}
        data = self._snapshot(lambda m: {t: self._filter(t, self._arrow_in(t, m)[1], where)
                                         for t in tables})
        return {t: self._frame_of(data[t], t, validate_columns(t, None)) for t in tables}

    @staticmethod
    def _frame_of(data: pa.Table, table: str, cols: list[str]) -> pd.DataFrame:
        frame = data.select(cols).to_pandas(date_as_object=False)
        frame = in_key_order(normalise_dates(frame, table), table)
        return to_geoframe(frame, table)

    def count(self, table: str, *, where: Where | None = None) -> int:
        check_count_table(table)
        if table in OPERATIONAL_TABLES:
            stmt = count_statement(table, where)
            with self._translate(f"count {table}"), self.engine.connect() as conn:
                return int(conn.scalar(stmt))
        return self._filtered(table, where).num_rows

    def group_counts(self, table: str, by: Sequence[str], *, where: Where | None = None
                     ) -> pd.DataFrame:
        cols = check_group_by(table, by)
        data = self._filtered(table, where).select(cols)
        grouped = data.group_by(cols, use_threads=False).aggregate([([], "count_all")])
        frame = grouped.to_pandas(date_as_object=False).rename(columns={"count_all": "rows"})
        return sorted_groups(frame[[*cols, "rows"]], table, cols)

    def data_version(self, *tables: str) -> tuple[object, ...]:
        """``(table, version file)`` of each table (``(table, None)`` before it is written);
        ``facility`` adds the live occupancy's stamp."""
        for name in tables:
            check_table(name, BULK_TABLES)
        manifest = self._manifest()
        out: list[object] = []
        for name in tables:
            out.append((name, manifest.tables.get(name)))
            if name == "facility":  # live 정원/현원 are laid over the file
                out.append(("facility_occupancy", self._occupancy_stamp()))
        return tuple(out)

    def model_versions(self) -> pd.DataFrame:
        data = self._arrow("risk_score").select(["model_version", "scored_at", "household_id"])
        grouped = data.group_by("model_version").aggregate(
            [("scored_at", "max"), ("household_id", "count")])
        frame = grouped.to_pandas().rename(columns={"scored_at_max": "scored_at",
                                                    "household_id_count": "households"})
        return order_model_versions(frame)

    def _filtered(self, name: str, where: Where | None) -> pa.Table:
        return self._filter(name, self._arrow(name), where)

    @staticmethod
    def _filter(name: str, data: pa.Table, where: Where | None) -> pa.Table:
        if not where:
            return data
        check_where(name, where)
        mask = None
        for col, value in where.items():
            values = where_values(value)
            column = data.column(col)
            try:
                value_set = pa.array(values, type=column.type)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
                raise StoreInputError(
                    f"table {name!r}: where {col!r} needs {column.type} values, not {values[:5]!r}"
                ) from exc
            cond = pc.is_in(column, value_set=value_set)
            mask = cond if mask is None else pc.and_(mask, cond)
        return data.filter(mask)

    def _manifest(self) -> Manifest:
        """The current manifest (re-read only when the file changed: one ``stat`` per call)."""
        key = manifest_key(self.root)
        with self._lock:
            cached = self._manifest_cache
        if cached is not None and cached[0] == key and key != (0, 0, 0):
            return cached[1]
        key, manifest = read_manifest(self.root, BULK_TABLES)
        with self._lock:
            self._manifest_cache = (key, manifest)
        return manifest

    def _snapshot(self, read: Callable[[Manifest], _T]) -> _T:
        """``read(manifest)`` on one manifest; again on the newer one if a writer removed a file
        of the old one meanwhile (its switch came between our manifest read and our file read)."""
        for _ in range(_SNAPSHOT_TRIES):
            try:
                return read(self._manifest())
            except _VanishedError:
                continue
        raise StoreError(f"embedded store {self.root}: files the manifest names are missing; "
                         "is something deleting them?")

    def _arrow(self, name: str) -> pa.Table:
        return self._versioned(name)[1]

    def _versioned(self, name: str) -> tuple[tuple[object, ...], pa.Table]:
        """``(version, Arrow table)`` of ``name`` in the current manifest."""
        return self._snapshot(lambda m: self._arrow_in(name, m))

    def _arrow_in(self, name: str, manifest: Manifest) -> tuple[tuple[object, ...], pa.Table]:
        """``(version, Arrow table)`` of ``name`` as ``manifest`` names it (cached per file)."""
        file = manifest.tables.get(name)
        if file is None:
            return (None,), _empty_arrow(name)
        version: tuple[object, ...] = (file,)
        if name == "facility":  # live 정원/현원 from referrals and providers (facility_occupancy)
            version = (file, self._occupancy_stamp(), manifest.occupancy_void)
        with self._lock:
            cached = self._cache.get(name)
            if cached and cached[0] == version:
                return cached
        path = self.root / file
        try:
            data = pq.read_table(path)
        except (OSError, pa.ArrowException) as exc:
            if not path.exists():  # a switch came between our manifest read and this one
                raise _VanishedError(file) from exc
            raise StoreError(f"could not read {name} from {path}: {exc}") from exc
        data = _with_new_columns(name, data)
        if name == "facility":
            data = self._with_occupancy(data, manifest.occupancy_void)
        with self._lock:
            self._cache[name] = (version, data)
        return version, data

    def _with_occupancy(self, data: pa.Table, void: OccupancyVoid | None) -> pa.Table:
        """The facility table with 정원/현원 replaced by the live ``facility_occupancy`` rows
        (except those the latest facility write made void)."""
        if self._occupancy_stamp() is None:
            return data
        with self.session() as session:
            overlay = occupancy_overlay(session, with_updated_at=True)
        if void is not None and not overlay.empty:
            overlay = overlay[~void.applies(overlay["facility_id"], overlay["updated_at"])]
        if overlay.empty or data.num_rows == 0:
            return data
        ids = data.column("facility_id").to_numpy()
        live = overlay.set_index("facility_id")
        pos = live.index.get_indexer(ids)
        hit = pos >= 0
        for col in ("capacity", "current_users"):
            values = data.column(col).to_numpy().copy()
            values[hit] = live[col].to_numpy()[pos[hit]]
            index = data.schema.get_field_index(col)
            data = data.set_column(index, data.schema.field(col), pa.array(values, type=data.schema.field(col).type))
        return data

    # ------------------------------------------------------------------ spatial queries
    def regions(
        self, level: str, *, parent_code: str | None = None, display: bool = False
    ) -> gpd.GeoDataFrame:
        where: dict[str, object] = {"level": level}
        if parent_code is not None:
            where["parent_code"] = parent_code
        frame = self.read_frame("region", where=where)
        return _with_display(frame, display)

    def households_within(
        self, area: BaseGeometry, *, columns: Sequence[str] | None = None
    ) -> gpd.GeoDataFrame:
        data = self._arrow("household")
        lon, lat = _lonlat(data)
        minx, miny, maxx, maxy = area.bounds
        candidates = np.flatnonzero((lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy))
        inside = candidates[shapely.contains_xy(area, lon[candidates], lat[candidates])]
        return in_key_order(self._take("household", inside, columns), "household")

    def households_near(
        self, point: BaseGeometry, *, radius_m: float, columns: Sequence[str] | None = None
    ) -> gpd.GeoDataFrame:
        index = self._point_index("household")
        centre = np.array(_TO_5179.transform(point.x, point.y))
        rows = np.array(sorted(index.tree.query_ball_point(centre, r=radius_m)), dtype=np.int64)
        frame = self._take("household", rows, columns)
        frame["distance_m"] = np.hypot(*(index.xy[rows] - centre).T) if len(rows) else []
        # rows are in file position order, which is key order: ties stay by household_id
        return frame.sort_values("distance_m", kind="stable").reset_index(drop=True)

    def facilities_nearest(
        self,
        point: BaseGeometry,
        *,
        k: int = 10,
        type_codes: Sequence[str] | None = None,
        free_places_only: bool = False,
    ) -> gpd.GeoDataFrame:
        if k < 1:
            raise StoreInputError(f"k must be at least 1, not {k}")
        subset = self._facility_subset(tuple(sorted(type_codes or ())), free_places_only)
        centre = np.array(_TO_5179.transform(point.x, point.y))
        if len(subset.rows) == 0:
            rows = np.empty(0, dtype=np.int64)
        else:
            _, hits = subset.tree.query(centre, k=min(k, len(subset.rows)))
            rows = subset.rows[np.atleast_1d(hits)]
        index = self._point_index("facility")
        frame = self._take("facility", rows, None)
        frame["distance_m"] = np.hypot(*(index.xy[rows] - centre).T) if len(rows) else []
        frame["free_places"] = (frame["capacity"] - frame["current_users"]).clip(lower=0)
        return frame.sort_values(["distance_m", "facility_id"], kind="stable").reset_index(drop=True)

    def _facility_subset(self, type_codes: tuple[str, ...], free_only: bool) -> _Subset:
        """KD-tree over the facilities of some types (and/or with free places), cached per version."""
        index = self._point_index("facility")
        version, data = self._versioned("facility")
        key = ("facility", version, type_codes, free_only)
        with self._lock:
            cached = self._subset_cache.get(key)
        if cached is not None:
            return cached
        keep = np.ones(data.num_rows, dtype=bool)
        if type_codes:
            keep &= pc.is_in(data.column("type_code"), pa.array(list(type_codes))).to_numpy(
                zero_copy_only=False
            )
        if free_only:
            free = pc.subtract(data.column("capacity"), data.column("current_users"))
            keep &= pc.greater(free, 0).to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(keep)
        subset = _Subset(rows=rows, tree=cKDTree(index.xy[rows]) if len(rows) else None)
        with self._lock:
            if len(self._subset_cache) >= 256:  # a type filter per page at most: keep it bounded
                self._subset_cache.clear()
            self._subset_cache[key] = subset
        return subset

    def _take(self, name: str, rows: np.ndarray, columns: Sequence[str] | None) -> gpd.GeoDataFrame:
        cols = validate_columns(name, columns)
        if "geometry" not in cols:
            cols = [*cols, "geometry"]
        data = self._arrow(name).select(cols).take(pa.array(rows, type=pa.int64()))
        frame = normalise_dates(data.to_pandas(date_as_object=False), name)
        return to_geoframe(frame, name)

    def _point_index(self, name: str) -> _PointIndex:
        version, data = self._versioned(name)
        with self._lock:
            cached = self._index_cache.get(name)
            if cached and cached[0] == version:
                return cached[1]
        lon, lat = _lonlat(data)
        x, y = _TO_5179.transform(lon, lat)
        xy = np.column_stack([x, y]) if len(lon) else np.empty((0, 2))
        index = _PointIndex(xy=xy, tree=cKDTree(xy))
        with self._lock:
            self._index_cache[name] = (version, index)
        return index


_SNAPSHOT_TRIES = 5
_T = TypeVar("_T")


class _VanishedError(Exception):
    """A file the manifest named was removed by a writer that switched meanwhile."""


def _upgrade_operational(engine) -> None:
    """Add columns a newer schema has to the SQLite tables of an older store."""
    names = set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        for name in OPERATIONAL_TABLES:
            if name not in names:
                continue
            have = {c["name"] for c in inspect(conn).get_columns(name)}
            missing = [c for c in table(name).columns if c.name not in have]
            if not missing:
                continue
            if name == "referral" and "status" in have:
                if conn.execute(text("SELECT count(*) FROM referral")).scalar():
                    raise StoreError("operational.sqlite has referrals of the first schema; migrate by hand")
                conn.execute(text("DROP TABLE referral"))
                continue
            for column in missing:
                if not column.nullable and column.server_default is None:
                    raise StoreError(f"operational.sqlite: cannot add required column {name}.{column.name}")
                kind = column.type.compile(dialect=engine.dialect)
                conn.execute(text(f'ALTER TABLE "{name}" ADD COLUMN "{column.name}" {kind}'))
                log.info("embedded: added column %s.%s", name, column.name)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _lonlat(data: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    if data.num_rows == 0:
        return np.empty(0), np.empty(0)
    points = shapely.from_wkb(data.column("geometry").to_numpy(zero_copy_only=False))
    return shapely.get_x(points), shapely.get_y(points)


def _with_display(frame: gpd.GeoDataFrame, display: bool) -> gpd.GeoDataFrame:
    if not display:
        return frame.drop(columns=["display_geometry"], errors="ignore")
    out = frame.drop(columns=["geometry"]).rename(columns={"display_geometry": "geometry"})
    return gpd.GeoDataFrame(out, geometry="geometry", crs=STORAGE_SRID)


def _with_new_columns(name: str, data: pa.Table) -> pa.Table:
    """A file written before a nullable column joined the schema reads with that column null."""
    have = set(data.column_names)
    empty = None
    for col in table(name).columns:
        if col.name in have or not col.nullable:
            continue
        empty = empty if empty is not None else _empty_arrow(name)
        kind = empty.schema.field(col.name).type
        data = data.append_column(pa.field(col.name, kind), pa.nulls(data.num_rows, type=kind))
    return data


def _empty_arrow(name: str) -> pa.Table:
    frame = conform_frame(name, pd.DataFrame({c.name: [] for c in table(name).columns}))
    for col in geometry_columns(name):
        frame[col] = pd.Series([], dtype=object)
    schema_fields = []
    for col in frame.columns:
        if col in geometry_columns(name):
            schema_fields.append(pa.field(col, pa.binary()))
        else:
            schema_fields.append(pa.field(col, pa.Schema.from_pandas(frame[[col]], preserve_index=False).field(col).type))
    return pa.Table.from_pandas(frame, schema=pa.schema(schema_fields), preserve_index=False)
