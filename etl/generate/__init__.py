"""The synthetic world generator: a package of world-building steps (``steps.STEPS``) with
:func:`generate_world` on top (``pipeline``)."""

from etl.generate.oracle import read_oracle
from etl.generate.pipeline import PARALLEL_MIN_HOUSEHOLDS, generate_world
from etl.generate.world import (
    AS_OF,
    CYCLE_MONTHS,
    FIRST_MONTH,
    N_MONTHS,
    GenerationError,
    LatentParameters,
    WorldSpec,
)

__all__ = [
    "AS_OF", "CYCLE_MONTHS", "FIRST_MONTH", "N_MONTHS", "PARALLEL_MIN_HOUSEHOLDS",
    "GenerationError", "LatentParameters", "WorldSpec", "generate_world", "read_oracle",
]  # fmt: skip
