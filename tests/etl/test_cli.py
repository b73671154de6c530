"""The atlas CLI end to end on the embedded store (small world)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from etl.cli import app
from geodata.settings import get_settings
from geodata.store.factory import _cached_store

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, region_layers) -> Path:
    monkeypatch.setenv("ATLAS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ATLAS_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    _cached_store.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
    _cached_store.cache_clear()


def test_init_generate_status(data_dir: Path) -> None:
    result = runner.invoke(app, ["init-db"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["generate", "--households", "400", "--seed", "3", "--sido", "50"])
    assert result.exit_code == 0, result.output
    assert "household" in (data_dir / "store" / "manifest.json").read_text()
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0
    assert "household" in result.output and "400" in result.output


def test_generate_writes_the_oracle_outside_the_store(data_dir: Path, tmp_path_factory) -> None:
    oracle = tmp_path_factory.mktemp("truth") / "oracle.parquet"
    result = runner.invoke(app, ["generate", "--households", "400", "--seed", "3", "--sido", "50",
                                 "--oracle", str(oracle)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert oracle.exists()
    stored = {p.name for p in (data_dir / "store").rglob("*")}
    assert not any("oracle" in name for name in stored)


def test_generate_refuses_bad_sido_with_a_clear_message(data_dir: Path) -> None:
    result = runner.invoke(app, ["generate", "--households", "400", "--sido", "99"])
    assert result.exit_code == 2
    assert "unknown sido codes ['99']" in result.output
    assert "Traceback" not in result.output


def test_ingest_reports_a_missing_file_without_a_traceback(data_dir: Path) -> None:
    result = runner.invoke(app, ["ingest", "facilities", str(data_dir / "nope.csv")])
    assert result.exit_code == 2
    assert "error:" in result.output and "Traceback" not in result.output


def test_score_on_dask_lands_every_household(data_dir: Path) -> None:
    """``atlas score --engine dask`` on a LocalCluster of worker processes, staged swap included."""
    from etl.generate import AS_OF
    from geodata.store.factory import open_store
    from models import batch
    from models.features import load_tables
    from models.training import train_from_tables

    assert runner.invoke(app, ["generate", "--households", "3000", "--seed", "11", "--sido", "29,30,36"]).exit_code == 0
    store = open_store()
    tables = {t: v for t, v in load_tables(store).items() if t in batch.FEATURE_TABLES}
    train_from_tables(tables, as_of=AS_OF, seed=0, models_dir=get_settings().models_dir, n_boot=50,
                      kinds=("logit",))
    result = runner.invoke(app, ["score", "--engine", "dask", "--workers", "1", "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    assert "3,000 households scored on Dask" in result.output
    scores = store.read_frame("risk_score")
    assert len(scores) == 3000 and scores["household_id"].is_unique
    assert set(scores["tier"]) <= {1, 2, 3, 4} and scores["rank"].min() == 1
    result = runner.invoke(app, ["score", "--engine", "spark"])
    assert result.exit_code == 2 and "--engine must be 'memory' or 'dask'" in result.output
