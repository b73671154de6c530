"""Tests for etl.ingest: validation, quarantine, atomic idempotent loads, formats and CRSs.

Every file is written into ``tmp_path``; the store is an EmbeddedStore in ``tmp_path`` with a tiny
``region`` table of three 읍면동 boxes in central Seoul, so no test loads the boundaries of Korea.
"""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, box

from etl.ingest import (
    IngestError,
    IngestFileError,
    IngestRejectedError,
    IngestReport,
    ingest,
)
from geodata.store.embedded import EmbeddedStore

# ----------------------------------------------------------------------------- fixtures
EMD = {  # code: (lon_min, lat_min, lon_max, lat_max)
    "11110101": (126.96, 37.58, 126.98, 37.60),
    "11110102": (126.98, 37.58, 127.00, 37.60),
    "11140101": (126.98, 37.55, 127.00, 37.58),
}
HH_COLUMNS = [
    "household_id",
    "lon",
    "lat",
    "size",
    "n_elderly",
    "n_children",
    "n_disabled",
    "head_age",
    "household_type",
    "is_multicultural",
    "housing_type",
    "tenure",
    "income_monthly_krw",
    "property_residential_krw",
    "property_general_krw",
    "financial_assets_krw",
    "car_value_krw",
    "debt_krw",
]


def _household(hid: int, lon: float = 126.97, lat: float = 37.59, **overrides: object) -> dict:
    row = {
        "household_id": hid,
        "lon": lon,
        "lat": lat,
        "size": 2,
        "n_elderly": 1,
        "n_children": 0,
        "n_disabled": 0,
        "head_age": 70,
        "household_type": "elderly_couple",
        "is_multicultural": "false",
        "housing_type": "apartment",
        "tenure": "jeonse",
        "income_monthly_krw": 1_200_000,
        "property_residential_krw": 90_000_000,
        "property_general_krw": 0,
        "financial_assets_krw": 3_000_000,
        "car_value_krw": 0,
        "debt_krw": 0,
    }
    row.update(overrides)
    return row


def _good_households() -> list[dict]:
    return [
        _household(1, 126.965, 37.585),
        _household(2, 126.975, 37.595, size=1, n_elderly=1, household_type="single_elderly"),
        _household(3, 126.985, 37.590),  # in 11110102
        _household(4, 126.990, 37.560, tenure="monthly_rent"),  # in 11140101
        _household(
            5,
            126.995,
            37.570,
            housing_type="gosiwon",
            size=1,
            n_elderly=0,
            head_age=35,
            household_type="single_young",
        ),
    ]


def _write_csv(
    path: Path, rows: list[dict], columns: list[str] | None = None, encoding: str = "utf-8"
) -> Path:
    columns = columns or list(rows[0])
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    return path


def _read_quarantine(path: Path) -> pd.DataFrame:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf"), "quarantine must be UTF-8 with BOM"
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)


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


def _load_households(
    store: EmbeddedStore, tmp_path: Path, qdir: Path, name: str = "hh.csv"
) -> IngestReport:
    path = _write_csv(tmp_path / name, _good_households())
    return ingest(store, "households", path, quarantine_dir=qdir)


# ----------------------------------------------------------------------------- households
def test_good_households_load_with_regions_derived_from_points(store, tmp_path, qdir):
    report = _load_households(store, tmp_path, qdir)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (5, 5, 0)
    assert report.quarantine_path is None and report.reasons_count == {}
    assert report.encoding == "utf-8" and report.source_epsg == 4326
    stored = store.read_frame("household").set_index("household_id")
    assert stored.loc[1, "emd_code"] == "11110101"
    assert stored.loc[3, "emd_code"] == "11110102"
    assert stored.loc[4, ["emd_code", "sigungu_code", "sido_code"]].tolist() == [
        "11140101",
        "11140",
        "11",
    ]
    assert stored.loc[5, "housing_type"] == "gosiwon"
    assert stored.crs.to_epsg() == 4326
    assert stored.loc[2].geometry.equals_exact(shapely.Point(126.975, 37.595), tolerance=1e-12)


