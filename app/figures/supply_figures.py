"""Pure figure builders of the supply/demand, site-suitability and nearby-facility pages.

No tiles: our own boundaries on a white background. Nothing here reads the store or the request.
"""

from __future__ import annotations

import functools
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely
from _plotly_utils.utils import to_typed_array_spec

from app.figures.maps import LINE_COLOUR, geojson
from services.supply import SUPPLY_CLASS_LABELS

CLASS_ORDER: Final[tuple[str, ...]] = ("under", "none", "balanced", "over", "no_demand",
                                       "suppressed")
CLASS_COLOURS: Final[dict[str, str]] = {
    "under": "#d73027", "none": "#7f0000", "balanced": "#fee08b", "over": "#1a9850",
    "no_demand": "#ffffff", "suppressed": "#c9ccd1"}
SITE_COLOUR: Final = "#256ef4"
EXISTING_COLOUR: Final = "#1d2939"
ORIGIN_COLOUR: Final = "#d42020"
_FONT: Final = ('"Pretendard GOV", "Noto Sans KR", "Noto Sans CJK KR", "Apple SD Gothic Neo", '
                '"Malgun Gothic", sans-serif')
_CLICK_CELLS: Final = 160


def _geo_layout(fig: go.Figure, *, height: int = 560) -> go.Figure:
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator",
                    bgcolor="#ffffff")
    fig.update_layout(margin={"l": 0, "r": 0, "t": 8, "b": 0}, height=height,
                      paper_bgcolor="#ffffff", font={"family": _FONT, "size": 13},
                      legend={"bgcolor": "rgba(255,255,255,0.9)", "x": 0.01, "y": 0.99,
                              "bordercolor": "#d0d5dd", "borderwidth": 1},
                      uirevision="keep")
    return fig


def class_label(code: str, lang: str) -> str:
    """The Korean or English label of a supply class."""
    ko, en = SUPPLY_CLASS_LABELS.get(code, (code, code))
    return ko if lang == "ko" else en


def supply_class_map(regions: gpd.GeoDataFrame, *, lang: str = "ko",
                     hover_title: str = "", outlines: dict | None = None) -> dict:
    """Choropleth of supply classes with one legend entry per class (공급 부족 / 적정 / 공급 과잉 …).

    Built as a plain figure dict (as the risk map is, :mod:`app.figures.maps`): plotly's
    graph objects validate and deep-copy every trace's GeoJSON, which took over a second for
    the national 시군구 map.

    Parameters
    ----------
    regions
        From :func:`services.supply.supply_demand`: display polygons with ``code``,
        ``full_name``, ``supply_class``, ``accessibility`` and ``demand_supply_ratio``.
    lang
        ``'ko'`` or ``'en'``.
    hover_title
        Label of the accessibility value in the hover box.
    outlines
        ``geojson(regions, grid=1e-4)`` when the caller keeps it (the outlines do not change
        with the data shown); computed here otherwise.
    """
    fc = outlines if outlines is not None else geojson(regions, grid=1e-4)
    data = []
    for cls in CLASS_ORDER:
        part = regions[regions["supply_class"] == cls]
        if part.empty:
            continue
        name = class_label(cls, lang)
        codes = set(part["code"])
        text = [f"<b>{r.full_name}</b><br>{name}" + (
            "" if pd.isna(r.accessibility) else f"<br>{hover_title}: {r.accessibility:.3f}")
            for r in part.itertuples()]
        data.append({
            "type": "choropleth", "name": name, "showlegend": True, "showscale": False,
            "geojson": {"type": "FeatureCollection",
                        "features": [f for f in fc["features"] if f["id"] in codes]},
            "locations": part["code"].astype(str).tolist(), "z": [0] * len(part),
            "colorscale": [[0, CLASS_COLOURS[cls]], [1, CLASS_COLOURS[cls]]],
            "marker": {"line": {"color": LINE_COLOUR, "width": 0.6}}, "text": text,
            "hovertemplate": "%{text}<extra></extra>"})
    return {"data": data, "layout": _GEO_LAYOUT | {"height": 560}}


