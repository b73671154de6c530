"""The store step: coercion to the schema and the unchanged-row count of an upsert."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.schema import STORAGE_SRID
from geodata.store.base import Store
from geodata.store.frames import conform_frame, geometry_columns, primary_key

log = logging.getLogger(__name__)


def to_schema(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Coerce validated rows to the table's schema types (a GeoDataFrame for spatial tables)."""
    out = conform_frame(table, pd.DataFrame(frame))
    geoms = geometry_columns(table)
    if geoms:
        return gpd.GeoDataFrame(
            out,
            geometry=gpd.GeoSeries(out["geometry"].to_numpy(), crs=STORAGE_SRID),
            crs=STORAGE_SRID,
        )
    return out


def count_unchanged(store: Store, table: str, frame: pd.DataFrame) -> int:
    """Rows of ``frame`` equal to the row already stored under the same primary key."""
    pk = primary_key(table)
    try:
        keys = pd.unique(frame[pk[0]]).tolist()
        old = store.read_frame(table, where={pk[0]: keys})
    except Exception as exc:
        log.debug("could not compare with stored %s rows: %s", table, exc)
        return 0
    if not len(old):
        return 0
    old = conform_frame(table, pd.DataFrame(old))
    new = pd.DataFrame(frame)
    merged = new.merge(old, on=pk, how="inner", suffixes=("", "__old"))
    same = np.ones(len(merged), dtype=bool)
    for col in new.columns:
        if col in pk:
            continue
        a, b = merged[col], merged[f"{col}__old"]
        if col in geometry_columns(table):
            av, bv = a.to_numpy(dtype=object), b.to_numpy(dtype=object)
            eq = np.array(
                [
                    (x is None and y is None)
                    or (
                        x is not None
                        and y is not None
                        and shapely.equals_exact(x, y, tolerance=1e-9)
                    )
                    for x, y in zip(av, bv, strict=True)
                ],
                dtype=bool,
            )
        else:
            av, bv = a.astype(object).to_numpy(), b.astype(object).to_numpy()
            eq = (av == bv) | (pd.isna(av) & pd.isna(bv))
        same &= np.asarray(eq, dtype=bool)
    return int(same.sum())
