"""Step 1: the 읍면동 of the world, their household weights and regional characteristics."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from etl.generate.dense import draw_dense_counts
from etl.generate.world import GenerationError, World
from etl.reference_data import sido_statistics

if TYPE_CHECKING:
    from etl.generate.parallel import GroupPlan


def draw_regions(w: World) -> None:
    emd = w.layers[w.layers["level"] == "emd"]
    stats = sido_statistics().set_index("sido_code")
    codes = w.spec.sido_codes or tuple(stats.index)
    unknown = sorted(set(codes) - set(stats.index))
    if unknown:
        raise GenerationError(f"unknown sido codes {unknown}; known: {sorted(stats.index)}")
    emd = emd[emd["sido_code"].isin(codes)].reset_index(drop=True)
    w.emd = emd
    w.stats = stats.loc[list(codes)]
    rng = w.rng
    n = len(emd)
    # Relative household weight of each 읍면동: dense 동 in cities, sparse 면 in the country.
    suffix = emd["name"].str[-1].to_numpy()
    base = np.select(
        [suffix == "면", suffix == "읍", emd["urban_class"].to_numpy() == "대도시"],
        [700.0, 3500.0, 9000.0],
        default=6000.0,
    )
    w.emd_weight = base * rng.lognormal(0.0, 0.6, n)
    # Synthetic regional characteristics (marked synthetic in docs/data.md).
    is_city_dong = (suffix == "동") | (suffix == "가")
    w.emd_nonhousing = np.clip(
        np.where(is_city_dong, 0.012, 0.018) * rng.lognormal(0.0, 0.8, n), 0.0, 0.25
    )
    w.emd_multicultural = np.clip(0.017 * rng.lognormal(0.0, 0.7, n), 0.0, 0.2)
    w.emd_effect = rng.normal(0.0, 0.35, n)  # unobserved neighbourhood deprivation
    draw_dense_counts(w)  # after the draws above: a world without dense regions is unchanged



def take_group_regions(w: World, plan: GroupPlan) -> None:
    """The rows of the whole world's regional draws that belong to this group's 시도."""
    world = plan.world
    rows = plan.emd_rows
    w.emd = world.emd.iloc[rows].reset_index(drop=True)
    w.stats = world.stats.loc[list(plan.sido_codes)]
    w.emd_weight = world.emd_weight[rows]
    w.emd_nonhousing = world.emd_nonhousing[rows]
    w.emd_multicultural = world.emd_multicultural[rows]
    w.emd_effect = world.emd_effect[rows]
    w.emd_fixed = world.emd_fixed[rows]
    w.emd_teams = world.emd_teams[rows]

