"""The parameters of a synthetic world and the state its building steps fill in.

A world is built by a sequence of steps (``etl.generate.pipeline``); each step is a function
that reads the arrays earlier steps left on a :class:`World` and adds its own. The latent need
lives only here, in memory: no step writes it to a table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np

from domain.progress import Progress

if TYPE_CHECKING:
    from etl.generate.parallel import GroupPlan

AS_OF = dt.date(2026, 10, 31)
N_MONTHS = 24  # 2024-11 .. 2026-10
FIRST_MONTH = np.datetime64("2024-11", "M")
CYCLE_MONTHS = np.arange(1, N_MONTHS, 2)  # bi-monthly cycles, index of the cycle month
NATIONAL_HOUSEHOLDS = 22_073_000  # facilities scale with the world's share of this


@dataclass(frozen=True, slots=True)
class LatentParameters:
    """Parameters of the latent process and the as-is selection (``docs/data.md``, one row each).

    The defaults are the calibrated world; the sensitivity script (``etl/generate/sensitivity.py``)
    changes one at a time. None of them was set by looking at how our model scores.

    Attributes
    ----------
    selection_share
        Share of households the as-is system selects every cycle (real system: 150–200k people
        per two-month round, ≈0.7–0.9% of households; cited).
    supported_center, supported_slope
        Support decision at a reached visit: ``P(supported) = sigmoid(slope·(need − center))``.
        The centre sets the share of non-recipient households that would be supported if visited
        (assumption, see docs/data.md).
    support_effect, support_months
        Support lowers the household's need: the current crisis episode ends and the log-odds
        of need fall by ``support_effect`` for ``support_months`` months (assumption).
    regional_effect
        Multiplier of the regional part of need: the 읍면동 effect's spread and the designation
        (disaster / employment-crisis area) effects. 0 gives a world without regional effect.
    safety_net_effect
        Multiplier of the need-dependence of safety-net reports (0: reports unrelated to need).
    signal_noise
        Multiplier of the rate of crisis-signal runs unrelated to need.
    signal_strength
        Need-driven crisis-signal run probability per unit of peak need, as a multiple of the
        source's base rate. Set so that the as-is selection's visits end in support at the
        published rate (≈50%, 49.4–58.4% in 2023–24; cited).
    """

    selection_share: float = 0.008
    supported_center: float = 0.66
    supported_slope: float = 9.0
    support_effect: float = 1.0
    support_months: int = 12
    regional_effect: float = 1.0
    safety_net_effect: float = 1.0
    signal_noise: float = 1.0
    signal_strength: float = 14.0


@dataclass(frozen=True, slots=True)
class WorldSpec:
    """Parameters of a synthetic world.

    Parameters
    ----------
    households
        Number of households of the sample-density layer: the 시도 of ``sido_codes`` outside
        the ``dense_regions``, spread by 시도 share (a world of 200,000 is ≈1% of Korea).
    seed
        Seed of the random generator; the same spec gives the same world.
    sido_codes
        Restrict the world to these 시도 (all of Korea when empty).
    audit_rate
        Share of all households drawn into the random audit sample at every cycle.
    latent
        The parameters of the latent process and of the as-is selection
        (:class:`LatentParameters`; ``docs/data.md`` gives the source or assumption of each).
    dense_regions
        시군구 codes generated at their real household counts (``etl/reference/demo_regions.csv``,
        published 세대수), on top of ``households``; their 읍면동 carry their welfare teams
        (``region.welfare_teams``), so visit capacity is a real team's, not scaled.
    """

    households: int
    seed: int = 0
    sido_codes: tuple[str, ...] = ()
    audit_rate: float = 0.01
    latent: LatentParameters = field(default_factory=lambda: LatentParameters())
    dense_regions: tuple[str, ...] = ()


class GenerationError(ValueError):
    """The world cannot be generated with these parameters."""


class World:
    """The intermediate arrays of one generation run (one 시도 group of a parallel run, or all).

    Parameters
    ----------
    spec
        The world's parameters (validated here).
    layers
        Prepared region layers (:func:`etl.regions.build_region_layers`).
    progress
        Callback ``progress(fraction_done, step)`` (:class:`domain.progress.Progress`).
    plan
        This group's share of a parallel run, drawn by the parent; ``None`` for a whole world.
    rng
        Random generator; one seeded from ``spec.seed`` when omitted.
    """

    def __init__(
        self,
        spec: WorldSpec,
        layers: gpd.GeoDataFrame,
        progress: Progress,
        plan: GroupPlan | None = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        if plan is None and spec.households < (0 if spec.dense_regions else 100):
            raise GenerationError(
                f"households must be at least 100 (0 with dense regions), not {spec.households}")
        if not 0 < spec.audit_rate < 0.5:
            raise GenerationError(f"audit_rate must be in (0, 0.5), not {spec.audit_rate}")
        if not 0 < spec.latent.selection_share < 0.2:
            raise GenerationError(
                f"selection_share must be in (0, 0.2), not {spec.latent.selection_share}"
            )
        self.spec = spec
        self.layers = layers
        self.progress = progress
        self.plan = plan
        self.rng = rng if rng is not None else np.random.default_rng(spec.seed)

    def __getattr__(self, name: str) -> Any:  # arrays set by the steps; a clear error otherwise
        raise AttributeError(f"the world has no {name!r} yet: the step that makes it has not run")
