"""The synthetic world matches the reference statistics and the schema."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import shapely

from etl.generate import AS_OF, GenerationError, generate_world
from etl.reference_data import facility_types, sido_statistics
from geodata.store.frames import conform_frame

N = 60_000


@pytest.fixture(scope="module")
def world(region_layers) -> dict[str, pd.DataFrame]:
    return generate_world(N, seed=11, regions=region_layers)


def _binomial_tolerance(p: pd.Series, n: pd.Series, *, floor: float) -> pd.Series:
    """Four standard errors of a share, plus a floor for model (not sampling) error."""
    return 4 * np.sqrt(p * (1 - p) / n) + floor


def test_every_table_conforms_to_the_schema(world) -> None:
    for name, frame in world.items():
        conform_frame(name, frame)  # raises on any mismatch


def test_same_seed_same_world(region_layers) -> None:
    a = generate_world(500, seed=5, sido_codes=["50"], regions=region_layers)
    b = generate_world(500, seed=5, sido_codes=["50"], regions=region_layers)
    c = generate_world(500, seed=6, sido_codes=["50"], regions=region_layers)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert not a["household"]["income_monthly_krw"].equals(c["household"]["income_monthly_krw"])


def test_sido_household_shares_match_the_census(world) -> None:
    ref = sido_statistics().set_index("sido_code")
    expected = ref["households_2023"] / ref["households_2023"].sum()
    got = world["household"]["sido_code"].value_counts(normalize=True).reindex(expected.index)
    tol = _binomial_tolerance(expected, pd.Series(N, index=expected.index), floor=0.0)
    assert ((got - expected).abs() <= tol).all(), (got - expected).round(4).to_dict()


def test_composition_by_sido_matches_the_reference(world) -> None:
    ref = sido_statistics().set_index("sido_code")
    hh = world["household"]
    by = hh.groupby("sido_code")
    n = by.size()
    single = by["size"].apply(lambda s: (s == 1).mean())
    elderly_single = by["household_type"].apply(lambda s: (s == "single_elderly").mean())
    tol = _binomial_tolerance(ref["single_person_share"], n, floor=0.01)
    assert ((single - ref["single_person_share"]).abs() <= tol).all()
    tol = _binomial_tolerance(ref["elderly_single_share"], n, floor=0.01)
    assert ((elderly_single - ref["elderly_single_share"]).abs() <= tol).all()
    persons = world["person"].merge(hh[["household_id", "sido_code"]], on="household_id")
    aged = (AS_OF.year - persons["birth_year"] >= 65).groupby(persons["sido_code"]).mean()
    tol = _binomial_tolerance(ref["pop_65plus_share"], persons.groupby("sido_code").size(), floor=0.02)
    assert ((aged - ref["pop_65plus_share"]).abs() <= tol).all(), (aged - ref["pop_65plus_share"]).round(3)
    # national: 35.5% single-person households, average size 2.21 (2023 census)
    assert abs((hh["size"] == 1).mean() - 0.355) < 0.01
    assert abs(hh["size"].mean() - 2.21) / 2.21 < 0.03


def test_households_lie_inside_their_emd(world, region_layers) -> None:
    emd = region_layers[region_layers["level"] == "emd"].set_index("code").geometry
    hh = world["household"].sample(3000, random_state=0)
    polygons = emd.loc[hh["emd_code"]].to_numpy()
    assert shapely.contains_xy(polygons, hh.geometry.x.to_numpy(), hh.geometry.y.to_numpy()).all()
    assert (hh["sigungu_code"] == hh["emd_code"].str[:5]).all()


def test_visit_outcomes_resemble_the_published_rates(world) -> None:
    d = world["discovery_history"]
    legacy = d[d["selection"] == "legacy_rule"]["outcome"].value_counts(normalize=True)
    audit = d[d["selection"] == "audit_sample"]["outcome"].value_counts(normalize=True)
    # about half of flagged people end up supported (49.4%-58.4% in 2023-2024); the world gives
    # ~39%, a documented departure (docs/data.md: the 5% base rate among non-recipients and the
    # signal process cannot give both)
    assert 0.35 <= legacy["supported"] <= 0.65
    # cannot be located: 6.3%-12.2% a year
    assert 0.04 <= legacy["unreachable"] <= 0.13
    # the legacy rule finds need more often than chance, so a random audit sample is needed
    assert audit["supported"] < legacy["supported"] / 2
    assert d["cycle_date"].nunique() == 12


def test_as_is_selection_is_stationary_at_the_published_volume(world) -> None:
    d = world["discovery_history"]
    per_cycle = d[d["selection"] == "legacy_rule"].groupby("cycle_date").size() / N
    # 150-200k people per two-month round: about 0.7-0.9% of households, every cycle alike
    assert per_cycle.between(0.007, 0.009).all(), per_cycle.round(4).tolist()


def test_supported_if_visited_among_non_recipients_is_the_stated_level(world) -> None:
    d = world["discovery_history"]
    b = world["benefit_history"]
    recipients = b.loc[b["programme"].str.startswith("기초생활보장"), "household_id"].unique()
    audit = d[(d["selection"] == "audit_sample") & ~d["household_id"].isin(recipients)]
    reached = audit[audit["outcome"] != "unreachable"]
    share = (reached["outcome"] == "supported").mean()
    assert 0.03 <= share <= 0.08, share  # assumption of docs/data.md: about 5%
    active = b[b["programme"].str.startswith("기초생활보장") & b["end_date"].isna()]
    # 1.788M of 22.07M households receive basic livelihood (8.1%)
    assert 0.065 <= active["household_id"].nunique() / N <= 0.10


def test_support_lowers_need_and_ends_the_arrears(region_layers, tmp_path) -> None:
    from etl.generate import CYCLE_MONTHS, FIRST_MONTH, read_oracle

    world = generate_world(8_000, seed=3, sido_codes=["11"], regions=region_layers,
                           oracle_path=tmp_path / "oracle.parquet")  # fmt: skip
    oracle = read_oracle(tmp_path / "oracle.parquet").set_index(["household_id", "cycle_date"])
    d = world["discovery_history"]
    cycles = (FIRST_MONTH + CYCLE_MONTHS).astype("datetime64[ns]")
    sup = d[(d["outcome"] == "supported") & (d["cycle_date"] < cycles[-1])]
    nxt = sup["cycle_date"].map(dict(itertools.pairwise(cycles)))
    before = oracle.loc[list(zip(sup["household_id"], sup["cycle_date"], strict=True)), "p_supported_if_reached"]
    after = oracle.loc[list(zip(sup["household_id"], nxt, strict=True)), "p_supported_if_reached"]
    assert after.mean() < 0.5 * before.mean()
    # a supported household's need-driven arrears stop: far fewer signal-months after support
    s = world["crisis_signal"].merge(sup[["household_id", "cycle_date"]], on="household_id")
    months = (s["month"] - s["cycle_date"]).dt.days // 30
    assert (months.between(2, 5)).sum() < 0.5 * (months.between(-3, 0)).sum()


def test_benefits_do_not_read_the_latent_need(region_layers) -> None:
    from etl.generate import LatentParameters

    a = generate_world(2_000, seed=4, sido_codes=["11"], regions=region_layers)
    b = generate_world(2_000, seed=4, sido_codes=["11"], regions=region_layers,
                       latent=LatentParameters(regional_effect=0.0, supported_center=0.3))  # fmt: skip
    pd.testing.assert_frame_equal(a["benefit_history"], b["benefit_history"])
    assert not a["discovery_history"].equals(b["discovery_history"])


def test_the_latent_need_is_not_in_any_table(world) -> None:
    for frame in world.values():
        assert not any("need" in c or "latent" in c for c in frame.columns)


def test_people_are_synthetic_and_masked(world) -> None:
    p = world["person"]
    assert p["rrn_masked"].str.fullmatch(r"\d{6}-[1-4]\*{6}").all()
    assert p["name"].str.fullmatch(r"[가-힣]{3}").all()
    assert p.groupby("household_id").size().sum() == world["household"]["size"].sum()
    heads = p[p["relation"] == "head"]
    assert heads["household_id"].is_unique and len(heads) == N


def test_signals_and_facilities(world) -> None:
    s = world["crisis_signal"]
    assert s["month"].min() >= pd.Timestamp("2024-11-01")
    assert s["month"].max() <= pd.Timestamp("2026-10-01")
    assert (s["value"] >= 0).all()
    assert not s.duplicated(["household_id", "source", "month"]).any()
    f = world["facility"]
    assert set(f["type_code"]) == set(facility_types()["type_code"])
    assert (f["current_users"] <= f["capacity"]).all()


def test_bad_parameters_are_refused(region_layers) -> None:
    with pytest.raises(GenerationError, match="at least 100"):
        generate_world(10, regions=region_layers)
    with pytest.raises(GenerationError, match="unknown sido codes"):
        generate_world(1000, sido_codes=["99"], regions=region_layers)


_ID_COLUMNS = {
    "household": "household_id", "person": "person_id", "safety_net_report": "report_id",
    "benefit_history": "benefit_id", "discovery_history": "discovery_id",
    "consultation": "consultation_id", "support": "support_id", "facility": "facility_id",
}


@pytest.fixture(scope="module")
def serial_world(region_layers) -> dict[str, pd.DataFrame]:
    return generate_world(N, seed=11, regions=region_layers, workers=1)


@pytest.mark.parametrize("which", ["world", "serial_world"])  # N >= 50,000: "world" uses 2 processes
def test_parallel_and_serial_worlds_calibrate_with_contiguous_ids(which, request) -> None:
    w = request.getfixturevalue(which)
    hh = w["household"]
    assert len(hh) == N
    for table, column in _ID_COLUMNS.items():
        ids = w[table][column].to_numpy()
        assert (ids == np.arange(1, len(ids) + 1)).all(), table
    for table in ("person", "crisis_signal", "safety_net_report", "benefit_history",
                  "discovery_history", "consultation", "support"):
        assert w[table]["household_id"].between(1, N).all(), table
    # household ids in other tables point at the household's own rows (same 시도 after merging)
    p = w["person"].merge(hh[["household_id", "head_age"]], on="household_id")
    assert (p.loc[p["relation"] == "head", "birth_year"] == AS_OF.year - p.loc[p["relation"] == "head", "head_age"]).mean() > 0.99
    ref = sido_statistics().set_index("sido_code")
    expected = ref["households_2023"] / ref["households_2023"].sum()
    got = hh["sido_code"].value_counts(normalize=True).reindex(expected.index)
    tol = _binomial_tolerance(expected, pd.Series(N, index=expected.index), floor=0.0)
    assert ((got - expected).abs() <= tol).all(), (got - expected).round(4).to_dict()
    region = w["region"]
    for level in ("sido", "sigungu", "emd"):
        assert region.loc[region["level"] == level, "households"].sum() == N, level
    emd = region[region["level"] == "emd"].set_index("code")["households"]
    counts = hh["emd_code"].value_counts()
    assert (emd.reindex(counts.index) == counts).all()
    assert set(w["facility"]["type_code"]) == set(facility_types()["type_code"])
    assert (w["facility"]["sido_code"] == w["facility"]["emd_code"].str[:2]).all()


def test_parallel_generation_is_deterministic(region_layers) -> None:
    args = {"households": 50_000, "seed": 5, "sido_codes": ["11", "41", "50"], "regions": region_layers}
    a = generate_world(**args, workers=2)
    b = generate_world(**args, workers=2)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert not a["household"]["income_monthly_krw"].equals(
        generate_world(**args, workers=1)["household"]["income_monthly_krw"]
    )