_GEO_LAYOUT: Final[dict] = {
    "geo": {"fitbounds": "locations", "visible": False, "projection": {"type": "mercator"},
            "bgcolor": "#ffffff"},
    "margin": {"l": 0, "r": 0, "t": 8, "b": 0}, "paper_bgcolor": "#ffffff",
    "font": {"family": _FONT, "size": 13}, "uirevision": "keep",
    "legend": {"bgcolor": "rgba(255,255,255,0.9)", "x": 0.01, "y": 0.99,
               "bordercolor": "#d0d5dd", "borderwidth": 1}}


def _polygon_lines(shapes: gpd.GeoSeries) -> tuple[list[float | None], list[float | None]]:
    """Exterior rings of (multi)polygons as one line with ``None`` breaks."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for geom in shapes:
        if geom is None or geom.is_empty:
            continue
        for poly in getattr(geom, "geoms", [geom]):
            x, y = poly.exterior.coords.xy
            xs += [*x, None]
            ys += [*y, None]
    return xs, ys


def _outline_arrays(shapes: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_polygon_lines` as float arrays, a NaN between rings (sent as the same ``null``
    breaks; a kept nearby view then holds 8 bytes per coordinate, not a Python float)."""
    geoms = np.asarray(shapes, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    rings = shapely.get_exterior_ring(shapely.get_parts(geoms))
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    out = np.full((len(coords) + len(rings), 2), np.nan)
    out[np.arange(len(coords)) + ring] = coords  # ring i moves down by the i breaks before it
    return out[:, 0], out[:, 1]


def site_map(regions: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, catchments: gpd.GeoDataFrame,
             existing: gpd.GeoDataFrame, *, labels: dict[str, str]) -> go.Figure:
    """읍면동 outlines, existing facilities, chosen sites and their catchment circles.

    ``labels`` holds the legend names: ``existing``, ``new``, ``catchment``.
    """
    fig = go.Figure()
    if len(regions):
        fig.add_trace(go.Choropleth(
            geojson=geojson(regions, grid=2e-5), locations=regions["code"],
            z=np.zeros(len(regions)), colorscale=[[0, "#f5f7fa"], [1, "#f5f7fa"]],
            showscale=False, marker_line_color=LINE_COLOUR, marker_line_width=0.7,
            text=regions["full_name"], hovertemplate="%{text}<extra></extra>", showlegend=False))
    if len(catchments):
        lon, lat = _polygon_lines(catchments.geometry)
        fig.add_trace(go.Scattergeo(lon=lon, lat=lat, mode="lines", fill="toself",
                                    fillcolor="rgba(37,110,244,0.12)",
                                    line={"color": SITE_COLOUR, "width": 1.2},
                                    name=labels["catchment"], hoverinfo="skip"))
    if len(existing):
        fig.add_trace(go.Scattergeo(
            lon=existing.geometry.x, lat=existing.geometry.y, mode="markers",
            marker={"size": 8, "color": EXISTING_COLOUR, "symbol": "square"},
            name=labels["existing"], text=existing["name"],
            hovertemplate="%{text}<extra></extra>"))
    if len(sites):
        fig.add_trace(go.Scattergeo(
            lon=sites.geometry.x, lat=sites.geometry.y, mode="markers+text",
            text=sites["site"].astype(str), textposition="top center",
            textfont={"size": 13, "color": SITE_COLOUR},
            marker={"size": 15, "color": SITE_COLOUR, "symbol": "star",
                    "line": {"width": 1, "color": "#ffffff"}},
            name=labels["new"], hovertemplate=labels["new"] + " %{text}<extra></extra>"))
    return _geo_layout(fig, height=540)


def nearby_map(outlines: gpd.GeoDataFrame, *, extent: tuple[float, float, float, float],
               facilities: pd.DataFrame | None = None, origin: tuple[float, float] | None = None,
               labels: dict[str, str]) -> dict:
    """A clickable lon/lat map: outlines, the search point and numbered facilities.

    A transparent grid of cells covers ``extent`` (lon/lat bounds) so that a click anywhere
    reports its coordinates (``clickData.points[0].x/y``); markers report ``customdata``.
    ``labels`` holds the legend names ``here`` and ``facility``.

    Built as a plain figure dict, the figure ``go.Figure(...).to_plotly_json()`` gave when
    this was built from graph objects (numeric arrays as plotly's typed arrays, the default
    template): validating and copying the traces took ≈20 ms of every search.
    """
    minx, miny, maxx, maxy = extent
    lon, lat = _outline_arrays(outlines.geometry)
    data: list[dict] = [
        {"type": "heatmap", "x": _typed(np.linspace(minx, maxx, _CLICK_CELLS)),
         "y": _typed(np.linspace(miny, maxy, _CLICK_CELLS)), "z": _click_grid_z(),
         "showscale": False, "colorscale": [[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
         "hoverinfo": "none", "name": "click"},
        {"type": "scatter", "x": lon, "y": lat, "mode": "lines",
         "line": {"color": LINE_COLOUR, "width": 0.8}, "hoverinfo": "skip", "showlegend": False}]
    if facilities is not None and len(facilities):
        data.append({
            "type": "scatter", "x": _typed(facilities["lon"].to_numpy()),
            "y": _typed(facilities["lat"].to_numpy()), "mode": "markers+text",
            "text": facilities["rank"].astype(str).tolist(), "textposition": "top center",
            "marker": {"size": 11, "color": SITE_COLOUR, "line": {"width": 1, "color": "#fff"}},
            "customdata": facilities["name"].tolist(), "name": labels["facility"],
            "hovertemplate": "%{text}. %{customdata}<extra></extra>"})
    if origin is not None:
        data.append({"type": "scatter", "x": [origin[0]], "y": [origin[1]], "mode": "markers",
                     "marker": {"size": 14, "color": ORIGIN_COLOUR, "symbol": "x"},
                     "name": labels["here"], "hoverinfo": "skip"})
    mid = np.deg2rad((miny + maxy) / 2)
    layout = {
        "template": default_template(),
        "xaxis": {"range": [minx, maxx], "visible": False, "constrain": "domain"},
        "yaxis": {"range": [miny, maxy], "visible": False, "scaleanchor": "x",
                  "scaleratio": 1 / float(np.cos(mid))},
        "margin": {"l": 0, "r": 0, "t": 8, "b": 0}, "height": 520, "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff", "font": {"family": _FONT, "size": 13}, "dragmode": "pan",
        "legend": {"bgcolor": "rgba(255,255,255,0.9)", "x": 0.01, "y": 0.99},
        "clickmode": "event"}
    return {"data": data, "layout": layout}


def _typed(values: np.ndarray) -> object:
    """A numeric array as plotly sends it (a base64 typed array, as ``go.Figure`` does)."""
    return to_typed_array_spec(np.asarray(values))


@functools.cache
def _click_grid_z() -> dict:
    """The all-zero values of the click grid (the same for every map)."""
    return to_typed_array_spec(np.zeros((_CLICK_CELLS, _CLICK_CELLS)))


@functools.cache
def default_template() -> dict:
    """The layout template a ``go.Figure`` gets (plotly's default), built once: every figure
    shares this one dict, so callers must not change it."""
    return go.Figure().to_plotly_json()["layout"]["template"]


def padded_extent(lons: np.ndarray, lats: np.ndarray, *,
                  pad: float = 0.1) -> tuple[float, float, float, float]:
    """Bounds of points (or a box) with a relative margin, at least ~1 km wide."""
    minx, maxx = float(np.min(lons)), float(np.max(lons))
    miny, maxy = float(np.min(lats)), float(np.max(lats))
    dx = max(maxx - minx, 0.01) * pad + 0.005
    dy = max(maxy - miny, 0.01) * pad + 0.005
    return minx - dx, miny - dy, maxx + dx, maxy + dy
