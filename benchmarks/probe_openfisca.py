"""Probe: would openfisca-core meet the pre-check's speed target? (the engine-choice evidence)

Builds a one-entity OpenFisca tax-benefit system with the same formulas as ``eligibility.rules``
in simplified form (기초생활 소득인정액 with region tiers, residential cap and the deduction
order; five selection lines; 기초연금 income, property and amount; 한부모; 장애인연금), runs
it on ``--households`` random households and times building the simulation and calculating
every decision, then one traced single-household calculation. Writes the figures into the
``probe_openfisca`` section of ``docs/eligibility.md`` unless ``--no-write``.

Needs ``pip install openfisca-core`` (not a project dependency; see docs/eligibility.md).
Run under the shared lock: ``flock /tmp/atlas-heavy.lock python benchmarks/probe_openfisca.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import time
from pathlib import Path

import numpy as np

DOC = Path(__file__).resolve().parents[1] / "docs" / "eligibility.md"
START, END = "<!-- probe_openfisca:start -->", "<!-- probe_openfisca:end -->"
MEDIAN_2026 = [2564238, 4199292, 5359036, 6494738, 7556719, 8555952, 9515150]


def build_system():
    """A tax-benefit system with one person-like entity, the household."""
    from openfisca_core.entities import build_entity
    from openfisca_core.parameters import ParameterNode
    from openfisca_core.periods import DateUnit
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem
    from openfisca_core.variables import Variable

    household = build_entity("household", "households", "A household", is_person=True)

    def dated(v):
        return {"values": {"2024-01-01": v}}

    params = {
        "median": {f"s{k}": dated(v) for k, v in zip(range(1, 8), MEDIAN_2026, strict=True)},
        "line": {k: dated(v) for k, v in {"livelihood": .32, "medical": .40, "housing": .48,
                                          "education": .50, "near_poor": .50}.items()},
        "basic": {f"t{k}": dated(v) for k, v in enumerate([99e6, 80e6, 77e6, 53e6])},
        "cap": {f"t{k}": dated(v) for k, v in enumerate([172e6, 151e6, 146e6, 112e6])},
        "rate": {k: dated(v) for k, v in {"res": .0104, "gen": .0417, "fin": .0626, "car": 1.0}.items()},
        "earned_deduction": dated(0.30),
        "bp_basic": {f"t{k}": dated(v) for k, v in enumerate([135e6, 85e6, 72.5e6])},
    }

    def variable(name, dtype, formula=None):
        body = {"value_type": dtype, "entity": household, "definition_period": DateUnit.MONTH}
        if formula is not None:
            body["formula"] = formula
        return type(name, (Variable,), body)

    tiers4, tiers3 = np.array(["t0", "t1", "t2", "t3"]), np.array(["t0", "t1", "t2"])

    def income_eval(h, p, P):
        return h("earned", p) * (1 - P(p).earned_deduction) + h("other_income", p)

    def property_conv(h, p, P):
        pp, keys = P(p), tiers4[h("tier", p)]
        res, gen, fin = h("prop_res", p), h("prop_gen", p), h("fin", p)
        res_in = np.minimum(res, pp.cap[keys])
        general = gen + res - res_in
        d = pp.basic[keys] + h("debt", p)
        g = np.maximum(general - d, 0)
        d = np.maximum(d - general, 0)
        f = np.maximum(fin - d, 0)
        d = np.maximum(d - fin, 0)
        r = np.maximum(res_in - d, 0)
        return r * pp.rate.res + g * pp.rate.gen + f * pp.rate.fin + h("car", p) * pp.rate.car

    def recognised(h, p, P):
        return h("income_eval", p) + h("property_conv", p)

    def median(h, p, P):
        size, pp = h("size", p), P(p)
        keys = np.array([f"s{k}" for k in range(1, 8)])[np.clip(size, 1, 7) - 1]
        return np.where(size <= 7, pp.median[keys], pp.median.s7 + (pp.median.s7 - pp.median.s6) * (size - 7))

    def line(k):
        return lambda h, p, P: h("recognised", p) <= h("median", p) * P(p).line[k]

    def bp_income(h, p, P):
        e = np.maximum(h("earned", p) - 1_160_000, 0) * 0.7
        prop = np.maximum(h("prop_res", p) + h("prop_gen", p) - P(p).bp_basic[tiers3[h("tier3", p)]]
                          + np.maximum(h("fin", p) - 2e7, 0) - h("debt", p), 0)
        return e + h("other_income", p) + prop * 0.04 / 12 + h("car", p)

    def basic_pension(h, p, P):
        return (h("head_age", p) >= 65) & (h("bp_income", p) <= np.where(h("couple", p) == 1, 3952000, 2470000))

    def bp_amount(h, p, P):
        return h("basic_pension", p) * 349700 * np.where(h("couple", p) == 1, 1.6, 1.0)

    def single_parent(h, p, P):
        return (h("n_children", p) > 0) & (h("recognised", p) <= h("median", p) * 0.63)

    def disability(h, p, P):
        return (h("n_disabled", p) > 0) & (h("bp_income", p) <= np.where(h("couple", p) == 1, 3952000, 2470000))

    inputs = [variable(n, float) for n in ("earned", "other_income", "prop_res", "prop_gen", "fin", "car", "debt")]
    inputs += [variable(n, int) for n in ("size", "tier", "tier3", "n_disabled", "n_children", "head_age", "couple")]
    computed = [variable("income_eval", float, income_eval), variable("property_conv", float, property_conv),
                variable("recognised", float, recognised), variable("median", float, median),
                *[variable(f"elig_{k}", bool, line(k)) for k in ("livelihood", "medical", "housing", "education", "near_poor")],
                variable("bp_income", float, bp_income), variable("basic_pension", bool, basic_pension),
                variable("bp_amount", float, bp_amount), variable("single_parent", bool, single_parent),
                variable("disability_pension", bool, disability)]

    class System(TaxBenefitSystem):
        def __init__(self) -> None:
            super().__init__([household])
            self.parameters = ParameterNode("", data=params)
            for v in inputs + computed:
                self.add_variable(v)

    return System()


OUTPUTS = ("elig_livelihood", "elig_medical", "elig_housing", "elig_education", "elig_near_poor",
           "basic_pension", "bp_amount", "single_parent", "disability_pension", "recognised")


def random_inputs(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "earned": rng.lognormal(14, .8, n), "other_income": rng.lognormal(12, 1, n),
        "prop_res": rng.lognormal(18, 1, n), "prop_gen": rng.lognormal(16, 1, n), "fin": rng.lognormal(15, 1, n),
        "car": rng.lognormal(15, 1, n) * (rng.random(n) < .5), "debt": rng.lognormal(17, 1, n),
        "size": rng.integers(1, 10, n), "tier": rng.integers(0, 4, n), "tier3": rng.integers(0, 3, n),
        "n_disabled": rng.integers(0, 2, n), "n_children": rng.integers(0, 3, n),
        "head_age": rng.integers(20, 90, n), "couple": rng.integers(0, 2, n),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    try:
        from openfisca_core.simulation_builder import SimulationBuilder
    except ImportError:
        print("openfisca-core is not installed: pip install openfisca-core")
        return 2
    system = build_system()
    data = random_inputs(args.households)
    period = "2026-01"
    t0 = time.perf_counter()
    sim = SimulationBuilder().build_default_simulation(system, count=args.households)
    for name, values in data.items():
        sim.set_input(name, period, values)
    t1 = time.perf_counter()
    results = {name: sim.calculate(name, period) for name in OUTPUTS}
    t2 = time.perf_counter()
    one = SimulationBuilder().build_default_simulation(system, count=1)
    one.trace = True
    for name, values in data.items():
        one.set_input(name, period, values[:1])
    t3 = time.perf_counter()
    one.calculate("elig_livelihood", period)
    t4 = time.perf_counter()
    dtype = results["recognised"].dtype
    lines = [
        START,
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with openfisca-core {_version()}, "
        f"load average {os.getloadavg()[0]:.1f} on 2 cores, {args.households:,} households:",
        "",
        f"- building the simulation and setting 14 inputs: {t1 - t0:.2f} s",
        f"- calculating 10 outputs (소득인정액, 5 selection lines, 기초연금 and amount, 한부모, 장애인연금): "
        f"**{t2 - t1:.2f} s** (total {t2 - t0:.2f} s; target ≤ 10 s)",
        f"- one traced household: {1000 * (t4 - t3):.1f} ms",
        f"- money amounts come back as `{dtype}`",
        END,
    ]
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        text = DOC.read_text(encoding="utf-8")
        text = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: section, text, flags=re.S)
        DOC.write_text(text, encoding="utf-8")
    return 0


def _version() -> str:
    from importlib.metadata import version

    return version("openfisca-core")


if __name__ == "__main__":
    raise SystemExit(main())
