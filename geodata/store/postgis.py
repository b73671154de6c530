"""The PostGIS store: the system of record for a municipality or the nation.

Bulk writes stream through ``COPY`` inside one transaction; a multi-table write (a whole world)
is one transaction too, which locks its replaced tables up front: readers of them wait and then
see the new world, and a killed load is rolled back by the server (its staging lives and dies
with the transaction, so nothing is left to clean). ``replace`` truncates first; ``upsert`` copies into a temporary table and merges
with ``INSERT ... ON CONFLICT``. Spatial queries are pushed down to SQL and use GiST indexes:
radius and nearest-neighbour queries run on ``ST_Transform(geometry, 5179)``, which has its own
expression index (see ``geodata.schema``).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, create_engine, func, select
from sqlalchemy.engine import make_url

from geodata.schema import BULK_TABLES, MEASURE_SRID, STORAGE_SRID, table
from geodata.store.base import (
    Store,
    StoreInputError,
    Where,
    _check_household_table,
    check_count_table,
    order_model_versions,
)
from geodata.store.frames import (
    FrameWrite,
    check_group_by,
    check_table,
    check_writes,
    conform_frame,
    conform_keys,
    geometry_columns,
    in_key_order,
    normalise_dates,
    primary_key,
    sorted_groups,
    to_geoframe,
    validate_columns,
)
from geodata.store.spec import StoreSpec
from geodata.store.sql import apply_where, count_statement
from geodata.store.staged import StagedTable, staged_postgis

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_COPY_CHUNK = 200_000
_REINDEX_ROWS = 50_000


class PostgisStore(Store):
    """Store on a PostGIS database reached through SQLAlchemy 2 + psycopg 3."""

    kind = "postgis"

    @classmethod
    def from_url(cls, url: str) -> PostgisStore:
        """Connect to ``url`` (``postgresql+psycopg://...``) with a pre-pinged pool."""
        parsed = make_url(url)
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=5)
        return cls(engine)

    def __repr__(self) -> str:
        return f"PostgisStore({self.location!r})"

    @property
    def location(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def reopen_spec(self) -> StoreSpec:
        return StoreSpec("postgis", self.engine.url.render_as_string(hide_password=False))

    def _secret(self) -> str | None:
        return self.engine.url.password

    # ------------------------------------------------------------------ lifecycle
    def init(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self._translate("migrate"), self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    # ------------------------------------------------------------------ bulk writes
    def write_frames(self, writes: Sequence[FrameWrite], *,
                     progress: Callable[[float, str], None] | None = None) -> list[int]:
        check_writes(writes, BULK_TABLES)
        what = "write " + ", ".join(w.table for w in writes)
        counts: list[int] = []
        # Replaced tables are locked up front, in name order (the order snapshot readers lock
        # in too: no deadlock), so no reader sees one of them new and another old.
        replaced = sorted(w.table for w in writes if w.mode == "replace")
        with self._translate(what), self.engine.begin() as conn:
            raw = conn.connection.driver_connection
            with raw.cursor() as cur:
                if replaced:
                    cur.execute(f"LOCK TABLE {_names(replaced)} IN ACCESS EXCLUSIVE MODE")
                for done, w in enumerate(writes, start=1):
                    data = (conform_keys(w.table, w.frame) if w.mode == "delete"
                            else in_key_order(conform_frame(w.table, w.frame), w.table))
                    self._write_in(cur, w.table, data, w.mode)
                    cur.execute(_BUMP_VERSION, (w.table,))  # same transaction: exact data_version
                    counts.append(len(data))
                    del data
                    if progress:
                        progress(done / (len(writes) + 1), f"staged {w.table}")
        if progress:
            progress(1.0, "switched")
        for w, rows in zip(writes, counts, strict=True):
            log.info("postgis: wrote %d rows to %s (%s)", rows, w.table, w.mode)
        return counts

    def _write_in(self, cur, table: str, data: pd.DataFrame, mode: str) -> None:
        """One table's write inside the caller's transaction."""
        cols = list(data.columns)
        pk = primary_key(table)
        pk_list = ", ".join(f'"{c}"' for c in pk)
        if mode == "replace":
            cur.execute(f'TRUNCATE "{table}"')
            # Building indexes once after the load beats maintaining them row by row.
            indexes = _secondary_indexes(cur, table) if len(data) >= _REINDEX_ROWS else []
            for index_name, _ in indexes:
                cur.execute(f'DROP INDEX "{index_name}"')
            self._copy(cur, table, cols, data, freeze=True)
            for _, definition in indexes:
                cur.execute(definition)
        elif mode == "append":
            self._copy(cur, table, cols, data)
        elif mode == "delete":
            staging = f"_stage_del_{table}"
            cur.execute(
                f'CREATE TEMP TABLE "{staging}" ON COMMIT DROP AS '
                f'SELECT {pk_list} FROM "{table}" WITH NO DATA'
            )
            self._copy(cur, staging, cols, data)
            match = " AND ".join(f't."{c}" = s."{c}"' for c in pk)
            cur.execute(f'DELETE FROM "{table}" t USING "{staging}" s WHERE {match}')
        else:
            staging = f"_stage_{table}"
            cur.execute(
                f'CREATE TEMP TABLE "{staging}" (LIKE "{table}" INCLUDING DEFAULTS) ON COMMIT DROP'
            )
            self._copy(cur, staging, cols, data)
            updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in cols if c not in pk)
            col_list = ", ".join(f'"{c}"' for c in cols)
            cur.execute(
                f'INSERT INTO "{table}" ({col_list}) SELECT {col_list} FROM "{staging}" '
                f"ON CONFLICT ({pk_list}) DO UPDATE SET {updates}"
            )

    def _copy(
        self, cur, name: str, cols: list[str], data: pd.DataFrame, *, freeze: bool = False
    ) -> None:
        """Stream ``data`` into ``name`` with COPY ... FROM STDIN (CSV written by Arrow), in chunks.

        ``freeze`` (only right after a TRUNCATE in the same transaction) writes the rows frozen,
        and with ``wal_level=minimal`` PostgreSQL then skips WAL for the load.
        """
        geoms = set(geometry_columns(name.removeprefix("_stage_del_").removeprefix("_stage_")))
        col_list = ", ".join(f'"{c}"' for c in cols)
        options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
        freezing = ", FREEZE" if freeze else ""
        with cur.copy(f'COPY "{name}" ({col_list}) FROM STDIN (FORMAT csv{freezing})') as copy:
            for start in range(0, len(data), _COPY_CHUNK):
                chunk = data.iloc[start : start + _COPY_CHUNK]
                buffer = io.BytesIO()
                pacsv.write_csv(_arrow_for_copy(chunk, geoms), buffer, write_options=options)
                copy.write(buffer.getbuffer())

    def staged_replace(self, table: str) -> AbstractContextManager[StagedTable]:
        return staged_postgis(self, table)

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
        stmt = apply_where(self._select(table, cols), table, where)
        return in_key_order(self._run_select(stmt, table, cols), table)

    def _select(self, name: str, cols: Sequence[str]):
        tbl = table(name)
        geoms = geometry_columns(name)
        exprs = [
            func.ST_AsBinary(tbl.c[c]).label(c) if c in geoms else tbl.c[c] for c in cols
        ]
        return select(*exprs)

    def _run_select(self, stmt, name: str, cols: Sequence[str], *,
                    conn: Connection | None = None) -> pd.DataFrame:
        if conn is not None:
            with self._translate(f"read {name}"):
                rows = self._fetch_rows(conn, stmt)
        else:
            with self._translate(f"read {name}"), self.engine.connect() as own:
                rows = self._fetch_rows(own, stmt)
        if rows:
            frame = pd.DataFrame.from_records(rows, columns=list(cols), coerce_float=False)
        else:
            frame = pd.DataFrame({c: [] for c in cols})
        frame = normalise_dates(frame, name)
        return to_geoframe(frame, name)

    def _fetch_rows(self, conn: Connection, stmt) -> list[tuple]:
        """Rows of ``stmt`` as plain tuples from a binary psycopg cursor on ``conn``.

        SQLAlchemy's ``Row`` objects and text-format parsing cost more than half of a national
        read (1,081,770 scores, 5 columns: 4.8 s through ``Connection.execute``, 1.8 s here).
        Nothing SQLAlchemy would convert is lost: psycopg gives ``float8`` as float, dates and
        timestamps as ``datetime`` objects and geometry (read as ``ST_AsBinary``) as WKB
        bytes; ``where`` values are plain Python scalars (``frames.where_values``). The contract
        tests compare the frames with what was written, on both stores.
        """
        compiled = stmt.compile(dialect=self.engine.dialect,
                                compile_kwargs={"render_postcompile": True})
        raw = conn.connection.driver_connection
        with raw.cursor(binary=True) as cur:
            cur.execute(str(compiled), compiled.params)
            return cur.fetchall()

    def count(self, table: str, *, where: Where | None = None) -> int:
        check_count_table(table)
        stmt = count_statement(table, where)
        with self._translate(f"count {table}"), self.engine.connect() as conn:
            return int(conn.scalar(stmt))

    def group_counts(self, table: str, by: Sequence[str], *, where: Where | None = None
                     ) -> pd.DataFrame:
        cols = check_group_by(table, by)
        tbl = check_table(table, BULK_TABLES)
        keys = [tbl.c[c] for c in cols]
        stmt = apply_where(select(*keys, func.count().label("rows")), table, where).group_by(*keys)
        with self._translate(f"count {table} by {', '.join(cols)}"), self.engine.connect() as conn:
            rows = self._fetch_rows(conn, stmt)
        frame = pd.DataFrame.from_records(rows, columns=[*cols, "rows"]) if rows else \
            pd.DataFrame({c: [] for c in [*cols, "rows"]})
        return sorted_groups(frame, table, cols)

    def data_version(self, *tables: str) -> tuple[object, ...]:
        """``(table, write counter)`` per table, from ``table_version`` (one tiny query);
        ``facility`` adds the live occupancy's stamp."""
        for name in tables:
            check_table(name, BULK_TABLES)
        if not tables:
            return ()
        versions = table("table_version")
        stmt = select(versions.c.table_name, versions.c.version).where(
            versions.c.table_name.in_(list(tables)))
        with self._translate("read data version"), self.engine.connect() as conn:
            found = dict(conn.execute(stmt).all())
        out: list[object] = [(name, int(found.get(name, 0))) for name in tables]
        if "facility" in tables:  # referrals change 현원 row by row, recorded in facility_occupancy
            out.append(("facility_occupancy", self._occupancy_stamp()))
        return tuple(out)

    def household_records(self, household_id: int, tables: Sequence[str]
                          ) -> dict[str, pd.DataFrame]:
        """Each table's rows of one household, read in one snapshot (:meth:`_snapshot`)."""
        for name in tables:
            _check_household_table(name)
        return self._snapshot_read(tables, {"household_id": int(household_id)})

    def read_frames(self, tables: Sequence[str]) -> dict[str, pd.DataFrame]:
        for name in tables:
            check_table(name, BULK_TABLES)
        return self._snapshot_read(tables, None)

    def _snapshot_read(self, tables: Sequence[str], where: Where | None
                       ) -> dict[str, pd.DataFrame]:
        """Each table (filtered by ``where``) in one REPEATABLE READ, read-only transaction that
        locks the tables (ACCESS SHARE, name order) before its snapshot is taken: a world load
        in progress holds them, so the snapshot comes after its commit, never between."""
        out: dict[str, pd.DataFrame] = {}
        with self._translate("read " + ", ".join(tables)), self.engine.connect().execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True) as conn, conn.begin():
            if tables:
                conn.exec_driver_sql(f"LOCK TABLE {_names(sorted(set(tables)))} IN ACCESS SHARE MODE")
            for name in tables:
                cols = validate_columns(name, None)
                stmt = apply_where(self._select(name, cols), name, where)
                out[name] = in_key_order(self._run_select(stmt, name, cols, conn=conn), name)
        return out

    def model_versions(self) -> pd.DataFrame:
        tbl = table("risk_score")
        stmt = (select(tbl.c.model_version, func.max(tbl.c.scored_at).label("scored_at"),
                       func.count().label("households"))
                .group_by(tbl.c.model_version))
        with self._translate("read model versions"), self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return order_model_versions(pd.DataFrame(rows, columns=["model_version", "scored_at",
                                                                "households"]))

    # ------------------------------------------------------------------ spatial queries
    def regions(
        self, level: str, *, parent_code: str | None = None, display: bool = False
    ) -> gpd.GeoDataFrame:
        where: dict[str, object] = {"level": level}
        if parent_code is not None:
            where["parent_code"] = parent_code
        cols = [c for c in validate_columns("region", None) if c != ("geometry" if display else "display_geometry")]
        frame = self.read_frame("region", columns=cols, where=where)
        if display:
            frame = frame.rename(columns={"display_geometry": "geometry"})
            frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=STORAGE_SRID)
        return frame

    def households_within(
        self, area: BaseGeometry, *, columns: Sequence[str] | None = None
    ) -> gpd.GeoDataFrame:
        cols = _with_geometry(validate_columns("household", columns))
        tbl = table("household")
        shape = func.ST_GeomFromWKB(shapely.to_wkb(area), STORAGE_SRID)
        stmt = self._select("household", cols).where(func.ST_Intersects(tbl.c.geometry, shape))
        return self._run_select(stmt.order_by(tbl.c.household_id), "household", cols)

    def households_near(
        self, point: BaseGeometry, *, radius_m: float, columns: Sequence[str] | None = None
    ) -> gpd.GeoDataFrame:
        cols = _with_geometry(validate_columns("household", columns))
        tbl = table("household")
        here = func.ST_Transform(func.ST_SetSRID(func.ST_MakePoint(point.x, point.y), STORAGE_SRID), MEASURE_SRID)
        there = func.ST_Transform(tbl.c.geometry, MEASURE_SRID)
        distance = func.ST_Distance(there, here)
        stmt = (
            self._select("household", cols)
            .add_columns(distance.label("distance_m"))
            .where(func.ST_DWithin(there, here, radius_m))
            .order_by(distance, tbl.c.household_id)
        )
        return self._run_select(stmt, "household", [*cols, "distance_m"])

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
        cols = validate_columns("facility", None)
        tbl = table("facility")
        here = func.ST_Transform(func.ST_SetSRID(func.ST_MakePoint(point.x, point.y), STORAGE_SRID), MEASURE_SRID)
        there = func.ST_Transform(tbl.c.geometry, MEASURE_SRID)
        stmt = self._select("facility", cols).add_columns(func.ST_Distance(there, here).label("distance_m"))
        if type_codes:
            stmt = stmt.where(tbl.c.type_code.in_(list(type_codes)))
        if free_places_only:
            stmt = stmt.where(tbl.c.capacity > tbl.c.current_users)
        stmt = stmt.order_by(there.op("<->")(here)).limit(k)  # KNN on the expression index
        frame = self._run_select(stmt, "facility", [*cols, "distance_m"])
        frame["free_places"] = (frame["capacity"] - frame["current_users"]).clip(lower=0)
        return frame.sort_values(["distance_m", "facility_id"], kind="stable").reset_index(drop=True)


