"""Benchmark: the eligibility pre-check at 1,000,000 households and the public 모의계산.

Times, on a synthetic frame in the world's ``household`` schema (built with numpy, not timed):

* ``world_inputs`` (pre-check inputs from observed fields), ``validate_households`` and
  ``assess`` under current law (소득인정액 + all eight programme decisions), and the same
  under the seed's standardisation reform; target: inputs + validation + current law ≤ 10 s;
* the public calculator (:func:`eligibility.calculator.answer`, form parsing + one-household
  trace) over ``--answers`` varied forms; target p95 ≤ 100 ms.

Writes its figures into the ``bench_eligibility`` section of ``docs/benchmarks.md`` (between
the markers) unless ``--no-write``. Run under the shared lock::

    flock /tmp/atlas-heavy.lock python benchmarks/bench_eligibility.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eligibility.calculator import REGIONS, answer
from eligibility.household import validate_households
from eligibility.inputs import world_inputs
from eligibility.parameters import current_law, load_reform
from eligibility.rules import PROGRAMMES, assess

DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
START, END = "<!-- bench_eligibility:start -->", "<!-- bench_eligibility:end -->"
WHEN = dt.date(2026, 6, 1)
SIGUNGU = {"11110": ("11", "대도시"), "26350": ("26", "대도시"), "41111": ("41", "중소도시"),
           "41820": ("41", "농어촌"), "44130": ("44", "중소도시"), "46810": ("46", "농어촌"),
           "48121": ("48", "중소도시"), "36110": ("36", "중소도시")}
TYPES = np.array(["single_elderly", "single_middle", "single_young", "elderly_couple", "single_parent",
                  "couple_children", "couple", "other"])


def synthetic_world(n: int, seed: int = 0) -> pd.DataFrame:
    """Households with the world's column names and roughly its distributions."""
    rng = np.random.default_rng(seed)
    htype = TYPES[rng.choice(len(TYPES), n, p=[0.1, 0.12, 0.13, 0.1, 0.04, 0.25, 0.14, 0.12])]
    size = np.select([np.char.startswith(htype.astype(str), "single_") & (htype != "single_parent"),
                      np.isin(htype, ["elderly_couple", "couple"])], [1, 2], rng.integers(2, 7, n))
    elderly = np.isin(htype, ["single_elderly", "elderly_couple"])
    head_age = np.where(elderly, rng.integers(65, 95, n), rng.integers(20, 65, n))
    codes = np.array(list(SIGUNGU))
    which = rng.integers(0, len(codes), n)
    sigungu, sido = codes[which], np.array([SIGUNGU[c][0] for c in codes])[which]
    owner = rng.random(n) < 0.55
    income = np.exp(rng.normal(np.log(3_000_000) - 0.8 * elderly, 0.7, n))
    income[rng.random(n) < 0.04] = 0
    return pd.DataFrame({
        "household_id": np.arange(1, n + 1),
        "sido_code": sido,
        "sigungu_code": sigungu,
        "size": size,
        "n_elderly": np.where(htype == "elderly_couple", 2, elderly.astype(int)),
        "n_children": np.where(np.isin(htype, ["single_parent", "couple_children"]), np.maximum(size - 2, 1), 0),
        "head_age": head_age,
        "household_type": htype,
        "income_monthly_krw": np.round(income, -3),
        "property_residential_krw": np.where(owner, np.round(np.exp(rng.normal(np.log(2.5e8), 0.8, n)), -4), 0.0),
        "property_general_krw": np.where(rng.random(n) < 0.12, np.round(np.exp(rng.normal(np.log(6e7), 1, n)), -4), 0.0),
        "financial_assets_krw": np.round(np.exp(rng.normal(np.log(np.maximum(income, 3e5) * 4), 1.1)), -3),
        "car_value_krw": np.where(rng.random(n) < 0.55, np.round(np.exp(rng.normal(np.log(1.2e7), 0.7, n)), -4), 0.0),
        "debt_krw": np.where(rng.random(n) < 0.45, np.round(np.exp(rng.normal(np.log(4e7), 1.2, n)), -4), 0.0),
    })


def _timed(fn, *args):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - t0, time.process_time() - c0


