"""Eligibility pages without a browser: strings, the answer renderer, table rows, the map."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from app.figures.reform_figures import reform_change_map
from app.i18n import STRINGS
from app.pages.mock_calc import render_answer
from app.pages.reform import group_rows
from eligibility.calculator import answer


def test_every_eligibility_string_has_both_languages() -> None:
    assert not [k for k, v in STRINGS.items() if set(v) != {"ko", "en"}]


def test_render_answer_in_english_and_korean() -> None:
    good = answer({"size": "1", "region": "seoul", "head_age": "30", "other_income": "612300"},
                  today=dt.date(2026, 1, 2))
    english = str(render_answer(good, "en"))
    assert "recognised income 612,300원 ≤ livelihood benefit line 820,556원 (1-person, 2026)" in english
    bad = answer({"size": "0", "region": "seoul", "head_age": "30"}, today=dt.date(2026, 1, 2))
    korean = str(render_answer(bad, "ko"))
    assert "가구원 수" in korean and "mc-errors" in korean


def _by_region() -> pd.DataFrame:
    return pd.DataFrame({"households": [100.0, np.nan, 50.0], "gainers": [10.0, np.nan, 0.0],
                         "losers": [2.0, np.nan, 5.0], "net_recipients": [8.0, np.nan, -5.0],
                         "cost_change_krw": [1000.0, np.nan, -500.0],
                         "suppressed": [False, True, False]}, index=["11110", "11140", "11170"])


def test_group_rows_hide_suppressed_cells_and_sort_by_change() -> None:
    rows = group_rows(_by_region(), {"11110": "종로구"}, "ko", top=3)
    assert rows[0]["group"] == "종로구" and rows[0]["net"] == "+8"
    hidden = next(r for r in rows if r["group"] == "11140")
    assert hidden["households"] == "비공개" and hidden["gainers"] == ""


def test_change_map_colours_shown_regions_and_greys_suppressed_ones() -> None:
    outlines = gpd.GeoDataFrame({"code": ["11110", "11140", "11170"], "full_name": ["a", "b", "c"]},
                                geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)], crs="EPSG:4326")
    fig = reform_change_map(outlines, _by_region(), lang="ko")
    shown, grey = fig["data"]
    assert shown["locations"] == ["11110", "11170"] and shown["z"] == [80.0, -100.0]
    assert shown["zmin"] == -100.0 and shown["zmax"] == 100.0
    assert grey["locations"] == ["11140"] and "비공개" in grey["text"][0]
