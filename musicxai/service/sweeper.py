"""Re-queuing jobs whose message or worker was lost, from the ledger's point of view.

A running job whose heartbeat stopped (its worker was killed, its host went away) is sent again,
or failed once it has used its attempts; a queued job that no worker started for a long time (its
message was dropped, e.g. by a Redis restart without persistence) is sent again. Sending twice is
safe: the task is idempotent. The same thread keeps the blob store's pins equal to what unfinished
jobs need (their clips and artifacts), and deletes clips, artifacts, finished jobs and batches past
their lifetime where the store does not expire them itself (the embedded mode's folder and SQLite).
"""

from __future__ import annotations

import logging
import threading
import time

from celery import Celery

from musicxai.config import Settings
from musicxai.errors import ServiceUnavailableError
from musicxai.service.celery_app import enqueue_explanation
from musicxai.service.jobs import pinned_keys
from musicxai.service.ledger import JobLedger, JobStatus
from musicxai.service.storage import BlobStore

log = logging.getLogger(__name__)


def sweep(ledger: JobLedger, celery: Celery, settings: Settings, *, now: float | None = None) -> list[str]:
    now = time.time() if now is None else now
    requeued = []
    for record in ledger.unfinished():
        if record.status == JobStatus.running:
            beat = record.heartbeat or record.updated
            if now - beat < settings.job_stale_after_s:
                continue
            if record.attempts >= settings.job_max_attempts:
                ledger.update(
                    record.id,
                    status=JobStatus.failed,
                    stage="failed",
                    error=f"Gave up after {record.attempts} attempts: the worker stopped while running this job.",
                )
                continue
            reason = "re-queued: its worker stopped answering"
        elif now - record.updated >= settings.job_requeue_after_s:
            reason = "re-sent: no worker had started it"
        else:
            continue
        ledger.update(record.id, status=JobStatus.queued, stage=reason, heartbeat=None)
        try:
            enqueue_explanation(celery, settings, record.id, attempt=int(now))
        except ServiceUnavailableError:
            log.warning("sweeper: queue unreachable, job %s stays queued", record.id)
            continue
        log.warning("sweeper: job %s %s", record.id, reason)
        requeued.append(record.id)
    return requeued


class Sweeper:
    """Every ``settings.sweep_interval_s``, in a daemon thread: :func:`sweep`, the blob store's pins made
    what unfinished jobs need, and what outlived its lifetime dropped (:meth:`tidy`)."""

    def __init__(self, ledger: JobLedger, celery: Celery, settings: Settings, blobs: BlobStore) -> None:
        self.ledger, self.celery, self.settings, self.blobs = ledger, celery, settings, blobs
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="job-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def tidy(self) -> None:
        sweep(self.ledger, self.celery, self.settings)
        self.blobs.reconcile(lambda: pinned_keys(self.ledger.unfinished()))
        blobs, records = self.blobs.expire(), self.ledger.expire()
        if blobs or records:
            log.info("sweeper: %d clips and artifacts, %d job and batch records past their lifetime deleted",
                     blobs, records)  # fmt: skip

    def _run(self) -> None:
        while not self._stop.wait(self.settings.sweep_interval_s):
            try:
                self.tidy()
            except Exception:  # a sweep must never kill the thread; the next one retries
                log.exception("sweeper: sweep failed")
