"""Small-cell suppression (domain.disclosure)."""

from __future__ import annotations

import doctest
import logging

import numpy as np
import pandas as pd
import pytest

from domain import disclosure
from domain.disclosure import (
    DisclosureInputError,
    is_small,
    min_cell_count,
    suppress_small_cells,
)
from geodata.settings import get_settings


def _emd_table() -> pd.DataFrame:
    """읍면동 rows of two 시군구 with households by tier and a derived share."""
    table = pd.DataFrame(
        {
            "sgg": ["11110", "11110", "11110", "11140", "11140", "11140"],
            "name": ["청운효자동", "사직동", "삼청동", "소공동", "회현동", "명동"],
            "households": [120, 3, 80, 0, 60, 45],
            "high_tier": [12, 1, 9, 0, 7, 2],
        },
        index=pd.Index(["1111051500", "1111053000", "1111054000", "1114052000",
                        "1114054000", "1114055000"], name="emd_code"),
    )
    table["high_share"] = table["high_tier"] / table["households"].where(table["households"] > 0)
    return table


def test_min_cell_count_is_five_by_default_and_read_from_settings(monkeypatch):
    assert min_cell_count() == 5
    monkeypatch.setenv("ATLAS_MIN_CELL_COUNT", "10")
    get_settings.cache_clear()
    try:
        assert min_cell_count() == 10
        out = suppress_small_cells(pd.DataFrame({"n": [5, 9, 10]}), count_cols=["n"])
        assert out["n"].isna().tolist() == [True, True, False]
        assert is_small(9) and not is_small(10)
    finally:
        monkeypatch.delenv("ATLAS_MIN_CELL_COUNT")
        get_settings.cache_clear()


def test_is_small_scalar_and_array():
    assert is_small(1) and is_small(4) and not is_small(0) and not is_small(5)
    assert is_small(0, suppress_zero=True)
    assert is_small([0, 3, np.nan, 7], min_count=5).tolist() == [False, True, False, False]


def test_whole_row_zero_columns_and_exempt_rows():
    table = pd.DataFrame({"households": [3, 50, 50, 0], "high": [1, 2, 0, 0]},
                         index=["a", "b", "c", "d"])
    out = suppress_small_cells(table, count_cols=["households", "high"], whole_row=True,
                               suppress_zero=["households"])
    assert out["suppressed"].tolist() == [True, True, False, True]
    assert out.loc["b"].isna()[["households", "high"]].all()  # whole row hidden
    assert out.loc["c", "high"] == 0  # zeros of other columns are shown
    kept = suppress_small_cells(table, count_cols=["households", "high"], whole_row=True,
                                exempt={"a", "b"})
    assert kept["suppressed"].tolist() == [False, False, False, False]
    assert kept.loc["a", "households"] == 3


def test_primary_suppression_hides_one_to_four_and_shows_zero():
    table = pd.DataFrame({"n": [0, 1, 4, 5, 100]})
    out = suppress_small_cells(table, count_cols=["n"])
    assert out["n"].isna().tolist() == [False, True, True, False, False]
    assert out["n"].tolist()[3:] == [5.0, 100.0]
    assert out["n"].iloc[0] == 0.0
    assert out["suppressed"].tolist() == [False, True, True, False, False]
    assert out["suppressed"].dtype == bool


def test_suppress_zero_and_custom_threshold():
    table = pd.DataFrame({"n": [0, 3, 9, 10]})
    out = suppress_small_cells(table, count_cols=["n"], min_count=10, suppress_zero=True)
    assert out["n"].isna().tolist() == [True, True, True, False]


def test_derived_columns_follow_all_counts_by_default():
    out = suppress_small_cells(_emd_table(), count_cols=["households", "high_tier"],
                               derived_cols=["high_share"])
    # 사직동: households 3 and high_tier 1 hidden; 청운효자동 high_tier 12 shown
    assert np.isnan(out.loc["1111053000", ["households", "high_tier", "high_share"]]
                    .astype(float)).all()
    # 명동: high_tier 2 hidden, so the share (which would reveal it) is hidden too
    assert np.isnan(out.loc["1114055000", "high_share"])
    assert out.loc["1114055000", "households"] == 45
    assert out.loc["1111051500", "high_share"] == pytest.approx(0.1)


def test_derived_columns_with_explicit_dependencies():
    table = pd.DataFrame({"a": [2, 50], "b": [40, 50], "a_rate": [0.1, 0.2], "b_rate": [0.3, 0.4]})
    out = suppress_small_cells(table, count_cols=["a", "b"],
                               derived_cols={"a_rate": ["a"], "b_rate": "b"})
    assert np.isnan(out.loc[0, "a_rate"]) and out.loc[0, "b_rate"] == 0.3


