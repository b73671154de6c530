"""Column builders shared by the steps: categorical draws and Arrow dictionary strings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa


def choice_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of ``probs`` (vectorised inverse CDF)."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None] * cdf[:, -1:]
    return (u > cdf).sum(axis=1)




def dict_text(codes: np.ndarray, categories: np.ndarray) -> pd.Series:
    """Strings ``categories[codes]`` built in Arrow (much faster than numpy unicode arrays)."""
    dictionary = pa.DictionaryArray.from_arrays(pa.array(codes, type=pa.int32()), pa.array(categories))
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([dictionary.cast(pa.string())])))


def vocab_text(values: np.ndarray, vocabulary: np.ndarray) -> pd.Series:
    """Strings of ``values`` (all in the small ``vocabulary``) through :func:`dict_text`."""
    index = np.zeros(len(values), dtype=np.int32)
    for i, code in enumerate(vocabulary):
        index[values == code] = i
    return dict_text(index, vocabulary.astype(object))
