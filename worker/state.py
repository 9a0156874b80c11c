"""What a worker process keeps between jobs: the loaded models, their engines, the stores."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from musicxai.audio.sandbox import prepare_decoder
from musicxai.config import Settings
from musicxai.explain.engine_cache import EngineCache
from musicxai.explain.pipeline import default_segment_count
from musicxai.explain.render import heatmap_png
from musicxai.explain.sonify import sonify
from musicxai.model.classifier import WARM_SECONDS, GenreClassifier
from musicxai.model.registry import ModelRegistry
from musicxai.service.ledger import JobLedger
from musicxai.service.storage import BlobStore
from musicxai.service.stores import open_blob_store, open_ledger


def warm_for_explanations(classifier: GenreClassifier) -> None:
    """Compile the model call and, on JAX, the on-device composition of the default segmentation."""
    classifier.warm_up(segments=default_segment_count(classifier, WARM_SECONDS))


class WorkerState:
    """Opened lazily in each pool process (after the fork), so TensorFlow never crosses a fork."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engines = EngineCache(settings.engine_cache_size)

    @cached_property
    def registry(self) -> ModelRegistry:
        return ModelRegistry(self.settings, warm_up=warm_for_explanations)

    @cached_property
    def blobs(self) -> BlobStore:
        return open_blob_store(self.settings)

    @cached_property
    def ledger(self) -> JobLedger:
        return open_ledger(self.settings)

    def warm(self) -> None:
        """Before the first job arrives: load the default model and compile its calls, start the
        decoder, draw one picture and sonify one second (matplotlib's fonts and librosa's numba
        overlap-add load on first use, seconds on a fresh machine)."""
        classifier = self.registry.get()
        self.registry.detector()
        prepare_decoder(**self.settings.decode_limits())
        features = classifier.features
        blank = np.zeros((features.n_mels, features.frames_for(1.0)))
        heatmap_png(blank, blank, features, title="warm-up")
        sonify(np.zeros(features.sample_rate, dtype=np.float32), blank, features)
        self.ledger  # noqa: B018 - open connections now, not inside the first job
        self.blobs  # noqa: B018
