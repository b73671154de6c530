"""The same contract, run against the embedded store and PostGIS."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import select, text

from geodata.schema import MEASURE_SRID, AppUser
from geodata.store.base import Store, StoreInputError

LOADED = ("region", "household", "crisis_signal", "facility", "discovery_history", "person")


@pytest.fixture
def loaded(store: Store, small_world: dict[str, pd.DataFrame]) -> Store:
    for name in LOADED:
        store.write_frame(name, small_world[name])
    return store


def test_round_trip_keeps_rows_types_and_geometry(loaded: Store, small_world) -> None:
    for name in LOADED:
        assert loaded.count(name) == len(small_world[name])
    hh = loaded.read_frame("household")
    src = small_world["household"]
    assert isinstance(hh, gpd.GeoDataFrame) and hh.crs.to_epsg() == 4326
    hh = hh.sort_values("household_id").reset_index(drop=True)
    assert hh["household_id"].tolist() == src["household_id"].tolist()
    assert shapely.equals_exact(hh.geometry.to_numpy(), src.geometry.to_numpy(), tolerance=1e-9).all()
    assert hh["is_multicultural"].dtype == bool
    assert (hh["income_monthly_krw"].to_numpy() == src["income_monthly_krw"].to_numpy()).all()
    sig = loaded.read_frame("crisis_signal", where={"household_id": [1, 2, 3]})
    assert str(sig["month"].dtype) == "datetime64[ns]"


def test_where_filters_and_columns(loaded: Store, small_world) -> None:
    code = small_world["household"]["emd_code"].iloc[0]
    got = loaded.read_frame("household", columns=["household_id", "emd_code"], where={"emd_code": code})
    assert not isinstance(got, gpd.GeoDataFrame)
    expected = small_world["household"].query("emd_code == @code")["household_id"]
    assert sorted(got["household_id"]) == sorted(expected)
    assert loaded.count("household", where={"emd_code": code}) == len(expected)


def test_bad_requests_raise_specific_errors(loaded: Store, small_world) -> None:
    with pytest.raises(StoreInputError, match="not a bulk table"):
        loaded.read_frame("no_such_table")
    with pytest.raises(StoreInputError, match="no columns"):
        loaded.read_frame("household", columns=["nope"])
    wrong_crs = small_world["facility"].to_crs(MEASURE_SRID)
    with pytest.raises(StoreInputError, match="reproject to EPSG:4326"):
        loaded.write_frame("facility", wrong_crs)


def test_failed_replace_keeps_the_old_table(loaded: Store, small_world) -> None:
    bad = small_world["facility"].copy()
    bad.loc[bad.index[0], "name"] = None  # required column
    bad = pd.concat([bad, bad.iloc[[1]]])  # and a duplicate key
    with pytest.raises(StoreInputError) as err:
        loaded.write_frame("facility", bad)
    assert "null values in required column 'name'" in str(err.value)
    assert "duplicate primary keys" in str(err.value)
    assert loaded.count("facility") == len(small_world["facility"])


def test_upsert_is_idempotent_and_append_refuses_duplicates(loaded: Store, small_world) -> None:
    fac = small_world["facility"]
    changed = fac.iloc[:3].copy()
    changed["current_users"] = 0
    loaded.write_frame("facility", changed, mode="upsert")
    loaded.write_frame("facility", changed, mode="upsert")
    assert loaded.count("facility") == len(fac)
    got = loaded.read_frame("facility", where={"facility_id": changed["facility_id"].tolist()})
    assert (got["current_users"] == 0).all()
    with pytest.raises(Exception, match=r"(already exist|duplicate key|unique)"):
        loaded.write_frame("facility", changed, mode="append")
    assert loaded.count("facility") == len(fac)


def test_regions_by_level_parent_and_display(loaded: Store) -> None:
    sigungu = loaded.regions("sigungu")
    assert len(sigungu) == 25 and sigungu.crs.to_epsg() == 4326
    gangnam = loaded.regions("emd", parent_code="11680")
    assert len(gangnam) > 5 and set(gangnam["sigungu_code"]) == {"11680"}
    display = loaded.regions("emd", parent_code="11680", display=True)
    assert shapely.get_num_coordinates(display.geometry.to_numpy()).sum() <= shapely.get_num_coordinates(
        gangnam.geometry.to_numpy()
    ).sum()


def test_households_within_matches_point_in_polygon(loaded: Store, small_world) -> None:
    area = loaded.regions("sigungu").set_index("code").loc["11680", "geometry"]
    got = loaded.households_within(area)
    hh = small_world["household"]
    expected = hh[shapely.contains_xy(area, hh.geometry.x, hh.geometry.y)]["household_id"]
    assert sorted(got["household_id"]) == sorted(expected)
    assert len(got) > 0


def test_households_near_matches_brute_force_in_5179(loaded: Store, small_world) -> None:
    hh = small_world["household"]
    centre = hh.geometry.iloc[10]
    got = loaded.households_near(centre, radius_m=800)
    metric = hh.to_crs(MEASURE_SRID)
    c = gpd.GeoSeries([centre], crs=4326).to_crs(MEASURE_SRID).iloc[0]
    d = metric.distance(c)
    expected = hh.loc[d <= 800, "household_id"]
    assert sorted(got["household_id"]) == sorted(expected)
    assert np.allclose(np.sort(got["distance_m"]), np.sort(d[d <= 800]), atol=1e-3)
    assert got["distance_m"].is_monotonic_increasing


def test_facilities_nearest_matches_brute_force(loaded: Store, small_world) -> None:
    fac = small_world["facility"]
    here = shapely.Point(126.978, 37.566)  # 서울시청
    d = fac.to_crs(MEASURE_SRID).distance(gpd.GeoSeries([here], crs=4326).to_crs(MEASURE_SRID).iloc[0])
    got = loaded.facilities_nearest(here, k=5)
    assert got["facility_id"].tolist() == fac.assign(d=d).nsmallest(5, "d")["facility_id"].tolist()
    free = fac["capacity"] > fac["current_users"]
    elderly = fac["type_code"].isin(["F06", "F07"])
    got = loaded.facilities_nearest(here, k=3, type_codes=["F06", "F07"], free_places_only=True)
    expected = fac.assign(d=d)[free & elderly].nsmallest(3, "d")["facility_id"].tolist()
    assert got["facility_id"].tolist() == expected
    assert (got["free_places"] > 0).all()


def test_operational_sessions_commit_and_roll_back(store: Store) -> None:
    now = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
    with store.session() as s:
        s.add(AppUser(username="kim", password_hash="x", role="planner", display_name="김", created_at=now))
    with pytest.raises(RuntimeError), store.session() as s:
        s.add(AppUser(username="lee", password_hash="x", role="planner", display_name="이", created_at=now))
        s.flush()
        raise RuntimeError("crash mid-transaction")
    with store.session() as s:
        names = s.scalars(select(AppUser.username)).all()
    assert names == ["kim"]
    assert store.count("app_user") == 1


def test_postgis_radius_and_knn_queries_can_use_the_5179_indexes(postgis_store: Store, small_world) -> None:
    postgis_store.write_frame("household", small_world["household"])
    postgis_store.write_frame("facility", small_world["facility"])
    with postgis_store.engine.begin() as conn:
        conn.execute(text("ANALYZE household; ANALYZE facility"))
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        radius = conn.execute(text(
            "EXPLAIN SELECT household_id FROM household WHERE ST_DWithin(ST_Transform(geometry, 5179), "
            "ST_Transform(ST_SetSRID(ST_MakePoint(127.0, 37.5), 4326), 5179), 500)"
        )).scalars().all()
        knn = conn.execute(text(
            "EXPLAIN SELECT facility_id FROM facility ORDER BY ST_Transform(geometry, 5179) <-> "
            "ST_Transform(ST_SetSRID(ST_MakePoint(127.0, 37.5), 4326), 5179) LIMIT 5"
        )).scalars().all()
    assert any("ix_household_geom_5179" in line for line in radius), radius
    assert any("ix_facility_geom_5179" in line for line in knn), knn
