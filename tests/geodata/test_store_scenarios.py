"""store.scenarios (saved simulation scenarios): the same contract on both stores."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from geodata.store.base import Store, StoreInputError

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def _user(store: Store, username: str, role: str = "planner", code: str = "36110") -> int:
    return store.users.add(username=username, password_hash="scrypt$x", role=role,
                           jurisdiction_code=code, display_name=username)


def test_scenarios_save_and_read_back_by_id_and_scope(store: Store) -> None:
    kim = _user(store, "kim")
    lee = _user(store, "lee", role="ministry", code="")
    spec = json.dumps({"criteria": [{"signal": "nonhousing", "mode": "include", "weight": 1.0}]},
                      ensure_ascii=False)
    a = store.scenarios.add(name="비주택 포함", owner_user_id=kim, owner_username="kim",
                            jurisdiction_code="36110", spec=spec, created_at=T0)
    b = store.scenarios.add(name="전국 65+", owner_user_id=lee, owner_username="lee",
                            jurisdiction_code=None, spec="{}", created_at=T0 + dt.timedelta(hours=1))
    c = store.scenarios.add(name="비주택 포함", owner_user_id=lee, owner_username="lee",
                            jurisdiction_code="30110", spec="{}")  # another owner may reuse a name
    everything = store.scenarios.frame()
    assert everything["scenario_id"].tolist() == [a, b, c]
    first = everything.iloc[0]
    assert first["name"] == "비주택 포함" and first["owner_username"] == "kim"
    assert json.loads(first["spec"])["criteria"][0]["signal"] == "nonhousing"
    assert first["created_at"] == T0 and str(everything["created_at"].dt.tz) == "UTC"
    assert store.scenarios.frame(jurisdiction_codes=["36110"])["scenario_id"].tolist() == [a]
    assert store.scenarios.frame(jurisdiction_codes=[None])["scenario_id"].tolist() == [b]
    assert store.scenarios.frame(jurisdiction_codes=["36110", None])["scenario_id"].tolist() == [a, b]
    assert store.scenarios.frame(jurisdiction_codes=[]).empty
    assert store.scenarios.frame(scenario_ids=[c, a])["scenario_id"].tolist() == [a, c]
    assert store.scenarios.frame(scenario_ids=[a], jurisdiction_codes=["30110"]).empty
    assert list(store.scenarios.frame(scenario_ids=[999]).columns) == list(everything.columns)


def test_a_name_is_unique_per_owner_and_nothing_half_written(store: Store) -> None:
    kim = _user(store, "kim")
    store.scenarios.add(name="A", owner_user_id=kim, owner_username="kim",
                        jurisdiction_code="36110", spec="{}")
    with pytest.raises(StoreInputError):
        store.scenarios.add(name="A", owner_user_id=kim, owner_username="kim",
                            jurisdiction_code="36110", spec='{"x": 1}')
    with pytest.raises(StoreInputError):
        store.scenarios.add(name="B", owner_user_id=kim + 50, owner_username="ghost",
                            jurisdiction_code=None, spec="{}")
    assert store.scenarios.frame()["spec"].tolist() == ["{}"]
