"""Benchmark: the 지자체별 시뮬레이션 for one real-density 시군구 and for the whole country.

Builds (not timed) a world with ``etl.generate.generate_world``: a sample-density layer of
``--households`` minus the real-density 시군구 ``--dense-region`` (default 27110 대구 중구,
45,964 households at its published count, 12 welfare teams; the largest region of the
real-density option), so the world has 1,000,000 households in all by default. It is loaded
into a temporary embedded store (or, with ``--postgis URL``, a throwaway PostGIS database whose
tables are replaced). Scores are synthetic probabilities (beta) with tiers and ranks cut from
capacity by :mod:`models.tiers`, as scoring cuts them; the model artefact holds the latest
cycle's labelled discovery rows of the world (audit sample and legacy census, design weights)
with synthetic probabilities: the timings are real, the precision figures are not evidence.

Timed through :func:`services.simulation.run_simulation` (store reads, the scores read model,
the criteria rule, aggregates, small-cell suppression, the paired bootstrap on the audit rows,
the audit row):

* **cold**: the first run of a scope (reads the scope's households, scores and signals);
* **warm**: further runs with other criteria (the household part is cached per data version;
  the rule, aggregates and the bootstrap run again), median and max of ``--repeat`` runs.

Targets: one real-density 시군구 ≤ 2 s; the country on 1,000,000 households ≤ 15 s. Writes the
``bench_simulation`` section of ``docs/benchmarks.md`` unless ``--no-write``. Run under the
shared lock::

    flock /tmp/atlas-heavy.lock python benchmarks/bench_simulation.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

log = logging.getLogger("bench_simulation")
DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
START, END = "<!-- bench_simulation:start -->", "<!-- bench_simulation:end -->"
TARGET_SIGUNGU_S, TARGET_NATIONAL_S = 2.0, 15.0
SPECS = (
    {"criteria": [{"signal": "nonhousing", "mode": "include"}]},
    {"criteria": [{"signal": "isolation", "mode": "boost", "weight": 1.5}],
     "financial_cap_krw": 20_000_000},
    {"criteria": [{"signal": "financial_delinquency", "mode": "include"}], "age_65_only": True},
    {"team_capacity": 60},
)


def peak_mib() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scores_from_capacity(world: dict[str, pd.DataFrame], seed: int = 1) -> pd.DataFrame:
    """Synthetic probabilities with tiers and ranks cut from capacity (as scoring cuts them)."""
    from models.tiers import assign_tiers, capacity_pools

    hh = world["household"]
    rng = np.random.default_rng(seed)
    prob = rng.beta(1.1, 8.0, len(hh))
    pool, cap, _ = capacity_pools(hh, world["region"])
    frame = pd.DataFrame({"household_id": hh["household_id"].to_numpy(),
                          "jurisdiction_code": hh["emd_code"].astype(str).to_numpy(), "score": prob})
    tiers = assign_tiers(frame, cap, pool=pool)
    return pd.DataFrame({"household_id": frame["household_id"].astype(np.int64),
                         "model_version": "bench-sim-1",
                         "scored_at": pd.Timestamp(world_date(world), tz="UTC"),
                         "probability": prob, "tier": tiers["tier"].astype(np.int16),
                         "rank": tiers["rank"].astype(np.int64),
                         "jurisdiction_code": frame["jurisdiction_code"], "reasons": "[]"})


def world_date(world: dict[str, pd.DataFrame]) -> dt.date:
    """The day after the latest crisis-signal month (the scores' date)."""
    last = pd.to_datetime(world["crisis_signal"]["month"]).max()
    return (last + pd.offsets.MonthBegin(1)).date()


def save_artifact(world: dict[str, pd.DataFrame], models_dir: Path, seed: int = 2) -> int:
    """The bench model's artefact: the latest labelled cycle's rows with design weights."""
    from models.registry import ModelArtifact, save_model
    from models.training import design_weights, infer_legacy_k, labelled_rows

    discovery = world["discovery_history"]
    rows = labelled_rows(discovery, as_of=world_date(world))
    weight, _ = design_weights(rows, discovery, n_households=len(world["household"]),
                               legacy_k=infer_legacy_k(discovery))
    test = (rows["cycle_date"] == rows["cycle_date"].max()).to_numpy() & (weight > 0)
    rng = np.random.default_rng(seed)
    prob = rng.beta(1.5, 6.0, int(test.sum()))
    evaluation = {"y": rows["y"].to_numpy()[test], "sample_weight": weight[test],
                  "probabilities": {"hgb": prob}, "scores": {"hgb": prob},
                  "household_id": rows["household_id"].to_numpy()[test],
                  "cycle_date": rows["cycle_date"].to_numpy()[test], "capacity_fraction": 0.008}
    save_model(ModelArtifact(version="bench-sim-1", kind="hgb", model=None, base=None, legacy=None,
                             feature_config={}, feature_names=[], baseline=np.zeros(0),
                             metadata={"version": "bench-sim-1"}, evaluation=evaluation),
               models_dir=models_dir)
    return int(test.sum())


def time_scope(store, viewer, sigungu: str | None, models_dir: Path, repeat: int, *,
               clear: bool = True) -> dict:
    """Cold and warm wall seconds of runs over one scope (``clear``: empty every cache first)."""
    from services.simulation import run_simulation

    if clear:
        store.cache.clear()
    t0 = time.perf_counter()
    first = run_simulation(store, viewer, SPECS[0], sigungu_code=sigungu, models_dir=models_dir)
    cold = time.perf_counter() - t0
    warm = []
    for k in range(repeat):
        t0 = time.perf_counter()
        run_simulation(store, viewer, SPECS[(k + 1) % len(SPECS)], sigungu_code=sigungu,
                       models_dir=models_dir)
        warm.append(time.perf_counter() - t0)
    return {"households": first.households, "cold_s": cold, "warm_p50_s": statistics.median(warm),
            "warm_max_s": max(warm),
            "audit_rows": first.precision_note if first.precision is None else first.precision.rows,
            "teams": len(first.teams)}


def write_doc(text: str) -> None:
    """Replace the section between the markers (append it when absent)."""
    doc = DOC.read_text(encoding="utf-8")
    block = f"{START}\n{text.rstrip()}\n{END}"
    if START in doc:
        doc = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, doc, flags=re.S)
    else:
        doc = doc.rstrip() + "\n\n" + block + "\n"
    DOC.write_text(doc, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=1_000_000, help="households in all")
    parser.add_argument("--dense-region", default="27110")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--postgis", default=None, help="throwaway PostGIS URL (tables replaced)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    from domain.access import Viewer
    from etl.generate import generate_world
    from etl.generate.dense import dense_households
    from etl.load import load_world
    from etl.regions import cached_region_layers
    from services.simulation import warm_simulation
    from services.users import create_user

    dense = dense_households([args.dense_region])
    t0 = time.perf_counter()
    world = generate_world(args.households - dense, args.seed, regions=cached_region_layers(),
                           dense_regions=[args.dense_region])
    log.info("generated %d households in %.1f s", len(world["household"]), time.perf_counter() - t0)
    with tempfile.TemporaryDirectory(prefix="atlas-bench-sim-") as tmp:
        root = Path(tmp)
        if args.postgis:
            from geodata.store.postgis import PostgisStore

            store = PostgisStore.from_url(args.postgis)
        else:
            from geodata.store.embedded import EmbeddedStore

            store = EmbeddedStore(root / "store")
        store.init()
        t0 = time.perf_counter()
        load_world(store, world)
        store.write_frame("risk_score", scores_from_capacity(world))
        audit_rows = save_artifact(world, root / "models")
        log.info("loaded and scored in %.1f s", time.perf_counter() - t0)
        n_households = len(world["household"])
        in_dense = int(world["household"]["sigungu_code"].astype(str).eq(args.dense_region).sum())
        del world
        planner_id = create_user(store, username="bench-planner", password="bench-planner-pw",
                                 role="planner", jurisdiction_code=args.dense_region,
                                 display_name="기획")
        ministry_id = create_user(store, username="bench-ministry", password="bench-ministry-pw",
                                  role="ministry", display_name="복지부")
        planner = Viewer(int(planner_id), "bench-planner", "planner", args.dense_region)
        ministry = Viewer(int(ministry_id), "bench-ministry", "ministry")
        load_before = os.getloadavg()[0]
        results = {"sigungu (planner), fresh process": time_scope(store, planner, None, root / "models",
                                                                  args.repeat)}
        warm_up = {}
        for name, viewer, scope in (("sigungu (planner)", planner, None),
                                    ("sigungu (ministry)", ministry, args.dense_region),
                                    ("national (ministry)", ministry, None)):
            store.cache.clear()
            t0 = time.perf_counter()
            warm_simulation(store, models_dir=root / "models")  # what the server's warm-up does
            warm_up[name] = time.perf_counter() - t0
            results[name] = time_scope(store, viewer, scope, root / "models", args.repeat,
                                       clear=False)
        load_after = os.getloadavg()[0]
        kind = store.kind
        store.close()

    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## Criteria simulation (`benchmarks/bench_simulation.py`)",
        "",
        f"Measured {when}, load average {load_before:.1f} → {load_after:.1f} on 2 cores, {kind} store, "
        f"{n_households:,} households: a sample-density layer plus the real-density 시군구 "
        f"{args.dense_region} ({in_dense:,} households at its published count, real welfare teams). "
        f"Synthetic scores with capacity-cut tiers; {audit_rows:,} labelled rows of the latest cycle "
        f"in the artefact (500 bootstrap replicates). cold = first run of a scope (reads); warm = "
        f"another criteria on the same scope, median / max of {args.repeat}.",
        "",
        "| scope | households | 읍면동 teams | audit rows in scope | cold s | warm p50 s | warm max s | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        target = TARGET_NATIONAL_S if name.startswith("national") else TARGET_SIGUNGU_S
        rows = f"— ({r['audit_rows']})" if isinstance(r["audit_rows"], str) else f"{r['audit_rows']:,}"
        lines.append(f"| {name} | {r['households']:,} | {r['teams']:,} | {rows} | {r['cold_s']:.2f} | "
                     f"{r['warm_p50_s']:.2f} | {r['warm_max_s']:.2f} | ≤ {target:g} s |")
    first = results["sigungu (planner), fresh process"]
    after = results["sigungu (planner)"]
    over = "over" if first["cold_s"] > TARGET_SIGUNGU_S else "within"
    lines += ["", f"The first row runs first in a fresh process with every cache empty: its cold "
              f"{first['cold_s']:.2f} s ({over} the {TARGET_SIGUNGU_S:g} s target) also holds the first "
              f"imports, the first read of each file, the world's pool plan (every household's "
              f"읍면동) and loading the model artefact. The server's warm-up "
              f"(`services.precompute`) fills the last two once per data version "
              f"(`services.simulation.warm_simulation`: {max(warm_up.values()):.2f} s here); the other "
              f"rows start from that state (caches cleared, warm-up run, untimed in the row), as a "
              f"user of a running server does: the planner's first run then takes "
              f"{after['cold_s']:.2f} s. A change of criteria on a scope already open (warm) is what a "
              f"user waits for after the page's first run. '읍면동 teams' counts the boundary units of "
              f"the scope (법정동 units where the boundaries have them; a real-density 행정동 team is "
              f"shared by its units). The precision is withheld in the 시군구 rows when fewer than 5 "
              f"effective audit rows carry it (docs/simulation.md).",
              "", f"Peak RSS of the benchmark process (world generation included): {peak_mib():,.0f} MiB."]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_doc(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
