"""Region codes of points: 읍면동 look-up, coastal tolerance and declared-code checks."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from etl.ingest.checks import Checks
from etl.ingest.columns import Columns, field_label
from etl.ingest.errors import IngestError
from etl.ingest.parse import (
    map_obj,
    mask_at,
    normalise_code,
)
from geodata.schema import MEASURE_SRID, STORAGE_SRID
from geodata.store.base import Store

log = logging.getLogger(__name__)

#: Rough box around South Korea incl. 백령도, 마라도 and 독도 (lon min, lat min, lon max, lat max).
KOREA_BBOX: Final = (124.0, 32.9, 132.0, 38.7)
#: A point this far outside every 읍면동 polygon (coast, pier) takes the nearest one.
COAST_TOLERANCE_M: Final = 250.0
#: A point this far outside its declared 읍면동 keeps the declared code (with a warning).
EMD_MISMATCH_TOLERANCE_M: Final = 500.0


@dataclass(frozen=True)
class Regions:
    """읍면동 polygons with a spatial index, for point-in-polygon and distance look-ups."""

    codes: np.ndarray
    sigungu: np.ndarray
    sido: np.ndarray
    geoms: np.ndarray
    tree: shapely.STRtree
    index: dict[str, int]

    @classmethod
    def from_frame(cls, emd: pd.DataFrame) -> Regions:
        codes = emd["code"].astype(str).to_numpy(dtype=object)
        sigungu = (
            emd["sigungu_code"].astype(object).to_numpy(dtype=object)
            if "sigungu_code" in emd
            else None
        )
        sido = (
            emd["sido_code"].astype(object).to_numpy(dtype=object) if "sido_code" in emd else None
        )
        sigungu = np.array(
            [
                s if isinstance(s, str) and s else c[:5]
                for s, c in zip(
                    sigungu if sigungu is not None else [None] * len(codes), codes, strict=True
                )
            ],
            dtype=object,
        )
        sido = np.array(
            [
                s if isinstance(s, str) and s else c[:2]
                for s, c in zip(
                    sido if sido is not None else [None] * len(codes), codes, strict=True
                )
            ],
            dtype=object,
        )
        geoms = np.asarray(
            emd.geometry.to_numpy() if hasattr(emd, "geometry") else emd["geometry"], dtype=object
        )
        return cls(
            codes, sigungu, sido, geoms, shapely.STRtree(geoms), {c: i for i, c in enumerate(codes)}
        )

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Index of the 읍면동 containing each point (-1 if none); lowest index on a boundary."""
        out = np.full(len(lon), -1, dtype=np.int64)
        ok = np.isfinite(lon) & np.isfinite(lat)
        if not ok.any():
            return out
        pts = shapely.points(lon[ok], lat[ok])
        src, hit = self.tree.query(pts, predicate="intersects")
        if len(src):
            order = np.lexsort((hit, src))
            src, hit = src[order], hit[order]
            first = np.r_[True, src[1:] != src[:-1]]
            sub = np.full(len(pts), -1, dtype=np.int64)
            sub[src[first]] = hit[first]
            out[ok] = sub
        return out

    def nearest_within(
        self, lon: np.ndarray, lat: np.ndarray, metres: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Nearest 읍면동 within ``metres`` of each point (-1 if none) and the distance."""
        n = len(lon)
        best = np.full(n, -1, dtype=np.int64)
        dist = np.full(n, np.inf)
        if not n:
            return best, dist
        pts = shapely.points(lon, lat)
        src, hit = self.tree.query(pts, predicate="dwithin", distance=metres / 80_000.0)
        if not len(src):
            return best, dist
        d = distance_m(lon[src], lat[src], self.geoms[hit])
        for s, h, dd in zip(src, hit, d, strict=True):
            if dd <= metres and dd < dist[s]:
                best[s], dist[s] = h, dd
        return best, dist


_TO_MEASURE = Transformer.from_crs(STORAGE_SRID, MEASURE_SRID, always_xy=True)


def distance_m(lon: np.ndarray, lat: np.ndarray, geoms: np.ndarray) -> np.ndarray:
    """Distance in EPSG:5179 metres between points and geometries (pairwise)."""
    if not len(lon):
        return np.empty(0)
    x, y = _TO_MEASURE.transform(np.asarray(lon, float), np.asarray(lat, float))
    projected = shapely.transform(
        geoms, lambda xy: np.column_stack(_TO_MEASURE.transform(xy[:, 0], xy[:, 1]))
    )
    return shapely.distance(shapely.points(x, y), projected)


def load_regions(store: Store) -> Regions:
    try:
        emd = store.regions("emd")
    except Exception as exc:
        log.debug("no emd regions in the store: %s", exc)
        emd = None
    if emd is not None and len(emd):
        return Regions.from_frame(emd)
    try:
        from geodata.boundaries import load_boundaries

        emd = load_boundaries("emd")
    except Exception as exc:
        raise IngestError(
            "cannot check points: the store's region table has no 읍면동 rows and "
            f"load_boundaries('emd') failed ({exc}); load the boundaries first"
        ) from exc
    log.info("checking points against the bundled 읍면동 boundaries (store has none)")
    return Regions.from_frame(emd)


def _fmt(v: float) -> str:
    return f"{v:.5f}".rstrip("0").rstrip(".")


def assign_regions(
    cols: Columns,
    lon: np.ndarray,
    lat: np.ndarray,
    checks: Checks,
    regions: Regions,
) -> pd.DataFrame:
    """emd/sigungu/sido codes of every row, checking declared codes against the point."""
    n = len(lon)
    has_point = np.isfinite(lon) & np.isfinite(lat)
    lon_s = pd.Series([_fmt(v) for v in lon], dtype=object)
    lat_s = pd.Series([_fmt(v) for v in lat], dtype=object)
    where = "(lon " + lon_s + ", lat " + lat_s + ")"

    minx, miny, maxx, maxy = KOREA_BBOX
    in_box = has_point & (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)
    swapped = has_point & ~in_box & (lat >= minx) & (lat <= maxx) & (lon >= miny) & (lon <= maxy)
    checks.add(has_point & ~in_box & ~swapped, "outside Korea", "outside Korea " + where)
    checks.add(swapped, "outside Korea", "outside Korea " + where + " - are lon and lat swapped?")

    located = np.full(n, -1, dtype=np.int64)
    located[in_box] = regions.locate(lon[in_box], lat[in_box])
    near = in_box & (located < 0)
    if near.any():
        idx, _ = regions.nearest_within(lon[near], lat[near], COAST_TOLERANCE_M)
        sub = located[near]
        sub[idx >= 0] = idx[idx >= 0]
        located[near] = sub
        checks.warn(
            mask_at(n, np.flatnonzero(near)[idx >= 0]),
            f"point within {COAST_TOLERANCE_M:.0f} m of a 읍면동, assigned to the nearest",
        )

    emd_col = cols.find("emd_code", "읍면동코드", "법정동코드")
    declared = np.full(n, -1, dtype=np.int64)
    if emd_col is not None:
        text = map_obj(cols.values(emd_col), normalise_code)
        given = text.notna().to_numpy()
        known = np.array([regions.index.get(c, -1) if c else -1 for c in text], dtype=np.int64)
        ten = np.array(
            [
                regions.index.get(c[:8], -1) if c and len(c) == 10 and c.endswith("00") else -1
                for c in text
            ],
            dtype=np.int64,
        )
        known = np.where(known >= 0, known, ten)
        label = field_label(emd_col, "emd_code")
        checks.add(
            given & (known < 0),
            "unknown emd_code",
            f"unknown {label} " + cols.values(emd_col).astype(object).astype(str),
        )
        declared = known
    no_region = in_box & (located < 0) & (declared < 0)
    checks.add(
        no_region, "outside Korea", "outside Korea " + where + ": in no 읍면동 of the region table"
    )

    mismatch = in_box & (declared >= 0) & (located != declared)
    final = np.where(declared >= 0, declared, located)
    if mismatch.any():
        pos = np.flatnonzero(mismatch)
        dist = distance_m(lon[pos], lat[pos], regions.geoms[declared[pos]])
        far = dist > EMD_MISMATCH_TOLERANCE_M
        checks.warn(
            mask_at(n, pos[~far]),
            f"point up to {EMD_MISMATCH_TOLERANCE_M:.0f} m outside its declared 읍면동 (kept)",
        )
        msgs = []
        for p, d in zip(pos[far], dist[far], strict=True):
            lies = regions.codes[located[p]] if located[p] >= 0 else "no 읍면동"
            msgs.append(
                f"point {where.iloc[p]} is {d / 1000:.1f} km outside emd_code {regions.codes[declared[p]]} "
                f"(it lies in {lies})"
            )
        checks.add(
            mask_at(n, pos[far]), "point outside its emd_code", pd.Series(msgs, dtype=object)
        )

    safe = np.where(final >= 0, final, 0)
    out = pd.DataFrame(
        {
            "emd_code": np.where(
                final >= 0, regions.codes[safe] if len(regions.codes) else None, None
            ),
            "sigungu_code": np.where(
                final >= 0, regions.sigungu[safe] if len(regions.codes) else None, None
            ),
            "sido_code": np.where(
                final >= 0, regions.sido[safe] if len(regions.codes) else None, None
            ),
        }
    )
    for name in ("sigungu_code", "sido_code"):
        col = cols.find(name)
        if col is None:
            continue
        given = map_obj(cols.values(col), normalise_code)
        bad = (given.notna() & out["emd_code"].notna() & (given != out[name])).to_numpy()
        checks.add(
            bad,
            f"{name} mismatch",
            f"{field_label(col, name)} "
            + given.astype(str)
            + " does not match emd_code "
            + out["emd_code"].astype(str)
            + " (expected "
            + out[name].astype(str)
            + ")",
        )
    return out
