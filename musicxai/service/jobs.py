"""Explanation jobs: admitted under the queue's bounds, read back, their artifacts and comparisons.

Job ids are derived from the clip, the model and the parameters (and the API key, where keys are
on), so the same request always names the same job; a job that failed and is asked for again runs
once more from scratch, and so does one whose artifacts the store has since evicted. Admission is
one atomic step in the ledger (count and insert), so concurrent requests never overshoot the bounds;
the job then pins its clip in the blob store (no eviction takes it while the job is unfinished), the
message to the workers follows, and a job whose clip is gone or whose message could not be sent is
taken back.
"""

from __future__ import annotations

from collections.abc import Iterable

from celery import Celery

from musicxai.config import Settings
from musicxai.errors import (
    BusyError,
    GoneError,
    NotFoundError,
    ParameterError,
    RateLimitedError,
    ServiceUnavailableError,
)
from musicxai.explain.attribution import Method
from musicxai.explain.baseline import Baseline
from musicxai.explain.compare import Comparison, compare
from musicxai.explain.params import ExplanationParams, job_key
from musicxai.explain.result import ARTIFACT_FILES, PREVIEW_FILE
from musicxai.model.classifier import no_gradients
from musicxai.model.registry import ModelRegistry
from musicxai.service.celery_app import enqueue_explanation
from musicxai.service.clips import StoredClip
from musicxai.service.ledger import JobLedger, JobRecord, JobStatus, Refusal
from musicxai.service.outages import NOT_QUEUED, reaching
from musicxai.service.storage import BlobStore, artifact_key, clip_key

RESULT_FILE = ARTIFACT_FILES["attributions"]  # the artifact whose presence says the others are stored


def job_artifact_keys(job_id: str) -> list[str]:
    """Every blob a job writes: its preview, then its artifacts."""
    return [artifact_key(job_id, name) for name in (PREVIEW_FILE, *ARTIFACT_FILES.values())]


def pinned_keys(unfinished: Iterable[JobRecord]) -> set[str]:
    """What the blob store must keep for unfinished jobs: each one's clip and what it writes."""
    return {key for r in unfinished for key in (clip_key(r.clip, r.owner), *job_artifact_keys(r.id))}


class Jobs:
    def __init__(
        self, settings: Settings, registry: ModelRegistry, ledger: JobLedger, blobs: BlobStore, celery: Celery
    ) -> None:
        self.settings, self.registry, self.ledger, self.blobs, self.celery = settings, registry, ledger, blobs, celery

    def create(
        self, clip: StoredClip, params: ExplanationParams, *, model: str | None = None, owner: str | None = None
    ) -> JobRecord:
        """Create (or find) the job for this clip, model and parameters and make sure it is queued."""
        name = self.registry.resolve(model)
        settings = self.settings
        if params.samples > settings.max_num_samples:
            raise ParameterError(
                f"num_samples={params.samples} exceeds this service's limit of {settings.max_num_samples}"
            )
        meta = self.registry.meta(name)
        params = params.with_defaults(meta.explanation_defaults)  # a costly model's own cheaper defaults
        unknown = [g for g in params.genres or [] if g not in meta.genres]
        if unknown:
            raise ParameterError(f"genres {unknown} are not among the model's genres")
        if params.method is Method.gradient and not meta.has_gradients:
            raise ParameterError(no_gradients(meta))
        if meta.takes_audio and params.baseline is not Baseline.min:
            raise ParameterError(
                f"model {name!r} takes audio and is explained on audio: a switched-off segment is silent "
                f"(baseline 'min'); baseline {params.baseline.value!r} exists only for log-mel models"
            )
        job_id = job_key(clip.sha256, self.registry.bundle_id(name), params, owner=owner)
        record = JobRecord(id=job_id, clip=clip.sha256, model=name, owner=owner, method=params.method, params=params)
        with reaching("job store", meanwhile=NOT_QUEUED):
            stored, created = self.ledger.create(
                record, limit=settings.max_queued_jobs, key_limit=settings.max_queued_jobs_per_key
            )
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
        if not created and not self._run_again(record):
            return record
        with reaching("clip store", meanwhile=NOT_QUEUED):
            gone = self.blobs.pin([clip_key(clip.sha256, owner)])
        if gone:  # evicted between its read and its pin: the job cannot run
            if created:
                self.ledger.delete(job_id)
            raise GoneError(
                "The clip was evicted to make room for newer uploads just as its job was admitted; upload it "
                "again with the request.",
                code="clip_evicted",
            )
        if not created:  # failed, or its artifacts were evicted: once more from scratch
            record = self.ledger.update(job_id, status=JobStatus.queued, stage="queued", attempts=0, error=None)
        try:
            enqueue_explanation(self.celery, settings, job_id, attempt=record.attempts)
        except ServiceUnavailableError:
            if created:
                self.ledger.delete(job_id)
            raise
        return record

    def _run_again(self, record: JobRecord) -> bool:
        """Whether a job asked for again must run again: it failed, or its artifacts were evicted."""
        if record.status is JobStatus.failed:
            return True
        return record.status is JobStatus.succeeded and not self.artifacts_stored(record)

    def artifacts_stored(self, record: JobRecord) -> bool | None:
        """Whether a succeeded job's artifacts are still stored; None for a job that has none yet."""
        if record.status is not JobStatus.succeeded:
            return None
        with reaching("clip and artifact store"):
            return self.blobs.exists(artifact_key(record.id, RESULT_FILE))

    def get(self, job_id: str, *, owner: str | None = None) -> JobRecord:
        with reaching("job store"):
            return self.ledger.require(job_id, owner=owner)

    def artifact(self, job_id: str, name: str, *, owner: str | None = None) -> bytes:
        names = [*ARTIFACT_FILES.values(), PREVIEW_FILE]
        if name not in names:
            raise NotFoundError(f"No artifact {name!r}; jobs have {', '.join(names)}.")
        record = self.get(job_id, owner=owner)
        if name == PREVIEW_FILE and record.preview is None:
            raise NotFoundError(f"Job {job_id} has no preview yet (status: {record.status}).")
        if name != PREVIEW_FILE and record.status != JobStatus.succeeded:
            raise NotFoundError(f"Job {job_id} has no artifacts yet (status: {record.status}).")
        with reaching("clip and artifact store"):
            data = self.blobs.get(artifact_key(job_id, name))
        if data is None:
            raise GoneError(
                f"Artifact {name} of job {job_id} was evicted to make room for newer work (the store keeps the "
                "most recently used clips and results within its size) or has expired; ask for the same "
                "explanation again and it is computed anew.",
                code="artifact_evicted",
            )
        return data

    def compare(self, job_a: str, job_b: str, *, owner: str | None = None) -> Comparison:
        """How two finished explanations of one clip agree (LIME against SHAP, or two models)."""
        records = [self.get(job_id, owner=owner) for job_id in (job_a, job_b)]
        for record in records:
            if record.status != JobStatus.succeeded or record.result is None:
                raise NotFoundError(f"Job {record.id} has no result to compare yet (status: {record.status}).")
        if records[0].clip != records[1].clip:
            raise ParameterError("The two jobs explain different clips; compare explanations of one clip.")
        return compare(records[0].result, records[1].result)
