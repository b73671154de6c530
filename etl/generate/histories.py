"""Step: consultation (상담) and support (지원) histories of the discovery visits."""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.generate.world import World


def draw_histories(w: World) -> None:
    """A consultation for every reached visit and a support record for every supported one."""
    rng = w.rng
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

