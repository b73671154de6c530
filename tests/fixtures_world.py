"""A tiny deterministic world for the app and service tests (세종 + 대전, real boundaries).

``build_world(root)`` writes regions, households, people, scores, histories and facilities into
an ``EmbeddedStore(root)`` and creates the demo users plus a second outreach worker. Most
households live in 조치원읍 (the outreach worker's 읍면동) so that its cells are never small;
세종 연기면 has exactly 3 households, so that its cell is always suppressed.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from domain.access import Viewer
from geodata.store.base import Store
from geodata.store.embedded import EmbeddedStore
from geodata.vocabulary import CRISIS_SOURCES, HOUSEHOLD_TYPES

SIDO = ("30", "36")
OUTREACH_EMD = "36110250"  # 세종 조치원읍
OTHER_EMD = "36110101"  # 세종 반곡동 (another team)
SMALL_EMD = "36110310"  # 세종 연기면: 3 households only
PLANNER_SIGUNGU = "36110"
MODEL_VERSION = "test-gbm-1"
#: Viewers of the users build_world creates (user ids in creation order).
OUTREACH = Viewer(1, "outreach", "outreach", OUTREACH_EMD, "김담당")
PLANNER = Viewer(2, "planner", "planner", PLANNER_SIGUNGU)
MINISTRY = Viewer(3, "ministry", "ministry")
ADMIN = Viewer(4, "admin", "admin")
SURNAMES = "김이박최정강조윤장임"
GIVEN = ("민수", "서연", "지훈", "하은", "도윤", "수아", "영호", "순자", "철수", "미경")
PASSWORDS = {"outreach": "outreach-demo", "outreach2": "outreach2-demo",
             "planner": "planner-demo", "ministry": "ministry-demo", "admin": "admin-demo",
             "provider": "provider-demo"}


@dataclass(frozen=True)
class World:
    """Handle on the built world."""

    root: Path
    store: EmbeddedStore
    households: pd.DataFrame


_CACHE = Path(__file__).parent / "artifacts" / "fixture_regions.parquet"
_TOLERANCE_M = {"sido": 500.0, "sigungu": 250.0, "emd": 40.0}


def _regions() -> gpd.GeoDataFrame:
    """Boundaries of the fixture 시도 with display geometry (cached on disk: ~10 s to build)."""
    if _CACHE.exists():
        cached = gpd.read_parquet(_CACHE)
        cached["display_geometry"] = gpd.GeoSeries.from_wkb(cached["display_geometry"]).values
        return cached
    from geodata.boundaries import load_boundaries, simplify_for_display

    frames = []
    for level in ("sido", "sigungu", "emd"):
        full = load_boundaries(level)
        full = full[full["sido_code"].isin(SIDO)].copy()
        full["display_geometry"] = simplify_for_display(
            full, tolerance_m=_TOLERANCE_M[level]).to_numpy()
        frames.append(full)
    regions = pd.concat(frames, ignore_index=True)
    _CACHE.parent.mkdir(parents=True, exist_ok=True)
    out = regions.copy()
    out["display_geometry"] = shapely.to_wkb(out["display_geometry"].to_numpy())
    gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326").to_parquet(_CACHE)
    regions["population"] = 1000
    regions["households"] = 400
    return gpd.GeoDataFrame(regions, geometry="geometry", crs="EPSG:4326")


def _points_in(poly: shapely.Geometry, n: int, rng: np.random.Generator) -> list[shapely.Point]:
    minx, miny, maxx, maxy = poly.bounds
    out: list[shapely.Point] = []
    while len(out) < n:
        xs = rng.uniform(minx, maxx, 4 * n)
        ys = rng.uniform(miny, maxy, 4 * n)
        inside = shapely.contains_xy(poly, xs, ys)
        out += [shapely.Point(x, y) for x, y in zip(xs[inside], ys[inside], strict=True)]
    return out[:n]


def _households(regions: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    emd = regions[regions["level"] == "emd"].set_index("code")
    plan = {OUTREACH_EMD: 120, OTHER_EMD: 40, SMALL_EMD: 3}
    for code in emd.index:
        plan.setdefault(code, 12 if code.startswith("36") else 8)
    rows, geoms = [], []
    hid = 1
    for code, n in plan.items():
        for point in _points_in(emd.loc[code, "geometry"], n, rng):
            size = int(rng.integers(1, 5))
            rows.append({
                "household_id": hid, "emd_code": code, "sigungu_code": code[:5],
                "sido_code": code[:2], "size": size, "n_elderly": int(rng.integers(0, 2)),
                "n_children": int(rng.integers(0, 2)) if size > 1 else 0,
                "n_disabled": int(rng.random() < 0.1), "head_age": int(rng.integers(25, 90)),
                "household_type": HOUSEHOLD_TYPES[hid % len(HOUSEHOLD_TYPES)].code,
                "is_multicultural": bool(rng.random() < 0.05), "housing_type": "apartment",
                "tenure": "monthly_rent", "income_monthly_krw": float(rng.integers(0, 4_000_000)),
                "property_residential_krw": 0.0, "property_general_krw": 0.0,
                "financial_assets_krw": 1e6, "car_value_krw": 0.0, "debt_krw": 0.0,
            })
            geoms.append(point)
            hid += 1
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs="EPSG:4326")


def _people(hh: pd.DataFrame) -> pd.DataFrame:
    rows = []
    pid = 1
    for _, h in hh.iterrows():
        for i in range(int(h["size"])):
            name = SURNAMES[(pid * 7) % 10] + GIVEN[(pid * 3) % 10]
            birth = 2025 - int(h["head_age"]) if i == 0 else 1950 + (pid % 60)
            rows.append({"person_id": pid, "household_id": int(h["household_id"]), "name": name,
                         "rrn_masked": f"{birth % 100:02d}0101-{1 + pid % 2}******",
                         "birth_year": birth, "sex": "M" if pid % 2 else "F",
                         "disability": "none", "relation": "head" if i == 0 else "other"})
            pid += 1
    return pd.DataFrame(rows)


def _scores(hh: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    prob = rng.beta(1.2, 5.0, len(hh))
    # Make the outreach 읍면동 riskier so the map has a visible hot area.
    prob[hh["sigungu_code"].eq("36110").to_numpy()] += 0.15
    prob = np.clip(prob, 0, 0.99)
    tier = np.select([prob >= 0.45, prob >= 0.3, prob >= 0.15], [1, 2, 3], 4)
    frame = pd.DataFrame({"household_id": hh["household_id"], "model_version": MODEL_VERSION,
                          "scored_at": pd.Timestamp("2026-11-01", tz="UTC"), "probability": prob,
                          "tier": tier, "jurisdiction_code": hh["emd_code"]})
    frame["rank"] = frame.groupby("jurisdiction_code")["probability"].rank(
        ascending=False, method="first").astype(int)
    sources = CRISIS_SOURCES
    frame["reasons"] = [json.dumps([
        {"code": sources[i % 12].code, "label_ko": sources[i % 12].ko + " 3개월",
         "label_en": sources[i % 12].en + " (3 months)", "weight": 0.3},
        {"code": sources[(i + 5) % 12].code, "label_ko": sources[(i + 5) % 12].ko,
         "label_en": sources[(i + 5) % 12].en, "weight": 0.2},
        {"code": "single_elderly", "label_ko": "독거 노인 가구", "label_en": "older person alone",
         "weight": 0.1}], ensure_ascii=False) for i in range(len(frame))]
    return frame


def _histories(hh: pd.DataFrame) -> dict[str, pd.DataFrame]:
    ids = hh["household_id"].to_numpy()
    cycles = [dt.date(2025, 3, 1), dt.date(2025, 9, 1), dt.date(2026, 3, 1)]
    outcomes = ("supported", "not_eligible", "unreachable")
    disc = [{"discovery_id": k + 1, "household_id": int(h), "cycle_date": cycles[k % 3],
             "selection": "legacy_rule", "legacy_signal_count": 2, "outcome": outcomes[k % 3],
             "outcome_date": cycles[k % 3] + dt.timedelta(days=20)}
            for k, h in enumerate(ids[::3])]
    benefit = [{"benefit_id": k + 1, "household_id": int(h), "programme": "기초연금",
                "start_date": dt.date(2024, 1, 1), "end_date": None} for k, h in enumerate(ids[::4])]
    consult = [{"consultation_id": k + 1, "household_id": int(h), "consulted_on": dt.date(2026, 5, 2),
                "channel": "visit", "topic": "생계 상담"} for k, h in enumerate(ids[::5])]
    support = [{"support_id": k + 1, "household_id": int(h), "supported_on": dt.date(2026, 6, 1),
                "kind": "public", "programme": "긴급복지 생계지원", "amount_krw": 730000.0}
               for k, h in enumerate(ids[::6])]
    signal = [{"household_id": int(h), "source": CRISIS_SOURCES[k % 12].code,
               "month": dt.date(2026, 9, 1), "value": 50000.0} for k, h in enumerate(ids[::2])]
    return {"discovery_history": pd.DataFrame(disc), "benefit_history": pd.DataFrame(benefit),
            "consultation": pd.DataFrame(consult), "support": pd.DataFrame(support),
            "crisis_signal": pd.DataFrame(signal)}


def _facilities(regions: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    emd = regions[(regions["level"] == "emd") & regions["sigungu_code"].eq("36110")]
    types = [("F06", "노인복지관", "elderly", "leisure"), ("F40", "지역아동센터", "children", "day_care"),
             ("F55", "사회복지관", "community", "community_service"),
             ("F24", "장애인복지관", "disabled", "community_service")]
    rows, geoms = [], []
    for k, (_, region) in enumerate(emd.iterrows()):
        code, name, group, func = types[k % 4]
        cap = int(rng.integers(20, 80))
        rows.append({"facility_id": k + 1, "name": f"{region['name']} {name}", "type_code": code,
                     "type_name": name, "target_group": group, "function": func,
                     "capacity": cap, "current_users": cap - int(rng.integers(0, 10)),
                     "address": f"세종특별자치시 {region['name']}", "emd_code": region["code"],
                     "sigungu_code": "36110", "sido_code": "36"})
        geoms.append(region["geometry"].representative_point())
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs="EPSG:4326")


def provider_facility(regions: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame) -> int:
    """The demo provider's facility: the 사회복지관 (suits every household) with free places
    nearest the outreach worker's 읍면동."""
    home = regions.loc[regions["code"] == OUTREACH_EMD, "geometry"].iloc[0].representative_point()
    free = facilities[(facilities["target_group"] == "community")
                      & (facilities["capacity"] > facilities["current_users"] + 1)]
    distance = free.to_crs(5179).distance(gpd.GeoSeries([home], crs=4326).to_crs(5179).iloc[0])
    return int(free.loc[distance.idxmin(), "facility_id"])


