"""National scoring on Dask (``models.batch``): throughput and peak memory per worker.

Builds a partitioned world of ``--households`` without holding it in memory at once: the
generator makes slices of ``--slice`` households (national, seeds 0, 1, …), each slice's
household ids are offset so they stay unique, and each slice is written into the 시도 partition
files (``models.batch.write_partition``) and dropped. Then it scores the whole world on a
LocalCluster of 1 and of 2 single-threaded workers (``--workers 1,2``) with the model of
``--models-dir`` and cuts the tiers over all households (``land_scores``, not written to a
store: ``--land`` writes them to a fresh embedded store under the work folder).

Peak memory per worker is the largest resident set a worker process had while running a task
(sampled every 50 ms, ``models.batch._PeakRss``). Target: ≤ 2 GB per worker.

Example
-------
``python benchmarks/bench_dask.py --households 5000000 --models-dir /tmp/w1m/models``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

log = logging.getLogger("bench_dask")
ID_OFFSET = 100_000_000  # household ids of slice k start at k * ID_OFFSET


def build_partitions(households: int, slice_size: int, root: Path) -> dict[str, float]:
    """Generate the world slice by slice into partition files; timings."""
    from etl.generate import generate_world
    from etl.regions import cached_region_layers
    from models import batch

    regions = cached_region_layers()
    start = time.perf_counter()
    done = 0
    k = 0
    while done < households:
        n = min(slice_size, households - done)
        world = generate_world(n, seed=k, regions=regions)
        frames = {t: world[t] for t in batch.FEATURE_TABLES if t in world}
        del world
        for table in batch.KEYED_TABLES:
            frames[table] = frames[table].assign(household_id=frames[table]["household_id"] + k * ID_OFFSET)
        batch.write_partition(frames, root, tag=f".s{k}")
        del frames
        done += n
        k += 1
        log.info("slice %d: %d households written (%.0f s so far)", k, done, time.perf_counter() - start)
    return {"build_s": time.perf_counter() - start, "slices": k}


def main() -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=5_000_000)
    parser.add_argument("--slice", type=int, default=1_000_000)
    parser.add_argument("--models-dir", type=Path, required=True)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--task-households", type=int, default=200_000)
    parser.add_argument("--memory-limit", default="2GiB")
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument("--land", action="store_true", help="write the scores to an embedded store")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    import dask

    dask.config.set({"logging.distributed": "warning"})
    logging.getLogger("distributed").setLevel(logging.WARNING)
    from etl.generate import AS_OF
    from models import batch
    from models.registry import load_model

    artifact = load_model(models_dir=args.models_dir)
    base = Path(tempfile.mkdtemp(prefix="atlas-bench-dask-", dir=args.work_dir))
    results: dict[str, object] = {"households": args.households, "model": artifact.version,
                                  "task_households": args.task_households}
    try:
        results |= build_partitions(args.households, args.slice, base / "world")
        world = batch.plan_tasks(base / "world", max_households_per_task=args.task_households)
        results["tasks"] = len(world.tasks)
        runs = []
        for n_workers in [int(w) for w in args.workers.split(",")]:
            staging = base / f"staging-{n_workers}"
            with batch.dask_client(None, n_workers=n_workers, memory_limit=args.memory_limit) as client:
                start = time.perf_counter()
                parts = batch.score_partitions(client, world, artifact, as_of=AS_OF, staging=staging)
                score_s = time.perf_counter() - start
            peaks: dict[str, float] = {}
            for part in parts:
                peaks[part["worker"]] = max(peaks.get(part["worker"], 0.0), part["peak_rss_mb"])
            start = time.perf_counter()
            store = None
            if args.land:
                from geodata.store.embedded import EmbeddedStore

                store = EmbeddedStore(base / f"store-{n_workers}")
                store.init()
            scores = batch.land_scores(store, world, parts, artifact,  # type: ignore[arg-type]
                                       scored_at=dt.datetime.now(dt.UTC), write=store is not None)
            land_s = time.perf_counter() - start
            run = {"workers": n_workers, "score_s": round(score_s, 1), "land_s": round(land_s, 1),
                   "households_per_s": round(world.households / score_s),
                   "worker_peak_rss_mb": {k: round(v) for k, v in peaks.items()},
                   "max_worker_peak_mb": round(max(peaks.values())),
                   "task_s_sum": round(sum(p["seconds"] for p in parts), 1),
                   "scored": len(scores)}
            del scores
            shutil.rmtree(staging, ignore_errors=True)
            log.info("%s", json.dumps(run))
            runs.append(run)
        results["runs"] = runs
        results["driver_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    text = json.dumps(results, indent=1)
    if args.json:
        args.json.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
