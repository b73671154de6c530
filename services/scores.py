"""The scores read model: current scores with the effective tier, data versions, overrides.

Every service that shows scores reads them here: :func:`current_scores` (latest model, an
active override wins, via :func:`domain.tiers.effective_tiers`), :func:`scored_households`
(the ranked households of a 읍면동, cached per data version), :func:`data_version` (a cheap key
that changes when scores, overrides or households change, or an override lapses),
:func:`active_overrides` (every active row) and :func:`overrides_in_force` (the ones that count:
not expired, not older than the scores; :mod:`domain.tiers`). Effective tiers keep each
jurisdiction's tier sizes (:func:`domain.tiers.seat_tiers`): an override up pushes the
lowest-ranked model household of that tier down, the same rule as batch scoring.
Service-internal: no access checks here, callers check the viewer first.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from domain.tiers import in_force, override_days, override_ends, seat_tiers
from geodata.store.base import Store

__all__ = [
    "SCORE_COLUMNS",
    "active_overrides",
    "current_model",
    "current_scores",
    "data_version",
    "has_scores",
    "latest_model_version",
    "national_tier_counts",
    "overrides_in_force",
    "scored_households",
    "top_reasons",
]

def _model_version_info(store: Store) -> tuple[str | None, str | None]:
    """``(latest model version, its latest scored_at)``, cached per store for the current
    ``risk_score`` version (:meth:`~geodata.store.Store.data_version`, exact on both stores)."""
    cache = store.cache.region("scores.model_version", maxsize=4)
    key = store.data_version("risk_score")
    hit = cache.get(key)
    if hit is None:
        versions = store.model_versions()  # newest first
        hit = (None, None) if versions.empty else (str(versions["model_version"].iloc[0]),
                                                   str(versions["scored_at"].iloc[0]))
        cache.put(key, hit)
    return hit


def has_scores(store: Store) -> bool:
    """Whether any household is scored."""
    return _model_version_info(store)[0] is not None


def latest_model_version(store: Store) -> str | None:
    """The model version scored most recently (``None`` when nothing is scored); cached per
    store until ``risk_score`` is written again."""
    return _model_version_info(store)[0]


def data_version(store: Store) -> tuple[object, ...]:
    """A cheap key that changes when scores, overrides or households change: the store's
    version of ``risk_score`` and ``household`` and the active overrides (read every time, a
    small table)."""
    overrides = overrides_in_force(store)
    digest = 0
    if len(overrides):
        digest = int(pd.util.hash_pandas_object(
            overrides[["override_id", "household_id", "tier"]], index=False).sum())
    return (store.data_version("risk_score", "household"), len(overrides), digest)


def active_overrides(store: Store, household_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """The latest active tier override per household (``household_id, tier, reason_code, ...``),
    by household."""
    return store.overrides.active(household_ids)


def overrides_in_force(store: Store, household_ids: Sequence[int] | None = None, *,
                       now: dt.datetime | None = None) -> pd.DataFrame:
    """The active overrides that count at ``now`` (default: now): younger than
    ``Settings.override_days`` and made after the current scores were written, with their
    computed end ``ends_at`` (:func:`domain.tiers.override_ends`). Expired rows stay stored."""
    rows = active_overrides(store, household_ids)
    version, scored_at = _model_version_info(store)
    stamp = None if scored_at is None else pd.Timestamp(scored_at)
    days = override_days()
    if rows.empty:
        return rows.assign(ends_at=pd.Series(dtype="datetime64[ns, UTC]"))
    keep = in_force(rows, now=now or dt.datetime.now(dt.UTC), days=days, scored_at=stamp,
                    model_version=version)
    rows = rows[keep]
    return rows.assign(ends_at=override_ends(rows, days=days, scored_at=stamp,
                                             model_version=version)).reset_index(drop=True)


def current_model(store: Store) -> tuple[str | None, pd.Timestamp | None]:
    """``(model version, scored_at)`` of the current scores (``(None, None)`` before any)."""
    version, scored_at = _model_version_info(store)
    return version, None if scored_at is None else pd.Timestamp(scored_at)


def _seated(store: Store, version: str) -> pd.DataFrame:
    """Effective tiers of every household in a jurisdiction with an override in force
    (``tier, overridden, over_capacity, model_tier`` by ``household_id``), cached per
    :func:`data_version`."""
    key = data_version(store)
    cache = store.cache.region("scores.seated", maxsize=2)
    hit = cache.get(version)
    if hit is not None and hit[0] == key:
        return hit[1]
    overrides = overrides_in_force(store)
    empty = pd.DataFrame({"tier": pd.Series(dtype=np.int64), "overridden": pd.Series(dtype=bool),
                          "over_capacity": pd.Series(dtype=bool),
                          "model_tier": pd.Series(dtype=np.int64)},
                         index=pd.Index([], dtype=np.int64, name="household_id"))
    if overrides.empty:
        cache.put(version, (key, empty))
        return empty
    ids = overrides["household_id"].astype(int).tolist()
    places = store.read_frame("risk_score", columns=["household_id", "jurisdiction_code"],
                              where={"household_id": ids, "model_version": version})
    codes = sorted(set(places["jurisdiction_code"].dropna()))
    if not codes:
        cache.put(version, (key, empty))
        return empty
    rows = store.read_frame("risk_score", columns=["household_id", "tier", "rank",
                                                   "jurisdiction_code"],
                            where={"jurisdiction_code": codes, "model_version": version})
    wanted = rows["household_id"].map(
        overrides.set_index("household_id")["tier"]).to_numpy(dtype="float64")
    tiers, over = seat_tiers(rows["jurisdiction_code"], rows["tier"], rows["rank"], wanted)
    seated = pd.DataFrame({"tier": tiers, "overridden": ~np.isnan(wanted), "over_capacity": over,
                           "model_tier": rows["tier"].to_numpy(np.int64)},
                          index=pd.Index(rows["household_id"].to_numpy(np.int64),
                                         name="household_id"))
    cache.put(version, (key, seated))
    return seated


SCORE_COLUMNS: Final[tuple[str, ...]] = (
    "household_id", "model_version", "scored_at", "probability", "tier", "rank",
    "jurisdiction_code", "reasons")


def current_scores(store: Store, *, where: dict[str, object] | None = None,
                   columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Scores of the latest model with the effective tier (an active override wins).

    Parameters
    ----------
    store
        The store.
    where
        Filter on ``risk_score`` columns (e.g. ``{"household_id": [...]}``).
    columns
        ``risk_score`` columns to read (default all); ``household_id`` and ``tier`` are always
        read. Reading fewer columns (no ``reasons``) is much faster for aggregates.

    Returns
    -------
    pandas.DataFrame
        The columns asked for plus ``model_tier`` (the model's tier), ``tier`` (effective,
        within the jurisdiction's tier sizes), ``overridden`` and ``over_capacity`` (the tier
        holds more overrides than it has seats).
    """
    cols = list(dict.fromkeys(["household_id", "tier", *(columns or SCORE_COLUMNS)]))
    version = latest_model_version(store)
    if version is None:
        return pd.DataFrame(columns=[*cols, "model_tier", "overridden", "over_capacity"])
    scores = store.read_frame("risk_score", columns=cols,
                              where={**(where or {}), "model_version": version})
    scores = scores.rename(columns={"tier": "model_tier"})
    seated = _seated(store, version)
    hit = seated.reindex(scores["household_id"].to_numpy(np.int64))
    found = hit["tier"].notna().to_numpy()
    scores["tier"] = np.where(found, hit["tier"].to_numpy(dtype="float64"),
                              scores["model_tier"].to_numpy(dtype="float64")).astype(np.int64)
    scores["overridden"] = hit["overridden"].eq(True).to_numpy()
    scores["over_capacity"] = hit["over_capacity"].eq(True).to_numpy()
    return scores


