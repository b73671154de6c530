"""The bad-input corpus: every kind of bad file through ``atlas ingest``, on both stores.

Each case asserts the exit code, the message (and, for rejected rows, the reason written to the
quarantine file) and that nothing stored is lost: a refused file leaves every table exactly as it
was; a partial load or an explicit ``--replace`` changes only the rows it reports.

The store starts with a small world: three 읍면동, five households (two with members and all five
with scores), two crisis signals and two facilities.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from rich.console import Console
from shapely.geometry import box
from typer.testing import CliRunner

import etl.cli
from etl.cli import app
from etl.ingest import ingest
from geodata.settings import get_settings
from geodata.store.base import Store
from geodata.store.frames import primary_key
from tests.etl.ingest.ingest_files import (
    HH_COLUMNS,
    PORTAL_HEADER,
    good_households,
    household,
    portal_rows,
    write_csv,
)

TABLES = ("household", "person", "crisis_signal", "facility", "risk_score")
FAC_COLUMNS = [
    "facility_id",
    "name",
    "type_code",
    "capacity",
    "current_users",
    "address",
    "lon",
    "lat",
]
TODAY = dt.date.today()


# ----------------------------------------------------------------------------- the world
def _facility(fid: int, **overrides: object) -> dict:
    row = {
        "facility_id": fid,
        "name": f"시설{fid}",
        "type_code": "F55",
        "capacity": 100,
        "current_users": 50,
        "address": "서울 종로구",
        "lon": 126.965,
        "lat": 37.585,
    }
    row.update(overrides)
    return row


def _signal(hid: int = 1, source: str = "gas_arrears", month: str = "2024-03", value: object = 1):
    return {"household_id": hid, "source": source, "month": month, "value": value}


def _persons() -> pd.DataFrame:
    rows = [(101, 1, "head"), (102, 1, "spouse"), (201, 2, "head")]
    return pd.DataFrame(
        {
            "person_id": [p for p, _, _ in rows],
            "household_id": [h for _, h, _ in rows],
            "name": ["김영수", "이순자", "박정희"],
            "rrn_masked": ["500101-1******", "520202-2******", "480303-2******"],
            "birth_year": [1950, 1952, 1948],
            "sex": ["M", "F", "F"],
            "disability": ["none"] * 3,
            "relation": [r for _, _, r in rows],
        }
    )


def _scores(households: pd.DataFrame) -> pd.DataFrame:
    n = len(households)
    return pd.DataFrame(
        {
            "household_id": households["household_id"].to_numpy(),
            "model_version": ["gbm-test"] * n,
            "scored_at": [pd.Timestamp("2026-11-30", tz="UTC")] * n,
            "probability": np.linspace(0.1, 0.5, n),
            "tier": [2] * n,
            "rank": np.arange(1, n + 1),
            "jurisdiction_code": households["emd_code"].to_numpy(),
            "reasons": ["[]"] * n,
        }
    )


@pytest.fixture
def world(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    monkeypatch.setattr(etl.cli, "_store", lambda: store)
    monkeypatch.setattr(etl.cli, "console", Console(width=10_000, no_color=True))
    seed = tmp_path / "seed"
    seed.mkdir()
    q = tmp_path / "seed-quarantine"
    ingest(store, "households", write_csv(seed / "hh.csv", good_households()), quarantine_dir=q)
    ingest(
        store,
        "signals",
        write_csv(seed / "s.csv", [_signal(1), _signal(2, "job_loss", "2024-02")]),
        quarantine_dir=q,
    )
    facilities = [_facility(501), _facility(502, type_code="F06", lon=126.99, lat=37.56)]
    ingest(
        store, "facilities", write_csv(seed / "f.csv", facilities, FAC_COLUMNS), quarantine_dir=q
    )
    store.write_frame("person", _persons())
    store.write_frame("risk_score", _scores(store.read_frame("household")))
    yield store
    get_settings.cache_clear()


def _snapshot(store: Store) -> dict[str, pd.DataFrame]:
    out = {}
    for name in TABLES:
        frame = pd.DataFrame(store.read_frame(name))
        if "geometry" in frame:
            frame["geometry"] = shapely.to_wkt(frame["geometry"].to_numpy(), rounding_precision=9)
        out[name] = frame.sort_values(primary_key(name)).reset_index(drop=True)
    return out


# ----------------------------------------------------------------------------- the cases
Build = Callable[[Path], Path]


@dataclass(frozen=True)
class Case:
    """One kind of bad (or replacing) input and what ``atlas ingest`` must do with it."""

    id: str
    kind: str
    build: Build
    exit_code: int
    message: str  # regex searched in the CLI output
    reason: str | None = None  # regex every quarantined row's reason must match
    args: tuple[str, ...] = ()
    #: rows each table gains (or loses, negative) in a successful load
    delta: dict[str, int] = field(default_factory=dict)
    #: stored keys the load may change, per table
    changes: dict[str, set[tuple]] = field(default_factory=dict)


def _csv(rows: list[dict], columns: list[str] | None = None, encoding: str = "utf-8") -> Build:
    return lambda d: write_csv(d / "in.csv", rows, columns, encoding=encoding)


def _bytes(name: str, content: bytes) -> Build:
    def build(d: Path) -> Path:
        (d / name).write_bytes(content)
        return d / name

    return build


def _text_after(rows: list[dict], extra: str) -> Build:
    def build(d: Path) -> Path:
        path = write_csv(d / "in.csv", rows)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(extra)
        return path

    return build


def _hh_projected(d: Path) -> Path:
    rows = good_households()
    to_5179 = Transformer.from_crs(4326, 5179, always_xy=True)
    for row in rows:
        row["x"], row["y"] = to_5179.transform(row.pop("lon"), row.pop("lat"))
    return write_csv(d / "in.csv", rows)


def _parquet_cut(d: Path) -> Path:
    pd.DataFrame(good_households()).to_parquet(d / "full.parquet")
    (d / "in.parquet").write_bytes((d / "full.parquet").read_bytes()[:-20])
    return d / "in.parquet"


def _gpkg(crs: int, geometry: object = None) -> Build:
    def build(d: Path) -> Path:
        gdf = gpd.GeoDataFrame(
            {
                "facility_id": [601],
                "name": ["가"],
                "type_code": ["F55"],
                "capacity": [1],
                "current_users": [0],
            },
            geometry=[geometry or shapely.Point(126.97, 37.59)],
            crs=4326,
        ).to_crs(crs)
        gdf.to_file(d / "in.gpkg", driver="GPKG")
        return d / "in.gpkg"

    return build


def _mixed_encoding(d: Path) -> Path:
    rows = [household(1000 + i) for i in range(14000)]  # > 1 MiB, the encoding sample
    path = write_csv(d / "in.csv", rows)
    with open(path, "ab") as fh:
        fh.write(b"9999,\xff\xfe\n")
    return path


def _huge_field(d: Path) -> Path:
    path = d / "in.csv"
    path.write_text(",".join(HH_COLUMNS) + "\n" + '1,"' + "x" * (1 << 21) + '"\n', encoding="utf-8")
    return path


def _portal(**changes: str) -> list[dict]:
    row = portal_rows()[0]
    row.update(changes)
    return [row]


NEXT_MONTH = (TODAY.replace(day=1) + dt.timedelta(days=32)).strftime("%Y-%m")
REFUSED = r"1 of 1 rows rejected \(100\.0%\).*nothing was written"

CASES: list[Case] = [
    # --- files that cannot be read as a table
    Case("empty file", "households", _bytes("in.csv", b""), 2, r"the file is empty \(0 bytes\)"),
    Case(
        "header only",
        "households",
        _bytes("in.csv", ",".join(HH_COLUMNS).encode() + b"\n"),
        2,
        r"no data rows \(only a header",
    ),
    Case(
        "spreadsheet",
        "households",
        _bytes("in.xlsx", b"PK\x03\x04"),
        2,
        r"unsupported file type '\.xlsx'.*CSV UTF-8",
    ),
    Case(
        "latin-1 text",
        "households",
        _bytes("in.csv", "name,city\ncafé,Zürich\n".encode("latin-1")),
        2,
        r"neither UTF-8 nor CP949/EUC-KR",
    ),
    Case(
        "shift-jis text",
        "households",
        _csv(
            [
                {"household_id": 1, "name": "山田太郎"},
                {"household_id": 2, "name": "テスト株式会社"},
            ],
            encoding="shift_jis",
        ),
        2,
        r"looks like (cp932|shift_jis) \(Japanese Shift-JIS\), not Korean CP949",
    ),
    Case(
        "binary named csv",
        "households",
        _bytes("in.csv", b"PAR1\x00\x00\x01"),
        2,
        r"not a text CSV file \(it contains NUL bytes\)",
    ),
    Case(
        "mixed encodings",
        "households",
        _mixed_encoding,
        2,
        r"bytes at offset \d+ are not valid utf-8 \(the file mixes encodings",
    ),
    Case(
        "unclosed quote",
        "households",
        _text_after(good_households(), '6,126.97,37.59,"elderly\n'),
        2,
        r"quoted field opened on or after line 7 is never closed",
    ),
    Case(
        "truncated last row",
        "households",
        _text_after(good_households(), "6,126.97,37.59,2,1\n"),
        2,
        r"looks truncated: line 7 has 5 fields, the header has 18",
    ),
    Case(
        "ragged rows",
        "households",
        _text_after(good_households(), "6,1\n7,2\n8,3,4\n9\n"),
        2,
        r"4 records do not have as many fields as the header",
    ),
    Case(
        "field over 1 MiB",
        "households",
        _huge_field,
        2,
        r"longer than 1,048,576 characters; no column holds that much text",
    ),
    Case(
        "no header",
        "households",
        _bytes("in.csv", b"1,126.97,37.59,2,1,0,0,70\n2,126.97,37.59,2,1,0,0,70\n"),
        2,
        r"first line looks like data, not a header",
    ),
    Case(
        "blank first line",
        "households",
        _bytes("in.csv", b"\nhousehold_id,size\n1,2\n"),
        2,
        r"line 1 is blank; the first line must be the header",
    ),
    Case(
        "duplicate column names",
        "households",
        _bytes("in.csv", b"household_id,size,size\n1,2,2\n"),
        2,
        r"duplicate column names \['size'\]",
    ),
    Case(
        "missing columns",
        "households",
        _csv([{k: v for k, v in r.items() if k != "tenure"} for r in good_households()]),
        2,
        r"missing required columns \['tenure'\]; columns found: \['household_id'",
    ),
    Case(
        "projected without crs",
        "households",
        _hh_projected,
        2,
        r"projected coordinates .* pass crs=",
    ),
    Case(
        "unsupported crs argument",
        "households",
        _csv(good_households()),
        2,
        r"crs=3857 is not supported",
        args=("--crs", "3857"),
    ),
    Case(
        "corrupt parquet",
        "households",
        _parquet_cut,
        2,
        r"not a readable Parquet file \(truncated or corrupt",
    ),
    Case(
        "geopackage in web mercator",
        "facilities",
        _gpkg(3857),
        2,
        r"CRS is EPSG:3857 .* only EPSG:4326, EPSG:5179",
    ),
    Case("file not found", "households", lambda d: d / "missing.csv", 2, r"file not found"),
    Case(
        "unknown kind",
        "persons",
        _csv(good_households()),
        2,
        r"kind must be one of \['households', 'facilities', 'signals'\]",
    ),
    # --- dates
    Case(
        "future month 2100",
        "signals",
        _csv([_signal(month="2100-01")]),
        2,
        REFUSED,
        r"future date '2100-01' in month \(after the load date",
    ),
    Case(
        "next month",
        "signals",
        _csv([_signal(month=NEXT_MONTH)]),
        2,
        REFUSED,
        rf"future date '{NEXT_MONTH}' in month",
    ),
    Case(
        "9999-12-31",
        "signals",
        _csv([_signal(month="9999-12-31")]),
        2,
        REFUSED,
        r"future date '9999-12-31' .*'no end' placeholders",
    ),
    Case(
        "month before 2000",
        "signals",
        _csv([_signal(month="1850-01")]),
        2,
        REFUSED,
        r"implausible date '1850-01' in month \(before 2000-01\)",
    ),
    Case(
        "no such day",
        "signals",
        _csv([_signal(month="2024-02-30")]),
        2,
        REFUSED,
        r"bad date '2024-02-30' in month",
    ),
    Case(
        "month 13",
        "signals",
        _csv([_signal(month="2024-13")]),
        2,
        REFUSED,
        r"bad date '2024-13' in month",
    ),
    # --- numbers
    Case(
        "decimal comma",
        "signals",
        _csv([_signal(value="1,5")]),
        2,
        REFUSED,
        r"bad number '1,5' in value: a comma is read only as a thousands separator",
    ),
    Case(
        "bad thousands grouping",
        "households",
        _csv([household(60, income_monthly_krw="1,2345")]),
        2,
        REFUSED,
        r"bad number '1,2345' in income_monthly_krw: a comma",
    ),
    Case(
        "decimal comma in a count",
        "facilities",
        _csv(_portal(정원="29,5"), PORTAL_HEADER),
        2,
        REFUSED,
        r"bad integer '29,5' in 정원 \(capacity\): a comma",
    ),
    Case(
        "fractional count",
        "households",
        _csv([household(61, size="2.5")]),
        2,
        REFUSED,
        r"bad integer '2\.5' in size",
    ),
    Case(
        "negative amount",
        "signals",
        _csv([_signal(value=-3)]),
        2,
        REFUSED,
        r"negative amount -3 in value",
    ),
    Case(
        "negative income",
        "households",
        _csv([household(62, income_monthly_krw=-5000)]),
        2,
        REFUSED,
        r"negative amount -5000 in income_monthly_krw",
    ),
    Case(
        "size above 30",
        "households",
        _csv([household(63, size=31)]),
        2,
        REFUSED,
        r"size 31 is above 30",
    ),
    Case(
        "head age 200",
        "households",
        _csv([household(64, head_age=200)]),
        2,
        REFUSED,
        r"head_age 200 is above 120",
    ),
    Case(
        "more elderly than members",
        "households",
        _csv([household(65, n_elderly=5)]),
        2,
        REFUSED,
        r"n_elderly 5 exceeds size 2",
    ),
    Case(
        "identifier above 2^53",
        "households",
        _csv([household(2**60 + 1)]),
        2,
        REFUSED,
        r"identifier 1152921504606846977 in household_id is too large",
    ),
    Case(
        "negative identifier",
        "households",
        _csv([household(-7)]),
        2,
        REFUSED,
        r"negative identifier -7 in household_id",
    ),
    Case(
        "capacity above integer range",
        "facilities",
        _csv([_facility(503, capacity=3_000_000_000, current_users=1)], FAC_COLUMNS),
        2,
        REFUSED,
        r"capacity 3,000,000,000 is out of range \(at most 2,147,483,647\)",
    ),
    Case(
        "current users above capacity",
        "facilities",
        _csv(_portal(현원="400"), PORTAL_HEADER),
        2,
        REFUSED,
        r"현원 \(current_users\) 400 exceeds 정원 \(capacity\) 300",
    ),
    # --- text and codes
    Case(
        "5,000-character name",
        "facilities",
        _csv(_portal(시설명="가" * 5000), PORTAL_HEADER),
        2,
        REFUSED,
        r"name has 5,000 characters, more than the 100 the facility table allows",
    ),
    Case(
        "300-character address",
        "facilities",
        _csv([_facility(504, address="서" * 300)], FAC_COLUMNS),
        2,
        REFUSED,
        r"address has 300 characters, more than the 200",
    ),
    Case(
        "unknown facility type",
        "facilities",
        _csv(_portal(시설종류="우주정거장"), PORTAL_HEADER),
        2,
        REFUSED,
        r"unknown facility type '우주정거장'",
    ),
    Case(
        "unknown source",
        "signals",
        _csv([_signal(source="lottery_win")]),
        2,
        REFUSED,
        r"unknown source 'lottery_win'",
    ),
    Case(
        "unknown housing type",
        "households",
        _csv([household(66, housing_type="castle")]),
        2,
        REFUSED,
        r"unknown housing_type 'castle'",
    ),
    Case(
        "bad boolean",
        "households",
        _csv([household(67, is_multicultural="maybe")]),
        2,
        REFUSED,
        r"bad boolean 'maybe' in is_multicultural",
    ),
    Case(
        "missing value",
        "households",
        _csv([household(68, size=None)]),
        2,
        REFUSED,
        r"missing required field size",
    ),
    Case(
        "unknown household in signal",
        "signals",
        _csv([_signal(hid=999)]),
        2,
        REFUSED,
        r"unknown household_id 999 \(not in the household table\)",
    ),
    Case(
        "duplicate ids in file",
        "households",
        _csv([household(69), household(69, lon=126.961)]),
        2,
        r"2 of 2 rows rejected",
        r"duplicate household_id 69 \(also on line [23]\)",
    ),
    # --- places
    Case(
        "outside Korea",
        "households",
        _csv([household(70, 135.2, 33.1)]),
        2,
        REFUSED,
        r"outside Korea \(lon 135\.2, lat 33\.1\)$",
    ),
    Case(
        "lon and lat swapped",
        "households",
        _csv([household(71, 37.59, 126.97)]),
        2,
        REFUSED,
        r"are lon and lat swapped\?",
    ),
    Case(
        "unknown emd code",
        "households",
        _csv([household(72, emd_code="1111099999")]),
        2,
        REFUSED,
        r"unknown emd_code 1111099999",
    ),
    Case(
        "point far from its emd code",
        "households",
        _csv([household(73, 126.995, 37.56, emd_code="11110101")]),
        2,
        REFUSED,
        r"km outside emd_code 11110101 \(it lies in 11140101\)",
    ),
    Case(
        "sigungu disagrees",
        "households",
        _csv([household(74, emd_code="11110101", sigungu_code="11140")]),
        2,
        REFUSED,
        r"sigungu_code 11140 does not match emd_code 11110101",
    ),
    Case(
        "polygon instead of point",
        "facilities",
        _gpkg(4326, box(126.96, 37.58, 126.97, 37.59)),
        2,
        REFUSED,
        r"geometry is Polygon, not a point",
    ),
    # --- collisions with stored rows
    Case(
        "household id collides",
        "households",
        _csv([household(1, 127.0, 37.56, size=3)]),
        2,
        REFUSED,
        r"household_id 1 is already stored with other values \(emd_code, sigungu_code, size, geometry\); pass --replace",
    ),
    Case(
        "signal collides",
        "signals",
        _csv([_signal(1, value=99)]),
        2,
        REFUSED,
        r"household_id 1, source gas_arrears, month 2024-03-01 is already stored with other values \(value\)",
    ),
    Case(
        "facility collides",
        "facilities",
        _csv([_facility(501, capacity=120)], FAC_COLUMNS),
        2,
        REFUSED,
        r"facility_id 501 is already stored with other values \(capacity\)",
    ),
    # --- loads that change exactly what they report
    Case(
        "replace a moved household",
        "households",
        _csv([household(1, 126.99, 37.56, size=3)]),
        0,
        r"loaded 1 of 1 rows into households \(0 new, 1 replaced, 2 person removed, 1 risk_score moved, 0 unchanged\); rejected 0",
        args=("--replace",),
        delta={"person": -2},
        changes={"household": {(1,)}, "person": {(101,), (102,)}, "risk_score": {(1, "gbm-test")}},
    ),
    Case(
        "replace a signal",
        "signals",
        _csv([_signal(1, value=99)]),
        0,
        r"\(0 new, 1 replaced, 0 unchanged\); rejected 0",
        args=("--replace",),
        changes={"crisis_signal": {(1, "gas_arrears", pd.Timestamp("2024-03-01"))}},
    ),
    Case(
        "same file again",
        "households",
        _csv(good_households()),
        0,
        r"\(0 new, 0 replaced, 5 unchanged\); rejected 0",
    ),
    Case(
        "one bad row in forty",
        "households",
        _csv(
            [
                *good_households(),
                *(household(100 + i) for i in range(34)),
                household(200, housing_type="castle"),
            ]
        ),
        0,
        r"loaded 39 of 40 rows into households \(34 new, 0 replaced, 5 unchanged\); rejected 1 -> .*households-.*\.csv",
        r"unknown housing_type 'castle'",
        delta={"household": 34},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_corpus(world: Store, tmp_path: Path, case: Case) -> None:
    before = _snapshot(world)
    folder = tmp_path / "input"
    folder.mkdir()
    path = case.build(folder)
    result = CliRunner().invoke(app, ["ingest", case.kind, str(path), *case.args])
    output = result.output
    assert result.exit_code == case.exit_code, output
    assert (
        ("Traceback" not in output
        and result.exception is None)
        or isinstance(result.exception, SystemExit)
    )
    assert re.search(case.message, output, flags=re.S), output

    quarantined = sorted((tmp_path / "var" / "quarantine").glob("*.csv"))
    if case.reason is None:
        assert not quarantined, "a file-level refusal writes no quarantine file"
    else:
        assert len(quarantined) == 1
        reasons = pd.read_csv(
            quarantined[0], encoding="utf-8-sig", dtype=str, keep_default_na=False
        )["reason"]
        assert len(reasons) and all(re.search(case.reason, r) for r in reasons), reasons.tolist()

    after = _snapshot(world)
    for name in TABLES:
        _assert_nothing_lost(name, before[name], after[name], case)


def _assert_nothing_lost(name: str, before: pd.DataFrame, after: pd.DataFrame, case: Case) -> None:
    pk = primary_key(name)
    assert len(after) == len(before) + case.delta.get(name, 0), name
    allowed = case.changes.get(name, set())
    old_keys = [tuple(k) for k in before[pk].itertuples(index=False, name=None)]
    kept = before[[k not in allowed for k in old_keys]]
    same = kept[pk].merge(after, on=pk, how="left")[list(before.columns)]
    pd.testing.assert_frame_equal(
        kept.reset_index(drop=True), same.reset_index(drop=True), obj=name
    )
    if case.exit_code != 0:
        pd.testing.assert_frame_equal(before, after, obj=name)


def test_the_corpus_has_at_least_forty_kinds() -> None:
    assert len({c.id for c in CASES}) == len(CASES) >= 40


def test_replace_moves_scores_and_drops_stale_members(world: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "moved.csv", [household(1, 126.99, 37.56, size=3)])
    report = ingest(world, "households", path, replace=True, quarantine_dir=tmp_path / "q")
    assert (report.rows_replaced, report.dependents) == (
        1,
        {"person removed": 2, "risk_score moved": 1},
    )
    hh = world.read_frame("household", where={"household_id": 1})
    assert hh[["size", "emd_code", "sigungu_code"]].iloc[0].tolist() == [3, "11140101", "11140"]
    assert world.count("person", where={"household_id": 1}) == 0
    assert world.count("person", where={"household_id": 2}) == 1
    score = world.read_frame("risk_score", where={"household_id": 1})
    assert score["jurisdiction_code"].tolist() == ["11140101"]


def test_future_signals_never_move_the_as_of_date(world: Store, tmp_path: Path) -> None:
    from etl.load import data_as_of

    before = data_as_of(world)
    rows = [
        *(_signal(h, "water_arrears", "2024-03") for h in (1, 2, 3, 4, 5)),
        _signal(3, month="2099-01"),
    ]
    report = ingest(
        world,
        "signals",
        write_csv(tmp_path / "s.csv", rows),
        max_reject_share=0.5,
        quarantine_dir=tmp_path / "q",
    )
    assert report.reasons_count == {"future date": 1}
    assert data_as_of(world) == before
