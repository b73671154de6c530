"""A world load is one unit: snapshot reads, readers during a load, leftovers (both stores)."""

from __future__ import annotations

import fcntl
import logging
import threading
import time

import pandas as pd
import pytest

from geodata.store import open_store
from geodata.store.base import FrameWrite, Store


def _world(small_world: dict[str, pd.DataFrame], lo: int, hi: int) -> dict[str, pd.DataFrame]:
    """Households ``lo..hi`` of the small world with their persons and signals."""
    hh = small_world["household"]
    hh = hh[hh["household_id"].between(lo, hi)].reset_index(drop=True)
    ids = set(hh["household_id"])
    return {"household": hh,
            "person": small_world["person"][small_world["person"]["household_id"].isin(ids)],
            "crisis_signal": small_world["crisis_signal"][
                small_world["crisis_signal"]["household_id"].isin(ids)]}


def _writes(world: dict[str, pd.DataFrame]) -> list[FrameWrite]:
    return [FrameWrite(name, frame, "replace") for name, frame in world.items()]


def _which(frames: dict[str, pd.DataFrame], old: dict, new: dict) -> str:
    """'old' or 'new' when every table's household ids are exactly one world's; else 'mixed'."""
    def ids(world: dict[str, pd.DataFrame]) -> dict[str, list[int]]:
        return {t: sorted(set(world[t]["household_id"])) for t in world}

    got = ids(frames)
    return "old" if got == ids(old) else "new" if got == ids(new) else "mixed"


def test_read_frames_equal_read_frame(store: Store, small_world) -> None:
    world = _world(small_world, 1, 300)
    store.write_frames(_writes(world))
    frames = store.read_frames(["household", "person", "risk_score"])
    for name in ("household", "person", "risk_score"):
        pd.testing.assert_frame_equal(frames[name], store.read_frame(name))
    assert len(frames["person"]) == len(world["person"]) and frames["risk_score"].empty


def test_a_reader_during_a_world_load_sees_one_world(store: Store, small_world) -> None:
    old, new = _world(small_world, 1, 300), _world(small_world, 200, 700)
    store.write_frames(_writes(old))
    paused, resume = threading.Event(), threading.Event()
    steps: list[str] = []

    def hold_after_first_table(_fraction: float, step: str) -> None:
        steps.append(step)
        if len(steps) == 1:  # one table staged, the others not yet
            paused.set()
            assert resume.wait(30)

    writer = threading.Thread(target=store.write_frames, args=(_writes(new),),
                              kwargs={"progress": hold_after_first_table})
    writer.start()
    assert paused.wait(30)
    seen: dict[str, str] = {}

    def read() -> None:
        seen["frames"] = _which(store.read_frames(["household", "person", "crisis_signal"]),
                                old, new)
        fresh = open_store(store.reopen_spec())  # a process opening the store meanwhile
        seen["fresh"] = _which(fresh.read_frames(["household", "person", "crisis_signal"]),
                               old, new)
        fresh.close()

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(1.0)
    blocked = reader.is_alive()  # PostGIS readers wait for the load's commit
    resume.set()
    writer.join(30)
    reader.join(30)
    assert not writer.is_alive() and not reader.is_alive()
    assert seen["frames"] in ("old", "new") and seen["fresh"] in ("old", "new"), seen
    if not blocked:  # the embedded store serves the old manifest meanwhile
        assert seen["frames"] == seen["fresh"] == "old"
    assert steps[-1] == "switched" and len(steps) == 4
    assert _which(store.read_frames(["household", "person", "crisis_signal"]), old, new) == "new"


def test_a_failed_world_load_leaves_the_old_world(store: Store, small_world) -> None:
    old, new = _world(small_world, 1, 300), _world(small_world, 200, 700)
    store.write_frames(_writes(old))
    bad = new["person"].copy()
    bad["name"] = "가" * 30  # String(20)
    version = store.data_version("household", "person", "crisis_signal")
    with pytest.raises(ValueError, match="longer than 20"):
        store.write_frames(_writes({**new, "person": bad}))
    assert _which(store.read_frames(["household", "person", "crisis_signal"]), old, new) == "old"
    assert store.data_version("household", "person", "crisis_signal") == version
    if hasattr(store, "root"):  # embedded: the other tables' new files are gone too
        assert len(list(store.root.glob("*.parquet"))) == 3


