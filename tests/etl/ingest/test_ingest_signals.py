"""Tests for etl.ingest.signals: households, sources, months and values of crisis signals."""

from __future__ import annotations

from etl.ingest import (
    ingest,
)
from tests.etl.ingest.ingest_files import load_households, read_quarantine, write_csv


def test_signals_validate_households_sources_months_and_values(store, tmp_path, qdir):
    load_households(store, tmp_path, qdir)
    rows = [
        {"household_id": 1, "source": "gas_arrears", "month": "2024-03", "value": 45000},
        {"household_id": 1, "source": "전기요금 체납", "month": "2024-03-15", "value": 30000},
        {"household_id": 2, "source": "job_loss", "month": "2024-02-01", "value": 1},
        {"household_id": 3, "source": "water_arrears", "month": "2024-01", "value": 12000},
        {"household_id": 999, "source": "gas_arrears", "month": "2024-03", "value": 1},  # line 6
        {"household_id": 2, "source": "gas_arrears", "month": "2024-13-01", "value": 1},  # line 7
        {"household_id": 2, "source": "lottery_win", "month": "2024-03", "value": 1},  # line 8
        {"household_id": 3, "source": "gas_arrears", "month": "2024-04", "value": -3},  # line 9
        {"household_id": 4, "source": "telecom_arrears", "month": "2024-05", "value": 1},  # line 10
        {
            "household_id": 4,
            "source": "telecom_arrears",
            "month": "2024-05-20",
            "value": 2,
        },  # line 11
    ]
    path = write_csv(tmp_path / "signals.csv", rows)
    report = ingest(store, "signals", path, quarantine_dir=qdir, max_reject_share=1.0)
    assert (report.rows_loaded, report.rows_rejected) == (4, 6)
    q = read_quarantine(report.quarantine_path).set_index("line")
    assert "unknown household_id 999" in q.loc["6", "reason"]
    assert "bad date '2024-13-01' in month" in q.loc["7", "reason"]
    assert "unknown source 'lottery_win'" in q.loc["8", "reason"]
    assert "negative amount -3 in value" in q.loc["9", "reason"]
    assert (
        "duplicate signal (household_id 4, source telecom_arrears, month 2024-05) (also on line 11)"
        in q.loc["10", "reason"]
    )
    stored = store.read_frame("crisis_signal").sort_values(["household_id", "source"])
    assert stored["month"].dt.day.eq(1).all()
    assert set(stored["source"]) == {
        "gas_arrears",
        "electricity_arrears",
        "job_loss",
        "water_arrears",
    }
    again = ingest(store, "signals", path, quarantine_dir=qdir, max_reject_share=1.0)
    assert again.rows_unchanged == 4 and store.count("crisis_signal") == 4
