"""Local spatial statistics for 읍면동 rates: Getis-Ord Gi* hotspots and local Moran's I.

The public functions are thin wrappers over PySAL (``libpysal`` weights and ``esda``
statistics) that

* check their inputs and raise :class:`HotspotInputError` with a message saying how to fix
  the input (every problem reported at once);
* never mutate the caller's weights (esda changes ``w.transform`` and the cached sparse matrix
  of the ``W`` it is given, so every statistic works on a private copy);
* return a DataFrame on the index of ``rates`` with stable column names and categorical
  class labels, ready for a choropleth legend (see :data:`HOTSPOT_LABELS_KO`,
  :data:`MORAN_LABELS_KO`).

The weights builder :func:`spatial_weights` lives in :mod:`spatial.weights` and is
re-exported here.

Inference
---------
Both statistics use conditional permutation inference (``permutations`` draws, seeded, so
results are reproducible). esda reports a *directed* (one-tailed, tail chosen by the data)
pseudo p-value, which its own documentation calls uniformly too small; we report the
conventional **two-sided** pseudo p-value ``min(1, 2 * p_directed)``. With 999 permutations
the smallest attainable p-value is therefore 0.002.

Multiple testing: with ``fdr=True`` the Benjamini-Hochberg adjusted p-values (column
``p_fdr``, always reported) decide significance instead of the raw ``p_sim``. BH controls the
false discovery rate across all regions; with thousands of regions use enough permutations
(e.g. 9999) for the adjusted values to reach the usual thresholds.

Start-up cost
-------------
esda's permutation engine is compiled by numba on first use (about 20 s on a small server;
importing libpysal/esda takes a further few seconds). Call :func:`warm_up` once when the app
starts (with gunicorn, in the master before forking, e.g. ``--preload``) so that no user's
click pays it.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import stats
from shapely import box

from spatial.weights import HotspotInputError, spatial_weights

# urllib3 1.26 with the ``urllib3-secure-extra`` shim installed warns at import time; libpysal
# imports it (via requests) only to download example data. Silence exactly that warning.
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message=r".*'urllib3\[secure\]' extra is deprecated", category=DeprecationWarning
    )
    import esda
    from libpysal.weights import W

__all__ = [
    "HOTSPOT_CLASSES",
    "HOTSPOT_LABELS_KO",
    "MORAN_LABELS_KO",
    "MORAN_QUADRANTS",
    "HotspotInputError",
    "getis_ord_hotspots",
    "local_moran_clusters",
    "spatial_weights",
    "warm_up",
]

logger = logging.getLogger(__name__)

#: Gi* classes, hottest first (legend order).
HOTSPOT_CLASSES: tuple[str, ...] = (
    "hot_99",
    "hot_95",
    "hot_90",
    "not_significant",
    "cold_90",
    "cold_95",
    "cold_99",
)
HOTSPOT_LABELS_KO: dict[str, str] = {
    "hot_99": "고위험 집중(99%)",
    "hot_95": "고위험 집중(95%)",
    "hot_90": "고위험 집중(90%)",
    "not_significant": "유의하지 않음",
    "cold_90": "저위험 집중(90%)",
    "cold_95": "저위험 집중(95%)",
    "cold_99": "저위험 집중(99%)",
}

#: Local Moran quadrants (legend order).
MORAN_QUADRANTS: tuple[str, ...] = ("HH", "LH", "LL", "HL", "not_significant")
MORAN_LABELS_KO: dict[str, str] = {
    "HH": "고-고 군집",
    "LH": "저-고 이상치",
    "LL": "저-저 군집",
    "HL": "고-저 이상치",
    "not_significant": "유의하지 않음",
}

_HOTSPOT_DTYPE = pd.CategoricalDtype(list(HOTSPOT_CLASSES), ordered=True)
_MORAN_DTYPE = pd.CategoricalDtype(list(MORAN_QUADRANTS), ordered=False)
# esda quadrant codes with geoda_quads=False: 1 HH, 2 LH, 3 LL, 4 HL.
_ESDA_QUADS = np.array(["", "HH", "LH", "LL", "HL"], dtype=object)
# Confidence bins for Gi* classes: (max p, suffix).
_CONFIDENCE_BINS: tuple[tuple[float, str], ...] = ((0.01, "99"), (0.05, "95"), (0.10, "90"))

# esda.crand warns on every call that its default alternative will change; we do not rely on
# the default's future (we derive two-sided p-values ourselves), so that one warning is muted.
_ESDA_ALTERNATIVE_MSG = r"The alternative hypothesis for conditional randomization"


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------
def getis_ord_hotspots(
    rates: pd.Series,
    weights: W,
    *,
    permutations: int = 999,
    seed: int = 0,
    alpha: float = 0.05,
    fdr: bool = False,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Getis-Ord Gi* hot and cold spots of a non-negative rate.

    Parameters
    ----------
    rates : pandas.Series
        Non-negative finite values (e.g. share of high-tier households) indexed by the same
        ids as ``weights`` (any order).
    weights : libpysal.weights.W
        Contiguity or KNN weights, e.g. from :func:`spatial_weights`, without islands. Not
        modified: Gi* uses a private binary copy with self-weight 1 (the classic Gi*).
    permutations : int, default 999
        Conditional permutations for the pseudo p-values (at least 99).
    seed : int, default 0
        Seed of the permutations; the same seed gives the same result.
    alpha : float, default 0.05
        Significance level. Regions with (two-sided) p-value above ``alpha`` are
        ``'not_significant'``; the others are binned by confidence 99/95/90 %
        (p <= 0.01 / 0.05 / 0.10). With the default ``alpha=0.05`` the ``*_90`` classes
        therefore never occur; pass ``alpha=0.10`` for the usual three-level map.
    fdr : bool, default False
        Use Benjamini-Hochberg adjusted p-values (``p_fdr``) instead of ``p_sim`` for
        significance and binning.
    n_jobs : int, default 1
        Passed to esda. Keep 1 inside a web worker; >1 spawns processes that each recompile.

    Returns
    -------
    pandas.DataFrame
        On ``rates.index``, columns

        ``gi_z``
            Gi* z-score under the normality assumption (positive = high values cluster).
        ``p_sim``
            Two-sided permutation pseudo p-value.
        ``p_norm``
            Two-sided p-value of ``gi_z`` under normality.
        ``p_fdr``
            Benjamini-Hochberg adjusted ``p_sim``.
        ``significant``
            bool, the p-value used (``p_sim`` or ``p_fdr``) is <= ``alpha``.
        ``hotspot_class``
            ordered categorical in :data:`HOTSPOT_CLASSES`; hot/cold by the sign of ``gi_z``.

    Raises
    ------
    HotspotInputError
        Misaligned ids, non-finite or negative rates, islands in ``weights``, bad options.

    Notes
    -----
    Constant rates (including all zero) have no hot or cold spots: the result then has
    ``gi_z`` 0, p-values 1 and every class ``'not_significant'`` (no error).

    See Also
    --------
    local_moran_clusters : Cluster/outlier typology with local Moran's I.
    """
    y = _check_stat_inputs(rates, weights, permutations=permutations, alpha=alpha, gi=True)
    if np.ptp(y) == 0:
        logger.info("getis_ord_hotspots: rates are constant; nothing is significant")
        flat = _constant_result(weights, rates, p_cols=("p_sim", "p_norm", "p_fdr"))
        flat.insert(0, "gi_z", 0.0)
        flat["hotspot_class"] = pd.Categorical(
            np.full(len(flat), "not_significant"), dtype=_HOTSPOT_DTYPE
        )
        return flat.reindex(rates.index)
    w_star = _copy_weights(weights, self_weight=True)
    with _esda_quiet():
        g = esda.G_Local(
            y,
            w_star,
            transform="B",
            permutations=permutations,
            star=True,
            keep_simulations=False,
            n_jobs=n_jobs,
            seed=seed,
        )
    z = np.asarray(g.Zs, dtype=float)
    p_sim = _two_sided(g.p_sim)
    p_fdr = _bh(p_sim)
    p_used = p_fdr if fdr else p_sim
    significant = p_used <= alpha

    labels = np.full(len(y), "not_significant", dtype=object)
    for upper, suffix in reversed(_CONFIDENCE_BINS):  # widest bin first, narrowest wins
        in_bin = significant & (p_used <= upper)
        labels[in_bin & (z > 0)] = f"hot_{suffix}"
        labels[in_bin & (z < 0)] = f"cold_{suffix}"

    out = pd.DataFrame(
        {
            "gi_z": z,
            "p_sim": p_sim,
            "p_norm": np.minimum(1.0, 2.0 * stats.norm.sf(np.abs(z))),
            "p_fdr": p_fdr,
            "significant": significant,
            "hotspot_class": pd.Categorical(labels, dtype=_HOTSPOT_DTYPE),
        },
        index=pd.Index(weights.id_order, name=rates.index.name),
    )
    return out.reindex(rates.index)


