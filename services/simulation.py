"""지자체별 시뮬레이션: what a change of discovery criteria does to the tiers, the visits and
the expected precision, for a planner's own 시군구 or, for the ministry, the country or a 시군구.

A run (:func:`run_simulation`) reads the scores read model (effective tiers, overrides in
force), the household traits and recent financial-delinquency signals of the scope, applies
the criteria rule of :mod:`models.criteria` and returns aggregates only:

* the tier-transition matrix (current effective tier → scenario tier);
* per region (읍면동 of a 시군구; 시군구 of the country): households moving into and out of
  tiers 1–2 and the net change (the map);
* per 읍면동 team: its capacity (visits per cycle, scaled to the world) against the visits the
  current and the scenario criteria need;
* the expected precision at capacity on the model's audit test rows of the scope, current vs
  scenario, with paired-bootstrap intervals (:mod:`models.criteria_audit`).

Counts below the minimum cell size are suppressed (:mod:`domain.disclosure`) for everyone but
administrators. Every run, save and refusal is audited. Scenarios are saved with a name, owner,
scope and date (``store.scenarios``) and may be compared side by side (:func:`compare_scenarios`).
The household part of a run (traits, scores, signals of the scope) is cached per scores data
version and scope, so changing the criteria re-runs only the rule.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from domain.access import Viewer
from domain.disclosure import is_small, min_cell_count, suppress_small_cells
from domain.errors import AccessDenied, InputError
from domain.roles import PLANNING_ROLES, Role
from domain.tiers import HIGH_TIERS
from geodata.settings import get_settings
from geodata.store.base import Store, StoreInputError
from models.criteria import (
    CriteriaError,
    CriteriaSpec,
    criteria_signals,
    scenario_tiers,
    transition_matrix,
)
from models.criteria_audit import AuditRows, PrecisionChange, audit_rows, precision_change
from models.tiers import PoolPlan, capacity_by_emd, pool_plan
from services.audit import audit
from services.scores import current_scores, data_version, latest_model_version, overrides_in_force

__all__ = [
    "SimulationInputError",
    "SimulationResult",
    "compare_scenarios",
    "list_scenarios",
    "run_simulation",
    "save_scenario",
    "scenario_spec",
    "warm_simulation",
]

log = logging.getLogger(__name__)

HOUSEHOLD_COLUMNS: Final = ("household_id", "emd_code", "sigungu_code", "sido_code", "size",
                            "head_age", "n_elderly", "n_disabled", "housing_type")
REGION_COUNTS: Final = ("households", "into_high", "out_of_high", "visits_current", "visits_scenario")
TEAM_COUNTS: Final = ("households", "visits_current", "visits_scenario")
MAX_COMPARED: Final = 4
_FINANCIAL_MONTHS: Final = 4  # months of signals kept for the read model (the rule reads 3)


class SimulationInputError(InputError):
    """Bad criteria, scope, scenario name or id (the message says which, in Korean and English)."""


@dataclass(frozen=True)
class SimulationResult:
    """Aggregates of one criteria scenario over a scope (suppressed for non-administrators)."""

    scope_code: str | None  # 시군구 code, None for the country
    spec: CriteriaSpec
    households: int
    moved: int | None  # households whose tier changes (None: suppressed)
    visits_current: int | None
    visits_scenario: int | None
    transitions: pd.DataFrame  # index current tier, columns scenario tier "1".."4", + suppressed
    by_region: pd.DataFrame  # index region code: REGION_COUNTS, net_high, suppressed
    teams: pd.DataFrame  # index 읍면동 code: TEAM_COUNTS, capacity, over_capacity, suppressed
    precision: PrecisionChange | None
    precision_note: str | None  # why there is no precision estimate
    region_level: str  # "emd" or "sigungu"


def _problem(ko: str, en: str) -> str:
    return f"{ko} / {en}"


def _check_role(store: Store, viewer: Viewer, action: str) -> None:
    if viewer.role not in PLANNING_ROLES:
        audit(store, viewer, action=action, allowed=False,
              detail=f"role '{viewer.role}' may not use the simulation")
        raise AccessDenied("the simulation is for planners, the ministry and administrators")


def _scope(store: Store, viewer: Viewer, sigungu_code: str | None, action: str) -> str | None:
    """The 시군구 the viewer simulates (``None``: the country); refusals are audited."""
    if viewer.role == Role.PLANNER:
        own = viewer.jurisdiction_code
        if sigungu_code not in (None, "", own):
            audit(store, viewer, action=action, allowed=False, object_type="region",
                  object_id=str(sigungu_code)[:64], detail="outside jurisdiction")
            raise AccessDenied(f"{sigungu_code} is outside your jurisdiction")
        return own
    if sigungu_code in (None, ""):
        return None
    code = str(sigungu_code)
    if not (code.isdigit() and len(code) == 5):
        raise SimulationInputError(_problem(f"시군구 코드는 5자리 숫자여야 합니다 ({code!r})",
                                            f"a 시군구 code has 5 digits (got {code!r})"))
    return code


# --------------------------------------------------------------------------- the household part
def _pool_plan(store: Store) -> tuple[PoolPlan, pd.DataFrame]:
    """The pools the model's tiers are cut in for the whole world, and the ``region`` columns
    capacity reads (cached per household and region data version)."""
    key = store.data_version("household", "region")
    cache = store.cache.region("simulation.pool_plan", maxsize=2)

    def compute() -> tuple[PoolPlan, pd.DataFrame]:
        region = store.read_frame("region", columns=["code", "households", "welfare_teams"])
        places = store.read_frame("household", columns=["emd_code", "sigungu_code"])
        return pool_plan(capacity_by_emd(places, region), region), region

    return cache.get_or_compute(key, compute)


def _recent_financial(store: Store, as_of: dt.date) -> pd.DataFrame:
    """Financial-delinquency signals of the months the rule reads (cached per signal version)."""
    key = (store.data_version("crisis_signal"), as_of)
    cache = store.cache.region("simulation.financial", maxsize=2)

    def compute() -> pd.DataFrame:
        rows = store.read_frame("crisis_signal", columns=["household_id", "month", "value"],
                                where={"source": "financial_delinquency"})
        start = pd.Timestamp(as_of) - pd.DateOffset(months=_FINANCIAL_MONTHS)
        return rows[pd.to_datetime(rows["month"]) >= start].reset_index(drop=True)

    return cache.get_or_compute(key, compute)


@dataclass(frozen=True)
class _Base:
    frame: pd.DataFrame  # households of the pools around the scope, with scores
    in_scope: np.ndarray
    financial: pd.DataFrame
    region: pd.DataFrame
    pools: PoolPlan
    as_of: dt.date


def _base(store: Store, scope: str | None) -> _Base:
    """Households, effective tiers and signal inputs of the pools that hold ``scope``."""
    version = latest_model_version(store)
    if version is None:
        raise SimulationInputError(_problem("점수가 아직 없습니다: 먼저 `atlas score`를 실행하세요",
                                            "nothing is scored yet: run `atlas score` first"))
    key = (data_version(store), store.data_version("crisis_signal", "region"), scope)
    cache = store.cache.region("simulation.base", maxsize=8)
    hit = cache.get(key)
    if hit is not None:
        return hit
    pools, region = _pool_plan(store)
    where: dict[str, object] = {}  # whole pools around the scope
    if scope is not None and pools.width in (None, 5):
        where = {"sigungu_code": scope}
    elif scope is not None and pools.width == 2:
        where = {"sido_code": scope[:2]}
    hh = store.read_frame("household", columns=list(HOUSEHOLD_COLUMNS), where=where or None)
    score_where = None
    if where:
        score_where = {"jurisdiction_code": sorted(hh["emd_code"].astype(str).unique()) or ["-"]}
    scores = current_scores(store, where=score_where,
                            columns=["household_id", "probability", "tier", "rank", "scored_at"])
    frame = hh.merge(scores[["household_id", "probability", "tier", "rank", "scored_at"]],
                     on="household_id", how="inner")
    overrides = overrides_in_force(store)
    frame["override_tier"] = frame["household_id"].map(
        overrides.set_index("household_id")["tier"]).astype("float64") if len(overrides) else np.nan
    stamps = pd.to_datetime(frame["scored_at"], utc=True)
    as_of = (stamps.max() if len(frame) else pd.Timestamp.now(tz="UTC")).date()
    frame = frame.drop(columns="scored_at")
    in_scope = (np.ones(len(frame), dtype=bool) if scope is None
                else frame["sigungu_code"].astype(str).eq(scope).to_numpy())
    if not in_scope.any():
        raise SimulationInputError(_problem(f"{scope}에 점수가 매겨진 가구가 없습니다",
                                            f"no scored households in {scope}"))
    base = _Base(frame, in_scope, _recent_financial(store, as_of), region, pools, as_of)
    cache.put(key, base)
    return base


# --------------------------------------------------------------------------- audit-sample part
def _audit_inputs(store: Store, models_dir: Path | None
                  ) -> tuple[AuditRows, pd.DataFrame, pd.DataFrame] | str:
    """The deployed model's audit test rows with their households and financial signals, or
    the reason there are none (cached per model version and registry)."""
    version = latest_model_version(store)
    models_dir = Path(models_dir or get_settings().models_dir)
    cache = store.cache.region("simulation.audit_rows", maxsize=2)
    key = (version, str(models_dir), store.data_version("household", "crisis_signal"))
    hit = cache.get(key)
    if hit is not None:
        return hit
    from models.registry import RegistryError, load_model

    try:
        artifact = load_model(version, models_dir=models_dir)
    except (RegistryError, OSError, ValueError) as err:
        log.info("simulation: no artefact for %s (%s)", version, err)
        out: tuple[AuditRows, pd.DataFrame, pd.DataFrame] | str = "no_artifact"
    else:
        rows = audit_rows(artifact.evaluation, artifact.kind)
        if rows is None:
            out = "no_audit_rows"
        else:
            ids = sorted(set(rows.household_id.tolist()))
            hh = store.read_frame("household", columns=list(HOUSEHOLD_COLUMNS),
                                  where={"household_id": ids})
            known = np.isin(rows.household_id, hh["household_id"].to_numpy())
            rows = rows.subset(known)
            fin = store.read_frame("crisis_signal", columns=["household_id", "month", "value"],
                                   where={"household_id": ids, "source": "financial_delinquency"})
            out = (rows, hh, fin) if len(rows) else "no_audit_rows"
    cache.put(key, out)
    return out


def _precision(store: Store, viewer: Viewer, spec: CriteriaSpec, scope: str | None,
               q_current: float, q_scenario: float, models_dir: Path | None
               ) -> tuple[PrecisionChange | None, str | None]:
    inputs = _audit_inputs(store, models_dir)
    if isinstance(inputs, str):
        return None, inputs
    rows, hh, fin = inputs
    if scope is not None:
        sgg = hh.set_index("household_id")["sigungu_code"].astype(str)
        rows = rows.subset(sgg.reindex(rows.household_id).eq(scope).to_numpy())
    if viewer.role != Role.ADMIN and len(rows) < min_cell_count():
        return None, "too_few_audit_rows"
    result = precision_change(rows, hh, fin, spec, capacity_current=q_current,
                              capacity_scenario=q_scenario)
    if result is None:
        return None, "no_supported_rows"
    if viewer.role != Role.ADMIN and min(result.effective_rows_current,
                                         result.effective_rows_scenario) < min_cell_count():
        return None, "too_few_audit_rows"  # a share of a handful of sampled households
    return result, None


def warm_simulation(store: Store, *, models_dir: Path | None = None) -> None:
    """Fill the caches every first run needs: the world's pool plan and the deployed model's
    audit rows (the server's warm-up calls it, so the first planner does not wait for them)."""
    if latest_model_version(store) is None:
        return
    _pool_plan(store)
    _audit_inputs(store, models_dir)


# --------------------------------------------------------------------------- runs
def _aggregates(base: _Base, spec: CriteriaSpec) -> dict[str, Any]:
    out = scenario_tiers(base.frame, criteria_signals(
        base.frame, base.financial, as_of=base.as_of, financial_cap_krw=spec.financial_cap_krw),
        spec, region=base.region, pools=base.pools)
    scope = base.in_scope
    f = base.frame.loc[scope]
    now = f["tier"].to_numpy(np.int64)
    new = out["tier"].to_numpy(np.int64)[scope]
    high_now, high_new = np.isin(now, HIGH_TIERS), np.isin(new, HIGH_TIERS)
    parts = pd.DataFrame({"emd": f["emd_code"].astype(str).to_numpy(),
                          "sgg": f["sigungu_code"].astype(str).to_numpy(), "households": 1,
                          "into_high": (~high_now & high_new).astype(int),
                          "out_of_high": (high_now & ~high_new).astype(int),
                          "visits_current": high_now.astype(int),
                          "visits_scenario": high_new.astype(int),
                          "capacity": out["capacity"].to_numpy()[scope]})
    teams = parts.groupby("emd").agg(**{c: (c, "sum") for c in TEAM_COUNTS},
                                     capacity=("capacity", "first"))
    teams["over_capacity"] = teams["visits_scenario"] > np.ceil(teams["capacity"] - 1e-9)
    return {"matrix": transition_matrix(now, new), "parts": parts, "teams": teams,
            "households": int(scope.sum()), "moved": int((now != new).sum()),
            "visits_current": int(high_now.sum()), "visits_scenario": int(high_new.sum())}


def run_simulation(store: Store, viewer: Viewer, spec: CriteriaSpec | Mapping[str, Any], *,
                   sigungu_code: str | None = None, scenario_id: int | None = None,
                   purpose: str = "simulation", models_dir: Path | None = None) -> SimulationResult:
    """Run ``spec`` over the viewer's scope and return its suppressed aggregates (audited).

    Parameters
    ----------
    store, viewer
        The store and the acting user (planner: own 시군구; ministry/admin: the country or
        ``sigungu_code``).
    spec
        A :class:`models.criteria.CriteriaSpec` or its dict form (validated).
    sigungu_code
        The 시군구 to simulate (ministry and admin; planners may only name their own).
    scenario_id
        The saved scenario being run (for the audit row).
    models_dir
        The model registry (default ``get_settings().models_dir``): the deployed model's
        artefact holds the audit test rows.

    Raises
    ------
    AccessDenied
        Roles other than planner, ministry and admin, or a planner naming another 시군구 (audited).
    SimulationInputError
        Bad criteria or scope, or nothing scored.
    """
    _check_role(store, viewer, "run_simulation")
    scope = _scope(store, viewer, sigungu_code, "run_simulation")
    criteria = _spec(spec)
    _check_capacity_codes(store, viewer, criteria, scope)
    base = _base(store, scope)
    agg = _aggregates(base, criteria)
    n = agg["households"]
    precision, note = _precision(store, viewer, criteria, scope, agg["visits_current"] / max(n, 1),
                                 agg["visits_scenario"] / max(n, 1), models_dir)
    admin = viewer.role == Role.ADMIN
    level = "sigungu" if scope is None else "emd"
    key = "sgg" if scope is None else "emd"
    by_region = agg["parts"].groupby(key)[list(REGION_COUNTS)].sum()
    by_region["net_high"] = by_region["into_high"] - by_region["out_of_high"]
    by_region.index.name = "code"
    matrix = agg["matrix"].copy()
    matrix.columns = [str(c) for c in matrix.columns]
    shown_matrix = suppress_small_cells(matrix, count_cols=list(matrix.columns), row_total=True,
                                        exempt=list(matrix.index) if admin else ())
    shown_region = suppress_small_cells(by_region, count_cols=list(REGION_COUNTS),
                                        derived_cols=["net_high"], whole_row=True,
                                        exempt=list(by_region.index) if admin else ())
    shown_teams = suppress_small_cells(agg["teams"], count_cols=list(TEAM_COUNTS),
                                       derived_cols=["over_capacity"], whole_row=True,
                                       exempt=list(agg["teams"].index) if admin else ())

    def headline(count: int) -> int | None:
        return None if (not admin and is_small(count)) else count

    audit(store, viewer, action="run_simulation", object_type="simulation",
          object_id="adhoc" if scenario_id is None else str(scenario_id), purpose=purpose,
          detail=json.dumps({"scope": scope or "national", "spec": criteria.to_dict()},
                            ensure_ascii=False))
    return SimulationResult(scope, criteria, n, headline(agg["moved"]),
                            headline(agg["visits_current"]), headline(agg["visits_scenario"]),
                            shown_matrix, shown_region, shown_teams, precision, note, level)


def _spec(spec: CriteriaSpec | Mapping[str, Any]) -> CriteriaSpec:
    if isinstance(spec, CriteriaSpec):
        return spec
    try:
        return CriteriaSpec.from_dict(spec)
    except CriteriaError as err:
        raise SimulationInputError(str(err)) from err


def _check_capacity_codes(store: Store, viewer: Viewer, spec: CriteriaSpec,
                          scope: str | None) -> None:
    """Capacity may be changed only for teams inside the scope."""
    if scope is None:
        return
    outside = sorted(c for c in spec.capacity_by_code if not str(c).startswith(scope))
    if outside:
        raise SimulationInputError(_problem(f"범위({scope}) 밖의 지역 코드: {outside}",
                                            f"region codes outside the scope {scope}: {outside}"))


# --------------------------------------------------------------------------- saved scenarios
def save_scenario(store: Store, viewer: Viewer, name: str, spec: CriteriaSpec | Mapping[str, Any],
                  *, sigungu_code: str | None = None) -> int:
    """Save ``spec`` under ``name`` for the viewer's scope (audited); return its id.

    Raises
    ------
    AccessDenied
        As :func:`run_simulation`.
    SimulationInputError
        An empty or over-long name, a name the viewer used before, or bad criteria.
    """
    _check_role(store, viewer, "save_scenario")
    scope = _scope(store, viewer, sigungu_code, "save_scenario")
    criteria = _spec(spec)
    _check_capacity_codes(store, viewer, criteria, scope)
    label = (name or "").strip()
    if not label or len(label) > 80:
        raise SimulationInputError(_problem("시나리오 이름은 1~80자여야 합니다",
                                            "a scenario name has 1 to 80 characters"))
    if viewer.user_id is None:
        raise AccessDenied("only a logged-in user may save a scenario")
    try:
        scenario_id = store.scenarios.add(
            name=label, owner_user_id=int(viewer.user_id), owner_username=viewer.username,
            jurisdiction_code=scope, spec=json.dumps(criteria.to_dict(), ensure_ascii=False))
    except StoreInputError as err:
        raise SimulationInputError(_problem(f"이미 같은 이름의 시나리오가 있습니다: {label}",
                                            f"you already have a scenario named {label!r}")) from err
    audit(store, viewer, action="save_scenario", object_type="simulation",
          object_id=str(scenario_id), detail=json.dumps({"name": label, "scope": scope or "national"},
                                                        ensure_ascii=False))
    return scenario_id


def list_scenarios(store: Store, viewer: Viewer) -> pd.DataFrame:
    """Saved scenarios the viewer may open (``scenario_id, name, owner_username,
    jurisdiction_code, created_at``): a planner's 시군구; everything for the ministry and
    administrators. Newest first."""
    _check_role(store, viewer, "list_scenarios")
    codes = [viewer.jurisdiction_code] if viewer.role == Role.PLANNER else None
    frame = store.scenarios.frame(jurisdiction_codes=codes)
    cols = ["scenario_id", "name", "owner_username", "jurisdiction_code", "created_at"]
    return frame[cols].sort_values("scenario_id", ascending=False).reset_index(drop=True)


def scenario_spec(store: Store, viewer: Viewer, scenario_id: int) -> tuple[str, str | None, CriteriaSpec]:
    """``(name, scope, spec)`` of a saved scenario the viewer may open.

    Raises
    ------
    AccessDenied
        Unknown scenario or another 시군구's (same message; audited).
    """
    _check_role(store, viewer, "open_scenario")
    try:
        sid = int(scenario_id)
    except (TypeError, ValueError):
        sid = -1
    rows = store.scenarios.frame(scenario_ids=[sid])
    row = rows.iloc[0] if len(rows) else None
    scope = None if row is None or pd.isna(row["jurisdiction_code"]) else str(row["jurisdiction_code"])
    if row is None or (viewer.role == Role.PLANNER and scope != viewer.jurisdiction_code):
        audit(store, viewer, action="open_scenario", allowed=False, object_type="simulation",
              object_id=str(scenario_id)[:64],
              detail="unknown scenario" if row is None else "outside jurisdiction")
        raise AccessDenied(f"scenario {scenario_id} is not available to you")
    return str(row["name"]), scope, CriteriaSpec.from_dict(json.loads(row["spec"]))


def compare_scenarios(store: Store, viewer: Viewer, scenario_ids: Sequence[int], *,
                      sigungu_code: str | None = None, models_dir: Path | None = None
                      ) -> list[tuple[str, SimulationResult]]:
    """Run two to four saved scenarios over one scope, side by side (each run audited).

    The scope is the planner's 시군구, else ``sigungu_code`` (``None``: the country), the same
    for every scenario so the columns compare.

    Raises
    ------
    SimulationInputError
        Fewer than two or more than four distinct scenarios.
    """
    ids = list(dict.fromkeys(int(i) for i in scenario_ids))
    if not 2 <= len(ids) <= MAX_COMPARED:
        raise SimulationInputError(_problem(f"비교할 시나리오를 2~{MAX_COMPARED}개 고르세요",
                                            f"choose 2 to {MAX_COMPARED} scenarios to compare"))
    out = []
    for sid in ids:
        name, _, spec = scenario_spec(store, viewer, sid)
        out.append((name, run_simulation(store, viewer, spec, sigungu_code=sigungu_code,
                                         scenario_id=sid, purpose="compare scenarios",
                                         models_dir=models_dir)))
    return out
