"""Benchmark: generate a synthetic world and load it into each store.

Prints households per second for generation, embedded load and PostGIS load (when
``ATLAS_TEST_DATABASE_URL`` or ``--postgis URL`` is given), with peak memory. Targets on 2 cores:
generation >= 100,000 households/s, embedded >= 300,000/s, PostGIS >= 50,000/s.

Usage: python benchmarks/bench_platform.py [--households 1000000] [--postgis URL]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from etl.generate import generate_world
from etl.load import load_world
from etl.regions import cached_region_layers
from geodata.store.embedded import EmbeddedStore


def peak_mib() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgis", default=os.environ.get("ATLAS_TEST_DATABASE_URL"))
    args = parser.parse_args()
    n = args.households
    regions = cached_region_layers()  # prepared once; not part of generation
    rows: list[tuple[str, float, float, float]] = []

    start, cpu = time.perf_counter(), time.process_time()
    world = generate_world(n, args.seed, regions=regions)
    gen = time.perf_counter() - start
    rows.append(("generate", gen, n / gen, peak_mib(), time.process_time() - cpu))
    total_rows = sum(len(f) for f in world.values())

    with tempfile.TemporaryDirectory() as tmp:
        store = EmbeddedStore(Path(tmp))
        store.init()
        start, cpu = time.perf_counter(), time.process_time()
        load_world(store, world)
        emb = time.perf_counter() - start
        rows.append(("load embedded", emb, n / emb, peak_mib(), time.process_time() - cpu))

    if args.postgis:
        from geodata.store.postgis import PostgisStore

        pg = PostgisStore.from_url(args.postgis)
        pg.init()
        start, cpu = time.perf_counter(), time.process_time()
        load_world(pg, world)
        pgs = time.perf_counter() - start
        rows.append(("load PostGIS", pgs, n / pgs, peak_mib(), time.process_time() - cpu))

    print(f"\n{n:,} households, {total_rows:,} rows in all tables")
    print({k: len(v) for k, v in world.items()})
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores)")
    print(
        "\n| step | wall s | households/s | CPU s (this process) | peak RSS so far (MiB) |"
        "\n|---|---:|---:|---:|---:|"
    )
    for name, secs, rate, mem, cpu_s in rows:
        print(f"| {name} | {secs:.1f} | {rate:,.0f} | {cpu_s:.1f} | {mem:,.0f} |")


if __name__ == "__main__":
    main()