def test_writers_of_different_tables_at_once_lose_no_switch(store: Store, small_world) -> None:
    world = _world(small_world, 1, 300)
    spec = store.reopen_spec()
    errors: list[BaseException] = []

    def write(name: str, rounds: int) -> None:
        own = open_store(spec)  # its own store instance: its own locks and connections
        try:
            for i in range(rounds):
                own.write_frame(name, world[name].iloc[: 50 + i])
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=write, args=(name, 6)) for name in world]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert {name: store.count(name) for name in world} == dict.fromkeys(world, 55)
    if spec.kind == "embedded":  # one file per table, all named by the manifest
        assert len(list(store.root.glob("*.parquet"))) == len(world)


# ------------------------------------------------------------------ embedded leftovers
def test_embedded_leftovers_are_removed_at_open_unless_a_writer_holds_them(
        embedded_store: Store, small_world, caplog) -> None:
    from geodata.store.embedded import EmbeddedStore

    world = _world(small_world, 1, 300)
    embedded_store.write_frames(_writes(world))
    root = embedded_store.root
    live = {p.name for p in root.glob("*.parquet")}
    stray = ["person.0123456789abcdef.parquet", "household.parquet.tmp-4242",
             "household.parquet", "manifest.json.tmp-4242"]
    for name in stray:
        (root / name).write_bytes(b"half a file")
    with open(root / ".person.lock", "a+") as held:  # a live writer of person
        fcntl.flock(held, fcntl.LOCK_EX)
        EmbeddedStore(root)
        assert (root / stray[0]).exists()  # never touched while its table's writer lives
        assert not (root / stray[1]).exists() and not (root / stray[3]).exists()
    with caplog.at_level(logging.WARNING, logger="geodata.store.embedded"):
        reopened = EmbeddedStore(root)
    assert {p.name for p in root.glob("*.parquet*")} == live
    assert "person.0123456789abcdef.parquet" in caplog.text and "removed 1 leftovers" in caplog.text
    assert _which(reopened.read_frames(["household", "person", "crisis_signal"]),
                  world, world) == "old"


def test_embedded_legacy_folder_is_read_and_adopted(tmp_path, small_world) -> None:
    from geodata.store.embedded import EmbeddedStore

    world = _world(small_world, 1, 300)
    root = tmp_path / "legacy"
    root.mkdir()
    for name, frame in world.items():  # the layout before manifests: <table>.parquet
        frame.to_parquet(root / f"{name}.parquet", index=False)
    store = EmbeddedStore(root)
    store.init()
    assert store.count("person") == len(world["person"])
    store.write_frame("crisis_signal", world["crisis_signal"].iloc[:10])
    assert (root / "manifest.json").exists() and (root / "person.parquet").exists()
    assert store.count("person") == len(world["person"]) and store.count("crisis_signal") == 10
    assert not (root / "crisis_signal.parquet").exists()  # the replaced legacy file is gone


def test_embedded_facility_reload_voids_live_occupancy_in_the_same_switch(
        embedded_store: Store, small_world, monkeypatch) -> None:
    from geodata.store.embedded import EmbeddedStore

    fac = small_world["facility"]
    embedded_store.write_frame("facility", fac)
    fid = int(fac["facility_id"].iloc[0])
    capacity = int(fac["capacity"].iloc[0]) + 7
    embedded_store.referrals.set_occupancy(fid, capacity=capacity, current_users=1, user_id=None)
    assert embedded_store.read_frame("facility", where={"facility_id": fid})["capacity"].item() \
        == capacity
    time.sleep(0.01)
    # The writer dies after the manifest switch, before it deletes the void rows.
    monkeypatch.setattr(EmbeddedStore, "_forget_void", lambda self, void: None)
    embedded_store.write_frame("facility", fac)
    assert embedded_store.read_frame("facility", where={"facility_id": fid})["capacity"].item() \
        == int(fac["capacity"].iloc[0])  # the reloaded file's 정원, not the void overlay
    assert len(embedded_store.referrals.overlay()) == 1
    monkeypatch.undo()
    reopened = EmbeddedStore(embedded_store.root)  # the next open deletes them
    assert reopened.referrals.overlay().empty
    reopened.referrals.set_occupancy(fid, capacity=capacity, current_users=2, user_id=None)
    assert reopened.read_frame("facility", where={"facility_id": fid})["current_users"].item() == 2


def test_embedded_file_missing_from_under_the_manifest_is_a_store_error(
        embedded_store: Store, small_world) -> None:
    from geodata.store.base import StoreError

    embedded_store.write_frames(_writes(_world(small_world, 1, 50)))
    for path in embedded_store.root.glob("person.*.parquet"):
        path.unlink()  # not by a writer: nothing will name a newer file
    with pytest.raises(StoreError, match="files the manifest names are missing"):
        embedded_store.read_frame("person")
    assert embedded_store.count("household") == 50
