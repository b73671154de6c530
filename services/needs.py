"""Needs without a resource (욕구 등록): registered by the worker, offered when a place appears.

When no suitable provider with free places is in reach of a household, or none accepts, the
outreach worker registers the need (target group and function of the service, urgency, why it
is unmet). Needs are ``open`` until a facility of that kind with free places is within
``Settings.referral_reach_m`` of the household: then they are ``offered`` (with that facility)
to the worker, who sends a referral (``matched``) or closes them.

Planners see the needs only as aggregates (region × need × urgency) with small cells
suppressed (:mod:`domain.disclosure`); the export is the same suppressed table, audited.
"""

from __future__ import annotations

import io
import logging
from typing import Final

import pandas as pd

from domain.access import Viewer, may_see_household
from domain.disclosure import suppress_small_cells
from domain.errors import AccessDenied, InputError
from domain.roles import PLANNING_ROLES, Role
from geodata.settings import get_settings
from geodata.store.base import Store
from services.audit import audit, require_household_access

__all__ = [
    "CAUSES",
    "NEED_STATUSES",
    "URGENCIES",
    "NeedInputError",
    "close_need",
    "export_needs_csv",
    "household_needs",
    "need_summary",
    "refresh_offers",
    "register_need",
    "worker_needs",
]

log = logging.getLogger(__name__)

URGENCIES: Final[tuple[str, ...]] = ("urgent", "high", "normal")  # 긴급, 우선, 일반
CAUSES: Final[tuple[str, ...]] = ("none_in_reach", "none_free", "none_accepted")
NEED_STATUSES: Final[tuple[str, ...]] = ("open", "offered", "matched", "closed")
_OPEN: Final = ("open", "offered")
MAX_NOTE: Final = 1000


class NeedInputError(InputError):
    """A need that cannot be registered or changed as asked (every problem in one message)."""


def _kinds(store: Store) -> pd.DataFrame:
    return store.read_frame("facility", columns=["type_code", "target_group", "function"]) \
        .drop_duplicates().reset_index(drop=True)


def register_need(
    store: Store,
    viewer: Viewer,
    household_id: int,
    *,
    need_group: str,
    need_function: str,
    urgency: str,
    cause: str,
    note: str | None = None,
) -> int:
    """Register an unmet need of a household; return its ``need_id`` (audited).

    Raises
    ------
    AccessDenied
        Not an outreach worker of the household's 읍면동 (audited).
    NeedInputError
        Unknown target group / function / urgency / cause, a note too long, or the same need
        of this household is already open.
    """
    if viewer.role != Role.OUTREACH:
        audit(store, viewer, action="register_need", allowed=False, object_type="household",
              object_id=str(household_id), detail=f"role {viewer.role!r} registers no needs")
        raise AccessDenied(f"{viewer.role} users do not register needs")
    hh = require_household_access(store, viewer, household_id, action="register_need")
    kinds = _kinds(store)
    problems = []
    if need_group not in set(kinds["target_group"]):
        problems.append(f"unknown target group {need_group!r}")
    elif need_function not in set(kinds.loc[kinds["target_group"] == need_group, "function"]):
        problems.append(f"no facility type offers {need_function!r} for {need_group!r}")
    if urgency not in URGENCIES:
        problems.append(f"urgency must be one of {list(URGENCIES)}, not {urgency!r}")
    if cause not in CAUSES:
        problems.append(f"cause must be one of {list(CAUSES)}, not {cause!r}")
    if note and len(note) > MAX_NOTE:
        problems.append(f"the note has {len(note)} characters; at most {MAX_NOTE}")
    open_needs = store.referrals.needs(household_ids=[int(household_id)], statuses=list(_OPEN))
    same = open_needs[(open_needs["need_group"] == need_group) & (open_needs["need_function"] == need_function)]
    if len(same):
        problems.append(f"need {int(same.iloc[0]['need_id'])} of this kind is already open")
    if problems:
        raise NeedInputError("cannot register the need: " + "; ".join(problems))
    need_id = store.referrals.add_need({
        "household_id": int(household_id), "need_group": need_group,
        "need_function": need_function, "urgency": urgency, "emd_code": str(hh["emd_code"]),
        "sigungu_code": str(hh["sigungu_code"]), "cause": cause, "status": "open",
        "note": note or None, "user_id": viewer.user_id})
    audit(store, viewer, action="register_need", object_type="household",
          object_id=str(household_id), detail=f"need {need_id}: {need_group}/{need_function} {urgency}")
    return need_id


