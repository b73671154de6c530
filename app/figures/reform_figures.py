"""Map of a reform's effect per region (pure: frames in, a plotly figure dict out)."""

from __future__ import annotations

from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from app.figures.maps import LINE_COLOUR, SUPPRESSED_COLOUR, geojson

#: Diverging scale: fewer recipients (blue) ... no change (white) ... more recipients (red-brown).
CHANGE_SCALE: Final = [[0.0, "#2166ac"], [0.25, "#92c5de"], [0.5, "#f7f7f7"], [0.75, "#f4a582"],
                       [1.0, "#b2182b"]]


def reform_change_map(outlines: gpd.GeoDataFrame, by_region: pd.DataFrame, *, lang: str = "ko",
                      height: int = 560) -> dict:
    """Choropleth of the change in recipients per 1,000 households (any programme), with
    suppressed regions in grey.

    Parameters
    ----------
    outlines
        Display outlines with ``code`` and ``full_name`` (EPSG:4326).
    by_region
        From :func:`services.eligibility.reform_impact` ``.by_region``: index region code,
        ``households``, ``gainers``, ``losers``, ``net_recipients``, ``suppressed``.
    """
    shapes = outlines[outlines["code"].isin(by_region.index)]
    table = by_region.reindex(shapes["code"])
    per_1000 = 1000 * table["net_recipients"] / table["households"]
    shown = per_1000.notna().to_numpy()
    en = lang == "en"
    hover = []
    for name, row, value in zip(shapes["full_name"], table.itertuples(), per_1000, strict=True):
        if pd.isna(value):
            hover.append(f"<b>{name}</b><br>{'suppressed (fewer than 5 households)' if en else '비공개 (5가구 미만)'}")
            continue
        hover.append(
            f"<b>{name}</b><br>{'recipients' if en else '수급 가구 변화'}: {int(row.net_recipients):+,} "
            f"({value:+.1f} / 1,000)<br>{'gain' if en else '유리'} {int(row.gainers):,} · "
            f"{'lose' if en else '불리'} {int(row.losers):,} / {int(row.households):,} {'households' if en else '가구'}")
    fc = geojson(shapes)
    bound = float(np.nanmax(np.abs(per_1000.to_numpy()))) if shown.any() else 1.0
    bound = bound or 1.0
    codes = shapes["code"].to_numpy()
    hover_arr = np.array(hover, dtype=object)
    data = [{
        "type": "choropleth", "geojson": fc, "locations": codes[shown].tolist(),
        "z": per_1000.to_numpy()[shown].tolist(), "text": hover_arr[shown].tolist(),
        "colorscale": CHANGE_SCALE, "zmin": -bound, "zmax": bound, "zmid": 0,
        "marker": {"line": {"color": LINE_COLOUR, "width": 0.6}},
        "hovertemplate": "%{text}<extra></extra>",
        "colorbar": {"title": {"text": "per 1,000" if en else "1,000가구당", "side": "right"}},
        "name": "change",
    }]
    if (~shown).any():
        data.append({
            "type": "choropleth", "geojson": fc, "locations": codes[~shown].tolist(),
            "z": [0] * int((~shown).sum()), "text": hover_arr[~shown].tolist(),
            "colorscale": [[0, SUPPRESSED_COLOUR], [1, SUPPRESSED_COLOUR]], "showscale": False,
            "marker": {"line": {"color": LINE_COLOUR, "width": 0.6}},
            "hovertemplate": "%{text}<extra></extra>", "name": "suppressed",
        })
    return {"data": data, "layout": {
        "geo": {"fitbounds": "locations", "visible": False, "projection": {"type": "mercator"},
                "bgcolor": "#ffffff"},
        "margin": {"l": 0, "r": 0, "t": 8, "b": 0}, "height": height, "paper_bgcolor": "#ffffff",
        "uirevision": "keep"}}
