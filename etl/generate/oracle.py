"""The oracle file: each household's true expected outcome at every cycle, kept out of the store.

Only the evaluation test and the model card's "estimate vs truth" row read it
(:func:`read_oracle`); nothing loads it into a table a model reads. The file is Parquet with
``household_id, cycle_date, p_supported_if_reached, p_reached``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from etl.generate.world import CYCLE_MONTHS, FIRST_MONTH

ORACLE_COLUMNS = ("household_id", "cycle_date", "p_supported_if_reached", "p_reached")


def oracle_frame(p_supported: np.ndarray, p_reached: np.ndarray) -> pd.DataFrame:
    """Long frame of the oracle: one row per household and cycle.

    Parameters
    ----------
    p_supported
        ``(n_households, n_cycles)`` P(supported | reached) at each cycle month.
    p_reached
        ``(n_households,)`` P(reached) at a visit.
    """
    n, c = p_supported.shape
    cycle_dates = (FIRST_MONTH + CYCLE_MONTHS).astype("datetime64[D]").astype("datetime64[ns]")
    return pd.DataFrame(
        {
            "household_id": np.repeat(np.arange(1, n + 1, dtype=np.int64), c),
            "cycle_date": np.tile(cycle_dates, n),
            "p_supported_if_reached": p_supported.reshape(-1).astype(np.float32),
            "p_reached": np.repeat(p_reached.astype(np.float32), c),
        }
    )


def write_oracle(path: Path | str, p_supported: np.ndarray, p_reached: np.ndarray) -> Path:
    """Write the oracle file (atomically: a temporary file renamed into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    oracle_frame(p_supported, p_reached).to_parquet(tmp, index=False)
    tmp.replace(path)
    return path


def read_oracle(path: Path | str) -> pd.DataFrame:
    """Read an oracle file written by :func:`write_oracle`."""
    frame = pd.read_parquet(path)
    missing = set(ORACLE_COLUMNS) - set(frame.columns)
    if missing:
        raise ValueError(f"{path} is not an oracle file: columns {sorted(missing)} are missing")
    return frame
