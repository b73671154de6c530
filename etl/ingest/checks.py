"""Per-row problem collection: every problem of every row, vectorised."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from etl.ingest.read import RawTable

#: Lines listed per reason in a message.
MAX_LINES_SHOWN: Final = 5


class Checks:
    """Collects every problem of every row, vectorised: one call per check and column."""

    def __init__(self, n: int, raw: RawTable) -> None:
        self.n = n
        self.raw = raw
        self._parts: list[tuple[np.ndarray, str, np.ndarray]] = []
        self._warnings: list[tuple[np.ndarray, str]] = []

    def add(self, mask: np.ndarray | pd.Series, category: str, messages: pd.Series | str) -> None:
        """Reject rows where ``mask`` holds, with ``messages`` (aligned Series or one text)."""
        mask = np.asarray(mask, dtype=bool)
        pos = np.flatnonzero(mask)
        if not len(pos):
            return
        if isinstance(messages, str):
            msgs = np.full(len(pos), messages, dtype=object)
        else:
            msgs = np.asarray(pd.Series(messages).to_numpy(dtype=object))
            msgs = msgs[pos] if len(msgs) == self.n else msgs
        self._parts.append((pos, category, msgs))

    def warn(self, mask: np.ndarray, category: str) -> None:
        """Count rows where ``mask`` holds under a warning (the rows are still loaded)."""
        self._warnings.append((np.flatnonzero(np.asarray(mask, dtype=bool)), category))

    def rejected_mask(self) -> np.ndarray:
        out = np.zeros(self.n, dtype=bool)
        for pos, _, _ in self._parts:
            out[pos] = True
        return out

    def current(self) -> np.ndarray:
        """Rows without a problem so far."""
        return ~self.rejected_mask()

    def counts(self) -> dict[str, int]:
        totals: dict[str, set[int]] = {}
        for pos, cat, _ in self._parts:
            totals.setdefault(cat, set()).update(pos.tolist())
        return dict(
            sorted(((c, len(p)) for c, p in totals.items()), key=lambda kv: (-kv[1], kv[0]))
        )

    def warning_counts(self, loaded: np.ndarray) -> dict[str, int]:
        out: dict[str, int] = {}
        for pos, cat in self._warnings:
            k = int(loaded[pos].sum())
            if k:
                out[cat] = out.get(cat, 0) + k
        return out

    def reasons(self) -> pd.Series:
        """Per row, its reasons joined with "; " (empty for valid rows), in check order."""
        if not self._parts:
            return pd.Series([""] * self.n, dtype=object)
        pos = np.concatenate([p for p, _, _ in self._parts])
        order = np.concatenate([np.full(len(p), i) for i, (p, _, _) in enumerate(self._parts)])
        msgs = np.concatenate([m for _, _, m in self._parts])
        df = pd.DataFrame({"pos": pos, "order": order, "msg": msgs}).sort_values(
            ["pos", "order"], kind="stable"
        )
        joined = df.groupby("pos", sort=True)["msg"].agg("; ".join)
        out = pd.Series([""] * self.n, dtype=object)
        out.iloc[joined.index.to_numpy()] = joined.to_numpy(dtype=object)
        return out

    def first_lines(self, category: str, k: int) -> list[int]:
        pos: set[int] = set()
        for p, cat, _ in self._parts:
            if cat == category:
                pos.update(p.tolist())
        return sorted(int(self.raw.lines[i]) for i in pos)[:k]


def rejected_message(
    path: Path, n_rej: int, n_read: int, limit: float, checks: Checks, quarantine: Path
) -> str:
    label = checks.raw.line_label
    top = list(checks.counts().items())[:5]
    lines = "\n".join(
        f"  - {cat}: {n} rows ({label}s {', '.join(map(str, checks.first_lines(cat, MAX_LINES_SHOWN)))}"
        f"{', ...' if n > MAX_LINES_SHOWN else ''})"
        for cat, n in top
    )
    return (
        f"{path}: {n_rej} of {n_read} rows rejected ({n_rej / n_read:.1%}), more than "
        f"max_reject_share {limit:.1%}; nothing was written to the store.\n"
        f"Top reasons:\n{lines}\n"
        f"Every rejected row and its reasons: {quarantine}"
    )
