"""The quarantine file: rejected rows with their line and reasons."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from etl.ingest.read import RawTable


def write_quarantine(
    raw: RawTable, rejected: np.ndarray, reasons: pd.Series, kind: str, folder: Path | None
) -> Path:
    """Write rejected rows (line, reason, original columns) to a UTF-8-with-BOM CSV atomically."""
    if folder is None:
        from geodata.settings import get_settings

        folder = get_settings().data_dir / "quarantine"
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{kind}-{stamp}.csv"
    original = raw.frame.loc[rejected].reset_index(drop=True)
    line_col = raw.line_label if raw.line_label not in original.columns else f"_{raw.line_label}"
    reason_col = "reason" if "reason" not in original.columns else "_reason"
    out = pd.DataFrame(
        {line_col: raw.lines[rejected], reason_col: reasons.to_numpy(dtype=object)[rejected]}
    )
    out = pd.concat([out, original], axis=1)
    if raw.geometry is not None:
        geoms = np.asarray(raw.geometry, dtype=object)[rejected]
        out["geometry_wkt"] = [
            None if g is None else shapely.to_wkt(g, rounding_precision=-1) for g in geoms
        ]
    fd, tmp_name = tempfile.mkstemp(prefix=f".{kind}-", suffix=".csv.tmp", dir=folder)  # mode 0600
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
            out.to_csv(fh, index=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
