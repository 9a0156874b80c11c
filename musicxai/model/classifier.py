"""A loaded bundle ready to classify clips: its input's preprocessing, the model runner, its output's activation.

A clip's probability is the mean of its pieces' probabilities: log-mel windows for our own models
(the rule they were evaluated by), the whole waveform or its chunks for models that take audio.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from musicxai.config import AUDIO_BATCH_SAMPLES, DEFAULT_RUNNER, RunnerOptions
from musicxai.errors import ParameterError
from musicxai.model.bundle import BundleMeta, read_bundle_meta
from musicxai.model.callable_model import callable_runner
from musicxai.model.features import clip_log_mel, frame_windows, normalise
from musicxai.model.inputs import Filterbank
from musicxai.model.keras_model import input_gradients
from musicxai.model.onnx_model import onnx_runner
from musicxai.model.runner import CallTally, ModelRunner

WARM_SECONDS = 30.0  # explanation warm-up: the on-device composition is compiled for clips this long


@dataclass(frozen=True)
class ClipPrediction:
    probabilities: np.ndarray  # [shape=(n_genres,)], sums to 1 (exclusive labels) or each in [0, 1] (tags)
    window_probabilities: np.ndarray  # [shape=(n_pieces, n_genres)]: log-mel windows or audio pieces
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
        self.features = meta.features  # the windows' settings, or the grid an audio model is explained on
        self.genres: tuple[str, ...] = tuple(meta.genres)
        self.runner = runner
        if runner.num_outputs != len(self.genres):
            raise ParameterError(f"the model answers {runner.num_outputs} outputs for {len(self.genres)} labels")

    @classmethod
    def load(cls, path: Path, *, options: RunnerOptions = DEFAULT_RUNNER) -> GenreClassifier:
        meta = read_bundle_meta(Path(path))
        return cls(meta, load_runner(Path(path), meta, options))

    @property
    def takes_audio(self) -> bool:
        return self.meta.takes_audio

    @property
    def name(self) -> str:
        return self.meta.name

    def window_probabilities(self, windows_db: np.ndarray, *, tally: CallTally | None = None) -> np.ndarray:
        """[shape=(..., n_mels, w)] log-mel windows in dB -> [shape=(..., n_genres)]; ``tally`` is told the
        model calls it took."""
        lead = windows_db.shape[:-2]
        flat = windows_db.reshape(-1, *windows_db.shape[-2:])
        probs = self.meta.output.activate(self.runner.predict(normalise(flat, self.meta.normalisation), tally=tally))
        return probs.reshape(*lead, len(self.genres))

    def pieces(self, n_samples: int) -> list[tuple[int, int]]:
        """The sample spans an audio model is fed for a clip of ``n_samples`` (at its rate), cut to its
        ``max_seconds`` where it declares one."""
        limit = self.meta.input.max_seconds
        if limit is not None:
            n_samples = min(n_samples, round(limit * self.meta.input.sample_rate))
        return self.meta.input.pieces(n_samples)

    def piece_probabilities(self, pieces: list[np.ndarray], *, tally: CallTally | None = None) -> np.ndarray:
        """Audio pieces (waveforms at the model's rate) -> probabilities [shape=(n, n_genres)]; pieces of
        one length share model calls of at most ``AUDIO_BATCH_SAMPLES`` samples."""
        out = np.empty((len(pieces), len(self.genres)), dtype=np.float32)
        by_length: dict[int, list[int]] = {}
        for i, y in enumerate(pieces):
            by_length.setdefault(len(y), []).append(i)
        for length, rows in by_length.items():
            step = max(1, AUDIO_BATCH_SAMPLES // max(1, length))
            for lo in range(0, len(rows), step):
                chunk = rows[lo : lo + step]
                x = self.meta.input.prepare([pieces[i] for i in chunk])
                out[chunk] = self.meta.output.activate(self.runner.predict(x, tally=tally))
        return out

    def window_gradients(self, windows_db: np.ndarray, target: int) -> np.ndarray:
        """d p[target] / d window (per dB) [shape=(n, n_mels, w)] for windows in dB, one backward pass."""
        if not self.meta.has_gradients:
            raise ParameterError(no_gradients(self.meta))
        grads = input_gradients(self.runner.model, normalise(windows_db, self.meta.normalisation), target)[..., 0]
        return grads / np.asarray(self.meta.normalisation.std, dtype=np.float32)[:, None]  # chain rule of x = (S - m)/s

    def normalised(self, S: np.ndarray) -> np.ndarray:
        """[shape=(n_mels, t)] dB -> the model's input scale, same shape (what the runner sees)."""
        return normalise(S[None], self.meta.normalisation)[0, ..., 0]

    def classify_log_mel(self, S: np.ndarray) -> ClipPrediction:
        windows = self.window_probabilities(frame_windows(S, self.features))
        return ClipPrediction(windows.mean(axis=0), windows, self.genres)

    def classify(self, y: np.ndarray) -> ClipPrediction:
        """Samples at ``features.sample_rate`` -> the clip's prediction."""
        if not self.takes_audio:
            return self.classify_log_mel(clip_log_mel(y, self.features))
        pieces = self.piece_probabilities([y[a:b] for a, b in self.pieces(len(y))])
        return ClipPrediction(pieces.mean(axis=0), pieces, self.genres)

    def warm_up(self, *, segments: int | None = None) -> None:
        """Compile the model call and librosa's numba kernels before the first request pays for them;
        with ``segments`` (workers on JAX) also the on-device composition for a 30 s clip cut into that
        many segments."""
        if segments is not None and not self.takes_audio and self.runner.composer is not None:
            self.runner.warm_up(clip_frames=self.features.frames_for(WARM_SECONDS), segments=segments)
        else:
            self.runner.warm_up()
        self.classify(np.zeros(self.features.sample_rate, dtype=np.float32))


def load_runner(path: Path, meta: BundleMeta, options: RunnerOptions) -> ModelRunner:
    """The runner the bundle's ``runtime`` names, for inputs shaped as its ``input`` declares."""
    spec = meta.input
    if spec.kind == "logmel_windows":
        warm_shape: tuple[int, ...] = meta.features.input_shape
    elif isinstance(spec, Filterbank):
        warm_shape = spec.prepare([np.zeros(spec.sample_rate, dtype=np.float32)]).shape[1:]
    else:
        warm_shape = (spec.sample_rate,)
    if meta.runtime.kind == "keras":
        return ModelRunner.load(
            path / meta.runtime.target, input_shape=warm_shape, num_classes=len(meta.genres), options=options
        )
    if meta.runtime.kind == "onnx":
        return onnx_runner(
            path / meta.runtime.target, threads=options.threads, batch_size=options.batch_size, warm_shape=warm_shape
        )
    return callable_runner(
        meta.runtime.target, sample_rate=spec.sample_rate, num_outputs=len(meta.genres), warm_shape=warm_shape
    )


def no_gradients(meta: BundleMeta) -> str:
    """Why ``meta``'s model has no input gradients, and what to ask for instead."""
    runtime = {"onnx": "ONNX Runtime", "callable": "a Python callable", "keras": "Keras"}[meta.runtime.kind]
    return (
        f"model {meta.name!r} runs on {runtime} with {meta.input.kind} input, which gives no input gradients; "
        "use method lime or shap, which need only the model's outputs"
    )
