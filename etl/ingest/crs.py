"""Input coordinates: geometry or lon/lat columns, the source CRS, conversion to EPSG:4326."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from etl.ingest.checks import Checks
from etl.ingest.columns import Columns
from etl.ingest.errors import IngestFileError
from etl.ingest.parse import (
    parse_number,
)
from etl.ingest.read import RawTable
from geodata.schema import STORAGE_SRID

#: CRSs accepted for input coordinates (stored coordinates are always EPSG:4326).
SUPPORTED_EPSG: Final[tuple[int, ...]] = (4326, 5179, 5186, 5174)


def read_coordinates(
    raw: RawTable, cols: Columns, checks: Checks, crs_arg: int | None, path: Path
) -> tuple[np.ndarray, np.ndarray, int]:
    """Lon/lat in EPSG:4326 of every row (NaN where missing or bad) and the source EPSG."""
    n = len(raw.frame)
    if cols.has_geometry():
        geom = np.asarray(raw.geometry, dtype=object)
        none = np.array([g is None or shapely.is_empty(g) for g in geom])
        types = np.array([None if g is None else g.geom_type for g in geom], dtype=object)
        not_point = ~none & (types != "Point")
        checks.add(none, "missing coordinates", "missing coordinates (empty geometry)")
        checks.add(
            not_point,
            "not a point",
            "geometry is " + pd.Series(types, dtype=object).astype(str) + ", not a point",
        )
        ok = ~none & ~not_point
        x = np.full(n, np.nan)
        y = np.full(n, np.nan)
        pts = geom[ok]
        x[ok] = shapely.get_x(pts.astype(object)) if len(pts) else []
        y[ok] = shapely.get_y(pts.astype(object)) if len(pts) else []
        file_crs = raw.crs
        what = "geometry"
    else:
        pair = cols.coordinate_columns()
        assert pair is not None  # checked with the required columns
        cx, cy = pair
        x_raw, y_raw = cols.values(cx), cols.values(cy)
        gone = (x_raw.isna() | y_raw.isna()).to_numpy()
        checks.add(gone, "missing coordinates", f"missing coordinates ({cx}/{cy})")
        x = parse_number(x_raw, cx, checks, integer=False).to_numpy(dtype=float)
        y = parse_number(y_raw, cy, checks, integer=False).to_numpy(dtype=float)
        file_crs = raw.crs
        what = f"columns {cx}/{cy}"
    epsg = resolve_crs(file_crs, crs_arg, x, y, path, what)
    if epsg != STORAGE_SRID:
        transformer = Transformer.from_crs(epsg, STORAGE_SRID, always_xy=True)
        finite = np.isfinite(x) & np.isfinite(y)
        lon = np.full(n, np.nan)
        lat = np.full(n, np.nan)
        if finite.any():
            tx, ty = transformer.transform(x[finite], y[finite])
            lon[finite], lat[finite] = tx, ty
        x, y = lon, lat
    return x, y, epsg


def _epsg_of(crs: CRS) -> int | None:
    epsg = crs.to_epsg()
    return epsg if epsg is not None else crs.to_epsg(min_confidence=70)


def resolve_crs(
    file_crs: CRS | None, crs_arg: int | None, x: np.ndarray, y: np.ndarray, path: Path, what: str
) -> int:
    supported = ", ".join(f"EPSG:{c}" for c in SUPPORTED_EPSG)
    file_epsg: int | None = None
    if file_crs is not None:
        file_epsg = _epsg_of(CRS.from_user_input(file_crs))
        if file_epsg not in SUPPORTED_EPSG:
            name = f"EPSG:{file_epsg}" if file_epsg else "a custom CRS"
            raise IngestFileError(
                f"{path}: the file's CRS is {name} ({CRS.from_user_input(file_crs).name}); only "
                f"{supported} are accepted. Reproject it first, e.g. "
                f"`ogr2ogr -t_srs EPSG:4326 out.gpkg {path.name}`"
            )
        if crs_arg is not None and crs_arg != file_epsg:
            raise IngestFileError(
                f"{path}: crs={crs_arg} contradicts the file's own CRS EPSG:{file_epsg}; "
                "drop the crs argument or fix the file"
            )
        return file_epsg
    if crs_arg is not None:
        return crs_arg
    finite = np.isfinite(x) & np.isfinite(y)
    if not finite.any():
        return STORAGE_SRID
    # Degrees when most points look like degrees: a few odd rows (swapped lon/lat, a stray
    # projected pair) are then rejected row by row as outside Korea instead of failing the file.
    degrees = (np.abs(x[finite]) <= 180) & (np.abs(y[finite]) <= 180)
    if degrees.mean() > 0.5:
        return STORAGE_SRID
    i = int(np.flatnonzero(~degrees)[0])
    raise IngestFileError(
        f"{path}: {what} hold projected coordinates (e.g. x {x[finite][i]:.1f}, y {y[finite][i]:.1f}) "
        f"but the file declares no CRS; pass crs= one of {supported} "
        "(EPSG:5179 for x about 1,000,000 / y about 1,900,000; EPSG:5186 or EPSG:5174 for "
        "x about 200,000 / y about 450,000-600,000)"
    )


def with_points(frame: pd.DataFrame, lon: np.ndarray, lat: np.ndarray) -> gpd.GeoDataFrame:
    ok = np.isfinite(lon) & np.isfinite(lat)
    geoms = np.full(len(frame), None, dtype=object)
    if ok.any():
        geoms[ok] = shapely.points(lon[ok], lat[ok])
    return gpd.GeoDataFrame(
        frame, geometry=gpd.GeoSeries(geoms, crs=STORAGE_SRID), crs=STORAGE_SRID
    )
