"""Spatial accessibility: enhanced two-step floating catchment area (E2SFCA).

The numeric core (:func:`e2sfca_scores`) works on coordinate arrays in metres and
never builds a dense demand × supply matrix: supply points are bucketed in a grid
(cells a quarter of the catchment wide) and compiled numba kernels run both E2SFCA
steps straight over the buckets, without materialising the pairs. The kernels are
cached on disk (``cache=True``); call :func:`warm_up` at start-up so the first
request does not compile. :func:`neighbour_pairs` lists the pairs themselves.
The geo wrappers (:func:`e2sfca_accessibility`, :func:`supply_demand_table`,
:func:`unmatched_needs`) validate GeoDataFrames (projected CRS in metres, points,
non-negative values) and return named pandas objects on the input's index.

Modules
-------
``decay``
    Distance-decay weights (:class:`StepDecay`, :class:`GaussianDecay`).
``kernels``
    The grid neighbour search and the compiled E2SFCA steps (numba).
``e2sfca``
    :func:`e2sfca_scores` (arrays), :func:`e2sfca_accessibility` (GeoDataFrames), warm-up.
``classes``
    Per-region supply/demand table and the under/balanced/over classification.
``unmatched``
    Needs with no facility with free places in reach.

References
----------
Luo, W. and Qi, Y. (2009). An enhanced two-step floating catchment area (E2SFCA)
method for measuring spatial accessibility to primary care physicians.
*Health & Place* 15(4), 1100–1107.

Dai, D. (2010). Black residential segregation, disparities in spatial access to
health care facilities, and late-stage breast cancer diagnosis in metropolitan
Detroit. *Health & Place* 16(5), 1038–1052.
"""

from spatial.accessibility.classes import SUPPLY_CLASSES, classify_supply, supply_demand_table
from spatial.accessibility.decay import DistanceDecay, GaussianDecay, StepDecay
from spatial.accessibility.e2sfca import e2sfca_accessibility, e2sfca_scores, warm_up
from spatial.accessibility.kernels import neighbour_pairs, within_radius
from spatial.accessibility.unmatched import unmatched_needs
from spatial.checks import AnalyticsInputError, check_layers, point_coordinates

__all__ = [
    "SUPPLY_CLASSES",
    "AnalyticsInputError",
    "DistanceDecay",
    "GaussianDecay",
    "StepDecay",
    "check_layers",
    "classify_supply",
    "e2sfca_accessibility",
    "e2sfca_scores",
    "neighbour_pairs",
    "point_coordinates",
    "supply_demand_table",
    "unmatched_needs",
    "warm_up",
    "within_radius",
]
