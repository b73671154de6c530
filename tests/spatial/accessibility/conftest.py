"""A random demand/supply instance shared by the accessibility tests."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def random_instance() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(42)
    demand_xy = rng.uniform(0, 15_000, (400, 2))
    supply_xy = rng.uniform(0, 15_000, (300, 2))
    demand = rng.integers(1, 200, 400).astype(float)
    supply = rng.integers(1, 60, 300).astype(float)
    return demand_xy, demand, supply_xy, supply
