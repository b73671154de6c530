"""Pure map figure builders (no tiles: our own boundaries on a white background).

Every function takes data frames and returns a plotly figure as a plain ``dict`` (``data`` and
``layout``): building ``plotly.graph_objects`` would validate and deep-copy every GeoJSON
coordinate, which cost more than all the data work of a map view. Nothing here reads the store
or the request.
"""

from __future__ import annotations

import json
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from app.i18n import t
from geodata.vocabulary import TIERS, label
from spatial.hotspots import HOTSPOT_CLASSES, HOTSPOT_LABELS_KO, MORAN_LABELS_KO, MORAN_QUADRANTS

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


Figure = dict


def _figure(data: list[dict], *, height: int = 620) -> Figure:
    return {"data": data, "layout": {
        "geo": {"fitbounds": "locations", "visible": False, "projection": {"type": "mercator"},
                "bgcolor": "#ffffff"},
        "margin": {"l": 0, "r": 0, "t": 8, "b": 0}, "height": height, "paper_bgcolor": "#ffffff",
        "font": {"family": _FONT, "size": 13}, "uirevision": "keep",
        "legend": {"bgcolor": "rgba(255,255,255,0.85)", "x": 0.01, "y": 0.99,
                   "bordercolor": "#d0d5dd", "borderwidth": 1}}}


def _choropleth(**trace: object) -> dict:
    return {"type": "choropleth", "marker": {"line": {"color": LINE_COLOUR, "width": 0.6}},
            "hovertemplate": "%{text}<extra></extra>", **trace}


def _scattergeo(**trace: object) -> dict:
    return {"type": "scattergeo", **trace}


def _subset_geojson(collection: dict, codes: set[str]) -> dict:
    return {"type": "FeatureCollection",
            "features": [f for f in collection["features"] if f["id"] in codes]}


def _fmt_count(value: object) -> str:
    return "—" if value is None or pd.isna(value) else f"{int(value):,}"


def _hover(regions: pd.DataFrame, lang: str) -> list[str]:
    out = []
    rows = zip(regions["full_name"], regions["suppressed"], regions["share_high"],
               regions["high_tier"], regions["households"], strict=True)
    for name, suppressed, share, high, households in rows:
        if suppressed:
            body = t("map.suppressed", lang)
        else:
            pct = "—" if pd.isna(share) else f"{100 * share:.1f}%"
            body = (f"{t('map.share', lang)}: {pct}<br>{t('map.count', lang)}: "
                    f"{_fmt_count(high)} / {_fmt_count(households)} {t('map.households', lang)}")
        out.append(f"<b>{name}</b><br>{body}")
    return out


def risk_choropleth(
    regions: pd.DataFrame,
    shapes: dict,
    *,
    colour_by: str = "share",
    lang: str = "ko",
    hotspots: pd.DataFrame | None = None,
    points: gpd.GeoDataFrame | None = None,
    labels: pd.DataFrame | None = None,
) -> Figure:
    """Choropleth of high-tier share/count, or hotspot/cluster classes, with optional layers.

    Parameters
    ----------
    regions
        From :func:`services.risk_map.region_risk` (suppressed cells have ``suppressed``).
    shapes
        GeoJSON FeatureCollection of the regions (``id`` = code), see :func:`geojson`.
    colour_by
        ``'share'``, ``'count'``, ``'hotspot'`` (Gi*) or ``'moran'`` (local Moran).
    hotspots
        From :func:`services.risk_map.hotspots`, indexed by code (for the last two).
    points
        Household points with ``tier`` and ``household_id`` (only for permitted viewers).
    labels
        ``name, lon, lat`` of region names to write on the map (none when ``None``).
    """
    fc = shapes
    if colour_by in ("hotspot", "moran") and hotspots is not None and len(hotspots):
        data = _class_traces(fc, regions, hotspots, colour_by=colour_by, lang=lang)
    else:
        data = _value_traces(fc, regions, count=colour_by == "count", lang=lang)
    if labels is not None and len(labels):
        data.append(_scattergeo(lon=labels["lon"].tolist(), lat=labels["lat"].tolist(),
                                text=labels["name"].tolist(), mode="text", hoverinfo="skip",
                                textfont={"size": 11, "color": "#1d2939"}, showlegend=False))
    if points is not None and len(points):
        data += _point_traces(points, lang=lang)
    return _figure(data)


