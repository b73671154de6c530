"""The maps' density legend: which 시군구 are real-density and how sparse the rest is (both stores)."""

from __future__ import annotations

import pytest

from etl.generate import generate_world
from services.regions import density_layers


@pytest.fixture(scope="module")
def dense_region(region_layers):
    world = generate_world(2_000, seed=2, sido_codes=["46"], regions=region_layers,
                           dense_regions=["46720"], workers=1)
    return world["region"]


def test_density_layers_name_the_dense_region_and_the_sample_share(store, dense_region) -> None:
    from app.pages._density_note import density_note

    store.write_frame("region", dense_region)
    layers = density_layers(store)
    assert layers.dense["code"].tolist() == ["46720"]
    assert layers.dense["households"].tolist() == [15_523]
    assert layers.sample_households == 2_000
    assert layers.sample_share == pytest.approx(2_000 / (22_073_000 - 15_523))
    text = str(density_note(store, "ko"))
    assert "실제 밀도 시연 지역" in text and "전라남도 곡성군 (15,523가구)" in text
    assert "표본 밀도 지역" in text and "2,000가구" in text


def test_world_without_dense_regions_has_no_legend(store, small_world) -> None:
    from app.pages._density_note import density_note

    store.write_frame("region", small_world["region"])
    assert density_layers(store).dense.empty
    assert density_note(store, "en").children is None
