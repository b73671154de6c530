"""발굴 대상자 목록: the ranked visit list of a jurisdiction, filters, exports and a day's route.

Household-level service: every public function takes the acting :class:`~domain.access.Viewer`
and refuses roles without household access (:class:`~domain.errors.AccessDenied`, audited).
Names are masked in the list; the full record is opened on the case page
(:mod:`services.casework`). The scores come from the read model :mod:`services.scores`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from domain.access import Viewer, household_scope, may_see_household
from domain.errors import AccessDenied, InputError
from domain.masking import mask_name
from domain.tiers import TIER_VALUES
from geodata.store.base import Store
from geodata.vocabulary import CRISIS_SOURCES, HOUSEHOLD_TYPES, TIERS, label
from services.audit import audit, require_household_role
from services.eligibility import likely_unserved
from services.repeat_flags import count_flags, flag_counts, repeat_unhelped
from services.scores import scored_households, top_reasons

log = logging.getLogger(__name__)

_SIGNAL_WINDOW_MONTHS: Final = 6


class VisitListInputError(InputError):
    """Filters or a selection that cannot be used (every problem in one message)."""


@dataclass(frozen=True, slots=True)
class VisitFilters:
    """Filters of the visit list; empty tuples / ``None`` mean no filter."""

    tiers: tuple[int, ...] = ()
    household_types: tuple[str, ...] = ()
    crisis_sources: tuple[str, ...] = ()
    not_visited_days: int | None = None
    overridden: bool | None = None
    likely_unserved: bool = False  # only "likely eligible but not receiving" (services.eligibility)
    repeat_unhelped: bool = False  # only "flagged >= 2 times, never supported" (services.repeat_flags)
    limit: int = 200
    extra: dict[str, str] = field(default_factory=dict)

    def check(self) -> None:
        """Raise :class:`VisitListInputError` listing every invalid filter value."""
        problems = []
        bad_tiers = [t for t in self.tiers if t not in TIER_VALUES]
        if bad_tiers:
            problems.append(f"tiers must be 1-4, not {bad_tiers}")
        known_types = {c.code for c in HOUSEHOLD_TYPES}
        if unknown := sorted(set(self.household_types) - known_types):
            problems.append(f"unknown household types {unknown}")
        known_sources = {c.code for c in CRISIS_SOURCES}
        if unknown := sorted(set(self.crisis_sources) - known_sources):
            problems.append(f"unknown crisis sources {unknown}")
        if self.not_visited_days is not None and not 0 <= self.not_visited_days <= 3650:
            problems.append("not_visited_days must be between 0 and 3650")
        if not 1 <= self.limit <= 5000:
            problems.append("limit must be between 1 and 5000")
        if problems:
            raise VisitListInputError("invalid visit-list filters: " + "; ".join(problems))


def last_visits(store: Store, household_ids: Sequence[int]) -> pd.Series:
    """Date of the latest visit per household (visit log and past discovery outcomes)."""
    ids = [int(h) for h in household_ids]
    if not ids:
        return pd.Series(dtype="datetime64[ns]", name="last_visit")
    logged = store.activities.frame(household_ids=ids, kind="visit")
    logged = logged[["household_id", "activity_date"]].rename(columns={"activity_date": "date"})
    past = store.read_frame("discovery_history", columns=["household_id", "outcome_date"],
                            where=_ids_where(ids))
    past = past.rename(columns={"outcome_date": "date"})
    if len(ids) > _MAX_IN_LIST:
        past = past[past["household_id"].isin(set(ids))]
    both = pd.concat([logged.astype({"date": "datetime64[ns]"}),
                      past[["household_id", "date"]].astype({"date": "datetime64[ns]"})])
    both = both.dropna(subset=["date"])
    if both.empty:
        return pd.Series(dtype="datetime64[ns]", name="last_visit")
    return both.groupby("household_id")["date"].max().rename("last_visit")


# ------------------------------------------------------------------------------ the list
LIST_COLUMNS: Final[tuple[str, ...]] = (
    "rank", "household_id", "name_masked", "tier", "tier_label", "probability", "household_type",
    "household_type_label", "emd_code", "reasons", "last_visit", "overridden", "times_flagged",
    "visited_not_helped",
)


def ranked_visits(
    store: Store,
    viewer: Viewer,
    filters: VisitFilters | None = None,
    *,
    today: dt.date | None = None,
    lang: str = "ko",
    audit_view: bool = True,
) -> pd.DataFrame:
    """The ranked visit list of the viewer's jurisdiction after filters.

    Parameters
    ----------
    store
        The store.
    viewer
        The acting user: outreach workers get their 읍면동, administrators everything.
    filters
        :class:`VisitFilters`; all households when omitted.
    today
        Reference date for "not visited in N days" (default: today).
    lang
        Label language, ``'ko'`` or ``'en'``.
    audit_view
        Write one ``view_list`` row to ``audit_log`` (default True).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`LIST_COLUMNS`, ordered by rank within the jurisdiction (1 = first visit);
        at most ``filters.limit`` rows. Names are masked.

    Raises
    ------
    AccessDenied
        Roles without household access (audited).
    VisitListInputError
        Invalid filter values.
    """
    filters = filters or VisitFilters()
    filters.check()
    require_household_role(store, viewer, action="view_list", purpose="visit list")
    scope = viewer.jurisdiction_code if household_scope(viewer) else None
    base = scored_households(store, scope)
    if filters.likely_unserved:
        flagged = likely_unserved(store, viewer, on=today)["household_id"]
        base = base[base["household_id"].isin(flagged)]
    if filters.repeat_unhelped:
        counts = flag_counts(store, base["household_id"].to_numpy(), scope=scope or "national")
        base = base[repeat_unhelped(counts).to_numpy()]
    out = _decorate(store, base, filters, today=today or dt.date.today(), lang=lang)
    if audit_view:
        audit(store, viewer, action="view_list", object_type="jurisdiction",
              object_id=viewer.jurisdiction_code or "national", purpose="visit list",
              detail=f"{len(out)} rows")
    return out


def _decorate(store: Store, base: pd.DataFrame, filters: VisitFilters, *, today: dt.date,
              lang: str) -> pd.DataFrame:
    """Filter the ranked households (:func:`scored_households`, already in list order) and
    present; the costly columns (reasons, names, last visits) are read for the rows kept only."""
    if base.empty:
        return pd.DataFrame(columns=list(LIST_COLUMNS))
    frame = base
    if filters.tiers:
        frame = frame[frame["tier"].isin(filters.tiers)]
    if filters.overridden is not None:
        frame = frame[frame["overridden"] == filters.overridden]
    if filters.household_types:
        frame = frame[frame["household_type"].isin(filters.household_types)]
    if filters.crisis_sources:
        frame = frame[frame["household_id"].isin(_with_signal(store, frame, filters))]
    if filters.not_visited_days is not None:
        frame = frame.merge(last_visits(store, frame["household_id"].tolist()),
                            left_on="household_id", right_index=True, how="left")
        cutoff = pd.Timestamp(today - dt.timedelta(days=filters.not_visited_days))
        frame = frame[frame["last_visit"].isna() | (frame["last_visit"] < cutoff)]
    frame = frame.head(filters.limit).copy().reset_index(drop=True)
    ids = frame["household_id"].to_numpy(np.int64)
    version = str(frame["model_version"].iloc[0]) if len(frame) else None
    fixed = _fixed_columns(store, ids, version, lang=lang)
    visits = store.activities.frame(household_ids=ids.tolist(), kind="visit")
    logged = _logged_visits(ids, visits)
    if "last_visit" not in frame.columns:
        frame["last_visit"] = pd.concat([fixed["past_visit"], logged["last_visit"]],
                                        axis=1).max(axis=1).to_numpy()
    frame["times_flagged"] = fixed["times_flagged"].to_numpy()
    frame["visited_not_helped"] = (fixed["visited_not_helped"]
                                   + logged["visited_not_helped"]).to_numpy()
    frame["name_masked"] = fixed["name_masked"].to_numpy()
    frame["reasons"] = fixed["reasons"].to_numpy()
    return _present(frame, lang=lang)


_FIXED_MAX: Final = 64


def _fixed_columns(store: Store, ids: np.ndarray, version: str | None, *,
                   lang: str) -> pd.DataFrame:
    """The list's columns that change only when bulk tables are written, for ``ids`` in order:
    ``name_masked``, ``reasons``, ``past_visit`` (latest discovery outcome date),
    ``times_flagged`` and ``visited_not_helped`` of past discovery cycles.

    Cached per store for the ids, model version, language and the versions of the tables read
    (:meth:`~geodata.store.Store.data_version`: exact on both stores), so a repeated view of a
    list reads none of them; logged visits are an operational table and are read per view by
    the caller. The frame is shared: do not modify it.
    """
    key = (ids.tobytes(), version, lang,
           store.data_version("person", "risk_score", "discovery_history", "support"))
    cache = store.cache.region("visit_list.fixed_columns", maxsize=_FIXED_MAX)
    return cache.get_or_compute(key, lambda: _read_fixed_columns(store, ids, version, lang=lang))


def _read_fixed_columns(store: Store, ids: np.ndarray, version: str | None, *,
                        lang: str) -> pd.DataFrame:
    id_list = ids.tolist()
    index = pd.Index(ids, name="household_id")
    heads = store.read_frame("person", columns=["household_id", "name", "relation"],
                             where={"household_id": id_list or [-1]})
    heads = heads.sort_values("relation", key=lambda s: s != "head").drop_duplicates("household_id")
    names = dict(zip(heads["household_id"], heads["name"].map(mask_name), strict=True))
    reasons = _reasons_of(store, id_list, version)
    past = store.read_frame("discovery_history", columns=["household_id", "outcome",
                                                          "outcome_date"],
                            where=_ids_where(id_list))
    if len(id_list) > _MAX_IN_LIST:
        past = past[past["household_id"].isin(set(id_list))]
    dates = past[["household_id", "outcome_date"]].astype({"outcome_date": "datetime64[ns]"})
    latest = dates.dropna().groupby("household_id")["outcome_date"].max()
    given = store.read_frame("support", columns=["household_id"], where=_ids_where(id_list))
    flags = count_flags(ids, past, _NO_VISITS, given)
    return pd.DataFrame({
        "name_masked": [names.get(h, "") for h in id_list],
        "reasons": [" · ".join(top_reasons(reasons.get(h, "[]"), lang=lang)) for h in id_list],
        "past_visit": latest.reindex(index).astype("datetime64[ns]").to_numpy(),
        "times_flagged": flags["times_flagged"].to_numpy(),
        "visited_not_helped": flags["visited_not_helped"].to_numpy()}, index=index)


_NO_VISITS: Final = pd.DataFrame({"household_id": pd.Series([], dtype=np.int64),
                                  "outcome_code": pd.Series([], dtype=object)})


def _logged_visits(ids: np.ndarray, visits: pd.DataFrame) -> pd.DataFrame:
    """``last_visit`` and ``visited_not_helped`` of the logged home visits, for ``ids``."""
    index = pd.Index(ids, name="household_id")
    if visits.empty:  # the usual case: nothing logged for these households
        return pd.DataFrame({"last_visit": np.full(len(ids), np.datetime64("NaT"), "M8[ns]"),
                             "visited_not_helped": np.zeros(len(ids), np.int64)}, index=index)
    dated = visits[["household_id", "activity_date"]].astype({"activity_date": "datetime64[ns]"})
    latest = dated.dropna().groupby("household_id")["activity_date"].max()
    counts = count_flags(ids, pd.DataFrame({"household_id": [], "outcome": []}), visits,
                         pd.DataFrame({"household_id": []}))
    return pd.DataFrame({"last_visit": latest.reindex(index).astype("datetime64[ns]").to_numpy(),
                         "visited_not_helped": counts["visited_not_helped"].to_numpy()},
                        index=index)


_MAX_IN_LIST: Final = 5000


def _ids_where(ids: list[int]) -> dict[str, object] | None:
    """``where`` on household ids; ``None`` (read all, join later) for very long id lists,
    which are slower to send to PostGIS than the table is to read."""
    if len(ids) > _MAX_IN_LIST:
        return None
    return {"household_id": ids or [-1]}


def _reasons_of(store: Store, household_ids: list[int], version: str | None) -> dict[int, str]:
    if not household_ids or version is None:
        return {}
    rows = store.read_frame("risk_score", columns=["household_id", "reasons"],
                            where={"household_id": household_ids, "model_version": version})
    return dict(zip(rows["household_id"].astype(int), rows["reasons"], strict=True))


def _with_signal(store: Store, frame: pd.DataFrame, filters: VisitFilters) -> set[int]:
    signals = store.read_frame("crisis_signal", columns=["household_id", "source", "month"],
                               where={**(_ids_where(frame["household_id"].tolist()) or {}),
                                      "source": list(filters.crisis_sources)})
    if signals.empty:
        return set()
    recent = signals["month"] >= signals["month"].max() - pd.DateOffset(months=_SIGNAL_WINDOW_MONTHS)
    return set(signals.loc[recent, "household_id"].astype(int))


def _present(frame: pd.DataFrame, *, lang: str) -> pd.DataFrame:
    frame["tier_label"] = frame["tier"].map(lambda t: label(TIERS, str(t), lang=lang))
    frame["household_type_label"] = frame["household_type"].map(
        lambda c: label(HOUSEHOLD_TYPES, c, lang=lang))
    frame["rank"] = np.arange(1, len(frame) + 1)
    frame["probability"] = frame["probability"].round(3)
    return frame[list(LIST_COLUMNS)].reset_index(drop=True)


# ------------------------------------------------------------------------------ exports
_HEADERS: Final[dict[str, dict[str, str]]] = {
    "ko": {"rank": "순위", "household_id": "가구번호", "name_masked": "세대주(마스킹)",
           "tier_label": "등급", "probability": "위기확률", "household_type_label": "가구유형",
           "emd_code": "읍면동코드", "reasons": "주요 사유", "last_visit": "최근 방문일",
           "overridden": "등급 조정", "times_flagged": "발굴 횟수",
           "visited_not_helped": "방문·미지원 횟수"},
    "en": {"rank": "Rank", "household_id": "Household", "name_masked": "Head (masked)",
           "tier_label": "Tier", "probability": "Probability", "household_type_label": "Type",
           "emd_code": "EMD code", "reasons": "Top reasons", "last_visit": "Last visit",
           "overridden": "Overridden", "times_flagged": "Times flagged",
           "visited_not_helped": "Visited, not helped"},
}


def export_table(frame: pd.DataFrame, *, lang: str = "ko") -> pd.DataFrame:
    """The export view of a visit list: selected columns with Korean (or English) headers."""
    headers = _HEADERS["ko" if lang == "ko" else "en"]
    out = frame[list(headers)].copy()
    out["last_visit"] = pd.to_datetime(out["last_visit"]).dt.strftime("%Y-%m-%d").fillna("")
    yes, no = ("예", "") if lang == "ko" else ("yes", "")
    out["overridden"] = out["overridden"].map({True: yes, False: no})
    return neutralise_formulas(out.rename(columns=headers))


#: First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells starting like a formula get a leading ``'`` so spreadsheets show them as text.

    Numbers are left as numbers (a negative amount is not a formula).
    """
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if values.dtype != object and not isinstance(values.dtype, pd.StringDtype):
            continue
        out[col] = pd.Series(
            ["'" + v if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v
             for v in values.astype(object)], index=values.index, dtype=object)
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV in UTF-8 with a byte-order mark (opens correctly in Excel)."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, *, sheet: str = "발굴대상자") -> bytes:
    """An .xlsx workbook with one sheet holding ``frame``."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet[:31])
        ws = writer.sheets[sheet[:31]]
        for column in ws.columns:
            width = max(len(str(c.value or "")) for c in column) + 4
            ws.column_dimensions[column[0].column_letter].width = min(width, 60)
    return buffer.getvalue()


def export_visits(
    store: Store,
    viewer: Viewer,
    filters: VisitFilters | None = None,
    *,
    fmt: Literal["csv", "xlsx"],
    purpose: str = "visit planning",
    lang: str = "ko",
    today: dt.date | None = None,
) -> tuple[str, bytes]:
    """Export the filtered visit list as CSV or Excel; audited as ``export_csv``/``export_xlsx``.

    Returns
    -------
    tuple of (str, bytes)
        File name and content.

    Raises
    ------
    AccessDenied
        Roles without household access (audited).
    VisitListInputError
        Invalid filters or format.
    """
    require_household_role(store, viewer, action=f"export_{str(fmt)[:8]}", purpose=purpose)
    if fmt not in ("csv", "xlsx"):
        raise VisitListInputError(f"format must be 'csv' or 'xlsx', not {fmt!r}")
    frame = ranked_visits(store, viewer, filters, today=today, lang=lang, audit_view=False)
    table_ = export_table(frame, lang=lang)
    content = csv_bytes(table_) if fmt == "csv" else xlsx_bytes(table_)
    stamp = (today or dt.date.today()).strftime("%Y%m%d")
    name = f"visit_list_{viewer.jurisdiction_code or 'national'}_{stamp}.{fmt}"
    audit(store, viewer, action=f"export_{fmt}", object_type="visit_list",
          object_id=viewer.jurisdiction_code or "national", purpose=purpose,
          detail=f"{len(frame)} households: {','.join(map(str, frame['household_id']))}")
    return name, content


# ------------------------------------------------------------------------------ route
def office_point(store: Store, emd_code: str, *, offices: dict[str, tuple[float, float]] | None = None
                 ) -> Point:
    """The team office of a 읍면동: a configured ``(lon, lat)`` or the region's representative point."""
    if offices and emd_code in offices:
        lon, lat = offices[emd_code]
        return Point(float(lon), float(lat))
    region = store.read_frame("region", columns=["code", "geometry"], where={"code": emd_code})
    if region.empty:
        raise VisitListInputError(f"unknown 읍면동 {emd_code!r}: cannot place the office")
    return region.geometry.iloc[0].representative_point()