def refresh_offers(store: Store, *, reach_m: float | None = None) -> int:
    """Offer open needs a facility of their kind with free places in reach; withdraw offers of
    facilities that filled up. Returns the number of needs whose status changed."""
    reach = float(reach_m if reach_m is not None else get_settings().referral_reach_m)
    needs = store.referrals.needs(statuses=list(_OPEN))
    if needs.empty or store.count("facility") == 0:
        return 0
    kinds = _kinds(store)
    homes = store.read_frame("household", columns=["household_id", "geometry"],
                             where={"household_id": sorted({int(h) for h in needs["household_id"]})})
    home = dict(zip(homes["household_id"], homes.geometry, strict=True))
    changed = 0
    for need in needs.to_dict("records"):
        point = home.get(int(need["household_id"]))
        if point is None:
            continue
        codes = kinds.loc[(kinds["target_group"] == need["need_group"])
                          & (kinds["function"] == need["need_function"]), "type_code"].tolist()
        near = store.facilities_nearest(point, k=1, type_codes=codes, free_places_only=True) if codes \
            else pd.DataFrame()
        offer = int(near.iloc[0]["facility_id"]) if len(near) and near.iloc[0]["distance_m"] <= reach else None
        status = "offered" if offer is not None else "open"
        current = None if pd.isna(need["matched_facility_id"]) else int(need["matched_facility_id"])
        if status == need["status"] and offer == current:
            continue
        changed += store.referrals.update_need(int(need["need_id"]), expected_status=need["status"],
                                               status=status, matched_facility_id=offer)
    if changed:
        log.info("unmet needs: %d offers changed", changed)
    return changed


def _with_facility_names(store: Store, frame: pd.DataFrame) -> pd.DataFrame:
    ids = sorted({int(f) for f in frame["matched_facility_id"].dropna()})
    names = store.read_frame("facility", columns=["facility_id", "name"], where={"facility_id": ids})
    return frame.assign(matched_facility_name=frame["matched_facility_id"].map(
        names.set_index("facility_id")["name"]))


def worker_needs(store: Store, viewer: Viewer, *, statuses: tuple[str, ...] = _OPEN) -> pd.DataFrame:
    """Needs registered in the outreach worker's 읍면동 (admin: all), with offers refreshed.

    Raises
    ------
    AccessDenied
        Roles that see no household records (audited).
    """
    if viewer.role not in (Role.OUTREACH, Role.ADMIN):
        audit(store, viewer, action="view_needs", allowed=False,
              detail=f"role {viewer.role!r} sees needs as aggregates only")
        raise AccessDenied(f"{viewer.role} users see needs as aggregates only")
    refresh_offers(store)
    prefix = None if viewer.role == Role.ADMIN else str(viewer.jurisdiction_code)
    frame = store.referrals.needs(statuses=list(statuses), region_prefix=prefix)
    frame = frame[[may_see_household(viewer, e) for e in frame["emd_code"]]] if len(frame) else frame
    audit(store, viewer, action="view_needs", object_type="unmet_need", detail=f"{len(frame)} needs")
    return _with_facility_names(store, frame).reset_index(drop=True)


def household_needs(store: Store, viewer: Viewer, household_id: int) -> pd.DataFrame:
    """All needs of one household (its case page), access-checked, offers refreshed."""
    require_household_access(store, viewer, household_id, action="view_needs")
    refresh_offers(store)
    return _with_facility_names(store, store.referrals.needs(household_ids=[int(household_id)]))


