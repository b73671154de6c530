"""Risk tiers and the human-override rule, in one place for the models and the services.

Tiers (:data:`geodata.vocabulary.TIERS`): 1 긴급, 2 우선, 3 관찰, 4 일반; tiers 1-2 are this
cycle's visits (:data:`HIGH_TIERS`). A worker may move a household to another tier
(``tier_override``): the latest *active* override of a household wins, latest by
``created_at`` and then ``override_id``; the model's own tier is kept beside it.
:func:`latest_active_overrides` picks the overrides that count and :func:`effective_tiers`
applies them. ``models.overrides`` (scoring) and ``services.scores`` (the read model) both use
these two functions.

Overrides expire and respect capacity (issue #9):

* An override is *in force* while it is active (not replaced by a later one; rows are never
  deleted, a replaced override keeps its row with ``active`` false), younger than
  ``Settings.override_days`` (``ATLAS_OVERRIDE_DAYS``, default 60) and made on the current model
  version: an override records the model version of the scores the worker judged
  (``tier_override.model_version``), and scores of a *new model version* end it; re-scoring with
  the same version (new data, same model) does not. Overrides written before the column existed
  (no version) end with any scores written after them. The end is computed
  (:func:`override_ends`), not written, so nothing stored changes when an override lapses;
  :func:`override_status` says why each one ended (replaced, expired, new model).
* :func:`seat_tiers` keeps each tier of a jurisdiction at the size the model's capacity cut gave
  it: overridden households take their seats first and the model-tier households fill the seats
  left in rank order. An override up to tier ``k`` therefore pushes the lowest-ranked model-tier
  household of ``k`` down one tier (and so on down to the tier the overridden household left),
  so the team's visits stay within capacity; an override down frees a seat that the next
  household in rank order takes. When the overrides into a tier outnumber its seats, no model
  household is left in it and the tier is marked over capacity (``over_capacity``) so the team
  sees it, rather than moving a worker's decision.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from geodata.vocabulary import TIERS, codes

__all__ = ["HIGH_TIERS", "OVERRIDE_STATUSES", "TIER_VALUES", "effective_tiers",
           "ended_by_new_scores", "in_force", "latest_active_overrides", "override_days",
           "override_ends", "override_status", "seat_tiers"]

#: Every tier, most urgent first.
TIER_VALUES: Final[tuple[int, ...]] = tuple(int(code) for code in codes(TIERS))
#: Tiers counted as "high" on maps, overviews and supply (this cycle's visits).
HIGH_TIERS: Final[tuple[int, ...]] = (1, 2)


def override_days() -> int:
    """Days an override stays in force (``Settings.override_days`` / ``ATLAS_OVERRIDE_DAYS``)."""
    from geodata.settings import get_settings

    return int(get_settings().override_days)


def _utc(value: object) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def ended_by_new_scores(overrides: pd.DataFrame, *,
                        scored_at: dt.datetime | pd.Timestamp | None,
                        model_version: str | None = None) -> np.ndarray:
    """Whether the current scores end each override: its ``model_version`` differs from the
    current ``model_version``; for a row without a version (or when the current version is not
    given), the current scores were written after it (``scored_at``)."""
    n = len(overrides)
    created = pd.to_datetime(overrides["created_at"], utc=True)
    by_time = (np.zeros(n, dtype=bool) if scored_at is None
               else (created < _utc(scored_at)).to_numpy())
    if model_version is None or "model_version" not in overrides.columns:
        return by_time
    version = overrides["model_version"]
    has = version.notna().to_numpy()
    other = (version.astype("string") != str(model_version)).fillna(True).to_numpy(dtype=bool)
    return np.where(has, other, by_time)


def override_ends(overrides: pd.DataFrame, *, days: int | None = None,
                  scored_at: dt.datetime | pd.Timestamp | None = None,
                  model_version: str | None = None) -> pd.Series:
    """When each override ends (UTC): ``created_at + days``, or when the current scores
    (``scored_at``) ended it (:func:`ended_by_new_scores`; then it has already ended).

    Parameters
    ----------
    overrides : pandas.DataFrame
        ``tier_override`` rows (``created_at``; ``model_version`` when present).
    days : int, optional
        Period in force (default :func:`override_days`).
    scored_at : datetime, optional
        When the current scores were written.
    model_version : str, optional
        The current scores' model version.

    Returns
    -------
    pandas.Series
        UTC timestamps aligned with ``overrides``.
    """
    created = pd.to_datetime(overrides["created_at"], utc=True)
    ends = created + pd.Timedelta(days=override_days() if days is None else int(days))
    ended = ended_by_new_scores(overrides, scored_at=scored_at, model_version=model_version)
    if ended.any():
        stamp = created if scored_at is None else pd.Series(
            _utc(scored_at), index=overrides.index).where(created < _utc(scored_at), created)
        ends = ends.where(~ended, np.minimum(ends, stamp))
    return ends


def in_force(overrides: pd.DataFrame, *, now: dt.datetime | pd.Timestamp,
             days: int | None = None, scored_at: dt.datetime | pd.Timestamp | None = None,
             model_version: str | None = None) -> np.ndarray:
    """Whether each override counts at ``now``: active (when the column exists), not past its
    end and not ended by the current scores (:func:`ended_by_new_scores`)."""
    ok = (override_ends(overrides, days=days, scored_at=scored_at, model_version=model_version)
          > _utc(now)).to_numpy().copy()
    ok &= ~ended_by_new_scores(overrides, scored_at=scored_at, model_version=model_version)
    if "active" in overrides.columns:
        ok &= overrides["active"].astype(bool).to_numpy()
    return ok


#: Why an override no longer counts (:func:`override_status`), or that it still does.
OVERRIDE_STATUSES: Final[tuple[str, ...]] = ("in_force", "replaced", "expired", "new_model")


def override_status(overrides: pd.DataFrame, *, now: dt.datetime | pd.Timestamp,
                    days: int | None = None, scored_at: dt.datetime | pd.Timestamp | None = None,
                    model_version: str | None = None) -> pd.DataFrame:
    """Status and end of every override, replaced ones included (the history view).

    Parameters
    ----------
    overrides : pandas.DataFrame
        ``tier_override`` rows, active and replaced (``household_id``, ``created_at``,
        ``active``; ``override_id`` and ``model_version`` when present).
    now, days, scored_at, model_version
        As for :func:`in_force`.

    Returns
    -------
    pandas.DataFrame
        ``status`` (one of :data:`OVERRIDE_STATUSES`: ``replaced`` by a later override of the
        household, ``new_model`` ended by scores of a new model version, ``expired`` after
        ``days``) and ``ended_at`` (UTC; NaT while in force), aligned with ``overrides``.
    """
    created = pd.to_datetime(overrides["created_at"], utc=True)
    ends = override_ends(overrides, days=days, scored_at=scored_at, model_version=model_version)
    by_scores = ended_by_new_scores(overrides, scored_at=scored_at, model_version=model_version)
    order = pd.DataFrame({"h": overrides["household_id"].to_numpy(), "at": created.to_numpy()},
                         index=overrides.index)
    if "override_id" in overrides.columns:
        order["id"] = overrides["override_id"].to_numpy()
    order = order.sort_values(list(order.columns), kind="stable")
    following = order.groupby("h")["at"].shift(-1).reindex(overrides.index)
    active = (overrides["active"].astype(bool) if "active" in overrides.columns
              else pd.Series(True, index=overrides.index))
    # replaced while it still counted (a later override after its end leaves the end's reason)
    replaced = (~active).to_numpy() & (following.isna() | (following < ends)).to_numpy()
    replaced_at = following.where(pd.Series(replaced, index=overrides.index))
    stamp = _utc(now)
    lapsed = created + pd.Timedelta(days=override_days() if days is None else int(days))
    # ended by the new scores only when they came before its period ran out
    by_scores = by_scores & (ends < lapsed).to_numpy()
    status = np.select(
        [replaced, by_scores, (ends <= stamp).to_numpy()],
        ["replaced", "new_model", "expired"], default="in_force")
    ended_at = pd.Series(pd.NaT, index=overrides.index, dtype="datetime64[ns, UTC]")
    ended_at = ended_at.where(status == "in_force", ends)
    ended_at = ended_at.where(~replaced, replaced_at)
    return pd.DataFrame({"status": status, "ended_at": ended_at}, index=overrides.index)


def seat_tiers(groups: ArrayLike, model_tiers: ArrayLike, ranks: ArrayLike,
               override_tiers: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Effective tiers that keep every tier of a group (jurisdiction) at its model size.

    Parameters
    ----------
    groups : array-like
        Jurisdiction of each household (the unit whose tier sizes are its visit capacity).
    model_tiers, ranks : array-like
        The model's tier and rank of each household (rank within its group, 1 = first).
    override_tiers : array-like
        The in-force override's tier, NaN where the household has none.

    Returns
    -------
    tuple of (numpy.ndarray, numpy.ndarray)
        Effective tiers (int64) and whether the household's tier holds more overridden
        households than it has seats (``over_capacity``, bool).
    """
    model = np.asarray(model_tiers, dtype=np.int64)
    override = np.asarray(override_tiers, dtype="float64")
    rank = np.asarray(ranks, dtype="float64")
    group, _ = pd.factorize(np.asarray(groups))
    n_groups, width = int(group.max(initial=-1)) + 1, max(TIER_VALUES) + 1
    pinned = ~np.isnan(override)
    seats = np.zeros((n_groups, width), dtype=np.int64)
    np.add.at(seats, (group, model), 1)
    taken = np.zeros_like(seats)
    np.add.at(taken, (group[pinned], override[pinned].astype(np.int64)), 1)
    free = np.maximum(seats - taken, 0)
    bounds = np.cumsum(free[:, min(TIER_VALUES):max(TIER_VALUES)], axis=1)  # seats up to 1..3
    rest = np.flatnonzero(~pinned)
    order = rest[np.lexsort((rank[rest], model[rest], group[rest]))]
    in_group = group[order]
    starts = np.r_[0, np.flatnonzero(in_group[1:] != in_group[:-1]) + 1] if order.size else []
    first = np.repeat(starts, np.diff(np.r_[starts, order.size])) if order.size else order
    position = np.arange(order.size) - first
    tiers = model.copy()
    tiers[order] = min(TIER_VALUES) + (position[:, None] >= bounds[in_group]).sum(axis=1)
    tiers[pinned] = override[pinned].astype(np.int64)
    over = (taken > seats)[group, tiers] if n_groups else np.zeros(0, dtype=bool)
    return tiers, over


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
