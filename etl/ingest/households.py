"""Validation of household files (table ``household``)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import geopandas as gpd
import pandas as pd

from domain.progress import Progress
from etl.ingest.checks import Checks
from etl.ingest.columns import Columns, field_label, missing_columns_error
from etl.ingest.crs import read_coordinates, with_points
from etl.ingest.parse import (
    int_text,
    parse_amount,
    parse_boolean,
    parse_count,
    parse_identifier,
    parse_vocabulary,
    reject_duplicates,
)
from etl.ingest.read import RawTable
from etl.ingest.regions import assign_regions, load_regions
from geodata import vocabulary as voc
from geodata.store.base import Store

_HOUSEHOLD_COUNTS: Final = {
    "size": (1, 30),
    "n_elderly": (0, 30),
    "n_children": (0, 30),
    "n_disabled": (0, 30),
    "head_age": (14, 120),
}
_HOUSEHOLD_CODES: Final = {
    "household_type": voc.HOUSEHOLD_TYPES,
    "housing_type": voc.HOUSING_TYPES,
    "tenure": voc.TENURES,
}
_HOUSEHOLD_AMOUNTS: Final = (
    "income_monthly_krw",
    "property_residential_krw",
    "property_general_krw",
    "financial_assets_krw",
    "car_value_krw",
    "debt_krw",
)


def validate_households(
    raw: RawTable, checks: Checks, store: Store, crs: int | None, path: Path, step: Progress
) -> tuple[gpd.GeoDataFrame, int]:
    cols = Columns(raw)
    fields = [
        "household_id",
        *_HOUSEHOLD_COUNTS,
        "is_multicultural",
        *_HOUSEHOLD_CODES,
        *_HOUSEHOLD_AMOUNTS,
    ]
    missing = [f for f in fields if cols.find(f) is None]
    if not cols.has_geometry() and cols.coordinate_columns() is None:
        missing.append("lon/lat (or x/y, 경도/위도, or a point geometry)")
    if missing:
        raise missing_columns_error(path, "households", missing, raw.frame.columns)
    out: dict[str, object] = {}
    col = cols.find("household_id")
    assert col is not None
    ids = parse_identifier(cols.values(col), col, checks)
    out["household_id"] = ids
    for name, (lo, hi) in _HOUSEHOLD_COUNTS.items():
        c = cols.find(name)
        assert c is not None
        out[name] = parse_count(cols.values(c), field_label(c, name), checks, lo=lo, hi=hi)
    size = out["size"]
    assert isinstance(size, pd.Series)
    for name in ("n_elderly", "n_children", "n_disabled"):
        value = out[name]
        assert isinstance(value, pd.Series)
        c = cols.find(name)
        assert c is not None
        checks.add(
            (value > size).to_numpy(),
            "more members than size",
            f"{field_label(c, name)} "
            + cols.values(c).astype(object).astype(str)
            + " exceeds size "
            + cols.values(cols.find("size") or "size").astype(object).astype(str),
        )
    c = cols.find("is_multicultural")
    assert c is not None
    out["is_multicultural"] = parse_boolean(
        cols.values(c), field_label(c, "is_multicultural"), checks
    )
    for name, vocab in _HOUSEHOLD_CODES.items():
        c = cols.find(name)
        assert c is not None
        out[name] = parse_vocabulary(cols.values(c), field_label(c, name), name, vocab, checks)
    for name in _HOUSEHOLD_AMOUNTS:
        c = cols.find(name)
        assert c is not None
        out[name] = parse_amount(cols.values(c), field_label(c, name), checks)
    reject_duplicates(
        pd.DataFrame({"household_id": ids}),
        lambda k: f"household_id {int_text(k[0])}",
        "duplicate household_id",
        checks,
    )
    lon, lat, epsg = read_coordinates(raw, cols, checks, crs, path)
    step(0.6, "regions")
    codes = assign_regions(cols, lon, lat, checks, load_regions(store))
    frame = pd.DataFrame(out)
    frame = pd.concat([frame, codes], axis=1)
    return with_points(frame, lon, lat), epsg