def _value_traces(fc: dict, regions: pd.DataFrame, *, count: bool, lang: str) -> list[dict]:
    shown = regions[~regions["suppressed"].astype(bool)]
    hidden = regions[regions["suppressed"].astype(bool)]
    z = shown["high_tier"].astype(float) if count else 100 * shown["share_high"].astype(float)
    z = z.fillna(0).round(2)
    zmax = float(z.max()) if len(z) else 1.0
    data = [_choropleth(
        geojson=_subset_geojson(fc, set(shown["code"])), locations=shown["code"].tolist(),
        z=z.tolist(), colorscale=SHARE_SCALE, zmin=0, zmax=max(zmax, 1.0 if count else 0.5),
        name=t("map.share", lang), text=_hover(shown, lang),
        colorbar={"title": {"text": t("map.count" if count else "map.share", lang) +
                            ("" if count else " (%)"), "side": "right"},
                  "thickness": 14, "len": 0.6, "x": 0.99})]
    if len(hidden):
        data.append(_choropleth(
            geojson=_subset_geojson(fc, set(hidden["code"])), locations=hidden["code"].tolist(),
            z=[0] * len(hidden), colorscale=[[0, SUPPRESSED_COLOUR], [1, SUPPRESSED_COLOUR]],
            showscale=False, name=t("map.suppressed", lang), showlegend=True,
            text=_hover(hidden, lang)))
    return data


def _class_traces(fc: dict, regions: pd.DataFrame, hotspots: pd.DataFrame,
                  *, colour_by: str, lang: str) -> list[dict]:
    column = "hotspot_class" if colour_by == "hotspot" else "quadrant"
    classes = HOTSPOT_CLASSES if colour_by == "hotspot" else MORAN_QUADRANTS
    colours = HOTSPOT_COLOURS if colour_by == "hotspot" else MORAN_COLOURS
    names = (HOTSPOT_LABELS_KO if colour_by == "hotspot" else MORAN_LABELS_KO) if lang == "ko" \
        else (HOTSPOT_LABELS_EN if colour_by == "hotspot" else MORAN_LABELS_EN)
    cls = regions["code"].map(hotspots[column]).fillna("not_significant")
    # A suppressed cell shows no class either: a hot/cold label would hint at its rate.
    cls = cls.where(~regions["suppressed"].astype(bool), "suppressed")
    colours = {**colours, "suppressed": SUPPRESSED_COLOUR}
    names = {**names, "suppressed": t("map.suppressed", lang)}
    data = []
    for value in (*classes, "suppressed"):
        part = regions[cls == value]
        if part.empty:
            continue
        p = part["code"].map(hotspots["p_sim" if colour_by == "hotspot" else "moran_p"])
        data.append(_choropleth(
            geojson=_subset_geojson(fc, set(part["code"])), locations=part["code"].tolist(),
            z=[0] * len(part), colorscale=[[0, colours[value]], [1, colours[value]]],
            showscale=False, showlegend=True, name=names[value],
            text=[f"<b>{n}</b><br>{names[value]}" + ("" if value == "suppressed"
                                                      else f" (p={pv:.3f})")
                  for n, pv in zip(part["full_name"], p.fillna(1.0), strict=True)]))
    return data


def _point_traces(points: gpd.GeoDataFrame, *, lang: str) -> list[dict]:
    data = []
    for tier in (4, 3, 2, 1):
        part = points[points["tier"] == tier]
        if part.empty:
            continue
        name = label(TIERS, str(tier), lang=lang)
        data.append(_scattergeo(
            lon=part.geometry.x.round(5).tolist(), lat=part.geometry.y.round(5).tolist(),
            mode="markers", name=name,
            marker={"size": 7, "color": TIER_COLOURS[tier], "line": {"width": 0.5,
                                                                     "color": "#ffffff"}},
            customdata=part["household_id"].astype(int).tolist(),
            hovertemplate=f"%{{customdata}} · {name}<extra></extra>"))
    return data


def route_figure(office: Point, route: gpd.GeoDataFrame, *, lang: str = "ko",
                 area: gpd.GeoDataFrame | None = None) -> Figure:
    """A small map of a day's route: office, numbered stops and the legs between them."""
    data = []
    if area is not None and len(area):
        data.append(_choropleth(
            geojson=geojson(area, grid=1e-5), locations=area["code"].tolist(), z=[0] * len(area),
            colorscale=[[0, "#f5f7fa"], [1, "#f5f7fa"]], showscale=False, hoverinfo="skip",
            hovertemplate=None, text=None))
    xs, ys = route.geometry.x.tolist(), route.geometry.y.tolist()
    data.append(_scattergeo(lon=[office.x, *xs, office.x], lat=[office.y, *ys, office.y],
                            mode="lines", line={"color": "#256ef4", "width": 2},
                            hoverinfo="skip", showlegend=False))
    data.append(_scattergeo(
        lon=xs, lat=ys, mode="markers+text", text=route["visit_order"].astype(str).tolist(),
        textposition="top center", marker={"size": 12, "color": "#256ef4"},
        name=t("col.visit_order", lang), customdata=route["household_id"].astype(int).tolist(),
        hovertemplate="%{text}: %{customdata}<extra></extra>"))
    data.append(_scattergeo(lon=[office.x], lat=[office.y], mode="markers+text",
                            text=[t("visits.office", lang)], textposition="bottom center",
                            marker={"size": 14, "symbol": "square", "color": "#1d2939"},
                            name=t("visits.office", lang)))
    return _figure(data, height=360)
