"""A loaded bundle ready to classify clips: features + normalisation + model runner.

Clip probability is the mean of its windows' probabilities, the rule the models were evaluated by.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from musicxai.bundle import MODEL_FILE, BundleMeta, read_bundle_meta
from musicxai.features import clip_log_mel, frame_windows, normalise
from musicxai.runner import DEFAULT_BATCH, ModelRunner
from musicxai.segmentation import SegmentationParams, segment_clip

WARM_SECONDS = 30.0  # explanation warm-up: a clip of this length on the default segmentation


@dataclass(frozen=True)
class ClipPrediction:
    probabilities: np.ndarray  # [shape=(n_genres,)], sums to 1
    window_probabilities: np.ndarray  # [shape=(n_windows, n_genres)]
    genres: tuple[str, ...]

    def as_dict(self) -> dict[str, float]:
        return {g: float(p) for g, p in zip(self.genres, self.probabilities, strict=True)}

    def top(self, k: int = 3) -> list[str]:
        order = np.argsort(-self.probabilities, kind="stable")[:k]
        return [self.genres[i] for i in order]


class GenreClassifier:
    """Everything needed to go from samples (or a log-mel) to genre probabilities."""

    def __init__(self, path: Path, *, batch_size: int = DEFAULT_BATCH, backend: str | None = None) -> None:
        self.path = Path(path)
        self.meta: BundleMeta = read_bundle_meta(self.path)
        self.features = self.meta.features
        self.genres: tuple[str, ...] = tuple(self.meta.genres)
        self.runner = ModelRunner(
            self.path / MODEL_FILE,
            input_shape=self.features.input_shape,
            num_classes=len(self.genres),
            batch_size=batch_size,
            backend=backend,
        )

    @property
    def name(self) -> str:
        return self.meta.name

    def window_probabilities(self, windows_db: np.ndarray) -> np.ndarray:
        """[shape=(..., n_mels, w)] log-mel windows in dB -> [shape=(..., n_genres)]"""
        lead = windows_db.shape[:-2]
        flat = windows_db.reshape(-1, *windows_db.shape[-2:])
        probs = self.runner.predict(normalise(flat, self.meta.normalisation))
        return probs.reshape(*lead, len(self.genres))

    def normalised(self, S: np.ndarray) -> np.ndarray:
        """[shape=(n_mels, t)] dB -> the model's input scale, same shape (what the runner sees)."""
        return normalise(S[None], self.meta.normalisation)[0, ..., 0]

    def classify_log_mel(self, S: np.ndarray) -> ClipPrediction:
        windows = self.window_probabilities(frame_windows(S, self.features))
        return ClipPrediction(windows.mean(axis=0), windows, self.genres)

    def classify(self, y: np.ndarray) -> ClipPrediction:
        return self.classify_log_mel(clip_log_mel(y, self.features))

    def warm_up(self, *, explanations: bool = False) -> None:
        """Compile the model call and librosa's numba kernels before the first request pays for them;
        with ``explanations`` (workers) also the on-device composition (JAX) for a 30 s clip on the
        default segment grid."""
        if explanations and self.runner.composes_on_device:
            blank = np.zeros((self.features.n_mels, self.features.frames_for(WARM_SECONDS)))
            grid = segment_clip(np.zeros(0), blank, blank, self.features, SegmentationParams())
            self.runner.warm_up(clip_frames=grid.n_frames, segments=grid.k)
        else:
            self.runner.warm_up()
        self.classify(np.zeros(self.features.sample_rate, dtype=np.float32))
