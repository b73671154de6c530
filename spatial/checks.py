"""Input checks shared by the spatial kernels: GeoDataFrames fit for metric analysis.

:func:`check_layers` validates every layer at once (projected CRS in metres, one CRS for
all, point geometries, numeric non-negative value columns) and raises one
:class:`AnalyticsInputError` listing every problem with its fix.
:func:`point_coordinates` returns the ``(n, 2)`` coordinates the numeric cores take.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from domain.errors import InputError

__all__ = ["AnalyticsInputError", "check_layers", "point_coordinates"]


class AnalyticsInputError(InputError):
    """Input to an analytics function is unusable; the message says how to fix it."""


def _crs_problems(frames: dict[str, gpd.GeoDataFrame]) -> list[str]:
    problems: list[str] = []
    crss = {}
    for name, gdf in frames.items():
        crs = gdf.crs
        if crs is None:
            problems.append(
                f"{name} has no CRS: set it with .set_crs(...) and reproject with .to_crs(5179)"
            )
            continue
        crss[name] = crs
        if crs.is_geographic or not crs.is_projected:
            problems.append(
                f"{name} CRS {crs.to_string()} is not projected: reproject with .to_crs(5179)"
            )
        elif (crs.axis_info[0].unit_name or "").lower() not in ("metre", "meter"):
            problems.append(
                f"{name} CRS {crs.to_string()} is not in metres: reproject with .to_crs(5179)"
            )
    first = next(iter(crss.values()), None)
    if any(crs != first for crs in crss.values()):
        listing = ", ".join(f"{n}={c.to_string()}" for n, c in crss.items())
        problems.append(f"CRSs differ ({listing}): reproject all with .to_crs(5179)")
    return problems


def _geometry_problems(name: str, gdf: gpd.GeoDataFrame, *, allow_non_points: bool) -> list[str]:
    geoms = gdf.geometry
    data = np.asarray(geoms.values)
    type_ids = shapely.get_type_id(data)  # -1: missing
    if np.any(type_ids < 0) or np.any(shapely.is_empty(data)):
        return [f"{name} has missing or empty geometries: drop them first"]
    if not allow_non_points and not np.all(type_ids == 0):  # 0: Point
        kinds = sorted(set(geoms.geom_type) - {"Point"})
        return [
            f"{name} has non-point geometries ({', '.join(kinds)}): pass points, or "
            "use_representative_points=True to use each shape's representative point"
        ]
    return []


def _value_problems(name: str, gdf: pd.DataFrame, col: str) -> list[str]:
    if col not in gdf.columns:
        return [f"{name} has no column {col!r} (columns: {', '.join(map(str, gdf.columns))})"]
    values = gdf[col]
    if not pd.api.types.is_numeric_dtype(values):
        return [f"{name}[{col!r}] must be numeric, got {values.dtype}"]
    problems = []
    # one float copy, checked with numpy (nullable dtypes: pd.NA becomes NaN)
    if isinstance(values.dtype, np.dtype):
        arr = values.to_numpy(dtype=float)
    else:
        arr = values.to_numpy(dtype=float, na_value=np.nan)
    if n_missing := int(np.count_nonzero(np.isnan(arr))):
        problems.append(f"{name}[{col!r}] has {n_missing} missing values: fill or drop them")
    if n_negative := int(np.count_nonzero(arr < 0)):
        problems.append(f"{name}[{col!r}] has {n_negative} negative values")
    if np.any(np.isinf(arr)):
        problems.append(f"{name}[{col!r}] has infinite values")
    return problems


def check_layers(
    layers: dict[str, tuple[gpd.GeoDataFrame, Sequence[str]]],
    *,
    allow_non_points: bool = False,
    point_layers: Sequence[str] | None = None,
) -> None:
    """Validate GeoDataFrames for metric analysis; raise one error listing every problem.

    Parameters
    ----------
    layers : dict
        ``name -> (GeoDataFrame, value columns that must be numeric, present,
        non-missing and non-negative)``.
    allow_non_points : bool
        Accept non-point geometries (their representative points will be used).
    point_layers : sequence of str, optional
        Layers whose geometries must be points; defaults to all layers.

    Raises
    ------
    AnalyticsInputError
        If anything is wrong; the message lists every problem and how to fix it.
    """
    problems: list[str] = []
    frames: dict[str, gpd.GeoDataFrame] = {}
    for name, (gdf, cols) in layers.items():
        if not isinstance(gdf, gpd.GeoDataFrame):
            problems.append(f"{name} must be a GeoDataFrame, got {type(gdf).__name__}")
            continue
        frames[name] = gdf
        if point_layers is None or name in point_layers:
            problems += _geometry_problems(name, gdf, allow_non_points=allow_non_points)
        for col in cols:
            problems += _value_problems(name, gdf, col)
    problems += _crs_problems(frames)
    if problems:
        raise AnalyticsInputError("Invalid input:\n- " + "\n- ".join(problems))


def point_coordinates(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """``(n, 2)`` coordinates of points, or of representative points of other shapes."""
    geoms = gdf.geometry
    if not _all_points(geoms):
        geoms = geoms.representative_point()
    xy = shapely.get_coordinates(geoms.values)
    if len(xy) != len(geoms):  # empty points have no coordinates: keep their NaN rows
        return np.column_stack([geoms.x.to_numpy(dtype=float), geoms.y.to_numpy(dtype=float)])
    return xy


def _all_points(geoms: gpd.GeoSeries) -> bool:
    """True if every geometry is a Point (type id 0; missing ones are -1)."""
    return bool(np.all(shapely.get_type_id(np.asarray(geoms.values)) == 0))
