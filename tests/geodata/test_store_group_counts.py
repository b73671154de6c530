"""``Store.group_counts``: counts per group computed by the store, the same on both stores."""

from __future__ import annotations

import pandas as pd
import pytest

from geodata.store.base import Store, StoreInputError

TABLES = ("region", "household", "discovery_history")


@pytest.fixture
def loaded(store: Store, small_world: dict[str, pd.DataFrame]) -> Store:
    for name in TABLES:
        store.write_frame(name, small_world[name])
    return store


def _expected(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The groups of ``frame`` counted in pandas (null keys kept), in the contract's order."""
    out = frame.groupby(by, dropna=False, sort=False).size().rename("rows").reset_index()
    out["rows"] = out["rows"].astype("int64")
    return out.sort_values(by, kind="stable", na_position="last").reset_index(drop=True)


def test_counts_match_the_rows_read(loaded: Store) -> None:
    for table, by in [("household", ["household_type"]),
                      ("household", ["sigungu_code", "household_type"]),
                      ("discovery_history", ["cycle_date", "outcome"])]:
        got = loaded.group_counts(table, by)
        expected = _expected(pd.DataFrame(loaded.read_frame(table, columns=by)), by)
        assert list(got.columns) == [*by, "rows"]
        assert got["rows"].dtype == "int64"
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)
        assert int(got["rows"].sum()) == loaded.count(table)


def test_dates_keep_their_read_frame_type(loaded: Store) -> None:
    got = loaded.group_counts("discovery_history", ["cycle_date"])
    read = loaded.read_frame("discovery_history", columns=["cycle_date"])
    assert got["cycle_date"].dtype == read["cycle_date"].dtype == "datetime64[ns]"
    assert got["cycle_date"].is_monotonic_increasing


def test_where_filters_before_counting(loaded: Store, small_world) -> None:
    code = str(small_world["household"]["sigungu_code"].iloc[0])
    got = loaded.group_counts("household", ["household_type"], where={"sigungu_code": code})
    src = small_world["household"]
    expected = _expected(pd.DataFrame(src[src["sigungu_code"] == code][["household_type"]]),
                         ["household_type"])
    assert got["household_type"].tolist() == expected["household_type"].tolist()
    assert got["rows"].tolist() == expected["rows"].tolist()
    ids = [int(i) for i in src["household_id"].iloc[:7]]
    assert int(loaded.group_counts("household", ["emd_code"],
                                   where={"household_id": ids})["rows"].sum()) == 7


def test_null_is_a_group_of_its_own_sorted_last(store: Store, small_world) -> None:
    regions = small_world["region"].copy()
    regions["population"] = regions["population"].astype("Int64")
    regions.loc[regions.index[:3], "population"] = pd.NA
    store.write_frame("region", regions)
    nulls_last = store.group_counts("region", ["parent_code"])
    assert nulls_last["parent_code"].isna().tolist()[-1]
    assert int(nulls_last["rows"].iloc[-1]) == int(regions["parent_code"].isna().sum()) > 0
    by_number = store.group_counts("region", ["population"])
    assert by_number["population"].isna().tolist()[-1] and int(by_number["rows"].iloc[-1]) == 3
    expected = _expected(pd.DataFrame(store.read_frame("region", columns=["population"])),
                         ["population"])
    pd.testing.assert_frame_equal(by_number, expected, check_dtype=False)


def test_empty_table_and_no_match_give_no_groups(loaded: Store) -> None:
    empty = loaded.group_counts("risk_score", ["tier"])
    assert list(empty.columns) == ["tier", "rows"] and empty.empty
    none = loaded.group_counts("household", ["household_type"], where={"emd_code": "0000000000"})
    assert none.empty


def test_bad_requests_raise_store_input_errors(loaded: Store) -> None:
    with pytest.raises(StoreInputError, match="not a bulk table"):
        loaded.group_counts("app_user", ["role"])
    with pytest.raises(StoreInputError, match="at least one"):
        loaded.group_counts("household", [])
    with pytest.raises(StoreInputError, match="no columns"):
        loaded.group_counts("household", ["nope"])
    with pytest.raises(StoreInputError, match="geometry"):
        loaded.group_counts("household", ["geometry"])
    with pytest.raises(StoreInputError, match="repeats"):
        loaded.group_counts("household", ["emd_code", "emd_code"])
    with pytest.raises(StoreInputError, match="bad where values"):
        loaded.group_counts("household", ["emd_code"], where={"household_id": "x"})