def test_secondary_suppression_within_group():
    out = suppress_small_cells(_emd_table(), count_cols=["households", "high_tier"],
                               derived_cols=["high_share"], group_col="sgg")
    hidden = out[["households", "high_tier"]].isna()
    # In 11110 사직동 households=3 is the only small cell -> the smallest other (삼청동 80) too
    assert hidden["households"].tolist() == [False, True, True, False, False, False]
    # high_tier: 11110 has 사직동 (1) -> complement 삼청동 (9); 11140 has 명동 (2) -> complement
    # the smallest positive other cell, 회현동 (7), not the zero of 소공동
    assert hidden["high_tier"].tolist() == [False, True, True, False, True, True]
    assert out["suppressed"].tolist() == [False, True, True, False, True, True]
    # no group has exactly one hidden cell left
    per_group = hidden.groupby(out["sgg"]).sum()
    assert not (per_group == 1).any().any()


def test_secondary_uses_a_zero_when_nothing_else_is_left():
    table = pd.DataFrame({"g": ["x", "x"], "n": [0, 2]})
    out = suppress_small_cells(table, count_cols=["n"], group_col="g")
    assert out["n"].isna().all()


def test_secondary_within_rows_and_iteration_across_directions():
    # parts of a row total: tier1..tier3; rows grouped by sgg
    table = pd.DataFrame(
        {
            "sgg": ["A", "A", "A"],
            "tier1": [3, 10, 20],
            "tier2": [30, 40, 50],
            "tier3": [60, 70, 80],
        }
    )
    out = suppress_small_cells(table, count_cols=["tier1", "tier2", "tier3"], group_col="sgg",
                               row_total=True)
    hidden = out[["tier1", "tier2", "tier3"]].isna().to_numpy()
    assert hidden.sum(axis=0).tolist() != [1, 1, 1]
    assert not (hidden.sum(axis=0) == 1).any()  # no lone hidden cell in a column group
    assert not (hidden.sum(axis=1) == 1).any()  # no lone hidden cell in a row
    assert hidden[0, 0]  # the primary cell


def test_pre_existing_nan_counts_as_hidden_not_suppressed():
    table = pd.DataFrame({"g": ["x", "x", "x"], "n": [np.nan, 2, 50]})
    out = suppress_small_cells(table, count_cols=["n"], group_col="g")
    assert out["n"].isna().tolist() == [True, True, False]  # NaN already protects the 2
    assert out["suppressed"].tolist() == [False, True, False]


def test_single_row_group_is_logged(caplog):
    table = pd.DataFrame({"g": ["x", "y", "y"], "n": [2, 10, 20]})
    with caplog.at_level(logging.WARNING, logger="domain.disclosure"):
        out = suppress_small_cells(table, count_cols=["n"], group_col="g")
    assert out["n"].isna().tolist() == [True, False, False]
    assert "single row" in caplog.text


def test_input_is_not_mutated():
    table = _emd_table()
    before = table.copy(deep=True)
    suppress_small_cells(table, count_cols=["households", "high_tier"],
                         derived_cols=["high_share"], group_col="sgg", row_total=True)
    pd.testing.assert_frame_equal(table, before)


def test_dtypes_and_layout():
    table = _emd_table()
    table["high_tier"] = table["high_tier"].astype("Int64")  # nullable input
    table["households"] = table["households"].astype("int32")
    table["rank"] = np.arange(len(table), dtype=np.int64)
    out = suppress_small_cells(table, count_cols=["households", "high_tier"],
                               derived_cols={"rank": ["high_tier"]})
    assert out.index.equals(table.index)
    assert list(out.columns) == [*table.columns, "suppressed"]
    assert out["households"].dtype == np.float64
    assert out["high_tier"].dtype == np.float64
    assert out["rank"].dtype == np.float64  # an int derived column gains NaN
    assert out["name"].equals(table["name"])
    assert out["sgg"].dtype == table["sgg"].dtype
    # shown values are unchanged
    shown = ~out["suppressed"]
    np.testing.assert_array_equal(out.loc[shown, "households"], table.loc[shown, "households"])


def test_no_suppression_leaves_values_and_adds_false_flag():
    table = pd.DataFrame({"n": [5, 6], "rate": [0.5, 0.6]})
    out = suppress_small_cells(table, count_cols=["n"], derived_cols=["rate"])
    assert out["n"].tolist() == [5.0, 6.0]
    assert out["rate"].tolist() == [0.5, 0.6]
    assert not out["suppressed"].any()


def test_empty_table():
    table = pd.DataFrame({"g": pd.Series([], dtype=str), "n": pd.Series([], dtype=int)})
    out = suppress_small_cells(table, count_cols=["n"], group_col="g", row_total=True)
    assert len(out) == 0 and "suppressed" in out.columns


def test_problems_reported_together():
    table = pd.DataFrame({"n": [-1, 3], "label": ["a", "b"], "suppressed": [False, False]})
    with pytest.raises(DisclosureInputError) as err:
        suppress_small_cells(table, count_cols=["n", "label", "missing"], min_count=0,
                             derived_cols=["nope"], group_col="also_missing")
    message = str(err.value)
    for fragment in ("negative", "numeric", "not in table: ['missing']", "min_count",
                     "'suppressed' column", "derived column 'nope'", "group_col"):
        assert fragment in message


def test_string_count_cols_rejected():
    with pytest.raises(DisclosureInputError, match="not a string"):
        suppress_small_cells(pd.DataFrame({"n": [1]}), count_cols="n")


def test_doctests():
    assert doctest.testmod(disclosure, raise_on_error=True).failed == 0
