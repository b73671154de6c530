"""Step 8: facilities of the 56 standard types, placed where their target group lives."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from etl.generate.world import NATIONAL_HOUSEHOLDS, World
from etl.reference_data import facility_types
from geodata.schema import STORAGE_SRID


def place_facilities(w: World) -> None:
    """Facilities of the 56 standard types, placed where their target group lives."""
    rng = w.rng
    types = facility_types()
    if w.plan is not None:  # this group's share, drawn by the parent (see _plan_groups)
        counts = w.plan.facility_counts
    else:
        scale = w.n / NATIONAL_HOUSEHOLDS
        counts = rng.poisson(types["national_count"].to_numpy(float) * scale)
        # every type exists at least once in a world of any size, so every page has something
        counts = np.maximum(counts, 1)
    type_idx = np.repeat(np.arange(len(types)), counts)
    group = types["demand_group"].to_numpy()[type_idx]
    weights = {
        "pop_65plus": w.n_elderly.astype(float),
        "disabled": w.n_disabled.astype(float),
        "pop_0_17": w.n_children.astype(float),
        # observed, never the latent need: low-income households (under 150만 원 a month)
        "households_in_need": (w.income < 1_500_000).astype(float),
        "all": w.size.astype(float),
    }
    anchor = np.empty(len(type_idx), dtype=np.int64)
    for g in np.unique(group):
        sel = np.flatnonzero(group == g)
        weight = weights.get(g, weights["all"]) + 1e-3
        anchor[sel] = rng.choice(w.n, len(sel), p=weight / weight.sum())
    type_idx, anchor = _every_sigungu_type_in_dense_regions(w, types, type_idx, anchor, weights)
    group = types["demand_group"].to_numpy()[type_idx]
    # jitter around the anchor household (~150 m) so a facility is not on a home
    lon = w.x[anchor] + rng.normal(0, 0.0015, len(anchor))
    lat = w.y[anchor] + rng.normal(0, 0.0012, len(anchor))
    emd_i = w.emd_idx[anchor]
    typical = types["typical_capacity"].to_numpy(float)[type_idx]
    lo = types["capacity_iqr_low"].to_numpy(float)[type_idx]
    hi = types["capacity_iqr_high"].to_numpy(float)[type_idx]
    sigma = np.log(np.maximum(hi, 1) / np.maximum(lo, 1)) / 1.35
    capacity = np.where(typical > 0, np.maximum(1, np.round(rng.lognormal(np.log(np.maximum(typical, 1)), np.maximum(sigma, 0.1)))), 0)
    occupancy = rng.beta(8, 2, len(type_idx))
    current = np.minimum(capacity, np.round(capacity * occupancy * rng.uniform(0.9, 1.15, len(type_idx))))
    emd = w.emd
    name = emd["name"].to_numpy()[emd_i] + " " + types["type_name"].to_numpy()[type_idx]
    # disambiguate repeated names within an 읍면동 with a number, as real registries do
    dup_rank = pd.Series(name).groupby(name).cumcount().to_numpy()
    name = np.where(dup_rank > 0, name + " " + (dup_rank + 1).astype(str) + "호", name)
    address = emd["full_name"].to_numpy()[emd_i] + " " + rng.integers(1, 900, len(type_idx)).astype(str)
    w.facility = gpd.GeoDataFrame(
        {
            "facility_id": np.arange(1, len(type_idx) + 1, dtype=np.int64),
            "name": name,
            "type_code": types["type_code"].to_numpy()[type_idx],
            "type_name": types["type_name"].to_numpy()[type_idx],
            "target_group": types["target_group"].to_numpy()[type_idx],
            "function": types["function"].to_numpy()[type_idx],
            "capacity": capacity.astype(np.int64),
            "current_users": current.astype(np.int64),
            "address": address,
            "emd_code": emd["code"].to_numpy()[emd_i],
            "sigungu_code": emd["sigungu_code"].to_numpy()[emd_i],
            "sido_code": emd["sido_code"].to_numpy()[emd_i],
        },
        geometry=shapely.points(np.round(lon, 6), np.round(lat, 6)),
        crs=STORAGE_SRID,
    )



#: 시군구 in Korea (REFERENCE-FACTS): a type with at least this many facilities nationally has,
#: on average, one or more in every 시군구.
SIGUNGU_COUNT = 226


def _every_sigungu_type_in_dense_regions(
    w: World, types: pd.DataFrame, type_idx: np.ndarray, anchor: np.ndarray,
    weights: dict[str, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Each real-density 시군구 (``etl.generate.dense``) gets one facility of every type that
    exists at least once per 시군구 nationally (사회복지관, 지역자활센터, 노인복지관, ...) when
    the Poisson draw left it none; otherwise a dense region is an island whose nearest
    사회복지관 lies in the sparse layer, hundreds of km away. No draw without dense regions."""
    teams = getattr(w, "emd_teams", None)
    if teams is None or not np.isfinite(teams).any():
        return type_idx, anchor
    sigungu = w.emd["sigungu_code"].to_numpy()[w.emd_idx]
    dense_emd = np.isfinite(teams)[w.emd_idx]
    common = np.flatnonzero(types["national_count"].to_numpy(float) >= SIGUNGU_COUNT)
    groups = types["demand_group"].to_numpy()
    extra_type, extra_anchor = [], []
    for code in sorted(set(sigungu[dense_emd])):
        homes = np.flatnonzero(dense_emd & (sigungu == code))
        placed = set(type_idx[np.isin(anchor, homes)])
        for t in common:
            if t in placed:
                continue
            weight = weights.get(groups[t], weights["all"])[homes] + 1e-3
            extra_type.append(t)
            extra_anchor.append(int(w.rng.choice(homes, p=weight / weight.sum())))
    if not extra_type:
        return type_idx, anchor
    return (np.concatenate([type_idx, np.array(extra_type, dtype=type_idx.dtype)]),
            np.concatenate([anchor, np.array(extra_anchor, dtype=np.int64)]))
