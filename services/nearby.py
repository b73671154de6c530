"""Public nearby-facility finder (no login, no personal data).

A resident picks a place — a point, a 시군구/읍면동 code (its representative point) or typed
coordinates — and gets the ``k`` nearest facilities, optionally of some types or target groups,
with distance, capacity (정원), current users (현원) and free places (빈자리).

Only facility columns are ever read or returned: households and people are never touched. The
nearest-neighbour search is the store's (``Store.facilities_nearest``: a KD-tree on the
embedded store, KNN ``<->`` on the PostGIS expression index).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point

from domain.errors import InputError
from geodata.store.base import Store

__all__ = [
    "KOREA_BOUNDS",
    "MAX_K",
    "PUBLIC_COLUMNS",
    "NearbyInputError",
    "NearbyResult",
    "facility_catalogue",
    "nearby_facilities",
    "parse_coordinates",
    "validate_point",
]

log = logging.getLogger(__name__)

#: (min lon, min lat, max lon, max lat): South Korea from 마라도 to 독도 and 고성, with margin.
KOREA_BOUNDS: Final = (124.0, 32.8, 132.0, 38.9)
MAX_K: Final = 50
#: The only facility columns the finder returns (all public registry data).
PUBLIC_COLUMNS: Final[tuple[str, ...]] = (
    "rank", "facility_id", "name", "type_code", "type_name", "target_group", "function",
    "capacity", "current_users", "free_places", "distance_m", "address", "lon", "lat")
_CATALOGUE_TTL_S: Final = 600.0


class NearbyInputError(InputError):
    """A place the finder cannot use. ``code`` names the problem for translated messages.

    Codes: ``bad_coordinates``, ``outside_korea``, ``unknown_region``, ``no_place``, ``bad_k``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class NearbyResult:
    """The place searched from and the facilities found, nearest first.

    Attributes
    ----------
    origin : shapely.geometry.Point
        The search point in EPSG:4326 (lon, lat).
    origin_label : str
        The region name, or the coordinates as text.
    facilities : pandas.DataFrame
        Columns :data:`PUBLIC_COLUMNS`; ``distance_m`` in metres (EPSG:5179).
    region_code : str or None
        The region searched from, when a region was given.
    """

    origin: Point
    origin_label: str
    facilities: pd.DataFrame
    region_code: str | None = None


def validate_point(lon: float, lat: float) -> Point:
    """A point at ``(lon, lat)`` if it lies within :data:`KOREA_BOUNDS`.

    Raises
    ------
    NearbyInputError
        ``bad_coordinates`` for non-numbers, ``outside_korea`` otherwise (the message says when
        longitude and latitude look swapped).
    """
    try:
        x, y = float(lon), float(lat)
    except (TypeError, ValueError):
        raise NearbyInputError("bad_coordinates",
                               f"coordinates must be numbers, got {lon!r}, {lat!r}") from None
    if not (np.isfinite(x) and np.isfinite(y)):
        raise NearbyInputError("bad_coordinates", "coordinates must be finite numbers")
    minx, miny, maxx, maxy = KOREA_BOUNDS
    if minx <= x <= maxx and miny <= y <= maxy:
        return Point(x, y)
    hint = ""
    if minx <= y <= maxx and miny <= x <= maxy:
        hint = " — longitude and latitude look swapped"
    raise NearbyInputError(
        "outside_korea",
        f"({x:.5f}, {y:.5f}) is outside Korea: longitude must be {minx}–{maxx}° E and latitude "
        f"{miny}–{maxy}° N{hint}")


_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def parse_coordinates(text: str) -> Point:
    """Parse typed coordinates such as ``"37.5665, 126.9780"`` or ``"126.978 37.5665"``.

    In Korea latitudes (33–39) and longitudes (124–132) do not overlap, so either order is
    accepted.

    Raises
    ------
    NearbyInputError
        ``bad_coordinates`` unless exactly two numbers are given; ``outside_korea``.

    Examples
    --------
    >>> parse_coordinates("37.5665, 126.978").coords[0]
    (126.978, 37.5665)
    """
    numbers = _NUMBER.findall(text or "")
    if len(numbers) != 2:
        raise NearbyInputError(
            "bad_coordinates", f"type two numbers, latitude and longitude, e.g. "
                               f"'37.5665, 126.9780'; got {text!r}")
    a, b = float(numbers[0]), float(numbers[1])
    lon, lat = (b, a) if a < b else (a, b)  # latitude is always the smaller number in Korea
    return validate_point(lon, lat)


def facility_catalogue(store: Store) -> pd.DataFrame:
    """Distinct facility types in the store: ``type_code, type_name, target_group, function``.

    Cached per store for ten minutes (the type list changes only with a reload); empty when
    the store holds no facilities.
    """
    cache = store.cache.region("nearby.catalogue", maxsize=1, ttl_s=_CATALOGUE_TTL_S)
    frame = cache.get("types")
    if frame is None:
        frame = _read_catalogue(store)
        if len(frame):  # an empty store may be loaded soon: do not remember "no facilities"
            cache.put("types", frame)
    return frame