def build_world(root: Path, *, seed: int = 7) -> World:
    """Write the test world into ``EmbeddedStore(root)`` and create the users."""
    from services.users import create_user, ensure_demo_users

    rng = np.random.default_rng(seed)
    store = EmbeddedStore(Path(root))
    store.init()
    regions = _regions()
    store.write_frame("region", regions)
    hh = _households(regions, rng)
    store.write_frame("household", hh)
    store.write_frame("person", _people(hh))
    store.write_frame("risk_score", _scores(hh, rng))
    for name, frame in _histories(hh).items():
        store.write_frame(name, frame)
    facilities = _facilities(regions, rng)
    store.write_frame("facility", facilities)
    ensure_demo_users(store, jurisdictions={"outreach": OUTREACH_EMD, "planner": PLANNER_SIGUNGU},
                      provider_facility_id=provider_facility(regions, facilities))
    create_user(store, username="outreach2", password=PASSWORDS["outreach2"], role="outreach",
                jurisdiction_code=OTHER_EMD, display_name="다른 팀 최담당")
    return World(root=Path(root), store=store, households=pd.DataFrame(hh.drop(columns="geometry")))


def copy_world(built: World, root: Path) -> World:
    """A fresh copy of a built world under ``root`` (for tests that write to the store).

    SQLite files are copied through SQLite's backup API, never as plain files: opening and
    closing a database file outside SQLite drops every POSIX lock this process holds on it, so a
    server subprocess would then think itself alone and delete the live WAL ("disk I/O error").
    """
    import shutil
    import sqlite3
    from contextlib import closing

    sqlite_files = ("*.sqlite", "*.sqlite-wal", "*.sqlite-shm")
    shutil.copytree(built.root, root, ignore=shutil.ignore_patterns(*sqlite_files))
    for source in built.root.rglob("*.sqlite"):
        target = root / source.relative_to(built.root)
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
        target.chmod(source.stat().st_mode & 0o777)
    return World(root=root, store=EmbeddedStore(root), households=built.households)


def viewer_of(store: Store, username: str) -> Viewer:
    """The :class:`domain.access.Viewer` of a stored user (asserting it exists and is active)."""
    from services.users import load_viewer

    user = store.users.by_username(username)
    assert user is not None, f"no user {username!r} in the test world"
    viewer = load_viewer(store, int(user.user_id))
    assert viewer is not None, f"user {username!r} is not active"
    return viewer

