"""Visit capacity per 읍면동 team, and tiers and ranks cut from it.

Capacity assumption (documented in ``docs/models.md``)
------------------------------------------------------
A 읍면동 맞춤형복지팀 has at least 3 staff (2016 plan, REFERENCE-FACTS) and each makes about 15
discovery visits per bi-monthly cycle, so a team visits ``3 × 15 = 45`` households per cycle.
Nationally that is ``45 × 3,496 ≈ 157,000`` per round, in line with the 110k–200k people per
round reported for the blind-spot system. In a synthetic world with fewer households than the
real 읍면동, capacity is scaled by ``world households in the 읍면동 / real households`` — the real
count being ``region.households`` when it exceeds the world's count, else the national average
``22,073,000 / 3,496 ≈ 6,314`` — so the share of households visited stays realistic (≈ 0.7 %).

Real-density demo regions (``region.welfare_teams`` set, :mod:`etl.generate.dense`) hold their
real households, so their capacity is not scaled: a 읍면동 unit gets ``welfare_teams`` × the team
capacity (one team per 행정동; a 법정동 unit gets its household share of its 행정동's team).

Per-team capacity can be overridden per 시군구 or 읍면동 code (읍면동 wins); overrides are in the
same unit (visits per cycle by a real team) and are scaled the same way.

Small synthetic worlds give fractions of a visit per 읍면동. Tiers are then cut within a *pool*:
the smallest level (읍면동 → 시군구 → 시도 → all) at which the median pooled capacity is at least
one visit (:func:`capacity_pools`); with real capacity the pool is the 읍면동 itself. In a world
with real-density regions the choice is made on the sample-density layer alone, and every
real-density 읍면동 with at least one visit is its own pool. ``rank`` is
always the rank within the 읍면동 (the worker's list).

Tiers (``TIERS``: 1 긴급, 2 우선, 3 관찰, 4 일반) with capacity ``C`` of the pool:
rank ≤ ⌈0.25 C⌉ → 1, ≤ ⌈C⌉ → 2, ≤ ⌈3 C⌉ → 3, else 4 (multiples configurable). Tiers 1–2 are this
cycle's visits; tier 3 is the watch list for the next cycles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

__all__ = ["POOL_LEVELS", "CapacityConfig", "PoolPlan", "assign_tiers", "capacity_by_emd",
           "capacity_fraction", "capacity_from_counts", "capacity_pools", "pool_plan", "real_density_codes"]

NATIONAL_HOUSEHOLDS: Final = 22_073_000  # 2023 census, REFERENCE-FACTS
NATIONAL_EMD: Final = 3_496  # administrative 읍면동 (2016)
#: Pool levels, smallest first, with the 읍면동-code prefix that names a pool.
POOL_LEVELS: Final[tuple[tuple[str, int | None], ...]] = (("emd", None), ("sigungu", 5), ("sido", 2), ("all", 0))


@dataclass(frozen=True, slots=True)
class CapacityConfig:
    """Visit capacity assumption and tier cuts.

    Attributes
    ----------
    staff_per_team : int
        Welfare staff per 읍면동 team.
    visits_per_staff_per_cycle : float
        Discovery visits one staff member makes per bi-monthly cycle.
    overrides : mapping of str to float
        Team capacity (visits per cycle) by 시군구 or 읍면동 code.
    tier_multiples : tuple of three floats
        Tier 1/2/3 cut-offs as multiples of capacity.
    scale_to_world : bool
        Scale capacity down to the world's share of real households (synthetic worlds).
    """

    staff_per_team: int = 3
    visits_per_staff_per_cycle: float = 15.0
    overrides: Mapping[str, float] = field(default_factory=dict)
    tier_multiples: tuple[float, float, float] = (0.25, 1.0, 3.0)
    scale_to_world: bool = True

    def __post_init__(self) -> None:
        m = self.tier_multiples
        if len(m) != 3 or not (0 < m[0] <= m[1] <= m[2]):
            raise ValueError(f"tier_multiples must be three increasing positive numbers, got {m}")
        if self.staff_per_team < 0 or self.visits_per_staff_per_cycle < 0:
            raise ValueError("staff_per_team and visits_per_staff_per_cycle must be >= 0")

    @property
    def team_capacity(self) -> float:
        """Visits per cycle of one real team."""
        return self.staff_per_team * self.visits_per_staff_per_cycle

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "staff_per_team": self.staff_per_team,
            "visits_per_staff_per_cycle": self.visits_per_staff_per_cycle,
            "overrides": dict(self.overrides),
            "tier_multiples": list(self.tier_multiples),
            "scale_to_world": self.scale_to_world,
        }


def capacity_by_emd(
    household: pd.DataFrame, region: pd.DataFrame | None, *, config: CapacityConfig | None = None
) -> pd.Series:
    """Visits per cycle for each 읍면동 of ``household`` (float, named ``capacity``).

    Parameters
    ----------
    household : DataFrame
        Columns ``emd_code`` and ``sigungu_code`` (one row per household).
    region : DataFrame, optional
        Columns ``code`` and ``households`` (real household counts); may be ``None``.
    config : CapacityConfig, optional
    """
    counts = household.groupby("emd_code", sort=True).size()
    sgg = household.groupby("emd_code", sort=True)["sigungu_code"].first()
    return capacity_from_counts(counts, sgg, region, config=config)


def capacity_from_counts(
    counts: pd.Series, sgg: pd.Series, region: pd.DataFrame | None, *,
    config: CapacityConfig | None = None,
) -> pd.Series:
    """:func:`capacity_by_emd` from household counts per 읍면동 (for callers without the rows).

    Parameters
    ----------
    counts : Series
        Households per 읍면동, indexed by 읍면동 code (sorted).
    sgg : Series
        Each 읍면동's 시군구 code, same index.
    """
    cfg = config or CapacityConfig()
    team = pd.Series(cfg.team_capacity, index=counts.index, dtype=float)
    if cfg.overrides:
        ov = pd.Series(dict(cfg.overrides), dtype=float)
        team = team.where(~sgg.isin(ov.index), sgg.map(ov))
        team = team.where(~team.index.isin(ov.index), team.index.to_series().map(ov))
    teams = _welfare_teams(region, counts.index)
    if cfg.scale_to_world:
        real = pd.Series(NATIONAL_HOUSEHOLDS / NATIONAL_EMD, index=counts.index)
        if region is not None and "households" in region:
            known = region.set_index("code")["households"].astype(float).reindex(counts.index)
            real = known.where(known > counts, real)
        team = team.where(teams.notna(), team * (counts / real).clip(upper=1.0))
    team = team.where(teams.isna(), team * teams)  # real-density regions: their real teams
    return team.rename("capacity")


def _welfare_teams(region: pd.DataFrame | None, codes: pd.Index) -> pd.Series:
    """``region.welfare_teams`` of each 읍면동 code (NaN in the sample-density layer)."""
    if region is None or "welfare_teams" not in region:
        return pd.Series(np.nan, index=codes, dtype=float)
    teams = region.set_index("code")["welfare_teams"]
    return pd.to_numeric(teams, errors="coerce").astype(float).reindex(codes)


def real_density_codes(region: pd.DataFrame | None) -> frozenset[str]:
    """Codes of the 읍면동 and 시군구 of real-density demo regions (``welfare_teams`` set)."""
    if region is None or "welfare_teams" not in region:
        return frozenset()
    return frozenset(region.loc[region["welfare_teams"].notna(), "code"].astype(str))


def capacity_fraction(household: pd.DataFrame, region: pd.DataFrame | None, *,
                      config: CapacityConfig | None = None) -> float:  # fmt: skip
    """Share of all households the teams can visit in one cycle."""
    cap = capacity_by_emd(household, region, config=config)
    return float(min(1.0, cap.sum() / max(len(household), 1)))


def capacity_pools(
    household: pd.DataFrame, region: pd.DataFrame | None, *, config: CapacityConfig | None = None
) -> tuple[np.ndarray, pd.Series, str]:
    """Pool code per household, capacity per pool and the pool level.

    The level is the first of ``emd``, ``sigungu``, ``sido``, ``all`` whose median pooled
    capacity is at least one visit per cycle (see :func:`pool_plan`).
    """
    plan = pool_plan(capacity_by_emd(household, region, config=config), region)
    return plan.pool_codes(household["emd_code"]), plan.capacity, plan.level


@dataclass(frozen=True)
class PoolPlan:
    """Which pool each 읍면동 falls in, and capacity per pool (:func:`pool_plan`).

    Attributes
    ----------
    sample_level : str
        Pool level of the sample-density layer (``emd``, ``sigungu``, ``sido`` or ``all``).
    width : int or None
        Its pool code is ``emd_code[:width]`` (``None``: the 읍면동 itself, ``0``: one pool).
    capacity : Series
        Visits per cycle by pool code.
    own : frozenset of str
        Real-density 읍면동 that are their own pool.
    """

    sample_level: str
    width: int | None
    capacity: pd.Series = field(repr=False)
    own: frozenset[str] = frozenset()

    @property
    def level(self) -> str:
        """The level as :func:`capacity_pools` reports it."""
        if self.own:
            return f"emd (real density) / {self.sample_level} (sample density)"
        return self.sample_level

    def pool_codes(self, emd_code: pd.Series) -> np.ndarray:
        """Pool code of each household's 읍면동 code."""
        emd = emd_code.astype(str)
        pool = emd.str.slice(0, self.width)
        if self.own:
            pool = pool.where(~emd.isin(self.own), emd)
        return pool.to_numpy(dtype=object)


