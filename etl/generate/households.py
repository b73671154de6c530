"""Step 2: households (composition, housing, income and assets) and their points."""

from __future__ import annotations

import numpy as np
import shapely

from etl.generate.columns import choice_rows
from etl.generate.dense import sample_sido_shares
from etl.generate.world import GenerationError, World
from geodata.vocabulary import NON_HOUSING_TYPES


def draw_households(w: World) -> None:
    rng, spec, emd = w.rng, w.spec, w.emd
    emd_sido = emd["sido_code"].to_numpy()
    if w.plan is not None:  # drawn once for the whole world by the parent
        per_sido = w.plan.per_sido
    else:
        per_sido = rng.multinomial(spec.households, sample_sido_shares(w.stats, emd_sido, w.emd_fixed))
    emd_idx_parts = []
    for code, n_sido in zip(w.stats.index, per_sido, strict=True):
        rows = np.flatnonzero(emd_sido == code)
        free = w.emd_fixed[rows] < 0  # the sample-density layer; dense 읍면동 have fixed counts
        if n_sido and not free.any():
            raise GenerationError(f"시도 {code} has no 읍면동 outside the dense regions")
        counts = np.where(free, 0, w.emd_fixed[rows])
        if free.any():
            weight = w.emd_weight[rows[free]] / w.emd_weight[rows[free]].sum()
            counts[free] = rng.multinomial(n_sido, weight)
        emd_idx_parts.append(np.repeat(rows, counts))
    emd_idx = np.concatenate(emd_idx_parts)
    n = len(emd_idx)
    w.n = n
    w.emd_idx = emd_idx
    sido = emd["sido_code"].to_numpy()[emd_idx]
    pos = w.stats.index.get_indexer(sido)  # positional: label look-ups are slow here
    single = w.stats["single_person_share"].to_numpy(float)[pos]
    eld_single = w.stats["elderly_single_share"].to_numpy(float)[pos]
    p65 = w.stats["pop_65plus_share"].to_numpy(float)[pos]
    # Household type probabilities per household (rows sum to one).
    other_single = np.clip(single - eld_single, 0.0, None)
    probs = np.column_stack(
        [
            eld_single,
            other_single * 0.45,  # single_middle
            other_single * 0.55,  # single_young
            0.7 * p65,  # elderly_couple: older regions have more
            np.full(n, 0.055),  # single_parent
            np.full(n, 0.24),  # couple_children
            np.full(n, 0.13),  # couple
            np.zeros(n),  # other (remainder)
        ]
    )
    probs[:, 7] = np.clip(1.0 - probs[:, :7].sum(axis=1), 0.02, None)
    probs /= probs.sum(axis=1, keepdims=True)
    types = np.array(
        ["single_elderly", "single_middle", "single_young", "elderly_couple",
         "single_parent", "couple_children", "couple", "other"]
    )
    htype = types[choice_rows(rng, probs)]
    w.household_types = types
    size = np.ones(n, dtype=np.int16)
    size[htype == "elderly_couple"] = 2
    size[htype == "couple"] = 2
    size[htype == "single_parent"] = 2 + rng.binomial(2, 0.3, (htype == "single_parent").sum())
    cc = htype == "couple_children"
    size[cc] = 3 + rng.binomial(2, 0.35, cc.sum())
    ot = htype == "other"
    size[ot] = 2 + rng.binomial(3, 0.3, ot.sum())
    head_age = np.select(
        [htype == "single_elderly", htype == "elderly_couple", htype == "single_young",
         htype == "single_middle"],
        [rng.integers(65, 95, n), rng.integers(65, 90, n), rng.integers(20, 40, n),
         rng.integers(40, 65, n)],
        default=rng.integers(28, 66, n),
    ).astype(np.int16)
    n_children = np.where(np.isin(htype, ["single_parent", "couple_children"]), size - np.where(htype == "single_parent", 1, 2), 0)
    n_children = np.where(ot, rng.binomial(np.maximum(size - 2, 0), 0.4), n_children)
    n_elderly = np.select(
        [htype == "single_elderly", htype == "elderly_couple"], [1, 2],
        default=np.where(ot, rng.binomial(1, np.clip(2.2 * p65, 0, 1)), (head_age >= 65).astype(int)),
    )
    n_adults = size - n_children
    n_elderly = np.minimum(n_elderly, n_adults)
    n_disabled = rng.binomial(size, np.where(head_age >= 65, 0.09, 0.04))
    multicultural = rng.random(n) < w.emd_multicultural[emd_idx] * 1.2
    w.htype, w.size, w.head_age = htype, size.astype(np.int16), head_age
    w.n_children = n_children.astype(np.int16)
    w.n_elderly = n_elderly.astype(np.int16)
    w.n_disabled = n_disabled.astype(np.int16)
    w.multicultural = multicultural
    draw_housing_and_money(w)



