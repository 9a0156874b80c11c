"""The service's work, free of HTTP: routes translate requests into these calls and back.

Uploads are stored content-addressed (sha256), so a repeated upload, a prediction and the
explanation jobs on the same clip all share one stored copy, and job ids are derived from the clip,
the model and the parameters (the same request gives the same job).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from celery import Celery
from pydantic import ValidationError

from musicxai.config import Settings
from musicxai.errors import MusicXAIError, NotFoundError, ParameterError, ServiceUnavailableError
from musicxai.explain import ARTIFACTS, ExplanationParams, job_key
from musicxai.jobs import JobLedger, JobRecord, JobStatus
from musicxai.media import sniff_audio
from musicxai.queue import enqueue_explanation
from musicxai.registry import ModelRegistry
from musicxai.sandbox import decode_isolated
from musicxai.storage import BlobStore, artifact_key, clip_key

log = logging.getLogger(__name__)


@dataclass
class StoredClip:
    sha256: str
    data: bytes


class ExplanationService:
    def __init__(
        self, settings: Settings, registry: ModelRegistry, ledger: JobLedger, blobs: BlobStore, celery: Celery
    ) -> None:
        self.settings, self.registry, self.ledger, self.blobs, self.celery = settings, registry, ledger, blobs, celery

    # uploads -------------------------------------------------------------------------------
    def store_upload(self, data: bytes) -> StoredClip:
        if not data:
            raise ParameterError("The upload is empty.")
        sniff_audio(data[:64])
        sha = hashlib.sha256(data).hexdigest()
        key = clip_key(sha)
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

    def stored_clip(self, prediction_id: str) -> StoredClip:
        data = self._get_blob(clip_key(prediction_id)) if len(prediction_id) == 64 else None
        if data is None:
            raise NotFoundError(f"No stored clip for prediction {prediction_id!r} (unknown or expired).")
        return StoredClip(prediction_id, data)

    # predictions ----------------------------------------------------------------------------
    def predict(
        self, data: bytes, *, model: str | None = None, explain: list[str] | None = None, options: dict | None = None
    ) -> dict:
        """Classify now; queue one job per method in ``explain`` with the given parameter ``options``."""
        name = self.registry.resolve(model)
        methods = _check_methods(explain or [])
        job_params = [explanation_params({**(options or {}), "method": m}) for m in methods]
        try:
            clip = self.store_upload(data)
        except ServiceUnavailableError:  # the store (Redis) is down: predictions still answer, jobs cannot start
            if methods:
                raise
            log.warning("clip store unreachable; prediction served without storing the clip")
            clip = StoredClip(hashlib.sha256(data).hexdigest(), data)
        classifier = self.registry.get(name)
        audio = decode_isolated(clip.data, sr=classifier.features.sample_rate, **self.settings.decode_limits())
        prediction = classifier.classify(audio.samples)
        jobs = [self.create_job(clip, params, model=name) for params in job_params]
        return {
            "id": clip.sha256,
            "model": name,
            "duration_s": round(audio.duration_s, 3),
            "source_duration_s": round(audio.source_duration_s, 3),
            "truncated": audio.truncated,
            "max_duration_s": self.settings.max_duration_s,
            "windows": int(prediction.window_probabilities.shape[0]),
            "probabilities": prediction.as_dict(),
            "top": prediction.top(3),
            "explanations": [
                {"job_id": j.id, "method": j.method, "status": j.status, "status_url": f"/v1/explanations/{j.id}"}
                for j in jobs
            ],
        }

    # jobs -----------------------------------------------------------------------------------
    def create_job(self, clip: StoredClip, params: ExplanationParams, *, model: str | None = None) -> JobRecord:
        """Create (or find) the job for this clip, model and parameters and make sure it is queued."""
        name = self.registry.resolve(model)
        if params.num_samples > self.settings.max_num_samples:
            raise ParameterError(
                f"num_samples={params.num_samples} exceeds this service's limit of {self.settings.max_num_samples}"
            )
        unknown = [g for g in params.genres or [] if g not in self.registry.meta(name).genres]
        if unknown:
            raise ParameterError(f"genres {unknown} are not among the model's genres")
        job_id = job_key(clip.sha256, self.registry.bundle_id(name), params)
        record = JobRecord(id=job_id, clip=clip.sha256, model=name, method=params.method, params=params.model_dump())
        try:
            record, created = self.ledger.create(record)
        except Exception as exc:  # the ledger's store (Redis) is down
            raise ServiceUnavailableError("The job store is unreachable; explanations cannot be queued now.") from exc
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

    def job(self, job_id: str) -> JobRecord:
        try:
            return self.ledger.require(job_id)
        except NotFoundError:
            raise
        except Exception as exc:
            raise ServiceUnavailableError("The job store is unreachable right now.") from exc

    def artifact(self, job_id: str, name: str) -> bytes:
        if name not in ARTIFACTS:
            raise NotFoundError(f"No artifact {name!r}; jobs have {', '.join(ARTIFACTS)}.")
        record = self.job(job_id)
        if record.status != JobStatus.succeeded:
            raise NotFoundError(f"Job {job_id} has no artifacts yet (status: {record.status}).")
        data = self._get_blob(artifact_key(job_id, name))
        if data is None:
            raise NotFoundError(f"Artifact {name} of job {job_id} has expired.")
        return data


def explanation_params(values: dict) -> ExplanationParams:
    """Validate user-supplied parameters; any problem is a 422 naming the field."""
    try:
        return ExplanationParams(**values)
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'parameters'}: {e['msg']}" for e in exc.errors())
        raise ParameterError(detail) from exc


def _check_methods(methods: list[str]) -> list[str]:
    allowed = ("lime", "shap")
    bad = [m for m in methods if m not in allowed]
    if bad:
        raise ParameterError(f"explain={','.join(bad)} is not a method; use lime and/or shap")
    return list(dict.fromkeys(methods))
