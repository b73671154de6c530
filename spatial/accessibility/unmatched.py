"""Needs with no facility with free places within a radius."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from spatial.accessibility.kernels import within_radius
from spatial.checks import AnalyticsInputError, check_layers, point_coordinates

__all__ = ["unmatched_needs"]


def unmatched_needs(
    need_points: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    radius_m: float,
    free_places_col: str = "free_places",
    use_representative_points: bool = False,
) -> pd.Series:
    """Flag needs with no facility with free places within ``radius_m``.

    Parameters
    ----------
    need_points : GeoDataFrame
        Points of need (households, cases) in a projected CRS in metres.
    facilities : GeoDataFrame
        Facilities in the same CRS with a free-places column (정원 − 현원).
    radius_m : float
        Search radius in metres (inclusive).
    free_places_col : str
        Column with the number of free places; a facility counts if it is > 0.
    use_representative_points : bool
        Accept polygons and use their representative points.

    Returns
    -------
    pandas.Series
        Boolean, named ``"unmatched"`` on ``need_points``' index.
    """
    if not (np.isfinite(radius_m) and radius_m > 0):
        raise AnalyticsInputError(f"radius_m must be a positive number of metres, got {radius_m}")
    check_layers(
        {"need_points": (need_points, []), "facilities": (facilities, [free_places_col])},
        allow_non_points=use_representative_points,
    )
    open_xy = point_coordinates(facilities)[facilities[free_places_col].to_numpy() > 0]
    in_reach = within_radius(point_coordinates(need_points), open_xy, radius_m=radius_m)
    return pd.Series(~in_reach, index=need_points.index, name="unmatched")
