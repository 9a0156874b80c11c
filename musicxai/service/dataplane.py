"""Everything the API does, free of HTTP: routes translate requests into calls on these parts and back.

The data plane opens the stores the settings name (job ledger, blob store, queue) and the model
registry once, and hands them to its parts, one per concept: :class:`~musicxai.service.clips.Clips`
(uploads), :class:`~musicxai.service.predictions.Predictions`, :class:`~musicxai.service.jobs.Jobs`
(explanation jobs, their artifacts), :class:`~musicxai.service.genre_map_batches.GenreMapBatches`
(per-genre maps over a user's clips) and :class:`~musicxai.service.catalog.Catalog` (models, options,
each bundle's global explanations). Nothing above it reaches past it to a store or a bundle's files.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import Celery

from musicxai.config import Settings
from musicxai.model.registry import ModelRegistry
from musicxai.service.catalog import Catalog
from musicxai.service.celery_app import broker_check, create_celery
from musicxai.service.clips import Clips
from musicxai.service.genre_map_batches import GenreMapBatches
from musicxai.service.jobs import Jobs
from musicxai.service.ledger import JobLedger, JobStatus, queue_counts
from musicxai.service.predictions import Predictions
from musicxai.service.storage import BlobStore, StoreStats
from musicxai.service.stores import open_blob_store, open_ledger


class DataPlane:
    def __init__(
        self,
        settings: Settings,
        registry: ModelRegistry,
        ledger: JobLedger,
        blobs: BlobStore,
        celery: Celery,
        broker_ok: Callable[[], bool],
    ) -> None:
        self.settings, self.registry, self.ledger, self.blobs, self.celery = settings, registry, ledger, blobs, celery
        self.broker_ok = broker_ok
        self.clips = Clips(blobs, ledger)
        self.jobs = Jobs(settings, registry, ledger, blobs, celery)
        self.predictions = Predictions(settings, registry, self.clips, self.jobs)
        self.genre_maps = GenreMapBatches(settings, registry, ledger, blobs, self.clips, self.jobs)
        self.catalog = Catalog(settings, registry)

    @classmethod
    def open(cls, settings: Settings) -> DataPlane:
        """Open every store the settings name and load (and compile) the default model."""
        registry = ModelRegistry(settings)
        registry.get()
        registry.detector()
        return cls(
            settings, registry, open_ledger(settings), open_blob_store(settings), create_celery(settings),
            broker_check(settings),
        )  # fmt: skip

    def readiness(self) -> dict[str, bool]:
        return {"model": self.registry.is_loaded(), "queue": self.broker_ok()}

    def store_stats(self) -> StoreStats | None:
        """What the clip and artifact store holds and has evicted; None when it does not answer."""
        try:
            return self.blobs.stats()
        except Exception:  # any store failure: metrics then serve the last figures
            return None

    def job_figures(self) -> tuple[dict[JobStatus, int], list[dict[str, Any]]] | None:
        """Queue depth and the figures of jobs finished since the last call; ``None`` when the
        ledger's store is down (metrics then serve what this process knows)."""
        try:
            return queue_counts(self.ledger), self.ledger.drain_finished()
        except Exception:  # any store failure
            return None
