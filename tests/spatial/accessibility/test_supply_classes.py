"""Per-region supply/demand table and supply classes (spatial.accessibility.classes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spatial.accessibility.classes import classify_supply, supply_demand_table
from spatial.accessibility.decay import StepDecay
from spatial.accessibility.e2sfca import e2sfca_accessibility
from tests.spatial.layers import points_layer


def test_supply_demand_table_aggregates_per_region():
    demand_xy = np.array([[0, 0], [500, 0], [10_000, 0], [10_500, 0], [30_000, 0]])
    dem = points_layer(
        demand_xy,
        n=np.array([10.0, 30.0, 20.0, 20.0, 5.0]),
        emd=np.array(["A", "A", "B", "B", "C"]),
    )
    sup = points_layer([[0, 0], [10_000, 0], [11_000, 0]], cap=np.array([8.0, 4.0, 2.0]))
    table = supply_demand_table(
        dem,
        sup,
        region_col="emd",
        demand_col="n",
        supply_col="cap",
        catchment_m=3000,
        decay=StepDecay.luo_qi(3000),
        n_boot=99,
    )
    assert table.index.tolist() == ["A", "B", "C"]
    assert table["demand"].tolist() == [40.0, 40.0, 5.0]
    assert table["supply_in_reach"].tolist() == [8.0, 6.0, 0.0]
    assert table["demand_supply_ratio"].iloc[:2].tolist() == [5.0, 40.0 / 6.0]
    assert np.isnan(table["demand_supply_ratio"].iloc[2])
    access = e2sfca_accessibility(dem, sup, demand_col="n", supply_col="cap", catchment_m=3000)
    expected_a = np.average(access.iloc[:2], weights=[10.0, 30.0])
    assert table.loc["A", "accessibility"] == pytest.approx(expected_a)
    assert table.loc["C", "accessibility"] == 0.0
    assert set(table["supply_class"]) <= {"under", "balanced", "over"}


def _regional_accessibility(seed: int = 0) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    levels = {"low": 0.3, "mid1": 1.0, "mid2": 1.1, "mid3": 0.9, "high": 2.5, "tiny": 0.05}
    values, labels = [], []
    for region, level in levels.items():
        n = 3 if region == "tiny" else 60
        values.append(rng.normal(level, 0.1 * level, n).clip(0))
        labels += [region] * n
    return pd.Series(np.concatenate(values)), pd.Series(labels)


def test_classify_supply_uses_size_and_significance():
    acc, regions = _regional_accessibility()
    classes = classify_supply(acc, regions=regions, n_boot=199, seed=1)
    assert classes["low"] == "under"
    assert classes["high"] == "over"
    assert classes[["mid1", "mid2", "mid3"]].tolist() == ["balanced"] * 3
    assert classes["tiny"] == "balanced"  # too few points to be significant
    assert classes.name == "supply_class"
    again = classify_supply(acc, regions=regions, n_boot=199, seed=1)
    pd.testing.assert_series_equal(classes, again)


def test_classify_supply_noisy_region_is_not_significant():
    rng = np.random.default_rng(5)
    acc = pd.Series(np.concatenate([rng.normal(1.0, 0.05, 200), [0.0, 0.0, 0.0, 0.0, 2.0]]))
    regions = pd.Series(["ref"] * 200 + ["noisy"] * 5)
    # noisy mean 0.4 (ratio 0.4) but its bootstrap interval reaches the median 1.0
    classes = classify_supply(acc, regions=regions, reference=1.0, n_boot=499, seed=0)
    assert classes["noisy"] == "balanced"


def test_classify_supply_with_reference_series_and_index_labels():
    acc = pd.Series([0.2] * 10 + [0.21] * 10, index=["X"] * 10 + ["Y"] * 10)
    national = pd.Series([1.0, 1.0, 1.0])
    classes = classify_supply(acc, reference=national, n_boot=50, seed=0)
    assert classes.tolist() == ["under", "under"]
