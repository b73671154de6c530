"""Step 5: past discovery cycles (legacy-rule selections and the audit sample) and outcomes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.generate.columns import vocab_text
from etl.generate.world import CYCLE_MONTHS, FIRST_MONTH, World
from geodata.vocabulary import CRISIS_SOURCES


def economic_counts(w: World) -> np.ndarray:
    """Distinct economic sources with a signal in the 3 months before each cycle month."""
    economic = np.array([s.economic for s in CRISIS_SOURCES])
    hh, src, m = w.signal_arrays
    keep = economic[src]
    hh, src, m = hh[keep], src[keep], m[keep]
    counts = np.zeros((len(CYCLE_MONTHS), w.n), dtype=np.int16)
    for c, cm in enumerate(CYCLE_MONTHS):  # 12 cycles
        inwin = (m >= cm - 3) & (m < cm)
        pairs = np.unique(hh[inwin] * 64 + src[inwin])
        counts[c] += np.bincount(pairs // 64, minlength=w.n).astype(np.int16)
    return counts



def run_discovery_cycles(w: World) -> None:
    """Legacy-rule selections plus a random audit sample at every cycle, with outcomes."""
    rng, spec = w.rng, w.spec
    counts = economic_counts(w)
    rows = []
    for c, cm in enumerate(CYCLE_MONTHS):
        legacy = np.flatnonzero(counts[c] >= spec.legacy_threshold)
        audit = np.flatnonzero(rng.random(w.n) < spec.audit_rate)
        audit = np.setdiff1d(audit, legacy)
        for sel, hh in (("legacy_rule", legacy), ("audit_sample", audit)):
            rows.append(pd.DataFrame({"hh": hh, "cycle": cm, "selection": sel, "count": counts[c, hh]}))
    visits = pd.concat(rows, ignore_index=True)
    hh = visits["hh"].to_numpy()
    cm = visits["cycle"].to_numpy()
    need_now = w.need[hh, cm]
    unreachable_p = 0.06 + 0.18 * w.is_nonhousing[hh] + 0.05 * (w.htype[hh] == "single_young")
    supported_p = 1 / (1 + np.exp(-(9.0 * (need_now - 0.42))))
    u = rng.random(len(hh))
    outcome = np.where(
        u < unreachable_p, "unreachable",
        np.where(rng.random(len(hh)) < supported_p, "supported", "not_eligible"),
    )
    cycle_date = (FIRST_MONTH + cm).astype("datetime64[D]")
    outcome_date = cycle_date + rng.integers(5, 40, len(hh))
    w.visits = visits
    w.discovery = pd.DataFrame(
        {
            "discovery_id": np.arange(1, len(hh) + 1, dtype=np.int64),
            "household_id": hh.astype(np.int64) + 1,
            "cycle_date": cycle_date.astype("datetime64[ns]"),
            "selection": vocab_text(visits["selection"].to_numpy(), np.array(["legacy_rule", "audit_sample"])),
            "legacy_signal_count": visits["count"].to_numpy().astype(np.int16),
            "outcome": vocab_text(outcome, np.array(["supported", "not_eligible", "unreachable"])),
            "outcome_date": outcome_date.astype("datetime64[ns]"),
        }
    )

