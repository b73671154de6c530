"""Feature builder: names, point-in-time correctness, windows, runs and decay."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from models.features import FeatureConfig, build_features, feature_specs, legacy_feature_names


def _tiny_world() -> dict[str, pd.DataFrame]:
    region = pd.DataFrame(
        {"code": ["1111051000", "11110"], "level": ["emd", "sigungu"], "sido_code": ["11", "11"],
         "sigungu_code": ["11110", "11110"], "urban_class": ["대도시", "대도시"], "area_km2": [2.0, 2.0],
         "population": [10_000, 10_000], "pop_0_17": [1000, 1000], "pop_65plus": [2000, 2000],
         "pop_disabled": [500, 500], "households": [4000, 4000], "nonhousing_share": [0.01, None],
         "multicultural_share": [0.02, None]}
    )  # fmt: skip
    household = pd.DataFrame(
        {"household_id": [1, 2], "emd_code": "1111051000", "sigungu_code": "11110", "sido_code": "11",
         "size": [1, 3], "n_elderly": [1, 0], "n_children": [0, 1], "n_disabled": [0, 0],
         "head_age": [78, 40], "household_type": ["single_elderly", "couple_children"],
         "is_multicultural": [False, False], "housing_type": ["gosiwon", "apartment"],
         "tenure": ["monthly_rent", "owner"], "income_monthly_krw": [600_000.0, 4_000_000.0],
         "property_residential_krw": 0.0, "property_general_krw": 0.0, "financial_assets_krw": 1e6,
         "car_value_krw": 0.0, "debt_krw": 0.0}
    )  # fmt: skip
    months = pd.to_datetime(["2026-04-01", "2026-06-01", "2026-07-01", "2026-08-01", "2026-09-01"])
    signal = pd.DataFrame(
        {"household_id": 1, "source": "electricity_arrears", "month": months,
         "value": [10_000.0, 20_000, 30_000, 40_000, 50_000]}
    )  # fmt: skip
    snr = pd.DataFrame({"household_id": [1], "channel": ["personal_network"],
                        "reported_on": pd.to_datetime(["2026-09-15"])})  # fmt: skip
    des = pd.DataFrame({"kind": ["employment_crisis"], "sigungu_code": ["11110"],
                        "start_date": [dt.date(2026, 1, 1)], "end_date": [None]})  # fmt: skip
    return {"region": region, "household": household, "crisis_signal": signal,
            "safety_net_report": snr, "designation": des}  # fmt: skip


AS_OF = dt.date(2026, 10, 1)


def _pairs(ids: list[int], as_of: dt.date = AS_OF) -> pd.DataFrame:
    return pd.DataFrame({"household_id": ids, "as_of": [as_of] * len(ids)})


def test_feature_names_match_specs_and_have_labels() -> None:
    specs = feature_specs()
    names = [s.name for s in specs]
    assert len(names) == len(set(names))
    assert all(s.label_ko and s.label_en for s in specs)
    assert {s.family for s in specs} == {"household", "regional", "safety_net"}
    X = build_features(_tiny_world(), _pairs([1, 2]))
    assert list(X.columns) == names
    assert X.dtypes.eq(np.float32).all()
    assert set(legacy_feature_names()) <= set(names)


def test_signal_windows_runs_recency_and_trend() -> None:
    X = build_features(_tiny_world(), _pairs([1, 2])).set_axis([1, 2])
    p = "sig__electricity_arrears__"
    # reference month is September (the month before 1 October): lags Sep=0 Aug=1 Jul=2 Jun=3 Apr=5
    assert X.loc[1, p + "n3"] == 3
    assert X.loc[1, p + "n6"] == 5
    assert X.loc[1, p + "n12"] == 5
    assert X.loc[1, p + "run"] == 4  # June..September
    assert X.loc[1, p + "since"] == 0
    assert X.loc[1, p + "trend"] == 3 - 2
    assert X.loc[1, p + "amount"] == pytest.approx(np.log1p(50_000), rel=1e-6)
    assert X.loc[2, p + "n12"] == 0
    assert X.loc[2, p + "since"] == FeatureConfig().lookback_months


def test_decay_uses_the_half_life() -> None:
    world = _tiny_world()
    world["crisis_signal"] = world["crisis_signal"].iloc[[4]]  # September only: lag 0
    cfg = FeatureConfig(half_life_months=2.0)
    late = build_features(world, _pairs([1], dt.date(2026, 12, 1)), config=cfg)  # lag 2
    assert late["sig__electricity_arrears__decay"].iloc[0] == pytest.approx(0.5)


def test_point_in_time_ignores_future_records() -> None:
    world = _tiny_world()
    before = build_features(world, _pairs([1, 2]))
    planted = {k: v.copy() for k, v in world.items()}
    planted["crisis_signal"] = pd.concat(
        [world["crisis_signal"],
         pd.DataFrame({"household_id": [1, 2], "source": ["gas_arrears", "job_loss"],
                       "month": pd.to_datetime(["2026-10-01", "2026-11-01"]), "value": [1e6, 1.0]})],
        ignore_index=True,
    )  # fmt: skip
    planted["safety_net_report"] = pd.concat(
        [world["safety_net_report"],
         pd.DataFrame({"household_id": [2], "channel": ["bokjiro_request"],
                       "reported_on": pd.to_datetime(["2026-10-01"])})],
        ignore_index=True,
    )  # fmt: skip
    planted["designation"] = pd.concat(
        [world["designation"],
         pd.DataFrame({"kind": ["special_disaster"], "sigungu_code": ["11110"],
                       "start_date": [dt.date(2026, 10, 2)], "end_date": [None]})],
        ignore_index=True,
    )  # fmt: skip
    after = build_features(planted, _pairs([1, 2]))
    pd.testing.assert_frame_equal(before, after)
    # and the same records do count once the date has passed
    later = build_features(planted, _pairs([1, 2], dt.date(2026, 12, 1)))
    assert later["sig__gas_arrears__n3"].iloc[0] == 1
    assert later["rg__special_disaster"].eq(1).all()


def test_designation_and_regional_features() -> None:
    X = build_features(_tiny_world(), _pairs([1]))
    assert X["rg__employment_crisis"].iloc[0] == 1
    assert X["rg__special_disaster"].iloc[0] == 0
    assert X["rg__urban__대도시"].iloc[0] == 1
    assert X["rg__emd__elderly"].iloc[0] == pytest.approx(0.2)
    assert X["rg__sgg__nonhousing"].iloc[0] == pytest.approx(0.01)  # aggregated from the 읍면동


def test_safety_net_and_household_features() -> None:
    X = build_features(_tiny_world(), _pairs([1, 2])).set_axis([1, 2])
    assert X.loc[1, "sn__personal_network__n12"] == 1
    assert X.loc[1, "sn__personal_network__since"] == 0
    assert X.loc[2, "sn__personal_network__n12"] == 0
    assert X.loc[1, "hh__nonhousing"] == 1 and X.loc[2, "hh__nonhousing"] == 0
    assert X.loc[1, "hh__type__single_elderly"] == 1
    assert X.loc[1, "hh__tenure__monthly_rent"] == 1


def test_repeated_households_match_single_pairs(world: dict[str, pd.DataFrame]) -> None:
    d = world["discovery_history"].iloc[:300]
    pairs = d[["household_id"]].assign(as_of=d["cycle_date"]).reset_index(drop=True)
    together = build_features(world, pairs)
    first_date = pairs["as_of"].iloc[0]
    one = pairs[pairs["as_of"] == first_date]
    alone = build_features(world, one)
    pd.testing.assert_frame_equal(together.loc[one.index], alone)


def test_families_subset_and_bad_inputs() -> None:
    cfg = FeatureConfig(families=("safety_net",))
    X = build_features(_tiny_world(), _pairs([1]), config=cfg)
    assert all(c.startswith("sn__") for c in X.columns)
    with pytest.raises(ValueError, match="unknown households"):
        build_features(_tiny_world(), _pairs([99]))
    with pytest.raises(ValueError, match="household_id and as_of"):
        build_features(_tiny_world(), pd.DataFrame({"household_id": [1]}))
    with pytest.raises(ValueError, match="legacy_window"):
        FeatureConfig(legacy_window=4)