def test_every_reject_reason_lands_in_quarantine_with_its_line(store, tmp_path, qdir):
    rows = [
        *_good_households(),
        _household(10, 135.2, 33.1),  # line 7
        _household(11, emd_code="1111099999"),  # line 8
        _household(17),  # line 9
        _household(12, income_monthly_krw=-5000),  # line 10
        _household(13, size=None),  # line 11
        _household(14, housing_type="castle"),  # line 12
        _household(17, lon=126.961),  # line 13
        _household(15, is_multicultural="maybe"),  # line 14
        _household(16, n_elderly=5),  # line 15
        _household(18, lon=37.59, lat=126.97),  # line 16
        _household(19, lon=126.5, lat=37.3),  # line 17: Korea, no emd here
    ]
    columns = [*HH_COLUMNS, "emd_code"]
    path = _write_csv(tmp_path / "hh_bad.csv", rows, columns)
    report = ingest(store, "households", path, quarantine_dir=qdir, max_reject_share=1.0)

    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (16, 5, 11)
    q = _read_quarantine(report.quarantine_path).set_index("line")
    assert q.index.tolist() == [str(n) for n in range(7, 18)]
    assert list(q.columns[:2]) == ["reason", "household_id"]  # then the original columns
    expected = {
        "7": "outside Korea (lon 135.2, lat 33.1)",
        "8": "unknown emd_code 1111099999",
        "9": "duplicate household_id 17 (also on line 13)",
        "10": "negative amount -5000 in income_monthly_krw",
        "11": "missing required field size",
        "12": "unknown housing_type 'castle' (expected one of apartment,",
        "13": "duplicate household_id 17 (also on line 9)",
        "14": "bad boolean 'maybe' in is_multicultural",
        "15": "n_elderly 5 exceeds size 2",
        "16": "outside Korea (lon 37.59, lat 126.97) - are lon and lat swapped?",
        "17": "outside Korea (lon 126.5, lat 37.3): in no 읍면동 of the region table",
    }
    for line, reason in expected.items():
        assert reason in q.loc[line, "reason"], (line, q.loc[line, "reason"])
    assert report.reasons_count["duplicate household_id"] == 2
    assert report.reasons_count["outside Korea"] == 3
    assert store.count("household") == 5
    assert report.quarantine_path.parent == qdir
    assert report.quarantine_path.name.startswith("households-")
    assert oct(report.quarantine_path.stat().st_mode & 0o777) == "0o600"


def test_all_problems_of_one_row_are_joined(store, tmp_path, qdir):
    rows = [*_good_households(), _household(30, 135.2, 33.1, debt_krw=-1, tenure="borrowed")]
    path = _write_csv(tmp_path / "hh_multi.csv", rows)
    report = ingest(store, "households", path, quarantine_dir=qdir, max_reject_share=0.5)
    reason = _read_quarantine(report.quarantine_path)["reason"].iloc[0]
    parts = reason.split("; ")
    assert len(parts) == 3
    assert any(p.startswith("unknown tenure 'borrowed'") for p in parts)
    assert "negative amount -1 in debt_krw" in parts
    assert "outside Korea (lon 135.2, lat 33.1)" in parts


def test_loading_the_same_file_twice_changes_nothing(store, tmp_path, qdir):
    first = _load_households(store, tmp_path, qdir)
    before = store.read_frame("household").sort_values("household_id").reset_index(drop=True)
    second = _load_households(store, tmp_path, qdir)
    after = store.read_frame("household").sort_values("household_id").reset_index(drop=True)
    assert first.rows_unchanged == 0
    assert second.rows_loaded == 5 and second.rows_unchanged == 5
    assert store.count("household") == 5
    pd.testing.assert_frame_equal(before, after)


