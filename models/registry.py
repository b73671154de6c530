"""Versioned model artefacts: ``<models_dir>/<version>/model.joblib`` + ``metadata.json``.

A version string is ``<kind>-<YYYYMMDD>-<hash8>`` (e.g. ``hgb-20261124-1a2b3c4d``): the model kind,
the training date and the first 8 hex digits of a SHA-256 over the training data, the features
and the options, so retraining on the same data with the same options gives the same version.
Artefacts are written to a temporary folder and renamed into place (no half-written versions).
The latest version is the one with the newest ``trained_at`` in its metadata.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from geodata.settings import get_settings

__all__ = [
    "ModelArtifact",
    "RegistryError",
    "data_hash",
    "list_models",
    "load_model",
    "make_version",
    "save_model",
]

log = logging.getLogger(__name__)

MODEL_FILE = "model.joblib"
META_FILE = "metadata.json"


class RegistryError(LookupError):
    """No model (or not the requested version) in the registry."""


@dataclass
class ModelArtifact:
    """Everything needed to score households with one trained model.

    Attributes
    ----------
    version : str
    kind : str
        ``'logit'`` or ``'hgb'``.
    model : object
        Calibrated classifier (``predict_proba``).
    base : object
        The uncalibrated fitted model (for ranking scores and reasons).
    legacy : object
        The fitted legacy rule (for comparisons).
    feature_config : dict
        :meth:`models.features.FeatureConfig.to_dict`.
    feature_names : list of str
    baseline : ndarray
        "Factor absent" values per feature (reasons).
    metadata : dict
        JSON metadata (also written beside the artefact).
    evaluation : dict
        Test-set arrays and tables for the model card.
    """

    version: str
    kind: str
    model: Any
    base: Any
    legacy: Any
    feature_config: dict[str, Any]
    feature_names: list[str]
    baseline: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict)
    evaluation: dict[str, Any] = field(default_factory=dict)


def _dir(models_dir: Path | str | None) -> Path:
    return Path(models_dir) if models_dir is not None else get_settings().models_dir


def data_hash(*parts: pd.DataFrame | str | bytes) -> str:
    """SHA-256 (hex) over data frames (row hashes, column names) and strings."""
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, pd.DataFrame):
            h.update("|".join(map(str, p.columns)).encode())
            h.update(pd.util.hash_pandas_object(p, index=False).to_numpy().tobytes())
        elif isinstance(p, bytes):
            h.update(p)
        else:
            h.update(str(p).encode())
    return h.hexdigest()


def make_version(kind: str, digest: str, trained_at: dt.datetime) -> str:
    """``<kind>-<YYYYMMDD>-<hash8>``."""
    return f"{kind}-{trained_at:%Y%m%d}-{digest[:8]}"


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, dt.date | dt.datetime):
        return o.isoformat()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def save_model(artifact: ModelArtifact, *, models_dir: Path | str | None = None) -> Path:
    """Write ``artifact`` under ``models_dir/<version>/``; return that folder."""
    root = _dir(models_dir)
    root.mkdir(parents=True, exist_ok=True)
    final = root / artifact.version
    tmp = Path(tempfile.mkdtemp(prefix=f".{artifact.version}-", dir=root))
    try:
        joblib.dump(artifact, tmp / MODEL_FILE, compress=3)
        (tmp / META_FILE).write_text(
            json.dumps(artifact.metadata, ensure_ascii=False, indent=2, default=_json_default),
            encoding="utf-8",
        )
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("saved model %s to %s", artifact.version, final)
    return final


def list_models(*, models_dir: Path | str | None = None) -> pd.DataFrame:
    """Versions in the registry, newest first (columns version, kind, trained_at, as_of, path)."""
    root = _dir(models_dir)
    rows = []
    if root.exists():
        for meta in root.glob(f"*/{META_FILE}"):
            if meta.parent.name.startswith("."):
                continue
            m = json.loads(meta.read_text(encoding="utf-8"))
            rows.append(
                {"version": m.get("version", meta.parent.name), "kind": m.get("kind"),
                 "trained_at": m.get("trained_at", ""), "as_of": m.get("as_of"), "path": meta.parent}
            )  # fmt: skip
    frame = pd.DataFrame(rows, columns=["version", "kind", "trained_at", "as_of", "path"])
    return frame.sort_values(["trained_at", "version"], ascending=False, ignore_index=True)


def load_model(version: str | None = None, *, models_dir: Path | str | None = None) -> ModelArtifact:
    """Load ``version`` (default: the latest) from the registry.

    Raises
    ------
    RegistryError
        If the registry is empty or has no such version.
    """
    root = _dir(models_dir)
    if version is None:
        models = list_models(models_dir=root)
        if models.empty:
            raise RegistryError(f"no trained model under {root}; run `atlas train` first")
        version = str(models.loc[0, "version"])
    path = root / version / MODEL_FILE
    if not path.exists():
        raise RegistryError(f"model version {version!r} not found under {root}")
    artifact = joblib.load(path)
    if not isinstance(artifact, ModelArtifact):
        raise RegistryError(f"{path} does not hold a ModelArtifact")
    return artifact
