"""Step 5: past discovery cycles — the as-is selection, the audit sample, visit outcomes, and
what support does to need.

Cycles run in order, because each changes the next: a supported household's crisis episode
ends, its need falls for a while (``LatentParameters.support_effect`` / ``support_months``) and
its need-driven arrears stop, so the as-is rule does not pick it again for free.

Three outcomes are kept apart: ``unreachable`` is its own process (contact details, housing),
drawn before and independently of need; a reached household is ``supported`` with a probability
rising with its need at the visit, else ``not_eligible``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.generate.columns import vocab_text
from etl.generate.need import need_rows
from etl.generate.world import CYCLE_MONTHS, FIRST_MONTH, N_MONTHS, World
from geodata.vocabulary import CRISIS_SOURCES

OUTCOMES = np.array(["supported", "not_eligible", "unreachable"])
SELECTIONS = np.array(["legacy_rule", "audit_sample"])


def economic_counts(w: World, cycle_month: int, alive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct economic sources, and signal-months, in the 3 months before ``cycle_month``.

    Parameters
    ----------
    w
        The world (its ``signal_arrays``).
    cycle_month
        Index of the cycle month.
    alive
        Signal rows still present (need-driven arrears end when a household is supported).

    Returns
    -------
    tuple of ndarray
        Per household: the count of distinct economic sources and of economic signal-months.
    """
    economic = np.array([s.economic for s in CRISIS_SOURCES])
    hh, src, m = w.signal_arrays
    inwin = alive & economic[src] & (m >= cycle_month - 3) & (m < cycle_month)
    pairs = np.unique(hh[inwin] * 64 + src[inwin])
    sources = np.bincount(pairs // 64, minlength=w.n).astype(np.int16)
    months = np.bincount(hh[inwin], minlength=w.n).astype(np.int16)
    return sources, months


def as_is_selection(rng: np.random.Generator, sources: np.ndarray, months: np.ndarray, share: float) -> np.ndarray:
    """The as-is system's picks: the top ``share`` of households by distinct economic sources.

    Ties are broken by signal-months, then at random; only households with a signal qualify.
    The volume is the same every cycle (the real system selects a fixed number per round).
    """
    budget = round(share * sources.size)
    key = sources.astype(np.float64) + months / 1000.0 + rng.random(sources.size) * 1e-4
    key[sources == 0] = -1.0
    top = np.argpartition(-key, min(budget, sources.size - 1))[:budget]
    return np.sort(top[key[top] > 0])


def supported_probability(w: World, need: np.ndarray) -> np.ndarray:
    """P(supported | reached) at a visit, from the need at the visit."""
    lat = w.spec.latent
    return 1 / (1 + np.exp(-(lat.supported_slope * (need - lat.supported_center))))


def reach_probability(w: World) -> np.ndarray:
    """P(reached) at a visit: lower without a regular home and for young single people."""
    return 1.0 - (0.06 + 0.18 * w.is_nonhousing + 0.05 * (w.htype == "single_young"))


def run_discovery_cycles(w: World) -> None:
    """As-is selections plus a random audit sample at every cycle, with outcomes and effects."""
    rng, spec = w.rng, w.spec
    lat = spec.latent
    hh_all = w.signal_arrays[0]
    alive = np.ones(hh_all.size, dtype=bool)
    reach_p = reach_probability(w)
    parts = []
    for cm in CYCLE_MONTHS:
        sources, months = economic_counts(w, int(cm), alive)
        legacy = as_is_selection(rng, sources, months, lat.selection_share)
        audit = np.setdiff1d(np.flatnonzero(rng.random(w.n) < spec.audit_rate), legacy)
        hh = np.concatenate([legacy, audit])
        selection = np.repeat(SELECTIONS, [legacy.size, audit.size])
        reached = rng.random(hh.size) < reach_p[hh]
        supported = reached & (rng.random(hh.size) < supported_probability(w, w.need[hh, cm]))
        outcome = np.where(~reached, "unreachable", np.where(supported, "supported", "not_eligible"))
        parts.append(pd.DataFrame({"hh": hh, "cycle": cm, "selection": selection,
                                   "count": sources[hh], "outcome": outcome}))  # fmt: skip
        _apply_support(w, hh[supported], int(cm), alive)
    visits = pd.concat(parts, ignore_index=True)
    w.signals = w.signals[alive[w.signal_order]].reset_index(drop=True)  # keeps key order
    w.signal_arrays = tuple(a[alive] for a in w.signal_arrays)
    # the oracle: P(supported | reached) of every household at every cycle, after support
    # effects (need at a cycle month is changed only by support in earlier cycles)
    w.oracle = supported_probability(w, w.need[:, CYCLE_MONTHS]).astype(np.float32)
    w.reach_p = reach_p.astype(np.float32)
    hh = visits["hh"].to_numpy()
    cm = visits["cycle"].to_numpy()
    cycle_date = (FIRST_MONTH + cm).astype("datetime64[D]")
    outcome_date = cycle_date + rng.integers(5, 40, len(hh))
    w.visits = visits
    w.discovery = pd.DataFrame(
        {
            "discovery_id": np.arange(1, len(hh) + 1, dtype=np.int64),
            "household_id": hh.astype(np.int64) + 1,
            "cycle_date": cycle_date.astype("datetime64[ns]"),
            "selection": vocab_text(visits["selection"].to_numpy(), SELECTIONS),
            "legacy_signal_count": visits["count"].to_numpy().astype(np.int16),
            "outcome": vocab_text(visits["outcome"].to_numpy(), OUTCOMES),
            "outcome_date": outcome_date.astype("datetime64[ns]"),
        }
    )


def _apply_support(w: World, households: np.ndarray, cycle_month: int, alive: np.ndarray) -> None:
    """Support ends the episode, lowers need for ``support_months`` and stops its arrears."""
    if households.size == 0:
        return
    lat = w.spec.latent
    after = np.arange(N_MONTHS) > cycle_month
    window = after & (np.arange(N_MONTHS) <= cycle_month + lat.support_months)
    w.in_episode[np.ix_(households, after)] = False
    w.relief[np.ix_(households, window)] = np.maximum(
        w.relief[np.ix_(households, window)], np.float32(lat.support_effect)
    )
    w.need[households] = need_rows(w, households)
    hh, _src, m = w.signal_arrays
    alive &= ~(w.signal_tied & (m > cycle_month) & np.isin(hh, households))
