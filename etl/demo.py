"""The demo world that ``make run`` builds on first start.

Generate the synthetic world, load it into the configured store, create demo users, train the
models, score every household and write the model card. A second start finds the scored world
and does nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path

from domain.progress import Progress
from geodata.regions import sigungu_of
from geodata.settings import Settings, get_settings
from geodata.store import Store

log = logging.getLogger(__name__)
# Share of households in each cycle's random audit sample. Far above what a real administration
# would audit: with 1% the hidden-household headline of a 200k world rested on ~10 effective
# rows; 3% gives ~50-100 (docs/data.md).
DEMO_AUDIT_RATE = 0.03


def write_truth_check(report: object, world: dict, oracle_path: Path, card_dir: Path) -> Path:
    """The card's "estimate vs truth" table from the oracle file (``truth.json`` in ``card_dir``)."""
    from etl.generate import read_oracle
    from models.truth import truth_at_capacity

    truth = truth_at_capacity(report, world, read_oracle(oracle_path))
    card_dir.mkdir(parents=True, exist_ok=True)
    path = card_dir / "truth.json"
    path.write_text(truth.to_json(orient="records", force_ascii=False), encoding="utf-8")
    return path


def demo_dense_regions(settings: Settings) -> list[str]:
    """The demo's real-density 시군구 (``ATLAS_DEMO_DENSE_REGIONS``) inside its 시도
    (``ATLAS_DEMO_SIDO``; all when empty)."""
    sido = {c for c in settings.demo_sido.split(",") if c}
    codes = [c.strip() for c in settings.demo_dense_regions.split(",") if c.strip()]
    return [c for c in codes if not sido or c[:2] in sido]


def demo_world_present(store: Store) -> bool:
    """True when the store holds households and their risk scores."""
    return store.count("household") > 0 and store.count("risk_score") > 0


def ensure_demo_world(
    store: Store,
    *,
    force: bool = False,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> bool:
    """Build the demo world unless it is already there.

    Parameters
    ----------
    store
        Initialised target store.
    force
        Rebuild even when a scored world exists.
    settings
        Settings (demo size, seed, 시도 subset); the process-wide ones when omitted.
    progress
        Optional callback ``progress(fraction_done, step)`` (:class:`domain.progress.Progress`).

    Returns
    -------
    bool
        True when a world was built, False when one was already present.
    """
    from etl.generate import generate_world
    from etl.load import data_as_of, load_world
    from etl.regions import cached_region_layers
    from models.card import write_model_card
    from models.scoring import score_households
    from models.training import train_models
    from services.users import ensure_demo_users

    settings = settings or get_settings()
    step = progress or (lambda _f, _s: None)
    if demo_world_present(store) and not force:
        _ensure_demo_provider(store)  # worlds built before providers existed gain one
        return False
    step(0.0, "boundaries")
    regions = cached_region_layers()
    step(0.15, "generate")
    sido = [c for c in settings.demo_sido.split(",") if c]
    dense = demo_dense_regions(settings)
    oracle_path = settings.data_dir / "oracle" / "oracle.parquet"  # outside the store
    world = generate_world(settings.demo_households, settings.demo_seed, sido, regions=regions,
                           audit_rate=DEMO_AUDIT_RATE, oracle_path=oracle_path,
                           dense_regions=dense)  # fmt: skip
    step(0.35, "load")
    load_world(store, world)
    step(0.5, "demo users")
    jurisdictions = _demo_jurisdictions(world)
    ensure_demo_users(store, jurisdictions=jurisdictions,
                      provider_facility_id=_demo_provider_facility(world, jurisdictions["outreach"]))
    step(0.55, "train")
    as_of = data_as_of(store)
    # Two test cycles: with one, the top 0.7% of a 200k world's audit-weighted test rows is too
    # few to tell the model from the legacy rule (see docs/models.md).
    report = train_models(store, as_of=as_of, seed=settings.demo_seed, test_cycles=2, ablation=True)
    step(0.8, "score")
    score_households(store, as_of=as_of)
    step(0.9, "model card")
    card_dir = settings.data_dir / "model_card"
    write_truth_check(report, world, oracle_path, card_dir)
    write_model_card(report, card_dir)
    step(1.0, "done")
    return True


def _ensure_demo_provider(store: Store) -> None:
    """Add the demo provider to an existing demo world that has none (idempotent)."""
    from services.users import ensure_demo_users

    outreach = store.users.by_username("outreach")
    if store.users.by_username("provider") is not None or outreach is None:
        return
    emd = str(outreach.jurisdiction_code)
    world = {"facility": store.read_frame("facility"),
             "household": store.read_frame("household", columns=["emd_code", "geometry"],
                                           where={"emd_code": emd})}
    ensure_demo_users(store, jurisdictions={"outreach": emd, "planner": emd[:5]},
                      provider_facility_id=_demo_provider_facility(world, emd))


def _demo_provider_facility(world: dict, emd_code: str) -> int | None:
    """The demo provider's facility: the community facility (사회복지관 and the like, suited to
    every household) with free places nearest the demo outreach worker's households."""
    facilities = world["facility"]
    homes = world["household"]
    homes = homes[homes["emd_code"] == emd_code]
    if facilities.empty or homes.empty:
        return None
    centre = homes.to_crs(5179).geometry.union_all().centroid
    free = facilities[facilities["capacity"] > facilities["current_users"] + 1]
    community = free[free["target_group"] == "community"]
    pool = community if len(community) else free
    if pool.empty:
        return None
    return int(pool.loc[pool.to_crs(5179).distance(centre).idxmin(), "facility_id"])


def _demo_jurisdictions(world: dict) -> dict[str, str]:
    """Home of the demo outreach worker and planner: the real-density 읍면동 with the most
    welfare teams (then households), else the 읍면동 with the most households, and its 시군구."""
    households = world["household"]
    counts = households["emd_code"].value_counts()
    region = world.get("region")
    emd = counts.index[0]
    if region is not None and "welfare_teams" in region:
        dense = region[(region["level"] == "emd") & region["welfare_teams"].notna()]
        dense = dense.assign(n=dense["code"].map(counts).fillna(0))
        dense = dense[dense["n"] > 0]
        if len(dense):
            emd = str(dense.sort_values(["welfare_teams", "n"], ascending=False)["code"].iloc[0])
    sigungu = sigungu_of(emd)
    return {"outreach": emd, "planner": sigungu}
