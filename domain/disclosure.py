"""Small-cell suppression for aggregate tables shown to planners, the ministry and the public.

Rule (DESIGN.md: "aggregates ... suppress cells of fewer than 5 households")
-------------------------------------------------------------------------------
Primary suppression
    A count cell with ``0 < count < min_count`` (1-4 with the default threshold 5, the
    setting ``ATLAS_MIN_CELL_COUNT`` read by :func:`min_cell_count`) is replaced by NaN. Zeros are shown by default: a zero
    discloses no individual, and hiding them makes maps needlessly grey. Pass
    ``suppress_zero=True`` where "nobody here has X" would itself be sensitive.
Derived suppression
    Columns computed from counts (rates, shares, means) are blanked in every row where a
    count they depend on was suppressed; otherwise the rate times the (shown) denominator
    gives the hidden count back.
Secondary (complementary) suppression
    If a published total makes a lone suppressed cell recoverable by subtraction, one more
    cell is suppressed:

    * ``group_col``: rows sharing a group value (e.g. 읍면동 rows of one 시군구) add up to
      a group total shown elsewhere. Per count column, when exactly one cell of a group is
      hidden, the smallest other cell of that group is suppressed too (the smallest
      positive one if any, else a zero; ties: first row).
    * ``row_total=True``: the count columns of a row add up to a row total shown elsewhere
      (e.g. households by tier). When exactly one count of a row is hidden, the smallest
      other count of that row is suppressed too.

    Both are applied repeatedly until nothing changes, since a complement in one direction
    can create a lone hidden cell in the other. A group with a single row cannot be
    protected this way (its cell equals the group total): that is logged at WARNING level
    and the publisher of the group total must suppress it.

Whole rows and exempt rows
    ``whole_row=True`` blanks every count of a row once one of them is suppressed (a map
    region either shows its numbers or none). Rows whose index label is in ``exempt`` are
    shown unsuppressed: the viewer may see them anyway (administrators; an outreach worker's
    own 읍면동). Services decide who is exempt (:func:`domain.access.sees_unsuppressed`).

Every aggregate the services publish goes through this module: tables through
:func:`suppress_small_cells`, single numbers through :func:`is_small`.

Counts that are already NaN in the input count as hidden for the secondary rule but are not
flagged as suppressed. The table itself must not contain total rows or total columns; pass
the parts and let the caller publish (suppressed) totals.

This is a practical rule of thumb for a dashboard, not an optimal cell-suppression solver
(such as tau-argus): in complex linked tables more cells than necessary may be hidden, and
tables linked in ways not described by ``group_col``/``row_total`` are not protected.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Hashable, Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from domain.errors import InputError
from geodata.settings import get_settings

__all__ = [
    "SUPPRESSED_COL",
    "DisclosureInputError",
    "is_small",
    "min_cell_count",
    "suppress_small_cells",
]

logger = logging.getLogger(__name__)

#: Name of the boolean column added to the output.
SUPPRESSED_COL = "suppressed"


class DisclosureInputError(InputError):
    """Raised when a table cannot be checked for disclosure."""


def min_cell_count() -> int:
    """The smallest count that may be shown: ``Settings.min_cell_count`` (``ATLAS_MIN_CELL_COUNT``,
    default 5, so cells of 1-4 are suppressed)."""
    return int(get_settings().min_cell_count)


def is_small(count: ArrayLike, *, min_count: int | None = None,
             suppress_zero: bool = False) -> np.ndarray | bool:
    """Whether a count (or each count of an array) must be suppressed: ``0 < count < min_count``
    (``0 <= count`` with ``suppress_zero``). NaN is never small.

    Parameters
    ----------
    count : number or array-like
        Non-negative counts.
    min_count : int, optional
        Threshold; default :func:`min_cell_count`.
    suppress_zero : bool, default False
        Also treat zero as small.
    """
    threshold = min_cell_count() if min_count is None else min_count
    values = np.asarray(count, dtype=float)
    small = (values < threshold) & ((values >= 0) if suppress_zero else (values > 0))
    return bool(small) if small.ndim == 0 else small


def suppress_small_cells(
    table: pd.DataFrame,
    *,
    count_cols: Sequence[str],
    min_count: int | None = None,
    derived_cols: Sequence[str] | Mapping[str, Sequence[str]] = (),
    group_col: str | None = None,
    row_total: bool = False,
    suppress_zero: bool | Sequence[str] = False,
    whole_row: bool = False,
    exempt: Collection[Hashable] = (),
) -> pd.DataFrame:
    """Hide small counts, the rates derived from them, and complementary cells.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per cell group (e.g. per 읍면동); not modified.
    count_cols : sequence of str
        Columns holding non-negative counts of households or persons.
    min_count : int, optional
        Counts ``0 < count < min_count`` are suppressed; default :func:`min_cell_count` (5).
    derived_cols : sequence of str or mapping of str to sequence of str, default ()
        Columns computed from counts. A sequence means "depends on every count column"; a
        mapping ``{derived: [count, ...]}`` names the counts each one depends on.
    group_col : str, optional
        Column whose values define row groups that add up to a published total; enables
        secondary suppression within each group (per count column).
    row_total : bool, default False
        The count columns of a row add up to a published row total; enables secondary
        suppression within each row.
    suppress_zero : bool or sequence of str, default False
        Also suppress zero counts (of every count column, or of the columns named).
    whole_row : bool, default False
        Suppress every count of a row in which any count is suppressed.
    exempt : collection of index labels, default ()
        Rows shown unsuppressed (the viewer may see them).

    Returns
    -------
    pandas.DataFrame
        A copy with suppressed cells set to NaN, count columns (and any integer derived
        column that had a cell suppressed) as float64, other columns unchanged, and a
        boolean column ``suppressed`` (True where any count of the row was suppressed,
        primary or secondary). Index and column order are preserved.

    Raises
    ------
    DisclosureInputError
        Missing or non-numeric columns, negative counts, a clash with ``suppressed``, or a
        bad ``min_count``; every problem is reported at once.

    Examples
    --------
    >>> t = pd.DataFrame({"sgg": ["A", "A", "A"], "n": [3, 10, 20]})
    >>> suppress_small_cells(t, count_cols=["n"], group_col="sgg")["n"].tolist()
    [nan, nan, 20.0]
    """
    min_count = min_cell_count() if min_count is None else min_count
    deps = _check_inputs(
        table,
        count_cols=count_cols,
        min_count=min_count,
        derived_cols=derived_cols,
        group_col=group_col,
    )
    cols = list(count_cols)
    counts = table[cols].to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(counts)
    zero_cols = cols if suppress_zero is True else list(suppress_zero or ())
    small = np.column_stack([is_small(counts[:, k], min_count=min_count,
                                      suppress_zero=col in zero_cols)
                             for k, col in enumerate(cols)])
    shown = table.index.isin(list(exempt))[:, None] if len(exempt) else False
    ours = small & ~missing & ~shown

    codes = None
    if group_col is not None:
        codes = pd.factorize(table[group_col], use_na_sentinel=False)[0]
    ours = _secondary(counts, ours, missing, codes=codes, row_total=row_total) & ~shown
    if whole_row:
        ours = np.repeat(ours.any(axis=1, keepdims=True), len(cols), axis=1)

    out = table.copy()
    for k, col in enumerate(cols):
        out[col] = np.where(ours[:, k], np.nan, counts[:, k])
    col_pos = {c: k for k, c in enumerate(cols)}
    for dcol, dep_cols in deps.items():
        hide = ours[:, [col_pos[c] for c in dep_cols]].any(axis=1)
        if hide.any():
            out[dcol] = out[dcol].mask(pd.Series(hide, index=out.index))
    out[SUPPRESSED_COL] = ours.any(axis=1)
    n_primary = int((small & ~missing & ~shown).sum())
    logger.debug(
        "suppress_small_cells: %d primary, %d secondary cell(s) suppressed",
        n_primary,
        int(ours.sum()) - n_primary,
    )
    return out


def _secondary(
    counts: np.ndarray,
    ours: np.ndarray,
    missing: np.ndarray,
    *,
    codes: np.ndarray | None,
    row_total: bool,
) -> np.ndarray:
    """Add complementary suppressions until no group or row has a lone hidden cell."""
    ours = ours.copy()
    warned: set[int] = set()
    # Ranking of candidate complements: smallest positive first, then zeros.
    rank_base = np.where(counts > 0, counts, np.finfo(float).max)
    for _ in range(counts.size + 1):  # each round adds at least one cell, so this bounds it
        changed = False
        if codes is not None:
            for k in range(counts.shape[1]):
                added = _complement_in_groups(
                    codes, ours[:, k], missing[:, k], rank_base[:, k], warned
                )
                if added.size:
                    ours[added, k] = True
                    changed = True
        if row_total:
            n_rows = counts.shape[0]
            added = _complement_in_groups(
                np.repeat(np.arange(n_rows), counts.shape[1]),
                ours.ravel(),
                missing.ravel(),
                rank_base.ravel(),
                None,
            )
            if added.size:
                ours[np.unravel_index(added, ours.shape)] = True
                changed = True
        if not changed:
            break
    return ours


def _complement_in_groups(
    codes: np.ndarray,
    ours: np.ndarray,
    missing: np.ndarray,
    rank_base: np.ndarray,
    warned: set[int] | None,
) -> np.ndarray:
    """Positions to suppress so that no group has exactly one hidden cell that is ours."""
    hidden = ours | missing
    n_groups = int(codes.max()) + 1 if codes.size else 0
    n_hidden = np.bincount(codes, weights=hidden.astype(float), minlength=n_groups)
    n_ours = np.bincount(codes, weights=ours.astype(float), minlength=n_groups)
    needy = (n_hidden == 1) & (n_ours == 1)
    if not needy.any():
        return np.empty(0, dtype=np.int64)
    key = np.where(hidden, np.inf, rank_base)
    order = np.lexsort((key, codes))
    first = order[np.r_[True, np.diff(codes[order]) != 0]]  # best candidate of each group
    first_group = codes[first]
    pick = first[needy[first_group] & np.isfinite(key[first])]
    if warned is not None:
        stuck = set(np.flatnonzero(needy).tolist()) - set(codes[pick].tolist()) - warned
        if stuck:
            logger.warning(
                "suppress_small_cells: %d group(s) have a single row; suppress their "
                "group totals where they are published",
                len(stuck),
            )
            warned.update(stuck)
    return pick.astype(np.int64)


def _check_inputs(
    table: object,
    *,
    count_cols: Sequence[str],
    min_count: int,
    derived_cols: Sequence[str] | Mapping[str, Sequence[str]],
    group_col: str | None,
) -> dict[str, list[str]]:
    """Validate; return ``{derived column: [count columns it depends on]}``."""
    if not isinstance(table, pd.DataFrame):
        raise DisclosureInputError(f"table must be a pandas.DataFrame, got {type(table).__name__}")
    problems: list[str] = []
    if isinstance(count_cols, str):
        problems.append("count_cols must be a sequence of column names, not a string")
        count_cols = [count_cols]
    cols = list(count_cols)
    if not cols:
        problems.append("count_cols is empty")
    if len(set(cols)) != len(cols):
        problems.append("count_cols has duplicates")
    if not isinstance(min_count, (int, np.integer)) or isinstance(min_count, bool) or min_count < 1:
        problems.append(f"min_count must be a positive integer, got {min_count!r}")
    if SUPPRESSED_COL in table.columns:
        problems.append(f"table already has a {SUPPRESSED_COL!r} column; drop or rename it")
    if not table.columns.is_unique:
        problems.append("table column names must be unique")

    absent = [c for c in cols if c not in table.columns]
    if absent:
        problems.append(f"count columns not in table: {absent}")
    for c in cols:
        if c in absent:
            continue
        s = table[c]
        if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
            problems.append(f"count column {c!r} must be numeric, got dtype {s.dtype}")
        elif (s.to_numpy(dtype=float, na_value=np.nan) < 0).any():
            problems.append(f"count column {c!r} has negative values")
        elif np.isinf(s.to_numpy(dtype=float, na_value=np.nan)).any():
            problems.append(f"count column {c!r} has infinite values")

    if isinstance(derived_cols, str):
        problems.append("derived_cols must be a sequence or mapping, not a string")
        derived_cols = [derived_cols]
    if isinstance(derived_cols, Mapping):
        deps = {d: [dep] if isinstance(dep, str) else list(dep) for d, dep in derived_cols.items()}
    else:
        deps = {d: list(cols) for d in derived_cols}
    for d, dep in deps.items():
        if d not in table.columns:
            problems.append(f"derived column {d!r} not in table")
        if d in cols:
            problems.append(f"{d!r} is both a count and a derived column")
        unknown = [c for c in dep if c not in cols]
        if unknown:
            problems.append(f"derived column {d!r} depends on non-count columns {unknown}")
        if not dep:
            problems.append(f"derived column {d!r} depends on no count column")

    if group_col is not None:
        if group_col not in table.columns:
            problems.append(f"group_col {group_col!r} not in table")
        elif group_col in cols:
            problems.append(f"group_col {group_col!r} is also a count column")
    if problems:
        raise DisclosureInputError("cannot suppress table: " + "; ".join(problems))
    return deps
