"""Human override of tiers (``tier_override``) applied on top of model scores.

A worker may move a household to another tier with a reason code (``OVERRIDE_REASONS``). The
latest *active* override per household wins (by ``created_at``, then ``override_id``; the rule is
:mod:`domain.tiers`, shared with the services' read model). The model's
own tier is kept in ``model_tier``; the override's author, reason and time pass through as
``overridden_by``, ``override_reason`` and ``overridden_at`` (the table itself is the record).
Overrides respect capacity and expire by the rule of :mod:`domain.tiers`: only overrides in force
at ``now`` count (:func:`domain.tiers.in_force`), and :func:`domain.tiers.seat_tiers` keeps each
tier of a jurisdiction at its model size (an override up pushes the lowest-ranked model household
of that tier down; ``over_capacity`` marks a tier holding more overrides than seats).
Ranks are recomputed within each jurisdiction by (effective tier, probability, model rank): a household
overridden up to tier 1 ranks ahead of every model tier-2 household.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from domain.tiers import TIER_VALUES, in_force, latest_active_overrides, seat_tiers
from geodata.vocabulary import OVERRIDE_REASONS, codes

__all__ = ["apply_overrides"]

_REQUIRED_SCORES = {"household_id", "probability", "tier", "rank", "jurisdiction_code"}
_REQUIRED_OVERRIDES = {"household_id", "tier", "reason_code", "user_id", "created_at", "active"}


def apply_overrides(scores: pd.DataFrame, overrides: pd.DataFrame, *,
                    now: dt.datetime | pd.Timestamp | None = None, days: int | None = None,
                    scores_since: dt.datetime | pd.Timestamp | None = None,
                    model_version: str | None = None) -> pd.DataFrame:
    """Apply the latest override in force of each household to ``scores``, within capacity.

    Parameters
    ----------
    scores : DataFrame
        ``risk_score`` rows (``household_id, probability, tier, rank, jurisdiction_code``, ...).
    overrides : DataFrame
        ``tier_override`` rows (``household_id, tier, reason_code, user_id, created_at, active``;
        ``override_id`` optional).
    now : datetime, optional
        Reference time for expiry (:func:`domain.tiers.in_force`); ``None``: no expiry by date.
    days : int, optional
        Days an override stays in force (default ``Settings.override_days``).
    scores_since : datetime, optional
        When the scores the overrides sit on were written; older overrides without a model
        version have ended.
    model_version : str, optional
        The scores' model version: overrides made on another version have ended
        (:func:`domain.tiers.ended_by_new_scores`).

    Returns
    -------
    DataFrame
        A copy of ``scores`` with the effective ``tier``, a recomputed ``rank`` and the columns
        ``model_tier``, ``overridden``, ``over_capacity``, ``overridden_by``, ``override_reason``,
        ``overridden_at``.

    Raises
    ------
    ValueError
        If columns are missing, a tier is not 1-4 or a reason code is unknown.
    """
    problems = []
    if miss := _REQUIRED_SCORES - set(scores.columns):
        problems.append(f"scores lacks {sorted(miss)}")
    if miss := _REQUIRED_OVERRIDES - set(overrides.columns):
        problems.append(f"overrides lacks {sorted(miss)}")
    if problems:
        raise ValueError("; ".join(problems))
    active = overrides[overrides["active"].astype(bool)].copy()
    bad_tier = ~active["tier"].isin(TIER_VALUES)
    bad_reason = ~active["reason_code"].isin(codes(OVERRIDE_REASONS))
    if bad_tier.any() or bad_reason.any():
        raise ValueError(
            f"{int(bad_tier.sum())} overrides have a tier outside 1-4 and {int(bad_reason.sum())} an "
            f"unknown reason code (known: {list(codes(OVERRIDE_REASONS))})"
        )
    active["created_at"] = pd.to_datetime(active["created_at"], utc=True)
    if now is not None:
        active = active[in_force(active, now=now, days=days, scored_at=scores_since,
                                 model_version=model_version)]
    chosen = latest_active_overrides(active)
    latest = chosen.set_index("household_id")

    out = scores.copy()
    out["model_tier"] = out["tier"]
    wanted = out["household_id"].map(latest["tier"]).to_numpy(dtype="float64")
    tiers, over = seat_tiers(out["jurisdiction_code"], out["tier"], out["rank"], wanted)
    out["overridden"] = ~np.isnan(wanted)
    out["over_capacity"] = over
    out["tier"] = tiers.astype(np.int16)
    out["overridden_by"] = out["household_id"].map(latest["user_id"])
    out["override_reason"] = out["household_id"].map(latest["reason_code"])
    out["overridden_at"] = out["household_id"].map(latest["created_at"])

    code, _ = pd.factorize(out["jurisdiction_code"])
    order = np.lexsort(
        (out["household_id"].to_numpy(), out["rank"].to_numpy(),
         -out["probability"].to_numpy(np.float64), out["tier"].to_numpy(), code)
    )  # fmt: skip
    cs = code[order]
    starts = np.r_[0, np.flatnonzero(cs[1:] != cs[:-1]) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, cs.size]))
    rank = np.empty(cs.size, dtype=np.int64)
    rank[order] = np.arange(cs.size) - group_start + 1
    out["rank"] = rank
    return out
