"""The nearby map built as a plain dict is the figure the graph-object builder gave."""

from __future__ import annotations

import base64

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import plotly.graph_objects as go
import pytest
from shapely.geometry import MultiPolygon, Polygon, box

from app.callback_json import output_json
from app.figures import supply_figures as sf

LABELS = {"here": "여기", "facility": "시설"}


def _graph_object_nearby_map(outlines, *, extent, facilities=None, origin=None, labels):
    """The builder as it was with ``plotly.graph_objects`` (the reference)."""
    minx, miny, maxx, maxy = extent
    fig = go.Figure()
    xs = np.linspace(minx, maxx, 160)
    ys = np.linspace(miny, maxy, 160)
    fig.add_trace(go.Heatmap(x=xs, y=ys, z=np.zeros((len(ys), len(xs))), showscale=False,
                             colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
                             hoverinfo="none", name="click"))
    lon, lat = sf._polygon_lines(outlines.geometry)
    fig.add_trace(go.Scatter(x=lon, y=lat, mode="lines",
                             line={"color": sf.LINE_COLOUR, "width": 0.8},
                             hoverinfo="skip", showlegend=False))
    if facilities is not None and len(facilities):
        fig.add_trace(go.Scatter(
            x=facilities["lon"], y=facilities["lat"], mode="markers+text",
            text=facilities["rank"].astype(str), textposition="top center",
            marker={"size": 11, "color": sf.SITE_COLOUR, "line": {"width": 1, "color": "#fff"}},
            customdata=facilities["name"], name=labels["facility"],
            hovertemplate="%{text}. %{customdata}<extra></extra>"))
    if origin is not None:
        fig.add_trace(go.Scatter(x=[origin[0]], y=[origin[1]], mode="markers",
                                 marker={"size": 14, "color": sf.ORIGIN_COLOUR, "symbol": "x"},
                                 name=labels["here"], hoverinfo="skip"))
    mid = np.deg2rad((miny + maxy) / 2)
    fig.update_xaxes(range=[minx, maxx], visible=False, constrain="domain")
    fig.update_yaxes(range=[miny, maxy], visible=False, scaleanchor="x",
                     scaleratio=1 / float(np.cos(mid)))
    fig.update_layout(margin={"l": 0, "r": 0, "t": 8, "b": 0}, height=520,
                      paper_bgcolor="#ffffff", plot_bgcolor="#ffffff",
                      font={"family": sf._FONT, "size": 13}, dragmode="pan",
                      legend={"bgcolor": "rgba(255,255,255,0.9)", "x": 0.01, "y": 0.99},
                      clickmode="event")
    return fig


def _sent(figure) -> object:
    """What the browser receives for a figure (the JSON text Dash writes, parsed)."""
    if isinstance(figure, go.Figure):
        figure = figure.to_plotly_json()
    return orjson.loads(output_json(figure))


def _values(sent: object) -> object:
    """``sent`` with plotly's typed arrays decoded to lists (plotly.js reads both the same)."""
    if isinstance(sent, dict) and set(sent) in ({"dtype", "bdata"}, {"dtype", "bdata", "shape"}):
        values = np.frombuffer(base64.b64decode(sent["bdata"]), dtype=sent["dtype"])
        if "shape" in sent:
            values = values.reshape([int(n) for n in sent["shape"].split(",")])
        return orjson.loads(orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY))
    if isinstance(sent, dict):
        return {k: _values(v) for k, v in sent.items()}
    if isinstance(sent, list):
        return [_values(v) for v in sent]
    return sent


@pytest.fixture()
def outlines() -> gpd.GeoDataFrame:
    shapes = [box(127.0, 36.0, 127.1, 36.1),
              MultiPolygon([box(127.1, 36.0, 127.2, 36.05), box(127.15, 36.06, 127.2, 36.1)])]
    return gpd.GeoDataFrame({"code": ["36110250", "36110253"]}, geometry=shapes, crs=4326)


@pytest.mark.parametrize("with_result", [True, False])
def test_nearby_map_dict_equals_graph_object_figure(outlines, with_result: bool) -> None:
    extent = sf.padded_extent(np.array([127.0, 127.2]), np.array([36.0, 36.1]), pad=0.15)
    kwargs = {}
    if with_result:
        kwargs = {"facilities": pd.DataFrame({"lon": [127.01, 127.12, 127.18],
                                              "lat": [36.02, 36.03, 36.08], "rank": [1, 2, 3],
                                              "name": ["조치원 노인복지관", "A센터", "B"]}),
                  "origin": (127.05, 36.05)}
    built = sf.nearby_map(outlines, extent=extent, labels=LABELS, **kwargs)
    reference = _graph_object_nearby_map(outlines, extent=extent, labels=LABELS, **kwargs)
    assert isinstance(built, dict)
    assert _sent(built) == _sent(reference)
    # plotly accepts the dict as it is, and reads the same figure back from it
    assert _values(_sent(go.Figure(built))) == _values(_sent(built))
    assert len(built["data"]) == (4 if with_result else 2)


def test_nearby_maps_follow_their_outlines_and_share_the_template(outlines) -> None:
    extent = (126.9, 35.9, 127.3, 36.2)
    one = sf.nearby_map(outlines, extent=extent, labels=LABELS)
    two = sf.nearby_map(outlines.iloc[:1], extent=(127.0, 36.0, 127.1, 36.1), labels=LABELS)
    assert len(one["data"][1]["x"]) == 18 and len(two["data"][1]["x"]) == 6
    assert one["data"][0]["x"] != two["data"][0]["x"]  # the click grid follows the extent
    assert one["layout"]["template"] is two["layout"]["template"]  # shared, read-only


def test_outline_arrays_are_the_outline_lines(outlines) -> None:
    shapes = [*outlines.geometry.tolist(), None, Polygon()]
    lines = sf._polygon_lines(gpd.GeoSeries(shapes))
    arrays = sf._outline_arrays(gpd.GeoSeries(shapes))
    for line, array in zip(lines, arrays, strict=True):
        assert [None if np.isnan(v) else v for v in array] == line
    assert len(arrays[0]) == 5 + 5 + 5 + 3  # three rings of five points, three breaks
