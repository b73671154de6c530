"""가까운 시설 찾기 (public, no login): nearest facilities with 정원, 현원 and 빈자리.

Only facility data is read: the page never touches households or people.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

import geopandas as gpd
import numpy as np
from dash import Input, Output, ctx, dcc, html, no_update

from app import ids
from app.auth import current_lang, get_store
from app.components import table
from app.figures.supply_figures import nearby_map, padded_extent
from app.i18n import t
from app.layout import notice
from app.pages import page_callback
from geodata.store.base import Store
from services.nearby import NearbyInputError, NearbyResult, facility_catalogue, nearby_facilities
from services.regions import display_regions, region_names
from services.supply import FACILITY_GROUP_LABELS

log = logging.getLogger(__name__)

PAGE: dict[str, object] = {"path": "/nearby", "order": 60, "name": "가까운 시설 찾기",
        "name_ko": "가까운 시설 찾기", "name_en": "Nearby facilities",
        "title": "가까운 시설 찾기 · 복지 아틀라스"}

K_OPTIONS = (5, 10, 20, 30)
TABLE_COLUMNS = ("rank", "name", "type", "distance", "capacity", "current_users", "free_places",
                 "address")


class NearbyView(NamedTuple):
    """What the page shows for one place and filter."""

    figure: dict
    origin: str
    rows: list[dict[str, object]]


def place_from_inputs(trigger: str | None, click: dict | None, region: str | None,
                      coords: str | None) -> dict[str, str | float] | None:
    """The place to search from, by what the user touched last (plain function, no Dash)."""
    if trigger == ids.NB_MAP and click and click.get("points"):
        point = click["points"][0]
        return {"lon": float(point["x"]), "lat": float(point["y"])}
    if trigger == ids.NB_REGION and region:
        return {"region": str(region)}
    if trigger in (ids.NB_COORDS_GO, ids.NB_COORDS) and coords:
        return {"coords": str(coords)}
    return None


def search(store: Store, place: dict, *, groups: list[str] | None, types: list[str] | None,
           free_only: bool, k: int) -> NearbyResult:
    """Run the finder for a place from :func:`place_from_inputs`."""
    from shapely.geometry import Point

    point = Point(place["lon"], place["lat"]) if "lon" in place else None
    return nearby_facilities(store, point=point, region_code=place.get("region"),
                             coordinates=place.get("coords"), k=int(k),
                             target_groups=groups or None, type_codes=types or None,
                             free_places_only=free_only)


def result_rows(result: NearbyResult) -> list[dict[str, object]]:
    """Table rows: distance in m or km, capacity, current users and free places."""
    rows = []
    for r in result.facilities.itertuples():
        dist = f"{r.distance_m:,.0f} m" if r.distance_m < 1000 else f"{r.distance_m / 1000:.1f} km"
        rows.append({"rank": int(r.rank), "name": r.name, "type": r.type_name, "distance": dist,
                     "capacity": int(r.capacity), "current_users": int(r.current_users),
                     "free_places": int(r.free_places), "address": r.address or ""})
    return rows


def outlines(store: Store, extent: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    """읍면동 display outlines within ``extent`` (시군구 outlines for a wide view)."""
    minx, miny, maxx, maxy = extent
    level = "emd" if (maxx - minx) < 0.6 else "sigungu"
    return display_regions(store, level).cx[minx:maxx, miny:maxy]


def store_extent(store: Store) -> tuple[float, float, float, float]:
    """Bounds of the store's 시군구 (the opening view)."""
    regions = display_regions(store, "sigungu")
    if regions.empty:
        return 124.5, 33.0, 131.0, 38.7
    minx, miny, maxx, maxy = regions.total_bounds
    return padded_extent(np.array([minx, maxx]), np.array([miny, maxy]), pad=0.02)


def build_nearby_view(store: Store, result: NearbyResult | None, lang: str) -> NearbyView:
    """Map, origin line and rows for a result (or the opening map without one)."""
    labels = {"here": t("nb.here", lang), "facility": t("nav.nearby", lang)}
    if result is None:
        extent = store_extent(store)
        fig = nearby_map(outlines(store, extent), extent=extent, labels=labels)
        return NearbyView(fig, t("nb.pick", lang), [])
    fac = result.facilities
    lons = np.append(fac["lon"].to_numpy(float), result.origin.x)
    lats = np.append(fac["lat"].to_numpy(float), result.origin.y)
    extent = padded_extent(lons, lats, pad=0.15)
    fig = nearby_map(outlines(store, extent), extent=extent, facilities=fac,
                     origin=(result.origin.x, result.origin.y), labels=labels)
    origin = t("nb.origin", lang, label=result.origin_label)
    return NearbyView(fig, origin if len(fac) else f"{origin} · {t('nb.none', lang)}",
                      result_rows(result))


_VIEWS_KEPT = 64  # a view holds its outlines as arrays: ~0.3 MB each


