"""The eligibility service on both stores, over the generated 3,000-household world: the
same flags and reform tables as the engine computes from the frames directly."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from domain.access import Viewer
from eligibility.household import validate_households
from eligibility.inputs import severe_disabled_18_64, world_inputs
from eligibility.parameters import current_law, load_reform
from eligibility.reform import compare
from eligibility.rules import assess
from geodata.store.base import Store
from services.eligibility import RECORDED_PROGRAMMES, likely_unserved, receiving, reform_impact

ON = dt.date(2026, 6, 1)
ADMIN = Viewer(4, "admin", "admin", None, "관리자")
MINISTRY = Viewer(3, "ministry", "ministry", None, "복지부")
TABLES = ("region", "household", "person", "benefit_history")


@pytest.fixture
def loaded(store: Store, small_world: dict[str, pd.DataFrame]) -> Store:
    for name in TABLES:
        store.write_frame(name, small_world[name])
    return store


def _expected(world: dict[str, pd.DataFrame]):
    households = world["household"]
    urban = world["region"].query("level == 'sigungu'").set_index("code")["urban_class"]
    hh = validate_households(world_inputs(households, urban,
                                          severe_disabled=severe_disabled_18_64(world["person"], ON)))
    return households, hh


def test_flags_match_the_engine_on_both_stores(loaded: Store, small_world) -> None:
    households, hh = _expected(small_world)
    result = assess(current_law().at(ON), hh)
    got = receiving(small_world["benefit_history"], ON)
    ids = households["household_id"].to_numpy()
    expected = np.zeros(len(ids), dtype=bool)
    for p in RECORDED_PROGRAMMES:
        has = np.isin(ids, got.loc[got["programme"] == p, "household_id"].to_numpy())
        expected |= result.eligible[p] & ~has
    flagged = likely_unserved(loaded, ADMIN, on=ON)
    assert sorted(flagged["household_id"]) == sorted(ids[expected].tolist())
    assert 0 < len(flagged) < len(ids)


def test_reform_tables_match_the_engine_on_both_stores(loaded: Store, small_world) -> None:
    households, hh = _expected(small_world)
    comparison = compare(hh, load_reform("seed_standardisation"), ON)
    changes = comparison.household_changes()
    impact = reform_impact(loaded, MINISTRY, on=ON)
    assert impact.households == len(households)
    assert impact.gainers and impact.gainers > 0  # type 2 / type 3 change real worlds
    assert impact.gainers == int((changes["outcome"] == "gains").sum())
    assert impact.losers == int((changes["outcome"] == "loses").sum())
    summary = comparison.programme_summary().set_index("programme")
    assert impact.programmes["recipients_reform"].tolist() == summary["recipients_reform"].tolist()
    by_gu = changes.groupby(households["sigungu_code"].to_numpy())["outcome"].apply(lambda s: (s == "gains").sum())
    shown = impact.by_region.dropna(subset=["gainers"])
    assert shown["gainers"].astype(int).to_dict() == {k: int(v) for k, v in by_gu.items() if k in shown.index}