def pool_plan(cap: pd.Series, region: pd.DataFrame | None) -> PoolPlan:
    """The pools of :func:`capacity_pools` from capacity per 읍면동 (:func:`capacity_by_emd`).

    In a world with real-density regions the level is chosen on the sample-density layer alone,
    and every real-density 읍면동 with at least one visit is its own pool.
    """
    dense = cap.index.astype(str).isin(real_density_codes(region))
    own = pd.Series(dense & (cap.to_numpy() >= 1.0), index=cap.index.astype(str))
    sample = cap[~own.to_numpy()]
    for level, width in POOL_LEVELS:
        pool_cap = sample.groupby(sample.index.astype(str).str.slice(0, width)).sum()
        if level == "all" or pool_cap.median() >= 1.0:
            break
    own_codes = frozenset(own.index[own.to_numpy()])
    if own_codes:
        pool_cap = pd.concat([pool_cap, cap[own.to_numpy()]])
    return PoolPlan(level, width, pool_cap.rename("capacity"), own_codes)


def assign_tiers(
    frame: pd.DataFrame,
    capacity: pd.Series,
    *,
    config: CapacityConfig | None = None,
    score: str = "score",
    jurisdiction: str = "jurisdiction_code",
    pool: np.ndarray | None = None,
) -> pd.DataFrame:
    """Rank households within their jurisdiction and cut tiers from its capacity.

    Parameters
    ----------
    frame : DataFrame
        Columns ``household_id``, ``jurisdiction`` and ``score`` (higher = visit first).
    capacity : Series
        Visits per cycle indexed by pool code (missing codes get 0: all tier 4).
    config : CapacityConfig, optional
        Tier multiples.
    pool : ndarray, optional
        Pool code per row (:func:`capacity_pools`); default the jurisdiction itself.

    Returns
    -------
    DataFrame
        ``rank`` (1 = first within the jurisdiction; ties by ``household_id``) and ``tier``
        (1–4) on ``frame.index``.
    """
    cfg = config or CapacityConfig()
    hh = frame["household_id"].to_numpy()
    sc = frame[score].to_numpy(np.float64)
    rank = _rank_within(frame[jurisdiction].to_numpy(), hh, sc)
    if pool is None:
        pool_codes, pool_rank = frame[jurisdiction].to_numpy(), rank
    else:
        pool_codes, pool_rank = np.asarray(pool), _rank_within(np.asarray(pool), hh, sc)
    code, uniques = pd.factorize(pool_codes, sort=False)
    cap = capacity.reindex(uniques).fillna(0.0).to_numpy(np.float64)[code]
    cuts = [np.ceil(m * cap - 1e-9) for m in cfg.tier_multiples]
    tier = np.select([pool_rank <= cuts[0], pool_rank <= cuts[1], pool_rank <= cuts[2]], [1, 2, 3], default=4)
    return pd.DataFrame({"rank": rank, "tier": tier.astype(np.int16)}, index=frame.index)


def _rank_within(group: np.ndarray, household_id: np.ndarray, score: np.ndarray) -> np.ndarray:
    """1-based rank by descending score within each group (ties by household id)."""
    code, _ = pd.factorize(group, sort=False)
    order = np.lexsort((household_id, -score, code))
    code_sorted = code[order]
    starts = np.r_[0, np.flatnonzero(code_sorted[1:] != code_sorted[:-1]) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, code.size]))
    rank = np.empty(code.size, dtype=np.int64)
    rank[order] = np.arange(code.size) - group_start + 1
    return rank
