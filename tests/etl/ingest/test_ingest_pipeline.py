"""Tests for the pipeline: loads, quarantine, the reject-share gate, idempotence, progress, arguments."""

from __future__ import annotations

import pandas as pd
import pytest
import shapely

from etl.ingest import (
    IngestError,
    IngestRejectedError,
    ingest,
)
from tests.etl.ingest.ingest_files import (
    HH_COLUMNS,
    good_households,
    household,
    load_households,
    read_quarantine,
    write_csv,
)


def test_good_households_load_with_regions_derived_from_points(store, tmp_path, qdir):
    report = load_households(store, tmp_path, qdir)
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
        *good_households(),
        household(10, 135.2, 33.1),  # line 7
        household(11, emd_code="1111099999"),  # line 8
        household(17),  # line 9
        household(12, income_monthly_krw=-5000),  # line 10
        household(13, size=None),  # line 11
        household(14, housing_type="castle"),  # line 12
        household(17, lon=126.961),  # line 13
        household(15, is_multicultural="maybe"),  # line 14
        household(16, n_elderly=5),  # line 15
        household(18, lon=37.59, lat=126.97),  # line 16
        household(19, lon=126.5, lat=37.3),  # line 17: Korea, no emd here
    ]
    columns = [*HH_COLUMNS, "emd_code"]
    path = write_csv(tmp_path / "hh_bad.csv", rows, columns)
    report = ingest(store, "households", path, quarantine_dir=qdir, max_reject_share=1.0)

    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (16, 5, 11)
    q = read_quarantine(report.quarantine_path).set_index("line")
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
    rows = [*good_households(), household(30, 135.2, 33.1, debt_krw=-1, tenure="borrowed")]
    path = write_csv(tmp_path / "hh_multi.csv", rows)
    report = ingest(store, "households", path, quarantine_dir=qdir, max_reject_share=0.5)
    reason = read_quarantine(report.quarantine_path)["reason"].iloc[0]
    parts = reason.split("; ")
    assert len(parts) == 3
    assert any(p.startswith("unknown tenure 'borrowed'") for p in parts)
    assert "negative amount -1 in debt_krw" in parts
    assert "outside Korea (lon 135.2, lat 33.1)" in parts


def test_loading_the_same_file_twice_changes_nothing(store, tmp_path, qdir):
    first = load_households(store, tmp_path, qdir)
    before = store.read_frame("household").sort_values("household_id").reset_index(drop=True)
    second = load_households(store, tmp_path, qdir)
    after = store.read_frame("household").sort_values("household_id").reset_index(drop=True)
    assert first.rows_unchanged == 0
    assert second.rows_loaded == 5 and second.rows_unchanged == 5
    assert store.count("household") == 5
    pd.testing.assert_frame_equal(before, after)


def test_too_many_rejects_write_nothing_and_keep_old_rows(store, tmp_path, qdir):
    load_households(store, tmp_path, qdir)
    before = store.read_frame("household").sort_values("household_id").reset_index(drop=True)
    rows = [
        household(1, income_monthly_krw=999),  # a replacement that must not be written
        household(40, emd_code="1111099999"),
        household(41, 135.2, 33.1),
    ]
    path = write_csv(tmp_path / "hh_mostly_bad.csv", rows, [*HH_COLUMNS, "emd_code"])
    with pytest.raises(IngestRejectedError) as info:
        ingest(store, "households", path, quarantine_dir=qdir, max_reject_share=0.05, replace=True)
    err = info.value
    assert err.share == pytest.approx(2 / 3)
    assert "2 of 3 rows rejected (66.7%)" in str(err)
    assert "nothing was written" in str(err)
    assert "unknown emd_code: 1 rows (lines 3)" in str(err)
    assert err.quarantine_path.exists()
    assert len(read_quarantine(err.quarantine_path)) == 2
    after = store.read_frame("household").sort_values("household_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(before, after)


def test_default_quarantine_dir_comes_from_settings(store, tmp_path, monkeypatch):
    from geodata.settings import get_settings

    monkeypatch.setenv("ATLAS_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        rows = [*good_households(), household(60, 135.2, 33.1)]
        path = write_csv(tmp_path / "hh_default_q.csv", rows)
        report = ingest(store, "households", path, max_reject_share=0.5)
    finally:
        get_settings.cache_clear()
    assert report.quarantine_path.parent == tmp_path / "var" / "quarantine"


def test_progress_is_reported(store, tmp_path, qdir):
    steps: list[tuple[str, float]] = []
    path = write_csv(tmp_path / "hh_progress.csv", good_households())
    ingest(
        store, "households", path, quarantine_dir=qdir, progress=lambda f, s: steps.append((s, f))
    )
    assert steps[0] == ("read", 0.0) and steps[-1] == ("done", 1.0)
    assert [f for _, f in steps] == sorted(f for _, f in steps)
    assert {"validate", "regions", "write"} <= {s for s, _ in steps}


def test_bad_arguments_are_reported_together(store, tmp_path):
    with pytest.raises(IngestError) as info:
        ingest(store, "persons", tmp_path / "x.csv", max_reject_share=2)  # type: ignore[arg-type]
    assert "kind must be one of" in str(info.value) and "max_reject_share" in str(info.value)
