"""Running one explanation job: read ids from the ledger, call the core, store artifacts, record.

Idempotent: a job that already succeeded is not recomputed, a duplicate message for a job another
worker is running is dropped, and a message redelivered after its worker died takes the job over.
Attempts are counted in the ledger, so a clip that kills workers is failed with a reason instead of
being re-queued forever.
"""

from __future__ import annotations

import logging
import time

from celery.exceptions import SoftTimeLimitExceeded

from musicxai.audio.sandbox import decode_isolated
from musicxai.errors import MusicXAIError
from musicxai.explain.occlusion import occlusion_preview
from musicxai.explain.pipeline import run_explanation
from musicxai.explain.result import PREVIEW_FILE, ExplanationResult
from musicxai.service.jobs import job_artifact_keys, pinned_keys
from musicxai.service.ledger import JobRecord, JobStatus
from musicxai.service.storage import artifact_key, clip_key
from worker.state import WorkerState

log = logging.getLogger(__name__)
PROGRESS_EVERY_S = 0.5


def run_job(state: WorkerState, job_id: str, task_id: str) -> dict:
    ledger, settings = state.ledger, state.settings
    record = ledger.get(job_id)
    if record is None:
        log.warning("job %s: no ledger record, message dropped", job_id)
        return {"job_id": job_id, "status": "unknown"}
    if record.status == JobStatus.succeeded:
        return {"job_id": job_id, "status": record.status}
    fresh = record.heartbeat is not None and time.time() - record.heartbeat < settings.job_stale_after_s
    if record.status == JobStatus.running and fresh and record.task_id != task_id:
        log.info("job %s: already running elsewhere, duplicate message %s dropped", job_id, task_id)
        return {"job_id": job_id, "status": record.status}
    attempts = record.attempts + 1
    if attempts > settings.job_max_attempts:
        ledger.update(
            job_id,
            status=JobStatus.failed,
            stage="failed",
            error=f"Gave up after {record.attempts} attempts: the worker stopped while running this job each time.",
        )
        return {"job_id": job_id, "status": "failed"}
    ledger.update(
        job_id,
        status=JobStatus.running,
        attempts=attempts,
        heartbeat=time.time(),
        progress=0.0,
        stage="decoding",
        error=None,
        task_id=task_id,
    )
    log.info("job %s: attempt %d (task %s)", job_id, attempts, task_id)
    started = time.time()
    try:
        data = state.blobs.get(clip_key(record.clip, record.owner))
        if data is None:
            raise MusicXAIError(
                "The uploaded clip is no longer stored (evicted or expired before its job could start); upload it "
                "again."
            )
        classifier = state.registry.get(record.model)
        t0 = time.perf_counter()
        audio = decode_isolated(data, sr=classifier.features.sample_rate, **settings.decode_limits())
        decode_s = time.perf_counter() - t0
        last = [0.0]

        def progress(fraction: float, stage: str) -> None:
            now = time.time()
            if now - last[0] >= PROGRESS_EVERY_S or fraction >= 1.0:
                last[0] = now
                ledger.update(job_id, progress=round(fraction, 3), stage=stage, heartbeat=now)

        preview, png = occlusion_preview(
            classifier, audio, record.params, max_batch_windows=settings.engine_max_batch_windows
        )
        state.blobs.put(artifact_key(job_id, PREVIEW_FILE), png, pinned=True)
        ledger.update(job_id, preview=preview, stage="preview", heartbeat=time.time())
        out = run_explanation(
            classifier,
            audio,
            record.params,
            progress=progress,
            engines=state.engines,
            clip_id=record.clip,
            max_batch_windows=settings.engine_max_batch_windows,
            quality=settings.quality_limits(),
            detector=state.registry.detector(),
        )
        t0 = time.perf_counter()
        for name, payload in out.artifacts.items():
            state.blobs.put(artifact_key(job_id, name), payload, pinned=True)
        out.result.timings_s |= {"decode": round(decode_s, 4), "store": round(time.perf_counter() - t0, 4)}
        ledger.update(job_id, status=JobStatus.succeeded, progress=1.0, stage="done", result=out.result)
        _unpin(state, record)
        log.info("job %s: succeeded, %d model calls", job_id, out.result.model_calls)
        _record(state, record.method, "succeeded", started, out.result)
        return {"job_id": job_id, "status": "succeeded"}
    except MusicXAIError as exc:
        ledger.update(job_id, status=JobStatus.failed, stage="failed", error=exc.detail)
    except SoftTimeLimitExceeded:
        ledger.update(
            job_id,
            status=JobStatus.failed,
            stage="failed",
            error=f"The job exceeded its time limit of {settings.job_soft_time_limit_s} s.",
        )
    _unpin(state, record)
    _record(state, record.method, "failed", started, None)
    return {"job_id": job_id, "status": "failed"}


def _unpin(state: WorkerState, record: JobRecord) -> None:
    """A finished job's artifacts may be evicted like any other's from now on, and so may its clip when
    no unfinished job needs it (jobs may share a clip). Left to the sweeper's reconciliation, the clips
    of jobs finished between two sweeps stayed pinned and could fill a small store with finished work."""
    try:
        keys = job_artifact_keys(record.id)
        clip = clip_key(record.clip, record.owner)
        if clip not in pinned_keys(state.ledger.unfinished()):
            keys.append(clip)
        state.blobs.unpin(keys)
    except Exception:  # the sweeper's next reconciliation unpins them instead
        log.warning("job %s: could not unpin its blobs", record.id, exc_info=True)


def _record(state: WorkerState, method: str, status: str, started: float, result: ExplanationResult | None) -> None:
    """Leave the job's figures for the API's /metrics; metrics never fail a job."""
    summary = {"status": status, "method": method, "total_s": time.time() - started}
    if result is not None:
        summary |= {
            "backend": result.backend,
            "runtime": result.runtime,
            "stages_s": result.timings_s,
            "model_calls": result.model_calls,
            "windows_evaluated": result.engine.windows_evaluated,
        }
    try:
        state.ledger.record_finished(summary)
    except Exception:
        log.warning("could not record the figures of a finished job", exc_info=True)
