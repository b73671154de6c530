"""Point-in-time feature matrix for (household, as-of date) pairs.

Three families, as in the seed's design (DESIGN.md, "Risk model"):

``household``
    per crisis source: months with a signal in the last 3/6/12 months, the longest run of
    consecutive signal months in the last 12, months since the latest signal, the latest amount
    (KRW sources), the trend (last 3 months minus the 3 before) and a half-life-decayed count;
    composition, housing, tenure, income and assets, and past contact history.
``regional``
    the 읍면동 and 시군구 characteristics (urban class, non-housing and multicultural shares,
    age structure, density) and whether an employment-crisis or special-disaster designation of
    the 시군구 is in force on the as-of date.
``safety_net``
    reports per channel (count in 12 months, decayed count, months since the latest).

Point-in-time rule: features "as of" a date use only records dated strictly before it. A crisis
signal month counts once the month has started before the as-of date; the as-of month's
"reference month" is the month of the day before ``as_of`` (lag 0). Records older than
``FeatureConfig.lookback_months`` are ignored; within it they decay with
``FeatureConfig.half_life_months``.

Everything is vectorised with numpy/pandas over all pairs at once (``bincount`` and sorted-run
arithmetic), so one call serves both training rows (each discovery row at its cycle date) and
scoring every household on one date.

Why one module of ~630 lines: the three families share the point-in-time window, the decay and
the :class:`FeatureSpec` that training, scoring, reasons and the Dask batch all read; splitting
the families would spread that one contract over several files.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import numpy as np
import pandas as pd

from geodata.vocabulary import (
    CRISIS_SOURCES,
    HOUSEHOLD_TYPES,
    HOUSING_TYPES,
    NON_HOUSING_TYPES,
    SAFETY_NET_CHANNELS,
    TENURES,
    URBAN_CLASSES,
    codes,
)

__all__ = [
    "FAMILIES",
    "FEATURE_TABLES",
    "FeatureConfig",
    "FeatureSpec",
    "StoreLike",
    "build_features",
    "feature_specs",
    "legacy_feature_names",
    "load_tables",
]

log = logging.getLogger(__name__)

FAMILIES: Final[tuple[str, ...]] = ("household", "regional", "safety_net")
DAYS_PER_MONTH: Final = 30.4375

#: Columns each table contributes (read with ``store.read_frame(table, columns=...)``).
FEATURE_TABLES: Final[dict[str, tuple[str, ...]]] = {
    "household": (
        "household_id", "emd_code", "sigungu_code", "sido_code", "size", "n_elderly",
        "n_children", "n_disabled", "head_age", "household_type", "is_multicultural",
        "housing_type", "tenure", "income_monthly_krw", "property_residential_krw",
        "property_general_krw", "financial_assets_krw", "car_value_krw", "debt_krw",
    ),
    "region": (
        "code", "level", "sido_code", "sigungu_code", "urban_class", "area_km2", "population",
        "pop_0_17", "pop_65plus", "pop_disabled", "households", "nonhousing_share",
        "multicultural_share",
        "welfare_teams",  # capacity of real-density regions (models.tiers), not a feature
    ),
    "designation": ("kind", "sigungu_code", "start_date", "end_date"),
    "crisis_signal": ("household_id", "source", "month", "value"),
    "safety_net_report": ("household_id", "channel", "reported_on"),
    "benefit_history": ("household_id", "start_date", "end_date"),
    "support": ("household_id", "supported_on"),
    "consultation": ("household_id", "consulted_on"),
    "discovery_history": (
        "household_id", "cycle_date", "selection", "legacy_signal_count", "outcome", "outcome_date",
    ),
}  # fmt: skip


class StoreLike(Protocol):
    """Anything with the two bulk-table methods of :class:`geodata.store.base.Store`."""

    def read_frame(
        self, table: str, *, columns: Sequence[str] | None = None, where: Any = None
    ) -> pd.DataFrame:
        """Read a bulk table."""
        ...

    def write_frame(self, table: str, frame: pd.DataFrame, *, mode: str = "replace") -> int:
        """Write a bulk table."""
        ...


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """Options of the feature builder.

    Attributes
    ----------
    windows : tuple of int
        Look-back windows in months for signal counts (the largest is also the window of the
        longest run and the latest value).
    half_life_months : float
        Half-life of the exponential decay applied to old records (decayed counts).
    lookback_months : int
        Records older than this are ignored altogether.
    legacy_window : int
        Window (months) of the legacy rule's "has a signal" test; must be one of ``windows``.
    families : tuple of str
        Feature families to build (a subset of :data:`FAMILIES`; used by the ablation).
    """

    windows: tuple[int, ...] = (3, 6, 12)
    half_life_months: float = 6.0
    lookback_months: int = 24
    legacy_window: int = 3
    families: tuple[str, ...] = field(default=FAMILIES)

    def __post_init__(self) -> None:
        problems = []
        if sorted(self.windows) != list(self.windows) or not self.windows or self.windows[0] < 1:
            problems.append(f"windows must be increasing positive months, got {self.windows}")
        if self.legacy_window not in self.windows:
            problems.append(f"legacy_window {self.legacy_window} must be one of windows {self.windows}")
        if self.half_life_months <= 0:
            problems.append("half_life_months must be > 0")
        if self.lookback_months < max(self.windows, default=1):
            problems.append("lookback_months must cover the largest window")
        if unknown := set(self.families) - set(FAMILIES):
            problems.append(f"unknown families {sorted(unknown)}; known: {FAMILIES}")
        if problems:
            raise ValueError("invalid FeatureConfig: " + "; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (stored in model metadata)."""
        return {
            "windows": list(self.windows),
            "half_life_months": self.half_life_months,
            "lookback_months": self.lookback_months,
            "legacy_window": self.legacy_window,
            "families": list(self.families),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureConfig:
        """Inverse of :meth:`to_dict`."""
        return cls(
            windows=tuple(data["windows"]),
            half_life_months=float(data["half_life_months"]),
            lookback_months=int(data["lookback_months"]),
            legacy_window=int(data["legacy_window"]),
            families=tuple(data["families"]),
        )


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """One feature: its family, reason group, labels and known direction.

    ``monotone`` is +1 when more of the feature can only raise the risk, -1 when it can only
    lower it, 0 when unknown (used as ``monotonic_cst`` of the gradient-boosting model).
    ``baseline`` is the value that means "this factor is absent" (used by the reasons).
    """

    name: str
    family: str
    group: str
    label_ko: str
    label_en: str
    monotone: int = 0
    baseline: float | None = 0.0


# --------------------------------------------------------------------------- specs
def _signal_specs(cfg: FeatureConfig) -> list[FeatureSpec]:
    out = []
    big = max(cfg.windows)
    for s in CRISIS_SOURCES:
        g = f"sig:{s.code}"
        p = f"sig__{s.code}__"
        for w in cfg.windows:
            out.append(FeatureSpec(p + f"n{w}", "household", g, f"{s.ko}: 최근 {w}개월 중 발생 개월 수",
                                   f"{s.en}: months with a signal in the last {w}", +1))
        out += [
            FeatureSpec(p + "run", "household", g, f"{s.ko}: 최근 {big}개월 최장 연속 개월 수",
                        f"{s.en}: longest run of consecutive months in the last {big}", +1),
            FeatureSpec(p + "since", "household", g, f"{s.ko}: 마지막 발생 후 경과 개월",
                        f"{s.en}: months since the latest signal", -1, float(cfg.lookback_months)),
            FeatureSpec(p + "trend", "household", g, f"{s.ko}: 최근 3개월 − 직전 3개월",
                        f"{s.en}: last 3 months minus the 3 before", 0),
            FeatureSpec(p + "decay", "household", g, f"{s.ko}: 감쇠 가중 발생 횟수",
                        f"{s.en}: half-life-decayed count", +1),
        ]  # fmt: skip
        if s.unit == "krw":
            out.append(FeatureSpec(p + "amount", "household", g, f"{s.ko}: 최근 금액(log)",
                                   f"{s.en}: latest amount (log KRW)", +1))  # fmt: skip
    return out


def _household_specs() -> list[FeatureSpec]:
    H = "household"
    out = [
        FeatureSpec("hh__size", H, "hh:type", "가구원 수", "household size", 0, None),
        FeatureSpec("hh__n_elderly", H, "hh:age", "노인 가구원 수", "older members", 0, 0.0),
        FeatureSpec("hh__head_age", H, "hh:age", "가구주 연령", "age of the head", 0, None),
        FeatureSpec("hh__n_children", H, "hh:children", "아동 수", "children", 0, 0.0),
        FeatureSpec("hh__n_disabled", H, "hh:disabled", "장애인 가구원 수", "disabled members", +1, 0.0),
        FeatureSpec("hh__multicultural", H, "hh:multicultural", "다문화 가구", "multicultural", 0, 0.0),
        FeatureSpec("hh__nonhousing", H, "hh:housing", "비주택 거주", "non-housing residence", +1, 0.0),
        FeatureSpec("hh__log_income_pc", H, "hh:economy", "1인당 월소득(log)",
                    "monthly income per member (log)", -1, None),
        FeatureSpec("hh__log_assets", H, "hh:economy", "금융재산(log)", "financial assets (log)", -1, None),
        FeatureSpec("hh__log_property", H, "hh:economy", "주거·일반재산(log)", "property (log)", -1, None),
        FeatureSpec("hh__log_debt", H, "hh:economy", "부채(log)", "debt (log)", 0, None),
        FeatureSpec("hh__benefit_now", H, "hh:history", "현재 급여 수급", "receiving a benefit now", 0, 0.0),
        FeatureSpec("hh__support_decay", H, "hh:history", "과거 지원(감쇠)", "past support (decayed)", 0, 0.0),
        FeatureSpec("hh__consult_decay", H, "hh:history", "과거 상담(감쇠)",
                    "past consultations (decayed)", 0, 0.0),
        FeatureSpec("hh__visits_decay", H, "hh:history", "과거 발굴 방문(감쇠)",
                    "past discovery visits (decayed)", 0, 0.0),
        FeatureSpec("hh__supported_decay", H, "hh:history", "과거 발굴 후 지원(감쇠)",
                    "past visits ending in support (decayed)", 0, 0.0),
    ]  # fmt: skip
    out += [FeatureSpec(f"hh__type__{c.code}", H, "hh:type", f"가구 유형: {c.ko}", f"household type: {c.en}",
                        0, None) for c in HOUSEHOLD_TYPES]  # fmt: skip
    out += [FeatureSpec(f"hh__housing__{c.code}", H, "hh:housing", f"주거 유형: {c.ko}", f"housing: {c.en}",
                        0, None) for c in HOUSING_TYPES]  # fmt: skip
    out += [FeatureSpec(f"hh__tenure__{c.code}", H, "hh:tenure", f"점유 형태: {c.ko}", f"tenure: {c.en}",
                        0, None) for c in TENURES]  # fmt: skip
    return out


def _regional_specs() -> list[FeatureSpec]:
    R = "regional"
    out = []
    for lvl, ko in (("emd", "읍면동"), ("sgg", "시군구")):
        out += [
            FeatureSpec(f"rg__{lvl}__nonhousing", R, "rg:context", f"{ko} 비주택 거주 비율",
                        f"{lvl} non-housing share", 0, None),
            FeatureSpec(f"rg__{lvl}__multicultural", R, "rg:context", f"{ko} 다문화 비율",
                        f"{lvl} multicultural share", 0, None),
            FeatureSpec(f"rg__{lvl}__elderly", R, "rg:context", f"{ko} 65세 이상 비율",
                        f"{lvl} share aged 65+", 0, None),
            FeatureSpec(f"rg__{lvl}__disabled", R, "rg:context", f"{ko} 장애인 비율",
                        f"{lvl} disabled share", 0, None),
            FeatureSpec(f"rg__{lvl}__log_density", R, "rg:context", f"{ko} 인구밀도(log)",
                        f"{lvl} population density (log)", 0, None),
        ]  # fmt: skip
    out += [FeatureSpec(f"rg__urban__{c.code}", R, "rg:context", f"도시 유형: {c.ko}", f"urban class: {c.en}",
                        0, None) for c in URBAN_CLASSES]  # fmt: skip
    out += [
        FeatureSpec("rg__employment_crisis", R, "rg:employment_crisis", "고용위기지역 지정",
                    "employment-crisis area in force", +1, 0.0),
        FeatureSpec("rg__special_disaster", R, "rg:special_disaster", "특별재난지역 지정",
                    "special disaster area in force", +1, 0.0),
    ]  # fmt: skip
    return out


def _safety_specs(cfg: FeatureConfig) -> list[FeatureSpec]:
    S = "safety_net"
    big = max(cfg.windows)
    out = []
    for c in SAFETY_NET_CHANNELS:
        g = f"sn:{c.code}"
        out += [
            FeatureSpec(f"sn__{c.code}__n{big}", S, g, f"{c.ko}: 최근 {big}개월 건수",
                        f"{c.en}: reports in the last {big} months", +1),
            FeatureSpec(f"sn__{c.code}__decay", S, g, f"{c.ko}: 감쇠 가중 건수", f"{c.en}: decayed count", +1),
            FeatureSpec(f"sn__{c.code}__since", S, g, f"{c.ko}: 마지막 신고 후 경과 개월",
                        f"{c.en}: months since the latest report", -1, float(cfg.lookback_months)),
        ]  # fmt: skip
    return out


def feature_specs(config: FeatureConfig | None = None) -> list[FeatureSpec]:
    """The features built under ``config``, in column order."""
    cfg = config or FeatureConfig()
    specs: list[FeatureSpec] = []
    if "household" in cfg.families:
        specs += _signal_specs(cfg) + _household_specs()
    if "regional" in cfg.families:
        specs += _regional_specs()
    if "safety_net" in cfg.families:
        specs += _safety_specs(cfg)
    return specs


def legacy_feature_names(config: FeatureConfig | None = None) -> list[str]:
    """Columns the legacy rule counts: economic sources' signal months in the legacy window."""
    cfg = config or FeatureConfig()
    return [f"sig__{s.code}__n{cfg.legacy_window}" for s in CRISIS_SOURCES if s.economic]


# --------------------------------------------------------------------------- loading
def load_tables(store: StoreLike, *, include_labels: bool = True) -> dict[str, pd.DataFrame]:
    """Read the columns the features need from ``store`` (geometry is never read)."""
    names = [t for t in FEATURE_TABLES if include_labels or t != "discovery_history"]
    return {t: store.read_frame(t, columns=list(FEATURE_TABLES[t])) for t in names}


# --------------------------------------------------------------------------- helpers
def _month_index(values: Any) -> np.ndarray:
    ts = pd.DatetimeIndex(pd.to_datetime(values))
    return (ts.year.to_numpy() * 12 + ts.month.to_numpy() - 1).astype(np.int64)


def _days(values: Any) -> np.ndarray:
    """Days since the epoch as int64 (NaT becomes a very large number)."""
    ts = pd.to_datetime(pd.Series(values), errors="coerce")
    out = ts.to_numpy("datetime64[D]").astype(np.int64)
    return np.where(ts.isna().to_numpy(), np.iinfo(np.int64).max // 4, out)


def _attach(pair_hh: np.ndarray, record_hh: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pair each record with every pair of its household.

    Returns ``(pair_pos, record_pos)`` arrays of equal length.
    """
    index = pd.Index(pair_hh)
    if index.is_unique:
        pos = index.get_indexer(record_hh)
        keep = np.flatnonzero(pos >= 0)
        return pos[keep], keep
    left = pd.DataFrame({"household_id": pair_hh, "pair_pos": np.arange(pair_hh.size)})
    right = pd.DataFrame({"household_id": record_hh, "record_pos": np.arange(record_hh.size)})
    m = right.merge(left, on="household_id", how="inner", sort=False)
    return m["pair_pos"].to_numpy(), m["record_pos"].to_numpy()


def _check_pairs(pairs: pd.DataFrame) -> None:
    missing = {"household_id", "as_of"} - set(pairs.columns)
    if missing:
        raise ValueError(f"pairs needs columns household_id and as_of; missing {sorted(missing)}")
    if pd.to_datetime(pairs["as_of"]).isna().any():
        raise ValueError("pairs.as_of has missing dates; give every pair an as-of date")


# --------------------------------------------------------------------------- families
def _signal_block(sig: pd.DataFrame, pair_hh: np.ndarray, ref_month: np.ndarray,
                  cfg: FeatureConfig) -> dict[str, np.ndarray]:  # fmt: skip
    P, S = pair_hh.size, len(CRISIS_SOURCES)
    src = pd.Categorical(sig["source"], categories=list(codes(CRISIS_SOURCES))).codes.astype(np.int64)
    ok = src >= 0
    pp, rp = _attach(pair_hh, sig["household_id"].to_numpy()[ok])
    src = src[ok][rp]
    lag = ref_month[pp] - _month_index(sig["month"].to_numpy()[ok][rp])
    keep = (lag >= 0) & (lag < cfg.lookback_months)
    pp, src, lag = pp[keep], src[keep], lag[keep]
    value = sig["value"].to_numpy(dtype=np.float64)[ok][rp][keep]
    key = pp * S + src
    big = max(cfg.windows)
    cells = P * S
    out: dict[str, np.ndarray] = {}
    counts = {w: np.bincount(key[lag < w], minlength=cells) for w in cfg.windows}
    decay = np.bincount(key, weights=0.5 ** (lag / cfg.half_life_months), minlength=cells)

    # sort by (key, lag): runs of consecutive months, latest record first in each key
    order = np.lexsort((lag, key))
    k_s, l_s = key[order], lag[order]
    in_big = l_s < big
    k_b, l_b = k_s[in_big], l_s[in_big]
    if k_b.size:
        new_run = np.ones(k_b.size, dtype=bool)
        new_run[1:] = (k_b[1:] != k_b[:-1]) | (l_b[1:] != l_b[:-1] + 1)
        run_id = np.cumsum(new_run) - 1
        run_len = np.bincount(run_id)
        run_key = k_b[new_run]
        longest = np.zeros(cells)
        np.maximum.at(longest, run_key, run_len)
    else:
        longest = np.zeros(cells)
    first = np.ones(k_s.size, dtype=bool)
    first[1:] = k_s[1:] != k_s[:-1]
    since = np.full(cells, float(cfg.lookback_months))
    since[k_s[first]] = l_s[first]
    amount = np.zeros(cells)
    latest_ok = first & (l_s < big)
    amount[k_s[latest_ok]] = np.log1p(np.clip(value[order][latest_ok], 0, None))

    def grid(a: np.ndarray) -> np.ndarray:
        return a.reshape(P, S)

    c3 = grid(counts[3] if 3 in counts else np.bincount(key[lag < 3], minlength=cells))
    c6 = grid(counts[6] if 6 in counts else np.bincount(key[lag < 6], minlength=cells))
    trend = c3 - (c6 - c3)
    grids = {f"n{w}": grid(c) for w, c in counts.items()}
    grids |= {"run": grid(longest), "since": grid(since), "trend": trend, "decay": grid(decay),
              "amount": grid(amount)}  # fmt: skip
    for j, s in enumerate(CRISIS_SOURCES):
        for name in [*(f"n{w}" for w in cfg.windows), "run", "since", "trend", "decay"]:
            out[f"sig__{s.code}__{name}"] = grids[name][:, j]
        if s.unit == "krw":
            out[f"sig__{s.code}__amount"] = grids["amount"][:, j]
    return out


def _decayed_events(frame: pd.DataFrame, date_col: str, pair_hh: np.ndarray, as_of_days: np.ndarray,
                    cfg: FeatureConfig, *, mask: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """Half-life-decayed count per pair of records dated before the pair's as-of date."""
    if frame is None or frame.empty:
        return np.zeros(pair_hh.size)
    f = frame if mask is None else frame[mask]
    pp, rp = _attach(pair_hh, f["household_id"].to_numpy())
    age = (as_of_days[pp] - _days(f[date_col].to_numpy())[rp]) / DAYS_PER_MONTH
    keep = (age > 0) & (age < cfg.lookback_months)
    return np.bincount(pp[keep], weights=0.5 ** (age[keep] / cfg.half_life_months), minlength=pair_hh.size)


def _household_block(tables: Mapping[str, pd.DataFrame], pair_hh: np.ndarray, as_of_days: np.ndarray,
                     hh_pos: np.ndarray, cfg: FeatureConfig) -> dict[str, np.ndarray]:  # fmt: skip
    hh = tables["household"]
    out: dict[str, np.ndarray] = {}

    def col(name: str) -> np.ndarray:
        return hh[name].to_numpy(dtype=np.float64)[hh_pos]

    size = np.maximum(col("size"), 1.0)
    out["hh__size"] = size
    out["hh__n_elderly"] = col("n_elderly")
    out["hh__head_age"] = col("head_age")
    out["hh__n_children"] = col("n_children")
    out["hh__n_disabled"] = col("n_disabled")
    out["hh__multicultural"] = col("is_multicultural")
    housing = hh["housing_type"].to_numpy()[hh_pos]
    out["hh__nonhousing"] = np.isin(housing, list(NON_HOUSING_TYPES)).astype(np.float64)
    out["hh__log_income_pc"] = np.log1p(np.clip(col("income_monthly_krw"), 0, None) / size)
    out["hh__log_assets"] = np.log1p(np.clip(col("financial_assets_krw"), 0, None))
    out["hh__log_property"] = np.log1p(
        np.clip(col("property_residential_krw") + col("property_general_krw"), 0, None)
    )
    out["hh__log_debt"] = np.log1p(np.clip(col("debt_krw"), 0, None))

    ben = tables.get("benefit_history")
    if ben is not None and not ben.empty:
        pp, rp = _attach(pair_hh, ben["household_id"].to_numpy())
        start, end = _days(ben["start_date"].to_numpy())[rp], _days(ben["end_date"].to_numpy())[rp]
        now = (start < as_of_days[pp]) & (end >= as_of_days[pp])
        out["hh__benefit_now"] = (np.bincount(pp[now], minlength=pair_hh.size) > 0).astype(np.float64)
    else:
        out["hh__benefit_now"] = np.zeros(pair_hh.size)
    out["hh__support_decay"] = _decayed_events(tables.get("support"), "supported_on", pair_hh, as_of_days, cfg)
    out["hh__consult_decay"] = _decayed_events(
        tables.get("consultation"), "consulted_on", pair_hh, as_of_days, cfg
    )
    disc = tables.get("discovery_history")
    if disc is not None and not disc.empty:
        # a past visit is known once its outcome is recorded
        out["hh__visits_decay"] = _decayed_events(disc, "outcome_date", pair_hh, as_of_days, cfg)
        out["hh__supported_decay"] = _decayed_events(
            disc, "outcome_date", pair_hh, as_of_days, cfg, mask=(disc["outcome"] == "supported").to_numpy()
        )
    else:
        out["hh__visits_decay"] = out["hh__supported_decay"] = np.zeros(pair_hh.size)
    for vocab, column, prefix in (
        (HOUSEHOLD_TYPES, "household_type", "hh__type__"),
        (HOUSING_TYPES, "housing_type", "hh__housing__"),
        (TENURES, "tenure", "hh__tenure__"),
    ):
        values = hh[column].to_numpy()[hh_pos]
        for c in codes(vocab):
            out[prefix + c] = (values == c).astype(np.float64)
    return out


def _region_block(tables: Mapping[str, pd.DataFrame], hh_pos: np.ndarray, as_of_days: np.ndarray,
                  ) -> dict[str, np.ndarray]:  # fmt: skip
    hh = tables["household"]
    region = tables["region"].set_index("code")
    out: dict[str, np.ndarray] = {}
    emd = region[region["level"] == "emd"] if "level" in region else region
    num = pd.DataFrame(
        {
            "pop": emd["population"].astype("float64"),
            "nonhousing": emd["nonhousing_share"].astype("float64") * emd["population"].astype("float64"),
            "multicultural": emd["multicultural_share"].astype("float64") * emd["population"].astype("float64"),
            "elderly": emd["pop_65plus"].astype("float64"),
            "disabled": emd["pop_disabled"].astype("float64"),
            "area": emd["area_km2"].astype("float64"),
        },
        index=emd.index,
    )
    # 시군구 characteristics are aggregated from its 읍면동 (population-weighted), so they exist
    # even when the 시군구 rows carry no indicators.
    by_level = {"emd": num, "sgg": num.groupby(emd["sigungu_code"].astype(str).to_numpy()).sum(min_count=1)}
    for lvl, key in (("emd", "emd_code"), ("sgg", "sigungu_code")):
        t = by_level[lvl]
        pop = t["pop"].where(t["pop"] > 0)
        chars = pd.DataFrame(
            {
                "nonhousing": t["nonhousing"] / pop,
                "multicultural": t["multicultural"] / pop,
                "elderly": t["elderly"] / pop,
                "disabled": t["disabled"] / pop,
                "log_density": np.log1p(pop / t["area"].where(t["area"] > 0)),
            },
            index=t.index,
        )
        idx = chars.index.get_indexer(hh[key].astype(str).to_numpy()[hh_pos])
        block = chars.to_numpy()[np.where(idx >= 0, idx, 0)]
        block[idx < 0] = np.nan
        for j, name in enumerate(chars.columns):
            col = block[:, j]
            # unknown values: the median region (all-missing columns would break the models)
            fill = np.nanmedian(chars.iloc[:, j].to_numpy()) if chars.iloc[:, j].notna().any() else 0.0
            out[f"rg__{lvl}__{name}"] = np.where(np.isnan(col), fill, col)
    urb_idx = region.index.get_indexer(hh["emd_code"].to_numpy()[hh_pos])
    urban = np.where(urb_idx >= 0, region["urban_class"].to_numpy()[np.maximum(urb_idx, 0)], None)
    for c in codes(URBAN_CLASSES):
        out[f"rg__urban__{c}"] = (urban == c).astype(np.float64)
    des = tables.get("designation")
    sgg = hh["sigungu_code"].to_numpy()[hh_pos]
    for kind in ("employment_crisis", "special_disaster"):
        flag = np.zeros(hh_pos.size)
        if des is not None and not des.empty:
            d = des[des["kind"] == kind]
            pp, rp = _attach(sgg, d["sigungu_code"].to_numpy())
            live = (_days(d["start_date"].to_numpy())[rp] <= as_of_days[pp]) & (
                _days(d["end_date"].to_numpy())[rp] >= as_of_days[pp]
            )
            flag = (np.bincount(pp[live], minlength=hh_pos.size) > 0).astype(np.float64)
        out[f"rg__{kind}"] = flag
    return out


def _safety_block(snr: pd.DataFrame | None, pair_hh: np.ndarray, as_of_days: np.ndarray,
                  cfg: FeatureConfig) -> dict[str, np.ndarray]:  # fmt: skip
    P, C = pair_hh.size, len(SAFETY_NET_CHANNELS)
    big = max(cfg.windows)
    n_big = np.zeros(P * C)
    decay = np.zeros(P * C)
    since = np.full(P * C, float(cfg.lookback_months))
    if snr is not None and not snr.empty:
        ch = pd.Categorical(snr["channel"], categories=list(codes(SAFETY_NET_CHANNELS))).codes.astype(np.int64)
        ok = ch >= 0
        pp, rp = _attach(pair_hh, snr["household_id"].to_numpy()[ok])
        age = (as_of_days[pp] - _days(snr["reported_on"].to_numpy()[ok])[rp]) / DAYS_PER_MONTH
        keep = (age > 0) & (age < cfg.lookback_months)
        key = pp[keep] * C + ch[ok][rp][keep]
        age = age[keep]
        n_big = np.bincount(key[age < big], minlength=P * C).astype(np.float64)
        decay = np.bincount(key, weights=0.5 ** (age / cfg.half_life_months), minlength=P * C)
        np.minimum.at(since, key, age)
    out: dict[str, np.ndarray] = {}
    for j, c in enumerate(codes(SAFETY_NET_CHANNELS)):
        out[f"sn__{c}__n{big}"] = n_big.reshape(P, C)[:, j]
        out[f"sn__{c}__decay"] = decay.reshape(P, C)[:, j]
        out[f"sn__{c}__since"] = np.floor(since.reshape(P, C)[:, j])
    return out


# --------------------------------------------------------------------------- public
def build_features(
    tables: Mapping[str, pd.DataFrame],
    pairs: pd.DataFrame,
    *,
    config: FeatureConfig | None = None,
) -> pd.DataFrame:
    """Build the feature matrix for (household, as-of date) pairs.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        The tables of :data:`FEATURE_TABLES` (extra columns are ignored; ``designation``,
        ``benefit_history``, ``support``, ``consultation``, ``discovery_history`` and
        ``safety_net_report`` may be missing or empty).
    pairs : DataFrame
        Columns ``household_id`` and ``as_of`` (date-like). A household may appear several
        times with different dates (training rows).
    config : FeatureConfig, optional
        Windows, half-life and families.

    Returns
    -------
    DataFrame
        One row per pair, on ``pairs.index``, columns ``[s.name for s in feature_specs(config)]``
        as float32.

    Raises
    ------
    ValueError
        If pairs lack columns or dates, or name households missing from ``tables['household']``.

    Examples
    --------
    >>> from models.synthetic import make_world, AS_OF
    >>> world = make_world(200, seed=1)
    >>> pairs = world["household"][["household_id"]].assign(as_of=AS_OF)
    >>> X = build_features(world, pairs)
    >>> X.shape[0]
    200
    """
    cfg = config or FeatureConfig()
    _check_pairs(pairs)
    pair_hh = pairs["household_id"].to_numpy(dtype=np.int64)
    as_of = pd.DatetimeIndex(pd.to_datetime(pairs["as_of"]))
    as_of_days = as_of.to_numpy("datetime64[D]").astype(np.int64)
    ref_month = _month_index(as_of - pd.Timedelta(days=1))
    hh_pos = pd.Index(tables["household"]["household_id"].to_numpy(dtype=np.int64)).get_indexer(pair_hh)
    if (hh_pos < 0).any():
        bad = pair_hh[hh_pos < 0][:5].tolist()
        raise ValueError(f"{int((hh_pos < 0).sum())} pairs name unknown households, e.g. {bad}")
    cols: dict[str, np.ndarray] = {}
    if "household" in cfg.families:
        sig = tables.get("crisis_signal")
        if sig is None:
            sig = pd.DataFrame(columns=list(FEATURE_TABLES["crisis_signal"]))
        cols |= _signal_block(sig, pair_hh, ref_month, cfg)
        cols |= _household_block(tables, pair_hh, as_of_days, hh_pos, cfg)
    if "regional" in cfg.families:
        cols |= _region_block(tables, hh_pos, as_of_days)
    if "safety_net" in cfg.families:
        cols |= _safety_block(tables.get("safety_net_report"), pair_hh, as_of_days, cfg)
    names = [s.name for s in feature_specs(cfg)]
    matrix = np.empty((pair_hh.size, len(names)), dtype=np.float32)
    for j, name in enumerate(names):
        matrix[:, j] = cols[name]
    log.debug("built %d features for %d pairs", len(names), pair_hh.size)
    return pd.DataFrame(matrix, index=pairs.index, columns=names)
