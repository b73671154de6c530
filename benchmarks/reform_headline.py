"""The reform headline: current law vs the seed's standardised survey types on a generated world.

Generates a world with ``etl.generate.generate_world`` (``--households``, default the 200,000 of
the demo world), derives the pre-check inputs (``eligibility.inputs.world_inputs``), assesses
every household under current law and under ``reforms/seed_standardisation.yaml`` on ``--date``,
and writes recipients and monthly cost by programme, gainers and losers by household type and
the "likely eligible but not receiving" counts into the ``reform_headline`` section of
``docs/eligibility.md`` (unless ``--no-write``). Figures are for the synthetic world, not Korea.

Run under the shared lock: ``flock /tmp/atlas-heavy.lock python benchmarks/reform_headline.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eligibility.household import validate_households
from eligibility.inputs import severe_disabled_18_64, world_inputs
from eligibility.parameters import load_reform
from eligibility.reform import compare
from eligibility.rules import PROGRAMME_LABELS
from etl.generate import generate_world
from geodata.vocabulary import HOUSEHOLD_TYPES, label
from services.eligibility import RECORDED_PROGRAMMES, receiving

DOC = Path(__file__).resolve().parents[1] / "docs" / "eligibility.md"
START, END = "<!-- reform_headline:start -->", "<!-- reform_headline:end -->"


def _fmt(value: float, signed: bool = False) -> str:
    if pd.isna(value):
        return "—"
    return f"{value:+,.0f}" if signed else f"{value:,.0f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--date", type=dt.date.fromisoformat, default=dt.date(2026, 6, 1))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    t0 = time.perf_counter()
    world = generate_world(args.households, seed=args.seed)
    t1 = time.perf_counter()
    households, regions = world["household"], world["region"]
    urban = regions[regions["level"] == "sigungu"].set_index("code")["urban_class"]
    frame = world_inputs(households, urban, severe_disabled=severe_disabled_18_64(world["person"], args.date))
    hh = validate_households(frame)
    result = compare(hh, load_reform("seed_standardisation"), args.date)
    t2 = time.perf_counter()
    summary = result.programme_summary()
    changes = result.household_changes()
    n = len(households)

    got = receiving(world["benefit_history"], args.date)
    ids = households["household_id"].to_numpy()
    unserved_any = np.zeros(n, dtype=bool)
    rows_unserved = []
    for p in sorted(RECORDED_PROGRAMMES):
        has = np.isin(ids, got.loc[got["programme"] == p, "household_id"].to_numpy())
        eligible = result.baseline.eligible[p]
        unserved = eligible & ~has
        unserved_any |= unserved
        rows_unserved.append(f"| {PROGRAMME_LABELS[p][0]} | {eligible.sum():,} | {(eligible & has).sum():,} | "
                             f"{unserved.sum():,} | {(has & ~eligible).sum():,} |")

    by_type = pd.DataFrame({"type": households["household_type"].to_numpy(), "outcome": changes["outcome"].to_numpy(),
                            "delta": changes["amount_change_krw"].to_numpy()})
    type_rows = []
    for code, part in by_type.groupby("type"):
        type_rows.append(f"| {label(HOUSEHOLD_TYPES, str(code))} | {len(part):,} | {(part['outcome'] == 'gains').sum():,} | "
                         f"{(part['outcome'] == 'loses').sum():,} | {(part['outcome'] == 'mixed').sum():,} | "
                         f"{_fmt(part['delta'].sum(), True)} |")
    prog_rows = [
        f"| {r.label_ko} | {r.recipients_current:,} | {r.recipients_reform:,} | {r.recipients_change:+,} | "
        f"{_fmt(r.monthly_cost_current_krw)} | {_fmt(r.monthly_cost_change_krw, True)} |"
        for r in summary.itertuples()]
    gains, loses = int((changes["outcome"] == "gains").sum()), int((changes["outcome"] == "loses").sum())
    cost_change = summary["monthly_cost_change_krw"].sum(min_count=1)
    lines = [
        START,
        f"Generated world: {n:,} households (seed {args.seed}), rules of {args.date}; generation "
        f"{t1 - t0:.1f} s, inputs + both assessments {t2 - t1:.1f} s "
        f"({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC). Synthetic data: shares, not Korea.",
        "",
        f"**Headline:** the seed's standardisation makes {gains:,} households ({gains / n:.2%}) better off "
        f"and {loses:,} ({loses / n:.2%}) worse off; recipients of at least one programme "
        f"{result.baseline.any_eligible().sum():,} → {result.reformed.any_eligible().sum():,}; "
        f"monthly cash cost (생계급여, 기초연금, 장애인연금) {_fmt(cost_change, True)}원.",
        "",
        "| programme | recipients, current law | standardised | change | monthly cost, current (원) | cost change (원) |",
        "|---|---:|---:|---:|---:|---:|",
        *prog_rows,
        "",
        "| household type | households | gain | lose | mixed | monthly amount change (원) |",
        "|---|---:|---:|---:|---:|---:|",
        *type_rows,
        "",
        "Current law against the world's benefit records (`benefit_history` running on the date):",
        "",
        "| programme | likely eligible | eligible and receiving | **likely eligible, not receiving** | receiving, not likely eligible |",
        "|---|---:|---:|---:|---:|",
        *rows_unserved,
        "",
        f"Households likely eligible for a recorded programme they do not receive: {unserved_any.sum():,} "
        f"({unserved_any.mean():.1%}).",
        END,
    ]
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        text = DOC.read_text(encoding="utf-8")
        text = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: section, text, flags=re.S)
        DOC.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