def local_moran_clusters(
    rates: pd.Series,
    weights: W,
    *,
    permutations: int = 999,
    seed: int = 0,
    alpha: float = 0.05,
    fdr: bool = False,
    n_jobs: int = 1,
) -> pd.DataFrame:
    """Local Moran's I (LISA) clusters and outliers of a rate.

    Parameters
    ----------
    rates : pandas.Series
        Finite values indexed by the same ids as ``weights`` (any order).
    weights : libpysal.weights.W
        Weights without islands, e.g. from :func:`spatial_weights`. Not modified: a private
        row-standardised copy is used.
    permutations, seed, alpha, fdr, n_jobs
        As in :func:`getis_ord_hotspots`.

    Returns
    -------
    pandas.DataFrame
        On ``rates.index``, columns ``Ii`` (local Moran's I), ``z_sim`` (I standardised by the
        permutation distribution), ``p_sim`` (two-sided pseudo p-value), ``p_fdr``
        (Benjamini-Hochberg adjusted), ``significant`` (bool) and ``quadrant``: categorical
        ``'HH'`` (high value, high neighbours), ``'LH'``, ``'LL'``, ``'HL'`` for significant
        regions, else ``'not_significant'``. Korean labels in :data:`MORAN_LABELS_KO`.

    Raises
    ------
    HotspotInputError
        Misaligned ids, non-finite rates, islands in ``weights``, bad options.

    Notes
    -----
    Constant rates give ``Ii`` 0, p-values 1 and every quadrant ``'not_significant'``.

    See Also
    --------
    getis_ord_hotspots : Hot and cold spots with Gi*.
    """
    y = _check_stat_inputs(rates, weights, permutations=permutations, alpha=alpha, gi=False)
    if np.ptp(y) == 0:
        logger.info("local_moran_clusters: rates are constant; nothing is significant")
        flat = _constant_result(weights, rates, p_cols=("p_sim", "p_fdr"))
        flat.insert(0, "Ii", 0.0)
        flat.insert(1, "z_sim", 0.0)
        flat["quadrant"] = pd.Categorical(np.full(len(flat), "not_significant"), dtype=_MORAN_DTYPE)
        return flat.reindex(rates.index)
    with _esda_quiet():
        lisa = esda.Moran_Local(
            y,
            _copy_weights(weights),
            transformation="r",
            permutations=permutations,
            geoda_quads=False,
            n_jobs=n_jobs,
            keep_simulations=True,
            seed=seed,
        )
    p_sim = _two_sided(lisa.p_sim)
    p_fdr = _bh(p_sim)
    significant = (p_fdr if fdr else p_sim) <= alpha
    quads = _ESDA_QUADS[np.asarray(lisa.q, dtype=int)]
    quads[~significant] = "not_significant"
    out = pd.DataFrame(
        {
            "Ii": np.asarray(lisa.Is, dtype=float),
            "z_sim": np.asarray(lisa.z_sim, dtype=float),
            "p_sim": p_sim,
            "p_fdr": p_fdr,
            "significant": significant,
            "quadrant": pd.Categorical(quads, dtype=_MORAN_DTYPE),
        },
        index=pd.Index(weights.id_order, name=rates.index.name),
    )
    return out.reindex(rates.index)


