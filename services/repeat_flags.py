"""Repeated flags without help: how often a household was flagged, visited and not helped.

The deaths after three to eight repeated flags in 성남 and 수원 are why the visit list and the
case page show, for each household:

``times_flagged``
    Past discovery cycles that selected the household (``discovery_history`` rows, whether by
    the legacy rule or the audit sample).
``visited_not_helped``
    Visits that ended without support: discovery outcomes other than ``supported``
    (``not_eligible``, ``unreachable``) plus logged home visits (``visit_activity`` of kind
    ``visit``) whose outcome is not a support outcome (:data:`SUPPORT_ACTIVITY_OUTCOMES`);
    visits still ``in_progress`` are not counted.
``ever_supported``
    Any support outcome (discovery ``supported``, a support activity outcome) or any
    ``support`` row.

The counts over the bulk histories are one vectorised groupby per scope, cached per store for
the tables' :meth:`~geodata.store.Store.data_version`; logged visits (an operational table,
written row by row) are read for the scope every time and added. Service-internal: callers
check the viewer first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from geodata.store.base import Store

__all__ = [
    "FLAG_COLUMNS",
    "REPEAT_FLAG_MIN",
    "SUPPORT_ACTIVITY_OUTCOMES",
    "count_flags",
    "flag_counts",
    "repeat_unhelped",
]

#: Activity outcomes that count as help given (the others are "visited, not helped").
SUPPORT_ACTIVITY_OUTCOMES: Final[frozenset[str]] = frozenset(
    {"public_support", "private_support", "emergency_support", "service_referral"})
#: Activity outcomes of a visit not yet concluded (neither helped nor not helped).
_OPEN_OUTCOMES: Final[frozenset[str]] = frozenset({"in_progress"})
#: "Flagged at least this often, never supported" (the visit-list filter).
REPEAT_FLAG_MIN: Final = 2
FLAG_COLUMNS: Final[tuple[str, ...]] = (
    "household_id", "times_flagged", "visited_not_helped", "ever_supported")
_MAX_SCOPES: Final = 64


def count_flags(household_ids: Sequence[int] | np.ndarray, discovery: pd.DataFrame,
                visits: pd.DataFrame, supports: pd.DataFrame) -> pd.DataFrame:
    """Flag, unhelped-visit and support counts per household (one groupby per source).

    Parameters
    ----------
    household_ids
        The households to report (every one gets a row, zeros when it has no history).
    discovery
        ``discovery_history`` rows (``household_id, outcome``).
    visits
        ``visit_activity`` rows of kind ``visit`` (``household_id, outcome_code``).
    supports
        ``support`` rows (``household_id``).

    Returns
    -------
    pandas.DataFrame
        :data:`FLAG_COLUMNS`, one row per household in the order given; counts int64.
    """
    ids = pd.Index(np.asarray(household_ids, dtype=np.int64), name="household_id")
    disc = pd.DataFrame({"household_id": discovery["household_id"].to_numpy(np.int64),
                         "flag": 1,
                         "unhelped": (discovery["outcome"] != "supported").to_numpy(np.int64),
                         "helped": (discovery["outcome"] == "supported").to_numpy(np.int64)})
    outcome = visits["outcome_code"]
    logged = pd.DataFrame({
        "household_id": visits["household_id"].to_numpy(np.int64), "flag": 0,
        "unhelped": (~outcome.isin(SUPPORT_ACTIVITY_OUTCOMES | _OPEN_OUTCOMES)).to_numpy(np.int64),
        "helped": outcome.isin(SUPPORT_ACTIVITY_OUTCOMES).to_numpy(np.int64)})
    given = pd.DataFrame({"household_id": supports["household_id"].to_numpy(np.int64),
                          "flag": 0, "unhelped": 0, "helped": 1})
    rows = pd.concat([disc, logged, given], ignore_index=True)
    sums = rows.groupby("household_id")[["flag", "unhelped", "helped"]].sum()
    sums = sums.reindex(ids, fill_value=0)
    return pd.DataFrame({"household_id": ids.to_numpy(),
                         "times_flagged": sums["flag"].to_numpy(np.int64),
                         "visited_not_helped": sums["unhelped"].to_numpy(np.int64),
                         "ever_supported": sums["helped"].to_numpy() > 0})


def flag_counts(store: Store, household_ids: Sequence[int] | np.ndarray, *,
                scope: str | None = None) -> pd.DataFrame:
    """:func:`count_flags` for households of the store (bulk part cached per data version).

    Parameters
    ----------
    store
        The store.
    household_ids
        Households to report, all inside ``scope``.
    scope
        Cache key of the set of households (a 읍면동 code, ``"national"``); ``None``: no cache
        (for a single case).

    Returns
    -------
    pandas.DataFrame
        :data:`FLAG_COLUMNS` in the order of ``household_ids``.
    """
    ids = np.asarray(household_ids, dtype=np.int64)
    where = {"household_id": ids.tolist() or [-1]} if len(ids) <= 5000 else None
    version = store.data_version("discovery_history", "support")
    cache = store.cache.region("repeat_flags.bulk", maxsize=_MAX_SCOPES)
    hit = cache.get(scope) if scope is not None else None
    if hit is not None and hit[0] == version and hit[1].index.isin(ids).sum() == len(set(ids)):
        bulk = hit[1]
    else:
        disc = store.read_frame("discovery_history", columns=["household_id", "outcome"],
                                where=where)
        given = store.read_frame("support", columns=["household_id"], where=where)
        if where is None:
            keep = set(ids.tolist())
            disc = disc[disc["household_id"].isin(keep)]
            given = given[given["household_id"].isin(keep)]
        bulk = count_flags(ids, disc, _no_visits(), given).set_index("household_id")
        if scope is not None:
            cache.put(scope, (version, bulk))
    out = bulk.reindex(ids).copy()
    visits = store.activities.frame(household_ids=ids.tolist() if len(ids) <= 5000 else None,
                                    kind="visit")
    if len(visits):
        live = count_flags(ids, pd.DataFrame({"household_id": [], "outcome": []}), visits,
                           pd.DataFrame({"household_id": []})).set_index("household_id")
        out["visited_not_helped"] += live["visited_not_helped"].to_numpy()
        out["ever_supported"] |= live["ever_supported"].to_numpy()
    return out.reset_index()


def repeat_unhelped(counts: pd.DataFrame, *, min_flags: int = REPEAT_FLAG_MIN) -> pd.Series:
    """Households flagged at least ``min_flags`` times and never supported (bool mask)."""
    return (counts["times_flagged"] >= min_flags) & ~counts["ever_supported"].astype(bool)


def _no_visits() -> pd.DataFrame:
    return pd.DataFrame({"household_id": pd.Series([], dtype=np.int64),
                         "outcome_code": pd.Series([], dtype=object)})
