"""Is this clip music? A small model beside the genre bundles that says how likely a clip is music.

A genre classifier gives every sound a genre: speech, a door slam, rain. The detector describes a clip
by the mean and the spread over time of a window embedding (up to ``max_windows`` evenly spaced
windows), and a logistic regression, fitted on the real-audio set's train part where recorded
speech, effects, ambience, noise and tones stand against music, turns that into a music probability.
The embedding is a music tagger's (MagnaTagATune's, cut at its 256-d layer) or that of a small CNN
distilled from it (``training/detector_distil.py``), whichever ``model.keras`` holds. It lives in
``models/detector/``: ``model.keras`` (normalised window -> embedding) and ``detector.json`` (the
input normalisation, the regression with its standardisation folded in, the threshold, how all were
chosen), and it serves every bundle, whatever the bundle's own features."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import librosa
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from musicxai.config import DEFAULT_RUNNER, RunnerOptions
from musicxai.errors import BundleError, describe_validation_error
from musicxai.model.bundle import MODEL_FILE
from musicxai.model.features import FeatureSettings, Normalisation, clip_windows, frame_windows, normalise
from musicxai.model.runner import ModelRunner

DETECTOR_FILE = "detector.json"


class DetectorMeta(BaseModel):
    """The parsed ``detector.json``."""

    model_config = ConfigDict(extra="forbid")

    features: FeatureSettings
    normalisation: Normalisation
    max_windows: int = Field(gt=0, description="windows, evenly spaced over the clip, that describe it")
    weights: list[float] = Field(description="on [mean, std] of the window embeddings, standardisation folded in")
    bias: float
    threshold: float = Field(gt=0, lt=1, description="music probability below which a clip is called not music")
    training: dict[str, Any] = Field(default_factory=dict)


def spread_windows(windows: np.ndarray, max_windows: int) -> np.ndarray:
    """At most ``max_windows`` of ``windows``, evenly spaced from the first to the last."""
    if len(windows) <= max_windows:
        return windows
    return windows[np.unique(np.linspace(0, len(windows) - 1, max_windows).round().astype(int))]


def pooled(embeddings: np.ndarray) -> np.ndarray:
    """[shape=(n_windows, dim)] -> [shape=(2 * dim,)]: what the clip sounds like, and how much that moves."""
    return np.concatenate([embeddings.mean(axis=0), embeddings.std(axis=0)])


def clip_music_probability(embeddings: np.ndarray, weights: list[float] | np.ndarray, bias: float) -> float:
    z = float(pooled(np.asarray(embeddings, dtype=np.float64)) @ np.asarray(weights, dtype=np.float64) + bias)
    return float(1.0 / (1.0 + np.exp(-np.clip(z, -50, 50))))


class MusicDetector:
    """``music_probability(y, sr)``: the detector's answer for one clip; :meth:`load` reads its folder."""

    def __init__(self, meta: DetectorMeta, runner: ModelRunner) -> None:
        self.meta = meta
        self.runner = runner

    @classmethod
    def load(cls, path: Path, *, options: RunnerOptions = DEFAULT_RUNNER) -> MusicDetector:
        path = Path(path)
        meta_file = path / DETECTOR_FILE
        if not meta_file.is_file() or not (path / MODEL_FILE).is_file():
            raise BundleError(f"{path} is not a music detector (needs {DETECTOR_FILE} and {MODEL_FILE}).")
        try:
            meta = DetectorMeta.model_validate(json.loads(meta_file.read_text()))
        except (json.JSONDecodeError, ValidationError) as exc:
            detail = (
                describe_validation_error(exc.errors(), whole="detector") if isinstance(exc, ValidationError) else exc
            )
            raise BundleError(f"{meta_file} cannot be read: {detail}") from exc
        runner = ModelRunner.load(
            path / MODEL_FILE,
            input_shape=meta.features.input_shape,
            num_classes=len(meta.weights) // 2,  # the embedding's width
            options=options,
        )
        return cls(meta, runner)

    def windows(self, y: np.ndarray, sr: int, log_mel: tuple[np.ndarray, FeatureSettings] | None = None) -> np.ndarray:
        """The model inputs for a clip at ``sr`` Hz: resampled to the detector's rate, framed, spread out.
        ``log_mel`` is the clip's log-mel as the caller computed it, with its settings: where those are
        the detector's own (the musicnn bundles), it is framed as it is instead of being computed again."""
        features = self.meta.features
        if log_mel is not None and log_mel[1] == features:
            framed = frame_windows(log_mel[0], features)
        else:
            if sr != features.sample_rate:
                y = librosa.resample(np.asarray(y, dtype=np.float32), orig_sr=sr, target_sr=features.sample_rate)
            framed = clip_windows(y, features)
        return normalise(spread_windows(framed, self.meta.max_windows), self.meta.normalisation)

    def music_probability(
        self, y: np.ndarray, sr: int, log_mel: tuple[np.ndarray, FeatureSettings] | None = None
    ) -> float:
        embeddings = self.runner.predict(self.windows(y, sr, log_mel))
        return clip_music_probability(embeddings, self.meta.weights, self.meta.bias)

    def is_music(self, probability: float, threshold: float | None = None) -> bool:
        return probability >= (self.meta.threshold if threshold is None else threshold)
