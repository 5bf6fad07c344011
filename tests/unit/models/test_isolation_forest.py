"""The isolation forest artifact: round trip, determinism, and refusal to load what does not fit."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from trailguard.models.isolation_forest import (
    IsolationForestDetector,
    ModelMismatch,
    UntrustedModel,
    latest_model,
    load_model,
    save_model,
)

FEATURES = ["n_events", "n_apis", "novel_apis"]
WINDOW = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 15, tzinfo=UTC))


def _baseline() -> np.ndarray:
    rng = np.random.default_rng(3)
    return np.column_stack([rng.poisson(20, 400), rng.poisson(4, 400), np.zeros(400)]).astype(float)


def _saved(lake: Path) -> IsolationForestDetector:
    model = IsolationForestDetector().fit(_baseline(), FEATURES)
    save_model(model, lake, window=WINDOW, rows=400, principals=7)
    return model


def test_a_saved_model_loads_back_and_scores_identically(tmp_path: Path) -> None:
    model = _saved(tmp_path)
    info = latest_model(tmp_path)
    assert info is not None
    assert info.features == FEATURES and info.rows == 400
    assert info.training_end == WINDOW[1].isoformat()
    assert {"python", "sklearn", "numpy"} <= set(info.libraries)
    loaded = load_model(info, FEATURES)
    probe = np.array([[20.0, 4.0, 0.0], [400.0, 60.0, 12.0]])
    assert np.array_equal(loaded.score(probe), model.score(probe))
    assert loaded.threshold_ == model.threshold_


def test_an_outlier_scores_above_the_calibrated_threshold() -> None:
    model = IsolationForestDetector().fit(_baseline(), FEATURES)
    normal, odd = model.score(np.array([[20.0, 4.0, 0.0], [400.0, 60.0, 12.0]]))
    assert normal < model.threshold_ < odd


def test_training_is_deterministic() -> None:
    first = IsolationForestDetector().fit(_baseline(), FEATURES)
    second = IsolationForestDetector().fit(_baseline(), FEATURES)
    assert np.array_equal(first.score(_baseline()), second.score(_baseline()))


def test_scoring_refuses_a_model_trained_on_other_features(tmp_path: Path) -> None:
    _saved(tmp_path)
    info = latest_model(tmp_path)
    assert info is not None
    with pytest.raises(ModelMismatch, match="novel_regions"):
        load_model(info, [*FEATURES, "novel_regions"])
    with pytest.raises(ModelMismatch):
        load_model(info, list(reversed(FEATURES)))


def test_a_tampered_model_file_is_not_unpickled(tmp_path: Path) -> None:
    _saved(tmp_path)
    info = latest_model(tmp_path)
    assert info is not None
    model_file = Path(info.path) / "model.joblib"
    model_file.write_bytes(model_file.read_bytes() + b"\x00")
    with pytest.raises(UntrustedModel, match="SHA-256"):
        load_model(info, FEATURES)


def test_a_models_folder_others_can_write_to_is_refused(tmp_path: Path) -> None:
    _saved(tmp_path)
    info = latest_model(tmp_path)
    assert info is not None
    os.chmod(Path(info.path), 0o777)
    with pytest.raises(UntrustedModel, match="writable"):
        load_model(info, FEATURES)
