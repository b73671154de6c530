"""The store step: schema coercion, comparison with the stored rows, and the one atomic write.

A validated row whose primary key is already stored is *unchanged* (same values: loading it again
changes nothing), or *changed*. Changed rows are refused unless the caller asked to replace them;
replacing a household also updates what depends on it, in the same unit of work
(:meth:`Store.write_frames`): its members (``person``) are removed when its size changed, since the
file carries no members, and its scores (``risk_score.jurisdiction_code``) follow it to its new
읍면동.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.schema import STORAGE_SRID
from geodata.store.base import FrameWrite, Store
from geodata.store.frames import conform_frame, geometry_columns, primary_key


@dataclass(frozen=True, slots=True)
class StoredComparison:
    """How validated rows relate to the rows stored under the same primary key.

    Attributes
    ----------
    unchanged
        Per row: a stored row with the same key has the same values.
    changed
        Per row: a stored row with the same key has other values.
    changed_columns
        Per row: the columns whose values differ (empty unless ``changed``).
    old
        The stored rows of the changed keys (schema types), for dependent updates.
    """

    unchanged: np.ndarray
    changed: np.ndarray
    changed_columns: list[list[str]]
    old: pd.DataFrame


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


def compare_with_stored(store: Store, table: str, frame: pd.DataFrame) -> StoredComparison:
    """Compare schema-typed rows ``frame`` with the stored rows of the same primary keys."""
    n = len(frame)
    pk = primary_key(table)
    unchanged = np.zeros(n, dtype=bool)
    changed = np.zeros(n, dtype=bool)
    columns: list[list[str]] = [[] for _ in range(n)]
    keys = pd.unique(frame[pk[0]]).tolist() if n else []
    old = store.read_frame(table, where={pk[0]: keys}) if keys else pd.DataFrame()
    if not len(old):
        return StoredComparison(unchanged, changed, columns, old)
    old = conform_frame(table, pd.DataFrame(old))
    new = pd.DataFrame(frame).reset_index(drop=True).assign(_pos=np.arange(n))
    merged = new.merge(old, on=pk, how="inner", suffixes=("", "__old"))
    pos = merged["_pos"].to_numpy()
    differs: dict[str, np.ndarray] = {}
    for col in frame.columns:
        if col in pk:
            continue
        differs[col] = ~_equal(merged[col], merged[f"{col}__old"], col in geometry_columns(table))
    any_diff = np.zeros(len(merged), dtype=bool)
    for diff in differs.values():
        any_diff |= diff
    unchanged[pos[~any_diff]] = True
    changed[pos[any_diff]] = True
    for i in np.flatnonzero(any_diff):
        columns[pos[i]] = [c for c, d in differs.items() if d[i]]
    old_changed = old.merge(new.loc[changed, pk], on=pk, how="inner")
    return StoredComparison(unchanged, changed, columns, old_changed)


def _equal(a: pd.Series, b: pd.Series, geometry: bool) -> np.ndarray:
    av, bv = a.to_numpy(dtype=object), b.to_numpy(dtype=object)
    if geometry:
        return np.array(
            [
                (x is None and y is None)
                or (x is not None and y is not None and shapely.equals_exact(x, y, tolerance=1e-9))
                for x, y in zip(av, bv, strict=True)
            ],
            dtype=bool,
        )
    eq = (av == bv) | (pd.isna(av) & pd.isna(bv))
    return np.asarray(eq, dtype=bool)


def dependent_writes(
    store: Store, table: str, new: pd.DataFrame, old: pd.DataFrame
) -> dict[str, FrameWrite]:
    """Writes that keep rows depending on replaced ``table`` rows consistent, by what they do.

    ``new`` holds the replacing rows, ``old`` the stored rows they replace (same keys). Only
    households have dependants: ``"person removed"`` (members of households whose size changed)
    and ``"risk_score moved"`` (scores of households whose 읍면동 changed).
    """
    if table != "household" or not len(old):
        return {}
    both = pd.DataFrame(new)[["household_id", "size", "emd_code"]].merge(
        pd.DataFrame(old)[["household_id", "size", "emd_code"]],
        on="household_id",
        suffixes=("", "_old"),
    )
    writes: dict[str, FrameWrite] = {}
    resized = both.loc[both["size"] != both["size_old"], "household_id"].astype("int64").tolist()
    if resized:
        members = store.read_frame("person", columns=["person_id"], where={"household_id": resized})
        if len(members):
            writes["person removed"] = FrameWrite("person", members, "delete")
    moved = both.loc[both["emd_code"] != both["emd_code_old"], ["household_id", "emd_code"]]
    if len(moved):
        scores = store.read_frame(
            "risk_score", where={"household_id": moved["household_id"].astype("int64").tolist()}
        )
        if len(scores):
            target = dict(zip(moved["household_id"], moved["emd_code"], strict=True))
            scores["jurisdiction_code"] = scores["household_id"].map(target)
            writes["risk_score moved"] = FrameWrite("risk_score", scores, "upsert")
    return writes
