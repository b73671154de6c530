"""The demo provider: made with a new demo world, and added to a world built before it existed."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete

from etl.demo import _ensure_demo_provider
from geodata.schema import table
from tests.fixtures_world import build_world


def test_an_existing_world_gains_the_demo_provider(tmp_path: Path) -> None:
    world = build_world(tmp_path / "store")
    store = world.store
    with store.session() as session:
        session.execute(delete(table("app_user")).where(table("app_user").c.username == "provider"))
    assert store.users.by_username("provider") is None
    _ensure_demo_provider(store)
    provider = store.users.by_username("provider")
    assert provider is not None and provider.role == "provider" and provider.facility_id is not None
    facility = store.read_frame("facility", where={"facility_id": provider.facility_id}).iloc[0]
    assert facility["target_group"] == "community"
    assert facility["capacity"] > facility["current_users"]
    _ensure_demo_provider(store)  # idempotent
    assert [u.username for u in store.users.list_all()].count("provider") == 1
