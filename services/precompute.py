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
    points = points_reader(store)  # each group's points read once for all supply analyses
    start = time.perf_counter()
    try:
        precompute_accessibility(store, points=points)
    except Exception:
        log.exception("precomputing accessibility tables failed")
    seconds["accessibility_s"] = time.perf_counter() - start
    start = time.perf_counter()
    try:
        for group in TARGET_GROUPS:
            for level in LEVELS:
                mismatch_national(store, group, level, points=points)
                unmatched_counts(store, group, level, points=points)
    except Exception:
        log.exception("precomputing mismatch and unmatched-needs tables failed")
    seconds["supply_tables_s"] = time.perf_counter() - start
    del points
    start = time.perf_counter()
    try:
        counts = region_counts(store, level="sigungu")
        scored = sorted(counts.index[counts["scored"] > 0].astype(str))  # 시군구 with scores
    except Exception:
        log.exception("counting scored households per 시군구 failed")
        scored = []
    try:
        hotspots(store, level="sigungu")
        for code in scored:
            hotspots(store, level="emd", parent_code=code)
    except Exception:
        log.exception("precomputing hotspots failed")
    seconds["hotspots_s"] = time.perf_counter() - start
    start = time.perf_counter()
    try:  # the map's outlines: ~0.1 s each when first asked, 8 MB of JSON for the demo world
        map_shapes(store, level="sigungu")
        for code in scored:
            map_shapes(store, level="emd", parent_code=code)
    except Exception:
        log.exception("precomputing the risk map's outlines failed")
    seconds["map_shapes_s"] = time.perf_counter() - start
    start = time.perf_counter()
    try:
        warm_simulation(store)
    except Exception:
        log.exception("warming the criteria simulation failed")
    seconds["simulation_s"] = time.perf_counter() - start
    start = time.perf_counter()
    try:
        warm_national_reform(store)  # the ministry's and administrators' reform view
        scored_households(store)  # the administrators' national visit list, ranked
    except Exception:
        log.exception("warming the national reform view and visit list failed")
    seconds["national_views_s"] = time.perf_counter() - start
    log.info("analyses precomputed: %s", {k: round(v, 1) for k, v in seconds.items()})
    return seconds
