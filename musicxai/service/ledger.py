"""The job ledger: the record of every accepted explanation job, independent of the broker and of the
blob store.

Celery reports any id it does not know as PENDING and a broker can drop an in-flight message (the
embedded filesystem transport does when a worker is killed). The ledger is what the API reads, what
the worker updates with progress and heartbeats, and what the sweeper uses to re-queue jobs whose
worker vanished, so no accepted job is lost silently. Beside the jobs it keeps the other small records
the service must not lose to a flood of uploads: per-genre batches, and which clips the blob store
kept or refused. Finished jobs and batches are forgotten after the records' lifetime.
"""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from musicxai.errors import NotFoundError
from musicxai.explain.attribution import Method
from musicxai.explain.params import ExplanationParams
from musicxai.explain.result import ExplanationResult, OcclusionPreview


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class Refusal(StrEnum):
    """Why :meth:`JobLedger.create` did not store a new job (the problem ``code`` it is answered with)."""

    queue_full = "queue_full"
    key_queue_full = "key_queue_full"


UNFINISHED = (JobStatus.queued, JobStatus.running)
MAX_FINISHED = 10_000  # figures kept for the metrics when nothing scrapes them (both stores)
MAX_CLIP_NOTES = 100_000  # clips remembered as kept or refused by the store (~10 MB), the newest kept


class JobRecord(BaseModel):
    id: str
    status: JobStatus = JobStatus.queued
    progress: float = 0.0
    stage: str = "queued"
    clip: str = Field(description="sha256 of the uploaded clip")
    model: str
    owner: str | None = Field(None, description="the API key name that created it; only that key may read it")
    method: Method
    params: ExplanationParams
    attempts: int = 0
    task_id: str | None = Field(None, description="the Celery message that last started the job")
    created: float = Field(default_factory=time.time)
    updated: float = Field(default_factory=time.time)
    heartbeat: float | None = None
    error: str | None = None
    result: ExplanationResult | None = None
    preview: OcclusionPreview | None = Field(None, description="an occlusion map published before the result")


class JobLedger:
    """Interface shared by the SQLite (embedded) and Redis (distributed) ledgers."""

    def create(
        self, record: JobRecord, *, limit: int | None = None, key_limit: int | None = None
    ) -> tuple[JobRecord | Refusal, bool]:
        """Store ``record`` unless a job with its id exists; return the stored one and whether it is new.
        A new job is refused (``Refusal, False``) while ``limit`` jobs are unfinished, or ``key_limit``
        of its owner's; the counts and the insert are one atomic step, so concurrent requests never
        overshoot them."""
        raise NotImplementedError

    def get(self, job_id: str) -> JobRecord | None:
        raise NotImplementedError

    def update(self, job_id: str, **changes: Any) -> JobRecord:
        raise NotImplementedError

    def delete(self, job_id: str) -> None:
        raise NotImplementedError

    def unfinished(self) -> list[JobRecord]:
        raise NotImplementedError

    def record_finished(self, summary: dict[str, Any]) -> None:
        """Queue one finished job's figures (status, method, seconds per stage…) for the metrics."""
        raise NotImplementedError

    def drain_finished(self, limit: int = 1000) -> list[dict[str, Any]]:
        """Take the queued figures; each is handed out once, to whichever API process asks first."""
        raise NotImplementedError

    def note_clip(self, key: str, *, kept: bool) -> None:
        """Remember whether the clip stored under ``key`` was kept, so that a later request for it can be
        told "evicted" from "never kept" (the newest ``MAX_CLIP_NOTES`` are remembered)."""
        raise NotImplementedError

    def clip_kept(self, key: str) -> bool | None:
        """What :meth:`note_clip` remembers of ``key``: kept, refused, or None (never heard of, or forgotten)."""
        raise NotImplementedError

    def put_batch(self, key: str, doc: str) -> None:
        """Store a per-genre batch's record (which jobs it is made of) for the records' lifetime."""
        raise NotImplementedError

    def get_batch(self, key: str) -> str | None:
        raise NotImplementedError

    def expire(self, *, now: float | None = None) -> int:
        """Forget finished jobs and batches older than the records' lifetime; returns how many."""
        raise NotImplementedError

    def require(self, job_id: str, *, owner: str | None = None) -> JobRecord:
        """The job, if it exists and belongs to ``owner``: to another key it does not exist."""
        record = self.get(job_id)
        if record is None or record.owner != owner:
            raise NotFoundError(f"No explanation job with id {job_id!r}.")
        return record

    @staticmethod
    def _apply(record: JobRecord, changes: dict[str, Any]) -> JobRecord:
        return record.model_copy(update={**changes, "updated": time.time()})


def queue_counts(ledger: JobLedger) -> dict[JobStatus, int]:
    """Jobs queued and running, as the ledger sees them."""
    counts = dict.fromkeys(UNFINISHED, 0)
    for record in ledger.unfinished():
        counts[record.status] += 1
    return counts
