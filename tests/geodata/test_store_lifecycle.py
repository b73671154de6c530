"""Store lifecycle on both stores: reopen specs, per-store caches and data versions."""

from __future__ import annotations

import gc
import pickle
import weakref

import pytest

from geodata.store import open_store
from geodata.store.base import Store, StoreInputError
from geodata.store.cache import LruCache, StoreCache
from geodata.store.spec import StoreSpec


def test_reopen_spec_opens_a_new_store_on_the_same_data(store: Store, small_world) -> None:
    store.write_frame("facility", small_world["facility"])
    kim = store.users.add(username="kim", password_hash="x", role="admin")
    spec = pickle.loads(pickle.dumps(store.reopen_spec()))  # jobs pickle it to a worker
    again = open_store(spec)
    try:
        assert again is not store and type(again) is type(store)
        assert again.count("facility") == len(small_world["facility"])
        assert again.users.get(kim) == store.users.get(kim)
        assert again.reopen_spec() == spec and open_store(spec) is not again
        again.cache.region("x", maxsize=1).put("k", 1)
        assert store.cache.region("x", maxsize=1).get("k") is None  # caches are not shared
    finally:
        again.close()


def test_store_spec_checks_and_hides_passwords() -> None:
    spec = StoreSpec("postgis", "postgresql+psycopg://atlas:pw-123@db:5432/atlas")
    assert "pw-123" not in repr(spec) and "pw-123" not in spec.display
    assert "pw-123" in spec.location
    with pytest.raises(ValueError, match="kind"):
        StoreSpec("sqlite", "/tmp/x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="location"):
        StoreSpec("embedded", "")


def test_data_version_changes_with_writes_to_its_tables_only(store: Store, small_world) -> None:
    empty = store.data_version("household", "facility")
    assert store.data_version("household", "facility") == empty
    store.write_frame("household", small_world["household"])
    after_hh = store.data_version("household", "facility")
    assert after_hh != empty and after_hh[1] == empty[1]
    assert store.data_version("household", "facility") == after_hh  # reads change nothing
    store.read_frame("household", columns=["household_id"])
    assert store.data_version("household", "facility") == after_hh
    changed = small_world["household"].iloc[:3].copy()
    changed["size"] = 1
    store.write_frame("household", changed, mode="upsert")
    assert store.data_version("household")[0] != after_hh[0]
    assert store.data_version() == ()
    with pytest.raises(StoreInputError, match="not a bulk table"):
        store.data_version("tier_override")


def test_store_cache_regions_are_bounded_and_die_with_their_store(tmp_path) -> None:
    from geodata.store.embedded import EmbeddedStore

    store = EmbeddedStore(tmp_path / "s")
    region = store.cache.region("visit_list.scored", maxsize=2)
    for key in "abc":
        region.put(key, key.upper())
    assert len(region) == 2 and region.get("a") is None and region.get("c") == "C"
    assert store.cache.region("visit_list.scored", maxsize=2) is region
    with pytest.raises(ValueError, match="exists with maxsize=2"):
        store.cache.region("visit_list.scored", maxsize=3)
    gone = weakref.ref(region)
    store.close()
    assert len(region) == 0
    del store, region
    gc.collect()
    assert gone() is None


def test_lru_cache_order_ttl_and_compute() -> None:
    now = [0.0]
    cache = LruCache(2, ttl_s=10.0, clock=lambda: now[0])
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recent
    cache.put("c", 3)
    assert "b" not in cache and "a" in cache
    now[0] = 10.0
    assert cache.get("a") is None and cache.get("a", "gone") == "gone"
    calls = []
    assert cache.get_or_compute("d", lambda: calls.append(1) or 4) == 4
    assert cache.get_or_compute("d", lambda: calls.append(1) or 5) == 4 and calls == [1]
    with pytest.raises(ValueError, match="maxsize"):
        LruCache(0)
    caches = StoreCache()
    caches.region("r", maxsize=1).put(1, 1)
    caches.clear()
    assert len(caches.region("r", maxsize=1)) == 0


def test_facility_version_follows_live_occupancy(store: Store, small_world) -> None:
    from geodata.store.referrals import set_occupancy

    fac = small_world["facility"]
    store.write_frame("facility", fac)
    before = store.data_version("facility")
    first = int(fac["facility_id"].iloc[0])
    with store.session() as session:  # a provider updates 정원/현원 row by row
        set_occupancy(session, first, capacity=40, current_users=39, user_id=None)
    after = store.data_version("facility")
    assert after[-1] != before[-1]  # the occupancy part moved
    got = store.read_frame("facility", where={"facility_id": first})
    assert (int(got["capacity"].iloc[0]), int(got["current_users"].iloc[0])) == (40, 39)
    assert store.data_version("facility") == after


def test_region_written_before_welfare_teams_reads_with_the_column_null(store: Store, small_world) -> None:
    region = small_world["region"].drop(columns=["welfare_teams"], errors="ignore")
    store.write_frame("region", region)
    if hasattr(store, "root"):  # embedded: rewrite the file as an older schema wrote it
        import json

        import pyarrow.parquet as pq

        path = store.root / json.loads((store.root / "manifest.json").read_text())["tables"]["region"]
        pq.write_table(pq.read_table(path).drop_columns(["welfare_teams"]), path)
    back = store.read_frame("region", columns=["code", "welfare_teams"])
    assert len(back) == len(region) and back["welfare_teams"].isna().all()
