"""The world-building steps in order, and the loop that runs them on one :class:`World`."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from etl.generate.benefits import draw_benefits
from etl.generate.discovery import run_discovery_cycles
from etl.generate.facilities import place_facilities
from etl.generate.histories import draw_histories
from etl.generate.households import draw_households, place_points
from etl.generate.need import draw_latent_need
from etl.generate.persons import draw_persons
from etl.generate.regions import draw_regions, take_group_regions
from etl.generate.signals import draw_reports, draw_signals
from etl.generate.tables import build_region_table, world_tables
from etl.generate.world import World

Step = Callable[[World], None]

STEPS: tuple[tuple[str, Step], ...] = (
    ("regions", draw_regions),
    ("households", draw_households),
    ("points", place_points),
    ("benefits", draw_benefits),
    ("latent need", draw_latent_need),
    ("crisis signals", draw_signals),
    ("discovery cycles", run_discovery_cycles),
    ("safety-net reports", draw_reports),
    ("histories", draw_histories),
    ("persons", draw_persons),
    ("facilities", place_facilities),
    ("region table", build_region_table),
)
# Steps a group of a parallel run skips: the parent draws the regions and builds the region table.
WORLD_ONLY_STEPS = frozenset({"regions", "region table"})


def build(world: World) -> dict[str, pd.DataFrame]:
    """Run every step on ``world`` and return its tables.

    Parameters
    ----------
    world
        A fresh world; when it carries a group plan, the regions come from the plan and the
        region table is left to the parent.

    Returns
    -------
    dict[str, pandas.DataFrame]
        The world's frames keyed by table name (:func:`etl.generate.tables.world_tables`).
    """
    steps = STEPS
    if world.plan is not None:
        steps = tuple(s for s in STEPS if s[0] not in WORLD_ONLY_STEPS)
        take_group_regions(world, world.plan)
    for i, (name, step) in enumerate(steps):
        world.progress(i / len(steps), name)
        step(world)
    world.progress(1.0, "done")
    return world_tables(world)
