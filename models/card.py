"""Model card: an HTML page with PNG plots, written from a training report or the registry.

Plots are drawn with Matplotlib's object API on the Agg canvas (no pyplot, no global backend
change). A Korean-capable font (Noto Sans CJK, Debian ``fonts-noto-cjk``) is used when installed;
without one, labels fall back to English so that no glyph is missing (and no warning raised).
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from geodata.vocabulary import HOUSEHOLD_TYPES, HOUSING_TYPES, label
from models.card_figures import figures_markdown
from models.evaluation import capacity_selection
from models.registry import load_model
from models.training import LEGACY, REFERENCE_SYSTEMS, TrainingReport

__all__ = ["EXTRAS", "write_model_card"]

#: Tables the card reads from ``<out_dir>/<name>.json`` when the registry metadata lacks them.
EXTRAS = ("truth", "sensitivity")

log = logging.getLogger(__name__)

_FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/truetype/noto"))
_MODEL_NAMES = {"legacy": ("개수 규칙", "count rule"), "logit": ("로지스틱 점수표", "logistic scorecard"),
                "hgb": ("그래디언트 부스팅", "gradient boosting"),
                "as_is_xgb": ("현행 XGBoost", "as-is XGBoost")}  # fmt: skip


def _korean_font() -> str | None:
    """Register a Noto Sans CJK font with Matplotlib and return its family name (or None)."""
    from matplotlib import font_manager

    for d in _FONT_DIRS:
        for path in sorted(d.glob("NotoSansCJK*Regular*")) if d.exists() else []:
            try:
                font_manager.fontManager.addfont(str(path))
                return font_manager.FontProperties(fname=str(path)).get_name()
            except (OSError, RuntimeError, ValueError):  # unreadable font file
                continue
    return None


def _save(fig: Figure, path: Path) -> None:
    FigureCanvasAgg(fig)
    fig.savefig(path, dpi=110, bbox_inches="tight")


def _curves(y: np.ndarray, score: np.ndarray, sw: np.ndarray) -> tuple[np.ndarray, ...]:
    order = np.argsort(-score, kind="stable")
    s, yy, w = score[order], y[order], sw[order]
    last = np.r_[s[1:] != s[:-1], True]
    tp = np.cumsum(w * yy)[last]
    fp = np.cumsum(w * (1 - yy))[last]
    P, N = max(tp[-1], 1e-12), max(fp[-1], 1e-12)
    tpr, fpr = np.r_[0, tp / P], np.r_[0, fp / N]
    precision = tp / np.maximum(tp + fp, 1e-12)
    return fpr, tpr, tp / P, precision


def _plots(ev: Mapping[str, Any], out: Path, ko: bool) -> dict[str, str]:
    y = np.asarray(ev["y"]).astype(float)
    sw = np.asarray(ev.get("sample_weight", np.ones(y.size)), dtype=float)
    name = {m: _MODEL_NAMES.get(m, (m, m))[0 if ko else 1] for m in ev["scores"]}
    files: dict[str, str] = {}

    fig = Figure(figsize=(10, 4.2))
    a1, a2 = fig.subplots(1, 2)
    for m, score in ev["scores"].items():
        fpr, tpr, rec, prec = _curves(y, np.asarray(score, dtype=float), sw)
        a1.plot(fpr, tpr, label=name[m], drawstyle="steps-post" if m == LEGACY else "default")
        a2.plot(rec, prec, label=name[m])
    a1.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":")
    a1.set(xlabel="FPR", ylabel="TPR", title="ROC")
    a2.set(xlabel="Recall", ylabel="Precision", title="Precision-Recall")
    a1.legend(loc="lower right")
    _save(fig, out / "roc_pr.png")
    files["roc_pr"] = "roc_pr.png"

    fig = Figure(figsize=(5, 4.5))
    ax = fig.subplots()
    for m, curve in ev["reliability"].items():
        ax.plot(curve["mean_predicted"], curve["observed"], marker="o", label=name[m])
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":")
    ax.set(xlabel="예측 확률" if ko else "predicted probability",
           ylabel="관측 지원 비율" if ko else "observed support rate",
           title="보정 곡선" if ko else "Calibration")  # fmt: skip
    ax.legend()
    _save(fig, out / "calibration.png")
    files["calibration"] = "calibration.png"

    fair = ev["fairness"]
    factors = list(dict.fromkeys(fair["factor"]))
    fig = Figure(figsize=(4.2 * len(factors), 4.5))
    axes = np.atleast_1d(fig.subplots(1, len(factors)))
    for ax, factor in zip(axes, factors, strict=True):
        sub = fair[(fair["factor"] == factor) & (fair["metric"] == "visits_over_need")]
        groups = list(dict.fromkeys(sub["group"]))
        xs = np.arange(len(groups))
        for k, model in enumerate(dict.fromkeys(sub["model"])):
            d = sub[sub["model"] == model].set_index("group").reindex(groups)
            est = d["estimate"].to_numpy(float)
            err = np.vstack([est - d["lo"].to_numpy(float), d["hi"].to_numpy(float) - est])
            ax.errorbar(xs + (k - 0.5) * 0.2, est, yerr=np.nan_to_num(np.abs(err)), fmt="o", capsize=2,
                        label=name.get(model, model))  # fmt: skip
        ax.axhline(1.0, color="grey", lw=0.8)
        ax.axhline(FLAG_BELOW, color="#de3412", lw=0.8, ls="--")
        ax.set_xticks(xs, [_group_label(factor, g, ko=ko) for g in groups], rotation=45,
                      ha="right", fontsize=8)
        ax.set_title(_FACTOR_TITLES.get(factor, factor) if ko else factor)
        ax.set_ylim(0, 3)
    axes[0].set_ylabel("share of visits / share of need")
    axes[0].legend(fontsize=7)
    _save(fig, out / "fairness.png")
    files["fairness"] = "fairness.png"

    cmp_ = ev["comparison"]
    fig = Figure(figsize=(5, 4))
    ax = fig.subplots()
    labels = [name.get(cmp_["model"], cmp_["model"]), name[LEGACY]]
    est = [cmp_["precision_a"], cmp_["precision_b"]]
    lo = [cmp_["precision_a_lo"], cmp_["precision_b_lo"]]
    hi = [cmp_["precision_a_hi"], cmp_["precision_b_hi"]]
    ax.bar(labels, est, color=["#2b6cb0", "#a0aec0"])
    ax.errorbar(labels, est, yerr=[np.subtract(est, lo), np.subtract(hi, est)], fmt="none", color="k", capsize=4)
    ax.set(ylabel="precision@capacity", ylim=(0, 1),
           title=("방문 역량 내 정밀도" if ko else "Precision at capacity") + f" (×{cmp_['ratio']:.2f})")  # fmt: skip
    _save(fig, out / "comparison.png")
    files["comparison"] = "comparison.png"
    return files


def _headline_view(headline: pd.DataFrame) -> pd.DataFrame:
    """The headline rows as ``estimate [lo, hi]`` text with effective rows."""
    if headline.empty:
        return headline
    view = headline.copy()
    view["value"] = view.apply(lambda r: f"{r.estimate:.3f} [{r.lo:.3f}, {r.hi:.3f}]", axis=1)
    view["effective_rows"] = view["effective_rows"].round(1)
    return view[["subset", "model", "metric", "value", "effective_rows", "rows"]]


def _kpi(headline: pd.DataFrame, ours: str) -> str:
    """One sentence: ours vs the as-is system on hidden households."""
    if headline.empty:
        return "Headline not computed for this version."
    h = headline[headline["subset"] == "hidden"].set_index(["model", "metric"])
    key = "precision_at_capacity"

    def cell(model: str, metric: str = key) -> str:
        r = h.loc[(model, metric)]
        return f"{r.estimate:.3f} [{r.lo:.3f}, {r.hi:.3f}]"

    return (f"숨은 위기가구 방문 역량 내 정밀도 · precision at capacity among hidden households: ours "
            f"<b>{cell(ours)}</b> vs as-is XGBoost {cell('as_is_xgb')} vs count rule {cell('legacy')}; "
            f"ratio vs as-is <b>×{cell(ours, 'ratio_vs_as_is_xgb')}</b>, vs count rule "
            f"×{cell(ours, 'ratio_vs_legacy')}; effective rows {h.loc[(ours, key)].effective_rows:.0f}.")


def _table(frame: pd.DataFrame, floatfmt: str = "{:.3f}") -> str:
    return frame.to_html(index=False, float_format=floatfmt.format, border=0, classes="t", escape=True)


def _load(source: Any, model_version: str | None, models_dir: Path | str | None) -> dict[str, Any]:
    if isinstance(source, TrainingReport):
        return dict(source.evaluation)
    artifact = load_model(model_version, models_dir=models_dir)
    return dict(artifact.evaluation) | {"metadata": artifact.metadata}


def _ablation_note(meta: dict[str, Any]) -> str:
    """What the ablation table is (or why there is none)."""
    info = meta.get("ablation_info") or {"computed": bool(meta.get("ablation"))}
    if not info.get("computed"):
        return ("<p>Not computed for this version (it refits the model 7 times); train with "
                "<code>ablation=True</code> to add it.</p>")
    settings = info.get("settings") or {}
    how = (f"gradient boosting with cheaper settings {html.escape(json.dumps(settings))} for every variant and for "
           "the <code>all</code> reference (compare variants with <code>all</code>, not with the deployed model)"
           if settings else f"the deployed kind ({html.escape(str(info.get('model', '')))}) refitted per variant")
    return (f"<p>Test metrics of the model trained on each family alone and without each family: {how}; "
            f"{int(info.get('n_boot', 0))} bootstrap replicates.</p>")


def write_model_card(
    source: TrainingReport | Any,
    out_dir: Path | str,
    *,
    model_version: str | None = None,
    models_dir: Path | str | None = None,
) -> Path:
    """Write ``model_card.html`` and its PNG plots into ``out_dir``.

    Parameters
    ----------
    source : TrainingReport or Store-like
        A report from :func:`models.training.train_models`, or anything else (e.g. the store):
        then the model is loaded from the registry (``model_version``, default the latest).
    out_dir : path
        Folder to write into (created).
    model_version : str, optional
    models_dir : path, optional
        Registry folder (default ``get_settings().models_dir``).

    Returns
    -------
    Path
        The HTML file; ``figures.md`` beside it holds the figures of ``docs/models.md``.
    """
    ev = _load(source, model_version, models_dir)
    meta = dict(ev["metadata"])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for extra in EXTRAS:  # written beside the card by the demo / the sensitivity script
        if extra not in meta and (out / f"{extra}.json").exists():
            meta[extra] = json.loads((out / f"{extra}.json").read_text(encoding="utf-8"))
    family = _korean_font()
    rc = {"font.family": [family, "DejaVu Sans"] if family else ["DejaVu Sans"], "axes.unicode_minus": False}
    with matplotlib.rc_context(rc):
        files = _plots(ev, out, ko=family is not None)

    metrics = pd.DataFrame(meta["metrics"])
    cmp_ = meta["comparison"]
    fair = ev["fairness"]
    fair_metrics = ["share_of_visits", "share_of_need", "visits_over_need", "precision", "recall",
                    "observed_over_expected"]
    fair_view = fair[fair["metric"].isin(fair_metrics)].copy()
    fair_view["value"] = fair_view.apply(lambda r: f"{r.estimate:.3f} [{r.lo:.3f}, {r.hi:.3f}]", axis=1)
    fair_pivot = fair_view.pivot_table(index=["model", "factor", "group", "n"], columns="metric",
                                       values="value", aggfunc="first").reset_index()  # fmt: skip
    ratio = fair[fair["metric"] == "visits_over_need"].set_index(["model", "factor", "group"])["estimate"]
    fair_pivot["flag"] = [("below 0.8x" if ratio.get((r.model, r.factor, r.group), np.nan) < FLAG_BELOW else "")
                          for r in fair_pivot.itertuples()]  # fmt: skip
    fair_pivot = fair_pivot[["model", "factor", "group", "n", *[m for m in fair_metrics if m in fair_pivot], "flag"]]
    headline = pd.DataFrame(meta.get("headline", []))
    headline_view = _headline_view(headline)
    tiers = pd.DataFrame(meta.get("tiers", []))
    truth = pd.DataFrame(meta.get("truth", []))
    sensitivity = pd.DataFrame(meta.get("sensitivity", []))
    abl = pd.DataFrame(meta["ablation"])
    abl_view = (abl.pivot_table(index=["variant", "n_features"], columns="metric", values="estimate").reset_index()
                if len(abl) else abl)  # fmt: skip
    features = pd.DataFrame(meta["features"])[["name", "family", "label_ko", "label_en", "monotone"]]
    refs = pd.DataFrame(list(REFERENCE_SYSTEMS))
    split = meta["split"]
    e = html.escape
    kind_ko, kind_en = _MODEL_NAMES.get(meta["kind"], (meta["kind"], meta["kind"]))
    sel = capacity_selection(np.asarray(ev["scores"][meta["kind"]]), capacity_fraction=meta["capacity_fraction"],
                             sample_weight=np.asarray(ev.get("sample_weight", np.ones(len(ev["y"])))))  # fmt: skip
    doc = f"""<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><title>모델 카드 {e(meta['version'])}</title>
