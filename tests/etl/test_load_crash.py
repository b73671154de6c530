"""A world load killed at any moment leaves the old world or the new one (both stores).

A forked child process opens the store from its spec and loads world B (2,000 households) over
world A (the 3,000-household small world, with scores); the parent SIGKILLs it

- at every phase boundary: the child's ``progress`` callback (the documented argument of
  ``load_world``, here test code) reports each step and then waits, so the kill lands exactly
  after table k is staged, or right after the switch;
- at 12 times spread over the measured duration of an uninterrupted load, and once after it.

After each kill the store is reopened and must hold exactly world A or exactly world B, be
consistent across tables, carry one data version, and have no leftovers of the killed load.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from etl.load import household_tables, load_world
from geodata.schema import BULK_TABLES
from geodata.store import Store, StoreSpec, open_store
from geodata.store.frames import geometry_columns

log = logging.getLogger(__name__)
TIMED_KILLS = 12
_CTX = mp.get_context("fork")  # the child inherits both worlds: no pickling, no slow start


@pytest.fixture(scope="module")
def world_b(region_layers) -> dict[str, pd.DataFrame]:
    from etl.generate import generate_world

    return generate_world(2000, seed=11, sido_codes=["11"], regions=region_layers)


def _scores(households: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"household_id": households["household_id"].to_numpy(),
                         "model_version": "crash-test", "scored_at": pd.Timestamp.now(tz="UTC"),
                         "probability": 0.5, "tier": 3, "rank": range(1, len(households) + 1),
                         "jurisdiction_code": households["emd_code"].to_numpy(), "reasons": "[]"})


# ------------------------------------------------------------------ the child
def _child(spec: StoreSpec, world: dict[str, pd.DataFrame], pause_at: int | None, conn) -> None:
    """Open the store and load ``world``; report each progress step (and wait at ``pause_at``)."""
    store = open_store(spec)
    steps = 0

    def report(_fraction: float, step: str) -> None:
        nonlocal steps
        steps += 1
        conn.send(("step", steps, step))
        if steps == pause_at:
            conn.recv()  # never answered: the parent kills us here

    conn.send(("start", time.perf_counter()))
    load_world(store, world, progress=report)
    conn.send(("done", time.perf_counter()))
    conn.recv()


@dataclass
class Run:
    process: mp.Process
    conn: object
    started: float = 0.0
    steps: list[str] = field(default_factory=list)

    def wait_for(self, kind: str, count: int | None = None, timeout: float = 60.0) -> tuple:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.conn.poll(0.05):
                if not self.process.is_alive():
                    raise AssertionError(f"child ended (exit {self.process.exitcode}) before {kind}")
                continue
            msg = self.conn.recv()
            if msg[0] == "step":
                self.steps.append(msg[2])
            if msg[0] == kind and (count is None or msg[1] == count):
                return msg
        raise AssertionError(f"no {kind} {count} within {timeout} s; steps {self.steps}")

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.join(10)
        assert self.process.exitcode == -signal.SIGKILL


def _spawn(spec: StoreSpec, world, pause_at: int | None = None) -> Run:
    parent, child = _CTX.Pipe()
    process = _CTX.Process(target=_child, args=(spec, world, pause_at, child), daemon=True)
    process.start()
    run = Run(process, parent)
    run.started = run.wait_for("start")[1]
    return run


# ------------------------------------------------------------------ checks
def _fingerprints(store: Store) -> dict[str, int]:
    """A content hash per bulk table, all read from one snapshot; checks consistency too."""
    frames = store.read_frames(BULK_TABLES)
    _check_consistent(frames)
    out = {}
    for name, frame in frames.items():
        plain = pd.DataFrame(frame).drop(columns=list(geometry_columns(name)), errors="ignore")
        out[name] = int(pd.util.hash_pandas_object(plain, index=False).sum()) ^ len(frame)
    return out


def _check_consistent(frames: dict[str, pd.DataFrame]) -> None:
    hh = frames["household"]
    ids = pd.Index(hh["household_id"])
    persons = frames["person"]
    assert persons["household_id"].isin(ids).all(), "persons of households that do not exist"
    counts = persons.groupby("household_id").size().reindex(ids, fill_value=0)
    mismatched = int((counts.to_numpy() != hh["size"].to_numpy()).sum())
    assert mismatched == 0, f"{mismatched} households whose size is not their person count"
    for name in household_tables():
        assert frames[name]["household_id"].isin(ids).all(), f"{name} rows of unknown households"


def _outcome(got: dict[str, int], old: dict[str, int], new: dict[str, int]) -> str:
    """'old' or 'new' when every table is that world's (tables equal in both are skipped)."""
    worlds = {"old", "new"}
    for name, value in got.items():
        matches = {w for w, ref in (("old", old), ("new", new)) if ref[name] == value}
        assert matches, f"table {name} is neither the old nor the new world's"
        worlds &= matches
    assert len(worlds) == 1, f"a mixed world: {got} vs old {old} / new {new}"
    return worlds.pop()


