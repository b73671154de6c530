"""Staged replace of a bulk table: rows written part by part, swapped in at the end in one step.

For writers that cannot (or should not) hold a whole table in memory, e.g. the Dask scoring
batch landing one partition's scores at a time (:mod:`models.batch`)::

    with store.staged_replace("risk_score") as staged:
        for part in parts:
            staged.append(part)        # checked against the schema, written to the staging area
    # here the table holds exactly the appended rows; readers saw the old table until now

If the block raises (or the process dies) the table keeps its previous rows and the staging area
is discarded. Where the parts go:

- embedded: a staged Parquet file beside the table, one row group per part (ParquetWriter), fsynced
  and switched in as the table's new version file by one manifest replace under the table's
  write lock (:mod:`geodata.store.manifest`). Rows keep the parts' order
  (each part sorted by key; reads sort when the file is not). A staged file left by a process
  that died is removed when the store is next opened, or by the next staged replace of the table.
- PostGIS: a session-local temporary table on one connection, filled by ``COPY`` per part (each
  part its own short transaction, so nothing on ``risk_score`` is locked while parts arrive),
  then one transaction truncates the table, inserts the staged rows, rebuilds the secondary
  indexes and bumps the write counter. A dead process's temporary table dies with its session.

Both stores reject duplicate primary keys across parts at the swap (nothing is written) and take
non-spatial tables only.
"""

from __future__ import annotations

import abc
import contextlib
import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from geodata.schema import BULK_TABLES
from geodata.store.errors import StoreError, StoreInputError
from geodata.store.frames import (
    check_table,
    conform_frame,
    geometry_columns,
    in_key_order,
    primary_key,
)

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from geodata.store.embedded import EmbeddedStore
    from geodata.store.postgis import PostgisStore

__all__ = ["StagedTable", "staged_embedded", "staged_postgis"]

log = logging.getLogger(__name__)
_ROW_GROUP = 262_144


