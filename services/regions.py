"""Region catalogue for pickers, titles and map outlines (public data: no viewer needed).

Pages ask here instead of reading the store: names and codes of a level, the full name of a
code, and display outlines of a level.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd

from geodata.regions import Level
from geodata.store.base import Store

__all__ = ["display_regions", "region_full_name", "region_names"]


def region_names(store: Store, levels: Level | Sequence[Level]) -> pd.DataFrame:
    """``code, full_name, level`` of every region of ``levels``, by level (in the order given)
    and then by code."""
    wanted = [levels] if isinstance(levels, str) else list(levels)
    frames = [store.read_frame("region", columns=["code", "full_name"], where={"level": level})
              .sort_values("code").assign(level=level) for level in wanted]
    if not frames:
        return pd.DataFrame(columns=["code", "full_name", "level"])
    return pd.concat(frames, ignore_index=True)


def region_full_name(store: Store, code: str) -> str:
    """The full name of region ``code`` (e.g. ``서울특별시 종로구``); the code itself if unknown."""
    frame = store.read_frame("region", columns=["full_name"], where={"code": code})
    return str(frame["full_name"].iloc[0]) if len(frame) else str(code)


def display_regions(store: Store, level: Level, *, parent_code: str | None = None
                    ) -> gpd.GeoDataFrame:
    """Display outlines (simplified polygons, EPSG:4326) of a level, optionally the children of
    ``parent_code``."""
    return store.regions(level, parent_code=parent_code, display=True)