def warm_up() -> float:
    """Compile esda's numba kernels by running both statistics on a tiny lattice.

    Call once at application start-up (before forking workers) so that the first hotspot map
    a user requests does not wait for compilation.

    Returns
    -------
    float
        Seconds taken.
    """
    start = time.perf_counter()
    side = 4
    cells = gpd.GeoDataFrame(
        geometry=[box(c, r, c + 1.0, r + 1.0) for r in range(side) for c in range(side)],
        crs="EPSG:5179",
    )
    w = spatial_weights(cells)
    rates = pd.Series(np.linspace(0.0, 1.0, side * side), index=cells.index)
    getis_ord_hotspots(rates, w, permutations=99)
    local_moran_clusters(rates, w, permutations=99)
    elapsed = time.perf_counter() - start
    logger.info("hotspots.warm_up: numba kernels ready in %.2f s", elapsed)
    return elapsed


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------
@contextmanager
def _esda_quiet() -> Iterator[None]:
    """Mute esda's per-call DeprecationWarning about the future default alternative.

    ``catch_warnings`` also restores the global filters that ``Moran_Local`` changes
    (it calls ``simplefilter('always', SparseEfficiencyWarning)``).
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=_ESDA_ALTERNATIVE_MSG, category=DeprecationWarning
        )
        yield


def _copy_weights(weights: W, *, self_weight: bool = False) -> W:
    """A fresh binary copy, so esda cannot touch the caller's transform or sparse cache.

    With ``self_weight`` every region is also its own neighbour (weight 1): the Gi* form.
    Built in one go because libpysal rebuilds its sparse matrix (slowly) on every change.
    """
    if self_weight:
        neighbors = {i: [i, *(j for j in nb if j != i)] for i, nb in weights.neighbors.items()}
    else:
        neighbors = {i: list(nb) for i, nb in weights.neighbors.items()}
    return W(neighbors, id_order=list(weights.id_order), silence_warnings=True)


def _constant_result(weights: W, rates: pd.Series, *, p_cols: tuple[str, ...]) -> pd.DataFrame:
    """Frame for constant rates: p-values 1 and nothing significant (classes added by caller)."""
    frame = pd.DataFrame(
        dict.fromkeys(p_cols, 1.0), index=pd.Index(weights.id_order, name=rates.index.name)
    )
    frame["significant"] = False
    return frame


def _two_sided(p_directed: np.ndarray) -> np.ndarray:
    return np.minimum(1.0, 2.0 * np.asarray(p_directed, dtype=float))


def _bh(p: np.ndarray) -> np.ndarray:
    return np.asarray(stats.false_discovery_control(p, method="bh"), dtype=float)


def _check_stat_inputs(
    rates: object, weights: object, *, permutations: int, alpha: float, gi: bool
) -> np.ndarray:
    """Validate and return rates as float64 in ``weights.id_order``."""
    if not isinstance(rates, pd.Series):
        raise HotspotInputError(f"rates must be a pandas.Series, got {type(rates).__name__}")
    if not isinstance(weights, W):
        raise HotspotInputError(
            f"weights must be a libpysal.weights.W (see spatial_weights), "
            f"got {type(weights).__name__}"
        )
    problems: list[str] = []
    if not isinstance(permutations, (int, np.integer)) or permutations < 99:
        problems.append(f"permutations must be an integer >= 99, got {permutations!r}")
    if not 0.0 < alpha < 1.0:
        problems.append(f"alpha must be in (0, 1), got {alpha!r}")
    if not rates.index.is_unique:
        problems.append("rates index must be unique")
    if not pd.api.types.is_numeric_dtype(rates.dtype) or pd.api.types.is_bool_dtype(rates.dtype):
        problems.append(f"rates must be numeric, got dtype {rates.dtype}")
    if weights.islands:
        problems.append(
            f"weights has {len(weights.islands)} island(s) (e.g. {weights.islands[:5]}); "
            "build them with spatial_weights(), which attaches islands to nearest regions"
        )
    ids = list(weights.id_order)
    if rates.index.is_unique and set(rates.index) != set(ids):
        missing = [i for i in ids if i not in rates.index][:5]
        extra = [i for i in rates.index if i not in set(ids)][:5]
        problems.append(
            "rates index and weights ids differ "
            f"(in weights only, e.g. {missing}; in rates only, e.g. {extra})"
        )
    if problems:
        raise HotspotInputError("invalid hotspot input: " + "; ".join(problems))

    y = rates.reindex(ids).to_numpy(dtype=float, na_value=np.nan)
    if not np.isfinite(y).all():
        bad = [ids[i] for i in np.flatnonzero(~np.isfinite(y))[:5]]
        problems.append(
            f"rates has {int((~np.isfinite(y)).sum())} missing/non-finite value(s) (e.g. {bad}); "
            "drop those regions from both rates and weights or impute them"
        )
    elif gi and (y < 0).any():
        problems.append("Gi* needs non-negative rates")
    if problems:
        raise HotspotInputError("invalid hotspot input: " + "; ".join(problems))
    return y