def day_route(
    store: Store,
    viewer: Viewer,
    household_ids: Sequence[int],
    *,
    offices: dict[str, tuple[float, float]] | None = None,
    max_stops: int = 30,
) -> tuple[Point, gpd.GeoDataFrame]:
    """Order the selected households into a day's route from the team's office.

    Returns
    -------
    tuple of (Point, geopandas.GeoDataFrame)
        The office (EPSG:4326) and the visits in order with ``visit_order``, ``leg_m`` and
        ``cumulative_m`` (EPSG:4326 points, no names).

    Raises
    ------
    AccessDenied
        Any selected household outside the viewer's jurisdiction (audited, nothing returned).
    VisitListInputError
        No households or too many.
    """
    ids = sorted({int(h) for h in household_ids})
    if not ids or len(ids) > max_stops:
        raise VisitListInputError(f"select between 1 and {max_stops} households for a route")
    require_household_role(store, viewer, action="route", purpose="day route")
    visits = store.read_frame("household", columns=["household_id", "emd_code", "geometry"],
                              where={"household_id": ids})
    foreign = sorted(set(ids) - {int(h) for h, e in zip(visits["household_id"], visits["emd_code"],
                                                         strict=True) if may_see_household(viewer, e)})
    if foreign:
        audit(store, viewer, action="route", object_type="household", allowed=False,
              object_id=",".join(map(str, foreign))[:64], detail="outside jurisdiction")
        raise AccessDenied(f"households {foreign} are not in your jurisdiction")
    emd = viewer.jurisdiction_code or str(visits["emd_code"].mode().iloc[0])
    office = office_point(store, emd, offices=offices)
    ordered = _route(office, visits)
    audit(store, viewer, action="route", object_type="household",
          object_id=",".join(map(str, ids))[:64], purpose="day route")
    return office, ordered


def _route(office: Point, visits: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    from spatial.routing import route_for_visits

    return route_for_visits(office, visits.reset_index(drop=True)).reset_index(drop=True)


__all__ = [
    "LIST_COLUMNS",
    "VisitFilters",
    "VisitListInputError",
    "csv_bytes",
    "day_route",
    "export_table",
    "export_visits",
    "last_visits",
    "office_point",
    "ranked_visits",
    "xlsx_bytes",
]
