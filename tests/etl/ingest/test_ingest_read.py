"""Tests for etl.ingest.read: formats, encodings and malformed files."""

from __future__ import annotations

import pandas as pd
import pytest

from etl.ingest import (
    IngestFileError,
    ingest,
)
from tests.etl.ingest.ingest_files import HH_COLUMNS, good_households, write_csv


def test_parquet_households_load(store, tmp_path, qdir):
    path = tmp_path / "hh.parquet"
    pd.DataFrame(good_households()).to_parquet(path)
    report = ingest(store, "households", path, quarantine_dir=qdir)
    assert report.rows_loaded == 5 and report.encoding is None
    assert store.read_frame("household")["is_multicultural"].eq(False).all()


def test_bad_parquet_footer_is_a_file_error(store, tmp_path, qdir):
    good = tmp_path / "hh_full.parquet"
    pd.DataFrame(good_households()).to_parquet(good)
    bad = tmp_path / "hh_cut.parquet"
    bad.write_bytes(good.read_bytes()[:-20])
    with pytest.raises(
        IngestFileError, match=r"not a readable Parquet file \(truncated or corrupt"
    ):
        ingest(store, "households", bad, quarantine_dir=qdir)


def test_unclosed_quote_is_a_truncated_file_error(store, tmp_path, qdir):
    path = write_csv(tmp_path / "hh_quote.csv", good_households())
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('6,126.97,37.59,2,1,0,0,70,"elderly_couple,false,apartment\n')
    with pytest.raises(
        IngestFileError, match=r"quoted field opened on or after line 7 is never closed"
    ):
        ingest(store, "households", path, quarantine_dir=qdir)


def test_short_last_row_is_a_truncated_file_error(store, tmp_path, qdir):
    path = write_csv(tmp_path / "hh_short.csv", good_households())
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("6,126.97,37.59,2,1\n")
    with pytest.raises(
        IngestFileError, match=r"looks truncated: line 7 has 5 fields, the header has 18"
    ):
        ingest(store, "households", path, quarantine_dir=qdir)
    assert store.count("household") == 0


def test_missing_columns_are_listed_with_the_columns_found(store, tmp_path, qdir):
    rows = [
        {k: v for k, v in r.items() if k not in ("tenure", "debt_krw")} for r in good_households()
    ]
    path = write_csv(tmp_path / "hh_cols.csv", rows)
    with pytest.raises(IngestFileError) as info:
        ingest(store, "households", path, quarantine_dir=qdir)
    msg = str(info.value)
    assert "missing required columns ['tenure', 'debt_krw']" in msg
    assert "columns found: ['household_id', 'lon', 'lat'," in msg


def test_file_without_header_says_so(store, tmp_path, qdir):
    path = tmp_path / "hh_noheader.csv"
    full = write_csv(tmp_path / "hh_tmp.csv", good_households())
    path.write_text(
        "".join(full.read_text(encoding="utf-8").splitlines(keepends=True)[1:]), encoding="utf-8"
    )
    with pytest.raises(IngestFileError, match=r"first line looks like data, not a header"):
        ingest(store, "households", path, quarantine_dir=qdir)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", r"the file is empty \(0 bytes\)"),
        ("header_only.csv", ",".join(HH_COLUMNS).encode() + b"\n", r"no data rows \(only a header"),
        ("sheet.xlsx", b"PK\x03\x04", r"unsupported file type '.xlsx'.*CSV UTF-8"),
        (
            "latin.csv",
            "name,city\ncafé,Zürich\n".encode("latin-1"),
            r"neither UTF-8 nor CP949/EUC-KR \(detected encoding: \w+\).*iconv",
        ),
        ("binary.csv", b"PAR1\x00\x00\x01", r"not a text CSV file"),
    ],
)
def test_malformed_files_give_specific_errors(store, tmp_path, qdir, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestFileError, match=message):
        ingest(store, "households", path, quarantine_dir=qdir)
