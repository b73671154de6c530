"""Spatial weights for 읍면동 polygons (libpysal), with no region left without neighbours."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Hashable
from typing import Literal

import geopandas as gpd
import numpy as np
from scipy.spatial import cKDTree

from domain.errors import InputError

# urllib3 1.26 with the ``urllib3-secure-extra`` shim installed warns at import time; libpysal
# imports it (via requests) only to download example data. Silence exactly that warning.
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message=r".*'urllib3\[secure\]' extra is deprecated", category=DeprecationWarning
    )
    from libpysal.weights import Queen, W

__all__ = ["HotspotInputError", "spatial_weights"]

logger = logging.getLogger(__name__)


class HotspotInputError(InputError):
    """Raised when regions, rates or weights cannot be used for a hotspot analysis."""


def spatial_weights(
    regions: gpd.GeoDataFrame,
    *,
    kind: Literal["queen", "knn"] = "queen",
    k: int = 6,
) -> W:
    """Build spatial weights for polygons, with no region left without neighbours.

    Parameters
    ----------
    regions : geopandas.GeoDataFrame
        Polygons (``Polygon``/``MultiPolygon``) in a projected CRS in metres (e.g. EPSG:5179),
        with a unique index (the region code). The index values become the weights' ids.
    kind : {'queen', 'knn'}, default 'queen'
        ``'queen'``: polygons sharing an edge or a vertex are neighbours; islands (regions
        touching no other region, e.g. island 읍면) are then linked, in both directions, to
        their ``k`` nearest regions by centroid distance. ``'knn'``: every region's ``k``
        nearest regions by centroid distance (not symmetric).
    k : int, default 6
        Number of nearest neighbours for ``'knn'`` and for attaching islands.

    Returns
    -------
    libpysal.weights.W
        Binary weights (transform ``'O'``) whose ``id_order`` is ``regions.index``. The
        statistics in this module apply the transform they need (row standardisation for
        local Moran, binary with self-weight for Gi*) on a private copy.

    Raises
    ------
    HotspotInputError
        If the frame is not a non-empty GeoDataFrame of polygons in a projected metre CRS
        with a unique index, or ``k`` is out of range.

    Notes
    -----
    Disconnected components (e.g. Jeju as a group of touching polygons) are kept as they are;
    they are logged at INFO level. Both statistics are well defined on them.

    Examples
    --------
    >>> w = spatial_weights(emd_polygons)  # doctest: +SKIP
    >>> w.islands  # doctest: +SKIP
    []
    """
    _check_regions(regions, kind=kind, k=k)
    ids: list[Hashable] = regions.index.tolist()
    n = len(ids)
    centroids = regions.geometry.centroid
    coords = np.column_stack([centroids.x.to_numpy(), centroids.y.to_numpy()])

    if kind == "knn":
        neigh_pos = _knn_positions(coords, k)
    else:
        queen = Queen.from_dataframe(regions, use_index=True, silence_warnings=True)
        pos_of = {rid: i for i, rid in enumerate(ids)}
        neigh_pos = [{pos_of[j] for j in queen.neighbors[rid]} for rid in ids]
        islands = [i for i, nb in enumerate(neigh_pos) if not nb]
        if islands:
            knn = _knn_positions(coords, k)
            for i in islands:
                for j in knn[i]:
                    neigh_pos[i].add(j)
                    neigh_pos[j].add(i)
            logger.info(
                "spatial_weights: attached %d island(s) to their %d nearest regions",
                len(islands),
                min(k, n - 1),
            )

    neighbors = {ids[i]: [ids[j] for j in sorted(nb)] for i, nb in enumerate(neigh_pos)}
    w = W(neighbors, id_order=ids, silence_warnings=True)
    if w.n_components > 1:
        logger.info("spatial_weights: %d disconnected components", w.n_components)
    return w


def _knn_positions(coords: np.ndarray, k: int) -> list[set[int]]:
    """Positions of each point's ``k`` nearest other points (ties broken by position)."""
    k_eff = min(k, len(coords) - 1)
    _, idx = cKDTree(coords).query(coords, k=k_eff + 1)
    idx = np.atleast_2d(idx)
    out: list[set[int]] = []
    for i, row in enumerate(idx):
        others = [int(j) for j in row if j != i][:k_eff]
        out.append(set(others))
    return out


def _check_regions(regions: object, *, kind: str, k: int) -> None:
    if not isinstance(regions, gpd.GeoDataFrame):
        raise HotspotInputError(
            f"regions must be a geopandas.GeoDataFrame, got {type(regions).__name__}"
        )
    problems: list[str] = []
    if kind not in ("queen", "knn"):
        problems.append(f"kind must be 'queen' or 'knn', got {kind!r}")
    if len(regions) < 2:
        problems.append(f"need at least 2 regions, got {len(regions)}")
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        problems.append(f"k must be a positive integer, got {k!r}")
    crs = regions.crs
    if crs is None:
        problems.append("regions has no CRS; set it (e.g. regions.set_crs(5179))")
    elif not crs.is_projected or crs.axis_info[0].unit_name not in ("metre", "meter"):
        problems.append(
            f"regions must be in a projected CRS in metres, got {crs.to_string()}; "
            "use regions.to_crs(5179)"
        )
    if not regions.index.is_unique:
        dup = regions.index[regions.index.duplicated()].unique()[:5].tolist()
        problems.append(f"regions index must be unique (duplicates e.g. {dup})")
    geom = regions.geometry
    bad_missing = geom.isna() | geom.is_empty
    if bad_missing.any():
        problems.append(
            f"{int(bad_missing.sum())} region(s) have missing or empty geometry "
            f"(e.g. {regions.index[bad_missing][:5].tolist()})"
        )
    bad_type = ~geom.geom_type.isin(["Polygon", "MultiPolygon"]) & ~bad_missing
    if bad_type.any():
        types = sorted(set(geom.geom_type[bad_type].astype(str)))
        problems.append(f"geometry must be Polygon or MultiPolygon, found {types}")
    if problems:
        raise HotspotInputError("invalid regions: " + "; ".join(problems))
