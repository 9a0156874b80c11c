"""Explaining in tests: a segmentation of a test clip in one call, and the reference the fast engine is
held against (every perturbed clip composed whole, every window evaluated, nothing remembered)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from musicxai.explain.engine import EngineStats, Progress, check_masks
from musicxai.explain.segmentation import Segmentation
from musicxai.explain.segmenters import SegmentationParams, segment_clip
from musicxai.model.classifier import GenreClassifier
from musicxai.model.features import frame_windows
from musicxai.model.runner import CallTally


@dataclass
class NaiveEngine:
    """Compose each perturbed clip whole and evaluate all its windows (no memory)."""

    classifier: GenreClassifier
    segmentation: Segmentation
    stats: EngineStats = field(default_factory=EngineStats)

    def __call__(self, Z: np.ndarray, *, progress: Progress | None = None) -> np.ndarray:
        Z = check_masks(Z, self.segmentation.k)
        clips = self.segmentation.compose(Z, 0, self.segmentation.n_frames)
        windows = frame_windows(clips, self.classifier.features)  # (n, n_windows, n_mels, w)
        tally = CallTally()
        probs = self.classifier.window_probabilities(windows, tally=tally)
        self.stats.model_calls += tally.calls
        self.stats.masks += Z.shape[0]
        self.stats.windows_evaluated += windows.shape[0] * windows.shape[1]
        self.stats.windows_naive = self.stats.windows_evaluated
        return probs.mean(axis=1)


def seg_for(clip, classifier, kind, **kw):
    y, S, B = clip
    return segment_clip(y, S, B, classifier.features, SegmentationParams(kind=kind, **kw))
