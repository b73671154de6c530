"""Tests for etl.ingest.facilities: the data portal's layout, type matching, ids."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from etl.ingest import (
    ingest,
)
from tests.etl.ingest.ingest_files import PORTAL_HEADER, portal_rows, read_quarantine, write_csv


def test_cp949_portal_facility_file_loads(store, tmp_path, qdir):
    path = write_csv(tmp_path / "시설목록.csv", portal_rows(), PORTAL_HEADER, encoding="cp949")
    assert b"\xea" not in path.read_bytes()[:3]  # really CP949, not UTF-8
    report = ingest(store, "facilities", path, quarantine_dir=qdir, max_reject_share=0.5)
    assert report.encoding == "cp949"
    assert (report.rows_loaded, report.rows_rejected) == (4, 2)
    stored = store.read_frame("facility").set_index("name")
    assert stored.loc[
        "청운노인복지관", ["type_code", "target_group", "capacity", "current_users"]
    ].tolist() == ["F06", "elderly", 300, 280]
    assert stored.loc["행복주야간보호센터", "type_code"] == "F10"
    assert stored.loc["중구종합사회복지관", ["type_code", "capacity", "emd_code"]].tolist() == [
        "F55",
        1200,
        "11140101",
    ]
    assert stored.loc["효자지역아동센터", "address"] == "서울특별시 종로구 효자동 2"
    q = read_quarantine(report.quarantine_path).set_index("line")
    assert q.loc["6", "reason"] == "missing required field 현원 (current_users)"
    assert q.loc["7", "reason"].startswith("unknown facility type '우주정거장'")
    assert q.loc["7", "시설명"] == "무지개센터"  # Korean survives in the quarantine file
    ids = sorted(stored["facility_id"])
    again = ingest(store, "facilities", path, quarantine_dir=qdir, max_reject_share=0.5)
    assert sorted(store.read_frame("facility")["facility_id"]) == ids
    assert again.rows_unchanged == 4 and store.count("facility") == 4


def test_utf8_bom_portal_file_with_facility_code_column(store, tmp_path, qdir):
    rows = portal_rows()[:2]
    for i, row in enumerate(rows):
        row["시설코드"] = f"A{i:05d}"
    path = write_csv(
        tmp_path / "fac_bom.csv", rows, ["시설코드", *PORTAL_HEADER], encoding="utf-8-sig"
    )
    report = ingest(store, "facilities", path, quarantine_dir=qdir)
    assert report.rows_loaded == 2 and report.encoding == "utf-8"
    assert store.read_frame("facility")["facility_id"].nunique() == 2


def test_geopackage_in_epsg5186_with_our_layout(store, tmp_path, qdir):
    lon, lat = [126.965, 126.99], [37.585, 37.56]
    gdf = gpd.GeoDataFrame(
        {
            "facility_id": [101, 102],
            "name": ["가 복지관", "나 센터"],
            "type_code": ["F55", "F40"],
            "capacity": [100, 29],
            "current_users": [50, 29],
            "address": ["서울 종로구", None],
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    ).to_crs(5186)
    path = tmp_path / "facilities.gpkg"
    gdf.to_file(path, layer="facility", driver="GPKG")
    report = ingest(store, "facilities", path, quarantine_dir=qdir)
    assert report.rows_loaded == 2 and report.source_epsg == 5186
    stored = store.read_frame("facility").sort_values("facility_id")
    np.testing.assert_allclose(stored.geometry.x, lon, atol=1e-7)
    np.testing.assert_allclose(stored.geometry.y, lat, atol=1e-7)
    assert stored["emd_code"].tolist() == ["11110101", "11140101"]
    assert stored["type_name"].tolist() == ["사회복지관", "지역아동센터"]
