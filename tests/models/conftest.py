"""Fixtures for the risk-model tests: a small deterministic world and an in-memory store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from models.synthetic import AS_OF, make_world
from models.training import train_from_tables


class FrameStore:
    """A fake store with the two bulk-table methods the models use."""

    def __init__(self, tables: dict[str, pd.DataFrame]) -> None:
        self.tables = {k: v.copy() for k, v in tables.items()}
        self.writes: list[tuple[str, str, int]] = []

    def read_frame(
        self, table: str, *, columns: Sequence[str] | None = None, where: Any = None
    ) -> pd.DataFrame:
        frame = self.tables[table]
        if where:
            for col, val in where.items():
                vals = val if isinstance(val, list | tuple | set) else [val]
                frame = frame[frame[col].isin(vals)]
        return frame[list(columns)].copy() if columns is not None else frame.copy()

    def write_frame(self, table: str, frame: pd.DataFrame, *, mode: str = "replace") -> int:
        if mode == "replace" or table not in self.tables:
            self.tables[table] = frame.copy()
        else:
            self.tables[table] = pd.concat([self.tables[table], frame], ignore_index=True)
        self.writes.append((table, mode, len(frame)))
        return len(frame)


@pytest.fixture(autouse=True, scope="session")
def _one_openmp_thread() -> Iterator[None]:
    """Oversubscribed OpenMP threads make gradient boosting crawl on shared CI machines."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="session")
def as_of() -> dt.date:
    return AS_OF


@pytest.fixture(scope="session")
def world() -> dict[str, pd.DataFrame]:
    return make_world(3_000, seed=3)


@pytest.fixture
def store(world: dict[str, pd.DataFrame]) -> FrameStore:
    return FrameStore(world)


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def report(world: dict[str, pd.DataFrame], registry: Any) -> Any:
    """One trained registry shared by the slower tests (hgb + logit, small bootstrap, ablation on)."""
    return train_from_tables(
        world,
        as_of=AS_OF,
        seed=0,
        models_dir=registry,
        n_boot=100,
        test_cycles=2,
        ablation=True,
        trained_at=dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC),
    )
