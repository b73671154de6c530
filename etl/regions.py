"""Prepared region layers: repaired boundaries of every level with display geometry.

Preparing the boundaries (repair, overlap resolution, coverage simplification) takes minutes,
so the result is cached as one GeoParquet file under the data folder and reused by the
generator and ``atlas load-boundaries``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geodata.boundaries import display_layer, load_boundaries
from geodata.schema import STORAGE_SRID
from geodata.settings import get_settings

log = logging.getLogger(__name__)

LEVELS = ("sido", "sigungu", "emd")
CACHE_VERSION = 2


def build_region_layers() -> gpd.GeoDataFrame:
    """All three levels of repaired boundaries with a ``display_geometry`` column.

    Display geometry comes from :func:`geodata.boundaries.display_layer` (coverage-preserving
    simplification: 시군구 at 1 km, 읍면동 at 40 m, 시도 dissolved from 시군구).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns of :func:`geodata.boundaries.load_boundaries` plus ``display_geometry``,
        EPSG:4326, sido rows first, then sigungu, then emd.
    """
    frames = []
    for level in LEVELS:
        layer = load_boundaries(level)
        display = display_layer(level).set_index("code").geometry
        layer["display_geometry"] = gpd.GeoSeries(
            display.reindex(layer["code"]).to_numpy(), index=layer.index, crs=STORAGE_SRID
        )
        frames.append(layer)
        log.info("prepared %d %s regions", len(layer), level)
    out = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=STORAGE_SRID)
    out["display_geometry"] = gpd.GeoSeries(out["display_geometry"].to_numpy(), crs=STORAGE_SRID)
    return out


def cached_region_layers(cache_dir: Path | None = None) -> gpd.GeoDataFrame:
    """:func:`build_region_layers`, cached in ``<cache_dir>/regions-v<N>.parquet``."""
    folder = Path(cache_dir or get_settings().cache_dir)
    path = folder / f"regions-v{CACHE_VERSION}.parquet"
    if path.exists():
        frame = gpd.read_parquet(path)
        frame["display_geometry"] = gpd.GeoSeries(frame["display_geometry"], crs=STORAGE_SRID)
        return frame
    frame = build_region_layers()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp-{os.getpid()}")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)
    return frame
