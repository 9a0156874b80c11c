"""The perturbation engine: masks in, clip probabilities out, with every model call in one place.

A window's output depends only on the segments that overlap it, so each distinct
(window, local mask) pair is evaluated once and remembered; LIME, SHAP and the faithfulness curves
of one job all draw on the same memory. Perturbed windows are built with array operations straight
from the mask matrix, streamed through the model in batches under a memory cap: on the host with
numpy, or, when the runner composes on the device (JAX) and the segmentation is a label map, on the
accelerator inside the model's own jitted call, so only mask rows and window starts cross the bus.

A model that takes audio is fed the clip whole or in chunks (its pieces, the windows here): a piece
depends only on the segments whose audio reaches it, and a perturbed piece is the sum of the kept
segments' parts of the waveform (:mod:`musicxai.explain.audio_parts`), so the same memory and
locality serve it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from musicxai.config import ENGINE_MAX_AUDIO_SAMPLES, ENGINE_MAX_BATCH_WINDOWS
from musicxai.errors import ParameterError
from musicxai.explain.audio_parts import AudioParts
from musicxai.explain.segmentation import LabelSegmentation, Segmentation
from musicxai.model.classifier import GenreClassifier
from musicxai.model.features import window_starts
from musicxai.model.runner import CallTally

Progress = Callable[[float], None]  # called with the fraction of one call's new windows evaluated so far
DEVICE_CALLS_PER_REPORT = 8  # model calls in flight on the device between two progress reports


@dataclass
class EngineStats:
    masks: int = 0  # whole-clip masks asked (window games ask windows directly: see windows_evaluated)
    windows_naive: int = 0  # what evaluating every mask on every window would cost
    windows_evaluated: int = 0
    model_calls: int = 0
    seconds_perturb: float = 0.0
    seconds_model: float = 0.0

    def rounded(self) -> EngineStats:
        """The same figures with seconds to 0.1 ms, for results people read."""
        return EngineStats(**{k: round(v, 4) if isinstance(v, float) else v for k, v in self.__dict__.items()})

    def since(self, earlier: EngineStats) -> EngineStats:
        """The work done after ``earlier`` was copied (an engine can serve several jobs)."""
        return EngineStats(**{k: v - getattr(earlier, k) for k, v in self.__dict__.items()})


def check_masks(Z: np.ndarray, k: int) -> np.ndarray:
    Z = np.asarray(Z)
    if Z.ndim != 2 or Z.shape[1] != k:
        raise ParameterError(f"mask matrix must have shape (n, {k}), got {Z.shape}")
    if Z.shape[0] == 0:
        raise ParameterError("mask matrix is empty: no sample to evaluate")
    return Z.astype(bool)


def _distinct_rows(local: np.ndarray) -> tuple[np.ndarray, np.ndarray, list]:
    """Distinct rows of a bool matrix, the row each input row maps to, and a hashable key per
    distinct row: an int when a row fits 64 bits (a fast 1-D unique), else its packed bytes."""
    packed = np.packbits(local, axis=1, bitorder="little")
    if packed.shape[1] <= 8:
        wide = np.zeros((len(packed), 8), dtype=np.uint8)
        wide[:, : packed.shape[1]] = packed
        codes = wide.view("<u8")[:, 0]
        distinct, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
        return local[first], inverse.reshape(-1), distinct.tolist()
    distinct, inverse = np.unique(local, axis=0, return_inverse=True)
    keys = [row.tobytes() for row in np.packbits(distinct, axis=1)]
    return distinct, inverse.reshape(-1), keys


@dataclass
class PerturbationEngine:
    """Clip probabilities for mask matrices over one clip and one segmentation.

    Parameters
    ----------
    max_batch_windows : windows held in memory before they are sent to the model (the memory cap:
        each window is n_mels × frames float32, 66 kB for the default features); for audio pieces,
        at most ``ENGINE_MAX_AUDIO_SAMPLES`` samples are held.
    samples : the clip at the model's rate; required by models that take audio.
    """

    classifier: GenreClassifier
    segmentation: Segmentation
    max_batch_windows: int = ENGINE_MAX_BATCH_WINDOWS
    samples: np.ndarray | None = None
    stats: EngineStats = field(default_factory=EngineStats)

    def __post_init__(self) -> None:
        if self.segmentation.k == 0:
            raise ParameterError("the segmentation has no segments (k = 0)")
        if self.max_batch_windows < 1:
            raise ParameterError(f"max_batch_windows={self.max_batch_windows} must hold at least one window")
        if not np.all(np.isfinite(self.segmentation.S)) or not np.all(np.isfinite(self.segmentation.baseline)):
            raise ParameterError("the log-mel spectrogram or its baseline contains NaN or infinite values")
        self._device_clip = None
        self._audio: AudioParts | None = None
        if self.classifier.takes_audio:
            self._set_up_audio()
            return
        features = self.classifier.features
        n_frames = self.segmentation.n_frames
        self._width = features.frames_per_window
        self._floor = features.floor_db
        self._spans = [(int(s), min(int(s) + self._width, n_frames)) for s in window_starts(n_frames, features)]
        self._local = [self.segmentation.components_in(a, b) for a, b in self._spans]
        self._memory: list[dict[int | bytes, np.ndarray]] = [{} for _ in self._spans]
        composer = self.classifier.runner.composer
        if composer is not None and isinstance(self.segmentation, LabelSegmentation):
            t0 = time.perf_counter()
            floor = self.classifier.normalised(np.full((len(self.segmentation.S), 1), self._floor))[:, 0]
            self._device_clip = composer.put_clip(
                self.classifier.normalised(self.segmentation.S),
                self.classifier.normalised(self.segmentation.baseline),
                self.segmentation.labels,
                floor,
            )
            self.stats.seconds_perturb += time.perf_counter() - t0

    def _set_up_audio(self) -> None:
        """Pieces of the clip as the model is fed them, and each segment's part of the waveform."""
        if self.samples is None:
            raise ParameterError(f"model {self.classifier.name!r} takes audio: the engine needs the clip's samples")
        t0 = time.perf_counter()
        self._audio = AudioParts.of(self.samples, self.segmentation, self.classifier.features)
        self._spans = self.classifier.pieces(len(self.samples))
        self._local = [self._audio.touching(a, b) for a, b in self._spans]
        self._memory = [{} for _ in self._spans]
        longest = max(b - a for a, b in self._spans)
        self.max_batch_windows = max(1, min(self.max_batch_windows, ENGINE_MAX_AUDIO_SAMPLES // longest))
        self.stats.seconds_perturb += time.perf_counter() - t0

    @property
    def composes_on_device(self) -> bool:
        return self._device_clip is not None

    @property
    def n_windows(self) -> int:
        return len(self._spans)

    def players(self, w: int) -> np.ndarray:
        """Indices of the segments that can change window ``w``: the players of its own small game."""
        return self._local[w]

    def window_inputs(self, w: int, local: np.ndarray) -> np.ndarray:
        """Log-mel dB of window ``w`` under masks over its players [shape=(n, n_mels, frames)], padded
        with silence past the clip's end, exactly as the model is given them; for a model that takes
        audio, the piece's samples [shape=(n, samples)]."""
        a, b = self._spans[w]
        if self._audio is not None:
            return self._audio.compose(np.asarray(local, dtype=bool), self._local[w], a, b)
        Z_full = np.zeros((len(local), self.segmentation.k), dtype=bool)
        Z_full[:, self._local[w]] = local
        windows = self.segmentation.compose(Z_full, a, b)
        if b - a < self._width:
            windows = np.pad(windows, ((0, 0), (0, 0), (0, self._width - (b - a))), constant_values=self._floor)
        return windows.astype(np.float32, copy=False)

    def __call__(self, Z: np.ndarray, *, progress: Progress | None = None) -> np.ndarray:
        """Z [shape=(n, k)] (True = segment kept) -> clip probabilities [shape=(n, n_genres)].

        progress : told the fraction of this call's new windows evaluated so far (per call, so an
            engine shared by several jobs reports to the job that asked)."""
        Z = check_masks(Z, self.segmentation.k)
        outputs = self.windows({w: Z[:, local] for w, local in enumerate(self._local)}, progress=progress)
        self.stats.masks += Z.shape[0]
        self.stats.windows_naive += Z.shape[0] * self.n_windows
        return np.stack([outputs[w] for w in range(self.n_windows)], axis=1).mean(axis=1)

    def windows(self, local_masks: dict[int, np.ndarray], *, progress: Progress | None = None) -> dict[int, np.ndarray]:
        """Window probabilities for masks over each asked window's own players.

        local_masks : window index -> [shape=(n_w, len(players(w)))] bool (True = segment kept)
        Returns window index -> [shape=(n_w, n_genres)]. The clip's output is the mean of its windows',
        so explainers that play one small game per window ask here (all windows in one model stream)."""
        started = time.perf_counter()
        plans = []
        todo = 0
        for w, local in local_masks.items():
            local = np.asarray(local, dtype=bool)
            if local.ndim != 2 or local.shape[1] != len(self._local[w]) or not len(local):
                raise ParameterError(f"window {w} takes masks of shape (n, {len(self._local[w])}), got {local.shape}")
            uniq, inverse, keys = _distinct_rows(local)
            new = [i for i, key in enumerate(keys) if key not in self._memory[w]]
            plans.append((w, uniq, inverse, keys, new))
            todo += len(new)
        self.stats.seconds_perturb += time.perf_counter() - started
        report = _reporter(progress, todo)
        if self._device_clip is not None:
            self._evaluate_on_device(plans, todo, report)
        else:
            self._evaluate(plans, report)
        return {w: np.stack([self._memory[w][key] for key in keys])[inverse] for w, _uniq, inverse, keys, _new in plans}

    def _evaluate(self, plans, report: Callable[[int], None]) -> None:
        """Build the windows no earlier call has seen and stream them through the model."""
        batch: list[np.ndarray] = []
        owners: list[tuple[int, int | bytes]] = []
        done = 0
        for w, uniq, _inverse, keys, new in plans:
            for lo in range(0, len(new), self.max_batch_windows):
                chunk = new[lo : lo + self.max_batch_windows]
                t0 = time.perf_counter()
                windows = self.window_inputs(w, uniq[chunk])
                self.stats.seconds_perturb += time.perf_counter() - t0
                batch.append(windows)
                owners.extend((w, keys[i]) for i in chunk)
                if len(owners) >= self.max_batch_windows:
                    done += self._remember(owners, partial(self._probabilities, batch))
                    batch, owners = [], []
                    report(done)
        if owners:
            done += self._remember(owners, partial(self._probabilities, batch))
            report(done)

    def _probabilities(self, batch: list[np.ndarray], *, tally: CallTally) -> np.ndarray:
        """The model's answers for stacks of windows (or audio pieces, whose lengths may differ)."""
        if self._audio is not None:
            return self.classifier.piece_probabilities([row for stack in batch for row in stack], tally=tally)
        return self.classifier.window_probabilities(np.concatenate(batch), tally=tally)

    def _evaluate_on_device(self, plans, todo: int, report: Callable[[int], None]) -> None:
        """Send only the new windows' mask rows and start frames; the runner composes them on the device."""
        if not todo:
            return
        t0 = time.perf_counter()
        rows = np.zeros((todo, self.segmentation.k), dtype=bool)
        starts = np.empty(todo, dtype=np.int32)
        owners: list[tuple[int, int | bytes]] = []
        at = 0
        for w, uniq, _inverse, keys, new in plans:
            rows[at : at + len(new), self._local[w]] = uniq[new]
            starts[at : at + len(new)] = self._spans[w][0]
            owners.extend((w, keys[i]) for i in new)
            at += len(new)
        self.stats.seconds_perturb += time.perf_counter() - t0
        runner = self.classifier.runner
        step = self.max_batch_windows * DEVICE_CALLS_PER_REPORT
        for lo in range(0, todo, step):
            predict = partial(
                runner.masked_predict,
                self._device_clip,
                rows[lo : lo + step],
                starts[lo : lo + step],
                max_batch=self.max_batch_windows,
            )
            self._remember(owners[lo : lo + step], predict)
            report(min(lo + step, todo))

    def _remember(self, owners: list[tuple[int, int | bytes]], predict: Callable[..., np.ndarray]) -> int:
        """One model step for the (window, local mask) pairs in ``owners``: timed, counted (by the
        runner, into this engine's own tally, so a runner shared by several engines counts right),
        remembered."""
        tally = CallTally()
        t0 = time.perf_counter()
        probs = predict(tally=tally)
        self.stats.seconds_model += time.perf_counter() - t0
        self.stats.model_calls += tally.calls
        self.stats.windows_evaluated += len(owners)
        for (w, key), p in zip(owners, probs, strict=True):
            self._memory[w][key] = p
        return len(owners)


def _reporter(progress: Progress | None, todo: int) -> Callable[[int], None]:
    """Windows done -> ``progress`` of the fraction, or nothing when no one listens or nothing is new."""
    if progress is None or not todo:
        return lambda done: None
    return lambda done: progress(min(1.0, done / todo))
