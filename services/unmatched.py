"""Unmatched needs: households in need with no suitable facility with free places nearby.

"In need" means current risk tier 1–2; for the elderly, disabled and children groups the
household must also have a member of that group. "Suitable" means a facility of the group's
target groups (:data:`services.supply.TARGET_GROUPS`) with free places (정원 − 현원 > 0), found
by :func:`spatial.accessibility.unmatched_needs`. Tables are aggregates with small cells
suppressed; only planning roles may call these services; CSV exports are audited.

The national counts per region (:func:`unmatched_counts`) are cached per data version of
:data:`services.supply.SUPPLY_INPUT_TABLES` and filled for every group and level by the
server's warm-up (:mod:`services.precompute`), so the page only cuts and suppresses them.
"""

from __future__ import annotations

import io
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from domain.access import Viewer
from domain.disclosure import min_cell_count, suppress_small_cells
from geodata.store.base import Store
from services.audit import audit
from services.supply import (
    SUPPLY_INPUT_TABLES,
    Level,
    PointsReader,
    TargetGroup,
    check_level,
    demand_points,
    region_rows,
    require_planning_role,
    supply_points,
)
from services.supply import target_group as group_called
from spatial.accessibility import unmatched_needs

__all__ = ["DEFAULT_UNMATCHED_RADIUS_M", "export_unmatched_csv", "unmatched_counts",
           "unmatched_needs_table"]

DEFAULT_UNMATCHED_RADIUS_M: Final = 2000.0
_UNMATCHED_CACHE: Final = "unmatched.counts"


def unmatched_needs_table(
    store: Store,
    viewer: Viewer,
    *,
    target_group: str,
    level: Level = "emd",
    parent_code: str | None = None,
    radius_m: float = DEFAULT_UNMATCHED_RADIUS_M,
) -> pd.DataFrame:
    """Households in need with no suitable facility with free places within ``radius_m``.

    "In need" means current risk tier 1–2; for the elderly, disabled and children groups the
    household must also have a member of that group. "Suitable" means a facility of the
    group's target groups with free places (정원 − 현원 > 0).

    Returns
    -------
    pandas.DataFrame
        Per region: ``code, name, parent_code, in_need, unmatched, unmatched_share,
        suppressed``; counts 1–4 and their shares are suppressed (NaN), with complementary
        cells within each parent region.
    """
    require_planning_role(store, viewer, action="view_unmatched_needs")
    group = group_called(target_group)
    check_level(level, parent_code)
    regions = region_rows(store, level, parent_code)
    agg = unmatched_counts(store, group, level, radius_m=radius_m)
    out = regions[["code", "name", "parent_code"]].merge(agg, left_on="code", right_index=True,
                                                         how="left")
    out[["in_need", "unmatched"]] = out[["in_need", "unmatched"]].fillna(0).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["unmatched_share"] = np.where(out["in_need"] > 0, out["unmatched"] / out["in_need"],
                                          np.nan)
    return suppress_small_cells(out, count_cols=["in_need", "unmatched"],
                                derived_cols=["unmatched_share"], group_col="parent_code")


def unmatched_counts(store: Store, group: TargetGroup, level: Level, *,
                     radius_m: float = DEFAULT_UNMATCHED_RADIUS_M,
                     points: PointsReader | None = None) -> pd.DataFrame:
    """Households in need and unmatched ones per region of ``level``, nationally (unsuppressed).

    Internal to the supply services (small cells are not suppressed here). Cached per store,
    group, level, radius and data version of :data:`services.supply.SUPPLY_INPUT_TABLES`;
    ``points`` (e.g. :func:`services.supply.points_reader`) lets a batch share point reads.

    Returns
    -------
    pandas.DataFrame
        Indexed by region code (only regions with households in need): ``in_need``,
        ``unmatched``.
    """
    key = (group.code, level, float(radius_m), store.data_version(*SUPPLY_INPUT_TABLES))
    cache = store.cache.region(_UNMATCHED_CACHE, maxsize=32)
    return cache.get_or_compute(key, lambda: _count_unmatched(store, group, level, radius_m,
                                                              points))


def _count_unmatched(store: Store, group: TargetGroup, level: Level, radius_m: float,
                     points: PointsReader | None) -> pd.DataFrame:
    key = "emd_code" if level == "emd" else "sigungu_code"
    if points is None:
        need, facilities = _need_points(store, group), supply_points(store, group)
    else:
        need = points(group_called("in_need"))[0]
        if group.demand != "in_need":
            need = need[need["household_id"].isin(points(group)[0]["household_id"])]
        need, facilities = need.reset_index(drop=True), points(group)[1]
    flags = unmatched_needs(need, facilities, radius_m=radius_m) if len(need) else \
        pd.Series(dtype=bool, name="unmatched")
    counts = pd.DataFrame({key: need[key].to_numpy(), "unmatched": flags.to_numpy()})
    return counts.groupby(key).agg(in_need=("unmatched", "size"), unmatched=("unmatched", "sum"))


def _need_points(store: Store, group: TargetGroup) -> gpd.GeoDataFrame:
    need = demand_points(store, group_called("in_need"))
    if group.demand != "in_need":
        members = demand_points(store, group)
        need = need[need["household_id"].isin(members["household_id"])]
    return need.reset_index(drop=True)


UNMATCHED_CSV_HEADERS: Final[dict[str, tuple[str, str]]] = {
    "code": ("지역코드", "Region code"),
    "name": ("지역명", "Region"),
    "in_need": ("위기가구 수", "Households in need"),
    "unmatched": ("미충족 가구 수", "Unmatched households"),
    "unmatched_share": ("미충족 비율(%)", "Unmatched share (%)"),
}


def export_unmatched_csv(
    store: Store,
    viewer: Viewer,
    *,
    target_group: str,
    level: Level = "emd",
    parent_code: str | None = None,
    radius_m: float = DEFAULT_UNMATCHED_RADIUS_M,
    lang: str = "ko",
) -> tuple[str, bytes]:
    """The suppressed unmatched-needs table as a CSV (UTF-8 with BOM, for Excel); audited.

    Returns
    -------
    tuple of (str, bytes)
        File name and content. Suppressed cells are written as ``비공개`` / ``suppressed``.
    """
    table = unmatched_needs_table(store, viewer, target_group=target_group, level=level,
                                  parent_code=parent_code, radius_m=radius_m)
    hidden = "비공개" if lang == "ko" else "suppressed"
    shown = pd.DataFrame({
        "code": table["code"], "name": table["name"],
        "in_need": table["in_need"].map(lambda v: hidden if pd.isna(v) else int(v)),
        "unmatched": table["unmatched"].map(lambda v: hidden if pd.isna(v) else int(v)),
        "unmatched_share": table["unmatched_share"].map(
            lambda v: hidden if pd.isna(v) else round(100 * float(v), 1)),
    })
    pick = 0 if lang == "ko" else 1
    shown = shown.rename(columns={k: v[pick] for k, v in UNMATCHED_CSV_HEADERS.items()})
    buffer = io.StringIO()
    shown.to_csv(buffer, index=False)
    scope = parent_code or "national"
    audit(store, viewer, action="export_csv", object_type="unmatched_needs",
          object_id=f"{target_group}:{level}:{scope}",
          detail=f"{len(shown)} rows, radius {radius_m:.0f} m, min cell {min_cell_count()}")
    name = f"unmatched_needs_{target_group}_{level}_{scope}.csv"
    return name, buffer.getvalue().encode("utf-8-sig")
