"""What a worker process keeps between jobs: the loaded models, the blob store, the job ledger."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from musicxai.config import Settings
from musicxai.engine import EngineCache
from musicxai.jobs import JobLedger, open_ledger
from musicxai.registry import ModelRegistry
from musicxai.render import heatmap_png
from musicxai.sandbox import prepare_decoder
from musicxai.sonify import sonify
from musicxai.storage import BlobStore, open_blob_store


class WorkerState:
    """Opened lazily in each pool process (after the fork), so TensorFlow never crosses a fork."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engines = EngineCache()

    @cached_property
    def registry(self) -> ModelRegistry:
        return ModelRegistry(
            self.settings.models_dir,
            default=self.settings.default_model,
            batch_size=self.settings.model_batch_size,
            backend=self.settings.backend,
            warm_explanations=True,
        )

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
        prepare_decoder(**self.settings.decode_limits())
        features = classifier.features
        blank = np.zeros((features.n_mels, features.frames_for(1.0)))
        heatmap_png(blank, blank, features, title="warm-up")
        sonify(np.zeros(features.sample_rate, dtype=np.float32), blank, features)
        self.ledger  # noqa: B018 - open connections now, not inside the first job
        self.blobs  # noqa: B018
