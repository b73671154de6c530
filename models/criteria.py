"""Discovery criteria for the 지자체별 시뮬레이션: a typed, validated spec and the one rule of how
criteria change the ranking and the tiers.

A scenario starts from the current model's calibrated probability of each household and
changes who is visited this cycle in four ways (:class:`CriteriaSpec`):

* **boost** a signal: its weight is added to the household's log-odds, so households with the
  signal move up the list within the same capacity;
* **include** on a signal: every household with the signal is a visit this cycle (tier 1–2)
  whatever the capacity, ranked before the others, so the visits needed may exceed capacity;
* **only 65+** (``age_65_only``): households without a member aged 65 or more are not visited
  (tier 4) and take no seat;
* **capacity**: visits per cycle of a real team, for every team (``team_capacity``) or per
  시군구/읍면동 code (``capacity_by_code``, 읍면동 wins), scaled to the world like the model's
  capacity (:mod:`models.tiers`).

The signals (:data:`SIGNALS`) are computed from the household row and its crisis signals
(:func:`criteria_signals`): 비주택 거주; 고립 위험 (a one-person household whose head is 50 or
older, the group the 고독사 예방 surveys single out; a simplification, no contact data is used);
금융 연체 (a financial-delinquency signal in the three months before the date whose amount is at
most ``financial_cap_krw``, the ₩10M → ₩20M cap the real system changed in 2023); 장애인 가구원;
65세 이상 가구원.

Tiers are cut as the model cuts them (the pools of :func:`models.tiers.pool_plan`, tier multiples of
:class:`models.tiers.CapacityConfig`): the scenario score orders households within each pool
(ties by the current rank, then household id) and ranks are kept within the 읍면동. Overrides in
force keep their seats (:func:`domain.tiers.seat_tiers`). With the empty spec the scenario
reproduces the tiers the model wrote (test).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from domain.errors import InputError
from domain.tiers import HIGH_TIERS, TIER_VALUES, seat_tiers
from geodata.vocabulary import NON_HOUSING_TYPES
from models.tiers import CapacityConfig, PoolPlan, capacity_by_emd, pool_plan

__all__ = [
    "INCLUDE_OFFSET",
    "SIGNALS",
    "CriteriaError",
    "CriteriaSpec",
    "SignalCriterion",
    "criteria_signals",
    "scenario_score",
    "scenario_tiers",
    "transition_matrix",
]

#: Signal code → (Korean label, English label).
SIGNALS: Final[dict[str, tuple[str, str]]] = {
    "nonhousing": ("비주택 거주", "non-housing residence"),
    "isolation": ("고립 위험(50세 이상 1인 가구)", "isolation risk (one-person, head 50+)"),
    "financial_delinquency": ("금융 연체(한도 이하, 최근 3개월)",
                              "financial delinquency up to the cap (3 months)"),
    "disabled": ("장애인 가구원", "member with a disability"),
    "elderly": ("65세 이상 가구원", "member aged 65+"),
}
MODES: Final[tuple[str, ...]] = ("boost", "include")
#: Added to the score of an included household: above any log-odds a probability can have.
INCLUDE_OFFSET: Final = 1_000.0
FINANCIAL_CAP_RANGE: Final = (1_000_000.0, 100_000_000.0)
WEIGHT_RANGE: Final = (-5.0, 5.0)
CAPACITY_RANGE: Final = (0.0, 1_000.0)
SIGNAL_MONTHS: Final = 3
ISOLATION_AGE: Final = 50
ELDERLY_AGE: Final = 65
_EPS: Final = 1e-6


class CriteriaError(InputError):
    """A criteria spec that cannot be used; the message lists every problem in Korean and
    English (``"한국어 / English"``, one per line)."""


def _problem(ko: str, en: str) -> str:
    return f"{ko} / {en}"


@dataclass(frozen=True, slots=True)
class SignalCriterion:
    """One signal used as a boost (log-odds ``weight``) or an inclusion criterion."""

    signal: str
    mode: Literal["boost", "include"] = "boost"
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class CriteriaSpec:
    """A scenario's discovery criteria (validated on construction).

    Attributes
    ----------
    criteria : tuple of SignalCriterion
        At most one per signal.
    financial_cap_krw : float
        Largest financial-delinquency amount that counts as the ``financial_delinquency``
        signal (₩1M–₩100M; default ₩10M).
    age_65_only : bool
        Visit only households with a member aged 65 or more.
    team_capacity : float, optional
        Visits per cycle of every real team (default: the model's 3 staff × 15 visits).
    capacity_by_code : mapping of str to float
        Visits per cycle of the teams of a 시군구 (5 digits) or 읍면동 (8 or 10 digits) code.

    Raises
    ------
    CriteriaError
        Unknown signal or mode, a signal named twice, a weight outside −5…5, a cap outside
        ₩1M–₩100M, a capacity outside 0…1,000 or a malformed region code.
    """

    criteria: tuple[SignalCriterion, ...] = ()
    financial_cap_krw: float = 10_000_000.0
    age_65_only: bool = False
    team_capacity: float | None = None
    capacity_by_code: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = _check(self)
        if problems:
            raise CriteriaError("\n".join(problems))

    @property
    def is_empty(self) -> bool:
        """True when the spec changes nothing (the current criteria)."""
        return self == CriteriaSpec()

    def capacity_config(self, base: CapacityConfig | None = None) -> CapacityConfig:
        """The :class:`models.tiers.CapacityConfig` of this scenario (``base`` for the rest)."""
        cfg = base or CapacityConfig()
        staff, visits = cfg.staff_per_team, cfg.visits_per_staff_per_cycle
        if self.team_capacity is not None:
            staff, visits = 1, float(self.team_capacity)
        return CapacityConfig(staff_per_team=staff, visits_per_staff_per_cycle=visits,
                              overrides={**cfg.overrides, **self.capacity_by_code},
                              tier_multiples=cfg.tier_multiples, scale_to_world=cfg.scale_to_world)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (:meth:`from_dict` reads it back)."""
        return {"criteria": [{"signal": c.signal, "mode": c.mode, "weight": float(c.weight)}
                             for c in self.criteria],
                "financial_cap_krw": float(self.financial_cap_krw),
                "age_65_only": bool(self.age_65_only),
                "team_capacity": None if self.team_capacity is None else float(self.team_capacity),
                "capacity_by_code": {str(k): float(v) for k, v in self.capacity_by_code.items()}}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> CriteriaSpec:
        """Parse user or stored input; every problem is reported at once.

        Raises
        ------
        CriteriaError
            Unknown keys, values that are not numbers, or any rule of the class.
        """
        problems: list[str] = []
        unknown = sorted(set(values) - {"criteria", "financial_cap_krw", "age_65_only",
                                        "team_capacity", "capacity_by_code"})
        if unknown:
            problems.append(_problem(f"알 수 없는 항목: {unknown}", f"unknown keys: {unknown}"))
        criteria = []
        for k, raw in enumerate(values.get("criteria") or ()):
            if not isinstance(raw, Mapping):
                problems.append(_problem(f"기준 {k + 1}번이 올바르지 않습니다",
                                         f"criterion {k + 1} is not a mapping"))
                continue
            weight = _number(raw.get("weight", 1.0), f"기준 {k + 1}번 가중치",
                             f"weight of criterion {k + 1}", problems)
            criteria.append(SignalCriterion(str(raw.get("signal", "")), str(raw.get("mode", "boost")),
                                            1.0 if weight is None else weight))  # type: ignore[arg-type]
        cap = _number(values.get("financial_cap_krw", 10_000_000.0), "금융연체 한도",
                      "financial-delinquency cap", problems)
        team = values.get("team_capacity")
        team_value = None if team in (None, "") else _number(team, "팀 방문 역량", "team capacity",
                                                             problems)
        by_code: dict[str, float] = {}
        for code, raw in dict(values.get("capacity_by_code") or {}).items():
            number = _number(raw, f"{code} 방문 역량", f"capacity of {code}", problems)
            if number is not None:
                by_code[str(code)] = number
        if problems:
            raise CriteriaError("\n".join(problems))
        return cls(tuple(criteria), float(cap if cap is not None else 0.0),
                   bool(values.get("age_65_only", False)), team_value, by_code)


def _number(value: Any, ko: str, en: str, problems: list[str]) -> float | None:
    if isinstance(value, bool):
        problems.append(_problem(f"{ko}: 숫자가 아닙니다 ({value!r})", f"{en}: not a number ({value!r})"))
        return None
    try:
        number = float(str(value).replace(",", "")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        problems.append(_problem(f"{ko}: 숫자가 아닙니다 ({value!r})", f"{en}: not a number ({value!r})"))
        return None
    if not np.isfinite(number):
        problems.append(_problem(f"{ko}: 유한한 숫자여야 합니다", f"{en}: must be a finite number"))
        return None
    return number


def _check(spec: CriteriaSpec) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for c in spec.criteria:
        if c.signal not in SIGNALS:
            problems.append(_problem(f"알 수 없는 신호 '{c.signal}' (가능: {', '.join(SIGNALS)})",
                                     f"unknown signal '{c.signal}' (known: {', '.join(SIGNALS)})"))
        if c.mode not in MODES:
            problems.append(_problem(f"'{c.signal}'의 방식 '{c.mode}'는 boost 또는 include여야 합니다",
                                     f"mode '{c.mode}' of '{c.signal}' must be boost or include"))
        if c.signal in seen:
            problems.append(_problem(f"신호 '{c.signal}'가 두 번 지정되었습니다",
                                     f"signal '{c.signal}' is given twice"))
        seen.add(c.signal)
        lo, hi = WEIGHT_RANGE
        if not (isinstance(c.weight, int | float) and np.isfinite(c.weight) and lo <= c.weight <= hi):
            problems.append(_problem(f"'{c.signal}' 가중치는 {lo:g}~{hi:g} 사이여야 합니다 ({c.weight})",
                                     f"weight of '{c.signal}' must be between {lo:g} and {hi:g} "
                                     f"(got {c.weight})"))
    lo, hi = FINANCIAL_CAP_RANGE
    cap = spec.financial_cap_krw
    if not (isinstance(cap, int | float) and np.isfinite(cap) and lo <= cap <= hi):
        problems.append(_problem(f"금융연체 한도는 {lo:,.0f}원~{hi:,.0f}원 사이여야 합니다 ({cap:,.0f}원)"
                                 if isinstance(cap, int | float) else "금융연체 한도가 숫자가 아닙니다",
                                 f"the financial-delinquency cap must be between ₩{lo:,.0f} and "
                                 f"₩{hi:,.0f} (got {cap})"))
    lo, hi = CAPACITY_RANGE
    capacities = ([("", spec.team_capacity)] if spec.team_capacity is not None else []) + [
        (code, value) for code, value in spec.capacity_by_code.items()]
    for code, value in capacities:
        if not (isinstance(value, int | float) and np.isfinite(value) and lo <= value <= hi):
            where_ko, where_en = (f"{code} ", f"of {code} ") if code else ("", "")
            problems.append(_problem(f"{where_ko}팀 방문 역량은 주기당 {lo:g}~{hi:g}건이어야 합니다 ({value})",
                                     f"team capacity {where_en}must be {lo:g}–{hi:g} visits per "
                                     f"cycle (got {value})"))
    for code in spec.capacity_by_code:
        if not (str(code).isdigit() and len(str(code)) in (5, 8, 10)):
            problems.append(_problem(f"지역 코드 '{code}'는 시군구(5자리) 또는 읍면동(8·10자리) 코드여야 합니다",
                                     f"region code '{code}' must be a 시군구 (5 digits) or 읍면동 "
                                     f"(8 or 10 digits) code"))
    return problems


def criteria_signals(households: pd.DataFrame, financial: pd.DataFrame, *,
                     as_of: dt.date | np.ndarray, financial_cap_krw: float) -> pd.DataFrame:
    """The criteria signals of each household (bool columns :data:`SIGNALS`), vectorised.

    Parameters
    ----------
    households : pandas.DataFrame
        ``household_id, size, head_age, n_elderly, n_disabled, housing_type``; one row per
        household (or per household and date when ``as_of`` is an array).
    financial : pandas.DataFrame
        ``crisis_signal`` rows of source ``financial_delinquency`` (``household_id, month,
        value``).
    as_of : date or array of dates
        The date the signals are read at (records of the three months before it count).
    financial_cap_krw : float
        Largest amount that counts as a financial-delinquency signal.

    Returns
    -------
    pandas.DataFrame
        Bool columns in :data:`SIGNALS` order, on ``households.index``.
    """
    size = households["size"].to_numpy(np.int64)
    head = households["head_age"].to_numpy(np.int64)
    at = np.broadcast_to(np.asarray(pd.to_datetime(as_of), dtype="datetime64[M]"), (len(households),))
    out = pd.DataFrame(index=households.index)
    out["nonhousing"] = households["housing_type"].astype(str).isin(NON_HOUSING_TYPES).to_numpy()
    out["isolation"] = (size == 1) & (head >= ISOLATION_AGE)
    out["financial_delinquency"] = _recent_within_cap(households["household_id"].to_numpy(np.int64),
                                                      at, financial, financial_cap_krw)
    out["disabled"] = households["n_disabled"].to_numpy(np.int64) > 0
    out["elderly"] = (households["n_elderly"].to_numpy(np.int64) > 0) | (head >= ELDERLY_AGE)
    return out[list(SIGNALS)]


def _recent_within_cap(household_id: np.ndarray, at_month: np.ndarray, financial: pd.DataFrame,
                       cap: float) -> np.ndarray:
    """Whether each (household, month) row has a financial delinquency of ``0 < amount <= cap``
    in one of the :data:`SIGNAL_MONTHS` months before ``at_month``."""
    hit = np.zeros(household_id.size, dtype=bool)
    if financial.empty or household_id.size == 0:
        return hit
    value = financial["value"].to_numpy(np.float64)
    rec = financial[(value > 0) & (value <= cap)]
    if rec.empty:
        return hit
    rec_month = np.asarray(pd.to_datetime(rec["month"]), dtype="datetime64[M]").astype(np.int64)
    rows = pd.DataFrame({"hh": household_id, "at": at_month.astype(np.int64),
                         "row": np.arange(household_id.size)})
    joined = rows.merge(pd.DataFrame({"hh": rec["household_id"].to_numpy(np.int64), "m": rec_month}),
                        on="hh", how="inner")
    lag = joined["at"].to_numpy() - joined["m"].to_numpy()
    hit[joined["row"].to_numpy()[(lag >= 1) & (lag <= SIGNAL_MONTHS)]] = True
    return hit


def scenario_score(probability: np.ndarray, signals: pd.DataFrame, spec: CriteriaSpec
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The scenario's ranking score and who is included and excluded.

    ``score = logit(p) + Σ boost weights of the household's signals``, plus
    :data:`INCLUDE_OFFSET` when an inclusion signal holds; ``-inf`` for households excluded by
    ``age_65_only`` (exclusion wins over inclusion).

    Returns
    -------
    tuple of numpy.ndarray
        ``(score, included, excluded)``.
    """
    p = np.clip(np.asarray(probability, dtype=np.float64), _EPS, 1 - _EPS)
    score = np.log(p) - np.log1p(-p)
    included = np.zeros(p.size, dtype=bool)
    for c in spec.criteria:
        has = signals[c.signal].to_numpy(bool)
        if c.mode == "boost":
            score = score + c.weight * has
        else:
            included |= has
    excluded = ~signals["elderly"].to_numpy(bool) if spec.age_65_only else np.zeros(p.size, bool)
    included &= ~excluded
    score = np.where(included, score + INCLUDE_OFFSET, score)
    return np.where(excluded, -np.inf, score), included, excluded


def _positions(group: np.ndarray, keys: tuple[np.ndarray, ...]) -> np.ndarray:
    """0-based position of each row within its group, ordered by ``keys`` (last key first, as
    :func:`numpy.lexsort`)."""
    code, _ = pd.factorize(group, sort=False)
    order = np.lexsort((*keys, code))
    sorted_code = code[order]
    starts = np.r_[0, np.flatnonzero(sorted_code[1:] != sorted_code[:-1]) + 1] if code.size else []
    first = np.repeat(starts, np.diff(np.r_[starts, code.size])) if code.size else order
    out = np.empty(code.size, dtype=np.int64)
    out[order] = np.arange(code.size) - first
    return out


def scenario_tiers(frame: pd.DataFrame, signals: pd.DataFrame, spec: CriteriaSpec, *,
                   region: pd.DataFrame | None, base_capacity: CapacityConfig | None = None,
                   pools: PoolPlan | None = None) -> pd.DataFrame:
    """Tiers and ranks of every household under ``spec``.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``household_id, emd_code, sigungu_code, probability, rank`` (the current rank within
        the 읍면동) and optionally ``override_tier`` (an override in force, NaN where none).
        Must hold every household of each capacity pool it touches (a whole 시군구 at least).
    signals : pandas.DataFrame
        :func:`criteria_signals` of the same rows.
    spec : CriteriaSpec
    region : pandas.DataFrame, optional
        ``code, households`` (real household counts, to scale capacity to the world).
    base_capacity : CapacityConfig, optional
        The capacity the model's tiers were cut with (default :class:`CapacityConfig`).
    pools : PoolPlan, optional
        Which pool each 읍면동 falls in (:func:`models.tiers.pool_plan` with the model's
        capacity); default the plan for ``frame`` itself. Pass the plan of the whole world when
        ``frame`` is a part of it (it must then hold whole pools). The pools' capacity is
        recomputed with the scenario's capacity.

    Returns
    -------
    pandas.DataFrame
        On ``frame.index``: ``tier`` (effective, int64), ``rank`` (within the 읍면동),
        ``included``, ``excluded`` and ``capacity`` (visits per cycle of the household's
        읍면동 team, scaled to the world).
    """
    score, included, excluded = scenario_score(frame["probability"].to_numpy(), signals, spec)
    cfg = spec.capacity_config(base_capacity)
    emd_capacity = capacity_by_emd(frame, region, config=cfg)
    plan = pools or pool_plan(capacity_by_emd(frame, region, config=base_capacity), region)
    pool = plan.pool_codes(frame["emd_code"])
    pool_capacity = emd_capacity.groupby(plan.pool_codes(emd_capacity.index.to_series())).sum()
    hh = frame["household_id"].to_numpy(np.int64)
    current = frame["rank"].to_numpy(np.float64)
    keys = (hh, current, -score)
    rank = _positions(frame["emd_code"].to_numpy(), keys) + 1
    position = _positions(np.where(excluded, "~excluded", pool.astype(str)), keys)
    cap = pool_capacity.reindex(pd.Index(pool)).fillna(0.0).to_numpy(np.float64)
    cuts = [np.ceil(m * cap - 1e-9) for m in cfg.tier_multiples]
    tier = np.select([position < cuts[0], position < cuts[1], position < cuts[2]], [1, 2, 3], 4)
    tier = np.where(included, np.minimum(tier, max(HIGH_TIERS)), tier)
    tier = np.where(excluded, max(TIER_VALUES), tier).astype(np.int64)
    over = frame["override_tier"].to_numpy(np.float64) if "override_tier" in frame else np.full(
        hh.size, np.nan)
    if (~np.isnan(over)).any():
        tier, _ = seat_tiers(frame["emd_code"].to_numpy(), tier, rank, over)
    return pd.DataFrame({"tier": tier, "rank": rank, "included": included, "excluded": excluded,
                         "capacity": emd_capacity.reindex(frame["emd_code"]).to_numpy(np.float64)},
                        index=frame.index)


def transition_matrix(current: np.ndarray, scenario: np.ndarray) -> pd.DataFrame:
    """Households by current tier (rows) and scenario tier (columns), every tier present."""
    tiers = list(TIER_VALUES)
    table = pd.crosstab(pd.Categorical(np.asarray(current), categories=tiers),
                        pd.Categorical(np.asarray(scenario), categories=tiers), dropna=False)
    table.index.name, table.columns.name = "current_tier", "scenario_tier"
    return table.astype(np.int64)
