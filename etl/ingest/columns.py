"""Finding schema fields among a file's columns by name or alias."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final

import pandas as pd
import shapely

from etl.ingest.errors import IngestFileError
from etl.ingest.read import RawTable

LON_LAT_PAIRS: Final = (
    ("lon", "lat"),
    ("lng", "lat"),
    ("longitude", "latitude"),
    ("경도", "위도"),
    ("x", "y"),
    ("x좌표", "y좌표"),
    ("xcoord", "ycoord"),
)


def column_key(name: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", str(name))).lower()


class Columns:
    """Finds schema fields among a file's columns by name or alias (case/space-insensitive)."""

    def __init__(self, raw: RawTable) -> None:
        self.raw = raw
        self.by_key: dict[str, str] = {}
        for col in raw.frame.columns:
            self.by_key.setdefault(column_key(col), col)

    def find(self, *aliases: str) -> str | None:
        for alias in aliases:
            col = self.by_key.get(column_key(alias))
            if col is not None:
                return col
        return None

    def find_all(self, *aliases: str) -> list[str]:
        found = [self.by_key.get(column_key(a)) for a in aliases]
        return list(dict.fromkeys(c for c in found if c is not None))

    def values(self, col: str) -> pd.Series:
        return self.raw.frame[col]

    def coordinate_columns(self) -> tuple[str, str] | None:
        for x, y in LON_LAT_PAIRS:
            cx, cy = self.find(x), self.find(y)
            if cx and cy:
                return cx, cy
        return None

    def has_geometry(self) -> bool:
        geom = self.raw.geometry
        return geom is not None and any(g is not None and not shapely.is_empty(g) for g in geom)


def field_label(col: str, field_name: str) -> str:
    return col if column_key(col) == column_key(field_name) else f"{col} ({field_name})"


def missing_columns_error(
    path: Path, kind: str, missing: Sequence[str], found: Iterable[str]
) -> IngestFileError:
    found = list(found)
    return IngestFileError(
        f"{path}: {kind} file is missing required columns {list(missing)}; columns found: {found}"
    )
