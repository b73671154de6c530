"""Site suitability: maximal covering (MCLP) and p-median location, solved with HiGHS.

Laid out as PySAL ``spopt.locate``: one model per module, each a solver on a coverage or
cost structure, with thin geo wrappers on top. The numeric core works on sparse
structures and never on GeoDataFrames:

* :func:`solve_mclp` (``mclp``) takes a demand × candidate boolean coverage matrix
  (:class:`scipy.sparse.csr_matrix`), merges demand rows with identical coverage,
  and solves the MIP with ``highspy`` through the matrix API (one ``passModel``).
* :func:`solve_p_median` (``p_median``) takes ``(demand, candidate, cost)`` triples of a
  radius-limited cost structure, with an explicit "unserved" assignment at a
  penalty cost for demand whose reachable candidates are all closed.
* :func:`greedy_mclp` (``greedy``) is the fallback, with its gap to the LP-relaxation bound.
* ``coverage`` holds the MCLP model structure shared by both MCLP solvers; ``base`` the
  HiGHS plumbing and the result types.

The geo wrappers (:func:`candidate_sites`, :func:`coverage_matrix` in ``candidates``;
:func:`choose_sites` in ``choose``) validate inputs (projected CRS in metres, points),
build the sparse structures with the grid neighbour search and return GeoDataFrames and
named Series.

Notes
-----
``import highspy`` prints the HiGHS banner once per process on the first solver
construction (from C++, before options can be set); all solver output after that
is switched off and goes nowhere.
"""

from spatial.locate.base import SiteSelectionResult, SiteSolution
from spatial.locate.candidates import candidate_sites, coverage_matrix
from spatial.locate.choose import choose_sites
from spatial.locate.coverage import mclp_lp_bound
from spatial.locate.greedy import greedy_mclp
from spatial.locate.mclp import solve_mclp
from spatial.locate.p_median import solve_p_median

__all__ = [
    "SiteSelectionResult",
    "SiteSolution",
    "candidate_sites",
    "choose_sites",
    "coverage_matrix",
    "greedy_mclp",
    "mclp_lp_bound",
    "solve_mclp",
    "solve_p_median",
]
