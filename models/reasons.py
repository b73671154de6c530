"""Per-household reasons: the top factors behind a score, in plain Korean.

Contributions are computed per *reason group* (all features of one crisis source, one
safety-net channel, housing, tenure, household type, …; see ``FeatureSpec.group``) on the
model's log-odds scale, by a method faithful to each model:

``logit`` (scorecard)
    exact: ``coef_j / scale_j × (x_j − b_j)`` summed over the group's features, where ``b`` is the
    "factor absent" baseline (0 signals or reports; the training mean for attributes that cannot
    be absent). Replacing a group by its baseline changes the log-odds by exactly its contribution.
``hgb`` (gradient boosting)
    Saabas path contributions: for every tree the change of the expected value (training-count
    weighted mean of the leaves below) along the row's decision path is credited to the split
    feature. The contributions sum exactly to the raw score minus the trees' expected value. The
    row's leaf in each tree is found by the compiled predictor itself (a copy of each tree whose
    leaf values are the leaf ids), so the cost is one prediction pass plus a gather per tree.
    This uses scikit-learn internals (``_predictors``); if they change, an exact interventional
    method (replace each group by its baseline and re-predict) is used instead.
``legacy``
    one unit per economic source with a signal (the rule's own count).

The top three positive groups become the reasons, with a label built from the household's own
values ("전기요금 3개월 체납", "독거 노인", "인적안전망 신고 2건").
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from geodata.vocabulary import (
    CRISIS_SOURCES,
    HOUSEHOLD_TYPES,
    HOUSING_TYPES,
    SAFETY_NET_CHANNELS,
    TENURES,
    URBAN_CLASSES,
    codes,
)
from models.features import FeatureSpec

__all__ = [
    "baseline_values",
    "contributions",
    "current_reasons",
    "group_codes",
    "present_mask",
    "reasons_json",
    "score_and_contributions",
    "top_groups",
]

log = logging.getLogger(__name__)

_SOURCES = {s.code: s for s in CRISIS_SOURCES}
_CHANNELS = {c.code: c for c in SAFETY_NET_CHANNELS}
_URBAN_EN = {c.code: c.en for c in URBAN_CLASSES}


def group_codes(specs: Sequence[FeatureSpec]) -> tuple[list[str], np.ndarray]:
    """Reason groups in first-seen order and the group index of each feature."""
    groups = list(dict.fromkeys(s.group for s in specs))
    pos = {g: i for i, g in enumerate(groups)}
    return groups, np.array([pos[s.group] for s in specs], dtype=np.int64)


def baseline_values(specs: Sequence[FeatureSpec], X: pd.DataFrame) -> np.ndarray:
    """The "factor absent" value per feature: ``spec.baseline`` or the column mean of ``X``."""
    means = X.mean(axis=0, skipna=True).to_numpy(np.float64)
    base = np.array([np.nan if s.baseline is None else s.baseline for s in specs], dtype=np.float64)
    return np.where(np.isnan(base), np.nan_to_num(means), base)


# --------------------------------------------------------------------------- contributions
def _group_sum(feature_contrib: np.ndarray, group_of: np.ndarray, n_groups: int) -> np.ndarray:
    M = np.zeros((group_of.size, n_groups), dtype=np.float32)
    M[np.arange(group_of.size), group_of] = 1.0
    return feature_contrib.astype(np.float32) @ M


def _logit_contrib(pipe, X: np.ndarray, baseline: np.ndarray) -> np.ndarray:
    imputer, scaler, logit = pipe.named_steps["impute"], pipe.named_steps["scale"], pipe.named_steps["logit"]
    Xi = imputer.transform(X)
    coef = logit.coef_.ravel() / np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    return (Xi - baseline[None, :]) * coef[None, :]


def _tree_tables(predictor, group_of: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Per node: path contribution vector over groups (rows) and the expected value."""
    nodes = predictor.nodes
    n = nodes.size
    expected = nodes["value"].astype(np.float64).copy()
    count = nodes["count"].astype(np.float64)
    left, right, leaf = nodes["left"], nodes["right"], nodes["is_leaf"].astype(bool)
    for i in range(n - 1, -1, -1):  # children have larger indices than their parent
        if not leaf[i]:
            cl, cr = count[left[i]], count[right[i]]
            expected[i] = (cl * expected[left[i]] + cr * expected[right[i]]) / max(cl + cr, 1.0)
    path = np.zeros((n, n_groups), dtype=np.float32)
    for i in range(n):
        if not leaf[i]:
            g = group_of[nodes["feature_idx"][i]]
            for child in (left[i], right[i]):
                path[child] = path[i]
                path[child, g] += expected[child] - expected[i]
    return path, expected


