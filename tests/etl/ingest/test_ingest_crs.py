"""Tests for etl.ingest.crs: projected coordinates, CRS arguments and file CRSs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Transformer

from etl.ingest import (
    IngestError,
    IngestFileError,
    ingest,
)
from tests.etl.ingest.ingest_files import good_households, write_csv


@pytest.mark.parametrize("epsg", [5179, 5186])
def test_projected_coordinates_are_converted_to_4326(store, tmp_path, qdir, epsg):
    rows = good_households()
    to_proj = Transformer.from_crs(4326, epsg, always_xy=True)
    for row in rows:
        row["x"], row["y"] = to_proj.transform(row.pop("lon"), row.pop("lat"))
    path = write_csv(tmp_path / f"hh_{epsg}.csv", rows)
    report = ingest(store, "households", path, crs=epsg, quarantine_dir=qdir)
    assert report.rows_loaded == 5 and report.source_epsg == epsg
    stored = store.read_frame("household").sort_values("household_id")
    back = Transformer.from_crs(epsg, 4326, always_xy=True)
    exp_lon, exp_lat = back.transform([r["x"] for r in rows], [r["y"] for r in rows])
    np.testing.assert_allclose(stored.geometry.x, exp_lon, atol=1e-9)
    np.testing.assert_allclose(stored.geometry.y, exp_lat, atol=1e-9)
    originals = [(h["lon"], h["lat"]) for h in good_households()]
    np.testing.assert_allclose(
        np.column_stack([stored.geometry.x, stored.geometry.y]), originals, atol=1e-7
    )
    assert stored["emd_code"].tolist() == [
        "11110101",
        "11110101",
        "11110102",
        "11140101",
        "11140101",
    ]


def test_projected_coordinates_without_crs_are_refused(store, tmp_path, qdir):
    rows = good_households()
    for row in rows:
        row["x"], row["y"] = Transformer.from_crs(4326, 5179, always_xy=True).transform(
            row.pop("lon"), row.pop("lat")
        )
    path = write_csv(tmp_path / "hh_nocrs.csv", rows)
    with pytest.raises(IngestFileError, match=r"projected coordinates .* pass crs="):
        ingest(store, "households", path, quarantine_dir=qdir)


def test_unsupported_crs_argument_is_refused(store, tmp_path, qdir):
    path = write_csv(tmp_path / "hh_3857.csv", good_households())
    with pytest.raises(
        IngestError, match=r"crs=3857 is not supported; use one of EPSG:4326, EPSG:5179"
    ):
        ingest(store, "households", path, crs=3857, quarantine_dir=qdir)


def test_geopackage_in_unsupported_crs_is_refused(store, tmp_path, qdir):
    gdf = gpd.GeoDataFrame(
        {
            "facility_id": [1],
            "name": ["a"],
            "type_code": ["F55"],
            "capacity": [1],
            "current_users": [0],
        },
        geometry=gpd.points_from_xy([126.97], [37.59]),
        crs=4326,
    ).to_crs(3857)
    path = tmp_path / "fac_3857.gpkg"
    gdf.to_file(path, driver="GPKG")
    with pytest.raises(IngestFileError, match=r"CRS is EPSG:3857 .* only EPSG:4326, EPSG:5179"):
        ingest(store, "facilities", path, quarantine_dir=qdir)
