"""Everything the API does, free of HTTP: routes translate requests into these calls and back.

Uploads are stored content-addressed (sha256), so a repeated upload, a prediction and the
explanation jobs on the same clip all share one stored copy, and job ids are derived from the clip,
the model and the parameters (the same request gives the same job). With API keys, every call has
an ``owner`` (the key's name): its clips live in the key's own folder and its jobs' ids include it,
so one key never finds, reads or queues work on another's; to another key they do not exist (404).
The data plane owns the model registry, the job ledger, the blob store and the bundles' files;
nothing above it reaches past it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from celery import Celery

from musicxai.audio.quality import assess
from musicxai.audio.sandbox import decode_isolated
from musicxai.audio.sniff import ACCEPTED, sniff_audio
from musicxai.config import Settings
from musicxai.errors import (
    BusyError,
    MusicXAIError,
    NotFoundError,
    ParameterError,
    RateLimitedError,
    ServiceUnavailableError,
    StorageFullError,
    validated,
)
from musicxai.explain.compare import Comparison, compare
from musicxai.explain.methods import Games, Method
from musicxai.explain.params import ExplanationParams, job_key
from musicxai.explain.preview import PREVIEW_FILE
from musicxai.explain.result import ARTIFACT_FILES
from musicxai.explain.segmentation import Baseline
from musicxai.explain.segments import SegmentationKind
from musicxai.model.bundle import AleIndex, read_ale_file, read_ale_index
from musicxai.model.features import clip_log_mel
from musicxai.model.registry import ModelRegistry
from musicxai.service.celery_app import broker_check, create_celery, enqueue_explanation
from musicxai.service.ledger import JobLedger, JobRecord, JobStatus, Refusal, open_ledger, queue_counts
from musicxai.service.schemas import Choice, ExplanationOptions, Limits, ModelInfo, Models, Prediction
from musicxai.service.storage import BlobStore, artifact_key, clip_key, open_blob_store

log = logging.getLogger(__name__)
TOP_GENRES = 3  # genres a prediction lists by name, highest first


@dataclass
class StoredClip:
    sha256: str
    data: bytes


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

    # uploads -------------------------------------------------------------------------------
    def store_upload(self, data: bytes, *, owner: str | None = None) -> StoredClip:
        if not data:
            raise ParameterError("The upload is empty.")
        sniff_audio(data[:64])
        sha = hashlib.sha256(data).hexdigest()
        key = clip_key(sha, owner)
        try:
            if not self.blobs.exists(key):
                self.blobs.put(key, data)
        except MusicXAIError:
            raise
        except Exception as exc:
            raise ServiceUnavailableError("The clip store is unreachable; explanations cannot be queued now.") from exc
        return StoredClip(sha, data)

    def _get_blob(self, key: str) -> bytes | None:
        try:
            return self.blobs.get(key)
        except Exception as exc:
            raise ServiceUnavailableError("The clip and artifact store is unreachable right now.") from exc

    def stored_clip(self, prediction_id: str, *, owner: str | None = None) -> StoredClip:
        data = self._get_blob(clip_key(prediction_id, owner)) if len(prediction_id) == 64 else None
        if data is None:
            raise NotFoundError(f"No stored clip for prediction {prediction_id!r} (unknown or expired).")
        return StoredClip(prediction_id, data)

    # predictions ----------------------------------------------------------------------------
    def predict(
        self,
        data: bytes,
        *,
        model: str | None = None,
        explain: list[Method] | None = None,
        options: dict[str, Any] | None = None,
        owner: str | None = None,
    ) -> tuple[Prediction, list[JobRecord]]:
        """Classify now; queue one job per method in ``explain`` with the given parameter ``options``."""
        name = self.registry.resolve(model)
        methods = list(dict.fromkeys(explain or []))
        job_params = [validated(ExplanationParams, {**(options or {}), "method": m}) for m in methods]
        try:
            clip = self.store_upload(data, owner=owner)
        except (ServiceUnavailableError, StorageFullError) as exc:  # predictions still answer, jobs cannot start
            if methods:
                raise
            log.warning("prediction served without storing the clip: %s", exc.detail)
            clip = StoredClip(hashlib.sha256(data).hexdigest(), data)
        classifier = self.registry.get(name)
        audio = decode_isolated(clip.data, sr=classifier.features.sample_rate, **self.settings.decode_limits())
        S = clip_log_mel(audio.samples, classifier.features)
        warnings = assess(audio, S, classifier.features, self.settings.quality_limits(), self.registry.detector())
        prediction = classifier.classify_log_mel(S)
        jobs = [self.create_job(clip, params, model=name, owner=owner) for params in job_params]
        return Prediction(
            id=clip.sha256,
            model=name,
            duration_s=round(audio.duration_s, 3),
            source_duration_s=round(audio.source_duration_s, 3),
            truncated=audio.truncated,
            max_duration_s=self.settings.max_duration_s,
            windows=int(prediction.window_probabilities.shape[0]),
            probabilities=prediction.as_dict(),
            top=prediction.top(TOP_GENRES),
            warnings=warnings,
        ), jobs

    # jobs -----------------------------------------------------------------------------------
    def create_job(
        self, clip: StoredClip, params: ExplanationParams, *, model: str | None = None, owner: str | None = None
    ) -> JobRecord:
        """Create (or find) the job for this clip, model and parameters and make sure it is queued."""
        name = self.registry.resolve(model)
        if params.samples > self.settings.max_num_samples:
            raise ParameterError(
                f"num_samples={params.samples} exceeds this service's limit of {self.settings.max_num_samples}"
            )
        unknown = [g for g in params.genres or [] if g not in self.registry.meta(name).genres]
        if unknown:
            raise ParameterError(f"genres {unknown} are not among the model's genres")
        job_id = job_key(clip.sha256, self.registry.bundle_id(name), params, owner=owner)
        record = JobRecord(id=job_id, clip=clip.sha256, model=name, owner=owner, method=params.method, params=params)
        settings = self.settings
        try:
            stored, created = self.ledger.create(
                record, limit=settings.max_queued_jobs, key_limit=settings.max_queued_jobs_per_key
            )
        except Exception as exc:  # the ledger's store (Redis) is down
            raise ServiceUnavailableError("The job store is unreachable; explanations cannot be queued now.") from exc
        retry = settings.queue_retry_after_s
        if stored is Refusal.queue_full:
            raise BusyError(
                f"{settings.max_queued_jobs} explanation jobs are queued or running, this service's limit; "
                f"retry in {retry} s.",
                code=stored,
                retry_after_s=retry,
            )
        if stored is Refusal.key_queue_full:
            raise RateLimitedError(
                f"Key {owner!r} has {settings.max_queued_jobs_per_key} explanation jobs queued or running, "
                f"its limit; retry in {retry} s.",
                code=stored,
                retry_after_s=retry,
            )
        assert isinstance(stored, JobRecord)
        record = stored
        if not created and record.status != JobStatus.failed:
            return record
        if not created:  # a failed job asked for again: try once more from scratch
            record = self.ledger.update(job_id, status=JobStatus.queued, stage="queued", attempts=0, error=None)
        try:
            enqueue_explanation(self.celery, self.settings, job_id, attempt=record.attempts)
        except ServiceUnavailableError:
            if created:
                self.ledger.delete(job_id)
            raise
        return record

    def job(self, job_id: str, *, owner: str | None = None) -> JobRecord:
        try:
            return self.ledger.require(job_id, owner=owner)
        except NotFoundError:
            raise
        except Exception as exc:
            raise ServiceUnavailableError("The job store is unreachable right now.") from exc

    def artifact(self, job_id: str, name: str, *, owner: str | None = None) -> bytes:
        names = [*ARTIFACT_FILES.values(), PREVIEW_FILE]
        if name not in names:
            raise NotFoundError(f"No artifact {name!r}; jobs have {', '.join(names)}.")
        record = self.job(job_id, owner=owner)
        if name == PREVIEW_FILE and record.preview is None:
            raise NotFoundError(f"Job {job_id} has no preview yet (status: {record.status}).")
        if name != PREVIEW_FILE and record.status != JobStatus.succeeded:
            raise NotFoundError(f"Job {job_id} has no artifacts yet (status: {record.status}).")
        data = self._get_blob(artifact_key(job_id, name))
        if data is None:
            raise NotFoundError(f"Artifact {name} of job {job_id} has expired.")
        return data

    def compare(self, job_a: str, job_b: str, *, owner: str | None = None) -> Comparison:
        """How two finished explanations of one clip agree (LIME against SHAP, or two models)."""
        records = [self.job(job_id, owner=owner) for job_id in (job_a, job_b)]
        for record in records:
            if record.status != JobStatus.succeeded or record.result is None:
                raise NotFoundError(f"Job {record.id} has no result to compare yet (status: {record.status}).")
        if records[0].clip != records[1].clip:
            raise ParameterError("The two jobs explain different clips; compare explanations of one clip.")
        return compare(records[0].result, records[1].result)

    # models, options, global explanations ---------------------------------------------------
    def models(self) -> Models:
        registry, settings = self.registry, self.settings
        models = []
        for name in registry.names():
            meta, loaded = registry.meta(name), registry.loaded(name)
            models.append(
                ModelInfo(
                    name=name,
                    default=name == registry.default,
                    id=registry.bundle_id(name),
                    architecture=meta.architecture,
                    genres=meta.genres,
                    features=meta.features.model_dump(),
                    training_data=meta.training_data.model_dump(),
                    split=meta.split.model_dump(exclude={"test_tracks"}),
                    metrics=meta.metrics.test.model_dump() if meta.metrics else None,
                    backend=loaded.runner.backend if loaded else None,
                    runtime=loaded.runner.runtime if loaded else None,
                    device=loaded.runner.device if loaded else None,
                    created=meta.created,
                )
            )
        limits = Limits(
            max_upload_bytes=settings.max_upload_bytes,
            max_duration_s=settings.max_duration_s,
            min_duration_s=settings.min_duration_s,
            max_num_samples=settings.max_num_samples,
            accepted_formats=ACCEPTED,
        )
        return Models(default=registry.default, models=models, limits=limits)

    def options(self) -> ExplanationOptions:
        return ExplanationOptions(
            methods=[Choice(value=m, label=m.label) for m in Method],
            games=[Choice(value=g, label=g.label) for g in Games],
            segmentations=[Choice(value=s, label=s.label) for s in SegmentationKind],
            baselines=[Choice(value=b, label=b.label) for b in Baseline],
            defaults=ExplanationParams(),
            max_num_samples=self.settings.max_num_samples,
        )

    def ale_index(self, model: str | None) -> tuple[str, AleIndex]:
        """The resolved model name and its ALE index."""
        return self.registry.resolve(model), read_ale_index(self.registry.path(model))

    def ale_file(self, model: str | None, filename: str) -> tuple[bytes, str]:
        """One ALE artifact and a version tag for it (the bundle id: new weights, new tag)."""
        return read_ale_file(self.registry.path(model), filename), f"{self.registry.bundle_id(model)}:{filename}"

    # operations -----------------------------------------------------------------------------
    def readiness(self) -> dict[str, bool]:
        return {"model": self.registry.is_loaded(), "queue": self.broker_ok()}

    def job_figures(self) -> tuple[dict[JobStatus, int], list[dict[str, Any]]] | None:
        """Queue depth and the figures of jobs finished since the last call; ``None`` when the
        ledger's store is down (metrics then serve what this process knows)."""
        try:
            return queue_counts(self.ledger), self.ledger.drain_finished()
        except Exception:  # any store failure
            return None
