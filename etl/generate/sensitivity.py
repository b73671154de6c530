"""Sensitivity of the headline to the world's assumptions: one script, several worlds.

Each variant regenerates the synthetic world with one latent parameter changed
(:class:`etl.generate.world.LatentParameters`), retrains every model the same way and records
the hidden-household headline. The model card shows the table (``sensitivity.json`` beside
it), so a reader sees which assumption the gain over the as-is system depends on.

Run: ``python -m etl.generate.sensitivity --households 60000 --out var/model_card`` (heavy: run it
under ``flock /tmp/atlas-heavy.lock``); ``--demo`` uses the default demo world's spec (its
sample-density layer, real-density regions, seed and audit rate: ``etl.demo``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

log = logging.getLogger(__name__)

#: name -> LatentParameters changes (the calibrated world first)
VARIANTS: dict[str, dict[str, float]] = {
    "calibrated": {},
    "no_regional_effect": {"regional_effect": 0.0},
    "no_safety_net_effect": {"safety_net_effect": 0.0},
    "half_signal_noise": {"signal_noise": 0.5},
}


def run_variant(name: str, changes: dict[str, float], *, households: int, seed: int,
                sido: Sequence[str], audit_rate: float,
                dense_regions: Sequence[str] = ()) -> list[dict[str, Any]]:  # fmt: skip
    """Generate one variant world, train, and return its headline rows (hidden and all)."""
    from etl.generate import AS_OF, LatentParameters, generate_world, read_oracle
    from models.training import train_from_tables
    from models.truth import truth_at_capacity

    latent = dataclasses.replace(LatentParameters(), **changes)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        oracle_path = Path(tmp) / "oracle.parquet"
        world = generate_world(households, seed, list(sido), audit_rate=audit_rate, latent=latent,
                               oracle_path=oracle_path, dense_regions=dense_regions)  # fmt: skip
        report = train_from_tables(world, as_of=AS_OF, seed=seed, test_cycles=2, n_boot=300, save=False)
        truth = truth_at_capacity(report, world, read_oracle(oracle_path))
    head = report.evaluation["headline"]
    rows = []
    for subset in ("hidden", "all"):
        h = head[head["subset"] == subset].set_index(["model", "metric"])
        t = truth[truth["subset"] == subset].set_index("model")["truth"]

        def cell(model: str, metric: str, h: pd.DataFrame = h) -> str:
            r = h.loc[(model, metric)]
            return f"{r.estimate:.3f} [{r.lo:.3f}, {r.hi:.3f}]"

        ours = report.chosen
        rows.append({
            "world": name, "households": len(world["household"]), "sido": ",".join(sido),
            "dense_regions": ",".join(dense_regions),
            "audit_rate": audit_rate, "subset": subset, "ours": cell(ours, "precision_at_capacity"),
            "as_is_xgb": cell("as_is_xgb", "precision_at_capacity"),
            "count_rule": cell("legacy", "precision_at_capacity"),
            "ratio_vs_as_is": cell(ours, "ratio_vs_as_is_xgb"),
            "truth_ours": round(float(t[ours]), 3), "truth_as_is": round(float(t["as_is_xgb"]), 3),
            "truth_ratio": round(float(t[ours] / t["as_is_xgb"]), 3),
            "effective_rows": round(float(h.loc[(ours, "precision_at_capacity")].effective_rows), 1),
            "seconds": round(time.perf_counter() - start, 1),
        })  # fmt: skip
    log.info("%s done in %.0f s", name, time.perf_counter() - start)
    return rows


def main(argv: Sequence[str] | None = None) -> Path:
    """Run every variant and write ``sensitivity.json`` into ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=60_000)
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--sido", default="11,44,46", help="시도 codes of the worlds")
    parser.add_argument("--audit-rate", type=float, default=0.05)
    parser.add_argument("--dense-regions", default="", help="real-density 시군구 codes")
    parser.add_argument("--demo", action="store_true",
                        help="the default demo world's spec (overrides the four options above)")
    parser.add_argument("--out", type=Path, default=Path("var/model_card"))
    args = parser.parse_args(argv)
    if args.demo:
        from etl.demo import DEMO_AUDIT_RATE, demo_dense_regions
        from geodata.settings import get_settings

        settings = get_settings()
        args.households, args.seed = settings.demo_households, settings.demo_seed
        args.sido, args.audit_rate = settings.demo_sido, DEMO_AUDIT_RATE
        args.dense_regions = ",".join(demo_dense_regions(settings))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    rows: list[dict[str, Any]] = []
    for name, changes in VARIANTS.items():
        rows += run_variant(name, changes, households=args.households, seed=args.seed,
                            sido=[c for c in args.sido.split(",") if c], audit_rate=args.audit_rate,
                            dense_regions=[c for c in args.dense_regions.split(",") if c])  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "sensitivity.json"
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    print(pd.DataFrame(rows).to_string(index=False))
    return path


if __name__ == "__main__":
    main()