def close_need(store: Store, viewer: Viewer, need_id: int, *, referral_id: int | None = None) -> None:
    """Mark a need ``matched`` (with the referral sent for it) or ``closed`` (audited).

    Raises
    ------
    AccessDenied
        The need is not of the viewer's 읍면동 (audited).
    NeedInputError
        The need is no longer open.
    """
    found = store.referrals.needs()
    row = found[found["need_id"] == int(need_id)]
    if row.empty or viewer.role != Role.OUTREACH or not may_see_household(viewer, str(row.iloc[0]["emd_code"])):
        audit(store, viewer, action="close_need", allowed=False, object_type="unmet_need",
              object_id=str(need_id), detail="not a need of your 읍면동")
        raise AccessDenied(f"need {need_id} is not in your jurisdiction")
    status = "matched" if referral_id is not None else "closed"
    done = store.referrals.update_need(int(need_id), expected_status=str(row.iloc[0]["status"]),
                                       status=status, referral_id=referral_id)
    if not done or row.iloc[0]["status"] not in _OPEN:
        raise NeedInputError(f"need {need_id} is no longer open")
    audit(store, viewer, action="close_need", object_type="unmet_need", object_id=str(need_id),
          detail=status)


# ------------------------------------------------------------------------------ aggregates
def need_summary(store: Store, viewer: Viewer) -> pd.DataFrame:
    """Open and offered needs per region × target group × function × urgency, suppressed.

    A planner gets the 읍면동 of its 시군구; the ministry and admin get every 시군구. Counts 1–4
    are suppressed (NaN) with complementary cells within each region.

    Raises
    ------
    AccessDenied
        Roles without the planning pages (audited).
    """
    if viewer.role not in PLANNING_ROLES:
        audit(store, viewer, action="view_need_summary", allowed=False,
              detail=f"role {viewer.role!r} has no planning pages")
        raise AccessDenied(f"{viewer.role} users do not see the needs summary")
    local = viewer.role == Role.PLANNER
    needs = store.referrals.needs(statuses=list(_OPEN),
                                  region_prefix=str(viewer.jurisdiction_code) if local else None)
    key = "emd_code" if local else "sigungu_code"
    cols = ["region_code", "region_name", "need_group", "need_function", "urgency", "needs", "offered"]
    if needs.empty:
        return pd.DataFrame(columns=[*cols, "suppressed"])
    agg = (needs.assign(is_offered=needs["status"] == "offered")
           .groupby([key, "need_group", "need_function", "urgency"], as_index=False)
           .agg(needs=("need_id", "size"), offered=("is_offered", "sum"))
           .rename(columns={key: "region_code"}))
    regions = store.read_frame("region", columns=["code", "name"],
                               where={"code": sorted(set(agg["region_code"]))})
    agg["region_name"] = agg["region_code"].map(regions.set_index("code")["name"])
    agg = agg[cols].sort_values(["region_code", "need_group", "need_function", "urgency"])
    out = suppress_small_cells(agg.reset_index(drop=True), count_cols=["needs", "offered"],
                               min_count=get_settings().min_cell_count, group_col="region_code")
    audit(store, viewer, action="view_need_summary", object_type="unmet_need",
          detail=f"{len(out)} cells")
    return out


def export_needs_csv(store: Store, viewer: Viewer, *, lang: str = "ko") -> tuple[str, bytes]:
    """The suppressed needs summary as CSV (UTF-8 with BOM); suppressed cells as 비공개 (audited)."""
    table = need_summary(store, viewer)
    hidden = "비공개" if lang == "ko" else "suppressed"
    out = table.drop(columns="suppressed").astype(object)
    for col in ("needs", "offered"):
        out[col] = [hidden if pd.isna(v) else int(v) for v in table[col]]
    buffer = io.StringIO()
    out.to_csv(buffer, index=False)
    audit(store, viewer, action="export_needs", object_type="unmet_need",
          detail=f"{len(out)} cells")
    return "unmet_needs.csv", buffer.getvalue().encode("utf-8-sig")
