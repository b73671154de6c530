"""National scoring on Dask (``models.batch``): throughput and peak memory per worker and driver.

World: ``--households`` generated once into ``--world`` (reused when its ``built.json`` says the
same size) without holding it in memory: the generator makes national slices of ``--slice``
households (seeds 0, 1, …), each slice's household ids are offset so they stay unique, and each
slice is written into the 시도 partition files (``models.batch.write_partition``) and dropped.

Runs: for each ``--workers`` count, a LocalCluster of single-threaded worker processes scores the
whole world with the model of ``--models-dir`` and lands the scores, part by part as tasks
finish, into a fresh embedded store's staged ``risk_score`` (``models.batch.score_and_land``;
swap at the end).

Memory: each worker process's resident set is sampled by the driver every 0.5 s
(``client.run`` + psutil) and inside each task every 50 ms (``models.batch_cluster.PeakRss``);
the peak per worker is the larger of the two. Each run has a fresh driver process (the script
calls itself with ``--one-run N``), which samples its own resident set every 50 ms during the
run. Target: ≤ 2 GB per worker.

Writes the ``bench_dask`` section of ``docs/benchmarks.md`` (figures, load average and the 22 M
projection computed from them) unless ``--no-write``. Run the measured part under the lock::

    python benchmarks/bench_dask.py --world /tmp/w5m --build-only          # once
    flock /tmp/atlas-heavy.lock python benchmarks/bench_dask.py --world /tmp/w5m \
        --models-dir <registry> --workers 1,2
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

log = logging.getLogger("bench_dask")
ID_OFFSET = 100_000_000  # household ids of slice k start at k * ID_OFFSET
NATIONAL = 22_073_000  # households, 2023 census (REFERENCE-FACTS)
DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
START, END = "<!-- bench_dask:start -->", "<!-- bench_dask:end -->"


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
    return {"build_s": round(time.perf_counter() - start, 1), "slices": k, "households": done}


def built_world(households: int, slice_size: int, root: Path) -> dict[str, float]:
    """The partitioned world in ``root``: built once (``built.json`` records how), then reused."""
    marker = root / "built.json"
    if marker.exists():
        built = json.loads(marker.read_text())
        if built["households"] != households:
            raise SystemExit(f"{root} holds {built['households']:,} households, not {households:,}")
        log.info("reusing the world in %s (%s)", root, built)
        return built
    if root.exists() and any(root.iterdir()):
        raise SystemExit(f"{root} is not empty and has no built.json: remove it or choose another folder")
    built = build_partitions(households, slice_size, root)
    marker.write_text(json.dumps(built))
    return built


class WorkerMemory:
    """Peak resident set per worker process, sampled from the driver (``client.run``)."""

    def __init__(self, client: Any, every_s: float = 0.5) -> None:
        self._client = client
        self._every = every_s
        self.peaks_mb: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        from models.batch_cluster import process_rss_mb

        while not self._stop.wait(self._every):
            try:
                now = self._client.run(process_rss_mb)
            except Exception:  # a worker restarting; the next sample sees it
                continue
            for worker, mb in now.items():
                self.peaks_mb[worker] = max(self.peaks_mb.get(worker, 0.0), float(mb))

    def __enter__(self) -> WorkerMemory:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def partition_facts(world: Any) -> dict[str, Any]:
    """Households per 시도, the biggest 시도's share and the task sizes."""
    per_sido: dict[str, int] = {}
    for task in world.tasks:
        per_sido[task.sido_code] = per_sido.get(task.sido_code, 0) + task.households
    biggest = max(per_sido, key=per_sido.__getitem__)
    sizes = [t.households for t in world.tasks]
    return {"sido": len(per_sido), "biggest_sido": biggest, "biggest_sido_households": per_sido[biggest],
            "biggest_sido_share": round(per_sido[biggest] / world.households, 4),
            "tasks": len(world.tasks), "largest_task": max(sizes), "median_task": sorted(sizes)[len(sizes) // 2]}


def run_once(world: Any, artifact: Any, n_workers: int, *, memory_limit: str, base: Path,
             database_url: str | None = None) -> dict[str, Any]:
    """Score and land the world on ``n_workers`` workers into a fresh embedded store (or the
    PostGIS database ``database_url``, its ``risk_score`` replaced); figures of the run."""
    from etl.generate import AS_OF
    from geodata.store.embedded import EmbeddedStore
    from geodata.store.postgis import PostgisStore
    from models import batch
    from models.batch_cluster import PeakRss

    store = PostgisStore.from_url(database_url) if database_url else EmbeddedStore(base / f"store-{n_workers}")
    store.init()
    load_before = os.getloadavg()
    with batch.dask_client(None, n_workers=n_workers, memory_limit=memory_limit) as client, \
            WorkerMemory(client) as sampled, PeakRss() as driver:
        from models.batch_cluster import process_rss_mb

        idle = max(client.run(process_rss_mb).values())  # a started worker before any task
        result = batch.score_and_land(client, world, artifact, store, as_of=AS_OF,
                                      staging=base / f"staging-{n_workers}",
                                      scored_at=dt.datetime.now(dt.UTC))
    load_after = os.getloadavg()
    landed = store.count("risk_score")
    in_task = result.worker_peak_rss_mb  # keyed host:pid; sampled keyed by address
    worker_peak = max([*sampled.peaks_mb.values(), *in_task.values()])
    shutil.rmtree(base / f"store-{n_workers}", ignore_errors=True)
    shutil.rmtree(base / f"staging-{n_workers}", ignore_errors=True)
    task_s = sum(p["seconds"] for p in result.parts)
    return {
        "workers": n_workers, "store": store.kind, "wall_s": round(result.score_s, 1),
        "households_per_s": round(world.households / result.score_s),
        "task_s_sum": round(task_s, 1), "us_per_household": round(task_s / world.households * 1e6, 1),
        "driver_land_s": round(result.land_s, 1), "swap_s": round(result.swap_s, 1),
        "tier_level": result.tier_level, "landed_rows": landed,
        "worker_peak_mb_sampled": {k: round(v) for k, v in sampled.peaks_mb.items()},
        "worker_peak_mb_in_task": {k: round(v) for k, v in in_task.items()},
        "max_worker_peak_mb": round(worker_peak), "driver_peak_mb": round(driver.mb),
        "worker_idle_mb": round(idle),
        "load_before": [round(x, 2) for x in load_before], "load_after": [round(x, 2) for x in load_after],
    }


def projection(results: dict[str, Any]) -> dict[str, Any]:
    """22 M households from the measured runs (worker cost per household, landing rate, memory)."""
    runs = results["runs"]
    cost = [r["us_per_household"] for r in runs]
    land_rate = max(r["driver_land_s"] / results["households"] for r in runs)  # s per household
    facts = results["partitions"]
    worker_s = [NATIONAL * c / 1e6 for c in cost]
    return {
        "households": NATIONAL,
        "worker_seconds": [round(min(worker_s)), round(max(worker_s))],
        "wall_min": {str(w): [round(min(worker_s) / w / 60, 1), round(max(worker_s) / w / 60, 1)]
                     for w in (2, 8, 16)},
        "driver_land_min": round(NATIONAL * land_rate / 60, 1),
        "tasks": round(results["tasks"] * NATIONAL / results["households"]),
        "biggest_sido_households": round(NATIONAL * facts["biggest_sido_share"], -3),
        "worker_peak_mb": max(r["max_worker_peak_mb"] for r in runs),
        # memory a task adds per household (peak over the largest task, above an idle worker)
        "kb_per_household": round(max((r["max_worker_peak_mb"] - r["worker_idle_mb"]) * 1024
                                      / facts["largest_task"] for r in runs), 2),
        "driver_peak_mb": max(r["driver_peak_mb"] for r in runs),
    } | _task_ceiling(runs, facts)


def _task_ceiling(runs: list[dict[str, Any]], facts: dict[str, Any]) -> dict[str, Any]:
    """Largest task (households) that stays within 2 GB at the measured memory per household."""
    idle = max(r["worker_idle_mb"] for r in runs)
    per_hh = max((r["max_worker_peak_mb"] - r["worker_idle_mb"]) / facts["largest_task"] for r in runs)
    return {"worker_idle_mb": idle, "max_task_households_2gb": round((2048 - idle) / per_hh, -3)}


def markdown(results: dict[str, Any]) -> str:
    """The ``bench_dask`` section of docs/benchmarks.md."""
    runs = results["runs"]
    facts = results["partitions"]
    pro = results["projection"]
    cols = " | ".join(f"{r['workers']} worker{'s' if r['workers'] > 1 else ''}"
                      + (" (PostGIS)" if r.get("store") == "postgis" else "") for r in runs)
    line = "|---|" + "---:|" * len(runs)

    def row(label: str, key: str, fmt: str = "{:,}") -> str:
        return f"| {label} | " + " | ".join(fmt.format(r[key]) for r in runs) + " |"

    rows = [
        f"| step | {cols} |", line,
        row(f"score + land {results['households']:,} households, wall s", "wall_s", "{:,.1f}"),
        row("throughput, households/s", "households_per_s", "**{:,}**"),
        row("sum of task times, s", "task_s_sum", "{:,.1f}"),
        row("task cost, µs per household", "us_per_household", "{:,.1f}"),
        row("driver time landing parts (overlaps scoring), s", "driver_land_s", "{:,.1f}"),
        row("final swap, s", "swap_s", "{:,.1f}"),
        row("RSS of a worker before its first task, MB", "worker_idle_mb"),
        row("**peak RSS per worker, MB** (max over workers)", "max_worker_peak_mb", "**{:,}**"),
        row("**peak RSS of the driver, MB**", "driver_peak_mb", "**{:,}**"),
        row("rows in the store after the swap", "landed_rows"),
        "| load average (1 min) before → after | " + " | ".join(
            f"{r['load_before'][0]:.1f} → {r['load_after'][0]:.1f}" for r in runs) + " |",
    ]
    per_worker = "; ".join(
        f"{r['workers']} worker(s): sampled " + ", ".join(f"{v:,}" for v in r["worker_peak_mb_sampled"].values())
        + " MB, in tasks " + ", ".join(f"{v:,}" for v in r["worker_peak_mb_in_task"].values()) + " MB"
        for r in runs)
    ok = all(r["max_worker_peak_mb"] <= 2048 for r in runs)
    return "\n".join([
        f"Measured {results['measured_at']} by `benchmarks/bench_dask.py` ({results['households']:,} "
        f"households in {facts['sido']} 시도, {facts['tasks']} tasks of whole 시군구 ≤ "
        f"{results['task_households']:,} households (largest {facts['largest_task']:,}, median "
        f"{facts['median_task']:,}); model `{results['model']}`; LocalCluster of single-threaded "
        f"worker processes, memory limit {results['memory_limit']} each; tiers cut per "
        f"{runs[0]['tier_level']}; scores landed into an embedded store unless marked PostGIS):", "",
        *rows, "",
        f"Per worker: {per_worker}. Target ≤ 2 GB per worker: **{'met' if ok else 'missed'}**.", "",
        *_scaling(runs), *_postgis_swap(runs, results["households"]),
        f"**Projection to {pro['households']:,} households** (from the figures above, not a run): "
        f"worker time {pro['worker_seconds'][0]:,}–{pro['worker_seconds'][1]:,} worker-seconds "
        f"(the measured {min(r['us_per_household'] for r in runs)}–"
        f"{max(r['us_per_household'] for r in runs)} µs per household), i.e. "
        + ", ".join(f"{lo}–{hi} min on {w} workers" for w, (lo, hi) in pro["wall_min"].items())
        + f" if the tasks spread evenly (≈ {pro['tasks']:,} tasks of ≤ {results['task_households']:,}). "
        f"The biggest 시도 ({facts['biggest_sido']}, {facts['biggest_sido_share']:.1%} of households) "
        f"would hold ≈ {pro['biggest_sido_households']:,.0f} households, but it is split into tasks of whole "
        f"시군구, so a worker's memory is bounded by the task size, not the 시도: ≈ "
        f"{pro['worker_peak_mb']:,} MB as measured ({pro['worker_idle_mb']:,} MB before the first "
        f"task + {pro['kb_per_household']} KB per household of the largest task, a figure that also "
        f"carries the libraries the first task loads, so it overstates the growth). At that rate a task "
        f"stays within 2 GB up to ≈ {pro['max_task_households_2gb']:,.0f} households; a task is at "
        f"least one whole 시군구, so a real 시군구 with more households than that would exceed it "
        f"(splitting such a 시군구 by 읍면동 is not implemented). The driver lands one part at a time "
        f"({pro['driver_land_min']} min of driver time for 22 M at the measured rate, overlapped with "
        f"scoring; it becomes the bottleneck only when the workers score faster than that) and "
        f"its memory stays near the measured ≈ {pro['driver_peak_mb']:,} MB: one part plus, only "
        f"when pools span tasks (시도 / national level, small worlds), ≈ 24 bytes per household "
        f"for the tier pass (≈ {NATIONAL * 24 / 2**20:,.0f} MB at 22 M).",
    ])


def run_in_own_process(args: argparse.Namespace, n_workers: int, base: Path) -> dict[str, Any]:
    """One run in a fresh driver process, so its peak RSS holds nothing of an earlier run."""
    out = base / f"run-{n_workers}.json"
    command = [sys.executable, str(Path(__file__).resolve()), "--world", str(args.world),
               "--households", str(args.households), "--models-dir", str(args.models_dir),
               "--task-households", str(args.task_households), "--memory-limit", args.memory_limit,
               "--work-dir", str(base), "--json", str(out), "--one-run", str(n_workers), "--no-write"]
    if args.database_url:
        command += ["--database-url", args.database_url]
    subprocess.run(command, check=True)
    run = json.loads(out.read_text())
    log.info("%s", json.dumps(run))
    return run


def _scaling(runs: list[dict[str, Any]]) -> list[str]:
    """A sentence on 1 → 2 worker scaling, when both ran."""
    by = {r["workers"]: r for r in runs if r.get("store", "embedded") == "embedded"}
    if 1 not in by or 2 not in by:
        return []
    speed = by[1]["wall_s"] / by[2]["wall_s"]
    cost = by[2]["us_per_household"] / by[1]["us_per_household"]
    why = ("more than two cores' worth because the other jobs' load fell during the 2-worker run"
           if speed > 2 else "a second worker gets only the CPU the other jobs leave")
    return [f"Speed-up from 1 to 2 workers: **{speed:.2f}×**, with the task cost per household ×{cost:.2f}: "
            f"the machine has 2 cores shared with other jobs (load averages above), {why}; the "
            "projection therefore uses the task cost per household, not the wall time.", ""]


def _postgis_swap(runs: list[dict[str, Any]], households: int) -> list[str]:
    """A sentence on the PostGIS swap's lock, when a PostGIS run is there."""
    pg = [r for r in runs if r.get("store") == "postgis"]
    if not pg:
        return []
    swap = max(r["swap_s"] for r in pg)
    return [f"On PostGIS the parts are `COPY`ed into a session temporary table while tasks run "
            f"({max(r['driver_land_s'] for r in pg):,.1f} s of driver time); the swap (`TRUNCATE`, "
            f"`INSERT … SELECT` of the staged rows, index rebuild, one transaction) took {swap:,.1f} s, "
            f"during which readers of `risk_score` wait for the lock: ≈ {swap * NATIONAL / households / 60:,.1f} "
            "min at 22 M at that rate.", ""]


def write_doc(text: str, doc: Path = DOC) -> None:
    """Replace the marked section of ``doc``."""
    body = doc.read_text(encoding="utf-8")
    if START not in body or END not in body:
        raise SystemExit(f"{doc} has no {START} … {END} section")
    head, rest = body.split(START, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")


def main() -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--world", type=Path, required=True, help="partitioned world folder (kept)")
    parser.add_argument("--households", type=int, default=5_000_000)
    parser.add_argument("--slice", type=int, default=1_000_000)
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--models-dir", type=Path)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--task-households", type=int, default=200_000)
    parser.add_argument("--memory-limit", default="2GiB")
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    parser.add_argument("--one-run", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", default=None, help="land into this PostGIS database instead")
    parser.add_argument("--merge", type=Path, default=None, help="add the runs to this earlier --json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    built = built_world(args.households, args.slice, args.world)
    if args.build_only:
        return
    if args.models_dir is None:
        raise SystemExit("--models-dir is required to score")
    import dask

    dask.config.set({"logging.distributed": "warning"})
    logging.getLogger("distributed").setLevel(logging.WARNING)
    from models import batch
    from models.registry import load_model

    artifact = load_model(models_dir=args.models_dir)
    world = batch.plan_tasks(args.world, max_households_per_task=args.task_households)
    results: dict[str, Any] = {
        "households": world.households, "model": artifact.version, "task_households": args.task_households,
        "memory_limit": args.memory_limit, "tasks": len(world.tasks), "build": built,
        "partitions": partition_facts(world),
        "measured_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    base = Path(tempfile.mkdtemp(prefix="atlas-bench-dask-", dir=args.work_dir))
    try:
        if args.one_run:  # the child of the loop below: one run, figures to --json
            run = run_once(world, artifact, args.one_run, memory_limit=args.memory_limit, base=base,
                           database_url=args.database_url)
            args.json.write_text(json.dumps(run))
            return
        if args.merge:  # add these runs to an earlier invocation's (same world and model)
            earlier = json.loads(args.merge.read_text())
            if (earlier["households"], earlier["model"]) != (results["households"], results["model"]):
                raise SystemExit(f"{args.merge} measured another world or model")
            results = earlier | {"measured_at": f"{earlier['measured_at']} and {results['measured_at']}"}
        results.setdefault("runs", [])
        for n_workers in [int(w) for w in args.workers.split(",")]:
            results["runs"].append(run_in_own_process(args, n_workers, base))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    results["projection"] = projection(results)
    text = json.dumps(results, indent=1)
    if args.json:
        args.json.write_text(text)
    print(text)
    if not args.no_write:
        write_doc(markdown(results))


if __name__ == "__main__":
    main()
