"""Numeric spatial kernels and models: no Store, no Viewer, no Dash.

``accessibility``
    E2SFCA accessibility (numba grid kernels), supply/demand classes, unmatched needs.
``locate``
    Location models on coverage / cost matrices (MCLP, p-median, greedy), as in PySAL
    ``spopt.locate``, with thin geo wrappers (candidate sites, ``choose_sites``).
``hotspots``, ``weights``
    Getis-Ord Gi* and local Moran's I on 읍면동 rates; the spatial weights they use.
``routing``
    Ordering a day's household visits (nearest neighbour + 2-opt / Or-opt).
``checks``
    Input checks shared by the kernels (projected CRS in metres, points, values).
"""
