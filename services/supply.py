"""Supply and demand of social services per region and target group (aggregates only).

Plain Python over the store, no Dash: the *Supply and demand* page and the site-suitability
service call these functions.

* **Demand** comes from households: older people from ``household.n_elderly``, people with
  disabilities from ``n_disabled``, children from ``n_children``, and households in need from
  the current risk tiers 1–2 (when risk scores exist).
* **Supply** is facility capacity (정원) of the facility target groups serving that demand;
  free places are ``capacity - current_users``.
* **Accessibility** is E2SFCA (:func:`spatial.accessibility.supply_demand_table`) computed on
  every household nationally, then summarised per 읍면동 or 시군구, so the under / balanced /
  over classes are tested against the *national* median even when one 시군구 is shown.
* **Mismatch** compares, per region × target group × function, places per 100 people in need
  with the national rate.
* **Unmatched needs** (:mod:`services.unmatched`) are households in need with no suitable
  facility with free places within the radius.

Every table leaving this module is an aggregate with small cells (fewer than 5 households)
suppressed by :func:`domain.disclosure.suppress_small_cells`. Only planners, the ministry and
administrators may call these services; refusals and CSV exports go to ``audit_log``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from domain.access import Viewer
from domain.disclosure import suppress_small_cells
from domain.errors import AccessDenied, InputError
from domain.roles import PLANNING_ROLES
from domain.tiers import HIGH_TIERS
from geodata.schema import MEASURE_SRID
from geodata.store.base import Store
from geodata.vocabulary import FACILITY_FUNCTIONS, FACILITY_TARGET_GROUPS, labels
from services.audit import audit
from services.scores import current_scores
from spatial.accessibility import supply_demand_table

__all__ = [
    "FACILITY_GROUP_LABELS",
    "FUNCTION_LABELS",
    "LEVELS",
    "OFFERED_CATCHMENTS_M",
    "SUPPLY_CLASS_LABELS",
    "SUPPLY_INPUT_TABLES",
    "TARGET_GROUPS",
    "PointsReader",
    "SupplyInputError",
    "TargetGroup",
    "accessibility_table",
    "check_level",
    "demand_points",
    "level_regions",
    "mismatch_national",
    "mismatch_table",
    "points_reader",
    "precompute_accessibility",
    "region_rows",
    "require_planning_role",
    "supply_demand",
    "supply_points",
    "target_group",
]

log = logging.getLogger(__name__)

Level = Literal["sigungu", "emd"]
LEVELS: Final[tuple[Level, ...]] = ("sigungu", "emd")
DEFAULT_CATCHMENT_M: Final = 3000.0
#: Catchments the supply page offers (metres); :func:`precompute_accessibility` fills them all.
OFFERED_CATCHMENTS_M: Final[tuple[float, ...]] = (1000.0, 2000.0, 3000.0, 5000.0, 10000.0)
#: Bulk tables every supply analysis is computed from (``risk_score``: the in-need group;
#: ``facility`` includes the live 정원/현원). Their data version keys the precomputed tables.
SUPPLY_INPUT_TABLES: Final = ("household", "facility", "risk_score")
ACCESSIBILITY_TABLES: Final = SUPPLY_INPUT_TABLES
_ACCESS_CACHE: Final = "supply.accessibility"
_MISMATCH_CACHE: Final = "supply.mismatch"
#: Places per 100 people below / above these multiples of the national rate are a mismatch.
MISMATCH_BAND: Final = (0.67, 1.5)
#: Columns of a mismatch row before suppression (:func:`mismatch_national`).
MISMATCH_COLUMNS: Final = ("code", "name", "parent_code", "target_group", "function",
                           "facilities", "capacity", "free_places", "demand", "places_per_100",
                           "national_per_100", "gap_class")


class SupplyInputError(InputError):
    """A target group, level or region the service cannot use; the message says which."""


@dataclass(frozen=True, slots=True)
class TargetGroup:
    """A demand group, the household column that measures it and the facilities serving it.

    ``demand`` is a household column (people per household) or ``"in_need"`` (one per household
    of risk tier 1–2).
    """

    code: str
    ko: str
    en: str
    demand: str
    facility_groups: tuple[str, ...]

    def label(self, lang: str = "ko") -> str:
        """The label in ``lang``."""
        return self.ko if lang == "ko" else self.en


TARGET_GROUPS: Final[tuple[TargetGroup, ...]] = (
    TargetGroup("elderly", "노인(65세 이상)", "Older people (65+)", "n_elderly", ("elderly",)),
    TargetGroup("disabled", "장애인", "People with disabilities", "n_disabled", ("disabled",)),
    TargetGroup("children", "아동(0~17세)", "Children (0-17)", "n_children", ("children",)),
    TargetGroup("in_need", "위기가구(긴급·우선)", "Households in need (tiers 1-2)", "in_need",
                ("women_family", "homeless", "low_income", "community")),
)

#: Facility ``target_group`` and ``function`` codes with Korean and English labels.
FACILITY_GROUP_LABELS: Final[dict[str, tuple[str, str]]] = labels(FACILITY_TARGET_GROUPS)
FUNCTION_LABELS: Final[dict[str, tuple[str, str]]] = labels(FACILITY_FUNCTIONS)

SUPPLY_CLASS_LABELS: Final[dict[str, tuple[str, str]]] = {
    "under": ("공급 부족", "Under-supplied"),
    "balanced": ("적정", "Balanced"),
    "over": ("공급 과잉", "Over-supplied"),
    "none": ("공급 없음", "No supply"),
    "no_demand": ("수요 없음", "No demand"),
    "suppressed": ("비공개(5가구 미만)", "Suppressed (<5)"),
}


def target_group(code: str) -> TargetGroup:
    """The :class:`TargetGroup` called ``code``.

    Raises
    ------
    SupplyInputError
        If ``code`` is not one of :data:`TARGET_GROUPS`.
    """
    for group in TARGET_GROUPS:
        if group.code == code:
            return group
    known = ", ".join(g.code for g in TARGET_GROUPS)
    raise SupplyInputError(f"unknown target group {code!r}; choose one of {known}")


def require_planning_role(store: Store, viewer: Viewer, *, action: str) -> None:
    """Raise :class:`AccessDenied` (and audit the refusal) unless a planner, ministry or admin."""
    if viewer.role in PLANNING_ROLES:
        return
    audit(store, viewer, action=action, allowed=False, object_type="aggregate",
          detail=f"role {viewer.role} may not use planning analytics")
    raise AccessDenied(f"{viewer.role} users may not use the planning analytics pages")


def check_level(level: str, parent_code: str | None) -> None:
    """Raise :class:`SupplyInputError` unless ``level`` and ``parent_code`` can be mapped."""
    if level not in ("sigungu", "emd"):
        raise SupplyInputError(f"level must be 'sigungu' or 'emd', not {level!r}")
    if parent_code is not None and len(str(parent_code)) not in (2, 5):
        raise SupplyInputError(
            f"parent_code must be a 시도 (2 digits) or 시군구 (5 digits) code, not {parent_code!r}")


# ------------------------------------------------------------------------------ inputs
def demand_points(store: Store, group: TargetGroup, *,
                  sigungu_code: str | None = None) -> gpd.GeoDataFrame:
    """Households with demand of ``group`` (EPSG:5179 points), optionally of one 시군구.

    Returns
    -------
    geopandas.GeoDataFrame
        ``household_id``, ``emd_code``, ``sigungu_code``, ``demand`` (people, or 1 per household
        in need) and point geometry in EPSG:5179; only rows with ``demand > 0``.
    """
    where = {"sigungu_code": sigungu_code} if sigungu_code else None
    column = "household_id" if group.demand == "in_need" else group.demand
    cols = sorted({"household_id", "emd_code", "sigungu_code", column, "geometry"})
    hh = store.read_frame("household", columns=cols, where=where)
    if group.demand == "in_need":
        scores = current_scores(store)
        need = set(scores.loc[scores["tier"].isin(HIGH_TIERS), "household_id"])
        demand = hh["household_id"].isin(need).astype(float)
    else:
        demand = hh[column].astype(float)
    out = gpd.GeoDataFrame(
        {"household_id": hh["household_id"].to_numpy(), "emd_code": hh["emd_code"].to_numpy(),
         "sigungu_code": hh["sigungu_code"].to_numpy(), "demand": demand.to_numpy()},
        geometry=gpd.GeoSeries(hh.geometry.values, crs=hh.crs).to_crs(MEASURE_SRID).values,
        crs=MEASURE_SRID)
    return out[out["demand"] > 0].reset_index(drop=True)


def supply_points(store: Store, group: TargetGroup) -> gpd.GeoDataFrame:
    """Facilities serving ``group`` with places (capacity > 0), in EPSG:5179, with free places."""
    fac = store.read_frame("facility", where={"target_group": list(group.facility_groups)})
    fac = fac[fac["capacity"] > 0].copy()
    fac["free_places"] = (fac["capacity"] - fac["current_users"]).clip(lower=0)
    fac["capacity"] = fac["capacity"].astype(float)
    if fac.crs is None:  # an empty read may come back without a CRS
        fac = fac.set_crs(4326, allow_override=True)
    return fac.to_crs(MEASURE_SRID).reset_index(drop=True)


#: Demand and supply points of a group: ``reader(group) -> (demand_points, supply_points)``.
PointsReader = Callable[[TargetGroup], tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]]


def points_reader(store: Store) -> PointsReader:
    """A :data:`PointsReader` that reads each group's points once and keeps them (batch use).

    The precompute reads the household table once per group for all its analyses instead of
    once per analysis; drop the reader when done (it holds the points).
    """
    memo: dict[str, tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]] = {}

    def read(group: TargetGroup) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
        if group.code not in memo:
            memo[group.code] = (demand_points(store, group), supply_points(store, group))
        return memo[group.code]

    return read


def _fresh_points(store: Store) -> PointsReader:
    return lambda group: (demand_points(store, group), supply_points(store, group))


def region_rows(store: Store, level: Level, parent_code: str | None) -> pd.DataFrame:
    """``code, name, full_name, parent_code`` of the regions :func:`level_regions` gives, without
    geometry (the tables need no polygons; reading them is most of a table request)."""
    regions = store.read_frame("region", columns=["code", "name", "full_name", "parent_code"],
                               where={"level": level})
    if parent_code:
        regions = regions[regions["code"].astype(str).str.startswith(str(parent_code))]
    if regions.empty:
        raise SupplyInputError(f"no {level} regions under {parent_code!r} in the store")
    return regions.reset_index(drop=True)


def level_regions(store: Store, level: Level, parent_code: str | None) -> gpd.GeoDataFrame:
    """Display regions of ``level`` under ``parent_code`` (a 시도 or 시군구; all when ``None``)."""
    regions = store.regions(level, display=True)
    if parent_code:
        regions = regions[regions["code"].astype(str).str.startswith(str(parent_code))]
    if regions.empty:
        raise SupplyInputError(f"no {level} regions under {parent_code!r} in the store")
    keep = ["code", "name", "full_name", "parent_code", "geometry"]
    return regions[keep].reset_index(drop=True)


# ------------------------------------------------------------------------------ supply/demand
def supply_demand(
    store: Store,
    viewer: Viewer,
    *,
    target_group: str,
    level: Level = "emd",
    parent_code: str | None = None,
    catchment_m: float = DEFAULT_CATCHMENT_M,
    n_boot: int = 199,
) -> gpd.GeoDataFrame:
    """E2SFCA accessibility, demand/supply ratio and supply class per region (suppressed).

    Parameters
    ----------
    store, viewer
        The store and the acting user (planner, ministry or admin).
    target_group
        A code of :data:`TARGET_GROUPS` (``elderly``, ``disabled``, ``children``, ``in_need``).
    level
        ``'sigungu'`` or ``'emd'``.
    parent_code
        Show only regions under this 시도/시군구 code (classes still use the national median).
    catchment_m
        E2SFCA catchment in metres (Luo & Qi step decay 1.0 / 0.68 / 0.22).
    n_boot
        Bootstrap replicates of the class significance test.

    Returns
    -------
    geopandas.GeoDataFrame
        Display polygons (EPSG:4326) with ``code, name, full_name, parent_code, households``
        (households with demand), ``demand`` (people), ``facilities``, ``capacity`` and
        ``free_places`` (located in the region), ``supply_in_reach``, ``accessibility``
        (places per person), ``demand_supply_ratio``, ``supply_class`` (``under``,
        ``balanced``, ``over``, ``none`` without supply in reach, ``no_demand``,
        ``suppressed``) and ``suppressed``.
    """
    require_planning_role(store, viewer, action="view_supply_demand")
    group = _group(target_group)
    check_level(level, parent_code)
    key = "emd_code" if level == "emd" else "sigungu_code"
    supply = supply_points(store, group)
    regions = level_regions(store, level, parent_code)
    table = accessibility_table(store, group, level=level, catchment_m=catchment_m, n_boot=n_boot)
    located = _located_supply(supply, key)
    out = regions.merge(table, left_on="code", right_index=True, how="left")
    out = out.merge(located, left_on="code", right_index=True, how="left")
    for col in ("households", "demand", "facilities", "capacity", "free_places",
                "supply_in_reach"):
        out[col] = out[col].fillna(0.0)
    out["supply_class"] = _final_class(out)
    return _suppress_regions(out)


def _group(code: str) -> TargetGroup:
    return target_group(code)


def _access_key(store: Store, group: TargetGroup, level: str, catchment_m: float,
                n_boot: int) -> tuple[object, ...]:
    return (group.code, level, float(catchment_m), int(n_boot),
            store.data_version(*SUPPLY_INPUT_TABLES))


def accessibility_table(store: Store, group: TargetGroup, *, level: Level,
                        catchment_m: float = DEFAULT_CATCHMENT_M, n_boot: int = 199) -> pd.DataFrame:
    """The national E2SFCA table of one group, level and catchment (unsuppressed; internal).

    Cached per store and data version of :data:`ACCESSIBILITY_TABLES`, so a change of
    households, facilities or scores invalidates it; :func:`precompute_accessibility` fills the
    cache for every offered choice once, in the background, so no page waits for it.
    """
    key = _access_key(store, group, level, catchment_m, n_boot)
    cache = store.cache.region(_ACCESS_CACHE, maxsize=128)
    return cache.get_or_compute(key, lambda: _e2sfca_table(
        demand_points(store, group), supply_points(store, group),
        key="emd_code" if level == "emd" else "sigungu_code", catchment_m=catchment_m,
        n_boot=n_boot))


def precompute_accessibility(store: Store, *, n_boot: int = 199,
                             catchments_m: Sequence[float] = OFFERED_CATCHMENTS_M,
                             points: PointsReader | None = None) -> int:
    """Compute every table the supply page offers (all groups, both levels, all catchments).

    Reads each group's demand and supply points once (through ``points`` when given, e.g. a
    shared :func:`points_reader`). Runs once per data version in the server's warm-up
    (``gunicorn.conf.py``), before the workers are forked, so every worker starts with the
    tables. Returns the number of tables computed (already cached ones are skipped).
    """
    cache = store.cache.region(_ACCESS_CACHE, maxsize=128)
    read = points or _fresh_points(store)
    done = 0
    for group in TARGET_GROUPS:
        wanted = [(level, c) for level in LEVELS for c in catchments_m
                  if cache.get(_access_key(store, group, level, c, n_boot)) is None]
        if not wanted:
            continue
        demand, supply = read(group)
        for level, catchment in wanted:
            key = "emd_code" if level == "emd" else "sigungu_code"
            cache.put(_access_key(store, group, level, catchment, n_boot),
                      _e2sfca_table(demand, supply, key=key, catchment_m=catchment, n_boot=n_boot))
            done += 1
    log.info("precomputed %d accessibility tables", done)
    return done


def _e2sfca_table(demand: gpd.GeoDataFrame, supply: gpd.GeoDataFrame, *, key: str,
                  catchment_m: float, n_boot: int) -> pd.DataFrame:
    columns = ["households", "demand", "supply_in_reach", "accessibility",
               "demand_supply_ratio", "class_e2sfca"]
    if demand.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name=key))
    table = supply_demand_table(demand, supply, region_col=key, demand_col="demand",
                                supply_col="capacity", catchment_m=catchment_m, n_boot=n_boot)
    table = table.rename(columns={"n_points": "households", "supply_class": "class_e2sfca"})
    table["class_e2sfca"] = table["class_e2sfca"].astype(object)
    return table[columns]


def _located_supply(supply: gpd.GeoDataFrame, key: str) -> pd.DataFrame:
    if supply.empty:
        return pd.DataFrame(columns=["facilities", "capacity", "free_places"])
    return supply.groupby(key).agg(facilities=("facility_id", "size"),
                                   capacity=("capacity", "sum"),
                                   free_places=("free_places", "sum")).astype(float)


def _final_class(frame: pd.DataFrame) -> pd.Series:
    cls = frame["class_e2sfca"].astype(object).where(frame["class_e2sfca"].notna(), "no_demand")
    cls = cls.mask((frame["demand"] > 0) & (frame["supply_in_reach"] <= 0), "none")
    return cls.astype(str)


def _suppress_regions(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    derived = {"demand": ["households"], "accessibility": ["households"],
               "demand_supply_ratio": ["households"]}
    plain = pd.DataFrame(frame.drop(columns=["geometry", "class_e2sfca"]))
    shown = suppress_small_cells(plain, count_cols=["households"],
                                 derived_cols=derived, group_col="parent_code")
    shown["supply_class"] = shown["supply_class"].mask(shown["suppressed"], "suppressed")
    return gpd.GeoDataFrame(shown, geometry=frame.geometry.values, crs=frame.crs)


# ------------------------------------------------------------------------------ mismatch
def mismatch_table(
    store: Store,
    viewer: Viewer,
    *,
    level: Level = "emd",
    parent_code: str | None = None,
    target_groups: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Places per 100 people in need by region × target group × function, against the nation.

    A row's ``gap_class`` is ``under`` / ``over`` when its rate is below / above
    :data:`MISMATCH_BAND` times the national rate of that group and function, ``none`` when the
    region has demand but no facility of that function, ``no_demand`` when it has no demand.

    Returns
    -------
    pandas.DataFrame
        ``code, name, parent_code, target_group, function, facilities, capacity, free_places,
        demand, places_per_100, national_per_100, gap_class, suppressed``; ``demand`` and
        ``places_per_100`` are NaN in suppressed rows (fewer than 5 people).
    """
    require_planning_role(store, viewer, action="view_mismatch")
    check_level(level, parent_code)
    regions = region_rows(store, level, parent_code)
    codes = [g.code for g in TARGET_GROUPS] if target_groups is None else list(target_groups)
    parts = []
    for code in codes:
        national = mismatch_national(store, _group(code), level)
        parts.append(national[national["code"].isin(regions["code"])])
    parts = [p for p in parts if not p.empty]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if frame.empty:
        return frame
    frame["cell"] = frame["parent_code"].astype(str) + "|" + frame["target_group"]
    shown = suppress_small_cells(frame, count_cols=["demand"],
                                 derived_cols={"places_per_100": ["demand"]}, group_col="cell")
    shown["gap_class"] = shown["gap_class"].mask(shown["suppressed"], "suppressed")
    return shown.drop(columns="cell")


