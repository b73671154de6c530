"""Step 4: crisis signals (need-driven runs plus noise) and safety-net reports."""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.generate.columns import dict_text, vocab_text
from etl.generate.world import FIRST_MONTH, N_MONTHS, World
from geodata.vocabulary import CRISIS_SOURCE_CODES, CRISIS_SOURCES, SAFETY_NET_CHANNELS


def draw_signals(w: World) -> None:
    """Runs of months with a signal per (household, source): need-driven plus noise."""
    rng, n = w.rng, w.n
    peak_need = w.need.max(axis=1)
    strength = w.spec.latent.signal_strength
    base_rates = {
        "electricity_arrears": 0.05, "water_arrears": 0.04, "gas_arrears": 0.045,
        "utility_cutoff": 0.012, "health_insurance_arrears": 0.06, "pension_arrears": 0.04,
        "telecom_arrears": 0.07, "rent_arrears": 0.03, "financial_delinquency": 0.05,
        "catastrophic_medical": 0.012, "job_loss": 0.02, "disaster_damage": 0.0,
    }
    amount_scale = {
        "electricity_arrears": 60_000, "water_arrears": 30_000, "gas_arrears": 50_000,
        "health_insurance_arrears": 90_000, "pension_arrears": 150_000,
        "telecom_arrears": 70_000, "rent_arrears": 350_000,
        "financial_delinquency": 2_500_000, "catastrophic_medical": 3_000_000,
    }
    episode_start = np.clip(w.onset, 0, N_MONTHS - 1)
    has_episode = w.onset < N_MONTHS
    runs: list[tuple[np.ndarray, ...]] = []
    for k, src in enumerate(CRISIS_SOURCES):
        if src.code == "disaster_damage":
            runs.extend(disaster_runs(w, k))
            continue
        base = base_rates[src.code]
        if src.code == "rent_arrears":
            base_vec = np.where(np.isin(w.tenure, ["monthly_rent", "public_rental"]), base * 2, base * 0.2)
        else:
            base_vec = np.full(n, base)
        # need-driven run tied to the episode, and a noise run unrelated to need
        p_need = np.clip(base_vec * strength * peak_need * has_episode, 0, 0.9)
        p_noise = base_vec * 0.35 * w.spec.latent.signal_noise
        for p, tied in ((p_need, True), (p_noise, False)):
            hit = np.flatnonzero(rng.random(n) < p)
            if len(hit) == 0:
                continue
            if tied:
                start = episode_start[hit] + rng.integers(0, 3, len(hit))
                length = np.minimum(rng.geometric(1 / 5, len(hit)), w.duration[hit] + 2)
            else:
                start = rng.integers(-6, N_MONTHS, len(hit))
                length = rng.geometric(1 / 2.5, len(hit))
            runs.append(expand_runs(w, k, hit, start, length, amount_scale.get(src.code), tied=tied))
    hh, src_idx, month_idx, value, tied = (np.concatenate(parts) for parts in zip(*runs, strict=True))
    # one row per (household, source, month); sorted by household, month, source
    key = (hh * N_MONTHS + month_idx) * len(CRISIS_SOURCES) + src_idx
    _, first = np.unique(key, return_index=True)
    hh, src_idx, month_idx, value = hh[first], src_idx[first], month_idx[first], value[first]
    w.signal_arrays = (hh, src_idx, month_idx)
    # the table itself in primary-key order (household, source code, month), the order stores
    # keep: a stable sort of one integer key, cheaper here than a three-column sort at load
    rank = np.argsort(np.argsort(np.array(CRISIS_SOURCE_CODES, dtype=object), kind="stable"))
    offset = month_idx - (month_idx.min() if len(month_idx) else 0)
    span = int(offset.max()) + 1 if len(offset) else 1
    order = np.argsort((hh * len(CRISIS_SOURCES) + rank[src_idx]) * span + offset, kind="stable")
    w.signal_tied = tied[first]  # need-driven (ends with support) or noise
    w.signal_order = order  # frame row i is row order[i] of signal_arrays
    w.signals = pd.DataFrame(
        {
            "household_id": hh[order] + 1,
            "source": dict_text(src_idx[order], np.array(CRISIS_SOURCE_CODES, dtype=object)),
            "month": (FIRST_MONTH + month_idx[order]).astype("datetime64[D]").astype("datetime64[ns]"),
            "value": value[order],
        }
    )


def expand_runs(
    w: World, source: int, hit: np.ndarray, start: np.ndarray, length: np.ndarray, scale: float | None,
    *, tied: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Expand (household, start, length) runs into (household, source, month, value) rows."""
    start = np.clip(start, -12, N_MONTHS)
    end = np.minimum(start + length, N_MONTHS)
    start = np.maximum(start, 0)
    keep = end > start
    hit, start, end = hit[keep], start[keep], end[keep]
    reps = end - start
    hh = np.repeat(hit, reps).astype(np.int64)
    offset = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
    month_idx = np.repeat(start, reps) + offset
    if scale is None:
        value = np.ones(len(hh))
    else:  # arrears accumulate month by month
        unit = np.repeat(w.rng.lognormal(np.log(scale), 0.5, len(hit)), reps)
        value = np.round(unit * (offset + 1), -2)
    source_idx = np.full(len(hh), source, dtype=np.int64)
    return hh, source_idx, month_idx.astype(np.int64), value, np.full(len(hh), tied)


def disaster_runs(w: World, source: int) -> list[tuple[np.ndarray, ...]]:
    """Disaster damage in the month a special disaster area is designated (a share of homes)."""
    runs = []
    for code, months in w.disaster_months.items():
        members = np.flatnonzero(w.sigungu == code)
        hit = members[w.rng.random(len(members)) < 0.08]
        runs.append(expand_runs(w, source, hit, np.full(len(hit), months[0]), np.ones(len(hit), int), None,
                                tied=False))
    return runs


def draw_reports(w: World) -> None:
    """Safety-net reports: a Poisson count per month whose rate rises steeply with need.

    Drawn after the discovery cycles, from the need as support left it.
    ``safety_net_effect`` blends the need-dependence with a rate of the same volume that
    ignores need (0: reports carry no information).
    """
    rng = w.rng
    effect = w.spec.latent.safety_net_effect
    squared = w.need.astype(np.float64) ** 2
    rate = 0.0015 + 0.06 * (effect * squared + (1 - effect) * squared.mean())
    counts = rng.poisson(rate)
    hh, month = np.nonzero(counts)
    n = len(hh)
    channel_codes = np.array([c.code for c in SAFETY_NET_CHANNELS])
    channel = channel_codes[rng.choice(len(channel_codes), n, p=[0.35, 0.2, 0.2, 0.1, 0.15])]
    day = rng.integers(0, 28, n)
    reported = (FIRST_MONTH + month).astype("datetime64[D]") + day
    w.reports = pd.DataFrame(
        {
            "report_id": np.arange(1, n + 1, dtype=np.int64),
            "household_id": hh.astype(np.int64) + 1,
            "channel": vocab_text(channel, channel_codes),
            "reported_on": reported.astype("datetime64[ns]"),
            "note": None,
        }
    )

