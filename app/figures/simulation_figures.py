"""Map of a criteria scenario's net moves into tiers 1–2 per region (pure: frames in, figure out)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from app.figures.maps import LINE_COLOUR, SUPPRESSED_COLOUR, geojson
from app.figures.reform_figures import CHANGE_SCALE


def net_moves_map(outlines: gpd.GeoDataFrame, by_region: pd.DataFrame, *, lang: str = "ko",
                  height: int = 520) -> dict:
    """Choropleth of the net number of households moving into tiers 1–2 per region, with
    suppressed regions in grey.

    Parameters
    ----------
    outlines
        Display outlines with ``code`` and ``full_name`` (EPSG:4326).
    by_region
        :attr:`services.simulation.SimulationResult.by_region` (index region code,
        ``households, into_high, out_of_high, net_high, suppressed``).
    """
    shapes = outlines[outlines["code"].isin(by_region.index)]
    table = by_region.reindex(shapes["code"])
    net = table["net_high"].astype("float64")
    shown = net.notna().to_numpy()
    en = lang == "en"
    hover = []
    for name, row in zip(shapes["full_name"], table.itertuples(), strict=True):
        if pd.isna(row.net_high):
            hover.append(f"<b>{name}</b><br>"
                         f"{'suppressed (fewer than 5 households)' if en else '비공개 (5가구 미만)'}")
            continue
        hover.append(f"<b>{name}</b><br>{'net into tiers 1-2' if en else '1–2등급 순유입'}: "
                     f"{int(row.net_high):+,}<br>{'in' if en else '유입'} {int(row.into_high):,} · "
                     f"{'out' if en else '유출'} {int(row.out_of_high):,} / "
                     f"{int(row.households):,} {'households' if en else '가구'}")
    fc = geojson(shapes)
    bound = float(np.nanmax(np.abs(net.to_numpy()))) if shown.any() else 1.0
    bound = bound or 1.0
    codes = shapes["code"].to_numpy()
    text = np.array(hover, dtype=object)
    data = [{"type": "choropleth", "geojson": fc, "locations": codes[shown].tolist(),
             "z": net.to_numpy()[shown].tolist(), "text": text[shown].tolist(),
             "colorscale": CHANGE_SCALE, "zmin": -bound, "zmax": bound, "zmid": 0,
             "marker": {"line": {"color": LINE_COLOUR, "width": 0.6}},
             "hovertemplate": "%{text}<extra></extra>",
             "colorbar": {"title": {"text": "net, tiers 1-2" if en else "1–2등급 순유입",
                                    "side": "right"}},  # beside the bar: the toolbar sits above it
             "name": "net"}]
    if (~shown).any():
        data.append({"type": "choropleth", "geojson": fc, "locations": codes[~shown].tolist(),
                     "z": [0] * int((~shown).sum()), "text": text[~shown].tolist(),
                     "colorscale": [[0, SUPPRESSED_COLOUR], [1, SUPPRESSED_COLOUR]],
                     "showscale": False, "marker": {"line": {"color": LINE_COLOUR, "width": 0.6}},
                     "hovertemplate": "%{text}<extra></extra>", "name": "suppressed"})
    return {"data": data, "layout": {
        "geo": {"fitbounds": "locations", "visible": False, "projection": {"type": "mercator"},
                "bgcolor": "#ffffff"},
        "margin": {"l": 0, "r": 0, "t": 8, "b": 0}, "height": height, "paper_bgcolor": "#ffffff",
        "uirevision": "keep"}}
