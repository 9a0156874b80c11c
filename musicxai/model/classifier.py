"""A loaded bundle ready to classify clips: features + normalisation + model runner.

Clip probability is the mean of its windows' probabilities, the rule the models were evaluated by.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from musicxai.config import DEFAULT_RUNNER, RunnerOptions
from musicxai.model.bundle import MODEL_FILE, BundleMeta, read_bundle_meta
from musicxai.model.features import clip_log_mel, frame_windows, normalise
from musicxai.model.keras_model import input_gradients
from musicxai.model.runner import CallTally, ModelRunner

WARM_SECONDS = 30.0  # explanation warm-up: the on-device composition is compiled for clips this long


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
    """Everything needed to go from samples (or a log-mel) to genre probabilities; :meth:`load` reads a bundle."""

    def __init__(self, meta: BundleMeta, runner: ModelRunner) -> None:
        self.meta = meta
        self.features = meta.features
        self.genres: tuple[str, ...] = tuple(meta.genres)
        self.runner = runner

    @classmethod
    def load(cls, path: Path, *, options: RunnerOptions = DEFAULT_RUNNER) -> GenreClassifier:
        meta = read_bundle_meta(Path(path))
        runner = ModelRunner.load(
            Path(path) / MODEL_FILE,
            input_shape=meta.features.input_shape,
            num_classes=len(meta.genres),
            options=options,
        )
        return cls(meta, runner)

    @property
    def name(self) -> str:
        return self.meta.name

    def window_probabilities(self, windows_db: np.ndarray, *, tally: CallTally | None = None) -> np.ndarray:
        """[shape=(..., n_mels, w)] log-mel windows in dB -> [shape=(..., n_genres)]; ``tally`` is told the
        model calls it took."""
        lead = windows_db.shape[:-2]
        flat = windows_db.reshape(-1, *windows_db.shape[-2:])
        probs = self.runner.predict(normalise(flat, self.meta.normalisation), tally=tally)
        return probs.reshape(*lead, len(self.genres))

    def window_gradients(self, windows_db: np.ndarray, target: int) -> np.ndarray:
        """d p[target] / d window (per dB) [shape=(n, n_mels, w)] for windows in dB, one backward pass."""
        grads = input_gradients(self.runner.model, normalise(windows_db, self.meta.normalisation), target)[..., 0]
        return grads / np.asarray(self.meta.normalisation.std, dtype=np.float32)[:, None]  # chain rule of x = (S - m)/s

    def normalised(self, S: np.ndarray) -> np.ndarray:
        """[shape=(n_mels, t)] dB -> the model's input scale, same shape (what the runner sees)."""
        return normalise(S[None], self.meta.normalisation)[0, ..., 0]

    def classify_log_mel(self, S: np.ndarray) -> ClipPrediction:
        windows = self.window_probabilities(frame_windows(S, self.features))
        return ClipPrediction(windows.mean(axis=0), windows, self.genres)

    def classify(self, y: np.ndarray) -> ClipPrediction:
        return self.classify_log_mel(clip_log_mel(y, self.features))

    def warm_up(self, *, segments: int | None = None) -> None:
        """Compile the model call and librosa's numba kernels before the first request pays for them;
        with ``segments`` (workers on JAX) also the on-device composition for a 30 s clip cut into that
        many segments."""
        if segments is not None and self.runner.composer is not None:
            self.runner.warm_up(clip_frames=self.features.frames_for(WARM_SECONDS), segments=segments)
        else:
            self.runner.warm_up()
        self.classify(np.zeros(self.features.sample_rate, dtype=np.float32))