def _forms(k: int, seed: int = 1) -> list[dict[str, str]]:
    rng = np.random.default_rng(seed)
    regions = list(REGIONS)
    forms = []
    for _ in range(k):
        size = int(rng.integers(1, 11))
        forms.append({
            "size": str(size), "region": regions[int(rng.integers(0, len(regions)))],
            "head_age": str(int(rng.integers(20, 95))),
            "spouse_age": str(int(rng.integers(20, 95))) if size >= 2 and rng.random() < 0.5 else "",
            "earned_income": f"{int(rng.integers(0, 40)) * 100_000:,}",
            "other_income": f"{int(rng.integers(0, 20)) * 50_000:,}",
            "property_residential": str(int(rng.integers(0, 50)) * 10_000_000),
            "financial_assets": str(int(rng.integers(0, 50)) * 1_000_000),
            "car_value": str(int(rng.integers(0, 30)) * 1_000_000), "debt": str(int(rng.integers(0, 20)) * 5_000_000),
            "n_children": "0",
        })
    return forms


def _with_section(text: str, section: str, row: str) -> str:
    """``text`` with the marked section replaced (or appended) and the summary row set: the row
    starting ``| eligibility pre-check`` is replaced, or added at the end of the first table."""
    if START in text:
        text = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: section, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    lines = text.split("\n")
    mine = [i for i, line in enumerate(lines) if line.startswith("| eligibility pre-check")]
    if mine:
        lines[mine[0]] = row
    else:
        table = [i for i, line in enumerate(lines) if line.startswith("|")]
        if table:
            end = table[0]
            while end + 1 < len(lines) and lines[end + 1].startswith("|"):
                end += 1
            lines.insert(end + 1, row)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--answers", type=int, default=300)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    world = synthetic_world(args.households)
    classes = {code: cls for code, (_, cls) in SIGUNGU.items()}
    params = current_law()
    reform = params.with_reform(load_reform("seed_standardisation"))
    law, reform_law = params.at(WHEN), reform.at(WHEN)
    assess(law, validate_households(world_inputs(world.head(1000), classes)))  # warm imports

    inputs, t_inputs, c_inputs = _timed(world_inputs, world, classes)
    hh, t_valid, c_valid = _timed(validate_households, inputs)
    base, t_base, c_base = _timed(assess, law, hh)
    _, t_reform, c_reform = _timed(assess, reform_law, hh)
    total = t_inputs + t_valid + t_base

    forms = _forms(args.answers)
    for form in forms[:10]:
        answer(form, today=WHEN)
    times = []
    for form in forms:
        t0 = time.perf_counter()
        got = answer(form, today=WHEN)
        times.append((time.perf_counter() - t0) * 1000)
        if not got.ok:
            raise SystemExit(f"benchmark form rejected: {got.errors}")
    p50, p95, worst = np.percentile(times, 50), np.percentile(times, 95), max(times)
    rss = psutil.Process().memory_info().rss / 2**20
    load = os.getloadavg()[0]
    shares = ", ".join(f"{p} {base.eligible[p].mean():.1%}" for p in PROGRAMMES)

    lines = [
        START,
        "## Eligibility pre-check (`benchmarks/bench_eligibility.py`)",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load average {load:.1f} on 2 cores, "
        f"{args.households:,} synthetic households in the world's schema, rules of {WHEN}.",
        "",
        "| step | wall s | CPU s |",
        "|---|---:|---:|",
        f"| pre-check inputs from world fields | {t_inputs:.2f} | {c_inputs:.2f} |",
        f"| validation | {t_valid:.2f} | {c_valid:.2f} |",
        f"| 소득인정액 + 8 programme decisions, current law | {t_base:.2f} | {c_base:.2f} |",
        f"| **total (target ≤ 10 s)** | **{total:.2f}** | {c_inputs + c_valid + c_base:.2f} |",
        f"| same decisions under the seed's standardisation | {t_reform:.2f} | {c_reform:.2f} |",
        "",
        f"Public 모의계산 (`eligibility.calculator.answer`, parse + trace of all programmes), "
        f"{args.answers} varied forms: p50 {p50:.1f} ms, p95 **{p95:.1f} ms** (target ≤ 100 ms), "
        f"max {worst:.1f} ms. Peak RSS {rss:,.0f} MiB.",
        "",
        f"Shares likely eligible (synthetic frame, not the world): {shares}.",
        END,
    ]
    section = "\n".join(lines)
    print(section)
    row = (f"| eligibility pre-check, 1,000,000 households; public 모의계산 | ≤ 10 s; p95 ≤ 100 ms | "
           f"**{total:.2f} s** (inputs + validation + 8 decisions); calculator p95 **{p95:.0f} ms** "
           f"(load {load:.1f}) | {'yes' if total <= 10 and p95 <= 100 else 'no'} | section below |")
    if not args.no_write:
        DOC.write_text(_with_section(DOC.read_text(encoding="utf-8"), section, row), encoding="utf-8")
    return 0 if total <= 10 and p95 <= 100 else 1


if __name__ == "__main__":
    raise SystemExit(main())
