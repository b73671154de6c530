"""Multi-table writes (``Store.write_frames``) and schema limits, the same on both stores."""

from __future__ import annotations

import pandas as pd
import pytest

from geodata.store.base import FrameWrite, Store, StoreInputError


def _signals(ids: list[int], value: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "household_id": ids,
            "source": ["gas_arrears"] * len(ids),
            "month": pd.to_datetime(["2024-01-01"] * len(ids)),
            "value": [value] * len(ids),
        }
    )


def _persons(pairs: list[tuple[int, int]], name: str = "김민수") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": [p for p, _ in pairs],
            "household_id": [h for _, h in pairs],
            "name": [name] * len(pairs),
            "rrn_masked": ["500101-1******"] * len(pairs),
            "birth_year": [1950] * len(pairs),
            "sex": ["M"] * len(pairs),
            "disability": ["none"] * len(pairs),
            "relation": ["head"] * len(pairs),
        }
    )


def test_delete_and_upsert_apply_together(store: Store) -> None:
    store.write_frame("person", _persons([(1, 10), (2, 10), (3, 11)]))
    store.write_frame("crisis_signal", _signals([10, 11]))
    counts = store.write_frames(
        [
            FrameWrite("person", pd.DataFrame({"person_id": [1, 2, 99]}), "delete"),
            FrameWrite("crisis_signal", _signals([10, 12], value=5.0), "upsert"),
        ]
    )
    assert counts == [3, 2]
    assert sorted(store.read_frame("person")["person_id"]) == [3]
    sig = store.read_frame("crisis_signal").sort_values("household_id")
    assert sig["household_id"].tolist() == [10, 11, 12]
    assert sig["value"].tolist() == [5.0, 1.0, 5.0]


def test_a_bad_part_writes_nothing(store: Store) -> None:
    store.write_frame("person", _persons([(1, 10)]))
    store.write_frame("crisis_signal", _signals([10]))
    bad = _persons([(2, 11)], name="가" * 21)  # name is String(20)
    with pytest.raises(StoreInputError, match="'name' are longer than 20 characters"):
        store.write_frames(
            [
                FrameWrite("crisis_signal", _signals([10, 11], value=9.0), "upsert"),
                FrameWrite("person", bad, "upsert"),
            ]
        )
    assert store.read_frame("crisis_signal")["value"].tolist() == [1.0]
    assert store.read_frame("person")["person_id"].tolist() == [1]


def test_integer_ranges_and_twice_named_tables_are_refused(store: Store) -> None:
    persons = _persons([(1, 10)])
    persons["birth_year"] = 40_000  # SmallInteger
    with pytest.raises(StoreInputError, match="'birth_year' are outside the SMALLINT range"):
        store.write_frame("person", persons)
    with pytest.raises(StoreInputError, match="appears twice"):
        store.write_frames(
            [FrameWrite("person", _persons([(1, 10)])), FrameWrite("person", _persons([(2, 10)]))]
        )
    with pytest.raises(StoreInputError, match="mode must be one of"):
        store.write_frames([FrameWrite("person", _persons([(1, 10)]), "merge")])  # type: ignore[arg-type]
    assert store.count("person") == 0


def test_embedded_store_files_are_private(tmp_path) -> None:
    import stat

    from geodata.store.embedded import EmbeddedStore

    store = EmbeddedStore(tmp_path / "store")
    store.init()
    store.write_frame("person", _persons([(1, 10)]))
    root = tmp_path / "store"
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    files = [p for p in root.iterdir() if p.is_file()]
    names = {p.name for p in files}
    assert {"manifest.json", "operational.sqlite"} <= names
    assert any(n.startswith("person.") and n.endswith(".parquet") for n in names), names
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files), [
        (p.name, oct(p.stat().st_mode)) for p in files]


def test_limit_checks_accept_nullable_integers_with_missing_values() -> None:
    from geodata.store.frames import limit_violations

    years = pd.DataFrame({"birth_year": pd.array([1950, None, 40_000, -40_000], dtype="Int64")})
    bad = limit_violations("person", years)
    assert bad["birth_year"].tolist() == [False, False, True, True]
    assert limit_violations("person", years.iloc[:2]) == {}
    assert limit_violations("person", pd.DataFrame({"birth_year": pd.array([None, None],
                                                                           dtype="Int64")})) == {}
