"""The discovery-criteria rule (models.criteria): validation, signals, scores and tiers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from models.criteria import (
    INCLUDE_OFFSET,
    SIGNALS,
    CriteriaError,
    CriteriaSpec,
    SignalCriterion,
    criteria_signals,
    scenario_score,
    scenario_tiers,
    transition_matrix,
)
from models.tiers import assign_tiers, capacity_pools

AS_OF = dt.date(2026, 11, 1)


def _households(n: int = 2_000, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    emd = rng.choice([f"1111{k:04d}" for k in range(5)] + [f"2222{k:04d}" for k in range(3)], n)
    return pd.DataFrame({
        "household_id": np.arange(1, n + 1), "emd_code": emd, "sigungu_code": [e[:5] for e in emd],
        "size": rng.integers(1, 5, n), "head_age": rng.integers(20, 95, n),
        "n_elderly": rng.integers(0, 2, n), "n_disabled": (rng.random(n) < 0.1).astype(int),
        "housing_type": rng.choice(["apartment", "gosiwon", "detached", "container"], n,
                                   p=[0.6, 0.05, 0.33, 0.02]),
        "probability": rng.beta(1.2, 8.0, n)})


def _region(hh: pd.DataFrame, real: int = 400, *, dense: bool = False) -> pd.DataFrame:
    codes = sorted(hh["emd_code"].unique())
    region = pd.DataFrame({"code": codes, "households": real})
    if dense:  # the 1111 시군구 generated at real density: one welfare team per 읍면동
        region["welfare_teams"] = np.where(region["code"].str.startswith("1111"), 1.0, np.nan)
    return region


def _model_tiers(hh: pd.DataFrame, region: pd.DataFrame) -> pd.DataFrame:
    """Tiers as models.scoring cuts them (the probability as score)."""
    pool, cap, _ = capacity_pools(hh, region)
    frame = pd.DataFrame({"household_id": hh["household_id"], "jurisdiction_code": hh["emd_code"],
                          "score": hh["probability"]})
    return assign_tiers(frame, cap, pool=pool)


def _no_signals(hh: pd.DataFrame) -> pd.DataFrame:
    return criteria_signals(hh, pd.DataFrame(columns=["household_id", "month", "value"]),
                            as_of=AS_OF, financial_cap_krw=10e6)


@pytest.mark.parametrize(("real", "dense"), [(400, False), (4_000, False), (40_000, True)])
def test_empty_spec_reproduces_the_model_tiers(real: int, dense: bool) -> None:
    """읍면동 pools; 시군구 pools (a sparse world); real-density 읍면동 as their own pools beside
    a sparse layer pooled nationally."""
    hh = _households()
    region = _region(hh, real, dense=dense)
    model = _model_tiers(hh, region)
    frame = hh.assign(rank=model["rank"].to_numpy())
    out = scenario_tiers(frame, _no_signals(hh), CriteriaSpec(), region=region)
    assert (out["tier"].to_numpy() == model["tier"].to_numpy()).all()
    assert (out["rank"].to_numpy() == model["rank"].to_numpy()).all()
    matrix = transition_matrix(model["tier"], out["tier"])
    assert int(np.trace(matrix.to_numpy())) == len(hh)


def test_inclusion_puts_every_signalled_household_in_the_visits() -> None:
    hh = _households()
    region = _region(hh)
    model = _model_tiers(hh, region)
    frame = hh.assign(rank=model["rank"].to_numpy())
    signals = _no_signals(hh)
    spec = CriteriaSpec((SignalCriterion("nonhousing", "include"),))
    out = scenario_tiers(frame, signals, spec, region=region)
    nonhousing = signals["nonhousing"].to_numpy()
    assert nonhousing.sum() > 0
    assert (out.loc[nonhousing, "tier"] <= 2).all()
    # more visits than capacity where the included households outnumber the seats
    visits = out.assign(emd=hh["emd_code"]).query("tier <= 2").groupby("emd").size()
    assert (visits >= np.ceil(out.groupby(hh["emd_code"])["capacity"].first() - 1e-9)).all()


def test_boost_moves_signalled_households_up_within_capacity() -> None:
    hh = _households()
    region = _region(hh)
    model = _model_tiers(hh, region)
    frame = hh.assign(rank=model["rank"].to_numpy())
    signals = _no_signals(hh)
    out = scenario_tiers(frame, signals, CriteriaSpec((SignalCriterion("isolation", "boost", 3.0),)),
                         region=region)
    high_before = (model["tier"] <= 2).sum()
    assert (out["tier"] <= 2).sum() == high_before  # same capacity
    iso = signals["isolation"].to_numpy()
    assert (out["tier"].to_numpy()[iso] <= 2).mean() > (model["tier"].to_numpy()[iso] <= 2).mean()


def test_age_65_only_sends_the_others_to_tier_4() -> None:
    hh = _households()
    region = _region(hh)
    frame = hh.assign(rank=_model_tiers(hh, region)["rank"].to_numpy())
    signals = _no_signals(hh)
    out = scenario_tiers(frame, signals, CriteriaSpec(age_65_only=True), region=region)
    assert (out.loc[~signals["elderly"].to_numpy(), "tier"] == 4).all()
    assert out["excluded"].to_numpy().sum() == (~signals["elderly"]).sum()


def test_capacity_per_code_changes_the_cut_of_that_team_only() -> None:
    hh = _households()
    region = _region(hh)
    model = _model_tiers(hh, region)
    frame = hh.assign(rank=model["rank"].to_numpy())
    emd = "11110001"
    out = scenario_tiers(frame, _no_signals(hh), CriteriaSpec(capacity_by_code={emd: 90.0}),
                         region=region)
    here = hh["emd_code"].eq(emd).to_numpy()
    assert (out["tier"].to_numpy()[here] <= 2).sum() > (model["tier"].to_numpy()[here] <= 2).sum()
    assert (out["tier"].to_numpy()[~here] == model["tier"].to_numpy()[~here]).all()


def test_overrides_keep_their_seats() -> None:
    hh = _households()
    region = _region(hh)
    model = _model_tiers(hh, region)
    low = int(np.flatnonzero(model["tier"].to_numpy() == 4)[0])
    override = np.full(len(hh), np.nan)
    override[low] = 1
    frame = hh.assign(rank=model["rank"].to_numpy(), override_tier=override)
    out = scenario_tiers(frame, _no_signals(hh), CriteriaSpec(), region=region)
    assert out["tier"].iloc[low] == 1
    emd = hh["emd_code"].iloc[low]
    here = hh["emd_code"].eq(emd).to_numpy()
    sizes = pd.Series(model["tier"].to_numpy()[here]).value_counts().sort_index()
    assert pd.Series(out["tier"].to_numpy()[here]).value_counts().sort_index().equals(sizes)


def test_financial_signal_counts_amounts_up_to_the_cap_in_the_last_three_months() -> None:
    hh = _households(6)
    rows = pd.DataFrame({"household_id": [1, 2, 3, 4, 5],
                         "month": pd.to_datetime(["2026-10-01", "2026-09-01", "2026-08-01",
                                                  "2026-07-01", "2026-11-01"]),
                         "value": [15e6, 5e6, 9e6, 5e6, 5e6]})
    low = criteria_signals(hh, rows, as_of=AS_OF, financial_cap_krw=10e6)["financial_delinquency"]
    high = criteria_signals(hh, rows, as_of=AS_OF, financial_cap_krw=20e6)["financial_delinquency"]
    # hh 1: 15M (only under the 20M cap); 2, 3: within 3 months; 4: 4 months back; 5: this month
    assert low.tolist() == [False, True, True, False, False, False]
    assert high.tolist() == [True, True, True, False, False, False]
    per_row = criteria_signals(hh.iloc[[0, 0]], rows, as_of=np.array(
        ["2026-11-01", "2027-03-01"], dtype="datetime64[D]"), financial_cap_krw=20e6)
    assert per_row["financial_delinquency"].tolist() == [True, False]


def test_score_adds_weights_and_offsets() -> None:
    hh = _households(4)
    signals = pd.DataFrame({k: [False] * 4 for k in SIGNALS})
    signals.loc[0, "nonhousing"] = True
    signals.loc[1, "isolation"] = True
    signals.loc[2, "elderly"] = True
    p = np.array([0.5, 0.5, 0.5, 0.5])
    spec = CriteriaSpec((SignalCriterion("nonhousing", "boost", 2.0),
                         SignalCriterion("isolation", "include")), age_65_only=False)
    score, included, excluded = scenario_score(p, signals, spec)
    assert score.tolist() == pytest.approx([2.0, INCLUDE_OFFSET, 0.0, 0.0])
    assert included.tolist() == [False, True, False, False] and not excluded.any()
    score, included, excluded = scenario_score(p, signals, CriteriaSpec(spec.criteria, age_65_only=True))
    assert np.isneginf(score[[0, 1, 3]]).all() and score[2] == 0.0
    assert excluded.tolist() == [True, True, False, True] and not included.any()
    del hh


def test_spec_round_trips_and_reports_every_problem_in_korean_and_english() -> None:
    spec = CriteriaSpec.from_dict({"criteria": [{"signal": "nonhousing", "mode": "include"}],
                                   "financial_cap_krw": "20,000,000", "age_65_only": True,
                                   "team_capacity": 60, "capacity_by_code": {"36110250": 90}})
    assert CriteriaSpec.from_dict(spec.to_dict()) == spec
    assert spec.capacity_config().team_capacity == 60
    assert spec.capacity_config().overrides == {"36110250": 90.0}
    assert CriteriaSpec().is_empty and not spec.is_empty
    with pytest.raises(CriteriaError) as err:
        CriteriaSpec.from_dict({"criteria": [{"signal": "moon", "mode": "boost"},
                                             {"signal": "isolation", "mode": "maybe", "weight": 9}],
                                "financial_cap_krw": -5, "team_capacity": "many",
                                "capacity_by_code": {"12ab": 5}, "colour": 1})
    text = str(err.value)
    for fragment in ("unknown keys", "not a number", "알 수 없는 항목"):
        assert fragment in text
    with pytest.raises(CriteriaError) as err:
        CriteriaSpec.from_dict({"criteria": [{"signal": "moon"}, {"signal": "isolation",
                                "mode": "maybe", "weight": 9}], "financial_cap_krw": 5e8,
                                "capacity_by_code": {"12ab": 5}})
    text = str(err.value)
    for fragment in ("unknown signal 'moon'", "알 수 없는 신호", "must be boost or include",
                     "between -5 and 5", "financial-delinquency cap must be between ₩1,000,000",
                     "금융연체 한도는 1,000,000원~100,000,000원", "region code '12ab'"):
        assert fragment in text
    with pytest.raises(CriteriaError, match="given twice"):
        CriteriaSpec((SignalCriterion("elderly"), SignalCriterion("elderly", "include")))
    with pytest.raises(CriteriaError, match="0–1000 visits"):
        CriteriaSpec(team_capacity=-1)
