"""The scores read model: current scores with the effective tier, data versions, overrides.

Every service that shows scores reads them here: :func:`current_scores` (latest model, an
active override wins, via :func:`domain.tiers.effective_tiers`), :func:`scored_households`
(the ranked households of a 읍면동, cached per data version), :func:`data_version` (a cheap key
that changes when scores, overrides or households change) and :func:`active_overrides`.
Service-internal: no access checks here, callers check the viewer first.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Final

import pandas as pd
from sqlalchemy import func, select

from domain.tiers import effective_tiers, latest_active_overrides
from geodata.schema import table
from geodata.store.base import Store

__all__ = [
    "SCORE_COLUMNS",
    "active_overrides",
    "current_scores",
    "data_version",
    "latest_model_version",
    "row_count",
    "scored_households",
    "top_reasons",
]

_VERSION_TTL_S: Final = 30.0
_COUNT_TTL_S: Final = 10.0
_CACHE_LOCK = threading.Lock()
_VERSION_CACHE: dict[tuple[int, int], tuple[float, str | None, str | None]] = {}
_COUNT_CACHE: dict[tuple[int, str], tuple[float, int]] = {}


def row_count(store: Store, name: str) -> int:
    """Rows of bulk table ``name``, as part of cache versions.

    Exact on the embedded store (Arrow metadata of the cached file). On PostGIS a ``count(*)``
    over a million rows costs tens of milliseconds, so the answer is reused for 10 s per store:
    a bulk reload by another process shows in cached views within that time.
    """
    if store.kind == "embedded":
        return store.count(name)
    key = (id(store), name)
    now = time.monotonic()
    with _CACHE_LOCK:
        hit = _COUNT_CACHE.get(key)
    if hit is not None and now - hit[0] < _COUNT_TTL_S:
        return hit[1]
    count = store.count(name)
    with _CACHE_LOCK:
        if len(_COUNT_CACHE) > 256:
            _COUNT_CACHE.clear()
        _COUNT_CACHE[key] = (now, count)
    return count


def _model_version_info(store: Store) -> tuple[str | None, str | None]:
    """``(latest model version, its latest scored_at)``, cached 30 s per store and row count."""
    key = (id(store), row_count(store, "risk_score"))
    now = time.monotonic()
    with _CACHE_LOCK:
        hit = _VERSION_CACHE.get(key)
    if hit is not None and now - hit[0] < _VERSION_TTL_S:
        return hit[1], hit[2]
    if store.kind == "postgis":  # aggregate in the database instead of shipping every row
        tbl = table("risk_score")
        with store.session() as session:
            rows = session.execute(select(tbl.c.model_version, func.max(tbl.c.scored_at))
                                   .group_by(tbl.c.model_version)).all()
        scores = pd.DataFrame(rows, columns=["model_version", "scored_at"])
    else:
        scores = store.read_frame("risk_score", columns=["model_version", "scored_at"])
    version = stamp = None
    if not scores.empty:
        latest = scores.groupby("model_version")["scored_at"].max()
        version, stamp = str(latest.idxmax()), str(latest.max())
    with _CACHE_LOCK:
        if len(_VERSION_CACHE) > 64:
            _VERSION_CACHE.clear()
        _VERSION_CACHE[key] = (now, version, stamp)
    return version, stamp


def latest_model_version(store: Store) -> str | None:
    """The model version scored most recently (``None`` when nothing is scored).

    Reading every score's ``scored_at`` is the costliest part of a view on PostGIS, and model
    versions change only when households are re-scored: the answer is cached for 30 s per store
    and ``risk_score`` row count (see :func:`row_count`).
    """
    return _model_version_info(store)[0]


def data_version(store: Store) -> tuple[object, ...]:
    """A cheap key that changes when scores, overrides or households change: the latest model
    version and its ``scored_at``, the row counts of ``risk_score`` and ``household``
    (:func:`row_count`) and the active overrides (read every time, a small table)."""
    version, stamp = _model_version_info(store)
    overrides = active_overrides(store)
    digest = 0
    if len(overrides):
        digest = int(pd.util.hash_pandas_object(
            overrides[["override_id", "household_id", "tier"]], index=False).sum())
    return (version, stamp, row_count(store, "risk_score"), row_count(store, "household"),
            len(overrides), digest)


def active_overrides(store: Store, household_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """The latest active tier override per household: ``household_id, tier, reason_code, ...``."""
    tbl = table("tier_override")
    stmt = select(tbl).where(tbl.c.active.is_(True))
    if household_ids is not None:
        stmt = stmt.where(tbl.c.household_id.in_([int(h) for h in household_ids]))
    with store.session() as session:
        rows = session.execute(stmt.order_by(tbl.c.created_at, tbl.c.override_id)).mappings().all()
    frame = pd.DataFrame(rows, columns=[c.name for c in tbl.columns])
    return latest_active_overrides(frame).reset_index(drop=True)


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
        The columns asked for plus ``model_tier`` (the model's tier), ``tier`` (effective) and
        ``overridden``.
    """
    cols = list(dict.fromkeys(["household_id", "tier", *(columns or SCORE_COLUMNS)]))
    version = latest_model_version(store)
    if version is None:
        return pd.DataFrame(columns=[*cols, "model_tier", "overridden"])
    scores = store.read_frame("risk_score", columns=cols,
                              where={**(where or {}), "model_version": version})
    scores = scores.rename(columns={"tier": "model_tier"})
    tiers, overridden = effective_tiers(scores["household_id"], scores["model_tier"],
                                        active_overrides(store))
    scores["overridden"] = overridden
    scores["tier"] = tiers
    return scores


def top_reasons(reasons_json: str, *, n: int = 3, lang: str = "ko") -> list[str]:
    """The ``n`` heaviest reasons of a ``risk_score.reasons`` JSON list, as labels."""
    try:
        reasons = json.loads(reasons_json or "[]")
    except (TypeError, json.JSONDecodeError):
        return []
    reasons = sorted(reasons, key=lambda r: -abs(float(r.get("weight", 0))))
    key = "label_ko" if lang == "ko" else "label_en"
    return [str(r.get(key) or r.get("code")) for r in reasons[:n]]


_BASE_CACHE: OrderedDict[tuple[int, str | None], tuple[tuple[object, ...], pd.DataFrame]] = (
    OrderedDict())
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
    key = (id(store), emd_code)
    with _CACHE_LOCK:
        hit = _BASE_CACHE.get(key)
        if hit is not None and hit[0] == version:
            _BASE_CACHE.move_to_end(key)
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
    with _CACHE_LOCK:
        _BASE_CACHE[key] = (version, frame)
        _BASE_CACHE.move_to_end(key)
        while len(_BASE_CACHE) > _BASE_MAX_SCOPES:
            _BASE_CACHE.popitem(last=False)
    return frame
