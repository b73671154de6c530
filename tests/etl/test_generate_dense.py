"""Real-density demo regions: published counts, welfare teams, real capacity, unchanged defaults."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from etl.generate import GenerationError, generate_world
from etl.generate.dense import dense_households, dense_region_codes
from etl.reference_data import ReferenceDataError, demo_regions, load_reference
from geodata.store.frames import conform_frame
from models.tiers import CapacityConfig, capacity_by_emd, capacity_pools

GOKSEONG = "46720"


@pytest.fixture(scope="module")
def dense_world(region_layers) -> dict[str, pd.DataFrame]:
    return generate_world(3_000, seed=3, sido_codes=["46"], regions=region_layers,
                          dense_regions=[GOKSEONG], workers=1)


def test_reference_has_one_region_of_each_urban_class_with_published_counts() -> None:
    ref = demo_regions()
    whole = ref[ref["emd_code"].isna()]
    assert set(whole["urban_class"]) == {"대도시", "중소도시", "농어촌"}
    assert set(ref["status"]) <= {"published", "derived"}
    assert whole["source"].str.contains("allinfo").all()
    assert dense_region_codes() == ("27110", "42190", "46720")
    assert dense_households(["27110", "42190", "46720"]) == 45_964 + 20_283 + 15_523


def test_reference_rejects_emd_rows_that_do_not_sum_to_the_sigungu(tmp_path, monkeypatch) -> None:
    import etl.reference_data as rd

    source = (rd.reference_dir() / "demo_regions.csv").read_text(encoding="utf-8")
    (tmp_path / "demo_regions.csv").write_text(source.replace(",곡성읍,3929,", ",곡성읍,3930,"),
                                               encoding="utf-8")
    monkeypatch.setattr(rd, "reference_dir", lambda: tmp_path)
    with pytest.raises(ReferenceDataError, match="do not sum"):
        load_reference("demo_regions")


def test_dense_region_has_its_published_households_per_emd(dense_world) -> None:
    hh = dense_world["household"]
    ref = demo_regions()
    parts = ref[(ref["sigungu_code"] == GOKSEONG) & ref["emd_code"].notna()]
    got = hh.loc[hh["sigungu_code"] == GOKSEONG, "emd_code"].astype(str).value_counts().to_dict()
    want = dict(zip(parts["emd_code"].astype(str), parts["households"].astype(int), strict=True))
    assert got == want
    assert (hh["sigungu_code"] != GOKSEONG).sum() == 3_000  # the sample layer is `households`
    for name, frame in dense_world.items():
        conform_frame(name, frame)


def test_welfare_teams_only_in_the_dense_region(dense_world) -> None:
    region = dense_world["region"]
    dense = region["code"].str.startswith(GOKSEONG)
    assert region.loc[dense & (region["level"] == "emd"), "welfare_teams"].eq(1.0).all()
    assert region.loc[region["code"] == GOKSEONG, "welfare_teams"].item() == 11.0
    assert region.loc[~dense, "welfare_teams"].isna().all()


def test_dense_capacity_is_a_real_team_and_tiers_are_cut_per_emd(dense_world) -> None:
    hh, region = dense_world["household"], dense_world["region"]
    cap = capacity_by_emd(hh, region)
    team = CapacityConfig().team_capacity
    dense = cap.index.str.startswith(GOKSEONG)
    assert np.allclose(cap[dense], team)  # 3 staff x 15 visits, not scaled to the world
    assert (cap[~dense] < team).all()  # the sample layer stays scaled
    pool, _pool_cap, level = capacity_pools(hh, region)
    in_dense = hh["sigungu_code"].to_numpy() == GOKSEONG
    assert (pool[in_dense] == hh["emd_code"].to_numpy()[in_dense]).all()
    assert not np.isin(pool[~in_dense], hh.loc[in_dense, "emd_code"].unique()).any()
    assert level.startswith("emd (real density)")


def test_split_dense_region_sums_to_its_count_and_teams(region_layers) -> None:
    world = generate_world(0, seed=4, sido_codes=["42"], regions=region_layers,
                           dense_regions=["42190"], workers=1)
    hh, region = world["household"], world["region"]
    assert len(hh) == 20_283 and (hh["sigungu_code"] == "42190").all()
    emd = region[(region["level"] == "emd") & region["code"].str.startswith("42190")]
    assert emd["welfare_teams"].sum() == pytest.approx(8.0, abs=0.01)
    assert emd["households"].sum() == 20_283


def test_parallel_world_keeps_dense_counts(region_layers) -> None:
    world = generate_world(40_000, seed=9, regions=region_layers, workers=2,
                           dense_regions=["27110", "46720"])
    hh = world["household"]
    assert hh["household_id"].is_unique and hh["household_id"].min() == 1
    assert (hh["sigungu_code"] == "27110").sum() == 45_964
    assert (hh["sigungu_code"] == "46720").sum() == 15_523
    assert len(hh) == 40_000 + 45_964 + 15_523


def test_bad_dense_regions_are_refused(region_layers) -> None:
    with pytest.raises(GenerationError, match="no published household count"):
        generate_world(500, seed=1, sido_codes=["50"], regions=region_layers, dense_regions=["50110"])
    with pytest.raises(GenerationError, match="outside the world's 시도"):
        generate_world(500, seed=1, sido_codes=["50"], regions=region_layers, dense_regions=[GOKSEONG])
    with pytest.raises(GenerationError, match="at least 100"):
        generate_world(0, seed=1, sido_codes=["50"], regions=region_layers)


def test_dense_region_has_every_type_that_exists_in_each_sigungu(dense_world) -> None:
    from etl.reference_data import facility_types

    types = facility_types()
    common = set(types.loc[types["national_count"] >= 226, "type_code"])
    fac = dense_world["facility"]
    here = set(fac.loc[fac["sigungu_code"] == GOKSEONG, "type_code"])
    assert common <= here  # 사회복지관, 지역자활센터, 노인복지관, ... within reach
    assert fac["facility_id"].is_unique
