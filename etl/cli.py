"""The ``atlas`` command line: set up stores, generate and ingest data, train and score models."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as ProgressBar
from rich.table import Table

from domain.progress import Progress
from etl.load import data_as_of
from geodata.settings import get_settings
from geodata.store import Store, StoreError, open_store

app = typer.Typer(help="Bokji Atlas (복지 아틀라스) command line.", no_args_is_help=True)
console = Console()
log = logging.getLogger("atlas")


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else get_settings().log_level,
        format="%(message)s",
        handlers=[RichHandler(console=console, show_path=False)],
    )


@contextmanager
def _progress(title: str) -> Iterator[Progress]:
    with ProgressBar(
        TextColumn(f"[bold]{title}[/] {{task.description}}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task("", total=1.0)

        def update(fraction: float, step: str) -> None:
            bar.update(task, completed=fraction, description=step)

        yield update
        bar.update(task, completed=1.0)


def _store() -> Store:
    try:
        store = open_store()
        store.init()
        return store
    except StoreError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc


@app.command("init-db")
def init_db() -> None:
    """Create or migrate the schema of the configured store."""
    store = _store()
    console.print(f"schema ready on {store!r}")


@app.command("load-boundaries")
def load_boundaries_cmd() -> None:
    """Prepare the official boundaries (repair, display geometry) and write the region table."""
    from etl.regions import cached_region_layers

    store = _store()
    with _progress("boundaries") as update:
        update(0.1, "preparing (first run takes a few minutes)")
        layers = cached_region_layers()
        update(0.8, "writing")
        store.write_frame("region", layers, mode="replace")
    console.print(f"{len(layers)} regions written")


@app.command()
def generate(
    households: Annotated[int, typer.Option(help="Number of households.")] = 200_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 20261124,
    sido: Annotated[str, typer.Option(help="Comma-separated 시도 codes; all when empty.")] = "",
    audit_rate: Annotated[float, typer.Option(help="Share of households in each cycle's audit sample.")] = 0.01,
    oracle: Annotated[Path | None, typer.Option(help="Write the oracle file (true outcome probabilities) "
                                                     "here; keep it outside the store.")] = None,
    dense_region: Annotated[list[str] | None, typer.Option(
        help="시군구 code generated at its real (published) household count on top of --households; "
             "repeatable; codes in etl/reference/demo_regions.csv.")] = None,
) -> None:
    """Generate a synthetic world and load it into the configured store (replacing its data).

    --households is the sample-density layer (spread over Korea by 시도 share); each
    --dense-region adds a 시군구 at its real density.
    """
    from etl.generate import GenerationError, generate_world
    from etl.load import load_world

    store = _store()
    codes = [c.strip() for c in sido.split(",") if c.strip()]
    try:
        with _progress("generate") as update:
            world = generate_world(households, seed, codes, progress=update, audit_rate=audit_rate,
                                   oracle_path=oracle, dense_regions=dense_region or ())  # fmt: skip
        with _progress("load") as update:
            load_world(store, world, progress=update)
    except GenerationError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from exc
    console.print({name: len(frame) for name, frame in world.items()})


@app.command()
def ingest(
    kind: Annotated[str, typer.Argument(help="households | facilities | signals")],
    file: Annotated[Path, typer.Argument(exists=False, help="CSV, Parquet or GeoPackage file.")],
    crs: Annotated[int | None, typer.Option(help="EPSG code of the coordinates (4326, 5179, 5186, 5174).")] = None,
    max_reject_share: Annotated[float, typer.Option(help="Write nothing above this rejected share.")] = 0.05,
    replace: Annotated[bool, typer.Option("--replace", help="Replace stored rows the file changes (and their dependent rows).")] = False,
) -> None:
    """Validate and load a real file; rejected rows go to a quarantine file.

    Exit code 0: loaded (rejected rows, if any, are in the quarantine file); 2: nothing written.
    """
    from etl.ingest import ingest as run_ingest

    store = _store()
    try:
        with _progress(f"ingest {kind}") as update:
            report = run_ingest(
                store, kind, file, crs=crs, max_reject_share=max_reject_share, replace=replace,
                progress=update,
            )
    except (ValueError, StoreError) as exc:  # IngestFileError, IngestRejectedError, bad arguments
        console.print("[red]error:[/] " + escape(str(exc)))
        raise typer.Exit(2) from exc
    new = report.rows_loaded - report.rows_unchanged - report.rows_replaced
    dependents = "".join(f", {n} {what}" for what, n in report.dependents.items())
    console.print(
        f"loaded {report.rows_loaded} of {report.rows_read} rows into {kind} ({new} new, "
        f"{report.rows_replaced} replaced{dependents}, {report.rows_unchanged} unchanged); "
        f"rejected {report.rows_rejected}"
        + (escape(f" -> {report.quarantine_path}") if report.quarantine_path else "")
    )
    for reason, n in report.reasons_count.items():
        console.print(escape(f"  rejected: {reason}: {n}"))


@app.command()
def status() -> None:
    """Row counts of every table in the configured store."""
    store = _store()
    table = Table(title=f"{store!r}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in store.status().items():
        table.add_row(name, f"{count:,}")
    console.print(table)


def _as_of(store: Store, given: str | None) -> dt.date:
    """The scoring date: as given, or the last day of the newest month with crisis signals."""
    if given:
        try:
            return dt.date.fromisoformat(given)
        except ValueError as exc:
            console.print(f"[red]error:[/] --as-of must be a date like 2026-10-31, not {given!r}")
            raise typer.Exit(2) from exc
    return data_as_of(store)


AsOf = Annotated[str | None, typer.Option(help="Scoring date (YYYY-MM-DD); default: end of the newest data month.")]


@app.command()
def train(
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    as_of: AsOf = None,
    test_cycles: Annotated[int, typer.Option(help="Latest discovery cycles held out for testing.")] = 2,
    ablation: Annotated[bool, typer.Option(help="Also measure each feature family's contribution.")] = True,
) -> None:
    """Train the legacy rule, the scorecard and gradient boosting; register the chosen model."""
    from models.training import train_models

    store = _store()
    report = train_models(
        store, as_of=_as_of(store, as_of), seed=seed, test_cycles=test_cycles, ablation=ablation
    )
    console.print(report.summary() if hasattr(report, "summary") else report)


@app.command()
def score(
    model_version: Annotated[str | None, typer.Option(help="Model version; the latest when omitted.")] = None,
    as_of: AsOf = None,
    engine: Annotated[str, typer.Option(help="'memory' (one process) or 'dask' (partitioned by 시도).")] = "memory",
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address; a LocalCluster when omitted.")] = None,
    workers: Annotated[int, typer.Option(help="LocalCluster workers (engine dask).", min=1)] = 2,
    memory_limit: Annotated[str, typer.Option(help="Memory limit per LocalCluster worker.")] = "2GiB",
) -> None:
    """Score every household and write the risk_score table."""
    store = _store()
    day = _as_of(store, as_of)
    if engine == "memory":
        from models.scoring import score_households

        scores = score_households(store, as_of=day, model_version=model_version)
        console.print(f"{len(scores):,} households scored")
        return
    if engine != "dask":
        console.print(f"[red]error:[/] --engine must be 'memory' or 'dask', not {engine!r}")
        raise typer.Exit(2)
    from models.batch import BatchScoringError, score_households_dask

    try:
        result = score_households_dask(store, as_of=day, model_version=model_version,
                                       address=scheduler, n_workers=workers, memory_limit=memory_limit)
    except BatchScoringError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    console.print(f"{result.rows:,} households scored on Dask ({result.tasks} tasks, "
                  f"{result.workers} workers, tiers per {result.tier_level}, {result.total_s:.1f} s)")


@app.command("model-card")
def model_card(
    out_dir: Annotated[Path | None, typer.Option(help="Output folder.")] = None,
    docs: Annotated[Path | None, typer.Option(help="Also replace the generated section of this "
                                                   "document (e.g. docs/models.md).")] = None,
) -> None:
    """Write the model card (HTML with PNG plots) and the figures of docs/models.md."""
    from models.card import write_model_card
    from models.card_figures import replace_generated_section

    store = _store()
    path = write_model_card(store, out_dir or get_settings().data_dir / "model_card")
    console.print(f"model card written to {path}")
    if docs is not None:
        try:
            replace_generated_section(docs, (path.parent / "figures.md").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            console.print(f"[red]error:[/] {exc}")
            raise typer.Exit(2) from exc
        console.print(f"figures written into {docs}")


@app.command()
def demo(
    force: Annotated[bool, typer.Option(help="Rebuild even when a demo world exists.")] = False,
) -> None:
    """Build the demo world on first run (generate, load, demo users, train, score, card)."""
    from etl.demo import ensure_demo_world

    store = _store()
    with _progress("demo") as update:
        built = ensure_demo_world(store, force=force, progress=update)
    console.print("demo world built" if built else "demo world already present")


if __name__ == "__main__":
    app()
