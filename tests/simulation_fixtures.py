"""A model artefact for the simulation tests: the test world's model version with audit test
rows (real households of the world, design weights, outcomes more likely for isolated
one-person households), so the simulation's precision estimate has rows to work on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from models.registry import ModelArtifact, save_model
from tests.fixtures_world import MODEL_VERSION


def save_audit_artifact(households: pd.DataFrame, models_dir: Path, *, seed: int = 3) -> np.ndarray:
    """Save the artefact under ``models_dir``; return the household ids of its test rows."""
    rng = np.random.default_rng(seed)
    hh = households.set_index("household_id")
    ids = households["household_id"].to_numpy()[::2]
    isolated = ((hh.loc[ids, "size"] == 1) & (hh.loc[ids, "head_age"] >= 50)).to_numpy()
    y = (rng.random(ids.size) < np.where(isolated, 0.6, 0.1)).astype(int)
    prob = np.clip(rng.beta(1.5, 6, ids.size), 0.01, 0.99)
    evaluation = {"y": y, "sample_weight": np.full(ids.size, 20.0),
                  "probabilities": {"hgb": prob}, "scores": {"hgb": prob}, "household_id": ids,
                  "cycle_date": np.full(ids.size, np.datetime64("2026-03-01")),
                  "capacity_fraction": 0.1}
    save_model(ModelArtifact(version=MODEL_VERSION, kind="hgb", model=None, base=None, legacy=None,
                             feature_config={}, feature_names=[], baseline=np.zeros(0),
                             metadata={"version": MODEL_VERSION}, evaluation=evaluation),
               models_dir=models_dir)
    return ids