def _hgb_contrib(model, X: np.ndarray, group_of: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Saabas contributions and the raw score (sum of leaf values) from one pass over the trees."""
    from scipy import sparse
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

    known, f_idx_map = model._bin_mapper.make_known_categories_bitsets()
    n_threads = _openmp_effective_n_threads()
    Xc = np.asfortranarray(X, dtype=np.float64)  # column-major is several times faster here
    n = Xc.shape[0]
    paths, leaf_predictors = [], []
    for (pred,) in model._predictors:
        path, _ = _tree_tables(pred, group_of, n_groups)
        paths.append(path)
        ids = pred.nodes.copy()
        ids["value"] = np.arange(ids.size, dtype=np.float64)
        leaf_predictors.append(TreePredictor(ids, pred.binned_left_cat_bitsets, pred.raw_left_cat_bitsets))
    offsets = np.r_[0, np.cumsum([p.shape[0] for p in paths])[:-1]]
    stacked = np.vstack(paths)  # all nodes of all trees x groups
    n_trees = len(paths)
    # Row i's leaf in tree t -> column offset_t + leaf; contributions = indicator @ stacked paths.
    leaves = np.empty((n, n_trees), dtype=np.int32)
    for t, lp in enumerate(leaf_predictors):
        leaves[:, t] = lp.predict(Xc, known, f_idx_map, n_threads).astype(np.int32) + offsets[t]
    indicator = sparse.csr_matrix(
        (np.ones(n * n_trees, dtype=np.float32), leaves.ravel(), np.arange(0, n * n_trees + 1, n_trees)),
        shape=(n, stacked.shape[0]),
    )
    contrib = np.asarray(indicator @ stacked, dtype=np.float32)
    leaf_values = np.concatenate([pred.nodes["value"] for (pred,) in model._predictors])
    raw = float(np.ravel(model._baseline_prediction)[0]) + indicator @ leaf_values.astype(np.float64)
    return contrib, np.asarray(raw, dtype=np.float64)


def _interventional(predict_raw, X: np.ndarray, baseline: np.ndarray, group_of: np.ndarray,
                    n_groups: int) -> np.ndarray:  # fmt: skip
    full = predict_raw(X)
    out = np.zeros((X.shape[0], n_groups), dtype=np.float32)
    for g in range(n_groups):
        cols = np.flatnonzero(group_of == g)
        Xg = X.copy()
        Xg[:, cols] = baseline[cols]
        out[:, g] = full - predict_raw(Xg)
    return out


def score_and_contributions(
    kind: str,
    model,
    X: pd.DataFrame | np.ndarray,
    *,
    specs: Sequence[FeatureSpec],
    baseline: np.ndarray,
    legacy_columns: Sequence[int] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """Raw score (log-odds; the count for the legacy rule) and group contributions of each row.

    Parameters
    ----------
    kind : {'logit', 'hgb', 'legacy'}
    model : fitted estimator
        The *uncalibrated* base model (calibration is monotone and does not change the order).
    X : DataFrame or ndarray
        Features in ``specs`` order.
    specs : sequence of FeatureSpec
    baseline : ndarray
        From :func:`baseline_values`.
    legacy_columns : sequence of int
        Column positions counted by the legacy rule (``kind='legacy'`` only).

    Returns
    -------
    raw : ndarray of shape (n,)
    contributions : ndarray of shape (n, n_groups)
        Groups in :func:`group_codes` order.
    """
    groups, group_of = group_codes(specs)
    Xa = np.asarray(X, dtype=np.float64)
    if kind == "logit":
        return model.decision_function(Xa), _group_sum(_logit_contrib(model, Xa, baseline), group_of, len(groups))
    if kind == "hgb":
        try:
            contrib, raw = _hgb_contrib(model, Xa, group_of, len(groups))
            return raw, contrib
        except (AttributeError, ImportError, TypeError, ValueError) as exc:  # internals changed
            log.warning("path contributions unavailable (%s); using interventional contributions", exc)
            return model.decision_function(Xa), _interventional(
                lambda A: model.decision_function(A), Xa, baseline, group_of, len(groups)
            )
    if kind == "legacy":
        feat = np.zeros_like(Xa, dtype=np.float32)
        cols = list(legacy_columns)
        feat[:, cols] = (Xa[:, cols] > 0).astype(np.float32)
        return feat.sum(axis=1).astype(np.float64), _group_sum(feat, group_of, len(groups))
    raise ValueError(f"unknown model kind {kind!r}")


def contributions(
    kind: str,
    model,
    X: pd.DataFrame | np.ndarray,
    *,
    specs: Sequence[FeatureSpec],
    baseline: np.ndarray,
    legacy_columns: Sequence[int] = (),
) -> np.ndarray:
    """Contribution of each reason group to each row's log-odds, shape ``(n, n_groups)``.

    See :func:`score_and_contributions`.
    """
    return score_and_contributions(
        kind, model, X, specs=specs, baseline=baseline, legacy_columns=legacy_columns
    )[1]


#: Reason groups that describe the past, not the current crisis: shown as context on the case
#: page (its histories), never as a reason a household is on the list.
CONTEXT_GROUPS = frozenset({"hh:history"})


def _present(group: str, X: pd.DataFrame) -> np.ndarray:
    """Rows of ``X`` where the factor of ``group`` is actually there now."""
    if group in CONTEXT_GROUPS:
        return np.zeros(len(X), dtype=bool)
    if group.startswith("sig:"):  # a signal in the last 12 months (the count the label shows)
        return _int(X, f"sig__{group[4:]}__n12").to_numpy() >= 1
    if group.startswith("sn:"):
        return _int(X, f"sn__{group[3:]}__n12").to_numpy() >= 1
    column = {"hh:disabled": "hh__n_disabled", "hh:children": "hh__n_children",
              "hh:multicultural": "hh__multicultural"}.get(group)  # fmt: skip
    if column is not None:
        return _int(X, column).to_numpy() >= 1
    if group.startswith("rg:") and group != "rg:context":  # designations: in one now
        cols = [c for c in X.columns if c.startswith(group.replace(":", "__", 1) + "__")
                or c == group.replace(":", "__", 1)]  # fmt: skip
        return (X[cols].fillna(0).to_numpy() > 0).any(axis=1) if cols else np.zeros(len(X), dtype=bool)
    return np.ones(len(X), dtype=bool)


def present_mask(X: pd.DataFrame, groups: Sequence[str]) -> np.ndarray:
    """``(n, len(groups))``: True where the group may be a reason for the row.

    A reason must be something the household has now: a crisis signal or safety-net report in
    the last 12 months (never "1개월 연체" for a household without arrears), a member with a
    disability, a designation in force, ...; past consultations and support are context only
    (:data:`CONTEXT_GROUPS`).
    """
    return np.column_stack([_present(g, X) for g in groups]) if groups else np.zeros((len(X), 0), dtype=bool)


def top_groups(contrib: np.ndarray, *, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Indices and weights of the ``k`` largest positive contributions per row (-1 if fewer)."""
    k = min(k, contrib.shape[1])
    part = np.argpartition(-contrib, kth=k - 1, axis=1)[:, :k]
    w = np.take_along_axis(contrib, part, axis=1)
    order = np.argsort(-w, axis=1, kind="stable")
    idx = np.take_along_axis(part, order, axis=1)
    w = np.take_along_axis(w, order, axis=1)
    idx = np.where(w > 1e-6, idx, -1)
    return idx, np.where(idx >= 0, w, 0.0)


# --------------------------------------------------------------------------- labels
def _onehot_choice(X: pd.DataFrame, prefix: str, vocab: Sequence[str]) -> np.ndarray:
    cols = [f"{prefix}{c}" for c in vocab]
    if not all(c in X for c in cols):
        return np.full(len(X), "", dtype=object)
    arr = X[cols].to_numpy()
    return np.where(arr.max(axis=1) > 0, np.asarray(vocab, dtype=object)[arr.argmax(axis=1)], "")


def _int(X: pd.DataFrame, col: str) -> pd.Series:
    if col not in X:
        return pd.Series(0, index=X.index)
    return X[col].fillna(0).round().astype(np.int64)


def _labels(group: str, X: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Korean and English labels of ``group`` for the rows of ``X``."""
    idx = X.index
    if group.startswith("sig:"):
        s = _SOURCES[group[4:]]
        n12 = _int(X, f"sig__{s.code}__n12").astype(str)  # >= 1: present_mask keeps no other
        if s.ko.endswith((" 체납", " 연체")):
            stem, verb = s.ko.rsplit(" ", 1)
            ko = stem + " " + n12 + "개월 " + verb
        elif s.unit == "event":
            ko = s.ko + " (최근 12개월 " + n12 + "회)"
        else:
            ko = s.ko + " (최근 12개월 중 " + n12 + "개월)"
        return ko, s.en + " (" + n12 + " of the last 12 months)"
    if group.startswith("sn:"):
        c = _CHANNELS[group[3:]]
        n = _int(X, f"sn__{c.code}__n12")
        many = n > 1
        ko = pd.Series(c.ko, index=idx).where(~many, c.ko + " " + n.astype(str) + "건")
        en = pd.Series(c.en, index=idx).where(~many, c.en + " (" + n.astype(str) + ")")
        return ko, en
    if group == "hh:type":
        v = _onehot_choice(X, "hh__type__", codes(HOUSEHOLD_TYPES))
        m = {c.code: c for c in HOUSEHOLD_TYPES}
        ko = pd.Series([m[c].ko if c in m else "가구 유형" for c in v], index=idx)
        en = pd.Series([m[c].en if c in m else "household type" for c in v], index=idx)
        return ko, en
    if group == "hh:housing":
        v = _onehot_choice(X, "hh__housing__", codes(HOUSING_TYPES))
        m = {c.code: c for c in HOUSING_TYPES}
        return (pd.Series([(m[c].ko if c in m else "주거") + " 거주" for c in v], index=idx),
                pd.Series(["living in " + (m[c].en if c in m else "housing") for c in v], index=idx))  # fmt: skip
    if group == "hh:tenure":
        v = _onehot_choice(X, "hh__tenure__", codes(TENURES))
        m = {c.code: c for c in TENURES}
        return (pd.Series([(m[c].ko if c in m else "점유 형태") + " 거주" for c in v], index=idx),
                pd.Series([m[c].en if c in m else "tenure" for c in v], index=idx))  # fmt: skip
    if group == "hh:age":
        eld = _int(X, "hh__n_elderly")
        age = _int(X, "hh__head_age").astype(str)
        ko = ("가구주 " + age + "세").where(eld == 0, "노인 가구원 " + eld.astype(str) + "명")
        en = ("head aged " + age).where(eld == 0, eld.astype(str) + " older member(s)")
        return ko, en
    if group == "hh:disabled":
        n = _int(X, "hh__n_disabled").astype(str)
        return "장애인 가구원 " + n + "명", n + " disabled member(s)"
    if group == "hh:children":
        n = _int(X, "hh__n_children").astype(str)
        return "아동 " + n + "명 양육", "raising " + n + " child(ren)"
    if group == "hh:economy":
        inc = (np.expm1(X["hh__log_income_pc"].fillna(0)) / 10_000).round().astype(np.int64).astype(str)
        return "1인당 월소득 " + inc + "만원", "monthly income per member " + inc + "0k KRW"
    fixed = {
        "hh:multicultural": ("다문화 가구", "multicultural household"),
        "hh:history": ("과거 상담·지원 이력", "past consultations or support"),
        "rg:employment_crisis": ("고용위기지역 거주", "lives in an employment-crisis area"),
        "rg:special_disaster": ("특별재난지역 거주", "lives in a special disaster area"),
    }
    if group == "rg:context":
        v = _onehot_choice(X, "rg__urban__", ["대도시", "중소도시", "농어촌"])
        return (pd.Series([f"지역 여건({c})" if c else "지역 여건" for c in v], index=idx),
                pd.Series([f"local context ({_URBAN_EN.get(c, c)})" if c else "local context" for c in v],
                          index=idx))  # fmt: skip
    ko, en = fixed.get(group, (group, group))
    return pd.Series(ko, index=idx), pd.Series(en, index=idx)


def current_reasons(contrib: np.ndarray, X: pd.DataFrame, groups: Sequence[str], *, k: int = 3) -> np.ndarray:
    """Reasons JSON per row from the ``k`` largest contributions among the factors present now.

    The one place scoring (in memory and batch) turns contributions into reasons: groups the
    household does not have (:func:`present_mask`) and context groups never become reasons.
    """
    masked = np.where(present_mask(X, groups), contrib, 0.0)
    idx, w = top_groups(masked, k=k)
    return reasons_json(idx, w, X, groups)


def reasons_json(
    top_idx: np.ndarray,
    top_w: np.ndarray,
    X: pd.DataFrame,
    groups: Sequence[str],
) -> np.ndarray:
    """JSON list ``[{code, label_ko, label_en, weight}, ...]`` per row (object array).

    Labels are built per group on the rows that need them, then JSON-encoded once per distinct
    label, so the cost is a few vector operations per group rather than per row.
    """
    n, k = top_idx.shape
    X = X.reset_index(drop=True)
    pieces = np.full((n, k), "", dtype=object)
    for r in range(k):
        col = top_idx[:, r]
        for g in np.unique(col[col >= 0]):
            rows = np.flatnonzero(col == g)
            ko, en = _labels(groups[g], X.iloc[rows])
            key = pd.Series(ko).to_numpy(dtype=object) + "\x1f" + pd.Series(en).to_numpy(dtype=object)
            codes_, uniq = pd.factorize(key)
            enc = np.array(
                [json.dumps({"code": groups[g], "label_ko": a, "label_en": b}, ensure_ascii=False)[:-1]
                 for a, b in (u.split("\x1f") for u in uniq)],
                dtype=object,
            )
            weight = np.round(top_w[rows, r], 3).astype(str).astype(object)
            pieces[rows, r] = enc[codes_] + ', "weight": ' + weight + "}"
    out = np.full(n, "[", dtype=object)
    for r in range(k):
        has = pieces[:, r] != ""
        sep = "" if r == 0 else ", "
        out = np.where(has, out + sep + pieces[:, r], out)
    return out + "]"