def test_too_many_rejects_write_nothing_and_keep_old_rows(store, tmp_path, qdir):
    _load_households(store, tmp_path, qdir)
    before = store.read_frame("household").sort_values("household_id").reset_index(drop=True)
    rows = [
        _household(1, income_monthly_krw=999),  # a change that must not be written
        _household(40, emd_code="1111099999"),
        _household(41, 135.2, 33.1),
    ]
    path = _write_csv(tmp_path / "hh_mostly_bad.csv", rows, [*HH_COLUMNS, "emd_code"])
    with pytest.raises(IngestRejectedError) as info:
        ingest(store, "households", path, quarantine_dir=qdir, max_reject_share=0.05)
    err = info.value
    assert err.share == pytest.approx(2 / 3)
    assert "2 of 3 rows rejected (66.7%)" in str(err)
    assert "nothing was written" in str(err)
    assert "unknown emd_code: 1 rows (lines 3)" in str(err)
    assert err.quarantine_path.exists()
    assert len(_read_quarantine(err.quarantine_path)) == 2
    after = store.read_frame("household").sort_values("household_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(before, after)


def test_declared_emd_code_policy(store, tmp_path, qdir):
    rows = [
        *_good_households(),
        _household(50, 126.9805, 37.59, emd_code="11110101"),  # ~45 m into 11110102: kept
        _household(51, 126.995, 37.56, emd_code="11110101"),  # ~1.3 km away: rejected
        _household(52, 126.97, 37.59, emd_code="11110101", sigungu_code="11140"),
    ]
    columns = [*HH_COLUMNS, "emd_code", "sigungu_code"]
    path = _write_csv(tmp_path / "hh_emd.csv", rows, columns)
    report = ingest(store, "households", path, quarantine_dir=qdir, max_reject_share=1.0)
    stored = store.read_frame("household").set_index("household_id")
    assert stored.loc[50, "emd_code"] == "11110101"
    assert sum(report.warnings_count.values()) == 1
    q = _read_quarantine(report.quarantine_path).set_index("household_id")
    assert "km outside emd_code 11110101 (it lies in 11140101)" in q.loc["51", "reason"]
    assert (
        "sigungu_code 11140 does not match emd_code 11110101 (expected 11110)"
        in q.loc["52", "reason"]
    )


def test_default_quarantine_dir_comes_from_settings(store, tmp_path, monkeypatch):
    from geodata.settings import get_settings

    monkeypatch.setenv("ATLAS_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        rows = [*_good_households(), _household(60, 135.2, 33.1)]
        path = _write_csv(tmp_path / "hh_default_q.csv", rows)
        report = ingest(store, "households", path, max_reject_share=0.5)
    finally:
        get_settings.cache_clear()
    assert report.quarantine_path.parent == tmp_path / "var" / "quarantine"


def test_progress_is_reported(store, tmp_path, qdir):
    steps: list[tuple[str, float]] = []
    path = _write_csv(tmp_path / "hh_progress.csv", _good_households())
    ingest(
        store, "households", path, quarantine_dir=qdir, progress=lambda s, f: steps.append((s, f))
    )
    assert steps[0] == ("read", 0.0) and steps[-1] == ("done", 1.0)
    assert [f for _, f in steps] == sorted(f for _, f in steps)
    assert {"validate", "regions", "write"} <= {s for s, _ in steps}


# ----------------------------------------------------------------------------- coordinates
@pytest.mark.parametrize("epsg", [5179, 5186])
def test_projected_coordinates_are_converted_to_4326(store, tmp_path, qdir, epsg):
    rows = _good_households()
    to_proj = Transformer.from_crs(4326, epsg, always_xy=True)
    for row in rows:
        row["x"], row["y"] = to_proj.transform(row.pop("lon"), row.pop("lat"))
    path = _write_csv(tmp_path / f"hh_{epsg}.csv", rows)
    report = ingest(store, "households", path, crs=epsg, quarantine_dir=qdir)
    assert report.rows_loaded == 5 and report.source_epsg == epsg
    stored = store.read_frame("household").sort_values("household_id")
    back = Transformer.from_crs(epsg, 4326, always_xy=True)
    exp_lon, exp_lat = back.transform([r["x"] for r in rows], [r["y"] for r in rows])
    np.testing.assert_allclose(stored.geometry.x, exp_lon, atol=1e-9)
    np.testing.assert_allclose(stored.geometry.y, exp_lat, atol=1e-9)
    originals = [(h["lon"], h["lat"]) for h in _good_households()]
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
    rows = _good_households()
    for row in rows:
        row["x"], row["y"] = Transformer.from_crs(4326, 5179, always_xy=True).transform(
            row.pop("lon"), row.pop("lat")
        )
    path = _write_csv(tmp_path / "hh_nocrs.csv", rows)
    with pytest.raises(IngestFileError, match=r"projected coordinates .* pass crs="):
        ingest(store, "households", path, quarantine_dir=qdir)


def test_unsupported_crs_argument_is_refused(store, tmp_path, qdir):
    path = _write_csv(tmp_path / "hh_3857.csv", _good_households())
    with pytest.raises(
        IngestError, match=r"crs=3857 is not supported; use one of EPSG:4326, EPSG:5179"
    ):
        ingest(store, "households", path, crs=3857, quarantine_dir=qdir)


# ----------------------------------------------------------------------------- signals
def test_signals_validate_households_sources_months_and_values(store, tmp_path, qdir):
    _load_households(store, tmp_path, qdir)
    rows = [
        {"household_id": 1, "source": "gas_arrears", "month": "2024-03", "value": 45000},
        {"household_id": 1, "source": "전기요금 체납", "month": "2024-03-15", "value": 30000},
        {"household_id": 2, "source": "job_loss", "month": "2024-02-01", "value": 1},
        {"household_id": 3, "source": "water_arrears", "month": "2024-01", "value": 12000},
        {"household_id": 999, "source": "gas_arrears", "month": "2024-03", "value": 1},  # line 6
        {"household_id": 2, "source": "gas_arrears", "month": "2024-13-01", "value": 1},  # line 7
        {"household_id": 2, "source": "lottery_win", "month": "2024-03", "value": 1},  # line 8
        {"household_id": 3, "source": "gas_arrears", "month": "2024-04", "value": -3},  # line 9
        {"household_id": 4, "source": "telecom_arrears", "month": "2024-05", "value": 1},  # line 10
        {
            "household_id": 4,
            "source": "telecom_arrears",
            "month": "2024-05-20",
            "value": 2,
        },  # line 11
    ]
    path = _write_csv(tmp_path / "signals.csv", rows)
    report = ingest(store, "signals", path, quarantine_dir=qdir, max_reject_share=1.0)
    assert (report.rows_loaded, report.rows_rejected) == (4, 6)
    q = _read_quarantine(report.quarantine_path).set_index("line")
    assert "unknown household_id 999" in q.loc["6", "reason"]
    assert "bad date '2024-13-01' in month" in q.loc["7", "reason"]
    assert "unknown source 'lottery_win'" in q.loc["8", "reason"]
    assert "negative amount -3 in value" in q.loc["9", "reason"]
    assert (
        "duplicate signal (household_id 4, source telecom_arrears, month 2024-05) (also on line 11)"
        in q.loc["10", "reason"]
    )
    stored = store.read_frame("crisis_signal").sort_values(["household_id", "source"])
    assert stored["month"].dt.day.eq(1).all()
    assert set(stored["source"]) == {
        "gas_arrears",
        "electricity_arrears",
        "job_loss",
        "water_arrears",
    }
    again = ingest(store, "signals", path, quarantine_dir=qdir, max_reject_share=1.0)
    assert again.rows_unchanged == 4 and store.count("crisis_signal") == 4


# ----------------------------------------------------------------------------- facilities
PORTAL_HEADER = [
    "시설명",
    "시설종류",
    "소재지도로명주소",
    "소재지지번주소",
    "전화번호",
    "정원",
    "현원",
    "위도",
    "경도",
]


def _portal_rows() -> list[dict]:
    return [
        {
            "시설명": "청운노인복지관",
            "시설종류": "노인복지관",
            "소재지도로명주소": "서울특별시 종로구 자하문로 1",
            "전화번호": "02-123-4567",
            "정원": "300",
            "현원": "280",
            "위도": "37.585",
            "경도": "126.965",
        },
        {
            "시설명": "효자지역아동센터",
            "시설종류": "지역아동센터",
            "소재지지번주소": "서울특별시 종로구 효자동 2",
            "전화번호": "02-222-3333",
            "정원": "29",
            "현원": "25",
            "위도": "37.595",
            "경도": "126.975",
        },
        {
            "시설명": "행복주야간보호센터",
            "시설종류": "주·야간보호 서비스",
            "소재지도로명주소": "서울 종로구 3",
            "정원": "30",
            "현원": "30",
            "위도": "37.59",
            "경도": "126.985",
        },
        {
            "시설명": "중구종합사회복지관",
            "시설종류": "종합사회복지관",
            "소재지도로명주소": "서울 중구 4",
            "정원": "1,200",
            "현원": "1,100",
            "위도": "37.56",
            "경도": "126.99",
        },
        {
            "시설명": "별빛 요양원",
            "시설종류": "노인요양시설",
            "소재지도로명주소": "서울 중구 5",
            "정원": "80",
            "현원": "",
            "위도": "37.57",
            "경도": "126.995",
        },
        {
            "시설명": "무지개센터",
            "시설종류": "우주정거장",
            "소재지도로명주소": "서울 중구 6",
            "정원": "10",
            "현원": "3",
            "위도": "37.57",
            "경도": "126.99",
        },
    ]


def test_cp949_portal_facility_file_loads(store, tmp_path, qdir):
    path = _write_csv(tmp_path / "시설목록.csv", _portal_rows(), PORTAL_HEADER, encoding="cp949")
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
    q = _read_quarantine(report.quarantine_path).set_index("line")
    assert q.loc["6", "reason"] == "missing required field 현원 (current_users)"
    assert q.loc["7", "reason"].startswith("unknown facility type '우주정거장'")
    assert q.loc["7", "시설명"] == "무지개센터"  # Korean survives in the quarantine file
    ids = sorted(stored["facility_id"])
    again = ingest(store, "facilities", path, quarantine_dir=qdir, max_reject_share=0.5)
    assert sorted(store.read_frame("facility")["facility_id"]) == ids
    assert again.rows_unchanged == 4 and store.count("facility") == 4


def test_utf8_bom_portal_file_with_facility_code_column(store, tmp_path, qdir):
    rows = _portal_rows()[:2]
    for i, row in enumerate(rows):
        row["시설코드"] = f"A{i:05d}"
    path = _write_csv(
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


# ----------------------------------------------------------------------------- parquet
def test_parquet_households_load(store, tmp_path, qdir):
    path = tmp_path / "hh.parquet"
    pd.DataFrame(_good_households()).to_parquet(path)
    report = ingest(store, "households", path, quarantine_dir=qdir)
    assert report.rows_loaded == 5 and report.encoding is None
    assert store.read_frame("household")["is_multicultural"].eq(False).all()


def test_bad_parquet_footer_is_a_file_error(store, tmp_path, qdir):
    good = tmp_path / "hh_full.parquet"
    pd.DataFrame(_good_households()).to_parquet(good)
    bad = tmp_path / "hh_cut.parquet"
    bad.write_bytes(good.read_bytes()[:-20])
    with pytest.raises(
        IngestFileError, match=r"not a readable Parquet file \(truncated or corrupt"
    ):
        ingest(store, "households", bad, quarantine_dir=qdir)


# ----------------------------------------------------------------------------- malformed files
def test_unclosed_quote_is_a_truncated_file_error(store, tmp_path, qdir):
    path = _write_csv(tmp_path / "hh_quote.csv", _good_households())
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('6,126.97,37.59,2,1,0,0,70,"elderly_couple,false,apartment\n')
    with pytest.raises(
        IngestFileError, match=r"quoted field opened on or after line 7 is never closed"
    ):
        ingest(store, "households", path, quarantine_dir=qdir)


def test_short_last_row_is_a_truncated_file_error(store, tmp_path, qdir):
    path = _write_csv(tmp_path / "hh_short.csv", _good_households())
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("6,126.97,37.59,2,1\n")
    with pytest.raises(
        IngestFileError, match=r"looks truncated: line 7 has 5 fields, the header has 18"
    ):
        ingest(store, "households", path, quarantine_dir=qdir)
    assert store.count("household") == 0


def test_missing_columns_are_listed_with_the_columns_found(store, tmp_path, qdir):
    rows = [
        {k: v for k, v in r.items() if k not in ("tenure", "debt_krw")} for r in _good_households()
    ]
    path = _write_csv(tmp_path / "hh_cols.csv", rows)
    with pytest.raises(IngestFileError) as info:
        ingest(store, "households", path, quarantine_dir=qdir)
    msg = str(info.value)
    assert "missing required columns ['tenure', 'debt_krw']" in msg
    assert "columns found: ['household_id', 'lon', 'lat'," in msg


def test_file_without_header_says_so(store, tmp_path, qdir):
    path = tmp_path / "hh_noheader.csv"
    full = _write_csv(tmp_path / "hh_tmp.csv", _good_households())
    path.write_text(
        "".join(full.read_text(encoding="utf-8").splitlines(keepends=True)[1:]), encoding="utf-8"
    )
    with pytest.raises(IngestFileError, match=r"first line looks like data, not a header"):
        ingest(store, "households", path, quarantine_dir=qdir)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", r"the file is empty \(0 bytes\)"),
        ("header_only.csv", ",".join(HH_COLUMNS).encode() + b"\n", r"no data rows \(only a header"),
        ("sheet.xlsx", b"PK\x03\x04", r"unsupported file type '.xlsx'.*CSV UTF-8"),
        (
            "latin.csv",
            "name,city\ncafé,Zürich\n".encode("latin-1"),
            r"neither UTF-8 nor CP949/EUC-KR \(detected encoding: \w+\).*iconv",
        ),
        ("binary.csv", b"PAR1\x00\x00\x01", r"not a text CSV file"),
    ],
)
def test_malformed_files_give_specific_errors(store, tmp_path, qdir, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestFileError, match=message):
        ingest(store, "households", path, quarantine_dir=qdir)


def test_bad_arguments_are_reported_together(store, tmp_path):
    with pytest.raises(IngestError) as info:
        ingest(store, "persons", tmp_path / "x.csv", max_reject_share=2)  # type: ignore[arg-type]
    assert "kind must be one of" in str(info.value) and "max_reject_share" in str(info.value)
