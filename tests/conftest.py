"""Shared fixtures: stores (embedded and PostGIS) and a small deterministic world.

``make test`` starts a throwaway PostGIS cluster and sets ``ATLAS_TEST_DATABASE_URL`` and
``ATLAS_REQUIRE_POSTGIS=1``: there, a PostGIS test that cannot reach its database fails instead
of being skipped. Outside ``make test`` the PostGIS variants are skipped with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from sqlalchemy import text

from geodata.schema import BOOKKEEPING_TABLES, BULK_TABLES, OPERATIONAL_TABLES
from geodata.store.base import Store
from geodata.store.embedded import EmbeddedStore

SMALL_WORLD_SIDO = ("11",)  # Seoul: 25 구, 467 법정동
SMALL_WORLD_HOUSEHOLDS = 3000


def _postgis_url() -> str | None:
    url = os.environ.get("ATLAS_TEST_DATABASE_URL")
    if not url and os.environ.get("ATLAS_REQUIRE_POSTGIS") == "1":
        pytest.fail("ATLAS_REQUIRE_POSTGIS=1 but ATLAS_TEST_DATABASE_URL is not set")
    return url


@pytest.fixture(scope="session")
def _postgis_session_store() -> Iterator[Store]:
    url = _postgis_url()
    if not url:
        pytest.skip("PostGIS tests run in `make test` (ATLAS_TEST_DATABASE_URL not set)")
    from geodata.store.postgis import PostgisStore

    store = PostgisStore.from_url(url)
    store.init()
    yield store
    store.engine.dispose()


@pytest.fixture
def postgis_store(_postgis_session_store: Store) -> Store:
    """The PostGIS store with every table emptied (and its caches, which the TRUNCATE bypasses)."""
    names = ", ".join(f'"{t}"' for t in (*BULK_TABLES, *OPERATIONAL_TABLES, *BOOKKEEPING_TABLES))
    with _postgis_session_store.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    _postgis_session_store.cache.clear()
    return _postgis_session_store


@pytest.fixture
def embedded_store(tmp_path: Path) -> Store:
    """A fresh embedded store in a temporary folder."""
    store = EmbeddedStore(tmp_path / "store")
    store.init()
    return store


@pytest.fixture(params=["embedded", "postgis"])
def store(request: pytest.FixtureRequest) -> Store:
    """Each contract test runs once per store."""
    return request.getfixturevalue(f"{request.param}_store")


@pytest.fixture(scope="session")
def region_layers() -> gpd.GeoDataFrame:
    """Prepared boundaries of all levels (cached on disk after the first build)."""
    from etl.regions import cached_region_layers

    return cached_region_layers()


@pytest.fixture(scope="session")
def small_world(region_layers: gpd.GeoDataFrame) -> dict[str, pd.DataFrame]:
    """A deterministic 3,000-household world in Seoul."""
    from etl.generate import generate_world

    return generate_world(
        SMALL_WORLD_HOUSEHOLDS, seed=7, sido_codes=SMALL_WORLD_SIDO, regions=region_layers
    )
