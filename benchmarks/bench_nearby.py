"""Benchmark: the public nearby-facility finder at 100,000 facilities, on both stores.

``services.nearby.nearby_facilities`` end to end (input validation, the store's
nearest-neighbour query, public-column whitelist) from random points in populated Korea:

* **embedded**: ``EmbeddedStore`` (GeoParquet + cached cKDTree over EPSG:5179 coordinates);
* **postgis**: ``PostgisStore`` (KNN ``ORDER BY ST_Transform(geometry, 5179) <-> point`` on the
  expression GiST index), when ``ATLAS_TEST_DATABASE_URL`` (or ``--postgis-url``) is set.
  The benchmark REPLACES the ``facility`` table of that database: use a throwaway one.

Scenarios: k = 10 unfiltered; k = 10 of one target group; k = 10 with free places only.
Each runs ``--queries`` times after ``--warmup`` calls; p50/p95/max in milliseconds are
printed as a markdown table (target: p95 ≤ 20 ms).

Run ``python benchmarks/bench_nearby.py`` (``--facilities 100000 --queries 500``).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geodata.store.base import Store
from services.nearby import nearby_facilities

log = logging.getLogger("bench_nearby")

#: Population centres (lon, lat, weight) so points fall where people live.
CENTRES = ((126.98, 37.55, 0.45), (129.05, 35.16, 0.12), (128.60, 35.87, 0.08),
           (126.70, 37.45, 0.08), (126.85, 35.16, 0.05), (127.38, 36.35, 0.05),
           (129.31, 35.54, 0.04), (127.49, 36.64, 0.04), (128.25, 37.35, 0.04),
           (126.53, 33.45, 0.05))
GROUPS = (("F06", "노인복지관", "elderly", "leisure"), ("F07", "경로당", "elderly", "leisure"),
          ("F24", "장애인복지관", "disabled", "community_service"),
          ("F40", "지역아동센터", "children", "day_care"),
          ("F55", "사회복지관", "community", "community_service"))


def _points(rng: np.random.Generator, n: int) -> np.ndarray:
    weights = np.array([c[2] for c in CENTRES])
    which = rng.choice(len(CENTRES), n, p=weights / weights.sum())
    centre = np.array([(c[0], c[1]) for c in CENTRES])[which]
    spread = rng.choice([0.05, 0.2, 0.6], n, p=[0.5, 0.35, 0.15])
    xy = centre + rng.normal(0, 1, (n, 2)) * spread[:, None] * np.array([1.0, 0.8])
    return np.clip(xy, [124.6, 33.2], [131.8, 38.6])


def facilities(n: int, *, seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` synthetic facilities of five types around Korea's population centres."""
    rng = np.random.default_rng(seed)
    xy = _points(rng, n)
    kind = rng.integers(0, len(GROUPS), n)
    cap = rng.integers(10, 200, n)
    used = np.minimum(cap, np.round(cap * rng.beta(8, 2, n) * 1.1)).astype(int)
    table = np.array(GROUPS, dtype=object)[kind]
    frame = pd.DataFrame({
        "facility_id": np.arange(1, n + 1, dtype=np.int64),
        "name": [f"시설 {i}" for i in range(1, n + 1)], "type_code": table[:, 0],
        "type_name": table[:, 1], "target_group": table[:, 2], "function": table[:, 3],
        "capacity": cap, "current_users": used, "address": "합성 주소",
        "emd_code": "11110101", "sigungu_code": "11110", "sido_code": "11"})
    return gpd.GeoDataFrame(frame, geometry=shapely.points(np.round(xy, 6)), crs=4326)


def _time(fn: Callable[[shapely.Point], object], origins: np.ndarray,
          warmup: int) -> np.ndarray:
    for x, y in origins[:warmup]:
        fn(shapely.Point(x, y))
    out = np.empty(len(origins))
    for i, (x, y) in enumerate(origins):
        start = time.perf_counter()
        fn(shapely.Point(x, y))
        out[i] = (time.perf_counter() - start) * 1000
    return out


def run(store: Store, origins: np.ndarray, warmup: int) -> list[tuple[str, np.ndarray]]:
    """Time the three scenarios on ``store``."""
    scenarios = {
        "k=10": {},
        "k=10, 노인 only": {"target_groups": ["elderly"]},
        "k=10, free places only": {"free_places_only": True},
    }
    return [(name, _time(lambda p, kw=kw: nearby_facilities(store, point=p, k=10, **kw),
                         origins, warmup)) for name, kw in scenarios.items()]


def main() -> int:
    """Parse options, load both stores, print the markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facilities", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--postgis-url", default=os.environ.get("ATLAS_TEST_DATABASE_URL"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    data = facilities(args.facilities)
    origins = _points(np.random.default_rng(1), args.queries)
    stores: list[tuple[str, Store]] = []
    from geodata.store.embedded import EmbeddedStore

    embedded = EmbeddedStore(Path(tempfile.mkdtemp(prefix="bench_nearby_")))
    embedded.init()
    embedded.write_frame("facility", data)
    stores.append(("embedded (cKDTree)", embedded))
    if args.postgis_url:
        from geodata.store.postgis import PostgisStore

        pg = PostgisStore.from_url(args.postgis_url)
        pg.init()
        pg.write_frame("facility", data)
        with pg.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE facility")
        stores.append(("PostGIS (KNN <->)", pg))
    print(f"\n{args.facilities:,} facilities, {args.queries} queries per scenario "
          f"(after {args.warmup} warm-up), milliseconds\n")
    print("| store | scenario | p50 | p95 | max |")
    print("|---|---|---:|---:|---:|")
    worst = 0.0
    for label, store in stores:
        for scenario, ms in run(store, origins, args.warmup):
            p50, p95 = np.percentile(ms, [50, 95])
            worst = max(worst, p95)
            print(f"| {label} | {scenario} | {p50:.2f} | {p95:.2f} | {ms.max():.2f} |")
    print(f"\nworst p95: {worst:.2f} ms (target ≤ 20 ms): {'met' if worst <= 20 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
