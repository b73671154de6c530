"""Step: benefit receipt (수혜), assigned from observed income, assets and composition only.

The latent need is not read: in the real system benefits follow the means test (소득인정액
against a share of 기준 중위소득) and categorical rules, not anyone's hidden need. Non-take-up
keeps many eligible households out (the hidden households the product is for).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.generate.world import World

# 기준 중위소득 2026, 1–7인 (월, 원; 보건복지부 고시 2025-135, REFERENCE-FACTS.md)
MEDIAN_INCOME_2026 = np.array(
    [2_564_238, 4_199_292, 5_359_036, 6_494_738, 7_556_719, 8_555_952, 9_515_150], dtype=float
)
BLSA_HOUSEHOLD_SHARE = 1_788_000 / 22_073_000  # basic livelihood households / all (cited)
ENDED_SHARE = 0.15  # benefit spells that ended before the as-of date (assumption)


def recognised_income(w: World) -> np.ndarray:
    """A simplified 소득인정액: income plus monthly conversion of assets above a basic deduction.

    Conversion rates 1.04% (residential), 4.17% (general), 6.26% (financial), deduction
    5,300만 원 (the lowest 기본재산액 tier); debts are subtracted from assets. A proxy of the
    means test, not the rule engine (``eligibility/``).
    """
    assets = np.maximum(w.prop_res + w.prop_gen + w.fin - w.debt - 53_000_000, 0.0)
    share_res = np.where(assets > 0, w.prop_res / np.maximum(w.prop_res + w.prop_gen + w.fin, 1), 0)
    rate = share_res * 0.0104 + (1 - share_res) * 0.05
    return w.income + assets * rate


def draw_benefits(w: World) -> None:
    """Benefit rows: 기초생활보장 for a share of those under 48% of 기준 중위소득, and pensions.

    Take-up among the means-tested eligible is set so that 8.1% of households receive
    기초생활보장 (1.788M of 22.07M, cited); those above the line receive it rarely (0.5%,
    assumption: assets or income changed since the last check).
    """
    rng, n = w.rng, w.n
    hid = np.arange(1, n + 1, dtype=np.int64)
    line = 0.48 * MEDIAN_INCOME_2026[np.clip(w.size.astype(int), 1, 7) - 1]
    under = recognised_income(w) < line
    above_rate = 0.005
    take_up = np.clip((BLSA_HOUSEHOLD_SHARE - above_rate * (1 - under.mean())) / max(under.mean(), 1e-9), 0, 0.95)
    p_blsa = np.where(under, take_up, above_rate)
    w.benefit_take_up = float(take_up)
    blsa = rng.random(n) < p_blsa
    parts = []
    for programme, p in (
        ("기초생활보장 생계급여", blsa * 0.6),  # among recipients (assumption)
        ("기초생활보장 의료급여", blsa * 0.75),
        ("기초생활보장 주거급여", blsa * 1.0),  # every recipient household in the frame
        ("기초연금", (w.n_elderly > 0) * 0.68),
        ("장애인연금", (w.n_disabled > 0) * 0.2),
        ("한부모가족 지원", (w.htype == "single_parent") * 0.3),
    ):
        take = np.flatnonzero(rng.random(n) < p)
        start = np.datetime64("2015-01-01") + rng.integers(0, 3900, len(take))
        ended = rng.random(len(take)) < ENDED_SHARE
        end = np.where(ended, start + rng.integers(90, 1500, len(take)), np.datetime64("NaT"))
        parts.append(pd.DataFrame({"household_id": hid[take], "programme": programme,
                                   "start_date": start, "end_date": end}))  # fmt: skip
    benefit = pd.concat(parts, ignore_index=True)
    benefit.insert(0, "benefit_id", np.arange(1, len(benefit) + 1, dtype=np.int64))
    w.benefit = benefit
