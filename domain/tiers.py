"""Risk tiers and the human-override rule, in one place for the models and the services.

Tiers (:data:`geodata.vocabulary.TIERS`): 1 긴급, 2 우선, 3 관찰, 4 일반; tiers 1-2 are this
cycle's visits (:data:`HIGH_TIERS`). A worker may move a household to another tier
(``tier_override``): the latest *active* override of a household wins, latest by
``created_at`` and then ``override_id``; the model's own tier is kept beside it.
:func:`latest_active_overrides` picks the overrides that count and :func:`effective_tiers`
applies them. ``models.overrides`` (scoring) and ``services.scores`` (the read model) both use
these two functions.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from geodata.vocabulary import TIERS, codes

__all__ = ["HIGH_TIERS", "TIER_VALUES", "effective_tiers", "latest_active_overrides"]

#: Every tier, most urgent first.
TIER_VALUES: Final[tuple[int, ...]] = tuple(int(code) for code in codes(TIERS))
#: Tiers counted as "high" on maps, overviews and supply (this cycle's visits).
HIGH_TIERS: Final[tuple[int, ...]] = (1, 2)


def latest_active_overrides(overrides: pd.DataFrame) -> pd.DataFrame:
    """The override that counts for each household: its latest active one.

    Parameters
    ----------
    overrides : pandas.DataFrame
        ``tier_override`` rows with at least ``household_id``, ``tier`` and ``created_at``;
        ``active`` (rows with a false value are dropped) and ``override_id`` (the tie-break
        after ``created_at``) are used when present.

    Returns
    -------
    pandas.DataFrame
        One row per household (same columns, unchanged values), ordered by ``created_at``.
    """
    rows = overrides
    if "active" in rows.columns:
        rows = rows[rows["active"].astype(bool)]
    order = pd.DataFrame({"at": pd.to_datetime(rows["created_at"], utc=True)}, index=rows.index)
    if "override_id" in rows.columns:
        order["id"] = rows["override_id"]
    position = order.reset_index(drop=True).sort_values(list(order.columns), kind="stable").index
    latest = rows.iloc[position.to_numpy()]
    return latest.drop_duplicates("household_id", keep="last")


def effective_tiers(household_ids: ArrayLike, model_tiers: ArrayLike, latest: pd.DataFrame
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The effective tier of each household: its override's tier if it has one, else the
    model's.

    Parameters
    ----------
    household_ids, model_tiers : array-like
        Households and their model tiers, aligned.
    latest : pandas.DataFrame
        :func:`latest_active_overrides` (``household_id``, ``tier``).

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray)
        The effective tiers (int64) and whether each household's tier is overridden (bool).
    """
    lookup = pd.Series(latest["tier"].to_numpy(dtype="float64"),
                       index=latest["household_id"].to_numpy())
    hit = pd.Series(np.asarray(household_ids)).map(lookup).to_numpy(dtype="float64")
    overridden = ~np.isnan(hit)
    tiers = np.where(overridden, hit, np.asarray(model_tiers, dtype="float64"))
    return tiers.astype(np.int64), overridden