def _versions_agree(before: tuple, after: tuple) -> str:
    """All world tables kept their data version, or all changed (one unit)."""
    changed = [a != b for a, b in zip(before, after, strict=True)
               if a[0] != "facility_occupancy"]  # live 정원/현원, not written by a load
    assert all(changed) or not any(changed), f"some tables changed version: {before} -> {after}"
    return "new" if all(changed) else "old"


def _leftovers(store: Store, spec: StoreSpec) -> list[str]:
    """What a killed load could leave: files the manifest does not name, or PostGIS staging
    tables and sessions of the dead child."""
    if spec.kind == "embedded":
        import json

        root = Path(spec.location)
        named = set(json.loads((root / "manifest.json").read_text())["tables"].values())
        return sorted(p.name for p in root.iterdir()
                      if (".parquet" in p.name and p.name not in named) or ".tmp-" in p.name)
    with store.session() as session:
        from sqlalchemy import text

        tables = session.execute(text(
            "SELECT relname FROM pg_class WHERE relname LIKE '\\_stage%' AND relpersistence = 'p'"
        )).scalars().all()
    return list(tables)


def _reset(store: Store, old: dict[str, pd.DataFrame]) -> None:
    load_world(store, old)


def _reopen(spec: StoreSpec) -> Store:
    """The store as the next process opens it (the embedded open removes leftovers)."""
    deadline = time.monotonic() + 30
    reopened = open_store(spec)
    if spec.kind == "postgis":  # the server rolls the dead child's transaction back
        from sqlalchemy import text

        while time.monotonic() < deadline:
            with reopened.session() as session:
                busy = session.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND state <> 'idle'")).scalar()
            if not busy:
                break
            time.sleep(0.1)
        assert not busy, "the killed load's session is still open after 30 s"
    return reopened


def test_a_killed_world_load_leaves_one_whole_world(store: Store, small_world, world_b,
                                                    capsys) -> None:
    spec = store.reopen_spec()
    old = {**small_world, "risk_score": _scores(small_world["household"])}
    tables = list(BULK_TABLES)

    # Reference fingerprints and the duration of an uninterrupted load.
    load_world(store, world_b)
    new_print = _fingerprints(store)
    _reset(store, old)
    old_print = _fingerprints(store)
    run = _spawn(spec, world_b)
    done = run.wait_for("done")[1]
    duration = done - run.started
    run.kill()
    reopened = _reopen(spec)
    assert _fingerprints(reopened) == new_print
    reopened.close()
    phases = len(run.steps)
    assert phases == len(tables) + 1 and run.steps[-1] == "switched"

    outcomes: dict[str, int] = {"old": 0, "new": 0}
    removed = 0
    kills = [("step", k) for k in range(1, phases + 1)]
    kills += [("time", duration * (i + 0.5) / TIMED_KILLS) for i in range(TIMED_KILLS)]
    kills += [("done", 0)]  # after a whole load: the new world, its old files already gone
    for how, when in kills:
        _reset(store, old)
        before = store.data_version(*tables)
        run = _spawn(spec, world_b, pause_at=when if how == "step" else None)
        if how == "step":
            run.wait_for("step", when)
        elif how == "done":
            run.wait_for("done")
        else:
            time.sleep(max(0.0, when - (time.perf_counter() - run.started)))
        run.kill()
        if spec.kind == "embedded":
            stray = _leftovers(store, spec)
        reopened = _reopen(spec)
        after = reopened.data_version(*tables)
        outcome = _outcome(_fingerprints(reopened), old_print, new_print)
        assert _versions_agree(before, after) == outcome
        assert _leftovers(reopened, spec) == [], (how, when)
        if spec.kind == "embedded":
            removed += len(stray)
        if how == "step":  # the unit switches at the last step, and only there
            assert outcome == ("new" if when == phases else "old"), (when, run.steps)
        if how == "done":
            assert outcome == "new"
        outcomes[outcome] += 1
        reopened.close()
    assert outcomes["old"] >= phases - 1 and outcomes["new"] >= 2
    with capsys.disabled():
        print(f"\n{spec.kind}: {len(kills)} kills ({phases} at phase boundaries, "
              f"{TIMED_KILLS} timed over a {duration:.2f} s load, 1 after it): "
              f"{outcomes['old']} old world, {outcomes['new']} new world, 0 mixed; "
              + (f"{removed} leftover files removed at reopen" if spec.kind == "embedded"
                 else "no staging tables or sessions left"))
