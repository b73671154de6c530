"""Bulk writes of the embedded store: new version files, switched in by one manifest replace.

:class:`ManifestWrites` is the write half of :class:`geodata.store.embedded.EmbeddedStore`
(split off to keep each module short): ``write_frames`` writes every table's new version file
(two at a time), then switches them all with one manifest replace; ``remove_leftovers`` tidies
what a killed write left. See :mod:`geodata.store.manifest` for the layout and the SQLite side.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import shapely
from sqlalchemy.orm import Session

from geodata.schema import BULK_TABLES, STORAGE_SRID
from geodata.store.errors import StoreError, StoreInputError
from geodata.store.frames import (
    FrameWrite,
    check_writes,
    conform_frame,
    conform_keys,
    geometry_columns,
    in_key_order,
    primary_key,
)
from geodata.store.manifest import (
    Manifest,
    OccupancyVoid,
    leftovers,
    manifest_leftovers,
    private_file,
    read_manifest,
    version_file,
    write_manifest,
)
from geodata.store.referrals import forget_occupancy
from geodata.store.staged import remove_dead_staging

log = logging.getLogger("geodata.store.embedded")


class ManifestWrites:
    """Bulk writes and leftover removal of the embedded store (a mixin of ``EmbeddedStore``)."""

    root: Path

    if TYPE_CHECKING:  # provided by EmbeddedStore and Store
        def _manifest(self) -> Manifest: ...
        def _arrow_in(self, name: str, manifest: Manifest
                      ) -> tuple[tuple[object, ...], pa.Table]: ...
        def session(self) -> AbstractContextManager[Session]: ...

    # ------------------------------------------------------------------ bulk writes
    def write_frames(self, writes: Sequence[FrameWrite], *,
                     progress: Callable[[float, str], None] | None = None) -> list[int]:
        check_writes(writes, BULK_TABLES)
        step = _Steps(progress, len(writes) + 1)
        with ExitStack() as locks:
            for name in sorted({w.table for w in writes}):
                locks.enter_context(self._write_lock(name))
            base = read_manifest(self.root, BULK_TABLES)[1]  # our tables' entries are ours now
            if any(w.table == "facility" for w in writes) and base.occupancy_void is not None:
                self._forget_void(base.occupancy_void)  # the new void replaces the old one
            # Two tables at once: Arrow encodes and compresses outside the GIL.
            with ThreadPoolExecutor(max_workers=min(2, len(writes)) or 1) as pool:
                futures = [pool.submit(self._stage, w, base, step) for w in writes]
                wait(futures)
            staged = [f.result() for f in futures if f.exception() is None]
            failed = next((f.exception() for f in futures if f.exception() is not None), None)
            try:
                if failed is not None:  # the files of the other tables are removed below
                    files = {file: file for file, _, _ in staged}
                    raise failed
                files = {w.table: file for w, (file, _, _) in zip(writes, staged, strict=True)}
                void = next((OccupancyVoid(_utc_now(), ids) for w, (_, _, ids)
                             in zip(writes, staged, strict=True) if w.table == "facility"), None)
                replaced = self._switch(files, void)
            except BaseException:
                for file in files.values():
                    (self.root / file).unlink(missing_ok=True)
                raise
            step("switched")
            for file in replaced:  # readers holding the old snapshot retry with the new one
                (self.root / file).unlink(missing_ok=True)
            if void is not None:
                self._forget_void(void)
        counts = [rows for _, rows, _ in staged]
        for w, rows in zip(writes, counts, strict=True):
            log.info("embedded: wrote %d rows to %s (%s)", rows, w.table, w.mode)
        return counts

    def _stage(self, w: FrameWrite, base: Manifest, step: _Steps
               ) -> tuple[str, int, tuple[int, ...] | None]:
        """Write one table's new version file; ``(file, rows, facility ids made void)``."""
        new = (conform_keys(w.table, w.frame) if w.mode == "delete"
               else in_key_order(conform_frame(w.table, w.frame), w.table))  # files in key order
        combined = self._combine(w.table, new, w.mode, base)
        file = self._write_version(w.table, combined)
        step(f"staged {w.table}")
        ids = None  # a replaced facility table voids every live occupancy row
        if w.table == "facility" and w.mode != "replace":
            ids = tuple(int(i) for i in new["facility_id"])
        return file, len(new), ids

    def _switch(self, files: dict[str, str], void: OccupancyVoid | None) -> list[str]:
        """Name ``files`` in the manifest in one atomic step; return the files no longer named."""
        with self._manifest_lock():
            current = read_manifest(self.root, BULK_TABLES)[1]
            write_manifest(self.root, current.switched(files, void))
        return [current.tables[t] for t in files
                if t in current.tables and current.tables[t] != files[t]]

    def replace_with_file(self, name: str, path: Path) -> None:
        """Make the complete, fsynced Parquet file ``path`` (in the store folder) the new version
        of table ``name``, in one manifest switch (the staged replace's swap)."""
        with self._write_lock(name):
            file = version_file(name)
            os.replace(path, self.root / file)
            try:
                replaced = self._switch({name: file}, None)
            except BaseException:
                (self.root / file).unlink(missing_ok=True)
                raise
            for old in replaced:
                (self.root / old).unlink(missing_ok=True)

    def _forget_void(self, void: OccupancyVoid) -> None:
        """Delete the live occupancy rows ``void`` covers (idempotent; readers ignore them)."""
        with self.session() as session:
            forget_occupancy(session, void.facility_ids, before=void.before)

    def _combine(self, name: str, new: pd.DataFrame, mode: str, base: Manifest) -> pd.DataFrame:
        """The table's full new content after a write of ``new`` in ``mode``."""
        if mode == "replace":
            return new
        if name not in base.tables:
            return new.iloc[0:0] if mode == "delete" else new
        old = self._read_all(name, base)
        pk = primary_key(name)
        old_keys = pd.MultiIndex.from_frame(old[pk])
        new_keys = pd.MultiIndex.from_frame(new[pk])
        hit = old_keys.isin(new_keys)
        if mode == "delete":
            return old[~hit].reset_index(drop=True)
        if mode == "append" and hit.any():
            raise StoreInputError(
                f"table {name!r}: {int(hit.sum())} rows to append already exist (keys {pk})"
            )
        return in_key_order(pd.concat([old[~hit], new], ignore_index=True), name)

    def _read_all(self, name: str, base: Manifest) -> pd.DataFrame:
        frame = self._arrow_in(name, base)[1].to_pandas(date_as_object=False)
        for col in geometry_columns(name):
            frame[col] = shapely.from_wkb(frame[col].to_numpy())
        return conform_frame(name, frame)

    def _write_version(self, name: str, frame: pd.DataFrame) -> str:
        """Write ``frame`` as a new version file of the table (fsynced); return its name."""
        file = version_file(name)
        path = self.root / file
        geoms = geometry_columns(name)
        try:
            private_file(path)  # personal data: owner only, from the first byte
            if geoms:
                gdf = gpd.GeoDataFrame(frame, geometry=geoms[0], crs=STORAGE_SRID)
                for col in geoms[1:]:
                    gdf[col] = gpd.GeoSeries(frame[col].to_numpy(), crs=STORAGE_SRID)
                gdf.to_parquet(path, index=False, compression="lz4", row_group_size=262_144)
            else:
                frame.to_parquet(path, index=False, compression="lz4", row_group_size=262_144)
            os.chmod(path, 0o600)
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
        except Exception as exc:
            path.unlink(missing_ok=True)
            raise StoreError(f"could not write {name} to {path}: {exc}") from exc
        return file

    @contextmanager
    def _write_lock(self, name: str, *, blocking: bool = True) -> Iterator[bool]:
        """Exclusive lock for writers of one table (across threads and processes); yields
        whether it was taken (always, when ``blocking``)."""
        with self._file_lock(f".{name}.lock", blocking) as taken:
            yield taken

    @contextmanager
    def _manifest_lock(self, *, blocking: bool = True) -> Iterator[bool]:
        """Exclusive lock for switching the manifest (taken after any table locks)."""
        with self._file_lock(".manifest.lock", blocking) as taken:
            yield taken

    @contextmanager
    def _file_lock(self, file: str, blocking: bool) -> Iterator[bool]:
        lock = self.root / file
        private_file(lock)
        with open(lock, "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def remove_leftovers(self) -> list[str]:
        """Remove what killed writes left behind; return the removed file names.

        Files the manifest does not name (new versions of a write that never switched, old
        versions a switch replaced, ``*.tmp-<pid>`` files) are removed under their table's write
        lock, so a live writer's files are never touched (its table is skipped, for the next
        open); so are staged files whose writer process died (:mod:`geodata.store.staged`). Void occupancy rows of an interrupted facility write are deleted. Runs when the
        store is opened, with a log line naming what it removed.
        """
        removed: list[str] = []
        try:
            for name in sorted(leftovers(self.root, self._manifest(), BULK_TABLES)):
                with self._write_lock(name, blocking=False) as taken:
                    if not taken:
                        continue
                    current = read_manifest(self.root, BULK_TABLES)[1]
                    for path in leftovers(self.root, current, BULK_TABLES).get(name, []):
                        path.unlink(missing_ok=True)
                        removed.append(path.name)
            with self._manifest_lock(blocking=False) as taken:
                for path in manifest_leftovers(self.root) if taken else []:
                    path.unlink(missing_ok=True)
                    removed.append(path.name)
            for name in BULK_TABLES:  # staged replaces whose process died (geodata.store.staged)
                removed.extend(remove_dead_staging(self.root, name))
        except OSError as exc:
            log.warning("embedded: could not remove leftovers in %s: %s", self.root, exc)
        if removed:
            log.warning("embedded: removed %d leftovers of interrupted writes in %s: %s",
                        len(removed), self.root, ", ".join(sorted(removed)))
        void = self._manifest().occupancy_void
        if void is not None:
            try:
                self._forget_void(void)
            except StoreError as exc:  # a broken operational.sqlite reports itself when used
                log.warning("embedded: void occupancy rows not deleted: %s", exc)
        return removed


class _Steps:
    """Thread-safe progress of a multi-table write: ``progress(done / total, what)``."""

    def __init__(self, progress: Callable[[float, str], None] | None, total: int) -> None:
        self._progress = progress
        self._total = total
        self._done = 0
        self._lock = threading.Lock()

    def __call__(self, what: str) -> None:
        if self._progress is None:
            return
        with self._lock:
            self._done += 1
            self._progress(self._done / self._total, what)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
