"""Server time and response size of the map and visit-list callbacks.

Builds a synthetic world of ``--households`` (``etl.generate``) in a temporary embedded store and,
when ``ATLAS_DATABASE_URL`` (or ``ATLAS_TEST_DATABASE_URL``, as ``make bench`` sets) points at
PostGIS, in that database too (its tables are replaced: use a throwaway database). Writes quick
synthetic risk scores (or uses the real models with ``--train``), creates the Dash app and times
the callbacks through Flask's test client exactly as the browser posts them (same-origin header,
logged-in session, gzip).

Targets: p95 server time ≤ 300 ms and compressed response ≤ 1 MB per view.

Examples
--------
``python benchmarks/bench_app.py --households 60000 --repeat 20``
``ATLAS_DATABASE_URL=postgresql+psycopg://... python benchmarks/bench_app.py --households 60000``
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

log = logging.getLogger("bench_app")
ORIGIN = "http://localhost"
TARGET_MS = 300.0
TARGET_BYTES = 1_000_000


def synthetic_scores(households: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """Quick scores (beta probabilities, tiers by quantile, two reasons) for timing only."""
    from geodata.vocabulary import CRISIS_SOURCES

    rng = np.random.default_rng(seed)
    prob = rng.beta(1.1, 8.0, len(households))
    tier = np.select([prob >= np.quantile(prob, 0.97), prob >= np.quantile(prob, 0.9),
                      prob >= np.quantile(prob, 0.7)], [1, 2, 3], 4)
    frame = pd.DataFrame({"household_id": households["household_id"].to_numpy(),
                          "model_version": "bench", "scored_at": pd.Timestamp.now(tz="UTC"),
                          "probability": prob, "tier": tier,
                          "jurisdiction_code": households["emd_code"].to_numpy()})
    frame["rank"] = frame.groupby("jurisdiction_code")["probability"].rank(
        ascending=False, method="first").astype(int)
    src = list(CRISIS_SOURCES)
    pick = rng.integers(0, len(src), len(frame))
    frame["reasons"] = [json.dumps([{"code": src[k].code, "label_ko": src[k].ko,
                                     "label_en": src[k].en, "weight": 0.4}], ensure_ascii=False)
                        for k in pick]
    return frame


def build_store(world: dict, *, train: bool, root: Path, url: str | None) -> tuple:
    """A store (embedded under ``root``, or PostGIS at ``url``) holding ``world``, scores and
    the demo users."""
    from etl.load import load_world
    from geodata.regions import sigungu_of
    from geodata.store.embedded import EmbeddedStore
    from services.users import ensure_demo_users

    if url:
        from geodata.store.postgis import PostgisStore

        store = PostgisStore.from_url(url)
    else:
        store = EmbeddedStore(root / "store")
    store.init()
    t0 = time.perf_counter()
    households = len(world["household"])
    load_world(store, world)
    log.info("world of %d households loaded in %.1f s", households, time.perf_counter() - t0)
    if train:
        from etl.load import data_as_of
        from models.scoring import score_households
        from models.training import train_models

        as_of = data_as_of(store)
        train_models(store, as_of=as_of, seed=1)
        score_households(store, as_of=as_of)
    else:
        store.write_frame("risk_score", synthetic_scores(world["household"]))
    top_emd = world["household"]["emd_code"].value_counts().index[0]
    ensure_demo_users(store, jurisdictions={"outreach": top_emd, "planner": sigungu_of(top_emd)})
    return store, top_emd


def login(client, username: str, password: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": token}, headers={"Origin": ORIGIN})
    assert "error" not in response.headers["Location"], "login failed"


def map_payload(level: str, parent: str | None, colour: str, layers: list[str]) -> dict:
    outs = [("riskmap-graph", "figure"), ("riskmap-title", "children"),
            ("riskmap-note", "children"), ("riskmap-table", "children")]
    return {"output": ".." + "...".join(f"{i}.{p}" for i, p in outs) + "..",
            "outputs": [{"id": i, "property": p} for i, p in outs],
            "inputs": [{"id": "riskmap-state", "property": "data",
                        "value": {"level": level, "parent": parent}},
                       {"id": "riskmap-colour", "property": "value", "value": colour},
                       {"id": "riskmap-layers", "property": "value", "value": layers}],
            "changedPropIds": ["riskmap-state.data"], "state": []}


def list_payload(limit: int, tiers: list[int]) -> dict:
    outs = [("visits-table-box", "children"), ("visits-count", "children"),
            ("visits-error", "children")]
    values = [("visits-tiers", tiers), ("visits-types", None), ("visits-sources", None),
              ("visits-days", None), ("visits-overridden", ""), ("visits-limit", limit)]
    return {"output": ".." + "...".join(f"{i}.{p}" for i, p in outs) + "..",
            "outputs": [{"id": i, "property": p} for i, p in outs],
            "inputs": [{"id": i, "property": "value", "value": v} for i, v in values],
            "changedPropIds": ["visits-tiers.value"], "state": []}


def measure(client, payload: dict, repeat: int) -> dict[str, float]:
    """p50/p95 server time (ms, including gzip) and raw/gzip bytes of one callback."""
    times, raw, wire = [], b"", b""
    for _ in range(repeat + 1):  # the first call warms caches and is not counted
        start = time.perf_counter()
        response = client.post("/_dash-update-component", json=payload,
                               headers={"Origin": ORIGIN, "Accept-Encoding": "gzip"})
        wire = response.get_data()
        times.append(1000 * (time.perf_counter() - start))
        assert response.status_code == 200, wire[:300]
        encoded = response.headers.get("Content-Encoding") == "gzip"
        raw = gzip.decompress(wire) if encoded else wire
    counted = sorted(times[1:])
    return {"first_ms": times[0], "p50_ms": statistics.median(counted),
            "p95_ms": counted[min(len(counted) - 1, round(0.95 * (len(counted) - 1)))],
            "bytes": len(raw), "gzip_bytes": len(wire)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=60_000)
    parser.add_argument("--sido", default="", help="comma-separated 시도 codes (default: all)")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--train", action="store_true", help="score with the real models")
    parser.add_argument("--out", type=Path, default=None, help="write results as JSON here")
    parser.add_argument("--no-embedded", action="store_true", help="PostGIS only")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    from etl.generate import generate_world
    from etl.regions import cached_region_layers

    world = generate_world(args.households, 20261124,
                           [s for s in args.sido.split(",") if s] or None,
                           regions=cached_region_layers())
    url = os.environ.get("ATLAS_DATABASE_URL") or os.environ.get("ATLAS_TEST_DATABASE_URL")
    targets = ([] if args.no_embedded else [None]) + ([url] if url else [])
    report = {}
    with tempfile.TemporaryDirectory(prefix="atlas-bench-") as tmp:
        for target in targets:
            kind, results = run_one(world, args, root=Path(tmp) / ("pg" if target else "emb"),
                                    url=target)
            report[kind] = results
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"households": args.households, "stores": report},
                                       indent=2, ensure_ascii=False))
    return 0


def run_one(world: dict, args: argparse.Namespace, *, root: Path, url: str | None
            ) -> tuple[str, dict]:
    """Time every case on one store; print a table and return the results."""
    from app.main import create_app
    from geodata.regions import sigungu_of
    from geodata.settings import Settings

    store, emd = build_store(world, train=args.train, root=root, url=url)
    app = create_app(store, Settings(data_dir=root / "var"), warm_up=True)
    planner, outreach, admin = (app.server.test_client() for _ in range(3))
    login(planner, "planner", "planner-demo")
    login(outreach, "outreach", "outreach-demo")
    login(admin, "admin", "admin-demo")
    cases = {
        "map national 시군구 (planner)": (planner, map_payload("sigungu", None, "share", [])),
        "map 읍면동 drill (planner)": (planner, map_payload("emd", sigungu_of(emd), "share", ["labels"])),
        "map 읍면동 + points (outreach)": (outreach, map_payload("emd", sigungu_of(emd), "share",
                                                                 ["points"])),
        "map 읍면동 Gi* hotspots (planner)": (planner, map_payload("emd", sigungu_of(emd), "hotspot", [])),
        "map national Gi* hotspots (planner)": (planner, map_payload("sigungu", None,
                                                                     "hotspot", [])),
        "visit list 50 (outreach)": (outreach, list_payload(50, [])),
        "visit list tier 1-2 (outreach)": (outreach, list_payload(500, [1, 2])),
        "visit list 200 national (admin)": (admin, list_payload(200, [])),
    }
    results = {}
    print(f"\nstore={store.kind} households={args.households:,} repeat={args.repeat}")
    print(f"{'callback':42s} {'first':>8s} {'p50':>8s} {'p95':>8s} {'bytes':>10s} {'gzip':>9s}")
    for name, (client, payload) in cases.items():
        r = measure(client, payload, args.repeat)
        results[name] = r
        over = r["p95_ms"] > TARGET_MS or r["gzip_bytes"] > TARGET_BYTES
        print(f"{name:42s} {r['first_ms']:8.0f} {r['p50_ms']:8.0f} {r['p95_ms']:8.0f} "
              f"{r['bytes']:10,d} {r['gzip_bytes']:9,d}{'  <-- over' if over else ''}")
    return store.kind, results


if __name__ == "__main__":
    raise SystemExit(main())
