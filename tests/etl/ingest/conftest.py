"""Fixtures of the ingest tests: each store (embedded and PostGIS) holding a tiny ``region`` table.

No test loads the boundaries of Korea; every file is written into ``tmp_path``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from geodata.store.base import Store
from tests.etl.ingest.ingest_files import region_frame


@pytest.fixture(params=["embedded", "postgis"])
def store(request: pytest.FixtureRequest) -> Store:
    """Each ingest test runs once per store, with three 읍면동 boxes in central Seoul."""
    st = request.getfixturevalue(f"{request.param}_store")
    st.write_frame("region", region_frame())
    return st


@pytest.fixture
def qdir(tmp_path: Path) -> Path:
    return tmp_path / "quarantine"
