# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 위기가구 발굴 모델 평가 · Risk-model evaluation
#
# Builds a small synthetic world, trains the legacy rule, the logistic scorecard and gradient
# boosting with a time split, and compares them on the population-weighted test cycles:
# ROC-AUC, PR-AUC, precision at the teams' visit capacity, calibration and error-rate gaps by
# group. Set `ATLAS_NOTEBOOK_HOUSEHOLDS` to change the size. The project's generator
# (`etl.generate`) is used when its region layers are available; otherwise the self-contained
# stand-in `models.synthetic` (same tables and columns).

# %%
import datetime as dt
import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from models.synthetic import AS_OF, make_world  # noqa: E402
from models.training import train_from_tables  # noqa: E402

HOUSEHOLDS = int(os.environ.get("ATLAS_NOTEBOOK_HOUSEHOLDS", "4000"))
USE_GENERATOR = os.environ.get("ATLAS_NOTEBOOK_GENERATOR", "0") == "1"

# %%
world, source = None, "models.synthetic"
if USE_GENERATOR:
    try:
        from etl.generate import generate_world

        world = {k: pd.DataFrame(v) for k, v in generate_world(HOUSEHOLDS, seed=7, sido_codes=["11"]).items()}
        source = "etl.generate"
    except Exception as exc:  # noqa: BLE001 - region layers unavailable: fall back
        print("generator unavailable:", exc)
if world is None:
    world = make_world(HOUSEHOLDS, seed=7)
print(source, {k: len(v) for k, v in world.items()})

# %% [markdown]
# ## Train and evaluate
# Training rows are past discovery visits with features as of each cycle date. The latest two
# cycles are the test set; the cycle before them calibrates the models and picks the deployed one.

# %%
registry = Path(tempfile.mkdtemp(prefix="atlas-models-"))
with threadpool_limits(limits=1):
    report = train_from_tables(
        world, as_of=AS_OF, seed=0, models_dir=registry, n_boot=200, test_cycles=2, ablation=True
    )
print(report.version, report.split)
report.summary()

# %% [markdown]
# ## The chosen model against the legacy rule (precision at capacity)

# %%
c = report.comparison
print(f"capacity = {c['capacity_fraction']:.2%} of households per cycle")
print(f"{report.chosen}: {c['precision_a']:.3f} [{c['precision_a_lo']:.3f}, {c['precision_a_hi']:.3f}]")
print(f"legacy: {c['precision_b']:.3f} [{c['precision_b_lo']:.3f}, {c['precision_b_hi']:.3f}]")
print(f"ratio: {c['ratio']:.2f} [{c['ratio_lo']:.2f}, {c['ratio_hi']:.2f}]")

# %% [markdown]
# ## Ablation: what each feature family adds

# %%
report.ablation.pivot_table(index="variant", columns="metric", values="estimate").round(3)

# %% [markdown]
# ## Calibration and error rates by group

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
for model, curve in report.evaluation["reliability"].items():
    ax1.plot(curve["mean_predicted"], curve["observed"], marker="o", label=model)
ax1.plot([0, 1], [0, 1], ls=":", color="grey")
ax1.set(xlabel="predicted", ylabel="observed", title="calibration")
ax1.legend()
fair = report.fairness[(report.fairness.factor == "household_type") & (report.fairness.metric == "visits_over_need")]
fair.pivot(index="group", columns="model", values="estimate").plot.bar(ax=ax2, title="share of visits / share of need by household type")
fig.tight_layout()

# %%
report.fairness[report.fairness.metric.isin(["share_of_visits", "share_of_need", "visits_over_need"]) & (report.fairness.factor == "urban_class")].round(3)