def national_tier_counts(store: Store) -> pd.Series:
    """Households of the latest model per effective tier, the whole country (``tier`` index,
    int64 counts): what ``current_scores(store)["tier"].value_counts()`` gives, counted by the
    store (:meth:`~geodata.store.Store.group_counts`) instead of reading every score.

    The model's tier counts are corrected for the jurisdictions with an override in force
    (their seated tiers replace their model tiers); empty before any scores.
    """
    version = latest_model_version(store)
    if version is None:
        return pd.Series(dtype=np.int64, index=pd.Index([], dtype=np.int64, name="tier"))
    counts = store.group_counts("risk_score", ["tier"], where={"model_version": version})
    model = counts.set_index("tier")["rows"]
    seated = _seated(store, version)
    if len(seated):
        model = model.sub(seated["model_tier"].value_counts(), fill_value=0).add(
            seated["tier"].value_counts(), fill_value=0)
    model = model[model > 0].astype(np.int64)
    model.index = model.index.astype(np.int64).rename("tier")
    return model.sort_index()


def top_reasons(reasons_json: str, *, n: int = 3, lang: str = "ko") -> list[str]:
    """The ``n`` heaviest reasons of a ``risk_score.reasons`` JSON list, as labels."""
    try:
        reasons = json.loads(reasons_json or "[]")
    except (TypeError, json.JSONDecodeError):
        return []
    reasons = sorted(reasons, key=lambda r: -abs(float(r.get("weight", 0))))
    key = "label_ko" if lang == "ko" else "label_en"
    return [str(r.get(key) or r.get("code")) for r in reasons[:n]]


_BASE_MAX_SCOPES: Final = 64


def scored_households(store: Store, emd_code: str | None = None) -> pd.DataFrame:
    """Scored households of a 읍면동 (``None``: the whole country) in visit-list order.

    Service-internal (no access check: callers check the viewer first). Columns
    ``household_id, probability, tier`` (effective), ``model_tier, rank, model_version,
    overridden, emd_code, household_type``, sorted by tier, rank and falling probability.
    Cached per store and scope, one entry per scope for the current :func:`data_version` (so a
    national list reads and sorts the million scores once per data change, not per view); at
    most 64 scopes. The frame is shared: do not modify it.
    """
    version = data_version(store)
    cache = store.cache.region("scores.scored_households", maxsize=_BASE_MAX_SCOPES)
    hit = cache.get(emd_code)
    if hit is not None and hit[0] == version:
        return hit[1]
    where = None if emd_code is None else {"emd_code": emd_code}
    hh = store.read_frame("household", columns=["household_id", "emd_code", "household_type"],
                          where=where)
    scores = current_scores(store, where=None if emd_code is None else
                            {"household_id": hh["household_id"].tolist() or [-1]},
                            columns=["household_id", "probability", "tier", "rank",
                                     "model_version"])
    frame = scores.merge(hh, on="household_id", how="inner")
    frame = frame.sort_values(["tier", "rank", "probability"], ascending=[True, True, False],
                              kind="stable").reset_index(drop=True)
    cache.put(emd_code, (version, frame))
    return frame