def mismatch_national(store: Store, group: TargetGroup, level: Level, *,
                      points: PointsReader | None = None) -> pd.DataFrame:
    """The mismatch rows of one group for every region of ``level`` (unsuppressed; internal).

    Cached per store and data version of :data:`SUPPLY_INPUT_TABLES` (a change of households,
    facilities, 현원 or scores invalidates it); :func:`services.precompute.precompute_analyses`
    fills it for every group and level in the server's warm-up. :func:`mismatch_table` cuts
    the regions shown from it and suppresses small cells.
    """
    key = (group.code, level, store.data_version(*SUPPLY_INPUT_TABLES))
    cache = store.cache.region(_MISMATCH_CACHE, maxsize=16)
    read = points or _fresh_points(store)

    def compute() -> pd.DataFrame:
        regions = region_rows(store, level, None)
        demand, supply = read(group)
        return _mismatch_group(demand, supply, group, regions,
                               "emd_code" if level == "emd" else "sigungu_code")

    return cache.get_or_compute(key, compute)


def _mismatch_group(demand: gpd.GeoDataFrame, supply: gpd.GeoDataFrame, group: TargetGroup,
                    regions: pd.DataFrame, key: str) -> pd.DataFrame:
    functions = sorted(set(supply["function"]))
    if not functions:
        return pd.DataFrame(columns=MISMATCH_COLUMNS)
    national_demand = float(demand["demand"].sum())
    per_region = demand.groupby(key)["demand"].sum()
    located = supply.groupby([key, "function"]).agg(
        facilities=("facility_id", "size"), capacity=("capacity", "sum"),
        free_places=("free_places", "sum"))
    national = supply.groupby("function")["capacity"].sum()
    grid = pd.MultiIndex.from_product([regions["code"], functions], names=["code", "function"])
    out = located.rename_axis(["code", "function"]).reindex(grid, fill_value=0).reset_index()
    out = out.merge(regions[["code", "name", "parent_code"]], on="code", how="left")
    out["target_group"] = group.code
    out["demand"] = out["code"].map(per_region).fillna(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["places_per_100"] = np.where(out["demand"] > 0,
                                         100 * out["capacity"] / out["demand"], np.nan)
        rate = 100 * out["function"].map(national) / national_demand if national_demand else np.nan
    out["national_per_100"] = rate
    out["gap_class"] = _gap_class(out)
    return out[list(MISMATCH_COLUMNS)].astype(
        {"facilities": float, "capacity": float, "free_places": float})


def _gap_class(frame: pd.DataFrame) -> np.ndarray:
    ratio = frame["places_per_100"] / frame["national_per_100"]
    return np.select(
        [frame["demand"] <= 0, frame["capacity"] <= 0, ratio < MISMATCH_BAND[0],
         ratio > MISMATCH_BAND[1]],
        ["no_demand", "none", "under", "over"], "balanced")
