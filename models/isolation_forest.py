"""Isolation forest over the hourly feature rows, and its versioned artifact in the lake.

Estimator conventions as scikit-learn's: `__init__` stores parameters, `fit` learns (state ends in
`_`), `score` returns one anomaly score per row (higher is more anomalous). Features are squashed
with a signed log so that one huge count does not dominate the trees; the robust centre and scale
of each feature on the baseline are kept so a finding can say which features stood out.

The artifact is `<lake>/models/isolation_forest-<version>/` with `model.joblib` and
`manifest.json` (feature list, training window, threshold, library versions, SHA-256 of the
model file). Loading unpickles: the models folder must be trusted (owner-only, as the lake is),
and the SHA-256 is checked before anything is unpickled.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import stat
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from numpy.typing import NDArray
from sklearn.ensemble import IsolationForest

MODELS_DIR = "models"
SCORE_THREADS = min(os.cpu_count() or 1, 4)
MIN_BLOCK_ROWS = 20_000  # below this a thread costs more than it saves
PREFIX = "isolation_forest-"
Matrix = NDArray[np.float64]


class ModelMismatch(ValueError):
    """The saved model cannot score these features (different list or order)."""


class UntrustedModel(RuntimeError):
    """The artifact failed its integrity or permission check; it is not unpickled."""


def squash(values: Matrix) -> Matrix:
    """Signed log1p: keeps order and sign, tames heavy-tailed counts."""
    return np.sign(values) * np.log1p(np.abs(values))


MIN_GROUP_ROWS = 500  # a group's own 99.8th percentile needs a few hundred hours to be stable


class IsolationForestDetector:
    """Isolation forest with a calibrated threshold and per-feature baseline statistics."""

    def __init__(
        self,
        *,
        n_estimators: int = 200,
        contamination: float = 0.002,
        strong_contamination: float = 0.5,
        random_state: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.contamination = contamination
        self.strong_contamination = strong_contamination
        self.random_state = random_state

    def fit(
        self, features: Matrix, feature_names: list[str], groups: list[str] | None = None
    ) -> IsolationForestDetector:
        """Learn the forest, the score threshold and each feature's baseline centre and scale;
        with `groups` (a calibration group per row: people, CI, workloads...), also each group's
        own threshold at the same quantile, for the groups with `MIN_GROUP_ROWS` rows or more."""
        x = squash(features)
        self.feature_names_ = list(feature_names)
        self.forest_ = IsolationForest(
            n_estimators=self.n_estimators,
            max_samples=min(512, len(x)),
            random_state=self.random_state,
        ).fit(x)
        scores = -self.forest_.score_samples(x)
        # The threshold is the baseline's own (1 - contamination) quantile: calibrated on data.
        self.threshold_ = float(np.quantile(scores, 1 - self.contamination))
        # Per calibration group: the same share of each group's own hours is above its bar, so
        # bursty people do not take the whole alert budget of steady workloads.
        self.group_thresholds_: dict[str, float] = {}
        labels = np.asarray(groups if groups is not None else [], dtype=object)
        for group in sorted(set(labels.tolist())):
            own = scores[labels == group]
            if len(own) >= MIN_GROUP_ROWS:
                self.group_thresholds_[str(group)] = float(np.quantile(own, 1 - self.contamination))
        # A lower bar for windows with a strong signal (see pipeline.detect.anomaly.strong_signal).
        self.strong_threshold_ = float(np.quantile(scores, 1 - self.strong_contamination))
        self.center_ = np.median(x, axis=0)
        spread = np.quantile(x, 0.75, axis=0) - np.quantile(x, 0.25, axis=0)
        self.scale_ = np.maximum(spread, np.std(x, axis=0)) + 0.1
        return self

    def score(self, features: Matrix) -> NDArray[np.float64]:
        """Anomaly score per row (higher is more anomalous, ~0.3-0.8).

        Blocks of rows are scored on threads (the trees' traversal releases the GIL). A row's
        score depends on the row alone, summed over the trees in their order, so the scores
        are exactly those of a single call.
        """
        blocks = np.array_split(
            features, max(1, min(SCORE_THREADS, len(features) // MIN_BLOCK_ROWS))
        )
        if len(blocks) == 1:
            return self._score(features)
        with ThreadPoolExecutor(len(blocks)) as pool:
            return np.concatenate(list(pool.map(self._score, blocks)))

    def _score(self, features: Matrix) -> NDArray[np.float64]:
        return np.asarray(-self.forest_.score_samples(squash(features)), dtype=np.float64)

    def group_threshold(self, group: str) -> float:
        """The bar of a calibration group: its own quantile, never below the global one (models
        saved before groups existed have none)."""
        own = getattr(self, "group_thresholds_", {}).get(group, self.threshold_)
        return max(self.threshold_, float(own))

    def deviations(self, features: Matrix) -> Matrix:
        """Robust z of each feature against the baseline (what made a row stand out)."""
        return np.asarray((squash(features) - self.center_) / self.scale_, dtype=np.float64)


@dataclass(frozen=True)
class ModelInfo:
    """The manifest of a saved model."""

    version: str
    path: str
    features: list[str]
    training_start: str
    training_end: str
    rows: int
    principals: int
    threshold: float
    strong_threshold: float
    parameters: dict[str, Any]
    libraries: dict[str, str]
    sha256: str
    created_at: str


def libraries() -> dict[str, str]:
    """Versions that must match for an unpickled model to behave as it was trained."""
    return {
        "python": platform.python_version(),
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "joblib": joblib.__version__,
    }


def save_model(
    model: IsolationForestDetector,
    lake: Path,
    *,
    window: tuple[datetime, datetime],
    rows: int,
    principals: int,
) -> ModelInfo:
    """Write the model and its manifest under `<lake>/models/`; returns the manifest."""
    root = lake / MODELS_DIR
    root.mkdir(mode=0o700, exist_ok=True)
    os.chmod(root, 0o700)  # loading unpickles: nobody else may write here
    parameters = {
        "n_estimators": model.n_estimators,
        "contamination": model.contamination,
        "strong_contamination": model.strong_contamination,
        "random_state": model.random_state,
    }
    identity = json.dumps(
        [model.feature_names_, window[0].isoformat(), window[1].isoformat(), rows, parameters],
        sort_keys=True,
    )
    version = f"{window[1]:%Y%m%dT%H%M}-{hashlib.sha256(identity.encode()).hexdigest()[:8]}"
    folder = root / f"{PREFIX}{version}"
    folder.mkdir(mode=0o700, exist_ok=True)
    joblib.dump(model, folder / "model.joblib")
    info = ModelInfo(
        version=version,
        path=str(folder),
        features=model.feature_names_,
        training_start=window[0].isoformat(),
        training_end=window[1].isoformat(),
        rows=rows,
        principals=principals,
        threshold=model.threshold_,
        strong_threshold=model.strong_threshold_,
        parameters=parameters,
        libraries=libraries(),
        sha256=hashlib.sha256((folder / "model.joblib").read_bytes()).hexdigest(),
        created_at=datetime.now(UTC).isoformat(),
    )
    (folder / "manifest.json").write_text(json.dumps(asdict(info), indent=2), encoding="utf-8")
    return info


def latest_model(lake: Path) -> ModelInfo | None:
    """The manifest of the newest model (by training end, then creation), or None."""
    manifests = [_read_manifest(p) for p in (lake / MODELS_DIR).glob(f"{PREFIX}*/manifest.json")]
    if not manifests:
        return None
    return max(manifests, key=lambda m: (m.training_end, m.created_at))


def load_model(info: ModelInfo, features: list[str]) -> IsolationForestDetector:
    """Unpickle a model after checking permissions, SHA-256 and the feature list."""
    if info.features != features:
        missing = sorted(set(info.features) - set(features))
        extra = sorted(set(features) - set(info.features))
        raise ModelMismatch(
            f"model {info.version} was trained on other features (missing {missing}, new {extra}"
            ", or another order): run `trailguard train`"
        )
    path = Path(info.path) / "model.joblib"
    _check_trusted(path)
    if hashlib.sha256(path.read_bytes()).hexdigest() != info.sha256:
        raise UntrustedModel(f"{path} does not match the SHA-256 in its manifest; not loading it")
    model = joblib.load(path)
    if not isinstance(model, IsolationForestDetector):
        raise UntrustedModel(f"{path} does not hold an IsolationForestDetector")
    return model


def _check_trusted(path: Path) -> None:
    for item in (path, path.parent, path.parent.parent):
        mode = item.stat().st_mode
        if mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise UntrustedModel(f"{item} is writable by others; refusing to unpickle from it")


def _read_manifest(path: Path) -> ModelInfo:
    data = json.loads(path.read_text(encoding="utf-8"))
    data["path"] = str(path.parent)  # the lake may have moved since training
    return ModelInfo(**data)
