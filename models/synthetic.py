"""A small deterministic synthetic world with the schema's columns, for tests, docs and benchmarks.

The project's generator (``etl.generate.generate_world``) is the real source of synthetic data;
``models`` may not import ``etl``, so this module provides a self-contained stand-in with the same
tables and columns (no geometry) that the risk models read. Households carry a latent monthly
crisis state (a two-state Markov chain) that drives crisis signals, safety-net reports and the
visit outcomes of bi-monthly discovery cycles (legacy-rule selections plus a random audit
sample), so models trained on it have something real to find.

Everything is vectorised over households; only the 24 months are looped over.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from geodata.regions import sido_of, sigungu_of
from geodata.vocabulary import (
    CRISIS_SOURCES,
    HOUSEHOLD_TYPES,
    HOUSING_TYPES,
    NON_HOUSING_TYPES,
    SAFETY_NET_CHANNELS,
    TENURES,
    codes,
)

__all__ = ["AS_OF", "make_world"]

AS_OF = dt.date(2026, 10, 31)
FIRST_MONTH = dt.date(2024, 11, 1)
N_MONTHS = 24

_SIDO = ("11", "46")
_URBAN = ("대도시", "중소도시", "농어촌")


def _regions(n_sigungu: int, emd_per_sigungu: int) -> tuple[pd.DataFrame, list[str]]:
    rows = []
    emd_codes = []
    rng = np.random.default_rng(7)
    for i in range(n_sigungu):
        sido = _SIDO[i % len(_SIDO)]
        sgg = f"{sido}{110 + 10 * i:03d}"
        urban = _URBAN[i % 3]
        sg_pop = 0
        for j in range(emd_per_sigungu):
            code = f"{sgg}{510 + 10 * j:03d}00"[:10]
            pop = int(rng.integers(8_000, 30_000))
            sg_pop += pop
            rows.append(
                {
                    "code": code,
                    "level": "emd",
                    "name": f"동{j + 1}",
                    "full_name": f"시군구{i + 1} 동{j + 1}",
                    "parent_code": sgg,
                    "sido_code": sido,
                    "sigungu_code": sgg,
                    "urban_class": urban,
                    "area_km2": float(rng.uniform(1.0, 40.0)),
                    "population": pop,
                    "pop_0_17": int(pop * rng.uniform(0.1, 0.2)),
                    "pop_65plus": int(pop * rng.uniform(0.12, 0.35)),
                    "pop_disabled": int(pop * rng.uniform(0.03, 0.07)),
                    "households": int(pop / 2.2),
                    "nonhousing_share": float(rng.uniform(0.0, 0.05)),
                    "multicultural_share": float(rng.uniform(0.0, 0.04)),
                }
            )
            emd_codes.append(code)
        rows.append(
            {
                "code": sgg,
                "level": "sigungu",
                "name": f"시군구{i + 1}",
                "full_name": f"시군구{i + 1}",
                "parent_code": sido,
                "sido_code": sido,
                "sigungu_code": sgg,
                "urban_class": urban,
                "area_km2": 100.0,
                "population": sg_pop,
                "pop_0_17": int(sg_pop * 0.15),
                "pop_65plus": int(sg_pop * 0.2),
                "pop_disabled": int(sg_pop * 0.05),
                "households": int(sg_pop / 2.2),
                "nonhousing_share": 0.02,
                "multicultural_share": 0.02,
            }
        )
    region = pd.DataFrame(rows)
    region["welfare_teams"] = float("nan")  # a sample-density world (schema column, etl.generate.dense)
    return region, emd_codes


def _month_start(i: int) -> dt.date:
    y, m = divmod(FIRST_MONTH.month - 1 + i, 12)
    return dt.date(FIRST_MONTH.year + y, m + 1, 1)


def make_world(
    households: int = 4_000,
    *,
    seed: int = 0,
    n_sigungu: int = 6,
    emd_per_sigungu: int = 4,
    audit_rate: float = 0.04,
    legacy_k: int = 3,
    legacy_window: int = 3,
) -> dict[str, pd.DataFrame]:
    """Return a synthetic world as ``{table: DataFrame}`` with the schema's (non-geometry) columns.

    Parameters
    ----------
    households : int
        Number of households.
    seed : int
        Random seed; the same seed gives the same world.
    n_sigungu, emd_per_sigungu : int
        Size of the region hierarchy.
    audit_rate : float
        Share of households drawn into each cycle's random audit sample.
    legacy_k, legacy_window : int
        The legacy rule used to select visits: every household with at least ``legacy_k``
        economic sources with a signal in the ``legacy_window`` months before the cycle is
        visited; the audit sample is drawn from the others (the design of ``etl.generate``).
    """
    rng = np.random.default_rng(seed)
    n = int(households)
    region, emd_codes = _regions(n_sigungu, emd_per_sigungu)
    emd_idx = rng.integers(0, len(emd_codes), n)
    emd = np.asarray(emd_codes)[emd_idx]
    sgg = np.array([sigungu_of(c) for c in emd_codes])[emd_idx]
    sido = np.array([sido_of(c) for c in emd_codes])[emd_idx]
    urban = region.set_index("code").loc[emd_codes, "urban_class"].to_numpy()[emd_idx]

    types = np.asarray(codes(HOUSEHOLD_TYPES))
    htype = types[rng.choice(len(types), n, p=[0.12, 0.12, 0.12, 0.1, 0.06, 0.25, 0.15, 0.08])]
    size = np.select(
        [np.char.startswith(htype.astype(str), "single"), htype == "elderly_couple", htype == "couple"],
        [1, 2, 2],
        default=rng.integers(2, 6, n),
    )
    n_elderly = np.select(
        [htype == "single_elderly", htype == "elderly_couple"], [1, 2], default=(rng.random(n) < 0.1)
    ).astype(int)
    n_children = np.where(
        np.isin(htype, ["single_parent", "couple_children"]), rng.integers(1, 3, n), 0
    )
    n_disabled = (rng.random(n) < 0.08).astype(int)
    head_age = np.select(
        [n_elderly > 0, htype == "single_young", htype == "single_middle"],
        [rng.integers(65, 90, n), rng.integers(20, 40, n), rng.integers(40, 65, n)],
        default=rng.integers(28, 64, n),
    )
    housing = np.asarray(codes(HOUSING_TYPES))[
        rng.choice(8, n, p=[0.5, 0.18, 0.18, 0.06, 0.04, 0.02, 0.01, 0.01])
    ]
    tenure = np.asarray(codes(TENURES))[rng.choice(5, n, p=[0.55, 0.15, 0.2, 0.07, 0.03])]
    income = np.exp(rng.normal(np.log(2_800_000), 0.6, n)) * np.sqrt(size)
    nonhousing = np.isin(housing, list(NON_HOUSING_TYPES))
    household = pd.DataFrame(
        {
            "household_id": np.arange(1, n + 1, dtype=np.int64),
            "emd_code": emd,
            "sigungu_code": sgg,
            "sido_code": sido,
            "size": size.astype(np.int16),
            "n_elderly": n_elderly.astype(np.int16),
            "n_children": n_children.astype(np.int16),
            "n_disabled": n_disabled.astype(np.int16),
            "head_age": head_age.astype(np.int16),
            "household_type": htype,
            "is_multicultural": rng.random(n) < 0.03,
            "housing_type": housing,
            "tenure": tenure,
            "income_monthly_krw": income.round(-3),
            "property_residential_krw": np.where(tenure == "owner", rng.uniform(5e7, 8e8, n), 0.0),
            "property_general_krw": rng.uniform(0, 2e7, n).round(-4),
            "financial_assets_krw": np.exp(rng.normal(np.log(1e7), 1.2, n)).round(-3),
            "car_value_krw": np.where(rng.random(n) < 0.6, rng.uniform(3e6, 3e7, n), 0.0),
            "debt_krw": np.where(rng.random(n) < 0.4, rng.uniform(1e6, 1e8, n), 0.0),
        }
    )

    # employment-crisis designation in the first sigungu from mid-2025
    first_sgg = region.loc[region.level == "sigungu", "code"].iloc[0]
    designation = pd.DataFrame(
        {
            "designation_id": [1, 2],
            "kind": ["employment_crisis", "special_disaster"],
            "sigungu_code": [first_sgg, region.loc[region.level == "sigungu", "code"].iloc[-1]],
            "start_date": [dt.date(2025, 6, 1), dt.date(2025, 8, 1)],
            "end_date": [None, dt.date(2025, 12, 31)],
            "event": ["synthetic", "synthetic flood"],
            "source": ["synthetic", "synthetic"],
        }
    )

    # latent vulnerability and monthly crisis chain
    vuln = (
        rng.normal(0, 1, n)
        + 0.9 * (htype == "single_elderly")
        + 0.5 * (htype == "single_middle")
        + 0.6 * (htype == "single_parent")
        + 1.2 * nonhousing
        + 0.4 * (tenure == "monthly_rent")
        + 0.5 * n_disabled
        - 0.8 * (np.log(income / np.sqrt(size)) - np.log(2_800_000))
        + 0.3 * (urban == "농어촌")
    )
    designated = sgg == first_sgg
    crisis = np.zeros((N_MONTHS, n), dtype=bool)
    state = rng.random(n) < 1 / (1 + np.exp(-(vuln - 2.5)))
    for m in range(N_MONTHS):
        boost = 0.6 * designated if _month_start(m) >= dt.date(2025, 6, 1) else 0.0
        p_in = 1 / (1 + np.exp(-(vuln - 4.2 + boost)))
        state = np.where(state, rng.random(n) < 0.85, rng.random(n) < p_in)
        crisis[m] = state

    sig_rows = []
    for k, src in enumerate(CRISIS_SOURCES):
        p_on = 0.45 if src.economic else 0.12
        p_off = 0.02 if src.economic else 0.004
        hit = np.where(crisis, rng.random((N_MONTHS, n)) < p_on, rng.random((N_MONTHS, n)) < p_off)
        m_idx, h_idx = np.nonzero(hit)
        value = (
            np.exp(rng.normal(np.log(80_000 * (1 + k % 4)), 0.7, m_idx.size)).round(-2)
            if src.unit == "krw"
            else np.ones(m_idx.size)
        )
        sig_rows.append(
            pd.DataFrame(
                {
                    "household_id": household.household_id.to_numpy()[h_idx],
                    "source": src.code,
                    "m": m_idx,
                    "value": value,
                }
            )
        )
    sig = pd.concat(sig_rows, ignore_index=True)
    months = pd.to_datetime([_month_start(i) for i in range(N_MONTHS)])
    sig["month"] = months[sig.pop("m").to_numpy()].date
    crisis_signal = sig[["household_id", "source", "month", "value"]]

    ch_rows = []
    for c in codes(SAFETY_NET_CHANNELS):
        hit = np.where(crisis, rng.random((N_MONTHS, n)) < 0.04, rng.random((N_MONTHS, n)) < 0.001)
        m_idx, h_idx = np.nonzero(hit)
        day = rng.integers(0, 28, m_idx.size)
        ch_rows.append(
            pd.DataFrame(
                {
                    "household_id": household.household_id.to_numpy()[h_idx],
                    "channel": c,
                    "reported_on": (months[m_idx] + pd.to_timedelta(day, unit="D")).date,
                }
            )
        )
    snr = pd.concat(ch_rows, ignore_index=True)
    snr.insert(0, "report_id", np.arange(1, len(snr) + 1, dtype=np.int64))
    snr["note"] = None

    # discovery cycles: every two months from 2025-01-01 to 2026-09-01
    econ = [i for i, s in enumerate(CRISIS_SOURCES) if s.economic]
    sig_arr = np.zeros((N_MONTHS, n, len(econ)), dtype=bool)
    src_pos = {CRISIS_SOURCES[i].code: j for j, i in enumerate(econ)}
    e = sig[sig.source.isin(src_pos)]
    m_of = (pd.to_datetime(e.month).dt.year - 2024) * 12 + pd.to_datetime(e.month).dt.month - 11
    sig_arr[m_of.to_numpy(), e.household_id.to_numpy() - 1, e.source.map(src_pos).to_numpy()] = True
    disc = []
    cyc_months = range(2, N_MONTHS - 1, 2)  # index of the cycle's month
    for cm in cyc_months:
        cycle_date = _month_start(cm)
        window = sig_arr[max(0, cm - legacy_window) : cm].any(axis=0).sum(axis=1)
        legacy_sel = np.flatnonzero(window >= legacy_k)
        audit_sel = np.setdiff1d(np.flatnonzero(rng.random(n) < audit_rate), legacy_sel)
        for sel, name in ((legacy_sel, "legacy_rule"), (audit_sel, "audit_sample")):
            in_crisis = crisis[cm - 1, sel]
            p_sup = np.where(in_crisis, 0.7, 0.04) + 0.1 * (vuln[sel] > 1.5)
            u = rng.random(sel.size)
            outcome = np.where(
                u < 0.08, "unreachable", np.where(rng.random(sel.size) < p_sup, "supported", "not_eligible")
            )
            disc.append(
                pd.DataFrame(
                    {
                        "household_id": household.household_id.to_numpy()[sel],
                        "cycle_date": cycle_date,
                        "selection": name,
                        "legacy_signal_count": window[sel].astype(np.int16),
                        "outcome": outcome,
                        "outcome_date": cycle_date + dt.timedelta(days=30),
                    }
                )
            )
    discovery = pd.concat(disc, ignore_index=True)
    discovery.insert(0, "discovery_id", np.arange(1, len(discovery) + 1, dtype=np.int64))

    supported = discovery[discovery.outcome == "supported"]
    support = pd.DataFrame(
        {
            "support_id": np.arange(1, len(supported) + 1, dtype=np.int64),
            "household_id": supported.household_id.to_numpy(),
            "supported_on": supported.outcome_date.to_numpy(),
            "kind": "public",
            "programme": "긴급지원",
            "amount_krw": 500_000.0,
        }
    )
    n_b = n // 20
    b_hh = rng.choice(n, n_b, replace=False)
    benefit_history = pd.DataFrame(
        {
            "benefit_id": np.arange(1, n_b + 1, dtype=np.int64),
            "household_id": household.household_id.to_numpy()[b_hh],
            "programme": "기초생활보장",
            "start_date": [dt.date(2023, 1, 1)] * n_b,
            "end_date": [None] * n_b,
        }
    )
    n_c = n // 15
    c_hh = rng.choice(n, n_c, replace=True)
    consultation = pd.DataFrame(
        {
            "consultation_id": np.arange(1, n_c + 1, dtype=np.int64),
            "household_id": household.household_id.to_numpy()[c_hh],
            "consulted_on": (
                pd.Timestamp("2024-11-01") + pd.to_timedelta(rng.integers(0, 700, n_c), unit="D")
            ).date,
            "channel": "visit",
            "topic": "생활상담",
        }
    )
    return {
        "region": region,
        "designation": designation,
        "household": household,
        "crisis_signal": crisis_signal,
        "safety_net_report": snr,
        "discovery_history": discovery,
        "support": support,
        "benefit_history": benefit_history,
        "consultation": consultation,
    }

