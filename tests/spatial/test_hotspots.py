"""Gi* hotspots and local Moran clusters (spatial.hotspots) on a synthetic 10x10 lattice."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from spatial import hotspots as hs
from spatial.hotspots import (
    HOTSPOT_CLASSES,
    HOTSPOT_LABELS_KO,
    MORAN_LABELS_KO,
    MORAN_QUADRANTS,
    HotspotInputError,
    getis_ord_hotspots,
    local_moran_clusters,
    spatial_weights,
)
from tests.spatial.layers import square_lattice

SIDE = 10
HOT = [f"E{r}{c}" for r in range(3) for c in range(3)]  # 3x3 block, lower-left corner
COLD = [f"E{r}{c}" for r in range(7, 10) for c in range(7, 10)]  # 3x3 block, upper right


def _planted_rates() -> pd.Series:
    rng = np.random.default_rng(7)
    rates = pd.Series(rng.normal(0.10, 0.01, SIDE * SIDE), index=square_lattice().index, name="rate")
    rates[HOT] = 0.30
    rates[COLD] = 0.01
    return rates.clip(lower=0)


@pytest.fixture(scope="module")
def lattice() -> gpd.GeoDataFrame:
    return square_lattice()


@pytest.fixture(scope="module")
def weights(lattice: gpd.GeoDataFrame):
    return spatial_weights(lattice)


@pytest.fixture(scope="module")
def gi(weights) -> pd.DataFrame:
    return getis_ord_hotspots(_planted_rates(), weights, alpha=0.10)


@pytest.fixture(scope="module")
def lisa(weights) -> pd.DataFrame:
    return local_moran_clusters(_planted_rates(), weights)


# ---------------------------------------------------------------- Gi*
def test_planted_hot_block_is_hot_and_low_block_is_cold(gi):
    assert list(gi.columns) == ["gi_z", "p_sim", "p_norm", "p_fdr", "significant", "hotspot_class"]
    assert gi.loc[HOT, "hotspot_class"].astype(str).str.startswith("hot_").all()
    assert gi.loc[COLD, "hotspot_class"].astype(str).str.startswith("cold_").all()
    # the block centres are unambiguous
    assert gi.loc["E11", "hotspot_class"] == "hot_99"
    assert gi.loc["E88", "hotspot_class"] == "cold_99"
    background = gi.drop(index=HOT + COLD)
    assert (background["hotspot_class"] == "not_significant").mean() > 0.6


def test_gi_classes_follow_alpha_and_sign(gi):
    sig = gi[gi["significant"]]
    assert (sig["p_sim"] <= 0.10).all()
    assert (gi.loc[~gi["significant"], "hotspot_class"] == "not_significant").all()
    hot = sig["hotspot_class"].astype(str).str.startswith("hot")
    assert (sig.loc[hot, "gi_z"] > 0).all()
    assert (sig.loc[~hot, "gi_z"] < 0).all()
    assert list(gi["hotspot_class"].cat.categories) == list(HOTSPOT_CLASSES)
    assert gi["p_norm"].between(0, 1).all()


def test_default_alpha_has_no_90_percent_classes(weights):
    result = getis_ord_hotspots(_planted_rates(), weights, permutations=199)
    assert not result["hotspot_class"].isin(["hot_90", "cold_90"]).any()
    assert (result.loc[result["significant"], "p_sim"] <= 0.05).all()


def test_results_reproducible_with_seed(weights, gi):
    again = getis_ord_hotspots(_planted_rates(), weights, alpha=0.10)
    pd.testing.assert_frame_equal(gi, again)
    other = getis_ord_hotspots(_planted_rates(), weights, alpha=0.10, seed=1)
    assert not np.array_equal(other["p_sim"], gi["p_sim"])
    np.testing.assert_allclose(other["gi_z"], gi["gi_z"])  # analytical part is seed-free


def test_result_on_rates_index_in_rates_order(weights, gi):
    shuffled = _planted_rates().sample(frac=1.0, random_state=3)
    result = getis_ord_hotspots(shuffled, weights, alpha=0.10)
    assert result.index.equals(shuffled.index)
    pd.testing.assert_frame_equal(result.loc[gi.index], gi)


def test_weights_are_not_mutated(lattice):
    w = spatial_weights(lattice)
    before = w.sparse.copy()
    getis_ord_hotspots(_planted_rates(), w, permutations=99)
    local_moran_clusters(_planted_rates(), w, permutations=99)
    assert w.transform.upper() == "O"
    assert (w.sparse != before).nnz == 0


def test_fdr_is_more_conservative(weights, gi):
    assert (gi["p_fdr"] >= gi["p_sim"] - 1e-12).all()
    with_fdr = getis_ord_hotspots(_planted_rates(), weights, alpha=0.10, fdr=True)
    assert (with_fdr["significant"] <= gi["significant"]).all()
    assert (with_fdr.loc[with_fdr["significant"], "p_fdr"] <= 0.10).all()
    assert with_fdr.loc["E11", "hotspot_class"].startswith("hot")


def test_constant_rates_have_no_hotspots(weights):
    rates = pd.Series(0.0, index=square_lattice().index)
    gi = getis_ord_hotspots(rates, weights)
    assert (gi["hotspot_class"] == "not_significant").all()
    assert (gi["p_sim"] == 1.0).all()
    lisa = local_moran_clusters(rates + 0.2, weights)
    assert (lisa["quadrant"] == "not_significant").all()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.drop(index="E00"), "weights ids differ"),
        (lambda r: r.set_axis([*r.index[:-1], "X"]), "weights ids differ"),
        (lambda r: r.where(r.index != "E05"), "non-finite"),
        (lambda r: r - 1.0, "non-negative"),
        (lambda r: r.astype(str), "numeric"),
    ],
)
def test_bad_rates_raise(weights, mutate, message):
    with pytest.raises(HotspotInputError, match=message):
        getis_ord_hotspots(mutate(_planted_rates()), weights)


def test_bad_options_raise(weights):
    with pytest.raises(HotspotInputError, match="permutations"):
        getis_ord_hotspots(_planted_rates(), weights, permutations=10)
    with pytest.raises(HotspotInputError, match="alpha"):
        local_moran_clusters(_planted_rates(), weights, alpha=1.5)


def test_weights_with_islands_are_rejected():
    from libpysal.weights import W

    w = W({"a": ["b"], "b": ["a"], "c": []}, silence_warnings=True)
    rates = pd.Series([0.1, 0.2, 0.3], index=["a", "b", "c"])
    with pytest.raises(HotspotInputError, match="island"):
        local_moran_clusters(rates, w)


# ---------------------------------------------------------------- local Moran
def test_planted_blocks_are_hh_and_ll(lisa):
    assert list(lisa.columns) == ["Ii", "z_sim", "p_sim", "p_fdr", "significant", "quadrant"]
    assert lisa.loc["E11", "quadrant"] == "HH"
    assert lisa.loc["E88", "quadrant"] == "LL"
    assert set(lisa.loc[HOT, "quadrant"]) <= {"HH", "not_significant"}
    assert set(lisa.loc[COLD, "quadrant"]) <= {"LL", "not_significant"}
    assert (lisa.loc[HOT, "quadrant"] == "HH").sum() >= 5
    assert (lisa.loc[COLD, "quadrant"] == "LL").sum() >= 5
    assert (lisa.loc[~lisa["significant"], "quadrant"] == "not_significant").all()


def test_moran_reproducible(weights, lisa):
    pd.testing.assert_frame_equal(local_moran_clusters(_planted_rates(), weights), lisa)


def test_outlier_is_hl():
    regions = square_lattice()
    w = spatial_weights(regions)
    rng = np.random.default_rng(11)
    rates = pd.Series(rng.normal(0.10, 0.02, len(regions)), index=regions.index).clip(lower=0)
    rates[[f"E{r}{c}" for r in range(3, 8) for c in range(3, 8)]] = 0.02  # low area ...
    rates["E55"] = 0.30  # ... with one high region in its middle
    lisa = local_moran_clusters(rates, w, permutations=499)
    assert lisa.loc["E55", "quadrant"] == "HL"


# ---------------------------------------------------------------- labels and warm-up
def test_korean_labels_cover_every_class():
    assert set(HOTSPOT_LABELS_KO) == set(HOTSPOT_CLASSES)
    assert set(MORAN_LABELS_KO) == set(MORAN_QUADRANTS)
    assert HOTSPOT_LABELS_KO["hot_99"] == "고위험 집중(99%)"
    assert MORAN_LABELS_KO["HH"] == "고-고 군집"


def test_warm_up_returns_seconds():
    elapsed = hs.warm_up()
    assert isinstance(elapsed, float)
    assert elapsed > 0
