"""Eligibility pre-check (가판정) for the case page, the visit list, the public calculator and
the reform view.

* :func:`case_eligibility` -- one household's likely programmes with their traces and the
  programmes it does not receive although it likely qualifies ("likely eligible but not
  receiving", the blind spot itself); household-level, audited as ``view_eligibility``;
* :func:`likely_unserved` -- the same flag for every household of the viewer's jurisdiction
  (the visit-list filter), audited once per call;
* :func:`mock_calculation` -- the public 모의계산: no store, no personal data, nothing stored;
* :func:`reform_impact` -- current law against a reform (the seed's standardised survey
  types) over the world: recipients and monthly cost by programme, gainers and losers by
  region and household type; aggregates only, small cells suppressed, audited.

The rules live in :mod:`eligibility`; this module reads the store and checks the viewer.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from domain.access import Viewer
from domain.disclosure import is_small, suppress_small_cells
from domain.errors import AccessDenied, InputError
from domain.roles import PLANNING_ROLES, Role
from eligibility.calculator import CalculatorAnswer, answer
from eligibility.household import validate_households
from eligibility.inputs import WORLD_FIELDS, severe_disabled_18_64, world_inputs
from eligibility.parameters import ParameterDateError, ParameterFileError, current_law, load_reform
from eligibility.reform import compare
from eligibility.rules import PROGRAMME_LABELS, assess
from eligibility.trace import Decision, explain
from geodata.store.base import Store
from services.audit import audit, require_household_access, require_household_role

__all__ = [
    "BENEFIT_PROGRAMMES",
    "RECORDED_PROGRAMMES",
    "CaseEligibility",
    "EligibilityInputError",
    "ReformImpact",
    "case_eligibility",
    "likely_unserved",
    "mock_calculation",
    "receiving",
    "reform_impact",
]

log = logging.getLogger(__name__)

BENEFIT_PROGRAMMES: Final[Mapping[str, str]] = {
    "기초생활보장 생계급여": "livelihood",
    "기초생활보장 의료급여": "medical",
    "기초생활보장 주거급여": "housing",
    "기초연금": "basic_pension",
    "장애인연금": "disability_pension",
    "한부모가족 지원": "single_parent",
}
"""``benefit_history.programme`` names → engine programme codes."""

RECORDED_PROGRAMMES: Final[frozenset[str]] = frozenset(BENEFIT_PROGRAMMES.values())
"""Programmes whose receipt the data records: the blind-spot flag looks at these only
(교육급여 and 차상위 receipt is not in ``benefit_history``, so "not receiving" is unknown)."""

ASSUMPTIONS_KO: Final = ("가구 자료의 소득 1개 항목을 가구주 65세 미만이면 근로소득, 이상이면 기타소득으로 보았습니다. "
                         "부양의무자 기준 등은 반영하지 않은 간이 판정입니다.")
ASSUMPTIONS_EN: Final = ("The household's one recorded income is treated as earned income when the "
                         "head is under 65, otherwise as other income; no family-support test. A "
                         "pre-check only.")


class EligibilityInputError(InputError):
    """A date without known rules, an unknown reform or a bad aggregation level."""


def _date(on: dt.date | None) -> dt.date:
    return on or dt.date.today()


def _law(on: dt.date, reform: str | None = None):
    try:
        params = current_law()
        if reform:
            params = params.with_reform(load_reform(reform))
        return params.at(on)
    except (ParameterDateError, ParameterFileError) as err:
        raise EligibilityInputError(str(err)) from err


def _urban_classes(store: Store) -> pd.Series:
    """시군구 code → 대도시 / 중소도시 / 농어촌 (cached per store and region data version)."""
    cache = store.cache.region("eligibility.urban_class", maxsize=4)

    def load() -> pd.Series:
        regions = store.read_frame("region", columns=["code", "urban_class"], where={"level": "sigungu"})
        return regions.set_index("code")["urban_class"]

    return cache.get_or_compute(store.data_version("region"), load)


def receiving(benefits: pd.DataFrame, on: dt.date) -> pd.DataFrame:
    """``household_id, programme`` (engine codes) of benefits running on ``on``."""
    if benefits.empty:
        return pd.DataFrame({"household_id": pd.Series(dtype="int64"), "programme": pd.Series(dtype=str)})
    day = pd.Timestamp(on)
    start = pd.to_datetime(benefits["start_date"])
    end = pd.to_datetime(benefits["end_date"])
    running = (start <= day) & (end.isna() | (end >= day))
    codes = benefits["programme"].map(BENEFIT_PROGRAMMES)
    keep = running & codes.notna()
    return pd.DataFrame({"household_id": benefits.loc[keep, "household_id"].to_numpy(),
                         "programme": codes[keep].to_numpy()}).drop_duplicates()


@dataclass(frozen=True)
class CaseEligibility:
    """What the case page shows: decisions with traces, receipt and the blind-spot flag."""

    household_id: int
    date: dt.date
    decisions: tuple[Decision, ...]
    received: frozenset[str]
    unserved: tuple[str, ...]
    assumptions_ko: str = ASSUMPTIONS_KO
    assumptions_en: str = ASSUMPTIONS_EN


def case_eligibility(store: Store, viewer: Viewer, household_id: int, *, on: dt.date | None = None,
                     purpose: str = "case page") -> CaseEligibility:
    """One household's likely programmes, traces and "likely eligible but not receiving".

    Raises
    ------
    AccessDenied
        Unknown household, aggregate-only role or outside the jurisdiction (audited).
    EligibilityInputError
        No rules are known for ``on``.
    """
    when = _date(on)
    row = require_household_access(store, viewer, household_id, action="view_eligibility", purpose=purpose)
    hid = int(household_id)
    law = _law(when)
    records = store.household_records(hid, ["person", "benefit_history"])
    frame = world_inputs(pd.DataFrame([{k: row[k] for k in WORLD_FIELDS}]), _urban_classes(store),
                         severe_disabled=severe_disabled_18_64(records["person"], when))
    decisions = explain(law, validate_households(frame))
    received = frozenset(receiving(records["benefit_history"], when)["programme"])
    unserved = tuple(d.programme for d in decisions
                     if d.eligible and d.programme in RECORDED_PROGRAMMES and d.programme not in received)
    audit(store, viewer, action="view_eligibility", object_type="household", object_id=str(hid),
          purpose=purpose, detail=f"rules of {when.isoformat()}; unserved={','.join(unserved) or '-'}")
    return CaseEligibility(hid, when, decisions, received, unserved)


def _scope_where(viewer: Viewer) -> dict[str, str]:
    if viewer.role == Role.ADMIN:
        return {}
    if viewer.role == Role.OUTREACH and viewer.jurisdiction_code:
        return {"emd_code": viewer.jurisdiction_code}
    raise AccessDenied(f"{viewer.role} users see aggregates only, not household records")


def _assess_world(store: Store, where: Mapping[str, object], when: dt.date,
                  reform: str | None = None) -> tuple[pd.DataFrame, object, object]:
    """Households in ``where`` (with 읍면동 and type), their engine inputs and assessment."""
    households = store.read_frame("household", columns=[*WORLD_FIELDS, "emd_code"], where=dict(where))
    persons = store.read_frame("person", columns=["household_id", "birth_year", "disability"],
                               where={"disability": "severe"})
    frame = world_inputs(households, _urban_classes(store), severe_disabled=severe_disabled_18_64(persons, when))
    hh = validate_households(frame)
    return households, hh, (assess(_law(when), hh) if reform is None else compare(hh, load_reform(reform), when))


def likely_unserved(store: Store, viewer: Viewer, *, on: dt.date | None = None) -> pd.DataFrame:
    """Households of the viewer's jurisdiction likely eligible for a recorded programme they do
    not receive: ``household_id``, ``unserved`` (codes, comma-separated), ``n_unserved``.

    Cached per jurisdiction, date and data version of households, members and benefits;
    audited as ``view_eligibility_list`` on every call.

    Raises
    ------
    AccessDenied
        Roles without household access (audited).
    """
    require_household_role(store, viewer, action="view_eligibility_list")
    when = _date(on)
    where = _scope_where(viewer)
    key = (tuple(sorted(where.items())), when,
           store.data_version("household", "person", "benefit_history"))
    cache = store.cache.region("eligibility.unserved", maxsize=32)

    def compute() -> pd.DataFrame:
        households, _, result = _assess_world(store, where, when)
        ids = households["household_id"].to_numpy()
        benefits = store.read_frame("benefit_history", where={"household_id": [int(i) for i in ids]}) \
            if len(ids) <= 20_000 else store.read_frame("benefit_history")
        got = receiving(benefits, when)
        parts = []
        for p in sorted(RECORDED_PROGRAMMES):
            has = np.isin(ids, got.loc[got["programme"] == p, "household_id"].to_numpy())
            parts.append(np.where(result.eligible[p] & ~has, p, ""))
        joined = pd.Series([",".join(c for c in codes if c) for codes in zip(*parts, strict=True)], dtype=object) \
            if parts and len(ids) else pd.Series([], dtype=object)
        out = pd.DataFrame({"household_id": ids, "unserved": joined.to_numpy()})
        out = out[out["unserved"] != ""].reset_index(drop=True)
        out["n_unserved"] = out["unserved"].str.count(",") + 1
        return out

    frame = cache.get_or_compute(key, compute)
    audit(store, viewer, action="view_eligibility_list", object_type="jurisdiction",
          object_id=viewer.jurisdiction_code or "all", detail=f"{len(frame)} households flagged")
    return frame.copy()


def mock_calculation(values: Mapping[str, object], *, today: dt.date | None = None) -> CalculatorAnswer:
    """The public 모의계산 (no login, nothing stored, no audit: no personal data is involved)."""
    return answer(values, today=today)


@dataclass(frozen=True)
class ReformImpact:
    """Current law vs a reform: national programme totals and suppressed group tables."""

    reform: str
    label_ko: str
    label_en: str
    date: dt.date
    programmes: pd.DataFrame  # per programme: recipients and monthly cost, both laws
    by_region: pd.DataFrame  # index region code: households, gainers, losers, net recipients, cost
    by_type: pd.DataFrame  # index household_type: the same columns
    households: int
    gainers: int | None  # None when suppressed (small count, non-admin)
    losers: int | None


_GROUP_COUNTS: Final = ("households", "gainers", "losers", "recipients_current", "recipients_reform")


def _groups(keys: pd.Series, changes: pd.DataFrame, any_before: np.ndarray, any_after: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({
        "key": keys.to_numpy(), "households": 1,
        "gainers": (changes["outcome"] == "gains").to_numpy().astype(int),
        "losers": (changes["outcome"] == "loses").to_numpy().astype(int),
        "recipients_current": any_before.astype(int), "recipients_reform": any_after.astype(int),
        "cost_change_krw": changes["amount_change_krw"].to_numpy(),
    })
    grouped = frame.groupby("key").sum()
    grouped["net_recipients"] = grouped["recipients_reform"] - grouped["recipients_current"]
    grouped["gainer_share"] = grouped["gainers"] / grouped["households"]
    return grouped


def _reform_tables(store: Store, reform: str, when: dt.date, where: dict[str, object],
                   by_region: str) -> tuple:
    """Unsuppressed reform tables of the households in ``where`` (a planner's 시군구 by
    읍면동, or the country, ``{}``, by 시군구: ``by_region`` names the column):
    ``(programmes, by_region, by_type, households, gainers, losers)``, kept per reform, date,
    scope and data version of the tables they are computed from."""
    key = (reform, when, tuple(where.items()), store.data_version("household", "person", "region"))
    cache = store.cache.region("eligibility.reform", maxsize=8)

    def compute():
        households, _, comparison = _assess_world(store, where, when, reform)
        changes = comparison.household_changes()
        before = comparison.baseline.any_eligible()
        after = comparison.reformed.any_eligible()
        region = households[by_region].astype(str)
        return (comparison.programme_summary(), _groups(region, changes, before, after),
                _groups(households["household_type"].astype(str), changes, before, after),
                len(households), int((changes["outcome"] == "gains").sum()),
                int((changes["outcome"] == "loses").sum()))

    return cache.get_or_compute(key, compute)


def warm_national_reform(store: Store, *, reform: str = "seed_standardisation",
                         on: dt.date | None = None) -> None:
    """Compute the national reform tables of ``on`` (default: today) into the store's cache, as
    the ministry's and administrators' reform view reads them (no viewer, nothing audited: no
    one sees anything until :func:`reform_impact`)."""
    _reform_tables(store, reform, _date(on), {}, "sigungu_code")


def reform_impact(store: Store, viewer: Viewer, *, reform: str = "seed_standardisation",
                  on: dt.date | None = None, purpose: str = "reform view") -> ReformImpact:
    """Current law and ``reform`` side by side over the world (planners: their 시군구, by
    읍면동; ministry and admin: the country, by 시군구). Group tables are suppressed below the
    minimum cell count (administrators see them unsuppressed).

    Raises
    ------
    AccessDenied
        Roles other than planner, ministry and admin (audited).
    EligibilityInputError
        Unknown reform or no rules for ``on``.
    """
    if viewer.role not in PLANNING_ROLES:
        audit(store, viewer, action="view_reform", allowed=False, purpose=purpose,
              detail=f"role '{viewer.role}' may not use the reform view")
        raise AccessDenied("the reform view is for planners, the ministry and administrators")
    when = _date(on)
    try:
        spec = load_reform(reform)
    except ParameterFileError as err:
        raise EligibilityInputError(str(err)) from err
    _law(when, reform)  # fail early on a date without rules
    planner = viewer.role == Role.PLANNER
    where = {"sigungu_code": viewer.jurisdiction_code} if planner else {}
    programmes, by_region, by_type, n, gainers, losers = _reform_tables(
        store, reform, when, where, "emd_code" if planner else "sigungu_code")
    admin = viewer.role == Role.ADMIN
    derived = ["net_recipients", "gainer_share", "cost_change_krw"]
    shown_region = suppress_small_cells(by_region, count_cols=list(_GROUP_COUNTS), derived_cols=derived,
                                        exempt=list(by_region.index) if admin else (), whole_row=True)
    shown_type = suppress_small_cells(by_type, count_cols=list(_GROUP_COUNTS), derived_cols=derived,
                                      exempt=list(by_type.index) if admin else (), whole_row=True)
    shown_programmes = suppress_small_cells(
        programmes.set_index("programme"), count_cols=["recipients_current", "recipients_reform"],
        derived_cols=["recipients_change", "monthly_cost_current_krw", "monthly_cost_reform_krw",
                      "monthly_cost_change_krw"],
        exempt=list(programmes["programme"]) if admin else ())

    def headline(count: int) -> int | None:
        return None if (not admin and is_small(count)) else count

    audit(store, viewer, action="view_reform", object_type="reform", object_id=reform, purpose=purpose,
          detail=f"rules of {when.isoformat()}; scope {viewer.jurisdiction_code or 'national'}")
    return ReformImpact(reform, spec.label_ko, spec.label_en, when, shown_programmes, shown_region,
                        shown_type, n, headline(gainers), headline(losers))


def programme_label(code: str, lang: str = "ko") -> str:
    """Korean or English label of a programme code."""
    ko, en = PROGRAMME_LABELS[code]
    return en if lang == "en" else ko