class StagedTable(abc.ABC):
    """The staging area of one :meth:`Store.staged_replace` block."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.rows = 0
        self.parts = 0

    def append(self, frame: pd.DataFrame) -> int:
        """Check ``frame`` against the table's schema and stage it; return its row count.

        Raises
        ------
        StoreInputError
            The rows do not fit the schema (the whole staged replace is then abandoned by the
            caller's ``with`` block, like any other error).
        """
        data = in_key_order(conform_frame(self.table, frame), self.table)
        if len(data):
            self._write(data)
        self.rows += len(data)
        self.parts += 1
        return len(data)

    @abc.abstractmethod
    def _write(self, data: pd.DataFrame) -> None:
        """Add conformed rows to the staging area."""

    @abc.abstractmethod
    def _swap(self) -> None:
        """Replace the table by the staged rows in one atomic step."""

    @abc.abstractmethod
    def _discard(self) -> None:
        """Drop the staging area (the table is untouched)."""


def _check_stageable(table: str) -> None:
    check_table(table, BULK_TABLES)
    if geometry_columns(table):
        raise StoreInputError(f"table {table!r}: a staged replace takes non-spatial tables only")


@contextmanager
def _staging(staged: StagedTable) -> Iterator[StagedTable]:
    try:
        yield staged
        staged._swap()
    except BaseException:
        staged._discard()
        raise
    log.info("staged replace of %s: %d rows in %d parts", staged.table, staged.rows, staged.parts)


# --------------------------------------------------------------------------- embedded
class _EmbeddedStaged(StagedTable):
    def __init__(self, store: EmbeddedStore, table: str) -> None:
        super().__init__(table)
        self._store = store
        self._path = store.root / f"{table}.parquet.staged-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None

    def _write(self, data: pd.DataFrame) -> None:
        part = pa.Table.from_pandas(data, preserve_index=False)
        if self._writer is None:
            self._schema = part.schema
            self._writer = pq.ParquetWriter(self._path, self._schema, compression="lz4")
            os.chmod(self._path, 0o600)  # personal data: owner only
        elif not part.schema.equals(self._schema, check_metadata=False):
            part = part.cast(self._schema)
        try:
            self._writer.write_table(part, row_group_size=_ROW_GROUP)
        except (OSError, pa.ArrowException) as exc:
            raise StoreError(f"could not stage {self.table} in {self._path}: {exc}") from exc

    def _swap(self) -> None:
        from geodata.store.embedded import _empty_arrow

        if self._writer is None:  # no rows: the table becomes empty
            pq.write_table(_empty_arrow(self.table), self._path, compression="lz4")
            os.chmod(self._path, 0o600)
        else:
            self._writer.close()
            self._writer = None
            _reject_duplicate_keys(self.table, self._path)
        with open(self._path, "rb") as fh:
            os.fsync(fh.fileno())
        self._store.replace_with_file(self.table, self._path)  # one manifest switch

    def _discard(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.close()
            self._writer = None
        self._path.unlink(missing_ok=True)


def _reject_duplicate_keys(table: str, path: Path) -> None:
    """Raise :class:`StoreInputError` if two staged rows share a primary key (reads only the keys)."""
    pk = primary_key(table)
    keys = pq.read_table(path, columns=pk).combine_chunks()
    codes = []
    for name in pk:
        column = keys.column(name)
        codes.append(column.dictionary_encode().combine_chunks().indices.to_numpy()
                      if pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
                      else column.to_numpy())
    del keys
    order = np.lexsort(codes[::-1])
    same = np.ones(max(len(order) - 1, 0), dtype=bool)
    for code in codes:
        ordered = code[order]
        same &= ordered[1:] == ordered[:-1]
    if same.any():
        raise StoreInputError(f"table {table!r}: {int(same.sum())} staged rows repeat a primary key "
                              f"{pk}; nothing written")


def remove_dead_staging(root: Path, table: str) -> list[str]:
    """Remove the staged files of ``table`` in ``root`` whose writer process no longer runs.

    Returns the removed file names. A file whose process id is alive (its writer, or an
    unrelated process that reused the id) is kept for a later call.
    """
    removed: list[str] = []
    for path in root.glob(f"{table}.parquet.staged-*"):
        try:
            pid = int(path.name.rsplit("staged-", 1)[1].split("-", 1)[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            path.unlink(missing_ok=True)
            removed.append(path.name)
            log.info("removed %s (its writer died)", path.name)
        except (ValueError, IndexError, PermissionError):
            continue
    return removed


@contextmanager
def staged_embedded(store: EmbeddedStore, table: str) -> Iterator[StagedTable]:
    """:meth:`EmbeddedStore.staged_replace` (module docstring)."""
    _check_stageable(table)
    remove_dead_staging(store.root, table)
    with _staging(_EmbeddedStaged(store, table)) as staged:
        yield staged


# --------------------------------------------------------------------------- PostGIS
class _PostgisStaged(StagedTable):
    def __init__(self, store: PostgisStore, conn: Connection, table: str) -> None:
        super().__init__(table)
        self._store = store
        self._conn = conn
        self._staging = f"_stage_{table}"  # the COPY helper recognises the prefix
        with store._translate(f"stage {table}"), conn.begin():
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS pg_temp."{self._staging}"')
            conn.exec_driver_sql(
                f'CREATE TEMP TABLE "{self._staging}" (LIKE "{table}" INCLUDING DEFAULTS)')
        self._columns: list[str] | None = None

    def _write(self, data: pd.DataFrame) -> None:
        cols = list(data.columns)
        if self._columns is None:
            self._columns = cols
        with (self._store._translate(f"stage {self.table}"), self._conn.begin(),
              self._conn.connection.driver_connection.cursor() as cur):
            self._store._copy(cur, self._staging, cols, data)

    def _swap(self) -> None:
        from geodata.store.postgis import _BUMP_VERSION, _REINDEX_ROWS, _secondary_indexes

        with (self._store._translate(f"swap in staged {self.table}"), self._conn.begin(),
              self._conn.connection.driver_connection.cursor() as cur):
            cur.execute(f'TRUNCATE "{self.table}"')
            if self._columns is not None:
                indexes = _secondary_indexes(cur, self.table) if self.rows >= _REINDEX_ROWS else []
                for index_name, _ in indexes:
                    cur.execute(f'DROP INDEX "{index_name}"')
                col_list = ", ".join(f'"{c}"' for c in self._columns)
                cur.execute(f'INSERT INTO "{self.table}" ({col_list}) '
                            f'SELECT {col_list} FROM "{self._staging}"')
                for _, definition in indexes:
                    cur.execute(definition)
            cur.execute(_BUMP_VERSION, (self.table,))
            cur.execute(f'DROP TABLE "{self._staging}"')

    def _discard(self) -> None:
        try:
            if self._conn.in_transaction():
                self._conn.rollback()
            with self._conn.begin():
                self._conn.exec_driver_sql(f'DROP TABLE IF EXISTS pg_temp."{self._staging}"')
        except Exception:  # the connection is unusable: never hand it back to the pool
            self._conn.invalidate()


@contextmanager
def staged_postgis(store: PostgisStore, table: str) -> Iterator[StagedTable]:
    """:meth:`PostgisStore.staged_replace` (module docstring)."""
    _check_stageable(table)
    with store._translate(f"connect to stage {table}"):
        conn = store.engine.connect()
    try:
        with _staging(_PostgisStaged(store, conn, table)) as staged:
            yield staged
    finally:
        conn.close()
