"""Pure map figure builders (no tiles: our own boundaries on a white background).

Every function takes data frames and returns a ``plotly.graph_objects.Figure``; nothing here
reads the store or the request.
"""

from __future__ import annotations

import json
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely
from shapely.geometry import Point

from analytics.hotspots import HOTSPOT_CLASSES, HOTSPOT_LABELS_KO, MORAN_LABELS_KO, MORAN_QUADRANTS
from app.i18n import t
from geodata.vocabulary import TIERS, label

#: dcc.Graph config for every map: base-map topojson from our assets (offline), no logo.
GRAPH_CONFIG: Final[dict[str, object]] = {"topojsonURL": "/assets/topojson/", "displaylogo": False,
                                          "scrollZoom": True}
SHARE_SCALE: Final = [[0.0, "#fff5f0"], [0.25, "#fcbba1"], [0.5, "#fb6a4a"], [0.75, "#cb181d"],
                      [1.0, "#67000d"]]
SUPPRESSED_COLOUR: Final = "#c9ccd1"
LINE_COLOUR: Final = "#5c6370"
HOTSPOT_COLOURS: Final[dict[str, str]] = {
    "hot_99": "#b2182b", "hot_95": "#ef8a62", "hot_90": "#fddbc7", "not_significant": "#f2f2f2",
    "cold_90": "#d1e5f0", "cold_95": "#67a9cf", "cold_99": "#2166ac"}
MORAN_COLOURS: Final[dict[str, str]] = {
    "HH": "#d7191c", "LH": "#abd9e9", "LL": "#2c7bb6", "HL": "#fdae61", "not_significant": "#f2f2f2"}
HOTSPOT_LABELS_EN: Final[dict[str, str]] = {
    "hot_99": "Hot spot (99%)", "hot_95": "Hot spot (95%)", "hot_90": "Hot spot (90%)",
    "not_significant": "Not significant", "cold_90": "Cold spot (90%)",
    "cold_95": "Cold spot (95%)", "cold_99": "Cold spot (99%)"}
MORAN_LABELS_EN: Final[dict[str, str]] = {
    "HH": "High-high cluster", "LH": "Low-high outlier", "LL": "Low-low cluster",
    "HL": "High-low outlier", "not_significant": "Not significant"}
TIER_COLOURS: Final[dict[int, str]] = {1: "#d42020", 2: "#f08c00", 3: "#e6c700", 4: "#8a94a3"}
_FONT: Final = ('"Pretendard GOV", "Noto Sans KR", "Noto Sans CJK KR", "Apple SD Gothic Neo", '
                '"Malgun Gothic", sans-serif')


def geojson(regions: gpd.GeoDataFrame, *, grid: float = 1e-4) -> dict:
    """A FeatureCollection of ``regions`` with ``id`` = region code, coordinates on a grid.

    ``grid`` (degrees) rounds coordinates (1e-4 ≈ 10 m) to keep the JSON small.
    """
    geoms = shapely.set_precision(np.asarray(regions.geometry.values, dtype=object), grid)
    series = gpd.GeoSeries(geoms, index=regions["code"].to_numpy(), crs=regions.crs)
    return json.loads(series.to_json(drop_id=False))


def _base_layout(fig: go.Figure, *, height: int = 620) -> go.Figure:
    fig.update_geos(fitbounds="locations", visible=False, projection_type="mercator",
                    bgcolor="#ffffff")
    fig.update_layout(margin={"l": 0, "r": 0, "t": 8, "b": 0}, height=height,
                      paper_bgcolor="#ffffff", font={"family": _FONT, "size": 13},
                      legend={"bgcolor": "rgba(255,255,255,0.85)", "x": 0.01, "y": 0.99,
                              "bordercolor": "#d0d5dd", "borderwidth": 1},
                      uirevision="keep")
    return fig


def _subset_geojson(collection: dict, codes: set[str]) -> dict:
    return {"type": "FeatureCollection",
            "features": [f for f in collection["features"] if f["id"] in codes]}


