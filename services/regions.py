"""Region catalogue for pickers, titles and map outlines (public data: no viewer needed).

Pages ask here instead of reading the store: names and codes of a level, the full name of a
code, and display outlines of a level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geodata.regions import Level
from geodata.store.base import Store

__all__ = ["DensityLayers", "density_layers", "display_regions", "region_full_name",
           "region_names"]

NATIONAL_HOUSEHOLDS = 22_073_000  # 2023 census ordinary households (REFERENCE-FACTS)


def region_names(store: Store, levels: Level | Sequence[Level]) -> pd.DataFrame:
    """``code, full_name, level`` of every region of ``levels``, by level (in the order given)
    and then by code.

    Kept per region data version on the store (the nearby and risk-map pages ask for 5,000
    names on every page load); callers get their own copy.
    """
    wanted = (levels,) if isinstance(levels, str) else tuple(levels)
    cache = store.cache.region("regions.names", maxsize=16)
    key = (wanted, store.data_version("region"))
    return cache.get_or_compute(key, lambda: _read_names(store, wanted)).copy()


def _read_names(store: Store, levels: tuple[Level, ...]) -> pd.DataFrame:
    frames = [store.read_frame("region", columns=["code", "full_name"], where={"level": level})
              .sort_values("code").assign(level=level) for level in levels]
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
    ``parent_code``.

    Kept per region data version on the store (parsing 5,000 읍면동 polygons from WKB took about
    70 ms, on every nearby search); callers get their own copy.
    """
    cache = store.cache.region("regions.display", maxsize=32)
    key = (level, parent_code, store.data_version("region"))
    outlines = cache.get_or_compute(
        key, lambda: store.regions(level, parent_code=parent_code, display=True))
    return outlines.copy()


@dataclass(frozen=True, slots=True)
class DensityLayers:
    """The demo world's two layers (:mod:`etl.generate.dense`): real-density 시군구 and the
    sample-density rest.

    Attributes
    ----------
    dense : pandas.DataFrame
        ``code, full_name, households`` of each real-density 시군구 (empty for a world without).
    sample_households : int
        Households outside them.
    sample_share : float
        Those households as a share of Korea's other households (2023 census), e.g. 0.0055.
    """

    dense: pd.DataFrame
    sample_households: int
    sample_share: float


def density_layers(store: Store) -> DensityLayers:
    """Which 시군구 are generated at real density and how sparse the rest is (public data)."""
    sigungu = store.read_frame("region", columns=["code", "full_name", "households",
                                                  "welfare_teams"], where={"level": "sigungu"})
    is_dense = sigungu["welfare_teams"].notna()
    dense = sigungu.loc[is_dense, ["code", "full_name", "households"]].sort_values("code")
    dense = dense.reset_index(drop=True)
    rest = int(sigungu.loc[~is_dense, "households"].fillna(0).sum())
    share = rest / max(NATIONAL_HOUSEHOLDS - int(dense["households"].fillna(0).sum()), 1)
    return DensityLayers(dense=dense, sample_households=rest, sample_share=share)
