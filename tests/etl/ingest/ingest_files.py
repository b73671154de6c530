"""Small ingest input files for the tests: three 읍면동 boxes in central Seoul, households, portal rows."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from etl.ingest import (
    IngestReport,
    ingest,
)
from geodata.store.embedded import EmbeddedStore

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


def household(hid: int, lon: float = 126.97, lat: float = 37.59, **overrides: object) -> dict:
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


def good_households() -> list[dict]:
    return [
        household(1, 126.965, 37.585),
        household(2, 126.975, 37.595, size=1, n_elderly=1, household_type="single_elderly"),
        household(3, 126.985, 37.590),  # in 11110102
        household(4, 126.990, 37.560, tenure="monthly_rent"),  # in 11140101
        household(
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


def write_csv(
    path: Path, rows: list[dict], columns: list[str] | None = None, encoding: str = "utf-8"
) -> Path:
    columns = columns or list(rows[0])
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    return path


def read_quarantine(path: Path) -> pd.DataFrame:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf"), "quarantine must be UTF-8 with BOM"
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)


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


def portal_rows() -> list[dict]:
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


def load_households(
    store: EmbeddedStore, tmp_path: Path, qdir: Path, name: str = "hh.csv"
) -> IngestReport:
    path = write_csv(tmp_path / name, good_households())
    return ingest(store, "households", path, quarantine_dir=qdir)


def region_frame():
    """The three 읍면동 boxes of :data:`EMD` as ``region`` rows."""
    import geopandas as gpd
    from shapely.geometry import MultiPolygon, box

    rows = [
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
        for code, bounds in EMD.items()
    ]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
