"""Public nearby-facility finder on both stores: ordering, filters, places, validation."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point

from geodata.store.base import Store
from services.nearby import (
    PUBLIC_COLUMNS,
    NearbyInputError,
    nearby_facilities,
    parse_coordinates,
    validate_point,
)

CENTRE = Point(126.9780, 37.5665)  # 서울시청


def _facilities() -> gpd.GeoDataFrame:
    rng = np.random.default_rng(3)
    n = 60
    lon = CENTRE.x + rng.normal(0, 0.03, n)
    lat = CENTRE.y + rng.normal(0, 0.02, n)
    kinds = [("F06", "노인복지관", "elderly", "leisure"), ("F40", "지역아동센터", "children", "day_care"),
             ("F55", "사회복지관", "community", "community_service")]
    rows = []
    for i in range(n):
        code, name, group, func = kinds[i % 3]
        cap = 30 + i
        rows.append({"facility_id": i + 1, "name": f"시설 {i + 1}", "type_code": code,
                     "type_name": name, "target_group": group, "function": func,
                     "capacity": cap, "current_users": cap if i % 4 == 0 else cap - 3,
                     "address": f"서울특별시 중구 {i + 1}", "emd_code": "11140101",
                     "sigungu_code": "11140", "sido_code": "11"})
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=shapely.points(lon, lat), crs=4326)


def _region() -> gpd.GeoDataFrame:
    box = shapely.box(126.96, 37.55, 127.00, 37.58)
    multi = shapely.MultiPolygon([box])
    return gpd.GeoDataFrame(
        {"code": ["11140"], "level": ["sigungu"], "name": ["중구"], "full_name": ["서울특별시 중구"],
         "parent_code": ["11"], "sido_code": ["11"], "sigungu_code": ["11140"],
         "area_km2": [10.0]}, geometry=[multi], crs=4326)


@pytest.fixture
def filled(store: Store) -> Store:
    store.write_frame("facility", _facilities())
    store.write_frame("region", _region())
    return store


def test_nearest_first_with_free_places(filled: Store) -> None:
    result = nearby_facilities(filled, point=CENTRE, k=10)
    fac = result.facilities
    assert list(fac.columns) == list(PUBLIC_COLUMNS)
    assert len(fac) == 10 and list(fac["rank"]) == list(range(1, 11))
    assert fac["distance_m"].is_monotonic_increasing
    assert (fac["free_places"] == (fac["capacity"] - fac["current_users"]).clip(lower=0)).all()
    # distances agree with a projected computation
    pts = gpd.GeoSeries(shapely.points(fac["lon"], fac["lat"]), crs=4326).to_crs(5179)
    here = gpd.GeoSeries([CENTRE], crs=4326).to_crs(5179).iloc[0]
    assert np.allclose(pts.distance(here).to_numpy(), fac["distance_m"], atol=1.0)


def test_filters_by_group_type_and_free_places(filled: Store) -> None:
    kids = nearby_facilities(filled, point=CENTRE, k=5, target_groups=["children"]).facilities
    assert set(kids["target_group"]) == {"children"}
    free = nearby_facilities(filled, point=CENTRE, k=50, free_places_only=True).facilities
    assert (free["free_places"] > 0).all() and len(free) == 45
    both = nearby_facilities(filled, point=CENTRE, k=5, type_codes=["F06"],
                             target_groups=["children"]).facilities
    assert both.empty and list(both.columns) == list(PUBLIC_COLUMNS)


def test_same_answer_on_both_stores_and_no_personal_data(filled: Store) -> None:
    fac = nearby_facilities(filled, coordinates="37.5665, 126.9780", k=5).facilities
    expected = nearby_facilities(filled, point=CENTRE, k=5).facilities
    assert list(fac["facility_id"]) == list(expected["facility_id"])
    assert not {"household_id", "person_id", "geometry"} & set(fac.columns)


def test_region_origin_is_its_representative_point(filled: Store) -> None:
    result = nearby_facilities(filled, region_code="11140", k=3)
    assert result.origin_label == "서울특별시 중구" and result.region_code == "11140"
    assert _region().geometry.iloc[0].contains(result.origin)
    with pytest.raises(NearbyInputError) as err:
        nearby_facilities(filled, region_code="99999", k=3)
    assert err.value.code == "unknown_region"


@pytest.mark.parametrize(("lon", "lat", "code"), [
    (0.0, 0.0, "outside_korea"), (139.69, 35.68, "outside_korea"),  # 도쿄
    (37.5, 126.9, "outside_korea"), ("x", 1, "bad_coordinates"), (np.nan, 37.0, "bad_coordinates")])
def test_coordinates_outside_korea_rejected(lon: object, lat: object, code: str) -> None:
    with pytest.raises(NearbyInputError) as err:
        validate_point(lon, lat)  # type: ignore[arg-type]
    assert err.value.code == code


def test_swapped_coordinates_are_explained_and_parsing_accepts_both_orders() -> None:
    with pytest.raises(NearbyInputError, match="swapped"):
        validate_point(37.5665, 126.978)
    assert parse_coordinates("37.5665, 126.978").equals(Point(126.978, 37.5665))
    assert parse_coordinates("126.978 37.5665").equals(Point(126.978, 37.5665))
    with pytest.raises(NearbyInputError):
        parse_coordinates("서울")


def test_needs_a_place_and_a_sane_k(embedded_store: Store) -> None:
    with pytest.raises(NearbyInputError) as err:
        nearby_facilities(embedded_store)
    assert err.value.code == "no_place"
    with pytest.raises(NearbyInputError):
        nearby_facilities(embedded_store, point=CENTRE, k=0)