_BUMP_VERSION = (
    "INSERT INTO table_version (table_name, version, changed_at) VALUES (%s, 1, now()) "
    "ON CONFLICT (table_name) DO UPDATE "
    "SET version = table_version.version + 1, changed_at = now()"
)


def _arrow_for_copy(chunk: pd.DataFrame, geoms: set[str]) -> pa.Table:
    """Arrow table of ``chunk`` in PostgreSQL's CSV input forms (hex EWKB, ISO dates)."""
    arrays = {}
    for col in chunk.columns:
        values = chunk[col]
        if col in geoms:
            arrays[col] = pa.array(_ewkb_hex(values.to_numpy()), type=pa.string())
        elif values.dtype == "datetime64[ns]":
            arrays[col] = pa.array(values.to_numpy(), type=pa.timestamp("ns"), from_pandas=True).cast(pa.date32())
        else:
            arrays[col] = pa.array(values, from_pandas=True)
    return pa.table(arrays)


_HEX = np.array([f"{i:02X}".encode() for i in range(256)], dtype="S2")
_POINT_EWKB_HEADER = np.frombuffer(
    b"\x01" + (0x20000001).to_bytes(4, "little") + STORAGE_SRID.to_bytes(4, "little"), dtype=np.uint8
)


def _ewkb_hex(geoms: np.ndarray) -> np.ndarray:
    """Hex EWKB (with SRID) of ``geoms``; points are encoded with numpy, 10x faster than GEOS."""
    if len(geoms) and shapely.get_type_id(geoms).max() == 0 and shapely.get_type_id(geoms).min() == 0:
        raw = np.empty((len(geoms), 25), dtype=np.uint8)
        raw[:, :9] = _POINT_EWKB_HEADER
        xy = np.ascontiguousarray(shapely.get_coordinates(geoms), dtype="<f8")
        raw[:, 9:] = xy.view(np.uint8).reshape(len(geoms), 16)
        return _HEX[raw].view("S50").ravel().astype(str)
    geom = shapely.set_srid(geoms, STORAGE_SRID)
    return shapely.to_wkb(geom, hex=True, include_srid=True)


def _secondary_indexes(cur, name: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of every index of ``name`` except its primary key."""
    cur.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "JOIN pg_class c ON c.relname = i.indexname "
        "JOIN pg_index x ON x.indexrelid = c.oid "
        "WHERE i.tablename = %s AND i.schemaname = current_schema() AND NOT x.indisprimary",
        (name,),
    )
    return [(row[0], row[1]) for row in cur.fetchall()]


def _names(tables: Sequence[str]) -> str:
    """Quoted table names for a statement (names come from the schema, never from input)."""
    return ", ".join(f'"{t}"' for t in tables)


def _with_geometry(cols: list[str]) -> list[str]:
    return cols if "geometry" in cols else [*cols, "geometry"]