<style>body{{font-family:'Noto Sans CJK KR','Noto Sans KR',sans-serif;max-width:1100px;margin:2em auto;
line-height:1.5}} table.t{{border-collapse:collapse;font-size:0.85em}} table.t td,table.t th{{border:1px solid
#ccc;padding:2px 6px}} img{{max-width:100%}} .kpi{{font-size:1.2em;background:#f3f6fb;padding:0.6em}}</style>
</head><body>
<h1>모델 카드 · Model card — {e(meta['version'])}</h1>
<p>위기가구 발굴 위험 모델 ({e(kind_ko)} / {e(kind_en)}). 학습 기준일 {e(meta['as_of'])}, 학습 시각
{e(meta['trained_at'])}, 데이터 해시 <code>{e(meta['data_hash'][:16])}</code>, scikit-learn {e(meta['sklearn_version'])}.</p>
<h2>Headline · 숨은 위기가구 (hidden households)</h2>
<p class="kpi">{_kpi(headline, meta['kind'])}</p>
<p>Hidden: at the test cycle the household receives no benefit and was neither supported nor visited in the
previous 12 months. Each model visits the top {meta['capacity_fraction']:.2%} of the (design-weighted) hidden
test rows; precision is the share supported among reached visits, recall the share of all hidden need found.
Ratios use the same bootstrap replicates for both models (paired, 95%). <i>Effective rows</i> is the Kish
effective number of test rows behind the estimate: an estimate resting on a few heavily weighted audit rows
is weak whatever its point value. Baselines: the as-is system (XGBoost on the crisis-signal indicators only,
trained on the same rows) and the count rule.</p>
{_table(headline_view) if len(headline_view) else "<p>Not computed for this version.</p>"}
<h3>Estimate vs truth (synthetic world only)</h3>
{_table(truth) if len(truth) else "<p>No oracle file was given to this card.</p>"}
<h3>Calibration by tier</h3>
<p>Tier 1 (긴급) is the top quarter of capacity, tier 2 (우선) the rest of it.</p>
{_table(tiers) if len(tiers) else ""}
<h3>Sensitivity: the headline on alternative worlds</h3>
<p>Each row regenerates the world with one latent assumption changed and retrains every model; a reader sees
which assumption the gain depends on.</p>
{_table(sensitivity) if len(sensitivity) else "<p>Not computed: run <code>python -m etl.generate.sensitivity</code>.</p>"}
<p>All households, for reference: precision at capacity {cmp_['precision_a']:.3f}
[{cmp_['precision_a_lo']:.3f}, {cmp_['precision_a_hi']:.3f}] vs count rule {cmp_['precision_b']:.3f}
[{cmp_['precision_b_lo']:.3f}, {cmp_['precision_b_hi']:.3f}]. Rows visited at capacity in the test set
(weighted): {float(sel.sum()):.1f}.</p>

<h2>Intended use · 사용 목적</h2>
<ul><li>읍면동 맞춤형복지팀이 이번 주기의 방문 우선순위를 정하는 보조 도구 (tiers 긴급/우선/관찰/일반 cut from each
team's visit capacity), with the top three reasons shown for every household so a worker can check them.</li>
<li>Planning aggregates (share of high-tier households by 읍면동) for 시군구 planners.</li>
<li>A person decides: every tier can be overridden with a reason code, and the override is logged.</li></ul>
<h2>Out-of-scope use · 사용 금지</h2>
<ul><li>Deciding eligibility for, or withdrawing, any benefit; sanctions, investigations or fraud detection
(cf. SyRI, struck down in 2020).</li><li>Scoring people outside the synthetic or pilot population it was
trained on, or after the data sources change, without retraining and re-evaluation.</li>
<li>Reading a low score as "no need": households without administrative signals are invisible to it.</li></ul>

<h2>Training data and evaluation design</h2>
<p>Labels are past visit outcomes (supported = positive) from bi-monthly discovery cycles. Features are built
as of each cycle date (point in time). Time split: train on cycles before {e(split['train_before'])}, calibrate
and choose the model on {e(', '.join(split['validation_cycles']))}, test on {e(', '.join(split['test_cycles']))}.
Evaluation design: <b>{e(split.get('design', ''))}</b> — legacy-rule selections are biased, so test rows are
weighted to represent all households (audit sample; plus the legacy-rule census stratum when the audit sample is
drawn from the non-selected households). Rows: train {split['n_train']}, validation {split['n_validation']},
test {split['n_test']} (audit {split.get('n_test_audit', '')}). Calibration: {e(str(meta['calibration']))}.</p>

<h2>Metrics (test, 95% bootstrap intervals, {int(meta.get('n_boot', 500))} stratified replicates)</h2>
<p>Models: {e(json.dumps(meta.get('models', {}), ensure_ascii=False))}.</p>
{_table(metrics)}
<img src="{files['roc_pr']}" alt="ROC and PR curves"><img src="{files['comparison']}" alt="comparison">
<h2>Calibration</h2><img src="{files['calibration']}" alt="calibration curve">

<h2>Fairness by region type, 시도, household type, housing type and disability</h2>
<p>Per group: share of the visits against share of the need (design-weighted), precision among its visits,
recall of its need, and observed/expected (calibration in the large). Groups whose share of visits is below
0.8× their share of need are flagged. Error rates of the visit decision (FPR/FNR) are not shown: at ~1%
capacity they are fixed by capacity and prevalence and cannot show unfairness. Small groups have wide
intervals; gaps whose intervals overlap are not evidence of a difference.</p>
<img src="{files['fairness']}" alt="share of visits over share of need by group">
{_table(fair_pivot)}

<h2>Ablation: feature families</h2>{_ablation_note(meta)}{_table(abl_view) if len(abl) else ""}

<h2>Comparison with published systems</h2>
<p>These are not like-for-like (different populations, labels and outcome windows); our figures come from a
synthetic world whose outcome process is known to the generator.</p>{_table(refs)}

<h2>Limitations and risks</h2>
<ul><li>Synthetic data: metrics show the method works as designed, not how it would do on real records.</li>
<li>Labels are outcomes of visits chosen mostly by the legacy rule; the audit sample is small, so intervals are
wide, and households never visited contribute only through the audit sample.</li>
<li>"Supported" mixes need with programme rules and take-up. Unreachable visits carry no label (reachability
is its own process); they are treated as missing at random within their selection stratum and cycle.</li>
<li>Household-level features (household type, housing, region) can shift scores between groups; check the
fairness table before each release. Old records decay (half-life {meta['feature_config']['half_life_months']}
months) and records older than {meta['feature_config']['lookback_months']} months are ignored.</li>
<li>Reasons are the model's contributions (exact for the scorecard, path contributions for trees), not causes.</li></ul>

<h2>Features</h2>{_table(features)}
</body></html>
"""
    path = out / "model_card.html"
    path.write_text(doc, encoding="utf-8")
    (out / "figures.md").write_text(figures_markdown(meta, fairness=fair_pivot), encoding="utf-8")
    log.info("model card written to %s", path)
    return path


_FACTOR_TITLES = {"urban_class": "지역 유형", "sido": "시도", "household_type": "가구 유형",
                  "housing_type": "주거 유형", "disability": "장애"}
FLAG_BELOW = 0.8  # a group whose share of visits is below 0.8x its share of need is flagged
_SIDO_SHORT = {
    "11": "서울", "26": "부산", "27": "대구", "28": "인천", "29": "광주", "30": "대전", "31": "울산",
    "36": "세종", "41": "경기", "42": "강원", "43": "충북", "44": "충남", "45": "전북", "46": "전남",
    "47": "경북", "48": "경남", "50": "제주",
}


def _group_label(factor: str, group: str, *, ko: bool) -> str:
    """Readable tick label of a fairness group (Korean names when a Korean font is available)."""
    if not ko:
        return str(group)
    if factor == "sido":
        return _SIDO_SHORT.get(str(group), str(group))
    if factor == "household_type":
        return label(HOUSEHOLD_TYPES, str(group))
    if factor == "housing_type":
        return label(HOUSING_TYPES, str(group))
    if factor == "disability":
        return {"disabled_member": "장애인 가구원 있음", "none": "없음"}.get(str(group), str(group))
    return str(group)
