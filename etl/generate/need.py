"""Step 3: the latent need of every household and month (stable part plus crisis episodes)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.generate.world import FIRST_MONTH, N_MONTHS, World
from etl.reference_data import designations


def draw_latent_need(w: World) -> None:
    """Stable need plus crisis episodes; ``need[i, t]`` over the 24 months (never stored)."""
    rng, n = w.rng, w.n
    regional = w.spec.latent.regional_effect
    sigungu = w.emd["sigungu_code"].to_numpy()[w.emd_idx]
    w.sigungu = sigungu
    low_income = np.clip((1_500_000 - w.income) / 1_500_000, 0, 1)
    stable = (
        -2.3
        + 1.3 * low_income
        + 0.6 * (w.htype == "single_elderly")
        + 0.35 * (w.htype == "single_middle")
        + 0.45 * (w.htype == "single_parent")
        + 0.5 * (w.n_disabled > 0)
        + 0.8 * w.is_nonhousing
        + 0.2 * w.multicultural
        + 0.35 * (w.tenure == "monthly_rent")
        - 0.4 * (w.tenure == "owner")
        + regional * w.emd_effect[w.emd_idx]
        + rng.normal(0, 0.4, n)
    )
    months = FIRST_MONTH + np.arange(N_MONTHS)
    designated = designation_matrix(w, sigungu, months) * np.float32(regional)
    # Episodes: a household may enter a crisis in some month (rate higher when the need is
    # already high and in designated areas); an episode lasts a geometric number of months.
    rate = 0.012 * np.exp(0.9 * (stable + 2.3))
    onset = np.full(n, 10_000)
    duration = rng.geometric(1 / 9, n)
    for t in range(-12, N_MONTHS):  # 36 vectorised steps over all households
        boost = designated[:, t] if t >= 0 else 0.0
        hit = (onset == 10_000) & (rng.random(n) < rate * (1 + 2.0 * boost))
        onset[hit] = t
    t_idx = np.arange(N_MONTHS)[None, :]
    in_episode = (t_idx >= onset[:, None]) & (t_idx < (onset + duration)[:, None])
    severity = rng.gamma(3.0, 0.7, n)
    w.stable, w.severity = stable, severity
    w.onset, w.duration, w.in_episode = onset, duration, in_episode
    w.designated = designated
    w.relief = np.zeros((n, N_MONTHS), dtype=np.float32)  # support's effect (discovery step)
    w.need = need_rows(w, np.arange(n))


def need_rows(w: World, rows: np.ndarray) -> np.ndarray:
    """``need[rows, t]`` from its parts: stable + episode severity + designation − support relief."""
    logit = (
        w.stable[rows, None]
        + w.in_episode[rows] * w.severity[rows, None]
        + 0.6 * w.designated[rows]
        - w.relief[rows]
    )
    return (1 / (1 + np.exp(-logit))).astype(np.float32)


def designation_matrix(w: World, sigungu: np.ndarray, months: np.ndarray) -> np.ndarray:
    """1.0 where the household's 시군구 is an employment-crisis or disaster area that month."""
    des = designations()
    out = np.zeros((w.n, len(months)), dtype=np.float32)
    codes, inverse = np.unique(sigungu, return_inverse=True)
    per_code = np.zeros((len(codes), len(months)), dtype=np.float32)
    pos = {c: i for i, c in enumerate(codes)}
    month_start = months.astype("datetime64[D]")
    for row in des.itertuples(index=False):  # ~100 designations, not households
        if row.sigungu_code not in pos:
            continue
        start = np.datetime64(row.start_date, "D")
        end = np.datetime64(row.end_date, "D") if pd.notna(row.end_date) else np.datetime64("2100-01-01")
        active = (month_start >= start.astype("datetime64[M]")) & (month_start <= end)
        weight = 1.0 if row.kind == "special_disaster" else 0.5
        per_code[pos[row.sigungu_code]] = np.maximum(per_code[pos[row.sigungu_code]], active * weight)
    out[:] = per_code[inverse]
    w.disaster_months = {
        c: np.flatnonzero(per_code[pos[c]] >= 1.0) for c in codes if (per_code[pos[c]] >= 1.0).any()
    }
    return out

