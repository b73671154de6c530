"""Step 6: benefit (수혜), consultation (상담) and support (지원) histories."""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.generate.world import World


def draw_histories(w: World) -> None:
    """수혜 (benefits), 상담 (consultations) and 지원 (support) histories."""
    rng, n = w.rng, w.n
    hid = np.arange(1, n + 1, dtype=np.int64)
    stable_need = w.need[:, 0]
    # Basic livelihood: about 8% of households (1.788M of 22.07M), concentrated in need.
    p_blsa = np.clip(0.02 + 0.35 * stable_need, 0, 0.9)
    p_blsa *= 0.081 / p_blsa.mean()
    benefit_parts = []
    for programme, p in (
        ("기초생활보장 생계급여", p_blsa * 0.6),
        ("기초생활보장 의료급여", p_blsa * 0.75),
        ("기초생활보장 주거급여", p_blsa * 0.9),
        ("기초연금", (w.n_elderly > 0) * 0.68),
        ("장애인연금", (w.n_disabled > 0) * 0.2),
        ("한부모가족 지원", (w.htype == "single_parent") * 0.3),
    ):
        take = np.flatnonzero(rng.random(n) < p)
        start = np.datetime64("2015-01-01") + rng.integers(0, 3900, len(take))
        ended = rng.random(len(take)) < 0.15
        end = np.where(ended, start + rng.integers(90, 1500, len(take)), np.datetime64("NaT"))
        benefit_parts.append(pd.DataFrame({"household_id": hid[take], "programme": programme,
                                           "start_date": start, "end_date": end}))
    benefit = pd.concat(benefit_parts, ignore_index=True)
    benefit.insert(0, "benefit_id", np.arange(1, len(benefit) + 1, dtype=np.int64))
    w.benefit = benefit
    reached = w.discovery[w.discovery["outcome"] != "unreachable"]
    topics = np.array(["생계", "주거", "의료", "고용", "돌봄", "정신건강", "채무"])
    consult = pd.DataFrame(
        {
            "household_id": reached["household_id"].to_numpy(),
            "consulted_on": reached["outcome_date"].to_numpy(),
            "channel": rng.choice(np.array(["visit", "phone", "office"]), len(reached), p=[0.6, 0.3, 0.1]),
            "topic": topics[rng.integers(0, len(topics), len(reached))],
        }
    )
    consult.insert(0, "consultation_id", np.arange(1, len(consult) + 1, dtype=np.int64))
    w.consult = consult
    sup = w.discovery[w.discovery["outcome"] == "supported"]
    kind = rng.choice(np.array(["public", "private", "emergency"]), len(sup), p=[0.35, 0.5, 0.15])
    programme = np.select(
        [kind == "public", kind == "emergency"], ["기초생활보장", "긴급복지 생계지원"], "민간 후원 연계"
    )
    w.support = pd.DataFrame(
        {
            "support_id": np.arange(1, len(sup) + 1, dtype=np.int64),
            "household_id": sup["household_id"].to_numpy(),
            "supported_on": (sup["outcome_date"].to_numpy() + np.timedelta64(7, "D")),
            "kind": kind,
            "programme": programme,
            "amount_krw": np.round(rng.lognormal(np.log(700_000), 0.5, len(sup)), -3),
        }
    )