def _read_catalogue(store: Store) -> pd.DataFrame:
    cols = ["type_code", "type_name", "target_group", "function"]
    frame = store.read_frame("facility", columns=cols).drop_duplicates("type_code")
    return frame.sort_values("type_code").reset_index(drop=True)


def _type_filter(store: Store, type_codes: Sequence[str] | None,
                 target_groups: Sequence[str] | None) -> list[str] | None:
    """Type codes to search: the given types, intersected with the given target groups."""
    if not target_groups:
        return list(type_codes) if type_codes else None
    catalogue = facility_catalogue(store)
    in_groups = set(catalogue.loc[catalogue["target_group"].isin(target_groups), "type_code"])
    chosen = in_groups & set(type_codes) if type_codes else in_groups
    return sorted(chosen) or ["__none__"]


def _region_origin(store: Store, region_code: str) -> tuple[Point, str]:
    code = str(region_code).strip()
    if not code.isdigit() or len(code) not in (2, 5, 8, 10):
        raise NearbyInputError("unknown_region", f"not a region code: {region_code!r}")
    frame = store.read_frame("region", columns=["code", "full_name", "geometry"],
                             where={"code": code})
    if frame.empty:
        raise NearbyInputError("unknown_region", f"no region with code {code}")
    point = shapely.get_geometry(frame.geometry.iloc[0].representative_point(), 0)
    return Point(point.x, point.y), str(frame["full_name"].iloc[0])


def nearby_facilities(
    store: Store,
    *,
    point: Point | None = None,
    region_code: str | None = None,
    coordinates: str | None = None,
    k: int = 10,
    type_codes: Sequence[str] | None = None,
    target_groups: Sequence[str] | None = None,
    free_places_only: bool = False,
) -> NearbyResult:
    """The ``k`` facilities nearest a place, nearest first, with free places.

    Parameters
    ----------
    store
        Any store.
    point, region_code, coordinates
        The place: a point (EPSG:4326), a 시도/시군구/읍면동 code (its representative point) or
        typed coordinates (see :func:`parse_coordinates`). The first one given is used.
    k
        How many facilities (1 to :data:`MAX_K`).
    type_codes, target_groups
        Keep only these facility types and/or target groups (both: the intersection).
    free_places_only
        Keep only facilities with free places (정원 > 현원).

    Returns
    -------
    NearbyResult

    Raises
    ------
    NearbyInputError
        No place, bad or foreign coordinates, an unknown region, or ``k`` out of range.
    """
    if not isinstance(k, int | np.integer) or not 1 <= int(k) <= MAX_K:
        raise NearbyInputError("bad_k", f"k must be a whole number from 1 to {MAX_K}, got {k!r}")
    origin, label, code = _origin(store, point, region_code, coordinates)
    types = _type_filter(store, type_codes, target_groups)
    found = store.facilities_nearest(origin, k=int(k), type_codes=types,
                                     free_places_only=free_places_only)
    return NearbyResult(origin=origin, origin_label=label, facilities=_public(found),
                        region_code=code)


def _origin(store: Store, point: Point | None, region_code: str | None,
            coordinates: str | None) -> tuple[Point, str, str | None]:
    if point is not None:
        p = validate_point(point.x, point.y)
        return p, f"{p.y:.5f}, {p.x:.5f}", None
    if region_code:
        p, name = _region_origin(store, region_code)
        return p, name, str(region_code)
    if coordinates:
        p = parse_coordinates(coordinates)
        return p, f"{p.y:.5f}, {p.x:.5f}", None
    raise NearbyInputError("no_place", "give a point, a region code or coordinates")


def _public(found: pd.DataFrame) -> pd.DataFrame:
    """Whitelisted public columns, with a rank and lon/lat instead of geometry.

    Built from plain arrays in one constructor: this runs on every public request.
    """
    if len(found) == 0:
        return pd.DataFrame({c: [] for c in PUBLIC_COLUMNS})
    frame = pd.DataFrame(found, copy=False)
    data: dict[str, np.ndarray] = {"rank": np.arange(1, len(found) + 1)}
    for col in PUBLIC_COLUMNS[1:-2]:
        data[col] = frame[col].to_numpy()
    data["free_places"] = data["free_places"].astype(np.int64)
    data["distance_m"] = np.round(data["distance_m"].astype(float), 1)
    points = np.asarray(frame["geometry"].to_numpy(), dtype=object)
    data["lon"], data["lat"] = shapely.get_x(points), shapely.get_y(points)
    return pd.DataFrame(data, columns=list(PUBLIC_COLUMNS))
