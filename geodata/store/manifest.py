"""The embedded store's manifest: which file holds each bulk table, switched in one step.

Every bulk table lives in an immutable version file ``<table>.<token>.parquet``. The manifest
(``manifest.json``) names the current file of each table; a write of one table or of a whole
world writes its new files completely (fsynced), then replaces the manifest with one
``os.replace`` (the manifest is written to ``manifest.json.tmp-<pid>`` and fsynced first, the
folder is fsynced after). So every reader, and every process killed at any point, sees either the
old manifest or the new one: one world, never a mix. Readers resolve tables through one manifest
(a snapshot), files the manifest no longer names are removed by the writer after the switch, and
a killed writer's files are removed by the next open (:func:`leftovers`).

A folder written before manifests existed holds ``<table>.parquet`` files and no manifest: it is
read as a manifest naming those files (:func:`legacy_manifest`), and the first write adopts them.

The manifest also carries the one SQLite follow-up of a facility write (``occupancy_void``): the
live 정원/현원 rows in ``operational.sqlite`` written before the facilities were reloaded no
longer apply. The manifest switch makes them void at once (readers ignore them); deleting them
afterwards is tidying up, redone at the next open if the writer was killed in between.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geodata.store.errors import StoreError

MANIFEST = "manifest.json"
FORMAT = 1
_VERSION_FILE = re.compile(r"^(?P<table>[a-z_]+)\.(?P<token>[0-9a-f]{16})\.parquet$")
_LEGACY_FILE = re.compile(r"^(?P<table>[a-z_]+)\.parquet$")
_LEGACY_TMP = re.compile(r"^(?P<table>[a-z_]+)\.parquet\.tmp-\d+$")
_MANIFEST_TMP = re.compile(rf"^{re.escape(MANIFEST)}\.tmp-\d+$")


@dataclass(frozen=True, slots=True)
class OccupancyVoid:
    """Live occupancy rows made void by a facility write.

    Attributes
    ----------
    before
        Rows updated before this moment (UTC) no longer apply ...
    facility_ids
        ... for these facilities (``None``: all, after a replace of the whole table).
    """

    before: dt.datetime
    facility_ids: tuple[int, ...] | None = None

    def applies(self, facility_ids: pd.Series, updated_at: pd.Series) -> pd.Series:
        """Boolean mask of the occupancy rows this void covers."""
        stamp = pd.to_datetime(updated_at, utc=True)
        hit = stamp < pd.Timestamp(self.before)
        if self.facility_ids is not None:
            hit &= facility_ids.isin(self.facility_ids)
        return hit


@dataclass(frozen=True, slots=True)
class Manifest:
    """One consistent state of the store's bulk tables.

    Attributes
    ----------
    tables
        Table name -> file name (relative to the store folder) of its current version.
    generation
        Incremented by every switch (0: no manifest written yet).
    occupancy_void
        The latest facility write's void occupancy rows, if any.
    """

    tables: Mapping[str, str] = field(default_factory=dict)
    generation: int = 0
    occupancy_void: OccupancyVoid | None = None

    def switched(self, files: Mapping[str, str], void: OccupancyVoid | None) -> Manifest:
        """The manifest after a write that replaced the files of ``files``' tables."""
        tables = {**self.tables, **files}
        return Manifest(tables=dict(sorted(tables.items())), generation=self.generation + 1,
                        occupancy_void=void if void is not None else self.occupancy_void)

    def to_json(self) -> str:
        void = None
        if self.occupancy_void is not None:
            ids = self.occupancy_void.facility_ids
            void = {"before": self.occupancy_void.before.isoformat(),
                    "facility_ids": None if ids is None else list(ids)}
        return json.dumps({"format": FORMAT, "generation": self.generation,
                           "tables": dict(self.tables), "occupancy_void": void}, indent=1)

    @classmethod
    def from_json(cls, text: str, where: Path) -> Manifest:
        try:
            raw = json.loads(text)
            if raw.get("format") != FORMAT:
                raise ValueError(f"format {raw.get('format')!r}, expected {FORMAT}")
            void = raw.get("occupancy_void")
            return cls(
                tables={str(k): str(v) for k, v in raw["tables"].items()},
                generation=int(raw["generation"]),
                occupancy_void=None if void is None else OccupancyVoid(
                    before=dt.datetime.fromisoformat(void["before"]),
                    facility_ids=None if void["facility_ids"] is None
                    else tuple(int(i) for i in void["facility_ids"])),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StoreError(f"unreadable store manifest {where}: {exc}") from exc


def version_file(table: str) -> str:
    """A new, never reused file name for a version of ``table``."""
    return f"{table}.{uuid.uuid4().hex[:16]}.parquet"


def legacy_manifest(root: Path, tables: Sequence[str]) -> Manifest:
    """The manifest of a folder without one: the ``<table>.parquet`` files that exist."""
    return Manifest(tables={t: f"{t}.parquet" for t in tables if (root / f"{t}.parquet").exists()})


def read_manifest(root: Path, tables: Sequence[str]) -> tuple[tuple[int, int, int], Manifest]:
    """``(stat key, manifest)`` of the folder (the stat key is ``(0, 0, 0)`` without one)."""
    path = root / MANIFEST
    try:
        with open(path, encoding="utf-8") as fh:
            stat = os.fstat(fh.fileno())
            text = fh.read()
    except FileNotFoundError:
        if not root.is_dir():  # a lost folder is not an empty store (app/failures.py shows it)
            raise StoreError(f"the store folder {root} is missing") from None
        return (0, 0, 0), legacy_manifest(root, tables)
    except OSError as exc:
        raise StoreError(f"could not read the store manifest {path}: {exc}") from exc
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size), Manifest.from_json(text, path)


def manifest_key(root: Path) -> tuple[int, int, int]:
    """The stat key of the current manifest (cheap: one ``stat``)."""
    try:
        stat = (root / MANIFEST).stat()
    except FileNotFoundError:
        return (0, 0, 0)
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def write_manifest(root: Path, manifest: Manifest) -> None:
    """Replace the manifest in one atomic, durable step (caller holds the manifest lock)."""
    path = root / MANIFEST
    tmp = root / f"{MANIFEST}.tmp-{os.getpid()}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(manifest.to_json())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        fsync_dir(root)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"could not write the store manifest {path}: {exc}") from exc


def fsync_dir(root: Path) -> None:
    """Make the folder's renames durable."""
    fd = os.open(root, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def leftovers(root: Path, manifest: Manifest, tables: Sequence[str]) -> dict[str, list[Path]]:
    """Files of each table that ``manifest`` does not name: version files of a killed or failed
    write, files a switch replaced, ``*.parquet.tmp-<pid>`` files of older versions, and legacy
    ``<table>.parquet`` files once a manifest exists. Keyed by table; remove them only while
    holding the table's write lock (a live writer holds it while its new files are unnamed)."""
    live = set(manifest.tables.values())
    known = set(tables)
    out: dict[str, list[Path]] = {}
    has_manifest = (root / MANIFEST).exists()
    for path in root.iterdir():
        name = path.name
        match = _VERSION_FILE.match(name) or _LEGACY_TMP.match(name)
        if match is None and has_manifest:
            match = _LEGACY_FILE.match(name)
        if match is None or name in live or match["table"] not in known:
            continue
        out.setdefault(match["table"], []).append(path)
    return out


def manifest_leftovers(root: Path) -> list[Path]:
    """``manifest.json.tmp-<pid>`` files (remove only while holding the manifest lock)."""
    return [p for p in root.iterdir() if _MANIFEST_TMP.match(p.name)]


def private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist (SQLite keeps the mode)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return