def draw_housing_and_money(w: World) -> None:
    rng, n, emd = w.rng, w.n, w.emd
    urban = emd["urban_class"].to_numpy()[w.emd_idx]
    nonhousing = rng.random(n) < w.emd_nonhousing[w.emd_idx] * np.where(
        np.isin(w.htype, ["single_middle", "single_young", "single_elderly"]), 1.8, 0.4
    )
    city = urban != "농어촌"
    nh_kind = np.where(
        city,
        np.where(rng.random(n) < 0.75, "gosiwon", "jjokbang"),
        np.where(rng.random(n) < 0.55, "vinyl_house", "container"),
    )
    p_apartment = np.select([urban == "대도시", urban == "중소도시"], [0.55, 0.6], default=0.3)
    u = rng.random(n)
    regular = np.where(
        u < p_apartment, "apartment",
        np.where(u < p_apartment + 0.2, "row_house",
                 np.where(u < p_apartment + 0.24, "officetel", "detached")),
    )
    housing = np.where(nonhousing, nh_kind, regular)
    is_nh = np.isin(housing, list(NON_HOUSING_TYPES))
    v = rng.random(n)
    owner_p = np.clip(0.25 + 0.006 * (w.head_age - 30), 0.1, 0.8)
    tenure = np.where(
        v < owner_p, "owner",
        np.where(v < owner_p + 0.14, "jeonse",
                 np.where(v < owner_p + 0.14 + 0.06, "public_rental",
                          np.where(v < 0.98, "monthly_rent", "free"))),
    )
    tenure = np.where(is_nh, np.where(rng.random(n) < 0.85, "monthly_rent", "free"), tenure)
    # Monthly income (KRW): log-normal, lower for older single people and non-housing.
    log_mu = (
        np.log(3_600_000)
        + 0.35 * np.log(w.size)
        - np.select([w.htype == "single_elderly", w.htype == "elderly_couple"], [1.0, 0.6], 0.0)
        - 0.5 * is_nh
        - 0.15 * (w.n_disabled > 0)
        - 0.25 * (w.htype == "single_parent")
    )
    income = np.exp(rng.normal(log_mu, 0.65))
    income[rng.random(n) < 0.04] = 0.0
    owner = tenure == "owner"
    prop_res = np.where(owner, np.exp(rng.normal(np.log(280_000_000), 0.8, n)), 0.0)
    prop_res = np.where(tenure == "jeonse", np.exp(rng.normal(np.log(150_000_000), 0.6, n)), prop_res)
    prop_gen = np.where(rng.random(n) < 0.12, np.exp(rng.normal(np.log(60_000_000), 1.0, n)), 0.0)
    fin = np.exp(rng.normal(np.log(np.maximum(income, 300_000) * 4), 1.1))
    car = np.where(rng.random(n) < 0.6 - 0.3 * is_nh, np.exp(rng.normal(np.log(12_000_000), 0.7, n)), 0.0)
    debt = np.where(rng.random(n) < 0.45, np.exp(rng.normal(np.log(40_000_000), 1.2, n)), 0.0)
    w.housing, w.tenure, w.is_nonhousing = housing, tenure, is_nh
    w.income = np.round(income, -3)
    w.prop_res, w.prop_gen = np.round(prop_res, -4), np.round(prop_gen, -4)
    w.fin, w.car, w.debt = np.round(fin, -3), np.round(car, -4), np.round(debt, -4)



def place_points(w: World) -> None:
    """A point for every household, uniform inside its 읍면동 (vectorised rejection sampling)."""
    geoms = w.emd.geometry.to_numpy()
    shapely.prepare(geoms)
    bounds = shapely.bounds(geoms)
    idx = w.emd_idx
    x = np.empty(w.n)
    y = np.empty(w.n)
    todo = np.arange(w.n)
    for _ in range(60):
        b = bounds[idx[todo]]
        tx = w.rng.uniform(b[:, 0], b[:, 2])
        ty = w.rng.uniform(b[:, 1], b[:, 3])
        ok = shapely.contains_xy(geoms[idx[todo]], tx, ty)
        x[todo[ok]], y[todo[ok]] = tx[ok], ty[ok]
        todo = todo[~ok]
        if len(todo) == 0:
            break
    if len(todo):  # extremely thin polygons: fall back to a point surely inside
        pts = shapely.point_on_surface(geoms[idx[todo]])
        x[todo], y[todo] = shapely.get_x(pts), shapely.get_y(pts)
    w.x, w.y = np.round(x, 6), np.round(y, 6)

