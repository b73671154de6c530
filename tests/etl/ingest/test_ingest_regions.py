"""Tests for etl.ingest.regions: declared region codes against the point."""

from __future__ import annotations

from etl.ingest import (
    ingest,
)
from tests.etl.ingest.ingest_files import (
    HH_COLUMNS,
    good_households,
    household,
    read_quarantine,
    write_csv,
)


def test_declared_emd_code_policy(store, tmp_path, qdir):
    rows = [
        *good_households(),
        household(50, 126.9805, 37.59, emd_code="11110101"),  # ~45 m into 11110102: kept
        household(51, 126.995, 37.56, emd_code="11110101"),  # ~1.3 km away: rejected
        household(52, 126.97, 37.59, emd_code="11110101", sigungu_code="11140"),
    ]
    columns = [*HH_COLUMNS, "emd_code", "sigungu_code"]
    path = write_csv(tmp_path / "hh_emd.csv", rows, columns)
    report = ingest(store, "households", path, quarantine_dir=qdir, max_reject_share=1.0)
    stored = store.read_frame("household").set_index("household_id")
    assert stored.loc[50, "emd_code"] == "11110101"
    assert sum(report.warnings_count.values()) == 1
    q = read_quarantine(report.quarantine_path).set_index("household_id")
    assert "km outside emd_code 11110101 (it lies in 11140101)" in q.loc["51", "reason"]
    assert (
        "sigungu_code 11140 does not match emd_code 11110101 (expected 11110)"
        in q.loc["52", "reason"]
    )