def _fmt_count(value: object) -> str:
    return "—" if value is None or pd.isna(value) else f"{int(value):,}"


def _hover(regions: pd.DataFrame, lang: str) -> list[str]:
    out = []
    for _, r in regions.iterrows():
        if r["suppressed"]:
            body = t("map.suppressed", lang)
        else:
            share = "—" if pd.isna(r["share_high"]) else f"{100 * r['share_high']:.1f}%"
            body = (f"{t('map.share', lang)}: {share}<br>{t('map.count', lang)}: "
                    f"{_fmt_count(r['high_tier'])} / {_fmt_count(r['households'])} "
                    f"{t('map.households', lang)}")
        out.append(f"<b>{r['full_name']}</b><br>{body}")
    return out


def risk_choropleth(
    regions: gpd.GeoDataFrame,
    *,
    colour_by: str = "share",
    lang: str = "ko",
    hotspots: pd.DataFrame | None = None,
    points: gpd.GeoDataFrame | None = None,
    labels: bool = False,
    grid: float = 1e-4,
) -> go.Figure:
    """Choropleth of high-tier share/count, or hotspot/cluster classes, with optional layers.

    Parameters
    ----------
    regions
        From :func:`analytics.risk_map.region_risk` (suppressed cells have ``suppressed``).
    colour_by
        ``'share'``, ``'count'``, ``'hotspot'`` (Gi*) or ``'moran'`` (local Moran).
    hotspots
        From :func:`analytics.risk_map.hotspots`, indexed by code (for the last two).
    points
        Household points with ``tier`` and ``household_id`` (only for permitted viewers).
    labels
        Write region names at their representative points.
    """
    fc = geojson(regions, grid=grid)
    fig = go.Figure()
    if colour_by in ("hotspot", "moran") and hotspots is not None and len(hotspots):
        _class_traces(fig, fc, regions, hotspots, colour_by=colour_by, lang=lang)
    else:
        _value_traces(fig, fc, regions, count=colour_by == "count", lang=lang)
    if labels:
        rep = regions.geometry.representative_point()
        fig.add_trace(go.Scattergeo(lon=rep.x, lat=rep.y, text=regions["name"], mode="text",
                                    textfont={"size": 11, "color": "#1d2939"}, hoverinfo="skip",
                                    showlegend=False))
    if points is not None and len(points):
        _point_traces(fig, points, lang=lang)
    return _base_layout(fig)


def _value_traces(fig: go.Figure, fc: dict, regions: gpd.GeoDataFrame, *, count: bool,
                  lang: str) -> None:
    shown = regions[~regions["suppressed"].astype(bool)]
    hidden = regions[regions["suppressed"].astype(bool)]
    z = shown["high_tier"].astype(float) if count else 100 * shown["share_high"].astype(float)
    fig.add_trace(go.Choropleth(
        geojson=_subset_geojson(fc, set(shown["code"])), locations=shown["code"], z=z.fillna(0),
        colorscale=SHARE_SCALE, zmin=0, zmax=None if count else max(20.0, float(z.max() or 0)),
        marker_line_color=LINE_COLOUR, marker_line_width=0.6, name=t("map.share", lang),
        text=_hover(shown, lang), hovertemplate="%{text}<extra></extra>",
        colorbar={"title": {"text": t("map.count" if count else "map.share", lang) +
                            ("" if count else " (%)"), "side": "right"},
                  "thickness": 14, "len": 0.6, "x": 0.99}))
    if len(hidden):
        fig.add_trace(go.Choropleth(
            geojson=_subset_geojson(fc, set(hidden["code"])), locations=hidden["code"],
            z=np.zeros(len(hidden)), colorscale=[[0, SUPPRESSED_COLOUR], [1, SUPPRESSED_COLOUR]],
            showscale=False, marker_line_color=LINE_COLOUR, marker_line_width=0.6,
            name=t("map.suppressed", lang), showlegend=True, text=_hover(hidden, lang),
            hovertemplate="%{text}<extra></extra>"))


