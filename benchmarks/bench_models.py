"""Benchmark the risk models: training and scoring time and peak memory.

Usage::

    python benchmarks/bench_models.py --households 1000000            # threads: auto
    python benchmarks/bench_models.py --households 200000 --test-cycles 1 --threads 2
    python benchmarks/bench_models.py --households 100000 --source synthetic --ablation

Generates a world (``etl.generate`` when available, else ``models.synthetic``; generation time is
reported but not part of the budgets), trains (``train_from_tables``; ablation timed separately)
and scores every household (features, prediction, tiers, reasons) with an in-memory store. Peak
memory is the process's resident set size sampled every 50 ms during each phase; CPU time is the
process's user + system time (all threads), which a shared machine's load does not inflate much.

Budgets (docs/benchmarks-models.md): scoring 1,000,000 households in ≤ 60 s on 2 cores with
≤ 4 GB peak; training on 1,000,000 households in ≤ 3 min.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import logging
import os
import resource
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

AS_OF = dt.date(2026, 10, 31)


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _measure(fn: Callable[[], Any], cpu: dict[str, float] | None = None) -> tuple[Any, float, float]:
    """Run ``fn``; return (result, seconds, peak RSS in MB while it ran); CPU seconds into ``cpu``."""
    peak = [_rss_mb()]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss_mb())
            done.wait(0.05)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    t0, c0 = time.perf_counter(), _cpu_s()
    try:
        result = fn()
    finally:
        seconds = time.perf_counter() - t0
        if cpu is not None:
            cpu["cpu_s"] = _cpu_s() - c0
        done.set()
        t.join()
    return result, seconds, max(peak[0], _rss_mb())


def _world(households: int, seed: int, source: str) -> tuple[dict[str, pd.DataFrame], str]:
    if source in ("auto", "generator"):
        try:
            from etl.generate import generate_world
            from etl.regions import cached_region_layers

            raw = generate_world(households, seed=seed, regions=cached_region_layers())
            drop = ("geometry", "display_geometry")
            keep = ("region", "designation", "household", "crisis_signal", "safety_net_report",
                    "benefit_history", "discovery_history", "consultation", "support")  # fmt: skip
            world = {k: pd.DataFrame(raw[k].drop(columns=[c for c in drop if c in raw[k]])) for k in keep}
            del raw
            return world, "etl.generate"
        except ImportError:
            if source == "generator":
                raise
    from models.synthetic import make_world

    return make_world(households, seed=seed, n_sigungu=60, emd_per_sigungu=12, audit_rate=0.01), "models.synthetic"


def _progress(phase: str, out: dict[str, Any]) -> None:
    """Log the figures so far (a run cut short still leaves them)."""
    logging.getLogger("bench_models").info("%s done: %s", phase, json.dumps(out, default=str, ensure_ascii=False))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print a JSON summary."""
    from models.parallel import auto_threads, thread_limit
    from models.registry import load_model
    from models.scoring import score_tables
    from models.training import train_from_tables

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--households", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=20261124)
    p.add_argument("--threads", default="auto",
                   help="OpenMP threads (gradient boosting): a count or 'auto' (models.parallel.auto_threads)")
    p.add_argument("--n-boot", type=int, default=500, help="bootstrap replicates")
    p.add_argument("--test-cycles", type=int, default=2, help="test cycles (train_models' default is 1)")
    p.add_argument("--source", choices=["auto", "generator", "synthetic"], default="auto")
    p.add_argument("--ablation", action="store_true", help="also time training with the family ablation")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    out: dict[str, Any] = {"households": args.households, "threads": args.threads, "cpus": os.cpu_count()}
    (world, source), gen_s, _gen_mb = _measure(lambda: _world(args.households, args.seed, args.source))
    out |= {"source": source, "generate_s": round(gen_s, 1), "rows": {k: len(v) for k, v in world.items()}}
    _progress("generate", out)
    gc.collect()
    registry = Path(tempfile.mkdtemp(prefix="bench-models-"))
    base_mb = _rss_mb()
    threads = auto_threads() if args.threads == "auto" else int(args.threads)
    out |= {"load_before_train": [round(x, 2) for x in os.getloadavg()], "threads_used": threads}
    cpu: dict[str, float] = {}
    with thread_limit(threads):
        report, train_s, train_mb = _measure(
            lambda: train_from_tables(world, as_of=AS_OF, seed=0, models_dir=registry, n_boot=args.n_boot,
                                      test_cycles=args.test_cycles, ablation=False),
            cpu,
        )
        out |= {"train_s": round(train_s, 1), "train_cpu_s": round(cpu["cpu_s"], 1), "train_peak_rss_mb": round(train_mb),
                "train_extra_mb": round(train_mb - base_mb), "train_timings": report.timings,
                "split": report.split, "version": report.version}  # fmt: skip
        _progress("train", out)
        if args.ablation:
            abl, abl_s, _ = _measure(
                lambda: train_from_tables(world, as_of=AS_OF, seed=0, models_dir=registry, n_boot=200,
                                          test_cycles=args.test_cycles, ablation=True, save=False),
                cpu,
            )
            out |= {"train_with_ablation_s": round(abl_s, 1), "train_with_ablation_cpu_s": round(cpu["cpu_s"], 1),
                    "ablation_s": round(abl.timings["ablation_s"], 1)}  # fmt: skip
            _progress("ablation", out)
        artifact = load_model(report.version, models_dir=registry)
        gc.collect()
        base_mb = _rss_mb()
        scores, score_s, score_mb = _measure(lambda: score_tables(world, artifact, as_of=AS_OF), cpu)
    out |= {"score_s": round(score_s, 1), "score_cpu_s": round(cpu["cpu_s"], 1), "score_peak_rss_mb": round(score_mb),
            "score_extra_mb": round(score_mb - base_mb), "score_timings": scores.attrs.get("timings"),
            "tiers": scores["tier"].value_counts().sort_index().to_dict()}  # fmt: skip
    metrics = report.metrics.round(3)
    out["metrics"] = metrics.to_dict(orient="records")
    out["comparison"] = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in report.comparison.items()}
    out["calibration"] = report.calibration
    out["models"] = report.evaluation["metadata"].get("models")
    out["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out, ensure_ascii=False, indent=1, default=str))
    return out


if __name__ == "__main__":
    main()
