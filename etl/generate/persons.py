"""Step 7: the members of every household, with synthetic names and masked RRNs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from etl.generate.columns import dict_text, vocab_text
from etl.generate.world import AS_OF, World


def draw_persons(w: World) -> None:
    """Members with synthetic Korean names and masked resident registration numbers."""
    rng = w.rng
    size = w.size.astype(np.int64)
    hh = np.repeat(np.arange(w.n), size)
    pos = np.arange(len(hh)) - np.repeat(np.cumsum(size) - size, size)
    htype = w.htype[hh]
    n_child = w.n_children[hh]
    n_adult = size[hh] - n_child
    relation = np.where(pos == 0, "head", np.where((pos == 1) & (n_adult >= 2), "spouse",
                        np.where(pos >= n_adult, "child", "other")))
    head_age = w.head_age[hh].astype(int)
    age = np.where(relation == "head", head_age,
                   np.where(relation == "spouse", head_age + rng.integers(-4, 5, len(hh)),
                            np.where(relation == "child", rng.integers(0, 18, len(hh)),
                                     np.where(w.n_elderly[hh] > (head_age >= 65),
                                              rng.integers(65, 92, len(hh)),
                                              rng.integers(18, 64, len(hh))))))
    age = np.clip(age, 0, 100)
    birth_year = (AS_OF.year - age).astype(np.int16)
    sex = np.where(rng.random(len(hh)) < np.where(htype == "single_elderly", 0.72, 0.5), "F", "M")
    sex = np.where(relation == "spouse", np.where(sex[np.maximum(np.arange(len(hh)) - 1, 0)] == "M", "F", "M"), sex)
    disabled = np.zeros(len(hh), dtype=bool)
    # distribute the household's disabled count over its first members
    disabled[pos < w.n_disabled[hh]] = True
    disability = np.where(disabled, np.where(rng.random(len(hh)) < 0.38, "severe", "mild"), "none")
    names = _korean_names(rng, len(hh), sex)
    rrn = _masked_rrn(rng, birth_year, sex)
    w.persons = pd.DataFrame(
        {
            "person_id": np.arange(1, len(hh) + 1, dtype=np.int64),
            "household_id": hh.astype(np.int64) + 1,
            "name": names,
            "rrn_masked": rrn,
            "birth_year": birth_year,
            "sex": vocab_text(sex, np.array(["F", "M"])),
            "disability": vocab_text(disability, np.array(["none", "mild", "severe"])),
            "relation": vocab_text(relation, np.array(["head", "spouse", "child", "other"])),
        }
    )



_SURNAMES = np.array(list("김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진나지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예경봉사부가복태목형피두감음빈동온호범좌팽승간상시갈서"))
_SURNAME_P = np.concatenate([[0.215, 0.147, 0.084, 0.047, 0.043, 0.023, 0.021, 0.021, 0.02, 0.02, 0.015,
                              0.014, 0.014, 0.014, 0.013, 0.012, 0.012, 0.012, 0.011, 0.011, 0.011, 0.01]])
_GIVEN_M = np.array(list("민준서도현우지훈성진영호재석동건태상철수경민기"))
_GIVEN_F = np.array(list("서지민수하은영현주윤아연희정미경숙혜유진나예채"))


def _korean_names(rng: np.random.Generator, n: int, sex: np.ndarray) -> pd.Series:
    """Synthetic Korean names: a surname drawn by published frequency and two given syllables."""
    k = len(_SURNAME_P)
    rest = len(_SURNAMES) - k
    p = np.concatenate([_SURNAME_P, np.full(rest, (1 - _SURNAME_P.sum()) / rest)])
    surname = rng.choice(len(_SURNAMES), n, p=p)
    g = len(_GIVEN_M)
    if len(_GIVEN_F) != g:
        raise AssertionError("given-name syllable lists must have the same length")
    given = rng.integers(0, g, n) * g + rng.integers(0, g, n)
    female = (sex == "F").astype(np.int64)
    pool = [
        s + a + b
        for s in _SURNAMES
        for syllables in (_GIVEN_M, _GIVEN_F)
        for a in syllables
        for b in syllables
    ]  # every possible name once (a few hundred thousand), then indexed
    index = (surname * 2 + female) * g * g + given
    return dict_text(index, np.array(pool, dtype=object))


def _masked_rrn(rng: np.random.Generator, birth_year: np.ndarray, sex: np.ndarray) -> pd.Series:
    """Masked resident registration numbers such as ``850101-1******`` (birth date, sex digit)."""
    month = rng.integers(1, 13, len(birth_year))
    day = rng.integers(1, 29, len(birth_year))
    digit = np.where(birth_year >= 2000, 3, 1) + (sex == "F")
    yy = birth_year.astype(np.int64) % 100
    pool = [f"{y:02d}{m:02d}{d:02d}-{s}******" for y in range(100) for m in range(1, 13) for d in range(1, 29) for s in range(1, 5)]
    index = ((yy * 12 + (month - 1)) * 28 + (day - 1)) * 4 + (digit - 1)
    return dict_text(index, np.array(pool, dtype=object))

