"""Needs with no facility with free places in reach (spatial.accessibility.unmatched)."""

from __future__ import annotations

import numpy as np
import pytest

from spatial.accessibility.unmatched import unmatched_needs
from spatial.checks import AnalyticsInputError
from tests.spatial.layers import points_layer


def test_unmatched_needs_counts_only_facilities_with_free_places():
    needs = points_layer([[0, 0], [2000, 0], [9000, 0]])
    facilities = points_layer([[0, 1000], [2000, 500], [9000, 0]], free_places=np.array([2, 0, 0]))
    result = unmatched_needs(needs, facilities, radius_m=1000)
    assert result.name == "unmatched"
    assert result.tolist() == [False, True, True]  # 1000 m is within reach (inclusive)


def test_unmatched_needs_rejects_projected_mismatch():
    needs = points_layer([[0, 0]], crs=5179)
    facilities = points_layer([[0, 0]], crs=3857, free_places=np.array([1]))
    with pytest.raises(AnalyticsInputError, match="CRSs differ"):
        unmatched_needs(needs, facilities, radius_m=1000)
