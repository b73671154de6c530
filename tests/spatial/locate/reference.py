"""The spopt reference models (pulp + CBC) the HiGHS location models are checked against."""

from __future__ import annotations

import warnings

import pulp
import pytest

with warnings.catch_warnings():
    # requests (imported by libpysal via spopt) warns about a urllib3 extra at import
    warnings.filterwarnings("ignore", message=r".*urllib3\[secure\]", category=DeprecationWarning)
    from spopt.locate import MCLP, PMedian

__all__ = ["MCLP", "PMedian", "cbc_solver", "pulp_deprecations"]

# spopt builds models with pulp 3.x APIs that pulp deprecates for 4.0
pulp_deprecations = pytest.mark.filterwarnings("ignore:.*PuLP 4.0:DeprecationWarning")


def cbc_solver() -> pulp.LpSolver:
    """pulp's bundled CBC, quiet."""
    solver = pulp.PULP_CBC_CMD(msg=False)
    if not solver.available():  # pragma: no cover - bundled CBC is present in our venv
        pytest.skip("pulp's bundled CBC is not available")
    return solver
