"""Real-density demo regions: 시군구 generated at their published household counts.

The default world is a *sample-density* layer (``WorldSpec.households`` spread over Korea by 시도
share, ≈1% of the real households) with a few *real-density* 시군구 on top
(``WorldSpec.dense_regions``): each has its published 세대수 (``etl/reference/demo_regions.csv``),
split over its 읍면동 by the published 읍면동 counts where the source gives them and by the
synthetic 읍면동 weights otherwise. Each 읍면동 of a dense region carries the number of real
읍면동 welfare teams serving it (``region.welfare_teams``): one per 행정동, shared by household
count where the boundary units are 법정동 (several per 행정동). Visit capacity there is a real
team's (``models.tiers``), not scaled to the world.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.generate.world import GenerationError, World
from etl.reference_data import demo_regions

__all__ = ["dense_households", "dense_region_codes", "draw_dense_counts", "sample_sido_shares"]


def dense_region_codes() -> tuple[str, ...]:
    """The 시군구 codes of ``etl/reference/demo_regions.csv`` (the regions that can be dense)."""
    ref = demo_regions()
    return tuple(ref.loc[ref["emd_code"].isna(), "sigungu_code"].astype(str))


def dense_households(codes: tuple[str, ...] | list[str]) -> int:
    """Published households of the dense regions ``codes`` (0 for none; unknown codes count 0
    here and are refused by :func:`draw_dense_counts`)."""
    if not codes:
        return 0
    ref = demo_regions()
    whole = ref[ref["emd_code"].isna()].set_index("sigungu_code")["households"]
    return int(whole.reindex(list(dict.fromkeys(codes))).fillna(0).sum())


def draw_dense_counts(w: World) -> None:
    """Households (``w.emd_fixed``, -1 in the sample layer) and welfare teams (``w.emd_teams``,
    NaN in the sample layer) of every 읍면동 of the world's dense regions."""
    n = len(w.emd)
    fixed = np.full(n, -1, dtype=np.int64)
    teams = np.full(n, np.nan)
    codes = tuple(dict.fromkeys(w.spec.dense_regions))
    if codes:
        ref = demo_regions()
        whole = ref[ref["emd_code"].isna()].set_index("sigungu_code")
        unknown = sorted(set(codes) - set(whole.index))
        if unknown:
            raise GenerationError(
                f"no published household count for dense regions {unknown}; "
                f"known (etl/reference/demo_regions.csv): {sorted(whole.index)}")
        emd_sigungu = w.emd["sigungu_code"].to_numpy()
        emd_codes = w.emd["code"].to_numpy()
        for code in codes:
            rows = np.flatnonzero(emd_sigungu == code)
            if not len(rows):
                raise GenerationError(
                    f"dense region {code} lies outside the world's 시도 {list(w.stats.index)}")
            total, n_teams = int(whole.at[code, "households"]), float(whole.at[code, "welfare_teams"])
            parts = ref[(ref["sigungu_code"] == code) & ref["emd_code"].notna()]
            if len(parts):
                parts = parts.set_index("emd_code")
                if set(parts.index) != set(emd_codes[rows]):
                    raise GenerationError(
                        f"dense region {code}: the 읍면동 of demo_regions.csv do not match the "
                        "boundaries")
                fixed[rows] = parts["households"].reindex(emd_codes[rows]).to_numpy(np.int64)
                teams[rows] = parts["welfare_teams"].reindex(emd_codes[rows]).to_numpy(float)
            else:
                weight = w.emd_weight[rows] / w.emd_weight[rows].sum()
                counts = w.rng.multinomial(total, weight)
                fixed[rows] = counts
                teams[rows] = n_teams * counts / total
    w.emd_fixed = fixed
    w.emd_teams = teams


def sample_sido_shares(stats: pd.DataFrame, emd_sido: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """Share of the sample-density layer's households per 시도 (order of ``stats``): the 시도's
    census households less its dense regions' households."""
    households = stats["households_2023"].to_numpy(float)
    dense = pd.Series(np.where(fixed > 0, fixed, 0), index=emd_sido).groupby(level=0).sum()
    households = np.clip(households - dense.reindex(stats.index).fillna(0).to_numpy(float), 0, None)
    return households / households.sum()
