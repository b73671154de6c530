"""Heavy analyses computed once per data version, in the background, before anyone asks.

The supply page's tables — E2SFCA (every target group, level and offered catchment), the
mismatch by function and the unmatched needs (every target group and level) — and the risk
map's hotspot statistics (national 시군구, and the 읍면동 of every 시군구 with scored households)
and the risk map's outlines (the same regions), the criteria simulation's pool plan and audit
rows, the national reform tables and the national ranked visit list are filled into the store's per-process caches, keyed by the data version of the tables they are computed from
(``store.data_version``): a change of households, facilities or scores makes new keys, so stale
results are never served (the next request, or the next warm-up, computes them again).

:func:`precompute_analyses` runs in the gunicorn master after start-up (``gunicorn.conf.py``);
the master then re-forks its workers, which inherit the filled caches.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from geodata.store.base import Store
from services.eligibility import warm_national_reform
from services.risk_map import hotspots, map_shapes, region_counts
from services.scores import scored_households
from services.simulation import warm_simulation
from services.supply import (
    LEVELS,
    TARGET_GROUPS,
    mismatch_national,
    points_reader,
    precompute_accessibility,
)
from services.unmatched import unmatched_counts

__all__ = ["precompute_analyses"]

log = logging.getLogger(__name__)


def precompute_analyses(store: Store) -> dict[str, float]:
    """Fill the supply-page and hotspot caches; seconds per analysis.

    Never raises for one failed analysis (the pages then compute it on first use); the error
    is logged.
    """
    seconds: dict[str, float] = {}
    _supply_steps(store, seconds)
    scored = _scored_sigungu(store)

    def per_sigungu(compute: Callable[..., object]) -> Callable[[], None]:
        def run() -> None:
            compute(store, level="sigungu")
            for code in scored:
                compute(store, level="emd", parent_code=code)
        return run

    _step(seconds, "hotspots_s", "precomputing hotspots", per_sigungu(hotspots))
    # the map's outlines: ~0.1 s each when first asked, 8 MB of JSON for the demo world
    _step(seconds, "map_shapes_s", "precomputing the risk map's outlines", per_sigungu(map_shapes))
    _step(seconds, "simulation_s", "warming the criteria simulation",
          lambda: warm_simulation(store))

    def national_views() -> None:
        warm_national_reform(store)  # the ministry's and administrators' reform view
        scored_households(store)  # the administrators' national visit list, ranked

    _step(seconds, "national_views_s", "warming the national reform view and visit list",
          national_views)
    log.info("analyses precomputed: %s", {k: round(v, 1) for k, v in seconds.items()})
    return seconds


def _supply_steps(store: Store, seconds: dict[str, float]) -> None:
    """The supply page's tables, each group's points read once for all of them (and freed)."""
    points = points_reader(store)

    def supply_tables() -> None:
        for group in TARGET_GROUPS:
            for level in LEVELS:
                mismatch_national(store, group, level, points=points)
                unmatched_counts(store, group, level, points=points)

    _step(seconds, "accessibility_s", "precomputing accessibility tables",
          lambda: precompute_accessibility(store, points=points))
    _step(seconds, "supply_tables_s", "precomputing mismatch and unmatched-needs tables",
          supply_tables)


def _step(seconds: dict[str, float], key: str, what: str, work: Callable[[], object]) -> None:
    """Run one warm-up analysis, its seconds under ``key``; a failure is logged, not raised."""
    start = time.perf_counter()
    try:
        work()
    except Exception:
        log.exception("%s failed", what)
    seconds[key] = time.perf_counter() - start


def _scored_sigungu(store: Store) -> list[str]:
    """The 시군구 with scored households ([] if they cannot be counted: the national views are
    still warmed)."""
    try:
        counts = region_counts(store, level="sigungu")
    except Exception:
        log.exception("counting scored households per 시군구 failed")
        return []
    return sorted(counts.index[counts["scored"] > 0].astype(str))