def _class_traces(fig: go.Figure, fc: dict, regions: gpd.GeoDataFrame, hotspots: pd.DataFrame,
                  *, colour_by: str, lang: str) -> None:
    column = "hotspot_class" if colour_by == "hotspot" else "quadrant"
    classes = HOTSPOT_CLASSES if colour_by == "hotspot" else MORAN_QUADRANTS
    colours = HOTSPOT_COLOURS if colour_by == "hotspot" else MORAN_COLOURS
    names = (HOTSPOT_LABELS_KO if colour_by == "hotspot" else MORAN_LABELS_KO) if lang == "ko" \
        else (HOTSPOT_LABELS_EN if colour_by == "hotspot" else MORAN_LABELS_EN)
    cls = regions["code"].map(hotspots[column]).fillna("not_significant")
    for value in classes:
        part = regions[cls == value]
        if part.empty:
            continue
        p = part["code"].map(hotspots["p_sim" if colour_by == "hotspot" else "moran_p"])
        fig.add_trace(go.Choropleth(
            geojson=_subset_geojson(fc, set(part["code"])), locations=part["code"],
            z=np.zeros(len(part)), colorscale=[[0, colours[value]], [1, colours[value]]],
            showscale=False, showlegend=True, name=names[value],
            marker_line_color=LINE_COLOUR, marker_line_width=0.6,
            text=[f"<b>{n}</b><br>{names[value]} (p={pv:.3f})" for n, pv in
                  zip(part["full_name"], p.fillna(1.0), strict=True)],
            hovertemplate="%{text}<extra></extra>"))


def _point_traces(fig: go.Figure, points: gpd.GeoDataFrame, *, lang: str) -> None:
    for tier in (4, 3, 2, 1):
        part = points[points["tier"] == tier]
        if part.empty:
            continue
        name = label(TIERS, str(tier), lang=lang)
        fig.add_trace(go.Scattergeo(
            lon=part.geometry.x, lat=part.geometry.y, mode="markers", name=name,
            marker={"size": 7, "color": TIER_COLOURS[tier], "line": {"width": 0.5,
                                                                     "color": "#ffffff"}},
            customdata=part["household_id"], hovertemplate=f"%{{customdata}} · {name}<extra></extra>"))


def route_figure(office: Point, route: gpd.GeoDataFrame, *, lang: str = "ko",
                 area: gpd.GeoDataFrame | None = None) -> go.Figure:
    """A small map of a day's route: office, numbered stops and the legs between them."""
    fig = go.Figure()
    if area is not None and len(area):
        fig.add_trace(go.Choropleth(
            geojson=geojson(area, grid=1e-5), locations=area["code"], z=np.zeros(len(area)),
            colorscale=[[0, "#f5f7fa"], [1, "#f5f7fa"]], showscale=False, hoverinfo="skip",
            marker_line_color=LINE_COLOUR, marker_line_width=0.8))
    lon = [office.x, *route.geometry.x, office.x]
    lat = [office.y, *route.geometry.y, office.y]
    fig.add_trace(go.Scattergeo(lon=lon, lat=lat, mode="lines", line={"color": "#256ef4",
                                                                       "width": 2},
                                hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scattergeo(
        lon=route.geometry.x, lat=route.geometry.y, mode="markers+text",
        text=route["visit_order"].astype(str), textposition="top center",
        marker={"size": 12, "color": "#256ef4"}, name=t("col.visit_order", lang),
        customdata=route["household_id"], hovertemplate="%{text}: %{customdata}<extra></extra>"))
    fig.add_trace(go.Scattergeo(lon=[office.x], lat=[office.y], mode="markers+text",
                                text=[t("visits.office", lang)], textposition="bottom center",
                                marker={"size": 14, "symbol": "square", "color": "#1d2939"},
                                name=t("visits.office", lang)))
    return _base_layout(fig, height=360)
