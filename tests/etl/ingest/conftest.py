"""Fixtures of the ingest tests: a store holding a tiny ``region`` table, a quarantine folder.

No test loads the boundaries of Korea; every file is written into ``tmp_path``.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import MultiPolygon, box

from geodata.store.embedded import EmbeddedStore
from tests.etl.ingest.ingest_files import EMD


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    st = EmbeddedStore(tmp_path / "store")
    st.init()
    rows = []
    for code, bounds in EMD.items():
        rows.append(
            {
                "code": code,
                "level": "emd",
                "name": f"동{code[-3:]}",
                "full_name": f"서울특별시 동{code}",
                "parent_code": code[:5],
                "sido_code": code[:2],
                "sigungu_code": code[:5],
                "urban_class": "대도시",
                "area_km2": 4.0,
                "geometry": MultiPolygon([box(*bounds)]),
            }
        )
    st.write_frame("region", gpd.GeoDataFrame(rows, geometry="geometry", crs=4326))
    return st


@pytest.fixture
def qdir(tmp_path: Path) -> Path:
    return tmp_path / "quarantine"