def nearby_view(store: Store, place: dict | None, *, groups: list[str] | None,
                types: list[str] | None, free_only: bool, k: int, lang: str) -> NearbyView:
    """:func:`search` and :func:`build_nearby_view` in one, the view kept per store for the
    same place, filters and language while the facilities (정원 and 현원 included) and the
    boundaries are unchanged (:meth:`~geodata.store.Store.data_version`); a failed search
    raises and is not kept. The view is shared: do not modify it.

    Raises
    ------
    NearbyInputError
        As :func:`services.nearby.nearby_facilities`.
    """
    def build() -> NearbyView:
        result = None if not place else search(store, place, groups=groups, types=types,
                                                  free_only=free_only, k=k)
        return build_nearby_view(store, result, lang)

    key = (tuple(sorted((place or {}).items())), tuple(groups or ()), tuple(types or ()),
           free_only, k, lang, store.data_version("facility", "region"))
    try:
        hash(key)
    except TypeError:  # a place that is not plain values: searched, not kept
        return build()
    return store.cache.region("nearby.views", maxsize=_VIEWS_KEPT).get_or_compute(key, build)


def _filters(store: Store, lang: str) -> html.Div:
    pick = 0 if lang == "ko" else 1
    catalogue = facility_catalogue(store)
    types = [{"label": f"{r.type_name} ({r.type_code})", "value": r.type_code}
             for r in catalogue.itertuples()]
    present = set(catalogue["target_group"])
    groups = [{"label": v[pick], "value": k} for k, v in FACILITY_GROUP_LABELS.items()
              if k in present]
    return html.Div([
        html.Div([html.Label(t("nb.groups", lang), className="atlas-label"),
                  dcc.Checklist(id=ids.NB_GROUPS, options=groups, value=[], inline=True)]),
        html.Div([html.Label(t("nb.types", lang), className="atlas-label"),
                  dcc.Dropdown(id=ids.NB_TYPES, options=types, multi=True)],
                 className="atlas-field-wide"),
        html.Div([dcc.Checklist(id=ids.NB_FREE, value=[],
                                options=[{"label": t("nb.free", lang), "value": "free"}])]),
        html.Div([html.Label(t("nb.k", lang), className="atlas-label"),
                  dcc.Dropdown(id=ids.NB_K, value=10, clearable=False,
                               options=[{"label": str(k), "value": k} for k in K_OPTIONS])]),
    ], className="atlas-toolbar")


def _place_bar(store: Store, lang: str) -> html.Div:
    names = region_names(store, ("sigungu", "emd"))
    options = [{"label": name, "value": code} for code, name in
               zip(names["code"].tolist(), names["full_name"].tolist(), strict=True)]
    return html.Div([
        html.Div([html.Label(t("nb.region", lang), className="atlas-label"),
                  dcc.Dropdown(id=ids.NB_REGION, options=options, searchable=True)],
                 className="atlas-field-wide"),
        html.Div([html.Label(t("nb.coords", lang), className="atlas-label",
                             htmlFor=ids.NB_COORDS),
                  dcc.Input(id=ids.NB_COORDS, type="text", placeholder="36.6069, 127.2851",
                            debounce=True)]),
        html.Button(t("nb.coords_go", lang), id=ids.NB_COORDS_GO,
                    className="atlas-button atlas-button-primary"),
    ], className="atlas-toolbar")


def layout(**_query: str) -> html.Div:
    """Place pickers, filters, the clickable map and the result table (open to everyone)."""
    lang, store = current_lang(), get_store()
    return html.Div([
        html.H1(t("nb.title", lang)),
        html.P(t("nb.intro", lang), className="atlas-muted"),
        dcc.Store(id=ids.NB_PLACE),
        _place_bar(store, lang),
        _filters(store, lang),
        html.Div(id=ids.NB_ERROR),
        html.P(t("nb.pick", lang), id=ids.NB_ORIGIN),
        dcc.Loading(dcc.Graph(id=ids.NB_MAP, config={"displaylogo": False, "scrollZoom": True},
                              className="atlas-map"), type="circle"),
        html.Div(id=ids.NB_TABLE),
    ])


@page_callback(Output(ids.NB_PLACE, "data"), Input(ids.NB_MAP, "clickData"),
          Input(ids.NB_REGION, "value"), Input(ids.NB_COORDS_GO, "n_clicks"),
          Input(ids.NB_COORDS, "value"), prevent_initial_call=True)
def choose_place(click: dict | None, region: str | None, _go: int | None,
                 coords: str | None) -> dict:
    """Remember the place from the map click, the region picker or the typed coordinates."""
    place = place_from_inputs(ctx.triggered_id, click, region, coords)
    return no_update if place is None else place


@page_callback(Output(ids.NB_MAP, "figure"), Output(ids.NB_ORIGIN, "children"),
          Output(ids.NB_TABLE, "children"), Output(ids.NB_ERROR, "children"),
          Input(ids.NB_PLACE, "data"), Input(ids.NB_GROUPS, "value"),
          Input(ids.NB_TYPES, "value"), Input(ids.NB_FREE, "value"), Input(ids.NB_K, "value"))
def show(place: dict | None, groups: list[str] | None, types: list[str] | None,
         free: list[str] | None, k: int | None) -> tuple:
    """Search from the place with the filters and redraw the map and the list.

    The map is not read back as state (it is ≈0.7 MB that every search would post): on bad
    input the map is left as it is.
    """
    lang, store = current_lang(), get_store()
    try:
        view = nearby_view(store, place, groups=groups, types=types, free_only=bool(free),
                           k=int(k or 10), lang=lang)
    except NearbyInputError as exc:
        message = notice(t(f"nb.err.{exc.code}", lang), kind="error")
        return no_update, no_update, no_update, message
    headers = [(c, t(f"col.{c}", lang)) for c in TABLE_COLUMNS]
    return view.figure, view.origin, table(view.rows, headers, empty=t("nb.none", lang)), None
