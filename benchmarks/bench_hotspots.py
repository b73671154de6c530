"""Benchmark hotspot statistics and visit routing.

Run from the repository root::

    python benchmarks/bench_hotspots.py [--rows 50 --cols 100 --permutations 999]

Reports (wall-clock seconds): building queen weights for a grid of ``rows x cols`` square
polygons in EPSG:5179, the first Gi* and local Moran calls (which include numba compilation
of esda's permutation engine), the warm calls, and ordering 30 and 100 visits.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import box

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from spatial.hotspots import (
    getis_ord_hotspots,
    local_moran_clusters,
    spatial_weights,
)
from spatial.routing import order_visits


def _grid(rows: int, cols: int, cell: float = 1_000.0) -> gpd.GeoDataFrame:
    geoms = [
        box(c * cell, r * cell, (c + 1) * cell, (r + 1) * cell)
        for r in range(rows)
        for c in range(cols)
    ]
    index = pd.Index([f"R{r:03d}C{c:03d}" for r in range(rows) for c in range(cols)])
    return gpd.GeoDataFrame(geometry=geoms, index=index, crs=5179)


def _rates(regions: gpd.GeoDataFrame, rows: int, cols: int) -> pd.Series:
    rng = np.random.default_rng(0)
    r, c = np.divmod(np.arange(len(regions)), cols)
    # smooth field plus noise: a few real clusters
    field = 0.1 + 0.05 * np.sin(r / rows * 6) * np.cos(c / cols * 6)
    return pd.Series(np.clip(field + rng.normal(0, 0.02, len(regions)), 0, None),
                     index=regions.index)


def _timed(label: str, fn, *args, repeat: int = 1, **kwargs):
    best = np.inf
    out = None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    print(f"{label:<44s} {best:8.3f} s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--cols", type=int, default=100)
    parser.add_argument("--permutations", type=int, default=999)
    args = parser.parse_args()

    regions = _grid(args.rows, args.cols)
    rates = _rates(regions, args.rows, args.cols)
    p = args.permutations
    print(f"{len(regions)} polygons, {p} permutations")

    w = _timed("queen weights (spatial_weights)", spatial_weights, regions)
    _timed("knn weights (k=6)", spatial_weights, regions, kind="knn")
    gi = _timed("Gi* first call (incl. numba compile)", getis_ord_hotspots, rates, w,
                permutations=p)
    _timed("Gi* warm (best of 3)", getis_ord_hotspots, rates, w, permutations=p, repeat=3)
    lisa = _timed("local Moran first call (incl. compile)", local_moran_clusters, rates, w,
                  permutations=p)
    _timed("local Moran warm (best of 3)", local_moran_clusters, rates, w, permutations=p,
           repeat=3)
    print("Gi* classes:", gi["hotspot_class"].value_counts().to_dict())
    print("Moran quadrants:", lisa["quadrant"].value_counts().to_dict())

    rng = np.random.default_rng(1)
    for n in (30, 100):
        stops = rng.uniform(0, 20_000, (n, 2))
        result = _timed(f"order_visits, {n} stops (best of 5)", order_visits, (10_000.0, 10_000.0),
                        stops, repeat=5)
        print(f"    NN {result.nn_total_m / 1000:.1f} km -> {result.total_m / 1000:.1f} km "
              f"({result.improvement_share:.1%} shorter, {result.passes} passes)")


if __name__ == "__main__":
    main()
