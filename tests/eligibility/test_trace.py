"""Decision traces for one household agree with the batch and read as sentences."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from eligibility.household import validate_households
from eligibility.parameters import current_law, load_reform
from eligibility.rules import PROGRAMMES, assess
from eligibility.trace import explain, won


def test_the_issue_example_reads_exactly() -> None:
    law = current_law().at(dt.date(2026, 5, 1))
    decisions = {d.programme: d for d in explain(law, validate_households(pd.DataFrame([{"size": 1, "other_income": 612_300}])))}
    livelihood = decisions["livelihood"]
    assert livelihood.eligible
    assert livelihood.reason_ko == "소득인정액 612,300원 ≤ 생계급여 기준 820,556원 (1인, 2026)"
    assert livelihood.monthly_amount == 820_556 - 612_300
    assert any("2,564,238원 × 32% = 820,556원" in s.ko for s in livelihood.steps)
    assert any("2025-135" in s for s in livelihood.sources)
    assert decisions["basic_pension"].reason_ko.endswith("65세 이상 본인·배우자가 없음")
    assert not decisions["basic_pension"].eligible


def test_trace_and_batch_agree_on_random_households() -> None:
    rng = np.random.default_rng(7)
    n = 200
    size = rng.integers(1, 10, n)
    couple = (rng.random(n) < 0.5) & (size >= 2)
    frame = pd.DataFrame({
        "size": size,
        "earned_income": rng.choice([0, 500_000, 1_500_000, 3_000_000], n),
        "other_income": rng.choice([0, 300_000, 900_000], n),
        "property_residential": rng.choice([0, 80e6, 250e6], n),
        "financial_assets": rng.choice([0, 5e6, 40e6], n),
        "car_value": rng.choice([0, 3e6, 45e6], n),
        "debt": rng.choice([0, 30e6, 300e6], n),
        "region_tier": rng.choice(["seoul", "gyeonggi", "metro", "other"], n),
        "urban_class": rng.choice(["metropolitan", "city", "rural"], n),
        "couple": couple,
        "head_age": rng.choice([40, 70], n),
        "n_children": 0,
    })
    frame["n_pension_age"] = np.where(frame["head_age"] >= 65, 1 + frame["couple"], 0)
    hh = validate_households(frame)
    law = current_law().with_reform(load_reform("seed_standardisation")).at(dt.date(2024, 7, 1))
    batch = assess(law, hh)
    for i in range(0, n, 7):
        for d in explain(law, hh.row(i)):
            assert d.eligible == bool(batch.eligible[d.programme][i])
            assert won(batch.recognised[d.programme][i]) in d.reason_ko


def test_explain_takes_exactly_one_household() -> None:
    hh = validate_households(pd.DataFrame({"size": [1, 2]}))
    with pytest.raises(ValueError, match="one household"):
        explain(current_law().at(dt.date(2026, 1, 1)), hh)
    assert len(explain(current_law().at(dt.date(2026, 1, 1)), hh.row(1))) == len(PROGRAMMES)
