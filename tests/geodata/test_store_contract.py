"""The same contract, run against the embedded store and PostGIS."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import select, text

from geodata.schema import MEASURE_SRID, AppUser, Referral
from geodata.store.base import Store, StoreError, StoreInputError

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
    with pytest.raises(StoreInputError, match=r"(already exist|duplicate key)"):
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


# ---------------------------------------------------------------------------- count(where)
NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC)


def _operational_rows(store: Store) -> dict[str, int]:
    """One or more rows in every operational table; returns the ids used."""
    kim = store.users.add(username="kim", password_hash="x", role="outreach",
                          jurisdiction_code="11680101", display_name="김")
    lee = store.users.add(username="lee", password_hash="x", role="planner",
                          jurisdiction_code="11680", display_name="이", active=False)
    store.audit.append([{"action": "view_case", "allowed": True, "user_id": kim},
                        {"action": "view_case", "allowed": False, "user_id": lee},
                        {"action": "login", "allowed": True}])
    for hid in (1, 1, 2):
        store.activities.add(household_id=hid, kind="visit", outcome_code="no_need",
                             activity_date=dt.date(2026, 11, 2), user_id=kim)
    store.overrides.replace(household_id=1, tier=1, reason_code="worker_judgement", user_id=kim)
    store.overrides.replace(household_id=1, tier=2, reason_code="worker_judgement", user_id=kim)
    with store.session() as s:
        s.add(Referral(household_id=1, state="sent", user_id=kim, created_at=NOW))
        s.add(Referral(household_id=2, state="done", user_id=kim, created_at=NOW))
    return {"kim": kim, "lee": lee}


def test_count_applies_where_on_every_table_kind(loaded: Store, small_world) -> None:
    ids = _operational_rows(loaded)
    code = small_world["household"]["emd_code"].iloc[0]
    hh = small_world["household"]
    assert loaded.count("household", where={"emd_code": code}) == int((hh["emd_code"] == code).sum())
    assert loaded.count("household", where={"household_id": [1, 2, 3, -5]}) == 3
    assert loaded.count("region", where={"level": "sigungu"}) == 25
    assert loaded.count("crisis_signal", where={"household_id": []}) == 0
    assert loaded.count("app_user") == 2
    assert loaded.count("app_user", where={"role": "planner"}) == 1
    assert loaded.count("app_user", where={"active": True}) == 1
    assert loaded.count("audit_log", where={"action": "view_case"}) == 2
    assert loaded.count("audit_log", where={"action": "view_case", "allowed": False}) == 1
    assert loaded.count("visit_activity", where={"household_id": 1}) == 2
    assert loaded.count("visit_activity", where={"household_id": [1, 2], "kind": "visit"}) == 3
    assert loaded.count("tier_override", where={"household_id": 1}) == 2
    assert loaded.count("tier_override", where={"active": True}) == 1
    assert loaded.count("referral", where={"state": ["sent", "done"]}) == 2
    assert loaded.count("referral", where={"user_id": ids["lee"]}) == 0


def test_count_rejects_unknown_tables_and_columns(store: Store) -> None:
    with pytest.raises(StoreInputError, match="unknown table"):
        store.count("no_such_table")
    with pytest.raises(StoreInputError, match="no columns"):
        store.count("app_user", where={"nope": 1})
    with pytest.raises(StoreInputError, match="no columns"):
        store.count("household", where={"nope": 1})


# ---------------------------------------------------------------------------- error translation
def test_constraint_violations_are_store_input_errors(loaded: Store, small_world) -> None:
    kim = loaded.users.add(username="kim", password_hash="x", role="admin")
    with pytest.raises(StoreInputError, match="taken"):
        loaded.users.add(username="kim", password_hash="y", role="admin")
    with pytest.raises(StoreInputError, match=r"(?i)unique"), loaded.session() as s:
        s.add(AppUser(username="kim", password_hash="x", role="admin", display_name="k",
                      created_at=NOW))
    with pytest.raises(StoreInputError, match=r"(?i)foreign key"):
        loaded.activities.add(household_id=1, kind="visit", outcome_code="no_need",
                              activity_date=dt.date(2026, 11, 2), user_id=kim + 999)
    fac = small_world["facility"].iloc[:2]
    with pytest.raises(StoreInputError, match=r"(already exist|duplicate key)"):
        loaded.write_frame("facility", fac, mode="append")
    assert loaded.count("app_user") == 1 and loaded.count("visit_activity") == 0
    assert loaded.count("facility") == len(small_world["facility"])


def test_bad_columns_and_values_are_store_input_errors(loaded: Store) -> None:
    with pytest.raises(StoreInputError, match="no columns"):
        loaded.read_frame("household", where={"nope": 1})
    with pytest.raises(StoreInputError):
        loaded.read_frame("household", where={"household_id": "abc"})
    with pytest.raises(StoreInputError):
        loaded.count("household", where={"household_id": ["abc"]})
    with pytest.raises(StoreInputError, match="cannot be updated"):
        loaded.users.update(1, username="other")
    with pytest.raises(StoreInputError, match="no columns"):
        loaded.audit.append([{"action": "x", "allowed": True, "secret_column": 1}])


def test_unreachable_postgis_is_a_store_error_without_the_password() -> None:
    from geodata.store.postgis import PostgisStore

    store = PostgisStore.from_url("postgresql+psycopg://atlas:s3cret-pw@127.0.0.1:9/atlas")
    for call in (lambda: store.count("household"), lambda: store.read_frame("region"),
                 lambda: store.users.get(1), lambda: store.audit.append(
                     [{"action": "login", "allowed": True}])):
        with pytest.raises(StoreError) as err:
            call()
        assert "s3cret-pw" not in str(err.value) and "127.0.0.1:9" in str(err.value)
    assert "s3cret-pw" not in repr(store) and "s3cret-pw" not in repr(store.reopen_spec())
    store.close()


def test_unreadable_embedded_store_is_a_store_error(tmp_path) -> None:
    from geodata.store.embedded import EmbeddedStore

    root = tmp_path / "broken"
    (root / "operational.sqlite").mkdir(parents=True)  # a folder where the database should be
    (root / "household.parquet").write_bytes(b"not parquet at all")
    store = EmbeddedStore(root)
    with pytest.raises(StoreError, match=r"operational|unable to open"):
        store.users.get(1)
    with pytest.raises(StoreError, match="could not read household"):
        store.read_frame("household")
    with pytest.raises(StoreError):
        store.count("audit_log")


# ---------------------------------------------------------------------------- result order
def test_read_frame_returns_rows_in_key_order(store: Store, small_world) -> None:
    hh = small_world["household"].sample(frac=1.0, random_state=3)  # shuffled
    store.write_frame("household", hh)
    got = store.read_frame("household", columns=["household_id", "emd_code"])
    assert got["household_id"].tolist() == sorted(hh["household_id"])
    code = hh["emd_code"].iloc[0]
    some = store.read_frame("household", columns=["household_id"], where={"emd_code": code})
    assert some["household_id"].is_monotonic_increasing and len(some) > 1
    signals = small_world["crisis_signal"].sample(frac=1.0, random_state=4)
    store.write_frame("crisis_signal", signals)
    back = store.read_frame("crisis_signal")
    keys = list(zip(back["household_id"], back["source"], back["month"], strict=True))
    assert keys == sorted(keys) and len(back) == len(signals)
    # an upsert that adds keys in the middle and changes others keeps the order
    changed = hh.sort_values("household_id").iloc[[5, 2]].copy()
    changed["size"] = 1
    store.write_frame("household", changed, mode="upsert")
    again = store.read_frame("household", columns=["household_id"])
    assert again["household_id"].tolist() == sorted(hh["household_id"])


def test_spatial_results_have_a_documented_order(loaded: Store, small_world) -> None:
    assert loaded.regions("sigungu")["code"].is_monotonic_increasing
    area = loaded.regions("sigungu").set_index("code").loc["11680", "geometry"]
    assert loaded.households_within(area)["household_id"].is_monotonic_increasing
    # ties: three households at one point, and two facilities at one point
    hh = small_world["household"].copy()
    twins = hh.index[[30, 10, 20]]
    hh.loc[twins, "geometry"] = hh.loc[twins[0], "geometry"]
    loaded.write_frame("household", hh)
    near = loaded.households_near(hh.loc[twins[0], "geometry"], radius_m=300)
    first = near[near["distance_m"] < 1e-6]["household_id"].tolist()
    assert first == sorted(hh.loc[twins, "household_id"])
    assert near["distance_m"].is_monotonic_increasing
    fac = small_world["facility"].copy()
    pair = fac.index[[7, 3]]
    fac.loc[pair, "geometry"] = fac.loc[pair[0], "geometry"]
    loaded.write_frame("facility", fac)
    nearest = loaded.facilities_nearest(fac.loc[pair[0], "geometry"], k=2)
    assert nearest["facility_id"].tolist() == sorted(fac.loc[pair, "facility_id"])


def _scores(version: str, scored_at: dt.datetime, ids: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"household_id": ids, "model_version": version, "scored_at": scored_at,
                         "probability": 0.5, "tier": 2, "rank": range(1, len(ids) + 1),
                         "jurisdiction_code": "11680101", "reasons": "[]"})


def test_model_versions_newest_first(store: Store) -> None:
    assert store.model_versions().empty
    assert list(store.model_versions().columns) == ["model_version", "scored_at", "households"]
    old, new = dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    store.write_frame("risk_score", pd.concat([
        _scores("b-old", old, [1, 2, 3]), _scores("a-new", new, [1, 2]),
        _scores("c-new", new, [4])]))
    got = store.model_versions()
    assert got["model_version"].tolist() == ["a-new", "c-new", "b-old"]
    assert got["households"].tolist() == [2, 1, 3]
    assert got["scored_at"].iloc[0] == pd.Timestamp(new) and str(got["scored_at"].dt.tz) == "UTC"


def test_household_records_bundle_matches_read_frame(loaded: Store, small_world) -> None:
    for name in ("benefit_history", "consultation", "support"):
        loaded.write_frame(name, small_world[name])
    hid = int(small_world["person"]["household_id"].value_counts().index[0])
    tables = ("person", "discovery_history", "benefit_history", "consultation", "support")
    got = loaded.household_records(hid, tables)
    assert list(got) == list(tables)
    for name in tables:
        expected = loaded.read_frame(name, where={"household_id": hid})
        pd.testing.assert_frame_equal(got[name], expected)
    assert len(got["person"]) > 1 and got["person"]["person_id"].is_monotonic_increasing
    with pytest.raises(StoreInputError, match="household_id"):
        loaded.household_records(hid, ["facility"])
    with pytest.raises(StoreInputError, match="not a bulk table"):
        loaded.household_records(hid, ["visit_activity"])
